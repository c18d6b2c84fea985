"""The APIM gateway data plane (localazure/services/apimanagement/gateway/): a lab-shaped gateway is provisioned through the real
SDK clients, then called with `requests` the way the verify role and the lab notebook call APIM."""
from __future__ import annotations

import json
import ssl
import uuid
import xml.etree.ElementTree as ElementTree

import openai
import pytest
import requests
from azure.mgmt.apimanagement import ApiManagementClient
from azure.mgmt.authorization import AuthorizationManagementClient
from azure.mgmt.cognitiveservices import CognitiveServicesManagementClient
from azure.mgmt.cognitiveservices import models as csm
from azure.mgmt.resource.resources import ResourceManagementClient

from localazure.services.apimanagement.gateway import plane as dataplane
from localazure.services.authorization import assignments as authz

CS_USER = "a97b65f3-24c7-4388-baec-2e87135dc908"
API_VERSION = "2024-12-01-preview"
TOKENS_PER_MINUTE = 1000
CAPACITY = 100   # 100,000 tokens and 100 requests per 10 s per deployment: the host never throttles these tests
PASSTHROUGH = {"openapi": "3.0.1", "info": {"title": "Pass-through API", "version": "1.0"}, "servers": [{"url": ""}],
               "paths": {"/*": {method: {"operationId": f"{method}-all", "responses": {"200": {"description": "ok"}}}
                                for method in ("get", "put", "post", "delete", "patch", "head", "options", "trace")}}}
INFERENCE_POLICY = """<policies>
  <inbound>
    <base />
    <authentication-managed-identity resource="https://cognitiveservices.azure.com"
        output-token-variable-name="managed-id-access-token" ignore-error="false" />
    <set-header name="Authorization" exists-action="override">
      <value>@("Bearer " + (string)context.Variables["managed-id-access-token"])</value>
    </set-header>
    <set-backend-service backend-id="models" />
    <llm-token-limit counter-key="@(context.Subscription.Id)" tokens-per-minute="%d" estimate-prompt-tokens="false"
        remaining-tokens-header-name="x-remaining-tokens" tokens-consumed-header-name="x-consumed-tokens" />
  </inbound>
  <backend><base /></backend>
  <outbound><base /></outbound>
  <on-error><base /></on-error>
</policies>""" % TOKENS_PER_MINUTE
POOLED_POLICY = """<policies><inbound><base />
  <find-and-replace from="secret" to="hidden" />
  <authentication-managed-identity resource="https://cognitiveservices.azure.com" />
  <set-backend-service backend-id="pool" />
</inbound><backend><base /></backend><outbound><base /></outbound><on-error><base /></on-error></policies>"""


def _unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


# --- unit: matching and pool choice -------------------------------------------------------------------

@pytest.mark.parametrize("template, rest, matches", [
    ("/*", "openai/deployments/x/chat/completions", True), ("/*", "", True),
    ("/deployments/{deployment-id}/chat/completions?api-version={v}", "deployments/gpt/chat/completions", True),
    ("/deployments/{deployment-id}/chat/completions", "deployments/gpt/embeddings", False),
    ("/things/{id}", "things/1/more", False), ("/files/{*path}", "files/a/b/c", True), ("/", "", True)])
def test_operation_templates(template, rest, matches):
    assert (dataplane._template_match(template, rest) is not None) is matches


def test_the_most_specific_template_wins_and_its_parameters_are_matched():
    """A pass-through API's `/*` beside the discovery operations (issue 24 item 2): GET /deployments and
    GET /deployments/{deploymentName} take their calls, whatever order the operations are stored in."""
    templates = ["/*", "/deployments/{deploymentName}", "/deployments"]
    ranked = {rest: max((dataplane._template_match(t, rest)[0], t) for t in templates
                        if dataplane._template_match(t, rest) is not None)[1]
              for rest in ("deployments", "deployments/gpt-4o", "deployments/gpt-4o/chat/completions", "models")}
    assert ranked == {"deployments": "/deployments", "deployments/gpt-4o": "/deployments/{deploymentName}",
                      "deployments/gpt-4o/chat/completions": "/*", "models": "/*"}
    assert dataplane._template_match("/deployments/{deploymentName}", "deployments/gpt-4o")[1] == \
        {"deploymentName": "gpt-4o"}
    assert dataplane._template_match("/files/{*path}", "files/a/b")[1] == {"path": "a/b"}


