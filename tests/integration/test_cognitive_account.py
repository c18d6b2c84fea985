"""cognitive_account and cognitive_account_info against the local endpoint: lifecycle and soft-delete paths."""
import uuid


def _name(prefix):
    return "%s-%s" % (prefix, uuid.uuid4().hex[:8])


def test_lifecycle(run_module, resource_group, request_log):
    name = _name("acct")
    args = {"resource_group": resource_group, "name": name, "allow_project_management": True,
            "disable_local_auth": False, "public_network_access": "Enabled", "tags": {"source": "ai-gateway"}}

    mark = request_log.mark()
    predicted = run_module("cognitive_account", args, check=True, diff=True)
    assert predicted["changed"] is True
    assert predicted["id"].endswith("/accounts/" + name)
    assert predicted["state"]["properties"]["customSubDomainName"] == name.lower()
    assert predicted["diff"]["before"] == {}
    assert predicted["diff"]["after"]["kind"] == "AIServices"
    assert request_log.writes(mark) == [], "check mode must not write"

    created = run_module("cognitive_account", args)
    assert created["changed"] is True
    assert created["state"]["properties"]["provisioningState"] == "Succeeded"
    assert created["endpoint"] and created["endpoints"]
    assert created["principal_id"]
    assert "key1" not in created["_stdout"]

    mark = request_log.mark()
    again = run_module("cognitive_account", dict(args, location="Sweden Central"))
    assert again["changed"] is False
    assert request_log.writes(mark) == [], "an unchanged re-run only reads"

    diff = run_module("cognitive_account", dict(args, disable_local_auth=True), check=True, diff=True)
    assert diff["changed"] is True
    assert diff["diff"]["before"]["properties"]["disableLocalAuth"] is False
    assert diff["diff"]["after"]["properties"]["disableLocalAuth"] is True

    updated = run_module("cognitive_account", {"resource_group": resource_group, "name": name,
                                               "disable_local_auth": True})
    assert updated["changed"] is True
    props = updated["state"]["properties"]
    assert props["disableLocalAuth"] is True
    assert props["allowProjectManagement"] is True, "unmanaged properties are carried over"
    assert updated["state"]["tags"] == {"source": "ai-gateway"}

    listed = run_module("cognitive_account_info", {"resource_group": resource_group})
    assert [a["name"] for a in listed["accounts"]] == [name]
    one = run_module("cognitive_account_info", {"resource_group": resource_group, "name": name})
    assert one["accounts"][0]["id"] == created["id"]

    mark = request_log.mark()
    for bad, message in (({"kind": "OpenAI"}, "kind"), ({"custom_subdomain": "other-name"}, "subdomain"),
                         ({"location": "eastus"}, "location")):
        result = run_module("cognitive_account", dict(args, **bad), expect_failure=True)
        assert message in result["msg"] and "cannot change" in result["msg"]
    assert request_log.writes(mark) == []

    deleted = run_module("cognitive_account", {"resource_group": resource_group, "name": name, "state": "absent",
                                               "purge": True})
    assert deleted["changed"] is True and deleted["purged"] is True and deleted["state"] is None
    mark = request_log.mark()
    assert run_module("cognitive_account", {"resource_group": resource_group, "name": name, "state": "absent",
                                            "purge": True})["changed"] is False
    assert request_log.writes(mark) == []
    gone = run_module("cognitive_account_info", {"deleted": True, "resource_group": resource_group, "name": name})
    assert gone["accounts"] == []


def _soft_delete(run_module, resource_group, name):
    run_module("cognitive_account", {"resource_group": resource_group, "name": name})
    run_module("cognitive_account", {"resource_group": resource_group, "name": name, "state": "absent"})
    listed = run_module("cognitive_account_info", {"deleted": True, "resource_group": resource_group, "name": name})
    assert [a["name"] for a in listed["accounts"]] == [name]
    assert len(listed["held"]) == 1 and "soft-deleted" in listed["held"][0] and resource_group in listed["held"][0]
    return listed["accounts"][0]


