"""The Microsoft Foundry project data plane, answering from the ARM state the store holds.

`https://127.0.0.1:PORT/foundry/{account}/api/projects/{project}/...` stands for
`https://{account}.services.ai.azure.com/api/projects/{project}/...` (the project endpoint Azure reports).  Served:
connections (list, get, getConnectionWithCredentials), deployments, agents and their versions, and the OpenAI-style
`/openai/v1/conversations` and `/openai/v1/responses` routes that `AIProjectClient.get_openai_client()` calls.  A
response runs the agent's model through its connection (runs.py).  Agents, conversations and responses are
provider records in the store, keyed by the project's ARM id; they go when the project or its account is deleted.

Shapes: the models of azure-ai-projects 2.x (`azure.ai.projects.models`) and the openai types
(`openai.types.conversations`, `openai.types.responses`); routes as the stock clients call them (README "Foundry
project data plane").  Error bodies are `{"error": {code, message, param, type, details, additionalInfo}}`, the
ApiErrorResponse shape both clients read.
"""
from __future__ import annotations

import json
import logging
import re
import time
from dataclasses import dataclass
from typing import Callable

from aiohttp import web

from localazure.services.cognitiveservices.foundry import runs as foundry_runs
from localazure.services.cognitiveservices.foundry.runs import FoundryError, new_id
from localazure.identity import TokenError
from localazure.services.authorization import state as authz_state
from localazure.services.cognitiveservices import accounts as cs

ROUTE = "/foundry/{account}/api/projects/{project}/{tail:.*}"
AUDIENCE = "https://ai.azure.com"
AGENTS_TABLE, CONVERSATIONS_TABLE, RESPONSES_TABLE = "foundry.agents", "foundry.conversations", "foundry.responses"
# Built-in roles whose dataActions cover Microsoft.CognitiveServices/accounts/AIServices/* (Azure built-in roles
# reference: Azure AI User and Azure AI Project Manager grant `Microsoft.CognitiveServices/*`, Cognitive Services
# User too).  Owner and Contributor have no dataActions, so they never open the data plane; Cognitive Services
# OpenAI User/Contributor reach only accounts/OpenAI/*.
DATA_ROLES = ("53ca6127-db72-4b80-b1b0-d745d6d5456d", "eadc314b-1a2d-4efa-be10-5d325db5065e",
              "a97b65f3-24c7-4388-baec-2e87135dc908")
# The Foundry data plane answers a missing data action with 401 PermissionDenied and this text (quoted with status
# "401 (PermissionDenied)" in public issues: microsoft-foundry/foundry-samples#155, microsoft/ai-agent-evals#43,
# Azure/azure-sdk-for-python#44842).  The data action names for agents are Azure's; those for connections and
# deployments follow the same pattern and are our choice.
PERMISSION_TEXT = ("The principal `{principal}` lacks the required data action `{action}` to perform `{operation}` "
                   "operation. For instructions on granting the necessary permissions, see "
                   "https://aka.ms/FoundryPermissions.")
# The Cognitive Services data plane's 401 text (public issue threads quote it for
# https://cognitiveservices.azure.com); Foundry's project endpoint is assumed to word it the same way for its own
# audience.
UNAUTHORIZED_TEXT = ("Unauthorized. Access token is missing, invalid, audience is incorrect (https://ai.azure.com), "
                     "or have expired.")
_AGENT_NAME = re.compile(r"^[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?$")
DEFAULT_LIMIT, MAX_LIMIT = 20, 100


@dataclass
class Project:
    """The addressed project, its account and the caller."""
    account: dict
    project: dict
    principal: str

    @property
    def key(self) -> str:
        return self.project["id"].lower()


def forget_project(store, project_id: str) -> None:
    """Remove the project's agents, conversations and responses (the project or its account left ARM)."""
    prefix = project_id.lower() + "|"
    for table in (AGENTS_TABLE, CONVERSATIONS_TABLE, RESPONSES_TABLE):
        for key, _ in store.kv_list(table, prefix):
            store.kv_delete(table, key)


def _record_key(project: Project, name: str) -> str:
    return f"{project.key}|{name.lower()}"


def _same(a: str | None, b: str | None) -> bool:
    return (a or "").lower() == (b or "").lower()