def test_pool_prefers_the_lowest_priority_number_then_weights_deterministically():
    gateway = dataplane.Gateway(None, "sub", lambda: None, seed=7)
    members = [{"id": "/backends/a", "priority": 2, "weight": 1}, {"id": "/backends/b", "priority": 1, "weight": 3},
               {"id": "/backends/c", "priority": 1, "weight": 1}, {"id": "/backends/d", "priority": 1, "weight": 0}]
    picks = [gateway._pick(members)["id"] for _ in range(200)]
    assert set(picks) == {"/backends/b", "/backends/c"} and picks.count("/backends/b") > picks.count("/backends/c")
    again = dataplane.Gateway(None, "sub", lambda: None, seed=7)
    assert [again._pick(members)["id"] for _ in range(200)] == picks
    unweighted = [{"id": "/backends/x", "weight": 0}, {"id": "/backends/y", "weight": 0}]   # the AI-Gateway lab's pool shape
    assert {gateway._pick(unweighted)["id"] for _ in range(50)} == {"/backends/x", "/backends/y"}


def test_base_expands_policy_scopes_outwards():
    def root(xml):
        return ElementTree.fromstring(xml)
    gateway = dataplane.Gateway(None, "sub", lambda: None)
    roots = [root("<policies><inbound><rate-limit calls='1' renewal-period='1' /></inbound></policies>"),
             root("<policies><inbound><set-backend-service base-url='https://a' /><base /></inbound></policies>"),
             None]
    assert [element.tag for element in gateway._section(roots, "inbound")] == ["set-backend-service", "rate-limit"]


def test_token_windows_last_one_minute_from_their_first_use():
    now = [1000.0]
    windows = dataplane.TokenWindows(clock=lambda: now[0])
    windows.add("k", 70)
    now[0] += 20
    windows.add("k", 30)
    assert windows.used("k") == 100 and windows.seconds_left("k") == 40 and windows.used("other") == 0
    now[0] += 40
    assert windows.used("k") == 0


# --- a provisioned gateway -----------------------------------------------------------------------------

