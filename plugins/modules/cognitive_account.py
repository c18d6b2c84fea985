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
options:
  resource_group:
    description: The resource group of the account.
    type: str
    required: true
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
  tags:
    description: Tags to set on the account.
    type: dict
  purge_tags:
    description: Remove tags not given in O(tags). With V(false), given tags are added to the existing ones.
    type: bool
    default: false
  soft_deleted:
    description:
      - What to do when O(name) is a soft-deleted account in this resource group (looked up in the subscription's
        deleted accounts before creating; Azure's C(FlagMustBeSetForRestore) conflict is handled the same way).
      - V(fail) stops with a message naming both remedies. V(restore) recovers the account (with its keys,
        identity and deployments) and then applies the other options. V(purge) purges it for good and creates a
        new account.
    type: str
    choices: [fail, restore, purge]
    default: fail
  purge:
    description:
      - With O(state=absent), also purge the soft-deleted account so its name and subdomain are free at once.
        Works when the account is already deleted but still soft-deleted. Purging needs a subscription-scope
        permission (C(Microsoft.CognitiveServices/locations/resourceGroups/deletedAccounts/delete)).
    type: bool
    default: false
  state:
    description: Whether the account should exist.
    type: str
    choices: [present, absent]
    default: present
extends_documentation_fragment:
  - aigateway.foundry.azure
  - aigateway.foundry.azure.WAIT
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
  platform:
    platforms: posix
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
"""

from ansible_collections.aigateway.foundry.plugins.module_utils import validation
from ansible_collections.aigateway.foundry.plugins.module_utils.azure_clients import json_body, raw
from ansible_collections.aigateway.foundry.plugins.module_utils.azure_module import AzureCodeError, AzureModule
from ansible_collections.aigateway.foundry.plugins.module_utils.azure_state import (
    diff_view,
    differences,
    identity_body,
    merge,
    normalise_user_assigned,
)

ARGUMENT_SPEC = dict(
    resource_group=dict(type="str", required=True),
    name=dict(type="str", required=True),
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
    tags=dict(type="dict"),
    purge_tags=dict(type="bool", default=False),
    soft_deleted=dict(type="str", choices=["fail", "restore", "purge"], default="fail"),
    purge=dict(type="bool", default=False),
    state=dict(type="str", choices=["present", "absent"], default="present"),
)

SOFT_DELETED_CONFLICT = "FlagMustBeSetForRestore"

# Writable account properties a full PUT must carry over so that options left unmanaged keep their values.
CARRIED_PROPERTIES = (
    "allowProjectManagement", "allowedFqdnList", "amlWorkspace", "apiProperties", "associatedProjects",
    "customSubDomainName", "defaultProject", "disableLocalAuth", "dynamicThrottlingEnabled", "encryption",
    "locations", "migrationToken", "networkAcls", "networkInjections", "publicNetworkAccess", "raiMonitorConfig",
    "restrictOutboundNetworkAccess", "storedCompletionsDisabled", "userOwnedStorage",
)


def _lower(value):
    return value.lower() if isinstance(value, str) else value


NORMALISERS = {
    "kind": _lower,
    "sku.name": _lower,
    "identity.type": lambda value: (value or "None").replace(" ", "").lower(),
    "identity.userAssignedIdentities": normalise_user_assigned,
    "properties.customSubDomainName": _lower,
    "properties.publicNetworkAccess": _lower,
}


def account_id(subscription_id, resource_group, name):
    return ("/subscriptions/%s/resourceGroups/%s/providers/Microsoft.CognitiveServices/accounts/%s"
            % (subscription_id, resource_group, name))


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
    if params["tags"] is not None:
        tags = dict(params["tags"]) if params["purge_tags"] else dict((current or {}).get("tags") or {},
                                                                      **params["tags"])
        body["tags"] = dict((k, str(v)) for k, v in tags.items())
    return body


def validate(params, current):
    """Problems with the input, found before anything is written."""
    if params["state"] != "present":
        return None
    if validation.account_problem(params):
        return validation.account_problem(params)
    identity = params["identity"] or {}
    ids = identity.get("user_assigned_identities")
    if "UserAssigned" in (identity.get("type") or "") and not ids:
        return "identity.user_assigned_identities is required for identity type %s" % identity["type"]
    if ids and "UserAssigned" not in (identity.get("type") or ""):
        return "identity.user_assigned_identities needs a UserAssigned identity type"
    if current is None:
        return None
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


def find_deleted(module, resource_group, name):
    """The soft-deleted account of that name in that resource group, or None."""
    client = module.client("cognitiveservices")
    for item in module.list_all("list soft-deleted accounts", client.deleted_accounts.list):
        parts = (item.get("id") or "").lower().split("/")
        if (item.get("name") or "").lower() == name.lower() and "resourcegroups" in parts and \
                parts[parts.index("resourcegroups") + 1] == resource_group.lower():
            return item
    return None


def soft_deleted_message(resource_group, name, location):
    return ("account %s in resource group %s is soft-deleted (location %s) and blocks the name for 48 hours: "
            "set soft_deleted=restore to recover it, or soft_deleted=purge to purge it and create a new one"
            % (name, resource_group, location))


def describe(module, resource_group, name):
    client = module.client("cognitiveservices")
    found = module.get_or_none("read account %s" % name, client.accounts.get, resource_group, name, cls=raw)
    return found[0] if found else None


def purge_deleted(module, resource_group, name, location, before_create=False):
    client = module.client("cognitiveservices")
    action = "purge soft-deleted account %s" % name
    # The name is only free once the purge has finished, whatever wait says.

    def attempt():
        poller = module.call(action, client.deleted_accounts.begin_purge, location, resource_group, name, gone_ok=True)
        return None if poller is None else module.wait(action, poller, always=before_create)
    module.retrying(attempt)


def put_account(module, resource_group, name, body):
    """PUT the account and wait; a soft-deleted name surfaces as FlagMustBeSetForRestore (returned, not raised).

    Any other error fails the task through ``call`` (transient conflicts retried there): the PUT is sent once.
    """
    client = module.client("cognitiveservices")
    action = "write account %s" % name
    try:
        poller = module.call(action, client.accounts.begin_create, resource_group, name, json_body(body), cls=raw,
                             expect=(SOFT_DELETED_CONFLICT,))
    except AzureCodeError:
        return SOFT_DELETED_CONFLICT
    result = module.wait(action, poller)
    return result[0] if result else describe(module, resource_group, name)


def recover(module, resource_group, name, deleted, location):
    """Apply soft_deleted=restore|purge to a soft-deleted name; returns the restored account (or None)."""
    policy = module.params["soft_deleted"]
    if policy == "fail":
        module.fail(soft_deleted_message(resource_group, name, location))
    if policy == "purge":
        purge_deleted(module, resource_group, name, location, before_create=True)
        return None
    body = {"location": location, "properties": {"restore": True}}
    for key in ("kind", "sku"):
        if (deleted or {}).get(key):
            body[key] = deleted[key]
    restored = put_account(module, resource_group, name, body)
    if restored == SOFT_DELETED_CONFLICT:
        module.fail("restore of account %s was refused by Azure (%s)" % (name, SOFT_DELETED_CONFLICT))
    return restored


def ensure_present(module, resource_group, name, current, desired):
    """(changed, state, restored, purged): create, update, restore or purge-then-create as needed."""
    outcome = {"restored": False, "purged": False}
    if current is None:
        deleted = find_deleted(module, resource_group, name)
        if deleted is not None:
            location = deleted.get("location") or desired["location"]
            if module.params["soft_deleted"] == "fail":
                module.fail(soft_deleted_message(resource_group, name, location))
            outcome["restored" if module.params["soft_deleted"] == "restore" else "purged"] = True
            if module.check_mode:
                base = {"id": account_id(module.subscription_id, resource_group, name), "name": name,
                        "type": "Microsoft.CognitiveServices/accounts"}
                if outcome["restored"]:
                    base = merge(base, dict((k, v) for k, v in deleted.items() if k in ("kind", "sku", "tags")))
                return True, merge(base, desired), outcome
            current = recover(module, resource_group, name, deleted, location)
            if current is not None and not differences(desired, current, normalisers=NORMALISERS):
                return True, current, outcome

    def write():
        result = put_account(module, resource_group, name, write_body(current, desired))
        if result == SOFT_DELETED_CONFLICT:
            # The deleted-accounts list lags a fresh delete; Azure's conflict says the same thing.
            location = desired["location"]
            outcome["restored" if module.params["soft_deleted"] == "restore" else "purged"] = True
            recovered = recover(module, resource_group, name, None, location)
            result = put_account(module, resource_group, name, write_body(recovered, desired))
            if result == SOFT_DELETED_CONFLICT:
                module.fail(soft_deleted_message(resource_group, name, location))
        return result

    new = {"id": account_id(module.subscription_id, resource_group, name), "name": name,
           "type": "Microsoft.CognitiveServices/accounts"}
    changed, state = module.converge(current, desired, write, new_state=new, normalisers=NORMALISERS)
    return changed or outcome["restored"] or outcome["purged"], state, outcome


def ensure_absent(module, resource_group, name, current, location_hint):
    """(changed, None, outcome): delete the account and, with purge, its soft-deleted remains."""
    outcome = {"restored": False, "purged": False}
    changed = False
    if current is not None:
        changed = True
        if not module.check_mode:
            client = module.client("cognitiveservices")
            action = "delete account %s" % name
            module.call_and_wait(action, client.accounts.begin_delete, resource_group, name)
    if module.params["purge"]:
        deleted = None
        if current is None or not module.check_mode:
            deleted = find_deleted(module, resource_group, name)
        location = (deleted or {}).get("location") or (current or {}).get("location") or location_hint
        if deleted is not None or current is not None:
            if not location:
                module.fail("the location of soft-deleted account %s is unknown; give location" % name)
            changed = outcome["purged"] = True
            if not module.check_mode:
                purge_deleted(module, resource_group, name, location)
    return changed, None, outcome


def main():
    module = AzureModule(ARGUMENT_SPEC, long_running=True)
    params = module.params
    resource_group, name = params["resource_group"], params["name"]
    current = describe(module, resource_group, name)
    problem = validate(params, current) or module.location_problem("Microsoft.CognitiveServices/accounts", params, current)
    if problem:
        module.fail(problem)
    if params["state"] == "absent":
        changed, state, outcome = ensure_absent(module, resource_group, name, current, params["location"])
        managed = None
    else:
        location = params["location"] or (current or {}).get("location") or \
            module.resource_group_location(resource_group)
        desired = desired_body(params, current, location)
        changed, state, outcome = ensure_present(module, resource_group, name, current, desired)
        managed = desired
    properties = (state or {}).get("properties") or {}
    module.exit(changed, state, id=(state or {}).get("id"),
                endpoint=properties.get("endpoint"), endpoints=properties.get("endpoints"),
                principal_id=((state or {}).get("identity") or {}).get("principalId"),
                before=diff_view(current, managed), after=diff_view(state, managed), **outcome)


if __name__ == "__main__":
    main()
