"""apim_diagnostic: validation, the 2024-05-01 body, largeLanguageModel at 2024-06-01-preview, logger and header
normalisation."""
from ansible_collections.aigateway.foundry.plugins.module_utils.azure_state import differences
from ansible_collections.aigateway.foundry.plugins.modules import apim_diagnostic as m

BASE = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.ApiManagement/service/gw"


def params(**overrides):
    base = dict((key, spec.get("default")) for key, spec in m.ARGUMENT_SPEC.items())
    base.update(resource_group="rg", service="gw", name="applicationinsights", logger="appinsights-logger")
    base.update(overrides)
    return base


def test_validate():
    assert m.validate(params(), None) is None
    assert "logger is required" in m.validate(params(logger=None), None)
    assert m.validate(params(logger=None), {"properties": {}}) is None
    assert "0-100" in m.validate(params(sampling_percentage=-1), None)
    assert "body_bytes" in m.validate(params(backend_request={"headers": None, "body_bytes": 8193}), None)


def test_desired_body():
    log = {"headers": ["a"], "body_bytes": 10}
    body = m.desired_body(params(metrics=True, sampling_percentage=50, frontend_request=log,
                                 backend_response={"headers": None, "body_bytes": 0}), BASE)
    assert body == {"properties": {
        "loggerId": BASE + "/loggers/appinsights-logger", "metrics": True,
        "sampling": {"samplingType": "fixed", "percentage": 50},
        "frontend": {"request": {"headers": ["a"], "body": {"bytes": 10}}},
        "backend": {"response": {"body": {"bytes": 0}}}}}
    assert "largeLanguageModel" not in str(body)


def test_logger_reference_and_headers_normalised():
    desired = {"properties": {"loggerId": BASE + "/loggers/AI", "frontend": {"request": {"headers": ["B", "a"]}}}}
    current = {"properties": {"loggerId": "/loggers/ai", "frontend": {"request": {"headers": ["a", "b"]}}}}
    assert differences(desired, current, normalisers=m.NORMALISERS) == []
    assert m.logger_name(BASE + "/loggers/x/") == "x"


LLM = {"logs": "enabled", "requests": {"messages": "all", "max_size_in_bytes": 262144},
       "responses": {"messages": "all", "max_size_in_bytes": None}}


def test_llm_logging_is_written_at_the_version_that_defines_it():
    assert m.API_DIAGNOSTIC.version_options(params()) == {}
    assert m.SERVICE_DIAGNOSTIC.version_options(params()) == {}
    with_llm = params(name="azuremonitor", logger="azuremonitor", large_language_model=LLM)
    assert m.API_DIAGNOSTIC.version_options(with_llm) == {"api_version": "2024-06-01-preview"}
    assert m.SERVICE_DIAGNOSTIC.version_options(with_llm) == {"api_version": "2024-06-01-preview"}
    assert m.desired_body(with_llm, BASE)["properties"]["largeLanguageModel"] == {
        "logs": "enabled", "requests": {"messages": "all", "maxSizeInBytes": 262144},
        "responses": {"messages": "all"}}


def test_llm_message_size_is_checked_before_writing():
    too_big = dict(LLM, responses={"messages": "all", "max_size_in_bytes": 262145})
    assert "large_language_model.responses.max_size_in_bytes must be 1-262144, not 262145" == m.validate(
        params(large_language_model=too_big), None)
    assert m.validate(params(large_language_model=dict(LLM, requests={"messages": "all", "max_size_in_bytes": 0})),
                      None).endswith("not 0")
