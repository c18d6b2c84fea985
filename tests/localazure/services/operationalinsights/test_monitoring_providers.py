"""Microsoft.OperationalInsights and Microsoft.Insights providers: hook unit tests with a fake ctx, then
the real SDK clients (and a generic ARM pipeline for diagnosticSettings) against the running endpoint."""
from __future__ import annotations

import json
import re
import time
import uuid

import pytest

from localazure.engine.contract import ArmError
from localazure.services.insights import components as insights
from localazure.services.operationalinsights import workspaces as oi

GUID = re.compile(r"^[0-9a-f]{8}-([0-9a-f]{4}-){3}[0-9a-f]{12}$")
SUB = "00000000-0000-0000-0000-00000000abcd"
RG_ID = f"/subscriptions/{SUB}/resourceGroups/rg"
WS_ID = f"{RG_ID}/providers/Microsoft.OperationalInsights/workspaces/workspace-1"


class FakeStore:
    def __init__(self):
        self.resources: dict[str, dict] = {}
        self.kv: dict[tuple[str, str], dict] = {}

    def get(self, resource_id):
        return self.resources.get(resource_id.lower())

    def put(self, resource_id, type_name, body):
        self.resources[resource_id.lower()] = body

    def delete_tree(self, resource_id):
        self.resources.pop(resource_id.lower(), None)

    def kv_get(self, table, key):
        return self.kv.get((table, key))

    def kv_put(self, table, key, value):
        self.kv[(table, key)] = value

    def kv_delete(self, table, key):
        self.kv.pop((table, key), None)

    def kv_list(self, table, prefix=""):
        return [(k, v) for (t, k), v in self.kv.items() if t == table and k.startswith(prefix)]


class FakeCtx:
    def __init__(self, store, resource_id, body=None, query=None):
        self.store = store
        self.subscription_id = SUB
        self.tenant_id = "11111111-1111-1111-1111-111111111111"
        self.client_id = "22222222-2222-2222-2222-222222222222"
        self.resource_id = resource_id
        self.name = resource_id.rsplit("/", 1)[-1]
        self.body = body
        self.query = query or {}
        self.now = time.time()
        self.location = None
        self.operations = []

    def now_iso(self):
        return "2026-01-01T00:00:00.0000000Z"

    def new_guid(self):
        return str(uuid.uuid4())

    def start_operation(self, kind, resource_id, lro, result=None):
        self.operations.append((kind, resource_id, lro))
        return {"Location": "https://127.0.0.1/op"}


def _create_workspace(store, location="eastus"):
    body = {"id": WS_ID, "name": "workspace-1", "type": oi.WORKSPACE_TYPE, "location": location,
            "properties": {"sku": {"name": "PerGB2018"}, "retentionInDays": 30}}
    oi.WorkspaceKind().on_create(FakeCtx(store, WS_ID, body), body)
    store.put(WS_ID, oi.WORKSPACE_TYPE, body)
    return body


def _delete(store, force=False):
    """What the engine does when the delete completes: on_delete with the DELETE's query, then removal."""
    ctx = FakeCtx(store, WS_ID, query={"force": "true"} if force else {})
    oi.WorkspaceKind().on_delete(ctx, store.get(WS_ID))
    store.delete_tree(WS_ID)


def test_workspace_create_fills_readonly_fields():
    body = _create_workspace(FakeStore())
    props = body["properties"]
    assert GUID.match(props["customerId"])
    assert props["provisioningState"] == "Creating" and props["createdDate"] and props["modifiedDate"]
    assert props["workspaceCapping"]["dailyQuotaGb"] == -1
    assert oi.WorkspaceKind.create_lro.style == "body" and oi.WorkspaceKind.create_lro.status == 201


def test_soft_deleted_workspace_recovers_on_recreate():
    store = FakeStore()
    first = _create_workspace(store)
    _delete(store)
    listed = oi.list_deleted_workspaces(FakeCtx(store, ""), {})[1]["value"]
    assert [w["name"] for w in listed] == ["workspace-1"]
    again = _create_workspace(store)
    assert again["properties"]["customerId"] == first["properties"]["customerId"]
    assert oi.list_deleted_workspaces(FakeCtx(store, ""), {})[1]["value"] == []


def test_force_delete_frees_the_name():
    store = FakeStore()
    first = _create_workspace(store)
    _delete(store, force=True)
    assert oi.list_deleted_workspaces(FakeCtx(store, ""), {})[1]["value"] == []
    assert _create_workspace(store)["properties"]["customerId"] != first["properties"]["customerId"]


