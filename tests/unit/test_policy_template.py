"""The gateway role's inference policy template: each capability alone and all together, checked as XML."""

import importlib.util
import json
import sys
from pathlib import Path

import jinja2
import pytest

REPO = Path(__file__).resolve().parents[2]
TEMPLATES = REPO / "roles" / "gateway" / "templates"


def _load_module():
    sys.path.insert(0, str(REPO / ".collections"))
    try:
        from ansible_collections.aigateway.foundry.plugins.module_utils import apim_policy
        return apim_policy
    except ImportError:
        spec = importlib.util.spec_from_file_location("apim_policy", REPO / "plugins/module_utils/apim_policy.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module


ap = _load_module()

# the settings Ansible's template module uses; StrictUndefined makes a misspelt key fail here
ENV = jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES)), trim_blocks=True,
                         undefined=jinja2.StrictUndefined, keep_trailing_newline=True)
POOL = "inference-backend-pool"
TENANT = "11111111-2222-3333-4444-555555555555"
PROJECT = ("/subscriptions/0000/resourceGroups/rg/providers/Microsoft.CognitiveServices/accounts/agents"
           "/projects/foundry-project")
RETRY_CONDITION = "@(context.Response.StatusCode == 429 || context.Response.StatusCode == 503)"

CAPABILITIES = {
    "minimal": {},
    "no_managed_identity": {"backend_auth": {"managed_identity": False}},
    "entra_only": {"gateway_auth": {"subscription_key": False, "entra": {
        "enabled": True, "tenant_id": TENANT,
        "required_claims": [{"name": "xms_mirid", "match": "any", "values": [PROJECT]}]}}},
    "entra_and_key": {"gateway_auth": {"subscription_key": True, "entra": {"enabled": True, "tenant_id": TENANT}}},
    "token_limit": {"token_limit": {"enabled": True, "tokens_per_minute": 100, "estimate_prompt_tokens": True,
                                    "remaining_tokens_header": "x-ratelimit-remaining-tokens",
                                    "remaining_tokens_variable": "remainingTokens"}},
    "token_quotas": {"token_quotas": [
        {"product": "platinum", "token_quota": 1000000, "token_quota_period": "Monthly", "tokens_per_minute": 2000},
        {"product": "silver", "token_quota": 10000, "token_quota_period": "Daily",
         "remaining_quota_tokens_variable": "remainingQuota"}]},
    "token_metrics": {"token_metrics": {"enabled": True, "namespace": "openai", "user_header": "x-user-id"}},
    "semantic_cache": {"semantic_cache": {"enabled": True, "score_threshold": 0.8,
                                          "embeddings_backend_id": "embeddings-backend", "duration": 120}},
    "retry": {"retry": {"enabled": True}},
    "content_safety": {"content_safety": {
        "enabled": True, "backend_id": "content-safety-backend", "shield_prompt": True,
        "output_type": "EightSeverityLevels", "blocklists": ["blocklist1"],
        "categories": [{"name": n, "threshold": 4} for n in ("SelfHarm", "Hate", "Violence", "Sexual")]}},
    "custom_fragments": {"custom_fragments": {
        "inbound": '<set-header name="x-gateway" exists-action="override"><value>foundry</value></set-header>',
        "backend": "",
        "outbound": '<set-header name="x-powered-by" exists-action="delete" />',
        "on_error": '<set-header name="x-error" exists-action="override"><value>@(context.LastError.Reason)</value>'
                    '</set-header>'}},
}


def everything():
    merged = {}
    for name, settings in CAPABILITIES.items():
        if name != "no_managed_identity":
            merged.update(settings)
    merged["gateway_auth"] = CAPABILITIES["entra_only"]["gateway_auth"]
    return merged


def render(settings):
    policy = dict(settings)
    policy.setdefault("backend_id", POOL)
    return ENV.get_template("inference-policy.xml.j2").render(gateway_policy=policy)


def sections(xml_text):
    root = ap.parse_policy(xml_text)
    assert root.tag == "policies"
    return {section.tag: section.elements() for section in root.elements()}


def tags(nodes):
    return [node.tag for node in nodes]


