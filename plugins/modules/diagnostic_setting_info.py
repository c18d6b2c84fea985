#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to aigateway.foundry
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: diagnostic_setting_info
short_description: Read the diagnostic settings of an Azure resource
version_added: 0.3.0
description:
  - Returns one diagnostic setting (C(Microsoft.Insights/diagnosticSettings)) of a resource, or all of them in one
    list request, as Resource Manager returns them. Never writes.
  - A scope that does not exist holds no settings (an empty list).
author:
  - aigateway.foundry maintainers (@aigateway)
extends_documentation_fragment: [aigateway.foundry.resource.READ_ONLY, aigateway.foundry.azure]
options:
  scope:
    description: The resource id whose settings to read (an API Management service, a Foundry account, ...).
    type: str
    required: true
    aliases: [resource_uri]
  name:
    description: Only the setting of this name; none found returns an empty list.
    type: str
"""

EXAMPLES = r"""
- name: Where the gateway sends its logs
  aigateway.foundry.diagnostic_setting_info:
    scope: "{{ apim.id }}"
  register: found
"""

RETURN = r"""
settings:
  description: The diagnostic settings as Resource Manager returns them (empty when none match).
  returned: always
  type: list
  elements: dict
  sample:
    - {"name": "to-workspace", "properties": {"logAnalyticsDestinationType": "Dedicated",
       "workspaceId": "/subscriptions/0000/resourceGroups/rg/providers/Microsoft.OperationalInsights/workspaces/law",
       "logs": [{"categoryGroup": "allLogs", "enabled": true}]}}
"""

from ansible_collections.aigateway.foundry.plugins.module_utils.azure_clients import API_VERSIONS
from ansible_collections.aigateway.foundry.plugins.module_utils.azure_module import AzureModule

ARGUMENT_SPEC = dict(
    scope=dict(type="str", required=True, aliases=["resource_uri"]),
    name=dict(type="str"),
)

API_VERSION = API_VERSIONS["Microsoft.Insights/diagnosticSettings"]


def validate(params):
    if not params["scope"].startswith("/subscriptions/"):
        return "scope must be a resource id starting with /subscriptions/, not %r" % params["scope"]
    return None


def read_settings(module, scope, name):
    path = "%s/providers/Microsoft.Insights/diagnosticSettings" % scope.rstrip("/")
    if name:
        path += "/" + name
    status, body = module.call("read diagnostic settings of %s" % scope, module.rest, "GET", path, API_VERSION)
    if status == 404 or not body:
        return []
    return [body] if name else list(body.get("value") or [])


def main():
    module = AzureModule(ARGUMENT_SPEC)
    module.fail_if(validate(module.params))
    module.module.exit_json(changed=False,
                            settings=read_settings(module, module.params["scope"], module.params["name"]))


if __name__ == "__main__":
    main()
