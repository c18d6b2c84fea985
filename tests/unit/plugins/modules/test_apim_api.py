"""apim_api: spec loading, the operation comparison that replaces a stored spec, bodies and validation."""
import json

import pytest

from ansible_collections.aigateway.foundry.plugins.modules import apim_api as m
from ansible_collections.aigateway.foundry.plugins.module_utils.azure_state import differences

SPEC = {"openapi": "3.0.1", "info": {"title": "Inference", "version": "1"},
        "paths": {"/deployments/{deployment-id}/chat/completions": {"post": {"operationId": "chat"},
                                                                    "parameters": []},
                  "/*": {"get": {}, "post": {}}}}


def params(**overrides):
    base = dict(resource_group="rg", service="gw", name="inference-api", display_name="Inference API",
                description=None, path="inference/", protocols=["https"], service_url=None,
                subscription_required=True, subscription_key_header="api-key", subscription_key_query=None,
                api_type="http", spec=None, spec_file=None, spec_format=None, state="present")
    base.update(overrides)
    return base


def operation(method, template):
    return {"properties": {"method": method, "urlTemplate": template}}


def test_spec_format_is_inferred():
    assert m.spec_format_of(SPEC, None) == "openapi+json"
    assert m.spec_format_of(json.dumps(SPEC), None) == "openapi+json"
    assert m.spec_format_of("https://example.com/spec.json", None) == "openapi-link"
    assert m.spec_format_of("openapi: 3.0.1\npaths: {}\n", None) == "openapi"


def test_specs_load_from_dict_json_and_yaml():
    assert m.load_spec(SPEC, "openapi+json") == (SPEC, json.dumps(SPEC))
    yaml_text = "openapi: 3.0.1\ninfo: {title: t, version: '1'}\npaths:\n  /a:\n    get: {}\n"
    document, value = m.load_spec(yaml_text, "openapi")
    assert value == yaml_text and list(document["paths"]) == ["/a"]
    assert m.load_spec("https://x/spec.json", "openapi-link") == (None, "https://x/spec.json")


def test_bad_specs_fail_clearly():
    with pytest.raises(m.SpecError, match="not JSON"):
        m.load_spec("openapi: 3", "openapi+json")
    with pytest.raises(m.SpecError, match="no paths"):
        m.load_spec({"openapi": "3.0.1"}, "openapi+json")
    with pytest.raises(m.SpecError, match="neither an openapi nor a swagger"):
        m.load_spec({"paths": {}}, "openapi+json")
    with pytest.raises(m.SpecError, match="http"):
        m.load_spec("file.json", "openapi-link")


def test_operations_compare_through_apim_template_changes():
    apim = [operation("POST", "/deployments/{deploymentId}/chat/completions?api-version={api-version}"),
            operation("GET", "/*"), operation("POST", "/*")]
    assert not m.needs_import(SPEC, False, {"id": "x"}, apim)
    assert m.needs_import(SPEC, False, {"id": "x"}, apim[:2])
    assert m.needs_import(SPEC, False, None, apim)


def test_links_import_on_create_or_without_operations():
    assert m.needs_import(None, True, None, [])
    assert m.needs_import(None, True, {"id": "x"}, [])
    assert not m.needs_import(None, True, {"id": "x"}, [operation("GET", "/a")])


def test_path_trailing_slash_is_normalised():
    desired = m.desired_body(params(), None)
    assert desired["properties"]["path"] == "inference"
    current = {"properties": {"path": "inference", "displayName": "Inference API", "protocols": ["HTTPS"],
                              "subscriptionRequired": True,
                              "subscriptionKeyParameterNames": {"header": "api-key", "query": "subscription-key"}}}
    assert differences(m.desired_body(params(), current), current, normalisers=m.NORMALISERS) == []


def test_key_names_keep_the_current_other_half():
    current = {"properties": {"subscriptionKeyParameterNames": {"header": "h", "query": "q"}}}
    names = m.desired_body(params(subscription_key_header=None, subscription_key_query="k"),
                           current)["properties"]["subscriptionKeyParameterNames"]
    assert names == {"header": "h", "query": "k"}


def test_write_body_adds_import_fields_only_when_importing():
    desired = m.desired_body(params(), None)
    plain = m.write_body(params(), desired, None, "openapi+json")["properties"]
    assert plain["apiType"] == "http" and "value" not in plain and "format" not in plain
    imported = m.write_body(params(), desired, "{}", "openapi+json")["properties"]
    assert imported["format"] == "openapi+json" and imported["value"] == "{}"


def test_validation():
    assert "path is required" in m.validate(params(path=None), None, False)
    assert "display_name is required" in m.validate(params(display_name=None), None, False)
    assert m.validate(params(display_name=None), None, True) is None
    assert "absolute URL" in m.validate(params(service_url="backend"), None, False)
    assert "1 to 256 characters" in m.validate(params(name="a?b"), None, False)


def test_operation_lines():
    assert m.operation_lines([operation("post", "/a")]) == ["POST /a"]
