#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to aigateway.foundry
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: foundry_project_info
short_description: Read the projects of a Microsoft Foundry (Cognitive Services) account
version_added: 0.3.0
description:
  - Returns one project of a Foundry account, or all of them in one list request, as Resource Manager returns them.
    Never writes.
author:
  - aigateway.foundry maintainers (@aigateway)
extends_documentation_fragment: [aigateway.foundry.resource.ACCOUNT_READ_ONLY, aigateway.foundry.azure]
options:
  name:
    description: Only the project of this name; none found returns an empty list.
    type: str
    aliases: [project_name]
"""

EXAMPLES = r"""
- name: Every project of the account
  aigateway.foundry.foundry_project_info:
    resource_group: rg-ai-gateway
    account: models-foundry-01
  register: found
"""

RETURN = r"""
projects:
  description: The projects as Resource Manager returns them (empty when none match).
  returned: always
  type: list
  elements: dict
  sample:
    - {"name": "team-a", "location": "swedencentral", "properties": {"displayName": "Team A", "isDefault": false}}
"""

from ansible_collections.aigateway.foundry.plugins.module_utils.arm_info import Listing, run_info

ARGUMENT_SPEC = dict(
    resource_group=dict(type="str", required=True, aliases=["resource_group_name"]),
    account=dict(type="str", required=True, aliases=["account_name"]),
    name=dict(type="str", aliases=["project_name"]),
)

LISTING = Listing("project", "cognitiveservices", "projects", ("resource_group", "account"), "list")


def main():
    run_info(ARGUMENT_SPEC, LISTING, "projects")


if __name__ == "__main__":
    main()
