"""The local gateway's policy pipeline: APIM's sections in APIM's order, the elements our template and the
AI-Gateway labs emit, each with its documented semantics.

Order (learn.microsoft.com/azure/api-management/api-management-howto-policies): `inbound`, then `backend`, then
`outbound`; an error raised by a policy in any of them skips what is left and runs `on-error` with
`context.LastError` (learn.microsoft.com/azure/api-management/api-management-error-handling-policies).
`return-response` ends the pipeline at once (learn.microsoft.com/azure/api-management/return-response-policy);
a semantic cache hit skips the rest of inbound and the backend and runs outbound.  `<base />` is expanded across
the service, API and operation scopes before the pipeline runs.

Elements evaluated (each handler cites its Learn policy reference page): choose, set-variable, set-header,
set-backend-service, forward-request, retry, return-response (set-status, set-header, set-body), set-status,
authentication-managed-identity, validate-azure-ad-token, llm-token-limit / azure-openai-token-limit,
llm-emit-token-metric / azure-openai-emit-token-metric, llm-semantic-cache-lookup / -store (and the azure-openai-
names), llm-content-safety.  Any other element, or an attribute value whose expression policy_expressions does
not evaluate, is skipped and named in the `x-localazure-unevaluated-policies` response header.
"""
from __future__ import annotations

import json
import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from localazure.engine.answers import Answer, apim_error
from localazure.services.apimanagement.gateway.runtime import QUOTA_PERIODS
from localazure.services.apimanagement.gateway.expressions import (EvaluationFailed, Headers, MessageBody, Unsupported,
                                                                  evaluate, is_expression, truthy)

TOKEN_LIMITS = ("llm-token-limit", "azure-openai-token-limit")
TOKEN_METRICS = ("llm-emit-token-metric", "azure-openai-emit-token-metric")
CACHE_LOOKUPS = ("llm-semantic-cache-lookup", "azure-openai-semantic-cache-lookup")
CACHE_STORES = ("llm-semantic-cache-store", "azure-openai-semantic-cache-store")
EVALUATED = frozenset(("choose", "when", "otherwise", "set-variable", "set-header", "value", "set-backend-service",
                       "forward-request", "retry", "return-response", "set-status", "set-body",
                       "authentication-managed-identity", "validate-azure-ad-token", "llm-content-safety",
                       *TOKEN_LIMITS, *TOKEN_METRICS, *CACHE_LOOKUPS, *CACHE_STORES))
# Child elements read by their parent's handler.
_CHILDREN = frozenset(("audiences", "audience", "client-application-ids", "application-id", "required-claims",
                       "claim", "dimension", "vary-by", "categories", "category", "blocklists", "id"))
# Learn's default dimensions of the token metric policies, used when a <dimension> has no value.
DEFAULT_DIMENSIONS = ("API ID", "Operation ID", "Product ID", "User ID", "Subscription ID", "Location", "Gateway ID",
                      "Backend ID")
METRIC_NAMES = (("Prompt Tokens", "prompt_tokens"), ("Completion Tokens", "completion_tokens"),
                ("Total Tokens", "total_tokens"))


class Returned(Exception):
    """return-response: the pipeline ends with this answer."""

    def __init__(self, answer):
        super().__init__(answer.status)
        self.answer = answer


class CacheHit(Exception):
    """A semantic cache hit: the rest of inbound and the backend section are skipped."""


def unevaluated_tags(roots: list) -> list[str]:
    """Element names in the policy documents that this pipeline does not evaluate (in document order)."""
    found: list[str] = []
    for root in roots:
        if root is None:
            continue
        for section in root:
            for element in section.iter():
                if element is section or element.tag in EVALUATED or element.tag in _CHILDREN or element.tag == "base":
                    continue
                if element.tag not in found:
                    found.append(element.tag)
    return found


@dataclass
class TokenLimit:
    counter: str
    tokens_per_minute: int | None
    quota: int | None
    period: str | None
    element: ElementTree.Element


