"""The soft-delete cycle of engine/softdelete.py on a kind declared here, with an in-memory store: record on
delete, conflict or restore on create, retention, name scopes, and the list / get / purge routes.  The store is the
engine's own (SQLite in a temporary folder)."""
from __future__ import annotations

from datetime import timedelta

import pytest

from localazure.engine.contract import ArmError, Lro, Provider, ResourceKind
from localazure.engine.softdelete import SoftDelete, deleted_resources, scheduled_purge
from localazure.engine.store import Store

SUB = "00000000-0000-0000-0000-000000000001"
TYPE = "Test.Soft/things"
CHILD_TYPE = f"{TYPE}/parts"
TABLE = "test.deletedThings"
KEYS = "test.thingKeys"
DAY = 86400.0


class Ctx:
    def __init__(self, store, resource_id=None, *, now=1_800_000_000.0, query=None, subscription=SUB):
        self.store, self.resource_id, self.now, self.query = store, resource_id, now, query or {}
        self.subscription_id = subscription
        self.name = resource_id.rsplit("/", 1)[-1] if resource_id else None
        self.location = None
        self.operations = []

    def now_iso(self):
        return f"T{self.now:.0f}"

    def start_operation(self, kind, resource_id, lro, result=None):
        self.operations.append((kind, resource_id, lro))
        return {"Location": "https://127.0.0.1/op"}


@pytest.fixture
def store(tmp_path):
    opened = Store(tmp_path / "state.db")
    yield opened
    opened.close()


def table(store, name):
    return dict(store.kv_list(name))


def thing_id(name, group="rg", subscription=SUB):
    return f"/subscriptions/{subscription}/resourceGroups/{group}/providers/{TYPE}/{name}"


def declare(**changes) -> SoftDelete:
    settings = dict(
        table=TABLE, name_scope="subscription", retention=timedelta(days=2), restore=("properties.restore", True),
        conflict=lambda ctx, held: ArmError(409, "HeldName", f"{held['id']} is soft-deleted"),
        nothing_to_restore=lambda ctx: ArmError(404, "NothingToRestore", ctx.name),
        not_found=lambda ctx, groups: ArmError(404, "NoDeletedThing", groups["name"]),
        present=lambda ctx, record: {"id": f"/subscriptions/{SUB}/providers/Test.Soft/deletedThings/"
                                           f"{record['resource']['name']}",
                                     "name": record["resource"]["name"], "purgeAt": scheduled_purge(record)},
        restores=("location", "properties"), keeps_children=(CHILD_TYPE,), keeps_tables=(KEYS,),
        list_pattern=r"deletedThings", get_pattern=r"locations/(?P<location>[^/]+)/deletedThings/(?P<name>[^/]+)",
        purge_route=("DELETE", r"locations/(?P<location>[^/]+)/deletedThings/(?P<name>[^/]+)"),
        purge_lro=Lro("location", seconds=10, status=202, running_state=None))
    settings.update(changes)
    return SoftDelete(**settings)


def kind_with(declaration: SoftDelete) -> ResourceKind:
    class ThingKind(ResourceKind):
        type_name = TYPE
        soft_delete = declaration
        created = 0

        def on_create(self, ctx, body):
            ThingKind.created += 1
            body.setdefault("properties", {})["serial"] = ThingKind.created
            ctx.store.kv_put(KEYS, ctx.resource_id.lower(), {"key": f"k{ThingKind.created}"})
            return None

    return ThingKind()


def create(kind, store, resource_id, body, **ctx_args):
    ctx = Ctx(store, resource_id, **ctx_args)
    kind.on_create(ctx, body)
    body.update(id=resource_id, name=ctx.name, type=TYPE)
    store.put(resource_id, TYPE, body)
    return body


def delete(kind, store, resource_id, **ctx_args):
    kind.on_delete(Ctx(store, resource_id, **ctx_args), store.get(resource_id))
    store.delete_tree(resource_id)


def made_and_deleted(kind, store, name="one", **ctx_args):
    resource_id = thing_id(name)
    create(kind, store, resource_id, {"location": "West Europe", "properties": {"size": 3}})
    part = f"{resource_id}/parts/p1"
    store.put(part, CHILD_TYPE, {"id": part, "name": "p1", "type": CHILD_TYPE})
    store.kv_put(KEYS, part.lower(), {"key": "part"})
    delete(kind, store, resource_id, **ctx_args)
    return resource_id


