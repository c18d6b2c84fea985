"""foundry_project against the local endpoint."""
import uuid

import pytest


@pytest.fixture
def account(run_module, resource_group):
    name = "acct-pj-%s" % uuid.uuid4().hex[:8]
    run_module("cognitive_account", {"resource_group": resource_group, "name": name,
                                     "allow_project_management": True})
    yield name
    run_module("cognitive_account", {"resource_group": resource_group, "name": name, "state": "absent",
                                     "purge": True})


def test_lifecycle(run_module, resource_group, account, request_log):
    args = {"resource_group": resource_group, "account": account, "name": "foundry-project",
            "display_name": "Agents"}

    mark = request_log.mark()
    predicted = run_module("foundry_project", args, check=True, diff=True)
    assert predicted["changed"] is True and predicted["created"] is True
    assert predicted["id"].endswith("/accounts/%s/projects/foundry-project" % account)
    assert predicted["diff"]["after"]["properties"] == {"displayName": "Agents"}
    assert request_log.writes(mark) == []

    created = run_module("foundry_project", args)
    assert created["changed"] is True and created["created"] is True
    assert created["endpoint"].endswith("/api/projects/foundry-project")
    assert created["principal_id"]
    assert created["state"]["location"]

    mark = request_log.mark()
    again = run_module("foundry_project", args)
    assert again["changed"] is False and again["created"] is False
    assert request_log.writes(mark) == []

    diff = run_module("foundry_project", dict(args, description="Prompt agents"), check=True, diff=True)
    assert diff["changed"] is True
    assert "description" not in diff["diff"]["before"]["properties"]
    assert diff["diff"]["after"]["properties"]["description"] == "Prompt agents"

    updated = run_module("foundry_project", dict(args, description="Prompt agents"))
    assert updated["state"]["properties"]["description"] == "Prompt agents"
    assert updated["changed"] is True and updated["created"] is False   # changed an existing project: not made
    assert updated["state"]["properties"]["displayName"] == "Agents"

    deleted = run_module("foundry_project", dict(args, state="absent"))
    assert deleted["changed"] is True and deleted["state"] is None
    mark = request_log.mark()
    assert run_module("foundry_project", dict(args, state="absent"))["changed"] is False
    assert request_log.writes(mark) == []


def test_account_without_project_management(run_module, resource_group, request_log):
    name = "acct-np-%s" % uuid.uuid4().hex[:8]
    run_module("cognitive_account", {"resource_group": resource_group, "name": name})
    mark = request_log.mark()
    result = run_module("foundry_project", {"resource_group": resource_group, "account": name, "name": "p1"},
                        expect_failure=True)
    assert "allow_project_management" in result["msg"]
    assert request_log.writes(mark) == []
    missing = run_module("foundry_project", {"resource_group": resource_group, "account": "nope-" + name,
                                             "name": "p1"}, expect_failure=True)
    assert "does not exist" in missing["msg"]
    run_module("cognitive_account", {"resource_group": resource_group, "name": name, "state": "absent",
                                     "purge": True})


def test_check_mode_predicts_under_an_account_still_to_come(run_module, resource_group, request_log):
    mark = request_log.mark()
    result = run_module("foundry_project", {"resource_group": resource_group, "account": "acct-later",
                                            "name": "p1", "location": "swedencentral"}, check=True)
    assert result["changed"] is True and result["id"].endswith("/accounts/acct-later/projects/p1")
    assert request_log.writes(mark) == []
