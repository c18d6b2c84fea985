#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to aigateway.foundry
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: foundry_connection_info
short_description: Read the connections of a Microsoft Foundry account or project (never their credentials)
version_added: 0.3.0
description:
  - Returns one connection of a Foundry (Cognitive Services) account, or all of them in one list request, as
    Resource Manager returns them; with O(project), those of that project instead. Never writes.
  - Credentials (an API key, an OAuth2 client secret) are never returned, whatever the API answers.
author:
  - aigateway.foundry maintainers (@aigateway)
extends_documentation_fragment: [aigateway.foundry.resource.ACCOUNT_READ_ONLY, aigateway.foundry.azure]
options:
  project:
    description: Read the connections of this project of the account instead of the account's.
    type: str
    aliases: [project_name]
  name:
    description: Only the connection of this name; none found returns an empty list.
    type: str
    aliases: [connection_name]
"""

EXAMPLES = r"""
- name: The gateway connection of a team's project
  aigateway.foundry.foundry_connection_info:
    resource_group: rg-ai-gateway
    account: models-foundry-01
    project: team-a
    name: ai-gateway
  register: found
"""

RETURN = r"""
connections:
  description: The connections as Resource Manager returns them (empty when none match), without credentials.
  returned: always
  type: list
  elements: dict
  sample:
    - {"name": "ai-gateway", "properties": {"category": "ApiManagement", "authType": "ApiKey",
                                            "target": "https://apim-ai-gateway-01.azure-api.net/inference"}}
"""

from ansible_collections.aigateway.foundry.plugins.module_utils.arm_info import Listing, run_info

ARGUMENT_SPEC = dict(
    resource_group=dict(type="str", required=True, aliases=["resource_group_name"]),
    account=dict(type="str", required=True, aliases=["account_name"]),
    project=dict(type="str", aliases=["project_name"]),
    name=dict(type="str", aliases=["connection_name"]),
)

# Azure never returns them; dropped in any case, as foundry_connection's mask does.
SECRETS = ("properties.credentials",)
ACCOUNT_CONNECTIONS = Listing("connection", "cognitiveservices", "account_connections", ("resource_group", "account"),
                              "list", hidden=SECRETS)
PROJECT_CONNECTIONS = Listing("connection", "cognitiveservices", "project_connections",
                              ("resource_group", "account", "project"), "list", hidden=SECRETS)


def main():
    run_info(ARGUMENT_SPEC, lambda params: PROJECT_CONNECTIONS if params["project"] else ACCOUNT_CONNECTIONS,
             "connections")


if __name__ == "__main__":
    main()
