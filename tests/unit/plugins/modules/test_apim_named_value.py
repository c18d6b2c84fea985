"""apim_named_value: validation, bodies, which values are write-only."""
from ansible_collections.aigateway.foundry.plugins.module_utils.azure_state import differences
from ansible_collections.aigateway.foundry.plugins.modules import apim_named_value as m


def params(**overrides):
    base = dict((key, spec.get("default")) for key, spec in m.ARGUMENT_SPEC.items())
    base.update(resource_group="rg", service="gw", name="tpm", value="1000")
    base.update(overrides)
    return base


def test_validate():
    assert m.validate(params(), None) is None
    assert "letters, digits" in m.validate(params(display_name="a b"), None)
    assert "not both" in m.validate(params(key_vault_secret_id="https://v.vault.azure.net/secrets/s"), None)
    assert "required to create" in m.validate(params(value=None), None)
    assert m.validate(params(value=None), {"properties": {}}) is None
    assert "whitespace" in m.validate(params(value="  "), None)
    assert "secret identifier" in m.validate(params(value=None, key_vault_secret_id="https://v/keys/k"), None)
    assert "needs key_vault_secret_id" in m.validate(params(key_vault_identity_client_id="c"), None)


def test_desired_body_and_write_only_paths():
    assert m.desired_body(params(tags=["a"])) == {"properties": {"displayName": "tpm", "secret": False,
                                                                 "value": "1000", "tags": ["a"]}}
    vault = m.desired_body(params(value=None, is_secret=True, key_vault_secret_id="https://v/secrets/s",
                                  key_vault_identity_client_id="c"))
    assert vault["properties"]["keyVault"] == {"secretIdentifier": "https://v/secrets/s", "identityClientId": "c"}
    assert m.write_only_paths(params()) == []
    assert m.write_only_paths(params(is_secret=True)) == ["properties.value"]


def test_tags_compare_as_a_set():
    assert differences({"properties": {"tags": ["b", "a"]}}, {"properties": {"tags": ["a", "b"]}},
                       normalisers=m.NORMALISERS) == []
