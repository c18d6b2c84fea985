"""Pure functions of the data-plane helpers: endpoints per cloud, token claims, agent comparison, queries."""
import base64
import datetime
import json

import pytest

from ansible_collections.aigateway.foundry.plugins.module_utils import foundry_agent as agent
from ansible_collections.aigateway.foundry.plugins.module_utils import foundry_dataplane as dataplane
from ansible_collections.aigateway.foundry.plugins.modules import foundry_agent_response as response_module
from ansible_collections.aigateway.foundry.plugins.modules import log_analytics_query as query_module


# ---- endpoints -------------------------------------------------------------------------------------------------

def test_without_an_endpoint_the_account_and_project_are_read_from_arm():
    # no endpoint and no problem: project_module reads what ARM reports for the account and project
    assert dataplane.project_endpoint("AzureCloud", "Agents-Foundry-X1", "foundry-project") == (None, None)


def test_the_arm_endpoint_follows_the_custom_subdomain_not_the_account_name():
    """An account's Foundry host is its custom subdomain, which need not be its name."""
    account = {"name": "agents-x1", "properties": {"customSubDomainName": "contoso-agents",
                                                   "endpoints": {"AI Foundry API":
                                                                 "https://contoso-agents.services.ai.azure.com/"}}}
    project = {"properties": {"endpoints": {
        "AI Foundry API": "https://contoso-agents.services.ai.azure.com/api/projects/foundry-project"}}}
    expected = "https://contoso-agents.services.ai.azure.com/api/projects/foundry-project"
    assert dataplane.arm_project_endpoint(account, "foundry-project", project) == expected
    assert dataplane.arm_project_endpoint(account, "foundry-project") == expected   # the account's host
    del account["properties"]["endpoints"]
    assert dataplane.arm_project_endpoint(account, "foundry-project") == expected   # its subdomain


def test_explicit_project_endpoint_wins_and_is_checked():
    local = "https://127.0.0.1:8443/foundry/agents-x1/api/projects/foundry-project/"
    assert dataplane.project_endpoint("AzureCloud", "ignored", "ignored", local) == (local.rstrip("/"), None)
    endpoint, problem = dataplane.project_endpoint("AzureCloud", None, None, "http://x/api/projects/p")
    assert endpoint is None and "'http://x/api/projects/p' is not a project endpoint" in problem
    assert "is not a project endpoint" in dataplane.project_endpoint("AzureCloud", None, None,
                                                                     "https://host/api/projects/")[1]


@pytest.mark.parametrize("cloud", ["AzureChinaCloud", "AzureUSGovernment"])
def test_sovereign_clouds_need_an_explicit_endpoint_and_say_why(cloud):
    endpoint, problem = dataplane.project_endpoint(cloud, "a", "p")
    assert endpoint is None
    assert cloud in problem and "not supported" in problem


def test_missing_account_or_project_is_named():
    assert dataplane.project_endpoint("AzureCloud", "a", None)[1] == (
        "give project_endpoint, or account and project to derive it from")


def test_log_analytics_endpoint_per_cloud_and_explicit():
    assert dataplane.log_analytics_endpoint("AzureCloud") == ("https://api.loganalytics.io",
                                                              "https://api.loganalytics.io", None)
    assert dataplane.log_analytics_endpoint("AzureUSGovernment")[:2] == ("https://api.loganalytics.us",
                                                                         "https://api.loganalytics.us")
    # a local endpoint keeps its path and the public audience
    assert dataplane.log_analytics_endpoint("AzureCloud", "https://127.0.0.1:9/loganalytics/v1/") == (
        "https://127.0.0.1:9/loganalytics", "https://api.loganalytics.io", None)
    assert dataplane.log_analytics_endpoint("AzureCloud", "https://127.0.0.1:9/loganalytics")[0] == (
        "https://127.0.0.1:9/loganalytics")
    assert "https://" in dataplane.log_analytics_endpoint("AzureCloud", "http://x/v1")[2]


