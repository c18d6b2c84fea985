"""The Cognitive Services model host: an account's Azure OpenAI data plane (chat completions, whole or streamed as
server-sent events, and embeddings) as the APIM gateway reaches it through a backend. It checks the caller (a key of
the account, or a managed identity's token with an inference role), routes the call to a deployment, throttles as
the deployment's capacity says (and as a test's throttle on the host says: HostThrottles, mounted by control.py),
and answers as Azure does. The answers carry Azure's codes and texts (sources cited where they are quoted)."""
from __future__ import annotations

import base64
import hashlib
import json
import math
import random
import re
import secrets
import struct
import time
from dataclasses import dataclass

from localazure.engine.answers import Answer, account_error, invalid_request
from localazure.engine.windows import TokenWindows
from localazure.identity import TokenError
from localazure.services.authorization import state as authz_state
from localazure.services.cognitiveservices import contentsafety
from localazure.services.cognitiveservices.state import account_keys, blocklist_items

REQUEST_WINDOW_SECONDS = 10.0
COGNITIVE_AUDIENCES = ("https://cognitiveservices.azure.com", "https://cognitiveservices.azure.com/")
# Built-in roles whose dataActions include Microsoft.CognitiveServices/accounts/OpenAI/* (Cognitive Services
# User, OpenAI User, OpenAI Contributor, Azure AI User, Azure AI Project Manager; Azure built-in roles reference).
INFERENCE_ROLES = ("a97b65f3-24c7-4388-baec-2e87135dc908", "5e0bd9bd-7b93-4f28-af87-19fc36ad61bd",
                   "a001fd3d-188f-4b5d-821b-7da978bf7442", "53ca6127-db72-4b80-b1b0-d745d6d5456d",
                   "eadc314b-1a2d-4efa-be10-5d325db5065e")
REPLY = "This is a reply from the localazure gateway emulation."
# Reasoning models (the o-series and the gpt-5 family, codex-mini) take max_completion_tokens and refuse max_tokens
# (Learn, "Azure OpenAI reasoning models", learn.microsoft.com/azure/foundry/openai/how-to/reasoning: "max_tokens"
# is not supported, use "max_completion_tokens"). The gpt-5-chat models are not reasoning models: they keep it.
REASONING_MODEL = re.compile(r"^(o\d|gpt-5|codex-mini)(?!.*-chat)", re.IGNORECASE)


def _same(a: str | None, b: str | None) -> bool:
    return (a or "").lower() == (b or "").lower()


