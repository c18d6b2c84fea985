"""How a Foundry project runs an agent's model: `<connection>/<deployment>` → the project's (or the account's shared)
connection → the gateway URL from `target`, `deploymentInPath`, `inferenceAPIVersion`, `customHeaders` and
`authConfig` → a real HTTPS call to the APIM gateway this server emulates → an OpenAI Response.

The rules are Foundry's for APIM and model-gateway connections (Microsoft Learn "Bring your own model to Foundry
Agent Service" / the foundry-samples connection guides): `deploymentInPath: "true"` calls
`{target}/deployments/{deployment}/chat/completions`, `"false"` calls `{target}/chat/completions` with the
deployment as `model`; `inferenceAPIVersion` becomes `?api-version=`; ApiKey sends `api-key: <key>` unless
`authConfig` renames the header and formats the value; ProjectManagedIdentity sends a token of the project's
system identity for the connection's `audience`; OAuth2 (ModelGateway) first asks the connection's `tokenUrl` for a
token with the client credentials grant and sends it as `Authorization: Bearer`.  `https://{service}.azure-api.net/...`
is reached at this server's `/gateway/{service}/...`, so the gateway's own checks and request log apply.
"""
from __future__ import annotations

import json
import secrets
import ssl
import time
from dataclasses import dataclass
from urllib.parse import quote, urlsplit

import aiohttp

from localazure.services.cognitiveservices import accounts as cs

GATEWAY_CATEGORIES = ("ApiManagement", "ModelGateway")
# The audience of a ProjectManagedIdentity connection without one (foundry-samples' APIM connection sets it).
DEFAULT_AUDIENCE = "https://cognitiveservices.azure.com"
GATEWAY_HOST_SUFFIX = ".azure-api.net"
CALL_TIMEOUT_SECONDS = 60
# ARM authType -> the data plane's credentials.type (azure.ai.projects.models.CredentialType).
CREDENTIAL_TYPES = {"ApiKey": "ApiKey", "AAD": "AAD", "ProjectManagedIdentity": "AAD", "ManagedIdentity": "AAD",
                    "SAS": "SAS", "CustomKeys": "CustomKeys", "None": "None"}
# Entra's token host: an OAuth2 connection's tokenUrl there is this endpoint's own tenant (localazure/identity.py).
ENTRA_HOST = "login.microsoftonline.com"


class FoundryError(Exception):
    """An error answer: `{"error": {code, message, param, type, details, additionalInfo}}` with an HTTP status."""

    def __init__(self, status: int, code: str, message: str, *, error_type: str = "invalid_request_error",
                 param: str | None = None):
        super().__init__(f"{status} {code}: {message}")
        self.status, self.code, self.message, self.error_type, self.param = status, code, message, error_type, param

    def body(self) -> dict:
        return {"error": {"code": self.code, "message": self.message, "param": self.param, "type": self.error_type,
                          "details": [], "additionalInfo": {}}}


def new_id(prefix: str) -> str:
    return f"{prefix}_{secrets.token_hex(24)}"


# --- connections as the project sees them ---------------------------------------------------------------

def visible_connections(store, project) -> list[dict]:
    """The project's own connections, then the account's connections shared to all projects (`isSharedToAll`);
    a project connection hides an account connection of the same name."""
    own = store.list_type(cs.PROJECT_CONNECTION_TYPE, project.project["id"] + "/connections/")
    names = {connection["name"].lower() for connection in own}
    shared = [connection for connection in store.list_type(cs.ACCOUNT_CONNECTION_TYPE,
                                                           project.account["id"] + "/connections/")
              if (connection.get("properties") or {}).get("isSharedToAll") and connection["name"].lower() not in names]
    return own + shared


def find_connection(store, project, name: str) -> dict | None:
    return next((connection for connection in visible_connections(store, project)
                 if connection["name"].lower() == name.lower()), None)


