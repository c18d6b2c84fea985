"""The settings' validation filters: each problem is found, named with its value, and good settings pass."""
import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.aigateway.foundry.plugins.filter import problems as f

SITE = {"subscription_id": "00000000-0000-0000-0000-000000000001", "soft_deleted": "fail",
        "model_hosts": [{"name": "models-a", "backend": "models-a"}], "agent_host": {"name": "agents"},
        "api_type": "PassThrough", "connection_scope": "account", "connection_auth_type": "ApiKey",
        "gateway_policy": {}}


def test_the_lab_passes_the_preflight():
    assert f.site_problems(SITE) == []


@pytest.mark.parametrize("change,problem", [
    ({"subscription_id": ""}, "set AZURE_SUBSCRIPTION_ID"),
    ({"soft_deleted": "keep"}, "aigw_soft_deleted must be fail, purge or restore (got 'keep')"),
    ({"model_hosts": []}, "aigw_model_hosts needs at least one model host"),
    ({"api_type": "OpenAI"}, "aigw_api_type must be one of PassThrough, AzureOpenAI, AzureOpenAIV1, AzureAI (got 'OpenAI')"),
    ({"agent_host": {"name": "models-a"}}, "account names must be unique across aigw_model_hosts and aigw_agent_host (got models-a twice)"),
    ({"model_hosts": [{"name": "a", "backend": "x"}, {"name": "b", "backend": "x"}]}, "a backend name of its own (got x, x)"),
    ({"model_hosts": [{"name": "a"}]}, "a backend name of its own (got None)"),
    ({"connection_auth_type": "ProjectManagedIdentity"}, "needs aigw_connection_scope project"),
    ({"connection_auth_type": "ProjectManagedIdentity", "connection_scope": "project"}, "gateway_auth.entra enabled"),
])
def test_each_preflight_problem_names_its_value(change, problem):
    found = f.site_problems(dict(SITE, **change))
    assert len(found) == 1 and problem in found[0], found


def test_a_project_identity_connection_passes_with_entra_on_the_project():
    settings = dict(SITE, connection_auth_type="ProjectManagedIdentity", connection_scope="project",
                    gateway_policy={"gateway_auth": {"entra": {"enabled": True}}})
    assert f.site_problems(settings) == []


CACHE = {"semantic_cache": True, "redis_name": "rediscache-1", "embeddings_hosts": [{"name": "models-a"}],
         "cache_score_threshold": 0.8, "cache_duration": 120, "embeddings_capacity": 20}
SAFETY = {"content_safety": True, "content_safety_account": "contentsafety-1",
          "content_safety_categories": [{"name": "Hate", "threshold": 4}],
          "content_safety_blocklists": [{"name": "b1", "items": [{"pattern": "x"}]}]}
QUOTAS = {"token_quotas": True, "product_apis": ["inference-api"],
          "products": [{"name": "gold", "token_quota": 1000, "token_quota_period": "Monthly", "subscriptions": ["s1"]},
                       {"name": "silver", "tokens_per_minute": 500, "subscriptions": ["s2"]}]}


def test_good_capabilities_and_switched_off_ones_pass():
    assert f.capability_problems(dict(CACHE, **dict(SAFETY, **QUOTAS))) == []
    assert f.capability_problems({"redis_name": "--", "products": []}) == []


