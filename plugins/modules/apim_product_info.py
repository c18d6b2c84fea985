#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to aigateway.foundry
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: apim_product_info
short_description: Read the products of an Azure API Management service
version_added: 0.3.0
description:
  - Returns one product of an API Management service, or all of them in one list request, as Resource Manager
    returns them. Never writes.
author:
  - aigateway.foundry maintainers (@aigateway)
extends_documentation_fragment: [aigateway.foundry.resource.APIM_SERVICE_READ_ONLY, aigateway.foundry.azure]
options:
  name:
    description: Only the product of this name; none found returns an empty list.
    type: str
    aliases: [product_id]
"""

EXAMPLES = r"""
- name: Every product of the gateway
  aigateway.foundry.apim_product_info:
    resource_group: rg-ai-gateway
    service: apim-ai-gateway-01
  register: found
"""

RETURN = r"""
products:
  description: The products as Resource Manager returns them (empty when none match).
  returned: always
  type: list
  elements: dict
  sample:
    - {"name": "team-a", "properties": {"displayName": "Team A", "state": "published", "subscriptionRequired":
      true}}
"""

from ansible_collections.aigateway.foundry.plugins.module_utils.arm_info import Listing, run_info

ARGUMENT_SPEC = dict(
    resource_group=dict(type="str", required=True, aliases=["resource_group_name"]),
    service=dict(type="str", required=True, aliases=["service_name"]),
    name=dict(type="str", aliases=["product_id"]),
)

LISTING = Listing("product", "apimanagement", "product", ("resource_group", "service"), "list_by_service")


def main():
    run_info(ARGUMENT_SPEC, LISTING, "products")


if __name__ == "__main__":
    main()