def _page(items: list[dict], query, *, default_order: str = "desc", null_last_id: bool = False) -> dict:
    """An OpenAI-style list page (`limit`, `order` by created_at, `after`/`before` cursors by id).
    null_last_id: the agents list answers `last_id: null` on its last page (the azure-ai-projects pager stops only
    then: recorded from the stock client)."""
    try:
        limit = int(query.get("limit") or DEFAULT_LIMIT)
    except ValueError:
        raise FoundryError(400, "invalid_value", f"limit '{query.get('limit')}' is not an integer.",
                           param="limit") from None
    if not 1 <= limit <= MAX_LIMIT:
        raise FoundryError(400, "invalid_value", f"limit {limit} is outside 1..{MAX_LIMIT}.", param="limit")
    order = (query.get("order") or default_order).lower()
    if order not in ("asc", "desc"):
        raise FoundryError(400, "invalid_value", f"order '{order}' must be 'asc' or 'desc'.", param="order")
    ordered = sorted(items, key=lambda item: item["_seq"], reverse=order == "desc")
    ids = [item["id"] for item in ordered]
    for cursor, keep in (("after", lambda index: ordered[index + 1:]), ("before", lambda index: ordered[:index])):
        if query.get(cursor):
            if query[cursor] not in ids:
                raise FoundryError(400, "invalid_value", f"{cursor} '{query[cursor]}' names no item of this list.",
                                   param=cursor)
            ordered = keep(ids.index(query[cursor]))
            ids = [item["id"] for item in ordered]
    data, has_more = ordered[:limit], len(ordered) > limit
    last_id = data[-1]["id"] if data and (has_more or not null_last_id) else None
    return {"object": "list", "data": [_public(item) for item in data],
            "first_id": data[0]["id"] if data else None, "last_id": last_id, "has_more": has_more}


def _public(item: dict) -> dict:
    return {key: value for key, value in item.items() if not key.startswith("_")}


