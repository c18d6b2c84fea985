"""foundry_agent and foundry_agent_info against the local Foundry project data plane.

The project endpoint is the local endpoint's stand-in for https://{account}.services.ai.azure.com/api/projects/{p}
(endpoint.json foundry_project_url_template); the modules reach it with the same auth options and CA bundle as ARM.
"""
import json
import uuid

import pytest

MODEL = "ai-gateway/gpt-4.1-mini"


@pytest.fixture(scope="module")
def project(run_module, endpoint):
    """An agent host account and project in their own group; the caller holds Azure AI User on the project."""
    group = "rg-it-%s" % uuid.uuid4().hex[:8]
    account = "agents-it-%s" % uuid.uuid4().hex[:8]
    run_module("resource_group", {"name": group, "location": "swedencentral"})
    run_module("cognitive_account", {"resource_group": group, "name": account, "kind": "AIServices",
                                     "custom_subdomain": account, "allow_project_management": True,
                                     "identity": {"type": "SystemAssigned"}})
    created = run_module("foundry_project", {"resource_group": group, "account": account, "name": "agents"})
    url = endpoint["foundry_project_url_template"].replace("{account}", account).replace("{project}", "agents")
    yield dict(group=group, account=account, id=created["id"], endpoint=url)
    run_module("cognitive_account", {"resource_group": group, "name": account, "state": "absent", "purge": True})
    run_module("resource_group", {"name": group, "state": "absent"})


def test_the_project_endpoint_is_the_one_arm_reports_for_a_custom_subdomain(run_module):
    """An account whose custom subdomain differs from its name: its project's endpoint is on the subdomain's host
    (what ARM reports), and the data-plane modules find it from account and project alone."""
    from ansible_collections.aigateway.foundry.plugins.module_utils import foundry_dataplane as dataplane

    group, name = "rg-it-%s" % uuid.uuid4().hex[:8], "agents-it-%s" % uuid.uuid4().hex[:8]
    subdomain = "contoso-" + name
    run_module("resource_group", {"name": group, "location": "swedencentral"})
    try:
        account = run_module("cognitive_account", {"resource_group": group, "name": name, "kind": "AIServices",
                                                   "custom_subdomain": subdomain, "allow_project_management": True})
        created = run_module("foundry_project", {"resource_group": group, "account": name, "name": "agents"})
        expected = "https://%s.services.ai.azure.com/api/projects/agents" % subdomain
        assert dataplane.arm_project_endpoint(account["state"], "agents", created["state"]) == expected
        assert dataplane.arm_project_endpoint(account["state"], "agents") == expected
        # the modules read it from ARM: an account or project that is not there is named, before any data-plane call
        missing = run_module("foundry_agent_info", {"account": "nowhere-" + name, "project": "agents"},
                             expect_failure=True)
        assert "account nowhere-%s is not in the subscription" % name in missing["msg"]
        missing = run_module("foundry_agent_info", {"account": name, "project": "other", "resource_group": group},
                             expect_failure=True)
        assert "project other is not in account %s" % name in missing["msg"]
    finally:
        run_module("cognitive_account", {"resource_group": group, "name": name, "state": "absent", "purge": True})
        run_module("resource_group", {"name": group, "state": "absent"})


def grant_caller(run_module, scope):
    caller = run_module("caller_info", {})
    run_module("role_assignment", {"scope": scope, "role": "Azure AI User", "principal_id": caller["object_id"],
                                   "principal_type": caller["principal_type"]})


def data_plane_requests(request_log, mark):
    return [(e["method"], e["status"]) for e in request_log.since(mark) if e["path"].startswith("/foundry/")]


def test_without_a_data_role_the_caller_is_refused_with_a_clear_message(run_module, project):
    failed = run_module("foundry_agent", {"project_endpoint": project["endpoint"], "name": "no-role",
                                          "model": MODEL}, expect_failure=True)
    assert failed["status_code"] == 401
    assert "read agent no-role failed: HTTP 401 PermissionDenied" in failed["msg"]
    assert "Azure AI User" in failed["msg"]


