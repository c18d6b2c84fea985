"""Microsoft.ManagedIdentity provider: hook unit test with a fake ctx, then the real SDK client against the
running endpoint (shared fakes and the resource_group fixture: ../conftest.py)."""
from __future__ import annotations

import pytest

from localazure.services.managedidentity import identities as managedidentity
from tests.localazure.services.conftest import GUID, SUB
from tests.localazure.services.conftest import fake_ctx_on as FakeCtx


def test_identity_fills_and_keeps_principal():
    kind = managedidentity.UserAssignedIdentityKind()
    body = {"location": "eastus"}
    ctx = FakeCtx(f"/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.ManagedIdentity/"
                  "userAssignedIdentities/id1", body)
    kind.on_create(ctx, body)
    props = body["properties"]
    assert GUID.match(props["principalId"]) and GUID.match(props["clientId"])
    assert props["tenantId"] == ctx.tenant_id
    updated = {"location": "eastus", "tags": {"a": "b"}}
    kind.on_update(ctx, body, updated)
    assert updated["properties"] == props


def test_sdk_user_assigned_identity(credential, endpoint, sdk_kwargs, resource_group):
    from azure.core.exceptions import ResourceNotFoundError
    from azure.mgmt.msi import ManagedServiceIdentityClient
    client = ManagedServiceIdentityClient(credential, endpoint["subscription_id"], **sdk_kwargs)
    created = client.user_assigned_identities.create_or_update(resource_group, "apim-id", {"location": "eastus"})
    assert GUID.match(created.principal_id) and GUID.match(created.client_id)
    assert created.tenant_id == endpoint["tenant_id"]
    again = client.user_assigned_identities.create_or_update(
        resource_group, "apim-id", {"location": "eastus", "tags": {"env": "test"}})
    assert again.principal_id == created.principal_id and again.tags == {"env": "test"}
    patched = client.user_assigned_identities.update(resource_group, "apim-id", {"tags": {"env": "prod"}})
    assert patched.tags == {"env": "prod"} and patched.client_id == created.client_id
    assert [i.name for i in client.user_assigned_identities.list_by_resource_group(resource_group)] == ["apim-id"]
    client.user_assigned_identities.delete(resource_group, "apim-id")
    with pytest.raises(ResourceNotFoundError):
        client.user_assigned_identities.get(resource_group, "apim-id")
