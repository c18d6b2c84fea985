"""Issue 23 (2): site.yml with every capability on, teardown.yml, then site.yml again converges in local mode.

Deleting a resource group soft-deletes the Cognitive Services accounts in it (any kind: the model hosts, the agent
host, the ContentSafety account a capability makes) and Azure holds each name for 48 hours; a Key Vault holds its
global name for its retention days.  Teardown must purge everything the run made, found in Azure (the group's
resources before its delete, and what was soft-deleted from the group), not from the playbook's variables: it is run
here without any of the settings site.yml was given, and a vault teardown was never told about (as onboarding makes
one) is in the group too.  The next site.yml must then create every name again without a soft-delete conflict.
The tests run in file order and share one endpoint: a copy of the run's one converge of the every-capability
configuration from nothing (tests/integration/converged.py), which test_site_all_capabilities.py starts from too.
"""
from __future__ import annotations

import uuid

import pytest

from tests.integration.test_onboarding import vault_client
from tests.integration.test_playbooks import arm_clients, stop_endpoint
from tests.integration.test_site_all_capabilities import VARS


@pytest.fixture(scope="module")
def runner(tmp_path_factory, converged_sites):
    playbooks = converged_sites.copy(tmp_path_factory.mktemp("teardown-all-capabilities"), *VARS)
    yield playbooks
    playbooks.run("teardown.yml", *VARS)
    stop_endpoint(playbooks.state_dir)


def test_site_with_every_capability(runner):
    assert runner.converged["changed"] > 0   # site.yml made it from nothing
    _, cognitive, _ = arm_clients(runner.endpoint())
    kinds = sorted(account.kind for account in cognitive.accounts.list())
    assert kinds == ["AIServices", "AIServices", "AIServices", "ContentSafety"], kinds


def test_teardown_purges_what_the_run_made_without_being_told(runner):
    endpoint = runner.endpoint()
    resources, cognitive, apim = arm_clients(endpoint)
    group = next(g.name for g in resources.resource_groups.list())
    # A vault teardown has no variable for (onboarding's is aigw_key_vault): found in the group all the same.
    vaults = vault_client(runner)
    vault_name = "kv-td-%s" % uuid.uuid4().hex[:8]
    vaults.vaults.begin_create_or_update(group, vault_name, {
        "location": "swedencentral",
        "properties": {"tenantId": endpoint["tenant_id"], "sku": {"family": "A", "name": "standard"},
                       "enableRbacAuthorization": True}}).result()

    result = runner.run("teardown.yml")
    assert "Nothing is left" in result["output"]
    assert [g.name for g in resources.resource_groups.list()] == []
    assert [a.name for a in cognitive.deleted_accounts.list()] == []
    assert [s.name for s in apim.deleted_services.list_by_subscription()] == []
    assert [v.name for v in vaults.vaults.list_deleted()] == []


def test_site_again_converges_with_no_soft_delete_conflict(runner):
    # The purged ContentSafety account is made again with its name (a soft-deleted one would refuse it).
    result = runner.run("site.yml", *VARS)
    assert "FlagMustBeSetForRestore" not in result["output"]
    assert "No soft-deleted resource holds one of our names." in " ".join(result["output"].split())
