# -*- coding: utf-8 -*-
# Copyright: contributors to aigateway.foundry
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Waits for many long-running writes at once by listing them: each look runs one of our info modules (one list
request per call: the resource group's accounts, or the children of the wanted resources' accounts), and the writes
are done when every wanted resource is listed as Succeeded. It says how it goes as await_job does: a line per
resource when it succeeds, a count while the others run, never a ``FAILED - RETRYING`` line per look. The task's
other options (the auth of the play's module_defaults: this action is in the azure group) go to every call.

A resource whose write ended Failed is written again as Azure advises for a resource left Failed, by the write
module with its start's own options and waiting: the module retries a transient failure as any waited write does,
and fails once, naming the resource, when the cause stays (a listing shows the state, not the operation's error)."""
from __future__ import annotations

import re
import time

from ansible.plugins.action import ActionBase
from ansible.utils.display import Display

from ansible_collections.aigateway.foundry.plugins.filter.topology import provisioning_left, written_paths
from ansible_collections.aigateway.foundry.plugins.module_utils.azure_auth import auth_argument_spec
from ansible_collections.aigateway.foundry.plugins.module_utils.typical_waits import (
    TYPICAL, elapsed_text, typical_duration)

display = Display()

# The calls of one look (one list request each), for the accounts of the wanted resources.
CALLS = {
    "cognitive_account_info": lambda group, accounts: [{"resource_group": group}],
    "foundry_project_info": lambda group, accounts: [{"resource_group": group, "account": account}
                                                     for account in accounts],
    "model_deployment_info": lambda group, accounts: [{"resource_group": group, "accounts": accounts}],
}
# What each info module lists, from its result.
LISTED = {
    "cognitive_account_info": lambda result: result.get("accounts") or [],
    "foundry_project_info": lambda result: result.get("projects") or [],
    "model_deployment_info": lambda result: [deployment for account in result.get("accounts") or []
                                             for deployment in account.get("deployments") or []],
}


# The writes whose starts this action awaits (and sends again when one ends Failed).
WRITES = ("cognitive_account", "foundry_project", "model_deployment")


# What Ansible puts in a result's ``invocation`` in place of a no_log value, whole or inside another string.
NO_LOG_MASKS = ("VALUE_SPECIFIED_IN_NO_LOG_PARAMETER", "********")


def holds_mask(value):
    """Whether a value (nested in lists and dicts too) is or holds Ansible's no_log mask."""
    if isinstance(value, str):
        return any(mask in value for mask in NO_LOG_MASKS)
    if isinstance(value, dict):
        return any(holds_mask(item) for pair in value.items() for item in pair)
    if isinstance(value, (list, tuple)):
        return any(holds_mask(item) for item in value)
    return False


def rewrite_options(start):
    """A start's own options (its registered ``invocation``) for writing it again and waiting: the auth options
    come from the task (a start's secrets are masked in its result), unset ones are left to their defaults. An
    option whose value was masked cannot be sent again (the mask would be written in its place): ValueError names it."""
    auth = auth_argument_spec()
    options = dict((key, value) for key, value in ((start.get("invocation") or {}).get("module_args") or {}).items()
                   if key not in auth and value is not None)
    masked = sorted(key for key, value in options.items() if holds_mask(value))
    if masked:
        raise ValueError("its start's options %s are masked in the start's result (no_log), so they cannot be "
                         "sent again; re-run the play to write it with its own values" % ", ".join(masked))
    return dict(options, wait=True)


def shown(path):
    """``models-1/deployments/gpt-4o`` -> ``models-1/gpt-4o``: a resource as the progress lines name it."""
    return re.sub(r"/[^/]+/", "/", path)


class ActionModule(ActionBase):
    _supports_check_mode = True
    _supports_async = False

    ARGUMENT_SPEC = {
        "module": {"type": "str", "required": True, "choices": sorted(LISTED)},
        "resource_group": {"type": "str", "required": True},
        "wanted": {"type": "list", "elements": "str", "required": True},
        "what": {"type": "str", "required": True},
        "kind": {"type": "str", "choices": sorted(TYPICAL)},
        "timeout": {"type": "int", "required": True},
        "delay": {"type": "float", "default": 5},
        "report_interval": {"type": "float", "default": 60},
        "write_module": {"type": "str", "choices": list(WRITES)},
        "writes": {"type": "list", "elements": "raw"},
    }

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        del tmp
        forwarded = dict((key, value) for key, value in self._task.args.items() if key not in self.ARGUMENT_SPEC)
        self._task.args = dict((key, value) for key, value in self._task.args.items() if key in self.ARGUMENT_SPEC)
        _validation, args = self.validate_argument_spec(argument_spec=self.ARGUMENT_SPEC,
                                                        required_together=[["write_module", "writes"]])
        typical = typical_duration(args["kind"]) if args["kind"] else ""
        typical_text = " (typically %s on Azure)" % typical if typical else ""
        wanted, said, said_count, said_at = args["wanted"], set(), None, None
        accounts = []
        for path in wanted:
            if path.split("/")[0] not in accounts:
                accounts.append(path.split("/")[0])
        calls = CALLS[args["module"]](args["resource_group"], accounts)
        starts = dict((path, start) for start in args["writes"] or [] for path in written_paths([start]))
        rewritten = set()
        started = time.monotonic()
        while True:
            listed = []
            for call in calls:
                answer = self._execute_module(module_name="aigateway.foundry." + args["module"], task_vars=task_vars,
                                              module_args=dict(forwarded, **call))
                if answer.get("failed"):
                    return answer
                listed.extend(LISTED[args["module"]](answer))
            elapsed = time.monotonic() - started
            left = provisioning_left(listed, wanted)
            for path in wanted:
                if path not in left["pending"] and path not in said:
                    state = "failed" if path in left["failed"] else "succeeded"
                    display.display("%s %s: %s after %s" % (args["what"], shown(path), state, elapsed_text(elapsed)))
                    said.add(path)
            again = [path for path in left["failed"] if path in starts and path not in rewritten]
            for path in again:
                try:
                    options = rewrite_options(starts[path])
                except ValueError as error:
                    result.update(failed=True, resources=listed, msg="%s %s ended Failed and %s" % (
                        args["what"], shown(path), error))
                    return result
                display.display("%s %s: writing it again, waiting" % (args["what"], shown(path)))
                answer = self._execute_module(module_name="aigateway.foundry." + args["write_module"],
                                              task_vars=task_vars, module_args=dict(options, **forwarded))
                if answer.get("failed"):
                    return answer
                rewritten.add(path)
                said.discard(path)
            if again:
                continue
            if left["failed"]:
                result.update(failed=True, resources=listed, msg="%s that did not get ready: %s" % (
                    args["what"], ", ".join(shown(path) for path in left["failed"])))
                return result
            if not left["pending"]:
                break
            done = len(wanted) - len(left["pending"])
            if done != said_count or elapsed - said_at >= args["report_interval"]:
                display.display("%s: %d of %d succeeded, %s elapsed%s" % (
                    args["what"], done, len(wanted), elapsed_text(elapsed), typical_text))
                said_count, said_at = done, elapsed
            if elapsed >= args["timeout"]:
                result.update(failed=True, resources=listed, msg="; ".join(
                    "%s %s is still running after waiting %d s (wait_timeout=%d)"
                    % (args["what"], shown(path), elapsed, args["timeout"]) for path in left["pending"])
                    + "; it continues in Azure: re-run the play (it will converge) or raise the wait's bound")
                return result
            time.sleep(args["delay"])
        result.update(changed=False, resources=listed, waited_seconds=round(elapsed, 1))
        return result
