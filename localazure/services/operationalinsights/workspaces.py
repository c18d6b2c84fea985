"""Microsoft.OperationalInsights/workspaces (Log Analytics), with soft delete and recovery.

Shapes: localazure/specs/bicep-types/microsoft.operationalinsights/2025-07-01/types.md.
azure-mgmt-loganalytics 14.0.0 (2025-07-01): begin_create_or_update accepts 200/201/202 with no
lro_options (ARMPolling picks the style from the response); update is a sync PATCH (200);
begin_delete accepts 200/202/204 and takes `force`.  The lab deploys at 2023-09-01, checked
against 2025-07-01.

Soft delete (learn.microsoft.com/azure/azure-monitor/logs/delete-workspace): a delete without
force=true keeps the workspace recoverable for 14 days; re-creating a workspace with the same
subscription, resource group, name and location within that time recovers it (same customerId).
"""
from __future__ import annotations

import datetime
from datetime import timedelta

from localazure.engine.contract import ArmError, Lro, Provider, ResourceKind
from localazure.engine.softdelete import SoftDelete

WORKSPACE_TYPE = "Microsoft.OperationalInsights/workspaces"
DELETED_TABLE = "operationalinsights.deletedWorkspaces"
SOFT_DELETE_DAYS = 14
# Delete: 202 + Location, polled until 200; seconds on the real service.
DELETE_LRO = Lro("location", seconds=10, status=202, running_state=None)
_LENGTH_PROBLEM = ("minLength", "maxLength")


def _is_force(ctx) -> bool:
    return str((ctx.query or {}).get("force", "")).lower() == "true"


def _iso(epoch: float) -> str:
    stamp = datetime.datetime.fromtimestamp(epoch, datetime.timezone.utc)
    return stamp.strftime("%Y-%m-%dT%H:%M:%S.") + f"{stamp.microsecond:06d}0Z"


def _name_not_unique(ctx, held: dict) -> ArmError:
    # Workspaces - Delete: "The name is kept for 14 days and cannot be used for another workspace."
    # Seen as 409 "The workspace name '...' is not unique" (MicrosoftDocs/azure-docs#41719); the
    # error code is not recorded there, ours is the generic Conflict.
    return ArmError(409, "Conflict", f"The workspace name '{ctx.name}' is not unique")


class WorkspaceKind(ResourceKind):
    type_name = WORKSPACE_TYPE
    api_versions = ("2025-07-01", "2023-09-01")
    spec_versions = {"2023-09-01": "2025-07-01"}
    etag = "quoted"
    # A real azd run logs "Log Analytics workspace: log-... (18.676s)" for a create
    # (microsoft/Modernize-your-code-solution-accelerator#141); the RP answers 201 with
    # provisioningState Creating and the SDK re-reads the resource until Succeeded.
    create_lro = Lro("body", seconds=18, status=201, running_state="Creating")
    delete_lro = DELETE_LRO
    # DELETE ...?force=true frees the name at once; otherwise (also when the resource group goes) the workspace
    # stays recoverable for 14 days: creating it again (same group, name and region) recovers it with its
    # customerId and createdDate; its name is refused elsewhere in the subscription meanwhile.
    soft_delete = SoftDelete(
        table=DELETED_TABLE, name_scope="resourceGroup", conflict_scope="subscription",
        retention=timedelta(days=SOFT_DELETE_DAYS), restore=None,
        restores=("properties.customerId", "properties.createdDate"), conflict=_name_not_unique,
        present=lambda ctx, record: record["resource"],
        kept_when=lambda ctx, workspace: not _is_force(ctx), list_pattern=r"deletedWorkspaces",
        route_type=WORKSPACE_TYPE)

    def on_create(self, ctx, body):
        props = body.setdefault("properties", {})
        now = ctx.now_iso()
        props["customerId"] = ctx.new_guid()
        props["createdDate"] = now
        props["modifiedDate"] = now
        props["provisioningState"] = "Creating"
        self._fill_defaults(ctx, body, now)
        return None

    def on_update(self, ctx, current, body):
        props = body.setdefault("properties", {})
        old = current.get("properties") or {}
        for key in ("customerId", "createdDate", "provisioningState"):
            props[key] = old.get(key)
        props["modifiedDate"] = ctx.now_iso()
        self._fill_defaults(ctx, body, props["modifiedDate"], old.get("sku"))

    def on_provisioned(self, ctx, body):
        props = body.setdefault("properties", {})
        props["provisioningState"] = "Succeeded"

    def invalid_name(self, ctx, problems):
        # Code and pattern message as the service answers (Azure/AzureMonitorStarterPacks#173); the length
        # rule as the portal words it (Azure/terraform-azurerm-avm-res-operationalinsights-workspace#72).
        if any(word in problem for problem in problems for word in _LENGTH_PROBLEM):
            message = "The workspace name must be between 4 and 63 characters."
        else:
            message = ("Workspace name must start and end with an alphanumeric character, and may contain only "
                       "alphanumeric and hyphen characters.")
        return ArmError(400, "InvalidParameter", message)

    @staticmethod
    def _fill_defaults(ctx, body, now, old_sku=None):
        """Service defaults Azure returns for a PerGB2018 workspace."""
        props = body["properties"]
        sku = props.setdefault("sku", {"name": "PerGB2018"})
        if old_sku and old_sku.get("name") == sku.get("name"):
            sku["lastSkuUpdate"] = old_sku.get("lastSkuUpdate", now)
        else:
            sku["lastSkuUpdate"] = now
        props.setdefault("retentionInDays", 30)
        props.setdefault("publicNetworkAccessForIngestion", "Enabled")
        props.setdefault("publicNetworkAccessForQuery", "Enabled")
        features = props.setdefault("features", {})
        features.setdefault("enableLogAccessUsingOnlyResourcePermissions", True)
        capping = props.setdefault("workspaceCapping", {})
        capping.setdefault("dailyQuotaGb", -1)
        capping.setdefault("dataIngestionStatus", "RespectQuota")
        capping.setdefault("quotaNextResetTime", _iso(ctx.now + 86400))   # daily cap resets once a day
        identity = body.get("identity")
        if identity and "SystemAssigned" in identity.get("type", "") and not identity.get("principalId"):
            identity["principalId"] = ctx.new_guid()
            identity["tenantId"] = ctx.tenant_id


list_deleted_workspaces = WorkspaceKind.soft_delete.handlers()[0]   # GET .../deletedWorkspaces

PROVIDER = Provider(
    namespace="Microsoft.OperationalInsights",
    kinds=[WorkspaceKind()],
)
