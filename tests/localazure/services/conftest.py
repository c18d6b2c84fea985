"""What the service tests of more than one namespace share: a fake hook context (ctx) with its in-memory store for
unit tests of a kind's hooks, a fresh resource group per test on the running endpoint, and the Log Analytics
workspace that both operationalinsights and insights (components, diagnostic settings) need.

  FakeCtx(store, resource_id, body=None, query=None)  the ctx the engine hands a kind's hooks
  fake_ctx_on(resource_id, body=None, store=None)     the same, resource first, on a new store unless given
  resource_group                                      fixture: a resource group named after the test's namespace
  law_client                                          fixture: LogAnalyticsManagementClient on the endpoint
"""
from __future__ import annotations

import re
import time
import uuid

import pytest

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

    def list_type(self, type_name, prefix):
        return [b for k, b in self.resources.items()
                if b.get("type", "").lower() == type_name.lower() and k.startswith(prefix.lower())]

    def tree(self, resource_id):
        key = resource_id.lower()
        return [(b.get("type"), b) for k, b in self.resources.items() if k == key or k.startswith(key + "/")]

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


def fake_ctx_on(resource_id, body=None, store=None) -> FakeCtx:
    return FakeCtx(store or FakeStore(), resource_id, body)


def _create_workspace(store, location="eastus"):
    body = {"id": WS_ID, "name": "workspace-1", "type": oi.WORKSPACE_TYPE, "location": location,
            "properties": {"sku": {"name": "PerGB2018"}, "retentionInDays": 30}}
    oi.WorkspaceKind().on_create(FakeCtx(store, WS_ID, body), body)
    store.put(WS_ID, oi.WORKSPACE_TYPE, body)
    return body


# --- real SDK against the running endpoint ------------------------------------------------------
@pytest.fixture
def resource_group(request, credential, endpoint, sdk_kwargs):
    from azure.mgmt.resource.resources import ResourceManagementClient
    rc = ResourceManagementClient(credential, endpoint["subscription_id"], **sdk_kwargs)
    namespace = request.module.__name__.split(".")[-2]
    name = f"rg-{namespace}-{uuid.uuid4().hex[:8]}"
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