def data_plane_connection(connection: dict, *, with_credentials: bool) -> dict:
    """The ARM connection as azure.ai.projects.models.Connection: category → type, authType → credentials.type;
    the secret only through getConnectionWithCredentials."""
    props = connection.get("properties") or {}
    auth_type = props.get("authType") or "None"
    credentials = {"type": CREDENTIAL_TYPES.get(auth_type, auth_type)}
    stored = props.get("credentials") or {}
    if with_credentials and auth_type == "ApiKey" and stored.get("key"):
        credentials["key"] = stored["key"]
    elif with_credentials and auth_type == "CustomKeys" and isinstance(stored.get("keys"), dict):
        credentials["keys"] = dict(stored["keys"])
    return {"name": connection["name"], "id": connection["id"], "type": props.get("category") or "",
            "target": props.get("target") or "", "isDefault": bool(props.get("isDefault", False)),
            "credentials": credentials,
            "metadata": {key: value if isinstance(value, str) else json.dumps(value)
                         for key, value in (props.get("metadata") or {}).items()}}


def _metadata_problem(connection: dict, message: str) -> FoundryError:
    # Foundry validates gateway connection metadata when it uses it; the code is our choice.
    return FoundryError(400, "InvalidConnectionMetadata", f"Connection '{connection['name']}': {message}")


def _json_metadata(connection: dict, key: str, kind: type):
    raw = ((connection.get("properties") or {}).get("metadata") or {}).get(key)
    if raw in (None, ""):
        return None
    try:
        value = json.loads(raw) if isinstance(raw, str) else raw
    except ValueError:
        raise _metadata_problem(connection, f"metadata '{key}' is not valid JSON: {raw!r}.") from None
    if not isinstance(value, kind):
        raise _metadata_problem(connection, f"metadata '{key}' must be a JSON {kind.__name__}, got {raw!r}.")
    return value


def static_models(connection: dict, *, strict: bool = True) -> list[dict]:
    """The `models` metadata (static discovery): [{name, properties: {model: {name, version, format}}}]."""
    try:
        return [model for model in _json_metadata(connection, "models", list) or [] if isinstance(model, dict)]
    except FoundryError:
        if strict:
            raise
        return []


# --- dynamic discovery ---------------------------------------------------------------------------------
# foundry-samples 01-connections/apim APIM-Connection-Objects.md, "ModelDiscovery (Dynamic Discovery)": Foundry calls
# `{target}{listModelsEndpoint}` (or `getModelEndpoint` with the deployment for {deploymentName}) with the
# connection's credential headers, appends `?api-version={deploymentAPIVersion}` only when the connection has one,
# and reads the answer by `deploymentProvider`: AzureOpenAI `{"value": [{name, properties: {model}}]}` / one item,
# OpenAI `{"data": [{id, ...}]}` / one `{id}` (the id is deployment and model name, no version).  The same page's
# fallback for an ApiManagement connection with neither `models` nor `modelDiscovery` (the APIM defaults) is not
# emulated: such a connection lists nothing here and runs any `<connection>/<deployment>` it is given.
DISCOVERY_KEYS = ("listModelsEndpoint", "getModelEndpoint", "deploymentProvider")
DEPLOYMENT_PROVIDERS = ("AzureOpenAI", "OpenAI")


def model_discovery(connection: dict) -> dict | None:
    """The gateway connection's dynamic discovery settings (`modelDiscovery`), or None."""
    props = connection.get("properties") or {}
    if props.get("category") not in GATEWAY_CATEGORIES:
        return None
    discovery = _json_metadata(connection, "modelDiscovery", dict)
    if discovery is None:
        return None
    if static_models(connection):
        raise _metadata_problem(connection, "metadata 'models' and 'modelDiscovery' cannot both be set: either "
                                            "static or dynamic discovery.")
    missing = [key for key in DISCOVERY_KEYS if not isinstance(discovery.get(key), str) or not discovery[key]]
    if missing:
        raise _metadata_problem(connection, f"metadata 'modelDiscovery' needs {', '.join(missing)}.")
    if discovery["deploymentProvider"] not in DEPLOYMENT_PROVIDERS:
        raise _metadata_problem(connection, f"metadata 'modelDiscovery' deploymentProvider must be AzureOpenAI or "
                                            f"OpenAI, got {discovery['deploymentProvider']!r}.")
    if "{deploymentName}" not in discovery["getModelEndpoint"]:
        raise _metadata_problem(connection, "metadata 'modelDiscovery' getModelEndpoint must contain "
                                            "{deploymentName}.")
    return discovery


