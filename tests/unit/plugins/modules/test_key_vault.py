"""key_vault and key_vault_secret: validation before any write, the managed bodies, the soft-deleted message."""
from ansible_collections.aigateway.foundry.plugins.module_utils.soft_delete import soft_delete_spec
from ansible_collections.aigateway.foundry.plugins.modules import key_vault as vault
from ansible_collections.aigateway.foundry.plugins.modules import key_vault_secret as secret

TENANT = "84a0f2a2-5788-4e58-b782-917096604775"


def params(module, **overrides):
    base = dict((key, spec.get("default")) for key, spec in module.ARGUMENT_SPEC.items())
    base.update(resource_group="rg", name="kv-gateway-x1")
    base.update(overrides)
    return base


def test_vault_validation_names_the_value():
    assert vault.validate(params(vault, tenant_id=TENANT), None) is None
    for name in ("ab", "1kv", "kv-", "kv--x", "kv_x", "k" * 25):
        assert repr(name) in vault.validate(params(vault, name=name, tenant_id=TENANT), None)
    assert "tenant_id is required" in vault.validate(params(vault), None)
    assert vault.validate(params(vault), {"properties": {"tenantId": TENANT}}) is None
    assert "'tenant'" in vault.validate(params(vault, tenant_id="tenant"), None)
    assert "not 91" in vault.validate(params(vault, tenant_id=TENANT, soft_delete_retention_in_days=91), None)
    protected = {"properties": {"tenantId": TENANT, "enablePurgeProtection": True}}
    assert "cannot be turned off" in vault.validate(params(vault), protected)
    assert vault.validate(params(vault, name="bad_name", state="absent"), None) is not None
    assert vault.validate(params(vault, state="absent"), None) is None


def test_vault_body_sends_access_policies_and_retention_only_on_create():
    created = vault.desired_body(params(vault, tenant_id=TENANT, tags={"n": 1}), None, "swedencentral")
    assert created == {"location": "swedencentral", "tags": {"n": "1"}, "properties": {
        "tenantId": TENANT, "sku": {"family": "A", "name": "standard"}, "enableRbacAuthorization": True,
        "accessPolicies": [], "enableSoftDelete": True, "softDeleteRetentionInDays": 90}}
    current = {"properties": {"tenantId": TENANT, "accessPolicies": [{"objectId": "x"}]}}
    updated = vault.desired_body(params(vault, enable_purge_protection=True), current, "swedencentral")
    assert "accessPolicies" not in updated["properties"] and updated["properties"]["tenantId"] == TENANT
    assert updated["properties"]["enablePurgeProtection"] is True


def test_vault_takes_the_soft_delete_options_of_every_soft_deleting_module():
    assert vault.ARGUMENT_SPEC["soft_deleted"] == soft_delete_spec()["soft_deleted"]
    assert "recover" in vault.ARGUMENT_SPEC["soft_deleted"]["choices"]
    assert vault.ARGUMENT_SPEC["purge"] == soft_delete_spec()["purge"]


def test_secret_validation_and_body_never_name_the_value():
    value = "k3y-value"
    assert secret.validate(params(secret, vault="kv", name="team-alpha", value=value), None) is None
    assert "cannot delete" in secret.validate(params(secret, vault="kv", name="s", state="absent"), None)
    assert "value is required" in secret.validate(params(secret, vault="kv", name="s"), None)
    assert secret.validate(params(secret, vault="kv", name="s", enabled=False), {"properties": {}}) is None
    too_long = secret.validate(params(secret, vault="kv", name="s", value="x" * (25 * 1024 + 1)), None)
    assert "25 KB" in too_long and "xxxx" not in too_long
    assert "'a_b'" in secret.validate(params(secret, vault="kv", name="a_b", value=value), None)
    assert secret.desired_body(params(secret, value=value, content_type="key", enabled=True)) == {
        "properties": {"value": value, "contentType": "key", "attributes": {"enabled": True}}}
    assert secret.desired_body(params(secret)) == {"properties": {}}
