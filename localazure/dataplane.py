"""The API Management gateway data plane, emulated from the ARM state the store holds.

`https://127.0.0.1:PORT/gateway/{service}/{api path}/{rest}` stands for `https://{service}.azure-api.net/...`.
A request is matched to an API and an operation, its subscription key is checked, a small, explicit subset of
the API's policy is evaluated (README "Gateway data plane"), and the chosen backend URL is mapped to a Cognitive
Services account whose Azure OpenAI data plane answers as Azure does.  Nothing here is a separate configuration:
change the ARM resources and the gateway follows.

Error bodies:
  * APIM's own answers are `{"statusCode", "message"}`: 401 missing/invalid key texts (learn.microsoft.com
    troubleshoot/azure/api-mgmt/availability/unauthorized-errors-invoke-apis), 404 "Resource not found" for an
    unmatched API or operation (OperationNotFound, learn.microsoft.com/azure/api-management/api-management-error-
    handling-policies).  The llm-token-limit text is modelled on rate-limit's recorded "Rate limit is exceeded. Try
    again in N seconds."; no recording of the token variant was found.
  * The account's answers are `{"error": {"code", "message"}}`: DeploymentNotFound, PermissionDenied and the
    public-access 403 as quoted in public issue threads and docs.
"""
from __future__ import annotations

import json
import logging
import math
import random
import re
import secrets
import time
import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from aiohttp import web

from localazure.identity import TokenError
from localazure.providers import apimanagement as apim
from localazure.providers import authorization as authz
from localazure.providers import cognitiveservices as cs

ROUTE = "/gateway/{service}/{tail:.*}"
UNEVALUATED_HEADER = "x-localazure-unevaluated-policies"
DEFAULT_KEY_HEADER, DEFAULT_KEY_QUERY = "Ocp-Apim-Subscription-Key", "subscription-key"
WINDOW_SECONDS = 60.0
COGNITIVE_AUDIENCES = ("https://cognitiveservices.azure.com", "https://cognitiveservices.azure.com/")
# Built-in roles whose dataActions include Microsoft.CognitiveServices/accounts/OpenAI/* (Cognitive Services
# User, OpenAI User, OpenAI Contributor, Azure AI User, Azure AI Project Manager; Azure built-in roles reference).
INFERENCE_ROLES = ("a97b65f3-24c7-4388-baec-2e87135dc908", "5e0bd9bd-7b93-4f28-af87-19fc36ad61bd",
                   "a001fd3d-188f-4b5d-821b-7da978bf7442", "53ca6127-db72-4b80-b1b0-d745d6d5456d",
                   "eadc314b-1a2d-4efa-be10-5d325db5065e")
REPLY = "This is a reply from the localazure gateway emulation."

MISSING_KEY = ("Access denied due to missing subscription key. Make sure to include subscription key when making "
               "requests to an API.")
INVALID_KEY = ("Access denied due to invalid subscription key. Make sure to provide a valid key for an active "
               "subscription.")


class Answer(Exception):
    """A finished response raised from deep in the pipeline (an error the client sees as is)."""

    def __init__(self, status: int, body: dict, headers: dict | None = None):
        super().__init__(status)
        self.status, self.body, self.headers = status, body, dict(headers or {})

    def response(self) -> web.Response:
        return web.json_response(self.body, status=self.status, headers=self.headers)


def apim_error(status: int, message: str, headers: dict | None = None) -> Answer:
    return Answer(status, {"statusCode": status, "message": message}, headers)


def account_error(status: int, code: str, message: str) -> Answer:
    return Answer(status, {"error": {"code": code, "message": message}})


class TokenWindows:
    """Tokens used per key in one-minute windows of real time, opened by the first use."""

    def __init__(self, clock=time.time):
        self.clock = clock
        self._windows: dict[str, tuple[float, int]] = {}

    def _current(self, key: str) -> tuple[float, int]:
        start, used = self._windows.get(key, (0.0, 0))
        if self.clock() - start >= WINDOW_SECONDS:
            return self.clock(), 0
        return start, used

    def used(self, key: str) -> int:
        return self._current(key)[1]

    def add(self, key: str, tokens: int) -> None:
        start, used = self._current(key)
        self._windows[key] = (start, used + tokens)

    def seconds_left(self, key: str) -> int:
        start, _ = self._current(key)
        return max(1, math.ceil(start + WINDOW_SECONDS - self.clock()))


