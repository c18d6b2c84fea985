#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to aigateway.foundry
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: cognitive_account_info
short_description: Read Cognitive Services (Microsoft Foundry) accounts, live or soft-deleted
version_added: 0.1.0
description:
  - Returns one account, the accounts of a resource group, or all accounts of the subscription.
  - With O(deleted=true), returns soft-deleted accounts instead (the preflight looks for names it is about to
    create; teardown proves that nothing is left to purge).
  - Never returns account keys.
author:
  - aigateway.foundry maintainers (@aigateway)
options:
  resource_group:
    description: Only accounts of this resource group. Required with O(name) unless O(deleted=true).
    type: str
  name:
    description: Only the account of this name.
    type: str
  deleted:
    description: List soft-deleted accounts (of the subscription, narrowed by O(resource_group) and O(name)).
    type: bool
    default: false
extends_documentation_fragment:
  - aigateway.foundry.azure
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
  diff_mode:
    support: none
  platform:
    platforms: posix
"""

EXAMPLES = r"""
- name: Soft-deleted accounts that would block the gateway's names
  aigateway.foundry.cognitive_account_info:
    deleted: true
    resource_group: rg-ai-gateway
  register: deleted_accounts

- name: One account
  aigateway.foundry.cognitive_account_info:
    resource_group: rg-ai-gateway
    name: models-foundry-01
"""

RETURN = r"""
accounts:
  description:
    - The accounts as Resource Manager returns them (empty when none match). For soft-deleted accounts C(id) is
      the C(deletedAccounts) id and C(location) the location a purge needs.
  returned: always
  type: list
  elements: dict
  sample: [{"id": "/subscriptions/0000/resourceGroups/rg/providers/Microsoft.CognitiveServices/accounts/a1",
            "name": "a1", "kind": "AIServices", "location": "swedencentral"}]
"""

from ansible_collections.aigateway.foundry.plugins.module_utils.azure_clients import raw
from ansible_collections.aigateway.foundry.plugins.module_utils.azure_module import AzureModule
from ansible_collections.aigateway.foundry.plugins.module_utils.azure_state import drop_paths

ARGUMENT_SPEC = dict(
    resource_group=dict(type="str"),
    name=dict(type="str"),
    deleted=dict(type="bool", default=False),
)

# Never part of a result, even if a future API version put them in the account body.
HIDDEN = ("properties.keys", "properties.key1", "properties.key2")


def resource_group_of(resource_id):
    parts = (resource_id or "").split("/")
    lowered = [part.lower() for part in parts]
    if "resourcegroups" in lowered and lowered.index("resourcegroups") + 1 < len(parts):
        return parts[lowered.index("resourcegroups") + 1]
    return None


def matches(account, resource_group, name):
    if name and (account.get("name") or "").lower() != name.lower():
        return False
    if resource_group and (resource_group_of(account.get("id")) or "").lower() != resource_group.lower():
        return False
    return True


def validate(params):
    if params["name"] and not params["resource_group"] and not params["deleted"]:
        return "resource_group is required with name"
    return None


def read_accounts(module, params):
    client = module.client("cognitiveservices")
    resource_group, name = params["resource_group"], params["name"]
    if params["deleted"]:
        found = module.list_all("list soft-deleted accounts", client.deleted_accounts.list)
    elif name:
        one = module.get_or_none("read account %s" % name, client.accounts.get, resource_group, name, cls=raw)
        found = [one[0]] if one else []
    elif resource_group:
        found = module.list_all("list accounts of %s" % resource_group, client.accounts.list_by_resource_group,
                                resource_group)
    else:
        found = module.list_all("list accounts", client.accounts.list)
    return [drop_paths(account, HIDDEN) for account in found if matches(account, resource_group, name)]


def main():
    module = AzureModule(ARGUMENT_SPEC)
    problem = validate(module.params)
    if problem:
        module.fail(problem)
    module.module.exit_json(changed=False, accounts=read_accounts(module, module.params))


if __name__ == "__main__":
    main()
