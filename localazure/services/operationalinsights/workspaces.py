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

from localazure.engine.contract import ArmError, Lro, Provider, ResourceKind, Route

WORKSPACE_TYPE = "Microsoft.OperationalInsights/workspaces"
DELETED_TABLE = "operationalinsights.deletedWorkspaces"
SOFT_DELETE_DAYS = 14
# Delete: 202 + Location, polled until 200; seconds on the real service.
DELETE_LRO = Lro("location", seconds=10, status=202, running_state=None)
_LENGTH_PROBLEM = ("minLength", "maxLength")


def _normal_location(location: str | None) -> str:
    return (location or "").replace(" ", "").lower()


def _is_force(ctx) -> bool:
    return str((ctx.query or {}).get("force", "")).lower() == "true"


def _iso(epoch: float) -> str:
    stamp = datetime.datetime.fromtimestamp(epoch, datetime.timezone.utc)
    return stamp.strftime("%Y-%m-%dT%H:%M:%S.") + f"{stamp.microsecond:06d}0Z"


def _recoverable(ctx, key: str) -> dict | None:
    record = ctx.store.kv_get(DELETED_TABLE, key)
    if record is None:
        return None
    if ctx.now - record["deletedAt"] > SOFT_DELETE_DAYS * 86400:
        ctx.store.kv_delete(DELETED_TABLE, key)   # retention over: the name is free again
        return None
    return record


def _reserved_by(ctx, name: str) -> tuple[str, dict] | None:
    """The soft-deleted workspace of this subscription holding `name`, if any."""
    prefix = f"/subscriptions/{ctx.subscription_id}/".lower()
    for key, _ in ctx.store.kv_list(DELETED_TABLE, prefix):
        if key.rsplit("/", 1)[-1] == (name or "").lower():
            record = _recoverable(ctx, key)
            if record is not None:
                return key, record
    return None


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

    def on_create(self, ctx, body):
        props = body.setdefault("properties", {})
        now = ctx.now_iso()
        key = ctx.resource_id.lower()
        reserved = _reserved_by(ctx, ctx.name)
        same_place = reserved is not None and reserved[0] == key and _normal_location(
            reserved[1]["body"].get("location")) == _normal_location(body.get("location"))
        if reserved is not None and not same_place:
            # Workspaces - Delete: "The name is kept for 14 days and cannot be used for another workspace."
            # Seen as 409 "The workspace name '...' is not unique" (MicrosoftDocs/azure-docs#41719); the
            # error code is not recorded there, ours is the generic Conflict.
            raise ArmError(409, "Conflict", f"The workspace name '{ctx.name}' is not unique")
        old_props = {}
        if same_place:
            # Recovery by re-create: same workspace (customerId, createdDate) comes back.
            old_props = reserved[1]["body"].get("properties") or {}
            ctx.store.kv_delete(DELETED_TABLE, key)
        props["customerId"] = old_props.get("customerId") or ctx.new_guid()
        props["createdDate"] = old_props.get("createdDate") or now
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

    def on_delete(self, ctx, current):
        """DELETE ...?force=true frees the name at once; otherwise (also when the resource group goes) the
        workspace stays recoverable for 14 days."""
        if _is_force(ctx):
            ctx.store.kv_delete(DELETED_TABLE, current["id"].lower())
        else:
            _soft_delete(ctx, current)

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


def _soft_delete(ctx, body: dict) -> None:
    ctx.store.kv_put(DELETED_TABLE, body["id"].lower(), {"deletedAt": ctx.now, "body": body})


def list_deleted_workspaces(ctx, groups):
    """GET /subscriptions/{s}/providers/Microsoft.OperationalInsights/deletedWorkspaces."""
    value = []
    prefix = f"/subscriptions/{ctx.subscription_id}/".lower()
    for key, record in ctx.store.kv_list(DELETED_TABLE):
        if key.startswith(prefix) and _recoverable(ctx, key) is not None:
            value.append(record["body"])
    return 200, {"value": value}, {}


PROVIDER = Provider(
    namespace="Microsoft.OperationalInsights",
    kinds=[WorkspaceKind()],
    routes=[
        Route("GET", r"deletedWorkspaces", list_deleted_workspaces, WorkspaceKind.api_versions,
              type_name=WORKSPACE_TYPE),
    ],
)
