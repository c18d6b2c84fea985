"""Soft delete, declared once per resource kind and run by the engine.

Several Azure services keep a deleted resource for a retention period: its name stays taken, a create with the
service's restore flag brings it back as it was (with the children it kept), the deleted resources are listed and
read under `.../locations/{location}/deleted...`, and a purge frees the name at once.  A kind declares the parts
that differ between services; this module runs the cycle:

    class AccountKind(ResourceKind):
        soft_delete = SoftDelete(table="cognitiveservices.deletedAccounts", name_scope="resourceGroup", ...)

  * delete: the resource, the children of `keeps_children` and its entries in `keeps_tables` are recorded;
  * create of a held name: with the restore flag the resource comes back (the request's other properties are
    ignored); without it `conflict` answers; a restore with nothing held answers `nothing_to_restore`.  A kind
    without a flag (`restore=None`) recovers when the same resource is created again in the same region;
  * retention over: the record is dropped and the name is free again, as Azure purges on `scheduledPurgeDate`;
  * `handlers()` are the list / get / purge routes; `routes()` registers them on the provider.

ResourceKind.__init_subclass__ (engine/contract.py) calls `attach` for a kind that declares one, so the cycle runs
around the kind's own on_create / on_delete wherever they are called.
"""
from __future__ import annotations

import copy
import dataclasses
from datetime import timedelta
from typing import Any, Callable

from localazure.engine.contract import ArmError, Lro, Route

JSON = dict[str, Any]
_SCOPES = ("global", "subscription", "resourceGroup")
_BY_TYPE: dict[str, "SoftDelete"] = {}     # type name (lower) -> declaration, for reads across services


