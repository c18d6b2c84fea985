#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to aigateway.foundry
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: redis_enterprise
short_description: Create, update or delete an Azure Managed Redis cluster and its database (the semantic cache)
version_added: 0.1.0
description:
  - Ensures an Azure Managed Redis cluster (C(Microsoft.Cache/redisEnterprise)) exists with its C(default) database,
    set up as API Management's semantic cache needs it (RediSearch, Enterprise clustering, no eviction, TLS), or
    that the cluster is deleted with its database.
  - A database's clustering policy, modules and port are fixed at creation; a task that asks to change them fails
    before anything is written (delete and recreate instead).
  - The access key is returned only with O(return_keys=true), read through C(listKeys), and only to a task with
    C(no_log=true); Ansible then hides the result in its output and logs while the registered variable holds the
    key (a module cannot censor its own result).
  - Creating, updating and deleting are long-running operations. Idempotent, with check mode (predicts the state
    without writing) and diff mode.
author:
  - aigateway.foundry maintainers (@aigateway)
extends_documentation_fragment: [aigateway.foundry.resource.RESOURCE_GROUP_LOCATION, aigateway.foundry.resource.TAGS,
                                 aigateway.foundry.azure, aigateway.foundry.azure.WAIT]
options:
  name:
    description: The cluster's name (1-60 letters, digits and single dashes); its host name is derived from it.
    type: str
    required: true
  sku:
    description: The cluster's SKU, for example V(Balanced_B0) (the smallest) or V(MemoryOptimized_M10).
    type: str
    default: Balanced_B0
  minimum_tls_version:
    description: The lowest TLS version clients may use.
    type: str
    choices: ['1.2']
    default: '1.2'
  public_network_access:
    description: Whether the cluster is reachable from public networks.
    type: str
    choices: [Enabled, Disabled]
    default: Enabled
  high_availability:
    description: Replicate the data (the service's default is V(Enabled)).
    type: str
    choices: [Enabled, Disabled]
  database:
    description: The database's name; the semantic cache uses V(default).
    type: str
    default: default
  clustering_policy:
    description: The database's clustering policy (fixed at creation); RediSearch needs V(EnterpriseCluster).
    type: str
    choices: [EnterpriseCluster, OSSCluster, NoCluster]
    default: EnterpriseCluster
  eviction_policy:
    description: What Redis evicts when memory is full; RediSearch needs V(NoEviction).
    type: str
    choices: [AllKeysLFU, AllKeysLRU, AllKeysRandom, NoEviction, VolatileLFU, VolatileLRU, VolatileRandom, VolatileTTL]
    default: NoEviction
  modules:
    description: The Redis modules of the database (fixed at creation); the semantic cache needs V(RediSearch).
    type: list
    elements: str
    default: [RediSearch]
  port:
    description: The database's TCP port (fixed at creation).
    type: int
    default: 10000
  client_protocol:
    description: Whether clients connect with TLS (V(Encrypted)) or in plain text.
    type: str
    choices: [Encrypted, Plaintext]
    default: Encrypted
  access_keys_authentication:
    description:
      - Allow clients to authenticate with the access keys. API Management's cache connection string uses the
        primary key, so the semantic cache needs V(Enabled).
    type: str
    choices: [Enabled, Disabled]
    default: Enabled
  return_keys:
    description:
      - Return the database's primary access key as RV(primary_key).
      - "The task must set C(no_log=true); otherwise it fails before anything is read or written."
    type: bool
    default: false
"""

EXAMPLES = r"""
- name: Azure Managed Redis for the semantic cache
  aigateway.foundry.redis_enterprise:
    resource_group: rg-ai-gateway
    name: rediscache-ai-gateway
    sku: Balanced_B0
    return_keys: true
  register: redis
  no_log: true

- name: Remove it
  aigateway.foundry.redis_enterprise:
    resource_group: rg-ai-gateway
    name: rediscache-ai-gateway
    state: absent
"""

RETURN = r"""
id:
  description: The cluster's resource id.
  returned: when the cluster exists (or would exist in check mode)
  type: str
  sample: /subscriptions/0000/resourceGroups/rg-ai-gateway/providers/Microsoft.Cache/redisEnterprise/rediscache-ai-gateway
state:
  description: The cluster as Resource Manager returns it (predicted in check mode); null when absent.
  returned: always
  type: dict
database:
  description: The database as Resource Manager returns it (predicted in check mode); null when absent.
  returned: always
  type: dict
host_name:
  description: The cluster's host name (unknown in check mode before creation).
  returned: when the cluster exists
  type: str
  sample: rediscache-ai-gateway.swedencentral.redis.azure.net
port:
  description: The database's port.
  returned: when the cluster exists (or would exist in check mode)
  type: int
  sample: 10000
primary_key:
  description: The database's primary access key (the task runs with no_log, so Ansible hides it).
  returned: with O(return_keys=true) when the database exists
  type: str
"""

from ansible_collections.aigateway.foundry.plugins.module_utils import validation
from ansible_collections.aigateway.foundry.plugins.module_utils.arm_resource import (
    TAGS_SPEC,
    ArmType,
    Resource,
    finish,
    lower,
    resource_group_location_spec,
    settle,
    with_tags,
)
from ansible_collections.aigateway.foundry.plugins.module_utils.azure_clients import raw
from ansible_collections.aigateway.foundry.plugins.module_utils.azure_module import AzureModule
from ansible_collections.aigateway.foundry.plugins.module_utils.azure_state import diff_view, differences

ARGUMENT_SPEC = resource_group_location_spec(
    sku=dict(type="str", default="Balanced_B0"),
    minimum_tls_version=dict(type="str", choices=["1.2"], default="1.2"),
    public_network_access=dict(type="str", choices=["Enabled", "Disabled"], default="Enabled"),
    high_availability=dict(type="str", choices=["Enabled", "Disabled"]),
    database=dict(type="str", default="default"),
    clustering_policy=dict(type="str", choices=["EnterpriseCluster", "OSSCluster", "NoCluster"],
                           default="EnterpriseCluster"),
    eviction_policy=dict(type="str", default="NoEviction",
                         choices=["AllKeysLFU", "AllKeysLRU", "AllKeysRandom", "NoEviction", "VolatileLFU",
                                  "VolatileLRU", "VolatileRandom", "VolatileTTL"]),
    modules=dict(type="list", elements="str", default=["RediSearch"]),
    port=dict(type="int", default=10000),
    client_protocol=dict(type="str", choices=["Encrypted", "Plaintext"], default="Encrypted"),
    access_keys_authentication=dict(type="str", choices=["Enabled", "Disabled"], default="Enabled"),
    return_keys=dict(type="bool", default=False),
    **TAGS_SPEC,
)


def module_names(value):
    """Modules compare by name, case-insensitively, in any order (the service adds version and args)."""
    if not isinstance(value, list):
        return value
    return sorted((item.get("name") or "").lower() for item in value if isinstance(item, dict))


def validate(params, current_database):
    """Problems with the input, found before anything is written."""
    problem = validation.name_problem("Microsoft.Cache/redisEnterprise/databases", params["database"])
    if problem:
        return problem
    if params["state"] == "absent":
        return None
    if validation.redis_problem(params):
        return validation.redis_problem(params)
    if not 1 <= params["port"] <= 65535:
        return "port must be 1-65535, not %s" % params["port"]
    if params["clustering_policy"] != "EnterpriseCluster" and "redisearch" in [m.lower() for m in params["modules"]]:
        return "RediSearch needs clustering_policy EnterpriseCluster"
    if current_database is None:
        return None
    props = current_database.get("properties") or {}
    fixed = []
    if props.get("clusteringPolicy") not in (None, "NoCluster", params["clustering_policy"]):
        fixed.append("clustering_policy (%s)" % props.get("clusteringPolicy"))
    if "modules" in props and module_names(props["modules"]) != module_names([{"name": m} for m in params["modules"]]):
        fixed.append("modules (%s)" % ", ".join(m.get("name", "") for m in props["modules"]))
    if props.get("port") not in (None, params["port"]):
        fixed.append("port (%s)" % props.get("port"))
    if fixed:
        return ("database %s of %s: %s cannot change after creation; delete the cluster and create it again"
                % (params["database"], params["name"], ", ".join(fixed)))
    return None


def cluster_body(params, location, current=None):
    """The cluster body this task manages (ARM JSON of Microsoft.Cache/redisEnterprise@2025-07-01)."""
    props = {"minimumTlsVersion": params["minimum_tls_version"], "publicNetworkAccess": params["public_network_access"]}
    if params["high_availability"]:
        props["highAvailability"] = params["high_availability"]
    return with_tags({"location": location, "sku": {"name": params["sku"]}, "properties": props}, params, current)


def database_body(params):
    """The database body this task manages (ARM JSON of Microsoft.Cache/redisEnterprise/databases@2025-07-01)."""
    return {"properties": {
        "clientProtocol": params["client_protocol"],
        "clusteringPolicy": params["clustering_policy"],
        "evictionPolicy": params["eviction_policy"],
        "port": params["port"],
        "modules": [{"name": name} for name in params["modules"]],
        "accessKeysAuthentication": params["access_keys_authentication"],
    }}


def moved(params, cluster):
    """A cluster cannot change region: the message when the task asks it to, else None."""
    if cluster is not None and params["location"] and params["state"] == "present" and \
            differences({"location": params["location"]}, {"location": cluster.get("location")}):
        return "Redis cluster %s is in %s; it cannot move to %s" % (params["name"], cluster.get("location"),
                                                                    params["location"])
    return None


class Database(Resource):
    """The cluster's one database: named by the database option, under the cluster the name option names."""

    def names(self, params):
        return (params["resource_group"], params["name"], params["database"])


NORMALISERS = {"sku.name": lower, "properties.modules": module_names}
# Updates are PATCHes (the spec's PUT answers only 200/201; an update is accepted with 202).
CLUSTER = Resource(ArmType("Microsoft.Cache/redisEnterprise"), "Redis cluster", "redisenterprise", "redis_enterprise",
                   long_running=True, create_method="begin_create", update_method="begin_update",
                   normalisers=NORMALISERS)
DATABASE = Database(ArmType("Microsoft.Cache/redisEnterprise/databases"), "Redis database", "redisenterprise",
                    "databases", long_running=True, create_method="begin_create", update_method="begin_update",
                    normalisers=NORMALISERS)


def primary_key(module):
    """The database's primary key (main() made sure the task runs with no_log)."""
    params = module.params
    keys = module.call("list keys of Redis database %s/%s" % (params["name"], params["database"]),
                       module.client("redisenterprise").databases.list_keys, *DATABASE.names(params), cls=raw)[0]
    return (keys or {}).get("primaryKey")


def main():
    module = AzureModule(ARGUMENT_SPEC, long_running=True)
    module.require_no_log("return_keys")
    params = module.params
    # Checked before the first read: the name is part of every URL.
    if validation.name_problem("Microsoft.Cache/redisEnterprise", params["name"]):
        module.fail(validation.name_problem("Microsoft.Cache/redisEnterprise", params["name"]))
    cluster = CLUSTER.describe(module)
    database = DATABASE.describe(module) if cluster.current else DATABASE.absent(module)
    outcome = settle(module, CLUSTER, cluster,
                     lambda params, current: validate(params, database.current) or moved(params, current),
                     lambda params, target: cluster_body(params, target.location, target.current))
    extra, before, after = dict(database=None), {}, {}
    if params["state"] == "present":
        wanted = database_body(params)
        database_changed, state = DATABASE.converge(module, database, wanted)
        outcome.changed = outcome.changed or database_changed
        before, after = dict(database=diff_view(database.current, wanted)), dict(database=diff_view(state, wanted))
        extra.update(database=state, host_name=(outcome.state.get("properties") or {}).get("hostName"),
                     port=(state.get("properties") or {}).get("port"))
        if params["return_keys"] and not (module.check_mode and database.current is None):
            extra["primary_key"] = primary_key(module)
    finish(module, CLUSTER, outcome, before=before, after=after, **extra)


if __name__ == "__main__":
    main()
