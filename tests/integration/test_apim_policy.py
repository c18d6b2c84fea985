"""apim_policy against the local endpoint: lifecycle per scope, the validation catalogue refusing before any
write, and APIM's reformatting not causing a change."""

import json

import pytest

POLICY = """<policies>
    <inbound>
        <base />
        <set-backend-service backend-id="pool" />
    </inbound>
    <backend><base /></backend>
    <outbound><base /></outbound>
    <on-error><base /></on-error>
</policies>"""
# The same policy as APIM hands it back after its own formatting: tabs, CRLF, other quotes, <x></x>.
REFORMATTED = ("<policies>\r\n\t<inbound>\r\n\t\t<base></base>\r\n\t\t<set-backend-service backend-id='pool' />"
               "\r\n\t</inbound>\r\n\t<backend>\r\n\t\t<base />\r\n\t</backend>\r\n\t<outbound>\r\n\t\t<base />\r\n"
               "\t</outbound>\r\n\t<on-error>\r\n\t\t<base />\r\n\t</on-error>\r\n</policies>")
SPEC = {"openapi": "3.0.1", "info": {"title": "Inference", "version": "1"},
        "paths": {"/chat/completions": {"post": {"operationId": "chat-completions"}}}}
GLOBAL = """<policies>
    <inbound><set-header name="x-gateway" exists-action="override"><value>ai</value></set-header></inbound>
    <backend><forward-request /></backend>
    <outbound />
    <on-error />
</policies>"""


@pytest.fixture(scope="module")
def apim_with_api(run_module, apim):
    """The shared service with the inference API these policies attach to."""
    run_module("apim_api", dict(apim, name="inference-api", display_name="Inference API", path="inference",
                                spec=SPEC))
    return apim


def test_api_policy_lifecycle(run_module, apim_with_api, request_log):
    apim = apim_with_api
    start = request_log.mark()
    args = dict(apim, api="inference-api", xml=POLICY)

    mark = request_log.mark()
    predicted = run_module("apim_policy", args, check=True, diff=True)
    assert predicted["changed"] is True
    assert predicted["id"].endswith("/apis/inference-api/policies/policy")
    assert predicted["diff"]["before"] == ""
    assert 'backend-id="pool"' in predicted["diff"]["after"]
    assert request_log.writes(mark) == []

    created = run_module("apim_policy", args)
    assert created["changed"] is True
    assert 'backend-id="pool"' in created["state"]["properties"]["value"]
    writes = request_log.writes(mark)
    assert len(writes) == 1 and writes[0]["method"] == "PUT"

    mark = request_log.mark()
    assert run_module("apim_policy", args)["changed"] is False
    assert run_module("apim_policy", dict(args, xml=REFORMATTED))["changed"] is False
    assert request_log.writes(mark) == [], "APIM's reformatting must not cause an upload"

    changed_xml = POLICY.replace('backend-id="pool"', 'backend-id="other"')
    diff = run_module("apim_policy", dict(args, xml=changed_xml), check=True, diff=True)
    assert diff["changed"] is True
    assert 'backend-id="pool"' in diff["diff"]["before"] and 'backend-id="other"' in diff["diff"]["after"]
    assert request_log.writes(mark) == []

    updated = run_module("apim_policy", dict(args, xml=changed_xml))
    assert updated["changed"] is True
    puts = request_log.writes(mark)
    assert len(puts) == 1 and puts[0]["method"] == "PUT"

    deleted = run_module("apim_policy", dict(apim, api="inference-api", state="absent"))
    assert deleted["changed"] is True and deleted["state"] is None
    mark = request_log.mark()
    assert run_module("apim_policy", dict(apim, api="inference-api", state="absent"))["changed"] is False
    assert request_log.writes(mark) == []
    assert request_log.non_conforming(start, "Microsoft.ApiManagement") == [], "requests must match Microsoft's 2024-05-01 types"


def test_service_scope_and_xml_format(run_module, apim, request_log):
    args = dict(apim, xml=GLOBAL, format="xml")
    created = run_module("apim_policy", args)
    assert created["changed"] is True and created["id"].endswith("/service/%s/policies/policy" % apim["service"])
    mark = request_log.mark()
    assert run_module("apim_policy", args)["changed"] is False
    assert request_log.writes(mark) == []
    run_module("apim_policy", dict(apim, scope="service", state="absent"))


def test_operation_scope(run_module, apim_with_api, request_log):
    apim = apim_with_api
    args = dict(apim, api="inference-api", operation="chat-completions", xml=POLICY)
    created = run_module("apim_policy", args)
    assert created["changed"] is True
    assert created["id"].endswith("/apis/inference-api/operations/chat-completions/policies/policy")
    mark = request_log.mark()
    assert run_module("apim_policy", args)["changed"] is False
    assert request_log.writes(mark) == []
    assert run_module("apim_policy", dict(args, xml=None, state="absent"))["changed"] is True


@pytest.mark.parametrize("xml, element, line", [
    ("<policies>\n  <inbound>\n    <base />\n  </inbound>\n  <backend>\n</policies>", None, 6),
    ("<policies>\n  <inbound>\n    <base />\n    <forward-request />\n  </inbound>\n  <backend><base /></backend>\n"
     "  <outbound><base /></outbound>\n  <on-error><base /></on-error>\n</policies>", "forward-request", 4),
    ("<policies>\n  <inbound>\n    <base />\n  </inbound>\n  <backend><base /></backend>\n  <outbound>\n"
     "    <cache-lookup vary-by-developer=\"false\" vary-by-developer-groups=\"false\" />\n  </outbound>\n"
     "  <on-error><base /></on-error>\n</policies>", "cache-lookup", 7),
])
def test_refused_policy_names_element_and_line_and_writes_nothing(run_module, apim, request_log, xml, element, line):
    mark = request_log.mark()
    result = run_module("apim_policy", dict(apim, api="inference-api", xml=xml), expect_failure=True)
    assert "line %d" % line in result["msg"]
    if element:
        assert "<%s>" % element in result["msg"]
    assert result["problems"][0]["line"] == line
    assert request_log.writes(mark) == [], "a refused policy must not be uploaded"


def test_scope_options_are_checked_before_any_call(run_module, apim, request_log):
    mark = request_log.mark()
    result = run_module("apim_policy", dict(apim, scope="operation", api="inference-api", xml=POLICY),
                        expect_failure=True)
    assert result["msg"] == "scope operation needs operation"
    assert request_log.since(mark) == []


def test_unknown_element_warns_and_is_refused_only_on_request(run_module, apim_with_api, request_log):
    """A policy newer than the catalogue is API Management's to judge (a warning); unknown_elements=error stops it.

    Check mode, so the emulated service's own opinion of the element does not matter here.
    """
    xml = POLICY.replace('<set-backend-service backend-id="pool" />',
                         '<set-backend-service backend-id="pool" />\n        <llm-future-policy mode="x" />')
    args = dict(apim_with_api, scope="operation", api="inference-api", operation="chat-completions", xml=xml)
    mark = request_log.mark()
    refused = run_module("apim_policy", dict(args, unknown_elements="error"), expect_failure=True)
    assert "unknown policy element <llm-future-policy> at line 5 in <inbound>" in refused["msg"]
    predicted = run_module("apim_policy", args, check=True)
    assert predicted["changed"] is True
    assert "unknown policy element <llm-future-policy>" in json.dumps(predicted.get("warnings"))
    assert request_log.writes(mark) == []
