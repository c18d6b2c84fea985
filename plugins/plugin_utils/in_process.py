# -*- coding: utf-8 -*-
# Copyright: contributors to aigateway.foundry
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The action plugin of every module of the collection (plugins/action/azure_token.py, named as each module's
action_plugin in meta/runtime.yml): a task that would run its module on the controller, with the controller's own Python, runs the
module's code in the task's worker process instead of a new one.

A module process pays Python's start-up, the AnsiballZ unpacking and a compile of ``ansible.module_utils.basic``
and of our module_utils from source (a zip has no bytecode cache), and the controller starts four shell commands
around it (temporary directory, chmod, run, remove): together more than the module's own work, which is one or two
Resource Manager requests.  Ansible forks a worker for every task, so running the same ``main()`` there changes
nothing a task can see: the same arguments (module_defaults, check mode, diff, no_log, verbosity, as
``_update_module_args`` sets them for a module process), the same JSON result parsed and finished the same way, the
task's ``environment`` applied to the worker's environment, and nothing kept after the task (the worker exits; a
loop's items each start from a clean slate, as separate module processes would).

How a module is fed and read differs between ansible-core releases, so one ``Core`` per family, chosen once when this
file loads by what the installed ansible-core has (never by its version string, never by failing):

* ``ProfiledCore`` (2.19 and later): arguments and results go through serialization profiles
  (``get_module_encoder``/``_parse_returned_data(res, profile)``), and a module's warnings go into its result only
  while ``ansible.module_utils._internal.is_controller`` is false.
* ``LegacyCore`` (2.16 to 2.18): ``AnsibleJSONEncoder(vault_to_text=True)`` as AnsiballZ uses it,
  ``_parse_returned_data(res)``, warnings always collected into the result, and the result wrapped unsafe as
  ``_execute_module`` wraps it.

With neither (a future core that changed one of these), every task runs its module as a module process.

Which Python the module would get is resolved as ansible-core resolves it for a module process
(``executor/module_common.py``): the setting INTERPRETER_PYTHON for the host's variables, which is
``ansible_python_interpreter``, else ANSIBLE_PYTHON_INTERPRETER, else ``interpreter_python`` in ansible.cfg; for a
discovery mode (``auto``, ``auto_silent``...) the host's ``discovered_interpreter_python`` fact.  So a user's own
playbook gets the worker whenever its modules would run with the controller's Python, however that is set.  Anywhere
else the module runs as a module, as before: another connection than ``local`` (delegate_to a host with a managed
identity), become, async, an interpreter other than the controller's (another virtualenv with other SDK versions, even
one made from the same base Python) or one not yet discovered (the module process runs the discovery and keeps its
fact for the next tasks), ANSIBLE_KEEP_REMOTE_FILES (to debug a module the usual way), and the variable
``aigateway_foundry_in_process: false``.

