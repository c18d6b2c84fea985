"""playbooks/onboard.yml end to end in local mode: three projects with different limits onto one gateway, a re-run
that writes nothing, --check --diff of a changed limit, isolation of limits proven by the role's verify, and the
removal of one project that removes exactly its pieces. Its own endpoint; the tests run in file order."""
from __future__ import annotations

import json

import pytest

from tests.integration.test_playbooks import Playbooks, arm_clients, stop_endpoint

TEAMS = {"alpha": 300, "beta": 500, "gamma": 700}
# A low gateway rate per subscription: the local gateway evaluates the API's llm-token-limit (per subscription), so
# the first project reaches its own 429 within a few calls while the others are still answered.
POLICY = {"token_limit": {"enabled": True, "tokens_per_minute": 300, "estimate_prompt_tokens": False},
          "token_metrics": {"enabled": True, "namespace": "llm"}, "retry": {"enabled": True}}


def projects(teams):
    return [{"team": team, "account": "{{ aigw_agent_host.name }}", "project": "proj-" + team,
             "tokens_per_minute": TEAMS[team], "token_quota": TEAMS[team] * 1000, "token_quota_period": "Monthly"}
            for team in teams]


@pytest.fixture(scope="module")
def onboarding(tmp_path_factory):
    runner = Playbooks(tmp_path_factory.mktemp("onboarding"))
    yield runner
    stop_endpoint(runner.state_dir)


def run_onboard(runner, teams, *extra, **kwargs):
    variables = runner.state_dir / "projects.json"
    variables.write_text(json.dumps({"aigw_projects": projects(teams), "aigw_gateway_policy": POLICY}))
    return runner.run("onboard.yml", "-e", "@%s" % variables, *extra, **kwargs)


def gateway(runner):
    resources, cognitive, apim = arm_clients(runner.endpoint())
    group = [g.name for g in resources.resource_groups.list() if g.name == "rg-ai-gateway-local"][0]
    service = [s for s in apim.api_management_service.list_by_resource_group(group)][0]
    return group, service.name, apim, cognitive


def test_site_builds_the_gateway(onboarding):
    variables = onboarding.state_dir / "policy.json"
    variables.write_text(json.dumps({"aigw_gateway_policy": POLICY}))
    onboarding.run("site.yml", "-e", "@%s" % variables)


def test_three_projects_are_onboarded_with_their_own_limits_and_verified(onboarding):
    result = run_onboard(onboarding, ["alpha", "beta", "gamma"])
    assert result["changed"] > 0
    text = " ".join(result["output"].split())
    assert "3 projects: each key accepted, no key refused with 401, alpha limited (429) while beta, gamma still" in text
    group, service, apim, cognitive = gateway(onboarding)
    products = sorted(p.name for p in apim.product.list_by_service(group, service))
    assert [p for p in products if p.startswith("team-")] == ["team-alpha", "team-beta", "team-gamma"]
    for team, rate in TEAMS.items():
        policy = apim.product_policy.get(group, service, "team-" + team, "policy", format="rawxml").value
        assert 'tokens-per-minute="%d"' % rate in policy and 'token-quota="%d"' % (rate * 1000) in policy
        subscription = apim.subscription.get(group, service, "team-" + team)
        assert subscription.scope.endswith("/products/team-" + team)
        [apis] = [[a.name for a in apim.product_api.list_by_product(group, service, "team-" + team)]]
        assert apis == ["inference-api"]
    accounts = [a.name for a in cognitive.accounts.list_by_resource_group(group) if a.name.startswith("agents-")]
    for team in TEAMS:
        connection = cognitive.project_connections.get(group, accounts[0], "proj-" + team, "ai-gateway")
        assert connection.properties.category == "ApiManagement"
    assert "primaryKey" not in result["output"] and "primary_key" not in result["output"].replace(
        "primary_key }}", "")


def test_onboarding_again_changes_and_writes_nothing(onboarding):
    mark = len(onboarding.requests_logged())
    result = run_onboard(onboarding, ["alpha", "beta", "gamma"], "-e", "aigw_onboarding_verify=false")
    assert result["changed"] == 0
    assert onboarding.writes_since(mark) == []


def test_check_diff_shows_a_changed_limit_without_writing(onboarding):
    mark = len(onboarding.requests_logged())
    TEAMS["beta"] = 550
    try:
        result = run_onboard(onboarding, ["alpha", "beta", "gamma"], "--check", "--diff")
    finally:
        TEAMS["beta"] = 500
    assert result["changed"] >= 1
    assert 'tokens-per-minute="550"' in result["output"]
    assert onboarding.writes_since(mark) == []


def test_removing_a_project_removes_exactly_its_pieces(onboarding):
    result = run_onboard(onboarding, ["alpha", "gamma"], "-e", "aigw_onboarding_verify=false")
    assert result["changed"] > 0
    group, service, apim, cognitive = gateway(onboarding)
    products = sorted(p.name for p in apim.product.list_by_service(group, service) if p.name.startswith("team-"))
    assert products == ["team-alpha", "team-gamma"]
    subscriptions = sorted(s.name for s in apim.subscription.list(group, service) if s.name.startswith("team-"))
    assert subscriptions == ["team-alpha", "team-gamma"]
    records = sorted(n.name for n in apim.named_value.list_by_service(group, service))
    assert [r for r in records if r.startswith("team-")] == ["team-alpha", "team-gamma"]
    account = [a.name for a in cognitive.accounts.list_by_resource_group(group) if a.name.startswith("agents-")][0]
    projects_left = sorted(p.name.split("/")[-1] for p in cognitive.projects.list(group, account))
    assert "proj-beta" not in projects_left and {"proj-alpha", "proj-gamma"} <= set(projects_left)
    assert "inference-api" in [a.name for a in apim.api.list_by_service(group, service)]

    mark = len(onboarding.requests_logged())
    again = run_onboard(onboarding, ["alpha", "gamma"], "-e", "aigw_onboarding_verify=false")
    assert again["changed"] == 0 and onboarding.writes_since(mark) == []
