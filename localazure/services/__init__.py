"""One package per Azure service (services/<namespace>/), each exporting SERVICE from its __init__.py: its ARM kinds
(a Provider) and its test controls. `discover()` finds them; providers added with `register()` join them (tests
load theirs with `serve --extra-provider module:attr`)."""
from __future__ import annotations

import dataclasses
import importlib
import pkgutil
from typing import Sequence

from localazure.engine.contract import Provider

_extra: list[Provider] = []


@dataclasses.dataclass(frozen=True)
class Service:
    provider: Provider                 # ARM kinds and routes
    controls: Sequence = ()            # ControlRoute: test controls, mounted under /localazure/<package>/

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