@dataclass
class PolicyPlan:
    """What the evaluated inbound policy asks for."""
    backend_id: str | None = None
    base_url: str | None = None
    identity_resource: str | None = None
    identity_client_id: str | None = None
    token_limits: list[dict] = field(default_factory=list)
    unevaluated: list[str] = field(default_factory=list)

    def skip(self, name: str) -> None:
        if name not in self.unevaluated:
            self.unevaluated.append(name)


@dataclass
class Call:
    """The request as the pipeline sees it."""
    method: str
    rest: str                    # path below the API path, no leading slash
    query: dict
    headers: dict
    body: bytes
    client_ip: str


# --- routing ---------------------------------------------------------------------------------------

def _same(a: str | None, b: str | None) -> bool:
    return (a or "").lower() == (b or "").lower()


def _segments(path: str) -> list[str]:
    return [part for part in path.split("/") if part]


def _template_matches(template: str, rest: str) -> bool:
    """An operation urlTemplate against the path below the API: literals, {param} segments and a trailing
    `*` or {*param} wildcard.  The template's query part does not take part in path matching."""
    wanted = _segments(template.split("?", 1)[0])
    given = _segments(rest)
    for index, part in enumerate(wanted):
        if part == "*" or (part.startswith("{*") and part.endswith("}")):
            return index == len(wanted) - 1
        if index >= len(given):
            return False
        if not (part.startswith("{") and part.endswith("}")) and not _same(part, given[index]):
            return False
    return len(given) == len(wanted)


def _api_prefix(api: dict) -> list[str]:
    # Surrounding slashes do not count: the lab's path "inference/" serves /inference/openai/... (lab.md §4.6).
    return [part.lower() for part in _segments((api.get("properties") or {}).get("path") or "")]


# --- the gateway -----------------------------------------------------------------------------------