def test_lifecycle(run_module, project, request_log, endpoint):
    grant_caller(run_module, project["id"])
    args = {"project_endpoint": project["endpoint"], "name": "gateway-check", "model": MODEL,
            "instructions": "Be brief.", "metadata": {"purpose": "test"}}

    mark = request_log.mark()
    predicted = run_module("foundry_agent", args, check=True, diff=True)
    assert predicted["changed"] is True and predicted["version"] == "1" and predicted["model"] == MODEL
    assert predicted["diff"]["before"] == {}
    assert predicted["diff"]["after"]["instructions"] == "Be brief."
    assert [m for m, _status in data_plane_requests(request_log, mark)] == ["GET"], "check mode only reads"

    created = run_module("foundry_agent", args)
    assert created["changed"] is True and created["version"] == "1" and created["model"] == MODEL
    assert created["state"]["definition"] == {"kind": "prompt", "model": MODEL, "instructions": "Be brief."}
    assert created["state"]["metadata"] == {"purpose": "test"}

    mark = request_log.mark()
    again = run_module("foundry_agent", args)
    assert again["changed"] is False and again["version"] == "1"
    assert [m for m, _status in data_plane_requests(request_log, mark)] == ["GET"], "a re-run only reads"
    # fields the task does not set are not compared
    assert run_module("foundry_agent", dict(args, instructions=None, metadata=None))["changed"] is False

    changed = run_module("foundry_agent", dict(args, instructions="Be sarcastic."), check=True, diff=True)
    assert changed["changed"] is True and changed["version"] == "2"
    assert changed["diff"]["before"]["instructions"] == "Be brief."
    assert changed["diff"]["after"]["instructions"] == "Be sarcastic."
    second = run_module("foundry_agent", dict(args, instructions="Be sarcastic."))
    assert second["changed"] is True and second["version"] == "2"

    listed = run_module("foundry_agent_info", {"project_endpoint": project["endpoint"]})
    assert listed["agents"] == [{"name": "gateway-check", "version": "2", "model": MODEL}]
    assert endpoint["client_secret"] not in json.dumps(listed)

    one = run_module("foundry_agent", {"project_endpoint": project["endpoint"], "name": "gateway-check",
                                       "version": "2", "state": "absent"})
    assert one["changed"] is True and one["deleted_versions"] == ["2"] and one["version"] == "1"

    second = run_module("foundry_agent", dict(args, instructions="Be sarcastic."))
    mark = request_log.mark()
    predicted_delete = run_module("foundry_agent", {"project_endpoint": project["endpoint"],
                                                    "name": "gateway-check", "state": "absent"}, check=True)
    assert predicted_delete["changed"] is True and predicted_delete["state"] is None
    assert all(m == "GET" for m, _status in data_plane_requests(request_log, mark))
    gone = run_module("foundry_agent", {"project_endpoint": project["endpoint"], "name": "gateway-check",
                                        "state": "absent"}, diff=True)
    assert gone["changed"] is True and sorted(gone["deleted_versions"]) == ["1", second["version"]]
    assert gone["diff"]["after"] == {}
    again = run_module("foundry_agent", {"project_endpoint": project["endpoint"], "name": "gateway-check",
                                         "state": "absent"})
    assert again["changed"] is False and again["deleted_versions"] == []
    assert run_module("foundry_agent_info", {"project_endpoint": project["endpoint"]})["agents"] == []


def test_bad_input_fails_before_any_call(run_module, project, request_log):
    mark = request_log.mark()
    bad_name = run_module("foundry_agent", {"project_endpoint": project["endpoint"], "name": "bad name!",
                                            "model": MODEL}, expect_failure=True)
    assert "agent name 'bad name!' is invalid" in bad_name["msg"]
    no_model = run_module("foundry_agent", {"project_endpoint": project["endpoint"], "name": "x1"},
                          expect_failure=True)
    assert "model is required" in no_model["msg"]
    no_endpoint = run_module("foundry_agent", {"name": "x1", "model": MODEL}, expect_failure=True)
    assert no_endpoint["msg"] == "give project_endpoint, or account and project to derive it from"
    gov = run_module("foundry_agent", {"name": "x1", "model": MODEL, "account": "a", "project": "p",
                                       "cloud_environment": "AzureUSGovernment",
                                       "arm_endpoint": "https://127.0.0.1:1", "authority_host": "https://127.0.0.1:1"},
                     expect_failure=True)
    assert "AzureUSGovernment is not supported" in gov["msg"]
    assert request_log.since(mark) == []


def test_unknown_project_is_a_clear_failure(run_module, project):
    url = project["endpoint"].rsplit("/", 1)[0] + "/no-such-project"
    failed = run_module("foundry_agent", {"project_endpoint": url, "name": "x1", "model": MODEL},
                        expect_failure=True)
    assert "no-such-project" in failed["msg"] or "HTTP 404" in failed["msg"]


def test_ask_without_the_agent_fails_naming_it_and_check_mode_sends_nothing(run_module, project, request_log):
    args = {"project_endpoint": project["endpoint"], "agent": "missing-agent", "input": "Hello?"}
    mark = request_log.mark()
    skipped = run_module("foundry_agent_response", args, check=True)
    assert skipped.get("skipped") is True and skipped["changed"] is False
    assert request_log.since(mark) == []
    failed = run_module("foundry_agent_response", args, expect_failure=True)
    assert "ask agent missing-agent failed: HTTP 404" in failed["msg"]