# ---- caller identity -------------------------------------------------------------------------------------------

def jwt(claims):
    part = base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")
    return "eyJhbGciOiJIUzI1NiJ9.%s.signature" % part


def test_caller_of_an_application_token():
    claims = dataplane.token_claims(jwt({"oid": "o-1", "tid": "t-1", "appid": "c-1", "idtyp": "app"}))
    assert dataplane.caller_identity(claims) == dict(object_id="o-1", tenant_id="t-1", client_id="c-1",
                                                     principal_type="ServicePrincipal", user_principal_name=None)


def test_caller_of_a_user_token():
    claims = {"oid": "o-2", "tid": "t-1", "azp": "cli", "scp": "user_impersonation", "upn": "ada@example.com"}
    identity = dataplane.caller_identity(claims)
    assert identity["principal_type"] == "User" and identity["client_id"] == "cli"
    assert identity["user_principal_name"] == "ada@example.com"


def test_not_a_jwt_is_refused():
    with pytest.raises(ValueError):
        dataplane.token_claims("opaque-token")


# ---- agents ----------------------------------------------------------------------------------------------------

def params(**overrides):
    base = dict(name="gateway-check", model="ai-gateway/gpt-4.1-mini", instructions=None, description=None,
                metadata=None, version=None, state="present")
    base.update(overrides)
    return base


def version_body(**fields):
    body = {"object": "agent.version", "name": "gateway-check", "version": "3", "description": "",
            "metadata": {}, "definition": {"kind": "prompt", "model": "ai-gateway/gpt-4.1-mini",
                                           "instructions": "Be brief."}}
    body.update(fields)
    return body


def test_create_body_is_the_rest_shape_with_only_what_is_set():
    assert agent.create_body(params()) == {"definition": {"kind": "prompt", "model": "ai-gateway/gpt-4.1-mini"}}
    assert agent.create_body(params(instructions="Be brief.", description="d", metadata={"n": 1})) == {
        "definition": {"kind": "prompt", "model": "ai-gateway/gpt-4.1-mini", "instructions": "Be brief."},
        "description": "d", "metadata": {"n": "1"}}


def test_same_definition_is_no_new_version_and_unset_fields_do_not_count():
    assert not agent.differs(version_body(), params())
    assert not agent.differs(version_body(), params(instructions="Be brief."))
    assert not agent.differs(version_body(metadata={"a": "1"}), params(metadata={"a": 1}))


@pytest.mark.parametrize("change", [
    dict(model="ai-gateway/gpt-4o-mini"),
    dict(instructions="Be sarcastic."),
    dict(description="new"),
    dict(metadata={"a": "2"}),
    dict(metadata={}),
])
def test_each_managed_field_that_differs_makes_a_new_version(change):
    latest = version_body(metadata={"a": "1"})
    assert agent.differs(latest, params(**change))


def test_other_kinds_and_missing_agents_differ():
    assert agent.differs(version_body(definition={"kind": "workflow"}), params())
    assert agent.differs(None, params())


def test_predicted_version_numbers():
    assert agent.next_version(None) == "1"
    assert agent.next_version(version_body()) == "4"
    assert agent.next_version(version_body(version="beta")) is None


@pytest.mark.parametrize("overrides, fragment", [
    (dict(name="-bad"), "agent name '-bad' is invalid"),
    (dict(name="a" * 64), "1 to 63 characters"),
    (dict(model=None), "model is required"),
    (dict(version="2"), "version only selects the version to delete"),
    (dict(metadata={str(n): "v" for n in range(17)}), "has 17 keys"),
    (dict(metadata={"k" * 65: "v"}), "is too long"),
])
def test_bad_agent_input_is_named(overrides, fragment):
    assert fragment in agent.validate(params(**overrides))


