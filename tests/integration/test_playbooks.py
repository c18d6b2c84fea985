"""site.yml and teardown.yml end to end in local mode, against a local endpoint of their own.

--check on nothing (predicts, writes nothing) on an endpoint of its own; then the run's converge of site.yml
(tests/integration/converged.py: its output, its request log and outputs file) - verify calls each model through
the endpoint's gateway emulation - and in file order on one copy of it: re-run (nothing changes, nothing is
written), --check --diff with a changed variable (the diff shows it, nothing is written), teardown (nothing is
left), teardown again (nothing changes).
"""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TIME_SCALE = os.environ.get("LOCALAZURE_TEST_TIME_SCALE", "0.0002")
RECAP = re.compile(r"localhost\s*:\s*ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)")


class Playbooks:
    """Runs the project's playbooks with the local inventory, an own state dir and an own outputs file."""

    def __init__(self, state_dir):
        self.state_dir = state_dir
        self.outputs_file = state_dir / "outputs.json"
        self.env = {k: v for k, v in os.environ.items()
                    if not k.startswith(("AZURE_", "REQUESTS_CA_BUNDLE", "ANSIBLE_"))}
        self.env.update(ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"), ANSIBLE_FORCE_COLOR="0", NO_COLOR="1",
                        NO_PROXY="127.0.0.1,localhost")

    def run(self, playbook, *extra, expect_failure=False):
        command = [str(Path(sys.executable).parent / "ansible-playbook"), "playbooks/%s" % playbook,
                   "-e", "aigw_local_state_dir=%s" % self.state_dir,
                   "-e", "aigw_local_time_scale=%s" % TIME_SCALE,
                   # the tests read the endpoint after teardown.yml, which would stop the endpoint site.yml started
                   "-e", "aigw_local_keep_endpoint=true",
                   "-e", "aigw_outputs_file=%s" % self.outputs_file] + list(extra)
        proc = subprocess.run(command, cwd=ROOT, env=self.env, capture_output=True, text=True, timeout=900)
        output = proc.stdout + proc.stderr
        if expect_failure:
            assert proc.returncode != 0, "%s did not fail:\n%s" % (playbook, output[-8000:])
            return dict(output=output, changed=None)
        assert proc.returncode == 0, "%s failed (rc=%s):\n%s" % (playbook, proc.returncode, output[-8000:])
        recap = RECAP.findall(proc.stdout)
        assert recap, "no play recap in:\n" + output[-4000:]
        ok, changed, unreachable, failed = (int(n) for n in recap[-1])
        assert failed == 0 and unreachable == 0
        return dict(output=output, changed=changed)

    def endpoint(self):
        return json.loads((self.state_dir / "endpoint.json").read_text())

    def requests_logged(self):
        log = self.state_dir / "requests.jsonl"
        return [json.loads(line) for line in log.read_text().splitlines() if line.strip()] if log.exists() else []

    def writes_since(self, mark):
        return [(e["method"], e["path"]) for e in self.requests_logged()[mark:] if e.get("kind") == "write"]


def stop_endpoint(state_dir):
    subprocess.run([sys.executable, "-m", "localazure", "stop", "--state-dir", str(state_dir)], cwd=ROOT,
                   check=False, capture_output=True)


@pytest.fixture(scope="module")
def playbooks(tmp_path_factory):
    runner = Playbooks(tmp_path_factory.mktemp("playbooks"))
    yield runner
    stop_endpoint(runner.state_dir)


@pytest.fixture(scope="module")
def converged(tmp_path_factory, converged_sites):
    """A copy of the run's converge of the default site.yml; ``converged.converged`` is that converge's result."""
    runner = converged_sites.copy(tmp_path_factory.mktemp("converged"))
    yield runner
    stop_endpoint(runner.state_dir)


@pytest.fixture(scope="module")
def pool_playbooks(tmp_path_factory):
    runner = Playbooks(tmp_path_factory.mktemp("pool-playbooks"))
    yield runner
    stop_endpoint(runner.state_dir)


