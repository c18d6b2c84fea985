"""apim_service and apim_service_info against the local endpoint: lifecycle, wait: false, soft delete paths."""
import json
import uuid

from tests.integration.converged import clock_control


def service_args(resource_group, name, **overrides):
    args = {"resource_group": resource_group, "name": name, "sku_name": "Standardv2",
            "publisher_email": "ops@example.com", "publisher_name": "Ops"}
    args.update(overrides)
    return args


def new_name():
    return "apim-it-%s" % uuid.uuid4().hex[:8]


def test_lifecycle(run_module, resource_group, request_log):
    start = request_log.mark()
    name = new_name()
    args = service_args(resource_group, name, tags={"source": "ai-gateway"})

    mark = request_log.mark()
    predicted = run_module("apim_service", args, check=True, diff=True)
    assert predicted["changed"] is True
    assert predicted["id"].endswith("/providers/Microsoft.ApiManagement/service/" + name)
    assert predicted["state"]["sku"] == {"name": "StandardV2", "capacity": 1}
    assert predicted["diff"]["before"] == {}
    assert predicted["diff"]["after"]["properties"]["publisherEmail"] == "ops@example.com"
    assert request_log.writes(mark) == [], "check mode must not write"

    created = run_module("apim_service", args)
    assert created["changed"] is True
    assert created["provisioning_state"] == "Succeeded"
    assert created["gateway_url"] == "https://%s.azure-api.net" % name
    assert created["principal_id"]
    assert created["id"] == predicted["id"]
    assert not created.get("warnings")

    mark = request_log.mark()
    again = run_module("apim_service", dict(args, location="Sweden Central", sku_name="StandardV2".capitalize()))
    assert again["changed"] is False
    assert request_log.writes(mark) == [], "an unchanged re-run only reads"

    mark = request_log.mark()
    diff = run_module("apim_service", dict(args, sku_capacity=2, tags={"owner": "ops"}, purge_tags=True), check=True,
                      diff=True)
    assert diff["changed"] is True
    assert diff["diff"]["before"]["sku"]["capacity"] == 1 and diff["diff"]["after"]["sku"]["capacity"] == 2
    assert diff["diff"]["after"]["tags"] == {"owner": "ops"}
    assert request_log.writes(mark) == []

    updated = run_module("apim_service", dict(args, sku_capacity=2, tags={"owner": "ops"}, purge_tags=True))
    assert updated["changed"] is True
    assert updated["state"]["sku"]["capacity"] == 2 and updated["state"]["tags"] == {"owner": "ops"}
    assert [w["method"] for w in request_log.writes(mark)] == ["PATCH"]

    info = run_module("apim_service_info", {"resource_group": resource_group, "name": name})
    assert [s["name"] for s in info["services"]] == [name]
    listed = run_module("apim_service_info", {"resource_group": resource_group})
    assert name in [s["name"] for s in listed["services"]]
    everywhere = run_module("apim_service_info", {})
    assert name in [s["name"] for s in everywhere["services"]]

    deleted = run_module("apim_service", {"resource_group": resource_group, "name": name, "state": "absent"})
    assert deleted["changed"] is True and deleted["state"] is None and deleted["purged"] is False
    mark = request_log.mark()
    assert run_module("apim_service", {"resource_group": resource_group, "name": name,
                                       "state": "absent"})["changed"] is False
    assert request_log.writes(mark) == []

    soft = run_module("apim_service_info", {"name": name, "deleted": True})
    assert [s["name"] for s in soft["deleted_services"]] == [name]
    assert len(soft["held"]) == 1 and name in soft["held"][0] and resource_group in soft["held"][0]
    purged = run_module("apim_service", {"resource_group": resource_group, "name": name, "state": "absent",
                                         "purge": True})
    assert purged["changed"] is True and purged["purged"] is True
    assert run_module("apim_service_info", {"name": name, "deleted": True})["deleted_services"] == []
    assert request_log.non_conforming(start, "Microsoft.ApiManagement") == [], "requests must match Microsoft's 2024-05-01 types"


