"""playbooks/onboard.yml end to end in local mode: three projects with different limits onto one gateway, verified
by the role (each project's agent answers through its own connection, each limit is the project's own), a re-run
that writes nothing, --check --diff of a changed limit, and the removal of one project that removes exactly its
pieces (its old key then gets 401). Its own endpoint; the tests run in file order."""
from __future__ import annotations

import io
import json
import re
import uuid

import sys
from pathlib import Path

import pytest
import requests

from tests.integration.test_playbooks import Playbooks, arm_clients, stop_endpoint

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
import benchlib  # noqa: E402  pylint: disable=wrong-import-position,import-error

TEAMS = {"alpha": 300, "beta": 500, "gamma": 700}
# The API's own limit per subscription is far above every project's: a project's 429 can only come from its own
# product policy, which the local gateway composes with the API's (global -> product -> API -> operation).
API_TOKENS_PER_MINUTE = 5000
# The projects' keys also go to a Key Vault (a global name, so one of this run's own).
VAULT = "kv-onb-%s" % uuid.uuid4().hex[:8]
POLICY = {"token_limit": {"enabled": True, "tokens_per_minute": API_TOKENS_PER_MINUTE, "estimate_prompt_tokens": False},
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
    variables.write_text(json.dumps({"aigw_projects": projects(teams), "aigw_gateway_policy": POLICY,
                                     "aigw_key_vault": VAULT}))
    return runner.run("onboard.yml", "-e", "@%s" % variables, *extra, **kwargs)


def vault_client(runner):
    from azure.identity import ClientSecretCredential
    from azure.mgmt.keyvault import KeyVaultManagementClient

    endpoint = runner.endpoint()
    credential = ClientSecretCredential(endpoint["tenant_id"], endpoint["client_id"], endpoint["client_secret"],
                                        authority=endpoint["authority_host"], disable_instance_discovery=True,
                                        connection_verify=endpoint["ca_bundle"])
    return KeyVaultManagementClient(credential, endpoint["subscription_id"], api_version="2024-11-01",
                                    base_url=endpoint["arm_endpoint"], connection_verify=endpoint["ca_bundle"],
                                    credential_scopes=["https://management.azure.com/.default"])


def vault_secrets(runner, group):
    """The vault's secrets as Resource Manager lists them (never with a value)."""
    client = vault_client(runner)
    return client, {secret.name: secret for secret in client.secrets.list(group, VAULT)}


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
    # every project spent the same ~300 tokens in one call: only alpha, whose own limit is 300, was refused
    proof = re.search(r"Each project has a limit of its own - alpha spent (\d+) of its 300 tokens per minute, then 429; "
                      r"beta spent (\d+) of its 500 tokens per minute, then 200; "
                      r"gamma spent (\d+) of its 700 tokens per minute, then 200", text)
    assert proof, text[-6000:]
    assert all(300 <= int(spent) < 500 for spent in proof.groups())
    for team in TEAMS:
        assert ("%s: agent answered through ai-gateway/gpt-5.4-mini, logged by the gateway under subscription team-%s"
                % (team, team)) in text
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
    _, secrets = vault_secrets(onboarding, group)
    assert sorted(secrets) == ["team-alpha", "team-beta", "team-gamma"]
    for team in TEAMS:
        key = apim.subscription.list_secrets(group, service, "team-" + team).primary_key
        assert key not in result["output"] and secrets["team-" + team].properties.value is None


def test_onboarding_again_at_once_verifies_again(onboarding):
    """Within a minute of its own verify (which spent alpha's minute): a 429 still shows the key was accepted, and
    the agents and the limits are proven on a fresh minute of the endpoint's clock."""
    group, service, apim, _ = gateway(onboarding)
    endpoint = onboarding.endpoint()
    url = json.loads(onboarding.outputs_file.read_text())["local"]["inference_url"]
    key = apim.subscription.list_secrets(group, service, "team-alpha").primary_key
    # What a run a moment ago left (machine speed aside): alpha's minute spent, the endpoint's clock held.
    requests.post(endpoint["arm_endpoint"] + "/localazure/clock", json={"hold_seconds": 900}, timeout=30,
                  verify=endpoint["ca_bundle"]).raise_for_status()
    spend = {"messages": [{"role": "user", "content": "x" * 4 * TEAMS["alpha"]}], "max_completion_tokens": 16}
    statuses = [requests.post(url + "/deployments/gpt-5.4-mini/chat/completions",
                              params={"api-version": "2024-12-01-preview"}, headers={"api-key": key}, json=spend,
                              timeout=60, verify=endpoint["ca_bundle"]).status_code for _ in range(2)]
    assert statuses[-1] == 429, statuses
    result = run_onboard(onboarding, ["alpha", "beta", "gamma"])
    text = " ".join(result["output"].split())
    assert "Each project has a limit of its own - alpha spent" in text, text[-6000:]


def test_onboarding_again_changes_and_writes_nothing(onboarding):
    mark = len(onboarding.requests_logged())
    result = run_onboard(onboarding, ["alpha", "beta", "gamma"], "-e", "aigw_onboarding_verify=false")
    assert result["changed"] == 0
    assert onboarding.writes_since(mark) == []
    # one listing per kind, whatever the number of projects (issue 26 item 2): never a GET per project and resource
    reads = benchlib.reads_by_kind(onboarding.requests_logged()[mark:])
    # the permission preflight reads the caller's permissions at two scopes, the subscription and the group
    assert reads.pop("Microsoft.Authorization/permissions", 0) <= 2, reads
    assert {kind: count for kind, count in reads.items() if count > 1} == {}, reads
    for kind in ("Microsoft.CognitiveServices/accounts/projects", "Microsoft.ApiManagement/service/products",
                 "Microsoft.ApiManagement/service/subscriptions", "Microsoft.ApiManagement/service/namedValues",
                 "Microsoft.Authorization/roleAssignments"):
        assert reads.get(kind) == 1, reads
    assert not [kind for kind in reads if kind.endswith(("/connections", "/policies", "/apis", "/listSecrets"))], reads


def test_a_project_with_its_identity_needs_the_gateways_entra_check_and_is_refused_before_any_write(onboarding):
    # this gateway was built without gateway_auth.entra: a ProjectManagedIdentity project has nothing to be admitted by
    variables = onboarding.state_dir / "identity.json"
    variables.write_text(json.dumps({"aigw_projects": projects(["alpha", "beta", "gamma"]) + [
        {"team": "delta", "account": "{{ aigw_agent_host.name }}", "project": "proj-delta",
         "auth_type": "ProjectManagedIdentity", "tokens_per_minute": 400}],
        "aigw_gateway_policy": POLICY, "aigw_key_vault": VAULT}))
    mark = len(onboarding.requests_logged())
    refused = onboarding.run("onboard.yml", "-e", "@%s" % variables, expect_failure=True)
    message = " ".join(refused["output"].split())
    assert "Projects delta use auth_type ProjectManagedIdentity" in message
    assert "gateway_auth.entra is not enabled" in message
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
    group, service, apim, _ = gateway(onboarding)
    beta_key = apim.subscription.list_secrets(group, service, "team-beta").primary_key
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
    # the project that left has no subscription any more: its old key is refused with 401
    endpoint = onboarding.endpoint()
    url = endpoint["gateway_base_url_template"].replace("{service}", service) + \
        "/inference/openai/deployments/gpt-5.4-mini/chat/completions"
    refused = requests.post(url, params={"api-version": "2024-12-01-preview"}, headers={"api-key": beta_key},
                            json={"messages": [{"role": "user", "content": "Say hello."}]},
                            verify=endpoint["ca_bundle"], timeout=30)
    assert refused.status_code == 401
    # Resource Manager cannot delete a secret: beta's is disabled, the others stay enabled
    _, secrets = vault_secrets(onboarding, group)
    assert {name: secret.properties.attributes.enabled for name, secret in secrets.items()} == {
        "team-alpha": True, "team-beta": False, "team-gamma": True}

    mark = len(onboarding.requests_logged())
    again = run_onboard(onboarding, ["alpha", "gamma"], "-e", "aigw_onboarding_verify=false")
    assert again["changed"] == 0 and onboarding.writes_since(mark) == []


def run_onboard_with(runner, extra_projects, *extra, **kwargs):
    variables = runner.state_dir / "projects-extra.json"
    variables.write_text(json.dumps({"aigw_projects": projects(["alpha", "gamma"]) + extra_projects,
                                     "aigw_gateway_policy": POLICY, "aigw_key_vault": VAULT}))
    return runner.run("onboard.yml", "-e", "@%s" % variables, "-e", "aigw_onboarding_verify=false", *extra, **kwargs)


def test_two_teams_on_one_project_are_refused_before_any_write_naming_both(onboarding):
    # one project has one gateway connection: the second team's agents would spend the first team's key
    mark = len(onboarding.requests_logged())
    refused = run_onboard_with(onboarding, [
        {"team": "delta", "account": "{{ aigw_agent_host.name }}", "project": "proj-shared", "tokens_per_minute": 400},
        {"team": "epsilon", "account": "{{ aigw_agent_host.name }}", "project": "proj-shared",
         "tokens_per_minute": 400}], expect_failure=True)
    message = " ".join(refused["output"].split())
    assert re.search(r"delta and epsilon .*same Foundry project .*proj-shared", message), message[-3000:]
    assert onboarding.writes_since(mark) == []


def test_a_team_onboarded_onto_a_project_it_did_not_make_leaves_the_project_when_dropped(onboarding):
    # site.yml made foundry-project (the agent host's); another connection of that project is not onboarding's either
    group, service, apim, cognitive = gateway(onboarding)
    account = [a.name for a in cognitive.accounts.list_by_resource_group(group) if a.name.startswith("agents-")][0]
    own = {"properties": {"category": "CustomKeys", "authType": "CustomKeys", "target": "https://tools.example",
                          "credentials": {"keys": {"token": "not-ours"}}}}
    cognitive.project_connections.create(group, account, "foundry-project", "team-tools",
                                         io.BytesIO(json.dumps(own).encode()), content_type="application/json")
    before = sorted(c.name for c in cognitive.project_connections.list(group, account, "foundry-project"))
    site_team = {"team": "site", "account": "{{ aigw_agent_host.name }}", "project": "foundry-project",
                 "tokens_per_minute": 400}
    run_onboard_with(onboarding, [site_team])
    record = json.loads(apim.named_value.get(group, service, "team-site").value)
    assert record["created_project"] is False
    mark = len(onboarding.requests_logged())
    dropped = run_onboard_with(onboarding, [])
    assert dropped["changed"] > 0
    deletes = [path for method, path in onboarding.writes_since(mark) if method == "DELETE"]
    assert not [path for path in deletes if path.lower().rstrip("/").endswith("/projects/foundry-project")], deletes
    projects_left = [p.name.split("/")[-1] for p in cognitive.projects.list(group, account)]
    assert "foundry-project" in projects_left
    after = sorted(c.name for c in cognitive.project_connections.list(group, account, "foundry-project"))
    assert after == [name for name in before if name != "ai-gateway"] and "team-tools" in after
    # the account's connection site.yml made is untouched
    assert cognitive.account_connections.get(group, account, "ai-gateway").properties.category == "ApiManagement"
    assert "team-site" not in [n.name for n in apim.named_value.list_by_service(group, service)]


def test_teardown_purges_the_key_vault(onboarding):
    variables = onboarding.state_dir / "vault.json"
    variables.write_text(json.dumps({"aigw_key_vault": VAULT}))
    result = onboarding.run("teardown.yml", "-e", "@%s" % variables)
    assert "Nothing is left" in result["output"]
    resources, _, _ = arm_clients(onboarding.endpoint())
    assert [g.name for g in resources.resource_groups.list()] == []
    assert VAULT not in [vault.name for vault in vault_client(onboarding).vaults.list_deleted()]
