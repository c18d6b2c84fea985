"""log_analytics_query against the local Log Analytics query API (endpoint.json log_analytics_endpoint)."""
import uuid


def test_queries_a_workspace_read_only_with_clear_errors(run_module, endpoint, resource_group, request_log):
    workspace = run_module("log_analytics_workspace", {"resource_group": resource_group,
                                                       "name": "ws-%s" % uuid.uuid4().hex[:8],
                                                       "location": "swedencentral"})
    args = {"workspace_id": workspace["customer_id"], "endpoint": endpoint["log_analytics_endpoint"],
            "query": "ApiManagementGatewayLogs | project TimeGenerated, Url | take 5", "timespan": "PT30M"}
    mark = request_log.mark()
    empty = run_module("log_analytics_query", args)
    assert empty["changed"] is False and empty["status"] == "Success"
    assert empty["rows"] == [] and empty["columns"] == ["TimeGenerated", "Url"]
    assert empty["endpoint"] == endpoint["log_analytics_endpoint"]
    assert run_module("log_analytics_query", args, check=True)["rows"] == []
    assert request_log.writes(mark) == []

    bad_kql = run_module("log_analytics_query", dict(args, query="ApiManagementGatewayLogs | extend x = 1"),
                         expect_failure=True)
    assert bad_kql["msg"].startswith("query workspace %s failed: HTTP 400" % workspace["customer_id"])

    mark = request_log.mark()
    bad_span = run_module("log_analytics_query", dict(args, timespan="half an hour"), expect_failure=True)
    assert "'half an hour' is not an ISO 8601 duration" in bad_span["msg"]
    bad_id = run_module("log_analytics_query", dict(args, workspace_id=workspace["id"]), expect_failure=True)
    assert "not a workspace customer id" in bad_id["msg"]
    assert request_log.since(mark) == [], "bad input fails before any request"
