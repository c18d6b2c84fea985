"""What other services may read of Microsoft.Authorization: whether a principal holds a role on a resource."""
from __future__ import annotations

from localazure.services.authorization import propagation
from localazure.services.authorization.assignments import ASSIGNMENT_TYPE, assignment_scope


def has_role(store, subscription_id: str, principal: str, resource_id: str, role_ids, now: float | None = None) -> bool:
    """An assignment of one of `role_ids` (role definition GUIDs, lower case) to `principal` at `resource_id` or at
    any scope above it: Azure RBAC inherits downwards. With `now` (the endpoint's clock), an assignment counts only
    once it has taken effect (propagation.py: a configured propagation delay after its createdOn)."""
    target = resource_id.lower()
    for assignment in store.list_type(ASSIGNMENT_TYPE, f"/subscriptions/{subscription_id}"):
        props = assignment.get("properties") or {}
        scope = (props.get("scope") or assignment_scope(assignment["id"])).lower().rstrip("/")
        role = (props.get("roleDefinitionId") or "").rsplit("/", 1)[-1].lower()
        covers = target == scope or target.startswith(scope + "/")
        if covers and role in role_ids and (props.get("principalId") or "").lower() == (principal or "").lower():
            if now is None or propagation.effective(store, assignment, now):
                return True
    return False
