"""Azure RBAC matching of the caller's effective permissions: wildcards, notActions per role, case."""
import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.aigateway.foundry.plugins.filter import permissions as f

OWNER = {"actions": ["*"], "notActions": []}
CONTRIBUTOR = {"actions": ["*"], "notActions": ["Microsoft.Authorization/*/Delete", "Microsoft.Authorization/*/Write",
                                                "Microsoft.Authorization/elevateAccess/Action"]}
READER = {"actions": ["*/read"], "notActions": []}
APIM_CONTRIBUTOR = {"actions": ["Microsoft.ApiManagement/service/*", "Microsoft.Authorization/*/read"],
                    "notActions": []}
APIS_WRITE = "Microsoft.ApiManagement/service/apis/write"
ROLE_WRITE = "Microsoft.Authorization/roleAssignments/write"
DIAGNOSTIC_SETTING = "Microsoft.Insights/diagnosticSettings/write"


@pytest.mark.parametrize("permissions,action,allowed", [
    ([OWNER], APIS_WRITE, True),
    ([OWNER], ROLE_WRITE, True),
    ([CONTRIBUTOR], APIS_WRITE, True),
    ([CONTRIBUTOR], ROLE_WRITE, False),
    ([CONTRIBUTOR], "microsoft.authorization/ROLEASSIGNMENTS/write", False),
    ([READER], APIS_WRITE, False),
    ([READER], "Microsoft.ApiManagement/service/apis/read", True),
    ([READER], "Microsoft.ApiManagement/service/read", True),
    ([READER], "Microsoft.ApiManagement/service/subscriptions/listSecrets/action", False),
    ([APIM_CONTRIBUTOR], APIS_WRITE, True),
    ([APIM_CONTRIBUTOR], "Microsoft.ApiManagement/service/products/apis/write", True),
    ([APIM_CONTRIBUTOR], DIAGNOSTIC_SETTING, False),
    ([APIM_CONTRIBUTOR], "Microsoft.ApiManagement/servicex/write", False),
    ([{"actions": ["Microsoft.ApiManagement/service/*/write"]}], APIS_WRITE, True),
    ([{"actions": ["Microsoft.ApiManagement/service/*/write"]}], "Microsoft.ApiManagement/service/apis/delete", False),
    ([{"actions": ["Microsoft.ApiManagement/service/apis.write"]}], APIS_WRITE, False),   # a dot is no wildcard
    ([], APIS_WRITE, False),
    ([{"dataActions": ["*"]}], APIS_WRITE, False),
])
def test_an_action_is_allowed_as_azure_matches_it(permissions, action, allowed):
    assert f.missing_actions(permissions, [action]) == ([] if allowed else [action])


def test_not_actions_subtract_from_their_own_role_only():
    # Contributor's notActions do not take away what Owner (another assignment) grants
    assert f.missing_actions([CONTRIBUTOR, OWNER], [ROLE_WRITE]) == []
    assert f.missing_actions([CONTRIBUTOR, READER], [ROLE_WRITE, APIS_WRITE]) == [ROLE_WRITE]


def test_the_missing_actions_come_in_the_order_asked():
    wanted = [DIAGNOSTIC_SETTING, APIS_WRITE, "Microsoft.ApiManagement/service/backends/write"]
    assert f.missing_actions([READER], wanted) == wanted
    assert f.missing_actions([APIM_CONTRIBUTOR], wanted) == [DIAGNOSTIC_SETTING]


@pytest.mark.parametrize("permissions,actions,named", [
    ("*", [APIS_WRITE], "permissions must be a list"),
    ([["*"]], [APIS_WRITE], "permissions must be a list"),
    ([OWNER], APIS_WRITE, "actions must be a list"),
    ([OWNER], [""], "actions must be a list"),
])
def test_bad_input_is_named(permissions, actions, named):
    with pytest.raises(AnsibleFilterError, match=named):
        f.missing_actions(permissions, actions)


# The permission preflight: the table of what each entry playbook needs, and the verdict.
GROUP = "rg-gw"
ON_GROUP = "resourceGroups/" + GROUP
SITE = {"playbook": "site", "resource_group": GROUP, "existing_groups": [GROUP], "soft_deleted": "fail"}


def needs(run):
    return {(need["scope"], need["action"]): need for need in f.required_actions(run)}


def test_site_needs_its_group_writes_role_assignments_and_the_soft_delete_listing():
    found = needs(SITE)
    assert ((ON_GROUP, ROLE_WRITE) in found and (ON_GROUP, "Microsoft.ApiManagement/service/write") in found
            and (ON_GROUP, "Microsoft.Resources/subscriptions/resourceGroups/write") in found)
    listing = found[("subscription", "Microsoft.ApiManagement/deletedservices/read")]
    assert listing["skippable"] == f.SOFT_DELETE_LISTING
    assert not [key for key in found if "deletedservices/delete" in key[1]], "no purge unless asked"
    assert not [key for key in found if key[1].startswith("Microsoft.Cache/")], "no cache unless on"


