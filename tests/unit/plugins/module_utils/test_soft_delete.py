"""soft_delete: the records of both services, the name-held message, and recover/purge on a module with fakes."""
import pytest

from ansible_collections.aigateway.foundry.plugins.module_utils import soft_delete
from ansible_collections.aigateway.foundry.plugins.module_utils.soft_delete import (
    API_MANAGEMENT_SERVICES,
    FOUNDRY_ACCOUNTS,
    Recovery,
)
from ansible_collections.aigateway.foundry.plugins.modules import cognitive_account
from tests.unit.plugins.fakes import Failed, Poller, make_module

APIM_RECORD = {"name": "APIM-GW-01", "location": "Sweden Central",
               "properties": {"serviceId": "/subscriptions/s/resourceGroups/rg-old/providers/"
                                           "Microsoft.ApiManagement/service/apim-gw-01",
                              "deletionDate": "2025-01-01T00:00:00Z", "scheduledPurgeDate": "2025-01-03T00:00:00Z"}}
ACCOUNT_RECORD = {"name": "acct", "location": "swedencentral", "kind": "AIServices", "sku": {"name": "S0"},
                  "id": "/subscriptions/s/providers/Microsoft.CognitiveServices/locations/swedencentral/"
                        "resourceGroups/rg/deletedAccounts/acct"}


class Record(dict):
    """A listed record as the SDK pages hand it over."""

    def serialize(self, keep_readonly=True):
        return dict(self)


def test_apim_records_match_by_name_in_any_resource_group():
    assert API_MANAGEMENT_SERVICES.matches(APIM_RECORD, "rg-new", "apim-gw-01")
    assert API_MANAGEMENT_SERVICES.origin_group(APIM_RECORD) == "rg-old"
    assert not API_MANAGEMENT_SERVICES.matches(APIM_RECORD, "rg-old", "apim-gw-02")


def test_account_records_match_by_name_and_resource_group():
    assert FOUNDRY_ACCOUNTS.matches(ACCOUNT_RECORD, "RG", "ACCT")
    assert not FOUNDRY_ACCOUNTS.matches(ACCOUNT_RECORD, "other", "acct")


def test_held_message_says_who_holds_the_name_and_until_when():
    message = API_MANAGEMENT_SERVICES.held_message(APIM_RECORD)
    assert "APIM-GW-01" in message and "rg-old" in message and "2025-01-03T00:00:00Z" in message
    assert "soft-deleted" in message and "soft_deleted" not in message
    refusal = FOUNDRY_ACCOUNTS.refusal(ACCOUNT_RECORD)
    assert "soft_deleted: restore" in refusal and "soft_deleted=purge" in refusal


def test_restore_bodies():
    desired = {"location": "swedencentral", "sku": {"name": "StandardV2"}, "properties": {"publisherName": "Ops"}}
    restored = API_MANAGEMENT_SERVICES.restore_body(APIM_RECORD, desired)
    assert restored["properties"] == {"publisherName": "Ops", "restore": True} and "restore" not in desired["properties"]
    assert FOUNDRY_ACCOUNTS.restore_body(ACCOUNT_RECORD, desired) == {
        "location": "swedencentral", "kind": "AIServices", "sku": {"name": "S0"}, "properties": {"restore": True}}


class DeletedAccounts(object):
    def __init__(self, records):
        self.records = records
        self.purged = []

    def list(self):
        return [Record(r) for r in self.records]

    def begin_purge(self, location, resource_group, name):
        self.purged.append((location, resource_group, name))
        return Poller(None)


def account_module(records, check_mode=False, **params):
    client = type("Client", (), {})()
    client.deleted_accounts = DeletedAccounts(records)
    module = make_module(cognitive_account.ARGUMENT_SPEC, check_mode=check_mode,
                         clients={"cognitiveservices": client}, resource_group="rg", name="acct", **params)
    target = cognitive_account.RESOURCE.absent(module)
    return module, target, Recovery(FOUNDRY_ACCOUNTS), client.deleted_accounts


def test_fail_refuses_before_any_write():
    module, target, recovery, deleted = account_module([ACCOUNT_RECORD])
    with pytest.raises(Failed, match="soft-deleted"):
        soft_delete.recover(module, FOUNDRY_ACCOUNTS, recovery, target, {"location": "swedencentral"})
    assert deleted.purged == []


def test_restore_in_check_mode_predicts_from_the_record_and_writes_nothing():
    module, target, recovery, deleted = account_module([ACCOUNT_RECORD], check_mode=True, soft_deleted="restore")
    predicted = soft_delete.recover(module, FOUNDRY_ACCOUNTS, recovery, target, {"properties": {"a": 1}})
    assert predicted["kind"] == "AIServices" and predicted["properties"] == {"a": 1}
    assert predicted["id"].endswith("/Microsoft.CognitiveServices/accounts/acct")
    assert recovery.returns() == {"restored": True, "purged": False, "soft_deleted_account": ACCOUNT_RECORD}


def test_purge_waits_even_without_wait_and_frees_the_name():
    module, target, recovery, deleted = account_module([ACCOUNT_RECORD], soft_deleted="purge", wait=False)
    assert soft_delete.recover(module, FOUNDRY_ACCOUNTS, recovery, target, {}) is None
    assert deleted.purged == [("swedencentral", "rg", "acct")] and recovery.purged


def test_purge_after_a_delete_the_listing_does_not_show_yet():
    module, target, recovery, deleted = account_module([], purge=True, state="absent")
    target.current = {"name": "acct", "location": "Sweden Central"}
    soft_delete.purge_deleted(module, FOUNDRY_ACCOUNTS, recovery, target)
    assert deleted.purged == [("swedencentral", "rg", "acct")] and recovery.purged


def test_purge_of_nothing_soft_deleted_changes_nothing():
    module, target, recovery, deleted = account_module([], purge=True, state="absent")
    soft_delete.purge_deleted(module, FOUNDRY_ACCOUNTS, recovery, target)
    assert deleted.purged == [] and not recovery.happened