def test_good_agent_input_and_absent_without_model():
    assert agent.validate(params()) is None
    assert agent.validate(params(model=None, state="absent", version="2")) is None


def test_diff_views_show_only_managed_fields():
    latest = version_body(id="gateway-check:3", created_at=1700000000)
    assert agent.managed_view(latest, params()) == {"kind": "prompt", "model": "ai-gateway/gpt-4.1-mini"}
    assert agent.managed_view(latest, params(description="x")) == {
        "kind": "prompt", "model": "ai-gateway/gpt-4.1-mini", "description": ""}
    assert agent.desired_view(params(description="x")) == {
        "kind": "prompt", "model": "ai-gateway/gpt-4.1-mini", "description": "x"}


# ---- asking an agent -------------------------------------------------------------------------------------------

def test_agent_reference_shape():
    assert response_module.agent_reference("a") == {"name": "a", "type": "agent_reference"}
    assert response_module.agent_reference("a", "2") == {"name": "a", "type": "agent_reference", "version": "2"}


@pytest.mark.parametrize("overrides, fragment", [
    (dict(agent="bad name"), "agent name 'bad name' is invalid"),
    (dict(input="  "), "input is empty"),
    (dict(timeout=0), "timeout must be a positive"),
])
def test_bad_question_input_is_named(overrides, fragment):
    base = dict(agent="gateway-check", input="Hello?", timeout=120)
    base.update(overrides)
    assert fragment in response_module.validate(base)


# ---- log queries -----------------------------------------------------------------------------------------------

def test_timespans():
    assert query_module.parse_timespan("PT30M") == (datetime.timedelta(minutes=30), None)
    assert query_module.parse_timespan("P1DT2H") == (datetime.timedelta(days=1, hours=2), None)
    assert query_module.parse_timespan("") == (None, None)
    (start, end), problem = query_module.parse_timespan("2025-06-01T10:00:00Z/2025-06-01T11:00:00Z")
    assert problem is None and end - start == datetime.timedelta(hours=1) and start.tzinfo is not None
    for bad in ("30 minutes", "PT", "P", "PT0S", "2025-06-01/soon"):
        assert query_module.parse_timespan(bad)[1], bad


def test_query_input_is_checked():
    good = dict(workspace_id="00000000-0000-0000-0000-000000000001", query="T | take 1", server_timeout=180)
    assert query_module.validate(good) is None
    assert "not a workspace customer id" in query_module.validate(dict(good, workspace_id="/subscriptions/x"))
    assert query_module.validate(dict(good, query=" ")) == "query is empty"
    assert "between 1 and 600" in query_module.validate(dict(good, server_timeout=601))


class Table:
    columns = ["TimeGenerated", "ResponseCode", "TotalTime"]
    rows = [[datetime.datetime(2025, 6, 1, 10, tzinfo=datetime.timezone.utc), 200, datetime.timedelta(seconds=2)]]


def test_rows_become_json_dicts():
    assert query_module.table_rows(Table()) == (Table.columns, [
        {"TimeGenerated": "2025-06-01T10:00:00+00:00", "ResponseCode": 200, "TotalTime": 2.0}])


# ---- errors ----------------------------------------------------------------------------------------------------

class OpenAIStyleError(Exception):
    status_code = 404
    body = {"error": {"code": "agent_not_found", "message": "Agent x not found"}}
    message = "Error code: 404"


def test_error_text_names_the_call_url_status_and_code():
    text, status = dataplane.error_text("ask agent x", "https://p/openai/v1/responses", OpenAIStyleError())
    assert status == 404
    assert text == "ask agent x failed: HTTP 404 agent_not_found: Agent x not found"


def test_forbidden_says_which_role_is_missing():
    error = OpenAIStyleError()
    error.status_code = 403
    error.body = {"error": {"code": "PermissionDenied", "message": "no"}}
    assert "Azure AI User" in dataplane.error_text("create agent", "u", error)[0]
