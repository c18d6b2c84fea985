#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to aigateway.foundry
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: caller_info
short_description: Who the collection's credentials sign in as - object id, tenant and client id
version_added: 0.1.0
description:
  - Gets a Resource Manager token with the collection's shared auth options and reads who it was issued to from
    its claims (C(oid), C(tid), C(appid)). The token itself is never returned or logged.
  - Use it to grant the identity that runs the playbook a role, for example C(Azure AI User) on the project where
    it creates agents (Owner and Contributor carry no data actions).
  - With O(resource_group), it also returns the caller's effective permissions at that resource group, or at
    the resource O(resource_type)/O(resource_name) in it, as Azure answers it
    (C(GET {scope}/providers/Microsoft.Authorization/permissions)), for a preflight to check with the
    P(aigateway.foundry.missing_actions#filter) filter before anything is written.
  - With O(resource_groups), it returns the caller's effective permissions at the subscription and at each of those
    groups, for the permission preflight of every entry playbook
    (P(aigateway.foundry.permission_preflight#filter)). A group that does not exist yet gets the subscription's
    (what it will inherit once created).
  - Read-only; the same in check mode.
author:
  - aigateway.foundry maintainers (@aigateway)
extends_documentation_fragment: [aigateway.foundry.resource.READ_ONLY, aigateway.foundry.azure]
options:
  resource_group:
    description: The resource group whose (or whose resource's) permissions to return. Without it, none are read.
    type: str
    aliases: [resource_group_name]
  resource_type:
    description:
      - The resource's type with its namespace, for example C(Microsoft.ApiManagement/service); a child type
        (C(Microsoft.ApiManagement/service/apis)) takes one name per segment in O(resource_name).
      - Requires O(resource_group) and O(resource_name).
    type: str
  resource_name:
    description: The resource's name; for a child type its parents' names first, separated by C(/).
    type: str
  resource_groups:
    description:
      - Resource groups whose permissions to return with the subscription's, in RV(scope_permissions).
      - Cannot be combined with O(resource_group).
    type: list
    elements: str
"""

EXAMPLES = r"""
- name: Who runs this playbook
  aigateway.foundry.caller_info:
  register: caller

- name: Stop unless the caller may write APIs into the gateway
  aigateway.foundry.caller_info:
    resource_group: rg-shared-gateway
    resource_type: Microsoft.ApiManagement/service
    resource_name: apim-shared-hub
  register: caller
  failed_when: caller.permissions | aigateway.foundry.missing_actions(['Microsoft.ApiManagement/service/apis/write'])

- name: It may create agents in the project
  aigateway.foundry.role_assignment:
    scope: "{{ project.id }}"
    role: Azure AI User
    principal_id: "{{ caller.object_id }}"
    principal_type: "{{ caller.principal_type }}"
"""

RETURN = r"""
state:
  description: Always null; the caller is only read, nothing is managed.
  returned: always
  type: dict
  sample: null
object_id:
  description: The caller's object id in Entra ID (the principal id role assignments take).
  returned: always
  type: str
  sample: 00000000-0000-0000-0000-000000000001
tenant_id:
  description: The tenant the token was issued by.
  returned: always
  type: str
  sample: 00000000-0000-0000-0000-000000000002
client_id:
  description: The application (client) id the token was issued to.
  returned: always
  type: str
  sample: 00000000-0000-0000-0000-000000000003
principal_type:
  description: V(ServicePrincipal) for an application or managed identity, V(User) for a signed-in user.
  returned: always
  type: str
  sample: ServicePrincipal
user_principal_name:
  description: The user's sign-in name; null for applications.
  returned: always
  type: str
  sample: null
permissions:
  description:
    - The caller's effective permissions at the scope asked, one entry per role assignment at or above it, as
      Azure returns them (C(actions), C(notActions), C(dataActions), C(notDataActions)).
    - An empty list when the caller holds no role there.
  returned: when O(resource_group) is given
  type: list
  elements: dict
  sample: [{"actions": ["*/read"], "notActions": [], "dataActions": [], "notDataActions": []}]
scope_permissions:
  description:
    - The caller's effective permissions by scope, as in RV(permissions) - V(subscription) and
      C(resourceGroups/<name>) for each of O(resource_groups).
  returned: when O(resource_groups) is given
  type: dict
  sample: {"subscription": [], "resourceGroups/rg-gateway": [{"actions": ["*"], "notActions": []}]}
existing_resource_groups:
  description: Those of O(resource_groups) that exist.
  returned: when O(resource_groups) is given
  type: list
  elements: str
  sample: [rg-gateway]
"""

from ansible_collections.aigateway.foundry.plugins.module_utils import foundry_dataplane as dataplane
from ansible_collections.aigateway.foundry.plugins.module_utils.azure_clients import API_VERSIONS
from ansible_collections.aigateway.foundry.plugins.module_utils.azure_module import AzureModule


ARGUMENT_SPEC = dict(
    resource_group=dict(type="str", aliases=["resource_group_name"]),
    resource_type=dict(type="str"),
    resource_name=dict(type="str"),
    resource_groups=dict(type="list", elements="str"),
)
# Azure answers the subscription's permissions although Microsoft's definitions (and so the SDK) lack the path
# (Azure/azure-rest-api-specs#19473).
PERMISSIONS_API_VERSION = API_VERSIONS["Microsoft.Authorization"]


def validate(params):
    """The scope's parts fit together: a type needs a group and one name per segment below its namespace."""
    kind, name = params["resource_type"], params["resource_name"]
    if params.get("resource_groups") is not None and (params["resource_group"] or kind or name):
        return "resource_groups cannot be combined with resource_group, resource_type or resource_name"
    if not all(params.get("resource_groups") or []):
        return "resource_groups must name groups (got an empty name in %r)" % (params["resource_groups"],)
    if (kind or name) and not params["resource_group"]:
        return "resource_type and resource_name need resource_group"
    if bool(kind) != bool(name):
        return "resource_type and resource_name go together (got resource_type %r, resource_name %r)" % (kind, name)
    if kind and (len(kind.split("/")) < 2 or not all(kind.split("/")) or not all(name.split("/"))):
        return "resource_type %r must be <Namespace>/<type>[/<child type>...] (got resource_name %r)" % (kind, name)
    if kind and len(kind.split("/")) - 1 != len(name.split("/")):
        return ("resource_name %r must name one resource per segment of resource_type %r (%d name(s), separated "
                "by /)" % (name, kind, len(kind.split("/")) - 1))
    return None


def sdk_scope(kind, name):
    """list_for_resource's arguments for a type and its names: namespace, parent path, type, name."""
    segments, names = kind.split("/"), name.split("/")
    parent = "/".join("%s/%s" % pair for pair in zip(segments[1:-1], names[:-1]))
    return segments[0], parent, segments[-1], names[-1]


def read_permissions(module, params):
    operations = module.client("authorization").permissions
    group, kind, name = params["resource_group"], params["resource_type"], params["resource_name"]
    if kind:
        return module.list_all("read the caller's permissions on %s %s" % (kind, name),
                               operations.list_for_resource, group, *sdk_scope(kind, name))
    return module.list_all("read the caller's permissions on resource group %s" % group,
                           operations.list_for_resource_group, group)


def subscription_permissions(module):
    """Every page of GET /subscriptions/{id}/providers/Microsoft.Authorization/permissions."""
    path = "/subscriptions/%s/providers/Microsoft.Authorization/permissions" % module.subscription_id
    found = []
    while path:
        body = module.call("read the caller's permissions on subscription %s" % module.subscription_id,
                           module.rest, "GET", path, PERMISSIONS_API_VERSION)[1] or {}
        found += body.get("value") or []
        path = body.get("nextLink")
    return found


def scope_permissions(module, groups):
    """The subscription's permissions and each group's (the subscription's for a group not made yet)."""
    on_subscription = subscription_permissions(module)
    scopes, existing = {"subscription": on_subscription}, []
    operations = module.client("authorization").permissions
    for group in groups:
        if module.get_or_none("read resource group %s" % group, module.client("resource").resource_groups.get,
                              group) is None:
            scopes["resourceGroups/%s" % group] = on_subscription
            continue
        existing.append(group)
        scopes["resourceGroups/%s" % group] = module.list_all(
            "read the caller's permissions on resource group %s" % group, operations.list_for_resource_group, group)
    return scopes, existing


def main():
    module = AzureModule(ARGUMENT_SPEC)
    module.fail_if(validate(module.params))
    token = dataplane.call(module, "get a token", module.settings["authority_host"], module.credential.get_token,
                           module.settings["credential_scope"]).token
    try:
        claims = dataplane.token_claims(token)
    except ValueError:
        module.fail("the credential's token for %s is not a JWT, so it names no caller"
                    % module.settings["credential_scope"])
    identity = dataplane.caller_identity(claims)
    if not identity["object_id"]:
        module.fail("the token names no object id (oid claim); this credential cannot be granted roles")
    if module.params["resource_group"]:
        identity["permissions"] = read_permissions(module, module.params)
    if module.params["resource_groups"] is not None:
        identity["scope_permissions"], identity["existing_resource_groups"] = scope_permissions(
            module, list(dict.fromkeys(module.params["resource_groups"])))
    module.exit(False, None, **identity)


if __name__ == "__main__":
    main()
