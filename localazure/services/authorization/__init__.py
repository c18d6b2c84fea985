"""Microsoft.Authorization: role definitions and assignments (assignments.py), the caller's effective permissions,
RBAC on ARM writes for a service principal a test has given a narrower standing role (rbac.py), and the
assignments' eventual consistency (propagation.py, its controls in control.py)."""
from aiohttp import web

from localazure.engine.contract import ArmError
from localazure.services import Control, Env, Service
from localazure.services.authorization import control, rbac
from localazure.services.authorization.assignments import BUILTIN_ROLES, PROVIDER, effective_permissions


def _gate(env: Env):
    def check(method: str, path: str, claims: dict) -> None:
        client_id = claims.get("appid", "")
        if method.upper() not in rbac.CHECKED_METHODS or not rbac.is_restricted(env.store, client_id):
            return
        needed = rbac.requested_action(method.upper(), path)
        if needed is None:
            return
        action, scope = needed
        held = effective_permissions(env.store, env.identity.subscription_id, client_id, claims.get("oid", ""),
                                     scope)
        if not any(rbac.allows(block, action) for block in held):
            raise rbac.refusal(client_id, claims.get("oid", ""), action, scope)
    return check


def _role_guid(role) -> str | None:
    """A built-in role by name or GUID (None for none)."""
    if role is None:
        return None
    for guid, (name, _) in BUILTIN_ROLES.items():
        if str(role).lower() in (guid, name.lower()):
            return guid
    raise ArmError(400, "InvalidStandingRole", "unknown built-in role %r (one of: %s)"
                   % (role, ", ".join(name for name, _ in BUILTIN_ROLES.values())))


def _controls(env: Env) -> list[Control]:
    subscription = f"/subscriptions/{env.identity.subscription_id}"

    def describe():
        standing = rbac.standing_role(env.store, env.identity.subscription_id, env.identity.client_id)
        return {"client_id": env.identity.client_id,
                "restricted": rbac.is_restricted(env.store, env.identity.client_id),
                "role": BUILTIN_ROLES[standing[0]][0] if standing else None,
                "scope": standing[1] if standing else None}

    async def get_role(request):
        return web.json_response(describe())

    async def set_role(request):
        """{"role": "Contributor" (a built-in role's name or GUID) or null, "scope": an ARM scope in the endpoint's
        subscription (default: the subscription)}: the endpoint's service principal holds that role there, and
        its writes are checked from now on."""
        try:
            body = await request.json()
        except ValueError as error:
            raise ArmError(400, "InvalidStandingRole", str(error)) from None
        if not isinstance(body, dict) or set(body) - {"role", "scope"}:
            raise ArmError(400, "InvalidStandingRole", "the standing role takes role and scope, got %r" % (body,))
        scope = body.get("scope") or subscription
        if not rbac.within(scope, subscription):
            raise ArmError(400, "InvalidStandingRole", "scope %r is not in subscription %s" % (scope, subscription))
        with env.store.transaction():
            rbac.set_standing_role(env.store, env.identity.client_id, _role_guid(body.get("role")), scope)
        return web.json_response(describe())

    async def clear_role(request):
        with env.store.transaction():
            rbac.clear_standing_role(env.store)
        return web.json_response(describe())

    return [Control("GET", "standing-role", get_role), Control("PUT", "standing-role", set_role),
            Control("DELETE", "standing-role", clear_role)] + control.controls(env)


SERVICE = Service(PROVIDER, controls=_controls, gate=_gate)
