# -*- coding: utf-8 -*-
# Copyright: contributors to aigateway.foundry
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Waits for an async job on the controller and says how it goes: what is awaited, its state, the time waited and
how long it typically takes on Azure, one line when the state changes and one per ``report_interval``, then the time
it took.  It replaces ``async_status`` with ``until``/``retries``, whose only progress was a ``FAILED - RETRYING``
line per poll.  Looking at the job is the same ``async_status`` module call, so it costs no Azure request."""
from __future__ import annotations

import time

from ansible.plugins.action import ActionBase
from ansible.utils.display import Display

from ansible_collections.aigateway.foundry.plugins.module_utils.typical_waits import (
    TYPICAL, elapsed_text, typical_duration)

display = Display()


def job_state(status):
    """running, succeeded or failed: what the job file says."""
    if not status.get("finished"):
        return "failed" if status.get("failed") else "running"
    return "failed" if status.get("failed") else "succeeded"


class ActionModule(ActionBase):
    _supports_check_mode = True
    _supports_async = False

    ARGUMENT_SPEC = {
        "jid": {"type": "str", "required": True},
        "what": {"type": "str", "required": True},
        "kind": {"type": "str", "choices": sorted(TYPICAL)},
        "sku": {"type": "str"},
        "timeout": {"type": "int", "required": True},
        "delay": {"type": "float", "default": 5},
        "report_interval": {"type": "float", "default": 60},
    }

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        del tmp
        _validation, args = self.validate_argument_spec(argument_spec=self.ARGUMENT_SPEC)
        typical = typical_duration(args["kind"], args["sku"]) if args["kind"] else ""
        typical_text = " (typically %s on Azure)" % typical if typical else ""
        async_dir = self._remote_expand_user(self.get_shell_option("async_dir", default="~/.ansible_async"))
        started = time.monotonic()
        said_state, said_at = None, None
        while True:
            status = self._execute_module(module_name="ansible.legacy.async_status", task_vars=task_vars,
                                          module_args={"jid": args["jid"], "_async_dir": async_dir})
            elapsed = time.monotonic() - started
            state = job_state(status)
            if status.get("finished") or status.get("failed"):
                break
            if state != said_state or elapsed - said_at >= args["report_interval"]:
                display.display("%s: %s, %s elapsed%s" % (args["what"], state, elapsed_text(elapsed), typical_text))
                said_state, said_at = state, elapsed
            if elapsed >= args["timeout"]:
                result.update(status)
                result.update(failed=True, msg="%s is still running after waiting %d s (timeout=%d)"
                              % (args["what"], elapsed, args["timeout"]))
                return result
            time.sleep(args["delay"])
        display.display("%s: %s after %s" % (args["what"], state, elapsed_text(elapsed)))
        result.update(status)
        for flag in ("started", "finished"):
            result[flag] = bool(result.get(flag))
        result["waited_seconds"] = round(elapsed, 1)
        return result