def find(nodes, tag):
    found = [node for node in nodes if node.tag == tag]
    assert len(found) == 1, tags(nodes)
    return found[0]


@pytest.mark.parametrize("name", sorted(CAPABILITIES) + ["everything"])
def test_every_rendering_is_a_valid_api_policy(name):
    settings = everything() if name == "everything" else CAPABILITIES[name]
    assert [str(p) for p in ap.validate_policy(render(settings), scope="api")] == []


def test_minimal_policy_is_the_lab_policy_without_double_auth():
    parts = sections(render({}))
    assert tags(parts["inbound"]) == ["base", "authentication-managed-identity", "set-header", "set-backend-service"]
    identity = parts["inbound"][1]
    assert identity.attrs["resource"] == "https://cognitiveservices.azure.com"
    assert identity.attrs["output-token-variable-name"] == "managed-id-access-token"
    header = parts["inbound"][2]
    assert header.attrs == {"name": "Authorization", "exists-action": "override"}
    assert find(header.elements(), "value").text == '@("Bearer " + (string)context.Variables["managed-id-access-token"])'
    assert parts["inbound"][3].attrs == {"backend-id": POOL}
    for section in ("backend", "outbound", "on-error"):
        assert tags(parts[section]) == ["base"]


def test_single_backend_id_and_user_assigned_identity():
    parts = sections(render({"backend_id": "models-foundry", "backend_auth": {"client_id": "abc"}}))
    assert parts["inbound"][-1].attrs == {"backend-id": "models-foundry"}
    assert parts["inbound"][1].attrs["client-id"] == "abc"


def test_managed_identity_can_be_left_to_the_backend():
    assert tags(sections(render(CAPABILITIES["no_managed_identity"]))["inbound"]) == ["base", "set-backend-service"]


def test_entra_only_validates_every_request_and_keys_counters_on_the_project():
    settings = dict(CAPABILITIES["entra_only"], token_limit={"enabled": True, "tokens_per_minute": 10})
    inbound = sections(render(settings))["inbound"]
    assert tags(inbound)[:3] == ["base", "validate-azure-ad-token", "llm-token-limit"]
    token = inbound[1]
    assert token.attrs["tenant-id"] == TENANT
    assert token.attrs["header-name"] == "Authorization"
    assert token.attrs["failed-validation-httpcode"] == "401"
    audiences = find(token.elements(), "audiences").elements()
    assert [a.text for a in audiences] == ["https://cognitiveservices.azure.com"]
    claim = find(find(token.elements(), "required-claims").elements(), "claim")
    assert claim.attrs == {"name": "xms_mirid", "match": "any"}
    assert [v.text for v in claim.elements()] == [PROJECT]
    assert 'GetValueOrDefault("xms_mirid"' in inbound[2].attrs["counter-key"]
    assert inbound[2].attrs["counter-key"].startswith('@("api|" + (context.Subscription?.Id ??')


def test_admitted_principals_pass_on_their_oid_everyone_else_meets_the_required_claims():
    settings = {"gateway_auth": {"subscription_key": False, "entra": dict(
        CAPABILITIES["entra_only"]["gateway_auth"]["entra"], admitted_principals=["p-1", "p-2"])}}
    assert [str(p) for p in ap.validate_policy(render(settings), scope="api")] == []
    inbound = sections(render(settings))["inbound"]
    assert tags(inbound)[:3] == ["base", "validate-azure-ad-token", "choose"]
    assert "required-claims" not in tags(inbound[1].elements())   # any token of the tenant and audience first
    when = find(inbound[2].elements(), "when")
    oid = 'GetValueOrDefault("oid", "unknown")'
    assert when.attrs["condition"].startswith("@(") and when.attrs["condition"].count(oid) == 2
    assert '!= "p-1" && ' in when.attrs["condition"] and when.attrs["condition"].endswith('!= "p-2")')
    claims = find(find(when.elements(), "validate-azure-ad-token").elements(), "required-claims")
    assert [v.text for v in find(claims.elements(), "claim").elements()] == [PROJECT]
    # without required claims every token of the tenant passes already: nothing to add
    plain = {"gateway_auth": {"subscription_key": False, "entra": {"enabled": True, "tenant_id": TENANT,
                                                                   "admitted_principals": ["p-1"]}}}
    assert tags(sections(render(plain))["inbound"])[:2] == ["base", "validate-azure-ad-token"]