def test_a_held_name_is_refused_and_the_restore_flag_brings_back_the_resource_children_and_entries(store):
    kind = kind_with(declare())
    resource_id = made_and_deleted(kind, store)
    assert store.get(resource_id) is None and table(store, KEYS) == {}
    with pytest.raises(ArmError) as refused:
        create(kind, store, resource_id, {"location": "westeurope", "properties": {"size": 9}})
    assert (refused.value.status, refused.value.code) == (409, "HeldName") and resource_id in refused.value.message

    restored = create(kind, store, resource_id, {"location": "eastus", "properties": {"restore": True, "size": 9}})
    assert restored["location"] == "West Europe"
    assert restored["properties"] == {"size": 3, "serial": 1}      # as it was: the kind's own create did not run
    assert store.get(f"{resource_id}/parts/p1")["name"] == "p1"
    assert store.kv_get(KEYS, resource_id.lower()) == {"key": "k1"}
    assert store.kv_get(KEYS, f"{resource_id}/parts/p1".lower()) == {"key": "part"}
    assert table(store, TABLE) == {}


def test_the_restore_flag_with_nothing_held_is_refused_and_a_false_flag_is_a_plain_create(store):
    kind = kind_with(declare())
    with pytest.raises(ArmError) as refused:
        create(kind, store, thing_id("ghost"), {"location": "westeurope", "properties": {"restore": True}})
    assert refused.value.code == "NothingToRestore"
    body = create(kind, store, thing_id("plain"), {"location": "westeurope", "properties": {"restore": False}})
    assert "restore" not in body["properties"] and body["properties"]["serial"] >= 1


def test_a_value_flag_restores_only_with_its_value(store):
    kind = kind_with(declare(restore=("properties.createMode", "recover")))
    resource_id = made_and_deleted(kind, store)
    with pytest.raises(ArmError):
        create(kind, store, resource_id, {"location": "westeurope", "properties": {"createMode": "default"}})
    restored = create(kind, store, resource_id, {"location": "westeurope", "properties": {"createMode": "recover"}})
    assert restored["properties"]["size"] == 3 and "createMode" not in restored["properties"]


def test_the_name_is_free_once_the_retention_is_over(store):
    kind = kind_with(declare(retention=lambda thing: timedelta(days=thing["properties"]["size"])))
    resource_id = made_and_deleted(kind, store)
    later = 1_800_000_000.0 + 3 * DAY
    with pytest.raises(ArmError):
        create(kind, store, resource_id, {"location": "westeurope"}, now=later)
    fresh = create(kind, store, resource_id, {"location": "westeurope"}, now=later + 1)
    assert "size" not in fresh["properties"] and table(store, TABLE) == {}


@pytest.mark.parametrize("scope, other_id, held", [
    ("subscription", thing_id("one", group="rg2"), True),
    ("subscription", thing_id("one", subscription="other-sub"), False),
    ("resourceGroup", thing_id("one", group="rg2"), False),
    ("global", thing_id("one", subscription="other-sub"), True),
])
def test_the_name_scope_decides_which_creates_a_deleted_resource_blocks(store, scope, other_id, held):
    kind = kind_with(declare(name_scope=scope))
    made_and_deleted(kind, store)
    if held:
        with pytest.raises(ArmError):
            create(kind, store, other_id, {"location": "westeurope"})
    else:
        create(kind, store, other_id, {"location": "westeurope"})


def test_without_a_flag_the_same_resource_in_the_same_region_recovers_and_elsewhere_is_refused(store):
    declaration = declare(restore=None, name_scope="resourceGroup", conflict_scope="subscription",
                          restores=("properties.size",))
    kind = kind_with(declaration)
    resource_id = made_and_deleted(kind, store)
    with pytest.raises(ArmError):
        create(kind, store, thing_id("one", group="rg2"), {"location": "westeurope"})
    with pytest.raises(ArmError):
        create(kind, store, resource_id, {"location": "eastus"})
    again = create(kind, store, resource_id, {"location": "westeurope", "properties": {"size": 7}})
    assert again["properties"]["size"] == 3                 # taken back from the deleted one
    assert again["properties"]["serial"] == 2               # after the kind's own create ran
    assert table(store, TABLE) == {}