def test_bad_input_fails_before_any_write(run_module, resource_group, request_log):
    mark = request_log.mark()
    missing = run_module("apim_service", {"resource_group": resource_group, "name": new_name(),
                                          "sku_name": "Standardv2"}, expect_failure=True)
    assert "publisher_email and publisher_name required" in missing["msg"]
    bad_name = run_module("apim_service", service_args(resource_group, "1-bad"), expect_failure=True)
    assert "service name" in bad_name["msg"]
    assert request_log.writes(mark) == []


def test_immutable_changes_fail_clearly(run_module, resource_group, request_log):
    name = new_name()
    run_module("apim_service", service_args(resource_group, name))
    mark = request_log.mark()
    moved = run_module("apim_service", service_args(resource_group, name, location="eastus"), expect_failure=True)
    assert "location cannot change" in moved["msg"]
    family = run_module("apim_service", service_args(resource_group, name, sku_name="Premium"), expect_failure=True)
    assert "cannot move it to Premium" in family["msg"]
    assert request_log.writes(mark) == []
    run_module("apim_service", {"resource_group": resource_group, "name": name, "state": "absent", "purge": True})


def test_unsupported_tier_warns(run_module, resource_group):
    name = new_name()
    result = run_module("apim_service", service_args(resource_group, name, sku_name="Basicv2"), check=True)
    assert "only the Standard v2 and Premium tiers" in json.dumps(result.get("warnings")), sorted(result)


def test_wait_false_then_rerun_while_activating(run_module, resource_group, request_log, endpoint):
    name = new_name()
    # Developer activates for ~40 minutes on Azure; the endpoint's clock is held so that the service is still
    # activating at the re-run however slow the machine is (scaled, the activation is shorter than a busy run).
    args = service_args(resource_group, name, sku_name="Developer")
    clock_control(endpoint, {"hold_seconds": 300})
    try:
        started = run_module("apim_service", dict(args, wait=False))
        assert started["changed"] is True
        assert started["provisioning_state"] == "Created"
        assert started["state"]["properties"]["targetProvisioningState"] == "Activating"

        mark = request_log.mark()
        rerun = run_module("apim_service", dict(args, wait=False))
        assert rerun["changed"] is False
        assert rerun["provisioning_state"] == "Created"
        assert request_log.writes(mark) == [], "a re-run while activating must not write again"
    finally:
        clock_control(endpoint, {"hold_seconds": 0})

    settled = run_module("apim_service", args)
    assert settled["changed"] is False and settled["provisioning_state"] == "Succeeded"
    assert request_log.writes(mark) == []
    run_module("apim_service", {"resource_group": resource_group, "name": name, "state": "absent", "purge": True})


def test_soft_deleted_name_fail_restore_purge(run_module, resource_group, request_log):
    name = new_name()
    args = service_args(resource_group, name, tags={"generation": "1"})
    run_module("apim_service", args)
    run_module("apim_service", {"resource_group": resource_group, "name": name, "state": "absent"})

    mark = request_log.mark()
    blocked = run_module("apim_service", args, expect_failure=True)
    assert "soft-deleted" in blocked["msg"] and "soft_deleted: restore" in blocked["msg"]
    assert request_log.writes(mark) == []

    predicted = run_module("apim_service", dict(args, soft_deleted="restore"), check=True)
    assert predicted["changed"] is True and predicted["restored"] is True
    assert request_log.writes(mark) == []

    restored = run_module("apim_service", dict(args, soft_deleted="restore", tags={"owner": "ops"}))
    assert restored["changed"] is True and restored["restored"] is True
    assert restored["state"]["tags"] == {"generation": "1", "owner": "ops"}
    writes = request_log.writes(mark)
    assert writes[0]["method"] == "PUT"

    run_module("apim_service", {"resource_group": resource_group, "name": name, "state": "absent"})
    recreated = run_module("apim_service", dict(args, soft_deleted="purge"))
    assert recreated["changed"] is True and recreated["purged"] is True and recreated["restored"] is False
    assert recreated["provisioning_state"] == "Succeeded"
    run_module("apim_service", {"resource_group": resource_group, "name": name, "state": "absent", "purge": True})


def test_info_needs_resource_group_for_a_live_name(run_module):
    result = run_module("apim_service_info", {"name": "x"}, expect_failure=True)
    assert "name needs resource_group" in result["msg"]
