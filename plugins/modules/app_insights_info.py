#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to aigateway.foundry
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: app_insights_info
short_description: Read Application Insights components (telemetry credentials masked)
version_added: 0.3.0
description:
  - Returns one Application Insights component, those of a resource group, or all of the subscription, as Resource
    Manager returns them. Never writes.
  - The connection string and instrumentation key (whoever holds either can write telemetry) are masked.
author:
  - aigateway.foundry maintainers (@aigateway)
extends_documentation_fragment: [aigateway.foundry.resource.READ_ONLY, aigateway.foundry.azure]
options:
  resource_group:
    description: Only the components of this resource group (all of the subscription when omitted). Required with O(name).
    type: str
    aliases: [resource_group_name]
  name:
    description: Only the component of this name; none found returns an empty list.
    type: str
"""

EXAMPLES = r"""
- name: The gateway's components
  aigateway.foundry.app_insights_info:
    resource_group: rg-ai-gateway
  register: found
"""

RETURN = r"""
components:
  description: The components as Resource Manager returns them (empty when none match).
  returned: always
  type: list
  elements: dict
  sample:
    - {"name": "appi-ai-gateway", "kind": "web", "properties": {"ConnectionString":
      "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER", "WorkspaceResourceId":
      "/subscriptions/0000/resourceGroups/rg/providers/Microsoft.OperationalInsights/workspaces/law"}}
"""

from ansible_collections.aigateway.foundry.plugins.module_utils.arm_info import Listing, run_info
from ansible_collections.aigateway.foundry.plugins.module_utils.azure_state import masked_telemetry

ARGUMENT_SPEC = dict(
    resource_group=dict(type="str", aliases=["resource_group_name"]),
    name=dict(type="str"),
)

LISTING = Listing("component", "applicationinsights", "components", ("resource_group",), "list_by_resource_group",
                  list_all_method="list", mask=masked_telemetry)


def main():
    run_info(ARGUMENT_SPEC, LISTING, "components")


if __name__ == "__main__":
    main()
