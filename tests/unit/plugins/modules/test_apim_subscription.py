"""apim_subscription: scopes from scope/api/product, scope normalisation, validation, bodies."""
from ansible_collections.aigateway.foundry.plugins.module_utils.azure_state import differences
from ansible_collections.aigateway.foundry.plugins.modules import apim_subscription as m

SERVICE = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.ApiManagement/service/gw"


def params(**overrides):
    base = dict((key, spec.get("default")) for key, spec in m.ARGUMENT_SPEC.items())
    base.update(resource_group="rg", service="gw", name="sub", scope="/apis")
    base.update(overrides)
    return base


def test_requested_scope():
    assert m.requested_scope(params()) == "/apis"
    assert m.requested_scope(params(scope=None, api="inference")) == "/apis/inference"
    assert m.requested_scope(params(scope=None, product="gold")) == "/products/gold"
    assert m.requested_scope(params(scope=SERVICE + "/products/gold")) == "/products/gold"
    assert m.requested_scope(params(scope=None)) is None


def test_scope_normalised():
    assert m.normalise_scope(SERVICE + "/apis/") == "/apis"
    assert differences({"properties": {"scope": "/apis/Inference"}}, {"properties": {"scope": SERVICE + "/apis/inference"}},
                       normalisers=m.NORMALISERS) == []


def test_validate():
    assert m.validate(params(), None) is None
    assert "required to create" in m.validate(params(scope=None), None)
    assert m.validate(params(scope=None), {"properties": {}}) is None
    assert "not scope and api" in m.validate(params(api="x"), None)
    assert "must be /apis" in m.validate(params(scope="/products"), None)
    assert "1-256" in m.validate(params(primary_key=""), None)
    assert "owner_id" in m.validate(params(owner_id="someone"), None)


def test_desired_body():
    body = m.desired_body(params(allow_tracing=True, owner_id=SERVICE + "/users/u1", primary_key="k"), None)
    assert body == {"properties": {"state": "active", "scope": "/apis", "displayName": "sub", "allowTracing": True,
                                   "ownerId": "/users/u1", "primaryKey": "k"}}
    assert "displayName" not in m.desired_body(params(scope=None), {"properties": {}})["properties"]