def test_soft_deleted_name_fails_clearly(run_module, resource_group, request_log):
    name = _name("acct-sd")
    _soft_delete(run_module, resource_group, name)
    mark = request_log.mark()
    result = run_module("cognitive_account", {"resource_group": resource_group, "name": name}, expect_failure=True)
    assert "soft-deleted" in result["msg"]
    assert "soft_deleted=restore" in result["msg"] and "soft_deleted=purge" in result["msg"]
    assert request_log.writes(mark) == []
    run_module("cognitive_account", {"resource_group": resource_group, "name": name, "state": "absent",
                                     "purge": True})


def test_soft_deleted_restore(run_module, resource_group, request_log):
    name = _name("acct-rs")
    _soft_delete(run_module, resource_group, name)
    args = {"resource_group": resource_group, "name": name, "soft_deleted": "restore"}
    mark = request_log.mark()
    predicted = run_module("cognitive_account", args, check=True)
    assert predicted["changed"] is True and predicted["restored"] is True
    assert request_log.writes(mark) == []

    restored = run_module("cognitive_account", args)
    assert restored["changed"] is True and restored["restored"] is True
    assert restored["state"]["properties"]["provisioningState"] == "Succeeded"
    assert run_module("cognitive_account", args)["changed"] is False
    run_module("cognitive_account", {"resource_group": resource_group, "name": name, "state": "absent",
                                     "purge": True})


def test_soft_deleted_purge_then_create(run_module, resource_group):
    name = _name("acct-pg")
    _soft_delete(run_module, resource_group, name)
    created = run_module("cognitive_account", {"resource_group": resource_group, "name": name,
                                               "soft_deleted": "purge", "kind": "ContentSafety"})
    assert created["changed"] is True and created["purged"] is True
    assert created["state"]["kind"] == "ContentSafety"
    run_module("cognitive_account", {"resource_group": resource_group, "name": name, "state": "absent",
                                     "purge": True})


def test_purge_when_already_deleted(run_module, resource_group):
    name = _name("acct-gone")
    _soft_delete(run_module, resource_group, name)
    purged = run_module("cognitive_account", {"resource_group": resource_group, "name": name, "state": "absent",
                                              "purge": True})
    assert purged["changed"] is True and purged["purged"] is True
    listed = run_module("cognitive_account_info", {"deleted": True, "resource_group": resource_group})
    assert name not in [a["name"] for a in listed["accounts"]]


def test_same_name_soft_deleted_in_another_group_holds_the_subdomain(run_module, resource_group, request_log):
    # Issue 23 (9): subdomains are global, so the soft-deleted account of another group still holds this name's
    # subdomain (Azure answers CustomDomainInUse); soft_deleted decides about it as about one of this group.
    name = _name("acct-xg")
    elsewhere = "rg-it-%s" % uuid.uuid4().hex[:8]
    run_module("resource_group", {"name": elsewhere, "location": "swedencentral"})
    try:
        _soft_delete(run_module, elsewhere, name)
        args = {"resource_group": resource_group, "name": name}
        mark = request_log.mark()
        refused = run_module("cognitive_account", args, expect_failure=True)
        assert "account %s of resource group %s is soft-deleted" % (name, elsewhere) in refused["msg"]
        assert "soft_deleted=purge" in refused["msg"]
        kept = run_module("cognitive_account", dict(args, soft_deleted="restore"), expect_failure=True)
        assert "restore it in resource group %s or purge it" % elsewhere in kept["msg"]
        assert request_log.writes(mark) == [], "refused before any write"

        created = run_module("cognitive_account", dict(args, soft_deleted="purge"))
        assert created["changed"] is True and created["purged"] is True
        assert created["state"]["properties"]["customSubDomainName"] == name
        left = run_module("cognitive_account_info", {"deleted": True, "name": name})
        assert left["accounts"] == []
        run_module("cognitive_account", dict(args, state="absent", purge=True))
    finally:
        run_module("resource_group", {"name": elsewhere, "state": "absent"})
