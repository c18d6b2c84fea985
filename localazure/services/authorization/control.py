"""Test controls of Microsoft.Authorization, under /localazure/authorization/: the role propagation delay and the
principal replication window (propagation.py)."""
from __future__ import annotations

from aiohttp import web

from localazure.engine.contract import ArmError
from localazure.services import Control, Env
from localazure.services.authorization import propagation


def controls(env: Env) -> list[Control]:
    async def get_propagation(request):
        return web.json_response(propagation.settings(env.store))

    async def set_propagation(request):
        try:
            body = await request.json()
        except ValueError as error:
            raise ArmError(400, "InvalidPropagation", str(error)) from None
        with env.store.transaction():
            try:
                return web.json_response(propagation.configure(env.store, body))
            except ValueError as error:
                raise ArmError(400, "InvalidPropagation", str(error)) from None

    async def reset_propagation(request):
        with env.store.transaction():
            return web.json_response(propagation.reset(env.store))

    return [Control("GET", "propagation", get_propagation), Control("POST", "propagation", set_propagation),
            Control("DELETE", "propagation", reset_propagation)]
