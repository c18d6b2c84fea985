"""Microsoft.Authorization: role assignments at any scope and the built-in role definitions we use.

Shapes: localazure/specs/bicep-types/microsoft.authorization/2022-04-01/types.md.
SDK (azure-mgmt-authorization 4.0.0, 2022-04-01): create accepts 200/201 (sync), delete 200/204: Azure
answers 200 with the deleted assignment (the SDK deserializes it), 204 when there was none.
"""
from __future__ import annotations

import re

from localazure.engine.contract import ArmError, Provider, ResourceKind, Route
from localazure.services.authorization import propagation, rbac

ASSIGNMENT_TYPE = "Microsoft.Authorization/roleAssignments"
DEFINITION_TYPE = "Microsoft.Authorization/roleDefinitions"
_ASSIGNMENT_SEGMENT = "/providers/microsoft.authorization/roleassignments/"
_GUID = re.compile(r"^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")
_DEFINITION_ID = re.compile(
    r"^/subscriptions/(?P<sub>[^/]+)/providers/Microsoft\.Authorization/roleDefinitions/(?P<guid>[^/]+)$",
    re.IGNORECASE)

# Built-in roles the collection assigns.  GUIDs are fixed across all tenants (Azure built-in roles
# reference; cross-checked in public Bicep/azd templates).  Descriptions as Azure publishes them.
# Microsoft has since renamed 53ca6127/eadc314b to "Foundry User"/"Foundry Project Manager" in the
# portal; we keep the role names the collection and the lab refer to.
BUILTIN_ROLES: dict[str, tuple[str, str]] = {
    "a97b65f3-24c7-4388-baec-2e87135dc908": (
        "Cognitive Services User", "Lets you read and list keys of Cognitive Services."),
    "5e0bd9bd-7b93-4f28-af87-19fc36ad61bd": (
        "Cognitive Services OpenAI User",
        "Read access to view files, models, deployments. The ability to create completion and embedding calls."),
    "a001fd3d-188f-4b5d-821b-7da978bf7442": (
        "Cognitive Services OpenAI Contributor",
        "Full access including the ability to fine-tune, deploy and generate text"),
    "eadc314b-1a2d-4efa-be10-5d325db5065e": (
        "Azure AI Project Manager",
        "Grants permission to perform management actions on Azure AI Foundry projects, build and develop "
        "with projects, and conditionally assign the Azure AI User role to other user principals."),
    "53ca6127-db72-4b80-b1b0-d745d6d5456d": (
        "Azure AI User",
        "Grants reader access to AI projects, reader access to AI accounts, and data actions for an AI project."),
    "acdd72a7-3385-48ef-bd42-f606fba81ae7": (
        "Reader", "View all resources, but does not allow you to make any changes."),
    "b24988ac-6180-42a0-ab88-20f7382dd24c": (
        "Contributor",
        "Grants full access to manage all resources, but does not allow you to assign roles in Azure RBAC, "
        "manage assignments in Azure Blueprints, or share image galleries."),
    "8e3af657-a8ff-443c-a75c-2fe8c4bcb635": (
        "Owner", "Grants full access to manage all resources, including the ability to assign roles in Azure RBAC."),
    "3913510d-42f4-4e42-8a64-420c390055eb": (
        "Monitoring Metrics Publisher", "Enables publishing metrics against Azure resources"),
    "312a565d-c81f-4fd8-895a-4e21e48d571c": (
        "API Management Service Contributor", "Can manage service and the APIs"),
    "71522526-b88f-4d52-b57f-d31fc3546d0d": (
        "API Management Service Reader Role", "Read-only access to service and APIs"),
}


def _permission(actions=(), not_actions=(), data_actions=(), not_data_actions=()) -> dict:
    return {"actions": list(actions), "notActions": list(not_actions), "dataActions": list(data_actions),
            "notDataActions": list(not_data_actions)}


_COGNITIVE_READ = ("Microsoft.CognitiveServices/*/read", "Microsoft.Authorization/roleAssignments/read",
                   "Microsoft.Authorization/roleDefinitions/read")

