"""soft_delete: the records of both services, the name-held message, and recover/purge on a module with fakes."""
import pytest

from ansible_collections.aigateway.foundry.plugins.module_utils import soft_delete
from ansible_collections.aigateway.foundry.plugins.module_utils.soft_delete import (
    API_MANAGEMENT_SERVICES,
    FOUNDRY_ACCOUNTS,
    KEY_VAULTS,
    Recovery,
)
from ansible_collections.aigateway.foundry.plugins.modules import cognitive_account, key_vault
from tests.unit.plugins.fakes import Failed, Poller, make_module

APIM_RECORD = {"name": "APIM-GW-01", "location": "Sweden Central",
               "properties": {"serviceId": "/subscriptions/s/resourceGroups/rg-old/providers/"
                                           "Microsoft.ApiManagement/service/apim-gw-01",
                              "deletionDate": "2025-01-01T00:00:00Z", "scheduledPurgeDate": "2025-01-03T00:00:00Z"}}
ACCOUNT_RECORD = {"name": "acct", "location": "swedencentral", "kind": "AIServices", "sku": {"name": "S0"},
                  "id": "/subscriptions/s/providers/Microsoft.CognitiveServices/locations/swedencentral/"
                        "resourceGroups/rg/deletedAccounts/acct"}

VAULT_RECORD = {"name": "kv-gw-01",
                "id": "/subscriptions/s/providers/Microsoft.KeyVault/locations/swedencentral/deletedVaults/kv-gw-01",
                "properties": {"vaultId": "/subscriptions/s/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv-gw-01",
                               "location": "swedencentral",
                               "deletionDate": "2026-01-01T00:00:00Z", "scheduledPurgeDate": "2026-04-01T00:00:00Z"}}


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


# The same name soft-deleted in another group keeps its custom subdomain, which is global (issue 23 (9)).
ELSEWHERE_RECORD = dict(ACCOUNT_RECORD, id=ACCOUNT_RECORD["id"].replace("/resourceGroups/rg/", "/resourceGroups/rg-old/"),
                        properties={"customSubDomainName": "acct"})


def test_an_account_elsewhere_holds_the_subdomain_a_create_needs_but_is_not_this_account():
    assert not FOUNDRY_ACCOUNTS.matches(ELSEWHERE_RECORD, "rg", "acct")
    assert FOUNDRY_ACCOUNTS.holds(ELSEWHERE_RECORD, "rg", "ACCT")
    assert FOUNDRY_ACCOUNTS.holds(ELSEWHERE_RECORD, "rg", "other-name", {"properties": {"customSubDomainName": "Acct"}})
    assert not FOUNDRY_ACCOUNTS.holds(ELSEWHERE_RECORD, "rg", "acct", {"properties": {"customSubDomainName": "x"}})
    assert not FOUNDRY_ACCOUNTS.holds(ACCOUNT_RECORD, "other", "acct"), "no subdomain recorded: only its own group"
    assert not API_MANAGEMENT_SERVICES.holds(APIM_RECORD, "rg", "apim-gw-02")


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


class Deleted(object):
    """A service's deleted-resource operations under its own method names: the listing and the purge."""

    def __init__(self, records, list_method, purge_method):
        self.records = records
        self.purged = []
        setattr(self, list_method, lambda: [Record(r) for r in self.records])
        setattr(self, purge_method, lambda *args: self.purged.append(args) or Poller(None))


def account_module(records, check_mode=False, **params):
    client = type("Client", (), {})()
    client.deleted_accounts = Deleted(records, "list", "begin_purge")
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


def test_a_subdomain_held_elsewhere_is_refused_or_purged_where_it_was_deleted():
    desired = {"properties": {"customSubDomainName": "acct"}}
    module, target, recovery, deleted = account_module([ELSEWHERE_RECORD])
    with pytest.raises(Failed, match="account acct of resource group rg-old is soft-deleted"):
        soft_delete.recover(module, FOUNDRY_ACCOUNTS, recovery, target, desired)
    module, target, recovery, deleted = account_module([ELSEWHERE_RECORD], soft_deleted="restore")
    with pytest.raises(Failed, match="restore it in resource group rg-old or purge it"):
        soft_delete.recover(module, FOUNDRY_ACCOUNTS, recovery, target, desired)
    module, target, recovery, deleted = account_module([ELSEWHERE_RECORD, ACCOUNT_RECORD], soft_deleted="purge")
    assert soft_delete.recover(module, FOUNDRY_ACCOUNTS, recovery, target, desired) is None
    assert deleted.purged == [("swedencentral", "rg", "acct")], "the account of this group first"
    module, target, recovery, deleted = account_module([ELSEWHERE_RECORD], soft_deleted="purge")
    assert soft_delete.recover(module, FOUNDRY_ACCOUNTS, recovery, target, desired) is None
    assert deleted.purged == [("swedencentral", "rg-old", "acct")] and recovery.record == ELSEWHERE_RECORD


