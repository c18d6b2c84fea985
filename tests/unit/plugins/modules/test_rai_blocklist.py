"""Pure functions of rai_blocklist."""
from ansible_collections.aigateway.foundry.plugins.modules import rai_blocklist as module


def params(**extra):
    base = {"name": "blocklist1", "description": None, "items": [], "purge_items": True, "state": "present"}
    base.update(extra)
    return base


def test_item_changes_write_only_what_differs():
    desired = {"a": {"pattern": "x", "isRegex": False}, "b": {"pattern": "y", "isRegex": True}}
    current = {"A": {"pattern": "x", "isRegex": False}, "b": {"pattern": "old", "isRegex": True},
               "c": {"pattern": "z", "isRegex": False}}
    assert module.item_changes(desired, current, purge=True) == (["b"], ["c"])
    assert module.item_changes(desired, current, purge=False) == (["b"], [])
    assert module.item_changes(desired, {}, purge=True) == (["a", "b"], [])


def test_desired_body_manages_the_description_only_when_given():
    assert module.desired_body(params()) == {"properties": {}}
    assert module.desired_body(params(description="d")) == {"properties": {"description": "d"}}
    assert module.desired_items(params(items=None)) is None
    assert module.desired_items(params(items=[{"name": "a", "pattern": "p", "is_regex": False}])) == {
        "a": {"pattern": "p", "isRegex": False}}


def test_validate():
    assert module.validate(params()) is None
    assert "blocklist name '_x' is invalid" in module.validate(params(name="_x"))
    assert "appears twice" in module.validate(params(items=[{"name": "a", "pattern": "p", "is_regex": False},
                                                            {"name": "a", "pattern": "q", "is_regex": False}]))
    assert "regular expression" in module.validate(params(items=[{"name": "a", "pattern": "[", "is_regex": True}]))
    assert module.validate(params(name="ok", state="absent", items=[{"name": "-", "pattern": "", "is_regex": False}])) is None