@dataclass
class Exchange:
    """One request's policy context (`context` in expressions)."""
    gateway: object
    service: dict
    api: dict
    operation: dict
    subscription: dict | None
    call: object                      # plane.Call
    product: str | None = None
    variables: dict = field(default_factory=dict)
    backend_id: str | None = None
    base_url: str | None = None
    identity: tuple[str | None, str | None] | None = None   # (resource, client id) of authentication-managed-identity
    response: object = None           # engine.answers.Answer once the backend (or the cache) answered
    last_error: dict | None = None
    unevaluated: list[str] = field(default_factory=list)
    token_limits: list[TokenLimit] = field(default_factory=list)
    metrics: list[tuple[str, dict]] = field(default_factory=list)
    cache_store: tuple[str, list[float]] | None = None
    forwarded: bool = False
    section: str = "inbound"

    def skip(self, name: str) -> None:
        if name not in self.unevaluated:
            self.unevaluated.append(name)

    def context(self) -> dict:
        call, api_props = self.call, self.api.get("properties") or {}
        subscription = None
        if self.subscription is not None:
            props = self.subscription.get("properties") or {}
            subscription = {"Id": self.subscription["name"], "Name": props.get("displayName") or "",
                            "Key": None}
        response = None
        if self.response is not None:
            response = {"StatusCode": self.response.status, "Headers": Headers(self.response.headers)}
        return {
            "Subscription": subscription,
            "Product": {"Id": self.product, "Name": self.product} if self.product else None,
            "Api": {"Id": self.api["name"], "Name": api_props.get("displayName") or self.api["name"],
                    "Path": api_props.get("path") or ""},
            "Operation": {"Id": self.operation["name"], "Method": call.method,
                          "Name": (self.operation.get("properties") or {}).get("displayName") or ""},
            "Request": {"IpAddress": call.client_ip, "Method": call.method, "Headers": Headers(call.headers),
                        "OriginalUrl": self._original_url(), "Body": MessageBody(call),
                        "MatchedParameters": dict(call.matched_parameters)},
            "Response": response,
            "Variables": self.variables,
            "Deployment": {"Region": self.service.get("location") or "", "ServiceName": self.service["name"]},
            "LastError": self.last_error,
        }

    def _original_url(self) -> dict:
        """context.Request.OriginalUrl: the URL as the client called the gateway (IUrl: Scheme, Host, Port, Path)."""
        gateway = (self.service.get("properties") or {}).get("gatewayUrl") or ""
        host = urlsplit(gateway).hostname or f"{self.service['name']}.azure-api.net"
        return {"Scheme": "https", "Host": host, "Port": 443, "Path": "/" + self.call.tail.lstrip("/")}

    def value(self, text: str | None, element: ElementTree.Element):
        """An attribute or text, with its expression evaluated; Unsupported marks the element unevaluated.  An
        expression that fails at run time is a runtime error of its policy: on-error runs with LastError.Source the
        element (learn.microsoft.com/azure/api-management/api-management-policy-expressions, "Any exceptions
        generated by policy expressions result in a runtime error"; api-management-error-handling-policies); the
        reason ExpressionValueEvaluationFailure is our name."""
        if not is_expression(text):
            return text
        try:
            return evaluate(text, self.context())
        except EvaluationFailed as failed:
            raise apim_error(500, "Internal server error", {"x-localazure-error": str(failed)},
                             source=element.tag, reason="ExpressionValueEvaluationFailure") from None


class Pipeline:
    """Runs the effective sections (already expanded over scopes) for one exchange."""

    def __init__(self, exchange: Exchange, sections: dict[str, list[ElementTree.Element]]):
        self.x, self.sections = exchange, sections

    def run(self):
        x = self.x
        try:
            try:
                self._section("inbound")
                self._section("backend")
                if not x.forwarded:   # a backend section with no forward-request: APIM's default forwards
                    x.gateway.forward(x)
            except CacheHit:
                pass
            x.gateway.after_backend(x)
            self._section("outbound")
            return x.response
        except Returned as returned:
            return returned.answer
        except Answer as error:   # an error raised by a policy or the gateway itself
            return self._on_error(error)

    def _on_error(self, error: Answer):
        x = self.x
        source, reason = error.error or ("", "")
        x.last_error = {"Source": source, "Reason": reason, "Message": (error.body or {}).get("message"),
                        "Section": x.section}
        x.response = error
        try:
            self._section("on-error")
        except Returned as returned:
            returned.answer.error = returned.answer.error or error.error
            return returned.answer
        except Answer as again:
            return again
        return x.response

    def _section(self, name: str) -> None:
        self.x.section = name
        self.run_elements(self.sections.get(name, []))

    def run_elements(self, elements) -> None:
        for element in elements:
            handler = HANDLERS.get(element.tag)
            if handler is None:
                self.x.skip(element.tag)
                continue
            try:
                handler(self, element)
            except Unsupported:
                self.x.skip(element.tag)


