"""The one preflight filter (aigw_problems): the lab's settings pass; every bad one is named with its value and rule;
the roles' own inputs go through the same rules."""
import copy

import pytest

from ansible_collections.aigateway.foundry.plugins.filter import preflight
from ansible_collections.aigateway.foundry.plugins.filter.preflight import aigw_problems

MODELS = [{"name": "gpt-4o-mini", "model_name": "gpt-4o-mini", "model_version": "2024-07-18", "model_format": "OpenAI",
           "sku_name": "GlobalStandard", "capacity": 10},
          {"name": "gpt-4.1-mini", "model_name": "gpt-4.1-mini", "model_version": "2025-04-14",
           "model_format": "OpenAI", "sku_name": "GlobalStandard", "capacity": 10}]
LAB = {
    "aigw_subscription_id": "00000000-0000-0000-0000-000000000001", "aigw_soft_deleted": "fail",
    "aigw_resource_group": "lab-ai-foundry-model-gateway", "aigw_location": "swedencentral",
    "aigw_apim_name": "apim-0123456789abc", "aigw_apim_sku": "Standardv2", "aigw_api_type": "PassThrough",
    "aigw_connection_scope": "account", "aigw_connection_auth_type": "ApiKey", "aigw_models": MODELS,
    "aigw_model_hosts": [{"name": "models-foundry-0123456789abc", "backend": "models-foundry", "priority": 1,
                          "weight": 100, "deployments": MODELS}],
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
    assert aigw_problems(LAB) == []


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
    ("aigw_connection_auth_type", "OAuth2", ["aigw_connection_auth_type is 'OAuth2'",
                                             "aigw_connection_category ModelGateway takes it"]),
    ("aigw_connection_category", "AIModelGateway", ["aigw_connection_category is 'AIModelGateway'",
                                                    "ApiManagement, ModelGateway"]),
    ("aigw_connection_custom_headers", {"x team": "a"}, ["aigw_connection_custom_headers name 'x team'",
                                                         "not an HTTP header name"]),
    ("aigw_connection_custom_headers", {"x-team": "a\r\nx-admin: 1"},
     ["aigw_connection_custom_headers 'x-team'", "control characters"]),
    ("aigw_connection_custom_headers", {"API-Key": "k"}, ["'API-Key' is the header that carries"]),
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
    # APIM refuses a metric policy with more than 5 custom dimensions at PUT: the template's 3 and User ID fit
    ("aigw_gateway_policy.token_metrics", {"enabled": True, "user_header": "x-user-id",
                                           "dimensions": [{"name": "d%d" % n, "value": "v"} for n in range(5)]},
     ["aigw_gateway_policy.token_metrics sends 6 custom dimensions", "at most 5"]),
])
def test_each_bad_input_is_named_with_its_value_and_rule(path, value, words):
    problems = aigw_problems(with_(path, value))
    assert len(problems) == 1, problems
    for word in words:
        assert word in problems[0]


def test_the_templates_dimensions_and_the_user_fit_in_a_metric_policy():
    assert aigw_problems(with_("aigw_gateway_policy.token_metrics", {"enabled": True, "user_header": "x-user"})) == []


def test_numbers_from_the_command_line_are_numbers():
    assert aigw_problems(with_("aigw_gateway_policy.token_limit.tokens_per_minute", "2000")) == []


def test_the_gateway_role_names_its_own_variable():
    shown = {"aigw_gateway_policy": "gateway_policy"}
    assert aigw_problems({"aigw_gateway_policy": {"token_limit": {"tokens_per_minute": "lots"}}}, shown) == [
        "gateway_policy.token_limit.tokens_per_minute is 'lots': it must be a whole number"]
    assert aigw_problems({"aigw_gateway_policy": {"token_limit": {"tokens_per_minute": 500}}}, shown) == []


SHOWN = {"aigw_connection_scope": "foundry_connection_scope",
         "aigw_connection_auth_type": "foundry_connection_auth_type", "aigw_agent_host": "foundry_connection_agent_host"}


