"""Microsoft.Insights provider (Application Insights components, diagnostic settings): hook unit tests with a
fake ctx, then the real SDK clients (and a generic ARM pipeline for diagnosticSettings) against the running endpoint
(shared fakes, the workspace helpers and the fixtures: ../conftest.py)."""
from __future__ import annotations

import json
import uuid

import pytest

from localazure.engine.contract import ArmError
from localazure.services.insights import components as insights
from tests.localazure.services.conftest import (GUID, RG_ID, WS_ID, FakeCtx, FakeStore, _create_workspace,
                                                 _new_workspace)


def test_component_connection_string_and_workspace_check():
    store = FakeStore()
    _create_workspace(store)
    comp_id = f"{RG_ID}/providers/Microsoft.Insights/components/insights-1"
    body = {"location": "West Europe", "kind": "web",
            "properties": {"Application_Type": "web", "WorkspaceResourceId": WS_ID.upper().replace(
                "SUBSCRIPTIONS", "subscriptions")}}
    kind = insights.ComponentKind()
    ctx = FakeCtx(store, comp_id, body)
    kind.validate(ctx, body, None)
    kind.on_create(ctx, body)
    props = body["properties"]
    assert props["ConnectionString"] == (
        f"InstrumentationKey={props['InstrumentationKey']};"
        "IngestionEndpoint=https://westeurope-0.in.applicationinsights.azure.com/;"
        "LiveEndpoint=https://westeurope.livediagnostics.monitor.azure.com/;"
        f"ApplicationId={props['AppId']}")
    assert props["ApplicationId"] == "insights-1" and props["IngestionMode"] == "LogAnalytics"
    assert insights.ComponentKind.create_status == 200

    missing = {"properties": {"WorkspaceResourceId": WS_ID + "x"}}
    with pytest.raises(ArmError) as err:
        kind.validate(ctx, missing, None)
    assert (err.value.status, err.value.code) == (404, "ResourceNotFound")
    with pytest.raises(ArmError) as err:
        kind.validate(ctx, {"properties": {"WorkspaceResourceId": str(uuid.uuid4())}}, None)
    assert (err.value.status, err.value.code) == (400, "LinkedInvalidPropertyId")


def test_component_update_keeps_keys():
    store = FakeStore()
    kind = insights.ComponentKind()
    body = {"location": "eastus", "kind": "web", "properties": {"Application_Type": "web"}}
    ctx = FakeCtx(store, f"{RG_ID}/providers/Microsoft.Insights/components/c", body)
    kind.on_create(ctx, body)
    new = {"location": "eastus", "kind": "web", "tags": {"a": "b"}, "properties": {"Application_Type": "web"}}
    kind.on_update(ctx, body, new)
    assert new["properties"]["InstrumentationKey"] == body["properties"]["InstrumentationKey"]
    assert new["properties"]["ConnectionString"] == body["properties"]["ConnectionString"]


def test_diagnostic_setting_needs_existing_workspace():
    store = FakeStore()
    setting = {"properties": {"workspaceId": WS_ID, "logs": [{"categoryGroup": "allLogs", "enabled": True}]}}
    ctx = FakeCtx(store, RG_ID + "/providers/Microsoft.ApiManagement/service/apim/providers/"
                  "Microsoft.Insights/diagnosticSettings/apimDiagnosticSettings", setting)
    with pytest.raises(ArmError) as err:
        insights.DiagnosticSettingKind().validate(ctx, setting, None)
    assert err.value.status == 404
    _create_workspace(store)
    insights.DiagnosticSettingKind().validate(ctx, setting, None)


def test_sdk_application_insights_component(credential, endpoint, sdk_kwargs, law_client, resource_group):
    from azure.core.exceptions import ResourceNotFoundError
    from azure.mgmt.applicationinsights import ApplicationInsightsManagementClient
    client = ApplicationInsightsManagementClient(credential, endpoint["subscription_id"], **sdk_kwargs)
    workspace = _new_workspace(law_client, resource_group, "workspace-b1")

    with pytest.raises(ResourceNotFoundError):
        client.components.create_or_update(resource_group, "insights-1", {
            "location": "eastus", "kind": "web",
            "application_type": "web", "workspace_resource_id": workspace.id + "-missing"})

    component = client.components.create_or_update(resource_group, "insights-1", {
        "location": "eastus", "kind": "web", "application_type": "web", "workspace_resource_id": workspace.id})
    assert GUID.match(component.instrumentation_key) and GUID.match(component.app_id)
    assert component.connection_string.startswith(f"InstrumentationKey={component.instrumentation_key};")
    assert "IngestionEndpoint=https://eastus-0.in.applicationinsights.azure.com/" in component.connection_string
    assert component.provisioning_state == "Succeeded"

    tagged = client.components.update_tags(resource_group, "insights-1", {"tags": {"env": "test"}})
    assert tagged.tags == {"env": "test"} and tagged.instrumentation_key == component.instrumentation_key
    assert [c.name for c in client.components.list_by_resource_group(resource_group)] == ["insights-1"]
    client.components.delete(resource_group, "insights-1")
    with pytest.raises(ResourceNotFoundError):
        client.components.get(resource_group, "insights-1")


