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