def arm_clients(endpoint):
    """Management clients on the local endpoint, to look at what is left without our modules."""
    from azure.identity import ClientSecretCredential
    from azure.mgmt.apimanagement import ApiManagementClient
    from azure.mgmt.cognitiveservices import CognitiveServicesManagementClient
    from azure.mgmt.resource.resources import ResourceManagementClient

    credential = ClientSecretCredential(endpoint["tenant_id"], endpoint["client_id"], endpoint["client_secret"],
                                        authority=endpoint["authority_host"], disable_instance_discovery=True,
                                        connection_verify=endpoint["ca_bundle"])
    options = dict(base_url=endpoint["arm_endpoint"], connection_verify=endpoint["ca_bundle"],
                   credential_scopes=["https://management.azure.com/.default"])
    subscription = endpoint["subscription_id"]
    return (ResourceManagementClient(credential, subscription, **options),
            CognitiveServicesManagementClient(credential, subscription, **options),
            ApiManagementClient(credential, subscription, **options))


def agents_in(endpoint, project_endpoint):
    """The agents of a project, read with the stock azure-ai-projects client."""
    from azure.ai.projects import AIProjectClient
    from azure.identity import ClientSecretCredential

    credential = ClientSecretCredential(endpoint["tenant_id"], endpoint["client_id"], endpoint["client_secret"],
                                        authority=endpoint["authority_host"], disable_instance_discovery=True,
                                        connection_verify=endpoint["ca_bundle"])
    project = AIProjectClient(endpoint=project_endpoint, credential=credential, connection_verify=endpoint["ca_bundle"])
    return [agent.name for agent in project.agents.list()]


def test_check_mode_on_nothing_predicts_and_writes_nothing(playbooks):
    result = playbooks.run("site.yml", "--check")
    assert result["changed"] > 0
    assert "does not exist yet" in " ".join(result["output"].split())
    # ... and lists what would be created, by kind and name
    for planned in (r"Log Analytics workspace \S+/workspace-\w+", r"Foundry account \S+/models-foundry-\w+",
                    r"model deployment models-foundry-\w+/gpt-5.4-mini", r"Foundry project agents-foundry-\w+/foundry-project",
                    r"API Management service \S+/apim-\w+ \(Standardv2\)", r"Foundry connection ai-gateway"):
        assert re.search(planned, result["output"]), (planned, result["output"][-4000:])
    assert playbooks.writes_since(0) == []


# Every long wait says what it awaits, its state and the time: "<what>: <state>, <n>s elapsed (typically ...)" while it
# runs, "<what>: succeeded after <time>" at the end; never Ansible's "FAILED - RETRYING" per poll.
def assert_progress(output, *awaited):
    assert "FAILED - RETRYING" not in output
    for what in awaited:
        assert re.search(r"^%s: succeeded after (\d+m )?\d+s$" % what, output, re.M), (what, output[-6000:])


