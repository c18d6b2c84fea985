"""apim_diagnostic against the local endpoint: service-wide and API diagnostics, logger references by name or
id compared equal, header lists compared as sets, a missing logger refused before any write."""

import pytest

LOG = {"headers": ["Content-type", "User-agent", "x-ms-region"], "body_bytes": 8192}


@pytest.fixture(scope="module")
def apim(apim, run_module):
    """The shared service (conftest) with what these tests attach to."""
    rg, service = apim["resource_group"], apim["service"]
    run_module("apim_api", {"resource_group": rg, "service": service, "name": "inference-api",
                            "display_name": "Inference", "path": "inference"})
    run_module("apim_logger", {"resource_group": rg, "service": service, "name": "azuremonitor",
                               "logger_type": "azureMonitor", "is_buffered": False})
    return apim


def test_api_diagnostic_lifecycle(run_module, apim, request_log):
    args = dict(apim, api="inference-api", name="azuremonitor", logger="azuremonitor", always_log="allErrors",
                verbosity="verbose", log_client_ip=True, sampling_percentage=100, frontend_request=LOG,
                frontend_response=LOG, backend_request=LOG, backend_response=LOG)

    mark = request_log.mark()
    predicted = run_module("apim_diagnostic", args, check=True, diff=True)
    assert predicted["changed"] is True
    assert predicted["id"].endswith("/apis/inference-api/diagnostics/azuremonitor")
    assert predicted["diff"]["after"]["properties"]["sampling"] == {"samplingType": "fixed", "percentage": 100}
    assert request_log.writes(mark) == []

    created = run_module("apim_diagnostic", args)
    assert created["changed"] is True
    assert created["state"]["properties"]["loggerId"].endswith("/loggers/azuremonitor")
    assert created["state"]["properties"]["frontend"]["request"]["body"] == {"bytes": 8192}

    mark = request_log.mark()
    reordered = dict(LOG, headers=list(reversed(LOG["headers"])))
    same = run_module("apim_diagnostic", dict(args, logger=created["state"]["properties"]["loggerId"],
                                              frontend_request=reordered))
    assert same["changed"] is False
    assert request_log.writes(mark) == []

    diff = run_module("apim_diagnostic", dict(args, verbosity="error"), check=True, diff=True)
    assert diff["diff"]["before"]["properties"]["verbosity"] == "verbose"
    assert diff["diff"]["after"]["properties"]["verbosity"] == "error"
    assert request_log.writes(mark) == []

    updated = run_module("apim_diagnostic", dict(args, verbosity="error"))
    assert updated["changed"] is True and updated["state"]["properties"]["verbosity"] == "error"
    writes = request_log.writes(mark)
    assert len(writes) == 1 and writes[0]["method"] == "PUT"

    gone = dict(apim, api="inference-api", name="azuremonitor", state="absent")
    assert run_module("apim_diagnostic", gone)["changed"] is True
    mark = request_log.mark()
    assert run_module("apim_diagnostic", gone)["changed"] is False
    assert request_log.writes(mark) == []


def test_service_diagnostic_and_bad_input(run_module, apim, request_log):
    args = dict(apim, name="azuremonitor", logger="azuremonitor", verbosity="information")
    created = run_module("apim_diagnostic", args)
    assert created["changed"] is True and "/apis/" not in created["id"]
    assert run_module("apim_diagnostic", args)["changed"] is False

    mark = request_log.mark()
    missing = run_module("apim_diagnostic", dict(args, name="applicationinsights", logger="nope"),
                         expect_failure=True)
    assert "logger nope not found" in missing["msg"]
    sampling = run_module("apim_diagnostic", dict(args, sampling_percentage=101), expect_failure=True)
    assert "sampling_percentage" in sampling["msg"]
    body = run_module("apim_diagnostic", dict(args, backend_response={"body_bytes": 9000}), expect_failure=True)
    assert "body_bytes" in body["msg"]
    assert request_log.writes(mark) == []
    run_module("apim_diagnostic", dict(apim, name="azuremonitor", state="absent"))


def test_llm_logging_is_written_at_2024_06_01_preview_and_kept(run_module, apim, request_log):
    """The lab's azuremonitor diagnostic with largeLanguageModel: read and written at 2024-06-01-preview (the first
    version that defines it, checked against its definitions), unchanged on a second run; without the option the
    same diagnostic is handled at the SDK's 2024-05-01 and largeLanguageModel is left as it is."""
    llm = {"logs": "enabled", "requests": {"messages": "all", "max_size_in_bytes": 262144},
           "responses": {"messages": "all", "max_size_in_bytes": 262144}}
    args = dict(apim, api="inference-api", name="azuremonitor", logger="azuremonitor", always_log="allErrors",
                large_language_model=llm)
    mark = request_log.mark()
    created = run_module("apim_diagnostic", args)
    assert created["changed"] is True
    assert created["state"]["properties"]["largeLanguageModel"] == {
        "logs": "enabled", "requests": {"messages": "all", "maxSizeInBytes": 262144},
        "responses": {"messages": "all", "maxSizeInBytes": 262144}}
    calls = request_log.since(mark)
    assert {e["api_version"] for e in calls if "/diagnostics/" in e["path"]} == {"2024-06-01-preview"}
    assert request_log.non_conforming(mark, "Microsoft.ApiManagement") == []

    mark = request_log.mark()
    assert run_module("apim_diagnostic", args)["changed"] is False
    assert run_module("apim_diagnostic", dict(args, large_language_model=None))["changed"] is False
    assert request_log.writes(mark) == []
    smaller = dict(llm, responses={"messages": "all", "max_size_in_bytes": 1024})
    diff = run_module("apim_diagnostic", dict(args, large_language_model=smaller), check=True, diff=True)
    assert diff["changed"] is True
    assert diff["diff"]["after"]["properties"]["largeLanguageModel"]["responses"]["maxSizeInBytes"] == 1024
    too_big = run_module("apim_diagnostic", dict(args, large_language_model=dict(
        llm, requests={"messages": "all", "max_size_in_bytes": 262145})), expect_failure=True)
    assert "262145" in too_big["msg"]
    assert request_log.writes(mark) == []
    run_module("apim_diagnostic", dict(apim, api="inference-api", name="azuremonitor", state="absent"))
