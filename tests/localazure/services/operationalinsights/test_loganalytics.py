"""Gateway resource logs in Log Analytics and the query API (localazure/services/operationalinsights/logs.py, kql.py):
the KQL subset on fixed rows and a fixed clock, then a provisioned gateway whose diagnostic setting sends its logs
to a workspace, read back with the stock azure-monitor-query LogsQueryClient."""
from __future__ import annotations

import base64
import json
import re
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import requests
from azure.core.credentials import AccessToken
from azure.core.exceptions import HttpResponseError
from azure.mgmt.loganalytics import LogAnalyticsManagementClient
from azure.monitor.query import LogsQueryClient, LogsQueryStatus

from localazure.services.operationalinsights import kql
from localazure.services.operationalinsights import logs as loganalytics
from localazure.engine.store import Store
from localazure.identity import Identity
from tests.localazure.services.apimanagement.gateway.test_dataplane import PROMPT, _azure_openai, _chat, world  # noqa: F401 (world: fixture)

LOGS_AUDIENCE = "https://api.loganalytics.io"
SETTINGS_VERSION = "?api-version=2021-05-01-preview"
APIM_VERSION = "?api-version=2024-06-01-preview"
NOW = datetime(2025, 6, 1, 12, 0, tzinfo=timezone.utc)
SCHEMAS = {"Requests": [("TimeGenerated", "datetime"), ("ResponseCode", "int"), ("Url", "string"),
                        ("ApiId", "string")]}
ROWS = [{"TimeGenerated": "2025-06-01T11:58:00Z", "ResponseCode": 200, "Url": "https://x/inference/openai/v1/chat",
         "ApiId": "inference"},
        {"TimeGenerated": "2025-06-01T11:50:00.1234567Z", "ResponseCode": 401, "Url": "https://x/inference/embeddings",
         "ApiId": "inference"},
        {"TimeGenerated": "2025-06-01T11:59:30Z", "ResponseCode": 200, "Url": "https://x/other/Items", "ApiId": None}]


def _run(query: str, timespan: str | None = None) -> dict:
    return kql.run(query, SCHEMAS, lambda table: ROWS, now=NOW, timespan=timespan).table()


# --- unit: the KQL subset -----------------------------------------------------------------------------------

@pytest.mark.parametrize("query, rows", [
    ("Requests | where TimeGenerated > ago(5m) | project ResponseCode", [[200], [200]]),
    ("Requests | where ResponseCode == 200 and Url has 'openai' | project Url",
     [["https://x/inference/openai/v1/chat"]]),
    ("Requests | where Url contains 'ITEMS' or ResponseCode != 200 | project ResponseCode", [[401], [200]]),
    ("Requests | where ResponseCode >= 300 | project ResponseCode", [[401]]),
    ("Requests | where ResponseCode < 300 and ResponseCode <= 200 and ResponseCode > 100 | count", [[2]]),
    ("Requests | where Url has 'inference' | where ApiId == 'inference' | count", [[2]]),
    ("Requests | where Url has 'infer' | count", [[0]]),                       # has matches whole terms only
    ("Requests | where TimeGenerated >= datetime(2025-06-01 11:55) | project ResponseCode", [[200], [200]]),
    ("Requests | order by TimeGenerated asc | take 2 | project ResponseCode", [[401], [200]]),
    ("Requests | order by TimeGenerated | limit 1 | project Url", [["https://x/other/Items"]]),   # desc by default
    ("Requests | sort by ApiId asc, TimeGenerated desc | project ResponseCode", [[200], [401], [200]]),
    ("Requests | summarize count() by ResponseCode", [[200, 2], [401, 1]]),
    ("Requests | summarize calls = count()", [[3]]),
])
def test_kql_subset_filters_projects_orders_and_counts(query, rows):
    assert _run(query)["rows"] == rows


def test_kql_columns_carry_types_and_datetimes_come_back_in_utc():
    table = _run("Requests | take 1")
    assert table["name"] == "PrimaryResult"
    assert [column["type"] for column in table["columns"]] == ["datetime", "int", "string", "string"]
    assert table["rows"][0][0] == "2025-06-01T11:58:00.000000Z"
    assert _run("Requests | summarize count() by ApiId")["columns"] == [{"name": "ApiId", "type": "string"},
                                                                         {"name": "count_", "type": "long"}]


@pytest.mark.parametrize("timespan, count", [("PT5M", 2), ("PT300.0S", 2), ("P1D", 3),
                                             ("2025-06-01T11:55:00Z/2025-06-01T11:59:00Z", 1),
                                             ("2025-06-01T11:00:00Z/PT55M", 1), ("PT15M/2025-06-01T11:59:00Z", 2)])
