"""Microsoft.Cache/redisEnterprise (Azure Managed Redis) clusters and databases.

Shapes: localazure/specs/bicep-types/microsoft.cache/2025-07-01/types.md.
azure-mgmt-redisenterprise 3.1.0 (2025-07-01):
  * begin_create (cluster, database): 200/201, ARMPolling final-state-via original-uri; the RP sends
    Azure-AsyncOperation.
  * begin_update / begin_delete / begin_regenerate_key: 200/202 (delete also 204), Location and
    Azure-AsyncOperation, final-state-via azure-async-operation.
  * databases.list_keys: POST .../listKeys -> 200 {primaryKey, secondaryKey}.
The semantic-caching lab deploys at 2025-05-01-preview, checked against 2025-07-01.
"""
from __future__ import annotations

import base64
import secrets

from localazure.engine.contract import ArmError, Lro, Provider, ResourceKind

API_VERSIONS = ("2025-07-01", "2025-05-01-preview")
SPEC_VERSIONS = {"2025-05-01-preview": "2025-07-01"}
KEYS_TABLE = "cache.databaseKeys"
REDIS_VERSION = "7.4"
# Azure Managed Redis runs Redis 7.4.  Module versions are those bundled with Redis Stack 7.4; the
# references carry no recorded response, so treat the exact patch numbers as illustrative.
MODULE_VERSIONS = {"RediSearch": "2.10.20", "RedisJSON": "2.8.8", "RedisBloom": "2.8.5",
                   "RedisTimeSeries": "1.12.5"}


def _normal_location(location: str | None) -> str:
    return (location or "").replace(" ", "").lower()


def _new_access_key() -> str:
    # Azure Managed Redis access keys are 44-character base64 strings (32 random bytes).
    return base64.b64encode(secrets.token_bytes(32)).decode()


class ClusterKind(ResourceKind):
    type_name = "Microsoft.Cache/redisEnterprise"
    api_versions = API_VERSIONS
    spec_versions = SPEC_VERSIONS
    system_data = False    # the cluster definition (unlike databases) carries no systemData
    # Create: ~12 min.  Microsoft's Redis team calls 20+ min typical for classic Azure Cache for Redis
    # (Azure/AzureCacheForRedis#6); Managed Redis is advertised as faster to stand up, ~10-15 min.
    create_lro = Lro("azure-async", seconds=720, status=201, running_state="Creating")
    update_lro = Lro("both", seconds=120, status=202, running_state="Updating")
    delete_lro = Lro("both", seconds=300, status=202, running_state="Deleting")

    def on_create(self, ctx, body):
        props = body.setdefault("properties", {})
        props["hostName"] = f"{ctx.name.lower()}.{_normal_location(body.get('location'))}.redis.azure.net"
        props["provisioningState"] = "Creating"
        props["resourceState"] = "Creating"
        props["redisVersion"] = REDIS_VERSION
        props["privateEndpointConnections"] = []
        props.setdefault("minimumTlsVersion", "1.2")
        props.setdefault("highAvailability", "Enabled")
        props["redundancyMode"] = "ZR" if body.get("zones") else (
            "None" if props["highAvailability"] == "Disabled" else "LR")
        # Balanced/MemoryOptimized/ComputeOptimized/FlashOptimized SKUs are the v2 (Managed Redis) kind.
        body["kind"] = "v1" if body.get("sku", {}).get("name", "").startswith("Enterprise") else "v2"
        props.setdefault("encryption", {})
        _fill_identity(ctx, body)
        return None

    def on_update(self, ctx, current, body):
        props = body.setdefault("properties", {})
        old = current.get("properties") or {}
        for key in ("hostName", "redisVersion", "privateEndpointConnections", "redundancyMode"):
            props[key] = old.get(key)
        props["resourceState"] = "Updating"
        body["kind"] = current.get("kind")
        _fill_identity(ctx, body, current.get("identity"))

    def on_provisioned(self, ctx, body):
        props = body.setdefault("properties", {})
        props["provisioningState"] = "Succeeded"
        props["resourceState"] = "Running"


def _fill_identity(ctx, body, old_identity=None):
    identity = body.get("identity")
    if not identity or "SystemAssigned" not in identity.get("type", ""):
        return
    old = old_identity or {}
    identity["principalId"] = old.get("principalId") or ctx.new_guid()
    identity["tenantId"] = old.get("tenantId") or ctx.tenant_id