@pytest.fixture(scope="module")
def world(endpoint, credential, sdk_kwargs):
    """RG, an APIM service with a system identity, two AIServices accounts (A swedencentral with two
    deployments, B eastus with one), Cognitive Services User for APIM on both, backends `models` (A) and `pool`
    (A priority 1, B priority 2), the lab's PassThrough API `inference/` with the lab's policy plus a token
    limit, an API `pooled/` routed through the pool, and subscriptions."""
    sub = endpoint["subscription_id"]
    resources = ResourceManagementClient(credential, sub, **sdk_kwargs)
    apim_client = ApiManagementClient(credential, sub, **sdk_kwargs)
    cs_client = CognitiveServicesManagementClient(credential, sub, **sdk_kwargs)
    authz_client = AuthorizationManagementClient(credential, sub, **sdk_kwargs)
    rg, service = _unique("rg-gw"), _unique("apim")
    resources.resource_groups.create_or_update(rg, {"location": "swedencentral"})
    service_poller = apim_client.api_management_service.begin_create_or_update(rg, service, {
        "location": "swedencentral", "sku": {"name": "BasicV2", "capacity": 1}, "identity": {"type": "SystemAssigned"},
        "properties": {"publisherEmail": "ops@contoso.com", "publisherName": "Contoso"}})
    accounts = {}
    for label, location in (("a", "swedencentral"), ("b", "eastus")):
        name = _unique(f"models-{label}")
        accounts[label] = cs_client.accounts.begin_create(rg, name, csm.Account(
            location=location, kind="AIServices", sku=csm.Sku(name="S0"), identity=csm.Identity(type="SystemAssigned"),
            properties=csm.AccountProperties(custom_sub_domain_name=name, public_network_access="Enabled"))).result()
    for label, model, version in (("a", "gpt-4o-mini", "2024-07-18"), ("a", "gpt-4.1-mini", "2025-04-14"),
                                  ("b", "gpt-4o-mini", "2024-07-18"), ("a", "text-embedding-3-small", "1"),
                                  ("a", "text-embedding-3-large", "1"), ("a", "text-embedding-ada-002", "2"),
                                  ("a", "gpt-5.4-mini", "2026-03-17")):
        cs_client.deployments.begin_create_or_update(rg, accounts[label].name, model, csm.Deployment(
            sku=csm.Sku(name="GlobalStandard", capacity=CAPACITY),
            properties=csm.DeploymentProperties(model=csm.DeploymentModel(format="OpenAI", name=model,
                                                                          version=version)))).result()
    principal = service_poller.result().identity.principal_id
    assignments = {}
    for label, account in accounts.items():
        assignments[label] = authz_client.role_assignments.create(account.id, str(uuid.uuid4()), {
            "role_definition_id": authz.role_definition_id(sub, CS_USER), "principal_id": principal,
            "principal_type": "ServicePrincipal"})
    for label, account in accounts.items():
        apim_client.backend.create_or_update(rg, service, f"backend-{label}", {
            "url": account.properties.endpoint, "protocol": "http", "description": "Inference backend"})
    apim_client.backend.create_or_update(rg, service, "models", {
        "url": accounts["a"].properties.endpoint, "protocol": "http"})
    _set_pool(apim_client, rg, service, [("a", 1, None), ("b", 2, None)], create=True)
    apis = (("inference-api", "inference/", INFERENCE_POLICY), ("pooled", "pooled", POOLED_POLICY))
    for api_id, path, policy in apis:
        apim_client.api.begin_create_or_update(rg, service, api_id, {
            "path": path, "displayName": api_id, "protocols": ["https"], "format": "openapi+json",
            "value": json.dumps(PASSTHROUGH), "subscriptionRequired": True, "apiType": "http",
            "subscriptionKeyParameterNames": {"header": "api-key", "query": "api-key"}}).result()
        apim_client.api_policy.create_or_update(rg, service, api_id, "policy", {"format": "rawxml", "value": policy})
    keys = {}
    # Separate subscriptions per test subject, so that each has its own token-limit counter.
    for name, scope, state in (("callers", "/apis", "active"), ("throttled", "/apis/inference-api", "active"),
                               ("suspended", "/apis", "suspended"), ("pooled-only", "/apis/pooled", "active"),
                               ("streaming", "/apis", "active"), ("embeddings", "/apis", "active"),
                               ("stream-limit", "/apis", "active")):
        apim_client.subscription.create_or_update(rg, service, name, {"scope": scope, "displayName": name,
                                                                      "state": state})
        keys[name] = apim_client.subscription.list_secrets(rg, service, name).primary_key
    yield {"sub": sub, "rg": rg, "service": service, "apim": apim_client, "cs": cs_client, "authz": authz_client,
           "accounts": accounts, "assignments": assignments, "principal": principal, "keys": keys,
           "base": endpoint["gateway_base_url_template"].format(service=service), "ca": endpoint["ca_bundle"]}
    apim_client.api_management_service.begin_delete(rg, service).result()
    apim_client.deleted_services.begin_purge(service, "swedencentral").result()
    resources.resource_groups.begin_delete(rg).result()


def _set_pool(apim_client, rg, service, members, *, create=False):
    """members: (account label, priority, weight)."""
    apim_client.backend.create_or_update(rg, service, "pool", {"type": "Pool", "pool": {"services": [
        {"id": f"/backends/backend-{label}", "priority": priority, "weight": weight}
        for label, priority, weight in members]}}, if_match=None if create else "*")


def _chat(world, model, *, api="inference", key=None, key_in="header", padding=0, path=None):
    url = f"{world['base']}/{api}/openai/deployments/{model}/chat/completions" if path is None else \
        f"{world['base']}/{path}"
    params, headers = {"api-version": API_VERSION}, {}
    if key is not None and key_in == "header":
        headers["api-key"] = key
    elif key is not None:
        params["api-key"] = key
    body = {"messages": [{"role": "user", "content": "Tell me a short joke about AI." + "x" * padding}],
            "max_tokens": 50, "model": model}
    return requests.post(url, params=params, headers=headers, json=body, verify=world["ca"], timeout=30)


def test_endpoint_json_names_the_gateway(endpoint):
    assert endpoint["gateway_base_url_template"] == f"{endpoint['arm_endpoint']}/gateway/{{service}}"