def test_kql_timespan_forms_bound_time_generated(timespan, count):
    assert _run("Requests | count", timespan)["rows"] == [[count]]


JOINED = {"Calls": [("TimeGenerated", "datetime"), ("CorrelationId", "string"), ("ApiId", "string")],
          "Llm": [("TimeGenerated", "datetime"), ("CorrelationId", "string"), ("DeploymentName", "string")]}
JOINED_ROWS = {
    "Calls": [{"TimeGenerated": "2025-06-01T11:58:00Z", "CorrelationId": "a", "ApiId": "inference"},
              {"TimeGenerated": "2025-06-01T11:58:01Z", "CorrelationId": "b", "ApiId": "inference"},
              {"TimeGenerated": "2025-06-01T11:58:02Z", "CorrelationId": None, "ApiId": "inference"}],
    "Llm": [{"TimeGenerated": "2025-06-01T11:58:00Z", "CorrelationId": "a", "DeploymentName": "chat"},
            {"TimeGenerated": "2025-06-01T11:58:01Z", "CorrelationId": "b", "DeploymentName": "embed"},
            {"TimeGenerated": "2025-06-01T10:00:00Z", "CorrelationId": "b", "DeploymentName": "old"},
            {"TimeGenerated": "2025-06-01T11:58:02Z", "CorrelationId": None, "DeploymentName": "chat"}]}


def test_kql_inner_join_pairs_rows_on_the_keys_and_renames_the_rights_same_named_columns():
    """learn.microsoft.com/kusto/query/join-operator: kind=inner keeps every matching pair; a right column whose
    name the left has comes back with the suffix 1. The request's timespan bounds both tables; null keys never
    match."""
    table = kql.run('Calls | where ApiId == "inference" | join kind=inner (Llm | where DeploymentName != "chat") '
                    'on CorrelationId | project CorrelationId, DeploymentName, CorrelationId1',
                    JOINED, JOINED_ROWS.__getitem__, now=NOW, timespan="PT5M").table()
    assert table["rows"] == [["b", "embed", "b"]]
    columns = kql.run("Calls | join kind=inner (Llm) on CorrelationId", JOINED, JOINED_ROWS.__getitem__,
                      now=NOW).table()["columns"]
    assert [column["name"] for column in columns] == ["TimeGenerated", "CorrelationId", "ApiId", "TimeGenerated1",
                                                      "CorrelationId1", "DeploymentName"]
    for query, text in (("Calls | join kind=leftouter (Llm) on CorrelationId", "Query could not be parsed"),
                        ("Calls | join kind=inner (Llm) on ApiId", "'join' operator: Failed to resolve")):
        with pytest.raises(kql.KqlError, match=re.escape(text)):
            kql.run(query, JOINED, JOINED_ROWS.__getitem__, now=NOW)


@pytest.mark.parametrize("query, kind, code, text", [
    ("Requests | extend x = 1", "SyntaxError", "SYN0002", "Query could not be parsed at 'extend' on line [1,11]"),
    ("Requests | where", "SyntaxError", "SYN0002", "Query could not be parsed at '<end>'"),
    ("Requests | where ResponseCode = 200", "SyntaxError", "SYN0002", "Query could not be parsed at '='"),
    ("Requests | where strlen(Url) > 3", "SyntaxError", "SYN0002", "Query could not be parsed at 'strlen'"),
    ("Requests | take ten", "SyntaxError", "SYN0002", "Query could not be parsed at 'ten'"),
    ("Requests | where TimeGenerated > datetime(someday)", "SyntaxError", "SYN0002", "Failed to parse datetime"),
    ("Missing | take 1", "SemanticError", "SEM0100",
     "'take' operator: Failed to resolve table or column expression named 'Missing'"),
    ("requests", "SemanticError", "SEM0100", "named 'requests'"),                  # names are case-sensitive
    ("Requests | where Nope == 1", "SemanticError", "SEM0100",
     "'where' operator: Failed to resolve column or scalar expression named 'Nope'"),
    ("Requests | project Url, Nope", "SemanticError", "SEM0100", "named 'Nope'"),
    ("Requests | where ResponseCode == '200'", "SemanticError", "SEM0025", "Cannot compare values of types long"),
])
def test_kql_refuses_what_it_does_not_evaluate_in_log_analytics_shape(query, kind, code, text):
    with pytest.raises(kql.KqlError) as refused:
        _run(query)
    body = refused.value.body("correlation")["error"]
    assert body["code"] == "BadArgumentError" and body["message"] == "The request had some invalid properties"
    assert body["innererror"]["code"] == kind and body["innererror"]["innererror"]["code"] == code
    assert text in body["innererror"]["innererror"]["message"]