def test_sdk_diagnostic_settings_via_generic_arm_client(credential, endpoint, sdk_kwargs, law_client,
                                                        resource_group):
    from azure.core.rest import HttpRequest
    from azure.mgmt.core import ARMPipelineClient
    from azure.mgmt.core.policies import ARMChallengeAuthenticationPolicy
    from azure.core.pipeline.policies import RetryPolicy
    from azure.mgmt.msi import ManagedServiceIdentityClient

    workspace = _new_workspace(law_client, resource_group, "workspace-c1")
    # Any resource works as the scope; a user-assigned identity is the cheapest to create.
    identity = ManagedServiceIdentityClient(credential, endpoint["subscription_id"], **sdk_kwargs) \
        .user_assigned_identities.create_or_update(resource_group, "scope-id", {"location": "eastus"})

    policy = ARMChallengeAuthenticationPolicy(credential, "https://management.azure.com/.default")
    arm = ARMPipelineClient(base_url=endpoint["arm_endpoint"], config=None, per_call_policies=[],
                            policies=[policy, RetryPolicy(retry_total=0)], connection_verify=endpoint["ca_bundle"])
    version = "?api-version=2021-05-01-preview"
    setting_id = f"{identity.id}/providers/Microsoft.Insights/diagnosticSettings/apimDiagnosticSettings"
    body = {"properties": {"workspaceId": workspace.id, "logAnalyticsDestinationType": "Dedicated",
                           "logs": [{"categoryGroup": "AllLogs", "enabled": True}],
                           "metrics": [{"category": "AllMetrics", "enabled": True}]}}

    def call(method, url, payload=None):
        request = HttpRequest(method, endpoint["arm_endpoint"] + url, json=payload)
        return arm.send_request(request, connection_verify=endpoint["ca_bundle"])

    created = call("PUT", setting_id + version, body)
    assert created.status_code in (200, 201), created.text()
    assert created.json()["properties"]["workspaceId"] == workspace.id
    assert created.json()["type"] == "Microsoft.Insights/diagnosticSettings"

    listed = call("GET", f"{identity.id}/providers/Microsoft.Insights/diagnosticSettings{version}")
    assert [s["name"] for s in listed.json()["value"]] == ["apimDiagnosticSettings"]

    missing_ws = json.loads(json.dumps(body))
    missing_ws["properties"]["workspaceId"] = workspace.id + "-gone"
    assert call("PUT", setting_id + version, missing_ws).status_code == 404
    ghost_scope = identity.id + "-ghost/providers/Microsoft.Insights/diagnosticSettings/x"
    assert call("PUT", ghost_scope + version, body).status_code == 404

    assert call("DELETE", setting_id + version).status_code in (200, 204)
    assert call("GET", setting_id + version).status_code == 404


def test_sdk_component_custom_metrics_opt_in_via_raw_arm(arm, endpoint, law_client, resource_group):
    """The lab sends CustomMetricsOptedInType, which the SDK models (2020-02-02) cannot carry."""
    workspace = _new_workspace(law_client, resource_group, "workspace-d1")
    path = (f"/subscriptions/{endpoint['subscription_id']}/resourceGroups/{resource_group}"
            "/providers/Microsoft.Insights/components/insights-d1?api-version=2020-02-02")
    body = {"location": "eastus", "kind": "web",
            "properties": {"Application_Type": "web", "WorkspaceResourceId": workspace.id,
                           "CustomMetricsOptedInType": "WithDimensions"}}
    created = arm("PUT", path, json=body)
    assert created.status_code == 200, created.text
    assert arm("GET", path).json()["properties"]["CustomMetricsOptedInType"] == "WithDimensions"
    body["properties"]["CustomMetricsOptedInType"] = "Always"
    assert arm("PUT", path, json=body).status_code == 400
