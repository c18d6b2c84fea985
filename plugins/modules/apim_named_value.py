#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to aigateway.foundry
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: apim_named_value
short_description: Create, update or delete an Azure API Management named value
version_added: 0.1.0
description:
  - Ensures a named value (a C({{name}}) variable that policies can use) exists with the given value, or from a
    Key Vault secret, or that it is deleted.
  - A secret value (O(is_secret=true)) is never returned by API Management, so it cannot be compared; see
    O(update_value). Plain values and everything else are compared.
  - Creating and updating are long-running operations. Idempotent, with check mode (predicts the state without
    writing) and diff mode. Updates and deletes send the named value's ETag (If-Match).
author:
  - aigateway.foundry maintainers (@aigateway)
extends_documentation_fragment: [aigateway.foundry.resource.APIM_CHILD, aigateway.foundry.azure, aigateway.foundry.azure.WAIT]
options:
  name:
    description: The named value's id.
    type: str
    required: true
  display_name:
    description:
      - The name policies use (C({{display_name}})); letters, digits, period, dash and underscore, at most 256.
      - Defaults to O(name).
    type: str
  value:
    description:
      - The value (at most 4096 characters, not only whitespace); may contain policy expressions.
      - Never logged. Required to create a named value unless O(key_vault_secret_id) is given.
    type: str
  is_secret:
    description:
      - Store the value encrypted; API Management then never returns it (the C(secret) property; the option is not
        called C(secret) because that is the service principal's client secret of every module).
    type: bool
    default: false
  tags:
    description: Tags to filter named values by (at most 32). Compared as a set.
    type: list
    elements: str
  key_vault_secret_id:
    description:
      - A Key Vault secret identifier to take the value from instead of O(value) (the service's managed identity
        needs read access to the secret). A versionless identifier is refreshed automatically.
    type: str
  key_vault_identity_client_id:
    description:
      - The client id of the user-assigned identity that reads the Key Vault secret; omit for the system-assigned
        identity.
    type: str
  update_value:
    description:
      - For a secret O(value) only. V(on_create) sends it when the named value is created and whenever another
        setting changes; V(always) writes on every run (the task then always reports a change).
    type: str
    choices: [always, on_create]
    default: on_create
"""

EXAMPLES = r"""
- name: A plain setting the policy reads
  aigateway.foundry.apim_named_value:
    resource_group: rg-ai-gateway
    service: apim-ai-gateway-01
    name: tokens-per-minute
    value: "1000"

- name: A secret from Key Vault
  aigateway.foundry.apim_named_value:
    resource_group: rg-ai-gateway
    service: apim-ai-gateway-01
    name: backend-key
    is_secret: true
    key_vault_secret_id: https://kv-ai-gateway.vault.azure.net/secrets/backend-key
"""

RETURN = r"""
id:
  description: The named value's resource id.
  returned: when the named value exists (or would exist in check mode)
  type: str
  sample: /subscriptions/0000/resourceGroups/rg-ai-gateway/providers/Microsoft.ApiManagement/service/apim-ai-gateway-01/namedValues/tokens-per-minute
state:
  description:
    - The named value as Resource Manager returns it (predicted in check mode); null when absent. A secret's value
      is never part of it.
  returned: always
  type: dict
"""

import re

from ansible_collections.aigateway.foundry.plugins.module_utils.apim import ApimChild, name_problem
from ansible_collections.aigateway.foundry.plugins.module_utils.arm_resource import apim_child_spec, from_params, run_resource
from ansible_collections.aigateway.foundry.plugins.module_utils.azure_clients import json_body, raw
from ansible_collections.aigateway.foundry.plugins.module_utils.azure_module import AzureModule
from ansible_collections.aigateway.foundry.plugins.module_utils.azure_state import drop_paths
from ansible_collections.aigateway.foundry.plugins.module_utils.validation import NAMED_VALUE_LONGEST, name_problem as rule_problem

ARGUMENT_SPEC = apim_child_spec(
    display_name=dict(type="str"),
    value=dict(type="str", no_log=True),
    is_secret=dict(type="bool", default=False),
    tags=dict(type="list", elements="str"),
    key_vault_secret_id=dict(type="str"),
    key_vault_identity_client_id=dict(type="str"),
    update_value=dict(type="str", choices=["always", "on_create"], default="on_create"),
)

VALUE = "properties.value"


def validate(params, current):
    """Problems with the input, found before anything is written."""
    problem = name_problem("named value", params["name"], 256)
    if problem or params["state"] == "absent":
        return problem
    display = params["display_name"] or params["name"]
    if rule_problem("Microsoft.ApiManagement/service/namedValues", display):
        return "display_name: %s" % rule_problem("Microsoft.ApiManagement/service/namedValues", display)
    if params["value"] is not None and params["key_vault_secret_id"]:
        return "give value or key_vault_secret_id, not both"
    if params["key_vault_identity_client_id"] and not params["key_vault_secret_id"]:
        return "key_vault_identity_client_id needs key_vault_secret_id"
    if params["value"] is not None and (not params["value"].strip() or len(params["value"]) > NAMED_VALUE_LONGEST):
        return ("value may not be empty or only whitespace, and at most %d characters (API Management's limit), "
                "got %d" % (NAMED_VALUE_LONGEST, len(params["value"])))
    if current is None and params["value"] is None and not params["key_vault_secret_id"]:
        return "value or key_vault_secret_id is required to create named value %s" % params["name"]
    if params["key_vault_secret_id"] and not re.match(r"\Ahttps://[^/]+/secrets/[^/]+(/[^/]+)?/?\Z",
                                                      params["key_vault_secret_id"]):
        return ("key_vault_secret_id %r must be a Key Vault secret identifier (https://<vault>/secrets/<name>[/<version>])"
                % params["key_vault_secret_id"])
    if params["tags"] is not None and len(params["tags"]) > 32:
        return "at most 32 tags"
    return None


def desired_body(params):
    """The named value body this task manages (ARM JSON of Microsoft.ApiManagement/service/namedValues)."""
    props = {"displayName": params["display_name"] or params["name"], "secret": params["is_secret"]}
    if params["value"] is not None:
        props["value"] = params["value"]
    if params["key_vault_secret_id"]:
        vault = {"secretIdentifier": params["key_vault_secret_id"]}
        if params["key_vault_identity_client_id"]:
            vault["identityClientId"] = params["key_vault_identity_client_id"]
        props["keyVault"] = vault
    if params["tags"] is not None:
        props["tags"] = list(params["tags"])
    return {"properties": props}


def write_only_paths(params):
    """A secret's value never comes back; a plain value does and is compared."""
    return [VALUE] if params["is_secret"] else []


NORMALISERS = {
    "properties.tags": lambda v: sorted(v) if isinstance(v, list) else v,
    "properties.keyVault.secretIdentifier": lambda v: v.rstrip("/").lower() if isinstance(v, str) else v,
}


class NamedValue(ApimChild):
    def write_only_paths(self, params):
        return write_only_paths(params)

    def write(self, module, target, body):
        if target.current is None:
            return drop_paths(ApimChild.write(self, module, target, body), write_only_paths(module.params))
        # A PUT needs the value even when unchanged; an existing one is updated with PATCH instead.
        action = self.action("write", target)
        result = module.call_and_wait(action, self.operations(module).begin_update, *target.names,
                                      target.etag or "*", json_body(body), cls=raw)
        return drop_paths(result[0] if result else self.reread(module, target), write_only_paths(module.params))


RESOURCE = NamedValue("namedValues", "named value", "named_value", long_running=True, update_option="update_value",
                      normalisers=NORMALISERS, delete_method="delete")


def main():
    module = AzureModule(ARGUMENT_SPEC, long_running=True)
    # A plain value is no secret: Azure returns it to anyone who reads the service, so --diff and the result show
    # it rather than VALUE_SPECIFIED_IN_NO_LOG_PARAMETER; a secret one (is_secret) stays censored: "(secret)" in the diff.
    if not module.params["is_secret"] and module.params["value"]:
        module.module.no_log_values.discard(module.params["value"])
    run_resource(module, RESOURCE, validate, from_params(desired_body))


if __name__ == "__main__":
    main()
