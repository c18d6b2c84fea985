#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to aigateway.foundry
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: apim_backend_info
short_description: List the backends of an Azure API Management service (credential values masked)
version_added: 0.2.0
description:
  - Returns the backends of an API Management service (single backends and pools) as Resource Manager returns
    them, in one list request however many there are; with O(name), only that backend. Never writes.
  - Credential values (header and query values, the authorization parameter) are masked; their names stay.
author:
  - aigateway.foundry maintainers (@aigateway)
extends_documentation_fragment: [aigateway.foundry.resource.APIM_SERVICE_READ_ONLY, aigateway.foundry.azure]
options:
  name:
    description: Only this backend (compared case-insensitively); none found returns an empty list.
    type: str
"""

EXAMPLES = r"""
- name: Every backend of the gateway, in one request
  aigateway.foundry.apim_backend_info:
    resource_group: rg-ai-gateway
    service: apim-ai-gateway-01
  register: backends

- name: The pool's members
  ansible.builtin.debug:
    msg: "{{ (backends.backends | selectattr('name', 'equalto', 'inference-backend-pool') | first).properties.pool }}"
"""

RETURN = r"""
backends:
  description: The backends (empty when none match), credential values masked.
  returned: always
  type: list
  elements: dict
  sample:
    - {"name": "models-foundry", "properties": {"type": "Single", "protocol": "http",
                                                "url": "https://models-foundry-01.openai.azure.com/openai"}}
    - {"name": "inference-backend-pool", "properties": {"type": "Pool", "pool": {"services": [
        {"id": "/subscriptions/0000/resourceGroups/rg/providers/Microsoft.ApiManagement/service/apim/backends/models-foundry",
         "priority": 1, "weight": 100}]}}}
"""

from ansible_collections.aigateway.foundry.plugins.module_utils.apim import list_backends, masked_backend
from ansible_collections.aigateway.foundry.plugins.module_utils.azure_module import AzureModule

ARGUMENT_SPEC = dict(
    resource_group=dict(type="str", required=True, aliases=["resource_group_name"]),
    service=dict(type="str", required=True, aliases=["service_name"]),
    name=dict(type="str"),
)


def main():
    module = AzureModule(ARGUMENT_SPEC)
    params = module.params
    found = list_backends(module, params["resource_group"], params["service"])
    wanted = [backend for backend in found
              if params["name"] is None or backend.get("name", "").lower() == params["name"].lower()]
    module.module.exit_json(changed=False, backends=[masked_backend(backend) for backend in wanted])


if __name__ == "__main__":
    main()
