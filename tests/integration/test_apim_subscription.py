"""apim_subscription and apim_subscription_info against the local endpoint: lifecycle, keys only when asked
(and then registered as no_log values), explicit keys compared through listSecrets, scopes normalised."""
import json
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

COLLECTIONS = Path(__file__).resolve().parents[2] / ".collections"


@pytest.fixture(scope="module")
def apim(apim, run_module):
    """The shared service (conftest) with what these tests attach to."""
    rg, service = apim["resource_group"], apim["service"]
    run_module("apim_api", {"resource_group": rg, "service": service, "name": "inference-api",
                            "display_name": "Inference", "path": "inference"})
    return apim


def keys_of(run_module, apim, name):
    found = run_module("apim_subscription_info", dict(apim, name=name, return_keys=True, _ansible_no_log=True))
    item = found["subscriptions"][0]
    return item["primary_key"], item["secondary_key"]


def test_subscription_lifecycle(run_module, apim, request_log):
    args = dict(apim, name="foundry-subscription", display_name="Foundry AI Gateway Subscription", scope="/apis",
                allow_tracing=False)

    mark = request_log.mark()
    predicted = run_module("apim_subscription", args, check=True, diff=True)
    assert predicted["changed"] is True
    assert predicted["state"]["properties"]["state"] == "active"
    assert "primary_key" not in predicted
    assert request_log.writes(mark) == []

    created = run_module("apim_subscription", args)
    assert created["changed"] is True and created["id"] == predicted["id"]
    primary, secondary = keys_of(run_module, apim, "foundry-subscription")
    assert primary and secondary
    assert primary not in created["_stdout"] and secondary not in created["_stdout"]
    assert "primaryKey" not in json.dumps(created["state"]) and "primary_key" not in created

    mark = request_log.mark()
    full_scope = "/subscriptions/%s/resourceGroups/%s/providers/Microsoft.ApiManagement/service/%s/apis" % (
        created["id"].split("/")[2], apim["resource_group"], apim["service"])
    assert run_module("apim_subscription", dict(args, scope=full_scope))["changed"] is False
    assert request_log.writes(mark) == []

    diff = run_module("apim_subscription", dict(args, subscription_state="suspended"), check=True, diff=True)
    assert diff["diff"]["before"]["properties"]["state"] == "active"
    assert diff["diff"]["after"]["properties"]["state"] == "suspended"
    assert request_log.writes(mark) == []

    suspended = run_module("apim_subscription", dict(args, subscription_state="suspended", api="inference-api",
                                                     scope=None))
    assert suspended["changed"] is True and suspended["state"]["properties"]["state"] == "suspended"
    writes = request_log.writes(mark)
    assert len(writes) == 1 and writes[0]["method"] == "PATCH"

    asked = run_module("apim_subscription", dict(args, subscription_state="suspended", api="inference-api",
                                                 scope=None, return_keys=True, _ansible_no_log=True))
    assert asked["changed"] is False
    assert asked["primary_key"] == primary and asked["secondary_key"] == secondary

    assert run_module("apim_subscription", dict(apim, name="foundry-subscription", state="absent"))["changed"]
    mark = request_log.mark()
    assert not run_module("apim_subscription", dict(apim, name="foundry-subscription", state="absent"))["changed"]
    assert request_log.writes(mark) == []


def test_explicit_keys_are_compared_not_printed(run_module, apim, request_log):
    key = "k-%s" % uuid.uuid4().hex
    args = dict(apim, name="team-a", scope="/apis/inference-api", primary_key=key)
    created = run_module("apim_subscription", args, diff=True)
    assert created["changed"] is True and key not in created["_stdout"]
    assert keys_of(run_module, apim, "team-a")[0] == key

    mark = request_log.mark()
    assert run_module("apim_subscription", args)["changed"] is False
    assert request_log.writes(mark) == [], "listSecrets is a read"

    rotated = run_module("apim_subscription", dict(args, primary_key=key + "2"), diff=True)
    assert rotated["changed"] is True and key not in rotated["_stdout"]
    assert "primaryKey" not in json.dumps(rotated["diff"])
    assert keys_of(run_module, apim, "team-a")[0] == key + "2"

    listed = run_module("apim_subscription_info", apim)
    names = [item["name"] for item in listed["subscriptions"]]
    assert "team-a" in names
    assert key not in listed["_stdout"] and "primary_key" not in listed["subscriptions"][0]
    run_module("apim_subscription", dict(apim, name="team-a", state="absent"))


def test_bad_input_fails_before_any_write(run_module, apim, request_log):
    mark = request_log.mark()
    no_scope = run_module("apim_subscription", dict(apim, name="x"), expect_failure=True)
    assert "scope, api or product is required" in no_scope["msg"]
    two = run_module("apim_subscription", dict(apim, name="x", api="a", product="b"), expect_failure=True)
    assert "not api and product" in two["msg"]
    bad = run_module("apim_subscription", dict(apim, name="x", scope="/everything"), expect_failure=True)
    assert "must be /apis" in bad["msg"]
    unprotected = run_module("apim_subscription", dict(apim, name="x", scope="/apis", return_keys=True),
                             expect_failure=True)
    assert "set no_log: true on the task" in unprotected["msg"]
    assert request_log.writes(mark) == []
    missing = run_module("apim_subscription_info", dict(apim, name="nope"))
    assert missing["subscriptions"] == []


def test_returned_keys_are_hidden_by_ansible_but_registered(run_module, apim, azure_env, tmp_path):
    """Through ansible-playbook: the no_log task's result is censored in the output, the variable keeps the key."""
    run_module("apim_subscription", dict(apim, name="play", scope="/apis"))
    out_file = tmp_path / "key.txt"
    playbook = tmp_path / "play.yml"
    playbook.write_text(json.dumps([{
        "hosts": "localhost", "gather_facts": False,
        "tasks": [
            {"aigateway.foundry.apim_subscription": dict(apim, name="play", scope="/apis", return_keys=True),
             "register": "sub", "no_log": True},
            {"ansible.builtin.copy": {"content": "{{ sub.primary_key }}", "dest": str(out_file)}, "no_log": True},
        ]}]))
    env = dict(azure_env, ANSIBLE_COLLECTIONS_PATH=str(COLLECTIONS), ANSIBLE_PYTHON_INTERPRETER=sys.executable,
               ANSIBLE_LOCALHOST_WARNING="false", ANSIBLE_INVENTORY_UNPARSED_WARNING="false")
    proc = subprocess.run([str(Path(sys.executable).parent / "ansible-playbook"), "-i", "localhost,", "-c", "local",
                           "-v", str(playbook)], env=env, capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    key = out_file.read_text()
    assert len(key) > 8
    assert key not in proc.stdout + proc.stderr
    assert "censored" in proc.stdout
    run_module("apim_subscription", dict(apim, name="play", state="absent"))