def test_soft_deleted_name_is_reserved_elsewhere_until_retention_ends():
    store = FakeStore()
    first = _create_workspace(store)
    _delete(store)
    with pytest.raises(ArmError) as err:
        _create_workspace(store, "westus")
    assert err.value.status == 409 and "not unique" in err.value.message
    other_rg = WS_ID.replace("/resourceGroups/rg/", "/resourceGroups/rg2/")
    with pytest.raises(ArmError):
        oi.WorkspaceKind().on_create(FakeCtx(store, other_rg, {}), {"location": "eastus"})
    store.kv[(oi.DELETED_TABLE, WS_ID.lower())]["deletedAt"] -= 15 * 86400
    assert oi.list_deleted_workspaces(FakeCtx(store, ""), {})[1]["value"] == []
    assert _create_workspace(store, "westus")["properties"]["customerId"] != first["properties"]["customerId"]


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


# --- real SDK against the running endpoint ------------------------------------------------------
@pytest.fixture
def resource_group(credential, endpoint, sdk_kwargs):
    from azure.mgmt.resource.resources import ResourceManagementClient
    rc = ResourceManagementClient(credential, endpoint["subscription_id"], **sdk_kwargs)
    name = f"rg-mon-{uuid.uuid4().hex[:8]}"
    rc.resource_groups.create_or_update(name, {"location": "eastus"})
    yield name
    rc.resource_groups.begin_delete(name).result()


@pytest.fixture
def law_client(credential, endpoint, sdk_kwargs):
    from azure.mgmt.loganalytics import LogAnalyticsManagementClient
    return LogAnalyticsManagementClient(credential, endpoint["subscription_id"], **sdk_kwargs)


def _new_workspace(law_client, resource_group, name):
    poller = law_client.workspaces.begin_create_or_update(
        resource_group, name, {"location": "eastus", "identity": {"type": "SystemAssigned"},
                               "properties": {"sku": {"name": "PerGB2018"}, "retentionInDays": 30}})
    return poller.result()   # the LRO shape itself is checked through the request log


def test_sdk_workspace_lifecycle_soft_delete_and_force(law_client, resource_group, requests_log):
    from azure.core.exceptions import ResourceExistsError, ResourceNotFoundError
    requests_log.mark()
    workspace = _new_workspace(law_client, resource_group, "workspace-a1")
    calls = [(line["method"], line["status"]) for line in requests_log() if "workspace-a1" in line["path"]]
    # 201 with provisioningState Creating, then the SDK re-reads the resource until Succeeded.
    assert calls[0] == ("PUT", 201) and len(calls) >= 2 and set(calls[1:]) == {("GET", 200)}
    assert workspace.provisioning_state == "Succeeded" and GUID.match(workspace.customer_id)
    assert GUID.match(workspace.identity.principal_id)

    patched = law_client.workspaces.update(resource_group, "workspace-a1", {"properties": {"retentionInDays": 60}})
    assert patched.retention_in_days == 60 and patched.customer_id == workspace.customer_id
    assert [w.name for w in law_client.workspaces.list_by_resource_group(resource_group)] == ["workspace-a1"]

    requests_log.mark()
    law_client.workspaces.begin_delete(resource_group, "workspace-a1").result()
    lines = requests_log()
    assert (lines[0]["method"], lines[0]["status"]) == ("DELETE", 202)
    assert any("/operationResults/" in line["path"] and line["status"] == 200 for line in lines)
    with pytest.raises(ResourceNotFoundError):
        law_client.workspaces.get(resource_group, "workspace-a1")
    assert "workspace-a1" in [w.name for w in law_client.deleted_workspaces.list()]

    with pytest.raises(ResourceExistsError):   # the name stays reserved for the soft-deleted workspace
        law_client.workspaces.begin_create_or_update(resource_group, "workspace-a1", {"location": "westus"})
    recovered = _new_workspace(law_client, resource_group, "workspace-a1")
    assert recovered.customer_id == workspace.customer_id
    assert "workspace-a1" not in [w.name for w in law_client.deleted_workspaces.list()]

    law_client.workspaces.begin_delete(resource_group, "workspace-a1", force=True).result()
    assert "workspace-a1" not in [w.name for w in law_client.deleted_workspaces.list()]
    fresh = _new_workspace(law_client, resource_group, "workspace-a1")
    assert fresh.customer_id != workspace.customer_id


def test_sdk_workspace_name_follows_the_definitions(law_client, resource_group):
    from azure.core.exceptions import HttpResponseError
    for name, words in (("wsx", "between 4 and 63"), ("-wsx-", "start and end with an alphanumeric")):
        with pytest.raises(HttpResponseError) as refused:
            law_client.workspaces.begin_create_or_update(resource_group, name, {"location": "eastus"})
        assert refused.value.status_code == 400 and refused.value.error.code == "InvalidParameter"
        assert words in refused.value.error.message


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