def test_rows_persist_in_the_store_and_follow_only_dedicated_settings(tmp_path):
    service = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.ApiManagement/service/apim-x"
    workspace_id = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.OperationalInsights/workspaces/law"
    store = Store(tmp_path / "state.db")
    store.put(workspace_id, loganalytics.WORKSPACE_TYPE, {"id": workspace_id, "properties": {"customerId": "C-1"}})

    def setting(name, destination, logs):
        setting_id = f"{service}/providers/{loganalytics.DIAGNOSTIC_SETTING_TYPE}/{name}"
        store.put(setting_id, loganalytics.DIAGNOSTIC_SETTING_TYPE, {"id": setting_id, "properties": {
            "workspaceId": workspace_id, "logAnalyticsDestinationType": destination, "logs": logs}})

    setting("azure-diagnostics", None, [{"categoryGroup": "allLogs", "enabled": True}])
    setting("disabled", "Dedicated", [{"category": "GatewayLogs", "enabled": False}])
    workspaces = loganalytics.Workspaces(store, "s")
    assert workspaces.emit(service, "GatewayLogs", {"ResponseCode": 200}) == 0
    setting("llm-only", "Dedicated", [{"category": "GatewayLlmLogs", "enabled": True}])
    assert workspaces.emit(service, "GatewayLogs", {"ResponseCode": 200}) == 0
    assert workspaces.emit(service, "GatewayLlmLogs", {"TotalTokens": 7, "RequestMessages": [{"a": 1}]}) == 1
    store.close()
    reopened = loganalytics.Workspaces(Store(tmp_path / "state.db"), "s")
    rows = reopened.rows("c-1", "ApiManagementGatewayLlmLog")
    assert len(rows) == 1 and rows[0]["TotalTokens"] == 7 and rows[0]["TenantId"] == "C-1"
    assert rows[0]["RequestMessages"] == '[{"a": 1}]'      # dynamic values come back as JSON text
    assert rows[0]["Type"] == "ApiManagementGatewayLlmLog" and rows[0]["_ResourceId"] == service.lower()
    assert reopened.rows("c-1", "ApiManagementGatewayLogs") == []


# --- a provisioned gateway with a workspace -------------------------------------------------------------------

class IssuedTokens:
    """A TokenCredential for the query client.  It takes the endpoint's token endpoint (ClientSecretCredential)
    when that issues the requested audience, and otherwise the endpoint's own issuer for that audience: the check
    under test is the query API's audience check, which sees the same signed token either way."""

    def __init__(self, endpoint, credential):
        self.identity = Identity.load_or_create(Path(endpoint["state_dir"]))
        self.credential, self.client_id, self.scopes = credential, endpoint["client_id"], []

    def get_token(self, *scopes, **kwargs) -> AccessToken:
        self.scopes.append(scopes)
        audience = scopes[0].removesuffix("/.default")
        token = self.credential.get_token(*scopes)
        if _claims(token.token).get("aud", "").rstrip("/") == audience.rstrip("/"):
            return token
        issued, expires = self.identity.issue(self.client_id, audience=audience)
        return AccessToken(issued, expires)


def _claims(token: str) -> dict:
    body = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))


@pytest.fixture(scope="module")
def logs(world, endpoint, credential, sdk_kwargs, arm):
    """world plus a workspace; the diagnostic setting itself is created by the first test, which checks that
    nothing is logged before it exists."""
    law = LogAnalyticsManagementClient(credential, endpoint["subscription_id"], **sdk_kwargs)
    workspace = law.workspaces.begin_create_or_update(world["rg"], f"law-{uuid.uuid4().hex[:8]}",
                                                      {"location": "swedencentral"}).result()
    service = world["apim"].api_management_service.get(world["rg"], world["service"])
    tokens = IssuedTokens(endpoint, credential)
    client = LogsQueryClient(tokens, endpoint=endpoint["log_analytics_endpoint"], audience=LOGS_AUDIENCE,
                             connection_verify=endpoint["ca_bundle"])
    return {**world, "workspace": workspace, "customer_id": workspace.customer_id, "service_id": service.id,
            "location": service.location,
            "client": client, "tokens": tokens, "setting": f"{service.id}/providers/Microsoft.Insights/"
                                                           "diagnosticSettings/apimDiagnosticSettings"}


