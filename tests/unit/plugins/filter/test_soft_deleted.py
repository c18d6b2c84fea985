"""soft_deleted_report: the playbook's preflight says what the modules' own rule will do, and only for our names.
teardown_inventory / soft_deleted_left: teardown removes what Azure lists in the group and was soft-deleted from it,
not only what the settings name, and its proof sees every record still holding one of those names."""
import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.aigateway.foundry.plugins.filter.soft_deleted import (
    FilterModule,
    soft_deleted_left,
    soft_deleted_report,
    teardown_inventory,
)
from ansible_collections.aigateway.foundry.plugins.module_utils.soft_delete import (
    API_MANAGEMENT_SERVICES,
    FOUNDRY_ACCOUNTS,
    KEY_VAULTS,
)

ACCOUNT = {"name": "models-a", "location": "swedencentral", "kind": "AIServices",
           "id": "/subscriptions/s/providers/Microsoft.CognitiveServices/locations/swedencentral/resourceGroups/rg/"
                 "deletedAccounts/models-a"}
OTHER_GROUP_ACCOUNT = dict(ACCOUNT, id=ACCOUNT["id"].replace("/resourceGroups/rg/", "/resourceGroups/rg-old/"))
SERVICE = {"name": "apim-gw", "location": "Sweden Central",
           "properties": {"serviceId": "/subscriptions/s/resourceGroups/rg-old/providers/Microsoft.ApiManagement/"
                                       "service/apim-gw", "scheduledPurgeDate": "2026-01-03T00:00:00Z"}}


def found(choice, accounts=(ACCOUNT,), services=(SERVICE,)):
    return {"choice": choice, "resource_group": "rg", "accounts": list(accounts), "services": list(services),
            "account_names": ["models-a", "models-b"], "service_names": ["apim-gw"]}


def test_fail_reports_the_modules_refusal_for_every_held_name():
    report = soft_deleted_report(found("fail"))
    assert [(r["name"], r["action"]) for r in report] == [("models-a", "fail"), ("apim-gw", "fail")]
    assert report[0]["message"] == FOUNDRY_ACCOUNTS.refusal(ACCOUNT)
    assert report[1]["message"] == API_MANAGEMENT_SERVICES.refusal(SERVICE)


@pytest.mark.parametrize("choice, action", [("restore", "restore"), ("recover", "restore"), ("purge", "purge")])
def test_a_choice_is_reported_as_what_the_create_will_do(choice, action):
    report = soft_deleted_report(found(choice, services=()))
    assert [r["action"] for r in report] == [action]
    assert report[0]["message"].endswith("the create will %s it" % action)


def test_restore_of_a_service_deleted_from_another_group_fails_before_any_write():
    [service] = soft_deleted_report(found("restore", accounts=()))
    assert service["action"] == "fail" and "restore it in resource group rg-old or purge it" in service["message"]


def test_an_account_of_another_group_holding_the_subdomain_is_reported():
    holder = dict(OTHER_GROUP_ACCOUNT, properties={"customSubDomainName": "models-a"})
    [report] = soft_deleted_report(found("purge", accounts=[holder], services=()))
    assert report["action"] == "purge" and "of resource group rg-old" in report["message"]
    [report] = soft_deleted_report(found("restore", accounts=[holder], services=()))
    assert report["action"] == "fail" and "restore it in resource group rg-old or purge it" in report["message"]


def test_names_held_elsewhere_or_not_ours_are_not_reported():
    assert soft_deleted_report(found("fail", accounts=[OTHER_GROUP_ACCOUNT], services=())) == []
    assert soft_deleted_report(dict(found("fail"), account_names=["x"], service_names=["y"])) == []
    assert soft_deleted_report({"choice": "fail"}) == []


def live(kind_path, name, group="rg"):
    return {"name": name, "id": "/subscriptions/s/resourceGroups/%s/providers/%s/%s" % (group, kind_path, name)}


def test_teardown_removes_what_the_group_holds_and_what_was_soft_deleted_from_it():
    safety = dict(ACCOUNT, name="contentsafety-x",
                  id=ACCOUNT["id"].replace("deletedAccounts/models-a", "deletedAccounts/contentsafety-x"))
    made = teardown_inventory({
        "resource_group": "RG",
        "declared": {"accounts": ["models-a", "agents-x"], "services": ["apim-gw"], "vaults": [],
                     "workspaces": ["workspace-x"]},
        "live": {"accounts": [live("Microsoft.CognitiveServices/accounts", "Models-A"),
                              live("Microsoft.CognitiveServices/accounts", "embeddings-x"),
                              live("Microsoft.CognitiveServices/accounts", "someone-elses", group="rg-other")],
                 "services": [live("Microsoft.ApiManagement/service", "apim-gw")],
                 "vaults": [live("Microsoft.KeyVault/vaults", "kv-team")],
                 "workspaces": [live("Microsoft.OperationalInsights/workspaces", "workspace-x")]},
        "deleted": {"accounts": [safety, OTHER_GROUP_ACCOUNT], "services": [SERVICE]},
    })
    assert made == {"accounts": ["models-a", "agents-x", "embeddings-x", "contentsafety-x"],
                    "services": ["apim-gw"], "vaults": ["kv-team"], "workspaces": ["workspace-x"]}


def test_teardown_of_a_group_that_is_gone_still_finds_what_it_left_soft_deleted():
    made = teardown_inventory({"resource_group": "rg-old", "declared": {"services": ["apim-new"]},
                               "deleted": {"accounts": [ACCOUNT, OTHER_GROUP_ACCOUNT], "services": [SERVICE]}})
    assert made == {"accounts": ["models-a"], "services": ["apim-new", "apim-gw"], "vaults": [], "workspaces": []}


@pytest.mark.parametrize("found, message", [
    ({"declared": {}}, "needs the resource_group"),
    ({"resource_group": "rg", "live": ["models-a"]}, "live must be a dict of lists by kind"),
    ({"resource_group": "rg", "declared": {"accounts": "models-a"}}, "declared.accounts must be a list"),
])
def test_teardown_inventory_names_a_bad_input(found, message):
    with pytest.raises(AnsibleFilterError, match=message):
        teardown_inventory(found)


def test_nothing_is_left_sees_every_record_holding_a_name_or_deleted_from_the_group():
    vault = {"name": "kv-team", "properties": {"vaultId": "/subscriptions/s/resourceGroups/rg/providers/"
                                                          "Microsoft.KeyVault/vaults/kv-team", "location": "x"}}
    stray = dict(ACCOUNT, name="made-by-hand", id=ACCOUNT["id"].replace("models-a", "made-by-hand"))
    names = {"accounts": ["models-a"], "services": ["apim-gw"], "vaults": ["kv-team"]}
    left = soft_deleted_left({"resource_group": "rg", "names": names, "accounts": [ACCOUNT, stray, OTHER_GROUP_ACCOUNT],
                              "services": [SERVICE], "vaults": [vault]})
    assert left == [FOUNDRY_ACCOUNTS.held_message(ACCOUNT), FOUNDRY_ACCOUNTS.held_message(stray),
                    API_MANAGEMENT_SERVICES.held_message(SERVICE), KEY_VAULTS.held_message(vault)]
    assert soft_deleted_left({"resource_group": "rg", "names": names, "accounts": [OTHER_GROUP_ACCOUNT]}) == []


def test_the_filters_are_registered():
    filters = FilterModule().filters()
    assert filters["soft_deleted_report"] is soft_deleted_report
    assert filters["teardown_inventory"] is teardown_inventory and filters["soft_deleted_left"] is soft_deleted_left