class FoundryProjects:
    def __init__(self, store, identity, settle: Callable[[], None], ca_file: str,
                 clock: Callable[[], float] = time.time):
        self.store = store
        self.identity = identity
        self.clock = clock      # the endpoint's: a role assignment takes effect on it (authorization/propagation.py)
        self.settle = settle
        self.runner = foundry_runs.Runner(store, identity, ca_file)
        self._seq = 0

    def _next_seq(self) -> int:
        """The order of creation across restarts (milliseconds, then a counter): lists are sorted by it."""
        self._seq += 1
        return int(time.time() * 1000) * 1000 + self._seq % 1000

    async def handle(self, request: web.Request) -> web.StreamResponse:
        try:
            raw = await request.read()
            body = _json_body(raw)
            with self.store.transaction():
                self.settle()
                project = self._project(request)
                tail = request.match_info["tail"].strip("/")
                runs = tail == "openai/v1/responses" and request.method.upper() == "POST"
                deployments = request.method.upper() == "GET" and _same(tail.split("/", 1)[0], "deployments")
                if deployments:
                    listed, calls = self._deployments(project, f"https://{request.host}", tail.partition("/")[2])
                elif not runs:
                    return self._route(request, project, tail, body)
                else:
                    plan = self.runner.plan(
                        project, body, base_url=f"https://{request.host}",
                        agent_lookup=lambda reference: self._agent_definition(project, reference),
                        conversation_lookup=lambda conversation_id: self._conversation(project, conversation_id))
            if deployments:
                # Dynamic-discovery connections: their gateways are asked over HTTPS, outside the store transaction.
                name = tail.partition("/")[2]
                for call in calls:
                    try:
                        found = await self.runner.discover(call)
                    except FoundryError as error:
                        if name:
                            raise
                        # How Foundry lists a connection whose gateway fails is not documented: its models are
                        # left out (as for unreadable `models`), the others still listed; the cause goes to the log.
                        logging.warning("model discovery of connection %s failed: %s", call.connection, error)
                        continue
                    listed += [_model_deployment(f"{call.connection}/{model['name']}",
                                                 {"properties": model.get("properties") or {}},
                                                 connection_name=call.connection) for model in found]
                return web.json_response(self._deployment(project, name, listed) if name else
                                         self._list_deployments(request.query, listed))
            # The model call goes over HTTPS to this same server's gateway: no store transaction across it.
            completion = await self.runner.call(plan)
            with self.store.transaction():
                return web.json_response(self._record_run(project, plan, completion))
        except FoundryError as error:
            return web.json_response(error.body(), status=error.status)
        except Exception:   # an emulation bug must still answer in the service's shape, and show in server.log
            logging.exception("foundry data plane error for %s %s", request.method, request.path)
            error = FoundryError(500, "server_error", "Internal server error. See server.log.",
                                 error_type="server_error")
            return web.json_response(error.body(), status=error.status)

    def _agent_definition(self, project: Project, reference: dict) -> tuple[dict, dict]:
        """(definition, agent reference as answered) of the referenced agent version (the latest by default)."""
        record = self._agent(project, str(reference["name"]))
        version = self._version(record, str(reference["version"])) if reference.get("version") else \
            record["versions"][-1]
        return version["definition"], {"type": "agent_reference", "name": record["name"],
                                       "version": version["version"]}

    def _record_run(self, project: Project, plan: foundry_runs.RunPlan, completion: dict) -> dict:
        """Keep the turn: the input and the answer join the conversation; the response can be read back."""
        response, message = self.runner.response(plan, completion)
        if plan.conversation_id:
            key = f"{project.key}|{plan.conversation_id}"
            record = self._conversation(project, plan.conversation_id)   # it may have gone during the call
            record["items"].extend(self.stamp_items(plan.new_items + [message]))
            self.store.kv_put(CONVERSATIONS_TABLE, key, record)
        self.store.kv_put(RESPONSES_TABLE, f"{project.key}|{response['id']}", response)
        return response

    # --- project and caller --------------------------------------------------------------------------
    def _project(self, request: web.Request) -> Project:
        claims = self._caller(request)
        account = self._account(request.match_info["account"])
        project = self.store.get(f"{account['id']}/projects/{request.match_info['project']}")
        if project is None or (project.get("properties") or {}).get("provisioningState") != "Succeeded":
            raise FoundryError(404, "NotFound", f"Project '{request.match_info['project']}' was not found in "
                                                f"account '{account['name']}'.")
        found = Project(account, project, claims.get("oid") or "")
        action, operation = _data_action(request.method.upper(), request.match_info["tail"].strip("/"))
        if not self._may_use(found.principal, project["id"]):
            raise FoundryError(401, "PermissionDenied", PERMISSION_TEXT.format(
                principal=found.principal, action=action, operation=operation))
        return found

    def _caller(self, request: web.Request) -> dict:
        header = request.headers.get("Authorization", "")
        unauthorized = FoundryError(401, "401", UNAUTHORIZED_TEXT)
        if not header.lower().startswith("bearer "):
            raise unauthorized
        try:
            claims = self.identity.validate(header[7:].strip())
        except (TokenError, ValueError):
            raise unauthorized from None
        if (claims.get("aud") or "").rstrip("/") != AUDIENCE:
            raise unauthorized
        return claims

    def _account(self, host_name: str) -> dict:
        """The account whose Foundry host `{customSubDomainName}.services.ai.azure.com` the URL names."""
        for account in self.store.list_type(cs.ACCOUNT_TYPE, f"/subscriptions/{self.identity.subscription_id}/"):
            props = account.get("properties") or {}
            if _same(props.get("customSubDomainName") or account["name"], host_name) and \
                    props.get("provisioningState") == "Succeeded":
                return account
        # In Azure the host would not resolve; the code and text are ours.
        raise FoundryError(404, "NotFound", f"No Foundry resource answers on '{host_name}.services.ai.azure.com'.")

    def _may_use(self, principal: str, project_id: str) -> bool:
        """A data role assigned to the principal at the project, its account, group or subscription."""
        return authz_state.has_role(self.store, self.identity.subscription_id, principal, project_id, DATA_ROLES,
                                    now=self.clock())

    # --- routing -------------------------------------------------------------------------------------
    def _route(self, request: web.Request, project: Project, tail: str, body: dict) -> web.Response:
        method, parts, query = request.method.upper(), tail.split("/") if tail else [], request.query
        routes = [
            ("GET", ["connections"], lambda: self._list_connections(project, query)),
            ("GET", ["connections", None], lambda name: self._connection(project, name, False)),
            ("POST", ["connections", None, "getConnectionWithCredentials"],
             lambda name: self._connection(project, name, True)),
            ("GET", ["agents"], lambda: self._list_agents(project, query)),
            ("GET", ["agents", None], lambda name: _agent_details(self._agent(project, name))),
            ("DELETE", ["agents", None], lambda name: self._delete_agent(project, name)),
            ("POST", ["agents", None, "versions"], lambda name: self._create_version(project, name, body)),
            ("GET", ["agents", None, "versions"], lambda name: self._list_versions(project, name, query)),
            ("GET", ["agents", None, "versions", None], lambda name, version: _public(
                self._version(self._agent(project, name), version))),
            ("DELETE", ["agents", None, "versions", None],
             lambda name, version: self._delete_version(project, name, version)),
            ("POST", ["openai", "v1", "conversations"], lambda: self._create_conversation(project, body)),
            ("GET", ["openai", "v1", "conversations", None],
             lambda cid: _public(self._conversation(project, cid)["conversation"])),
            ("POST", ["openai", "v1", "conversations", None],
             lambda cid: self._update_conversation(project, cid, body)),
            ("DELETE", ["openai", "v1", "conversations", None], lambda cid: self._delete_conversation(project, cid)),
            ("GET", ["openai", "v1", "conversations", None, "items"],
             lambda cid: _page(self._conversation(project, cid)["items"], query)),
            ("POST", ["openai", "v1", "conversations", None, "items"],
             lambda cid: self._add_items(project, cid, body)),
            ("GET", ["openai", "v1", "responses", None], lambda rid: self._response(project, rid)),
        ]
        for route_method, pattern, handler in routes:
            if route_method == method and len(pattern) == len(parts) and all(
                    want is None or _same(want, got) for want, got in zip(pattern, parts)):
                return web.json_response(handler(*[got for want, got in zip(pattern, parts) if want is None]))
        raise FoundryError(404, "NotFound", f"The route '{method} /{tail}' is not served by this project endpoint.")

    # --- connections ---------------------------------------------------------------------------------
    def _list_connections(self, project: Project, query) -> dict:
        wanted_type = query.get("connectionType")
        default_only = (query.get("defaultConnection") or "").lower() == "true"
        shown = [foundry_runs.data_plane_connection(connection, with_credentials=False)
                 for connection in foundry_runs.visible_connections(self.store, project)]
        shown = [item for item in shown if (not wanted_type or _same(item["type"], wanted_type))
                 and (not default_only or item["isDefault"])]
        return {"value": shown}

    def _connection(self, project: Project, name: str, with_credentials: bool) -> dict:
        connection = foundry_runs.find_connection(self.store, project, name)
        if connection is None:
            raise FoundryError(404, "NotFound", f"Connection '{name}' was not found in project "
                                                f"'{project.project['name']}'.")
        return foundry_runs.data_plane_connection(connection, with_credentials=with_credentials)

    # --- deployments ---------------------------------------------------------------------------------
    def _deployments(self, project: Project, base_url: str, name: str = "") \
            -> tuple[list[dict], list[foundry_runs.DiscoveryCall]]:
        """The account's own deployments and the models gateway connections declare in `models`; and the discovery
        calls of the connections that list theirs dynamically (`modelDiscovery`, or an ApiManagement connection's
        defaults): the list call of each, or for one `{connection}/{model}` the get call of that connection only.
        A gateway model's name `{connection}/{model}` is sent unescaped, so `name` may hold a slash."""
        shown = [_model_deployment(deployment["name"], deployment) for deployment in
                 self.store.list_type(cs.DEPLOYMENT_TYPE, project.account["id"] + "/deployments/")
                 if (deployment.get("properties") or {}).get("provisioningState") == "Succeeded"]
        calls = []
        wanted_connection, _, wanted_model = name.partition("/")
        for connection in foundry_runs.visible_connections(self.store, project):
            try:
                dynamic = foundry_runs.model_discovery(connection) is not None
            except FoundryError:
                continue   # metadata Foundry cannot read: the connection lists nothing (as with bad `models`)
            if not dynamic:
                for model in foundry_runs.static_models(connection, strict=False):
                    shown.append(_model_deployment(f"{connection['name']}/{model.get('name')}",
                                                   {"properties": model.get("properties") or {}},
                                                   connection_name=connection["name"]))
            elif not name:
                calls.append(self.runner.discovery_call(project, connection, base_url))
            elif wanted_model and _same(connection["name"], wanted_connection):
                calls.append(self.runner.discovery_call(project, connection, base_url, wanted_model))
        return shown, calls

    @staticmethod
    def _list_deployments(query, shown: list[dict]) -> dict:
        for parameter, field in (("modelPublisher", "modelPublisher"), ("modelName", "modelName"),
                                 ("connectionName", "connectionName"), ("deploymentType", "type")):
            if query.get(parameter):
                shown = [item for item in shown if _same(item.get(field), query[parameter])]
        return {"value": shown}

    def _deployment(self, project: Project, name: str, shown: list[dict]) -> dict:
        for item in shown:
            if _same(item["name"], name):
                return item
        raise FoundryError(404, "DeploymentNotFound", f"Deployment '{name}' was not found in project "
                                                      f"'{project.project['name']}'.")

    # --- agents --------------------------------------------------------------------------------------
    def _agent(self, project: Project, name: str) -> dict:
        record = self.store.kv_get(AGENTS_TABLE, _record_key(project, name))
        if record is None:
            raise FoundryError(404, "not_found", f"Agent '{name}' not found.")
        return record

    @staticmethod
    def _version(record: dict, version: str) -> dict:
        found = next((item for item in record["versions"] if item["version"] == version), None)
        if found is None:
            raise FoundryError(404, "not_found", f"Version '{version}' of agent '{record['name']}' not found.")
        return found

    def _create_version(self, project: Project, name: str, body: dict) -> dict:
        if not _AGENT_NAME.match(name):
            raise FoundryError(400, "invalid_value", f"Agent name '{name}' is invalid: it must start and end with "
                                                     "a letter or digit, may hold hyphens and is at most 63 "
                                                     "characters long.", param="agent_name")
        definition = body.get("definition")
        if not isinstance(definition, dict) or not definition.get("kind"):
            raise FoundryError(400, "invalid_payload", "The request must carry a 'definition' with a 'kind'.",
                               param="definition")
        if definition["kind"] == "prompt" and not isinstance(definition.get("model"), str):
            raise FoundryError(400, "invalid_payload", "A prompt agent definition needs a 'model'.",
                               param="definition.model")
        metadata = body.get("metadata") or {}
        if not isinstance(metadata, dict) or not all(isinstance(value, str) for value in metadata.values()):
            raise FoundryError(400, "invalid_payload", "'metadata' must map strings to strings.", param="metadata")
        key = _record_key(project, name)
        record = self.store.kv_get(AGENTS_TABLE, key) or {
            "name": name, "id": name, "created_at": int(time.time()), "_seq": self._next_seq(), "next_version": 1}
        version = str(record["next_version"])
        details = {"object": "agent.version", "id": f"{record['name']}:{version}", "name": record["name"],
                   "version": version, "description": body.get("description"), "metadata": metadata,
                   "created_at": int(time.time()), "definition": definition, "status": "active",
                   "_seq": self._next_seq()}
        record["versions"] = [*record.get("versions", []), details]
        record["next_version"] += 1
        self.store.kv_put(AGENTS_TABLE, key, record)
        return _public(details)

    def _list_agents(self, project: Project, query) -> dict:
        records = [record for _, record in self.store.kv_list(AGENTS_TABLE, project.key + "|")]
        if query.get("kind"):
            records = [record for record in records if record["versions"][-1]["definition"].get("kind") ==
                       query["kind"]]
        page = _page(records, query, null_last_id=True)
        page["data"] = [_agent_details(self._agent(project, item["name"])) for item in page["data"]]
        return page

    def _list_versions(self, project: Project, name: str, query) -> dict:
        return _page(self._agent(project, name)["versions"], query, null_last_id=True)

    def _delete_agent(self, project: Project, name: str) -> dict:
        record = self._agent(project, name)
        self.store.kv_delete(AGENTS_TABLE, _record_key(project, name))
        return {"object": "agent.deleted", "name": record["name"], "deleted": True}

    def _delete_version(self, project: Project, name: str, version: str) -> dict:
        record = self._agent(project, name)
        self._version(record, version)
        record["versions"] = [item for item in record["versions"] if item["version"] != version]
        # An agent is its versions: without any left it is gone (our choice; AgentDetails needs a latest).
        if record["versions"]:
            self.store.kv_put(AGENTS_TABLE, _record_key(project, name), record)
        else:
            self.store.kv_delete(AGENTS_TABLE, _record_key(project, name))
        return {"object": "agent.version.deleted", "name": record["name"], "version": version, "deleted": True}

    # --- conversations -------------------------------------------------------------------------------
    def _conversation(self, project: Project, conversation_id: str) -> dict:
        record = self.store.kv_get(CONVERSATIONS_TABLE, f"{project.key}|{conversation_id}")
        if record is None:
            raise FoundryError(404, "not_found", f"Conversation with id '{conversation_id}' not found.")
        return record

    def _create_conversation(self, project: Project, body: dict) -> dict:
        conversation = {"id": new_id("conv"), "object": "conversation", "created_at": int(time.time()),
                        "metadata": _metadata(body)}
        record = {"conversation": conversation, "items": self.stamp_items(foundry_runs.input_items(body.get("items")
                                                                                                  or []))}
        self.store.kv_put(CONVERSATIONS_TABLE, f"{project.key}|{conversation['id']}", record)
        return conversation

    def stamp_items(self, items: list[dict]) -> list[dict]:
        return [{**item, "_seq": self._next_seq()} for item in items]

    def _update_conversation(self, project: Project, conversation_id: str, body: dict) -> dict:
        record = self._conversation(project, conversation_id)
        record["conversation"]["metadata"] = _metadata(body)
        self.store.kv_put(CONVERSATIONS_TABLE, f"{project.key}|{conversation_id}", record)
        return record["conversation"]

    def _delete_conversation(self, project: Project, conversation_id: str) -> dict:
        self._conversation(project, conversation_id)
        self.store.kv_delete(CONVERSATIONS_TABLE, f"{project.key}|{conversation_id}")
        return {"id": conversation_id, "object": "conversation.deleted", "deleted": True}

    def _add_items(self, project: Project, conversation_id: str, body: dict) -> dict:
        record = self._conversation(project, conversation_id)
        added = self.stamp_items(foundry_runs.input_items(body.get("items") or []))
        record["items"].extend(added)
        self.store.kv_put(CONVERSATIONS_TABLE, f"{project.key}|{conversation_id}", record)
        return {"object": "list", "data": [_public(item) for item in added],
                "first_id": added[0]["id"] if added else None, "last_id": added[-1]["id"] if added else None,
                "has_more": False}

    def _response(self, project: Project, response_id: str) -> dict:
        stored = self.store.kv_get(RESPONSES_TABLE, f"{project.key}|{response_id}")
        if stored is None:
            raise FoundryError(404, "not_found", f"Response with id '{response_id}' not found.")
        return stored


