#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to aigateway.foundry
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: key_vault
short_description: Create, update, delete, recover or purge an Azure Key Vault
version_added: 0.1.0
description:
  - Ensures a Key Vault (C(Microsoft.KeyVault/vaults)) exists with the given SKU, tenant, authorization model,
    soft-delete retention, purge protection and tags, or is deleted (and optionally purged).
  - A deleted vault stays soft-deleted for its retention days and holds its name, which is global. O(soft_deleted)
    decides what a create does then; O(purge) removes the soft-deleted vault on delete, so the name is free again.
  - Access policies are sent empty on create and never changed later; with O(enable_rbac_authorization) (the
    default) data access is granted by Azure roles instead.
  - Idempotent, with check mode (predicts the state without writing) and diff mode.
author:
  - aigateway.foundry maintainers (@aigateway)
extends_documentation_fragment: [aigateway.foundry.resource.RESOURCE_GROUP_LOCATION, aigateway.foundry.resource.TAGS,
                                 aigateway.foundry.azure, aigateway.foundry.azure.WAIT]
options:
  name:
    description: The vault's name (3 to 24 letters, digits and hyphens, starting with a letter; global).
    type: str
    required: true
  tenant_id:
    description:
      - The Entra tenant that authorises access to the vault's data. Required to create a vault;
        M(aigateway.foundry.caller_info) returns the caller's.
    type: str
  sku:
    description: The vault's SKU.
    type: str
    choices: [standard, premium]
    default: standard
  enable_rbac_authorization:
    description: Authorise data access with Azure roles (C(Key Vault Secrets User), ...) instead of access policies.
    type: bool
    default: true
  soft_delete_retention_in_days:
    description: How many days a deleted vault is kept (7 to 90). Applies when the vault is created.
    type: int
    default: 90
  enable_purge_protection:
    description:
      - Refuse purges until the retention ends. Cannot be turned off once on; with it, O(purge) fails.
    type: bool
    default: false
  soft_deleted:
    description:
      - What a create does when the name is held by a soft-deleted vault of this subscription.
      - V(fail) stops with a message; V(restore) brings the vault back with its secrets (C(createMode=recover))
        and then applies the other options; V(purge) purges it and creates a new, empty one.
      - V(recover) is an alias of V(restore) (Key Vault's word), as in every module with this option.
    type: str
    choices: [fail, restore, recover, purge]
    default: fail
  purge:
    description:
      - With O(state=absent), also purge the soft-deleted vault (also one deleted before), so its name is free.
    type: bool
    default: false
"""

EXAMPLES = r"""
- name: Who runs this (the vault's tenant)
  aigateway.foundry.caller_info:
  register: caller

- name: A vault for the projects' gateway keys
  aigateway.foundry.key_vault:
    resource_group: rg-ai-gateway
    name: kv-gateway-x1
    tenant_id: "{{ caller.tenant_id }}"
    soft_deleted: restore

- name: Gone for good, name free again
  aigateway.foundry.key_vault:
    resource_group: rg-ai-gateway
    name: kv-gateway-x1
    state: absent
    purge: true
"""

RETURN = r"""
id:
  description: The vault's resource id.
  returned: when the vault exists (or would exist in check mode)
  type: str
vault_uri:
  description: The vault's data-plane URI (C(https://<name>.vault.azure.net/)).
  returned: when the vault exists
  type: str
state:
  description: The vault as Resource Manager returns it (predicted in check mode); null when absent.
  returned: always
  type: dict
soft_deleted_vault:
  description: The soft-deleted vault of this name found before a create or a purge, as Azure lists it.
  returned: when one was found
  type: dict
restored:
  description: Whether a soft-deleted vault was (or, in check mode, would be) restored.
  returned: always
  type: bool
recovered:
  description: The same as RV(restored), under Key Vault's word.
  returned: always
  type: bool
purged:
  description: Whether a soft-deleted vault was (or, in check mode, would be) purged.
  returned: always
  type: bool
"""

from ansible_collections.aigateway.foundry.plugins.module_utils import validation
from ansible_collections.aigateway.foundry.plugins.module_utils.arm_resource import (
    TAGS_SPEC,
    ArmType,
    Resource,
    lower,
    resource_group_location_spec,
    with_tags,
)
from ansible_collections.aigateway.foundry.plugins.module_utils.azure_module import AzureModule
from ansible_collections.aigateway.foundry.plugins.module_utils.azure_state import normalise_location
from ansible_collections.aigateway.foundry.plugins.module_utils.soft_delete import (
    KEY_VAULTS,
    run_soft_deletable,
    soft_delete_spec,
)

ARGUMENT_SPEC = resource_group_location_spec(
    tenant_id=dict(type="str"),
    sku=dict(type="str", choices=["standard", "premium"], default="standard"),
    enable_rbac_authorization=dict(type="bool", default=True),
    soft_delete_retention_in_days=dict(type="int", default=90),
    enable_purge_protection=dict(type="bool", default=False),
    **TAGS_SPEC,
    **soft_delete_spec()
)

# createMode is a request, never part of the vault Azure returns.
CREATE_MODE = "properties.createMode"
RESOURCE = Resource(ArmType("Microsoft.KeyVault/vaults"), "key vault", "keyvault", "vaults", long_running=True,
                    delete_method="delete", write_only=(CREATE_MODE,),
                    normalisers={"properties.sku.name": lower, "properties.tenantId": lower})


def validate(params, current):
    """Problems with the input, found before anything is written."""
    problem = validation.name_problem("Microsoft.KeyVault/vaults", params["name"])
    if problem:
        return problem
    if params["state"] == "absent":
        return None
    if not 7 <= params["soft_delete_retention_in_days"] <= 90:
        return "soft_delete_retention_in_days must be between 7 and 90, not %s" % params["soft_delete_retention_in_days"]
    if params["tenant_id"] is not None and not validation.GUID.match(params["tenant_id"]):
        return "tenant_id %r is not a tenant id (a GUID)" % params["tenant_id"]
    props = (current or {}).get("properties") or {}
    if current is None and not params["tenant_id"]:
        return "tenant_id is required to create vault %s (caller_info returns the caller's)" % params["name"]
    if props.get("enablePurgeProtection") and not params["enable_purge_protection"]:
        return "vault %s has purge protection, which cannot be turned off" % params["name"]
    return None


def desired_body(params, current, location):
    """The vault body this task manages (ARM JSON of Microsoft.KeyVault/vaults at 2024-11-01)."""
    props = {
        "tenantId": params["tenant_id"] or ((current or {}).get("properties") or {}).get("tenantId"),
        "sku": {"family": "A", "name": params["sku"]},
        "enableRbacAuthorization": params["enable_rbac_authorization"],
    }
    if current is None:
        props.update(accessPolicies=[], enableSoftDelete=True,
                     softDeleteRetentionInDays=params["soft_delete_retention_in_days"])
    if params["enable_purge_protection"]:
        props["enablePurgeProtection"] = True
    return with_tags({"location": location, "properties": props}, params, current)


def returns(module, target, state):
    return dict(vault_uri=(state.get("properties") or {}).get("vaultUri"), recovered=target.recovery.restored)


def main():
    run_soft_deletable(AzureModule(ARGUMENT_SPEC, long_running=True), RESOURCE, KEY_VAULTS, validate,
                       lambda params, target: desired_body(params, target.current,
                                                           normalise_location(target.location)), returns)


if __name__ == "__main__":
    main()
