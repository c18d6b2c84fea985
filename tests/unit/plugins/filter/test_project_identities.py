"""The gateway policy with projects that call with their managed identity: a limit per principal, admission."""
import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.aigateway.foundry.plugins.filter import project_identities as f

TENANT = "11111111-2222-3333-4444-555555555555"
SITE_PROJECT = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.CognitiveServices/accounts/agents/projects/main"
TEAM_PROJECT = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.CognitiveServices/accounts/agents/projects/blue"
ENTRA = {"gateway_auth": {"subscription_key": True, "entra": {"enabled": True, "tenant_id": TENANT}},
         "token_quotas": [{"product": "gold", "token_quota": 100}], "backend_id": "pool"}
BLUE = {"team": "blue", "principal_id": "p-blue", "project_id": TEAM_PROJECT, "tokens_per_minute": 300}


def test_without_projects_the_policy_is_unchanged():
    assert f.gateway_policy_with_projects(ENTRA, []) is ENTRA
    assert f.gateway_policy_with_projects({}, []) == {}


def test_each_project_gets_a_limit_keyed_on_its_principal_after_the_product_quotas():
    green = dict(BLUE, team="green", principal_id="p-green", tokens_per_minute=900, token_quota=5000,
                 token_quota_period="Daily")
    policy = f.gateway_policy_with_projects(ENTRA, [BLUE, green])
    assert policy["token_quotas"] == [{"product": "gold", "token_quota": 100},
                                      {"principal_id": "p-blue", "tokens_per_minute": 300},
                                      {"principal_id": "p-green", "tokens_per_minute": 900, "token_quota": 5000,
                                       "token_quota_period": "Daily"}]
    assert ENTRA["token_quotas"] == [{"product": "gold", "token_quota": 100}], "the input is not changed"
    assert policy["gateway_auth"]["entra"] == dict(ENTRA["gateway_auth"]["entra"],
                                                   admitted_principals=["p-blue", "p-green"])
    assert policy["backend_id"] == "pool" and "admitted_principals" not in ENTRA["gateway_auth"]["entra"]


def test_a_project_is_admitted_on_its_principal_not_on_its_resource_id():
    """Entra may spell the xms_mirid resource id otherwise than ARM; the oid (principal id) has one spelling."""
    listed = {"gateway_auth": {"entra": {"enabled": True, "tenant_id": TENANT, "required_claims": [
        {"name": "xms_mirid", "match": "any", "values": [SITE_PROJECT]}]}}}
    policy = f.gateway_policy_with_projects(listed, [BLUE])
    assert policy["gateway_auth"]["entra"]["required_claims"] == listed["gateway_auth"]["entra"]["required_claims"]
    assert policy["gateway_auth"]["entra"]["admitted_principals"] == ["p-blue"]
    # admitted once, however often onboarding renders the policy
    again = f.gateway_policy_with_projects(policy, [BLUE])
    assert again["gateway_auth"]["entra"]["admitted_principals"] == ["p-blue"]


def test_without_the_gateways_entra_check_the_projects_are_refused_by_name():
    with pytest.raises(AnsibleFilterError, match="projects blue use auth_type ProjectManagedIdentity.*entra.enabled"):
        f.gateway_policy_with_projects({"gateway_auth": {"subscription_key": True}}, [BLUE])


@pytest.mark.parametrize("identities,named", [
    ("blue", "must be a list"),
    ([dict(BLUE, principal_id="")], "project 'blue' lacks principal_id"),
    ([{"team": "red"}], "lacks principal_id, project_id, tokens_per_minute"),
    (["red"], "project 'red' lacks"),
])
def test_bad_projects_are_named(identities, named):
    with pytest.raises(AnsibleFilterError, match=named):
        f.gateway_policy_with_projects(ENTRA, identities)
