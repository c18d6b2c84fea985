"""cognitive_quota_info against the local endpoint: catalogue, usages, shortfalls, the first region that fits, an
existing deployment's capacity counted as free, and nothing written."""
import uuid

import pytest
import requests

MODEL = {"model_name": "gpt-4o-mini", "model_version": "2024-07-18", "sku_name": "GlobalStandard"}
USAGE = "OpenAI.GlobalStandard.gpt-4o-mini"
# Regions no other integration test deploys to: the quota settings stay with this file.
TIGHT, ROOMY = "polandcentral", "francecentral"


@pytest.fixture
def quota(endpoint):
    def configure(location, limit):
        answer = requests.post(endpoint["arm_endpoint"] + "/localazure/cognitiveservices/quota", json={
            "location": location, "limits": {USAGE: limit}}, verify=endpoint["ca_bundle"], timeout=30)
        answer.raise_for_status()
    yield configure
    requests.delete(endpoint["arm_endpoint"] + "/localazure/cognitiveservices/quota", verify=endpoint["ca_bundle"], timeout=30)


def test_shortfall_region_fallback_and_existing_capacity(run_module, request_log, quota):
    quota(TIGHT, 15)
    quota(ROOMY, 100)
    mark = request_log.mark()
    checked = run_module("cognitive_quota_info", {"locations": [TIGHT, ROOMY],
                                                  "deployments": [dict(MODEL, capacity=20)]}, check=True)
    assert request_log.writes(mark) == []
    assert checked["changed"] is False and checked["location"] == ROOMY
    [short] = checked["shortfalls"]
    assert (short["asked"], short["free"], short["limit"], short["used"]) == (20, 15, 15, 0)
    assert short["message"] == ("gpt-4o-mini 2024-07-18 GlobalStandard in %s: 20 capacity asked, 15 free "
                                "(0 used of 15 in %s)" % (TIGHT, USAGE))
    tight = checked["regions"][0]
    assert tight["fits"] is False and any(m["model"]["name"] == "gpt-4o-mini" for m in tight["models"])
    assert [u for u in tight["usages"] if u["name"]["value"] == USAGE][0]["limit"] == 15

    unknown = run_module("cognitive_quota_info", {"locations": [TIGHT], "deployments": [
        dict(MODEL, model_version="1999-01-01", capacity=1)]})
    assert unknown["location"] is None
    assert unknown["shortfalls"][0]["message"] == "gpt-4o-mini 1999-01-01 GlobalStandard is not offered in %s" % TIGHT

    # a model name no catalogue has: unknown there, the closest name, and where it is offered (here: nowhere, as
    # every local region has the same catalogue) from each region's catalogue, read only now
    mark = request_log.mark()
    unknown = run_module("cognitive_quota_info", {"locations": [TIGHT], "deployments": [
        dict(MODEL, model_name="gpt-4o-mimi", capacity=1)]})
    assert unknown["shortfalls"][0]["message"] == (
        "gpt-4o-mimi 2024-07-18 GlobalStandard is not offered in %s: the region's model catalogue has no model "
        "gpt-4o-mimi (did you mean 'gpt-4o-mini'?) (a model name, not a quota matter); no region of the subscription "
        "offers it" % TIGHT)
    catalogues = [e["path"] for e in request_log.since(mark) if e["path"].endswith("/models")]
    assert len(catalogues) > 1 and len(set(catalogues)) == len(catalogues)


def test_a_deployed_model_fits_again_on_a_rerun(run_module, quota):
    quota(TIGHT, 10)
    rg = "rg-it-%s" % uuid.uuid4().hex[:8]
    account = "quota-%s" % uuid.uuid4().hex[:8]
    run_module("resource_group", {"name": rg, "location": TIGHT})
    try:
        run_module("cognitive_account", {"resource_group": rg, "name": account})
        run_module("model_deployment", {"resource_group": rg, "account": account, "name": "mini",
                                        "model_name": "gpt-4o-mini", "model_version": "2024-07-18", "capacity": 10})
        again = dict(MODEL, capacity=10, name="mini", rai_policy_name="Microsoft.DefaultV2")   # extra keys ignored
        where = {"locations": [TIGHT], "resource_group": rg, "account": account}
        assert run_module("cognitive_quota_info", dict(where, deployments=[again]))["shortfalls"] == []
        more = run_module("cognitive_quota_info", dict(where, deployments=[dict(again, capacity=11)]))
        assert [s["free"] for s in more["shortfalls"]] == [10]
        stays = run_module("cognitive_quota_info", dict(where, locations=[ROOMY, TIGHT], deployments=[
            dict(again, capacity=11)]))
        assert [r["location"] for r in stays["regions"]] == [TIGHT] and stays["location"] is None
        other = run_module("cognitive_quota_info", {"locations": [TIGHT], "deployments": [dict(MODEL, capacity=1)]})
        assert [s["free"] for s in other["shortfalls"]] == [0]
        over = run_module("model_deployment", {"resource_group": rg, "account": account, "name": "second",
                                               "model_name": "gpt-4o-mini", "model_version": "2024-07-18",
                                               "capacity": 1}, expect_failure=True)
        assert "InsufficientQuota" in over["msg"]
    finally:
        run_module("cognitive_account", {"resource_group": rg, "name": account, "state": "absent", "purge": True})
        run_module("resource_group", {"name": rg, "state": "absent"})


def test_bad_input_fails_before_any_request(run_module, request_log):
    mark = request_log.mark()
    zero = run_module("cognitive_quota_info", {"locations": [TIGHT], "deployments": [dict(MODEL, capacity=0)]},
                      expect_failure=True)
    assert zero["msg"] == "capacity of gpt-4o-mini GlobalStandard must be 1 or more, not 0"
    partial = run_module("cognitive_quota_info", {"locations": [TIGHT], "account": "acct", "deployments": [
        dict(MODEL, capacity=1)]}, expect_failure=True)
    assert partial["msg"].startswith("give resource_group and account together")
    missing = run_module("cognitive_quota_info", {"locations": [TIGHT], "deployments": [{"model_name": "x"}]},
                         expect_failure=True)
    assert missing["msg"] == "deployment 1 (x) needs sku_name, capacity"
    assert request_log.since(mark) == []
