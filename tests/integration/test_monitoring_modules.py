"""log_analytics_workspace, app_insights and diagnostic_setting against the local endpoint."""
import uuid


def _lifecycle(run_module, request_log, module, args, change, absent_args):
    """Check mode predicts and writes nothing; create; unchanged re-run reads only; diff; delete twice."""
    mark = request_log.mark()
    predicted = run_module(module, args, check=True, diff=True)
    assert predicted["changed"] is True and predicted["id"]
    assert request_log.writes(mark) == []

    created = run_module(module, args)
    assert created["changed"] is True
    assert created["id"].lower() == predicted["id"].lower()

    mark = request_log.mark()
    assert run_module(module, args)["changed"] is False
    assert request_log.writes(mark) == [], "an unchanged re-run only reads"

    changed_args = dict(args, **change)
    mark = request_log.mark()
    diff = run_module(module, changed_args, check=True, diff=True)
    assert diff["changed"] is True and diff["diff"]["before"] != diff["diff"]["after"]
    assert request_log.writes(mark) == []
    assert run_module(module, changed_args)["changed"] is True
    assert run_module(module, changed_args)["changed"] is False

    assert run_module(module, absent_args)["changed"] is True
    mark = request_log.mark()
    assert run_module(module, absent_args)["changed"] is False
    assert request_log.writes(mark) == []
    return created


def _workspace(run_module, resource_group, name):
    return run_module("log_analytics_workspace", {"resource_group": resource_group, "name": name})


def test_workspace_lifecycle(run_module, request_log, resource_group):
    name = "law-%s" % uuid.uuid4().hex[:6]
    args = {"resource_group": resource_group, "name": name}
    created = _lifecycle(run_module, request_log, "log_analytics_workspace", args, {"retention_in_days": 60},
                         dict(args, state="absent", force_delete=True))
    assert created["customer_id"]
    assert created["state"]["properties"]["retentionInDays"] == 30


def test_workspace_bad_input(run_module, request_log, resource_group):
    mark = request_log.mark()
    result = run_module("log_analytics_workspace", {"resource_group": resource_group, "name": "x",
                                                    "retention_in_days": 3}, expect_failure=True)
    assert "workspace name" in result["msg"]
    assert request_log.writes(mark) == []


def test_app_insights_lifecycle(run_module, request_log, resource_group):
    workspace = _workspace(run_module, resource_group, "law-%s" % uuid.uuid4().hex[:6])
    args = {"resource_group": resource_group, "name": "ai-%s" % uuid.uuid4().hex[:6],
            "workspace_id": workspace["id"]}
    created = _lifecycle(run_module, request_log, "app_insights", args, {"custom_metrics_dimensions": False},
                         {"resource_group": resource_group, "name": args["name"], "state": "absent"})
    assert created["state"]["properties"]["CustomMetricsOptedInType"] == "WithDimensions"


def test_app_insights_telemetry_credentials_only_to_a_censored_task(run_module, request_log, resource_group):
    workspace = _workspace(run_module, resource_group, "law-%s" % uuid.uuid4().hex[:6])
    args = {"resource_group": resource_group, "name": "ai-%s" % uuid.uuid4().hex[:6], "workspace_id": workspace["id"]}
    created = run_module("app_insights", args, diff=True)
    properties = created["state"]["properties"]
    assert properties["ConnectionString"] == properties["InstrumentationKey"] == "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER"
    assert "connection_string" not in created and "instrumentation_key" not in created
    mark = request_log.mark()
    refused = run_module("app_insights", dict(args, return_connection_string=True), expect_failure=True)
    assert "no_log" in refused["msg"] and request_log.since(mark) == []
    censored = run_module("app_insights", dict(args, return_connection_string=True, _ansible_no_log=True))
    assert censored["connection_string"].startswith("InstrumentationKey=" + censored["instrumentation_key"])
    assert censored["instrumentation_key"] not in created["_stdout"]
    assert request_log.writes(mark) == []


def test_app_insights_needs_a_workspace(run_module, request_log, resource_group):
    mark = request_log.mark()
    result = run_module("app_insights", {"resource_group": resource_group, "name": "ai-x"}, expect_failure=True)
    assert "workspace_id is required" in result["msg"]
    assert request_log.writes(mark) == []


def test_diagnostic_setting_lifecycle(run_module, request_log, resource_group):
    workspace = _workspace(run_module, resource_group, "law-%s" % uuid.uuid4().hex[:6])
    target = _workspace(run_module, resource_group, "law-t-%s" % uuid.uuid4().hex[:6])
    args = {"scope": target["id"], "name": "to-workspace", "workspace_id": workspace["id"]}
    _lifecycle(run_module, request_log, "diagnostic_setting", args,
               {"logs": [{"category_group": "audit", "enabled": True}]},
               {"scope": target["id"], "name": "to-workspace", "state": "absent"})


def test_diagnostic_setting_order_does_not_matter(run_module, request_log, resource_group):
    workspace = _workspace(run_module, resource_group, "law-%s" % uuid.uuid4().hex[:6])
    logs = [{"category": "GatewayLogs"}, {"category": "GatewayLlmLogs"}]
    args = {"scope": workspace["id"], "name": "ordered", "workspace_id": workspace["id"], "logs": logs}
    assert run_module("diagnostic_setting", args)["changed"] is True
    mark = request_log.mark()
    assert run_module("diagnostic_setting", dict(args, logs=list(reversed(logs))))["changed"] is False
    assert request_log.writes(mark) == []


def test_diagnostic_setting_bad_input(run_module, request_log):
    mark = request_log.mark()
    result = run_module("diagnostic_setting", {"scope": "not-an-id", "name": "x", "workspace_id": "y"},
                        expect_failure=True)
    assert "scope must be a resource id" in result["msg"]
    assert request_log.writes(mark) == []


def test_diagnostic_setting_predicts_under_a_missing_resource_group(run_module, request_log, endpoint):
    scope = ("/subscriptions/%s/resourceGroups/rg-not-yet/providers/Microsoft.OperationalInsights/workspaces/law-x"
             % endpoint["subscription_id"])
    mark = request_log.mark()
    result = run_module("diagnostic_setting", {"scope": scope, "name": "d", "workspace_id": scope}, check=True)
    assert result["changed"] is True and result["state"]["properties"]["workspaceId"] == scope
    assert request_log.writes(mark) == []
