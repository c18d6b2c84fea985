"""site.yml converges on its first run and teardown.yml leaves nothing while the endpoint injects faults: 429, 500
and 503 answers to requests, and long-running operations that end Failed, each at the same rate."""
from __future__ import annotations

import pytest

from tests.reliability.harness import RATES, SEEDS, TRACEBACK, Endpoint, Playbooks, leftovers


def fault_flags(rate, seed):
    return ["--fault-rate", str(rate), "--fault-seed", str(seed), "--fault-statuses", "429,500,503",
            "--lro-failure-rate", str(rate)]


@pytest.mark.parametrize("rate, seed", [(rate, seed) for rate in RATES for seed in SEEDS])
def test_site_converges_and_teardown_leaves_nothing_under_faults(tmp_path, figures, rate, seed):
    endpoint = Endpoint(tmp_path, *fault_flags(rate, seed))
    playbooks = Playbooks(tmp_path)
    case = "%d%% seed %d" % (rate * 100, seed)
    try:
        site = playbooks.run("site.yml")
        injected_site = endpoint.control("GET", "/localazure/faults")["injected"]
        assert not TRACEBACK.search(site["output"])
        teardown = playbooks.run("teardown.yml")
        injected = endpoint.control("GET", "/localazure/faults")["injected"]
        endpoint.control("DELETE", "/localazure/faults")
        left = leftovers(endpoint.info)
        assert left == [], "teardown under faults left %s" % left
        writes = sum(1 for entry in endpoint.requests_logged()
                     if entry.get("kind") == "write" and entry.get("status", 0) < 300)
        figures.add("fault matrix", case, "site converged first run, teardown left 0",
                    "%d faults injected (%d during site.yml), %d writes, %d tasks changed"
                    % (injected, injected_site, writes, site["changed"] + teardown["changed"]))
    except AssertionError:
        figures.add("fault matrix", case, "FAILED", "")
        raise
    finally:
        endpoint.stop()