Ansible forks a new worker for every task, and in each one the module's first task would import the Azure SDKs and
this collection's module_utils and modules again (a third of an idle site.yml run's CPU, measured with py-spy).  So
when the controller itself loads this file (its strategy looks a task's action plugin up by the task's name, which
finds this one for ``azure_token``, the run's token task), it imports them once (``preload``) and every worker it
forks afterwards has them already (fork shares them copy-on-write).  A task starts as clean as before: importing
runs no module code, the controller runs no module, and what a module sets while it runs stays in its worker.  It is
an optimisation only: an import that fails is logged at -vvv and left to the task that needs it.
"""

from __future__ import annotations

import contextlib
import importlib
import inspect
import io
import json
import multiprocessing
import os
import shutil
import sys
import traceback
import warnings
from collections.abc import Sequence

from ansible import constants as C
from ansible import context
from ansible.module_utils import basic
from ansible.module_utils.common import warnings as module_warnings
from ansible.module_utils.parsing.convert_bool import boolean
from ansible.plugins.action import ActionBase
from ansible.utils.display import Display
from ansible.utils.vars import load_extra_vars, merge_hash
from ansible.vars.clean import remove_internal_keys

from ansible_collections.aigateway.foundry.plugins.module_utils.azure_auth import CREDENTIAL_SDK
from ansible_collections.aigateway.foundry.plugins.module_utils.azure_clients import SERVICES
from ansible_collections.aigateway.foundry.plugins.module_utils.foundry_dataplane import DATA_PLANE_SDKS

# The modules declare no serialization profile, so AnsiballZ runs them with this one (2.19 and later).
MODULE_PROFILE = "legacy"

# A variable (host, play or extra var) that, false, makes every task run its module as a module process.
IN_PROCESS_VARIABLE = "aigateway_foundry_in_process"

# Where module_utils collect a module's warnings and deprecations until exit_json/fail_json returns them.
MODULE_MESSAGE_STORES = ("_global_warnings", "_global_deprecations")

try:
    # 2.19 and later template only trusted strings; a setting's value is not one, and ansible-core templates it
    # all the same (_get_shebang), so it is marked trusted here as it is there.
    from ansible.template import trust_as_template
except ImportError:  # 2.16 to 2.18 template every string
    def trust_as_template(value):
        return value

display = Display()


# INTERPRETER_PYTHON's values that ask for interpreter discovery instead of naming a Python (ansible-core's list).
DISCOVERY_MODES = ("auto", "auto_legacy", "auto_silent", "auto_legacy_silent")


def module_interpreter(host_vars, template):
    """The Python ansible-core would start the module with on this host, or None while it would first discover one.

    ``host_vars`` are the task's variables (the delegated host's for delegate_to), ``template`` the task's templar;
    the same steps as ansible-core's ``_get_shebang`` for a Python module, through the public config API."""
    configured = C.config.get_config_value("INTERPRETER_PYTHON", variables=host_vars)
    interpreter = template(trust_as_template(configured.strip())) if isinstance(configured, str) else configured
    if not interpreter or interpreter in DISCOVERY_MODES:
        return (host_vars.get("ansible_facts") or {}).get("discovered_interpreter_python")
    return interpreter


def python_environment(executable):
    """(the binary, the virtualenv or None) a Python path runs: two paths are one Python only when both agree.

    A virtualenv's python is a link to its base Python, so the binary alone cannot tell two virtualenvs (or a
    virtualenv and its base) apart; Python itself finds its virtualenv by the pyvenv.cfg next to the path it was
    started by, or one directory up, before any link is followed."""
    path = os.path.expanduser(executable.strip())
    if os.sep not in path:
        path = shutil.which(path) or path
    path = os.path.abspath(path)
    here = os.path.dirname(path)
    for directory in (here, os.path.dirname(here)):
        if os.path.isfile(os.path.join(directory, "pyvenv.cfg")):
            return os.path.realpath(path), os.path.realpath(directory)
    return os.path.realpath(path), None


def same_python(interpreter, executable=None):
    """Whether ``interpreter`` (the module's Python, templated) is the Python running this controller."""
    if not interpreter or not isinstance(interpreter, str):
        return False
    return python_environment(interpreter) == python_environment(executable or sys.executable)


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


@contextlib.contextmanager
def empty_message_stores():
    """module_utils' warning and deprecation stores empty while a module runs (a new process starts with them empty;
    without this a loop's second item would return the first item's warnings again), restored after."""
    stores = [getattr(module_warnings, name) for name in MODULE_MESSAGE_STORES]
    saved = [store.copy() for store in stores]
    for store in stores:
        store.clear()
    try:
        yield
    finally:
        for store, content in zip(stores, saved):
            store.clear()
            if isinstance(store, dict):
                store.update(content)
            else:
                store.extend(content)


class ProfiledCore:
    """ansible-core 2.19 and later: serialization profiles and the ``is_controller`` flag."""

    name = "profiled"

    def __init__(self, get_module_encoder, direction, internal):
        self._get_module_encoder = get_module_encoder
        self._direction = direction
        self._internal = internal

    def encode(self, module_args):
        return json.dumps({"ANSIBLE_MODULE_ARGS": module_args},
                          cls=self._get_module_encoder(MODULE_PROFILE, self._direction.CONTROLLER_TO_MODULE))

    @contextlib.contextmanager
    def module_side(self, payload):
        # module_utils ask is_controller where a warning or deprecation goes: on the controller straight to the
        # display, in a module into its result (``warnings`` of the registered result), where the module's belong.
        saved = basic._ANSIBLE_ARGS, basic._ANSIBLE_PROFILE, self._internal.is_controller
        basic._ANSIBLE_ARGS, basic._ANSIBLE_PROFILE, self._internal.is_controller = payload, MODULE_PROFILE, False
        try:
            yield
        finally:
            basic._ANSIBLE_ARGS, basic._ANSIBLE_PROFILE, self._internal.is_controller = saved

    def parse(self, action, res):
        return action._parse_returned_data(res, MODULE_PROFILE)

    def finish(self, data):
        return data