def test_each_deployment_answers_through_the_gateway_with_its_model(world, requests_log):
    key = world["keys"]["callers"]
    for model in ("gpt-4o-mini", "gpt-4.1-mini"):
        response = _chat(world, model, key=key)
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["object"] == "chat.completion" and body["model"] == model
        usage = body["usage"]
        assert usage["prompt_tokens"] > 0
        assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"]
        assert body["choices"][0]["message"]["role"] == "assistant" and body["choices"][0]["message"]["content"]
        assert response.headers["x-ms-region"] == "swedencentral"
        assert 0 < int(response.headers["x-ratelimit-remaining-tokens"]) < CAPACITY * 1000
        assert response.headers["x-consumed-tokens"] == str(usage["total_tokens"])
        assert int(response.headers["x-remaining-tokens"]) < TOKENS_PER_MINUTE
        assert dataplane.UNEVALUATED_HEADER not in response.headers   # every element of the lab's policy runs
    # The same request gives the same usage: it is computed from the request size.
    assert _chat(world, "gpt-4o-mini", key=key).json()["usage"] == _chat(world, "gpt-4o-mini", key=key).json()["usage"]
    assert _chat(world, "gpt-4o-mini", key=key, key_in="query").status_code == 200
    logged = [line for line in requests_log() if line["kind"] == "gateway"]
    assert len(logged) == 5 and {line["status"] for line in logged} == {200}
    assert logged[0]["path"] == f"/gateway/{world['service']}/inference/openai/deployments/gpt-4o-mini/chat/completions"
    assert not any(key in json.dumps(line) for line in logged)


def test_missing_invalid_and_out_of_scope_keys_get_apim_401(world):
    missing = _chat(world, "gpt-4o-mini")
    assert missing.status_code == 401 and missing.json() == {"statusCode": 401, "message": dataplane.MISSING_KEY}
    assert "Access denied due to missing subscription key" in dataplane.MISSING_KEY
    for key in ("0" * 32, world["keys"]["suspended"], world["keys"]["pooled-only"]):
        invalid = _chat(world, "gpt-4o-mini", key=key)
        assert invalid.status_code == 401 and invalid.json() == {"statusCode": 401, "message": dataplane.INVALID_KEY}
    # Ocp-Apim-Subscription-Key is not this API's header name (the lab renames it to api-key).
    renamed = requests.post(f"{world['base']}/inference/openai/deployments/gpt-4o-mini/chat/completions",
                            headers={"Ocp-Apim-Subscription-Key": world["keys"]["callers"]}, json={},
                            verify=world["ca"], timeout=30)
    assert renamed.status_code == 401 and renamed.json()["message"] == dataplane.MISSING_KEY


def test_product_subscriptions_reach_only_the_product_apis(world):
    apim_client, rg, service = world["apim"], world["rg"], world["service"]
    apim_client.product.create_or_update(rg, service, "starter", {"displayName": "Starter", "state": "published"})
    apim_client.subscription.create_or_update(rg, service, "starter-sub", {"scope": "/products/starter",
                                                                           "displayName": "Starter", "state": "active"})
    key = apim_client.subscription.list_secrets(rg, service, "starter-sub").primary_key
    assert _chat(world, "gpt-4o-mini", key=key).status_code == 401
    apim_client.product_api.create_or_update(rg, service, "starter", "inference-api")
    assert _chat(world, "gpt-4o-mini", key=key).status_code == 200
    assert _chat(world, "gpt-4o-mini", api="pooled", key=key).status_code == 401


def test_a_reasoning_model_refuses_max_tokens_as_azure_does_and_takes_max_completion_tokens(world):
    key = world["keys"]["callers"]
    refused = _chat(world, "gpt-5.4-mini", key=key)
    assert refused.status_code == 400
    assert refused.json() == {"error": {
        "message": "Unsupported parameter: 'max_tokens' is not supported with this model. Use 'max_completion_tokens' "
                   "instead.", "type": "invalid_request_error", "param": "max_tokens", "code": "unsupported_parameter"}}
    url = f"{world['base']}/inference/openai/deployments/gpt-5.4-mini/chat/completions"
    body = {"messages": [{"role": "user", "content": "Say OK."}], "max_completion_tokens": 50}
    answered = requests.post(url, params={"api-version": API_VERSION}, headers={"api-key": key}, json=body,
                             verify=world["ca"], timeout=30)
    assert answered.status_code == 200, answered.text
    assert _chat(world, "gpt-4.1-mini", key=key).status_code == 200     # not a reasoning model: max_tokens is fine