def test_entra_with_keys_checks_the_token_only_without_subscription():
    inbound = sections(render(CAPABILITIES["entra_and_key"]))["inbound"]
    assert tags(inbound)[:2] == ["base", "choose"]
    when = find(inbound[1].elements(), "when")
    assert when.attrs["condition"] == "@(context.Subscription == null)"
    assert tags(when.elements()) == ["validate-azure-ad-token"]
    assert "required-claims" not in tags(when.elements()[0].elements())


def test_a_literal_counter_key_gets_its_scope_and_a_statement_block_stays_as_written():
    literal = sections(render({"token_limit": {"enabled": True, "tokens_per_minute": 1, "counter_key": "all"}}))
    assert find(literal["inbound"], "llm-token-limit").attrs["counter-key"] == "api|all"
    block = '@{return context.Subscription.Id;}'
    written = sections(render({"token_limit": {"enabled": True, "tokens_per_minute": 1, "counter_key": block}}))
    assert find(written["inbound"], "llm-token-limit").attrs["counter-key"] == block


def test_token_limit_attributes():
    inbound = sections(render(CAPABILITIES["token_limit"]))["inbound"]
    limit = find(inbound, "llm-token-limit")
    assert limit.attrs == {
        "counter-key": '@("api|" + (context.Subscription.Id))', "tokens-per-minute": "100",
        "estimate-prompt-tokens": "true",
        "remaining-tokens-header-name": "x-ratelimit-remaining-tokens",
        "remaining-tokens-variable-name": "remainingTokens"}


def test_token_quotas_per_product():
    inbound = sections(render(CAPABILITIES["token_quotas"]))["inbound"]
    branches = find(inbound, "choose").elements()
    assert tags(branches) == ["when", "when"]
    assert branches[0].attrs["condition"] == '@((string)context.Product?.Id == "platinum")'
    platinum = find(branches[0].elements(), "llm-token-limit")
    assert platinum.attrs["token-quota"] == "1000000"
    assert platinum.attrs["token-quota-period"] == "Monthly"
    assert platinum.attrs["tokens-per-minute"] == "2000"
    silver = find(branches[1].elements(), "llm-token-limit")
    assert "tokens-per-minute" not in silver.attrs
    # a counter of its own scope: not the API limit's, nor a product policy's (one counter per key, Learn)
    assert platinum.attrs["counter-key"] == silver.attrs["counter-key"] == \
        '@("product-quota|" + (context.Subscription.Id))'
    assert silver.attrs["remaining-quota-tokens-variable-name"] == "remainingQuota"


def test_a_project_calling_with_its_identity_has_its_own_limit_keyed_on_its_oid():
    principal = "99999999-0000-0000-0000-000000000001"
    settings = dict(CAPABILITIES["entra_and_key"], token_quotas=[
        {"product": "team-a", "tokens_per_minute": 500},
        {"principal_id": principal, "tokens_per_minute": 300, "token_quota": 9000, "token_quota_period": "Daily"}])
    xml_text = render(settings)
    assert [str(p) for p in ap.validate_policy(xml_text, scope="api")] == []
    inbound = sections(xml_text)["inbound"]
    assert tags(inbound)[:3] == ["base", "choose", "choose"]   # the token check first, then the limits
    branches = inbound[2].elements()
    assert branches[0].attrs["condition"] == '@((string)context.Product?.Id == "team-a")'
    oid = '((Jwt)context.Variables["jwt"]).Claims.GetValueOrDefault("oid", "unknown")'
    assert branches[1].attrs["condition"] == '@(context.Subscription == null && %s == "%s")' % (oid, principal)
    limit = find(branches[1].elements(), "llm-token-limit")
    assert limit.attrs == {"counter-key": '@("principal-quota|" + (%s))' % oid, "tokens-per-minute": "300",
                           "token-quota": "9000",
                           "token-quota-period": "Daily", "estimate-prompt-tokens": "false"}