class LegacyCore:
    """ansible-core 2.16 to 2.18: AnsibleJSONEncoder, warnings always into the result, results wrapped unsafe."""

    name = "legacy"

    def __init__(self, encoder, wrap_var):
        self._encoder = encoder
        self._wrap_var = wrap_var

    def encode(self, module_args):
        return json.dumps({"ANSIBLE_MODULE_ARGS": module_args}, cls=self._encoder, vault_to_text=True)

    @contextlib.contextmanager
    def module_side(self, payload):
        saved = basic._ANSIBLE_ARGS
        basic._ANSIBLE_ARGS = payload
        try:
            yield
        finally:
            basic._ANSIBLE_ARGS = saved

    def parse(self, action, res):
        return action._parse_returned_data(res)

    def finish(self, data):
        # _execute_module marks a module's whole result unsafe, so no later template evaluates what Azure returned.
        return self._wrap_var(data)


def _parse_parameters():
    return list(inspect.signature(ActionBase._parse_returned_data).parameters)


def detect_core():
    """The Core this ansible-core supports, or None: then every module runs as a module process."""
    if not (hasattr(basic, "_ANSIBLE_ARGS")
            and all(isinstance(getattr(module_warnings, name, None), (list, dict)) for name in MODULE_MESSAGE_STORES)):
        return None
    parameters = _parse_parameters()
    try:
        from ansible.module_utils.common.json import Direction, get_module_encoder  # 2.19 and later
        from ansible.module_utils import _internal
    except ImportError:
        pass
    else:
        if parameters == ["self", "res", "profile"] and hasattr(_internal, "is_controller") \
                and hasattr(basic, "_ANSIBLE_PROFILE"):
            return ProfiledCore(get_module_encoder, Direction, _internal)
        return None
    if parameters != ["self", "res"]:
        return None
    try:
        from ansible.module_utils.common.json import AnsibleJSONEncoder
        from ansible.utils.unsafe_proxy import wrap_var
    except ImportError:
        return None
    return LegacyCore(AnsibleJSONEncoder, wrap_var)


CORE = detect_core()


def run_main(module_name, payload, core=None):
    """Run the module's ``main()`` with ``payload`` (its JSON arguments): the result of running it as a command
    (``rc``, ``stdout``, ``stderr``), as ``_low_level_execute_command`` gives a module process's."""
    core = core or CORE
    stdout, stderr = io.StringIO(), io.StringIO()
    rc = 0
    with core.module_side(payload), empty_message_stores():
        with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
            try:
                importlib.import_module(module_name).main()
            except SystemExit as exc:
                # exit_json and fail_json end the module with sys.exit after printing the result.
                rc = exc.code if isinstance(exc.code, int) else 1
            except Exception:  # pylint: disable=broad-exception-caught
                # What a module process leaves when its module raises: the traceback on stderr, status 1, which
                # _parse_returned_data turns into the same MODULE FAILURE result.
                traceback.print_exc(file=stderr)
                rc = 1
    return {"rc": rc, "stdout": stdout.getvalue(), "stderr": stderr.getvalue()}


def as_execute_module_returns(data):
    """What ``ActionBase._execute_module`` does to a parsed result on every core in the range (internal keys out,
    a module's own ``results`` renamed, stdout/stderr also as lines)."""
    data.pop("_ansible_suppress_tmpdir_delete", None)
    if "results" in data and (not isinstance(data["results"], Sequence) or isinstance(data["results"], str)):
        data["ansible_module_results"] = data.pop("results")
        display.warning("Found internal 'results' key in module return, renamed to 'ansible_module_results'.")
    remove_internal_keys(data)
    for stream in ("stdout", "stderr"):
        if stream in data and stream + "_lines" not in data:
            data[stream + "_lines"] = (data.get(stream) or "").splitlines()
    return data


