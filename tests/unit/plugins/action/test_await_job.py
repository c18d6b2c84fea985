"""await_job: progress lines with what is awaited, its state, the time waited and the typical Azure duration; the
job's result as async_status gives it; a failed job fails; the bound fails naming what still runs. The clock is the
test's: no sleeping, no dependence on the machine's speed."""
from types import SimpleNamespace

import pytest

from ansible_collections.aigateway.foundry.plugins.action import await_job
from tests.unit.plugins.fakes import action_time


def run_await(monkeypatch, statuses, **args):
    _clock, lines = action_time(monkeypatch, await_job)
    calls = []
    plugin = await_job.ActionModule.__new__(await_job.ActionModule)
    plugin._task = SimpleNamespace(args=dict(dict(jid="j1", what="API Management service apim-x (Developer)",
                                                  kind="apim_create", sku="Developer", timeout=3660, delay=5),
                                             **args))
    plugin.get_shell_option = lambda option, default=None: default
    plugin._remote_expand_user = lambda path: "/home/u/.ansible_async"
    remaining = list(statuses)

    def execute_module(module_name, task_vars=None, module_args=None):
        calls.append((module_name, module_args))
        return remaining.pop(0) if len(remaining) > 1 else remaining[0]
    plugin._execute_module = execute_module
    return plugin.run(task_vars={}), lines, calls


RUNNING = {"started": 1, "finished": 0, "ansible_job_id": "j1"}


def test_progress_lines_name_the_wait_its_state_the_time_and_the_typical_duration(monkeypatch):
    done = {"started": 1, "finished": 1, "changed": True, "id": "/subscriptions/s/x", "gateway_url": "https://g"}
    result, lines, calls = run_await(monkeypatch, [RUNNING] * 30 + [done])
    # a line when the wait starts, one a minute (report_interval) after, and the end with the time it took
    assert lines[0] == ("API Management service apim-x (Developer): running, 0s elapsed "
                        "(typically 30 to 45 minutes on Azure)")
    assert lines[1] == ("API Management service apim-x (Developer): running, 1m 00s elapsed "
                        "(typically 30 to 45 minutes on Azure)")
    assert lines[-1] == "API Management service apim-x (Developer): succeeded after 2m 30s"
    assert len(lines) == 4
    assert not any("RETRYING" in line for line in lines)
    # the job's result, as async_status returns it
    assert result["finished"] is True and result["changed"] is True and result["gateway_url"] == "https://g"
    assert result["waited_seconds"] == 150
    assert calls[0] == ("ansible.legacy.async_status", {"jid": "j1", "_async_dir": "/home/u/.ansible_async"})


def test_the_typical_duration_follows_the_sku(monkeypatch):
    _result, lines, _calls = run_await(monkeypatch, [RUNNING, {"finished": 1}], sku="StandardV2")
    assert lines[0].endswith("(typically about 5 minutes on Azure)")


def test_a_failed_job_fails_with_its_message(monkeypatch):
    failed = {"started": 1, "finished": 1, "failed": True, "msg": "deployment gpt-x: quota exceeded"}
    result, lines, _calls = run_await(monkeypatch, [RUNNING, failed], what="model deployment a/gpt-x",
                                      kind="deployment", sku=None)
    assert result["failed"] is True and result["msg"] == "deployment gpt-x: quota exceeded"
    assert lines[-1] == "model deployment a/gpt-x: failed after 5s"


def test_the_bound_fails_naming_what_still_runs(monkeypatch):
    result, lines, _calls = run_await(monkeypatch, [RUNNING], timeout=90, delay=10)
    assert result["failed"] is True
    assert result["msg"] == "API Management service apim-x (Developer) is still running after waiting 90 s (timeout=90)"


@pytest.mark.parametrize("kind, sku, expected", [("apim_create", "Consumption", "1 to 2 minutes"),
                                                 ("apim_create", None, "30 to 45 minutes (classic tiers), about 5 "
                                                                       "minutes (v2 tiers)"),
                                                 ("apim_purge", None, "about a minute")])
def test_typical_durations(kind, sku, expected):
    from ansible_collections.aigateway.foundry.plugins.module_utils.typical_waits import typical_duration
    assert typical_duration(kind, sku) == expected