@dataclasses.dataclass(frozen=True)
class SoftDelete:
    table: str                           # the key-value table holding the deleted resources
    name_scope: str                      # where one name is one resource: "global" | "subscription" | "resourceGroup"
    retention: timedelta | Callable[[JSON], timedelta]    # fixed, or read from the deleted resource
    restore: tuple[str, object] | None   # ("properties.restore", True) | ("properties.createMode", "recover") | None
    conflict: Callable[[Any, JSON], ArmError]              # (ctx, held resource): a create over a held name
    nothing_to_restore: Callable[[Any], ArmError] | None = None   # (ctx): the flag with nothing held
    not_found: Callable[[Any, dict], ArmError] | None = None      # (ctx, route groups): get / purge of nothing
    present: Callable[[Any, JSON], JSON] | None = None     # (ctx, record): the deleted resource as listed
    restores: tuple[str, ...] = ("properties",)            # fields a restore takes from the held resource
    keeps_children: tuple[str, ...] = ()                   # child types kept and brought back
    keeps_tables: tuple[str, ...] = ()                     # kv tables keyed by the resource's or a child's id
    kept_when: Callable[[Any, JSON], bool] | None = None   # (ctx, resource): False deletes at once (force)
    conflict_scope: str | None = None    # a held name also blocks creates here (default: name_scope)
    after_restore: Callable[[Any, JSON, JSON], None] | None = None   # (ctx, body, record)
    # Routes below the provider: list, get (with (?P<location>) and (?P<name>), (?P<rg>) for group scope) and
    # purge (method, pattern); the body type the engine checks them against; the purge's operation.
    list_pattern: str | None = None
    get_pattern: str | None = None
    purge_route: tuple[str, str] | None = None
    route_type: str | None = None
    purge_lro: Lro | None = None
    purge_answers_body: bool = False     # APIM answers the 202 with the deleted service, others with nothing
    purge_refused: Callable[[Any, JSON, dict], ArmError | None] | None = None
    purge_monitor_in_region: bool = False   # the purge's monitor URL names the resource's region (APIM)

    def __post_init__(self):
        for scope in (self.name_scope, self.conflict_scope or self.name_scope):
            if scope not in _SCOPES:
                raise ValueError(f"name scope {scope!r} is not one of {_SCOPES}")

    # --- wiring ------------------------------------------------------------------------------------
    def attach(self, kind_class) -> None:
        """Run the cycle around the kind's own hooks (called once per declaring class)."""
        own_create, own_delete = kind_class.on_create, kind_class.on_delete
        declaration = self

        def on_create(kind, ctx, body):
            return declaration.create(ctx, body, lambda: own_create(kind, ctx, body))

        def on_delete(kind, ctx, current):
            own_delete(kind, ctx, current)
            declaration.record(ctx, current)

        on_create.__doc__, on_delete.__doc__ = own_create.__doc__, own_delete.__doc__
        kind_class.on_create, kind_class.on_delete = on_create, on_delete
        _BY_TYPE[kind_class.type_name.lower()] = self

    def routes(self) -> list[Route]:
        list_deleted, get_deleted, purge = self.handlers()
        found = []
        if self.list_pattern:
            found.append(Route("GET", self.list_pattern, list_deleted, type_name=self.route_type))
        if self.get_pattern:
            found.append(Route("GET", self.get_pattern, get_deleted, type_name=self.route_type))
        if self.purge_route:
            found.append(Route(self.purge_route[0], self.purge_route[1], purge, type_name=self.route_type))
        return found

    # --- keys and records ---------------------------------------------------------------------------
    def key(self, resource_id: str) -> str:
        """Where a resource's record is held: one record per name in the scope (group scope: per resource id)."""
        segments = resource_id.strip("/").split("/")
        return self.name_key(segments[1], segments[-1]) or resource_id.lower()

    def name_key(self, subscription: str, name: str) -> str | None:
        """The key of a name held in a subscription (None for group scope: records there are found by listing)."""
        if self.name_scope == "global":
            return name.lower()
        if self.name_scope == "subscription":
            return f"{subscription}/{name}".lower()
        return None

    def retention_of(self, resource: JSON) -> timedelta:
        return self.retention(resource) if callable(self.retention) else self.retention

    def held(self, ctx, key: str) -> JSON | None:
        """The record at key, unless its retention is over (then it is dropped: the name is free again)."""
        record = ctx.store.kv_get(self.table, key)
        if record is None:
            return None
        if ctx.now - record["deletedAt"] > record["retentionSeconds"]:
            ctx.store.kv_delete(self.table, key)
            return None
        return record

    def records(self, store, subscription: str | None = None) -> list[JSON]:
        """Every record (of one subscription), retention not checked: what a read across services sees."""
        prefix = f"/subscriptions/{subscription}/".lower() if subscription else ""
        return [record for _, record in store.kv_list(self.table)
                if record["resource"]["id"].lower().startswith(prefix)]

    def live_records(self, ctx) -> list[tuple[str, JSON]]:
        prefix = f"/subscriptions/{ctx.subscription_id}/".lower()
        found = []
        for key, record in ctx.store.kv_list(self.table):
            if record["resource"]["id"].lower().startswith(prefix) and self.held(ctx, key):
                found.append((key, record))
        return found

    # --- the cycle ------------------------------------------------------------------------------------
    def record(self, ctx, current: JSON) -> None:
        key = self.key(current["id"])
        if self.kept_when is not None and not self.kept_when(ctx, current):
            ctx.store.kv_delete(self.table, key)
            return
        prefix = current["id"] + "/"
        children = [child for type_name in self.keeps_children
                    for child in ctx.store.list_type(type_name, prefix)]
        # Entries of children deleted earlier go now; those of the resource and its live children are kept.
        live = {current["id"].lower()} | {child["id"].lower() for child in children}
        kept: dict[str, dict] = {}
        for table in self.keeps_tables:
            kept[table] = {}
            for entry_key, value in ctx.store.kv_list(table, current["id"].lower()):
                if entry_key != current["id"].lower() and not entry_key.startswith(prefix.lower()):
                    continue
                if entry_key in live:
                    kept[table][entry_key] = value
                ctx.store.kv_delete(table, entry_key)
        ctx.store.kv_put(self.table, key, {
            "resource": current, "children": children, "kept": kept, "deletedAt": ctx.now,
            "deletionDate": ctx.now_iso(), "retentionSeconds": self.retention_of(current).total_seconds()})

    def create(self, ctx, body: JSON, own_create: Callable[[], int | None]) -> int | None:
        key = self.key(ctx.resource_id)
        asked = self._pop_restore_flag(body)
        record = self.held(ctx, key)
        if asked:
            if record is None:
                raise self.nothing_to_restore(ctx)
            self._bring_back(ctx, body, key, record)
            return None
        if record is None and (self.conflict_scope or self.name_scope) != self.name_scope:
            record = self._held_elsewhere(ctx)
            if record is not None:
                raise self.conflict(ctx, record["resource"])
        if record is None:
            return own_create()
        same_region = _region(record["resource"].get("location")) == _region(body.get("location"))
        if self.restore is not None or not same_region:
            raise self.conflict(ctx, record["resource"])
        status = own_create()      # no flag: creating the same resource again recovers it
        self._bring_back(ctx, body, key, record)
        return status

    def _pop_restore_flag(self, body: JSON) -> bool:
        if self.restore is None:
            return False
        path, wanted = self.restore
        holder = body
        *parents, leaf = path.split(".")
        for part in parents:
            holder = holder.setdefault(part, {})
        given = holder.pop(leaf, None)
        return given == wanted if not isinstance(wanted, bool) else bool(given) == wanted

    def _held_elsewhere(self, ctx) -> JSON | None:
        wanted = ctx.name.lower()
        for key, record in self.live_records(ctx):
            if record["resource"]["name"].lower() == wanted:
                return record
        return None

    def _bring_back(self, ctx, body: JSON, key: str, record: JSON) -> None:
        saved = record["resource"]
        for path in self.restores:
            _copy_path(saved, body, path)
        for child in record.get("children", []):
            ctx.store.put(child["id"], child["type"], child)
        for table, entries in (record.get("kept") or {}).items():
            for entry_key, value in entries.items():
                ctx.store.kv_put(table, entry_key, value)
        ctx.store.kv_delete(self.table, key)
        if self.after_restore is not None:
            self.after_restore(ctx, body, record)

    # --- list, get, purge -------------------------------------------------------------------------------
    def find(self, ctx, groups: dict) -> tuple[str, JSON]:
        """The record a get or purge route names, in the region it names."""
        key = self.name_key(ctx.subscription_id, groups["name"])
        found = None
        if key is not None:
            record = self.held(ctx, key)
            if record is not None and record["resource"]["id"].lower().startswith(
                    f"/subscriptions/{ctx.subscription_id}/".lower()):
                found = (key, record)
        else:
            for held_key, record in self.live_records(ctx):
                resource = record["resource"]
                segments = resource["id"].split("/")
                if resource["name"].lower() == groups["name"].lower() and \
                        segments[4].lower() == (groups.get("rg") or "").lower():
                    found = (held_key, record)
                    break
        if found is None or _region(found[1]["resource"].get("location")) != _region(groups["location"]):
            raise self.not_found(ctx, groups)
        return found

    def handlers(self) -> tuple[Callable, Callable, Callable]:
        def list_deleted(ctx, groups):
            return 200, {"value": [self.present(ctx, record) for _, record in self.live_records(ctx)]}, {}

        def get_deleted(ctx, groups):
            return 200, self.present(ctx, self.find(ctx, groups)[1]), {}

        def purge(ctx, groups):
            key, record = self.find(ctx, groups)
            refusal = self.purge_refused(ctx, record, groups) if self.purge_refused else None
            if refusal is not None:
                raise refusal
            body = self.present(ctx, record)
            ctx.store.kv_delete(self.table, key)   # the name is free once the purge is accepted
            if self.purge_monitor_in_region:
                ctx.location = record["resource"].get("location")
            headers = ctx.start_operation("action:purge", body["id"], self.purge_lro)
            return 202, body if self.purge_answers_body else None, headers

        return list_deleted, get_deleted, purge


def scheduled_purge(record: JSON) -> float:
    """Epoch seconds when Azure purges a deleted resource on its own."""
    return record["deletedAt"] + record["retentionSeconds"]


def deleted_resources(store, type_name: str, subscription: str | None = None) -> list[JSON]:
    """Records of soft-deleted resources of a type, for a service that reads another (quota over deleted
    accounts' deployments): each has "resource" and "children"."""
    declaration = _BY_TYPE.get(type_name.lower())
    return declaration.records(store, subscription) if declaration else []


def _region(location: str | None) -> str:
    return (location or "").replace(" ", "").lower()


def _copy_path(source: JSON, target: JSON, path: str) -> None:
    *parents, leaf = path.split(".")
    for part in parents:
        source = source.get(part) or {}
        target = target.setdefault(part, {})
    if leaf in source:
        target[leaf] = copy.deepcopy(source[leaf])
