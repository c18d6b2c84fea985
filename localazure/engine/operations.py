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


def settle(store, now: float, complete: Callable[[Operation], None]) -> None:
    """Apply every operation that is due (called before each request is handled)."""
    for record in store.due_operations(now):
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
