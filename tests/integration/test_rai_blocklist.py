"""rai_blocklist against the local endpoint: a blocklist and its items on a ContentSafety account."""
import uuid

import pytest


@pytest.fixture
def account(run_module, resource_group):
    name = "cs-%s" % uuid.uuid4().hex[:8]
    run_module("cognitive_account", {"resource_group": resource_group, "name": name, "kind": "ContentSafety",
                                     "public_network_access": "Enabled"})
    return name


def test_lifecycle(run_module, resource_group, account, request_log):
    args = {"resource_group": resource_group, "account": account, "name": "blocklist1",
            "description": "Terms the gateway refuses",
            "items": [{"name": "codename", "pattern": "Project Nightingale"},
                      {"name": "cards", "pattern": r"\b(?:\d[ -]*?){13,16}\b", "is_regex": True}]}

    mark = request_log.mark()
    predicted = run_module("rai_blocklist", args, check=True, diff=True)
    assert predicted["changed"] is True
    assert predicted["id"].endswith("/accounts/%s/raiBlocklists/blocklist1" % account)
    assert sorted(predicted["items"]) == ["cards", "codename"]
    assert predicted["diff"]["before"] == {"items": {}}
    assert request_log.writes(mark) == [], "check mode must not write"

    created = run_module("rai_blocklist", args)
    assert created["changed"] is True
    assert created["state"]["properties"]["description"] == "Terms the gateway refuses"
    assert created["items"]["cards"] == {"pattern": args["items"][1]["pattern"], "isRegex": True}

    mark = request_log.mark()
    again = run_module("rai_blocklist", args)
    assert again["changed"] is False
    assert request_log.writes(mark) == [], "an unchanged re-run only reads"

    changed_items = [{"name": "codename", "pattern": "Project Kestrel"}]
    diff = run_module("rai_blocklist", dict(args, items=changed_items), check=True, diff=True)
    assert diff["changed"] is True
    assert sorted(diff["diff"]["before"]["items"]) == ["cards", "codename"]
    assert diff["diff"]["after"]["items"] == {"codename": {"pattern": "Project Kestrel", "isRegex": False}}

    kept = run_module("rai_blocklist", dict(args, items=changed_items, purge_items=False))
    assert sorted(kept["items"]) == ["cards", "codename"]
    assert kept["items"]["codename"]["pattern"] == "Project Kestrel"
    purged = run_module("rai_blocklist", dict(args, items=changed_items))
    assert purged["changed"] is True and sorted(purged["items"]) == ["codename"]
    listed = run_module("rai_blocklist", {"resource_group": resource_group, "account": account, "name": "blocklist1"})
    assert listed["changed"] is False and sorted(listed["items"]) == ["codename"], "items omitted: unmanaged"

    mark = request_log.mark()
    for bad, message in (({"name": "-bad"}, "blocklist name '-bad' is invalid"),
                         ({"items": [{"name": "a", "pattern": " "}]}, "needs a pattern"),
                         ({"items": [{"name": "a", "pattern": "x"}, {"name": "A", "pattern": "y"}]}, "appears twice"),
                         ({"items": [{"name": "a", "pattern": "(", "is_regex": True}]}, "not a valid regular expression")):
        failed = run_module("rai_blocklist", dict(args, **bad), expect_failure=True)
        assert message in failed["msg"]
    assert request_log.writes(mark) == []

    absent = {"resource_group": resource_group, "account": account, "name": "blocklist1", "state": "absent"}
    deleted = run_module("rai_blocklist", absent)
    assert deleted["changed"] is True and deleted["state"] is None
    assert run_module("rai_blocklist", absent)["changed"] is False
