#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to aigateway.foundry
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: role_assignment
short_description: Assign an Azure role to a principal at a scope, or remove the assignment
version_added: 0.1.0
description:
  - Ensures a principal holds a role at a scope (C(Microsoft.Authorization/roleAssignments)), or does not.
  - An assignment is identified by its scope, role and principal. Existing assignments are looked up first, so a
    re-run never meets C(RoleAssignmentExists), whatever name the assignment was created with. A new assignment
    is named by a GUID derived from scope, role and principal, so a second principal or a recreated identity
    gets its own assignment.
  - Role assignments cannot be updated; only created and deleted.
  - Idempotent, with check mode (predicts the state without writing) and diff mode.
author:
  - aigateway.foundry maintainers (@aigateway)
extends_documentation_fragment: [aigateway.foundry.resource, aigateway.foundry.azure]
options:
  scope:
    description: The resource id the role applies to (a subscription, resource group or resource).
    type: str
    required: true
  role:
    description:
      - The role, as a built-in or custom role name (for example V(Cognitive Services User)), a role definition
        GUID, or a full role definition id.
      - Names are resolved at O(scope) and must match exactly one role.
    type: str
    required: true
  principal_id:
    description: The object id of the user, group or service principal (a managed identity's principal id).
    type: str
    required: true
  principal_type:
    description:
      - The principal's type. Give V(ServicePrincipal) for a freshly created managed identity, so Azure does not
        need to look the principal up before it has replicated.
    type: str
    choices: [User, Group, ServicePrincipal, ForeignGroup, Device]
  description:
    description: A description of the assignment (only set when it is created).
    type: str
  state:
    description:
      - Whether the assignment should exist. V(absent) removes every assignment of the role to the principal at
        exactly this scope.
"""

EXAMPLES = r"""
- name: APIM's identity may call the model account
  aigateway.foundry.role_assignment:
    scope: "{{ models_account.id }}"
    role: Cognitive Services User
    principal_id: "{{ apim.principal_id }}"
    principal_type: ServicePrincipal

- name: The operator manages the agent projects
  aigateway.foundry.role_assignment:
    scope: "{{ agents_account.id }}"
    role: eadc314b-1a2d-4efa-be10-5d325db5065e
    principal_id: "{{ operator_object_id }}"
"""

RETURN = r"""
id:
  description: The assignment's resource id.
  returned: when the assignment exists (or would exist in check mode)
  type: str
name:
  description: The assignment's name (a GUID).
  returned: when the assignment exists (or would exist in check mode)
  type: str
role_definition_id:
  description: The resolved role definition id.
  returned: always
  type: str
state:
  description: The assignment as Resource Manager returns it (predicted in check mode); null when absent.
  returned: always
  type: dict
  sample: {"name": "6f1a...", "properties": {
           "roleDefinitionId": "/subscriptions/0000/providers/Microsoft.Authorization/roleDefinitions/a97b65f3-24c7-4388-baec-2e87135dc908",
           "principalId": "00000000-0000-0000-0000-000000000001", "principalType": "ServicePrincipal",
           "scope": "/subscriptions/0000/resourceGroups/rg"}}
"""

import uuid

from ansible_collections.aigateway.foundry.plugins.module_utils import validation
from ansible_collections.aigateway.foundry.plugins.module_utils.azure_clients import json_body, raw
from ansible_collections.aigateway.foundry.plugins.module_utils.azure_module import AzureModule
from ansible_collections.aigateway.foundry.plugins.module_utils.azure_state import diff_view

ARGUMENT_SPEC = dict(
    scope=dict(type="str", required=True),
    role=dict(type="str", required=True),
    principal_id=dict(type="str", required=True),
    principal_type=dict(type="str", choices=["User", "Group", "ServicePrincipal", "ForeignGroup", "Device"]),
    description=dict(type="str"),
    state=dict(type="str", choices=["present", "absent"], default="present"),
)

DEFINITION_SEGMENT = "/providers/microsoft.authorization/roledefinitions/"
ASSIGNMENT_TYPE = "Microsoft.Authorization/roleAssignments"
# Fixed namespace so the same (scope, role, principal) always names the same assignment.
NAME_NAMESPACE = uuid.UUID("0a7b3c52-6f2e-4c1e-9d7a-5e4f3b2a1c09")


def normal_scope(scope):
    return "/" + scope.strip("/")


def validate(params):
    """Problems with the input, found before anything is read or written."""
    if not validation.GUID.match(params["principal_id"]):
        return "principal_id must be an object id (a GUID), got %r" % params["principal_id"]
    if not params["scope"].startswith("/"):
        return "scope must be a resource id starting with /, got %r" % params["scope"]
    role = params["role"]
    if role.startswith("/") and DEFINITION_SEGMENT not in role.lower():
        return "role %r looks like a resource id but not a role definition id" % role
    return None


def definition_id_for(role, subscription_id):
    """The role definition id for a GUID or full id; None for a role name (which needs a lookup)."""
    if role.startswith("/"):
        return role
    if validation.GUID.match(role):
        return "/subscriptions/%s/providers/Microsoft.Authorization/roleDefinitions/%s" % (subscription_id, role)
    return None


def definition_guid(definition_id):
    return definition_id.rstrip("/").rsplit("/", 1)[-1].lower()


def assignment_name(scope, definition_id, principal_id):
    """A deterministic GUID from what identifies the assignment (the lab's guid() left out the principal)."""
    key = "%s|%s|%s" % (normal_scope(scope).lower(), definition_guid(definition_id), principal_id.lower())
    return str(uuid.uuid5(NAME_NAMESPACE, key))


def matching(assignments, scope, definition_id, principal_id):
    """The assignments of exactly this role to exactly this principal at exactly this scope (not inherited)."""
    found = []
    for item in assignments:
        props = item.get("properties") or {}
        if (normal_scope(props.get("scope") or "").lower() == normal_scope(scope).lower()
                and definition_guid(props.get("roleDefinitionId") or "") == definition_guid(definition_id)
                and (props.get("principalId") or "").lower() == principal_id.lower()):
            found.append(item)
    return found


def desired_body(params, definition_id):
    properties = {"roleDefinitionId": definition_id, "principalId": params["principal_id"]}
    if params["principal_type"]:
        properties["principalType"] = params["principal_type"]
    if params["description"]:
        properties["description"] = params["description"]
    return {"properties": properties}


def resolve_role(module, scope, role):
    definition_id = definition_id_for(role, module.subscription_id)
    if definition_id:
        return definition_id
    client = module.client("authorization")
    role_filter = "roleName eq '%s'" % role.replace("'", "''")
    found = module.list_all("look up role %s" % role, client.role_definitions.list, scope, filter=role_filter,
                            missing_ok=True)
    if not found:
        # The scope may not exist yet (check mode); built-in roles are defined at every subscription.
        found = module.list_all("look up role %s" % role, client.role_definitions.list,
                                "/subscriptions/%s" % module.subscription_id, filter=role_filter)
    exact = [d for d in found if ((d.get("properties") or {}).get("roleName") or "") == role]
    if len(exact) != 1:
        found_text = "matches no role definition" if not exact else "matches %d role definitions" % len(exact)
        module.fail("role %r %s at scope %s" % (role, found_text, scope))
    return exact[0]["id"]


def describe(module, scope, definition_id, principal_id):
    client = module.client("authorization")
    # A scope that does not exist (yet, in a check-mode run) holds no assignments.
    found = module.list_all("list role assignments at %s" % scope, client.role_assignments.list_for_scope, scope,
                            filter="principalId eq '%s'" % principal_id, missing_ok=True)
    return matching(found, scope, definition_id, principal_id)


def ensure_present(module, scope, current, desired):
    properties = desired["properties"]
    name = assignment_name(scope, properties["roleDefinitionId"], properties["principalId"])
    new = {"id": "%s/providers/%s/%s" % (normal_scope(scope), ASSIGNMENT_TYPE, name), "name": name,
           "type": ASSIGNMENT_TYPE, "properties": {"scope": normal_scope(scope)}}

    def write():
        client = module.client("authorization")
        return module.call("assign role %s to %s at %s" % (properties["roleDefinitionId"],
                                                           properties["principalId"], scope),
                           client.role_assignments.create, scope, name, json_body(desired), cls=raw)[0]
    # Keyed by scope, role and principal: an existing match is the assignment, whatever its other fields.
    comparable = {"properties": dict((k, properties[k]) for k in ("roleDefinitionId", "principalId"))}
    changed, state = module.converge(current, comparable, write, new_state=new,
                                     normalisers={"properties.roleDefinitionId": definition_guid,
                                                  "properties.principalId": str.lower})
    if changed and module.check_mode:
        state["properties"].update(properties)
    return changed, state


def ensure_absent(module, current_all):
    if not current_all:
        return False, None
    if not module.check_mode:
        client = module.client("authorization")
        for item in current_all:
            module.call("delete role assignment %s" % item["id"], client.role_assignments.delete_by_id, item["id"])
    return True, None


def main():
    module = AzureModule(ARGUMENT_SPEC)
    params = module.params
    module.fail_if(validate(params))
    scope = normal_scope(params["scope"])
    definition_id = resolve_role(module, scope, params["role"])
    current_all = describe(module, scope, definition_id, params["principal_id"])
    current = current_all[0] if current_all else None
    managed = {"properties": {"roleDefinitionId": None, "principalId": None, "scope": None}}
    if params["state"] == "absent":
        changed, state = ensure_absent(module, current_all)
    else:
        changed, state = ensure_present(module, scope, current, desired_body(params, definition_id))
    module.exit(changed, state, id=(state or {}).get("id"), name=(state or {}).get("name"),
                role_definition_id=definition_id,
                before=diff_view(current, managed), after=diff_view(state, managed))


if __name__ == "__main__":
    main()