def test_unknown_deployment_api_service_and_operation_get_their_real_404s(world):
    key = world["keys"]["callers"]
    missing = _chat(world, "gpt-5-imaginary", key=key)
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "DeploymentNotFound"
    assert missing.json()["error"]["message"].startswith("The API deployment for this resource does not exist.")
    nowhere = _chat(world, "gpt-4o-mini", api="nowhere", key=key)
    assert nowhere.status_code == 404 and nowhere.json() == {"statusCode": 404, "message": "Resource not found"}
    other = requests.get(f"{world['base']}-missing/inference/x", verify=world["ca"], timeout=30)
    assert other.status_code == 404 and other.json()["statusCode"] == 404

    apim_client, rg, service = world["apim"], world["rg"], world["service"]
    apim_client.api.begin_create_or_update(rg, service, "items", {
        "path": "items", "displayName": "Items", "protocols": ["https"], "subscriptionRequired": False,
        "serviceUrl": world["accounts"]["a"].properties.endpoint + "openai"}).result()
    apim_client.api_operation.create_or_update(rg, service, "items", "chat", {
        "displayName": "Chat", "method": "POST", "urlTemplate": "/deployments/{deployment-id}/chat/completions"})
    unmatched = requests.get(f"{world['base']}/items/deployments/gpt-4o-mini/chat/completions", verify=world["ca"],
                             timeout=30)
    assert unmatched.status_code == 404 and unmatched.json() == {"statusCode": 404, "message": "Resource not found"}
    # Matched, no key needed, but the backend call carries no credential: the account refuses it.
    no_credential = _chat(world, "gpt-4o-mini", path="items/deployments/gpt-4o-mini/chat/completions")
    assert no_credential.status_code == 401 and no_credential.json()["error"]["code"] == "401"


def test_token_limit_answers_429_per_subscription_until_the_window_ends(world):
    key = world["keys"]["throttled"]
    first = _chat(world, "gpt-4o-mini", key=key, padding=4 * TOKENS_PER_MINUTE)   # about the whole minute's budget
    assert first.status_code == 200 and first.headers["x-remaining-tokens"] == "0"
    throttled = _chat(world, "gpt-4o-mini", key=key)
    assert throttled.status_code == 429
    message = throttled.json()["message"]
    assert throttled.json()["statusCode"] == 429 and message.startswith("Token limit is exceeded. Try again in")
    assert 1 <= int(throttled.headers["Retry-After"]) <= 60 and throttled.headers["x-remaining-tokens"] == "0"
    assert f"in {throttled.headers['Retry-After']} seconds" in message
    assert _chat(world, "gpt-4o-mini", key=world["keys"]["callers"]).status_code == 200   # its own counter


def test_missing_role_assignment_is_permission_denied_by_the_account(world):
    account = world["accounts"]["a"]
    assignment = world["assignments"]["a"]
    world["authz"].role_assignments.delete(account.id, assignment.name)
    try:
        denied = _chat(world, "gpt-4o-mini", key=world["keys"]["callers"])
        assert denied.status_code == 401
        error = denied.json()["error"]
        assert error["code"] == "PermissionDenied" and world["principal"] in error["message"]
        assert "Microsoft.CognitiveServices/accounts/OpenAI/deployments/chat/completions/action" in error["message"]
    finally:
        world["assignments"]["a"] = world["authz"].role_assignments.create(account.id, str(uuid.uuid4()), {
            "role_definition_id": authz.role_definition_id(world["sub"], CS_USER),
            "principal_id": world["principal"], "principal_type": "ServicePrincipal"})
    assert _chat(world, "gpt-4o-mini", key=world["keys"]["callers"]).status_code == 200


def test_account_without_public_network_access_answers_403(world):
    cs_client, rg, account = world["cs"], world["rg"], world["accounts"]["a"]
    cs_client.accounts.begin_update(rg, account.name, csm.Account(
        properties=csm.AccountProperties(public_network_access="Disabled"))).result()
    try:
        refused = _chat(world, "gpt-4o-mini", key=world["keys"]["callers"])
        assert refused.status_code == 403
        assert refused.json()["error"]["message"] == "Public access is disabled. Please configure private endpoint."
    finally:
        cs_client.accounts.begin_update(rg, account.name, csm.Account(
            properties=csm.AccountProperties(public_network_access="Enabled"))).result()


