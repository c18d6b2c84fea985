"""apim_policy (the module): scope rules, the refusal message, the comparison through APIM's reformatting."""
from pathlib import Path

from ansible_collections.aigateway.foundry.plugins.modules import apim_policy as m
from ansible_collections.aigateway.foundry.plugins.module_utils.azure_state import differences

CORPUS = Path(__file__).resolve().parents[3] / "fixtures" / "apim-policies"
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
                xml_file=None, format="rawxml", unknown_elements="warn", state="present")
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
    text = (CORPUS / "refused" / "forward-request-in-inbound.xml").read_text()
    message, details, warnings = m.policy_problems(text, "api", "warn")
    assert "element <forward-request>" in message and "line 5" in message
    assert details[0]["element"] == "forward-request" and details[0]["line"] == 5
    assert details[0]["severity"] == "error" and warnings == []


def test_malformed_policy_is_refused_with_line():
    message, details, _warnings = m.policy_problems("<policies>\n<inbound>\n<base />\n</policies>", "api", "warn")
    assert "not well-formed" in message and "line 4" in message
    assert details[0]["line"] == 4


def test_unknown_elements_warn_unless_refused_on_request():
    text = (CORPUS / "refused" / "unknown-element.xml").read_text()
    message, _details, warnings = m.policy_problems(text, "api", "warn")
    assert message is None
    assert warnings == ["policy: unknown policy element <set-headers> at line 5 in <inbound>: not in this "
                        "collection's catalogue of API Management policies, not checked"]
    assert "unknown policy element <set-headers>" in m.policy_problems(text, "api", "error")[0]


def test_token_limit_not_a_number_is_refused_naming_the_value():
    text = (CORPUS / "refused" / "tokens-per-minute-not-a-number.xml").read_text()
    message = m.policy_problems(text, "api", "warn")[0]
    assert message == ('policy refused before upload (element <llm-token-limit>, line 5): <llm-token-limit> at line 5 '
                       'in <inbound>: tokens-per-minute must be a whole number of at least 1, not "lots"')


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
