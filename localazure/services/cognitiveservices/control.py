"""Test controls of Cognitive Services, under /localazure/cognitiveservices/: a model host's throttle (a host answers
429 or 503 on purpose, so failover, retries and circuit breakers can be provoked without load) and the model
quota and the region capacity per region (quota.py)."""
from __future__ import annotations

from aiohttp import web

from localazure.engine.contract import ArmError
from localazure.services import Control, Env
from localazure.services.cognitiveservices import quota


def controls(env: Env) -> list[Control]:
    throttles = env.shared["model_host"].throttles

    async def list_throttles(request):
        return web.json_response({"throttles": throttles.all()})

    async def set_throttle(request):
        """A model host (account name) answers 429 or 503 for a rate, a count or a duration of its requests."""
        try:
            answer = throttles.configure(request.match_info["account"], await request.json())
        except ValueError as error:
            raise ArmError(400, "InvalidThrottle", str(error)) from None
        return web.json_response(answer)

    async def clear_throttle(request):
        throttles.clear(request.match_info["account"])
        return web.json_response(throttles.describe(request.match_info["account"]))

    async def get_quota(request):
        return web.json_response(quota.quota_settings(env.store))

    async def set_quota(request):
        try:
            body = await request.json()
        except ValueError as error:
            raise ArmError(400, "InvalidQuota", str(error)) from None
        with env.store.transaction():
            try:
                return web.json_response(quota.configure_quota(env.store, body))
            except ValueError as error:
                raise ArmError(400, "InvalidQuota", str(error)) from None

    async def clear_quota(request):
        with env.store.transaction():
            return web.json_response(quota.clear_quota(env.store))

    async def get_capacity(request):
        return web.json_response(quota.capacity_settings(env.store))

    async def set_capacity(request):
        try:
            body = await request.json()
        except ValueError as error:
            raise ArmError(400, "InvalidCapacity", str(error)) from None
        with env.store.transaction():
            try:
                return web.json_response(quota.configure_capacity(env.store, body))
            except ValueError as error:
                raise ArmError(400, "InvalidCapacity", str(error)) from None

    async def clear_capacity(request):
        with env.store.transaction():
            return web.json_response(quota.clear_capacity(env.store))

    return [Control("GET", "model-hosts/throttles", list_throttles),
            Control("POST", "model-hosts/{account}/throttle", set_throttle),
            Control("DELETE", "model-hosts/{account}/throttle", clear_throttle),
            Control("GET", "quota", get_quota), Control("POST", "quota", set_quota),
            Control("DELETE", "quota", clear_quota), Control("GET", "capacity", get_capacity),
            Control("POST", "capacity", set_capacity), Control("DELETE", "capacity", clear_capacity)]
