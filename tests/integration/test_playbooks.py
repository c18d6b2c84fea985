"""site.yml and teardown.yml end to end in local mode, against a local endpoint of their own.

The tests run in file order and share one endpoint: provision, re-run (nothing changes, nothing is written),
--check --diff with a changed variable (the diff shows it, nothing is written), teardown (nothing is left),
teardown again (nothing changes).
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

    def run(self, playbook, *extra):
        command = [str(Path(sys.executable).parent / "ansible-playbook"), "playbooks/%s" % playbook,
                   "-e", "aigw_local_state_dir=%s" % self.state_dir,
                   "-e", "aigw_local_time_scale=%s" % TIME_SCALE,
                   "-e", "aigw_outputs_file=%s" % self.outputs_file] + list(extra)
        proc = subprocess.run(command, cwd=ROOT, env=self.env, capture_output=True, text=True, timeout=900)
        output = proc.stdout + proc.stderr
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


@pytest.fixture(scope="module")
def playbooks(tmp_path_factory):
    runner = Playbooks(tmp_path_factory.mktemp("playbooks"))
    yield runner
    subprocess.run([sys.executable, "-m", "localazure", "stop", "--state-dir", str(runner.state_dir)], cwd=ROOT,
                   check=False, capture_output=True)


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


def test_site_provisions_the_gateway(playbooks):
    result = playbooks.run("site.yml")
    assert result["changed"] > 0
    outputs = json.loads(playbooks.outputs_file.read_text())
    assert outputs["connection_name"] == "ai-gateway"
    assert outputs["agent_model"] == "ai-gateway/gpt-4.1-mini"
    assert outputs["inference_url"] == outputs["gateway_url"] + "/inference/openai"
    assert outputs["project_endpoint"].endswith("/api/projects/foundry-project")
    flat = " ".join(result["output"].split())
    assert "no model calls were made" in flat, "local mode says what it cannot verify"
    secret = playbooks.endpoint()["client_secret"]
    assert secret not in result["output"] and secret not in playbooks.outputs_file.read_text()
    assert "primary_key" not in result["output"] and "primaryKey" not in result["output"]


def test_site_again_changes_and_writes_nothing(playbooks):
    mark = len(playbooks.requests_logged())
    result = playbooks.run("site.yml")
    assert result["changed"] == 0, result["output"][-6000:]
    assert playbooks.writes_since(mark) == []


def test_check_diff_shows_a_changed_token_limit_without_writing(playbooks):
    mark = len(playbooks.requests_logged())
    policy = {"token_limit": {"enabled": True, "tokens_per_minute": 4321, "estimate_prompt_tokens": False,
                              "remaining_tokens_header": "x-ratelimit-remaining-tokens"},
              "token_metrics": {"enabled": True, "namespace": "llm"}, "retry": {"enabled": True}}
    result = playbooks.run("site.yml", "--check", "--diff", "-e", json.dumps({"aigw_gateway_policy": policy}))
    assert result["changed"] >= 1
    assert re.search(r'^-.*llm-token-limit.*tokens-per-minute="10000"', result["output"], re.M)
    assert re.search(r'^\+.*llm-token-limit.*tokens-per-minute="4321"', result["output"], re.M)
    assert playbooks.writes_since(mark) == []


def test_teardown_leaves_nothing(playbooks):
    result = playbooks.run("teardown.yml")
    assert result["changed"] > 0
    assert "Nothing is left" in result["output"]
    resources, cognitive, apim = arm_clients(playbooks.endpoint())
    assert [group.name for group in resources.resource_groups.list()] == []
    assert list(cognitive.accounts.list()) == []
    assert list(cognitive.deleted_accounts.list()) == []
    assert list(apim.api_management_service.list()) == []
    assert list(apim.deleted_services.list_by_subscription()) == []


def test_teardown_again_changes_nothing(playbooks):
    mark = len(playbooks.requests_logged())
    result = playbooks.run("teardown.yml")
    assert result["changed"] == 0, result["output"][-6000:]
    assert playbooks.writes_since(mark) == []
