"""Microsoft.OperationalInsights: workspaces (ARM: workspaces.py), the rows that diagnostic settings send them
(logs.py Workspaces, offered to other services as Env.shared["logs"]) and the query API (logs.py QueryApi,
kql.py)."""
from localazure.services import Env, Plane, Service
from localazure.services.operationalinsights.logs import QueryApi, Workspaces
from localazure.services.operationalinsights.workspaces import PROVIDER


def _offers(env: Env) -> dict:
    return {"logs": Workspaces(env.store, env.identity.subscription_id, clock=env.clock)}


def _planes(env: Env) -> list[Plane]:
    return [Plane("loganalytics", QueryApi(env.identity, env.store, env.shared["logs"], clock=env.clock).routes())]


SERVICE = Service(PROVIDER, offers=_offers, planes=_planes)
