"""site.yml's input check: the lab's inputs pass; every bad one is named with its value and rule."""
import copy

import pytest

from ansible_collections.aigateway.foundry.plugins.filter import preflight
from ansible_collections.aigateway.foundry.plugins.filter.preflight import aigw_input_problems

MODELS = [{"name": "gpt-4o-mini", "model_name": "gpt-4o-mini", "model_version": "2024-07-18", "model_format": "OpenAI",
           "sku_name": "GlobalStandard", "capacity": 10},
          {"name": "gpt-4.1-mini", "model_name": "gpt-4.1-mini", "model_version": "2025-04-14",
           "model_format": "OpenAI", "sku_name": "GlobalStandard", "capacity": 10}]
LAB = {
    "aigw_resource_group": "lab-ai-foundry-model-gateway", "aigw_location": "swedencentral",
    "aigw_apim_name": "apim-0123456789abc", "aigw_apim_sku": "Standardv2", "aigw_api_type": "PassThrough",
    "aigw_connection_scope": "account", "aigw_connection_auth_type": "ApiKey", "aigw_models": MODELS,
    "aigw_model_hosts": [{"name": "models-foundry-0123456789abc", "priority": 1, "weight": 100,
                          "deployments": MODELS}],
    "aigw_agent_host": {"name": "agents-foundry-0123456789abc", "project": "foundry-project"},
    "aigw_gateway_policy": {"token_limit": {"enabled": True, "tokens_per_minute": 10000},
                            "retry": {"enabled": True, "count": 2}},
}


def with_(path, value):
    inputs = copy.deepcopy(LAB)
    node = inputs
    keys = path.split(".")
    for key in keys[:-1]:
        node = node[int(key)] if isinstance(node, list) else node.setdefault(key, {})
    if isinstance(node, list):
        node[int(keys[-1])] = value
    else:
        node[keys[-1]] = value
    return inputs


def test_the_lab_passes():
    assert aigw_input_problems(LAB) == []


@pytest.mark.parametrize("path, value, words", [
    ("aigw_models", [], ["aigw_models is empty"]),
    ("aigw_models", MODELS + [dict(MODELS[0])], ["aigw_models lists 'gpt-4o-mini' twice"]),
    ("aigw_models.0.model_format", "OpenAl", ["aigw_models[0]", "model_format 'OpenAl'"]),
    ("aigw_models.1.sku_name", "Global", ["aigw_models[1]", "sku_name 'Global'"]),
    ("aigw_models.0.capacity", "ten", ["aigw_models[0]", "capacity is 'ten'"]),
    ("aigw_models.0.name", "-gpt", ["deployment name '-gpt'"]),
    ("aigw_model_hosts", [], ["aigw_model_hosts is empty"]),
    ("aigw_model_hosts.0.name", "agents-foundry-0123456789abc", ["'agents-foundry-0123456789abc' twice"]),
    ("aigw_model_hosts.0.priority", "first", ["aigw_model_hosts[0].priority is 'first'"]),
    ("aigw_model_hosts.0.weight", 101, ["aigw_model_hosts[0].weight is 101", "0 to 100"]),
    ("aigw_model_hosts.0.deployments", [], ["aigw_model_hosts[0].deployments is empty"]),
    ("aigw_agent_host.name", "agents_foundry", ["account name 'agents_foundry'"]),
    ("aigw_resource_group", "rg.", ["resource group name 'rg.'"]),
    ("aigw_location", "", ["aigw_location is empty"]),
    ("aigw_apim_sku", "Gold", ["aigw_apim_sku is 'Gold'"]),
    ("aigw_connection_scope", "hub", ["aigw_connection_scope is 'hub'"]),
    # the foundry_connection role refuses these only after APIM's create started (issue 22 item 3)
    ("aigw_connection_auth_type", "AAD", ["aigw_connection_auth_type is 'AAD'", "ApiKey, ProjectManagedIdentity"]),
    ("aigw_connection_auth_type", "OAuth2", ["aigw_connection_auth_type is 'OAuth2'"]),
    ("aigw_connection_auth_type", "None", ["aigw_connection_auth_type is 'None'"]),
    ("aigw_gateway_policy.token_limit.tokens_per_minute", "lots",
     ["aigw_gateway_policy.token_limit.tokens_per_minute is 'lots'", "whole number"]),
    ("aigw_gateway_policy.token_limit.tokens_per_minute", 0, ["tokens_per_minute is 0", "at least 1"]),
    ("aigw_gateway_policy.token_limit.enabled", "yes", ["token_limit.enabled is 'yes'", "true or false"]),
    ("aigw_gateway_policy.token_limit.token_quota_period", "Fortnightly", ["'Fortnightly'", "Monthly"]),
    ("aigw_gateway_policy.retry.count", 99, ["retry.count is 99", "1 to 50"]),
    ("aigw_gateway_policy.semantic_cache", {"score_threshold": "close"}, ["score_threshold is 'close'"]),
    ("aigw_gateway_policy.token_quotas", [{"product": "gold", "tokens_per_minute": -5}],
     ["token_quotas[0].tokens_per_minute is -5"]),
    ("aigw_gateway_policy", "strict", ["aigw_gateway_policy must be a dict"]),
])
def test_each_bad_input_is_named_with_its_value_and_rule(path, value, words):
    problems = aigw_input_problems(with_(path, value))
    assert len(problems) == 1, problems
    for word in words:
        assert word in problems[0]


