#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to aigateway.foundry
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: role_assignment_info
short_description: Read the Azure role assignments at a scope
version_added: 0.3.0
description:
  - Returns the role assignments that apply at a scope (C(Microsoft.Authorization/roleAssignments), those inherited
    from above included, as Resource Manager lists them), optionally only those of one principal or one role
    definition. Never writes.
  - A scope that does not exist holds no assignments (an empty list).
author:
  - aigateway.foundry maintainers (@aigateway)
extends_documentation_fragment: [aigateway.foundry.resource.READ_ONLY, aigateway.foundry.azure]
options:
  scope:
    description: The resource id whose assignments to read (a subscription, resource group or resource).
    type: str
    required: true
  principal_id:
    description: Only the assignments of this principal (its object id, a GUID).
    type: str
    aliases: [assignee]
  role_definition_id:
    description:
      - Only the assignments of this role, given as a role definition GUID or a full role definition id (compared by its
        GUID, case-insensitively).
    type: str
  at_scope_only:
    description: Only the assignments made exactly at O(scope), not those inherited from its parents.
    type: bool
    default: false
"""

EXAMPLES = r"""
- name: The roles the gateway's identity holds on the model account
  aigateway.foundry.role_assignment_info:
    scope: "{{ models_account.id }}"
    principal_id: "{{ apim.principal_id }}"
  register: found
"""

RETURN = r"""
role_assignments:
  description: The role assignments as Resource Manager returns them (empty when none match).
  returned: always
  type: list
  elements: dict
  sample:
    - {"name": "8f5a6c1e-0000-0000-0000-000000000000", "properties": {
        "principalId": "11111111-1111-1111-1111-111111111111", "principalType": "ServicePrincipal",
        "roleDefinitionId": "/subscriptions/0000/providers/Microsoft.Authorization/roleDefinitions/a97b65f3-24c7-4388-baec-2e87135dc908",
        "scope": "/subscriptions/0000/resourceGroups/rg/providers/Microsoft.CognitiveServices/accounts/a1"}}
"""

from ansible_collections.aigateway.foundry.plugins.module_utils import validation
from ansible_collections.aigateway.foundry.plugins.module_utils.azure_module import AzureModule

ARGUMENT_SPEC = dict(
    scope=dict(type="str", required=True),
    principal_id=dict(type="str", aliases=["assignee"]),
    role_definition_id=dict(type="str"),
    at_scope_only=dict(type="bool", default=False),
)


def validate(params):
    if not params["scope"].startswith("/"):
        return "scope must be a resource id starting with /, got %r" % params["scope"]
    if params["principal_id"] and not validation.GUID.match(params["principal_id"]):
        return "principal_id must be an object id (a GUID), got %r" % params["principal_id"]
    return None


def guid_of(definition_id):
    return (definition_id or "").rstrip("/").rsplit("/", 1)[-1].lower()


def wanted(assignment, params, scope):
    properties = assignment.get("properties") or {}
    if params["role_definition_id"] and guid_of(properties.get("roleDefinitionId")) != \
            guid_of(params["role_definition_id"]):
        return False
    if params["at_scope_only"] and (properties.get("scope") or "").rstrip("/").lower() != scope.lower():
        return False
    return True


def main():
    module = AzureModule(ARGUMENT_SPEC)
    params = module.params
    module.fail_if(validate(params))
    scope = "/" + params["scope"].strip("/")
    options = dict(filter="principalId eq '%s'" % params["principal_id"]) if params["principal_id"] else {}
    found = module.list_all("list role assignments at %s" % scope,
                            module.client("authorization").role_assignments.list_for_scope, scope, missing_ok=True,
                            **options)
    module.module.exit_json(changed=False,
                            role_assignments=[item for item in found if wanted(item, params, scope)])


if __name__ == "__main__":
    main()
