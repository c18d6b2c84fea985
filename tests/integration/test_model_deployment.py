"""model_deployment against the local endpoint."""
import uuid

import pytest


@pytest.fixture
def account(run_module, resource_group):
    name = "acct-md-%s" % uuid.uuid4().hex[:8]
    run_module("cognitive_account", {"resource_group": resource_group, "name": name})
    yield name
    run_module("cognitive_account", {"resource_group": resource_group, "name": name, "state": "absent",
                                     "purge": True})


def test_lifecycle(run_module, resource_group, account, request_log):
    args = {"resource_group": resource_group, "account": account, "name": "gpt-4o-mini",
            "model_name": "gpt-4o-mini", "model_version": "2024-07-18"}

    mark = request_log.mark()
    predicted = run_module("model_deployment", args, check=True, diff=True)
    assert predicted["changed"] is True
    assert predicted["state"]["sku"] == {"name": "GlobalStandard", "capacity": 10}
    assert predicted["diff"]["after"]["properties"]["raiPolicyName"] == "Microsoft.DefaultV2"
    assert request_log.writes(mark) == []

    created = run_module("model_deployment", args)
    assert created["changed"] is True
    assert created["state"]["properties"]["provisioningState"] == "Succeeded"
    assert created["state"]["properties"]["model"] == {"format": "OpenAI", "name": "gpt-4o-mini",
                                                       "version": "2024-07-18"}

    mark = request_log.mark()
    assert run_module("model_deployment", args)["changed"] is False
    assert request_log.writes(mark) == []

    diff = run_module("model_deployment", dict(args, capacity=20), check=True, diff=True)
    assert diff["diff"]["before"]["sku"]["capacity"] == 10
    assert diff["diff"]["after"]["sku"]["capacity"] == 20

    updated = run_module("model_deployment", dict(args, capacity=20, version_upgrade_option="NoAutoUpgrade"))
    assert updated["changed"] is True
    assert updated["state"]["sku"]["capacity"] == 20
    assert updated["state"]["properties"]["versionUpgradeOption"] == "NoAutoUpgrade"

    mark = request_log.mark()
    moved = run_module("model_deployment", dict(args, model_name="gpt-4.1-mini"), expect_failure=True)
    assert "cannot change" in moved["msg"]
    zero = run_module("model_deployment", dict(args, capacity=0), expect_failure=True)
    assert "capacity" in zero["msg"]
    assert request_log.writes(mark) == []

    deleted = run_module("model_deployment", dict(args, state="absent"))
    assert deleted["changed"] is True and deleted["state"] is None
    mark = request_log.mark()
    assert run_module("model_deployment", dict(args, state="absent"))["changed"] is False
    assert request_log.writes(mark) == []


def test_second_deployment_of_one_account(run_module, resource_group, account):
    for name, version in (("gpt-4o-mini", "2024-07-18"), ("gpt-4.1-mini", "2025-04-14")):
        result = run_module("model_deployment", {"resource_group": resource_group, "account": account,
                                                 "name": name, "model_name": name, "model_version": version})
        assert result["changed"] is True
    # model_deployment_info lists both in one request; an account without deployments is read to tell it exists
    empty = "acct-md-%s" % uuid.uuid4().hex[:8]
    run_module("cognitive_account", {"resource_group": resource_group, "name": empty})
    try:
        listed = run_module("model_deployment_info", {"resource_group": resource_group,
                                                      "accounts": [account, empty, "no-such-account"]})
    finally:
        run_module("cognitive_account", {"resource_group": resource_group, "name": empty, "state": "absent",
                                         "purge": True})
    assert listed["changed"] is False
    assert [(item["name"], item["found"]) for item in listed["accounts"]] == [
        (account, True), (empty, True), ("no-such-account", False)]
    assert sorted(item["name"] for item in listed["accounts"][0]["deployments"]) == ["gpt-4.1-mini", "gpt-4o-mini"]
    assert listed["accounts"][1]["deployments"] == [] and listed["accounts"][2]["deployments"] == []


def test_model_name_needed_to_create(run_module, resource_group, account, request_log):
    mark = request_log.mark()
    result = run_module("model_deployment", {"resource_group": resource_group, "account": account,
                                             "name": "nothing"}, expect_failure=True)
    assert "model_name is required" in result["msg"]
    assert request_log.writes(mark) == []
