"""site.yml with every gateway capability on, two model hosts in different regions and priorities, on an endpoint
of its own: verify proves each capability and says so; a re-run changes and writes nothing; then one thing at a time
is broken behind the playbook's back and verify's capability step alone (tests/integration/playbooks/
verify_capabilities.yml) must fail naming that capability. A quota of 0 never reaches the gateway: the policy
validator refuses it before any write. The tests run in file order and share the endpoint: a copy of the run's one
converge of this configuration from nothing (tests/integration/converged.py), which
test_teardown_all_capabilities.py starts from too; the first test asserts on that converge's own output.
"""
from __future__ import annotations

import json
import re

import pytest

from tests.integration.test_playbooks import arm_clients, stop_endpoint

BREAKER_RULE = {"name": "InferenceBreakerRule", "trip_duration": "PT1M", "accept_retry_after": True,
                "failure_count": 1, "interval": "PT1M", "status_code_ranges": [{"min": 429, "max": 429}]}
POLICY = {
    # 2,000 tokens per minute is below each host's capacity (capacity 10: 10,000), so the gateway's limit shows.
    "token_limit": {"enabled": True, "tokens_per_minute": 2000, "token_quota": 1000000,
                    "token_quota_period": "Monthly", "estimate_prompt_tokens": False,
                    "remaining_tokens_header": "x-ratelimit-remaining-tokens"},
    "token_metrics": {"enabled": True, "namespace": "llm"},
    "retry": {"enabled": True},
}
ALL_CAPABILITIES = {
    "aigw_model_hosts": [
        {"name": "models-a-{{ aigw_name_suffix }}", "backend": "models-a", "location": "swedencentral",
         "priority": 1, "weight": 100, "disable_local_auth": True, "deployments": "{{ aigw_models }}"},
        {"name": "models-b-{{ aigw_name_suffix }}", "backend": "models-b", "location": "eastus",
         "priority": 2, "weight": 100, "disable_local_auth": True, "deployments": "{{ aigw_models }}"},
    ],
    "aigw_circuit_breaker_rules": [BREAKER_RULE],
    "aigw_semantic_cache": True,
    "aigw_semantic_cache_score_threshold": 0.4,
    "aigw_content_safety": True,
    "aigw_content_safety_blocklists": [{"name": "blocklist1", "description": "Refused terms",
                                        "items": [{"name": "codename", "pattern": "Project Nightingale"}]}],
    "aigw_token_quotas": True,
    "aigw_gateway_policy": POLICY,
}
# The ContentSafety account's key is the content safety backend's one credential (no API Management api-version
# gives a backend a managed identity): site.yml makes the account and reads its key in the same run (no key given).
ALL_CAPABILITIES["aigw_name_suffix"] = "allcaps"
SAFETY_ACCOUNT = "contentsafety-allcaps"
VARS = ("-e", json.dumps(ALL_CAPABILITIES))

# What each proof says when it passed (roles/verify/tasks/capabilities.yml, token_limit.yml).
PROOFS_SHOWN = {
    "pool": r"Pool: swedencentral answered first, eastus took over while it throttled \(circuit breaker open\), "
            r"and swedencentral came back after the trip",
    "semantic_cache": r"Semantic cache - the same prompt got the cached answer \S+ without a backend call",
    "content_safety": r"Content safety - the blocklisted prompt was refused with 403",
    "token_quota": r"Token quota - answered within 1000000 tokens per Monthly",
    "token_limit": r"Token limit - 429 after \d call\(s\) with Retry-After \d+ s, answered again after it",
    "token_metrics": r'Token metrics - \d+ "Total Tokens" row\(s\), \d+ tokens, with dimensions',
    "llm_logs": r"LLM logs - \d+ call\(s\) logged with \d+ tokens",
}


@pytest.fixture(scope="module")
def site(tmp_path_factory, converged_sites):
    runner = converged_sites.copy(tmp_path_factory.mktemp("all-capabilities"), *VARS)
    yield runner
    runner.run("teardown.yml", *VARS)
    stop_endpoint(runner.state_dir)


class Provisioned:
    """The SDK's view of what site.yml made, to break one thing and put it back."""

    def __init__(self, runner):
        outputs = json.loads(runner.outputs_file.read_text())
        _, self.cognitive, self.apim = arm_clients(runner.endpoint())
        self.group = outputs["resource_group"]
        self.service = outputs["gateway_url"].split("//")[1].split(".")[0]
        self.safety_account = next(a.name for a in self.cognitive.accounts.list_by_resource_group(self.group)
                                   if a.kind == "ContentSafety")

    def policy(self) -> str:
        return self.apim.api_policy.get(self.group, self.service, "inference-api", "policy", format="rawxml").value

    def put_policy(self, xml: str) -> None:
        self.apim.api_policy.create_or_update(self.group, self.service, "inference-api", "policy",
                                              {"format": "rawxml", "value": xml})

    def breaker_ranges(self, ranges: list[dict]) -> None:
        for name in ("models-a", "models-b"):
            backend = self.apim.backend.get(self.group, self.service, name)
            backend.circuit_breaker.rules[0].failure_condition.status_code_ranges = ranges
            self.apim.backend.create_or_update(self.group, self.service, name, backend)