@pytest.mark.parametrize("scope, auth_type, project, words", [
    ("account", "AAD", None, ["foundry_connection_auth_type is 'AAD'", "ApiKey, ProjectManagedIdentity"]),
    ("hub", "ApiKey", None, ["foundry_connection_scope is 'hub'"]),
    ("project", "ApiKey", "", ["foundry_connection_scope project needs a project",
                               "foundry_connection_agent_host.project is empty"]),
    ("account", "ProjectManagedIdentity", None, ["needs foundry_connection_scope project"]),
])
def test_the_connection_role_checks_its_inputs_by_the_same_rule(scope, auth_type, project, words):
    problems = aigw_problems({"aigw_connection_scope": scope, "aigw_connection_auth_type": auth_type,
                              "aigw_agent_host": {"name": "agents", "project": project}}, SHOWN)
    assert len(problems) == 1 and all(word in problems[0] for word in words), problems


def test_the_connection_role_passes_what_the_preflight_passes():
    # Without the policy the role cannot know whether Entra is on: the preflight checked that.
    assert aigw_problems({"aigw_connection_scope": "project", "aigw_connection_auth_type": "ProjectManagedIdentity",
                          "aigw_agent_host": {"name": "agents", "project": "p"}}, SHOWN) == []


@pytest.mark.parametrize("path, value, words", [
    ("aigw_subscription_id", "", ["set AZURE_SUBSCRIPTION_ID"]),
    ("aigw_soft_deleted", "keep", ["aigw_soft_deleted is 'keep'", "fail, purge, restore"]),
    ("aigw_api_type", "OpenAI", ["aigw_api_type is 'OpenAI'", "PassThrough, AzureOpenAI, AzureOpenAIV1, AzureAI"]),
    ("aigw_model_hosts", [{"name": "models-a", "backend": "x", "deployments": MODELS},
                          {"name": "models-b", "backend": "x", "deployments": MODELS}], ["a backend name of its own (got x, x)"]),
    ("aigw_model_hosts", [{"name": "models-a", "deployments": MODELS}], ["a backend name of its own (got None)"]),
    ("aigw_connection_auth_type", "ProjectManagedIdentity", ["needs aigw_connection_scope project"]),
])
def test_each_site_setting_is_named_with_its_value(path, value, words):
    problems = aigw_problems(with_(path, value))
    assert len(problems) == 1 and all(word in problems[0] for word in words), problems


def test_a_project_identity_connection_needs_entra_on_the_gateway():
    settings = dict(LAB, aigw_connection_auth_type="ProjectManagedIdentity", aigw_connection_scope="project")
    assert [problem for problem in aigw_problems(settings) if "gateway_auth.entra enabled" in problem]
    settings["aigw_gateway_policy"] = dict(LAB["aigw_gateway_policy"], gateway_auth={"entra": {"enabled": True}})
    assert aigw_problems(settings) == []


CHAT = [{"name": "gpt-4o-mini", "model_name": "gpt-4o-mini", "capacity": 10},
        {"name": "gpt-4.1-mini", "model_name": "gpt-4.1-mini", "capacity": 10}]


def test_the_preflight_checks_the_capabilities_with_the_playbook_names():
    hosts = [{"name": "models-a", "backend": "models-a", "deployments": CHAT}]
    cache = dict(LAB, aigw_models=CHAT, aigw_model_hosts=hosts, aigw_semantic_cache=True,
                 aigw_semantic_cache_embeddings_hosts=["models-a"], aigw_semantic_cache_score_threshold=0.8)
    assert aigw_problems(dict(cache, aigw_semantic_cache_embeddings_capacity=20)) == []
    found = aigw_problems(dict(cache, aigw_semantic_cache_embeddings_capacity=19))
    assert len(found) == 1 and "aigw_semantic_cache_embeddings_capacity 19 is below the chat capacity it fronts on " \
        "models-a (gpt-4o-mini 10 + gpt-4.1-mini 10 = 20)" in found[0], found
    found = aigw_problems(dict(cache, aigw_semantic_cache_embeddings_capacity=20,
                               aigw_semantic_cache_embeddings_hosts=["models-z"]))
    assert found == ["Semantic cache: aigw_semantic_cache_embeddings_hosts must name model hosts of aigw_model_hosts "
                     "(got models-z)"]
    assert aigw_problems(dict(cache, aigw_semantic_cache_embeddings_capacity=20,
                              aigw_semantic_cache_score_threshold=1.5)) == [
        "Semantic cache: aigw_semantic_cache_score_threshold is 1.5: it must be 0.0 to 1.0"]
    assert aigw_problems(dict(cache, aigw_semantic_cache=False, aigw_semantic_cache_embeddings_capacity=1)) == []
    found = aigw_problems(dict(LAB, aigw_content_safety=True, aigw_content_safety_blocklists=[{"name": "_b"}]))
    assert len(found) == 1 and "blocklist name '_b' is invalid" in found[0], found


