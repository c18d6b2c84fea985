"""Microsoft.ApiManagement: the service and its children (ARM: service.py, children.py, policies.py, common.py),
what other services may read (state.py) and the gateway data plane (gateway/)."""
from aiohttp import web

from localazure.services import Env, Plane, Service
from localazure.services.apimanagement.gateway.plane import ROUTE as GATEWAY_ROUTE, Gateway
from localazure.services.apimanagement.service import PROVIDER


def _planes(env: Env) -> list[Plane]:
    gateway = Gateway(env.store, env.identity.subscription_id, env.settle, clock=env.clock,
                      validate_token=env.identity.validate, logs=env.shared.get("logs"),
                      model_host=env.shared["model_host"])
    return [Plane("gateway", [web.route("*", GATEWAY_ROUTE, gateway.handle)])]


SERVICE = Service(PROVIDER, planes=_planes)