def test_pool_routes_by_priority_then_weight_across_two_accounts(world):
    apim_client, rg, service = world["apim"], world["rg"], world["service"]
    key = world["keys"]["pooled-only"]

    def regions(calls=12):
        answers = [_chat(world, "gpt-4o-mini", api="pooled", key=key) for _ in range(calls)]
        assert {answer.status_code for answer in answers} == {200}, answers[0].text
        return {answer.headers["x-ms-region"] for answer in answers}

    unevaluated = _chat(world, "gpt-4o-mini", api="pooled", key=key).headers[dataplane.UNEVALUATED_HEADER]
    assert unevaluated == "find-and-replace"
    assert regions() == {"swedencentral"}                      # A has priority 1
    _set_pool(apim_client, rg, service, [("a", 2, None), ("b", 1, None)])
    assert regions() == {"eastus"}                             # now B has
    _set_pool(apim_client, rg, service, [("a", 1, 1), ("b", 1, 1)])
    assert regions(24) == {"swedencentral", "eastus"}          # one group: weights split the traffic
    _set_pool(apim_client, rg, service, [("a", 1, 1), ("b", 1, 0)])
    assert regions() == {"swedencentral"}
    # B has no gpt-4.1-mini: routed there, the account answers for itself.
    _set_pool(apim_client, rg, service, [("b", 1, None)])
    assert _chat(world, "gpt-4.1-mini", api="pooled", key=key).json()["error"]["code"] == "DeploymentNotFound"


# --- streaming and embeddings with the stock openai client ----------------------------------------------

PROMPT = [{"role": "user", "content": "Tell me a short joke about AI."}]


def _http(world):
    return openai.DefaultHttpxClient(verify=ssl.create_default_context(cafile=world["ca"]))


def _azure_openai(world, key: str) -> openai.AzureOpenAI:
    return openai.AzureOpenAI(azure_endpoint=f"{world['base']}/inference", api_key=key, api_version=API_VERSION,
                              max_retries=0, http_client=_http(world))


def _openai_v1(world, key: str) -> openai.OpenAI:
    # The API renames APIM's key header to api-key (lab); the v1 client's own bearer is replaced by APIM's identity.
    return openai.OpenAI(base_url=f"{world['base']}/inference/openai/v1", api_key="unused", max_retries=0,
                         default_headers={"api-key": key}, http_client=_http(world))


def _text(chunks) -> str:
    return "".join(chunk.choices[0].delta.content or "" for chunk in chunks if chunk.choices)


def test_stock_clients_stream_azure_shaped_chunks_on_the_deployment_and_v1_routes(world):
    key = world["keys"]["streaming"]
    azure = _azure_openai(world, key)
    whole = azure.chat.completions.create(model="gpt-4o-mini", messages=PROMPT)
    chunks = list(azure.chat.completions.create(model="gpt-4o-mini", messages=PROMPT, stream=True,
                                                stream_options={"include_usage": True}))
    # Azure's first chunk: the prompt's filter results and no choices; then the role; then content.
    assert chunks[0].choices == [] and chunks[0].model_extra["prompt_filter_results"][0]["prompt_index"] == 0
    assert chunks[1].choices[0].delta.role == "assistant" and chunks[1].choices[0].delta.content == ""
    pieces = [chunk.choices[0].delta.content for chunk in chunks[2:]
              if chunk.choices and chunk.choices[0].delta.content]
    assert len(pieces) >= 3 and _text(chunks) == whole.choices[0].message.content
    finishes = [chunk.choices[0].finish_reason for chunk in chunks if chunk.choices]
    assert finishes[-1] == "stop" and set(finishes[:-1]) == {None}
    usage = chunks[-1].usage
    assert chunks[-1].choices == [] and usage.completion_tokens == whole.usage.completion_tokens
    assert usage.total_tokens == usage.prompt_tokens + usage.completion_tokens > 0
    assert all(chunk.usage is None for chunk in chunks[1:-1])
    assert {chunk.id for chunk in chunks[1:]} == {chunks[1].id} and chunks[1].model == "gpt-4o-mini"

    v1_chunks = list(_openai_v1(world, key).chat.completions.create(model="gpt-4.1-mini", messages=PROMPT,
                                                                    stream=True))
    assert _text(v1_chunks) == whole.choices[0].message.content and v1_chunks[1].model == "gpt-4.1-mini"
    assert v1_chunks[-1].choices[0].finish_reason == "stop"   # no usage chunk without include_usage
    assert all(getattr(chunk, "usage", None) is None for chunk in v1_chunks)