class Gateway:
    def __init__(self, store, subscription_id: str, settle, *, seed: int = 0, clock=time.time, validate_token=None):
        self.store = store
        self.validate_token = validate_token   # identity.validate: reads a caller's Entra token (see _forwarded)
        self.subscription_id = subscription_id
        self.settle = settle
        self.random = random.Random(seed)         # pool choices are reproducible per server run
        self.policy_windows = TokenWindows(clock)
        self.deployment_windows = TokenWindows(clock)

    async def handle(self, request: web.Request) -> web.StreamResponse:
        call = Call(method=request.method.upper(), rest=request.match_info.get("tail", ""),
                    query=dict(request.query), headers=dict(request.headers), body=await request.read(),
                    client_ip=request.remote or "127.0.0.1")
        with self.store.transaction():
            self.settle()   # operations that fell due (e.g. a deployment create) complete first, as for ARM
            try:
                return self._serve(request.match_info["service"], call).response()
            except Answer as answer:
                return answer.response()
            except Exception:   # an emulation bug must still answer like the gateway, and show in server.log
                logging.exception("gateway error for %s %s", request.method, request.path)
                return apim_error(500, "Internal server error").response()

    def _serve(self, service_name: str, call: Call) -> Answer:
        service = self._service(service_name)
        api = self._api(service["id"], call)
        operation = self._operation(api, call)
        subscription = self._subscription(service["id"], api, call)
        plan = self._plan(service["id"], api, operation)
        extra = {UNEVALUATED_HEADER: ",".join(plan.unevaluated)} if plan.unevaluated else {}
        try:
            answer = self._with_token_limits(service, api, plan, subscription, call)
        except Answer as refused:
            refused.headers.update(extra)
            raise
        answer.headers.update(extra)
        return answer

    # --- service, API, operation, subscription -------------------------------------------------------
    def _service(self, name: str) -> dict:
        for service in self.store.list_type(apim.SERVICE_TYPE, f"/subscriptions/{self.subscription_id}/"):
            if _same(service["name"], name):
                state = (service.get("properties") or {}).get("provisioningState")
                if state in ("Created", "Activating"):
                    break   # the gateway host does not answer before activation
                return service
        raise apim_error(404, "Resource not found")

    def _api(self, service_id: str, call: Call) -> dict:
        given = [part.lower() for part in _segments(call.rest)]
        best, best_length = None, -1
        for api in self.store.list_type(apim.API_TYPE, service_id + "/apis/"):
            props = api.get("properties") or {}
            if ";rev=" in api["name"] or props.get("isCurrent") is False:
                continue   # only the current revision serves the unqualified path
            prefix = _api_prefix(api)
            if given[:len(prefix)] == prefix and len(prefix) > best_length:
                best, best_length = api, len(prefix)
        if best is None:
            raise apim_error(404, "Resource not found")
        call.rest = "/".join(_segments(call.rest)[best_length:])
        return best

    def _operation(self, api: dict, call: Call) -> dict:
        for operation in self.store.list_type(apim.OPERATION_TYPE, api["id"] + "/operations/"):
            props = operation.get("properties") or {}
            if _same(props.get("method"), call.method) and _template_matches(props.get("urlTemplate") or "",
                                                                             call.rest):
                return operation
        raise apim_error(404, "Resource not found")

    def _subscription(self, service_id: str, api: dict, call: Call) -> dict | None:
        props = api.get("properties") or {}
        names = props.get("subscriptionKeyParameterNames") or {}
        header, query = names.get("header") or DEFAULT_KEY_HEADER, names.get("query") or DEFAULT_KEY_QUERY
        key = next((value for name, value in call.headers.items() if _same(name, header)), None)
        if key is None:
            key = call.query.get(query)
        # The gateway removes the key before forwarding (it is APIM's credential, not the backend's).
        call.headers = {name: value for name, value in call.headers.items() if not _same(name, header)}
        call.query.pop(query, None)
        required = props.get("subscriptionRequired", True)
        if not key:
            if required:
                raise apim_error(401, MISSING_KEY)
            return None
        subscription = self._subscription_for_key(service_id, api, key)
        if subscription is None and required:
            raise apim_error(401, INVALID_KEY)
        return subscription

    def _subscription_for_key(self, service_id: str, api: dict, key: str) -> dict | None:
        for subscription in self.store.list_type(apim.SUBSCRIPTION_TYPE, service_id + "/subscriptions/"):
            keys = self.store.kv_get(apim.SECRETS_TABLE, subscription["id"].lower()) or {}
            if key not in (keys.get("primaryKey"), keys.get("secondaryKey")):
                continue
            props = subscription.get("properties") or {}
            if props.get("state") == "active" and self._in_scope(service_id, props.get("scope") or "", api):
                return subscription
        return None

    def _in_scope(self, service_id: str, scope: str, api: dict) -> bool:
        """Scopes: the service (all-access), /apis, /apis/{id}, /products/{id} whose product links the API."""
        relative = scope[len(service_id):] if scope.lower().startswith(service_id.lower()) else scope
        parts = _segments(relative)
        if not parts or parts == ["apis"]:
            return True
        if len(parts) == 2 and parts[0].lower() == "apis":
            return _same(parts[1], api["name"])
        if len(parts) == 2 and parts[0].lower() == "products":
            link = f"{service_id}/products/{parts[1]}".lower() + "/" + api["name"].lower()
            return self.store.kv_get(apim.PRODUCT_APIS_TABLE, link) is not None
        return False

    # --- policy --------------------------------------------------------------------------------------
    def _policy_root(self, scope_id: str) -> ElementTree.Element | None:
        policy = self.store.get(scope_id + "/policies/policy")
        if policy is None:
            return None
        # `value` always holds the formatted XML (expressions escaped); `rawValue` may not parse as XML.
        return ElementTree.fromstring((policy.get("properties") or {}).get("value") or "<policies />")

    def _section(self, roots: list, name: str) -> list[ElementTree.Element]:
        """The effective elements of one section: the innermost scope's, with <base /> expanded outwards.
        A scope without a policy document behaves as a lone <base />."""
        def expand(level: int) -> list[ElementTree.Element]:
            if level < 0:
                return []
            root = roots[level]
            section = root.find(name) if root is not None else None
            if root is None or section is None:
                return expand(level - 1)
            out: list[ElementTree.Element] = []
            for element in section:
                out.extend(expand(level - 1) if element.tag == "base" else [element])
            return out
        return expand(len(roots) - 1)

    def _plan(self, service_id: str, api: dict, operation: dict) -> PolicyPlan:
        roots = [self._policy_root(service_id), self._policy_root(api["id"]), self._policy_root(operation["id"])]
        plan = PolicyPlan()
        for element in self._section(roots, "inbound"):
            if element.tag == "set-backend-service":
                plan.backend_id, plan.base_url = element.get("backend-id"), element.get("base-url")
            elif element.tag == "authentication-managed-identity":
                plan.identity_resource, plan.identity_client_id = element.get("resource"), element.get("client-id")
            elif element.tag in ("llm-token-limit", "azure-openai-token-limit") and _token_limit(element):
                plan.token_limits.append(_token_limit(element))
            else:
                plan.skip(element.tag)
        for name in ("backend", "outbound", "on-error"):
            for element in self._section(roots, name):
                if element.tag != "forward-request":   # forwarding is what the gateway does anyway
                    plan.skip(element.tag)
        return plan

    def _counter(self, limit: dict, api: dict, subscription: dict | None, call: Call) -> str:
        kind = limit["key"]
        value = {"subscription": (subscription or {}).get("name", ""), "ip": call.client_ip,
                 "api": api["name"]}.get(kind, kind)
        return f"{api['id'].lower()}|{kind}|{value}"

    def _with_token_limits(self, service, api, plan, subscription, call) -> Answer:
        counters = [(limit, self._counter(limit, api, subscription, call)) for limit in plan.token_limits]
        estimate = _prompt_tokens(call.body)
        for limit, counter in counters:
            used = self.policy_windows.used(counter)
            if used >= limit["tpm"] or (limit["estimate"] and used + estimate > limit["tpm"]):
                wait = self.policy_windows.seconds_left(counter)
                headers = {limit["retry_header"]: str(wait)}
                if limit["remaining_header"]:
                    headers[limit["remaining_header"]] = str(max(0, limit["tpm"] - used))
                raise apim_error(429, f"Token limit is exceeded. Try again in {wait} seconds.", headers)
        answer = self._forward(service, api, plan, call)
        consumed = ((answer.body or {}).get("usage") or {}).get("total_tokens", 0) if answer.status == 200 else 0
        for limit, counter in counters:
            self.policy_windows.add(counter, consumed)
            if limit["remaining_header"]:
                answer.headers[limit["remaining_header"]] = str(
                    max(0, limit["tpm"] - self.policy_windows.used(counter)))
            if limit["consumed_header"]:
                answer.headers[limit["consumed_header"]] = str(consumed)
        return answer

    # --- backend -------------------------------------------------------------------------------------
    def _forward(self, service: dict, api: dict, plan: PolicyPlan, call: Call) -> Answer:
        backend = None
        url = plan.base_url
        if plan.backend_id:
            backend = self._resolve_backend(service["id"], plan.backend_id)
            url = (backend.get("properties") or {}).get("url")
        url = url or (api.get("properties") or {}).get("serviceUrl")
        if not url:
            raise apim_error(500, "Internal server error", {"x-localazure-error": "no backend URL for the API"})
        account = self._account_for(url)
        identity = self._identity(service, plan, backend)
        path = "/" + "/".join(_segments(urlsplit(url).path) + _segments(call.rest))
        return self._account_call(account, path, call, identity, backend)

    def _resolve_backend(self, service_id: str, backend_id: str, depth: int = 0) -> dict:
        backend = self.store.get(f"{service_id}/backends/{backend_id}")
        if backend is None or depth > 1:
            raise apim_error(500, "Internal server error",
                             {"x-localazure-error": f"backend '{backend_id}' not found"})
        props = backend.get("properties") or {}
        if props.get("type") != "Pool":
            return backend
        member = self._pick(props.get("pool", {}).get("services") or [])
        return self._resolve_backend(service_id, member["id"].rstrip("/").rsplit("/", 1)[-1], depth + 1)

    def _pick(self, members: list[dict]) -> dict:
        """Lowest priority number first; within that group, by weight.  An unset priority counts as 0 and an
        unset weight as 1; a group whose weights are all 0 is chosen from evenly."""
        top = min(member.get("priority") or 0 for member in members)
        group = [member for member in members if (member.get("priority") or 0) == top]
        weights = [1 if member.get("weight") is None else member["weight"] for member in group]
        if sum(weights) <= 0:
            weights = [1] * len(group)
        return self.random.choices(group, weights)[0]

    def _account_for(self, url: str) -> dict:
        host = (urlsplit(url).hostname or "").lower()
        matches = []
        for account in self.store.list_type(cs.ACCOUNT_TYPE, f"/subscriptions/{self.subscription_id}/"):
            props = account.get("properties") or {}
            endpoints = [props.get("endpoint") or "", *(props.get("endpoints") or {}).values()]
            if host in {(urlsplit(endpoint).hostname or "").lower() for endpoint in endpoints}:
                matches.append(account)
        if len(matches) != 1:
            # A regional host is shared by many accounts; only a custom subdomain names one.
            reason = "no" if not matches else "more than one"
            raise apim_error(500, "Internal server error",
                             {"x-localazure-error": f"{reason} Cognitive Services account serves host {host}"})
        return matches[0]

    def _identity(self, service: dict, plan: PolicyPlan, backend: dict | None) -> tuple[str, str] | None:
        """(principal id, token audience) of the managed identity APIM authenticates with, if any: the
        authentication-managed-identity policy, else the backend's credentials.managedIdentity."""
        resource, client_id = plan.identity_resource, plan.identity_client_id
        if resource is None and backend is not None:
            managed = ((backend.get("properties") or {}).get("credentials") or {}).get("managedIdentity") or {}
            resource, client_id = managed.get("resource"), managed.get("clientId")
        if resource is None:
            return None
        identity = service.get("identity") or {}
        if client_id:
            principal = next((entry.get("principalId") for entry in
                              (identity.get("userAssignedIdentities") or {}).values()
                              if _same(entry.get("clientId"), client_id)), None)
        else:
            principal = identity.get("principalId") if "SystemAssigned" in (identity.get("type") or "") else None
        if principal is None:
            raise apim_error(500, "Internal server error",
                             {"x-localazure-error": "the service has no such managed identity"})
        return principal, resource

    # --- the account's Azure OpenAI data plane ------------------------------------------------------
    def _account_call(self, account: dict, path: str, call: Call, identity, backend: dict | None) -> Answer:
        props = account.get("properties") or {}
        if props.get("publicNetworkAccess") == "Disabled":
            raise account_error(403, "403", "Public access is disabled. Please configure private endpoint.")
        if identity is None:
            identity = self._forwarded(call)
        if identity is None:
            self._check_key(account, backend)
        elif identity[1] not in COGNITIVE_AUDIENCES:
            raise account_error(401, "401", "Unauthorized. Access token is missing, invalid, audience is incorrect "
                                            "(https://cognitiveservices.azure.com), or have expired.")
        body = _json(call.body)
        match = re.fullmatch(r"/openai/deployments/([^/]+)/chat/completions", path)
        if match:
            deployment_name, template = match.group(1), "/openai/deployments/{deployment-id}/chat/completions"
        elif path in ("/openai/v1/chat/completions", "/models/chat/completions") and body.get("model"):
            deployment_name, template = body["model"], path
        else:
            raise account_error(404, "404", "Resource not found")
        if call.method != "POST":
            raise account_error(404, "404", "Resource not found")
        if identity is not None and not self._may_infer(identity[0], account["id"]):
            raise account_error(401, "PermissionDenied", (
                f"The principal `{identity[0]}` lacks the required data action "
                "`Microsoft.CognitiveServices/accounts/OpenAI/deployments/chat/completions/action` to perform "
                f"`POST {template}` operation."))
        deployment = self.store.get(f"{account['id']}/deployments/{deployment_name}")
        if deployment is None or (deployment.get("properties") or {}).get("provisioningState") != "Succeeded":
            raise account_error(404, "DeploymentNotFound", (
                "The API deployment for this resource does not exist. If you created the deployment within the "
                "last 5 minutes, please wait a moment and try again."))
        return self._completion(account, deployment, call)

    # --- hook for the Foundry data plane (foundry_runs.py): a caller's own Entra token ----------------------
    def _forwarded(self, call: Call) -> tuple[str, str] | None:
        """(oid, aud) of the bearer token the caller sent, when no policy replaced it: APIM forwards the
        Authorization header, so a Foundry project's managed-identity token reaches the account end to end
        (the foundry-samples APIM connection guide, ProjectManagedIdentity).  An unreadable token counts as a
        wrong one."""
        header = next((value for name, value in call.headers.items() if _same(name, "Authorization")), "")
        if self.validate_token is None or not header.lower().startswith("bearer "):
            return None
        try:
            claims = self.validate_token(header[7:].strip())
        except (TokenError, ValueError):
            return "", ""
        return claims.get("oid") or "", claims.get("aud") or ""

    def _check_key(self, account: dict, backend: dict | None) -> None:
        """Without a managed identity the backend call carries only the backend's credentials.header api-key."""
        header = (((backend or {}).get("properties") or {}).get("credentials") or {}).get("header") or {}
        values = next((value for name, value in header.items() if _same(name, "api-key")), None) or []
        key = values[0] if isinstance(values, list) and values else values
        keys = self.store.kv_get(cs.KEYS_TABLE, account["id"].lower()) or {}
        if key and key in keys.values():
            if (account.get("properties") or {}).get("disableLocalAuth"):
                raise account_error(401, "AuthenticationTypeDisabled",
                                    "Key based authentication is disabled for this resource.")
            return
        raise account_error(401, "401", "Access denied due to invalid subscription key or wrong API endpoint. Make "
                                        "sure to provide a valid key for an active subscription and use a correct "
                                        "regional API endpoint for your resource.")

    def _may_infer(self, principal: str, account_id: str) -> bool:
        """A role assignment of an inference role to the principal at the account or any scope above it."""
        for assignment in self.store.list_type(authz.ASSIGNMENT_TYPE, f"/subscriptions/{self.subscription_id}"):
            props = assignment.get("properties") or {}
            scope = (props.get("scope") or authz.assignment_scope(assignment["id"])).lower().rstrip("/")
            role = (props.get("roleDefinitionId") or "").rsplit("/", 1)[-1].lower()
            covers = account_id.lower() == scope or account_id.lower().startswith(scope + "/")
            if covers and _same(props.get("principalId"), principal) and role in INFERENCE_ROLES:
                return True
        return False

    def _completion(self, account: dict, deployment: dict, call: Call) -> Answer:
        prompt = _prompt_tokens(call.body)
        completion = max(1, len(REPLY) // 4)
        total = prompt + completion
        props = deployment.get("properties") or {}
        limit = next((rule.get("count") for rule in props.get("rateLimits") or [] if rule.get("key") == "token"),
                     0)
        self.deployment_windows.add(deployment["id"].lower(), total)
        remaining = max(0, int(limit or 0) - self.deployment_windows.used(deployment["id"].lower()))
        body = {"id": "chatcmpl-" + secrets.token_hex(12), "object": "chat.completion", "created": int(time.time()),
                "model": (props.get("model") or {}).get("name") or deployment["name"],
                "system_fingerprint": None,
                "choices": [{"index": 0, "finish_reason": "stop", "logprobs": None,
                             "message": {"role": "assistant", "content": REPLY, "refusal": None}}],
                "usage": {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": total}}
        return Answer(200, body, {"x-ms-region": account.get("location") or "",
                                  "x-ratelimit-remaining-tokens": str(remaining)})


def _token_limit(element: ElementTree.Element) -> dict | None:
    """The attributes evaluated; None (so: listed as unevaluated) when a value needs an expression
    this emulation does not evaluate, or the policy sets only a quota."""
    key = element.get("counter-key") or ""
    known = {"@(context.Subscription.Id)": "subscription", "@(context.Request.IpAddress)": "ip",
             "@(context.Api.Id)": "api"}
    tokens = element.get("tokens-per-minute") or ""
    if (key.startswith("@") and key.replace(" ", "") not in known) or not tokens.isdigit():
        return None
    return {"key": known.get(key.replace(" ", ""), "literal:" + key), "tpm": int(tokens),
            "estimate": (element.get("estimate-prompt-tokens") or "").lower() == "true",
            "retry_header": element.get("retry-after-header-name") or "Retry-After",
            "remaining_header": element.get("remaining-tokens-header-name"),
            "consumed_header": element.get("tokens-consumed-header-name")}


def _json(raw: bytes) -> dict:
    try:
        value = json.loads(raw) if raw.strip() else {}
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _prompt_tokens(raw: bytes) -> int:
    """About four bytes per token, as OpenAI's rule of thumb; deterministic from the request size."""
    return max(1, len(raw) // 4)
