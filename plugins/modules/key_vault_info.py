#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to aigateway.foundry
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: key_vault_info
short_description: Read Azure Key Vaults (never a secret value)
version_added: 0.3.0
description:
  - Returns one key vault, those of a resource group, or all of the subscription, as Resource Manager returns them.
    Never writes.
  - Only the vaults' settings are read, never a secret, key or certificate value (see
    M(aigateway.foundry.key_vault_secret_info) for the secrets' metadata).
author:
  - aigateway.foundry maintainers (@aigateway)
extends_documentation_fragment: [aigateway.foundry.resource.READ_ONLY, aigateway.foundry.azure]
options:
  resource_group:
    description: Only the vaults of this resource group (all of the subscription when omitted). Required with O(name).
    type: str
    aliases: [resource_group_name]
  name:
    description: Only the vault of this name; none found returns an empty list.
    type: str
"""

EXAMPLES = r"""
- name: The gateway's vaults
  aigateway.foundry.key_vault_info:
    resource_group: rg-ai-gateway
  register: found
"""

RETURN = r"""
vaults:
  description: The vaults as Resource Manager returns them (empty when none match).
  returned: always
  type: list
  elements: dict
  sample:
    - {"name": "kv-ai-gateway", "location": "swedencentral", "properties": {"enableRbacAuthorization": true, "sku":
      {"family": "A", "name": "standard"}, "vaultUri": "https://kv-ai-gateway.vault.azure.net/"}}
"""

from ansible_collections.aigateway.foundry.plugins.module_utils.arm_info import Listing, run_info

ARGUMENT_SPEC = dict(
    resource_group=dict(type="str", aliases=["resource_group_name"]),
    name=dict(type="str"),
)

LISTING = Listing("vault", "keyvault", "vaults", ("resource_group",), "list_by_resource_group",
                  list_all_method="list_by_subscription")


def main():
    run_info(ARGUMENT_SPEC, LISTING, "vaults")


if __name__ == "__main__":
    main()