# Each built-in role's permissions block, as Microsoft Learn's "Azure built-in roles" pages list it (General,
# Integration, AI + machine learning, Monitor).  For the Cognitive Services / Foundry roles, whose data-action
# lists are long, the actions are Learn's and the data actions are their common prefix.
# Contributor's notActions: learn.microsoft.com/azure/role-based-access-control/built-in-roles/privileged#contributor
# (Microsoft.Authorization/*/Write and */Delete: no role assignment, no purge of anything under Authorization).
BUILTIN_PERMISSIONS: dict[str, dict] = {
    "8e3af657-a8ff-443c-a75c-2fe8c4bcb635": _permission(["*"]),
    "b24988ac-6180-42a0-ab88-20f7382dd24c": _permission(["*"], [
        "Microsoft.Authorization/*/Delete", "Microsoft.Authorization/*/Write",
        "Microsoft.Authorization/elevateAccess/Action", "Microsoft.Blueprint/blueprintAssignments/write",
        "Microsoft.Blueprint/blueprintAssignments/delete", "Microsoft.Compute/galleries/share/action",
        "Microsoft.Purview/consents/write", "Microsoft.Purview/consents/delete",
        "Microsoft.Resources/deploymentStacks/manageDenySetting/action", "Microsoft.Subscription/cancel/action",
        "Microsoft.Subscription/enable/action"]),
    "acdd72a7-3385-48ef-bd42-f606fba81ae7": _permission(["*/read"]),
    "312a565d-c81f-4fd8-895a-4e21e48d571c": _permission([
        "Microsoft.ApiManagement/service/*", "Microsoft.Authorization/*/read", "Microsoft.Insights/alertRules/*",
        "Microsoft.ResourceHealth/availabilityStatuses/read", "Microsoft.Resources/deployments/*",
        "Microsoft.Resources/subscriptions/resourceGroups/read", "Microsoft.Support/*"]),
    "71522526-b88f-4d52-b57f-d31fc3546d0d": _permission([
        "Microsoft.ApiManagement/service/*/read", "Microsoft.ApiManagement/service/read",
        "Microsoft.Authorization/*/read", "Microsoft.Insights/alertRules/*",
        "Microsoft.ResourceHealth/availabilityStatuses/read", "Microsoft.Resources/deployments/*",
        "Microsoft.Resources/subscriptions/resourceGroups/read", "Microsoft.Support/*"],
        ["Microsoft.ApiManagement/service/users/keys/read"]),
    "a97b65f3-24c7-4388-baec-2e87135dc908": _permission([
        "Microsoft.CognitiveServices/*/read", "Microsoft.CognitiveServices/accounts/listkeys/action",
        "Microsoft.Insights/alertRules/read", "Microsoft.Insights/diagnosticSettings/read",
        "Microsoft.Insights/logDefinitions/read", "Microsoft.Insights/metricdefinitions/read",
        "Microsoft.Insights/metrics/read", "Microsoft.ResourceHealth/availabilityStatuses/read",
        "Microsoft.Resources/deployments/operations/read", "Microsoft.Resources/subscriptions/operationresults/read",
        "Microsoft.Resources/subscriptions/read", "Microsoft.Resources/subscriptions/resourceGroups/read",
        "Microsoft.Support/*"], data_actions=["Microsoft.CognitiveServices/*"]),
    "5e0bd9bd-7b93-4f28-af87-19fc36ad61bd": _permission(
        _COGNITIVE_READ, data_actions=["Microsoft.CognitiveServices/accounts/OpenAI/*/read",
                                       "Microsoft.CognitiveServices/accounts/OpenAI/*/action"]),
    "a001fd3d-188f-4b5d-821b-7da978bf7442": _permission(
        _COGNITIVE_READ + ("Microsoft.CognitiveServices/accounts/deployments/write",
                           "Microsoft.CognitiveServices/accounts/deployments/delete",
                           "Microsoft.CognitiveServices/accounts/raiPolicies/write",
                           "Microsoft.CognitiveServices/accounts/raiPolicies/delete"),
        data_actions=["Microsoft.CognitiveServices/accounts/OpenAI/*"]),
    "eadc314b-1a2d-4efa-be10-5d325db5065e": _permission(
        ("Microsoft.CognitiveServices/*/read", "Microsoft.Authorization/*/read",
         "Microsoft.CognitiveServices/accounts/projects/*", "Microsoft.Authorization/roleAssignments/write",
         "Microsoft.Authorization/roleAssignments/delete"), data_actions=["Microsoft.CognitiveServices/*"]),
    "53ca6127-db72-4b80-b1b0-d745d6d5456d": _permission(
        ("Microsoft.CognitiveServices/*/read", "Microsoft.Authorization/*/read"),
        data_actions=["Microsoft.CognitiveServices/*"]),
    "3913510d-42f4-4e42-8a64-420c390055eb": _permission(
        ("Microsoft.Insights/Register/Action", "Microsoft.Support/*",
         "Microsoft.Resources/subscriptions/resourceGroups/read"),
        data_actions=["Microsoft.Insights/Metrics/Write", "Microsoft.Insights/Telemetry/Write"]),
}


def role_definition_id(subscription_id: str, guid: str) -> str:
    return f"/subscriptions/{subscription_id}/providers/{DEFINITION_TYPE}/{guid}"


