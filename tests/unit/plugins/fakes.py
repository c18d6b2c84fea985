"""A real AzureModule for unit tests, with a clock the test controls, fake SDK errors and pollers."""
import contextlib
import json

import pytest
from ansible.plugins.action import ActionBase
from azure.core.exceptions import HttpResponseError

from ansible_collections.aigateway.foundry.plugins.module_utils.azure_module import AzureModule
from ansible_collections.aigateway.foundry.plugins.plugin_utils import in_process

try:
    from ansible.module_utils.testing import patch_module_args  # ansible-core 2.19 and later
except ImportError:  # 2.16 to 2.18 have no such helper: the module is fed as the in-process action plugin feeds it
    @contextlib.contextmanager
    def patch_module_args(args=None):
        with in_process.CORE.module_side(in_process.CORE.encode(args or {}).encode("utf-8")):
            yield


class SdkError(HttpResponseError):
    """An Azure SDK error as the management clients raise it: a status and Azure's error code and message."""

    def __init__(self, status, code, message="refused"):
        HttpResponseError.__init__(self, message="(%s) %s" % (code, message))
        self.status_code = status
        self.error = type("ODataError", (), {"code": code, "message": message})()


class FailedOperation(HttpResponseError):
    """A long-running operation that ended unsuccessfully, as azure-core's poller raises it: an HttpResponseError
    around its ``OperationFailed`` with the last response (a monitor's body, or the resource left Failed)."""

    def __init__(self, body, status=200):
        from azure.core.polling.base_polling import OperationFailed

        HttpResponseError.__init__(self, message="Operation returned an invalid status 'OK'",
                                   error=OperationFailed("Operation failed or canceled"))
        self.status_code = status
        self.response = type("Response", (), {"text": lambda self, encoding=None: json.dumps(body)})()


class FailingPoller(object):
    """A long-running operation that ends with ``error`` when awaited."""

    def __init__(self, error):
        self.error = error

    def wait(self, timeout=None):
        raise self.error


class Clock(object):
    """Time that moves only when the module sleeps."""

    def __init__(self):
        self.now = 0.0
        self.sleeps = []

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += seconds


def action_time(monkeypatch, action):
    """An action plugin module's time on a Clock (no sleeping) and its display lines in a list; ActionBase.run is
    made to need no task: returns (clock, lines)."""
    clock, lines = Clock(), []
    monkeypatch.setattr(action.time, "monotonic", clock)
    monkeypatch.setattr(action.time, "sleep", clock.sleep)
    monkeypatch.setattr(action.display, "display", lines.append)
    monkeypatch.setattr(ActionBase, "run", lambda self, tmp=None, task_vars=None: {})
    return clock, lines


class Poller(object):
    """A long-running operation that finishes within the wait (or never), then has ``result``."""

    def __init__(self, result=None, finishes=True, clock=None):
        self._result = result
        self.finishes = finishes
        self.finished = False
        self.waited = []
        # A module's Clock: a wait that never finishes takes its whole timeout on it, as a real one does.
        self.clock = clock

    def wait(self, timeout=None):
        self.waited.append(timeout)
        self.finished = self.finishes
        if not self.finishes and self.clock is not None:
            self.clock.now += timeout

    def done(self):
        return self.finished

    def result(self):
        return self._result


class Failed(Exception):
    """What fail_json raised: ``result`` is what the task would have returned."""

    def __init__(self, result):
        Exception.__init__(self, result["msg"])
        self.result = result


class Exited(Exception):
    def __init__(self, result):
        Exception.__init__(self, "exit")
        self.result = result


def make_module(argument_spec=None, check_mode=False, diff=False, long_running=True, clients=None, **params):
    """An AzureModule built from ``params`` the way Ansible builds it; fail/exit raise Failed/Exited."""
    args = dict(params, subscription_id="00000000-0000-0000-0000-000000000000", _ansible_check_mode=check_mode,
                _ansible_diff=diff, auth_source="credential", client_id="c", secret="s", tenant="t")
    with patch_module_args(args):
        module = AzureModule(argument_spec or {}, long_running=long_running)
    module.clock = Clock()
    module.sleep = module.clock.sleep
    module._clients.update(clients or {})
    warnings = []
    module.warnings = warnings
    module.module.warn = warnings.append

    def fail_json(msg, **result):
        raise Failed(dict(result, msg=msg))

    def exit_json(**result):
        raise Exited(json.loads(json.dumps(result)))
    module.module.fail_json = fail_json
    module.module.exit_json = exit_json
    return module


@pytest.fixture
def azure_module():
    return make_module
