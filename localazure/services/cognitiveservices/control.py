"""Test controls of Cognitive Services, under /localazure/cognitiveservices/: a model host's throttle (a host answers
429 or 503 on purpose, so failover, retries and circuit breakers can be provoked without load) and the model
quota and the region capacity per region (quota.py)."""
from __future__ import annotations

from aiohttp import web

from localazure.engine.contract import ArmError
from localazure.services import Control, Env, settings_controls
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

    return [Control("GET", "model-hosts/throttles", list_throttles),
            Control("POST", "model-hosts/{account}/throttle", set_throttle),
            Control("DELETE", "model-hosts/{account}/throttle", clear_throttle),
            *settings_controls(env, "quota", "InvalidQuota", quota.quota_settings, quota.configure_quota,
                               quota.clear_quota),
            *settings_controls(env, "capacity", "InvalidCapacity", quota.capacity_settings, quota.configure_capacity,
                               quota.clear_capacity)]
