"""apim_policy (the module): scope rules, the refusal message, the comparison through APIM's reformatting."""
from pathlib import Path

from ansible_collections.aigateway.foundry.plugins.modules import apim_policy as m
from ansible_collections.aigateway.foundry.plugins.module_utils.azure_state import differences

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "policies"
GOOD = """<policies>
    <inbound>
        <base />
        <set-backend-service backend-id="pool" />
    </inbound>
    <backend><base /></backend>
    <outbound><base /></outbound>
    <on-error><base /></on-error>
</policies>"""
# What APIM stores for GOOD: tabs, CRLF, single quotes, expanded empty elements.
STORED = ("<policies>\r\n\t<inbound>\r\n\t\t<base></base>\r\n\t\t<set-backend-service backend-id='pool' />\r\n"
          "\t</inbound>\r\n\t<backend>\r\n\t\t<base />\r\n\t</backend>\r\n\t<outbound>\r\n\t\t<base />\r\n"
          "\t</outbound>\r\n\t<on-error>\r\n\t\t<base />\r\n\t</on-error>\r\n</policies>")


def params(**overrides):
    base = dict(resource_group="rg", service="gw", scope=None, api=None, operation=None, product=None, xml=GOOD,
                xml_file=None, format="rawxml", allow_unknown_elements=False, state="present")
    base.update(overrides)
    return base


def test_scope_follows_the_options_given():
    assert m.scope_of(params()) == "service"
    assert m.scope_of(params(api="a")) == "api"
    assert m.scope_of(params(api="a", operation="o")) == "operation"
    assert m.scope_of(params(product="p")) == "product"
    assert m.scope_of(params(scope="api", api="a")) == "api"


def test_scope_needs_its_options_and_no_others():
    assert m.validate_scope(params(scope="operation", api="a"), "operation") == "scope operation needs operation"
    assert m.validate_scope(params(scope="service", api="a"), "service") == "api not used with scope service"
    assert m.validate_scope(params(api="a"), "api") is None


def test_policy_ids_per_scope():
    assert m.policy_id("s", params(), "service").endswith("/service/gw/policies/policy")
    assert m.policy_id("s", params(api="a", operation="o"), "operation").endswith(
        "/service/gw/apis/a/operations/o/policies/policy")
    assert m.policy_id("s", params(product="p"), "product").endswith("/service/gw/products/p/policies/policy")


def test_scope_args_match_the_sdk_signatures():
    assert m.scope_args(params(), "service") == ("rg", "gw", "policy")
    assert m.scope_args(params(api="a", operation="o"), "operation") == ("rg", "gw", "a", "o", "policy")


def test_wrong_section_is_refused_with_element_and_line():
    text = (FIXTURES / "broken" / "forward-request-in-inbound.xml").read_text()
    message, details = m.policy_problems(text, "api", False)
    assert "element <forward-request>" in message and "line 5" in message
    assert details[0]["element"] == "forward-request" and details[0]["line"] == 5


def test_malformed_policy_is_refused_with_line():
    message, details = m.policy_problems("<policies>\n<inbound>\n<base />\n</policies>", "api", False)
    assert "not well-formed" in message and "line 4" in message
    assert details[0]["line"] == 4


def test_unknown_elements_pass_only_when_allowed():
    text = (FIXTURES / "broken" / "unknown-element.xml").read_text()
    assert m.policy_problems(text, "api", False)[0]
    assert m.policy_problems(text, "api", True) == (None, [])


def test_apim_reformatting_is_not_a_change():
    current = {"properties": {"format": "rawxml", "value": STORED}}
    assert differences({"properties": {"value": GOOD}}, current, normalisers=m.NORMALISERS) == []
    changed = GOOD.replace('backend-id="pool"', 'backend-id="other"')
    assert differences({"properties": {"value": changed}}, current, normalisers=m.NORMALISERS) == [
        "properties.value"]


def test_diff_view_is_pretty_and_stable():
    assert m.pretty_view({"properties": {"value": STORED}}) == m.pretty_view({"properties": {"value": GOOD}})
    assert m.pretty_view(None) == ""


def test_read_policy_text_from_file(tmp_path):
    path = tmp_path / "p.xml"
    path.write_text(GOOD)
    assert m.read_policy_text(params(xml=None, xml_file=str(path))) == (GOOD, None)
    assert "cannot read" in m.read_policy_text(params(xml=None, xml_file=str(tmp_path / "none.xml")))[1]
    assert "required" in m.read_policy_text(params(xml=None))[1]