def role_definition_body(subscription_id: str, guid: str) -> dict:
    role_name, description = BUILTIN_ROLES[guid]
    return {
        "id": role_definition_id(subscription_id, guid),
        "name": guid,
        "type": DEFINITION_TYPE,
        "properties": {
            "roleName": role_name,
            "type": "BuiltInRole",
            "description": description,
            "assignableScopes": ["/"],
            "permissions": [BUILTIN_PERMISSIONS[guid]],
            "createdOn": None,
            "updatedOn": None,
            "createdBy": None,
            "updatedBy": None,
        },
    }


def assignment_scope(resource_id: str) -> str:
    """The scope an assignment id sits on: everything before /providers/Microsoft.Authorization/..."""
    cut = resource_id.lower().rfind(_ASSIGNMENT_SEGMENT)
    return resource_id[:cut] if cut > 0 else "/"


def _same(a: str | None, b: str | None) -> bool:
    return (a or "").lower() == (b or "").lower()


def _builtin_guid(ctx, definition_id: str) -> str | None:
    match = _DEFINITION_ID.match(definition_id or "")
    if not match or not _same(match["sub"], ctx.subscription_id):
        return None
    guid = match["guid"].lower()
    return guid if guid in BUILTIN_ROLES else None


def _fill_unset(props: dict) -> None:
    """Azure returns the optional assignment properties as explicit nulls."""
    for key in ("condition", "conditionVersion", "description", "delegatedManagedIdentityResourceId"):
        props.setdefault(key, None)


class RoleAssignmentKind(ResourceKind):
    type_name = ASSIGNMENT_TYPE
    api_versions = ("2022-04-01",)
    scope = "extension"
    has_location = False
    delete_status = 200

    def delete_body(self, ctx, current):
        return current

    def filter_list(self, ctx, items, filter_text):
        """The documented $filter forms of the 2022-04-01 list operations: none -> assignments at, above and
        below the scope; atScope() -> at or above; principalId eq '{id}' and assignedTo('{id}') -> that
        principal's (no groups here, so the two agree); `and` combines them."""
        scope = ctx.resource_id[:ctx.resource_id.lower().rfind("/providers/")] or "/"
        text = filter_text or ""
        at_scope_only = "atscope()" in text.replace(" ", "").lower()
        principal = (re.search(r"principalId\s+eq\s+'([^']*)'", text, re.IGNORECASE)
                     or re.search(r"assignedTo\(\s*'([^']*)'\s*\)", text, re.IGNORECASE))
        found = []
        for item in ctx.store.list_type(ASSIGNMENT_TYPE, f"/subscriptions/{ctx.subscription_id}/"):
            props = item.get("properties") or {}
            item_scope = props.get("scope") or assignment_scope(item.get("id", ""))
            if not (rbac.within(scope, item_scope) or (not at_scope_only and rbac.within(item_scope, scope))):
                continue
            if principal and not _same(props.get("principalId"), principal.group(1)):
                continue
            found.append(item)
        return found

    def validate(self, ctx, body, current):
        props = body.get("properties") or {}
        if not _GUID.match(ctx.name or ""):
            # Code as Azure reports it; the references hold no verbatim message for this one.
            raise ArmError(400, "InvalidRoleAssignmentId",
                           f"The role assignment ID '{ctx.name}' is not valid. The role assignment ID must be a GUID.")
        definition_id = props.get("roleDefinitionId", "")
        if _builtin_guid(ctx, definition_id) is None:
            # Code and message as asserted by Azure PowerShell's own RBAC tests.
            guid = definition_id.rsplit("/", 1)[-1]
            raise ArmError(400, "RoleDefinitionDoesNotExist",
                           f"The specified role definition with ID '{guid}' does not exist.")
        scope = assignment_scope(ctx.resource_id)
        if current is not None:
            old = current.get("properties") or {}
            # Real message (Azure/Azure-Landing-Zones#2040, OfficeDev company-communicator#569): 400.
            if not (_same(old.get("principalId"), props.get("principalId"))
                    and _same(old.get("roleDefinitionId"), definition_id)):
                raise ArmError(400, "RoleAssignmentUpdateNotPermitted",
                               "Tenant ID, application ID, principal ID, and scope are not allowed to be updated.")
            return
        principal = props.get("principalId") or ""
        if not props.get("principalType") and propagation.replicating(ctx.store, ctx.subscription_id, principal,
                                                                       ctx.now):
            # Azure's answer for a principal still replicating (Learn, Troubleshoot Azure RBAC, "Assigning a role
            # to a new principal sometimes fails"); principalType skips the lookup.
            raise ArmError(400, "PrincipalNotFound", (
                f"Principal {principal.replace('-', '')} does not exist in the directory {ctx.tenant_id}. Check that "
                "you have the correct principal ID. If you are creating this principal and then immediately "
                "assigning a role, this error might be related to a replication delay. In this case, set the role "
                "assignment principalType property to a value, such as ServicePrincipal, User, or Group.  See "
                "https://aka.ms/docs-principaltype"))
        for other in ctx.store.list_type(ASSIGNMENT_TYPE, ""):
            other_props = other.get("properties") or {}
            if (_same(other_props.get("scope"), scope)
                    and _same(other_props.get("principalId"), props.get("principalId"))
                    and _same(other_props.get("roleDefinitionId"), definition_id)
                    and not _same(other.get("name"), ctx.name)):
                # 409 with this exact message (azure-search-openai-demo#1091, azd deployments).
                raise ArmError(409, "RoleAssignmentExists", "The role assignment already exists.")

    def on_create(self, ctx, body):
        props = body.setdefault("properties", {})
        now = ctx.now_iso()
        props["scope"] = assignment_scope(ctx.resource_id)
        _fill_unset(props)
        props["createdOn"] = now
        props["updatedOn"] = now
        props["createdBy"] = ctx.client_id
        props["updatedBy"] = ctx.client_id
        return None

    def on_update(self, ctx, current, body):
        props = body.setdefault("properties", {})
        old = current.get("properties") or {}
        for key in ("scope", "createdOn", "createdBy"):
            props[key] = old.get(key)
        _fill_unset(props)
        props["updatedOn"] = ctx.now_iso()
        props["updatedBy"] = ctx.client_id


