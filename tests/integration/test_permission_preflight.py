"""The permission preflight of every entry playbook (playbooks/tasks/permissions.yml) against the local endpoint's
RBAC: the identity running the collection holds Contributor on the resource group only (the endpoint's standing
role, localazure/services/authorization/rbac.py), as is common in enterprises. site.yml, teardown.yml and
onboard.yml stop before any write, naming each action the run needs and the caller may not make, with its scope;
the subscription-wide look for soft-deleted names is skipped with a warning. Its own endpoint; file order."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest
import requests

from tests.integration.test_playbooks import ROOT, TIME_SCALE, Playbooks, arm_clients, stop_endpoint

GROUP = "rg-ai-gateway-local"      # inventories/local's aigw_resource_group


@pytest.fixture(scope="module")
def contributor_on_group(tmp_path_factory):
    runner = Playbooks(tmp_path_factory.mktemp("permissions"))
    subprocess.run([sys.executable, "-m", "localazure", "start", "--state-dir", str(runner.state_dir),
                    "--time-scale", TIME_SCALE], cwd=ROOT, check=True, capture_output=True)
    endpoint = runner.endpoint()
    # an administrator made the group and gave the identity Contributor on it, nothing else
    arm_clients(endpoint)[0].resource_groups.create_or_update(GROUP, {"location": "swedencentral"})
    runner.standing_role = "%s/localazure/authorization/standing-role" % endpoint["arm_endpoint"]
    answer = requests.put(runner.standing_role, json={
        "role": "Contributor", "scope": "/subscriptions/%s/resourceGroups/%s" % (endpoint["subscription_id"], GROUP)},
        verify=endpoint["ca_bundle"], timeout=30)
    assert answer.json()["role"] == "Contributor", answer.text
    yield runner
    stop_endpoint(runner.state_dir)


def caller_object_id(runner):
    endpoint = runner.endpoint()
    from azure.identity import ClientSecretCredential
    import base64
    credential = ClientSecretCredential(endpoint["tenant_id"], endpoint["client_id"], endpoint["client_secret"],
                                        authority=endpoint["authority_host"], disable_instance_discovery=True,
                                        connection_verify=endpoint["ca_bundle"])
    claims = credential.get_token("https://management.azure.com/.default").token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(claims + "=" * (-len(claims) % 4)))["oid"]


def refused(runner, playbook, *extra):
    mark = len(runner.requests_logged())
    result = runner.run(playbook, *extra, expect_failure=True)
    assert runner.writes_since(mark) == [], "the preflight stops before any write"
    return " ".join(result["output"].split())


def test_site_stops_a_contributor_on_the_group_before_any_write(contributor_on_group):
    message = refused(contributor_on_group, "site.yml")
    assert "lacks permissions this run needs, so nothing was written" in message
    assert caller_object_id(contributor_on_group) in message
    # Contributor's notActions: no role assignment, which site.yml makes for API Management's identity
    assert "Microsoft.Authorization/roleAssignments/write at resource group %s" % GROUP in message
    # what Contributor on the group allows is not named
    assert "Microsoft.ApiManagement/service/write" not in message.split("nothing was written")[-1]
    # the subscription-wide look for soft-deleted names is skipped, with a warning naming the actions
    assert "WARNING: the caller may not list soft-deleted services and accounts in the subscription" in message
    assert "Microsoft.ApiManagement/deletedservices/read at the subscription" in message


def test_site_with_purge_names_the_subscription_scope_purge(contributor_on_group):
    message = refused(contributor_on_group, "site.yml", "-e", "aigw_soft_deleted=purge")
    assert "Microsoft.ApiManagement/locations/deletedservices/delete at the subscription" in message
    assert "Microsoft.CognitiveServices/locations/resourceGroups/deletedAccounts/delete at the subscription" in message
    # purge needs the listing: it is required, not skipped
    assert "Microsoft.CognitiveServices/deletedAccounts/read at the subscription (the look for" in message
    assert "WARNING: the caller may not list" not in message


def test_teardown_stops_before_deleting_what_it_could_not_purge(contributor_on_group):
    message = refused(contributor_on_group, "teardown.yml")
    assert "Microsoft.ApiManagement/locations/deletedservices/delete at the subscription" in message
    assert "Microsoft.Resources/subscriptions/resourceGroups/delete" not in message.split("nothing was written")[-1]
    assert [g.name for g in arm_clients(contributor_on_group.endpoint())[0].resource_groups.list()] == [GROUP]


def test_onboard_stops_before_granting_the_caller_a_role(contributor_on_group):
    projects = contributor_on_group.state_dir / "projects.json"
    projects.write_text(json.dumps({"aigw_projects": [{"team": "alpha", "account": "acct-alpha",
                                                        "project": "alpha", "tokens_per_minute": 1000}]}))
    message = refused(contributor_on_group, "onboard.yml", "-e", "@%s" % projects)
    assert "Microsoft.Authorization/roleAssignments/write at resource group %s" % GROUP in message


def test_the_owner_of_the_subscription_is_not_stopped(contributor_on_group):
    endpoint = contributor_on_group.endpoint()
    assert requests.delete(contributor_on_group.standing_role, verify=endpoint["ca_bundle"],
                           timeout=30).json()["role"] == "Owner"
    result = contributor_on_group.run("teardown.yml")
    assert "TASK [Permissions - the caller may make every write this run needs]" in result["output"]
    assert "lacks permissions" not in result["output"]
    assert list(arm_clients(endpoint)[0].resource_groups.list()) == []