def test_site_provisions_the_gateway(converged):
    result = converged.converged
    assert result["changed"] > 0
    assert_progress(result["output"], r"API Management service apim-\w+ \(Standardv2\)",
                    r"Foundry account models-foundry-\w+", r"model deployment models-foundry-\w+/gpt-5.4-mini",
                    r"Foundry project agents-foundry-\w+/foundry-project")
    # skipped tasks are not listed (ansible.cfg), the recap still counts them
    assert "skipping:" not in result["output"] and re.search(r"skipped=[1-9]", result["output"])
    outputs = json.loads(converged.outputs_file.read_text())
    # what the README's client snippet needs without parsing URLs: the service's name and the subscription
    assert outputs["subscription_id"] == converged.endpoint()["subscription_id"]
    assert outputs["gateway_url"].split("//")[1].split(".")[0] == outputs["apim_name"]
    assert outputs["connection_name"] == "ai-gateway"
    assert outputs["agent_model"] == "ai-gateway/gpt-5.4-mini"
    assert outputs["inference_url"] == outputs["gateway_url"] + "/inference/openai"
    assert outputs["project_endpoint"].endswith("/api/projects/foundry-project")
    # verify called each model through the local gateway emulation: with the key 200, without 401
    calls = sorted((e["path"].rsplit("/deployments/", 1)[-1], e["status"])
                   for e in converged.requests_logged() if e.get("kind") == "gateway")
    # ... the metric and log proofs made one call of their own to the first model, the operations proof one chat
    # call (responses predate this api-version, no embeddings deployment: said not proven), and the agent step's
    # test agent answered through the connection: one more call to its deployment
    assert calls == sorted([(model + "/chat/completions", status)
                            for model in ("gpt-5.4-mini", "gpt-5.4-nano") for status in (200, 401)]
                           + [("gpt-5.4-mini/chat/completions", 200)] * 3)
    # each proof of a capability switched on says what it showed (the pool has one host: no pool proof)
    shown = " ".join(result["output"].split())
    assert re.search(r'Token metrics - \d+ "Total Tokens" row\(s\), \d+ tokens, with dimensions', shown)
    assert re.search(r"LLM logs - \d+ call\(s\) logged with \d+ tokens", shown)
    # one sentence names every proof not made: the operations this API type and api-version lack, the token limit
    unproven = re.search(r"Not proven: ([^.]*)\.", shown)
    assert unproven, shown[-4000:]
    items = unproven.group(1).split("; ")
    assert "embeddings: no embeddings deployment" in items, items
    assert any(item.startswith("responses: ") and "predates the Responses API" in item for item in items), items
    assert any(item.startswith("token limit: tokens_per_minute 10000 is not below the capacity") for item in items), \
        items
    assert "Agent aigw-gateway-check answered through ai-gateway/gpt-5.4-mini" in " ".join(result["output"].split())
    # the agent's deployment is also the proofs' first model: their calls after the question count too
    assert re.search(r"The gateway logged [1-9]\d* call\(s\) to gpt-5\.4-mini since", " ".join(result["output"].split()))
    local = outputs["local"]
    endpoint = converged.endpoint()
    agent_account = outputs["project_endpoint"].split("//")[1].split(".")[0]
    service = outputs["gateway_url"].split("//")[1].split(".")[0]
    assert local == {
        "project_endpoint": endpoint["foundry_project_url_template"].replace("{account}", agent_account)
                                                                    .replace("{project}", "foundry-project"),
        "inference_url": endpoint["gateway_base_url_template"].replace("{service}", service) + "/inference/openai",
        "ca_bundle": endpoint["ca_bundle"], "authority_host": endpoint["authority_host"],
        "tenant_id": endpoint["tenant_id"], "client_id": endpoint["client_id"]}
    # the test agent's version was deleted: nothing is left in the project
    assert [e for e in converged.requests_logged() if e.get("kind") == "foundry" and e["method"] == "DELETE"]
    assert agents_in(endpoint, local["project_endpoint"]) == []
    resources, cognitive, apim = arm_clients(converged.endpoint())
    agent_account = outputs["project_endpoint"].split("//")[1].split(".")[0]
    connections = {c.name: c.properties.category
                   for c in cognitive.account_connections.list(outputs["resource_group"], agent_account)}
    assert connections == {"ai-gateway": "ApiManagement", "appinsights": "AppInsights"}
    secret = converged.endpoint()["client_secret"]
    assert secret not in result["output"] and secret not in converged.outputs_file.read_text()
    service = outputs["gateway_url"].split("//")[1].split(".")[0]
    keys = apim.subscription.list_secrets(outputs["resource_group"], service, "foundry-subscription")
    for key in (keys.primary_key, keys.secondary_key):
        assert key and key not in result["output"] and key not in converged.outputs_file.read_text()


def test_site_again_changes_and_writes_nothing(converged):
    mark = len(converged.requests_logged())
    result = converged.run("site.yml")
    assert result["changed"] == 0, result["output"][-6000:]
    assert converged.writes_since(mark) == []


def test_check_diff_shows_a_changed_token_limit_without_writing(converged):
    mark = len(converged.requests_logged())
    policy = {"token_limit": {"enabled": True, "tokens_per_minute": 4321, "estimate_prompt_tokens": False,
                              "remaining_tokens_header": "x-ratelimit-remaining-tokens"},
              "token_metrics": {"enabled": True, "namespace": "llm"}, "retry": {"enabled": True}}
    result = converged.run("site.yml", "--check", "--diff", "-e", json.dumps({"aigw_gateway_policy": policy}))
    assert result["changed"] >= 1
    assert re.search(r'^-.*llm-token-limit.*tokens-per-minute="10000"', result["output"], re.M)
    assert re.search(r'^\+.*llm-token-limit.*tokens-per-minute="4321"', result["output"], re.M)
    assert converged.writes_since(mark) == []


