"""Azure RBAC on the endpoint's ARM: who may do what, and the answer Azure gives to a caller who may not.

The caller's effective permissions at a scope are the permissions blocks of its role assignments at or above the
scope (Microsoft Learn, "Understand scope for Azure RBAC": access is inherited downwards). An action is allowed when
one block's actions match it and that same block's notActions do not (Learn, "Understand Azure role definitions",
NotActions: notActions are no deny, another role may still grant the action); `*` matches any run of characters.

The standing role. A real caller holds roles assigned outside what the collection makes (by an administrator, often
on a management group). Until a test says otherwise, every principal calling ARM holds Owner on the subscription
(the endpoint's behaviour so far: everything allowed). PUT /localazure/authorization/standing-role gives the
endpoint's service principal another standing role at a narrower scope, or none: from then on its writes are
checked against the standing role plus the role assignments in the store, and a write it may not make is refused
as Azure refuses it, 403 AuthorizationFailed (message as ARM words it, quoted verbatim in public issue threads,
e.g. Azure/ARO-RP#66). Reads are not checked (Azure checks them too: a leniency, listed in localazure/README.md).
"""
from __future__ import annotations

import re

from localazure.engine.contract import ArmError
from localazure.engine.ids import parse

STANDING_ROLE = "standing_role"        # kv table: "caller" -> {"client_id", "role" (GUID or None), "scope"}
OWNER = "8e3af657-a8ff-443c-a75c-2fe8c4bcb635"
CHECKED_METHODS = ("PUT", "PATCH", "DELETE", "POST")


def within(child: str, parent: str) -> bool:
    child, parent = child.lower().rstrip("/"), parent.lower().rstrip("/")
    return child == parent or child.startswith(parent + "/")


def _matches(wildcards, action: str) -> bool:
    return any(re.fullmatch(".*".join(re.escape(part) for part in wildcard.split("*")), action, re.IGNORECASE)
               for wildcard in wildcards or ())


def allows(permission: dict, action: str) -> bool:
    return _matches(permission.get("actions"), action) and not _matches(permission.get("notActions"), action)


def standing_role(store, subscription_id: str, client_id: str) -> tuple[str, str] | None:
    """(role GUID, scope) the principal holds outside the store's assignments, or None."""
    record = store.kv_get(STANDING_ROLE, "caller")
    if record is None:
        return OWNER, f"/subscriptions/{subscription_id}"
    if (record.get("client_id") or "").lower() != (client_id or "").lower():
        return OWNER, f"/subscriptions/{subscription_id}"
    return (record["role"], record["scope"]) if record.get("role") else None


def is_restricted(store, client_id: str) -> bool:
    record = store.kv_get(STANDING_ROLE, "caller")
    return record is not None and (record.get("client_id") or "").lower() == (client_id or "").lower()


def set_standing_role(store, client_id: str, role: str | None, scope: str | None) -> dict:
    record = {"client_id": client_id, "role": role, "scope": scope}
    store.kv_put(STANDING_ROLE, "caller", record)
    return record


def clear_standing_role(store) -> None:
    store.kv_delete(STANDING_ROLE, "caller")


def requested_action(method: str, path: str) -> tuple[str, str] | None:
    """(action, scope) an ARM request needs, in the operation names of Azure's provider operations list
    (Learn, "Azure resource provider operations"): {namespace}/{type}[/{child type}...]/{read|write|delete}, a POST
    {id}/{name} is {type}/{name}/action; a resource group is Microsoft.Resources/subscriptions/resourceGroups;
    registering a provider is {namespace}/register/action at the subscription."""
    arm = parse(path, method)
    if arm is None or arm.namespace is None:
        return None
    verb = {"PUT": "write", "PATCH": "write", "DELETE": "delete", "GET": "read", "HEAD": "read"}.get(method)
    if arm.type_name.lower() == "microsoft.resources/resourcegroups":
        return "Microsoft.Resources/subscriptions/resourceGroups/%s" % (verb or "action"), path
    if method == "POST" and not arm.names and arm.types:
        return "%s/%s/action" % (arm.namespace, "/".join(arm.types)), arm.scope
    if method == "POST":
        return "%s/%s/action" % (arm.type_name, arm.action or "action"), path
    return "%s/%s" % (arm.type_name, verb), path


def refusal(client_id: str, object_id: str, action: str, scope: str) -> ArmError:
    return ArmError(403, "AuthorizationFailed",
                    f"The client '{client_id}' with object id '{object_id}' does not have authorization to perform "
                    f"action '{action}' over scope '{scope}' or the scope is invalid. If access was recently granted, "
                    "please refresh your credentials.")
