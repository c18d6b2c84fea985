"""resource_group against the local endpoint: the lifecycle every module's integration test follows."""
import uuid


def test_lifecycle(run_module, request_log):
    name = "rg-life-%s" % uuid.uuid4().hex[:6]
    args = {"name": name, "location": "swedencentral", "tags": {"source": "ai-gateway"}}

    mark = request_log.mark()
    predicted = run_module("resource_group", args, check=True, diff=True)
    assert predicted["changed"] is True
    assert predicted["state"]["tags"] == {"source": "ai-gateway"}
    assert predicted["id"].endswith("/resourceGroups/" + name)
    assert predicted["diff"]["before"] == {}
    assert predicted["diff"]["after"]["location"] == "swedencentral"
    assert request_log.writes(mark) == [], "check mode must not write"

    created = run_module("resource_group", args)
    assert created["changed"] is True
    assert created["state"]["properties"]["provisioningState"] == "Succeeded"
    assert created["id"] == predicted["id"]

    mark = request_log.mark()
    again = run_module("resource_group", dict(args, location="Sweden Central"))
    assert again["changed"] is False
    assert request_log.writes(mark) == [], "an unchanged re-run only reads"

    mark = request_log.mark()
    diff = run_module("resource_group", dict(args, tags={"owner": "ops"}), check=True, diff=True)
    assert diff["changed"] is True
    assert diff["diff"]["before"]["tags"] == {"source": "ai-gateway"}
    assert diff["diff"]["after"]["tags"] == {"source": "ai-gateway", "owner": "ops"}
    assert request_log.writes(mark) == []

    purged = run_module("resource_group", dict(args, tags={"owner": "ops"}, purge_tags=True))
    assert purged["changed"] is True
    assert purged["state"]["tags"] == {"owner": "ops"}

    deleted = run_module("resource_group", {"name": name, "state": "absent"})
    assert deleted["changed"] is True and deleted["state"] is None
    mark = request_log.mark()
    assert run_module("resource_group", {"name": name, "state": "absent"})["changed"] is False
    assert request_log.writes(mark) == []


def test_bad_input_fails_before_any_write(run_module, request_log):
    mark = request_log.mark()
    result = run_module("resource_group", {"name": "rg-no-location-%s" % uuid.uuid4().hex[:6]},
                        expect_failure=True)
    assert "location is required" in result["msg"]
    assert request_log.writes(mark) == []


def test_location_cannot_move(run_module, resource_group, request_log):
    mark = request_log.mark()
    result = run_module("resource_group", {"name": resource_group, "location": "eastus"}, expect_failure=True)
    assert "cannot change" in result["msg"]
    assert request_log.writes(mark) == []


def test_secret_never_printed(run_module, azure_env):
    result = run_module("resource_group", {"name": "rg-secret-check", "state": "absent"})
    assert azure_env["AZURE_SECRET"] not in result["_stdout"]


def test_wrong_secret_is_a_clear_error(run_module):
    result = run_module("resource_group", {"name": "rg-x", "state": "absent"}, expect_failure=True,
                        env={"AZURE_SECRET": "not-the-secret"})
    assert "authentication failed" in result["msg"] or "invalid_client" in result["msg"]
    assert "not-the-secret" not in result["_stdout"]
