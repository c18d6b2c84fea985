"""site.yml with aigw_connection_model_discovery dynamic (issue 24 item 2), on an endpoint of its own: the gateway
answers Foundry's discovery operations from the deployments behind it and the connection carries `modelDiscovery`
instead of `models`. A stock azure-ai-projects client lists `<connection>/<model>` for every gateway model through
the local Foundry data plane, which asks the gateway as Foundry does, and an agent on each answers; a model added
later (a new deployment on the host and the gateway role run again, the connection role not) is listed and answers
with the connection unwritten; a re-run writes nothing. The tests run in file order.
"""
from __future__ import annotations

import json
import ssl

import openai
import pytest
import requests

from tests.integration.test_playbooks import Playbooks, arm_clients, stop_endpoint

LAB_MODELS = [{"name": name, "model_name": name, "model_version": "2026-03-17", "model_format": "OpenAI",
               "sku_name": "GlobalStandard", "capacity": 10} for name in ("gpt-5.4-mini", "gpt-5.4-nano")]
LATER_MODEL = {"name": "gpt-4.1-mini", "model_name": "gpt-4.1-mini", "model_version": "2025-04-14",
               "model_format": "OpenAI", "sku_name": "GlobalStandard", "capacity": 10}
DYNAMIC = ("-e", json.dumps({"aigw_connection_model_discovery": "dynamic"}))
# The first run is whole (verify proves a dynamic connection); the others leave verify out (every other tag;
# --skip-tags verify would skip the gateway role too, which verify's runs need) and prove the agent path with the
# stock client themselves.
NOT_VERIFY = ("--tags", "preflight,resource_group,monitoring,ai_services,apim,gateway,capabilities,connection,outputs")
LATER = ("-e", json.dumps({"aigw_models": LAB_MODELS + [LATER_MODEL]}))


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    runner = Playbooks(tmp_path_factory.mktemp("model-discovery"))
    yield runner
    runner.run("teardown.yml", *DYNAMIC)
    stop_endpoint(runner.state_dir)


class Foundry:
    """The stock azure-ai-projects client on the agent project, and the gateway as Foundry reaches it."""

    def __init__(self, runner):
        from azure.ai.projects import AIProjectClient
        from azure.identity import ClientSecretCredential

        self.endpoint = endpoint = runner.endpoint()
        outputs = json.loads(runner.outputs_file.read_text())
        self.group = outputs["resource_group"]
        credential = ClientSecretCredential(endpoint["tenant_id"], endpoint["client_id"], endpoint["client_secret"],
                                            authority=endpoint["authority_host"], disable_instance_discovery=True,
                                            connection_verify=endpoint["ca_bundle"])
        _, self.cognitive, self.apim = arm_clients(endpoint)
        agents = next(a.name for a in self.cognitive.accounts.list_by_resource_group(self.group)
                      if a.name.startswith("agents-"))
        url = endpoint["foundry_project_url_template"].format(account=agents, project=self.project_name(agents))
        self.client = AIProjectClient(endpoint=url, credential=credential, connection_verify=endpoint["ca_bundle"])
        self.openai = self.client.get_openai_client(http_client=openai.DefaultHttpxClient(
            verify=ssl.create_default_context(cafile=endpoint["ca_bundle"])))
        self.service = outputs["gateway_url"].split("//")[1].split(".")[0]

    def project_name(self, account):
        return next(p.name.split("/")[-1] for p in self.cognitive.projects.list(self.group, account))

    def gateway_models(self):
        return sorted(d.name for d in self.client.deployments.list() if d.connection_name == "ai-gateway")

    def agent_answers(self, model):
        from azure.ai.projects.models import PromptAgentDefinition

        name = "discovery-%s" % model.replace(".", "-")
        self.client.agents.create_version(agent_name=name, definition=PromptAgentDefinition(
            model="ai-gateway/%s" % model, instructions="Answer briefly."))
        try:
            answer = self.openai.responses.create(input=[{"role": "user", "content": "Say OK."}],
                                                  extra_body={"agent_reference": {"name": name,
                                                                                  "type": "agent_reference"}})
            return answer.status == "completed" and bool(answer.output_text)
        finally:
            self.client.agents.delete(name)


