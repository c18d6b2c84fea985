"""The API Management gateway data plane, emulated from the ARM state the store holds.

`https://127.0.0.1:PORT/gateway/{service}/{api path}/{rest}` stands for `https://{service}.azure-api.net/...`.
A request is matched to an API and an operation, its subscription key is checked, a small, explicit subset of
the API's policy is evaluated (README "Gateway data plane"), and the chosen backend URL is mapped to a Cognitive
Services account whose Azure OpenAI data plane answers as Azure does: chat completions (whole or streamed as
server-sent events) and embeddings.  Each request the service answers is written to its resource logs when a
diagnostic setting sends them to a Log Analytics workspace (loganalytics.py).  Nothing here is a separate
configuration: change the ARM resources and the gateway follows.

Error bodies:
  * APIM's own answers are `{"statusCode", "message"}`: 401 missing/invalid key texts (learn.microsoft.com
    troubleshoot/azure/api-mgmt/availability/unauthorized-errors-invoke-apis), 404 "Resource not found" for an
    unmatched API or operation (OperationNotFound, learn.microsoft.com/azure/api-management/api-management-error-
    handling-policies, which also names the LastError reasons the logs carry).  The llm-token-limit text is
    modelled on rate-limit's recorded "Rate limit is exceeded. Try again in N seconds."; no recording of the token
    variant was found.
  * The account's answers are `{"error": {"code", "message"}}`: DeploymentNotFound, PermissionDenied,
    OperationNotSupported and the public-access 403 as quoted in public issue threads and docs; invalid embeddings
    parameters get OpenAI's `{"error": {message, type: invalid_request_error, param, code}}` (texts ours).
"""
from __future__ import annotations

import base64
import hashlib
import json
import logging
import math
import random
import re
import secrets
import struct
import time
import uuid
import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass, field
from datetime import datetime, timezone
from urllib.parse import urlencode, urlsplit

from aiohttp import web

from localazure.services.cognitiveservices import contentsafety
from localazure.engine.answers import Answer, account_error, apim_error, invalid_request
from localazure.services.apimanagement.gateway.pipeline import Exchange, Pipeline, TokenLimit, unevaluated_tags
from localazure.services.apimanagement.gateway.runtime import (CircuitBreakers, HostThrottles, Quotas, SemanticCache, TokenWindows,
                                        iso_seconds)
from localazure.identity import TokenError
from localazure.services.apimanagement.gateway.scopes import effective_scopes, subscription_product
from localazure.services.apimanagement import state as apim_state
from localazure.services.apimanagement.common import API_TYPE, CACHE_TYPE, OPERATION_TYPE, SERVICE_TYPE, SUBSCRIPTION_TYPE
from localazure.services.authorization import assignments as authz
from localazure.services.cognitiveservices import accounts as cs

ROUTE = "/gateway/{service}/{tail:.*}"
UNEVALUATED_HEADER = "x-localazure-unevaluated-policies"
DEFAULT_KEY_HEADER, DEFAULT_KEY_QUERY = "Ocp-Apim-Subscription-Key", "subscription-key"
REQUEST_WINDOW_SECONDS = 10.0
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


@dataclass
class Trace:
    """What the pipeline learnt about one request, for the service's resource logs."""
    api: dict | None = None
    operation: dict | None = None
    subscription: dict | None = None
    backend_id: str | None = None
    backend_url: str | None = None
    backend_status: int | None = None
    backend_ms: int = 0
    cache: str = "none"          # the GatewayLogs Cache column: none, hit or miss
    cache_distance: float | None = None
    llm: dict | None = None      # DeploymentName, ModelName, RequestId, IsStreamCompletion, messages


@dataclass
class Call:
    """The request as the pipeline sees it."""
    method: str
    rest: str                    # path below the API path, no leading slash
    query: dict
    headers: dict
    body: bytes
    client_ip: str
    tail: str = ""               # the path below the service, as called
    trace: Trace = field(default_factory=Trace)


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
    # Surrounding slashes do not count: the lab's path "inference/" serves /inference/openai/...
    # (the Azure-Samples/AI-Gateway lab ai-foundry-model-gateway).
    return [part.lower() for part in _segments((api.get("properties") or {}).get("path") or "")]


# --- the gateway -----------------------------------------------------------------------------------

