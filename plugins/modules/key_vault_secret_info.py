#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to aigateway.foundry
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: key_vault_secret_info
short_description: Read the secrets' metadata of an Azure Key Vault (never a secret value)
version_added: 0.3.0
description:
  - Returns one secret of a key vault, or all of them in one list request, through Resource Manager (the secrets'
    attributes, content type and URIs). Never writes.
  - Never returns a secret's value (Resource Manager does not return it, and this module drops it in any case).
author:
  - aigateway.foundry maintainers (@aigateway)
extends_documentation_fragment: [aigateway.foundry.resource.READ_ONLY, aigateway.foundry.azure]
options:
  resource_group:
    description: The resource group of the vault.
    type: str
    required: true
    aliases: [resource_group_name]
  vault:
    description: The key vault's name.
    type: str
    required: true
    aliases: [vault_name]
  name:
    description: Only the secret of this name; none found returns an empty list.
    type: str
    aliases: [secret_name]
"""

EXAMPLES = r"""
- name: Which secrets the gateway's vault holds
  aigateway.foundry.key_vault_secret_info:
    resource_group: rg-ai-gateway
    vault: kv-ai-gateway
  register: found
"""

RETURN = r"""
secrets:
  description: The secrets as Resource Manager returns them (empty when none match), without C(properties.value).
  returned: always
  type: list
  elements: dict
  sample:
    - {"name": "team-a-key", "properties": {"attributes": {"enabled": true}, "contentType": "text/plain",
                                            "secretUri": "https://kv-ai-gateway.vault.azure.net/secrets/team-a-key"}}
"""

from ansible_collections.aigateway.foundry.plugins.module_utils.arm_info import Listing, run_info

ARGUMENT_SPEC = dict(
    resource_group=dict(type="str", required=True, aliases=["resource_group_name"]),
    vault=dict(type="str", required=True, aliases=["vault_name"]),
    name=dict(type="str", aliases=["secret_name"]),
)

LISTING = Listing("secret", "keyvault", "secrets", ("resource_group", "vault"), "list", hidden=("properties.value",))


def main():
    run_info(ARGUMENT_SPEC, LISTING, "secrets")


if __name__ == "__main__":
    main()
