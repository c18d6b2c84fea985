#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to aigateway.foundry
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: key_vault_secret
short_description: Create or update a Key Vault secret through Azure Resource Manager
version_added: 0.1.0
description:
  - Ensures a secret (C(Microsoft.KeyVault/vaults/secrets)) of a vault has the given value, content type and
    enabled flag, written through Resource Manager (no data-plane access to the vault is needed).
  - Azure never returns a secret's value, so it cannot be compared; see O(update_value). Each written value is a
    new version of the secret.
  - Resource Manager cannot delete a secret (only the vault's data plane can); O(state=absent) is refused with
    that message. Disable a secret with O(enabled=false), or delete the vault.
  - The value is never printed, returned or shown in a diff.
  - Idempotent, with check mode (predicts the state without writing) and diff mode.
author:
  - aigateway.foundry maintainers (@aigateway)
extends_documentation_fragment: [aigateway.foundry.resource.RESOURCE_GROUP, aigateway.foundry.azure]
options:
  vault:
    description: The vault that holds the secret.
    type: str
    required: true
  name:
    description: The secret's name (1 to 127 letters, digits and hyphens).
    type: str
    required: true
  value:
    description: The secret's value (at most 25 KB). Required to create the secret.
    type: str
  content_type:
    description: What the value is (for example C(text/plain)). Unmanaged when omitted.
    type: str
  enabled:
    description: Whether the secret's value may be read. Unmanaged when omitted.
    type: bool
  update_value:
    description:
      - V(on_create) writes the value when the secret is created and whenever another setting changes.
      - V(always) writes it on every run (a new version each time), because the stored value cannot be read back;
        the task then always reports a change.
    type: str
    choices: [always, on_create]
    default: on_create
  state:
    description: Only V(present); V(absent) is refused, as Resource Manager cannot delete a secret.
    type: str
    choices: [present, absent]
    default: present
"""

EXAMPLES = r"""
- name: A project's gateway key, for the team to fetch
  aigateway.foundry.key_vault_secret:
    resource_group: rg-ai-gateway
    vault: kv-gateway-x1
    name: team-alpha-gateway-key
    value: "{{ key }}"
    content_type: API Management subscription key
  no_log: true
"""

RETURN = r"""
id:
  description: The secret's resource id.
  returned: when the secret exists (or would exist in check mode)
  type: str
secret_uri:
  description: The data-plane URI of the secret's current version.
  returned: when the secret exists
  type: str
secret_uri_with_version:
  description: The data-plane URI of the version written last.
  returned: when the secret exists
  type: str
state:
  description: The secret as Resource Manager returns it, never with its value (predicted in check mode).
  returned: always
  type: dict
"""

from ansible_collections.aigateway.foundry.plugins.module_utils import validation
from ansible_collections.aigateway.foundry.plugins.module_utils.arm_resource import (
    ArmType,
    Resource,
    from_params,
    resource_group_spec,
    run_resource,
)
from ansible_collections.aigateway.foundry.plugins.module_utils.azure_module import AzureModule

ARGUMENT_SPEC = resource_group_spec(
    vault=dict(type="str", required=True),
    value=dict(type="str", no_log=True),
    content_type=dict(type="str"),
    enabled=dict(type="bool"),
    update_value=dict(type="str", choices=["always", "on_create"], default="on_create"),
)

MAX_VALUE = 25 * 1024
RESOURCE = Resource(ArmType("Microsoft.KeyVault/vaults/secrets"), "key vault secret", "keyvault", "secrets",
                    parents=("resource_group", "vault"), write_only=("properties.value",),
                    update_option="update_value")


def validate(params, current):
    """Problems with the input, found before anything is written (never naming the value)."""
    problem = validation.name_problem("Microsoft.KeyVault/vaults/secrets", params["name"])
    if problem:
        return problem
    if params["state"] == "absent":
        return ("secret %s: Azure Resource Manager cannot delete a Key Vault secret (only the vault's data plane "
                "can); set enabled: false, or delete the vault" % params["name"])
    if params["value"] is not None and not params["value"]:
        return "the value of secret %s may not be empty" % params["name"]
    if params["value"] is not None and len(params["value"].encode("utf-8")) > MAX_VALUE:
        return "the value of secret %s is longer than 25 KB" % params["name"]
    if current is None and params["value"] is None:
        return "value is required to create secret %s" % params["name"]
    return None


def desired_body(params):
    """The secret body this task manages (ARM JSON of Microsoft.KeyVault/vaults/secrets at 2024-11-01)."""
    props = {}
    if params["value"] is not None:
        props["value"] = params["value"]
    if params["content_type"] is not None:
        props["contentType"] = params["content_type"]
    if params["enabled"] is not None:
        props["attributes"] = {"enabled": params["enabled"]}
    return {"properties": props}


def uris(state):
    props = state.get("properties") or {}
    return dict(secret_uri=props.get("secretUri"), secret_uri_with_version=props.get("secretUriWithVersion"))


def main():
    run_resource(AzureModule(ARGUMENT_SPEC), RESOURCE, validate, from_params(desired_body), uris)


if __name__ == "__main__":
    main()