def _definition_filter_name(filter_text: str | None) -> str | None:
    """`roleName eq 'Reader'` -> Reader (the only filter the role definitions list supports besides type)."""
    if not filter_text:
        return None
    match = re.search(r"roleName\s+eq\s+'([^']*)'", filter_text, re.IGNORECASE)
    return match.group(1) if match else None


def role_definitions(ctx, groups):
    """GET {scope}/providers/Microsoft.Authorization/roleDefinitions[/{guid}] at any scope.  Built-in
    definitions answer with their subscription-level id whatever the scope asked."""
    guid = groups.get("guid")
    if guid:
        if guid.lower() not in BUILTIN_ROLES:
            raise ArmError(404, "RoleDefinitionDoesNotExist",
                           f"The specified role definition with ID '{guid}' does not exist.")
        return 200, role_definition_body(ctx.subscription_id, guid.lower()), {}
    wanted = _definition_filter_name((ctx.query or {}).get("$filter"))
    value = [role_definition_body(ctx.subscription_id, key) for key, (name, _) in BUILTIN_ROLES.items()
             if wanted is None or name.lower() == wanted.lower()]
    return 200, {"value": value}, {}


def effective_permissions(store, subscription_id: str, client_id: str, object_id: str, scope: str) -> list[dict]:
    """The permissions blocks of the caller's roles at or above `scope`: its standing role (rbac.py), then one per
    role assignment of its object id in the store."""
    value = []
    standing = rbac.standing_role(store, subscription_id, client_id)
    if standing and rbac.within(scope, standing[1]):
        value.append(BUILTIN_PERMISSIONS[standing[0]])
    for item in store.list_type(ASSIGNMENT_TYPE, f"/subscriptions/{subscription_id}/"):
        props = item.get("properties") or {}
        match = _DEFINITION_ID.match(props.get("roleDefinitionId", ""))
        guid = match["guid"].lower() if match and _same(match["sub"], subscription_id) else None
        if (guid in BUILTIN_PERMISSIONS and _same(props.get("principalId"), object_id)
                and rbac.within(scope, props.get("scope") or assignment_scope(item.get("id", "")))):
            value.append(BUILTIN_PERMISSIONS[guid])
    return value


def permissions(ctx, groups):
    """GET {scope}/providers/Microsoft.Authorization/permissions: the caller's effective permissions at the scope.
    Azure answers one entry per role assignment of the caller (its token's oid) at or above the scope; the caller
    then matches an action against each entry's actions minus its notActions. The subscription scope is not in
    Microsoft's definitions, yet Azure answers it (Azure/azure-rest-api-specs#19473)."""
    scope = f"/subscriptions/{ctx.subscription_id}" + (f"/{groups['scope']}" if groups.get("scope") else "")
    value = effective_permissions(ctx.store, ctx.subscription_id, ctx.client_id, ctx.object_id, scope)
    return 200, {"value": value, "nextLink": None}, {}


_SCOPE = r"(?:(?P<scope>resourceGroups/.+)/)?providers/Microsoft\.Authorization"

PROVIDER = Provider(
    namespace="Microsoft.Authorization",
    kinds=[RoleAssignmentKind()],
    routes=[
        Route("GET", _SCOPE + r"/roleDefinitions(?:/(?P<guid>[^/]+))?", role_definitions, ("2022-04-01",),
              base="subscription", type_name=DEFINITION_TYPE),
        Route("GET", _SCOPE + r"/permissions", permissions, ("2022-04-01",), base="subscription"),
    ],
)
