#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to aigateway.foundry
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: cognitive_account
short_description: Create, update, delete, restore or purge a Cognitive Services (Microsoft Foundry) account
version_added: 0.1.0
description:
  - Ensures a C(Microsoft.CognitiveServices/accounts) resource (a Foundry resource of kind V(AIServices), or
    V(OpenAI), V(ContentSafety)...) exists with the given SKU, identity and network settings, or is deleted.
  - Azure soft-deletes a deleted account and keeps its name (and custom subdomain) for 48 hours. O(soft_deleted)
    decides what happens when the name is soft-deleted; O(purge) removes the soft-deleted account on delete.
  - Idempotent, with check mode (predicts the state without writing) and diff mode.
author:
  - aigateway.foundry maintainers (@aigateway)
extends_documentation_fragment: [aigateway.foundry.resource.RESOURCE_GROUP, aigateway.foundry.resource.TAGS,
                                 aigateway.foundry.azure, aigateway.foundry.azure.WAIT]
options:
  name:
    description: The account's name.
    type: str
    required: true
  location:
    description:
      - The Azure region. Defaults to the resource group's location. An account cannot move.
    type: str
  kind:
    description:
      - The account kind, for example V(AIServices) (Microsoft Foundry), V(OpenAI) or V(ContentSafety). Cannot
        change once the account exists.
    type: str
    default: AIServices
  sku:
    description: The SKU name.
    type: str
    default: S0
  identity:
    description:
      - The managed identity of the account. The gateway needs V(SystemAssigned) to call other services.
    type: dict
    default: {type: SystemAssigned}
    suboptions:
      type:
        description: The identity type.
        type: str
        choices: [SystemAssigned, UserAssigned, 'SystemAssigned, UserAssigned', None]
        default: SystemAssigned
      user_assigned_identities:
        description: Resource ids of user-assigned identities (for the user-assigned types).
        type: list
        elements: str
  custom_subdomain:
    description:
      - The custom subdomain name (C(https://<subdomain>.cognitiveservices.azure.com)); required for Entra ID
        tokens and Foundry projects. Defaults to O(name) lowercased. Cannot change once set.
    type: str
  allow_project_management:
    description: Whether the account holds Foundry projects (C(properties.allowProjectManagement)). Unmanaged when
      omitted.
    type: bool
  disable_local_auth:
    description:
      - Turn off key authentication so only Entra ID tokens are accepted. Unmanaged when omitted.
      - The gateway role sets it V(true) for model hosts, which APIM reaches with its managed identity.
    type: bool
  public_network_access:
    description: Whether the account is reachable from public networks. Unmanaged when omitted.
    type: str
    choices: [Enabled, Disabled]
  soft_deleted:
    description:
      - What to do when O(name) is a soft-deleted account in this resource group, or a soft-deleted account
        elsewhere holds the custom subdomain the account needs (the same name in another resource group, as subdomains
        are global; Azure refuses the create with C(CustomDomainInUse)). Looked up in the subscription's deleted
        accounts before creating; Azure's C(FlagMustBeSetForRestore) conflict is handled the same way.
      - V(fail) stops with a message naming both remedies. V(restore) recovers the account (with its keys,
        identity and deployments) and then applies the other options. V(purge) purges it for good and creates a
        new account; a soft-deleted account of another resource group is purged there, and V(restore) of it
        stops before any write (restore it in its own group, or purge it).
      - V(recover) is an alias of V(restore) (Key Vault's word for it).
    type: str
    choices: [fail, restore, recover, purge]
    default: fail
  purge:
    description:
      - With O(state=absent), also purge the soft-deleted account so its name and subdomain are free at once.
        Works when the account is already deleted but still soft-deleted. Purging needs a subscription-scope
        permission (C(Microsoft.CognitiveServices/locations/resourceGroups/deletedAccounts/delete)).
    type: bool
    default: false
"""

EXAMPLES = r"""
- name: The model host of the gateway (Entra ID only)
  aigateway.foundry.cognitive_account:
    resource_group: rg-ai-gateway
    name: models-foundry-01
    location: swedencentral
    allow_project_management: true
    disable_local_auth: true
    public_network_access: Enabled
    soft_deleted: restore
  register: models_account

- name: Delete it and free its name at once
  aigateway.foundry.cognitive_account:
    resource_group: rg-ai-gateway
    name: models-foundry-01
    state: absent
    purge: true
"""

RETURN = r"""
id:
  description: The account's resource id.
  returned: when the account exists (or would exist in check mode)
  type: str
  sample: /subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/Microsoft.CognitiveServices/accounts/models-foundry-01
state:
  description: The account as Resource Manager returns it (predicted in check mode); null when absent. Keys are
    never part of it.
  returned: always
  type: dict
endpoint:
  description: The account's endpoint.
  returned: when the account exists and Azure reported it
  type: str
  sample: https://models-foundry-01.cognitiveservices.azure.com/
endpoints:
  description: The account's endpoints by API name.
  returned: when the account exists and Azure reported them
  type: dict
principal_id:
  description: The principal id of the system-assigned identity.
  returned: when the account has a system-assigned identity
  type: str
restored:
  description: Whether a soft-deleted account was restored.
  returned: always
  type: bool
purged:
  description: Whether a soft-deleted account was purged.
  returned: always
  type: bool
soft_deleted_account:
  description: The soft-deleted account of this name found before a create or purge, as Azure lists it.
  returned: when one was found
  type: dict
"""

from ansible_collections.aigateway.foundry.plugins.module_utils import validation
from ansible_collections.aigateway.foundry.plugins.module_utils.arm_resource import (
    TAGS_SPEC,
    ArmType,
    Resource,
    lower,
    resource_group_spec,
    with_tags,
)
from ansible_collections.aigateway.foundry.plugins.module_utils.azure_clients import json_body, raw
from ansible_collections.aigateway.foundry.plugins.module_utils.azure_module import AzureModule
from ansible_collections.aigateway.foundry.plugins.module_utils.azure_state import (
    IDENTITY_NORMALISERS,
    differences,
    identity_body,
    identity_problem,
    merge,
)
from ansible_collections.aigateway.foundry.plugins.module_utils.soft_delete import (
    FOUNDRY_ACCOUNTS,
    run_soft_deletable,
    soft_delete_spec,
    write_recovering,
)

ARGUMENT_SPEC = resource_group_spec(
    location=dict(type="str"),
    kind=dict(type="str", default="AIServices"),
    sku=dict(type="str", default="S0"),
    identity=dict(type="dict", default={"type": "SystemAssigned"}, options=dict(
        type=dict(type="str", default="SystemAssigned",
                  choices=["SystemAssigned", "UserAssigned", "SystemAssigned, UserAssigned", "None"]),
        user_assigned_identities=dict(type="list", elements="str"),
    )),
    custom_subdomain=dict(type="str"),
    allow_project_management=dict(type="bool"),
    disable_local_auth=dict(type="bool"),
    public_network_access=dict(type="str", choices=["Enabled", "Disabled"]),
    **TAGS_SPEC,
    **soft_delete_spec()
)

# Writable account properties a full PUT must carry over so that options left unmanaged keep their values.
CARRIED_PROPERTIES = (
    "allowProjectManagement", "allowedFqdnList", "amlWorkspace", "apiProperties", "associatedProjects",
    "customSubDomainName", "defaultProject", "disableLocalAuth", "dynamicThrottlingEnabled", "encryption",
    "locations", "migrationToken", "networkAcls", "networkInjections", "publicNetworkAccess", "raiMonitorConfig",
    "restrictOutboundNetworkAccess", "storedCompletionsDisabled", "userOwnedStorage",
)

NORMALISERS = dict(IDENTITY_NORMALISERS, **{
    "kind": lower,
    "sku.name": lower,
    "properties.customSubDomainName": lower,
    "properties.publicNetworkAccess": lower,
})


def desired_body(params, current, location):
    """The body this task manages (tags merge into the current ones unless purge_tags)."""
    identity = params["identity"] or {"type": "SystemAssigned"}
    properties = {"customSubDomainName": params["custom_subdomain"] or params["name"].lower()}
    for option, key in (("allow_project_management", "allowProjectManagement"),
                        ("disable_local_auth", "disableLocalAuth"),
                        ("public_network_access", "publicNetworkAccess")):
        if params[option] is not None:
            properties[key] = params[option]
    body = {
        "location": location,
        "kind": params["kind"],
        "sku": {"name": params["sku"]},
        "identity": identity_body(identity["type"], identity.get("user_assigned_identities")),
        "properties": properties,
    }
    return with_tags(body, params, current)


def validate(params, current):
    """Problems with the input, found before anything is written."""
    if params["state"] != "present":
        return None
    problem = validation.account_problem(params)
    if problem:
        return problem
    identity = params["identity"] or {}
    problem = identity_problem(identity.get("type"), identity.get("user_assigned_identities"),
                               "identity.user_assigned_identities")
    if problem or current is None:
        return problem
    name = params["name"]
    if current.get("kind", "").lower() != params["kind"].lower():
        return ("account %s is of kind %s; the kind of an account cannot change to %s (delete and purge it, "
                "then create it again)" % (name, current.get("kind"), params["kind"]))
    if params["location"] and differences({"location": params["location"]}, {"location": current.get("location")}):
        return ("account %s is in %s; an account's location cannot change to %s"
                % (name, current.get("location"), params["location"]))
    existing = (current.get("properties") or {}).get("customSubDomainName")
    wanted = params["custom_subdomain"] or name.lower()
    if existing and existing.lower() != wanted.lower():
        return ("account %s has the custom subdomain %s; a custom subdomain cannot change once set (wanted %s)"
                % (name, existing, wanted))
    return None


def write_body(current, desired):
    """A full PUT body: the writable fields of ``current`` the task does not manage, then ``desired``."""
    carried = {}
    if current:
        for key in ("tags", "identity"):
            if current.get(key) is not None:
                carried[key] = current[key]
        properties = current.get("properties") or {}
        carried["properties"] = dict((k, properties[k]) for k in CARRIED_PROPERTIES if properties.get(k) is not None)
    body = merge(carried, desired)
    identity = body.get("identity") or {}
    # Read-only identity fields are not accepted back; user-assigned entries are given as empty objects.
    body["identity"] = identity_body(identity.get("type") or "None",
                                     list((identity.get("userAssignedIdentities") or {}).keys()))
    return body


class Account(Resource):
    """Every write is a full PUT (unmanaged fields carried over), refused while the name is soft-deleted."""

    def write(self, module, target, body):
        def put(current, expect):
            action = self.action("write", target)
            poller = module.call(action, self.operations(module).begin_create, *target.names,
                                 json_body(write_body(current, body)), cls=raw, expect=expect,
                                 **module.polling_options())
            result = module.wait(action, poller)
            return result[0] if result else self.reread(module, target)
        return write_recovering(module, FOUNDRY_ACCOUNTS, target.recovery, target, body, put)


RESOURCE = Account(ArmType("Microsoft.CognitiveServices/accounts"), "account", "cognitiveservices", "accounts",
                   long_running=True, normalisers=NORMALISERS)


def returns(module, target, state):
    properties = state.get("properties") or {}
    return dict(endpoint=properties.get("endpoint"), endpoints=properties.get("endpoints"),
                principal_id=(state.get("identity") or {}).get("principalId"))


def main():
    run_soft_deletable(AzureModule(ARGUMENT_SPEC, long_running=True), RESOURCE, FOUNDRY_ACCOUNTS, validate,
                       lambda params, target: desired_body(params, target.current, target.location), returns)


if __name__ == "__main__":
    main()
