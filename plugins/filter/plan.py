# -*- coding: utf-8 -*-
# Copyright: contributors to aigateway.foundry
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What site.yml would create in a resource group that does not exist yet, by kind and name: check mode stops there
(nothing exists to compare with), and says this list instead of one sentence."""
from __future__ import annotations

from ansible.errors import AnsibleFilterError


def planned_resources(plan):
    if not isinstance(plan, dict) or not plan.get("resource_group"):
        raise AnsibleFilterError("planned_resources needs a dictionary with resource_group, got %r" % (plan,))
    group = plan["resource_group"]
    lines = ["resource group %s (%s)" % (group, plan.get("location", ""))]
    if plan.get("workspace_name"):
        lines.append("Log Analytics workspace %s/%s" % (group, plan["workspace_name"]))
    if plan.get("app_insights_name"):
        lines.append("Application Insights %s/%s" % (group, plan["app_insights_name"]))
    for account in plan.get("accounts") or []:
        name = account.get("name")
        lines.append("Foundry account %s/%s (%s)" % (group, name, account.get("location", plan.get("location", ""))))
        for deployment in account.get("deployments") or []:
            lines.append("model deployment %s/%s (%s %s, %s)"
                         % (name, deployment.get("name"), deployment.get("model_name", deployment.get("name")),
                            deployment.get("model_version", ""), deployment.get("sku_name", "GlobalStandard")))
        if account.get("project"):
            lines.append("Foundry project %s/%s" % (name, account["project"]))
    if plan.get("apim_name") and not plan.get("apim_existing"):
        lines.append("API Management service %s/%s (%s)" % (group, plan["apim_name"], plan.get("apim_sku", "")))
    if plan.get("apim_name"):
        lines.append("API Management API %s/%s" % (plan["apim_name"], plan.get("api_path", "inference")))
        for subscription in plan.get("apim_subscriptions") or []:
            lines.append("API Management subscription %s/%s" % (plan["apim_name"], subscription.get("name")))
    if plan.get("connection_name"):
        lines.append("Foundry connection %s (%s scope)" % (plan["connection_name"],
                                                           plan.get("connection_scope", "account")))
    return lines


class FilterModule:
    def filters(self):
        return {"planned_resources": planned_resources}
