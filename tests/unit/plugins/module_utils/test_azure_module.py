"""AzureModule itself: retries, typed errors, fail text and traceback, waits on a controlled clock, converge."""
import pytest

from ansible_collections.aigateway.foundry.plugins.module_utils.azure_clients import (
    REPLICATION_DELAY_WAIT, ROLE_PROPAGATION_SECONDS)
from ansible_collections.aigateway.foundry.plugins.module_utils.azure_module import AzureCodeError, Wait
from tests.unit.plugins.fakes import Failed, FailedOperation, FailingPoller, Poller, SdkError, make_module


def failing(*errors, **kwargs):
    """A call that raises ``errors`` one after the other, then returns ``result``."""
    calls = []

    def call(*args, **options):
        calls.append((args, options))
        if len(calls) <= len(errors):
            raise errors[len(calls) - 1]
        return kwargs.get("result", "ok")
    return call, calls


def test_call_retries_a_transient_conflict_on_the_module_clock():
    module = make_module(wait_timeout=60)
    call, calls = failing(SdkError(409, "AnotherOperationInProgress"), SdkError(409, "Conflict"))
    assert module.call("write thing x", call, "a", b=1) == "ok"
    assert len(calls) == 3 and calls[0] == (("a",), {"b": 1})
    assert module.clock.sleeps == [2.0, 4.0]


def test_call_gives_up_retrying_at_wait_timeout():
    module = make_module(wait_timeout=5)
    call, calls = failing(*[SdkError(409, "Conflict")] * 10)
    with pytest.raises(Failed) as failure:
        module.call("write thing x", call)
    assert failure.value.result["msg"] == "write thing x failed: HTTP 409 Conflict: refused"
    assert len(calls) == 2 and module.clock.sleeps == [2.0]


def test_fail_text_names_action_status_code_and_keeps_the_traceback():
    module = make_module()
    call, _calls = failing(SdkError(400, "InvalidParameter", "sku S9 is not offered"))
    with pytest.raises(Failed) as failure:
        module.call("write account acct", call)
    result = failure.value.result
    assert result["msg"] == "write account acct failed: HTTP 400 InvalidParameter: sku S9 is not offered"
    assert result["error_code"] == "InvalidParameter" and result["status_code"] == 400
    assert isinstance(result["exception"], SdkError)


def test_expected_code_is_raised_typed_for_the_caller():
    module = make_module()
    call, calls = failing(SdkError(409, "FlagMustBeSetForRestore", "soft-deleted"))
    with pytest.raises(AzureCodeError) as raised:
        module.call("create account acct", call, expect=("FlagMustBeSetForRestore",))
    assert raised.value.code == "FlagMustBeSetForRestore" and raised.value.status == 409
    assert len(calls) == 1


def test_our_own_bugs_are_not_reported_as_azure_failures():
    module = make_module()
    with pytest.raises(KeyError):
        module.call("write thing x", lambda: {}["missing"])
    with pytest.raises(KeyError):
        module.get_or_none("read thing x", lambda: {}["missing"])


def test_get_or_none_reads_404_as_absent_and_fails_on_other_errors():
    module = make_module()
    assert module.get_or_none("read x", failing(SdkError(404, "ResourceNotFound"))[0]) is None
    with pytest.raises(Failed, match="read x failed: HTTP 403 AuthorizationFailed"):
        module.get_or_none("read x", failing(SdkError(403, "AuthorizationFailed"))[0])


def test_wait_returns_the_result_or_fails_after_wait_timeout():
    module = make_module(wait_timeout=30)
    assert module.wait("create x", Poller(result="done")) == "done"
    with pytest.raises(Failed, match=r"create x is still running after waiting 30 s \(wait_timeout=30\)"):
        module.wait("create x", Poller(finishes=False, clock=module.clock))


def test_wait_false_returns_at_once_unless_the_step_must_wait():
    module = make_module(wait=False)
    assert module.wait("create x", Poller(result="done")) is None
    assert module.wait("purge x", Poller(result="done"), always=True) == "done"


def test_wait_for_reads_until_done_on_the_module_clock():
    module = make_module()
    states = iter(["Activating", "Activating", "Succeeded"])
    body = module.wait_for(Wait("service x settles", read=lambda: next(states), done=lambda s: s == "Succeeded",
                                timeout=60))
    assert body == "Succeeded" and module.clock.sleeps == [1.0, 2.0]


