"""The API Management gateway data plane, emulated from the ARM state the store holds.

`https://127.0.0.1:PORT/gateway/{service}/{api path}/{rest}` stands for `https://{service}.azure-api.net/...`.
A request is matched to an API and an operation, its subscription key is checked, a small, explicit subset of
the API's policy is evaluated (README "Gateway data plane"), and the chosen backend URL is mapped to a Cognitive
Services account whose Azure OpenAI data plane answers as Azure does: chat completions (whole or streamed as
server-sent events) and embeddings.  Each request the service answers is written to its resource logs when a
diagnostic setting sends them to a Log Analytics workspace (operationalinsights/logs.py).  Nothing here is a separate
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

import json
import logging
import random
import re
import time
import uuid
import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass, field
from datetime import datetime, timezone
from urllib.parse import unquote, urlencode, urlsplit

from aiohttp import web

from localazure.engine.answers import Answer, apim_error
from localazure.services.apimanagement.gateway.pipeline import Exchange, Pipeline, TokenLimit, unevaluated_tags
from localazure.engine.windows import TokenWindows
from localazure.services.apimanagement.gateway.runtime import (CircuitBreakers, Quotas, SemanticCache,
                                        iso_seconds)
from localazure.identity import TokenError
from localazure.services.apimanagement.gateway.scopes import effective_scopes, subscription_product
from localazure.services.apimanagement import state as apim_state
from localazure.services.apimanagement.common import API_TYPE, CACHE_TYPE, OPERATION_TYPE, SERVICE_TYPE, SUBSCRIPTION_TYPE
from localazure.services.cognitiveservices import state as cs_state

ROUTE = "/gateway/{service}/{tail:.*}"
UNEVALUATED_HEADER = "x-localazure-unevaluated-policies"
DEFAULT_KEY_HEADER, DEFAULT_KEY_QUERY = "Ocp-Apim-Subscription-Key", "subscription-key"
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
    matched_parameters: dict = field(default_factory=dict)   # the operation's URL template parameters
    trace: Trace = field(default_factory=Trace)


# --- routing ---------------------------------------------------------------------------------------

def called_deployment(call: Call, served: str) -> str:
    """ApiManagementGatewayLlmLog's DeploymentName: "The deployment name used by the client"
    (learn.microsoft.com/azure/azure-monitor/reference/tables/apimanagementgatewayllmlog): the deployment the called
    path names (/deployments/{name}/...), else the JSON body's model (v1 and Model Inference calls), not the one a
    rewrite-uri sent the call to; `served` (the model host's deployment) when the call names neither."""
    named = re.search(r"/deployments/([^/]+)", "/" + call.tail)
    if named:
        return unquote(named.group(1))
    try:
        model = json.loads(call.body or b"{}").get("model")
    except (ValueError, AttributeError):
        model = None
    return model if isinstance(model, str) and model else served


def _same(a: str | None, b: str | None) -> bool:
    return (a or "").lower() == (b or "").lower()


def _segments(path: str) -> list[str]:
    return [part for part in path.split("/") if part]


def _template_match(template: str, rest: str) -> tuple[tuple[int, int], dict] | None:
    """An operation urlTemplate against the path below the API: literals, {param} segments and a trailing
    `*` or {*param} wildcard.  The template's query part does not take part in path matching.  None when it does
    not match, else (how specific the template is, the matched path parameters): what
    context.Request.MatchedParameters holds ("parameters that were present in operation UrlTemplate", Learn archive,
    "What is API Management Context Request MatchedParameters?")."""
    wanted = _segments(template.split("?", 1)[0])
    given = _segments(rest)
    parameters, literals = {}, 0
    for index, part in enumerate(wanted):
        if part == "*" or (part.startswith("{*") and part.endswith("}")):
            if index != len(wanted) - 1:
                return None
            if part != "*":
                parameters[part[2:-1]] = "/".join(given[index:])
            return (literals, 0), parameters
        if index >= len(given):
            return None
        if part.startswith("{") and part.endswith("}"):
            parameters[part[1:-1]] = given[index]
        elif _same(part, given[index]):
            literals += 1
        else:
            return None
    return ((literals, 1), parameters) if len(given) == len(wanted) else None


def _api_prefix(api: dict) -> list[str]:
    # Surrounding slashes do not count: the lab's path "inference/" serves /inference/openai/...
    # (the Azure-Samples/AI-Gateway lab ai-foundry-model-gateway).
    return [part.lower() for part in _segments((api.get("properties") or {}).get("path") or "")]


# --- the gateway -----------------------------------------------------------------------------------

class Gateway:
    def __init__(self, store, subscription_id: str, settle, *, seed: int = 0, clock=time.time, validate_token=None,
                 logs=None, model_host=None):
        self.store = store
        self.validate_token = validate_token   # identity.validate: reads a caller's Entra token (read_token)
        self.model_host = model_host           # cognitiveservices ModelHost: the accounts behind the backends
        self.subscription_id = subscription_id
        self.settle = settle
        self.clock = clock
        self.logs = logs                          # loganalytics.Workspaces, or None: no resource logs
        self.random = random.Random(seed)         # pool choices are reproducible per server run
        self.policy_windows = TokenWindows(clock)
        self.quotas = Quotas(clock)
        self.breakers = CircuitBreakers(clock)
        self.cache = SemanticCache(clock)

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
        """Key check, then the policy pipeline (pipeline.py) over the scopes scopes.py names."""
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
        """The operation whose method and URL template match; of several, the most specific template (more literal
        segments, then a whole template over a trailing wildcard): foundry-samples' APIM setup guide adds
        GET /deployments beside an API's operations, and a pass-through API's `/*` must not take its calls."""
        best, best_rank = None, None
        for operation in self.store.list_type(OPERATION_TYPE, api["id"] + "/operations/"):
            props = operation.get("properties") or {}
            matched = _template_match(props.get("urlTemplate") or "", call.rest) \
                if _same(props.get("method"), call.method) else None
            if matched is not None and (best_rank is None or matched[0] > best_rank):
                best, best_rank, call.matched_parameters = operation, matched[0], matched[1]
        if best is None:
            raise apim_error(404, "Resource not found", reason="OperationNotFound")
        return best

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

    # --- what the pipeline asks of the gateway (pipeline.Exchange.gateway) ---------------------------------
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
        estimate = self.model_host.prompt_tokens(x.call.body) if (element.get("estimate-prompt-tokens") or "").lower() == "true" \
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
            answer = self._model_call(account, path, side_call, identity, backend)
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
        """The Content Safety account behind the backend rates the prompt (its model host).  APIM calls it with the
        backend's credentials only: its key header, or its credentials.managedIdentity (Learn, backends: "Authorization
        credentials ... managed identity").  A backend without either sends no credential, and Content Safety answers
        401 (learn.microsoft.com/azure/api-management/llm-content-safety-policy: the backend must authenticate to
        the service); APIM's own identity is not used unless the backend names it."""
        backend, account, _path = self._backend_target(x, backend_id)
        if (account.get("kind") or "") not in ("ContentSafety", "AIServices", "CognitiveServices"):
            raise apim_error(500, "Internal server error",
                             {"x-localazure-error": f"{account['name']} does not serve Content Safety"},
                             source="llm-content-safety", reason="ContentSafetyUnavailable")
        credentials = (backend.get("properties") or {}).get("credentials") or {}
        principal = None
        if credentials.get("managedIdentity") and not credentials.get("header"):
            principal, _audience = self._identity(x.service, None, backend)
        try:
            return self.model_host.rate_prompt(
                account, request, shield, principal=principal,
                key=self._backend_key(backend, "Ocp-Apim-Subscription-Key", service_id=x.service["id"]))
        except Answer as refused:
            error = (refused.body or {}).get("error") or {}
            raise apim_error(500, "Internal server error", {"x-localazure-error": (
                f"Content Safety answered {refused.status} {error.get('code')}: {error.get('message')}")},
                source="llm-content-safety",
                reason="ContentSafetyUnauthorized" if refused.status == 401 else "ContentSafetyCallFailed") from None

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
            answer = self._model_call(account, path, call, identity, backend)
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
        matches = cs_state.accounts_serving(self.store, self.subscription_id, url)
        if len(matches) != 1:
            host = (urlsplit(url).hostname or "").lower()
            # A regional host is shared by many accounts; only a custom subdomain names one.
            reason = "no" if not matches else "more than one"
            raise apim_error(500, "Internal server error",
                             {"x-localazure-error": f"{reason} Cognitive Services account serves host {host}"})
        return matches[0]

    def _model_call(self, account: dict, path: str, call: Call, identity, backend: dict | None) -> Answer:
        """The account's model host answers the call, made with the managed identity or else the backend's key."""
        answer = self.model_host.answer(account, path, call, identity,
                                        None if identity is not None else self._backend_key(backend))
        call.trace.llm = answer.llm and dict(answer.llm, DeploymentName=called_deployment(
            call, answer.llm["DeploymentName"]))
        return answer

    def _backend_key(self, backend: dict | None, key_header: str = "api-key", *,
                     service_id: str | None = None) -> str | None:
        """The key the backend's credentials.header sends (a `{{named value}}` reference resolved from the
        service's named values when `service_id` is given)."""
        header = (((backend or {}).get("properties") or {}).get("credentials") or {}).get("header") or {}
        values = next((value for name, value in header.items() if _same(name, key_header)), None) or []
        key = values[0] if isinstance(values, list) and values else values
        if isinstance(key, str) and key.startswith("{{") and key.endswith("}}") and service_id:
            key = apim_state.named_value(self.store, service_id, key[2:-2])
        return key

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


def _clip(messages, limit: int | None):
    """Messages for the LLM log, when the diagnostic asks for them, cut to its maxSizeInBytes."""
    if limit is None or messages is None:
        return None
    text = json.dumps(messages)
    return messages if len(text.encode()) <= limit else text.encode()[:limit].decode(errors="ignore")
