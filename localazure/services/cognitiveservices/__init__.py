"""Microsoft.CognitiveServices: accounts, deployments, projects, connections, blocklists and model quota (ARM:
accounts.py, quota.py); the model host behind APIM's backends (modelhost.py, contentsafety.py); the Foundry project
data plane (foundry/); the test controls (control.py); what other services may read (state.py)."""
from aiohttp import web

from localazure.services import Env, Plane, Service
from localazure.services.cognitiveservices import control
from localazure.services.cognitiveservices.accounts import PROVIDER
from localazure.services.cognitiveservices.foundry.plane import ROUTE as FOUNDRY_ROUTE, FoundryProjects, forget_project
from localazure.services.cognitiveservices.modelhost import ModelHost
from localazure.services.cognitiveservices.state import PROJECT_TYPE


def _offers(env: Env) -> dict:
    return {"model_host": ModelHost(env.store, env.identity.subscription_id, clock=env.clock,
                                    validate_token=env.identity.validate)}


def _planes(env: Env) -> list[Plane]:
    env.events.on_deleted(PROJECT_TYPE, forget_project)   # a project's agents go with it (or with its account)
    projects = FoundryProjects(env.store, env.identity, env.settle, env.ca_file, env.clock)
    return [Plane("foundry", [web.route("*", FOUNDRY_ROUTE, projects.handle)])]


SERVICE = Service(PROVIDER, offers=_offers, planes=_planes, controls=control.controls)