# --- control flow ----------------------------------------------------------------------------------------

def _choose(run: Pipeline, element) -> None:
    """learn.microsoft.com/azure/api-management/choose-policy: the first `when` whose condition is true, else
    `otherwise`."""
    for branch in element:
        if branch.tag == "when":
            if truthy(run.x.value(branch.get("condition"), branch)):
                run.run_elements(list(branch))
                return
        elif branch.tag == "otherwise":
            run.run_elements(list(branch))
            return


def _retry(run: Pipeline, element) -> None:
    """learn.microsoft.com/azure/api-management/retry-policy: the children run once, then again while
    `condition` is true, at most `count` more times.  `interval`, `delta`, `max-interval` and
    `first-fast-retry` are read but not waited for: the local gateway answers without sleeping (the endpoint's
    clock is what tests move)."""
    count = int(run.x.value(element.get("count"), element) or 0)
    condition = element.get("condition")
    for element_value in ("interval", "max-interval", "delta"):
        run.x.value(element.get(element_value), element)
    run.run_elements(list(element))
    attempts = 0
    while attempts < count and truthy(run.x.value(condition, element)):
        attempts += 1
        run.run_elements(list(element))


def _return_response(run: Pipeline, element) -> None:
    """learn.microsoft.com/azure/api-management/return-response-policy: a new response (or the variable named
    by `response-variable-name`) built from set-status, set-header and set-body, returned at once."""
    status, headers, body = 200, {}, None
    for child in element:
        if child.tag == "set-status":
            status = int(run.x.value(child.get("code"), child))
        elif child.tag == "set-header":
            _apply_header(run, child, headers)
        elif child.tag == "set-body":
            body = run.x.value(child.text or "", child)
        else:
            run.x.skip(child.tag)
    answer = Answer(status, None, headers)
    answer.raw = (body or "").encode()
    raise Returned(answer)


def _set_status(run: Pipeline, element) -> None:
    """learn.microsoft.com/azure/api-management/set-status-policy (outside return-response: the response's)."""
    if run.x.response is None:
        run.x.skip("set-status")
        return
    run.x.response.status = int(run.x.value(element.get("code"), element))


def _set_body(run: Pipeline, element) -> None:
    """learn.microsoft.com/azure/api-management/set-body-policy, literal or expression text only (templates not
    evaluated)."""
    if element.get("template") or run.x.response is None:
        run.x.skip("set-body")
        return
    run.x.response.raw = (run.x.value(element.text or "", element) or "").encode()


def _set_variable(run: Pipeline, element) -> None:
    """learn.microsoft.com/azure/api-management/set-variable-policy"""
    run.x.variables[element.get("name")] = run.x.value(element.get("value"), element)


def _apply_header(run: Pipeline, element, headers: dict) -> None:
    """learn.microsoft.com/azure/api-management/set-header-policy: exists-action override (default), skip,
    append or delete; several <value> elements join with commas."""
    name = element.get("name") or ""
    action = (element.get("exists-action") or "override").lower()
    values = [str(run.x.value(value.text or "", value)) for value in element.findall("value")]
    present = next((key for key in headers if key.lower() == name.lower()), None)
    if action == "delete":
        if present:
            del headers[present]
    elif action == "skip":
        if present is None:
            headers[name] = ",".join(values)
    elif action == "append" and present:
        headers[present] = headers[present] + "," + ",".join(values)
    else:
        if present:
            del headers[present]
        headers[name] = ",".join(values)


def _set_header(run: Pipeline, element) -> None:
    x = run.x
    if x.section in ("inbound", "backend"):
        _apply_header(run, element, x.call.headers)
    elif x.response is not None:
        _apply_header(run, element, x.response.headers)


