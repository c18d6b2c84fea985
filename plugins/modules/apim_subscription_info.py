#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to aigateway.foundry
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: apim_subscription_info
short_description: Get or list Azure API Management subscriptions (keys only on request)
version_added: 0.1.0
description:
  - Returns one subscription of an API Management service (O(name)) or all of them, as Resource Manager returns
    them. Never writes.
  - Keys are returned only with O(return_keys=true), read through C(listSecrets), and only to a task with
    C(no_log=true); Ansible then hides the result in its output and logs while the registered variable holds the
    keys (a module cannot censor its own result).
author:
  - aigateway.foundry maintainers (@aigateway)
extends_documentation_fragment: [aigateway.foundry.resource.APIM_SERVICE_READ_ONLY, aigateway.foundry.azure]
options:
  name:
    description: The subscription's id; omit to list every subscription of the service.
    type: str
  return_keys:
    description:
      - Add each subscription's C(primary_key) and C(secondary_key).
      - "The task must set C(no_log=true); otherwise it fails before anything is read."
    type: bool
    default: false
"""

EXAMPLES = r"""
- name: The gateway subscription's key, for the Foundry connection
  aigateway.foundry.apim_subscription_info:
    resource_group: rg-ai-gateway
    service: apim-ai-gateway-01
    name: foundry-subscription
    return_keys: true
  register: found
  no_log: true

- name: Every subscription of the service
  aigateway.foundry.apim_subscription_info:
    resource_group: rg-ai-gateway
    service: apim-ai-gateway-01
"""

RETURN = r"""
subscriptions:
  description:
    - The subscriptions as Resource Manager returns them, without keys; empty when O(name) does not exist.
    - With O(return_keys=true) each item also has C(primary_key) and C(secondary_key).
  returned: always
  type: list
  elements: dict
  sample: [{"name": "foundry-subscription", "properties": {"scope": "/apis", "state": "active"}}]
"""

from ansible_collections.aigateway.foundry.plugins.module_utils.apim import read_with_etag
from ansible_collections.aigateway.foundry.plugins.module_utils.azure_clients import raw
from ansible_collections.aigateway.foundry.plugins.module_utils.azure_module import AzureModule
from ansible_collections.aigateway.foundry.plugins.module_utils.azure_state import drop_paths

ARGUMENT_SPEC = dict(
    resource_group=dict(type="str", required=True, aliases=["resource_group_name"]),
    service=dict(type="str", required=True, aliases=["service_name"]),
    name=dict(type="str"),
    return_keys=dict(type="bool", default=False),
)

KEY_PATHS = ["properties.primaryKey", "properties.secondaryKey"]


def without_keys(items):
    """Listings serialised from SDK models may carry key fields (null); the result never does."""
    return [drop_paths(item, KEY_PATHS) for item in items]


def with_keys(module, items):
    params = module.params
    client = module.client("apimanagement")
    result = []
    for item in items:
        keys = module.call("list keys of subscription %s" % item["name"], client.subscription.list_secrets,
                           params["resource_group"], params["service"], item["name"], cls=raw)[0] or {}
        result.append(dict(item, primary_key=keys.get("primaryKey"), secondary_key=keys.get("secondaryKey")))
    return result


def main():
    module = AzureModule(ARGUMENT_SPEC)
    module.require_no_log("return_keys")
    params = module.params
    client = module.client("apimanagement")
    if params["name"]:
        found, _etag = read_with_etag(module, "read subscription %s" % params["name"], client.subscription.get,
                                      params["resource_group"], params["service"], params["name"])
        items = [found] if found else []
    else:
        items = module.list_all("list subscriptions of %s" % params["service"], client.subscription.list,
                                params["resource_group"], params["service"])
    items = without_keys(items)
    if params["return_keys"]:
        items = with_keys(module, items)
    module.module.exit_json(changed=False, subscriptions=items)


if __name__ == "__main__":
    main()