def test_wait_for_times_out_with_the_progress_in_the_message():
    module = make_module()
    wait = Wait("service x settles", read=lambda: "Activating", done=lambda s: False, timeout=20,
                progress=lambda s: "still %s" % s)
    with pytest.raises(Failed, match=r"service x settles \(still Activating\) is still running after "
                                     r"waiting 15 s \(wait_timeout=20\)"):
        module.wait_for(wait)
    assert module.clock.now <= 20


def test_converge_in_check_mode_predicts_without_writing():
    module = make_module(check_mode=True)
    writes = []
    changed, state = module.converge({"name": "x", "tags": {"a": "1"}}, {"tags": {"a": "2"}}, writes.append)
    assert changed is True and state == {"name": "x", "tags": {"a": "2"}} and writes == []
    changed, state = module.converge(None, {"tags": {}}, writes.append, new_state={"id": "/x"})
    assert changed is True and state == {"id": "/x", "tags": {}} and writes == []


def test_converge_writes_only_a_difference_and_warns_when_azure_answers_otherwise():
    module = make_module()
    assert module.converge({"sku": {"name": "S0"}}, {"sku": {"name": "s0"}}, None,
                           normalisers={"sku.name": str.lower}) == (False, {"sku": {"name": "S0"}})
    changed, state = module.converge({"sku": {"name": "S0"}}, {"sku": {"name": "S1"}, "secret": "k"},
                                     lambda: {"sku": {"name": "S0"}}, unverifiable=("secret",))
    assert changed is True and state == {"sku": {"name": "S0"}}
    assert module.warnings == ["Azure returned other values than requested at sku.name (resource); the next run "
                               "may report a change"]


# ---- failed long-running operations: Azure's words, retries of transient failures, repair ---------------------
FAILED_WITHOUT_ERROR = {"id": "/x/ws-one", "properties": {"provisioningState": "Failed"}}
FAILED_INTERNAL = {"status": "Failed", "error": {"code": "InternalServerError", "message": "The operation failed."}}
FAILED_INVALID = {"status": "Failed", "error": {"code": "InvalidTemplate", "message": "sku S9 is not offered"}}


def pollers(*outcomes):
    """A begin_* operation whose successive calls return pollers that fail with ``outcomes`` (an error body) or
    finish with them (any other value)."""
    calls = []

    def begin(*args, **options):
        calls.append((args, options))
        outcome = outcomes[len(calls) - 1]
        if isinstance(outcome, dict) and (outcome.get("error") or outcome.get("properties", {}).get(
                "provisioningState") == "Failed"):
            return FailingPoller(FailedOperation(outcome))
        return Poller(result=outcome)
    return begin, calls


def test_a_failed_operation_reports_azure_code_and_message_never_the_pollers_text():
    module = make_module(retries=0)
    begin, _calls = pollers(FAILED_INTERNAL)
    with pytest.raises(Failed) as failure:
        module.call_and_wait("write account acct", begin)
    assert failure.value.result["msg"] == ("write account acct failed: InternalServerError: the operation ended "
                                           "Failed: The operation failed.")
    begin, _calls = pollers(FAILED_WITHOUT_ERROR)
    with pytest.raises(Failed) as failure:
        module.call_and_wait("write workspace ws-one", begin)
    assert failure.value.result["msg"] == ("write workspace ws-one failed: the operation ended Failed without an "
                                           "error from Azure")
    assert "invalid status" not in failure.value.result["msg"]


def test_an_operation_failed_for_a_transient_cause_is_sent_again_with_backoff():
    module = make_module(retries=3)
    begin, calls = pollers(FAILED_INTERNAL, FAILED_WITHOUT_ERROR, "created")
    assert module.call_and_wait("write account acct", begin, "rg", "acct") == "created"
    assert len(calls) == 3 and calls[2] == (("rg", "acct"), {})
    assert module.clock.sleeps == [2.0, 4.0]