def test_content_safety_without_a_key_passes_and_a_key_that_cannot_work_is_refused_never_naming_its_value():
    """An empty key is read from the account site.yml makes (cognitive_account_info return_keys), so it passes; a
    given key is sent as a header, and one holding whitespace or a line break gets 401 on every prompt."""
    assert aigw_problems(dict(LAB, aigw_content_safety=True, aigw_content_safety_key="")) == []
    secret = "s3cr3t-" + "k" * 25
    assert aigw_problems(dict(LAB, aigw_content_safety=True, aigw_content_safety_key=secret)) == []
    for pasted in (secret + "\n", "s3cr3t " + "k" * 25):
        found = aigw_problems(dict(LAB, aigw_content_safety=True, aigw_content_safety_key=pasted))
        assert len(found) == 1 and found[0].startswith(
            "Content safety: aigw_content_safety_key holds whitespace or a line break"), found
        assert secret.strip() not in found[0] and "k" * 25 not in found[0]
    assert aigw_problems(dict(LAB, aigw_content_safety=True, aigw_content_safety_key=123)) == [
        "Content safety: aigw_content_safety_key must be the ContentSafety account's key as a string (or empty to "
        "read it from the account)"]
    assert secret not in " ".join(aigw_problems(dict(LAB, aigw_content_safety=True, aigw_content_safety_key=secret,
                                                     aigw_content_safety_blocklists=[{"name": "_b"}])))
    assert aigw_problems(dict(LAB, aigw_content_safety=False, aigw_content_safety_key="x y")) == []


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


CACHE = {"semantic_cache": True, "redis_name": "rediscache-1", "embeddings_hosts": [{"name": "models-a"}],
         "cache_score_threshold": 0.8, "cache_duration": 120, "embeddings_capacity": 20}
SAFETY = {"content_safety": True, "content_safety_account": "contentsafety-1", "content_safety_key": "k" * 32,
          "content_safety_categories": [{"name": "Hate", "threshold": 4}],
          "content_safety_blocklists": [{"name": "b1", "items": [{"pattern": "x"}]}]}
QUOTAS = {"token_quotas": True, "product_apis": ["inference-api"],
          "products": [{"name": "gold", "token_quota": 1000, "token_quota_period": "Monthly", "subscriptions": ["s1"]},
                       {"name": "silver", "tokens_per_minute": 500, "subscriptions": ["s2"]}]}


def capabilities(settings):
    return aigw_problems({"aigw_capabilities": settings})


def test_good_capabilities_and_switched_off_ones_pass():
    assert capabilities(dict(CACHE, **dict(SAFETY, **QUOTAS))) == []
    assert capabilities({"redis_name": "--", "products": []}) == []
    assert capabilities(dict(SAFETY, content_safety_key="")) == []   # read from the account the role makes


