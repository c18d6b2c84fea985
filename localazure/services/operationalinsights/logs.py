"""Log Analytics workspaces as a data plane: resource logs written into them and the query API reading them.

Writing: a resource's diagnostic settings (Microsoft.Insights/diagnosticSettings at the resource's scope, from the
ARM store) decide where its logs go.  A setting sends a category when it has an enabled `logs` entry for that
category or for the category group `allLogs`; only `logAnalyticsDestinationType: Dedicated` settings are served,
which write resource-specific tables (`GatewayLogs` -> ApiManagementGatewayLogs, `GatewayLlmLogs` ->
ApiManagementGatewayLlmLog; learn.microsoft.com/azure/azure-monitor/reference/supported-logs/
microsoft-apimanagement-service-logs).  Rows are kept in the endpoint's store, so they persist across restarts.

Reading: `POST|GET {base}/loganalytics/v1/workspaces/{customerId}/query` answers like api.loganalytics.io
(learn.microsoft.com/rest/api/loganalytics/dataaccess/query/execute): `{"tables": [{"name": "PrimaryResult",
"columns": [{name, type}], "rows": [[...]]}]}`.  The bearer token must be this tenant's, for the audience
`https://api.loganalytics.io`.
"""
from __future__ import annotations

import itertools
import json
import time
import uuid
from datetime import datetime, timezone

from aiohttp import web

from localazure.services.operationalinsights import kql
from localazure.identity import TokenError

ROUTE = "/loganalytics/v1/workspaces/{workspace}/query"
ROWS_TABLE = "loganalytics.rows"
WORKSPACE_TYPE = "Microsoft.OperationalInsights/workspaces"
DIAGNOSTIC_SETTING_TYPE = "Microsoft.Insights/diagnosticSettings"
AUDIENCES = ("https://api.loganalytics.io", "https://api.loganalytics.io/")

# Columns as Microsoft's table reference documents them (learn.microsoft.com/azure/azure-monitor/reference/tables/
# apimanagementgatewaylogs and .../apimanagementgatewayllmlog), in its order; types are the query API's names.
_COMMON = [("TenantId", "string"), ("TimeGenerated", "datetime"), ("OperationName", "string"),
           ("CorrelationId", "string"), ("Region", "string")]
_TRAILER = [("SourceSystem", "string"), ("Type", "string"), ("_ResourceId", "string"), ("_SubscriptionId", "string")]
SCHEMAS = {
    "ApiManagementGatewayLogs": _COMMON + [
        ("IsRequestSuccess", "bool"), ("Category", "string"), ("TotalTime", "long"), ("CallerIpAddress", "string"),
        ("Method", "string"), ("Url", "string"), ("ClientProtocol", "string"), ("ResponseCode", "int"),
        ("BackendMethod", "string"), ("BackendUrl", "string"), ("BackendResponseCode", "int"),
        ("BackendProtocol", "string"), ("RequestSize", "int"), ("ResponseSize", "int"), ("Cache", "string"),
        ("CacheTime", "long"), ("BackendTime", "long"), ("ClientTime", "long"), ("ApiId", "string"),
        ("OperationId", "string"), ("ProductId", "string"), ("UserId", "string"), ("ApimSubscriptionId", "string"),
        ("BackendId", "string"), ("LastErrorElapsed", "long"), ("LastErrorSource", "string"),
        ("LastErrorScope", "string"), ("LastErrorSection", "string"), ("LastErrorReason", "string"),
        ("LastErrorMessage", "string"), ("ApiRevision", "string"), ("ClientTlsVersion", "string"),
        ("RequestHeaders", "dynamic"), ("ResponseHeaders", "dynamic"), ("BackendRequestHeaders", "dynamic"),
        ("BackendResponseHeaders", "dynamic"), ("RequestBody", "string"), ("ResponseBody", "string"),
        ("BackendRequestBody", "string"), ("BackendResponseBody", "string"), ("Errors", "dynamic"),
        ("TraceRecords", "dynamic"), ("IsMasterTrace", "bool"), ("IsTraceAllowed", "bool"),
        ("IsTraceExpired", "bool"), ("IsTraceRequested", "bool")] + _TRAILER,
    "ApiManagementGatewayLlmLog": _COMMON + [
        ("ApiVersion", "string"), ("DeploymentName", "string"), ("ModelName", "string"), ("RequestId", "string"),
        ("IsStreamCompletion", "bool"), ("PromptTokens", "int"), ("CompletionTokens", "int"),
        ("TotalTokens", "int"), ("SequenceNumber", "int"), ("RequestMessages", "dynamic"),
        ("ResponseMessages", "dynamic")] + _TRAILER,
}
# Workspace-based Application Insights keeps custom metrics in AppMetrics (customMetrics in the classic schema;
# learn.microsoft.com/azure/azure-monitor/reference/tables/appmetrics).
SCHEMAS["AppMetrics"] = [
    ("TenantId", "string"), ("TimeGenerated", "datetime"), ("Name", "string"), ("Sum", "real"), ("Min", "real"),
    ("Max", "real"), ("ItemCount", "int"), ("Properties", "dynamic"), ("AppRoleName", "string"),
    ("ResourceGUID", "string"), ("SDKVersion", "string"), ("SourceSystem", "string"), ("Type", "string"),
    ("_ResourceId", "string"), ("_SubscriptionId", "string")]
