#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to aigateway.foundry
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: apim_diagnostic_info
short_description: Read the diagnostics of an Azure API Management service or of one of its APIs
version_added: 0.3.0
description:
  - Returns one diagnostic (C(applicationinsights), C(azuremonitor)) of an API Management service, or all of them in
    one list request, as Resource Manager returns them; with O(api), those of that API instead. Never writes.
author:
  - aigateway.foundry maintainers (@aigateway)
extends_documentation_fragment: [aigateway.foundry.resource.APIM_SERVICE_READ_ONLY, aigateway.foundry.azure]
options:
  api:
    description: Read the diagnostics of this API (its name) instead of the service's.
    type: str
    aliases: [api_id]
  name:
    description: Only the diagnostic of this name; none found returns an empty list.
    type: str
    aliases: [diagnostic_id]
"""

EXAMPLES = r"""
- name: The service-wide diagnostics of the gateway
  aigateway.foundry.apim_diagnostic_info:
    resource_group: rg-ai-gateway
    service: apim-ai-gateway-01
  register: found

- name: The LLM logging settings of the inference API
  aigateway.foundry.apim_diagnostic_info:
    resource_group: rg-ai-gateway
    service: apim-ai-gateway-01
    api: inference-api
    name: azuremonitor
"""

RETURN = r"""
diagnostics:
  description: The diagnostics as Resource Manager returns them (empty when none match).
  returned: always
  type: list
  elements: dict
  sample:
    - {"name": "applicationinsights", "properties": {"alwaysLog": "allErrors", "verbosity": "information",
                                                     "loggerId": "/loggers/appinsights"}}
"""

from ansible_collections.aigateway.foundry.plugins.module_utils.arm_info import Listing, run_info

ARGUMENT_SPEC = dict(
    resource_group=dict(type="str", required=True, aliases=["resource_group_name"]),
    service=dict(type="str", required=True, aliases=["service_name"]),
    api=dict(type="str", aliases=["api_id"]),
    name=dict(type="str", aliases=["diagnostic_id"]),
)

SERVICE_DIAGNOSTICS = Listing("diagnostic", "apimanagement", "diagnostic", ("resource_group", "service"),
                              "list_by_service")
API_DIAGNOSTICS = Listing("diagnostic", "apimanagement", "api_diagnostic", ("resource_group", "service", "api"),
                          "list_by_service")


def main():
    run_info(ARGUMENT_SPEC, lambda params: API_DIAGNOSTICS if params["api"] else SERVICE_DIAGNOSTICS, "diagnostics")


if __name__ == "__main__":
    main()
