"""await_listed: one look lists the wanted resources' accounts (one call per list request), a line per resource when
it succeeds, a count while others run; a Failed one is written again by its start's module, waiting, or fails naming
it when there is no start or it ends Failed again; the bound fails naming what still runs; the play's other options
(auth) reach every call. The clock is the test's: no sleeping."""
from types import SimpleNamespace

from ansible_collections.aigateway.foundry.plugins.action import await_listed
from tests.unit.plugins.fakes import action_time

ACCOUNTS = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.CognitiveServices/accounts/"


def resource(tail, state):
    return {"id": ACCOUNTS + tail, "properties": {"provisioningState": state}}


def run_await(monkeypatch, answers, **args):
    """``answers``: per look, the info module's answers to that look's calls (the last look repeats)."""
    _clock, lines = action_time(monkeypatch, await_listed)
    calls = []
    plugin = await_listed.ActionModule.__new__(await_listed.ActionModule)
    plugin._task = SimpleNamespace(args=dict(dict(
        module="cognitive_account_info", resource_group="rg", wanted=["m-1", "m-2"], what="Foundry account",
        kind="account", timeout=1800, delay=5, access_token="tok"), **args))
    looks = [list(look) for look in answers]

    def execute_module(module_name, task_vars=None, module_args=None):
        calls.append((module_name, module_args))
        look = looks[0]
        answer = look.pop(0)
        if not look and len(looks) > 1:
            looks.pop(0)
        elif not look:
            look.append(answer)
        return answer
    plugin._execute_module = execute_module
    return plugin.run(task_vars={}), lines, calls


def test_accounts_are_awaited_by_listing_their_group_with_a_line_each_when_it_succeeds(monkeypatch):
    running = {"accounts": [resource("m-1", "Succeeded"), resource("m-2", "Creating")]}
    done = {"accounts": [resource("m-1", "Succeeded"), resource("m-2", "Succeeded"), resource("other", "Failed")]}
    result, lines, calls = run_await(monkeypatch, [[running]] * 13 + [[done]])
    assert lines == ["Foundry account m-1: succeeded after 0s",
                     "Foundry account: 1 of 2 succeeded, 0s elapsed (typically about a minute on Azure)",
                     "Foundry account: 1 of 2 succeeded, 1m 00s elapsed (typically about a minute on Azure)",
                     "Foundry account m-2: succeeded after 1m 05s"]
    assert not result.get("failed") and result["waited_seconds"] == 65 and result["resources"] == done["accounts"]
    # one list request per look, with the play's auth options passed on
    assert calls[0] == ("aigateway.foundry.cognitive_account_info", {"resource_group": "rg", "access_token": "tok"})
    assert len(calls) == 14


def test_deployments_are_listed_in_one_call_for_all_their_accounts_and_projects_one_call_per_account(monkeypatch):
    wanted = ["m-1/deployments/gpt", "m-2/deployments/gpt"]
    listing = {"accounts": [{"name": "m-1", "deployments": [resource("m-1/deployments/gpt", "Succeeded")]},
                            {"name": "m-2", "deployments": [resource("m-2/deployments/gpt", "Succeeded")]}]}
    result, lines, calls = run_await(monkeypatch, [[listing]], module="model_deployment_info", wanted=wanted,
                                     what="model deployment", kind="deployment")
    assert calls == [("aigateway.foundry.model_deployment_info",
                      {"resource_group": "rg", "accounts": ["m-1", "m-2"], "access_token": "tok"})]
    assert lines == ["model deployment m-1/gpt: succeeded after 0s", "model deployment m-2/gpt: succeeded after 0s"]
    wanted = ["a/projects/p", "b/projects/q"]
    answers = [{"projects": [resource("a/projects/p", "Succeeded")]},
               {"projects": [resource("b/projects/q", "Succeeded")]}]
    result, lines, calls = run_await(monkeypatch, [answers], module="foundry_project_info", wanted=wanted,
                                     what="Foundry project")
    assert [call[1]["account"] for call in calls] == ["a", "b"]
    assert lines[-1] == "Foundry project b/q: succeeded after 0s" and not result.get("failed")


def test_nothing_wanted_is_one_look_for_the_listing(monkeypatch):
    listing = {"accounts": [resource("m-1", "Succeeded")]}
    result, lines, calls = run_await(monkeypatch, [[listing]], wanted=[])
    assert len(calls) == 1 and lines == [] and result["resources"] == listing["accounts"]