@dataclass(frozen=True)
class ClientCredentials:
    """An OAuth2 connection's token request, made when its call is (outside any store transaction).

    foundry-samples 01-connections/model-gateway: modelgateway-setup-guide-for-agents.md ("Foundry will fetch tokens
    from your token URL using client credentials flow"; "Tokens are sent in the standard `Authorization: Bearer
    {token}` header") and the connection's `tokenUrl`, `scopes` and `credentials: {clientId, clientSecret}`
    (modules/modelgateway-connection-common.bicep). The form fields are RFC 6749 4.4.2's as the folder's
    test_model_gateway_connection.py sends them (client_id and client_secret in the body, scopes space-separated);
    how Foundry itself sends them, and whether it caches the token, is not documented."""
    url: str
    client_id: str
    client_secret: str
    scopes: tuple

    def form(self) -> dict:
        form = {"grant_type": "client_credentials", "client_id": self.client_id, "client_secret": self.client_secret}
        if self.scopes:
            form["scope"] = " ".join(self.scopes)
        return form


@dataclass
class DiscoveryCall:
    """One discovery request Foundry makes through a connection: the list, or one deployment (`deployment`)."""
    connection: str
    url: str
    headers: dict
    provider: str
    deployment: str | None = None
    grant: ClientCredentials | None = None   # OAuth2: the token to get first


def discovered_models(call: DiscoveryCall, payload) -> list[dict]:
    """The answer as the connection's models ([{name, properties: {model: {name, version, format}}}])."""
    items = [payload] if call.deployment is not None else \
        (payload or {}).get("value" if call.provider == "AzureOpenAI" else "data") if isinstance(payload, dict) else None
    if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
        raise FoundryError(502, "InvalidDiscoveryResponse", f"Connection '{call.connection}': the gateway's "
                                                            f"discovery answer is not the {call.provider} shape.",
                           error_type="server_error")
    if call.provider == "AzureOpenAI":
        return [item for item in items if isinstance(item.get("name"), str)]
    return [{"name": item["id"], "properties": {"model": {"name": item["id"], "version": "", "format": "OpenAI"}}}
            for item in items if isinstance(item.get("id"), str)]


# --- a run ---------------------------------------------------------------------------------------------

@dataclass
class RunPlan:
    """What one POST /openai/v1/responses will do, resolved inside a store transaction."""
    model: str
    connection: str
    deployment: str
    url: str
    headers: dict
    chat: dict
    instructions: str | None
    agent_reference: dict | None
    conversation_id: str | None
    new_items: list[dict]
    metadata: dict
    temperature: float | None = None
    top_p: float | None = None
    discovery: DiscoveryCall | None = None   # a dynamic-discovery connection: is the deployment the gateway's?
    grant: ClientCredentials | None = None   # OAuth2: the token to get first


def input_items(raw) -> list[dict]:
    """Input as stored conversation items: a string is one user message; each element may be `{role, content}`
    (content a string or a list of text parts) or a `message` item."""
    if isinstance(raw, str):
        raw = [{"role": "user", "content": raw}]
    if not isinstance(raw, list):
        raise FoundryError(400, "invalid_type", "'input' must be a string or a list of items.", param="input")
    items = []
    for index, entry in enumerate(raw):
        if not isinstance(entry, dict) or entry.get("type", "message") != "message" or \
                entry.get("role") not in ("user", "assistant", "system", "developer"):
            raise FoundryError(400, "invalid_value", f"input[{index}] is not a message with a role of user, "
                                                     "assistant, system or developer (other item types are not "
                                                     "emulated).", param=f"input[{index}]")
        role = entry["role"]
        text = _text_of(entry.get("content"), index)
        part = "output_text" if role == "assistant" else "input_text"
        content = {"type": part, "text": text, **({"annotations": []} if role == "assistant" else {})}
        items.append({"type": "message", "id": new_id("msg"), "status": "completed", "role": role,
                      "content": [content]})
    return items


def _text_of(content, index: int) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list) and all(isinstance(part, dict) and isinstance(part.get("text"), str)
                                         for part in content):
        return "".join(part["text"] for part in content)
    raise FoundryError(400, "invalid_value", f"input[{index}].content must be a string or a list of text parts.",
                       param=f"input[{index}].content")


def _chat_message(item: dict) -> dict:
    return {"role": item["role"], "content": "".join(part.get("text", "") for part in item.get("content") or [])}


