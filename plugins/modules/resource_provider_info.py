#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to aigateway.foundry
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: resource_provider_info
short_description: Read the registration state of Azure resource providers
version_added: 0.3.0
description:
  - Returns one resource provider of the subscription (its registration state, resource types and their locations),
    or all of them in one list request, as Resource Manager returns them. Never writes.
author:
  - aigateway.foundry maintainers (@aigateway)
extends_documentation_fragment: [aigateway.foundry.resource.READ_ONLY, aigateway.foundry.azure]
options:
  namespace:
    description: Only this provider (for example V(Microsoft.ApiManagement)); an unknown namespace returns an empty list.
    type: str
    aliases: [name]
"""

EXAMPLES = r"""
- name: Is API Management registered?
  aigateway.foundry.resource_provider_info:
    namespace: Microsoft.ApiManagement
  register: found

- name: Say so
  ansible.builtin.debug:
    msg: "{{ found.providers[0].registrationState }}"
"""

RETURN = r"""
providers:
  description: The resource providers as Resource Manager returns them (empty when none match).
  returned: always
  type: list
  elements: dict
  sample:
    - {"namespace": "Microsoft.ApiManagement", "registrationState": "Registered",
       "resourceTypes": [{"resourceType": "service", "locations": ["Sweden Central"]}]}
"""

from ansible_collections.aigateway.foundry.plugins.module_utils.azure_module import AzureModule

ARGUMENT_SPEC = dict(
    namespace=dict(type="str", aliases=["name"]),
)


def read_providers(module, namespace):
    providers = module.client("resource").providers
    if namespace:
        found = module.read_json("read resource provider %s" % namespace, providers.get, namespace)
        return [found] if found else []
    return module.list_all("list resource providers", providers.list)


def main():
    module = AzureModule(ARGUMENT_SPEC)
    module.module.exit_json(changed=False, providers=read_providers(module, module.params["namespace"]))


if __name__ == "__main__":
    main()
