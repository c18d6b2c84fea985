"""DIR/requests.jsonl: one line per request, never bodies, tokens, secrets or keys."""
from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import Any

# POSTs that only read (ARM counts them as reads for throttling as well).
_READ_ACTIONS = ("list", "checknameavailability", "checkdomainavailability")


def classify(method: str, path: str) -> str:
    method = method.upper()
    if method in ("GET", "HEAD"):
        return "read"
    if method == "POST" and path.rstrip("/").rsplit("/", 1)[-1].lower().startswith(_READ_ACTIONS):
        return "read"
    return "write"


class RequestLog:
    def __init__(self, path: Path):
        self.path = path
        self._lock = threading.Lock()

    def append(self, *, method: str, path: str, api_version: str | None, status: int, started: float,
               kind: str, conformance: Any) -> None:
        line = {"time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(started)), "method": method,
                "path": path, "api_version": api_version, "status": status,
                "duration_ms": round((time.time() - started) * 1000, 2), "kind": kind,
                "conformance": conformance}
        with self._lock, self.path.open("a", encoding="utf-8") as handle:
            handle.write(json.dumps(line) + "\n")

    def summary(self) -> dict[str, Any]:
        counts: dict[str, int] = {}
        failures = 0
        if self.path.exists():
            for raw in self.path.read_text(encoding="utf-8").splitlines():
                entry = json.loads(raw)
                counts[entry["kind"]] = counts.get(entry["kind"], 0) + 1
                failures += isinstance(entry["conformance"], list) and bool(entry["conformance"])
        return {"by_kind": counts, "total": sum(counts.values()), "conformance_failures": failures}
