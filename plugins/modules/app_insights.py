#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to aigateway.foundry
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: app_insights
short_description: Create, update or delete a workspace-based Application Insights component
version_added: 0.1.0
description:
  - Ensures a Microsoft.Insights component exists, backed by a Log Analytics workspace, or is deleted.
  - API Management's Application Insights logger sends request telemetry and the token metrics of
    C(llm-emit-token-metric) here; custom metric dimensions must be on (O(custom_metrics_dimensions)) for those
    metrics to keep their dimensions.
  - "The connection string and instrumentation key are credentials for writing telemetry: they are masked in
    RV(state) and the diff, and returned only with O(return_connection_string=true) to a task with C(no_log=true)."
  - Idempotent, with check mode and diff mode.
author:
  - aigateway.foundry maintainers (@aigateway)
extends_documentation_fragment: [aigateway.foundry.resource.RESOURCE_GROUP_LOCATION, aigateway.foundry.resource.TAGS,
                                 aigateway.foundry.azure]
options:
  name:
    description: The component name.
    type: str
    required: true
  workspace_id:
    description: The resource id of the Log Analytics workspace that stores the telemetry. Required to create.
    type: str
  application_type:
    description: The application type.
    type: str
    choices: [web, other]
    default: web
  custom_metrics_dimensions:
    description:
      - Keep the dimensions of custom metrics (C(CustomMetricsOptedInType=WithDimensions)), which token metrics need.
    type: bool
    default: true
  return_connection_string:
    description:
      - Return the component's RV(connection_string) and RV(instrumentation_key), for example for an API Management
        logger.
      - "The task must set C(no_log=true); otherwise it fails before anything is read or written."
    type: bool
    default: false
"""

EXAMPLES = r"""
- name: Application Insights for the gateway's token metrics
  aigateway.foundry.app_insights:
    resource_group: rg-ai-gateway
    name: insights-gateway
    workspace_id: "{{ workspace.id }}"
    custom_metrics_dimensions: true
  register: insights

- name: Its connection string, for the API Management logger (the result is censored)
  aigateway.foundry.app_insights:
    resource_group: rg-ai-gateway
    name: insights-gateway
    workspace_id: "{{ workspace.id }}"
    return_connection_string: true
  register: insights_secret
  no_log: true
"""

RETURN = r"""
id:
  description: The component's resource id.
  returned: when the component exists (or would exist in check mode)
  type: str
instrumentation_key:
  description: The instrumentation key the API Management logger uses (it lets anyone write telemetry).
  returned: with O(return_connection_string=true) when the component exists
  type: str
connection_string:
  description: The component's connection string (a credential for writing telemetry).
  returned: with O(return_connection_string=true) when the component exists
  type: str
state:
  description:
    - The component as Resource Manager returns it (predicted in check mode); null when absent.
    - C(properties.ConnectionString) and C(properties.InstrumentationKey) are masked.
  returned: always
  type: dict
"""

from ansible_collections.aigateway.foundry.plugins.module_utils import validation
from ansible_collections.aigateway.foundry.plugins.module_utils.arm_resource import (
    TAGS_SPEC,
    ArmType,
    Resource,
    lower,
    resource_group_location_spec,
    run_resource,
    with_tags,
)
from ansible_collections.aigateway.foundry.plugins.module_utils.azure_module import AzureModule
from ansible_collections.aigateway.foundry.plugins.module_utils.azure_state import masked_telemetry

ARGUMENT_SPEC = resource_group_location_spec(
    workspace_id=dict(type="str"),
    application_type=dict(type="str", choices=["web", "other"], default="web"),
    custom_metrics_dimensions=dict(type="bool", default=True),
    return_connection_string=dict(type="bool", default=False),
    **TAGS_SPEC,
)

# ARM ids are case-insensitive; the service may echo a workspace id in another case.
NORMALISERS = {"properties.WorkspaceResourceId": lower, "kind": lower, "properties.Application_Type": lower}


RESOURCE = Resource(ArmType("Microsoft.Insights/components"), "Application Insights component",
                    "applicationinsights", "components", normalisers=NORMALISERS, mask=masked_telemetry)


def validate(params, current):
    problem = validation.name_problem("Microsoft.Insights/components", params["name"])
    if problem:
        return problem
    if params["state"] == "present" and current is None and not params["workspace_id"]:
        return "workspace_id is required to create Application Insights component %s" % params["name"]
    workspace = params["workspace_id"]
    if workspace and "/providers/microsoft.operationalinsights/workspaces/" not in workspace.lower():
        return "workspace_id must be a Log Analytics workspace resource id, not %r" % workspace
    return None


def desired_body(params, location, current):
    properties = {
        "Application_Type": params["application_type"],
        "CustomMetricsOptedInType": "WithDimensions" if params["custom_metrics_dimensions"] else "Off",
        "WorkspaceResourceId": params["workspace_id"] or ((current or {}).get("properties") or {}).get(
            "WorkspaceResourceId"),
    }
    body = {"location": location, "kind": params["application_type"], "properties": properties}
    return with_tags(body, params, current)


def secrets(state):
    properties = state.get("properties") or {}
    return dict(instrumentation_key=properties.get("InstrumentationKey"),
                connection_string=properties.get("ConnectionString"))


def main():
    module = AzureModule(ARGUMENT_SPEC)
    module.require_no_log("return_connection_string")
    run_resource(module, RESOURCE, validate,
                 lambda params, target: desired_body(params, target.location, target.current),
                 secrets if module.params["return_connection_string"] else None)


if __name__ == "__main__":
    main()