class ModelHost:
    """Every account's model host: one per endpoint, its counters in memory (a restarted endpoint starts fresh)."""

    def __init__(self, store, subscription_id: str, *, clock=time.time, seed: int = 0, validate_token=None):
        self.store = store
        self.subscription_id = subscription_id
        self.clock = clock
        self.validate_token = validate_token   # identity.validate: reads a caller's Entra token (see _forwarded)
        self.throttles = HostThrottles(clock, seed)
        self.deployment_tokens = TokenWindows(clock)
        self.deployment_requests = TokenWindows(clock, REQUEST_WINDOW_SECONDS)

    @staticmethod
    def prompt_tokens(raw: bytes) -> int:
        """The host's count of a request's prompt tokens (APIM's llm-token-limit estimates with it too)."""
        return prompt_tokens(raw)

    def answer(self, account: dict, path: str, call, identity: tuple[str, str] | None, key: str | None) -> Answer:
        """The account's answer to a model call at `path` (method, query, headers and body from `call`), made
        with a managed identity's (principal, audience) or else with `key`, the backend's key header.  A
        successful answer carries `llm`: what the gateway's LLM log names (deployment, model, messages)."""
        props = account.get("properties") or {}
        if props.get("publicNetworkAccess") == "Disabled":
            raise account_error(403, "403", "Public access is disabled. Please configure private endpoint.")
        if identity is None:
            identity = self._forwarded(call)
        if identity is None:
            self.check_key(account, key)
        elif identity[1] not in COGNITIVE_AUDIENCES:
            raise account_error(401, "401", "Unauthorized. Access token is missing, invalid, audience is incorrect "
                                            "(https://cognitiveservices.azure.com), or have expired.")
        body = _json(call.body)
        deployment_name, operation, template = _model_route(call.method, path, body)
        _check_v1_api_version(path, call.query)
        if identity is not None and not self.may_infer(identity[0], account["id"]):
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
            name = {"embeddings": "embeddings", "responses": "responses"}.get(operation, "chatCompletion")
            raise account_error(400, "OperationNotSupported", (
                f"The {name} operation does not work with the specified model, {model}. Please choose different "
                "model and try again. You can learn more about which models can be used with each operation here: "
                "https://go.microsoft.com/fwlink/?linkid=2197993."))
        if operation != "embeddings" and "max_tokens" in body and REASONING_MODEL.match(model):
            # Azure's answer, quoted in Azure/agentops#151 and griptape-ai/ComfyUI-Griptape#312.
            raise Answer(400, {"error": {
                "message": "Unsupported parameter: 'max_tokens' is not supported with this model. Use "
                           "'max_completion_tokens' instead.",
                "type": "invalid_request_error", "param": "max_tokens", "code": "unsupported_parameter"}})
        limits = self._admit(account, deployment, operation, body, call)
        if operation == "embeddings":
            answer = self._embeddings(model, embedding, body)
        elif operation == "responses":
            answer = self._response(model, call.body)
        else:
            answer = self._completion(model, body, call.body)
        key = deployment["id"].lower()
        self.deployment_tokens.add(key, answer.usage["total_tokens"])
        answer.headers.update({"x-ms-region": account.get("location") or "",
                               "x-ratelimit-remaining-tokens": str(max(0, limits.get("token", 0)
                                                                       - self.deployment_tokens.used(key))),
                               "x-ratelimit-remaining-requests": str(max(0, limits.get("request", 0)
                                                                         - self.deployment_requests.used(key)))})
        request_messages = body.get("messages") if operation == "chat/completions" else body.get("input")
        answer.llm = {"DeploymentName": deployment["name"], "ModelName": model,
                      "RequestId": (answer.body or {}).get("id") or (answer.events or [{}])[-1].get("id"),
                      "IsStreamCompletion": answer.events is not None, "RequestMessages": request_messages,
                      "ResponseMessages": None if operation == "embeddings" else
                      [{"role": "assistant", "content": REPLY}]}
        return answer

    def _admit(self, account: dict, deployment: dict, operation: str, body: dict, call) -> dict:
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
        estimate = prompt_tokens(call.body) + (requested if isinstance(requested, int) else 0)
        if "token" in limits and self.deployment_tokens.used(key) + estimate > limits["token"]:
            wait = self.deployment_tokens.seconds_left(key)
            raise Answer(429, {"error": {"code": "429", "message": _rate_message(name, version, "token", tier, wait)}},
                         {"Retry-After": str(wait), **region})
        self.deployment_requests.add(key, 1)
        return limits

    # --- a caller's own Entra token (the Foundry data plane's calls through APIM, foundry/runs.py) ---------
    def _forwarded(self, call) -> tuple[str, str] | None:
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

    def check_key(self, account: dict, key: str | None) -> None:
        """A key call: `key` must be one of the account's keys, and key authentication allowed."""
        keys = account_keys(self.store, account["id"])
        if key and key in keys.values():
            if (account.get("properties") or {}).get("disableLocalAuth"):
                raise account_error(401, "AuthenticationTypeDisabled",
                                    "Key based authentication is disabled for this resource.")
            return
        raise account_error(401, "401", "Access denied due to invalid subscription key or wrong API endpoint. Make "
                                        "sure to provide a valid key for an active subscription and use a correct "
                                        "regional API endpoint for your resource.")

    def rate_prompt(self, account: dict, request: dict, shield: bool, *, key: str | None = None,
                    principal: str | None = None) -> dict:
        """Content Safety's analysis of `request` (text:analyze's body) by the account, with the account's
        blocklists, and Prompt Shields' verdict on the text when `shield`. A blocklist the account lacks: 404.

        The caller authenticates as every Azure AI services request must (learn.microsoft.com/azure/ai-services/
        authentication): with one of the account's keys (`key`, key authentication on) or an Entra token of
        `principal`, which needs a role whose data actions reach Content Safety (contentsafety.CALLER_ROLES).
        Neither, a wrong key or a principal without such a role: 401, in the service's error shape."""
        if principal is not None:
            if not authz_state.has_role(self.store, self.subscription_id, principal, account["id"],
                                        contentsafety.CALLER_ROLES):
                raise account_error(401, "PermissionDenied", (
                    f"The principal `{principal}` lacks the required data action `{contentsafety.ANALYZE_ACTION}` "
                    "to perform `POST /contentsafety/text:analyze` operation."))
        else:
            self.check_key(account, key)
        blocklists = {name: blocklist_items(self.store, account["id"], name)
                      for name in request.get("blocklistNames") or []}
        try:
            verdict = contentsafety.analyze(blocklists, request)
        except contentsafety.BlocklistNotFound as missing:
            raise Answer(404, missing.body()) from None
        if shield:
            verdict.update(contentsafety.shield_prompt({"userPrompt": request["text"]}))
        return verdict

    def may_infer(self, principal: str, account_id: str) -> bool:
        """A role assignment of an inference role to the principal at the account or any scope above it."""
        return authz_state.has_role(self.store, self.subscription_id, principal, account_id, INFERENCE_ROLES,
                                    now=self.clock())

    def _completion(self, model: str, body: dict, raw: bytes) -> Answer:
        """A chat.completion, or with `"stream": true` its chat.completion.chunk events as Azure sends them
        (learn.microsoft.com/azure/ai-foundry/openai/concepts/content-streaming): first the prompt's filter
        results with empty choices, then a chunk with the role, content chunks, a chunk with finish_reason and,
        with stream_options.include_usage, a last chunk with empty choices and the usage."""
        prompt = prompt_tokens(raw)
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

    @staticmethod
    def _response(model: str, raw: bytes) -> Answer:
        """An OpenAI Response (object "response", status completed, one assistant message of output_text) with its
        usage in the Responses API's names; the answer's usage in chat terms is what the gateway counts."""
        prompt = prompt_tokens(raw)
        completion = max(1, len(REPLY) // 4)
        usage = {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}
        message = {"type": "message", "id": "msg_" + secrets.token_hex(12), "status": "completed",
                   "role": "assistant", "content": [{"type": "output_text", "text": REPLY, "annotations": []}]}
        return Answer(200, {
            "id": "resp_" + secrets.token_hex(12), "object": "response", "created_at": int(time.time()),
            "status": "completed", "model": model, "output": [message], "error": None, "incomplete_details": None,
            "usage": {"input_tokens": prompt, "input_tokens_details": {"cached_tokens": 0},
                      "output_tokens": completion, "output_tokens_details": {"reasoning_tokens": 0},
                      "total_tokens": prompt + completion}}, usage=usage)

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
        # The Responses API names the deployment in `model` on both the classic and the v1 path (Learn, "Azure
        # OpenAI Responses API": POST /openai/v1/responses, or /openai/responses?api-version=...).
        match = (re.fullmatch(r"/(?:openai/v1|models)/(chat/completions|embeddings)", path)
                 or re.fullmatch(r"/openai(?:/v1)?/(responses)", path))
        if match is None or not body.get("model"):
            raise account_error(404, "404", "Resource not found")
        route = body["model"], match.group(1), path
    if method != "POST":
        raise account_error(404, "404", "Resource not found")
    return route


# The v1 API's `api-version` is optional and only "v1" or "preview" (azure-rest-api-specs
# specification/ai/data-plane/OpenAI.v1, AzureAIFoundryModelsApiVersion; Learn "API version lifecycle": the v1 API
# "removes the need for dated api-version parameters"); a dated version is answered 400 "API version not
# supported" (quoted in openclaw/openclaw#82058).
V1_API_VERSIONS = ("v1", "preview")


def _check_v1_api_version(path: str, query: dict) -> None:
    version = query.get("api-version")
    if path.startswith("/openai/v1/") and version is not None and version not in V1_API_VERSIONS:
        raise Answer(400, {"error": {"code": "BadRequest", "message": "API version not supported"}})


def _rate_message(operation: str, version: str, kind: str, tier: str, wait: int) -> str:
    return (f"Requests to the {operation} Operation under Azure OpenAI API version {version} have exceeded {kind} "
            f"rate limit of your current {tier} pricing tier. Please retry after {wait} seconds. Please contact "
            "Azure support service if you would like to further increase the default rate limit.")


def _json(raw: bytes) -> dict:
    try:
        value = json.loads(raw) if raw.strip() else {}
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def prompt_tokens(raw: bytes) -> int:
    """About four bytes per token, as OpenAI's rule of thumb; deterministic from the request size."""
    return max(1, len(raw) // 4)


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
    similarity, unrelated texts one near 0, which is what a semantic cache needs.  A word of letters and digits
    (a hex digest, an id) is no word a tokenizer knows: byte-pair encoding cuts it into short pieces of a small
    alphabet (tiktoken's cl100k_base splits a sha256 digest into 1-3 character tokens), so two such strings share
    most of their pieces and real embeddings put them close together (ada-002 rarely scores two texts below 0.5,
    text-embedding-3 unrelated words at 0.2-0.45: s-anand.net/blog/embeddings-similarity-threshold).  Here they
    are their characters and character pairs, which puts two sha256 digests at a cosine distance of about 0.25:
    within the 0.8 score-threshold of llm-semantic-cache-lookup's default."""
    vector = [0.0] * dimensions
    words = re.findall(r"\w+", text.lower())
    lexical = [word for word in words if not _unlearnt(word)]
    features = [(word, 1.0) for word in lexical]
    features += [(f"#{padded[i:i + 3]}", 0.5) for padded in (f"<{word}>" for word in lexical)
                 for i in range(len(padded) - 2)]
    for word in words:
        if _unlearnt(word):
            features += [(f"@{char}", 1.0) for char in word]
            features += [(f"@{word[i:i + 2]}", 0.5) for i in range(len(word) - 1)]
    for feature, weight in features:
        digest = hashlib.blake2b(feature.encode(), digest_size=8).digest()
        index = int.from_bytes(digest[:4], "little") % dimensions
        vector[index] += weight if digest[4] & 1 else -weight
    norm = math.sqrt(sum(value * value for value in vector))
    if norm == 0:   # no word at all: still a unit vector, the same for every such text
        vector[0], norm = 1.0, 1.0
    return [value / norm for value in vector]


def _unlearnt(word: str) -> bool:
    """A word mixing letters and digits (hex digests, ids): a tokenizer splits it into short pieces."""
    return bool(re.search(r"\d", word)) and bool(re.search(r"[a-z]", word))


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


@dataclass
class Throttle:
    """A test's instruction to a model host: answer `status` for a share (`rate`), a number (`count`) or a
    time (`until`) of its requests, with `retry_after` seconds; only to the `deployments` named (Azure throttles
    per deployment), or to every request when None."""
    status: int
    rate: float | None = None
    count: int | None = None
    until: float | None = None
    retry_after: int = 10
    answered: int = 0
    deployments: frozenset | None = None


class HostThrottles:
    """POST /localazure/cognitiveservices/model-hosts/{account}/throttle (control.py): makes a model host answer
    429 or 503 on purpose, so failover, retries and circuit breakers can be provoked without real load."""

    STATUSES = (429, 503)

    def __init__(self, clock, seed: int = 0):
        self.clock = clock
        self.random = random.Random(seed)
        self._rules: dict[str, Throttle] = {}

    def configure(self, account: str, settings: dict) -> dict:
        if not isinstance(settings, dict):
            raise ValueError("the throttle must be a JSON object")
        unknown = sorted(set(settings) - {"status", "rate", "count", "duration_seconds", "retry_after", "deployments"})
        if unknown:
            raise ValueError(f"unknown throttle settings: {', '.join(unknown)}")
        status = settings.get("status", 429)
        if status not in self.STATUSES:
            raise ValueError(f"status must be one of {self.STATUSES}, not {status!r}")
        given = [name for name in ("rate", "count", "duration_seconds") if settings.get(name) is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of rate (0..1), count (requests) or duration_seconds")
        rate, count, duration = settings.get("rate"), settings.get("count"), settings.get("duration_seconds")
        if rate is not None and (not isinstance(rate, (int, float)) or isinstance(rate, bool) or not 0 <= rate <= 1):
            raise ValueError(f"rate must be a number between 0 and 1, not {rate!r}")
        for name, value in (("count", count), ("duration_seconds", duration),
                            ("retry_after", settings.get("retry_after", 10))):
            if value is not None and (not isinstance(value, (int, float)) or isinstance(value, bool) or value < 0):
                raise ValueError(f"{name} must be a number >= 0, not {value!r}")
        deployments = settings.get("deployments")
        if deployments is not None and (not isinstance(deployments, list) or not deployments
                                        or not all(isinstance(name, str) and name for name in deployments)):
            raise ValueError(f"deployments must be a non-empty list of deployment names, not {deployments!r}")
        self._rules[account.lower()] = Throttle(
            deployments=None if deployments is None else frozenset(name.lower() for name in deployments),
            status=status, rate=rate, count=None if count is None else int(count),
            until=None if duration is None else self.clock() + float(duration),
            retry_after=int(settings.get("retry_after", 10)))
        return self.describe(account)

    def clear(self, account: str | None = None) -> None:
        if account is None:
            self._rules.clear()
        else:
            self._rules.pop(account.lower(), None)

    def describe(self, account: str) -> dict:
        rule = self._rules.get(account.lower())
        if rule is None:
            return {"account": account, "throttle": None}
        return {"account": account, "throttle": {"status": rule.status, "rate": rule.rate, "count": rule.count,
                                                 "until": rule.until, "retry_after": rule.retry_after,
                                                 "answered": rule.answered,
                                                 "deployments": None if rule.deployments is None
                                                 else sorted(rule.deployments)}}

    def all(self) -> list[dict]:
        return [self.describe(account) for account in sorted(self._rules)]

    def take(self, account: str, deployment: str) -> Throttle | None:
        """The throttle that applies to this request of the host's deployment, if any (and counts it)."""
        rule = self._rules.get(account.lower())
        if rule is None or (rule.deployments is not None and deployment.lower() not in rule.deployments):
            return None
        if rule.until is not None and self.clock() >= rule.until:
            self._rules.pop(account.lower())
            return None
        if rule.count is not None and rule.answered >= rule.count:
            self._rules.pop(account.lower())
            return None
        if rule.rate is not None and self.random.random() >= rule.rate:
            return None
        rule.answered += 1
        return rule