def test_numbers_from_the_command_line_are_numbers():
    assert aigw_input_problems(with_("aigw_gateway_policy.token_limit.tokens_per_minute", "2000")) == []


def test_the_gateway_role_names_its_own_variable():
    from ansible_collections.aigateway.foundry.plugins.filter.preflight import FilterModule

    check = FilterModule().filters()["gateway_policy_problems"]
    assert check({"token_limit": {"tokens_per_minute": "lots"}}, "gateway_policy") == [
        "gateway_policy.token_limit.tokens_per_minute is 'lots': it must be a whole number"]
    assert check({"token_limit": {"tokens_per_minute": 500}}, "gateway_policy") == []


# Values the policy template puts inside C# string literals or attributes: a quote must never close the string, a
# literal never become an expression (issue 21 item 2); bad values that break every call are refused (item 3).
@pytest.mark.parametrize("policy, named", [
    ({"token_metrics": {"enabled": True, "user_header": (
        'x", "N/A") + context.Subscription.Key + context.Request.Headers.GetValueOrDefault("y')}},
     "aigw_gateway_policy.token_metrics.user_header"),
    ({"token_quotas": [{"product": 'gold") || true || ("', "tokens_per_minute": 10}]},
     "aigw_gateway_policy.token_quotas[0].product"),
    ({"gateway_auth": {"entra": {"enabled": True, "tenant_id": "00000000-0000-0000-0000-000000000001",
                                 "output_token_variable": 'jwt"]).Claims.Count > 0 || ((Jwt)context.Variables["jwt'}}},
     "aigw_gateway_policy.gateway_auth.entra.output_token_variable"),
    ({"token_quotas": [{"principal_id": '0") || true || ("', "tokens_per_minute": 10}]},
     "aigw_gateway_policy.token_quotas[0].principal_id"),
    ({"token_metrics": {"enabled": True, "namespace": "@(context.Subscription.Key)"}},
     "aigw_gateway_policy.token_metrics.namespace"),
    ({"token_metrics": {"enabled": True, "dimensions": [{"name": "@{return \"k\";}", "value": "@(context.Api.Id)"}]}},
     "aigw_gateway_policy.token_metrics.dimensions[0].name"),
    ({"retry": {"enabled": True, "status_codes": ["lots"]}}, "aigw_gateway_policy.retry.status_codes[0] is 'lots'"),
    ({"retry": {"enabled": True, "status_codes": [429, 99]}}, "aigw_gateway_policy.retry.status_codes[1] is 99"),
    ({"token_metrics": {"enabled": True, "user_header": "<x-user>"}}, "user_header is '<x-user>'"),
    ({"token_metrics": {"enabled": True, "user_header": "x-user\n"}}, "U+000A"),
    ({"token_metrics": {"enabled": True, "user_header": "x-\u202euser"}}, "U+202E"),
    ({"token_metrics": {"enabled": True, "user_header": "x-\u200buser"}}, "U+200B"),
    ({"token_metrics": {"enabled": True, "namespace": "n" * 300000}}, "300000 characters long"),
    ({"gateway_auth": {"entra": {"enabled": True, "tenant_id": "contoso\n"}}}, "tenant_id"),
    ({"backend_auth": {"managed_identity": True, "client_id": "not-a-guid"}}, "backend_auth.client_id"),
])
def test_a_value_that_would_become_code_or_break_the_gateway_is_refused_naming_it(policy, named):
    problems = preflight.policy_problems(policy)
    assert any(named in problem for problem in problems), problems


def test_expressions_where_the_policy_takes_them_and_good_literals_pass():
    policy = {"counter_key": "@(context.Subscription.Id)",
              "token_limit": {"enabled": True, "tokens_per_minute": 100, "counter_key": "@(context.Request.IpAddress)",
                              "remaining_tokens_header": "x-ratelimit-remaining-tokens"},
              "token_metrics": {"enabled": True, "namespace": "llm", "user_header": "x-user-id",
                                "dimensions": [{"name": "API ID", "value": "@(context.Api.Id)"}]},
              "token_quotas": [{"product": "gold", "tokens_per_minute": 10},
                               {"principal_id": "00000000-0000-0000-0000-00000000000a", "tokens_per_minute": 5}],
              "semantic_cache": {"enabled": True, "vary_by": ["@(context.Subscription.Id)"]},
              "gateway_auth": {"entra": {"enabled": True, "tenant_id": "contoso.onmicrosoft.com",
                                         "output_token_variable": "jwt"}},
              "retry": {"enabled": True, "status_codes": [429, "503"]},
              "custom_fragments": {"inbound": "<set-header name=\"x\" exists-action=\"override\"><value>@(\"y\")"
                                              "</value></set-header>"}}
    assert preflight.policy_problems(policy) == []
