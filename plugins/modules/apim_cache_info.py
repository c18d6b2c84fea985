#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to aigateway.foundry
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: apim_cache_info
short_description: Read the external caches of an Azure API Management service (never the connection string)
version_added: 0.3.0
description:
  - Returns one external cache of an API Management service, or all of them in one list request, as Resource Manager
    returns them. Never writes.
  - The connection string is never returned.
author:
  - aigateway.foundry maintainers (@aigateway)
extends_documentation_fragment: [aigateway.foundry.resource.APIM_SERVICE_READ_ONLY, aigateway.foundry.azure]
options:
  name:
    description: Only the cache of this name; none found returns an empty list.
    type: str
    aliases: [cache_id]
"""

EXAMPLES = r"""
- name: Every cache of the gateway
  aigateway.foundry.apim_cache_info:
    resource_group: rg-ai-gateway
    service: apim-ai-gateway-01
  register: found
"""

RETURN = r"""
caches:
  description: The caches as Resource Manager returns them (empty when none match).
  returned: always
  type: list
  elements: dict
  sample:
    - {"name": "default", "properties": {"useFromLocation": "default", "resourceId": "https://management.azure.com/s
      ubscriptions/0000/resourceGroups/rg/providers/Microsoft.Cache/redisEnterprise/cache"}}
"""

from ansible_collections.aigateway.foundry.plugins.module_utils.arm_info import Listing, run_info

ARGUMENT_SPEC = dict(
    resource_group=dict(type="str", required=True, aliases=["resource_group_name"]),
    service=dict(type="str", required=True, aliases=["service_name"]),
    name=dict(type="str", aliases=["cache_id"]),
)

LISTING = Listing("cache", "apimanagement", "cache", ("resource_group", "service"), "list_by_service",
                  hidden=('properties.connectionString',))


def main():
    run_info(ARGUMENT_SPEC, LISTING, "caches")


if __name__ == "__main__":
    main()
