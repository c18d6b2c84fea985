# -*- coding: utf-8 -*-
# Copyright: contributors to aigateway.foundry
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The action plugin of every module of the collection: a task that would run its module on the controller, with
the controller's own Python, runs the module's code in the task's worker process instead of a new one.

A module process pays Python's start-up, the AnsiballZ unpacking and a compile of ``ansible.module_utils.basic``
and of our module_utils from source (a zip has no bytecode cache), and the controller starts four shell commands
around it (temporary directory, chmod, run, remove): together more than the module's own work, which is one or two
Resource Manager requests.  Ansible forks a worker for every task, so running the same ``main()`` there changes
nothing a task can see: the same arguments (module_defaults, check mode, diff, no_log, verbosity, as
``_update_module_args`` sets them for a module process), the same JSON result parsed the same way, the task's
``environment`` applied to the worker's environment, and nothing kept after the task (the worker exits).

Anywhere else the module runs as a module, as before: another connection than ``local`` (delegate_to a host
with a managed identity), become, async, an interpreter other than the controller's (another virtualenv with
other SDK versions) or none set (interpreter discovery), ANSIBLE_KEEP_REMOTE_FILES (to debug a module the usual
way), and the variable ``aigateway_foundry_in_process: false``.
"""

from __future__ import annotations

import contextlib
import importlib
import io
import json
import os
import sys

from ansible import constants as C
from ansible.module_utils.common.json import Direction, get_module_encoder
from ansible.module_utils.parsing.convert_bool import boolean
from ansible.plugins.action import ActionBase
from ansible.utils.vars import merge_hash
from ansible.vars.clean import remove_internal_keys

# The modules declare no serialization profile, so AnsiballZ runs them with this one.
MODULE_PROFILE = "legacy"

# A variable (host, play or extra var) that, false, makes every task run its module as a module process.
IN_PROCESS_VARIABLE = "aigateway_foundry_in_process"


def same_python(interpreter, executable=None):
    """Whether ``interpreter`` (ansible_python_interpreter, templated) is the Python running this controller."""
    if not interpreter:
        return False
    executable = executable or sys.executable
    return os.path.realpath(os.path.expanduser(interpreter.strip())) == os.path.realpath(executable)


@contextlib.contextmanager
def task_environment(variables):
    """The task's ``environment`` in os.environ while the module runs, as a module process would see it."""
    saved = dict(os.environ)
    os.environ.update({name: str(value) for name, value in variables.items()})
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def run_main(module_name, payload):
    """Run the module's ``main()`` with ``payload`` (its JSON arguments): (stdout, stderr) it wrote."""
    from ansible.module_utils import _internal, basic  # pylint: disable=import-outside-toplevel

    stdout, stderr = io.StringIO(), io.StringIO()
    saved = basic._ANSIBLE_ARGS, getattr(basic, "_ANSIBLE_PROFILE", None), _internal.is_controller
    basic._ANSIBLE_ARGS, basic._ANSIBLE_PROFILE = payload, MODULE_PROFILE
    # module_utils ask this flag where a warning or deprecation goes: on the controller straight to the display,
    # in a module into its result (``warnings`` of the registered result), where the module's belong.
    _internal.is_controller = False
    try:
        module = importlib.import_module(module_name)
        with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
            try:
                module.main()
            except SystemExit:
                # exit_json and fail_json end the module with sys.exit after printing the result.
                pass
    finally:
        basic._ANSIBLE_ARGS, basic._ANSIBLE_PROFILE, _internal.is_controller = saved
    return stdout.getvalue(), stderr.getvalue()


class ActionModule(ActionBase):
    """Runs the task's module in this worker when it would run on the controller with the controller's Python."""

    _supports_check_mode = True
    _supports_async = True

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        del tmp  # unused, as in ansible.builtin.normal
        task_vars = task_vars or {}
        if not self.runs_here(task_vars):
            wrap_async = self._task.async_val and not self._connection.has_native_async
            result = merge_hash(result, self._execute_module(task_vars=task_vars, wrap_async=wrap_async))
            if not wrap_async:
                self._remove_tmp_path(self._connection._shell.tmpdir)
            return result
        return merge_hash(result, self.run_in_process(task_vars))

    def runs_here(self, task_vars):
        """Whether the module would run on this controller with this Python (see the module docstring)."""
        if self._connection.transport != "local" or self._play_context.become or self._task.async_val:
            return False
        if C.DEFAULT_KEEP_REMOTE_FILES:
            return False
        if not boolean(self._templar.template(task_vars.get(IN_PROCESS_VARIABLE, True)), strict=False):
            return False
        host_vars = task_vars
        if self._task.delegate_to:
            host_vars = (task_vars.get("ansible_delegated_vars") or {}).get(self._task.delegate_to) or {}
        interpreter = host_vars.get("ansible_python_interpreter")
        if not interpreter:
            return False
        return same_python(self._templar.template(interpreter))

    def run_in_process(self, task_vars):
        module_fqcn = self._task.resolved_action or self._task.action
        namespace, collection, name = module_fqcn.split(".")
        module_args = dict(self._task.args)
        self._update_module_args(module_fqcn, module_args, task_vars)
        payload = json.dumps({"ANSIBLE_MODULE_ARGS": module_args},
                             cls=get_module_encoder(MODULE_PROFILE, Direction.CONTROLLER_TO_MODULE)).encode("utf-8")
        environment = {}
        self._compute_environment_string(raw_environment_out=environment)
        with task_environment(environment):
            stdout, stderr = run_main("ansible_collections.%s.%s.plugins.modules.%s" % (namespace, collection, name),
                                      payload)
        data = self._parse_returned_data({"rc": 0, "stdout": stdout, "stderr": stderr}, MODULE_PROFILE)
        remove_internal_keys(data)
        return data