def test_a_delete_the_declaration_does_not_keep_frees_the_name_at_once(store):
    declaration = declare(kept_when=lambda ctx, thing: ctx.query.get("force") != "true")
    kind = kind_with(declaration)
    resource_id = made_and_deleted(kind, store, query={"force": "true"})
    assert table(store, TABLE) == {}
    create(kind, store, resource_id, {"location": "westeurope"})


def test_list_get_and_purge_answer_for_the_subscription_and_region(store):
    refuse = {"on": True}
    declaration = declare(purge_refused=lambda ctx, record, groups: ArmError(409, "Protected", "no")
                          if refuse["on"] else None)
    kind = kind_with(declaration)
    made_and_deleted(kind, store)
    list_deleted, get_deleted, purge = declaration.handlers()
    ctx = Ctx(store)
    status, listing, _ = list_deleted(ctx, {})
    assert status == 200 and [item["name"] for item in listing["value"]] == ["one"]
    assert listing["value"][0]["purgeAt"] == 1_800_000_000.0 + 2 * DAY
    assert list_deleted(Ctx(store, subscription="other-sub"), {})[1]["value"] == []
    with pytest.raises(ArmError) as missing:
        get_deleted(ctx, {"location": "eastus", "name": "one"})
    assert missing.value.code == "NoDeletedThing"
    assert get_deleted(ctx, {"location": "westeurope", "name": "one"})[1]["name"] == "one"
    with pytest.raises(ArmError) as protected:
        purge(ctx, {"location": "westeurope", "name": "one"})
    assert protected.value.code == "Protected"
    refuse["on"] = False
    status, body, headers = purge(ctx, {"location": "westeurope", "name": "one"})
    assert status == 202 and body is None and headers["Location"] and ctx.operations[0][0] == "action:purge"
    assert list_deleted(ctx, {})[1]["value"] == []


def test_a_purge_may_answer_the_deleted_resource_with_its_monitor_in_the_region(store):
    declaration = declare(purge_answers_body=True, purge_monitor_in_region=True)
    kind = kind_with(declaration)
    made_and_deleted(kind, store)
    ctx = Ctx(store)
    status, body, _ = declaration.handlers()[2](ctx, {"location": "westeurope", "name": "one"})
    assert status == 202 and body["name"] == "one" and ctx.location == "West Europe"


def test_group_scope_records_are_found_by_group_name_and_region(store):
    declaration = declare(name_scope="resourceGroup",
                          get_pattern=r"locations/(?P<location>[^/]+)/resourceGroups/(?P<rg>[^/]+)/things/(?P<name>.+)")
    kind = kind_with(declaration)
    made_and_deleted(kind, store)
    get_deleted = declaration.handlers()[1]
    assert get_deleted(Ctx(store), {"location": "westeurope", "rg": "RG", "name": "one"})[1]["name"] == "one"
    with pytest.raises(ArmError):
        get_deleted(Ctx(store), {"location": "westeurope", "rg": "rg2", "name": "one"})


def test_the_provider_registers_the_declared_routes_before_its_own():
    kind = kind_with(declare(route_type="Test.Soft/deletedThings"))
    provider = Provider(namespace="Test.Soft", kinds=[kind])
    assert [(route.method, route.pattern) for route in provider.routes] == [
        ("GET", r"deletedThings"), ("GET", r"locations/(?P<location>[^/]+)/deletedThings/(?P<name>[^/]+)"),
        ("DELETE", r"locations/(?P<location>[^/]+)/deletedThings/(?P<name>[^/]+)")]
    assert {route.type_name for route in provider.routes} == {"Test.Soft/deletedThings"}


def test_another_service_reads_deleted_resources_by_type_not_by_table(store):
    kind = kind_with(declare())
    made_and_deleted(kind, store)
    [record] = deleted_resources(store, TYPE.upper(), SUB)
    assert record["resource"]["name"] == "one" and record["children"][0]["name"] == "p1"
    assert deleted_resources(store, TYPE, "other-sub") == [] and deleted_resources(store, "Test.Soft/none") == []


def test_an_unknown_name_scope_is_refused_at_declaration():
    with pytest.raises(ValueError):
        declare(name_scope="tenant")