@pytest.mark.parametrize("settings,problem", [
    (dict(CACHE, redis_name="redis--cache"), "Semantic cache: Redis cluster name 'redis--cache' is invalid"),
    (dict(CACHE, redis_name="r" * 61), "1 to 60 characters"),
    (dict(CACHE, embeddings_hosts=[]), "gateway_capabilities_embeddings_hosts (or gateway_capabilities_embeddings_account) must name"),
    (dict(CACHE, cache_score_threshold=1.5), "gateway_capabilities_cache_score_threshold is 1.5: it must be 0.0 to 1.0"),
    (dict(CACHE, cache_score_threshold="close"), "gateway_capabilities_cache_score_threshold is 'close': it must be a number"),
    (dict(CACHE, cache_duration=0), "gateway_capabilities_cache_duration is 0: it must be at least 1"),
    (dict(CACHE, embeddings_capacity=0), "gateway_capabilities_embeddings_capacity is 0: it must be at least 1"),
    (dict(SAFETY, content_safety_account="-cs-"), "account name '-cs-' is invalid"),
    (dict(SAFETY, content_safety_key="k" * 16 + "\r\n"), "Content safety: gateway_capabilities_content_safety_key "
                                                         "holds whitespace or a line break"),
    (dict(SAFETY, content_safety_categories=[{"name": "Hate", "threshold": 8}]),
     "the threshold of content safety category Hate is 8: it must be 0 to 7"),
    (dict(SAFETY, content_safety_categories=[{"name": "Hate", "threshold": 2}, {"name": "Hate", "threshold": 4}]),
     "gateway_capabilities_content_safety_categories lists 'Hate' twice"),
    (dict(SAFETY, content_safety_blocklists=[{"name": "b1", "items": [{"pattern": "  "}]}]), "Blocklist 'b1': every item needs a non-blank pattern"),
    (dict(SAFETY, content_safety_blocklists=[{"name": "_b"}]), "blocklist name '_b' is invalid"),
    (dict(SAFETY, content_safety_blocklists=[{"name": "b"}, {"name": "b"}]), "gateway_capabilities_content_safety_blocklists lists 'b' twice"),
    (dict(QUOTAS, products=[]), "gateway_capabilities_products is empty"),
    (dict(QUOTAS, product_apis=[]), "gateway_capabilities_product_apis must name at least one API"),
    (dict(QUOTAS, products=[{"name": "gold"}]), "Product 'gold': it needs a token_quota or tokens_per_minute"),
    (dict(QUOTAS, products=[{"name": "gold", "token_quota": 0}]), "token_quota is 0: it must be at least 1"),
    (dict(QUOTAS, products=[{"name": "gold", "token_quota": "lots"}]), "token_quota is 'lots': it must be a whole number"),
    (dict(QUOTAS, products=[{"name": "gold", "tokens_per_minute": 0}]), "tokens_per_minute is 0: it must be at least 1"),
    (dict(QUOTAS, products=[{"name": "gold", "tokens_per_minute": 10, "token_quota_period": "Daily"}]), "only goes with a token_quota"),
    (dict(QUOTAS, products=[{"name": "-gold", "token_quota": 1}]), "Product '-gold': the id is '-gold'"),
    (dict(QUOTAS, products=[{"name": "g" * 81, "token_quota": 1}]), "the id is 81 characters long: at most 80"),
    (dict(QUOTAS, products=[{"name": "gold", "token_quota": 10}, {"name": "gold", "token_quota": 20}]),
     "gateway_capabilities_products lists 'gold' twice"),
    (dict(QUOTAS, products=[{"name": "gold", "token_quota": 10, "subscriptions": ["s1"]},
                            {"name": "silver", "token_quota": 5, "subscriptions": ["s1"]}]), "lists 's1' twice"),
])
def test_each_capability_problem_names_its_value(settings, problem):
    found = capabilities(settings)
    assert len(found) == 1 and problem in found[0], found


def test_the_embeddings_capacity_covers_the_chat_capacity_it_fronts_on_each_host():
    hosts = [{"name": "models-a", "deployments": CHAT}, {"name": "models-b", "deployments": CHAT[:1]}]
    assert capabilities(dict(CACHE, embeddings_hosts=hosts, embeddings_capacity=20)) == []
    found = capabilities(dict(CACHE, embeddings_hosts=hosts, embeddings_capacity=15))
    assert found == ["Semantic cache: gateway_capabilities_embeddings_capacity 15 is below the chat capacity it fronts "
                     "on models-a (gpt-4o-mini 10 + gpt-4.1-mini 10 = 20): every call is one embeddings call first, "
                     "so the cache lookup would be throttled (and the call answered 500) while the chat deployments "
                     "still have room; set gateway_capabilities_embeddings_capacity to at least 20"]
    # An embeddings deployment a host already carries is not chat capacity; a deployment's default capacity is 10.
    embedding = {"name": "text-embedding-3-small", "capacity": 50}
    assert capabilities(dict(CACHE, embeddings_hosts=[{"name": "a", "deployments": [embedding, {"name": "m"}]}],
                             embeddings_capacity=10)) == []


def test_the_inference_api_version_must_fit_the_api_type_before_any_write():
    assert aigw_problems({"aigw_api_type": "AzureOpenAIV1", "aigw_inference_api_version": ""}) == []
    problems = aigw_problems({"aigw_api_type": "AzureOpenAIV1", "aigw_inference_api_version": "2024-12-01-preview"})
    assert len(problems) == 1 and problems[0].startswith(
        "aigw_inference_api_version 2024-12-01-preview does not fit api_type AzureOpenAIV1")


def routed_lab(**changes):
    """Three hosts with different deployment sets (the gateway routes by model)."""
    inputs = copy.deepcopy(LAB)
    inputs["aigw_model_hosts"] = [
        {"name": "models-a-0123456789abc", "backend": "models-a", "priority": 1, "deployments": MODELS[:1]},
        {"name": "models-b-0123456789abc", "backend": "models-b", "priority": 2, "deployments": MODELS},
        {"name": "models-c-0123456789abc", "backend": "models-c", "deployments": MODELS[1:]}]
    inputs.update(changes)
    return inputs


