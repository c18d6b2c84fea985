"""apim_logger: validation per logger type, bodies, and the write-only credentials rule (apim.converge_write_only)."""
from ansible_collections.aigateway.foundry.plugins.module_utils import apim
from ansible_collections.aigateway.foundry.plugins.module_utils.azure_state import differences, merge
from ansible_collections.aigateway.foundry.plugins.modules import apim_logger as m

CS = "InstrumentationKey=x;IngestionEndpoint=https://x/"


def params(**overrides):
    base = dict((key, spec.get("default")) for key, spec in m.ARGUMENT_SPEC.items())
    base.update(resource_group="rg", service="gw", name="appinsights-logger", logger_type="applicationInsights",
                app_insights_connection_string=CS)
    base.update(overrides)
    return base


def test_validate_accepts_each_type():
    assert m.validate(params(), None) is None
    assert m.validate(params(app_insights_connection_string=None, app_insights_instrumentation_key="k"), None) is None
    assert m.validate(params(logger_type="azureMonitor", app_insights_connection_string=None), None) is None
    assert m.validate(params(logger_type="azureEventHub", app_insights_connection_string=None,
                             event_hub_name="hub", event_hub_connection_string="Endpoint=sb://x"), None) is None


def test_validate_refuses_wrong_credentials():
    assert "not both" in m.validate(params(app_insights_instrumentation_key="k"), None)
    assert "needs app_insights" in m.validate(params(app_insights_connection_string=None), None)
    assert "takes no credentials" in m.validate(params(logger_type="azureMonitor"), None)
    assert "event_hub_name and" in m.validate(params(logger_type="azureEventHub", app_insights_connection_string=None,
                                                     event_hub_name="hub"), None)
    assert "logger_type is required" in m.validate(params(logger_type=None), None)
    assert "1-256" in m.validate(params(name="a:b"), None)


def test_type_cannot_change():
    current = {"properties": {"loggerType": "azureMonitor"}}
    assert "cannot change" in m.validate(params(), current)
    assert m.validate(params(logger_type=None, app_insights_connection_string=None), current) is None


def test_desired_body_carries_credentials_and_settings():
    body = m.desired_body(params(is_buffered=False, resource_id="/x/components/ai"), None)
    assert body == {"properties": {"loggerType": "applicationInsights", "isBuffered": False,
                                   "resourceId": "/x/components/ai", "credentials": {"connectionString": CS}}}
    hub = m.desired_body(params(logger_type="azureEventHub", app_insights_connection_string=None,
                                event_hub_name="hub", event_hub_connection_string="E"), None)
    assert hub["properties"]["credentials"] == {"name": "hub", "connectionString": "E"}


def test_resource_id_compares_case_insensitively():
    assert differences({"properties": {"resourceId": "/A/B"}}, {"properties": {"resourceId": "/a/b"}},
                       normalisers=m.NORMALISERS) == []


class FakeModule(object):
    def __init__(self, check_mode):
        self.check_mode = check_mode

    def converge(self, current, desired, write, new_state=None, normalisers=None):
        if current is not None and not differences(desired, current, normalisers=normalisers):
            return False, current
        if self.check_mode:
            return True, merge(current if current is not None else (new_state or {}), desired)
        return True, write()


CURRENT = {"properties": {"loggerType": "applicationInsights", "credentials": {"connectionString": "{{ref}}"}}}
DESIRED = {"properties": {"loggerType": "applicationInsights", "credentials": {"connectionString": CS}}}


def test_write_only_values_do_not_decide_with_on_create():
    writes = []
    changed, state = apim.converge_write_only(FakeModule(False), CURRENT, DESIRED, lambda: writes.append(1),
                                              ["properties.credentials"], "on_create")
    assert (changed, state, writes) == (False, CURRENT, [])


def test_always_writes_and_predictions_never_hold_the_secret():
    changed, state = apim.converge_write_only(FakeModule(True), CURRENT, DESIRED, None,
                                              ["properties.credentials"], "always")
    assert changed is True and CS not in str(state)
    changed, state = apim.converge_write_only(FakeModule(True), None, DESIRED, None, ["properties.credentials"],
                                              "on_create", new_state={"id": "x"})
    assert changed is True and state["id"] == "x" and CS not in str(state)
    assert apim.converge_write_only(FakeModule(False), CURRENT, DESIRED, lambda: "written",
                                    ["properties.credentials"], "always") == (True, "written")