CATEGORY_TABLES = {"GatewayLogs": "ApiManagementGatewayLogs", "GatewayLlmLogs": "ApiManagementGatewayLlmLog"}


def _error(status: int, code: str, message: str, inner: dict | None = None) -> web.Response:
    """The query API's error body: {"error": {message, code, correlationId[, innererror]}}."""
    body = {"message": message, "code": code, "correlationId": str(uuid.uuid4())}
    if inner:
        body["innererror"] = inner
    return web.json_response({"error": body}, status=status)


class Workspaces:
    """Rows of the workspaces in the store, and the diagnostic settings that route resource logs to them."""

    def __init__(self, store, subscription_id: str, clock=time.time):
        self.store = store
        self.subscription_id = subscription_id
        self.clock = clock
        self._sequence = itertools.count()

    def destinations(self, resource_id: str, category: str) -> list[dict]:
        """The workspaces that the resource's Dedicated diagnostic settings send `category` to."""
        prefix = f"{resource_id}/providers/{DIAGNOSTIC_SETTING_TYPE}/"
        found = []
        for setting in self.store.list_type(DIAGNOSTIC_SETTING_TYPE, prefix):
            props = setting.get("properties") or {}
            if (props.get("logAnalyticsDestinationType") or "").lower() != "dedicated" or not props.get("workspaceId"):
                continue
            sends = any(entry.get("enabled") and ((entry.get("categoryGroup") or "").lower() == "alllogs"
                                                  or (entry.get("category") or "").lower() == category.lower())
                        for entry in props.get("logs") or [])
            workspace = self.store.get(props["workspaceId"]) if sends else None
            if workspace is not None and workspace not in found:
                found.append(workspace)
        return found

    def emit(self, resource_id: str, category: str, row: dict) -> int:
        """Appends `row` to every workspace the resource sends `category` to; returns how many got it."""
        table = CATEGORY_TABLES[category]
        targets = self.destinations(resource_id, category)
        for workspace in targets:
            customer_id = (workspace.get("properties") or {}).get("customerId") or ""
            stored = {"TenantId": customer_id, "Type": table, "SourceSystem": "Azure",
                      "_ResourceId": resource_id.lower(), "_SubscriptionId": self.subscription_id, **row}
            stored = {name: _stored(value) for name, value in stored.items()}
            key = f"{customer_id.lower()}|{table}|{time.time_ns():020d}{next(self._sequence):08d}"
            self.store.kv_put(ROWS_TABLE, key, stored)
        return len(targets)

    def emit_metric(self, workspace_id: str, component_id: str, row: dict) -> bool:
        """Appends one AppMetrics row of an Application Insights component to its workspace (the metric's
        `Namespace` goes into Properties as the SDK's custom metric namespace does)."""
        workspace = self.store.get(workspace_id)
        if workspace is None:
            return False
        customer_id = (workspace.get("properties") or {}).get("customerId") or ""
        component = self.store.get(component_id) or {}
        properties = dict(row.pop("Properties", {}) or {})
        namespace = row.pop("Namespace", None)
        if namespace:
            properties.setdefault("_MS.MetricNamespace", namespace)
        stored = {"TenantId": customer_id, "Type": "AppMetrics", "SourceSystem": "Azure",
                  "ResourceGUID": (component.get("properties") or {}).get("AppId") or "", "SDKVersion": "apim:0.0",
                  "_ResourceId": component_id.lower(), "_SubscriptionId": self.subscription_id,
                  "Properties": properties, **row}
        stored = {name: _stored(value) for name, value in stored.items()}
        key = f"{customer_id.lower()}|AppMetrics|{time.time_ns():020d}{next(self._sequence):08d}"
        self.store.kv_put(ROWS_TABLE, key, stored)
        return True

    def rows(self, customer_id: str, table: str) -> list[dict]:
        return [row for _, row in self.store.kv_list(ROWS_TABLE, f"{customer_id.lower()}|{table}|")]

    def by_customer_id(self, customer_id: str) -> dict | None:
        for workspace in self.store.list_type(WORKSPACE_TYPE, f"/subscriptions/{self.subscription_id}/"):
            if ((workspace.get("properties") or {}).get("customerId") or "").lower() == customer_id.lower():
                return workspace
        return None