def test_site_writes_the_discovery_operations_and_a_connection_without_models(site):
    site.run("site.yml", *DYNAMIC)
    foundry = Foundry(site)
    connection = foundry.client.connections.get("ai-gateway")
    assert "models" not in connection.metadata
    assert json.loads(connection.metadata["modelDiscovery"]) == {
        "listModelsEndpoint": "/deployments", "getModelEndpoint": "/deployments/{deploymentName}",
        "deploymentProvider": "AzureOpenAI"}
    operations = {op.name: op for op in foundry.apim.api_operation.list_by_api(foundry.group, foundry.service,
                                                                                "inference-api")}
    assert (operations["list-deployments"].method, operations["list-deployments"].url_template) == \
        ("GET", "/openai/deployments")
    assert (operations["get-deployment-by-name"].method, operations["get-deployment-by-name"].url_template) == \
        ("GET", "/openai/deployments/{deploymentName}")


def test_the_gateway_answers_discovery_itself_with_the_connection_key(site):
    foundry = Foundry(site)
    key = foundry.apim.subscription.list_secrets(foundry.group, foundry.service, "foundry-subscription").primary_key
    base = foundry.endpoint["gateway_base_url_template"].format(service=foundry.service) + "/inference/openai"

    def get(path, **headers):
        return requests.get(base + path, headers=headers, verify=foundry.endpoint["ca_bundle"], timeout=30)

    listed = get("/deployments", **{"api-key": key})
    assert listed.status_code == 200 and "x-localazure-unevaluated-policies" not in listed.headers, listed.text
    assert [(d["name"], d["properties"]["model"]) for d in listed.json()["value"]] == [
        (m["name"], {"name": m["name"], "version": m["model_version"], "format": "OpenAI"}) for m in LAB_MODELS]
    one = get("/deployments/gpt-5.4-nano", **{"api-key": key})
    assert one.status_code == 200 and one.json()["name"] == "gpt-5.4-nano", one.text
    missing = get("/deployments/gpt-5-nano", **{"api-key": key})
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "DeploymentNotFound", missing.text
    assert get("/deployments").status_code == 401
    # The gateway answered them itself: a model host's answer carries its region.
    assert not [a for a in (listed, one, missing) if "x-ms-region" in a.headers]


def test_a_stock_client_lists_every_gateway_model_and_an_agent_on_each_answers(site):
    foundry = Foundry(site)
    assert foundry.gateway_models() == sorted("ai-gateway/%s" % m["name"] for m in LAB_MODELS)
    assert foundry.client.deployments.get("ai-gateway/gpt-5.4-mini").model_version == "2026-03-17"
    for model in LAB_MODELS:
        assert foundry.agent_answers(model["name"]), model


def test_a_model_added_later_is_listed_and_answers_without_the_connection_role(site):
    mark = len(site.requests_logged())
    site.run("site.yml", "--tags", "ai_services,gateway", *DYNAMIC, *LATER)
    writes = site.writes_since(mark)
    assert any("/deployments/gpt-4.1-mini" in path for _, path in writes), writes
    assert not [path for _, path in writes if "/connections/" in path.lower()], writes
    foundry = Foundry(site)
    assert foundry.gateway_models() == sorted("ai-gateway/%s" % m["name"] for m in LAB_MODELS + [LATER_MODEL])
    assert foundry.agent_answers(LATER_MODEL["name"])


def test_a_second_run_changes_and_writes_nothing(site):
    site.run("site.yml", *DYNAMIC, *LATER, *NOT_VERIFY)   # the connection role's first run with the new model
    mark = len(site.requests_logged())
    result = site.run("site.yml", *DYNAMIC, *LATER, *NOT_VERIFY)
    assert result["changed"] == 0, result["output"][-6000:]
    assert site.writes_since(mark) == []
