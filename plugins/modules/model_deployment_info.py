#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to aigateway.foundry
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: model_deployment_info
short_description: List the model deployments of Foundry (Cognitive Services) accounts
version_added: 0.2.0
description:
  - Returns the model deployments of each account of O(accounts) as Resource Manager returns them, one list request
    per account (and a read of an account that lists none, to tell whether it exists), in one task however many
    accounts there are. Never writes.
  - An account that does not exist is returned with C(found) false and no deployments.
author:
  - aigateway.foundry maintainers (@aigateway)
extends_documentation_fragment: [aigateway.foundry.azure]
options:
  resource_group:
    description: The resource group of the accounts.
    type: str
    required: true
    aliases: [resource_group_name]
  accounts:
    description: The accounts whose deployments to list.
    type: list
    elements: str
    required: true
"""

EXAMPLES = r"""
- name: The deployments of every model host, in one task
  aigateway.foundry.model_deployment_info:
    resource_group: rg-ai-gateway
    accounts: "{{ model_hosts | map(attribute='name') | list }}"
  register: listed

- name: The gateway's deployments are what was provisioned
  ansible.builtin.assert:
    that: drift | length == 0
    fail_msg: "{{ drift | join('; ') }}"
  vars:
    drift: "{{ listed.accounts | aigateway.foundry.deployment_drift(model_hosts) }}"
"""

RETURN = r"""
accounts:
  description: Per account of O(accounts), in that order.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: The account.
      type: str
    found:
      description: Whether the account exists.
      type: bool
    deployments:
      description: Its deployments as Resource Manager returns them (C(name), C(sku), C(properties.model)...).
      type: list
      elements: dict
  sample:
    - {"name": "models-foundry-01", "found": true, "deployments": [
        {"name": "gpt-4o-mini", "sku": {"name": "GlobalStandard", "capacity": 10},
         "properties": {"model": {"format": "OpenAI", "name": "gpt-4o-mini", "version": "2024-07-18"},
                        "raiPolicyName": "Microsoft.DefaultV2", "provisioningState": "Succeeded"}}]}
"""

from ansible_collections.aigateway.foundry.plugins.module_utils.azure_module import AzureModule

ARGUMENT_SPEC = dict(
    resource_group=dict(type="str", required=True, aliases=["resource_group_name"]),
    accounts=dict(type="list", elements="str", required=True),
)


def main():
    module = AzureModule(ARGUMENT_SPEC)
    params = module.params
    module.fail_if(None if all(params["accounts"]) else "accounts must not name an empty account")
    client = module.client("cognitiveservices")
    listed = []
    for account in params["accounts"]:
        deployments = module.list_all("list deployments of %s" % account, client.deployments.list,
                                      params["resource_group"], account, missing_ok=True)
        # An empty list may be an account without deployments or no account at all: only then is it read.
        found = bool(deployments) or module.read_json("read account %s" % account, client.accounts.get,
                                                      params["resource_group"], account) is not None
        listed.append(dict(name=account, found=found, deployments=deployments))
    module.module.exit_json(changed=False, accounts=listed)


if __name__ == "__main__":
    main()
