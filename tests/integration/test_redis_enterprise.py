"""redis_enterprise against the local endpoint: cluster and database lifecycle (long-running), host name and
port returned, the key only with return_keys, fixed database settings refused before any write."""
import json
import uuid


def test_cluster_lifecycle(run_module, resource_group, request_log):
    name = "rediscache-%s" % uuid.uuid4().hex[:6]
    args = {"resource_group": resource_group, "name": name, "sku": "Balanced_B0"}

    mark = request_log.mark()
    predicted = run_module("redis_enterprise", args, check=True, diff=True)
    assert predicted["changed"] is True and predicted["port"] == 10000
    assert predicted["id"].endswith("/Microsoft.Cache/redisEnterprise/" + name)
    assert predicted["diff"]["after"]["database"]["properties"]["modules"] == [{"name": "RediSearch"}]
    assert "primary_key" not in predicted
    assert request_log.writes(mark) == []

    created = run_module("redis_enterprise", args)
    assert created["changed"] is True
    assert created["host_name"].startswith(name) and created["port"] == 10000
    assert created["database"]["properties"]["clusteringPolicy"] == "EnterpriseCluster"
    assert created["database"]["properties"]["evictionPolicy"] == "NoEviction"
    assert created["state"]["location"] == "swedencentral"
    assert "primary_key" not in created

    mark = request_log.mark()
    again = run_module("redis_enterprise", dict(args, modules=["redisearch"], return_keys=True, _ansible_no_log=True))
    assert again["changed"] is False and again["primary_key"]
    assert request_log.writes(mark) == [], "listKeys is a read"
    assert again["primary_key"] not in created["_stdout"]
    assert again["primary_key"] not in json.dumps(again["state"]) + json.dumps(again["database"])

    diff = run_module("redis_enterprise", dict(args, tags={"use": "semantic-cache"}), check=True, diff=True)
    assert diff["changed"] is True and diff["diff"]["after"]["tags"] == {"use": "semantic-cache"}
    assert request_log.writes(mark) == []

    tagged = run_module("redis_enterprise", dict(args, tags={"use": "semantic-cache"}))
    assert tagged["changed"] is True and tagged["state"]["tags"] == {"use": "semantic-cache"}
    assert [w["method"] for w in request_log.writes(mark)] == ["PATCH"], "only the cluster changes"

    mark = request_log.mark()
    evicting = run_module("redis_enterprise", dict(args, tags={"use": "semantic-cache"}, eviction_policy="AllKeysLRU"))
    assert evicting["changed"] is True and evicting["database"]["properties"]["evictionPolicy"] == "AllKeysLRU"
    writes = request_log.writes(mark)
    assert [w["method"] for w in writes] == ["PATCH"] and "/databases/default" in writes[0]["path"]

    mark = request_log.mark()
    fixed = run_module("redis_enterprise", dict(args, port=10001, clustering_policy="OSSCluster", modules=[]),
                       expect_failure=True)
    assert "cannot change after creation" in fixed["msg"] and "port" in fixed["msg"]
    assert request_log.writes(mark) == []

    gone = run_module("redis_enterprise", {"resource_group": resource_group, "name": name, "state": "absent"})
    assert gone["changed"] is True and gone["state"] is None
    mark = request_log.mark()
    assert not run_module("redis_enterprise", {"resource_group": resource_group, "name": name,
                                               "state": "absent"})["changed"]
    assert request_log.writes(mark) == []


def test_bad_input_fails_before_any_write(run_module, resource_group, request_log):
    mark = request_log.mark()
    bad_name = run_module("redis_enterprise", {"resource_group": resource_group, "name": "bad--name"},
                          expect_failure=True)
    assert "Redis cluster name 'bad--name' is invalid" in bad_name["msg"]
    search = run_module("redis_enterprise", {"resource_group": resource_group, "name": "r1",
                                             "clustering_policy": "OSSCluster"}, expect_failure=True)
    assert "RediSearch needs clustering_policy EnterpriseCluster" in search["msg"]
    unprotected = run_module("redis_enterprise", {"resource_group": resource_group, "name": "r1", "return_keys": True},
                             expect_failure=True)
    assert "set no_log: true on the task" in unprotected["msg"]
    assert request_log.writes(mark) == []
