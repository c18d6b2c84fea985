#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to aigateway.foundry
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: resource_group_info
short_description: Read Azure resource groups
version_added: 0.3.0
description:
  - Returns one resource group, or all resource groups of the subscription in one list request, as Resource Manager
    returns them. Never writes.
author:
  - aigateway.foundry maintainers (@aigateway)
extends_documentation_fragment: [aigateway.foundry.resource.READ_ONLY, aigateway.foundry.azure]
options:
  name:
    description: Only the resource group of this name; none found returns an empty list.
    type: str
    aliases: [resource_group, resource_group_name]
"""

EXAMPLES = r"""
- name: Where the gateway's resource group is
  aigateway.foundry.resource_group_info:
    name: rg-ai-gateway
  register: found
"""

RETURN = r"""
resource_groups:
  description: The resource groups as Resource Manager returns them (empty when none match).
  returned: always
  type: list
  elements: dict
  sample:
    - {"id": "/subscriptions/0000/resourceGroups/rg-ai-gateway", "name": "rg-ai-gateway", "location": "swedencentral",
       "tags": {"workload": "ai-gateway"}, "properties": {"provisioningState": "Succeeded"}}
"""

from ansible_collections.aigateway.foundry.plugins.module_utils.arm_info import Listing, run_info

ARGUMENT_SPEC = dict(
    name=dict(type="str", aliases=["resource_group", "resource_group_name"]),
)

LISTING = Listing("resource group", "resource", "resource_groups", (), "list")


def main():
    run_info(ARGUMENT_SPEC, LISTING, "resource_groups")


if __name__ == "__main__":
    main()