# --- backend -----------------------------------------------------------------------------------------------

def _set_backend_service(run: Pipeline, element) -> None:
    """learn.microsoft.com/azure/api-management/set-backend-service-policy: `backend-id` (a backend or a pool)
    or `base-url`."""
    x = run.x
    backend_id, base_url = element.get("backend-id"), element.get("base-url")
    x.backend_id = x.value(backend_id, element) if backend_id else None
    x.base_url = x.value(base_url, element) if base_url else None


def _forward_request(run: Pipeline, element) -> None:
    """learn.microsoft.com/azure/api-management/forward-request-policy: the backend's answer becomes
    context.Response (any status: a 429 from the model host is a response, not an error)."""
    run.x.gateway.forward(run.x)


def _managed_identity(run: Pipeline, element) -> None:
    """learn.microsoft.com/azure/api-management/authentication-managed-identity-policy: APIM's identity gets a
    token for `resource`; with `output-token-variable-name` it lands in that variable (a set-header then sends
    it), else in the Authorization header.  The token stands for the identity; the model host sees the
    service's principal."""
    x = run.x
    resource = x.value(element.get("resource"), element)
    client_id = x.value(element.get("client-id"), element) if element.get("client-id") else None
    x.identity = (resource, client_id)
    marker = f"managed-identity:{resource}"
    variable = element.get("output-token-variable-name")
    if variable:
        x.variables[variable] = marker
    else:
        x.call.headers["Authorization"] = "Bearer " + marker


# --- authentication --------------------------------------------------------------------------------------

def _validate_azure_ad_token(run: Pipeline, element) -> None:
    """learn.microsoft.com/azure/api-management/validate-azure-ad-token-policy: the token in `header-name`
    (default Authorization, `Bearer` scheme) or `token-value` must be a valid token of `tenant-id`, for one of
    the `audiences`, from one of the `client-application-ids`, with every `required-claims` claim (match `any`
    value, or `all`); otherwise `failed-validation-httpcode` (401) with `failed-validation-error-message`."""
    x = run.x
    status = int(element.get("failed-validation-httpcode") or 401)
    message = element.get("failed-validation-error-message") or "Invalid Azure AD JWT"

    def refuse(reason: str):
        return apim_error(status, message, source="validate-azure-ad-token", reason=reason)

    if element.get("token-value"):
        token = x.value(element.get("token-value"), element) or ""
    else:
        header = element.get("header-name") or "Authorization"
        raw = Headers(x.call.headers).lookup(header) or ""
        token = raw[7:].strip() if raw.lower().startswith("bearer ") else ""
    if not token:
        raise refuse("TokenNotPresent")
    claims = x.gateway.read_token(token)
    if claims is None:
        raise refuse("TokenSignatureInvalid")
    tenant = x.value(element.get("tenant-id"), element)
    if tenant and (claims.get("tid") or "").lower() != str(tenant).lower():
        raise refuse("TokenInvalidIssuer")
    audiences = [x.value(node.text or "", node) for node in element.findall("audiences/audience")]
    if audiences and claims.get("aud") not in audiences:
        raise refuse("TokenAudienceNotAllowed")
    apps = [x.value(node.text or "", node) for node in element.findall("client-application-ids/application-id")]
    if apps and (claims.get("appid") or claims.get("azp")) not in apps:
        raise refuse("TokenClaimValueNotAllowed")
    for claim in element.findall("required-claims/claim"):
        name = claim.get("name")
        if name not in claims:
            raise refuse("TokenClaimNotFound")
        # Values compare as written: Learn documents no case folding, and Microsoft's guide for the xms_mirid of a
        # Foundry project says its resource group name is case-sensitive (foundry-samples apim-setup-guide-for-agents).
        held = claims[name] if isinstance(claims[name], list) else [claims[name]]
        held = [str(value) for value in held]
        wanted = [str(x.value(value.text or "", value)) for value in claim.findall("value")]
        matched = [value in held for value in wanted]
        if wanted and not (all(matched) if (claim.get("match") or "any") == "all" else any(matched)):
            raise refuse("TokenClaimValueNotAllowed")
    variable = element.get("output-token-variable-name")
    if variable:
        x.variables[variable] = {"Claims": {name: value if isinstance(value, list) else [value]
                                            for name, value in claims.items()}}