def test_every_capability_is_proven_and_shown_in_one_run_from_nothing(site):
    """Nothing exists before this run (no ContentSafety account, no key given): one site.yml run makes everything and
    verify proves every capability, content safety included; the account's key never shows."""
    result = site.converged
    assert result["changed"] > 0
    shown = " ".join(result["output"].split())
    missing = [name for name, pattern in PROOFS_SHOWN.items() if not re.search(pattern, shown)]
    assert missing == [], "proofs not shown: %s\n%s" % (missing, result["output"][-8000:])
    assert not re.search(r"Pool: failover not proven|Not proven: .*(pool|token limit|content safety)", shown)
    assert "WARNING: Token metrics" not in shown and "WARNING: LLM logs" not in shown
    _, cognitive, _ = arm_clients(site.endpoint())
    key = cognitive.accounts.list_keys("rg-ai-gateway-local", SAFETY_ACCOUNT).key1   # inventories/local, lab.yml
    assert key and key not in result["output"]


def test_a_second_run_changes_and_writes_nothing(site):
    mark = len(site.requests_logged())
    result = site.run("site.yml", *VARS)
    assert result["changed"] == 0, result["output"][-6000:]
    assert site.writes_since(mark) == [], "verify's proofs are data-plane calls only"


def break_breaker(provisioned):
    provisioned.breaker_ranges([{"min": 500, "max": 599}])
    return lambda: provisioned.breaker_ranges([{"min": 429, "max": 429}])


def break_quota(provisioned):
    """A quota of 1 token: the first proof call spends it (a quota of 0 is refused before upload, see below)."""
    original = provisioned.policy()
    provisioned.put_policy(re.sub(r'token-quota="\d+"', 'token-quota="1"', original))
    return lambda: provisioned.put_policy(original)


def break_cache_store(provisioned):
    """No llm-semantic-cache-store: nothing is kept, so even an identical prompt misses (a strict score-threshold is
    no break: an identical prompt is a hit at any threshold)."""
    original = provisioned.policy()
    provisioned.put_policy(re.sub(r"<llm-semantic-cache-store[^>]*/>", "", original))
    return lambda: provisioned.put_policy(original)


def break_blocklist(provisioned):
    group, account = provisioned.group, provisioned.safety_account
    provisioned.cognitive.rai_blocklists.begin_delete(group, account, "blocklist1").result()

    def restore():
        provisioned.cognitive.rai_blocklists.create_or_update(group, account, "blocklist1",
                                                              {"properties": {"description": "Refused terms"}})
        provisioned.cognitive.rai_blocklist_items.create_or_update(group, account, "blocklist1", "codename", {
            "properties": {"pattern": "Project Nightingale", "is_regex": False}})
    return restore


# A spent quota refuses every call, so the proofs before the quota's (pool, cache) are skipped for that one; a missing
# blocklist fails every call, so content safety is proven first.
@pytest.mark.parametrize("breaks, skipped, failing_task, message", [
    (break_breaker, [], "Prove pool - answers came from the right hosts",
     "Pool / circuit breaker: expected the priority-1"),
    (break_quota, ["pool", "semantic_cache"], "Prove token_quota - answered (not 403)",
     "Token quota: the first call got 403"),
    (break_cache_store, [], "Prove semantic_cache - the second answer is the cached first one",
     "Semantic cache: \"What is the capital of France?\" asked twice was not answered from the cache"),
    (break_blocklist, [], "Prove content_safety - refused with 403", "Content safety: the blocked prompt got 500"),
], ids=["wrong breaker status range", "spent quota", "no cache store", "missing blocklist"])
def test_breaking_one_capability_fails_verify_naming_it(site, breaks, skipped, failing_task, message):
    provisioned = Provisioned(site)
    restore = breaks(provisioned)
    try:
        result = site.run("../tests/integration/playbooks/verify_capabilities.yml", *VARS,
                          "-e", json.dumps({"verify_skip_proofs": skipped}), expect_failure=True)
    finally:
        restore()
    output = result["output"]
    failed = re.findall(r"TASK \[aigateway\.foundry\.verify : ([^\]]+)\][^\n]*\n(?:(?!TASK \[).*\n)*?fatal:", output)
    assert failed == [failing_task], output[-6000:]
    assert message in " ".join(output.split()), output[-6000:]


def test_the_capability_step_passes_again_once_repaired(site):
    result = site.run("../tests/integration/playbooks/verify_capabilities.yml", *VARS)
    shown = " ".join(result["output"].split())
    assert [name for name, pattern in PROOFS_SHOWN.items() if not re.search(pattern, shown)] == []


def test_a_quota_of_0_is_refused_before_any_write(site):
    mark = len(site.requests_logged())
    zero = dict(json.loads(VARS[1]), aigw_gateway_policy=dict(POLICY, token_limit=dict(POLICY["token_limit"],
                                                                                    token_quota=0)))
    result = site.run("site.yml", "-e", json.dumps(zero), expect_failure=True)
    shown = " ".join(result["output"].split())
    assert "aigw_gateway_policy.token_limit.token_quota is 0: it must be at least 1" in shown, result["output"][-6000:]
    assert site.writes_since(mark) == []