class ActionModule(ActionBase):
    """Runs the task's module in this worker when it would run on the controller with the controller's Python."""

    _supports_check_mode = True
    _supports_async = True

    core = CORE

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
        if self.core is None:
            return False
        if self._connection.transport != "local" or self._play_context.become or self._task.async_val:
            return False
        if C.DEFAULT_KEEP_REMOTE_FILES:
            return False
        if not boolean(self._templar.template(task_vars.get(IN_PROCESS_VARIABLE, True)), strict=False):
            return False
        host_vars = task_vars
        if self._task.delegate_to:
            host_vars = (task_vars.get("ansible_delegated_vars") or {}).get(self._task.delegate_to) or {}
        return same_python(module_interpreter(host_vars, self._templar.template))

    def run_in_process(self, task_vars):
        # The task names the module (meta/runtime.yml routed it here, so resolved_action names this plugin); the
        # module loader resolves it as _configure_module does for a module process (short names, redirects).
        found = self._shared_loader_obj.module_loader.find_plugin_with_context(
            self._task.action, collection_list=self._task.collections)
        namespace, collection, name = found.resolved_fqcn.split(".")
        module_args = dict(self._task.args)
        self._update_module_args(self._task.action, module_args, task_vars)
        payload = self.core.encode(module_args).encode("utf-8")
        environment = {}
        self._compute_environment_string(raw_environment_out=environment)
        with task_environment(environment):
            res = run_main("ansible_collections.%s.%s.plugins.modules.%s" % (namespace, collection, name),
                           payload, self.core)
        data = as_execute_module_returns(self.core.parse(self, res))
        return self.core.finish(data)


# The collection's packages whose every file the controller imports for its workers, and where they are.
PLUGINS_PACKAGE = __name__.rsplit(".", 2)[0]
PLUGINS_FOLDER = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PRELOADED_FOLDERS = ("module_utils", "modules")


def preloaded_sdks():
    """The import path of every Azure SDK a module may import (their lists live beside the code that imports them)."""
    return ([CREDENTIAL_SDK] + [entry[0] for entry in SERVICES.values()]
            + [import_path for import_path, _package in DATA_PLANE_SDKS.values()])


def collection_files():
    """The import name of every file of the collection's module_utils and modules."""
    names = []
    for folder in PRELOADED_FOLDERS:
        for entry in sorted(os.listdir(os.path.join(PLUGINS_FOLDER, folder))):
            if entry.endswith(".py") and entry != "__init__.py":
                names.append("%s.%s.%s" % (PLUGINS_PACKAGE, folder, entry[:-3]))
    return names


def disabled_by_extra_vars():
    """Whether the command line's extra vars turn the in-process path off for every task (-e IN_PROCESS_VARIABLE)."""
    if not context.CLIARGS.get("extra_vars"):
        return False
    from ansible.parsing.dataloader import DataLoader  # pylint: disable=import-outside-toplevel

    return not boolean(load_extra_vars(DataLoader()).get(IN_PROCESS_VARIABLE, True), strict=False)


def preload_wanted():
    """Whether to preload here: in the controller of an Ansible command (never in a worker, which is forked for one
    task only, nor in a test or ansible-test importing this file), when a module can run in a worker at all.  The
    variable set false for every task (-e) skips it; set for some hosts only, it costs the preload, changing nothing."""
    if CORE is None or multiprocessing.parent_process() or not context.CLIARGS or C.DEFAULT_KEEP_REMOTE_FILES:
        return False
    try:
        return not disabled_by_extra_vars()
    except Exception as exc:  # pylint: disable=broad-exception-caught
        # Extra vars this loader cannot read (a vault file): the tasks will tell; preloading changes nothing they see.
        display.vvv("aigateway.foundry: extra vars not read for the preload (%s)" % exc)
        return True


def preload(names):
    """Import ``names`` in this process; the names that failed, each logged at -vvv and left to its task.

    Warnings at import are not shown (a module process would have shown them in its own stderr, which nobody reads),
    and whatever an import left in module_utils' warning stores is dropped."""
    failed = []
    with warnings.catch_warnings(), empty_message_stores():
        warnings.simplefilter("ignore")
        for name in names:
            try:
                importlib.import_module(name)
            except Exception as exc:  # pylint: disable=broad-exception-caught
                # Any error: an optional SDK missing or broken must not stop a run that may never need it.
                display.vvv("aigateway.foundry: not preloaded for the task workers: %s (%s: %s)"
                            % (name, type(exc).__name__, exc))
                failed.append(name)
    display.vvv("aigateway.foundry: %d of %d modules preloaded for the task workers"
                % (len(names) - len(failed), len(names)))
    return failed


if preload_wanted():
    preload(collection_files() + preloaded_sdks())
