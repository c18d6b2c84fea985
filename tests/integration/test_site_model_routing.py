"""site.yml with three model hosts that serve different models (issue 24 item 1, routing by model), on an endpoint of
its own: the gateway builds one pool per model of the hosts that deploy it and its policy picks the pool from the
request's model. Each model answers only from hosts that have it; a model no host serves gets the gateway's own 404
DeploymentNotFound with no backend call in the gateway's log; one model's pool fails over while the other model
keeps its host; verify proves the routed pool; a re-run writes nothing. The tests run in file order.
"""
from __future__ import annotations

import json

import pytest
import requests

from tests.integration.test_playbooks import Playbooks, arm_clients, stop_endpoint

API_VERSION = "2024-12-01-preview"
BREAKER_RULE = {"name": "InferenceBreakerRule", "trip_duration": "PT1M", "accept_retry_after": True,
                "failure_count": 1, "interval": "PT1M", "status_code_ranges": [{"min": 429, "max": 429}]}
# gpt-5.4-mini: A (priority 1, swedencentral) and B (priority 2, eastus); gpt-5.4-nano: C (priority 1, westus) and B.
ROUTED = {
    "aigw_model_hosts": [
        {"name": "models-a-{{ aigw_name_suffix }}", "backend": "models-a", "location": "swedencentral",
         "priority": 1, "weight": 100, "disable_local_auth": True, "deployments": "{{ aigw_models[:1] }}"},
        {"name": "models-b-{{ aigw_name_suffix }}", "backend": "models-b", "location": "eastus",
         "priority": 2, "weight": 100, "disable_local_auth": True, "deployments": "{{ aigw_models }}"},
        {"name": "models-c-{{ aigw_name_suffix }}", "backend": "models-c", "location": "westus",
         "priority": 1, "weight": 100, "disable_local_auth": True, "deployments": "{{ aigw_models[1:] }}"},
    ],
    "aigw_circuit_breaker_rules": [BREAKER_RULE],
    "aigw_gateway_policy": {"retry": {"enabled": True}},
}
VARS = ("-e", json.dumps(ROUTED))
HOST_OF_REGION = {"swedencentral": "A", "eastus": "B", "westus": "C"}


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    runner = Playbooks(tmp_path_factory.mktemp("model-routing"))
    yield runner
    runner.run("teardown.yml", *VARS)
    stop_endpoint(runner.state_dir)


class Gateway:
    """Calls through the local gateway with the subscription key, and its own log rows."""

    def __init__(self, runner):
        self.runner, self.endpoint = runner, runner.endpoint()
        outputs = json.loads(runner.outputs_file.read_text())
        _, self.cognitive, self.apim = arm_clients(self.endpoint)
        self.group = outputs["resource_group"]
        self.service = outputs["gateway_url"].split("//")[1].split(".")[0]
        self.key = self.apim.subscription.list_secrets(self.group, self.service, "foundry-subscription").primary_key
        self.base = self.endpoint["gateway_base_url_template"].format(service=self.service) + "/inference"

    def chat(self, model, v1=False):
        body = {"messages": [{"role": "user", "content": "Answer with OK."}], "max_completion_tokens": 5}
        if v1:
            url, params, body = self.base + "/openai/v1/chat/completions", {}, dict(body, model=model)
        else:
            url, params = self.base + "/openai/deployments/%s/chat/completions" % model, {"api-version": API_VERSION}
        return requests.post(url, params=params, json=body, headers={"api-key": self.key},
                             verify=self.endpoint["ca_bundle"], timeout=60)

    def host(self, answer):
        assert answer.status_code == 200, answer.text
        return HOST_OF_REGION[answer.headers["x-ms-region"]]

    def control(self, method, path, body=None):
        answer = requests.request(method, self.endpoint["arm_endpoint"] + path, json=body,
                                  verify=self.endpoint["ca_bundle"], timeout=30)
        assert answer.status_code < 300, answer.text
        return answer

    def fresh_minute(self):
        """A model host admits a deployment's capacity in requests per 10 s on the endpoint's clock: each test starts
        on a fresh minute, so what it sees is routing, not the previous test's calls."""
        self.control("POST", "/localazure/clock", {"advance_seconds": 61})

    def gateway_logs(self):
        """The service's ApiManagementGatewayLogs rows, read with the stock Log Analytics query client."""
        from azure.identity import ClientSecretCredential
        from azure.monitor.query import LogsQueryClient

        workspace = next(w for w in self.runner_workspaces())
        credential = ClientSecretCredential(self.endpoint["tenant_id"], self.endpoint["client_id"],
                                            self.endpoint["client_secret"], authority=self.endpoint["authority_host"],
                                            disable_instance_discovery=True,
                                            connection_verify=self.endpoint["ca_bundle"])
        client = LogsQueryClient(credential, endpoint=self.endpoint["log_analytics_endpoint"],
                                 audience="https://api.loganalytics.io", connection_verify=self.endpoint["ca_bundle"])
        result = client.query_workspace(workspace, "ApiManagementGatewayLogs | project Url, ResponseCode, BackendId, "
                                                   "BackendUrl, BackendResponseCode", timespan=None)
        table = result.tables[0]
        return [dict(zip(table.columns, row)) for row in table.rows]

    def runner_workspaces(self):
        from azure.identity import ClientSecretCredential
        from azure.mgmt.loganalytics import LogAnalyticsManagementClient

        credential = ClientSecretCredential(self.endpoint["tenant_id"], self.endpoint["client_id"],
                                            self.endpoint["client_secret"], authority=self.endpoint["authority_host"],
                                            disable_instance_discovery=True,
                                            connection_verify=self.endpoint["ca_bundle"])
        client = LogAnalyticsManagementClient(credential, self.endpoint["subscription_id"],
                                              base_url=self.endpoint["arm_endpoint"],
                                              connection_verify=self.endpoint["ca_bundle"],
                                              credential_scopes=["https://management.azure.com/.default"])
        return [w.customer_id for w in client.workspaces.list_by_resource_group(self.group)]