def test_a_delete_with_purge_never_purges_another_groups_account():
    module, target, recovery, deleted = account_module([ELSEWHERE_RECORD], purge=True, state="absent")
    soft_delete.purge_deleted(module, FOUNDRY_ACCOUNTS, recovery, target)
    assert deleted.purged == [] and not recovery.happened


def test_purge_after_a_delete_the_listing_does_not_show_yet():
    module, target, recovery, deleted = account_module([], purge=True, state="absent")
    target.current = {"name": "acct", "location": "Sweden Central"}
    soft_delete.purge_deleted(module, FOUNDRY_ACCOUNTS, recovery, target)
    assert deleted.purged == [("swedencentral", "rg", "acct")] and recovery.purged


def test_purge_of_nothing_soft_deleted_changes_nothing():
    module, target, recovery, deleted = account_module([], purge=True, state="absent")
    soft_delete.purge_deleted(module, FOUNDRY_ACCOUNTS, recovery, target)
    assert deleted.purged == [] and not recovery.happened


def test_vault_records_are_held_by_name_with_their_region_under_properties():
    assert KEY_VAULTS.matches(VAULT_RECORD, "rg-other", "KV-GW-01")
    assert KEY_VAULTS.origin_group(VAULT_RECORD) == "rg" and KEY_VAULTS.location_of(VAULT_RECORD) == "swedencentral"
    message = KEY_VAULTS.refusal(VAULT_RECORD)
    assert "2026-04-01" in message and "until it is purged" in message and "48 hours" not in message
    assert "soft_deleted=restore" in message and "soft_deleted=purge" in message
    assert KEY_VAULTS.restore_body(VAULT_RECORD, {"location": "swedencentral", "properties": {"a": 1}}) == {
        "location": "swedencentral", "properties": {"a": 1, "createMode": "recover"}}


@pytest.mark.parametrize("choice, group, action", [
    ("fail", "rg", "fail"), ("restore", "rg", "restore"), ("recover", "RG", "restore"), ("purge", "rg2", "purge"),
    ("restore", "rg2", "fail"), ("recover", "rg2", "fail"),
])
def test_one_decision_for_modules_and_the_preflight_with_recover_as_restore(choice, group, action):
    decided, message = soft_delete.decide(KEY_VAULTS, choice, VAULT_RECORD, group)
    assert decided == action and "kv-gw-01" in message
    if action == "fail" and choice != "fail":
        assert "restore it in resource group rg or purge it" in message


def vault_module(records, check_mode=False, **params):
    client = type("Client", (), {})()
    client.vaults = Deleted(records, "list_deleted", "begin_purge_deleted")
    module = make_module(key_vault.ARGUMENT_SPEC, check_mode=check_mode, clients={"keyvault": client},
                         resource_group="rg", name="kv-gw-01", **params)
    return module, key_vault.RESOURCE.absent(module), Recovery(KEY_VAULTS), client.vaults


def test_vault_recover_is_restore_and_purge_uses_the_vault_region():
    module, target, recovery, vaults = vault_module([VAULT_RECORD], check_mode=True, soft_deleted="recover")
    predicted = soft_delete.recover(module, KEY_VAULTS, recovery, target, {"properties": {"a": 1}})
    assert predicted["properties"] == {"a": 1} and recovery.restored and vaults.purged == []
    module, target, recovery, vaults = vault_module([VAULT_RECORD], soft_deleted="purge")
    assert soft_delete.recover(module, KEY_VAULTS, recovery, target, {}) is None
    assert vaults.purged == [("kv-gw-01", "swedencentral")]
    module, target, recovery, vaults = vault_module([], purge=True, state="absent")
    target.current = {"name": "kv-gw-01", "location": "Sweden Central"}
    soft_delete.purge_deleted(module, KEY_VAULTS, recovery, target)
    assert vaults.purged == [("kv-gw-01", "swedencentral")]