def test_product_id_is_escaped_inside_the_condition():
    settings = {"token_quotas": [{"product": 'a"b&c', "token_quota": 5, "token_quota_period": "Daily"}]}
    when = find(find(sections(render(settings))["inbound"], "choose").elements(), "when")
    assert when.attrs["condition"] == '@((string)context.Product?.Id == "a"b&c")'


def test_token_metrics_dimensions():
    metric = find(sections(render(CAPABILITIES["token_metrics"]))["inbound"], "llm-emit-token-metric")
    assert metric.attrs == {"namespace": "openai"}
    dimensions = {d.attrs["name"]: d.attrs.get("value") for d in metric.elements()}
    assert dimensions == {
        "Subscription ID": '@(context.Subscription?.Id ?? "none")',
        "API ID": "@(context.Api.Id)",
        "Client IP": "@(context.Request.IpAddress)",
        "User ID": '@(context.Request.Headers.GetValueOrDefault("x-user-id", "N/A"))'}


def test_semantic_cache_lookup_and_store_positions():
    parts = sections(render(CAPABILITIES["semantic_cache"]))
    inbound = tags(parts["inbound"])
    assert inbound.index("llm-semantic-cache-lookup") < inbound.index("authentication-managed-identity")
    lookup = find(parts["inbound"], "llm-semantic-cache-lookup")
    assert lookup.attrs == {"score-threshold": "0.8", "embeddings-backend-id": "embeddings-backend",
                            "embeddings-backend-auth": "system-assigned"}
    # The caller's partition, then the proof step's own inside it (verify's x-aigw-proof-partition header).
    assert [v.text for v in lookup.elements()] == [
        "@(context.Subscription.Id)", '@(context.Request.Headers.GetValueOrDefault("x-aigw-proof-partition", ""))']
    assert tags(parts["outbound"]) == ["llm-semantic-cache-store", "base"]
    assert parts["outbound"][0].attrs == {"duration": "120"}


def test_retry_replaces_base_in_backend_and_adds_clean_503():
    parts = sections(render(CAPABILITIES["retry"]))
    assert tags(parts["backend"]) == ["retry"]
    retry = parts["backend"][0]
    assert retry.attrs == {"condition": RETRY_CONDITION, "count": "2", "interval": "0", "first-fast-retry": "true"}
    assert tags(retry.elements()) == ["set-backend-service", "forward-request"]
    assert retry.elements()[1].attrs == {"buffer-request-body": "true"}
    assert tags(parts["on-error"]) == ["base", "choose"]
    when = find(parts["on-error"][1].elements(), "when")
    assert "StatusCode == 503" in when.attrs["condition"]
    status = find(find(when.elements(), "return-response").elements(), "set-status")
    assert status.attrs == {"code": "503", "reason": "Service Unavailable"}


def test_retry_status_codes_and_timing():
    settings = {"retry": {"enabled": True, "status_codes": [429], "count": 3, "interval": 1, "max_interval": 10,
                          "delta": 2, "first_fast_retry": False}, "unavailable_response": {"enabled": False}}
    parts = sections(render(settings))
    assert parts["backend"][0].attrs == {"condition": "@(context.Response.StatusCode == 429)", "count": "3",
                                         "interval": "1", "max-interval": "10", "delta": "2",
                                         "first-fast-retry": "false"}
    assert tags(parts["on-error"]) == ["base"]


def test_content_safety():
    safety = find(sections(render(CAPABILITIES["content_safety"]))["inbound"], "llm-content-safety")
    assert safety.attrs == {"backend-id": "content-safety-backend", "shield-prompt": "true"}
    categories = find(safety.elements(), "categories")
    assert categories.attrs == {"output-type": "EightSeverityLevels"}
    assert [(c.attrs["name"], c.attrs["threshold"]) for c in categories.elements()] == [
        ("SelfHarm", "4"), ("Hate", "4"), ("Violence", "4"), ("Sexual", "4")]
    assert [i.text for i in find(safety.elements(), "blocklists").elements()] == ["blocklist1"]