def test_streamed_usage_counts_against_the_token_limit(world):
    key = world["keys"]["stream-limit"]
    url = f"{world['base']}/inference/openai/deployments/gpt-4o-mini/chat/completions"
    before = _chat(world, "gpt-4o-mini", key=key)
    remaining = int(before.headers["x-remaining-tokens"])
    with requests.post(url, params={"api-version": API_VERSION}, headers={"api-key": key}, stream=True,
                       json={"messages": PROMPT, "stream": True, "stream_options": {"include_usage": True}},
                       verify=world["ca"], timeout=30) as streamed:
        assert streamed.status_code == 200 and streamed.headers["Content-Type"].startswith("text/event-stream")
        lines = [line for line in streamed.iter_lines(decode_unicode=True) if line]
    assert all(line.startswith("data: ") for line in lines) and lines[-1] == "data: [DONE]"
    usage = json.loads(lines[-2][len("data: "):])["usage"]
    assert streamed.headers["x-consumed-tokens"] == str(usage["total_tokens"])
    assert int(streamed.headers["x-remaining-tokens"]) == remaining - usage["total_tokens"]


def _cosine(a, b) -> float:
    return sum(x * y for x, y in zip(a, b))


def test_stock_clients_get_deterministic_embeddings_with_the_documented_dimensions(world):
    azure = _azure_openai(world, world["keys"]["embeddings"])
    texts = ["How do I reset my password?", "How can I reset my password", "Sunny weather expected in Paris today"]
    answer = azure.embeddings.create(model="text-embedding-3-small", input=texts)   # base64 on the wire
    vectors = [item.embedding for item in answer.data]
    assert answer.model == "text-embedding-3-small" and [item.index for item in answer.data] == [0, 1, 2]
    assert {len(vector) for vector in vectors} == {1536} and answer.usage.prompt_tokens > 0
    assert all(abs(_cosine(vector, vector) - 1) < 1e-4 for vector in vectors)
    assert _cosine(vectors[0], vectors[1]) > 0.6 > 0.2 > _cosine(vectors[0], vectors[2])
    again = azure.embeddings.create(model="text-embedding-3-small", input=texts[0]).data[0].embedding
    assert again == vectors[0]
    as_floats = azure.embeddings.create(model="text-embedding-3-small", input=texts[0], encoding_format="float")
    assert max(abs(x - y) for x, y in zip(as_floats.data[0].embedding, vectors[0])) < 1e-6
    assert len(azure.embeddings.create(model="text-embedding-3-large", input="x").data[0].embedding) == 3072
    assert len(azure.embeddings.create(model="text-embedding-3-small", input="x", dimensions=256).data[0].embedding) \
        == 256
    assert len(azure.embeddings.create(model="text-embedding-ada-002", input="x").data[0].embedding) == 1536
    with pytest.raises(openai.BadRequestError) as refused:
        azure.embeddings.create(model="text-embedding-ada-002", input="x", dimensions=256)
    assert refused.value.body["param"] == "dimensions"
    with pytest.raises(openai.BadRequestError):
        azure.embeddings.create(model="text-embedding-3-small", input="x", dimensions=4096)
    v1 = _openai_v1(world, world["keys"]["embeddings"]).embeddings.create(model="text-embedding-3-small",
                                                                          input=texts[0])
    assert v1.data[0].embedding == vectors[0]