@pytest.mark.parametrize("settings,problem", [
    (dict(CACHE, redis_name="redis--cache"),
     "Semantic cache: gateway_capabilities_redis_name must be 1-60 letters, digits and single dashes (got 'redis--cache')"),
    (dict(CACHE, redis_name="r" * 61), "1-60 letters"),
    (dict(CACHE, embeddings_hosts=[]), "gateway_capabilities_embeddings_hosts (or gateway_capabilities_embeddings_account) must name"),
    (dict(CACHE, cache_score_threshold=1.5), "between 0.0 and 1.0 (got 1.5)"),
    (dict(CACHE, cache_duration=0), "gateway_capabilities_cache_duration must be at least 1 second (got 0)"),
    (dict(CACHE, embeddings_capacity=0), "gateway_capabilities_embeddings_capacity must be at least 1 (got 0)"),
    (dict(SAFETY, content_safety_account="-cs-"), "must be a valid custom subdomain"),
    (dict(SAFETY, content_safety_categories=[{"name": "Hate", "threshold": 8}]), "Hate: the threshold must be 0 to 7 (got 8)"),
    (dict(SAFETY, content_safety_categories=[{"name": "Hate", "threshold": 2}, {"name": "Hate", "threshold": 4}]),
     "Content safety category Hate: each category may appear once"),
    (dict(SAFETY, content_safety_blocklists=[{"name": "b1", "items": [{"pattern": "  "}]}]), "Blocklist 'b1': every item needs a non-blank pattern"),
    (dict(SAFETY, content_safety_blocklists=[{"name": "_b"}]), "Blocklist '_b': the name must start with a letter or digit"),
    (dict(SAFETY, content_safety_blocklists=[{"name": "b"}, {"name": "b"}]), "Blocklist 'b': the name must appear once"),
    (dict(QUOTAS, products=[]), "gateway_capabilities_products is empty"),
    (dict(QUOTAS, product_apis=[]), "gateway_capabilities_product_apis must name at least one API"),
    (dict(QUOTAS, products=[{"name": "gold"}]), "Product 'gold': it needs a token_quota or tokens_per_minute"),
    (dict(QUOTAS, products=[{"name": "gold", "token_quota": 0}]), "token_quota must be at least 1 (got 0)"),
    (dict(QUOTAS, products=[{"name": "gold", "tokens_per_minute": 0}]), "tokens_per_minute must be at least 1 (got 0)"),
    (dict(QUOTAS, products=[{"name": "gold", "tokens_per_minute": 10, "token_quota_period": "Daily"}]), "only goes with a token_quota"),
    (dict(QUOTAS, products=[{"name": "-gold", "token_quota": 1}]), "the id must be 1-80 letters"),
    (dict(QUOTAS, products=[{"name": "gold", "token_quota": 10}, {"name": "gold", "token_quota": 20}]), "product names must be unique (got gold, gold)"),
    (dict(QUOTAS, products=[{"name": "gold", "token_quota": 10, "subscriptions": ["s1"]},
                            {"name": "silver", "token_quota": 5, "subscriptions": ["s1"]}]), "a subscription can belong to one product only"),
])
def test_each_capability_problem_names_its_value(settings, problem):
    found = f.capability_problems(settings)
    assert len(found) == 1 and problem in found[0], found


def test_a_value_that_is_no_number_is_named():
    with pytest.raises(AnsibleFilterError, match="token_quota of product gold must be a number, got 'lots'"):
        f.capability_problems(dict(QUOTAS, products=[{"name": "gold", "token_quota": "lots"}]))


CHAT = [{"name": "gpt-4o-mini", "capacity": 10}, {"name": "gpt-4.1-mini", "capacity": 10}]


def test_the_embeddings_capacity_covers_the_chat_capacity_it_fronts_on_each_host():
    hosts = [{"name": "models-a", "deployments": CHAT}, {"name": "models-b", "deployments": CHAT[:1]}]
    assert f.capability_problems(dict(CACHE, embeddings_hosts=hosts, embeddings_capacity=20)) == []
    found = f.capability_problems(dict(CACHE, embeddings_hosts=hosts, embeddings_capacity=15))
    assert found == ["Semantic cache: gateway_capabilities_embeddings_capacity 15 is below the chat capacity it fronts "
                     "on models-a (gpt-4o-mini 10 + gpt-4.1-mini 10 = 20): every call is one embeddings call first, "
                     "so the cache lookup would be throttled (and the call answered 500) while the chat deployments "
                     "still have room; set gateway_capabilities_embeddings_capacity to at least 20"]
    # An embeddings deployment a host already carries is not chat capacity; a deployment's default capacity is 10.
    embedding = {"name": "text-embedding-3-small", "capacity": 50}
    assert f.capability_problems(dict(CACHE, embeddings_hosts=[{"name": "a", "deployments": [embedding, {"name": "m"}]}],
                                      embeddings_capacity=10)) == []


def test_the_preflight_checks_the_embeddings_hosts_and_capacity_with_the_playbook_names():
    hosts = [dict(SITE["model_hosts"][0], deployments=CHAT)]
    cache = {"semantic_cache": True, "embeddings_host_names": ["models-a"], "embeddings_hosts": hosts}
    assert f.site_problems(dict(SITE, model_hosts=hosts, embeddings_capacity=20, **cache)) == []
    found = f.site_problems(dict(SITE, model_hosts=hosts, embeddings_capacity=19, **cache))
    assert len(found) == 1 and "aigw_semantic_cache_embeddings_capacity 19 is below the chat capacity it fronts on " \
        "models-a (gpt-4o-mini 10 + gpt-4.1-mini 10 = 20)" in found[0], found
    found = f.site_problems(dict(SITE, model_hosts=hosts, embeddings_capacity=20,
                                 **dict(cache, embeddings_host_names=["models-z"], embeddings_hosts=[])))
    assert found == ["aigw_semantic_cache_embeddings_hosts must name model hosts of aigw_model_hosts (got models-z)"]
    assert f.site_problems(dict(SITE, model_hosts=hosts, semantic_cache=False, embeddings_capacity=1)) == []
