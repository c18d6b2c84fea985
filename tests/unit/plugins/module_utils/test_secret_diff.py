"""--diff and secrets (arm_resource.finish): a secret or write-only value a write sends shows as "(secret)", never its
value; one no write sends does not show at all; a plain value shows as it is."""
import json

import pytest

from ansible_collections.aigateway.foundry.plugins.module_utils.arm_resource import Outcome, finish
from ansible_collections.aigateway.foundry.plugins.modules import apim_named_value as named_value
from tests.unit.plugins.fakes import Exited, make_module

SECRET = "s3cr3t-backend-key"
STATE = {"id": "/x/namedValues/key", "name": "key", "properties": {"displayName": "key", "secret": True}}


def finished(changed, current, is_secret=True):
    module = make_module(named_value.ARGUMENT_SPEC, diff=True, resource_group="rg", service="gw", name="key",
                         value=SECRET, is_secret=is_secret, tags=["new"])
    desired = named_value.desired_body(module.params)
    state = dict(STATE, properties=dict(STATE["properties"], secret=is_secret, tags=["new"],
                                        **({} if is_secret else {"value": SECRET})))
    with pytest.raises(Exited) as done:
        finish(module, named_value.RESOURCE, Outcome(changed, state, current, desired))
    return done.value.result


def test_a_new_secret_shows_as_secret_in_after_only():
    result = finished(True, None)
    assert result["diff"]["before"] == {}
    assert result["diff"]["after"]["properties"]["value"] == "(secret)"
    assert SECRET not in json.dumps(result)


def test_a_secret_written_again_shows_as_secret_on_both_sides_never_its_value():
    current = {"id": "/x/namedValues/key", "properties": {"displayName": "key", "secret": True, "tags": ["old"]}}
    result = finished(True, current)
    assert result["diff"]["before"]["properties"]["value"] == "(secret)"
    assert result["diff"]["after"]["properties"]["value"] == "(secret, written)"
    assert result["diff"]["before"]["properties"]["tags"] == ["old"]
    assert SECRET not in json.dumps(result)


def test_a_secret_no_write_sends_does_not_show():
    current = dict(STATE, properties=dict(STATE["properties"], tags=["new"]))
    result = finished(False, current)
    assert "value" not in result["diff"]["before"]["properties"]
    assert "value" not in result["diff"]["after"]["properties"]


def test_a_plain_value_shows_as_it_is():
    result = finished(True, None, is_secret=False)
    assert result["diff"]["after"]["properties"]["value"] == SECRET