class DatabaseKind(ResourceKind):
    type_name = "Microsoft.Cache/redisEnterprise/databases"
    api_versions = API_VERSIONS
    spec_versions = SPEC_VERSIONS
    has_location = False
    create_lro = Lro("azure-async", seconds=120, status=201, running_state="Creating")
    update_lro = Lro("both", seconds=60, status=202, running_state="Updating")
    delete_lro = Lro("both", seconds=60, status=202, running_state="Deleting")
    actions = {"listKeys": "list_keys", "regenerateKey": "regenerate_key"}

    def validate(self, ctx, body, current):
        if current is None:
            return
        props = body.get("properties") or {}
        old = current.get("properties") or {}
        # types.md: modules can only be added at creation time; clustering policy is fixed unless NoCluster.
        # The references give no error code/message for these; ours are plain BadRequest.
        if _module_names(props) != _module_names(old) and "modules" in props:
            raise ArmError(400, "BadRequest", "Modules can only be added at creation time.")
        new_policy = props.get("clusteringPolicy")
        if new_policy and old.get("clusteringPolicy") not in (None, "NoCluster", new_policy):
            raise ArmError(400, "BadRequest",
                           "Clustering policy can only be updated if the current value is NoCluster.")

    def on_create(self, ctx, body):
        props = body.setdefault("properties", {})
        # Defaults from types.md: Encrypted, OSSCluster, VolatileLRU; port 10000 is what the portal and
        # every sample use.
        props.setdefault("clientProtocol", "Encrypted")
        props.setdefault("clusteringPolicy", "OSSCluster")
        props.setdefault("evictionPolicy", "VolatileLRU")
        props.setdefault("port", 10000)
        # The semantic-caching lab builds its connection string from listKeys() without setting this,
        # so keys must be usable by default at the versions it deploys.
        props.setdefault("accessKeysAuthentication", "Enabled")
        props.setdefault("deferUpgrade", "NotDeferred")
        props.setdefault("persistence", {"aofEnabled": False, "rdbEnabled": False})
        props.setdefault("modules", [])
        for module in props["modules"]:
            module.setdefault("args", "")
            module["version"] = MODULE_VERSIONS.get(module.get("name"), "1.0.0")
        props["redisVersion"] = REDIS_VERSION
        props["provisioningState"] = "Creating"
        props["resourceState"] = "Creating"
        ctx.store.kv_put(KEYS_TABLE, ctx.resource_id.lower(),
                         {"primaryKey": _new_access_key(), "secondaryKey": _new_access_key()})
        return None

    def on_update(self, ctx, current, body):
        props = body.setdefault("properties", {})
        old = current.get("properties") or {}
        for key in ("redisVersion", "modules"):          # set by the service / fixed at creation
            props[key] = old.get(key)
        for key in ("port", "clusteringPolicy", "clientProtocol"):   # kept when a PUT leaves them out
            if key not in props and key in old:
                props[key] = old[key]
        props["resourceState"] = "Updating"

    def on_provisioned(self, ctx, body):
        props = body.setdefault("properties", {})
        props["provisioningState"] = "Succeeded"
        props["resourceState"] = "Running"

    def on_delete(self, ctx, current):
        ctx.store.kv_delete(KEYS_TABLE, ctx.resource_id.lower())

    def list_keys(self, ctx, current):
        return 200, _keys(ctx), {}

    def regenerate_key(self, ctx, current):
        key_type = ((ctx.body or {}).get("keyType") or "")
        if key_type not in ("Primary", "Secondary"):
            raise ArmError(400, "BadRequest", "keyType must be 'Primary' or 'Secondary'.")
        keys = _keys(ctx)
        keys[key_type.lower() + "Key"] = _new_access_key()
        ctx.store.kv_put(KEYS_TABLE, ctx.resource_id.lower(), keys)
        return 200, keys, {}


def _keys(ctx) -> dict:
    keys = ctx.store.kv_get(KEYS_TABLE, ctx.resource_id.lower())
    if keys is None:
        keys = {"primaryKey": _new_access_key(), "secondaryKey": _new_access_key()}
        ctx.store.kv_put(KEYS_TABLE, ctx.resource_id.lower(), keys)
    return dict(keys)


def _module_names(props) -> list[str]:
    return sorted((m.get("name") or "").lower() for m in props.get("modules") or [])


PROVIDER = Provider(namespace="Microsoft.Cache", kinds=[ClusterKind(), DatabaseKind()])