def _json_body(raw: bytes) -> dict:
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw)
    except ValueError:
        raise FoundryError(400, "invalid_json", "The request body is not valid JSON.") from None
    if not isinstance(body, dict):
        raise FoundryError(400, "invalid_json", "The request body must be a JSON object.")
    return body


def _metadata(body: dict) -> dict:
    metadata = body.get("metadata") or {}
    if not isinstance(metadata, dict) or not all(isinstance(value, str) for value in metadata.values()):
        raise FoundryError(400, "invalid_value", "'metadata' must map strings to strings.", param="metadata")
    return metadata


def _agent_details(record: dict) -> dict:
    return {"object": "agent", "id": record["id"], "name": record["name"], "state": "enabled",
            "configuration_state": "enabled", "versions": {"latest": _public(record["versions"][-1])}}


def _model_deployment(name: str, deployment: dict, *, connection_name: str | None = None) -> dict:
    props = deployment.get("properties") or {}
    model = props.get("model") or {}
    sku = deployment.get("sku") or {}
    shown = {"type": "ModelDeployment", "name": name, "modelName": model.get("name") or "",
             "modelVersion": model.get("version") or "", "modelPublisher": model.get("format") or "",
             "capabilities": {key: str(value) for key, value in (props.get("capabilities") or {}).items()},
             "sku": {"capacity": int(sku.get("capacity") or 0), "family": sku.get("family") or "",
                     "name": sku.get("name") or "", "size": sku.get("size") or "", "tier": sku.get("tier") or ""}}
    if connection_name:
        shown["connectionName"] = connection_name
    return shown


def _data_action(method: str, tail: str) -> tuple[str, str]:
    """(data action, operation template) for the PermissionDenied text."""
    section = (tail.split("/", 1)[0] or "").lower()
    verb = "read" if method == "GET" else "write"
    if section in ("connections", "deployments"):
        action = f"Microsoft.CognitiveServices/accounts/AIServices/{section}/{verb}"
    else:
        action = f"Microsoft.CognitiveServices/accounts/AIServices/agents/{verb}"
    operation = "openai/*" if section == "openai" else section
    return action, f"{method} /api/projects/{{projectName}}/{operation}"
