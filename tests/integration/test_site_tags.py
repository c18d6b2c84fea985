"""site.yml's tags for partial runs (README "Partial runs"): each tag is safe alone - a run whose tags skip a role
reads what that role publishes from Azure (the roles' read entry points) instead of a fact a skipped task would have
set. After a full run, a changed token limit run with --tags policy writes only the policy (and its record), a
changed connection run with --tags connection writes only the connection, and --tags verify alone proves the
deployment as it stands. Also: a secret shows as "(secret)" in a -vvv --diff run, never its value. Its own endpoint;
file order."""
from __future__ import annotations

import json
import re
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from tests.integration.test_playbooks import ROOT, arm_clients, stop_endpoint

TAGS = ("preflight", "monitoring", "ai_services", "apim", "gateway", "policy", "connection", "verify")
POLICY = {"aigw_gateway_policy": {
    "token_limit": {"enabled": True, "tokens_per_minute": 4321, "estimate_prompt_tokens": False,
                    "remaining_tokens_header": "x-ratelimit-remaining-tokens"},
    "token_metrics": {"enabled": True, "namespace": "llm"}, "retry": {"enabled": True}}}
CONNECTION = {"aigw_inference_api_version": "2024-10-21"}


@pytest.fixture(scope="module")
def tagged(tmp_path_factory, converged_sites):
    # a copy of the run's converged site.yml: the partial runs start from a full run
    runner = converged_sites.copy(tmp_path_factory.mktemp("site-tags"))
    yield runner
    stop_endpoint(runner.state_dir)


def changed_vars(runner, *changes):
    path = runner.state_dir / "changed.json"
    merged = {}
    for change in changes:
        merged.update(change)
    path.write_text(json.dumps(merged))
    return "@%s" % path


def listed_tags(runner, playbook):
    proc = subprocess.run([str(Path(sys.executable).parent / "ansible-playbook"), playbook, "--list-tags"],
                          cwd=ROOT, env=runner.env, capture_output=True, text=True, timeout=300, check=True)
    return re.search(r"TASK TAGS: \[(.*)\]", proc.stdout).group(1).split(", ")


def test_list_tags_names_every_partial_run(tagged):
    listed = listed_tags(tagged, "playbooks/site.yml")
    assert set(TAGS) <= set(listed), listed
    assert listed_tags(tagged, "playbooks/onboard.yml") == ["onboarding"]


def test_policy_tag_after_a_policy_change_writes_only_the_policy(tagged):
    mark = len(tagged.requests_logged())
    result = tagged.run("site.yml", "--tags", "policy", "-e", changed_vars(tagged, POLICY))
    writes = tagged.writes_since(mark)
    assert writes, result["output"][-6000:]
    # The API policy, and the named value that records its settings (onboarding renders from it): nothing else.
    assert all((method, path.rsplit("/", 2)[-2:]) in (("PUT", ["policies", "policy"]),
                                                       ("PATCH", ["namedValues", "aigw-gateway-policy"]),
                                                       ("PUT", ["namedValues", "aigw-gateway-policy"]))
               for method, path in writes), writes
    assert any(path.endswith("/policies/policy") for _, path in writes), writes
    _, _, apim = arm_clients(tagged.endpoint())
    outputs = json.loads(tagged.outputs_file.read_text())
    policy = apim.api_policy.get(outputs["resource_group"], outputs["apim_name"], "inference-api", "policy",
                                 format="rawxml")
    assert 'tokens-per-minute="4321"' in policy.value


def test_connection_tag_after_a_connection_change_writes_only_the_connection(tagged):
    mark = len(tagged.requests_logged())
    result = tagged.run("site.yml", "--tags", "connection", "-e", changed_vars(tagged, POLICY, CONNECTION))
    writes = tagged.writes_since(mark)
    assert writes, result["output"][-6000:]
    assert all(method == "PUT" and re.search(r"/connections/ai-gateway$", path) for method, path in writes), writes


def test_verify_tag_alone_proves_the_deployment_as_it_stands(tagged):
    mark = len(tagged.requests_logged())
    result = tagged.run("site.yml", "--tags", "verify", "-e", changed_vars(tagged, POLICY, CONNECTION))
    assert result["changed"] == 0, result["output"][-6000:]
    assert [write for write in tagged.writes_since(mark) if write[0] != "POST"] == []
    assert "The gateway is what was provisioned" in result["output"]


def test_a_secret_shows_as_secret_in_a_verbose_diff_never_its_value(tagged):
    secret = "n0t-in-any-diff-%s" % uuid.uuid4().hex[:8]
    result = tagged.run("../tests/integration/playbooks/secret_diff.yml", "-vvv", "--diff", "-e", "test_secret=" + secret)
    assert secret not in result["output"]
    # created: "(secret)" added; written again: "(secret)" before, "(secret, written)" after (the diff in YAML)
    for line in (r"^\+\s+value: \(secret\)$", r"^-\s+value: \(secret\)$", r"^\+\s+value: \(secret, written\)$"):
        assert re.search(line, result["output"], re.M), (line, result["output"][-6000:])
