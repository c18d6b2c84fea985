"""soft_deleted_report: the playbook's preflight says what the modules' own rule will do, and only for our names."""
import pytest

from ansible_collections.aigateway.foundry.plugins.filter.soft_deleted import FilterModule, soft_deleted_report
from ansible_collections.aigateway.foundry.plugins.module_utils.soft_delete import (
    API_MANAGEMENT_SERVICES,
    FOUNDRY_ACCOUNTS,
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


def test_names_held_elsewhere_or_not_ours_are_not_reported():
    assert soft_deleted_report(found("fail", accounts=[OTHER_GROUP_ACCOUNT], services=())) == []
    assert soft_deleted_report(dict(found("fail"), account_names=["x"], service_names=["y"])) == []
    assert soft_deleted_report({"choice": "fail"}) == []


def test_the_filter_is_registered():
    assert FilterModule().filters()["soft_deleted_report"] is soft_deleted_report
