"""Provider modules: every localazure/providers/*.py that defines PROVIDER, plus providers added with
`register()` (tests load theirs with `serve --extra-provider module:attr`)."""
from __future__ import annotations

import importlib
import pkgutil

from localazure.engine.contract import Provider

_extra: list[Provider] = []


def register(provider: Provider) -> None:
    """Add a provider (test-only kinds) before the server starts."""
    _extra.append(provider)


def load_extra(spec: str) -> None:
    """`module:attr` naming a Provider (or a list of them)."""
    module_name, _, attr = spec.partition(":")
    value = getattr(importlib.import_module(module_name), attr or "PROVIDER")
    for provider in value if isinstance(value, (list, tuple)) else [value]:
        register(provider)


def discover() -> list[Provider]:
    found = []
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda item: item.name):
        module = importlib.import_module(f"{__name__}.{info.name}")
        provider = getattr(module, "PROVIDER", None)
        if isinstance(provider, Provider):
            found.append(provider)
    return found + list(_extra)
