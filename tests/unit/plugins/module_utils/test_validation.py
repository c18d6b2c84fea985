"""The tables of what Azure refuses: every refusal names the value and the rule; what Azure accepts passes."""
import pytest

from ansible_collections.aigateway.foundry.plugins.module_utils import validation as v


@pytest.mark.parametrize("type_name, name", [
    ("Microsoft.Resources/resourceGroups", "lab-ai-foundry-model-gateway"),
    ("Microsoft.Resources/resourceGroups", "rg_(prod).1a"),
    ("Microsoft.CognitiveServices/accounts", "models-foundry-x1"),
    ("Microsoft.CognitiveServices/accounts/deployments", "gpt-4.1-mini"),
    ("Microsoft.CognitiveServices/accounts/projects", "foundry-project"),
    ("Microsoft.Insights/components", "appi-lab x"),
    ("Microsoft.OperationalInsights/workspaces", "log-lab-x1"),
    ("Microsoft.ApiManagement/service", "apim-x1"),
    ("Microsoft.Cache/redisEnterprise", "redis-x1"),
])
def test_names_azure_accepts_pass(type_name, name):
    assert v.name_problem(type_name, name) is None


@pytest.mark.parametrize("type_name, name, rule", [
    ("Microsoft.Resources/resourceGroups", "rg.", "not ending with a period"),
    ("Microsoft.Resources/resourceGroups", "x" * 91, "1 to 90"),
    ("Microsoft.Resources/resourceGroups", "rg/one", "letters, digits"),
    ("Microsoft.CognitiveServices/accounts", "a", "2 to 64"),
    ("Microsoft.CognitiveServices/accounts", "acct_one", "hyphens"),
    ("Microsoft.CognitiveServices/accounts", "acct-", "ending with a letter or digit"),
    ("Microsoft.CognitiveServices/accounts/deployments", "-gpt", "starting with a letter or digit"),
    ("Microsoft.Insights/components", "appi?", "no %"),
    ("Microsoft.Insights/components", "appi.", "not ending with a space or period"),
    ("Microsoft.OperationalInsights/workspaces", "ws1", "4 to 63"),
    ("Microsoft.ApiManagement/service", "1apim", "starting with a letter"),
    ("Microsoft.Cache/redisEnterprise", "redis--x", "single hyphens"),
])
def test_names_azure_refuses_name_the_value_and_the_rule(type_name, name, rule):
    problem = v.name_problem(type_name, name)
    assert problem and repr(name) in problem and rule in problem


def test_enums_compare_case_insensitively_and_list_what_is_offered():
    assert v.choice_problem("sku_name", "globalstandard", v.DEPLOYMENT_SKUS) is None
    problem = v.choice_problem("sku_name", "Global", v.DEPLOYMENT_SKUS)
    assert "'Global'" in problem and "GlobalStandard" in problem
    assert v.choice_problem("kind", None, v.ACCOUNT_KINDS) is None


def test_account_kind_and_sku_per_kind():
    assert v.account_problem({"name": "acct-x1", "kind": "AIServices", "sku": "S0"}) is None
    assert "kind 'AIService'" in v.account_problem({"name": "acct-x1", "kind": "AIService", "sku": "S0"})
    assert "sku 'F0'" in v.account_problem({"name": "acct-x1", "kind": "OpenAI", "sku": "F0"})
    assert v.account_problem({"name": "acct-x1", "kind": "ContentSafety", "sku": "F0"}) is None


def test_deployment_format_and_sku():
    good = {"name": "gpt-4o-mini", "model_format": "OpenAI", "sku_name": "GlobalStandard"}
    assert v.deployment_problem(good) is None
    assert "model_format 'OpenAl'" in v.deployment_problem(dict(good, model_format="OpenAl"))
    assert "sku_name 'Premium'" in v.deployment_problem(dict(good, sku_name="Premium"))


def test_workspace_and_redis_skus():
    assert "sku 'PerGB'" in v.workspace_problem({"name": "log-x1", "sku": "PerGB"})
    assert v.redis_problem({"name": "redis-x1", "sku": "Balanced_B0"}) is None
    assert "sku 'B0'" in v.redis_problem({"name": "redis-x1", "sku": "B0"})


def test_connection_category_scope_and_auth_type():
    base = {"name": "ai-gateway", "account": "agents-x1", "project": None, "category": "ApiManagement",
            "auth_type": "ApiKey", "models": [{"name": "gpt-4o-mini"}]}
    assert v.connection_problem(base) is None
    assert "category 'ApiManagment'" in v.connection_problem(dict(base, category="ApiManagment"))
    problem = v.connection_problem(dict(base, auth_type="ProjectManagedIdentity"))
    assert "ProjectManagedIdentity" in problem and "account agents-x1" in problem
    assert v.connection_problem(dict(base, auth_type="ProjectManagedIdentity", project="p1")) is None
    twice = [{"name": "gpt-4o-mini"}, {"name": "GPT-4o-mini"}]
    assert "'GPT-4o-mini'" in v.connection_problem(dict(base, models=twice))


def test_duplicates_are_named_once():
    assert v.duplicate_problem("models", ["a", "b", "A", "a"]) == "models lists 'A', 'a' twice: each name must be unique"
    assert v.duplicate_problem("models", ["a", "b"]) is None


PROVIDER = {"resourceTypes": [{"resourceType": "accounts", "locations": ["Sweden Central", "East US"]},
                              {"resourceType": "accounts/deployments", "locations": []}]}


def test_locations_from_the_provider_body():
    offered = v.offered_locations(PROVIDER, "Microsoft.CognitiveServices/accounts")
    assert v.location_problem("swedencentral", "Microsoft.CognitiveServices/accounts", offered) is None
    assert v.location_problem("Sweden Central", "Microsoft.CognitiveServices/accounts", offered) is None
    problem = v.location_problem("swedencentrl", "Microsoft.CognitiveServices/accounts", offered)
    assert "'swedencentrl'" in problem and "eastus, swedencentral" in problem
    # A type the provider lists without locations (or not at all) is left to Azure.
    assert v.offered_locations(PROVIDER, "Microsoft.CognitiveServices/accounts/deployments") is None
    assert v.location_problem("anywhere", "Microsoft.CognitiveServices/accounts/deployments", None) is None
