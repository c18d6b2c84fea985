"""What the engine tells the services: a resource was deleted. A service that keeps state outside ARM about
another's resource subscribes here, so the owner of the resource need not know it (the Foundry project plane
forgets a project's agents when the project, or its account, is deleted)."""
from __future__ import annotations

from typing import Callable


class Events:
    def __init__(self):
        self._deleted: dict[str, list[Callable]] = {}

    def on_deleted(self, type_name: str, handler: Callable[[object, str], None]) -> None:
        """`handler(store, resource_id)` runs, in the deleting transaction, for every deleted resource of the type
        (a child deleted with its parent too)."""
        self._deleted.setdefault(type_name.lower(), []).append(handler)

    def deleted(self, store, resource_id: str, type_name: str) -> None:
        for handler in self._deleted.get(type_name.lower(), ()):
            handler(store, resource_id)