class Gateway:
    def __init__(self, store, subscription_id: str, settle, *, seed: int = 0, clock=time.time, validate_token=None,
                 logs=None):
        self.store = store
        self.validate_token = validate_token   # identity.validate: reads a caller's Entra token (see _forwarded)
        self.subscription_id = subscription_id
        self.settle = settle
        self.clock = clock
        self.logs = logs                          # loganalytics.Workspaces, or None: no resource logs
        self.random = random.Random(seed)         # pool choices are reproducible per server run
        self.policy_windows = TokenWindows(clock)
        self.quotas = Quotas(clock)
        self.breakers = CircuitBreakers(clock)
        self.cache = SemanticCache(clock)
        self.throttles = HostThrottles(clock, seed)
        self.deployment_tokens = TokenWindows(clock)
        self.deployment_requests = TokenWindows(clock, REQUEST_WINDOW_SECONDS)

    async def handle(self, request: web.Request) -> web.StreamResponse:
        started = self.clock()
        call = Call(method=request.method.upper(), rest=request.match_info.get("tail", ""),
                    query=dict(request.query), headers=dict(request.headers), body=await request.read(),
                    client_ip=request.remote or "127.0.0.1", tail=request.match_info.get("tail", ""))
        with self.store.transaction():
            self.settle()   # operations that fell due (e.g. a deployment create) complete first, as for ARM
            service = None
            try:
                service = self._service(request.match_info["service"])
                answer = self._serve(service, call)
            except Answer as refused:
                answer = refused
            except Exception:   # an emulation bug must still answer like the gateway, and show in server.log
                logging.exception("gateway error for %s %s", request.method, request.path)
                answer = apim_error(500, "Internal server error", source="gateway", reason="InternalError")
            if service is not None and self.logs is not None:
                self._write_logs(service, call, answer, request, started)
        return await answer.send(request)

    def _serve(self, service: dict, call: Call) -> Answer:
        """Key check, then the policy pipeline (gateway_policy.py) over the scopes policy_scopes names."""
        api = call.trace.api = self._api(service["id"], call)
        operation = call.trace.operation = self._operation(api, call)
        subscription = call.trace.subscription = self._subscription(service["id"], api, call)
        roots = [apim_state.policy_document(self.store, scope_id)
                 for scope_id in effective_scopes(service, api, operation, subscription)]
        sections = {name: self._section(roots, name) for name in ("inbound", "backend", "outbound", "on-error")}
        exchange = Exchange(gateway=self, service=service, api=api, operation=operation, subscription=subscription,
                            call=call, product=subscription_product(subscription))
        exchange.unevaluated.extend(unevaluated_tags(roots))
        answer = Pipeline(exchange, sections).run()
        if exchange.unevaluated:
            answer.headers[UNEVALUATED_HEADER] = ",".join(exchange.unevaluated)
        return answer

    # --- resource logs -------------------------------------------------------------------------------
    def _write_logs(self, service: dict, call: Call, answer: Answer, request: web.Request, started: float) -> None:
        """One GatewayLogs row per request, and a GatewayLlmLogs row per answered model call, to the workspaces
        the service's diagnostic settings name (loganalytics.Workspaces.emit)."""
        trace, props = call.trace, service.get("properties") or {}
        elapsed = max(0, round((self.clock() - started) * 1000))
        when = datetime.fromtimestamp(started, timezone.utc)
        correlation = str(uuid.uuid4())
        url = (props.get("gatewayUrl") or f"https://{service['name']}.azure-api.net") + "/" + call.tail
        url += _loggable_query(call.query)
        subscription_props = (trace.subscription or {}).get("properties") or {}
        scope = _segments(subscription_props.get("scope") or "")
        source, reason = answer.error or (None, None)
        region = service.get("location") or ""
        tls = request.transport.get_extra_info("ssl_object") if request.transport else None
        self.logs.emit(service["id"], "GatewayLogs", {
            "TimeGenerated": when, "OperationName": "Microsoft.ApiManagement/GatewayLogs",
            "CorrelationId": correlation, "Region": region, "IsRequestSuccess": 200 <= answer.status < 400,
            "Category": "GatewayLogs", "TotalTime": elapsed, "CallerIpAddress": call.client_ip,
            "Method": call.method, "Url": url,
            "ClientProtocol": f"HTTP/{request.version.major}.{request.version.minor}",
            "ResponseCode": answer.status, "BackendMethod": call.method if trace.backend_url else None,
            "BackendUrl": trace.backend_url, "BackendResponseCode": trace.backend_status,
            "BackendProtocol": "HTTP/1.1" if trace.backend_url else None, "RequestSize": len(call.body),
            "ResponseSize": sum(len(chunk) for chunk in answer.chunks()), "Cache": trace.cache, "CacheTime": 0,
            "BackendTime": trace.backend_ms, "ClientTime": 0,
            "ApiId": (trace.api or {}).get("name"), "OperationId": (trace.operation or {}).get("name"),
            "ProductId": scope[-1] if len(scope) >= 2 and scope[-2].lower() == "products" else None,
            "UserId": (subscription_props.get("ownerId") or "").rsplit("/", 1)[-1] or None,
            "ApimSubscriptionId": (trace.subscription or {}).get("name"), "BackendId": trace.backend_id,
            "ApiRevision": ((trace.api or {}).get("properties") or {}).get("apiRevision") if trace.api else None,
            "ClientTlsVersion": (tls.version() or "").replace("TLSv", "") if tls else None,
            "LastErrorElapsed": elapsed if answer.error else None, "LastErrorSource": source,
            "LastErrorSection": "inbound" if answer.error else None, "LastErrorReason": reason,
            "LastErrorMessage": (answer.body or {}).get("message") if answer.error else None,
            "IsMasterTrace": False, "IsTraceAllowed": False, "IsTraceExpired": False, "IsTraceRequested": False})
        if trace.llm is None or answer.status != 200:
            return
        messages = self._llm_message_settings(service["id"], trace.api)
        usage = answer.usage
        self.logs.emit(service["id"], "GatewayLlmLogs", {
            "TimeGenerated": when, "OperationName": "Microsoft.ApiManagement/GatewayLlmLogs",
            "CorrelationId": correlation, "Region": region, "ApiVersion": call.query.get("api-version"),
            "DeploymentName": trace.llm["DeploymentName"], "ModelName": trace.llm["ModelName"],
            "RequestId": trace.llm["RequestId"], "IsStreamCompletion": trace.llm["IsStreamCompletion"],
            "PromptTokens": usage.get("prompt_tokens", 0), "CompletionTokens": usage.get("completion_tokens", 0),
            "TotalTokens": usage.get("total_tokens", 0), "SequenceNumber": 0,
            "RequestMessages": _clip(trace.llm["RequestMessages"], messages["requests"]),
            "ResponseMessages": _clip(trace.llm["ResponseMessages"], messages["responses"])})

    def _llm_message_settings(self, service_id: str, api: dict | None) -> dict:
        """Byte limits for prompt and completion messages in GatewayLlmLogs: the `azuremonitor` diagnostic's
        largeLanguageModel block (API scope first, then the service's); None where messages are not logged."""
        limits = {"requests": None, "responses": None}
        scopes = ([api["id"]] if api else []) + [service_id]
        for scope in scopes:
            diagnostic = self.store.get(f"{scope}/diagnostics/azuremonitor")
            llm = ((diagnostic or {}).get("properties") or {}).get("largeLanguageModel") or {}
            if diagnostic is None or not llm:
                continue
            if (llm.get("logs") or "").lower() == "enabled":
                for direction in limits:
                    settings = llm.get(direction) or {}
                    if (settings.get("messages") or "").lower() == "all":
                        limits[direction] = int(settings.get("maxSizeInBytes") or 262144)
            return limits
        return limits

    # --- service, API, operation, subscription -------------------------------------------------------
    def _service(self, name: str) -> dict:
        for service in self.store.list_type(SERVICE_TYPE, f"/subscriptions/{self.subscription_id}/"):
            if _same(service["name"], name):
                state = (service.get("properties") or {}).get("provisioningState")
                if state in ("Created", "Activating"):
                    break   # the gateway host does not answer before activation
                return service
        raise apim_error(404, "Resource not found", reason="ServiceNotFound")

    def _api(self, service_id: str, call: Call) -> dict:
        given = [part.lower() for part in _segments(call.rest)]
        best, best_length = None, -1
        for api in self.store.list_type(API_TYPE, service_id + "/apis/"):
            props = api.get("properties") or {}
            if ";rev=" in api["name"] or props.get("isCurrent") is False:
                continue   # only the current revision serves the unqualified path
            prefix = _api_prefix(api)
            if given[:len(prefix)] == prefix and len(prefix) > best_length:
                best, best_length = api, len(prefix)
        if best is None:
            raise apim_error(404, "Resource not found", reason="OperationNotFound")
        call.rest = "/".join(_segments(call.rest)[best_length:])
        return best

    def _operation(self, api: dict, call: Call) -> dict:
        for operation in self.store.list_type(OPERATION_TYPE, api["id"] + "/operations/"):
            props = operation.get("properties") or {}
            if _same(props.get("method"), call.method) and _template_matches(props.get("urlTemplate") or "",
                                                                             call.rest):
                return operation
        raise apim_error(404, "Resource not found", reason="OperationNotFound")

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
                raise apim_error(401, MISSING_KEY, source="authorization", reason="SubscriptionKeyNotFound")
            return None
        subscription = self._subscription_for_key(service_id, api, key)
        if subscription is None and required:
            raise apim_error(401, INVALID_KEY, source="authorization", reason="SubscriptionKeyInvalid")
        return subscription

    def _subscription_for_key(self, service_id: str, api: dict, key: str) -> dict | None:
        for subscription in self.store.list_type(SUBSCRIPTION_TYPE, service_id + "/subscriptions/"):
            if key not in apim_state.subscription_keys(self.store, subscription["id"]):
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
            return apim_state.product_links_api(self.store, f"{service_id}/products/{parts[1]}", api["name"])
        return False

    # --- policy --------------------------------------------------------------------------------------
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

    # --- what the pipeline asks of the gateway (gateway_policy.Exchange.gateway) ---------------------------
    def read_token(self, token: str) -> dict | None:
        """The claims of a token this endpoint issued and that is still valid; None otherwise."""
        if self.validate_token is None:
            return None
        try:
            return self.validate_token(token)
        except (TokenError, ValueError):
            return None

    def check_token_limit(self, x: Exchange, limit: TokenLimit) -> None:
        """llm-token-limit before forwarding: over the minute's tokens 429, over the quota 403, each with
        Retry-After (or the element's retry-after-header-name) in seconds."""
        element = limit.element
        estimate = _prompt_tokens(x.call.body) if (element.get("estimate-prompt-tokens") or "").lower() == "true" \
            else 0
        retry_header = element.get("retry-after-header-name") or "Retry-After"
        if limit.quota is not None:
            used = self.quotas.used(limit.counter, limit.period)
            _expose(x, element, "remaining-quota-tokens", max(0, limit.quota - used))
            if used >= limit.quota or (estimate and used + estimate > limit.quota):
                wait = self.quotas.seconds_left(limit.period)
                raise apim_error(403, f"Token quota is exceeded. Try again in {wait} seconds.",
                                 {retry_header: str(wait)}, source=element.tag, reason="TokenQuotaExceeded")
        if limit.tokens_per_minute is not None:
            used = self.policy_windows.used(limit.counter)
            _expose(x, element, "remaining-tokens", max(0, limit.tokens_per_minute - used))
            if used >= limit.tokens_per_minute or (estimate and used + estimate > limit.tokens_per_minute):
                wait = self.policy_windows.seconds_left(limit.counter)
                headers = {retry_header: str(wait)}
                if element.get("remaining-tokens-header-name"):
                    headers[element.get("remaining-tokens-header-name")] = "0"
                raise apim_error(429, f"Token limit is exceeded. Try again in {wait} seconds.", headers,
                                 source=element.tag, reason="TokenLimitExceeded")

    def after_backend(self, x: Exchange) -> None:
        """Once the backend (or the cache) answered: the tokens count against every limit that let the
        request through, and the token metrics are emitted."""
        answer = x.response
        consumed = answer.usage.get("total_tokens", 0) if answer is not None and answer.status == 200 else 0
        for limit in x.token_limits:
            element = limit.element
            if limit.tokens_per_minute is not None:
                self.policy_windows.add(limit.counter, consumed)
                if element.get("remaining-tokens-header-name"):
                    answer.headers[element.get("remaining-tokens-header-name")] = str(
                        max(0, limit.tokens_per_minute - self.policy_windows.used(limit.counter)))
            if limit.quota is not None:
                self.quotas.add(limit.counter, limit.period, consumed)
                if element.get("remaining-quota-tokens-header-name"):
                    answer.headers[element.get("remaining-quota-tokens-header-name")] = str(
                        max(0, limit.quota - self.quotas.used(limit.counter, limit.period)))
            if element.get("tokens-consumed-header-name"):
                answer.headers[element.get("tokens-consumed-header-name")] = str(consumed)
        if consumed and x.metrics and self.logs is not None:
            for namespace, dimensions in x.metrics:
                self._emit_token_metrics(x, namespace, dimensions, answer.usage)

    def _emit_token_metrics(self, x: Exchange, namespace: str, dimensions: dict, usage: dict) -> None:
        """To the Application Insights component of the API's (else the service's) `applicationinsights`
        diagnostic with `metrics: true`, through its logger's resourceId; a workspace-based component keeps
        custom metrics in its workspace's AppMetrics table (learn.microsoft.com/azure/azure-monitor/app/
        convert-classic-resource#table-structure: customMetrics -> AppMetrics)."""
        for scope in (x.api["id"], x.service["id"]):
            diagnostic = self.store.get(f"{scope}/diagnostics/applicationinsights")
            props = (diagnostic or {}).get("properties") or {}
            if diagnostic is None:
                continue
            if not props.get("metrics"):
                return
            logger = self.store.get(_service_relative(x.service["id"], props.get("loggerId") or ""))
            component_id = ((logger or {}).get("properties") or {}).get("resourceId") or ""
            component = self.store.get(component_id) if component_id else None
            workspace_id = ((component or {}).get("properties") or {}).get("WorkspaceResourceId")
            if not workspace_id:
                return
            for name, field_name in (("Prompt Tokens", "prompt_tokens"), ("Completion Tokens", "completion_tokens"),
                                     ("Total Tokens", "total_tokens")):
                value = usage.get(field_name, 0)
                self.logs.emit_metric(workspace_id, component_id, {
                    "TimeGenerated": datetime.fromtimestamp(self.clock(), timezone.utc), "Name": name,
                    "Namespace": namespace, "Sum": value, "Min": value, "Max": value, "ItemCount": 1,
                    "Properties": dimensions, "AppRoleName": x.service["name"]})
            return

    def has_external_cache(self, service: dict) -> bool:
        return bool(self.store.list_type(CACHE_TYPE, service["id"] + "/caches/"))

    def _backend_target(self, x: Exchange, backend_id: str) -> tuple[dict, dict, str]:
        """(backend, account, path) of a Single backend the pipeline calls on its own (content safety)."""
        backend = self.store.get(f"{x.service['id']}/backends/{backend_id}")
        if backend is None:
            raise apim_error(500, "Internal server error", {"x-localazure-error": f"backend '{backend_id}' not found"},
                             source="configuration", reason="BackendNotFound")
        url = (backend.get("properties") or {}).get("url") or ""
        return backend, self._account_for(url), urlsplit(url).path

    def embed_for_cache(self, x: Exchange, backend_id: str, text: str) -> list[float]:
        """The embeddings backend answers for APIM's system identity (embeddings-backend-auth system-assigned).
        `embeddings-backend-id` names a backend (Learn: "Backend ID for embeddings API call"), so a Pool is
        resolved like forward-request's: a member whose circuit breaker is closed, the answer counted by its
        rules.  Learn documents no fallback when the embeddings call fails (no skip of the cache, no retry in
        another member: llm-semantic-cache-lookup-policy, Usage notes ask for "enough capacity" instead), so a
        failed call answers the error, as before; a breaker tripped by it keeps the member out of later calls."""
        try:
            backend = self._resolve_backend(x.service["id"], backend_id)
        except Answer as refused:
            if refused.status != 503:   # no such backend: a configuration error, as it was
                raise
            raise apim_error(500, "Internal server error", {"x-localazure-error": refused.headers.get(
                "x-localazure-error", "")}, source="llm-semantic-cache-lookup", reason="EmbeddingsFailed") from None
        url = (backend.get("properties") or {}).get("url") or ""
        account, path = self._account_for(url), urlsplit(url).path
        identity = self._identity(x.service, ("https://cognitiveservices.azure.com", None), None)
        side_call = Call(method="POST", rest="", query={"api-version": "2024-02-01"}, headers={},
                         body=json.dumps({"input": text}).encode(), client_ip=x.call.client_ip)
        try:
            answer = self._account_call(account, path, side_call, identity, backend)
        except Answer as refused:
            self._count_for_breaker(backend, refused)
            raise apim_error(500, "Internal server error",
                             {"x-localazure-error": f"embeddings backend {backend['name']} answered {refused.status}"},
                             source="llm-semantic-cache-lookup", reason="EmbeddingsFailed") from None
        self._count_for_breaker(backend, answer)
        return answer.body["data"][0]["embedding"]

    def _count_for_breaker(self, backend: dict, answer: Answer) -> None:
        """A backend's answer counts against its circuit breaker rules (Retry-After honoured where a rule says)."""
        rules = ((backend.get("properties") or {}).get("circuitBreaker") or {}).get("rules") or []
        retry_after = next((value for name, value in answer.headers.items() if _same(name, "Retry-After")), None)
        self.breakers.record(backend["id"], rules, answer.status, retry_after)

    def content_safety(self, x: Exchange, backend_id: str, request: dict, shield: bool) -> dict:
        """The Content Safety account behind the backend rates the prompt (contentsafety.py); it is called with
        the backend's key header or APIM's identity, which needs a Cognitive Services role on the account."""
        backend, account, _path = self._backend_target(x, backend_id)
        if (account.get("kind") or "") not in ("ContentSafety", "AIServices", "CognitiveServices"):
            raise apim_error(500, "Internal server error",
                             {"x-localazure-error": f"{account['name']} does not serve Content Safety"},
                             source="llm-content-safety", reason="ContentSafetyUnavailable")
        header = (((backend.get("properties") or {}).get("credentials") or {}).get("header") or {})
        if header:
            self._check_key(account, backend, key_header="Ocp-Apim-Subscription-Key", service_id=x.service["id"])
        else:
            managed = ((backend.get("properties") or {}).get("credentials") or {}).get("managedIdentity") or {}
            principal, _ = self._identity(x.service, (managed.get("resource") or "https://cognitiveservices.azure.com",
                                                      managed.get("clientId")), None)
            if not self._may_infer(principal, account["id"]):
                raise apim_error(500, "Internal server error",
                                 {"x-localazure-error": "Content Safety answered 401 PermissionDenied"},
                                 source="llm-content-safety", reason="ContentSafetyUnauthorized")
        blocklists = {}
        for name in request.get("blocklistNames") or []:
            found = self.store.get(f"{account['id']}/raiBlocklists/{name}")
            blocklists[name] = None if found is None else self.store.list_type(
                cs.BLOCKLIST_ITEM_TYPE, f"{account['id']}/raiBlocklists/{name}/raiBlocklistItems/")
        try:
            verdict = contentsafety.analyze(blocklists, request)
        except contentsafety.BlocklistNotFound as missing:
            raise apim_error(500, "Internal server error",
                             {"x-localazure-error": missing.body()["error"]["message"]},
                             source="llm-content-safety", reason="ContentSafetyCallFailed") from None
        if shield:
            verdict.update(contentsafety.shield_prompt({"userPrompt": request["text"]}))
        return verdict

    # --- backend -------------------------------------------------------------------------------------
    def forward(self, x: Exchange) -> None:
        """forward-request: the backend (a pool picks a member whose circuit breaker is closed) answers; its
        answer, any status, becomes context.Response.  Circuit breaker rules of the member count the answer."""
        call = x.call
        x.forwarded = True
        backend, url = None, x.base_url
        if x.backend_id:
            backend = self._resolve_backend(x.service["id"], x.backend_id)
            url = (backend.get("properties") or {}).get("url")
        url = url or (x.api.get("properties") or {}).get("serviceUrl")
        if not url:
            raise apim_error(500, "Internal server error", {"x-localazure-error": "no backend URL for the API"})
        account = self._account_for(url)
        identity = self._identity(x.service, x.identity, backend)
        path = "/" + "/".join(_segments(urlsplit(url).path) + _segments(call.rest))
        parts = urlsplit(url)
        call.trace.backend_id = backend["name"] if backend else None
        call.trace.backend_url = f"{parts.scheme}://{parts.netloc}{path}" + _loggable_query(call.query)
        started = self.clock()
        try:
            answer = self._account_call(account, path, call, identity, backend)
        except Answer as refused:   # the account's own error is the backend's answer
            if refused.error is not None:
                raise
            answer = refused
        finally:
            call.trace.backend_ms = max(0, round((self.clock() - started) * 1000))
        call.trace.backend_status = answer.status
        if backend is not None:
            self._count_for_breaker(backend, answer)
        x.response = answer

    def _resolve_backend(self, service_id: str, backend_id: str, depth: int = 0) -> dict:
        """A Single backend, or a member of a Pool (learn.microsoft.com/azure/api-management/backends#load-
        balanced-pool).  A backend whose circuit breaker is open takes nothing: 503 when nothing is left."""
        backend = self.store.get(f"{service_id}/backends/{backend_id}")
        if backend is None or depth > 1:
            raise apim_error(500, "Internal server error",
                             {"x-localazure-error": f"backend '{backend_id}' not found"})
        props = backend.get("properties") or {}
        if props.get("type") != "Pool":
            if self.breakers.is_open(backend["id"]):
                raise _unavailable(backend_id)
            return backend
        members = [member for member in props.get("pool", {}).get("services") or []
                   if not self.breakers.is_open(f"{service_id}/backends/{_member_name(member)}")]
        if not members:
            raise _unavailable(backend_id)
        return self._resolve_backend(service_id, _member_name(self._pick(members)), depth + 1)

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

    def _identity(self, service: dict, requested: tuple | None, backend: dict | None) -> tuple[str, str] | None:
        """(principal id, token audience) of the managed identity APIM authenticates with, if any: the
        authentication-managed-identity policy's (resource, client id), else the backend's
        credentials.managedIdentity."""
        resource, client_id = requested or (None, None)
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
        deployment_name, operation, template = _model_route(call.method, path, body)
        if identity is not None and not self._may_infer(identity[0], account["id"]):
            raise account_error(401, "PermissionDenied", (
                f"The principal `{identity[0]}` lacks the required data action "
                f"`Microsoft.CognitiveServices/accounts/OpenAI/deployments/{operation}/action` to perform "
                f"`POST {template}` operation."))
        deployment = self.store.get(f"{account['id']}/deployments/{deployment_name}")
        if deployment is None or (deployment.get("properties") or {}).get("provisioningState") != "Succeeded":
            raise account_error(404, "DeploymentNotFound", (
                "The API deployment for this resource does not exist. If you created the deployment within the "
                "last 5 minutes, please wait a moment and try again."))
        model = ((deployment.get("properties") or {}).get("model") or {}).get("name") or deployment["name"]
        embedding = embedding_model(model)
        if (operation == "embeddings") != (embedding is not None):
            # Azure OpenAI's answer, quoted in OpenHands/OpenHands#1003 and langchain-ai/langmem#13.
            name = "embeddings" if operation == "embeddings" else "chatCompletion"
            raise account_error(400, "OperationNotSupported", (
                f"The {name} operation does not work with the specified model, {model}. Please choose different "
                "model and try again. You can learn more about which models can be used with each operation here: "
                "https://go.microsoft.com/fwlink/?linkid=2197993."))
        limits = self._admit(account, deployment, operation, body, call)
        if operation == "embeddings":
            answer = self._embeddings(model, embedding, body)
        else:
            answer = self._completion(model, body, call.body)
        key = deployment["id"].lower()
        self.deployment_tokens.add(key, answer.usage["total_tokens"])
        answer.headers.update({"x-ms-region": account.get("location") or "",
                               "x-ratelimit-remaining-tokens": str(max(0, limits.get("token", 0)
                                                                       - self.deployment_tokens.used(key))),
                               "x-ratelimit-remaining-requests": str(max(0, limits.get("request", 0)
                                                                         - self.deployment_requests.used(key)))})
        request_messages = body.get("messages") if operation != "embeddings" else body.get("input")
        call.trace.llm = {"DeploymentName": deployment["name"], "ModelName": model,
                          "RequestId": (answer.body or {}).get("id") or (answer.events or [{}])[-1].get("id"),
                          "IsStreamCompletion": answer.events is not None, "RequestMessages": request_messages,
                          "ResponseMessages": None if operation == "embeddings" else
                          [{"role": "assistant", "content": REPLY}]}
        return answer

    def _admit(self, account: dict, deployment: dict, operation: str, body: dict, call: Call) -> dict:
        """A model host's own throttling, before it answers: first a test's throttle on the host
        (HostThrottles), then the deployment's capacity as `rateLimits` says (the account provider derives them
        from the SKU capacity: one unit is 1,000 tokens per minute and 6 requests per minute, counted per 10 s,
        learn.microsoft.com/azure/ai-foundry/openai/how-to/quota).  A request is admitted when its estimate
        (prompt tokens plus max_tokens, as Azure OpenAI estimates) fits the minute's tokens.  Over a limit: 429
        with Retry-After and Azure OpenAI's text (quoted in many public issues, e.g. openai/openai-python#1087).
        Returns the limits {"token": n, "request": n}."""
        region = {"x-ms-region": account.get("location") or ""}
        name = "Embeddings_Create" if operation == "embeddings" else "ChatCompletions_Create"
        version = call.query.get("api-version") or "v1"
        tier = f"{account.get('kind') or 'AIServices'} {(account.get('sku') or {}).get('name') or 'S0'}"
        throttle = self.throttles.take(account["name"], deployment.get("name") or "")
        if throttle is not None and throttle.status == 429:
            raise Answer(429, {"error": {"code": "429", "message": _rate_message(name, version, "token", tier,
                                                                                  throttle.retry_after)}},
                         {"Retry-After": str(throttle.retry_after), **region})
        if throttle is not None:
            raise Answer(503, {"error": {"code": "ServiceUnavailable", "message": (
                "The service is temporarily unable to process your request. Please try again later.")}},
                {"Retry-After": str(throttle.retry_after), **region})
        limits = {rule.get("key"): int(rule.get("count") or 0)
                  for rule in (deployment.get("properties") or {}).get("rateLimits") or []}
        key = deployment["id"].lower()
        if "request" in limits and self.deployment_requests.used(key) >= limits["request"]:
            wait = self.deployment_requests.seconds_left(key)
            raise Answer(429, {"error": {"code": "429", "message": _rate_message(name, version, "call", tier, wait)}},
                         {"Retry-After": str(wait), **region})
        requested = body.get("max_tokens") or body.get("max_completion_tokens") or 0
        estimate = _prompt_tokens(call.body) + (requested if isinstance(requested, int) else 0)
        if "token" in limits and self.deployment_tokens.used(key) + estimate > limits["token"]:
            wait = self.deployment_tokens.seconds_left(key)
            raise Answer(429, {"error": {"code": "429", "message": _rate_message(name, version, "token", tier, wait)}},
                         {"Retry-After": str(wait), **region})
        self.deployment_requests.add(key, 1)
        return limits

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

    def _check_key(self, account: dict, backend: dict | None, *, key_header: str = "api-key",
                   service_id: str | None = None) -> None:
        """Without a managed identity the backend call carries only the backend's credentials.header key
        (a `{{named value}}` reference is resolved from the service's named values)."""
        header = (((backend or {}).get("properties") or {}).get("credentials") or {}).get("header") or {}
        values = next((value for name, value in header.items() if _same(name, key_header)), None) or []
        key = values[0] if isinstance(values, list) and values else values
        if isinstance(key, str) and key.startswith("{{") and key.endswith("}}") and service_id:
            key = apim_state.named_value(self.store, service_id, key[2:-2])
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

    def _completion(self, model: str, body: dict, raw: bytes) -> Answer:
        """A chat.completion, or with `"stream": true` its chat.completion.chunk events as Azure sends them
        (learn.microsoft.com/azure/ai-foundry/openai/concepts/content-streaming): first the prompt's filter
        results with empty choices, then a chunk with the role, content chunks, a chunk with finish_reason and,
        with stream_options.include_usage, a last chunk with empty choices and the usage."""
        prompt = _prompt_tokens(raw)
        completion = max(1, len(REPLY) // 4)
        usage = {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}
        completion_id, created = "chatcmpl-" + secrets.token_hex(12), int(time.time())
        if body.get("stream") is True:
            include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
            return Answer(200, None, events=_stream_events(completion_id, created, model, usage, include_usage),
                          usage=usage)
        return Answer(200, {
            "id": completion_id, "object": "chat.completion", "created": created, "model": model,
            "system_fingerprint": None, "prompt_filter_results": [_prompt_filter_results()],
            "choices": [{"index": 0, "finish_reason": "stop", "logprobs": None,
                         "content_filter_results": _FILTER_RESULTS,
                         "message": {"role": "assistant", "content": REPLY, "refusal": None}}],
            "usage": usage}, usage=usage)

    def _embeddings(self, model: str, spec: tuple[int, bool], body: dict) -> Answer:
        """An embeddings list: one vector per input, `dimensions` honoured where the model takes it."""
        native, shortenable = spec
        texts = _embedding_inputs(body.get("input"))
        dimensions = body.get("dimensions")
        if dimensions is not None and not shortenable:
            raise invalid_request("This model does not support specifying dimensions.", "dimensions")
        if dimensions is not None and (not isinstance(dimensions, int) or isinstance(dimensions, bool)
                                       or not 1 <= dimensions <= native):
            raise invalid_request(f"Invalid value for 'dimensions' = {dimensions!r}: it must be an integer between "
                                  f"1 and {native} for {model}.", "dimensions")
        encoding = body.get("encoding_format") or "float"
        if encoding not in ("float", "base64"):
            raise invalid_request(f"Invalid value for 'encoding_format' = {encoding!r}: expected 'float' or "
                                  "'base64'.", "encoding_format")
        data = []
        for index, text in enumerate(texts):
            vector = embed(text, dimensions or native)
            value = (base64.b64encode(struct.pack(f"<{len(vector)}f", *vector)).decode() if encoding == "base64"
                     else vector)
            data.append({"object": "embedding", "index": index, "embedding": value})
        tokens = sum(max(1, len(text.encode()) // 4) for text in texts)
        usage = {"prompt_tokens": tokens, "total_tokens": tokens}
        return Answer(200, {"object": "list", "data": data, "model": model, "usage": usage}, usage=usage)


def _model_route(method: str, path: str, body: dict) -> tuple[str, str, str]:
    """(deployment name, operation, path template) of a model call: the deployment in the path, or in the body's
    `model` on the v1 and /models routes.  Anything else is the account's 404."""
    match = re.fullmatch(r"/openai/deployments/([^/]+)/(chat/completions|embeddings)", path)
    if match:
        route = match.group(1), match.group(2), "/openai/deployments/{deployment-id}/" + match.group(2)
    else:
        match = re.fullmatch(r"/(?:openai/v1|models)/(chat/completions|embeddings)", path)
        if match is None or not body.get("model"):
            raise account_error(404, "404", "Resource not found")
        route = body["model"], match.group(1), path
    if method != "POST":
        raise account_error(404, "404", "Resource not found")
    return route


def _rate_message(operation: str, version: str, kind: str, tier: str, wait: int) -> str:
    return (f"Requests to the {operation} Operation under Azure OpenAI API version {version} have exceeded {kind} "
            f"rate limit of your current {tier} pricing tier. Please retry after {wait} seconds. Please contact "
            "Azure support service if you would like to further increase the default rate limit.")


def _member_name(member: dict) -> str:
    return member["id"].rstrip("/").rsplit("/", 1)[-1]


def _unavailable(backend_id: str) -> Answer:
    """Every backend out (circuit breakers open): 503.  The text is ours; on-error sees StatusCode 503."""
    return apim_error(503, "Service Unavailable", {"x-localazure-error": f"backend '{backend_id}' has no backend "
                                                                          "available: circuit breakers are open"},
                      source="forward-request", reason="BackendUnavailable")


def _service_relative(service_id: str, reference: str) -> str:
    """A loggerId as APIM stores it: a full id, or `/loggers/{name}` relative to the service."""
    return reference if reference.lower().startswith("/subscriptions/") else service_id + reference


def _expose(x, element, what: str, value: int) -> None:
    """remaining-tokens-variable-name / remaining-quota-tokens-variable-name of llm-token-limit."""
    variable = element.get(f"{what}-variable-name")
    if variable:
        x.variables[variable] = value


def _loggable_query(query: dict) -> str:
    """The query string as a log may show it: a key never reaches a log, so key-like parameters are dropped
    (the API's own key parameter is gone already, but a request that matched no API still carries it)."""
    kept = {name: value for name, value in query.items() if "key" not in name.lower()}
    return ("?" + urlencode(kept)) if kept else ""


def _json(raw: bytes) -> dict:
    try:
        value = json.loads(raw) if raw.strip() else {}
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _prompt_tokens(raw: bytes) -> int:
    """About four bytes per token, as OpenAI's rule of thumb; deterministic from the request size."""
    return max(1, len(raw) // 4)


# --- model answers ---------------------------------------------------------------------------------

# Dimensions as the models document them, and whether `dimensions` may shorten them (only the third
# generation; learn.microsoft.com/azure/ai-foundry/openai/concepts/models#embeddings).
EMBEDDING_MODELS = {"text-embedding-3-small": (1536, True), "text-embedding-3-large": (3072, True),
                    "text-embedding-ada-002": (1536, False)}
_FILTER_RESULTS = {category: {"filtered": False, "severity": "safe"}
                   for category in ("hate", "self_harm", "sexual", "violence")}
MAX_EMBEDDING_INPUTS = 2048


def embedding_model(model: str) -> tuple[int, bool] | None:
    """(dimensions, dimensions parameter allowed) for an embeddings model, None for any other model.  A model
    not in the table whose name says "embed" gets 1536 fixed dimensions (our choice)."""
    if model.lower() in EMBEDDING_MODELS:
        return EMBEDDING_MODELS[model.lower()]
    return (1536, False) if "embed" in model.lower() else None


def embed(text: str, dimensions: int) -> list[float]:
    """A deterministic unit vector: words and character trigrams of the lower-cased text, feature-hashed with
    a sign bit (stable across runs, unlike hash()).  Texts sharing words and word pieces get a high cosine
    similarity, unrelated texts one near 0, which is what a semantic cache needs."""
    vector = [0.0] * dimensions
    words = re.findall(r"\w+", text.lower())
    features = [(word, 1.0) for word in words]
    features += [(f"#{padded[i:i + 3]}", 0.5) for padded in (f"<{word}>" for word in words)
                 for i in range(len(padded) - 2)]
    for feature, weight in features:
        digest = hashlib.blake2b(feature.encode(), digest_size=8).digest()
        index = int.from_bytes(digest[:4], "little") % dimensions
        vector[index] += weight if digest[4] & 1 else -weight
    norm = math.sqrt(sum(value * value for value in vector))
    if norm == 0:   # no word at all: still a unit vector, the same for every such text
        vector[0], norm = 1.0, 1.0
    return [value / norm for value in vector]


def _embedding_inputs(value) -> list[str]:
    """The request's `input`: a string, a list of strings, or token arrays (read as their numbers' text)."""
    if isinstance(value, str):
        value = [value]
    elif isinstance(value, list) and value and all(isinstance(item, int) for item in value):
        value = [" ".join(map(str, value))]
    if not isinstance(value, list) or not value:
        raise invalid_request("'input' is a required property and must be a string or a non-empty array.", "input")
    if len(value) > MAX_EMBEDDING_INPUTS:
        raise invalid_request(f"Too many inputs: at most {MAX_EMBEDDING_INPUTS} are allowed per request.", "input")
    texts = []
    for item in value:
        if isinstance(item, list) and all(isinstance(token, int) for token in item):
            item = " ".join(map(str, item))
        if not isinstance(item, str) or not item:
            raise invalid_request(f"Invalid value for 'input': {item!r} is not a non-empty string.", "input")
        texts.append(item)
    return texts


def _prompt_filter_results() -> dict:
    return {"prompt_index": 0, "content_filter_results": {**_FILTER_RESULTS,
                                                          "jailbreak": {"filtered": False, "detected": False}}}


def _stream_events(completion_id: str, created: int, model: str, usage: dict, include_usage: bool) -> list[dict]:
    base = {"id": completion_id, "object": "chat.completion.chunk", "created": created, "model": model,
            "system_fingerprint": None}

    def chunk(delta: dict, finish_reason: str | None = None, filters: dict | None = None) -> dict:
        event = {**base, "choices": [{"index": 0, "delta": delta, "finish_reason": finish_reason, "logprobs": None,
                                      "content_filter_results": filters or {}}]}
        if include_usage:
            event["usage"] = None   # every chunk carries usage: null until the last one
        return event

    events = [{"choices": [], "created": 0, "id": "", "model": "", "object": "",
               "prompt_filter_results": [_prompt_filter_results()]}]
    events.append(chunk({"role": "assistant", "content": "", "refusal": None}))
    events += [chunk({"content": piece}, filters=_FILTER_RESULTS) for piece in re.findall(r"\S+\s*", REPLY)]
    events.append(chunk({}, "stop"))
    if include_usage:
        events.append({**base, "choices": [], "usage": usage})
    return events


def _clip(messages, limit: int | None):
    """Messages for the LLM log, when the diagnostic asks for them, cut to its maxSizeInBytes."""
    if limit is None or messages is None:
        return None
    text = json.dumps(messages)
    return messages if len(text.encode()) <= limit else text.encode()[:limit].decode(errors="ignore")
