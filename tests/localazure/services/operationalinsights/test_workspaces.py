"""Microsoft.OperationalInsights workspaces (soft delete, recover, force delete, names): hook unit tests with a
fake ctx, then the real SDK client against the running endpoint (shared fakes, the workspace helpers and the
fixtures: ../conftest.py)."""
from __future__ import annotations

import pytest

from localazure.engine.contract import ArmError
from localazure.services.operationalinsights import workspaces as oi
from tests.localazure.services.conftest import GUID, WS_ID, FakeCtx, FakeStore, _create_workspace, _new_workspace


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
