"""Microsoft.Cache (Azure Managed Redis) provider: hook unit tests with a fake ctx, then the real SDK client
against the running endpoint (shared fakes and the resource_group fixture: ../conftest.py)."""
from __future__ import annotations

import uuid

import pytest

from localazure.engine.contract import ArmError
from localazure.services.cache import redis as cache
from tests.localazure.services.conftest import GUID, SUB
from tests.localazure.services.conftest import fake_ctx_on as FakeCtx

CLUSTER_ID = f"/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.Cache/redisEnterprise/RedisCache-1"
DB_ID = CLUSTER_ID + "/databases/default"


def test_cluster_create_fills_hostname_and_states():
    body = {"location": "Sweden Central", "sku": {"name": "Balanced_B0"},
            "properties": {"publicNetworkAccess": "Enabled"}, "identity": {"type": "SystemAssigned"}}
    kind = cache.ClusterKind()
    ctx = FakeCtx(CLUSTER_ID, body)
    kind.on_create(ctx, body)
    props = body["properties"]
    assert props["hostName"] == "rediscache-1.swedencentral.redis.azure.net"
    assert (props["provisioningState"], props["resourceState"]) == ("Creating", "Creating")
    assert body["kind"] == "v2" and GUID.match(body["identity"]["principalId"])
    kind.on_provisioned(ctx, body)
    assert (props["provisioningState"], props["resourceState"]) == ("Succeeded", "Running")


def test_cluster_create_is_a_realistic_lro():
    kind = cache.ClusterKind()
    assert kind.create_lro.style == "azure-async" and kind.create_lro.seconds >= 600
    assert kind.delete_lro.style == "both" and kind.delete_lro.status == 202


def test_database_defaults_modules_and_keys():
    body = {"properties": {"clusteringPolicy": "EnterpriseCluster", "evictionPolicy": "NoEviction",
                           "modules": [{"name": "RediSearch"}], "port": 10000}}
    kind = cache.DatabaseKind()
    ctx = FakeCtx(DB_ID, body)
    kind.on_create(ctx, body)
    props = body["properties"]
    assert props["clientProtocol"] == "Encrypted" and props["port"] == 10000
    assert props["modules"][0]["version"]
    status, keys, _ = kind.list_keys(ctx, body)
    assert status == 200 and keys["primaryKey"] != keys["secondaryKey"] and len(keys["primaryKey"]) == 44
    assert "primaryKey" not in str(body)   # keys live only behind listKeys

    ctx.body = {"keyType": "Secondary"}
    _, regenerated, _ = kind.regenerate_key(ctx, body)
    assert regenerated["primaryKey"] == keys["primaryKey"] and regenerated["secondaryKey"] != keys["secondaryKey"]


def test_database_modules_fixed_after_create():
    kind = cache.DatabaseKind()
    current = {"properties": {"clusteringPolicy": "EnterpriseCluster", "modules": [{"name": "RediSearch"}]}}
    wanted = {"properties": {"clusteringPolicy": "EnterpriseCluster",
                             "modules": [{"name": "RediSearch"}, {"name": "RedisJSON"}]}}
    with pytest.raises(ArmError):
        kind.validate(FakeCtx(DB_ID), wanted, current)
    with pytest.raises(ArmError):
        kind.validate(FakeCtx(DB_ID), {"properties": {"clusteringPolicy": "OSSCluster"}}, current)
    kind.validate(FakeCtx(DB_ID), {"properties": {"evictionPolicy": "AllKeysLRU"}}, current)


def _lro_trace(lines, name):
    """(method, status, kind) of the requests on one resource plus the monitor polls, in order."""
    return [(line["method"], line["status"], line["kind"] if "/operation" not in line["path"]
             else line["path"].split("/")[-2]) for line in lines
            if name in line["path"] or "/operation" in line["path"]]


def test_sdk_redis_enterprise_lifecycle(credential, endpoint, sdk_kwargs, resource_group, requests_log):
    from azure.core.exceptions import ResourceNotFoundError
    from azure.mgmt.redisenterprise import RedisEnterpriseManagementClient
    client = RedisEnterpriseManagementClient(credential, endpoint["subscription_id"], **sdk_kwargs)
    name = f"redis-{uuid.uuid4().hex[:6]}"
    poller = client.redis_enterprise.begin_create(
        resource_group, name, {"location": "eastus", "sku": {"name": "Balanced_B0"},
                               "properties": {"publicNetworkAccess": "Enabled", "minimumTlsVersion": "1.2"}})
    assert not poller.done()
    cluster = poller.result()
    assert cluster.provisioning_state == "Succeeded" and cluster.resource_state == "Running"
    trace = _lro_trace(requests_log(), name)
    # 201 + Azure-AsyncOperation, status polls, then a GET of the original URI (final-state-via original-uri).
    assert trace[0][:2] == ("PUT", 201) and ("GET", 200, "operationStatuses") in trace
    assert trace[-1][:2] == ("GET", 200) and trace[-1][2] != "operationStatuses"
    requests_log.mark()
    assert cluster.host_name == f"{name}.eastus.redis.azure.net"

    database = client.databases.begin_create(
        resource_group, name, "default",
        {"properties": {"clientProtocol": "Encrypted", "port": 10000, "clusteringPolicy": "EnterpriseCluster",
                        "evictionPolicy": "NoEviction", "modules": [{"name": "RediSearch"}]}}).result()
    assert database.provisioning_state == "Succeeded" and database.modules[0].name == "RediSearch"
    assert [d.name for d in client.databases.list_by_cluster(resource_group, name)] == ["default"]

    keys = client.databases.list_keys(resource_group, name, "default")
    assert keys.primary_key and keys.secondary_key and keys.primary_key != keys.secondary_key

    updated = client.databases.begin_update(resource_group, name, "default",
                                            {"properties": {"evictionPolicy": "AllKeysLRU"}}).result()
    assert updated.eviction_policy == "AllKeysLRU" and updated.port == 10000

    client.databases.begin_delete(resource_group, name, "default").result()
    with pytest.raises(ResourceNotFoundError):
        client.databases.get(resource_group, name, "default")
    requests_log.mark()
    client.redis_enterprise.begin_delete(resource_group, name).result()
    trace = _lro_trace(requests_log(), name)
    assert trace[0][:2] == ("DELETE", 202) and trace[-1] == ("GET", 200, "operationStatuses")
    assert [c.name for c in client.redis_enterprise.list_by_resource_group(resource_group)] == []
