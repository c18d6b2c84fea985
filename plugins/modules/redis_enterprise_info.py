#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to aigateway.foundry
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: redis_enterprise_info
short_description: Read Azure Managed Redis (Redis Enterprise) clusters (never their access keys)
version_added: 0.3.0
description:
  - Returns one Azure Managed Redis cluster, those of a resource group, or all of the subscription, as Resource
    Manager returns them. Never writes.
  - Access keys are never read.
author:
  - aigateway.foundry maintainers (@aigateway)
extends_documentation_fragment: [aigateway.foundry.resource.READ_ONLY, aigateway.foundry.azure]
options:
  resource_group:
    description: Only the clusters of this resource group (all of the subscription when omitted). Required with O(name).
    type: str
    aliases: [resource_group_name]
  name:
    description: Only the cluster of this name; none found returns an empty list.
    type: str
  databases:
    description: Also return each cluster's databases (one list request per cluster, never their keys), as C(databases).
    type: bool
    default: false
"""

EXAMPLES = r"""
- name: The gateway's semantic cache cluster
  aigateway.foundry.redis_enterprise_info:
    resource_group: rg-ai-gateway
    name: redis-ai-gateway
  register: found
"""

RETURN = r"""
clusters:
  description:
    - The clusters as Resource Manager returns them (empty when none match); with O(databases), each with its
      databases under C(databases).
  returned: always
  type: list
  elements: dict
  sample:
    - {"name": "redis-ai-gateway", "location": "swedencentral", "sku": {"name": "Balanced_B0"}, "properties":
      {"hostName": "redis-ai-gateway.swedencentral.redis.azure.net", "minimumTlsVersion": "1.2"}}
"""

from ansible_collections.aigateway.foundry.plugins.module_utils.arm_info import Listing, run_info
from ansible_collections.aigateway.foundry.plugins.module_utils.soft_delete import resource_group_in

ARGUMENT_SPEC = dict(
    resource_group=dict(type="str", aliases=["resource_group_name"]),
    name=dict(type="str"),
    databases=dict(type="bool", default=False),
)

LISTING = Listing("cluster", "redisenterprise", "redis_enterprise", ("resource_group",), "list_by_resource_group",
                  list_all_method="list")


def with_databases(module, cluster):
    """The cluster with its databases, when the task asks for them."""
    if not module.params["databases"]:
        return cluster
    group = resource_group_in(cluster.get("id")) or module.params["resource_group"]
    databases = module.list_all("list the databases of Redis cluster %s" % cluster["name"],
                                module.client("redisenterprise").databases.list_by_cluster, group, cluster["name"],
                                missing_ok=True)
    return dict(cluster, databases=databases)


def main():
    run_info(ARGUMENT_SPEC, LISTING, "clusters", expand=with_databases)


if __name__ == "__main__":
    main()
