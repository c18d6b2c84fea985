"""apim_cache: validation, the body (an update without a connection string re-sends APIM's reference)."""
from ansible_collections.aigateway.foundry.plugins.module_utils.azure_state import differences
from ansible_collections.aigateway.foundry.plugins.modules import apim_cache as m


def params(**overrides):
    base = dict((key, spec.get("default")) for key, spec in m.ARGUMENT_SPEC.items())
    base.update(resource_group="rg", service="gw", name="default", connection_string="h:10000,password=p,ssl=True")
    base.update(overrides)
    return base


def test_validate():
    assert m.validate(params(), None) is None
    assert "required to create" in m.validate(params(connection_string=None), None)
    assert m.validate(params(connection_string=None), {"properties": {}}) is None
    assert "1-300" in m.validate(params(connection_string="x" * 301), None)
    assert "use_from_location" in m.validate(params(name="eastus"), None)
    assert m.validate(params(name="eastus", use_from_location="East US"), None) is None


def test_desired_body():
    body = m.desired_body(params(description="h", resource_id="/r"))
    assert body == {"properties": {"useFromLocation": "default", "connectionString": "h:10000,password=p,ssl=True",
                                   "description": "h", "resourceId": "/r"}}
    assert "connectionString" not in m.desired_body(params(connection_string=None))["properties"]


def test_location_normalised():
    assert differences({"properties": {"useFromLocation": "default"}}, {"properties": {"useFromLocation": "Default"}},
                       normalisers=m.NORMALISERS) == []
