#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to aigateway.foundry
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: diagnostic_setting
short_description: Send a resource's logs and metrics to a Log Analytics workspace
version_added: 0.1.0
description:
  - Ensures a Microsoft.Insights diagnostic setting (an extension resource) exists on any resource, such as an
    API Management service or a Foundry account, or is deleted.
  - Idempotent, with check mode and diff mode. Log and metric entries compare regardless of order.
author:
  - aigateway.foundry maintainers (@aigateway)
extends_documentation_fragment: [aigateway.foundry.resource, aigateway.foundry.azure]
options:
  scope:
    description: The resource id of the resource whose logs and metrics are sent.
    type: str
    required: true
  name:
    description: The diagnostic setting's name.
    type: str
    required: true
  workspace_id:
    description: The resource id of the Log Analytics workspace. Required with O(state=present).
    type: str
  destination_type:
    description:
      - V(Dedicated) writes to resource-specific tables (such as C(ApiManagementGatewayLogs) and
        C(ApiManagementGatewayLlmLog)); V(AzureDiagnostics) to the legacy shared table.
    type: str
    choices: [Dedicated, AzureDiagnostics]
    default: Dedicated
  logs:
    description: Log categories or category groups to send.
    type: list
    elements: dict
    default: [{category_group: allLogs, enabled: true}]
    suboptions:
      category:
        description: A log category. Give this or O(logs[].category_group).
        type: str
      category_group:
        description: A log category group, for example V(allLogs) or V(audit).
        type: str
      enabled:
        description: Whether the category is sent.
        type: bool
        default: true
  metrics:
    description: Metric categories to send.
    type: list
    elements: dict
    default: [{category: AllMetrics, enabled: true}]
    suboptions:
      category:
        description: The metric category.
        type: str
        required: true
      enabled:
        description: Whether the metrics are sent.
        type: bool
        default: true
"""

EXAMPLES = r"""
- name: APIM gateway logs and metrics into the workspace
  aigateway.foundry.diagnostic_setting:
    scope: "{{ apim.id }}"
    name: apim-diagnostics
    workspace_id: "{{ workspace.id }}"
    destination_type: Dedicated
"""

RETURN = r"""
id:
  description: The diagnostic setting's resource id.
  returned: when it exists (or would exist in check mode)
  type: str
state:
  description: The diagnostic setting as Resource Manager returns it (predicted in check mode); null when absent.
  returned: always
  type: dict
"""

from ansible_collections.aigateway.foundry.plugins.module_utils.arm_resource import (
    ArmType,
    Resource,
    from_params,
    lower,
    run_resource,
)
from ansible_collections.aigateway.foundry.plugins.module_utils.azure_clients import API_VERSIONS
from ansible_collections.aigateway.foundry.plugins.module_utils.azure_module import AzureModule

API_VERSION = API_VERSIONS["Microsoft.Insights/diagnosticSettings"]

ARGUMENT_SPEC = dict(
    scope=dict(type="str", required=True),
    name=dict(type="str", required=True),
    workspace_id=dict(type="str"),
    destination_type=dict(type="str", choices=["Dedicated", "AzureDiagnostics"], default="Dedicated"),
    logs=dict(type="list", elements="dict", default=[{"category_group": "allLogs", "enabled": True}],
              options=dict(category=dict(type="str"), category_group=dict(type="str"),
                           enabled=dict(type="bool", default=True))),
    metrics=dict(type="list", elements="dict", default=[{"category": "AllMetrics", "enabled": True}],
                 options=dict(category=dict(type="str", required=True), enabled=dict(type="bool", default=True))),
    state=dict(type="str", choices=["present", "absent"], default="present"),
)


def _category_key(entry):
    return ((entry.get("category") or "").lower(), (entry.get("categoryGroup") or "").lower())


def _sorted_entries(entries):
    """Log and metric lists are sets to Azure; compare them sorted, case-insensitively by category."""
    if not isinstance(entries, list):
        return entries
    return sorted(entries, key=_category_key)


def validate(params):
    if not params["scope"].startswith("/subscriptions/"):
        return "scope must be a resource id starting with /subscriptions/, not %r" % params["scope"]
    if params["state"] == "present" and not params["workspace_id"]:
        return "workspace_id is required with state=present"
    for entry in params["logs"]:
        if bool(entry["category"]) == bool(entry["category_group"]):
            return "each logs entry needs exactly one of category or category_group: %r" % (entry,)
    return None


def desired_body(params):
    logs = []
    for entry in params["logs"]:
        item = {"categoryGroup": entry["category_group"]} if entry["category_group"] else {
            "category": entry["category"]}
        item["enabled"] = entry["enabled"]
        logs.append(item)
    return {"properties": {
        "workspaceId": params["workspace_id"],
        "logAnalyticsDestinationType": params["destination_type"],
        "logs": logs,
        "metrics": [{"category": m["category"], "enabled": m["enabled"]} for m in params["metrics"]],
    }}


class Setting(Resource):
    """An extension resource of any resource (its scope), called through REST: no current SDK carries the type."""

    def names(self, params):
        return (params["scope"].rstrip("/"), params["name"])

    def path(self, names):
        return "%s/providers/%s/%s" % (names[0], self.arm_type.type, names[1])

    def action(self, verb, target):
        return "%s diagnostic setting %s" % (verb, self.path(target.names))

    def skeleton(self, subscription_id, names):
        return {"id": self.path(names), "name": names[1]}

    def rest(self, module, target, verb, method, *body):
        return module.call(self.action(verb, target), module.rest, method, self.path(target.names), API_VERSION, *body)

    def describe(self, module):
        target = self.absent(module)
        status, body = self.rest(module, target, "read", "GET")
        # 404: absent, or its scope (or the scope's resource group) does not exist yet: absent as well, so check
        # mode can predict a first run.
        target.current = None if status == 404 else body
        return target

    def write(self, module, target, body):
        return self.rest(module, target, "write", "PUT", body)[1]

    def delete(self, module, target):
        self.rest(module, target, "delete", "DELETE")


RESOURCE = Setting(ArmType("Microsoft.Insights/diagnosticSettings"), "diagnostic setting", None, None,
                   normalisers={"properties.logs": _sorted_entries, "properties.metrics": _sorted_entries,
                                "properties.workspaceId": lower})


def main():
    module = AzureModule(ARGUMENT_SPEC)
    # Checked before the first read: the scope is the path of every call.
    module.fail_if(validate(module.params))
    run_resource(module, RESOURCE, lambda params, current: None, from_params(desired_body))


if __name__ == "__main__":
    main()
