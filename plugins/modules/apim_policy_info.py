#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to aigateway.foundry
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: apim_policy_info
short_description: Read the policy of an Azure API Management service, product, API or operation
version_added: 0.3.0
description:
  - Returns the policy document at one scope, as API Management stores it (C(rawxml), with policy expressions and named
    value references as written). Never writes.
  - The scope follows from the options given, as in M(aigateway.foundry.apim_policy) (O(operation) with O(api) an
    operation, O(api) an API, O(product) a product, none the service), or O(scope) names it.
  - A scope without a policy (or whose API, product or service does not exist) returns an empty list.
author:
  - aigateway.foundry maintainers (@aigateway)
extends_documentation_fragment: [aigateway.foundry.resource.APIM_SERVICE_READ_ONLY, aigateway.foundry.azure]
options:
  scope:
    description: The scope whose policy to read (inferred from O(api), O(operation) and O(product) when omitted).
    type: str
    choices: [service, product, api, operation]
  api:
    description: The API (scope V(api), or V(operation) with O(operation)).
    type: str
    aliases: [api_id]
  operation:
    description: The operation of O(api) (scope V(operation)).
    type: str
    aliases: [operation_id]
  product:
    description: The product (scope V(product)).
    type: str
    aliases: [product_id]
"""

EXAMPLES = r"""
- name: The gateway's service-wide policy
  aigateway.foundry.apim_policy_info:
    resource_group: rg-ai-gateway
    service: apim-ai-gateway-01
  register: service_policy

- name: The inference API's policy, as text
  aigateway.foundry.apim_policy_info:
    resource_group: rg-ai-gateway
    service: apim-ai-gateway-01
    api: inference-api
  register: api_policy

- name: Show it
  ansible.builtin.debug:
    msg: "{{ api_policy.xml }}"
"""

RETURN = r"""
policies:
  description: The policy at the scope as Resource Manager returns it (one item), or an empty list when there is none.
  returned: always
  type: list
  elements: dict
  sample:
    - {"name": "policy", "properties": {"format": "rawxml",
                                        "value": "<policies><inbound><base /></inbound></policies>"}}
xml:
  description: The policy document (C(properties.value)), or null when the scope has no policy.
  returned: always
  type: str
  sample: "<policies><inbound><base /></inbound><backend><base /></backend></policies>"
scope:
  description: The scope read.
  returned: always
  type: str
  sample: api
"""

from ansible_collections.aigateway.foundry.plugins.module_utils.apim import (
    label_of,
    operations_for,
    scope_args,
    scope_of,
    validate_scope,
)
from ansible_collections.aigateway.foundry.plugins.module_utils.azure_module import AzureModule

ARGUMENT_SPEC = dict(
    resource_group=dict(type="str", required=True, aliases=["resource_group_name"]),
    service=dict(type="str", required=True, aliases=["service_name"]),
    scope=dict(type="str", choices=["service", "product", "api", "operation"]),
    api=dict(type="str", aliases=["api_id"]),
    operation=dict(type="str", aliases=["operation_id"]),
    product=dict(type="str", aliases=["product_id"]),
)


def main():
    module = AzureModule(ARGUMENT_SPEC)
    params = module.params
    scope = scope_of(params)
    module.fail_if(validate_scope(params, scope))
    group = operations_for(module.client("apimanagement"), scope)
    found = module.read_json("read %s" % label_of(params, scope), group.get, *scope_args(params, scope),
                             format="rawxml")
    module.module.exit_json(changed=False, scope=scope, policies=[found] if found else [],
                            xml=((found or {}).get("properties") or {}).get("value"))


if __name__ == "__main__":
    main()
