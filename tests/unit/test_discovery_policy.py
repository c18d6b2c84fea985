"""The gateway role's discovery operations (issue 24 item 2): their OpenAPI paths, their operation-scope policy
rendered from templates/discovery-policy.xml.j2 (valid, and answering from the hosts' deployments), and the
aigw_connection_model_discovery setting's rule."""
import json
import re
from xml.etree import ElementTree
from pathlib import Path

import jinja2
import pytest
import yaml
from ansible.errors import AnsibleFilterError

from ansible_collections.aigateway.foundry.plugins.filter import model_discovery as f
from ansible_collections.aigateway.foundry.plugins.filter.preflight import aigw_problems
from ansible_collections.aigateway.foundry.plugins.module_utils import apim_policy as ap
from ansible_collections.aigateway.foundry.plugins.module_utils import foundry_connection

REPO = Path(__file__).resolve().parents[2]
GATEWAY = REPO / "roles" / "gateway"
ENV = jinja2.Environment(loader=jinja2.FileSystemLoader(str(GATEWAY / "templates")), trim_blocks=True,
                         undefined=jinja2.StrictUndefined, keep_trailing_newline=True)
ENV.filters["to_json"] = lambda value, separators=None: json.dumps(value, separators=tuple(separators or (", ", ": ")))
HOSTS = [{"name": "a", "deployments": [{"name": "gpt-4o-mini", "model_version": "2024-07-18"}]},
         {"name": "b", "deployments": [{"name": "gpt-4o-mini"}, {"name": "chat", "model_name": "gpt-4.1-mini",
                                                                 "model_version": "2025-04-14"}]}]
NOT_FOUND = yaml.safe_load((GATEWAY / "vars" / "main.yml").read_text())["gateway_deployment_not_found"]


def render(endpoint):
    return ENV.get_template("discovery-policy.xml.j2").render(
        gateway_discovery_operation=endpoint, gateway_discovery_deployments=f.discovery_deployments(HOSTS),
        gateway_deployment_not_found=NOT_FOUND)


def test_the_discovery_answer_is_every_deployment_once_as_foundry_reads_it():
    assert f.discovery_deployments(HOSTS) == [
        {"name": "gpt-4o-mini", "properties": {"model": {"name": "gpt-4o-mini", "version": "2024-07-18",
                                                         "format": "OpenAI"}}},
        {"name": "chat", "properties": {"model": {"name": "gpt-4.1-mini", "version": "2025-04-14",
                                                  "format": "OpenAI"}}}]
    # The same items as the static `models` metadata: one shape for both discovery modes.
    assert f.discovery_deployments(HOSTS) == foundry_connection.models_value(
        [{"name": "gpt-4o-mini", "model_version": "2024-07-18"},
         {"name": "chat", "model_name": "gpt-4.1-mini", "model_version": "2025-04-14"}])


def test_the_modes_give_the_connection_metadata_and_the_operations():
    assert f.model_discovery_metadata("static") == {} and f.discovery_operations("static") == []
    assert f.model_discovery_metadata("dynamic") == {"list_models_endpoint": "/deployments",
                                                     "get_model_endpoint": "/deployments/{deploymentName}",
                                                     "deployment_provider": "AzureOpenAI"}
    assert [(op["operation"], op["url"]) for op in f.discovery_operations("dynamic")] == [
        ("list-deployments", "/deployments"), ("get-deployment-by-name", "/deployments/{deploymentName}")]
    with pytest.raises(AnsibleFilterError, match="'Dynamic'.*static, dynamic"):
        f.model_discovery_metadata("Dynamic")


