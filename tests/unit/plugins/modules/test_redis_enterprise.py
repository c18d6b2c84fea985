"""redis_enterprise: validation (fixed database settings), bodies, module comparison."""
from ansible_collections.aigateway.foundry.plugins.module_utils.azure_state import differences
from ansible_collections.aigateway.foundry.plugins.modules import redis_enterprise as m


def params(**overrides):
    base = dict((key, spec.get("default")) for key, spec in m.ARGUMENT_SPEC.items())
    base.update(resource_group="rg", name="rediscache-x")
    base.update(overrides)
    return base


def test_validate():
    assert m.validate(params(), None) is None
    assert "single hyphens" in m.validate(params(name="a--b"), None)
    assert "Redis database name 'a--b'" in m.validate(params(database="a--b"), None)
    assert "EnterpriseCluster" in m.validate(params(clustering_policy="OSSCluster"), None)
    assert "1-65535" in m.validate(params(port=0), None)


def test_fixed_settings_cannot_change():
    current = {"properties": {"clusteringPolicy": "EnterpriseCluster", "port": 10000,
                              "modules": [{"name": "RediSearch", "version": "2.8", "args": ""}]}}
    assert m.validate(params(modules=["redisearch"]), current) is None
    problem = m.validate(params(port=10001, modules=[], clustering_policy="OSSCluster"), current)
    assert "port (10000)" in problem and "modules (RediSearch)" in problem and "clustering_policy" in problem


def test_bodies():
    cluster = m.cluster_body(params(tags={"n": 1}, high_availability="Disabled"), "swedencentral")
    assert cluster == {"location": "swedencentral", "sku": {"name": "Balanced_B0"}, "tags": {"n": "1"},
                       "properties": {"minimumTlsVersion": "1.2", "publicNetworkAccess": "Enabled",
                                      "highAvailability": "Disabled"}}
    assert m.database_body(params())["properties"] == {
        "clientProtocol": "Encrypted", "clusteringPolicy": "EnterpriseCluster", "evictionPolicy": "NoEviction",
        "port": 10000, "modules": [{"name": "RediSearch"}], "accessKeysAuthentication": "Enabled"}


def test_modules_compare_by_name():
    desired = {"properties": {"modules": [{"name": "RediSearch"}, {"name": "RedisJSON"}]}}
    current = {"properties": {"modules": [{"name": "redisjson", "version": "2"}, {"name": "RediSearch"}]}}
    assert differences(desired, current, normalisers=m.NORMALISERS) == []