def test_the_inputs_decide_what_site_needs():
    found = needs(dict(SITE, existing_groups=[], soft_deleted="purge", semantic_cache=True, apim_existing=True,
                       unregistered_providers=["Microsoft.ApiManagement"]))
    # a group not made yet is created at the subscription
    assert ("subscription", "Microsoft.Resources/subscriptions/resourceGroups/write") in found
    assert ("subscription", "Microsoft.ApiManagement/register/action") in found
    assert ("subscription", "Microsoft.ApiManagement/locations/deletedservices/delete") in found
    assert ("subscription", "Microsoft.CognitiveServices/locations/resourceGroups/deletedAccounts/delete") in found
    # purge decides from the listing: it may not be skipped then
    assert found[("subscription", "Microsoft.CognitiveServices/deletedAccounts/read")]["skippable"] is None
    assert (ON_GROUP, "Microsoft.Cache/redisEnterprise/write") in found
    assert (ON_GROUP, "Microsoft.ApiManagement/service/write") not in found


def test_teardown_and_onboard_needs():
    teardown = needs({"playbook": "teardown", "resource_group": GROUP, "existing_groups": [GROUP],
                      "teardown_purge": True, "key_vault": True})
    assert (ON_GROUP, "Microsoft.Resources/subscriptions/resourceGroups/delete") in teardown
    assert ("subscription", "Microsoft.KeyVault/locations/deletedVaults/purge/action") in teardown
    assert ("subscription", "Microsoft.ApiManagement/locations/deletedservices/delete") in teardown
    assert not needs({"playbook": "teardown", "resource_group": GROUP, "existing_groups": [], "teardown_purge": False})
    projects = [{"team": "a"}, {"team": "b", "resource_group": "rg-b", "create_project": False}]
    onboard = needs({"playbook": "onboard", "resource_group": GROUP, "gateway_group": "rg-hub", "grant_caller": True,
                     "existing_groups": [GROUP], "projects": projects})
    assert ("resourceGroups/rg-hub", "Microsoft.ApiManagement/service/products/write") in onboard
    assert ("resourceGroups/rg-hub", ROLE_WRITE) in onboard and ("resourceGroups/rg-b", ROLE_WRITE) in onboard
    assert ("resourceGroups/rg-hub", "Microsoft.CognitiveServices/accounts/projects/write") in onboard
    assert ("resourceGroups/rg-b", "Microsoft.CognitiveServices/accounts/projects/write") not in onboard


def test_a_contributor_on_the_group_is_stopped_naming_each_missing_action_and_its_scope():
    verdict = f.permission_preflight(f.required_actions(dict(SITE, soft_deleted="purge")),
                                     {"subscription": [], ON_GROUP: [CONTRIBUTOR]})
    missing = [(need["scope"], need["action"]) for need in verdict["missing"]]
    assert (ON_GROUP, ROLE_WRITE) in missing
    assert ("subscription", "Microsoft.ApiManagement/locations/deletedservices/delete") in missing
    assert (ON_GROUP, "Microsoft.ApiManagement/service/write") not in missing
    assert "%s at resource group %s (" % (ROLE_WRITE, GROUP) in verdict["refusal"]
    assert "Microsoft.ApiManagement/locations/deletedservices/delete at the subscription" in verdict["refusal"]
    assert verdict["skip"] == [] and verdict["warning"] == ""


def test_the_soft_delete_listing_is_skipped_with_a_warning_when_it_decides_nothing():
    verdict = f.permission_preflight(f.required_actions(SITE), {"subscription": [], ON_GROUP: [OWNER]})
    assert verdict["missing"] == [] and verdict["skip"] == [f.SOFT_DELETE_LISTING]
    assert "Microsoft.ApiManagement/deletedservices/read at the subscription" in verdict["warning"]
    owner = f.permission_preflight(f.required_actions(SITE), {"subscription": [OWNER], ON_GROUP: [OWNER]})
    assert owner == {"missing": [], "skip": [], "refusal": "", "warning": ""}


@pytest.mark.parametrize("run,named", [
    ({"playbook": "deploy", "resource_group": GROUP}, "playbook site, onboard or teardown"),
    ("site", "must be a dict"),
    ({"playbook": "site"}, "names no resource_group"),
])
def test_a_bad_run_is_named(run, named):
    with pytest.raises(AnsibleFilterError, match=named):
        f.required_actions(run)


def test_a_scope_not_read_is_named():
    with pytest.raises(AnsibleFilterError, match="no permissions were read at resource group rg-gw"):
        f.permission_preflight(f.required_actions(SITE), {"subscription": [OWNER]})


def test_malformed_projects_are_left_to_the_onboarding_role():
    run = {"playbook": "onboard", "resource_group": GROUP, "existing_groups": [GROUP]}
    assert needs(dict(run, projects="alpha")) == needs(dict(run, projects=["alpha", None])) == needs(run)
