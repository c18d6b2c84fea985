"""Microsoft.Authorization's eventual consistency, on the endpoint's clock (tests move it: POST /localazure/clock).

- **Role propagation.** Azure caches role assignments: a new one "can take up to 10 minutes" to take effect
  (learn.microsoft.com/azure/role-based-access-control/troubleshooting, "Role assignment changes are not being
  detected"). With `assignment_seconds` set, a data plane (state.has_role) ignores an assignment until that many
  seconds after its `createdOn`.
- **Principal replication.** A role assignment for a principal created moments ago can be refused with 400
  `PrincipalNotFound` while the principal replicates in Microsoft Entra ID; setting `principalType` skips the lookup
  (same page, "Assigning a role to a new principal sometimes fails"). With `principal_replication_seconds` set, a
  create without `principalType` for a managed identity whose resource was created less than that many seconds
  ago is refused with Azure's message.

Both are off (0) unless set through the control endpoint `POST /localazure/authorization/propagation
{"assignment_seconds": 600, "principal_replication_seconds": 60}` (`GET` shows them, `DELETE` resets them)."""
from __future__ import annotations

import calendar
import time

SETTINGS_TABLE = "authorization.propagation"
SETTINGS_KEY = "settings"
DEFAULTS = {"assignment_seconds": 0, "principal_replication_seconds": 0}
LONGEST = 3600


def settings(store) -> dict:
    return dict(DEFAULTS, **(store.kv_get(SETTINGS_TABLE, SETTINGS_KEY) or {}))


def configure(store, body) -> dict:
    if not isinstance(body, dict) or not body or set(body) - set(DEFAULTS):
        raise ValueError("expected {\"assignment_seconds\": N, \"principal_replication_seconds\": N} (either or both)")
    for key, value in body.items():
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= LONGEST:
            raise ValueError(f"{key} must be a number of seconds from 0 to {LONGEST}, not {value!r}")
    store.kv_put(SETTINGS_TABLE, SETTINGS_KEY, dict(settings(store), **body))
    return settings(store)


def reset(store) -> dict:
    store.kv_delete(SETTINGS_TABLE, SETTINGS_KEY)
    return settings(store)


def epoch(stamp: str | None) -> float | None:
    """ARM's ISO time (2026-01-01T00:00:00.0000000Z) as seconds since the epoch; None when absent or unreadable."""
    if not stamp:
        return None
    whole, _, fraction = stamp.rstrip("Z").partition(".")
    try:
        seconds = calendar.timegm(time.strptime(whole, "%Y-%m-%dT%H:%M:%S"))
    except ValueError:
        return None
    return seconds + (float("0." + fraction) if fraction.isdigit() else 0.0)


def effective(store, assignment: dict, now: float) -> bool:
    """Whether a role assignment has taken effect at `now` (endpoint clock)."""
    delay = settings(store)["assignment_seconds"]
    created = epoch((assignment.get("properties") or {}).get("createdOn"))
    return not delay or created is None or created + delay <= now


def _principals(body: dict) -> set[str]:
    identity = body.get("identity") or {}
    found = {identity.get("principalId")}
    found.update((entry or {}).get("principalId") for entry in (identity.get("userAssignedIdentities") or {}).values())
    if str(body.get("type", "")).lower() == "microsoft.managedidentity/userassignedidentities":
        found.add((body.get("properties") or {}).get("principalId"))
    return {principal.lower() for principal in found if principal}


def principal_created_at(store, subscription_id: str, principal: str) -> float | None:
    """When the resource whose managed identity is `principal` was created; None for any other principal."""
    wanted = (principal or "").lower()
    for _type, body in store.tree(f"/subscriptions/{subscription_id}"):
        if wanted in _principals(body):
            return epoch((body.get("systemData") or {}).get("createdAt"))
    return None


def replicating(store, subscription_id: str, principal: str, now: float) -> bool:
    """A principal created less than principal_replication_seconds ago (endpoint clock): Entra may not know it yet."""
    window = settings(store)["principal_replication_seconds"]
    if not window:
        return False
    created = principal_created_at(store, subscription_id, principal)
    return created is not None and now < created + window