def test_teardown_leaves_nothing(converged):
    result = converged.run("teardown.yml")
    assert result["changed"] > 0
    assert "Nothing is left" in result["output"]
    assert_progress(result["output"], r"delete of API Management service apim-\w+",
                    r"purge of API Management service apim-\w+", r"delete and purge of Foundry account \S+")
    resources, cognitive, apim = arm_clients(converged.endpoint())
    assert [group.name for group in resources.resource_groups.list()] == []
    assert list(cognitive.accounts.list()) == []
    assert list(cognitive.deleted_accounts.list()) == []
    assert list(apim.api_management_service.list()) == []
    assert list(apim.deleted_services.list_by_subscription()) == []


def test_teardown_again_changes_nothing(converged):
    mark = len(converged.requests_logged())
    result = converged.run("teardown.yml")
    assert result["changed"] == 0, result["output"][-6000:]
    assert converged.writes_since(mark) == []


# Two model hosts behind a pool, the v1 API, a project connection; then a teardown that leaves the accounts and the
# service soft-deleted, which the next site.yml must refuse to walk into, and a teardown that purges them.
POOL_TOPOLOGY = json.dumps({
    "aigw_api_type": "AzureOpenAIV1",
    "aigw_connection_scope": "project",
    "aigw_model_hosts": [
        {"name": "models-a-{{ aigw_name_suffix }}", "backend": "models-a", "priority": 1, "weight": 70,
         "deployments": "{{ aigw_models }}"},
        {"name": "models-b-{{ aigw_name_suffix }}", "backend": "models-b", "priority": 1, "weight": 30,
         "project": "models-b-project", "deployments": "{{ aigw_models }}"},
    ],
})


def test_pool_of_two_hosts_with_a_project_connection(pool_playbooks):
    result = pool_playbooks.run("site.yml", "-e", POOL_TOPOLOGY)
    outputs = json.loads(pool_playbooks.outputs_file.read_text())
    assert outputs["inference_url"] == outputs["gateway_url"] + "/inference/openai/v1"
    resources, cognitive, apim = arm_clients(pool_playbooks.endpoint())
    group, service = outputs["resource_group"], outputs["gateway_url"].split("//")[1].split(".")[0]
    pool = apim.backend.get(group, service, "inference-backend-pool")
    assert sorted((m.id.rsplit("/", 1)[-1], m.weight) for m in pool.pool.services) == [("models-a", 70),
                                                                                       ("models-b", 30)]
    agent_account = outputs["project_endpoint"].split("//")[1].split(".")[0]
    assert [c.name for c in cognitive.project_connections.list(group, agent_account, "foundry-project")] == [
        "ai-gateway"]
    calls = [e["status"] for e in pool_playbooks.requests_logged() if e.get("kind") == "gateway"]
    assert sorted(calls) == [200] * 6 + [401] * 2, \
        "each model with and without the key, the metric and log proofs' call, the operations proof's chat and " \
        "responses calls (the v1 API carries both) and the agent's call"
    # both hosts have priority 1: which one answers is the pool's choice, so failover cannot be shown
    assert "Pool: failover not proven - it needs one host alone at the first priority" in " ".join(result["output"].split())


def test_soft_deleted_names_stop_the_next_run_until_purged(pool_playbooks):
    pool_playbooks.run("teardown.yml", "-e", POOL_TOPOLOGY, "-e", json.dumps({"aigw_teardown_purge": False}))
    resources, cognitive, apim = arm_clients(pool_playbooks.endpoint())
    assert len(list(cognitive.deleted_accounts.list())) == 3
    assert len(list(apim.deleted_services.list_by_subscription())) == 1

    mark = len(pool_playbooks.requests_logged())
    refused = pool_playbooks.run("site.yml", "-e", POOL_TOPOLOGY, expect_failure=True)
    assert "aigw_soft_deleted=purge" in " ".join(refused["output"].split())
    assert pool_playbooks.writes_since(mark) == [], "the preflight stops before any write"

    pool_playbooks.run("teardown.yml", "-e", POOL_TOPOLOGY)
    assert list(cognitive.deleted_accounts.list()) == []
    assert list(apim.deleted_services.list_by_subscription()) == []
