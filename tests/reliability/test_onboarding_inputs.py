"""onboard.yml refuses bad projects before any write (issue 21 items 1 and 3): overlapping teams, names with a
trailing newline, a bad prefix, limits that are not numbers. Each run fails with a message naming the value, without
a traceback, and the endpoint's request log shows 0 writes for it. The gateway is built once by site.yml (onboarding
reads it before its checks); removal of a team onboarded onto a project it did not make is proven in
tests/integration/test_onboarding.py."""
from __future__ import annotations

import json

import pytest

from tests.reliability.harness import TRACEBACK, Endpoint

AGENTS = "{{ aigw_agent_host.name }}"


def team(name, **fields):
    return dict({"team": name, "account": AGENTS, "project": "proj-" + name.strip(), "tokens_per_minute": 300},
                **fields)


# (extra vars, the value the message must name)
CASES = [
    ({"aigw_projects": [team("alpha", project="proj-shared"), team("beta", project="proj-shared")]},
     "alpha and beta name the same Foundry project"),
    ({"aigw_projects": [team("alpha", project="foundry-project"), team("beta", project="FOUNDRY-PROJECT")]},
     "alpha and beta name the same Foundry project"),
    ({"aigw_projects": [team("nl1\n")]}, "team name 'nl1\\n'"),
    ({"aigw_projects": [team("alpha", project="proj-alpha\n")]}, "project name 'proj-alpha\\n'"),
    ({"aigw_projects": [team("alpha", account="agents\n")]}, "account name 'agents\\n'"),
    ({"aigw_projects": [team("alpha")], "aigw_onboarding_prefix": "team/"}, "aigw_onboarding_prefix 'team/'"),
    ({"aigw_projects": [team("alpha")], "aigw_onboarding_prefix": "team-\n"}, "aigw_onboarding_prefix 'team-\\n'"),
    ({"aigw_projects": [team("alpha", tokens_per_minute="lots")]}, "tokens_per_minute is 'lots'"),
    ({"aigw_projects": [team("alpha", create_project="maybe")]}, "create_project is 'maybe'"),
    ({"aigw_projects": [team("alpha", auth_type="AAD")]}, "auth_type is 'AAD'"),
]


@pytest.fixture(scope="module")
def gateway(tmp_path_factory, converged_sites):
    # a copy of the run's one converge: with --dist load both workers run some of these cases
    state_dir = tmp_path_factory.mktemp("bad-onboarding-inputs")
    playbooks = converged_sites.copy(state_dir, "-e", "aigw_verify_agent=false")
    endpoint = Endpoint(state_dir)   # the copy's, already running
    yield endpoint, playbooks
    endpoint.stop()


@pytest.mark.parametrize("extra, value", CASES, ids=["onboard-%d" % index for index in range(len(CASES))])
def test_bad_projects_stop_onboarding_before_any_write(gateway, figures, extra, value):
    endpoint, playbooks = gateway
    mark = len(endpoint.requests_logged())
    variables = playbooks.state_dir / "onboarding-case.json"
    variables.write_text(json.dumps(dict({"aigw_onboarding_verify": False}, **extra)))
    result = playbooks.run("onboard.yml", "-e", "@%s" % variables, expect_failure=True)
    writes = [entry for entry in endpoint.requests_logged()[mark:] if entry.get("kind") == "write"]
    text = " ".join(result["output"].split())
    figures.add("bad input (onboard.yml)", json.dumps(extra)[:60], "refused, %d writes" % len(writes),
                next((line.strip() for line in result["output"].splitlines() if value in line), "")[:110])
    assert value in text, text[-3000:]
    assert not TRACEBACK.search(result["output"])
    assert writes == []