def _query(logs, query: str, timespan=timedelta(minutes=30)) -> list[dict]:
    result = logs["client"].query_workspace(logs["customer_id"], query, timespan=timespan)
    assert result.status == LogsQueryStatus.SUCCESS
    table = result.tables[0]
    return [dict(zip(table.columns, row)) for row in table.rows]


def _set_diagnostic(arm, logs, destination: str | None) -> None:
    body = {"properties": {"workspaceId": logs["workspace"].id,
                           "logs": [{"categoryGroup": "AllLogs", "enabled": True}],
                           "metrics": [{"category": "AllMetrics", "enabled": True}]}}
    if destination:
        body["properties"]["logAnalyticsDestinationType"] = destination
    assert arm("PUT", logs["setting"] + SETTINGS_VERSION, json=body).status_code in (200, 201)


def test_endpoint_json_names_the_query_endpoint(endpoint):
    assert endpoint["log_analytics_endpoint"] == endpoint["arm_endpoint"] + "/loganalytics"


def test_gateway_writes_rows_only_once_a_dedicated_diagnostic_setting_exists(logs, arm):
    key = logs["keys"]["callers"]
    assert _chat(logs, "gpt-4o-mini", key=key).status_code == 200
    assert _query(logs, "ApiManagementGatewayLogs | count") == [{"Count": 0}]
    _set_diagnostic(arm, logs, None)     # AzureDiagnostics mode: not emulated, so still nothing
    assert _chat(logs, "gpt-4o-mini", key=key).status_code == 200
    assert _query(logs, "ApiManagementGatewayLogs | count") == [{"Count": 0}]
    _set_diagnostic(arm, logs, "Dedicated")
    assert _chat(logs, "gpt-4o-mini", key=key).status_code == 200
    assert _query(logs, "ApiManagementGatewayLogs | count") == [{"Count": 1}]
    assert _query(logs, "ApiManagementGatewayLlmLog | count") == [{"Count": 1}]
    assert logs["tokens"].scopes[-1] == (LOGS_AUDIENCE + "/.default",)


def test_gateway_and_llm_rows_carry_the_documented_columns(logs, arm):
    _set_diagnostic(arm, logs, "Dedicated")
    key = logs["keys"]["callers"]
    answered = _chat(logs, "gpt-4.1-mini", key=key)
    assert answered.status_code == 200
    assert _chat(logs, "gpt-4.1-mini").status_code == 401
    streamed = list(_azure_openai(logs, key).chat.completions.create(
        model="gpt-4.1-mini", messages=PROMPT, stream=True, stream_options={"include_usage": True}))

    rows = _query(logs, "ApiManagementGatewayLogs | where Url has 'gpt-4.1-mini' | order by TimeGenerated asc")
    assert [row["ResponseCode"] for row in rows] == [200, 401, 200]
    ok, denied, stream_row = rows
    assert ok["Method"] == "POST" and ok["IsRequestSuccess"] is True and ok["Category"] == "GatewayLogs"
    assert ok["ApiId"] == "inference-api" and ok["ApimSubscriptionId"] == "callers" and ok["OperationId"]
    assert ok["Url"].startswith(f"https://{logs['service']}.azure-api.net/inference/openai/deployments/gpt-4.1-mini")
    assert "api-version=" in ok["Url"] and ok["BackendId"] == "models" and ok["BackendResponseCode"] == 200
    assert ok["BackendUrl"].startswith(logs["accounts"]["a"].properties.endpoint.rstrip("/") + "/openai/deployments/")
    assert ok["ResponseSize"] == len(answered.content) and ok["RequestSize"] > 0 and ok["TotalTime"] >= 0
    assert isinstance(ok["TimeGenerated"], datetime) and ok["Region"] == logs["location"]
    assert ok["_ResourceId"] == logs["service_id"].lower() and ok["TenantId"] == logs["customer_id"]
    assert ok["CallerIpAddress"] == "127.0.0.1" and ok["ClientProtocol"].startswith("HTTP/")
    assert denied["IsRequestSuccess"] is False and denied["LastErrorReason"] == "SubscriptionKeyNotFound"
    assert denied["LastErrorSource"] == "authorization" and denied["BackendResponseCode"] is None

    llm = _query(logs, "ApiManagementGatewayLlmLog | where DeploymentName == 'gpt-4.1-mini' "
                       "| order by TimeGenerated asc")
    assert [row["IsStreamCompletion"] for row in llm] == [False, True]
    whole, stream_llm = llm
    usage = answered.json()["usage"]
    assert (whole["PromptTokens"], whole["CompletionTokens"], whole["TotalTokens"]) == (
        usage["prompt_tokens"], usage["completion_tokens"], usage["total_tokens"])
    assert stream_llm["TotalTokens"] == streamed[-1].usage.total_tokens and stream_llm["ModelName"] == "gpt-4.1-mini"
    assert whole["CorrelationId"] == ok["CorrelationId"] and stream_llm["CorrelationId"] == stream_row["CorrelationId"]
    assert whole["ApiVersion"] and whole["RequestId"] == answered.json()["id"]
    assert whole["RequestMessages"] is None     # the API's diagnostic does not ask for messages
    everything = json.dumps(_query(logs, "ApiManagementGatewayLogs"), default=str)
    assert key not in everything and logs["keys"]["streaming"] not in everything


