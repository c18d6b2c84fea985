"""apim_cache against the local endpoint: lifecycle, the write-only connection string never printed nor
compared, bad input refused before any write."""


CONNECTION = "cache-x.swedencentral.redis.azure.net:10000,password=S3cr3tRedisKey=,ssl=True,abortConnect=False"


def test_cache_lifecycle(run_module, apim, request_log):
    args = dict(apim, name="default", connection_string=CONNECTION, use_from_location="default",
                description="cache-x.swedencentral.redis.azure.net")

    mark = request_log.mark()
    predicted = run_module("apim_cache", args, check=True, diff=True)
    assert predicted["changed"] is True
    assert predicted["id"].endswith("/service/%s/caches/default" % apim["service"])
    assert predicted["diff"]["after"]["properties"]["connectionString"] == "(secret)"   # shown masked (issue 25)
    assert "S3cr3tRedisKey" not in predicted["_stdout"]
    assert request_log.writes(mark) == []

    created = run_module("apim_cache", args)
    assert created["changed"] is True
    assert created["state"]["properties"]["connectionString"].startswith("{{")
    assert "S3cr3tRedisKey" not in created["_stdout"]

    mark = request_log.mark()
    assert run_module("apim_cache", dict(args, use_from_location="Default"))["changed"] is False
    assert run_module("apim_cache", dict(apim, name="default"))["changed"] is False, "no new connection string"
    assert request_log.writes(mark) == []

    diff = run_module("apim_cache", dict(args, description="semantic cache"), check=True, diff=True)
    assert diff["changed"] is True
    assert diff["diff"]["before"]["properties"]["description"] == args["description"]
    assert diff["diff"]["after"]["properties"]["description"] == "semantic cache"
    assert request_log.writes(mark) == []

    updated = run_module("apim_cache", dict(apim, name="default", description="semantic cache"))
    assert updated["changed"] is True and updated["state"]["properties"]["description"] == "semantic cache"
    writes = request_log.writes(mark)
    assert len(writes) == 1 and writes[0]["method"] == "PATCH", "without a connection string: PATCH"

    mark = request_log.mark()
    assert run_module("apim_cache", dict(args, update_credentials="always"))["changed"] is True
    assert len(request_log.writes(mark)) == 1

    assert run_module("apim_cache", dict(apim, name="default", state="absent"))["changed"] is True
    mark = request_log.mark()
    assert run_module("apim_cache", dict(apim, name="default", state="absent"))["changed"] is False
    assert request_log.writes(mark) == []


def test_bad_input_fails_before_any_write(run_module, apim, request_log):
    mark = request_log.mark()
    missing = run_module("apim_cache", dict(apim, name="default"), expect_failure=True)
    assert "connection_string is required" in missing["msg"]
    regional = run_module("apim_cache", dict(apim, name="eastus", connection_string=CONNECTION),
                          expect_failure=True)
    assert "use_from_location" in regional["msg"] and "S3cr3tRedisKey" not in regional["_stdout"]
    assert request_log.writes(mark) == []
