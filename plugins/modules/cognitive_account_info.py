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
  - Returns the account's key only with O(return_keys=true) (read through C(listKeys)), and only to a task with
    C(no_log=true); Ansible then hides the result in its output and logs while the registered variable holds the
    key (gateway_capabilities reads the key of the ContentSafety account it made this way).
author:
  - aigateway.foundry maintainers (@aigateway)
extends_documentation_fragment: [aigateway.foundry.resource.READ_ONLY, aigateway.foundry.azure]
options:
  resource_group:
    description: Only accounts of this resource group. Required with O(name) unless O(deleted=true).
    type: str
    aliases: [resource_group_name]
  name:
    description: Only the account of this name.
    type: str
  deleted:
    description: List soft-deleted accounts (of the subscription, narrowed by O(resource_group) and O(name)).
    type: bool
    default: false
  return_keys:
    description:
      - Also return the account's primary key (C(key1) of C(listKeys)) as RV(primary_key). Needs O(resource_group)
        and O(name), and an account that allows key authentication (C(disableLocalAuth) false); an account that
        refuses keys fails the task naming the account.
      - "The task must set C(no_log=true); otherwise it fails before anything is read."
      - In check mode the key of an existing account is read (a read, no write); an account that does not exist yet
        has no key, and RV(primary_key) is not returned.
    type: bool
    default: false
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

- name: The key of the ContentSafety account (hidden from output and logs)
  aigateway.foundry.cognitive_account_info:
    resource_group: rg-ai-gateway
    name: content-safety-01
    return_keys: true
  register: safety_account
  no_log: true
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
held:
  description:
    - One message per soft-deleted account listed, naming the name it holds, the resource group it was deleted
      from and when Azure purges it (what the playbook's preflight reports before it stops).
  returned: when O(deleted=true)
  type: list
  elements: str
  sample: ["account a1 of resource group rg is soft-deleted (location swedencentral, deleted 2026-05-01T10:00:00Z,
            purged by Azure on 2026-05-03T10:00:00Z) and holds its name for up to 48 hours"]
primary_key:
  description: The account's primary key (the task runs with no_log, so Ansible hides it).
  returned: with O(return_keys=true) when the account exists
  type: str
  sample: "(secret)"
"""

from ansible_collections.aigateway.foundry.plugins.module_utils import validation
from ansible_collections.aigateway.foundry.plugins.module_utils.azure_clients import raw
from ansible_collections.aigateway.foundry.plugins.module_utils.azure_module import AzureModule
from ansible_collections.aigateway.foundry.plugins.module_utils.azure_state import drop_paths
from ansible_collections.aigateway.foundry.plugins.module_utils.soft_delete import FOUNDRY_ACCOUNTS, resource_group_in

ARGUMENT_SPEC = dict(
    resource_group=dict(type="str", aliases=["resource_group_name"]),
    name=dict(type="str"),
    deleted=dict(type="bool", default=False),
    return_keys=dict(type="bool", default=False),
)

# Never part of a result, even if a future API version put them in the account body.
HIDDEN = ("properties.keys", "properties.key1", "properties.key2")


def matches(account, resource_group, name):
    if name and (account.get("name") or "").lower() != name.lower():
        return False
    if resource_group and (resource_group_in(account.get("id")) or "").lower() != resource_group.lower():
        return False
    return True


def validate(params):
    if params["name"] and not params["resource_group"] and not params["deleted"]:
        return "resource_group is required with name"
    if params["return_keys"] and (params["deleted"] or not (params["name"] and params["resource_group"])):
        return "return_keys reads the key of one live account: it needs resource_group and name, without deleted"
    return None


def read_accounts(module, params):
    client = module.client("cognitiveservices")
    resource_group, name = params["resource_group"], params["name"]
    if params["deleted"]:
        found = FOUNDRY_ACCOUNTS.records(module)
    elif name:
        found = [module.read_json("read account %s" % name, client.accounts.get, resource_group, name)]
    elif resource_group:
        found = module.list_all("list accounts of %s" % resource_group, client.accounts.list_by_resource_group,
                                resource_group)
    else:
        found = module.list_all("list accounts", client.accounts.list)
    return [drop_paths(account, HIDDEN) for account in found if account and matches(account, resource_group, name)]


def primary_key(module, account):
    """The account's key1 (main() made sure the task runs with no_log); an account without key authentication is
    refused by name before listKeys, which Azure would answer with a bare 400."""
    params = module.params
    module.fail_if(validation.local_auth_problem(account))
    keys = module.call("list keys of account %s" % params["name"], module.client("cognitiveservices").accounts.list_keys,
                       params["resource_group"], params["name"], cls=raw)[0]
    return (keys or {}).get("key1")


def main():
    module = AzureModule(ARGUMENT_SPEC)
    module.require_no_log("return_keys")
    module.fail_if(validate(module.params))
    accounts = read_accounts(module, module.params)
    if module.params["return_keys"] and accounts:
        module.module.exit_json(changed=False, accounts=accounts, primary_key=primary_key(module, accounts[0]))
    if module.params["deleted"]:
        module.module.exit_json(changed=False, accounts=accounts,
                                held=[FOUNDRY_ACCOUNTS.held_message(account) for account in accounts])
    module.module.exit_json(changed=False, accounts=accounts)


if __name__ == "__main__":
    main()
