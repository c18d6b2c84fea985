"""key_vault and key_vault_secret against the local endpoint: check mode predicts and writes nothing, create, re-run
unchanged with no write, diff on a change, bad input fails before any write, the secret's value never printed nor
compared, soft delete holding the name (fail, restore - or recover, its alias - with the secrets, purge), delete with purge and again
unchanged."""
import uuid

import pytest

VALUE = "gateway-key-%s" % uuid.uuid4().hex


@pytest.fixture(scope="module")
def group(run_module):
    name = "rg-it-%s" % uuid.uuid4().hex[:8]
    run_module("resource_group", {"name": name, "location": "swedencentral"})
    yield name
    run_module("resource_group", {"name": name, "state": "absent"})


def test_vault_and_secret_lifecycle(run_module, request_log, group, endpoint):
    vault = {"resource_group": group, "name": "kv-it-%s" % uuid.uuid4().hex[:8]}
    args = dict(vault, tenant_id=endpoint["tenant_id"], tags={"team": "platform"})

    mark = request_log.mark()
    predicted = run_module("key_vault", args, check=True, diff=True)
    assert predicted["changed"] is True and predicted["id"].endswith("/vaults/" + vault["name"])
    assert predicted["diff"]["after"]["properties"]["enableRbacAuthorization"] is True
    assert request_log.writes(mark) == []

    created = run_module("key_vault", args)
    assert created["changed"] is True and created["vault_uri"] == "https://%s.vault.azure.net/" % vault["name"]
    assert created["state"]["properties"]["softDeleteRetentionInDays"] == 90
    mark = request_log.mark()
    assert run_module("key_vault", args)["changed"] is False
    assert request_log.writes(mark) == []
    changed = run_module("key_vault", dict(args, tags={"team": "gateway"}), check=True, diff=True)
    assert changed["changed"] is True and changed["diff"]["before"]["tags"] == {"team": "platform"}
    assert changed["diff"]["after"]["tags"] == {"team": "gateway"} and request_log.writes(mark) == []

    secret = {"resource_group": group, "vault": vault["name"], "name": "team-alpha"}
    mark = request_log.mark()
    guess = run_module("key_vault_secret", dict(secret, value=VALUE), check=True, diff=True)
    assert guess["changed"] is True and VALUE not in guess["_stdout"] and request_log.writes(mark) == []
    written = run_module("key_vault_secret", dict(secret, value=VALUE, content_type="subscription key"))
    assert written["changed"] is True and VALUE not in written["_stdout"]
    assert written["secret_uri"] == created["vault_uri"] + "secrets/team-alpha"
    mark = request_log.mark()
    again = run_module("key_vault_secret", dict(secret, value=VALUE, content_type="subscription key"))
    assert again["changed"] is False and request_log.writes(mark) == []
    always = run_module("key_vault_secret", dict(secret, value=VALUE, update_value="always"))
    assert always["changed"] is True and always["secret_uri_with_version"] != written["secret_uri_with_version"]
    disabled = run_module("key_vault_secret", dict(secret, enabled=False), diff=True)
    assert disabled["diff"]["after"]["properties"]["attributes"]["enabled"] is False
    assert VALUE not in disabled["_stdout"]

    # the vault leaves soft-deleted and holds its name: a create fails, restore brings it back with its secret
    assert run_module("key_vault", dict(vault, state="absent"))["changed"] is True
    mark = request_log.mark()
    held = run_module("key_vault", args, expect_failure=True)
    assert "is soft-deleted" in held["msg"] and "soft_deleted=restore" in held["msg"]
    assert request_log.writes(mark) == []
    predicted = run_module("key_vault", dict(args, soft_deleted="restore"), check=True)
    assert predicted["changed"] is True and predicted["restored"] is True and request_log.writes(mark) == []
    recovered = run_module("key_vault", dict(args, soft_deleted="recover"))   # Key Vault's word for restore
    assert recovered["changed"] is True and recovered["restored"] is True and recovered["recovered"] is True
    assert recovered["state"]["tags"] == {"team": "platform"}
    mark = request_log.mark()
    assert run_module("key_vault", dict(args, soft_deleted="recover"))["changed"] is False
    assert request_log.writes(mark) == []
    assert run_module("key_vault_secret", dict(secret, enabled=False))["changed"] is False

    # purge with the delete; then nothing is left and a second run changes nothing
    mark = request_log.mark()
    gone = run_module("key_vault", dict(vault, state="absent", purge=True), check=True)
    assert gone["changed"] is True and gone["purged"] is True and request_log.writes(mark) == []
    gone = run_module("key_vault", dict(vault, state="absent", purge=True))
    assert gone["changed"] is True and gone["purged"] is True
    mark = request_log.mark()
    assert run_module("key_vault", dict(vault, state="absent", purge=True))["changed"] is False
    assert request_log.writes(mark) == []
    fresh = run_module("key_vault", args)   # the name is free again: a new, empty vault
    assert fresh["restored"] is False and fresh["recovered"] is False
    run_module("key_vault", dict(vault, state="absent"))
    replaced = run_module("key_vault", dict(args, soft_deleted="purge"))
    assert replaced["purged"] is True and replaced["changed"] is True
    run_module("key_vault", dict(vault, state="absent", purge=True))


def test_bad_input_fails_before_any_write(run_module, request_log, group, endpoint):
    mark = request_log.mark()
    bad = run_module("key_vault", {"resource_group": group, "name": "1-bad", "tenant_id": endpoint["tenant_id"]},
                     expect_failure=True)
    assert "'1-bad'" in bad["msg"]
    no_tenant = run_module("key_vault", {"resource_group": group, "name": "kv-no-tenant"}, expect_failure=True)
    assert "tenant_id is required" in no_tenant["msg"]
    retention = run_module("key_vault", {"resource_group": group, "name": "kv-retention",
                                         "tenant_id": endpoint["tenant_id"], "soft_delete_retention_in_days": 3},
                           expect_failure=True)
    assert "between 7 and 90, not 3" in retention["msg"]
    secret = {"resource_group": group, "vault": "kv-missing", "name": "s"}
    absent = run_module("key_vault_secret", dict(secret, state="absent"), expect_failure=True)
    assert "cannot delete a Key Vault secret" in absent["msg"]
    empty = run_module("key_vault_secret", dict(secret, name="bad_name", value=VALUE), expect_failure=True)
    assert "'bad_name'" in empty["msg"] and VALUE not in empty["_stdout"]
    assert request_log.writes(mark) == []