def test_a_deterministic_operation_failure_fails_at_once():
    module = make_module(retries=3)
    begin, calls = pollers(FAILED_INVALID, "never")
    with pytest.raises(Failed) as failure:
        module.call_and_wait("write account acct", begin)
    assert failure.value.result["msg"] == ("write account acct failed: InvalidTemplate: the operation ended Failed: "
                                           "sku S9 is not offered")
    assert len(calls) == 1 and module.clock.sleeps == []


def test_retries_are_bounded_and_the_message_counts_the_tries():
    module = make_module(retries=2)
    begin, calls = pollers(FAILED_INTERNAL, FAILED_INTERNAL, FAILED_INTERNAL, "never")
    with pytest.raises(Failed, match=r"^write account acct \(3 tries\) failed: InternalServerError"):
        module.call_and_wait("write account acct", begin)
    assert len(calls) == 3 and module.clock.sleeps == [2.0, 4.0]


def test_a_request_body_is_sent_whole_again_after_a_conflict():
    import io

    module = make_module(wait_timeout=60)
    sent = []

    def put(body):
        sent.append(body.read())
        if len(sent) == 1:
            raise SdkError(409, "AnotherOperationInProgress")
        return "ok"
    assert module.call("write thing x", put, io.BytesIO(b'{"a": 1}')) == "ok"
    assert sent == [b'{"a": 1}', b'{"a": 1}']


def test_converge_repeats_the_whole_write_once_per_retry_not_nested():
    module = make_module(retries=2)
    begin, calls = pollers(FAILED_INTERNAL, "written")
    writes = []

    def write():
        writes.append(1)
        return {"properties": {"x": 1}} if module.call_and_wait("write thing x", begin) else None
    changed, state = module.converge(None, {"properties": {"x": 1}}, write)
    assert changed and state == {"properties": {"x": 1}}
    assert len(writes) == 2 and len(calls) == 2


def test_a_failed_resource_is_repaired_and_check_mode_predicts_it():
    current = {"id": "/x", "properties": {"x": 1, "provisioningState": "Failed"}}
    desired = {"properties": {"x": 1}}
    module = make_module(check_mode=True)
    changed, state = module.converge(current, desired, lambda: pytest.fail("check mode wrote"))
    assert changed and state["properties"] == {"x": 1, "provisioningState": "Succeeded"}
    module = make_module()
    writes = []
    changed, state = module.converge(current, desired, lambda: writes.append(1) or
                                     {"id": "/x", "properties": {"x": 1, "provisioningState": "Succeeded"}})
    assert changed and writes == [1] and state["properties"]["provisioningState"] == "Succeeded"
    canceled = {"id": "/x", "properties": {"x": 1, "provisioningState": "Canceled"}}
    assert make_module(check_mode=True).converge(canceled, desired, lambda: None)[0]
    succeeded = {"id": "/x", "properties": {"x": 1, "provisioningState": "Succeeded"}}
    assert make_module().converge(succeeded, desired, lambda: pytest.fail("wrote"))[0] is False


def test_remove_sends_a_delete_again_after_a_transient_failure():
    module = make_module(retries=1)
    begin, calls = pollers(FAILED_INTERNAL, None)
    assert module.remove({"id": "/x"}, lambda: module.call_and_wait("delete thing x", begin)) == (True, None)
    assert len(calls) == 2


def test_a_purge_sent_again_may_find_the_record_gone():
    module = make_module(retries=2)
    calls = []

    def purge():
        calls.append(1)
        if len(calls) == 1:
            return FailingPoller(FailedOperation(FAILED_INTERNAL))
        raise SdkError(404, "ServiceNotFound")
    assert module.call_and_wait("purge service x", purge, gone_ok=True) is None
    assert len(calls) == 2
    with pytest.raises(Failed, match="HTTP 404 ServiceNotFound"):
        make_module().call_and_wait("purge service x", failing(SdkError(404, "ServiceNotFound"))[0])


def test_the_user_agent_names_the_collection_and_starts_no_process(monkeypatch):
    import os
    import subprocess

    from ansible_collections.aigateway.foundry.plugins.module_utils.azure_module import user_agent_policy

    def no_process(*args, **kwargs):
        raise AssertionError("a process was started for the User-Agent: %r" % (args,))
    monkeypatch.setattr(subprocess, "Popen", no_process)
    agent = user_agent_policy().user_agent
    system = os.uname()
    assert agent.startswith("aigateway.foundry azsdk-python-core/")
    assert agent.endswith("(%s-%s-%s)" % (system.sysname, system.release, system.machine))