@pytest.mark.parametrize("spec", sorted(p.name for p in (GATEWAY / "files").glob("*.json")))
def test_every_api_type_gets_the_two_operations_and_static_leaves_its_document(spec):
    document = json.loads((GATEWAY / "files" / spec).read_text())
    assert f.with_discovery_operations(document, "static") is document
    added = f.with_discovery_operations(document, "dynamic")
    assert set(added["paths"]) - set(document["paths"]) == {"/deployments", "/deployments/{deploymentName}"}
    get = added["paths"]["/deployments/{deploymentName}"]["get"]
    assert get["operationId"] == "get-deployment-by-name" and get["parameters"][0]["name"] == "deploymentName"
    assert added["paths"]["/deployments"]["get"]["operationId"] == "list-deployments"
    assert "/deployments" not in document["paths"]   # the role's file is not changed
    with pytest.raises(AnsibleFilterError, match="already has an operation GET /deployments"):
        f.with_discovery_operations(added, "dynamic")
    prefixed = f.with_discovery_operations(document, "dynamic", "/openai")
    expected = {"/openai/deployments", "/openai/deployments/{deploymentName}"}
    assert set(prefixed["paths"]) - set(document["paths"]) == expected


def test_the_operations_sit_where_the_connection_target_sends_foundry():
    """Foundry calls {target}/deployments; the target is the API path plus the API type's target suffix, so the
    operations' URLs carry what the suffix adds to the API's own (gateway role vars)."""
    types = yaml.safe_load((GATEWAY / "vars" / "main.yml").read_text())["gateway_api_types"]
    prefixes = {name: t["target_suffix"][len(t["api_suffix"]):] for name, t in types.items()}
    assert prefixes == {"PassThrough": "/openai", "AzureOpenAI": "", "AzureOpenAIV1": "", "AzureAI": ""}


def test_the_list_policy_answers_every_deployment_and_validates():
    xml_text = render("list_models_endpoint")
    assert [str(p) for p in ap.validate_policy(xml_text, scope="operation", unknown_elements="error")] == []
    body = ElementTree.fromstring(xml_text).find("inbound/return-response/set-body").text
    assert json.loads(body) == {"value": f.discovery_deployments(HOSTS)}


def test_the_get_policy_answers_the_named_deployment_else_deployment_not_found():
    xml_text = render("get_model_endpoint")
    assert [str(p) for p in ap.validate_policy(xml_text, scope="operation", unknown_elements="error")] == []
    inbound = ElementTree.fromstring(xml_text).find("inbound")
    whens = inbound.findall("choose/when")
    assert [re.search(r'== "([^"]+)"', when.get("condition")).group(1) for when in whens] == ["gpt-4o-mini", "chat"]
    assert json.loads(whens[1].find("return-response/set-body").text)["properties"]["model"]["name"] == "gpt-4.1-mini"
    fallback = inbound.find("return-response")
    assert fallback.find("set-status").get("code") == "404"
    assert json.loads(fallback.find("set-body").text) == NOT_FOUND


def test_deployment_not_found_is_the_inference_policys_unknown_model_answer():
    template = (GATEWAY / "templates" / "inference-policy.xml.j2").read_text()
    assert json.dumps(NOT_FOUND, separators=(",", ":")) in template


def test_the_setting_is_checked_by_the_preflight_rule():
    assert aigw_problems({"aigw_connection_model_discovery": "dynamic"}) == []
    assert aigw_problems({"aigw_connection_model_discovery": "static"}) == []
    problems = aigw_problems({"aigw_connection_model_discovery": "dynamc"})
    assert len(problems) == 1 and "aigw_connection_model_discovery is 'dynamc'" in problems[0] \
        and "static, dynamic" in problems[0]
    entra = {"gateway_auth": {"entra": {"enabled": True}}}
    problems = aigw_problems({"aigw_connection_model_discovery": "dynamic", "aigw_connection_scope": "account",
                              "aigw_connection_auth_type": "ApiKey", "aigw_gateway_policy": entra})
    assert any("needs the subscription key check" in p for p in problems), problems
    assert aigw_problems({"aigw_connection_model_discovery": "static", "aigw_connection_scope": "account",
                          "aigw_connection_auth_type": "ApiKey", "aigw_gateway_policy": entra}) == []