def test_chat_and_embeddings_deployments_refuse_each_others_operation(world):
    azure = _azure_openai(world, world["keys"]["embeddings"])
    with pytest.raises(openai.BadRequestError) as embeddings_on_chat:
        azure.embeddings.create(model="gpt-4o-mini", input="hello")
    assert embeddings_on_chat.value.code == "OperationNotSupported"
    assert embeddings_on_chat.value.body["message"].startswith(
        "The embeddings operation does not work with the specified model, gpt-4o-mini.")
    with pytest.raises(openai.BadRequestError) as chat_on_embeddings:
        azure.chat.completions.create(model="text-embedding-3-small", messages=PROMPT)
    assert chat_on_embeddings.value.code == "OperationNotSupported"
    assert chat_on_embeddings.value.body["message"].startswith(
        "The chatCompletion operation does not work with the specified model, text-embedding-3-small.")
    with pytest.raises(openai.NotFoundError) as missing:
        azure.embeddings.create(model="text-embedding-imaginary", input="hello")
    assert missing.value.code == "DeploymentNotFound"


REWRITE_POLICY = """<policies><inbound><base />
  <authentication-managed-identity resource="https://cognitiveservices.azure.com" />
  <set-backend-service backend-id="a-gpt-4.1-mini" />
  <rewrite-uri template="@(Regex.Match(context.Request.OriginalUrl.Path, &quot;/deployments/[^/]+(/.*)?$&quot;).Groups[1].Value)" />
</inbound><backend><base /></backend><outbound><base /></outbound><on-error><base /></on-error></policies>"""


def test_rewrite_uri_sends_the_call_below_a_backend_url_that_names_its_deployment(world):
    """A per-deployment backend (its URL ends in the deployment) with the policy's rewrite-uri keeping what follows
    the called deployment: the call for gpt-4o-mini is answered by the backend's gpt-4.1-mini, api-version kept."""
    apim_client, rg, service = world["apim"], world["rg"], world["service"]
    apim_client.backend.create_or_update(rg, service, "a-gpt-4.1-mini", {
        "url": world["accounts"]["a"].properties.endpoint.rstrip("/") + "/openai/deployments/gpt-4.1-mini",
        "protocol": "http"})
    apim_client.api.begin_create_or_update(rg, service, "rewritten", {
        "path": "rewritten", "displayName": "rewritten", "protocols": ["https"], "format": "openapi+json",
        "value": json.dumps(PASSTHROUGH), "subscriptionRequired": True, "apiType": "http",
        "subscriptionKeyParameterNames": {"header": "api-key", "query": "api-key"}}).result()
    apim_client.api_policy.create_or_update(rg, service, "rewritten", "policy",
                                            {"format": "rawxml", "value": REWRITE_POLICY})
    answer = _chat(world, "gpt-4o-mini", api="rewritten", key=world["keys"]["callers"])
    assert answer.status_code == 200, answer.text
    assert answer.json()["model"] == "gpt-4.1-mini"
    assert dataplane.UNEVALUATED_HEADER not in answer.headers


@pytest.mark.parametrize("tail, body, expected", [
    ("rewritten/openai/deployments/gpt-4o-mini/chat/completions", b"{}", "gpt-4o-mini"),   # as called, not rewritten
    ("inference/openai/v1/chat/completions", b'{"model": "gpt-4.1-mini"}', "gpt-4.1-mini"),
    ("", b'{"input": "text"}', "served"),                                # the semantic cache's own embeddings call
])
def test_the_llm_logs_deployment_is_the_one_the_client_named(tail, body, expected):
    """Learn, ApiManagementGatewayLlmLog: DeploymentName is "The deployment name used by the client"."""
    call = dataplane.Call(method="POST", rest="", query={}, headers={}, body=body, client_ip="::1", tail=tail)
    assert dataplane.called_deployment(call, "served") == expected


def test_stock_clients_reach_the_responses_api_on_the_classic_and_v1_routes(world):
    """The Responses API names the deployment in `model` on /openai/responses?api-version= and /openai/v1/responses
    (Learn, Azure OpenAI Responses API); both answer an OpenAI Response with usage in its own names."""
    key = world["keys"]["streaming"]
    for client, model in ((_azure_openai(world, key), "gpt-4o-mini"), (_openai_v1(world, key), "gpt-4.1-mini")):
        response = client.responses.create(model=model, input="Answer with OK.")
        assert response.object == "response" and response.status == "completed" and response.model == model
        assert response.output_text and response.usage.total_tokens == \
            response.usage.input_tokens + response.usage.output_tokens > 0
    with pytest.raises(openai.BadRequestError, match="The responses operation does not work with the specified model"):
        _openai_v1(world, key).responses.create(model="text-embedding-3-small", input="Answer with OK.")
