"""apim_logger: validation per logger type, bodies, and the write-only credentials rule (Resource.converge)."""
from ansible_collections.aigateway.foundry.plugins.module_utils import apim
from ansible_collections.aigateway.foundry.plugins.module_utils.arm_resource import Target
from ansible_collections.aigateway.foundry.plugins.module_utils.azure_state import differences
from ansible_collections.aigateway.foundry.plugins.modules import apim_logger as m
from tests.unit.plugins.fakes import make_module

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
    assert "1 to 256 characters" in m.validate(params(name="a:b"), None)


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


class Recorded(apim.ApimChild):
    """The logger declaration with its write recorded instead of sent."""

    def __init__(self, answer=None):
        apim.ApimChild.__init__(self, "loggers", "logger", "logger", write_only=m.RESOURCE.write_only,
                                update_option="update_credentials")
        self.answer, self.writes = answer, []

    def write(self, module, target, body):
        self.writes.append(body)
        return self.answer


def converge(check_mode, current, update_mode, answer=None):
    module = make_module(m.ARGUMENT_SPEC, check_mode=check_mode, **params(update_credentials=update_mode))
    resource = Recorded(answer)
    target = Target(module, resource, current, None)
    return resource.converge(module, target, DESIRED), resource.writes, target


CURRENT = {"properties": {"loggerType": "applicationInsights", "credentials": {"connectionString": "{{ref}}"}}}
DESIRED = {"properties": {"loggerType": "applicationInsights", "credentials": {"connectionString": CS}}}


def test_write_only_values_do_not_decide_with_on_create():
    (changed, state), writes, _target = converge(False, CURRENT, "on_create")
    assert (changed, state, writes) == (False, CURRENT, [])


def test_always_writes_and_predictions_never_hold_the_secret():
    (changed, state), _writes, _target = converge(True, CURRENT, "always")
    assert changed is True and CS not in str(state)
    (changed, state), _writes, target = converge(True, None, "on_create")
    assert changed is True and state["id"] == target.id and CS not in str(state)
    assert converge(False, CURRENT, "always", answer="written")[0] == (True, "written")


def test_only_the_credential_named_values_apim_made_leave_with_the_logger():
    made = {"properties": {"credentials": {"instrumentationKey": "{{Logger-Credentials--5f1e0a9c}}"}}}
    assert m.credential_named_values(made) == ["Logger-Credentials--5f1e0a9c"]
    # a reference the user wrote to a named value of their own stays theirs
    own = {"properties": {"credentials": {"connectionString": "{{team-appinsights}}", "name": "hub"}}}
    assert m.credential_named_values(own) == []
    assert m.credential_named_values({"properties": {"loggerType": "azureMonitor"}}) == []
    assert m.credential_named_values(None) == []
