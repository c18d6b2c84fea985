"""Microsoft.Insights: Application Insights components and diagnostic settings.

Shapes: localazure/specs/bicep-types/microsoft.insights/{2020-02-02,2021-05-01-preview}/types.md.
azure-mgmt-applicationinsights 4.1.0 (components 2020-02-02): create_or_update is a sync PUT that
accepts only 200; update_tags is a PATCH answering 200; delete 200/204.
diagnosticSettings (2021-05-01-preview) is an extension resource on any resource id, sync PUT.
"""
from __future__ import annotations

import re

from localazure.engine.contract import ArmError, Provider, ResourceKind

WORKSPACE_TYPE = "Microsoft.OperationalInsights/workspaces"
_ARM_ID = re.compile(r"^/subscriptions/[^/]+/resourceGroups/(?P<rg>[^/]+)/providers/(?P<rest>.+)$", re.IGNORECASE)


def _normal_location(location: str | None) -> str:
    return (location or "").replace(" ", "").lower()


def _resource_not_found(resource_id: str) -> ArmError:
    """ARM's own 404 for a referenced resource that does not exist."""
    match = _ARM_ID.match(resource_id)
    if match is None:
        return ArmError(404, "ResourceNotFound", f"The Resource '{resource_id}' was not found.")
    return ArmError(404, "ResourceNotFound",
                    f"The Resource '{match['rest']}' under resource group '{match['rg']}' was not found. "
                    "For more details please go to https://aka.ms/ARMResourceNotFoundFix")


def _require_workspace(ctx, workspace_id: str, path: str) -> None:
    if not workspace_id.lower().startswith(("/subscriptions/", "/providers/")):
        # ARM's message for a malformed linked id (Azure/azure-powershell#4465).
        raise ArmError(400, "LinkedInvalidPropertyId",
                       f"Property id '{workspace_id}' at path '{path}' is invalid. Expect fully qualified "
                       "resource Id that start with '/subscriptions/{subscriptionId}' or "
                       "'/providers/{resourceProviderNamespace}/'.")
    found = ctx.store.get(workspace_id)
    if found is None or (found.get("type") or WORKSPACE_TYPE).lower() != WORKSPACE_TYPE.lower():
        raise _resource_not_found(workspace_id)


class ComponentKind(ResourceKind):
    type_name = "Microsoft.Insights/components"
    api_versions = ("2020-02-02",)
    etag = "quoted"
    create_status = 200    # the SDK's create_or_update raises on anything but 200
    system_data = False    # the 2020-02-02 component definition carries no systemData

    def validate(self, ctx, body, current):
        props = body.get("properties") or {}
        # Not in the 2020-02-02 definitions, yet the service honours it and the lab's module sends it
        # ('Off' default, 'WithDimensions' for token metrics).  The error wording is ours.
        opted_in = props.get("CustomMetricsOptedInType")
        if opted_in is not None and opted_in not in ("Off", "WithDimensions"):
            raise ArmError(400, "BadRequest",
                           f"Invalid value '{opted_in}' for CustomMetricsOptedInType: expected Off or WithDimensions.")
        workspace_id = props.get("WorkspaceResourceId")
        if workspace_id:
            _require_workspace(ctx, workspace_id, "properties.WorkspaceResourceId")

    def on_create(self, ctx, body):
        props = body.setdefault("properties", {})
        app_id = ctx.new_guid()
        ikey = ctx.new_guid()
        location = _normal_location(body.get("location"))
        props.update({
            "AppId": app_id,
            "ApplicationId": ctx.name,
            "Name": ctx.name,
            "InstrumentationKey": ikey,
            # Format of the connection string Azure issues for a workspace-based component.
            "ConnectionString": (
                f"InstrumentationKey={ikey};"
                f"IngestionEndpoint=https://{location}-0.in.applicationinsights.azure.com/;"
                f"LiveEndpoint=https://{location}.livediagnostics.monitor.azure.com/;"
                f"ApplicationId={app_id}"),
            # Offset form as in the spec's ComponentsCreate example ("2017-01-24T01:05:38.5934061+00:00").
            "CreationDate": ctx.now_iso().replace("Z", "+00:00"),
            # Application Insights reports the owning subscription id here (the spec example is sanitized).
            "TenantId": ctx.subscription_id,
            "HockeyAppToken": "",
            "provisioningState": "Succeeded",
        })
        self._fill_defaults(props)
        return None

    def on_update(self, ctx, current, body):
        props = body.setdefault("properties", {})
        old = current.get("properties") or {}
        for key in ("AppId", "ApplicationId", "Name", "InstrumentationKey", "ConnectionString",
                    "CreationDate", "TenantId", "HockeyAppToken", "provisioningState"):
            props[key] = old.get(key)
        self._fill_defaults(props)

    @staticmethod
    def _fill_defaults(props):
        # Values the ComponentsCreate example response (2020-02-02) carries for omitted settings.
        props.setdefault("HockeyAppId", "")
        props.setdefault("DisableIpMasking", False)
        props.setdefault("Flow_Type", "Bluefield")
        props.setdefault("Request_Source", "rest")
        props.setdefault("RetentionInDays", 90)
        props.setdefault("publicNetworkAccessForIngestion", "Enabled")
        props.setdefault("publicNetworkAccessForQuery", "Enabled")
        props["IngestionMode"] = "LogAnalytics" if props.get("WorkspaceResourceId") else "ApplicationInsights"


class DiagnosticSettingKind(ResourceKind):
    type_name = "Microsoft.Insights/diagnosticSettings"
    api_versions = ("2021-05-01-preview",)
    scope = "extension"
    has_location = False

    # The engine answers 404 when the scope resource does not exist.
    def validate(self, ctx, body, current):
        props = body.get("properties") or {}
        if props.get("workspaceId"):
            _require_workspace(ctx, props["workspaceId"], "properties.workspaceId")


PROVIDER = Provider(namespace="Microsoft.Insights", kinds=[ComponentKind(), DiagnosticSettingKind()])