def _stored(value):
    """Datetimes as ISO strings; dynamic values as the JSON text the query API returns them as."""
    if isinstance(value, datetime):
        return kql.format_datetime(value)
    if isinstance(value, (dict, list)):
        return json.dumps(value)
    return value


class QueryApi:
    """`{base}/loganalytics/v1/workspaces/{customerId}/query`, the Log Analytics query API."""

    def __init__(self, identity, store, workspaces: Workspaces, clock=time.time):
        self.identity, self.store, self.workspaces, self.clock = identity, store, workspaces, clock

    def routes(self) -> list[web.RouteDef]:
        return [web.post(ROUTE, self.query), web.get(ROUTE, self.query)]

    def _refusal(self, request: web.Request) -> web.Response | None:
        header = request.headers.get("Authorization", "")
        if not header.lower().startswith("bearer "):
            # The query API's answer without a token (MicrosoftDocs/azure-docs#112220).
            return _error(401, "AuthorizationRequiredError", "Valid authentication was not provided")
        try:
            claims = self.identity.validate(header[7:].strip())
        except (TokenError, ValueError):
            return _error(401, "AuthorizationRequiredError", "Valid authentication was not provided")
        if claims.get("aud") not in AUDIENCES:
            # A token for another audience (e.g. ARM's) is refused with 403 InvalidTokenError
            # (Azure/azure-sdk-for-js#15399).
            return _error(403, "InvalidTokenError", "The provided authentication is not valid for this resource",
                          {"code": "AudienceMismatch",
                           "message": f"The token audience '{claims.get('aud')}' is not "
                                      "https://api.loganalytics.io"})
        return None

    async def query(self, request: web.Request) -> web.Response:
        refused = self._refusal(request)
        if refused is not None:
            return refused
        if request.method == "POST":
            try:
                body = json.loads(await request.read() or b"{}")
            except ValueError:
                body = None
            if not isinstance(body, dict):
                return _error(400, "BadArgumentError", "The request had some invalid properties",
                              {"code": "InvalidBody", "message": "The body is not a JSON object."})
        else:
            body = {"query": request.query.get("query"), "timespan": request.query.get("timespan")}
        query, timespan = body.get("query"), body.get("timespan")
        if not isinstance(query, str) or not query.strip():
            return _error(400, "BadArgumentError", "The request had some invalid properties",
                          {"code": "QueryMissing", "message": "'query' is required and must be a string."})
        customer_id = request.match_info["workspace"]
        with self.store.transaction():
            if self.workspaces.by_customer_id(customer_id) is None:
                return _error(404, "WorkspaceNotFoundError", f"The workspace {customer_id} could not be found")
            now = datetime.fromtimestamp(self.clock(), timezone.utc)
            try:
                result = kql.run(query, SCHEMAS, lambda table: self.workspaces.rows(customer_id, table), now=now,
                                 timespan=timespan)
            except kql.KqlError as error:
                return web.json_response(error.body(str(uuid.uuid4())), status=400)
            except ValueError:
                return _error(400, "BadArgumentError", "The request had some invalid properties",
                              {"code": "InvalidTimespan",
                               "message": f"'{timespan}' is not an ISO 8601 duration or interval."})
        return web.json_response({"tables": [result.table()]})
