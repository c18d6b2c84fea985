"""verify never fails a valid configuration: two priorities without a circuit-breaker rule (APIM sends to priority 2
only while priority 1 is tripped, so failover is not promised: verify says it is not proven) and any semantic cache
threshold (a paraphrase is no hit at a strict one; an identical prompt is at any). verify passes and its
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
}


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    runner = Playbooks(tmp_path_factory.mktemp("verify-false-alarms"))
    yield runner
    stop_endpoint(runner.state_dir)


# Lower demands a closer match (Learn, llm-semantic-cache-lookup): 0.01 is strict, 0.99 the lenient end (where a
# miss is not promised, and verify says so).
@pytest.mark.parametrize("threshold", [0.01, 0.99])
def test_no_breaker_rule_and_any_cache_threshold_pass_verify_saying_what_is_not_proven(site, figures, threshold):
    try:
        output, passed = site.run("site.yml", "-e", json.dumps(dict(
            TOPOLOGY, aigw_semantic_cache_score_threshold=threshold)))["output"], True
    except AssertionError as failed:   # the run's own assertion: rc != 0, with the output's tail
        output, passed = str(failed), False
    shown = " ".join(output.split())
    checks = {
        "verify passed": passed,
        "failover not proven, no breaker rule":
            "Pool: failover not proven - no circuit breaker rule on models-a" in shown,
        "cache hit proven with the identical prompt": "Semantic cache - the same prompt got the cached answer" in shown,
        "summary": "Not proven:" in shown,
        "miss proven where promised": ("Semantic cache - an unrelated prompt was answered by a model host" in shown)
        == (threshold <= 0.2),
    }
    for case, held in checks.items():
        figures.add("verify false alarms", "2 priorities, no breaker, cache threshold %s: %s" % (threshold, case),
                    "pass" if held else "FAIL")
    assert all(checks.values()), "%s\n%s" % (checks, output[-6000:])
