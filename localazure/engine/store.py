"""SQLite state of the endpoint: resources, long-running operations and provider key/value records.

WAL journal; every request runs its writes inside one `transaction()` (BEGIN IMMEDIATE .. COMMIT),
so a crash mid-request leaves the previous state.  aiohttp runs handlers on one event loop and the
store is only used synchronously between awaits, so one connection is enough."""
from __future__ import annotations

import contextlib
import json
import sqlite3
from pathlib import Path
from typing import Any, Iterator

from localazure.engine.contract import JSON, StoreApi

_SCHEMA = """
CREATE TABLE IF NOT EXISTS resources (
    key TEXT PRIMARY KEY,          -- lower-cased resource id
    type TEXT NOT NULL,            -- lower-cased type name
    body TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS resources_type ON resources(type);
CREATE TABLE IF NOT EXISTS operations (
    id TEXT PRIMARY KEY,
    resource_key TEXT NOT NULL,
    done INTEGER NOT NULL,
    due REAL NOT NULL,
    data TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS operations_pending ON operations(done, due);
CREATE TABLE IF NOT EXISTS kv (
    tbl TEXT NOT NULL,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (tbl, key)
);
"""


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


class Store(StoreApi):
    def __init__(self, path: Path):
        self._db = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)
        self._depth = 0

    def close(self) -> None:
        self._db.close()

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        """All writes inside commit together or not at all (nested uses join the outer one)."""
        if self._depth:
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
            return
        self._db.execute("BEGIN IMMEDIATE")
        self._depth = 1
        try:
            yield
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        else:
            self._db.execute("COMMIT")
        finally:
            self._depth = 0

    # --- resources -----------------------------------------------------------------------------
    def get(self, resource_id: str) -> JSON | None:
        row = self._db.execute("SELECT body FROM resources WHERE key = ?", (resource_id.lower(),)).fetchone()
        return json.loads(row[0]) if row else None

    def put(self, resource_id: str, type_name: str, body: JSON) -> None:
        self._db.execute("INSERT OR REPLACE INTO resources(key, type, body) VALUES (?, ?, ?)",
                         (resource_id.lower(), type_name.lower(), json.dumps(body)))

    def tree(self, resource_id: str) -> list[tuple[str, JSON]]:
        """(type, body) of the resource and everything below it, deepest first."""
        key = resource_id.lower()
        rows = self._db.execute(
            "SELECT key, type, body FROM resources WHERE key = ? OR key LIKE ? ESCAPE '\\'",
            (key, _escape_like(key) + "/%")).fetchall()
        rows.sort(key=lambda row: -len(row[0]))
        return [(row[1], json.loads(row[2])) for row in rows]

    def delete_tree(self, resource_id: str) -> None:
        key = resource_id.lower()
        self._db.execute("DELETE FROM resources WHERE key = ? OR key LIKE ? ESCAPE '\\'",
                         (key, _escape_like(key) + "/%"))

    def list_type(self, type_name: str, prefix: str) -> list[JSON]:
        rows = self._db.execute(
            "SELECT body FROM resources WHERE type = ? AND key LIKE ? ESCAPE '\\' ORDER BY key",
            (type_name.lower(), _escape_like(prefix.lower()) + "%")).fetchall()
        return [json.loads(row[0]) for row in rows]

    def wipe_resources(self) -> None:
        for table in ("resources", "operations", "kv"):
            self._db.execute(f"DELETE FROM {table}")

    # --- operations ----------------------------------------------------------------------------
    def put_operation(self, operation: dict[str, Any]) -> None:
        self._db.execute(
            "INSERT OR REPLACE INTO operations(id, resource_key, done, due, data) VALUES (?, ?, ?, ?, ?)",
            (operation["id"], operation["resource_id"].lower(), int(operation["done"]), operation["due"],
             json.dumps(operation)))

    def get_operation(self, operation_id: str) -> dict[str, Any] | None:
        row = self._db.execute("SELECT data FROM operations WHERE id = ?", (operation_id.lower(),)).fetchone()
        return json.loads(row[0]) if row else None

    def due_operations(self, now: float) -> list[dict[str, Any]]:
        rows = self._db.execute("SELECT data FROM operations WHERE done = 0 AND due <= ? ORDER BY due",
                                (now,)).fetchall()
        return [json.loads(row[0]) for row in rows]

    def pending_operations(self) -> list[dict[str, Any]]:
        rows = self._db.execute("SELECT data FROM operations WHERE done = 0 ORDER BY due").fetchall()
        return [json.loads(row[0]) for row in rows]

    def pending_operation_on(self, resource_id: str) -> dict[str, Any] | None:
        row = self._db.execute("SELECT data FROM operations WHERE done = 0 AND resource_key = ?",
                               (resource_id.lower(),)).fetchone()
        return json.loads(row[0]) if row else None

    # --- provider records ----------------------------------------------------------------------
    def kv_get(self, table: str, key: str) -> JSON | None:
        row = self._db.execute("SELECT value FROM kv WHERE tbl = ? AND key = ?", (table, key)).fetchone()
        return json.loads(row[0]) if row else None

    def kv_put(self, table: str, key: str, value: JSON) -> None:
        self._db.execute("INSERT OR REPLACE INTO kv(tbl, key, value) VALUES (?, ?, ?)",
                         (table, key, json.dumps(value)))

    def kv_delete(self, table: str, key: str) -> None:
        self._db.execute("DELETE FROM kv WHERE tbl = ? AND key = ?", (table, key))

    def kv_list(self, table: str, prefix: str = "") -> list[tuple[str, JSON]]:
        rows = self._db.execute("SELECT key, value FROM kv WHERE tbl = ? AND key LIKE ? ESCAPE '\\' ORDER BY key",
                                (table, _escape_like(prefix) + "%")).fetchall()
        return [(row[0], json.loads(row[1])) for row in rows]
