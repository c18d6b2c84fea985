"""apim_logger against the local endpoint: lifecycle, write-only credentials never printed nor compared,
type changes refused before any write."""


CONNECTION = "InstrumentationKey=11111111-2222-3333-4444-555555555555;IngestionEndpoint=https://x.example/"


def test_app_insights_logger_lifecycle(run_module, apim, request_log):
    args = dict(apim, name="appinsights-logger", logger_type="applicationInsights", is_buffered=False,
                description="APIM logger for Application Insights", app_insights_connection_string=CONNECTION)

    mark = request_log.mark()
    predicted = run_module("apim_logger", args, check=True, diff=True)
    assert predicted["changed"] is True
    assert predicted["id"].endswith("/service/%s/loggers/appinsights-logger" % apim["service"])
    assert predicted["diff"]["after"]["properties"]["loggerType"] == "applicationInsights"
    assert CONNECTION not in predicted["_stdout"]
    assert request_log.writes(mark) == []

    created = run_module("apim_logger", args)
    assert created["changed"] is True
    reference = created["state"]["properties"]["credentials"]["connectionString"]
    assert reference.startswith("{{") and CONNECTION not in created["_stdout"]

    mark = request_log.mark()
    assert run_module("apim_logger", args)["changed"] is False
    assert request_log.writes(mark) == [], "write-only credentials do not force a write with on_create"

    diff = run_module("apim_logger", dict(args, is_buffered=True), check=True, diff=True)
    assert diff["changed"] is True
    assert diff["diff"]["before"]["properties"]["isBuffered"] is False
    assert diff["diff"]["after"]["properties"]["isBuffered"] is True
    # the PUT sends the write-only credentials again: the diff says so, never what they are (issue 25)
    assert diff["diff"]["after"]["properties"]["credentials"] == "(secret, written)"
    assert request_log.writes(mark) == []

    mark = request_log.mark()
    always = run_module("apim_logger", dict(args, update_credentials="always"))
    assert always["changed"] is True
    writes = request_log.writes(mark)
    assert len(writes) == 1 and writes[0]["method"] == "PUT"

    reference = always["state"]["properties"]["credentials"]["connectionString"]
    def held():
        found = run_module("apim_named_value_info", apim)["named_values"]
        return [value["properties"]["secret"] for value in found if value["name"] == reference.strip("{}")]
    assert held() == [True]

    assert run_module("apim_logger", dict(apim, name="appinsights-logger", state="absent"))["changed"] is True
    # the secret named value APIM made for the credentials goes with the logger
    assert held() == []
    mark = request_log.mark()
    assert run_module("apim_logger", dict(apim, name="appinsights-logger", state="absent"))["changed"] is False
    assert request_log.writes(mark) == []


def test_azure_monitor_logger_and_bad_input(run_module, apim, request_log):
    args = dict(apim, name="azuremonitor", logger_type="azureMonitor", is_buffered=False)
    assert run_module("apim_logger", args)["changed"] is True
    assert run_module("apim_logger", args)["changed"] is False

    mark = request_log.mark()
    moved = run_module("apim_logger", dict(args, logger_type="applicationInsights",
                                           app_insights_connection_string=CONNECTION), expect_failure=True)
    assert "cannot change" in moved["msg"] and CONNECTION not in moved["_stdout"]
    missing = run_module("apim_logger", dict(apim, name="ai-2", logger_type="applicationInsights"),
                         expect_failure=True)
    assert "app_insights_connection_string" in missing["msg"]
    untyped = run_module("apim_logger", dict(apim, name="no-type"), expect_failure=True)
    assert "logger_type is required" in untyped["msg"]
    assert request_log.writes(mark) == []