def test_site_builds_a_pool_per_model_and_verify_proves_the_routed_pool(site):
    result = site.run("site.yml", *VARS)
    shown = " ".join(result["output"].split())
    assert "Pool of gpt-5.4-mini: swedencentral answered first, eastus took over while it throttled (circuit breaker " \
           "open), and swedencentral came back after the trip" in shown, result["output"][-8000:]
    gateway = Gateway(site)
    pools = {backend.name: sorted((member.id.rsplit("/", 1)[-1], member.priority) for member in backend.pool.services)
             for backend in gateway.apim.backend.list_by_service(gateway.group, gateway.service)
             if backend.pool is not None}   # .type is the ARM resource type here
    assert pools == {"inference-backend-pool-gpt-5.4-mini": [("models-a", 1), ("models-b", 2)],
                     "inference-backend-pool-gpt-5.4-nano": [("models-b", 2), ("models-c", 1)]}


def test_each_model_answers_only_from_hosts_that_have_it(site):
    gateway = Gateway(site)
    gateway.fresh_minute()
    for v1 in (False, True):
        assert {gateway.host(gateway.chat("gpt-5.4-mini", v1)) for _ in range(4)} == {"A"}
        assert {gateway.host(gateway.chat("gpt-5.4-nano", v1)) for _ in range(4)} == {"C"}


def test_an_unknown_model_gets_the_gateways_own_404_without_a_backend_call(site):
    gateway = Gateway(site)
    answers = [gateway.chat("gpt-5-nano"), gateway.chat("gpt-5-nano", v1=True)]
    for answer in answers:
        assert answer.status_code == 404, answer.text
        assert answer.json() == {"error": {"code": "DeploymentNotFound", "message": (
            "The API deployment for this resource does not exist. If you created the deployment within the last 5 "
            "minutes, please wait a moment and try again.")}}
    rows = [row for row in gateway.gateway_logs() if row["ResponseCode"] == 404]
    assert len(rows) == 2, rows
    assert all(not row["BackendUrl"] and not row["BackendId"] and row["BackendResponseCode"] in (None, "")
               for row in rows), rows
    routed = [row for row in gateway.gateway_logs() if "gpt-5.4-nano" in row["Url"] and row["ResponseCode"] == 200]
    assert routed and all(row["BackendId"] in ("models-b", "models-c") for row in routed), routed


def test_one_models_pool_fails_over_while_the_other_model_keeps_its_host(site):
    gateway = Gateway(site)
    host_a = next(a.name for a in gateway.cognitive.accounts.list_by_resource_group(gateway.group)
                  if a.name.startswith("models-a-"))
    gateway.fresh_minute()
    gateway.control("POST", "/localazure/cognitiveservices/model-hosts/%s/throttle" % host_a,
                    {"status": 429, "duration_seconds": 60, "retry_after": 60})
    try:
        assert [gateway.host(gateway.chat("gpt-5.4-mini")) for _ in range(3)] == ["B", "B", "B"]
        assert [gateway.host(gateway.chat("gpt-5.4-nano")) for _ in range(3)] == ["C", "C", "C"]
    finally:
        gateway.control("DELETE", "/localazure/cognitiveservices/model-hosts/%s/throttle" % host_a)
    gateway.control("POST", "/localazure/clock", {"advance_seconds": 61})
    assert gateway.host(gateway.chat("gpt-5.4-mini")) == "A"


def test_a_second_run_changes_and_writes_nothing(site):
    mark = len(site.requests_logged())
    result = site.run("site.yml", *VARS)
    assert result["changed"] == 0, result["output"][-6000:]
    assert site.writes_since(mark) == []