def test_custom_fragments_are_appended_last():
    parts = sections(render(CAPABILITIES["custom_fragments"]))
    assert parts["inbound"][-1].attrs["name"] == "x-gateway"
    assert tags(parts["backend"]) == ["base"]
    assert parts["outbound"][-1].attrs == {"name": "x-powered-by", "exists-action": "delete"}
    assert parts["on-error"][-1].attrs["name"] == "x-error"


def test_broken_fragment_is_caught_by_validation():
    problems = ap.validate_policy(render({"custom_fragments": {"inbound": "<forward-request />"}}))
    assert [(p.element, "in <inbound>" in str(p)) for p in problems] == [("forward-request", True)]


@pytest.mark.parametrize("settings, element, message", [
    ({"token_limit": {"enabled": True, "tokens_per_minute": "lots"}}, "llm-token-limit",
     'tokens-per-minute must be a whole number of at least 1, not "lots"'),
    ({"token_limit": {"enabled": True, "tokens_per_minute": 0}}, "llm-token-limit",
     'tokens-per-minute must be a whole number of at least 1, not "0"'),
    ({"semantic_cache": {"enabled": True, "embeddings_backend_id": "e", "score_threshold": "high"}},
     "llm-semantic-cache-lookup", 'score-threshold must be a number from 0 to 1, not "high"'),
    ({"retry": {"enabled": True, "count": "twice"}}, "retry", 'count must be a whole number of at least 1, not "twice"'),
])
def test_bad_number_is_rendered_as_given_and_refused_naming_it(settings, element, message):
    """No | int in the template: a bad value reaches the validator as written, not as a deny-all 0 (issue 12)."""
    problems = ap.validate_policy(render(settings))
    assert [(p.element, message in str(p)) for p in problems] == [(element, True)]


def test_full_replacement_is_used_as_is():
    replacement = "<policies><inbound><base /></inbound><backend><base /></backend>" \
                  "<outbound><base /></outbound><on-error><base /></on-error></policies>"
    rendered = render({"replace_policy": replacement, "token_limit": {"enabled": True, "tokens_per_minute": 1}})
    assert rendered.strip() == replacement


def test_everything_renders_in_the_documented_order():
    parts = sections(render(everything()))
    assert tags(parts["inbound"]) == [
        "base", "validate-azure-ad-token", "llm-content-safety", "llm-semantic-cache-lookup", "llm-token-limit",
        "choose", "llm-emit-token-metric", "authentication-managed-identity", "set-header", "set-backend-service",
        "set-header"]
    assert tags(parts["backend"]) == ["retry"]
    assert tags(parts["outbound"]) == ["llm-semantic-cache-store", "base", "set-header"]
    assert tags(parts["on-error"]) == ["base", "choose", "set-header"]


def test_rendering_is_stable_under_normalisation():
    rendered = render(everything())
    assert ap.policies_equal(rendered, ap.pretty_policy(rendered))
    assert not ap.policies_equal(rendered, render(dict(everything(), retry={"enabled": True, "count": 3})))


ROUTES = [{"model": "gpt-4o-mini", "backend_id": "inference-backend-pool-gpt-4o-mini",
           "members": [{"backend": "models-a", "priority": 1, "weight": 1},
                       {"backend": "models-b", "priority": 2, "weight": 1}]},
          {"model": "gpt-4.1-mini", "backend_id": "models-c",
           "members": [{"backend": "models-c", "priority": 1, "weight": 1}]}]
ROUTED_BACKEND = '@((string)context.Variables["aigw-backend-id"])'