def test_a_throttled_or_failed_answer_is_retried_as_often_as_any_other(monkeypatch):
    """azure-core stops after 3 bad statuses whatever retry_total says; a run at a 20% fault rate failed on a 4th 503
    (the reliability stage's fault matrix) before retry_status was set too."""
    from azure.core.pipeline.policies import RetryPolicy

    from ansible_collections.aigateway.foundry.plugins.module_utils import foundry_dataplane
    from ansible_collections.aigateway.foundry.plugins.module_utils.azure_module import ARM_RETRIES

    module = make_module()
    monkeypatch.setattr(type(module), "transport", lambda self: None, raising=False)
    module._json_answers = None
    policy = RetryPolicy(**{key: value for key, value in module._client_options().items() if key.startswith("retry_")})
    assert policy.total_retries == policy.status_retries == ARM_RETRIES == 10
    data_plane = RetryPolicy(**foundry_dataplane.DATA_PLANE_RETRIES)
    assert data_plane.total_retries == data_plane.status_retries == 5


def test_principal_not_found_is_retried_while_a_new_principal_replicates():
    """Learn, Troubleshoot Azure RBAC: PrincipalNotFound right after the principal was created is a replication
    delay; the write goes again on the module's clock."""
    module = make_module(wait_timeout=3600)
    call, calls = failing(*[SdkError(400, "PrincipalNotFound", "Principal p does not exist in the directory t.")] * 3)
    assert module.call("assign role r to p", call) == "ok"
    assert len(calls) == 4 and module.clock.sleeps == [2.0, 4.0, 8.0]


def test_principal_not_found_is_retried_for_a_bounded_time_then_fails_naming_it():
    module = make_module(wait_timeout=3600)
    call, calls = failing(*[SdkError(400, "PrincipalNotFound", "Principal p does not exist in the directory t.")]
                          * 100)
    with pytest.raises(Failed) as failure:
        module.call("assign role r to p", call)
    assert "HTTP 400 PrincipalNotFound: Principal p does not exist" in failure.value.result["msg"]
    assert sum(module.clock.sleeps) <= REPLICATION_DELAY_WAIT <= sum(module.clock.sleeps) + 30.0
    assert len(calls) == len(module.clock.sleeps) + 1


def test_principal_not_found_is_not_retried_past_the_task_s_wait_timeout():
    module = make_module(wait_timeout=5)
    call, calls = failing(*[SdkError(400, "PrincipalNotFound", "gone")] * 10)
    with pytest.raises(Failed):
        module.call("assign role r to p", call)
    assert module.clock.sleeps == [2.0]


def test_azure_mode_proofs_wait_as_long_as_role_propagation_takes():
    """verify's gateway and agent calls follow a role granted in the same run: on Azure (group_vars/all, the Azure
    inventory's base) their retries span Learn's 10 minutes; the local inventory sets its own."""
    import yaml
    from pathlib import Path
    root = Path(__file__).resolve().parents[4]
    for source in (root / "group_vars" / "all" / "lab.yml", root / "roles" / "verify" / "defaults" / "main.yml"):
        values = yaml.safe_load(source.read_text())
        prefix = "aigw_verify_" if "aigw_verify_call_retries" in values else "verify_"
        for step in ("call", "agent"):
            waited = int(values[prefix + step + "_retries"]) * int(values[prefix + step + "_delay"])
            assert waited >= ROLE_PROPAGATION_SECONDS, (str(source), step, waited)


def test_an_operation_not_awaited_leaves_no_poller_polling_behind():
    # wait: false in a module run in the task's worker: an SDK poller's thread would go on polling there, beside the
    # next task's requests on the same connection (onboarding's 100 project creates met it); NoPolling has no thread
    begin, calls = pollers("created", "created")
    assert make_module(wait=False).call_and_wait("write project p", begin, "rg", "p") is None
    assert make_module(wait=True).call_and_wait("write project p", begin, "rg", "p") == "created"
    assert calls == [(("rg", "p"), {"polling": False}), (("rg", "p"), {})]