def test_a_failed_resource_fails_naming_it_and_a_failed_call_fails_with_its_message(monkeypatch):
    listing = {"accounts": [resource("m-1", "Succeeded"), resource("m-2", "Failed")]}
    result, lines, _calls = run_await(monkeypatch, [[listing]])
    assert result["failed"] is True and result["msg"] == "Foundry account that did not get ready: m-2"
    assert lines[-1] == "Foundry account m-2: failed after 0s"
    refused = {"failed": True, "msg": "list accounts of rg: (AuthorizationFailed) no"}
    result, _lines, _calls = run_await(monkeypatch, [[refused]])
    assert result == refused


def test_the_bound_fails_naming_what_still_runs(monkeypatch):
    listing = {"accounts": [resource("m-1", "Creating")]}
    result, _lines, calls = run_await(monkeypatch, [[listing]], timeout=20, delay=10)
    assert result["failed"] is True
    assert result["msg"] == ("Foundry account m-1 is still running after waiting 20 s (wait_timeout=20); "
                             "Foundry account m-2 is still running after waiting 20 s (wait_timeout=20); "
                             "it continues in Azure: re-run the play (it will converge) or raise the wait's bound")
    assert len(calls) == 3


def start(tail, **options):
    """A wait: false start's registered result: the module's answer with its invocation (secrets masked)."""
    return {"changed": True, "id": ACCOUNTS + tail, "invocation": {"module_args": dict(dict(
        resource_group="rg", name=tail, wait=False, retries=5, secret="VALUE_SPECIFIED_IN_NO_LOG_PARAMETER",
        access_token="VALUE_SPECIFIED_IN_NO_LOG_PARAMETER", location=None), **options)}}


def test_a_write_that_ended_failed_is_written_again_waiting_with_its_own_options_and_the_tasks_auth(monkeypatch):
    failed = {"accounts": [resource("m-1", "Succeeded"), resource("m-2", "Failed")]}
    rewritten = {"changed": True, "id": ACCOUNTS + "m-2"}
    done = {"accounts": [resource("m-1", "Succeeded"), resource("m-2", "Succeeded")]}
    writes = [start("m-1"), start("m-2", kind="AIServices"), {"skipped": True}]
    result, lines, calls = run_await(monkeypatch, [[failed], [rewritten], [done]], write_module="cognitive_account",
                                     writes=writes)
    assert not result.get("failed") and result["resources"] == done["accounts"]
    # the listing shows the state, not the operation's error: the module's own waited write tells them apart
    assert calls[1] == ("aigateway.foundry.cognitive_account", {
        "resource_group": "rg", "name": "m-2", "kind": "AIServices", "wait": True, "retries": 5,
        "access_token": "tok"})
    assert lines == ["Foundry account m-1: succeeded after 0s", "Foundry account m-2: failed after 0s",
                     "Foundry account m-2: writing it again, waiting", "Foundry account m-2: succeeded after 0s"]
    assert len(calls) == 3


def test_a_write_that_fails_again_fails_once_with_the_modules_message_and_is_not_sent_a_third_time(monkeypatch):
    failed = {"accounts": [resource("m-1", "Succeeded"), resource("m-2", "Failed")]}
    refused = {"failed": True, "msg": "create Foundry account m-2 failed: (QuotaExceeded) no quota"}
    result, _lines, calls = run_await(monkeypatch, [[failed], [refused], [failed]], write_module="cognitive_account",
                                      writes=[start("m-1"), start("m-2")])
    assert result == refused and len(calls) == 2
    # a resource left Failed again after its write succeeded (another writer) is not written a third time
    ok = {"changed": True, "id": ACCOUNTS + "m-2"}
    result, _lines, calls = run_await(monkeypatch, [[failed], [ok], [failed]], write_module="cognitive_account",
                                      writes=[start("m-1"), start("m-2")])
    assert result["failed"] is True and result["msg"] == "Foundry account that did not get ready: m-2"
    assert len(calls) == 3


def test_a_start_whose_own_option_was_masked_is_not_sent_again_and_fails_naming_the_option(monkeypatch):
    failed = {"accounts": [resource("m-1", "Succeeded"), resource("m-2", "Failed")]}
    for masked in ("VALUE_SPECIFIED_IN_NO_LOG_PARAMETER", "https://vault/********/key", {"k": ["********"]}):
        result, lines, calls = run_await(monkeypatch, [[failed]], write_module="cognitive_account",
                                         writes=[start("m-1"), start("m-2", tags=masked)])
        assert result["failed"] is True and len(calls) == 1
        assert result["msg"] == ("Foundry account m-2 ended Failed and its start's options tags are masked in the "
                                 "start's result (no_log), so they cannot be sent again; re-run the play to write "
                                 "it with its own values")
        assert "Foundry account m-2: writing it again, waiting" not in lines
