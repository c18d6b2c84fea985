#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to aigateway.foundry
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: apim_api_info
short_description: Read the APIs of an Azure API Management service
version_added: 0.3.0
description:
  - Returns one API of an API Management service, or all of them in one list request, as Resource Manager returns
    them. Never writes.
author:
  - aigateway.foundry maintainers (@aigateway)
extends_documentation_fragment: [aigateway.foundry.resource.APIM_SERVICE_READ_ONLY, aigateway.foundry.azure]
options:
  name:
    description: Only the API of this name; none found returns an empty list.
    type: str
    aliases: [api_id]
"""

EXAMPLES = r"""
- name: Every API of the gateway
  aigateway.foundry.apim_api_info:
    resource_group: rg-ai-gateway
    service: apim-ai-gateway-01
  register: found

- name: One API
  aigateway.foundry.apim_api_info:
    resource_group_name: rg-ai-gateway
    service_name: apim-ai-gateway-01
    api_id: inference-api
"""

RETURN = r"""
apis:
  description: The APIs as Resource Manager returns them (empty when none match).
  returned: always
  type: list
  elements: dict
  sample:
    - {"name": "inference-api", "properties": {"displayName": "Inference API", "path": "inference", "protocols":
      ["https"]}}
"""

from ansible_collections.aigateway.foundry.plugins.module_utils.arm_info import Listing, run_info

ARGUMENT_SPEC = dict(
    resource_group=dict(type="str", required=True, aliases=["resource_group_name"]),
    service=dict(type="str", required=True, aliases=["service_name"]),
    name=dict(type="str", aliases=["api_id"]),
)

LISTING = Listing("API", "apimanagement", "api", ("resource_group", "service"), "list_by_service")


def main():
    run_info(ARGUMENT_SPEC, LISTING, "apis")


if __name__ == "__main__":
    main()
