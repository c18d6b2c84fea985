#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to aigateway.foundry
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: log_analytics_workspace_info
short_description: Read Log Analytics workspaces (never their shared keys)
version_added: 0.3.0
description:
  - Returns one Log Analytics workspace, those of a resource group, or all of the subscription, as Resource Manager
    returns them. Never writes.
  - Shared keys are never read.
author:
  - aigateway.foundry maintainers (@aigateway)
extends_documentation_fragment: [aigateway.foundry.resource.READ_ONLY, aigateway.foundry.azure]
options:
  resource_group:
    description: Only the workspaces of this resource group (all of the subscription when omitted). Required with O(name).
    type: str
    aliases: [resource_group_name]
  name:
    description: Only the workspace of this name; none found returns an empty list.
    type: str
"""

EXAMPLES = r"""
- name: One workspace
  aigateway.foundry.log_analytics_workspace_info:
    resource_group: rg-ai-gateway
    name: law-ai-gateway
  register: found
"""

RETURN = r"""
workspaces:
  description: The workspaces as Resource Manager returns them (empty when none match).
  returned: always
  type: list
  elements: dict
  sample:
    - {"name": "law-ai-gateway", "location": "swedencentral", "properties": {"customerId":
      "00000000-0000-0000-0000-000000000000", "retentionInDays": 30, "sku": {"name": "PerGB2018"}}}
"""

from ansible_collections.aigateway.foundry.plugins.module_utils.arm_info import Listing, run_info

ARGUMENT_SPEC = dict(
    resource_group=dict(type="str", aliases=["resource_group_name"]),
    name=dict(type="str"),
)

LISTING = Listing("workspace", "loganalytics", "workspaces", ("resource_group",), "list_by_resource_group",
                  list_all_method="list")


def main():
    run_info(ARGUMENT_SPEC, LISTING, "workspaces")


if __name__ == "__main__":
    main()
