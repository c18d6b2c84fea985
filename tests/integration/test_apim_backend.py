"""apim_backend against the local endpoint: single backend lifecycle with a circuit breaker, pool with member
ids normalised, a pool with a missing member refused before any write, credentials never printed."""
import uuid


RULE = {"name": "InferenceBreakerRule", "trip_duration": "PT1M", "accept_retry_after": True, "failure_count": 1,
        "interval": "PT1M", "status_code_ranges": [{"min": 429, "max": 429}], "error_reasons": ["Server errors"]}


def test_single_backend_lifecycle(run_module, apim, request_log):
    start = request_log.mark()
    args = dict(apim, name="models-foundry", url="https://models-foundry.cognitiveservices.azure.com/openai",
                description="Inference backend", circuit_breaker_rules=[RULE])

    mark = request_log.mark()
    predicted = run_module("apim_backend", args, check=True, diff=True)
    assert predicted["changed"] is True
    assert predicted["id"].endswith("/service/%s/backends/models-foundry" % apim["service"])
    assert predicted["diff"]["after"]["properties"]["circuitBreaker"]["rules"][0]["tripDuration"] == "PT1M"
    assert request_log.writes(mark) == []

    created = run_module("apim_backend", args)
    assert created["changed"] is True
    assert created["state"]["properties"]["url"] == args["url"]
    assert created["state"]["properties"]["circuitBreaker"]["rules"][0]["failureCondition"]["count"] == 1

    mark = request_log.mark()
    assert run_module("apim_backend", dict(args, url=args["url"] + "/"))["changed"] is False
    assert request_log.writes(mark) == []

    diff = run_module("apim_backend", dict(args, description="Model host"), check=True, diff=True)
    assert diff["changed"] is True
    assert diff["diff"]["before"]["properties"]["description"] == "Inference backend"
    assert diff["diff"]["after"]["properties"]["description"] == "Model host"
    assert request_log.writes(mark) == []

    updated = run_module("apim_backend", dict(args, description="Model host"))
    assert updated["changed"] is True and updated["state"]["properties"]["description"] == "Model host"
    writes = request_log.writes(mark)
    assert len(writes) == 1 and writes[0]["method"] == "PUT"

    deleted = run_module("apim_backend", dict(apim, name="models-foundry", state="absent"))
    assert deleted["changed"] is True and deleted["state"] is None
    mark = request_log.mark()
    assert run_module("apim_backend", dict(apim, name="models-foundry", state="absent"))["changed"] is False
    assert request_log.writes(mark) == []
    assert request_log.non_conforming(start, "Microsoft.ApiManagement") == [], "requests must match Microsoft's 2024-05-01 types"


def test_pool_members_by_name_or_id_are_idempotent(run_module, apim, request_log):
    for name in ("host-a", "host-b"):
        run_module("apim_backend", dict(apim, name=name, url="https://%s.example.com/" % name))
    members = [{"backend": "host-a", "priority": 1, "weight": 100}, {"backend": "/backends/host-b", "priority": 2}]
    pool = run_module("apim_backend", dict(apim, name="pool", type="Pool", pool_services=members))
    assert pool["changed"] is True
    ids = [s["id"] for s in pool["state"]["properties"]["pool"]["services"]]
    assert all(i.startswith("/subscriptions/") and "/service/%s/backends/host-" % apim["service"] in i for i in ids)

    mark = request_log.mark()
    full_ids = [{"backend": ids[0], "priority": 1, "weight": 100}, {"backend": "host-b", "priority": 2}]
    assert run_module("apim_backend", dict(apim, name="pool", type="Pool", pool_services=full_ids))["changed"] is False
    assert request_log.writes(mark) == []


def test_pool_with_missing_member_fails_without_write(run_module, apim, request_log):
    run_module("apim_backend", dict(apim, name="present-host", url="https://present.example.com"))
    mark = request_log.mark()
    result = run_module("apim_backend", dict(apim, name="broken-pool", type="Pool", pool_services=[
        {"backend": "present-host"}, {"backend": "missing-host"}]), expect_failure=True)
    assert "missing-host" in result["msg"] and "does not exist" in result["msg"]
    assert "present-host" not in result["msg"]
    assert request_log.writes(mark) == []


def test_bad_circuit_breaker_fails_without_write(run_module, apim, request_log):
    mark = request_log.mark()
    result = run_module("apim_backend", dict(apim, name="bad", url="https://x.example.com",
                                             circuit_breaker_rules=[dict(RULE, trip_duration="1m",
                                                                         status_code_ranges=[{"min": 100,
                                                                                              "max": 700}])]),
                        expect_failure=True)
    assert "ISO 8601" in result["msg"] and "200-599" in result["msg"]
    assert request_log.writes(mark) == []


def test_credentials_never_printed(run_module, apim):
    secret = "k-%s" % uuid.uuid4().hex
    args = dict(apim, name="keyed", url="https://keyed.example.com", credentials_header={"api-key": [secret]})
    created = run_module("apim_backend", args, diff=True)
    assert created["changed"] is True
    assert secret not in created["_stdout"]
    assert created["state"]["properties"]["credentials"]["header"]["api-key"] == "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER"
    again = run_module("apim_backend", args)
    assert again["changed"] is False and secret not in again["_stdout"]
    # The info module lists every backend in one request, credential values masked.
    listed = run_module("apim_backend_info", {"resource_group": apim["resource_group"], "service": apim["service"],
                                              "name": "KEYED"})
    assert secret not in listed["_stdout"]
    [keyed] = listed["backends"]
    assert keyed["properties"]["credentials"]["header"]["api-key"] == "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER"


def test_backend_info_lists_all_backends_in_one_request(run_module, apim, request_log):
    for name in ("listed-a", "listed-b"):
        run_module("apim_backend", dict(apim, name=name, url="https://%s.example.com" % name))
    mark = request_log.mark()
    listed = run_module("apim_backend_info", {"resource_group": apim["resource_group"], "service": apim["service"]})
    assert {"listed-a", "listed-b"} <= set(backend["name"] for backend in listed["backends"])
    assert listed["changed"] is False
    arm = [entry for entry in request_log.since(mark) if "/backends" in entry["path"]]
    assert [(entry["method"], entry["path"].rsplit("/", 1)[-1]) for entry in arm] == [("GET", "backends")]
    missing = run_module("apim_backend_info", {"resource_group": apim["resource_group"], "service": apim["service"],
                                               "name": "no-such-backend"})
    assert missing["backends"] == []
