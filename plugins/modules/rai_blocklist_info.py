#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to aigateway.foundry
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: rai_blocklist_info
short_description: Read the content filter blocklists of a Microsoft Foundry (Cognitive Services) account
version_added: 0.3.0
description:
  - Returns one custom blocklist of a Foundry account, or all of them in one list request, as Resource Manager
    returns them. Never writes.
author:
  - aigateway.foundry maintainers (@aigateway)
extends_documentation_fragment: [aigateway.foundry.resource.ACCOUNT_READ_ONLY, aigateway.foundry.azure]
options:
  name:
    description: Only the blocklist of this name; none found returns an empty list.
    type: str
    aliases: [rai_blocklist_name]
  items:
    description: Also return each blocklist's items (one list request per blocklist), as C(items).
    type: bool
    default: false
"""

EXAMPLES = r"""
- name: Every blocklist of the account
  aigateway.foundry.rai_blocklist_info:
    resource_group: rg-ai-gateway
    account: models-foundry-01
  register: found
"""

RETURN = r"""
blocklists:
  description:
    - The blocklists as Resource Manager returns them (empty when none match); with O(items), each with its items
      under C(items).
  returned: always
  type: list
  elements: dict
  sample:
    - {"name": "gateway-blocklist", "properties": {"description": "Terms the gateway refuses"},
       "items": [{"name": "codename", "properties": {"pattern": "Project Nightingale", "isRegex": false}}]}
"""

from ansible_collections.aigateway.foundry.plugins.module_utils.arm_info import Listing, run_info

ARGUMENT_SPEC = dict(
    resource_group=dict(type="str", required=True, aliases=["resource_group_name"]),
    account=dict(type="str", required=True, aliases=["account_name"]),
    name=dict(type="str", aliases=["rai_blocklist_name"]),
    items=dict(type="bool", default=False),
)

LISTING = Listing("blocklist", "cognitiveservices", "rai_blocklists", ("resource_group", "account"), "list")


def with_items(module, blocklist):
    """The blocklist with its items, when the task asks for them."""
    if not module.params["items"]:
        return blocklist
    params = module.params
    items = module.list_all("list the items of blocklist %s" % blocklist["name"],
                            module.client("cognitiveservices").rai_blocklist_items.list, params["resource_group"],
                            params["account"], blocklist["name"], missing_ok=True)
    return dict(blocklist, items=items)


def main():
    run_info(ARGUMENT_SPEC, LISTING, "blocklists", expand=with_items)


if __name__ == "__main__":
    main()
