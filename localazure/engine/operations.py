"""Long-running operations: created by writes, completed lazily once due (start + seconds * time_scale),
so a restart mid-operation loses nothing: the operation is in SQLite and completes on the next read."""
from __future__ import annotations

import dataclasses
import logging
import math
import time
import uuid
from typing import Any, Callable
from urllib.parse import quote

from localazure.engine.contract import JSON, Lro, Operation

MONITOR_STATUS = "operationStatuses"    # Azure-AsyncOperation monitor
MONITOR_RESULT = "operationResults"     # Location monitor


def iso(epoch: float) -> str:
    whole = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(epoch))
    return f"{whole}.{int((epoch % 1) * 10_000_000):07d}Z"


def new_operation(kind: str, resource_id: str, type_name: str, lro: Lro, time_scale: float, now: float, *,
                  failed: bool = False, result: JSON | None = None) -> Operation:
    error = ({"code": "InternalServerError",
              "message": "The operation failed with an internal error (fault injected by localazure)."}
             if failed else None)
    return Operation(id=str(uuid.uuid4()), kind=kind, resource_id=resource_id, type_name=type_name,
                     started=now, due=now + lro.seconds * time_scale, outcome="Failed" if failed else "Succeeded",
                     result=result, error=error)


def to_record(operation: Operation, extra: dict[str, Any]) -> dict[str, Any]:
    return {**dataclasses.asdict(operation), **extra}


def from_record(record: dict[str, Any]) -> Operation:
    fields = {field.name for field in dataclasses.fields(Operation)}
    return Operation(**{key: value for key, value in record.items() if key in fields})


def retry_after(operation: Operation, now: float) -> str:
    """Whole seconds >= 1: Retry-After 0 makes the SDK fall back to its 30 s polling interval."""
    return str(max(1, math.ceil(operation.due - now)))


def monitor_headers(operation: Operation, lro: Lro, base_url: str, subscription_id: str, namespace: str,
                    location: str, api_version: str, now: float) -> dict[str, str]:
    prefix = (f"{base_url}/subscriptions/{subscription_id}/providers/{namespace}/locations/"
              f"{quote(location or 'global', safe='')}")
    headers = {"Retry-After": retry_after(operation, now)}
    if lro.style in ("azure-async", "both"):
        headers["Azure-AsyncOperation"] = f"{prefix}/{MONITOR_STATUS}/{operation.id}?api-version={api_version}"
    if lro.style in ("location", "both"):
        headers["Location"] = f"{prefix}/{MONITOR_RESULT}/{operation.id}?api-version={api_version}"
    return headers


def status_body(operation: Operation, monitor_path: str, running_status: str = "InProgress") -> JSON:
    """The Azure-AsyncOperation monitor body (always served with 200); running_status from the Lro."""
    body: JSON = {"id": monitor_path, "name": operation.id,
                  "status": operation.outcome if operation.done else running_status,
                  "startTime": iso(operation.started)}
    if operation.done:
        body["endTime"] = iso(operation.due)
        if operation.error:
            body["error"] = operation.error
    return body


class Holds:
    """Operations of chosen resource types and kinds kept pending until released (POST/DELETE /localazure/holds):
    a benchmark lets everything else finish while API Management's create is still running, whatever the machine's
    speed, then releases it. A held operation keeps its own due time for Retry-After; it completes at its due time
    or at its release, whichever is later. The rules live in the process (like the clock's offset); the held mark
    is stored with the operation, so a release after a restart still finds it."""

    # "purge" holds the purge of a soft-deleted resource (an operation of kind action:purge, typed by its id:
    # Microsoft.ApiManagement/locations/deletedservices for an API Management service).
    KINDS = ("put", "delete", "purge")

    def __init__(self) -> None:
        self.rules: list[dict[str, str]] = []

    def add(self, settings: Any) -> list[dict[str, str]]:
        if not isinstance(settings, dict) or set(settings) - {"type", "operation"}:
            raise ValueError(f"a hold is {{\"type\": \"Namespace/type\", \"operation\": \"put\"|\"delete\"|\"purge\"}}, "
                             f"not {settings!r}")
        type_name, kind = settings.get("type"), settings.get("operation", "put")
        if not isinstance(type_name, str) or type_name.count("/") < 1 or "" in type_name.split("/"):
            raise ValueError(f"type must be a resource type such as Microsoft.ApiManagement/service, not {type_name!r}")
        if kind not in self.KINDS:
            raise ValueError(f"operation must be one of {', '.join(self.KINDS)}, not {kind!r}")
        rule = {"type": type_name, "operation": kind}
        if rule not in self.rules:
            self.rules.append(rule)
        return self.rules

    def holds(self, kind: str, type_name: str) -> bool:
        kind = "purge" if kind == "action:purge" else kind
        return any(rule["operation"] == kind and rule["type"].lower() == (type_name or "").lower()
                   for rule in self.rules)

    def release(self, store, now: float) -> list[dict[str, Any]]:
        """Drop every rule and let every held operation fall due (now at the earliest): what was released."""
        self.rules = []
        released = []
        for record in store.pending_operations():
            if record.get("held"):
                record["held"] = False
                record["scheduled_due"] = record["due"]     # when it would have completed unheld
                record["due"] = max(record["due"], now)
                store.put_operation(record)
                released.append({key: record[key] for key in ("id", "kind", "resource_id", "started", "due",
                                                              "scheduled_due")})
        return released


def settle(store, now: float, complete: Callable[[Operation], None]) -> None:
    """Apply every operation that is due and not held (called before each request is handled)."""
    for record in store.due_operations(now):
        if record.get("held"):
            continue
        operation = from_record(record)
        try:
            complete(operation)
        except Exception:   # a failing provider hook must not block every later request
            logging.exception("completing operation %s on %s failed", operation.id, operation.resource_id)
            operation.outcome = "Failed"
            operation.error = {"code": "InternalServerError", "message": "The operation failed. See server.log."}
        operation.done = True
        store.put_operation(to_record(operation, {k: v for k, v in record.items()
                                                  if k not in {f.name for f in dataclasses.fields(Operation)}}))