# --- model policies ----------------------------------------------------------------------------------------

def _token_limit(run: Pipeline, element) -> None:
    """learn.microsoft.com/azure/api-management/llm-token-limit-policy (and azure-openai-token-limit-policy):
    per `counter-key`, `tokens-per-minute` over a one-minute window (429 with `retry-after-header-name`,
    default Retry-After) and `token-quota` per `token-quota-period` (403).  Without `estimate-prompt-tokens`
    the tokens of the backend's answer count once it answered; with it, the prompt's estimate is checked before
    forwarding as well."""
    x = run.x
    counter = x.value(element.get("counter-key"), element)
    tpm = element.get("tokens-per-minute")
    quota, period = element.get("token-quota"), element.get("token-quota-period")
    tpm = int(x.value(tpm, element)) if tpm else None
    quota = int(x.value(quota, element)) if quota else None
    if period is not None and period not in QUOTA_PERIODS:
        raise Unsupported(f"token-quota-period {period!r}")
    if tpm is None and quota is None:
        raise Unsupported("neither tokens-per-minute nor token-quota")
    # "For each key value, a single counter is used for all scopes at which the policy is configured" (Learn,
    # llm-token-limit-policy): the counter is the service's and the key's, whatever the scope, API or element, and
    # every policy a request passes adds the request's tokens to its counter.
    limit = TokenLimit(counter=f"{x.service['id'].lower()}|{counter}",
                       tokens_per_minute=tpm, quota=quota, period=period or "Monthly", element=element)
    x.gateway.check_token_limit(x, limit)
    x.token_limits.append(limit)


def _emit_token_metric(run: Pipeline, element) -> None:
    """learn.microsoft.com/azure/api-management/llm-emit-token-metric-policy: Prompt Tokens, Completion Tokens
    and Total Tokens to Application Insights under `namespace`, with the `dimension`s (a dimension without
    value takes its default: API ID, Operation ID, Product ID, User ID, Subscription ID, Location, Gateway ID)."""
    x = run.x
    context = x.context()
    defaults = {"API ID": x.api["name"], "Operation ID": x.operation["name"], "Product ID": x.product or "",
                "User ID": ((x.subscription or {}).get("properties") or {}).get("ownerId", "").rsplit("/", 1)[-1],
                "Subscription ID": (x.subscription or {}).get("name", ""), "Location": x.service.get("location") or "",
                "Gateway ID": "managed"}
    dimensions = {}
    for dimension in element.findall("dimension"):
        name = dimension.get("name") or ""
        value = dimension.get("value")
        if value is None:
            if name not in defaults:
                raise Unsupported(f"dimension {name!r} has no default")
            dimensions[name] = defaults[name]
        else:
            dimensions[name] = evaluate(value, context) if is_expression(value) else value
    x.metrics.append((element.get("namespace") or "API Management", dimensions))


def _prompt_text(body: dict, ignore_system: bool) -> str:
    messages = body.get("messages")
    if isinstance(messages, list):
        parts = [message.get("content") for message in messages if isinstance(message, dict)
                 and not (ignore_system and message.get("role") in ("system", "developer"))]
        return "\n".join(part if isinstance(part, str) else json.dumps(part) for part in parts if part)
    prompt = body.get("input") if "input" in body else body.get("prompt")
    return prompt if isinstance(prompt, str) else json.dumps(prompt)