def test_routing_by_model_picks_each_models_backend_and_answers_an_unknown_model_itself():
    xml_text = render({"model_routes": ROUTES, "retry": {"enabled": True}})
    assert [str(p) for p in ap.validate_policy(xml_text, scope="api")] == []
    parts = sections(xml_text)
    assert tags(parts["inbound"]) == ["base", "set-variable", "choose", "choose", "authentication-managed-identity",
                                      "set-header", "set-backend-service"]
    assert parts["inbound"][1].attrs == {"name": "aigw-model", "value": '@(Regex.Match(context.Request.OriginalUrl.Path'
                                                                        ', "/deployments/([^/]+)").Groups[1].Value)'}
    body = find(find(parts["inbound"][2].elements(), "when").elements(), "set-variable")
    assert body.attrs["value"] == ('@((string)context.Request.Body.As<JObject>(preserveContent: true)["model"] '
                                   '?? "")')
    branches = parts["inbound"][3].elements()
    assert tags(branches) == ["when", "when", "when", "otherwise"]
    assert branches[1].attrs["condition"] == '@((string)context.Variables["aigw-model"] == "gpt-4o-mini")'
    assert find(branches[2].elements(), "set-variable").attrs == {"name": "aigw-backend-id", "value": "models-c"}
    answer = find(branches[3].elements(), "return-response")
    assert find(answer.elements(), "set-status").attrs == {"code": "404", "reason": "Not Found"}
    assert json.loads(find(answer.elements(), "set-body").text) == {"error": {
        "code": "DeploymentNotFound", "message": "The API deployment for this resource does not exist. If you created "
        "the deployment within the last 5 minutes, please wait a moment and try again."}}
    # the routed backend, in inbound and in every retry
    assert parts["inbound"][-1].attrs == {"backend-id": ROUTED_BACKEND}
    assert find(parts["backend"][0].elements(), "set-backend-service").attrs == {"backend-id": ROUTED_BACKEND}


def test_a_route_over_per_deployment_backends_rewrites_the_call_below_the_backends_deployment():
    upgrade = dict(ROUTES[0], backend_id="pool-gpt-4o-mini-via-x", deployments=["gpt-4o-mini", "gpt-4o-mini-2025"])
    xml_text = render({"model_routes": [upgrade] + ROUTES[1:]})
    assert [str(p) for p in ap.validate_policy(xml_text, scope="api")] == []
    branches = sections(xml_text)["inbound"][3].elements()[1:]     # after the model list's branch
    assert tags(branches[0].elements()) == ["set-variable", "rewrite-uri"]
    assert find(branches[0].elements(), "rewrite-uri").attrs == {"template": (
        '@(Regex.Match(context.Request.OriginalUrl.Path, "/deployments/[^/]+(/.*)?$").Groups[1].Value)')}
    assert tags(branches[1].elements()) == ["set-variable"]     # a route by deployment name rewrites nothing


def test_routing_by_model_answers_the_model_list_itself_with_the_models_it_routes():
    branch = sections(render({"model_routes": ROUTES}))["inbound"][3].elements()[0]
    assert branch.attrs["condition"] == ('@(context.Request.Method == "GET" && '
                                         'Regex.Match(context.Request.OriginalUrl.Path, "/models$").Success)')
    answer = find(branch.elements(), "return-response")
    assert find(answer.elements(), "set-status").attrs == {"code": "200", "reason": "OK"}
    assert json.loads(find(answer.elements(), "set-body").text) == {"object": "list", "data": [
        {"id": "gpt-4o-mini", "object": "model"}, {"id": "gpt-4.1-mini", "object": "model"}]}


def test_routing_comes_after_the_caller_check_and_before_anything_spends_tokens():
    inbound = tags(sections(render(dict(everything(), model_routes=ROUTES)))["inbound"])
    assert inbound[:5] == ["base", "validate-azure-ad-token", "set-variable", "choose", "choose"]
    assert inbound[5:7] == ["llm-content-safety", "llm-semantic-cache-lookup"]


def test_a_model_name_spliced_into_code_is_caught_against_the_placeholder_rendering():
    sys.path.insert(0, str(REPO / ".collections"))
    from ansible_collections.aigateway.foundry.plugins.module_utils import validation
    settings = {"model_routes": ROUTES}
    like = render(validation.policy_placeholders(settings))
    assert ap.expressions_problem(render(settings), like) is None
    spliced = [dict(ROUTES[0], model='x" || true || "')] + ROUTES[1:]
    assert "spliced into code" in ap.expressions_problem(render({"model_routes": spliced}), like)
    assert validation.policy_value_problems({"model_routes": spliced}) == [
        "aigw_gateway_policy.model_routes[0].model is 'x\" || true || \"': it must be an id of letters, digits, '.', "
        "'_' and '-', starting with a letter or digit"]
