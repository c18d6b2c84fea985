#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to aigateway.foundry
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: apim_logger_info
short_description: Read the loggers of an Azure API Management service (credential values masked)
version_added: 0.3.0
description:
  - Returns one logger of an API Management service, or all of them in one list request, as Resource Manager returns
    them. Never writes.
  - Credential values (instrumentation key, connection strings) are masked; their names stay.
author:
  - aigateway.foundry maintainers (@aigateway)
extends_documentation_fragment: [aigateway.foundry.resource.APIM_SERVICE_READ_ONLY, aigateway.foundry.azure]
options:
  name:
    description: Only the logger of this name; none found returns an empty list.
    type: str
    aliases: [logger_id]
"""

EXAMPLES = r"""
- name: Every logger of the gateway
  aigateway.foundry.apim_logger_info:
    resource_group: rg-ai-gateway
    service: apim-ai-gateway-01
  register: found
"""

RETURN = r"""
loggers:
  description: The loggers as Resource Manager returns them (empty when none match).
  returned: always
  type: list
  elements: dict
  sample:
    - {"name": "appinsights", "properties": {"loggerType": "applicationInsights", "credentials":
      {"connectionString": "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER"}}}
"""

from ansible_collections.aigateway.foundry.plugins.module_utils.arm_info import Listing, run_info
from ansible_collections.aigateway.foundry.plugins.module_utils.apim import masked_credentials

ARGUMENT_SPEC = dict(
    resource_group=dict(type="str", required=True, aliases=["resource_group_name"]),
    service=dict(type="str", required=True, aliases=["service_name"]),
    name=dict(type="str", aliases=["logger_id"]),
)

LISTING = Listing("logger", "apimanagement", "logger", ("resource_group", "service"), "list_by_service",
                  mask=masked_credentials)


def main():
    run_info(ARGUMENT_SPEC, LISTING, "loggers")


if __name__ == "__main__":
    main()
