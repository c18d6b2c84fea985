"""Microsoft.ManagedIdentity/userAssignedIdentities.

Shapes: localazure/specs/bicep-types/microsoft.managedidentity/2023-01-31/types.md: properties is
entirely ReadOnly (principalId, clientId, tenantId GUIDs).  azure-mgmt-msi 7.1.0 calls 2024-11-30,
whose identity shape is the same, so it is checked against 2023-01-31.  create_or_update accepts
200/201 (sync), update (PATCH) 200, delete 200/204.
"""
from __future__ import annotations

from localazure.engine.contract import Provider, ResourceKind


class UserAssignedIdentityKind(ResourceKind):
    type_name = "Microsoft.ManagedIdentity/userAssignedIdentities"
    api_versions = ("2023-01-31", "2024-11-30")
    spec_versions = {"2024-11-30": "2023-01-31"}

    def on_create(self, ctx, body):
        body["properties"] = {
            "tenantId": ctx.tenant_id,
            "principalId": ctx.new_guid(),
            "clientId": ctx.new_guid(),
        }
        return None

    def on_update(self, ctx, current, body):
        # The identity's service principal never changes for the life of the resource.
        body["properties"] = dict(current.get("properties") or {})


PROVIDER = Provider(namespace="Microsoft.ManagedIdentity", kinds=[UserAssignedIdentityKind()])
