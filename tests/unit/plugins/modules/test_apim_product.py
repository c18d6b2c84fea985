"""apim_product: validation, bodies, link changes."""
from ansible_collections.aigateway.foundry.plugins.modules import apim_product as m


def params(**overrides):
    base = dict((key, spec.get("default")) for key, spec in m.ARGUMENT_SPEC.items())
    base.update(resource_group="rg", service="gw", name="gold")
    base.update(overrides)
    return base


def test_validate():
    assert m.validate(params(), None) is None
    assert "approval_required needs" in m.validate(params(subscription_required=False, approval_required=True), None)
    assert "subscriptions_limit needs" in m.validate(params(subscriptions_limit=1),
                                                     {"properties": {"subscriptionRequired": False}})
    assert "twice" in m.validate(params(apis=["a", "A"]), None)
    assert "1-300" in m.validate(params(display_name=""), None)


def test_desired_body():
    assert m.desired_body(params(product_state="published", subscription_required=True), None) == {
        "properties": {"displayName": "gold", "subscriptionRequired": True, "state": "published"}}
    assert m.desired_body(params(), {"properties": {}}) == {"properties": {}}


def test_link_changes():
    assert m.link_changes(["a", "B"], ["b", "c"]) == (["a"], ["c"])
    assert m.link_changes([], []) == ([], [])