def test_hosts_with_different_deployments_pass_when_every_model_has_a_host():
    assert aigw_problems(routed_lab(aigw_agent_model="gpt-4.1-mini")) == []


def test_a_model_no_host_deploys_is_named():
    hosts = routed_lab()["aigw_model_hosts"]
    hosts[1]["deployments"] = MODELS[:1]
    del hosts[2]
    assert aigw_problems(routed_lab(aigw_model_hosts=hosts, aigw_agent_model="o3")) == [
        "aigw_models[1] is 'gpt-4.1-mini': no model host of aigw_model_hosts deploys it, so the gateway would answer "
        "404 DeploymentNotFound for it; add it to the deployments of at least one host",
        "aigw_agent_model is 'o3': no model host of aigw_model_hosts deploys it, so the gateway would answer 404 "
        "DeploymentNotFound for it; add it to the deployments of at least one host"]


def test_a_deployment_served_under_the_models_name_deploys_that_model():
    """After a model upgrade (playbooks/upgrade_model.yml) a host's new deployment serves the model's name."""
    hosts = routed_lab()["aigw_model_hosts"]
    upgraded = dict(MODELS[1], name=MODELS[1]["name"] + "-next", gateway_model=MODELS[1]["name"])
    hosts[1]["deployments"], hosts[2]["deployments"] = MODELS[:1] + [upgraded], [upgraded]
    assert aigw_problems(routed_lab(aigw_model_hosts=hosts, aigw_agent_model=MODELS[1]["name"])) == []


MODEL_GATEWAY = {"aigw_connection_category": "ModelGateway", "aigw_connection_auth_type": "OAuth2",
                 "aigw_connection_oauth2": {"client_id": "5e0d2a53-8f7c-4b9e-a1d2-3c4b5a6f7e8d", "client_secret": "s3cret-value",
                                            "token_url": "https://login.microsoftonline.com/t/oauth2/v2.0/token",
                                            "scopes": ["api://gateway/.default"]},
                 "aigw_gateway_policy": {"gateway_auth": {"entra": {"enabled": True}}}}


def test_a_model_gateway_connection_with_oauth2_client_credentials_passes():
    assert aigw_problems(MODEL_GATEWAY) == []
    assert aigw_problems(dict(MODEL_GATEWAY, aigw_connection_auth_type="ApiKey",
                              aigw_connection_custom_headers={"X-Route-Policy": "premium", "x-team": 7})) == []


@pytest.mark.parametrize("change, words", [
    ({"aigw_connection_oauth2": {"client_id": "c", "client_secret": "s3cret-value"}},
     ["aigw_connection_oauth2.token_url is required when auth_type is OAuth2"]),
    ({"aigw_connection_oauth2": {}}, ["aigw_connection_oauth2.client_id, aigw_connection_oauth2.client_secret, "
                                      "aigw_connection_oauth2.token_url are required"]),
    ({"aigw_connection_oauth2": dict(MODEL_GATEWAY["aigw_connection_oauth2"], token_url="http://idp/token")},
     ["aigw_connection_oauth2.token_url must be an https URL"]),
    ({"aigw_connection_oauth2": dict(MODEL_GATEWAY["aigw_connection_oauth2"], scopes="api://gateway/.default")},
     ["aigw_connection_oauth2.scopes must be a list"]),
    ({"aigw_gateway_policy": {}}, ["OAuth2 needs aigw_gateway_policy.gateway_auth.entra enabled"]),
    ({"aigw_connection_category": "ApiManagement"}, ["aigw_connection_auth_type is 'OAuth2'",
                                                     "must be one of ApiKey, ProjectManagedIdentity",
                                                     "aigw_connection_category ModelGateway takes it"]),
    ({"aigw_connection_auth_type": "ProjectManagedIdentity"}, ["must be one of ApiKey, OAuth2",
                                                               "aigw_connection_category ApiManagement takes it"]),
    ({"aigw_connection_custom_headers": {"Authorization": "Bearer x"}}, ["'Authorization' is the header"]),
])
def test_a_bad_model_gateway_connection_is_named_and_its_secret_is_not(change, words):
    problems = aigw_problems(dict(MODEL_GATEWAY, **change))
    assert len(problems) == 1 and all(word in problems[0] for word in words), problems
    assert "s3cret-value" not in problems[0]