def _cache_lookup(run: Pipeline, element) -> None:
    """learn.microsoft.com/azure/api-management/llm-semantic-cache-lookup-policy: the prompt's embedding (from
    `embeddings-backend-id`, APIM's system identity) against the entries of the partition (`vary-by` values);
    an entry within `score-threshold` (cosine distance: lower demands closer) answers instead of the backend.
    `max-message-count`: more messages than that skip the cache.  Needs the service's external cache (Azure
    Managed Redis with RediSearch): without one the lookup never hits and nothing is stored."""
    x = run.x
    body = _json(x.call.body)
    if body.get("stream") is True or not x.gateway.has_external_cache(x.service):
        return
    messages = body.get("messages") or []
    limit = element.get("max-message-count")
    if limit is not None and isinstance(messages, list) and len(messages) > int(limit):
        return
    ignore = (element.get("ignore-system-messages") or "false").lower() == "true"
    text = _prompt_text(body, ignore)
    threshold = float(x.value(element.get("score-threshold"), element))
    parts = [str(x.value(node.text or "", node)) for node in element.findall("vary-by")]
    partition = "|".join([x.service["id"].lower(), x.api["name"].lower(), *parts])
    vector = x.gateway.embed_for_cache(x, x.value(element.get("embeddings-backend-id"), element), text)
    cached, distance = x.gateway.cache.lookup(partition, vector, threshold)
    x.call.trace.cache = "hit" if cached is not None else "miss"
    x.call.trace.cache_distance = distance
    if cached is None:
        x.cache_store = (partition, vector)
        return
    x.response = Answer(200, cached, {"x-localazure-cache": "hit"})
    raise CacheHit()


def _cache_store(run: Pipeline, element) -> None:
    """learn.microsoft.com/azure/api-management/llm-semantic-cache-store-policy: a 200 answer of a lookup miss
    is kept for `duration` seconds."""
    x = run.x
    duration = float(x.value(element.get("duration"), element))
    response = x.response
    if x.cache_store is None or response is None or response.status != 200 or response.body is None:
        return
    partition, vector = x.cache_store
    x.gateway.cache.store(partition, vector, response.body, duration)
    x.cache_store = None


def _content_safety(run: Pipeline, element) -> None:
    """learn.microsoft.com/azure/api-management/llm-content-safety-policy: the prompt goes to the Content Safety
    backend (`backend-id`) with the `categories` (`output-type`, a `threshold` per category) and `blocklists`;
    with `shield-prompt` also to Prompt Shields.  A severity at or above a threshold, a blocklist match or a
    detected attack is refused with 403 before anything else runs."""
    x = run.x
    body = _json(x.call.body)
    text = _prompt_text(body, False)
    categories = element.find("categories")
    thresholds = {}
    output_type = "FourSeverityLevels"
    if categories is not None:
        output_type = categories.get("output-type") or "FourSeverityLevels"
        thresholds = {node.get("name"): int(node.get("threshold")) for node in categories.findall("category")}
    blocklists = [x.value(node.text or "", node) for node in element.findall("blocklists/id")]
    request = {"text": text, "categories": list(thresholds) or None, "blocklistNames": blocklists,
               "haltOnBlocklistHit": False, "outputType": output_type}
    shield = (element.get("shield-prompt") or "false").lower() == "true"
    verdict = x.gateway.content_safety(x, x.value(element.get("backend-id"), element), request, shield)
    over = [entry["category"] for entry in verdict.get("categoriesAnalysis") or []
            if entry["category"] in thresholds and entry["severity"] >= thresholds[entry["category"]]]
    reason = ("blocklist" if verdict.get("blocklistsMatch") else "categories" if over
              else "prompt attack" if (verdict.get("userPromptAnalysis") or {}).get("attackDetected") else None)
    if reason is not None:
        raise apim_error(403, "Request failed content safety check.", source="llm-content-safety",
                         reason=f"ContentSafety{reason.title().replace(' ', '')}")


def _json(raw: bytes) -> dict:
    try:
        value = json.loads(raw) if raw and raw.strip() else {}
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


HANDLERS = {
    "choose": _choose, "retry": _retry, "return-response": _return_response, "set-status": _set_status,
    "set-body": _set_body, "set-variable": _set_variable, "set-header": _set_header,
    "set-backend-service": _set_backend_service, "forward-request": _forward_request,
    "authentication-managed-identity": _managed_identity, "validate-azure-ad-token": _validate_azure_ad_token,
    "llm-content-safety": _content_safety,
    **{name: _token_limit for name in TOKEN_LIMITS}, **{name: _emit_token_metric for name in TOKEN_METRICS},
    **{name: _cache_lookup for name in CACHE_LOOKUPS}, **{name: _cache_store for name in CACHE_STORES},
}
