"""playbooks/onboard.yml with projects that call the gateway with their managed identity (auth_type
ProjectManagedIdentity) next to one with a key, in local mode: the gateway's Entra check is on (site.yml), each
identity project's connection carries no key, the API policy gives each its own limit keyed on its token's oid, and
verify proves it (its agent answers through its own connection; its own limit answers 429 exactly when reached).
Re-runs of onboard.yml and site.yml write nothing (both render the API policy from the same recorded settings), and
a project removed from the list takes its limit out of the API policy. Its own endpoint; file order."""
from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest

from tests.integration.test_onboarding import gateway
from tests.integration.test_playbooks import ROOT, TIME_SCALE, Playbooks, stop_endpoint

LIMITS = {"keyed": ("ApiKey", 300), "blue": ("ProjectManagedIdentity", 400), "green": ("ProjectManagedIdentity", 900)}


@pytest.fixture(scope="module")
def identity(tmp_path_factory):
    runner = Playbooks(tmp_path_factory.mktemp("onboarding-identity"))
    subprocess.run([sys.executable, "-m", "localazure", "start", "--state-dir", str(runner.state_dir),
                    "--time-scale", TIME_SCALE], cwd=ROOT, check=True, capture_output=True)
    policy = {"gateway_auth": {"subscription_key": True,
                               "entra": {"enabled": True, "tenant_id": runner.endpoint()["tenant_id"]}},
              "token_limit": {"enabled": True, "tokens_per_minute": 5000, "estimate_prompt_tokens": False}}
    runner.policy = runner.state_dir / "policy.json"
    runner.policy.write_text(json.dumps({"aigw_gateway_policy": policy}))
    yield runner
    stop_endpoint(runner.state_dir)


def run_onboard(runner, teams, *extra, **kwargs):
    variables = runner.state_dir / "projects.json"
    projects = [{"team": team, "account": "{{ aigw_agent_host.name }}", "project": "proj-" + team,
                 "auth_type": LIMITS[team][0], "tokens_per_minute": LIMITS[team][1]} for team in teams]
    variables.write_text(json.dumps({"aigw_projects": projects}))
    return runner.run("onboard.yml", "-e", "@%s" % runner.policy, "-e", "@%s" % variables, *extra, **kwargs)


def connection_auth_type(cognitive, group, account, project):
    """The connection's authType as Azure returns it (the SDK's model has no subclass for every auth type)."""
    body = cognitive.project_connections.get(group, account, project, "ai-gateway",
                                             cls=lambda response, *_: response.http_response.json())
    return body["properties"]["authType"]


def api_policy(runner):
    """The inference API's policy as the attribute values it holds (conditions and limits, entities resolved)."""
    from xml.etree import ElementTree

    group, service, apim, _ = gateway(runner)
    root = ElementTree.fromstring(apim.api_policy.get(group, service, "inference-api", "policy", format="rawxml").value)
    return " ".join('%s="%s"' % pair for element in root.iter() for pair in element.attrib.items())


def test_site_builds_a_gateway_with_the_entra_check(identity):
    identity.run("site.yml", "-e", "@%s" % identity.policy)
    group, service, apim, _ = gateway(identity)
    # a call without a key must reach the policy, which then asks for a token
    assert apim.api.get(group, service, "inference-api").subscription_required is False


def test_identity_projects_are_onboarded_with_their_own_limits_and_verified(identity):
    result = run_onboard(identity, ["keyed", "blue", "green"])
    text = " ".join(result["output"].split())
    proof = re.search(r"Each project has a limit of its own - blue spent (\d+) of its 400 tokens per minute, then 429; "
                      r"green spent (\d+) of its 900 tokens per minute, then 200; "
                      r"keyed spent (\d+) of its 300 tokens per minute, then 429", text)
    assert proof, text[-6000:]
    for team in ("blue", "green"):
        # (the callback shows the message as a single-quoted YAML scalar: project''s)
        assert re.search(r"%s: agent answered through ai-gateway/\S+ with the project'+s identity [0-9a-f-]{36} "
                         r"\(no key\)" % team, text), text[-6000:]
    group, service, apim, cognitive = gateway(identity)
    products = sorted(p.name for p in apim.product.list_by_service(group, service) if p.name.startswith("team-"))
    assert products == ["team-keyed"], "an identity project has no product and no subscription"
    assert sorted(s.name for s in apim.subscription.list(group, service) if s.name.startswith("team-")) == ["team-keyed"]
    account = [a.name for a in cognitive.accounts.list_by_resource_group(group) if a.name.startswith("agents-")][0]
    policy = api_policy(identity)
    for team in ("blue", "green"):
        project = cognitive.projects.get(group, account, "proj-" + team)
        assert connection_auth_type(cognitive, group, account, "proj-" + team) == "ProjectManagedIdentity"
        assert 'GetValueOrDefault("oid", "unknown") == "%s"' % project.identity.principal_id in policy
        assert 'tokens-per-minute="%d"' % LIMITS[team][1] in policy
    assert connection_auth_type(cognitive, group, account, "proj-keyed") == "ApiKey"


def test_onboarding_and_site_again_change_and_write_nothing(identity):
    mark = len(identity.requests_logged())
    again = run_onboard(identity, ["keyed", "blue", "green"], "-e", "aigw_onboarding_verify=false")
    assert again["changed"] == 0, again["output"][-6000:]
    site = identity.run("site.yml", "-e", "@%s" % identity.policy, "-e", "aigw_verify_agent=false")
    assert site["changed"] == 0, site["output"][-6000:]
    assert identity.writes_since(mark) == []


def test_removing_an_identity_project_takes_its_limit_out_of_the_api_policy(identity):
    group, service, apim, cognitive = gateway(identity)
    account = [a.name for a in cognitive.accounts.list_by_resource_group(group) if a.name.startswith("agents-")][0]
    blue = cognitive.projects.get(group, account, "proj-blue").identity.principal_id
    green = cognitive.projects.get(group, account, "proj-green").identity.principal_id
    run_onboard(identity, ["keyed", "green"], "-e", "aigw_onboarding_verify=false")
    policy = api_policy(identity)
    assert blue not in policy and green in policy
    assert "proj-blue" not in [p.name.split("/")[-1] for p in cognitive.projects.list(group, account)]