class Runner:
    def __init__(self, store, identity, ca_file: str):
        self.store = store
        self.identity = identity
        self.ca_file = str(ca_file)
        self._ssl: ssl.SSLContext | None = None   # made on first use: the CA is written when the server starts

    # --- plan (inside the store transaction) ------------------------------------------------------------
    def plan(self, project, body: dict, *, base_url: str, agent_lookup, conversation_lookup) -> RunPlan:
        if body.get("stream"):
            raise FoundryError(400, "unsupported_parameter", "stream=true is not emulated for responses.",
                               param="stream")
        if body.get("previous_response_id"):
            raise FoundryError(400, "unsupported_parameter", "previous_response_id is not emulated; use a "
                                                             "conversation.", param="previous_response_id")
        reference = body.get("agent_reference") or body.get("agent")
        definition: dict = {}
        if reference is not None:
            if not isinstance(reference, dict) or not reference.get("name"):
                raise FoundryError(400, "invalid_value", "'agent_reference' needs a 'name'.", param="agent_reference")
            definition, reference = agent_lookup(reference)
            if definition.get("kind") != "prompt":
                # Only prompt agents run a `<connection>/<deployment>` model (Learn "Bring your own model to
                # Foundry Agent Service"; users report DeploymentNotFound for hosted agents).
                raise FoundryError(400, "invalid_value", f"Agent '{reference['name']}' is a "
                                                         f"'{definition.get('kind')}' agent; only prompt agents run "
                                                         "here.", param="agent_reference")
            model = definition.get("model") or ""
        elif isinstance(body.get("model"), str):
            model = body["model"]
        else:
            raise FoundryError(400, "missing_required_parameter", "Either 'agent_reference' or 'model' is required.",
                               param="agent_reference")
        conversation = body.get("conversation")
        conversation_id = conversation.get("id") if isinstance(conversation, dict) else conversation
        history = conversation_lookup(conversation_id)["items"] if conversation_id else []
        new_items = input_items(body.get("input") if body.get("input") is not None else [])
        instructions = definition.get("instructions") or body.get("instructions")
        messages = ([{"role": "system", "content": instructions}] if instructions else []) + \
            [_chat_message(item) for item in history + new_items if item.get("type") == "message"]
        connection, deployment = self._connection_for(project, model)
        url, headers, chat = self._request(project, connection, deployment, messages, base_url)
        discovery = self.discovery_call(project, connection, base_url, deployment) \
            if model_discovery(connection) is not None else None
        for name in ("temperature", "top_p"):
            value = definition.get(name, body.get(name))
            if value is not None:
                chat[name] = value
        return RunPlan(model=model, connection=connection["name"], deployment=deployment, url=url, headers=headers,
                       chat=chat, instructions=instructions, agent_reference=reference,
                       conversation_id=conversation_id, new_items=new_items, metadata=body.get("metadata") or {},
                       temperature=chat.get("temperature"), top_p=chat.get("top_p"), discovery=discovery,
                       grant=self.client_credentials(connection, base_url))

    def discovery_call(self, project, connection: dict, base_url: str, deployment: str | None = None) \
            -> DiscoveryCall:
        """The list call (or, for `deployment`, the get call) Foundry makes to learn a dynamic connection's models."""
        discovery = model_discovery(connection)
        props = connection.get("properties") or {}
        endpoint = discovery["listModelsEndpoint"] if deployment is None else \
            discovery["getModelEndpoint"].replace("{deploymentName}", quote(deployment, safe=""))
        url = (props.get("target") or "").rstrip("/") + "/" + endpoint.lstrip("/")
        version = (props.get("metadata") or {}).get("deploymentAPIVersion")
        url = _local_url(connection, url, base_url) + (f"?api-version={version}" if version else "")
        return DiscoveryCall(connection["name"], url, self._credential_headers(project, connection),
                             discovery["deploymentProvider"], deployment, self.client_credentials(connection, base_url))

    def _connection_for(self, project, model: str) -> tuple[dict, str]:
        if "/" not in model:
            # A deployment of the project's own account is not run by this emulation; Foundry's answer for a
            # deployment it cannot find is DeploymentNotFound (the text is ours).
            raise FoundryError(404, "DeploymentNotFound", f"The model '{model}' is not a '<connection>/<deployment>' "
                                                          "model; deployments of the project's own account are not "
                                                          "run by this emulation.", param="model")
        name, deployment = model.split("/", 1)
        connection = find_connection(self.store, project, name)
        if connection is None:
            raise FoundryError(404, "DeploymentNotFound", f"The model '{model}' names the connection '{name}', which "
                                                          f"project '{project.project['name']}' does not have (nor "
                                                          "its account, shared to all projects).", param="model")
        category = (connection.get("properties") or {}).get("category")
        if category not in GATEWAY_CATEGORIES:
            raise FoundryError(400, "invalid_value", f"Connection '{name}' has category '{category}'; this "
                                                     "emulation runs models only through ApiManagement and "
                                                     "ModelGateway connections.", param="model")
        models = static_models(connection)
        if models and deployment.lower() not in {str(item.get("name", "")).lower() for item in models}:
            raise FoundryError(404, "DeploymentNotFound", f"Connection '{name}' lists no model named '{deployment}' "
                                                          "in its 'models' metadata.", param="model")
        return connection, deployment

    def _request(self, project, connection: dict, deployment: str, messages: list[dict],
                 base_url: str) -> tuple[str, dict, dict]:
        props = connection.get("properties") or {}
        metadata = props.get("metadata") or {}
        in_path = metadata.get("deploymentInPath")
        if in_path is None and props.get("category") == "ApiManagement":
            raise _metadata_problem(connection, "metadata 'deploymentInPath' is required for ApiManagement "
                                                "connections ('true' or 'false').")
        in_path = str(in_path if in_path is not None else "false").lower()
        if in_path not in ("true", "false"):
            raise _metadata_problem(connection, f"metadata 'deploymentInPath' must be 'true' or 'false', got "
                                                f"{metadata.get('deploymentInPath')!r}.")
        target = (props.get("target") or "").rstrip("/")
        path = f"/deployments/{deployment}/chat/completions" if in_path == "true" else "/chat/completions"
        # Empty or absent: no api-version at all (foundry-samples 01-connections/apim apim-setup-guide-for-agents.md,
        # "If not required, this will need to be kept an empty string"; its test_apim_connection.py builds the URL so).
        version = metadata.get("inferenceAPIVersion")
        url = _local_url(connection, target + path, base_url) + (f"?api-version={version}" if version else "")
        headers = {"Content-Type": "application/json"}
        headers.update({str(key): str(value) for key, value in
                        (_json_metadata(connection, "customHeaders", dict) or {}).items()})
        headers.update(self._credential_headers(project, connection))
        chat = {"messages": messages}
        if in_path == "false":
            chat["model"] = deployment
        return url, headers, chat

    def _credential_headers(self, project, connection: dict) -> dict:
        props = connection.get("properties") or {}
        auth_type = props.get("authType")
        if auth_type == "ApiKey":
            key = (props.get("credentials") or {}).get("key")
            if not key:
                raise _metadata_problem(connection, "the ApiKey connection holds no key.")
            config = _json_metadata(connection, "authConfig", dict) or {}
            if config and config.get("type", "api_key") != "api_key":
                raise _metadata_problem(connection, f"metadata 'authConfig' type {config.get('type')!r} is not "
                                                    "'api_key'.")
            value = str(config.get("format") or "{api_key}")
            if "{api_key}" not in value:
                raise _metadata_problem(connection, "metadata 'authConfig' format must contain '{api_key}'.")
            return {str(config.get("name") or "api-key"): value.replace("{api_key}", key)}
        if auth_type == "ProjectManagedIdentity":
            identity = project.project.get("identity") or {}
            principal = identity.get("principalId")
            if "SystemAssigned" not in (identity.get("type") or "") or not principal:
                raise _metadata_problem(connection, f"project '{project.project['name']}' has no system-assigned "
                                                    "identity to authenticate with.")
            # As Entra issues a managed identity's token: oid is its principal, xms_mirid the resource it belongs to.
            token, _ = self.identity.issue_for_managed_identity(principal, props.get("audience") or DEFAULT_AUDIENCE,
                                                                project.project["id"])
            return {"Authorization": f"Bearer {token}"}
        if auth_type in ("None", "OAuth2"):   # OAuth2: the bearer token is got when the call is made
            return {}
        raise _metadata_problem(connection, f"authType '{auth_type}' is not run by this emulation (ApiKey, "
                                            "ProjectManagedIdentity, OAuth2 or None).")

    @staticmethod
    def client_credentials(connection: dict, base_url: str) -> ClientCredentials | None:
        """An OAuth2 connection's token request (None for other auth types); refused when the connection lacks a
        part of it, as foundry-samples' connection-modelgateway.bicep refuses to write one ("clientId,
        clientSecret, and tokenUrl are required when authType is OAuth2")."""
        props = connection.get("properties") or {}
        if props.get("authType") != "OAuth2":
            return None
        stored = props.get("credentials") or {}
        missing = [name for name, value in (("credentials.clientId", stored.get("clientId")),
                                            ("credentials.clientSecret", stored.get("clientSecret")),
                                            ("tokenUrl", props.get("tokenUrl"))) if not value]
        if missing:
            raise _metadata_problem(connection, f"the OAuth2 connection has no {', '.join(missing)}.")
        scopes = props.get("scopes") or []
        if not isinstance(scopes, list) or not all(isinstance(scope, str) for scope in scopes):
            raise _metadata_problem(connection, f"'scopes' must be a list of strings, got {scopes!r}.")
        return ClientCredentials(_token_url(connection, str(props["tokenUrl"]), base_url), str(stored["clientId"]),
                                 str(stored["clientSecret"]), tuple(scopes))

    # --- the calls (outside any store transaction) ---------------------------------------------------------
    async def _send(self, connection: str, method: str, url: str, headers: dict, body=None, *,
                    form: dict | None = None) -> tuple[int, object]:
        timeout = aiohttp.ClientTimeout(total=CALL_TIMEOUT_SECONDS)
        if self._ssl is None:
            self._ssl = ssl.create_default_context(cafile=self.ca_file)
        try:
            async with aiohttp.ClientSession(timeout=timeout) as session:
                async with session.request(method, url, json=body, data=form, headers=headers,
                                           ssl=self._ssl) as answer:
                    status, text = answer.status, await answer.text()
        except aiohttp.ClientError as error:
            raise FoundryError(502, "server_error", f"The call through connection '{connection}' could not reach "
                                                    f"the gateway: {error}", error_type="server_error") from None
        try:
            return status, json.loads(text) if text.strip() else {}
        except ValueError:
            return status, {"message": text[:200]}

    async def _with_token(self, connection: str, headers: dict, grant: ClientCredentials | None) -> dict:
        """The call's headers, with an OAuth2 connection's bearer token from its token URL. A token endpoint that
        refuses is answered 401 with its error (Foundry's answer then is not documented; status and code ours)."""
        if grant is None:
            return headers
        status, payload = await self._send(connection, "POST", grant.url, {}, form=grant.form())
        token = payload.get("access_token") if isinstance(payload, dict) else None
        if status != 200 or not isinstance(token, str) or not token:
            detail = payload.get("error_description") or payload.get("error") or payload.get("message") \
                if isinstance(payload, dict) else None
            raise FoundryError(401, "OAuth2TokenRequestFailed", f"Connection '{connection}': its token URL answered "
                                                               f"{status} to the client credentials request: "
                                                               f"{detail or 'no access_token'}")
        return {**headers, "Authorization": f"Bearer {token}"}

    async def discover(self, call: DiscoveryCall) -> list[dict]:
        """The models a dynamic connection's gateway lists (or the one it gets); a deployment the gateway does not
        have is DeploymentNotFound, another failure the gateway's answer."""
        headers = await self._with_token(call.connection, call.headers, call.grant)
        status, payload = await self._send(call.connection, "GET", call.url, headers)
        if status == 404 and call.deployment is not None:
            raise FoundryError(404, "DeploymentNotFound", f"The gateway of connection '{call.connection}' has no "
                                                          f"deployment '{call.deployment}' (its discovery answered "
                                                          "404).", param="model")
        if status != 200:
            inner = payload.get("error") if isinstance(payload, dict) and isinstance(payload.get("error"), dict) \
                else payload if isinstance(payload, dict) else {}
            raise FoundryError(status, str(inner.get("code") or inner.get("statusCode") or status),
                               f"Model discovery through connection '{call.connection}' failed (gateway answered "
                               f"{status}): {inner.get('message') or ''}",
                               error_type="server_error" if status >= 500 else "invalid_request_error")
        return discovered_models(call, payload)

    async def call(self, plan: RunPlan) -> dict:
        if plan.discovery is not None:
            await self.discover(plan.discovery)
        headers = await self._with_token(plan.connection, plan.headers, plan.grant)
        status, payload = await self._send(plan.connection, "POST", plan.url, headers, plan.chat)
        if status != 200:
            raise _upstream_error(plan, status, payload if isinstance(payload, dict) else {})
        return payload

    # --- the response ------------------------------------------------------------------------------------
    @staticmethod
    def response(plan: RunPlan, completion: dict) -> tuple[dict, dict]:
        """(OpenAI Response, the assistant's conversation item) from a chat completion."""
        choice = (completion.get("choices") or [{}])[0]
        text = ((choice.get("message") or {}).get("content")) or ""
        usage = completion.get("usage") or {}
        message = {"type": "message", "id": new_id("msg"), "status": "completed", "role": "assistant",
                   "content": [{"type": "output_text", "text": text, "annotations": []}]}
        response = {
            "id": new_id("resp"), "object": "response", "created_at": int(time.time()), "status": "completed",
            "model": plan.model, "output": [message], "error": None, "incomplete_details": None,
            "instructions": plan.instructions, "metadata": plan.metadata, "parallel_tool_calls": True,
            "temperature": plan.temperature, "top_p": plan.top_p, "tool_choice": "auto", "tools": [],
            "conversation": {"id": plan.conversation_id} if plan.conversation_id else None,
            "usage": {"input_tokens": int(usage.get("prompt_tokens") or 0),
                      "input_tokens_details": {"cached_tokens": 0, "cache_write_tokens": 0},
                      "output_tokens": int(usage.get("completion_tokens") or 0),
                      "output_tokens_details": {"reasoning_tokens": 0},
                      "total_tokens": int(usage.get("total_tokens") or 0)}}
        if plan.agent_reference is not None:
            response["agent_reference"] = plan.agent_reference
        return response, message


