"""apim_product against the local endpoint: lifecycle, API links added and removed to match, a missing API
and contradictory settings refused before any write."""

import pytest


@pytest.fixture(scope="module")
def apim(apim, run_module):
    """The shared service (conftest) with what these tests attach to."""
    rg, service = apim["resource_group"], apim["service"]
    for api in ("inference-api", "embeddings-api"):
        run_module("apim_api", {"resource_group": rg, "service": service, "name": api, "display_name": api,
                                "path": api})
    return apim


def test_product_lifecycle(run_module, apim, request_log):
    args = dict(apim, name="gold", display_name="Gold", description="1000 tokens per minute",
                subscription_required=True, approval_required=False, product_state="published",
                apis=["inference-api"])

    mark = request_log.mark()
    predicted = run_module("apim_product", args, check=True, diff=True)
    assert predicted["changed"] is True and predicted["apis"] == ["inference-api"]
    assert predicted["diff"]["before"] == {} or predicted["diff"]["before"].get("apis") == []
    assert predicted["diff"]["after"]["apis"] == ["inference-api"]
    assert request_log.writes(mark) == []

    created = run_module("apim_product", args)
    assert created["changed"] is True and created["apis"] == ["inference-api"]
    assert created["state"]["properties"]["state"] == "published"

    mark = request_log.mark()
    assert run_module("apim_product", dict(args, apis=["Inference-API"]))["changed"] is False
    assert run_module("apim_product", dict(apim, name="gold"))["changed"] is False, "apis omitted: links kept"
    assert request_log.writes(mark) == []

    diff = run_module("apim_product", dict(args, apis=["embeddings-api"]), check=True, diff=True)
    assert diff["changed"] is True
    assert diff["diff"]["before"]["apis"] == ["inference-api"]
    assert diff["diff"]["after"]["apis"] == ["embeddings-api"]
    assert request_log.writes(mark) == []

    relinked = run_module("apim_product", dict(args, apis=["embeddings-api"]))
    assert relinked["changed"] is True and relinked["apis"] == ["embeddings-api"]
    methods = sorted(w["method"] for w in request_log.writes(mark))
    assert methods == ["DELETE", "PUT"], "only the links change"
    again = run_module("apim_product", dict(args, apis=["embeddings-api"]))
    assert again["changed"] is False and again["apis"] == ["embeddings-api"]

    renamed = run_module("apim_product", dict(args, display_name="Gold tier", apis=["embeddings-api"]))
    assert renamed["changed"] is True and renamed["state"]["properties"]["displayName"] == "Gold tier"

    assert run_module("apim_product", dict(apim, name="gold", state="absent"))["changed"] is True
    mark = request_log.mark()
    assert run_module("apim_product", dict(apim, name="gold", state="absent"))["changed"] is False
    assert request_log.writes(mark) == []


def test_bad_input_fails_before_any_write(run_module, apim, request_log):
    mark = request_log.mark()
    missing = run_module("apim_product", dict(apim, name="silver", apis=["no-such-api"]), expect_failure=True)
    assert "no-such-api" in missing["msg"] and "not found" in missing["msg"]
    open_product = run_module("apim_product", dict(apim, name="open", subscription_required=False,
                                                   approval_required=True), expect_failure=True)
    assert "approval_required needs" in open_product["msg"]
    assert request_log.writes(mark) == []
