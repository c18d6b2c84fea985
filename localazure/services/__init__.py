"""One package per Azure service (services/<namespace>/), each exporting SERVICE from its __init__.py: its ARM kinds
(a Provider), its data planes and its test controls. `services()` finds them and server.py mounts what they declare;
providers added with `register()` join the ARM kinds (tests load theirs with `serve --extra-provider module:attr`).

A service reads another only through that service's state.py; the engine imports no service."""
from __future__ import annotations

import dataclasses
import importlib
import pkgutil
from pathlib import Path
from typing import Any, Awaitable, Callable, Sequence

from aiohttp import web

from localazure.engine.contract import ArmError, Provider
from localazure.engine.events import Events

_extra: list[Provider] = []


@dataclasses.dataclass
class Env:
    """What a service's planes and controls may use; nothing else is reachable. `shared` holds what services offer
    each other at run time (`Service.offers`): "logs" (operationalinsights' Workspaces), "model_host"
    (cognitiveservices' ModelHost)."""
    store: Any
    clock: Callable[[], float]
    identity: Any
    settle: Callable[[], None]
    ca_file: Path
    events: Events
    shared: dict = dataclasses.field(default_factory=dict)


@dataclasses.dataclass(frozen=True)
class Plane:
    """A data plane: its routes, all under /<prefix>/ (the request log's kind for them)."""
    prefix: str
    routes: Sequence[web.RouteDef]


@dataclasses.dataclass(frozen=True)
class Control:
    """A test control, mounted at /localazure/<service package>/<path>; a bad request raises ArmError (400)."""
    method: str
    path: str
    handler: Callable[[web.Request], Awaitable[web.StreamResponse]]


def settings_controls(env: "Env", path: str, error_code: str, read, configure, clear) -> list[Control]:
    """GET, POST and DELETE of one kind of test setting kept in the store: `read(store)` shows it,
    `configure(store, body)` sets it (ValueError: a 400 with `error_code`), `clear(store)` resets it."""
    async def get(request):
        return web.json_response(read(env.store))

    async def post(request):
        try:
            body = await request.json()
        except ValueError as error:
            raise ArmError(400, error_code, str(error)) from None
        with env.store.transaction():
            try:
                return web.json_response(configure(env.store, body))
            except ValueError as error:
                raise ArmError(400, error_code, str(error)) from None

    async def delete(request):
        with env.store.transaction():
            return web.json_response(clear(env.store))

    return [Control("GET", path, get), Control("POST", path, post), Control("DELETE", path, delete)]


@dataclasses.dataclass(frozen=True)
class Service:
    provider: Provider                                       # ARM kinds and routes
    offers: Callable[[Env], dict] | None = None              # run-time objects for other services (Env.shared)
    planes: Callable[[Env], Sequence[Plane]] | None = None   # built after every service's offers
    controls: Callable[[Env], Sequence[Control]] | None = None
    # A check every ARM request passes before the engine sees it: (method, path, token claims); raises ArmError to
    # refuse (the authorization service's RBAC).
    gate: Callable[[Env], Callable[[str, str, dict], None]] | None = None

    @property
    def namespace(self) -> str:
        return self.provider.namespace


def register(provider: Provider) -> None:
    """Add a provider (test-only kinds) before the server starts."""
    _extra.append(provider)


def load_extra(spec: str) -> None:
    """`module:attr` naming a Provider (or a list of them)."""
    module_name, _, attr = spec.partition(":")
    value = getattr(importlib.import_module(module_name), attr or "PROVIDER")
    for provider in value if isinstance(value, (list, tuple)) else [value]:
        register(provider)


def services() -> dict[str, Service]:
    """Every services/<package>/ that exports SERVICE, by package name."""
    found = {}
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda item: item.name):
        if info.ispkg:
            service = getattr(importlib.import_module(f"{__name__}.{info.name}"), "SERVICE", None)
            if isinstance(service, Service):
                found[info.name] = service
    return found


def discover() -> list[Provider]:
    return [service.provider for service in services().values()] + list(_extra)