def _local_url(connection: dict, url: str, base_url: str) -> str:
    """`https://{service}.azure-api.net/...` → this server's `/gateway/{service}/...`; a URL already on this server
    is used as is.  Anything else is outside what this endpoint can reach."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if parts.scheme == "https" and host.endswith(GATEWAY_HOST_SUFFIX) and host.count(".") == 2:
        return f"{base_url}/gateway/{host.split('.', 1)[0]}{parts.path}"
    if f"{parts.scheme}://{parts.netloc}".lower() == base_url.lower():
        return url
    raise _metadata_problem(connection, f"target '{connection['properties'].get('target')}' is neither an API "
                                        "Management gateway (https://{service}.azure-api.net) nor this endpoint, "
                                        "so this emulation cannot reach it.")


def _token_url(connection: dict, url: str, base_url: str) -> str:
    """An OAuth2 connection's token URL as this endpoint reaches it: Entra's (login.microsoftonline.com, whose
    tenant this endpoint plays) at this server, a URL of this server as is; anything else cannot be reached."""
    parts = urlsplit(url)
    if parts.scheme == "https" and (parts.hostname or "").lower() == ENTRA_HOST:
        return base_url + parts.path
    if f"{parts.scheme}://{parts.netloc}".lower() == base_url.lower():
        return url
    raise _metadata_problem(connection, f"tokenUrl '{url}' is neither Entra's (https://{ENTRA_HOST}) nor this "
                                        "endpoint's, so this emulation cannot reach it.")


def _upstream_error(plan: RunPlan, status: int, payload: dict) -> FoundryError:
    """The gateway's answer, passed through: its status, its code (`error.code` from the model host, `statusCode`
    from APIM itself) and its message, prefixed with what was being called (the prefix is ours)."""
    inner = payload.get("error") if isinstance(payload.get("error"), dict) else payload
    code = str(inner.get("code") or payload.get("statusCode") or status)
    message = str(inner.get("message") or "")
    return FoundryError(status, code, f"The model '{plan.model}' failed through connection '{plan.connection}' "
                                      f"(gateway answered {status} {code}): {message}",
                        error_type="server_error" if status >= 500 else "invalid_request_error")
