"""verify never fails a valid configuration: two priorities without a circuit-breaker rule (APIM sends to priority 2
only while priority 1 is tripped, so failover is not promised: verify says it is not proven) and a strict semantic
cache threshold (a paraphrase is no hit there; an identical prompt is at any threshold). verify passes and its
summary names what it could not prove and why. Before, verify failed both: the failover proof expected priority 2,
the cache proof a paraphrase's hit.
"""
from __future__ import annotations

import json

import pytest

from tests.integration.test_site_all_capabilities import ALL_CAPABILITIES
from tests.reliability.harness import Playbooks, stop_endpoint

TOPOLOGY = {
    # Two hosts in different regions at priorities 1 and 2, as test_site_all_capabilities provisions them.
    "aigw_model_hosts": ALL_CAPABILITIES["aigw_model_hosts"],
    "aigw_circuit_breaker_rules": [],
    "aigw_semantic_cache": True,
    # Lower demands a closer match (Learn, llm-semantic-cache-lookup): 0.01 is strict.
    "aigw_semantic_cache_score_threshold": 0.01,
}


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    runner = Playbooks(tmp_path_factory.mktemp("verify-false-alarms"))
    yield runner
    stop_endpoint(runner.state_dir)


def test_no_breaker_rule_and_a_strict_cache_threshold_pass_verify_saying_what_is_not_proven(site, figures):
    try:
        output, passed = site.run("site.yml", "-e", json.dumps(TOPOLOGY))["output"], True
    except AssertionError as failed:   # the run's own assertion: rc != 0, with the output's tail
        output, passed = str(failed), False
    shown = " ".join(output.split())
    checks = {
        "verify passed": passed,
        "failover not proven, no breaker rule": "Pool: failover not proven - no circuit breaker rule on models-a" in shown,
        "cache hit proven with the identical prompt": "Semantic cache - the same prompt got the cached answer" in shown,
        "summary": "Not proven:" in shown,
    }
    for case, held in checks.items():
        figures.add("verify false alarms", "2 priorities, no breaker, cache threshold 0.01: " + case,
                    "pass" if held else "FAIL")
    assert all(checks.values()), "%s\n%s" % (checks, output[-6000:])
