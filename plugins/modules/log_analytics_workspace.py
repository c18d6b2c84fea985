#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to aigateway.foundry
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: log_analytics_workspace
short_description: Create, update or delete a Log Analytics workspace
version_added: 0.1.0
description:
  - Ensures a Microsoft.OperationalInsights workspace exists with the given SKU, retention and identity, or is
    deleted.
  - The gateway's logs (API Management diagnostic settings, LLM message logging) and the workspace-based
    Application Insights component write into it.
  - Idempotent, with check mode and diff mode.
author:
  - aigateway.foundry maintainers (@aigateway)
extends_documentation_fragment: [aigateway.foundry.resource.RESOURCE_GROUP_LOCATION, aigateway.foundry.resource.TAGS,
                                 aigateway.foundry.azure, aigateway.foundry.azure.WAIT]
options:
  name:
    description: The workspace name (4 to 63 letters, digits and hyphens).
    type: str
    required: true
  sku:
    description: The pricing tier.
    type: str
    default: PerGB2018
  retention_in_days:
    description: How many days data is kept (30 to 730; the free tier keeps 7).
    type: int
    default: 30
  identity:
    description: The workspace's managed identity type.
    type: str
    choices: [SystemAssigned, None]
    default: SystemAssigned
  force_delete:
    description:
      - With O(state=absent), delete permanently instead of the 14-day soft delete, so the name is free at once.
    type: bool
    default: false
"""

EXAMPLES = r"""
- name: The gateway's Log Analytics workspace
  aigateway.foundry.log_analytics_workspace:
    resource_group: rg-ai-gateway
    name: workspace-gateway
    retention_in_days: 30

- name: Remove it for good
  aigateway.foundry.log_analytics_workspace:
    resource_group: rg-ai-gateway
    name: workspace-gateway
    force_delete: true
    state: absent
"""

RETURN = r"""
id:
  description: The workspace's resource id.
  returned: when the workspace exists (or would exist in check mode)
  type: str
customer_id:
  description: The workspace (customer) id that log queries use.
  returned: when the workspace exists and is created
  type: str
state:
  description: The workspace as Resource Manager returns it (predicted in check mode); null when absent.
  returned: always
  type: dict
"""

from ansible_collections.aigateway.foundry.plugins.module_utils import validation
from ansible_collections.aigateway.foundry.plugins.module_utils.arm_resource import (
    TAGS_SPEC,
    ArmType,
    Resource,
    resource_group_location_spec,
    run_resource,
    with_tags,
)
from ansible_collections.aigateway.foundry.plugins.module_utils.azure_module import AzureModule

ARGUMENT_SPEC = resource_group_location_spec(
    sku=dict(type="str", default="PerGB2018"),
    retention_in_days=dict(type="int", default=30),
    identity=dict(type="str", choices=["SystemAssigned", "None"], default="SystemAssigned"),
    force_delete=dict(type="bool", default=False),
    **TAGS_SPEC,
)

RESOURCE = Resource(ArmType("Microsoft.OperationalInsights/workspaces"), "workspace", "loganalytics", "workspaces",
                    long_running=True, delete_options=lambda params: {"force": params["force_delete"]})


def validate(params):
    if validation.workspace_problem(params):
        return validation.workspace_problem(params)
    if not 7 <= params["retention_in_days"] <= 730:
        return "retention_in_days must be between 7 and 730, not %s" % params["retention_in_days"]
    return None


def desired_body(params, location, current):
    body = {
        "location": location,
        "identity": {"type": params["identity"]},
        "properties": {"sku": {"name": params["sku"]}, "retentionInDays": params["retention_in_days"]},
    }
    return with_tags(body, params, current)


def main():
    module = AzureModule(ARGUMENT_SPEC, long_running=True)
    module.fail_if(validate(module.params))
    run_resource(module, RESOURCE, lambda params, current: None,
                 lambda params, target: desired_body(params, target.location, target.current),
                 lambda state: dict(customer_id=(state.get("properties") or {}).get("customerId")))


if __name__ == "__main__":
    main()
