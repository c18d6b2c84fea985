"""Microsoft.KeyVault on the local endpoint, driven by the stock azure-mgmt-keyvault client (at 2024-11-01): vault
create with Azure's defaults, secrets whose value is never returned and whose writes make versions, no ARM delete of
a secret, soft delete holding the name (409 ConflictError), recovery with the secrets, purge freeing the name,
purge protection refusing the purge, and settings that cannot be turned back."""
from __future__ import annotations

import uuid

import pytest
from azure.core.exceptions import HttpResponseError
from azure.mgmt.keyvault import KeyVaultManagementClient
from azure.mgmt.resource.resources import ResourceManagementClient


@pytest.fixture(scope="module")
def vaults(endpoint, credential, sdk_kwargs):
    sub = endpoint["subscription_id"]
    group, other = ("rg-kv-%s" % uuid.uuid4().hex[:8] for _ in range(2))
    resources = ResourceManagementClient(credential, sub, **sdk_kwargs)
    for name in (group, other):
        resources.resource_groups.create_or_update(name, {"location": "swedencentral"})
    client = KeyVaultManagementClient(credential, sub, api_version="2024-11-01", **sdk_kwargs)
    yield client, group, endpoint["tenant_id"], other
    for name in (group, other):
        resources.resource_groups.begin_delete(name).result()


def vault_body(tenant, **properties):
    return {"location": "swedencentral", "properties": dict(
        {"tenantId": tenant, "sku": {"family": "A", "name": "standard"}, "enableRbacAuthorization": True},
        **properties)}


def test_vault_secret_soft_delete_recover_and_purge(vaults):
    client, group, tenant, _ = vaults
    name = "kv-%s" % uuid.uuid4().hex[:8]
    vault = client.vaults.begin_create_or_update(group, name, vault_body(tenant)).result()
    assert vault.properties.vault_uri == "https://%s.vault.azure.net/" % name
    assert (vault.properties.enable_soft_delete, vault.properties.soft_delete_retention_in_days) == (True, 90)

    first = client.secrets.create_or_update(group, name, "team-alpha", {"properties": {"value": "s3cr3t-1"}})
    assert first.properties.value is None and first.properties.attributes.enabled is True
    assert first.properties.secret_uri == vault.properties.vault_uri + "secrets/team-alpha"
    again = client.secrets.get(group, name, "team-alpha")
    assert again.properties.value is None
    assert again.properties.secret_uri_with_version == first.properties.secret_uri_with_version
    second = client.secrets.create_or_update(group, name, "team-alpha", {"properties": {"value": "s3cr3t-2"}})
    assert second.properties.secret_uri_with_version != first.properties.secret_uri_with_version
    assert [s.name for s in client.secrets.list(group, name)] == ["team-alpha"]

    client.vaults.delete(group, name)
    deleted = client.vaults.get_deleted(name, "swedencentral")
    assert deleted.properties.vault_id == vault.id and deleted.properties.purge_protection_enabled is False
    assert name in [v.name for v in client.vaults.list_deleted()]
    with pytest.raises(HttpResponseError) as held:
        client.vaults.begin_create_or_update(group, name, vault_body(tenant)).result()
    assert held.value.status_code == 409 and held.value.error.code == "ConflictError"
    assert "already exists in deleted state" in held.value.error.message

    recovered = client.vaults.begin_create_or_update(group, name, vault_body(tenant, createMode="recover")).result()
    assert recovered.properties.vault_uri == vault.properties.vault_uri
    assert [s.name for s in client.secrets.list(group, name)] == ["team-alpha"]

    client.vaults.delete(group, name)
    client.vaults.begin_purge_deleted(name, "swedencentral").result()
    assert name not in [v.name for v in client.vaults.list_deleted()]
    client.vaults.begin_create_or_update(group, name, vault_body(tenant)).result()   # the name is free again
    assert list(client.secrets.list(group, name)) == []
    client.vaults.delete(group, name)
    client.vaults.begin_purge_deleted(name, "swedencentral").result()


def test_what_azure_refuses(vaults, arm):
    client, group, tenant, other_group = vaults
    name = "kv-%s" % uuid.uuid4().hex[:8]
    client.vaults.begin_create_or_update(group, name, vault_body(tenant, enablePurgeProtection=True)).result()
    for change in ({"enableSoftDelete": False}, {"enablePurgeProtection": False}, {"softDeleteRetentionInDays": 3}):
        with pytest.raises(HttpResponseError) as refused:
            client.vaults.begin_create_or_update(group, name, vault_body(tenant, **change)).result()
        assert refused.value.status_code == 400
    client.secrets.create_or_update(group, name, "kept", {"properties": {"value": "v"}})
    secret_path = client.secrets.get(group, name, "kept").id
    assert arm("DELETE", secret_path + "?api-version=2024-11-01").status_code == 405
    with pytest.raises(HttpResponseError) as taken:   # vault names are global
        client.vaults.begin_create_or_update(other_group, name, vault_body(tenant)).result()
    assert taken.value.status_code == 409 and taken.value.error.code == "VaultAlreadyExists"
    client.vaults.delete(group, name)
    with pytest.raises(HttpResponseError) as protected:
        client.vaults.begin_purge_deleted(name, "swedencentral").result()
    assert protected.value.status_code == 409
    assert name in [v.name for v in client.vaults.list_deleted()]