def test_llm_messages_are_logged_only_when_the_api_diagnostic_asks(logs, arm):
    _set_diagnostic(arm, logs, "Dedicated")
    service = logs["service_id"]
    assert arm("PUT", f"{service}/loggers/azuremonitor{APIM_VERSION}",
               json={"properties": {"loggerType": "azureMonitor", "isBuffered": False}}).status_code in (200, 201)
    diagnostic = {"properties": {"loggerId": f"{service}/loggers/azuremonitor", "alwaysLog": "allErrors",
                                 "largeLanguageModel": {"logs": "enabled",
                                                        "requests": {"messages": "all", "maxSizeInBytes": 262144},
                                                        "responses": {"messages": "all", "maxSizeInBytes": 262144}}}}
    api_diagnostic = f"{service}/apis/inference-api/diagnostics/azuremonitor{APIM_VERSION}"
    assert arm("PUT", api_diagnostic, json=diagnostic).status_code in (200, 201)
    try:
        assert _chat(logs, "gpt-4o-mini", key=logs["keys"]["callers"], padding=3).status_code == 200
        rows = _query(logs, "ApiManagementGatewayLlmLog | where RequestMessages contains 'xxx' "
                            "| project RequestMessages, ResponseMessages")
        assert len(rows) == 1
        assert json.loads(rows[0]["RequestMessages"])[0]["content"].endswith("AI.xxx")
        assert json.loads(rows[0]["ResponseMessages"])[0]["role"] == "assistant"
    finally:
        arm("DELETE", api_diagnostic)


def test_query_api_refuses_kql_it_does_not_evaluate_through_the_stock_client(logs):
    with pytest.raises(HttpResponseError) as refused:
        logs["client"].query_workspace(logs["customer_id"], "ApiManagementGatewayLogs | extend x = 1",
                                       timespan=None)
    assert refused.value.status_code == 400
    error = refused.value.response.json()["error"]
    assert error["code"] == "BadArgumentError" and error["innererror"]["code"] == "SyntaxError"
    rows = _query(logs, "ApiManagementGatewayLogs | summarize count() by ResponseCode", timespan=None)
    assert all(set(row) == {"ResponseCode", "count_"} for row in rows)


def test_query_api_wants_a_log_analytics_token_and_a_known_workspace(logs, endpoint, credential):
    url = f"{endpoint['log_analytics_endpoint']}/v1/workspaces/{logs['customer_id']}/query"
    body = {"query": "ApiManagementGatewayLogs | take 1"}

    def post(headers, target=url):
        return requests.post(target, json=body, headers=headers, verify=endpoint["ca_bundle"], timeout=30)

    missing = post({})
    assert missing.status_code == 401 and missing.json()["error"]["code"] == "AuthorizationRequiredError"
    forged = post({"Authorization": "Bearer a.b.c"})
    assert forged.status_code == 401
    arm_token = credential.get_token("https://management.azure.com/.default").token
    assert _claims(arm_token)["aud"].startswith("https://management.azure.com")
    wrong_audience = post({"Authorization": f"Bearer {arm_token}"})
    assert wrong_audience.status_code == 403 and wrong_audience.json()["error"]["code"] == "InvalidTokenError"
    identity = Identity.load_or_create(Path(endpoint["state_dir"]))
    for audience in (LOGS_AUDIENCE, LOGS_AUDIENCE + "/"):
        token, _ = identity.issue(endpoint["client_id"], audience=audience)
        answer = post({"Authorization": f"Bearer {token}"})
        assert answer.status_code == 200 and answer.json()["tables"][0]["name"] == "PrimaryResult"
    unknown = post({"Authorization": f"Bearer {token}"}, url.replace(logs["customer_id"], str(uuid.uuid4())))
    assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "WorkspaceNotFoundError"
