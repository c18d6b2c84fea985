"""apim_diagnostic: validation, the 2024-05-01 body (no largeLanguageModel), logger and header normalisation."""
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
