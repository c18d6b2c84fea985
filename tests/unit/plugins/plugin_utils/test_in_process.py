"""When a task's module runs in the worker (in_process) and what it sees there; the whole path through
ansible-playbook is tests/integration/test_in_process.py."""
import ast
import json
import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

from ansible.release import __version__

from ansible_collections.aigateway.foundry.plugins.plugin_utils import in_process

ANSIBLE_CORE = tuple(int(part) for part in __version__.split(".")[:2])


class Templar(object):
    def template(self, value):
        return value.replace("{{ ansible_playbook_python }}", sys.executable) if isinstance(value, str) else value


def action(transport="local", become=False, async_val=0, delegate_to=None):
    plugin = in_process.ActionModule.__new__(in_process.ActionModule)
    plugin._connection = SimpleNamespace(transport=transport)
    plugin._play_context = SimpleNamespace(become=become)
    plugin._task = SimpleNamespace(async_val=async_val, delegate_to=delegate_to)
    plugin._templar = Templar()
    return plugin


HERE = {"ansible_python_interpreter": "{{ ansible_playbook_python }}"}


@pytest.fixture(autouse=True)
def ansible_cfg(tmp_path, monkeypatch):
    """The settings as an ansible.cfg of the test's own gives them (interpreter_python = auto_silent, as ours):
    ``ansible_cfg(interpreter_python)`` writes another one. ANSIBLE_PYTHON_INTERPRETER is unset."""
    from ansible.config.manager import ConfigManager

    monkeypatch.delenv("ANSIBLE_PYTHON_INTERPRETER", raising=False)

    def configure(interpreter_python):
        path = tmp_path / "ansible.cfg"
        path.write_text("[defaults]\ninterpreter_python = %s\n" % interpreter_python)
        monkeypatch.setattr(in_process.C, "config", ConfigManager(conf_file=str(path)))
    configure("auto_silent")
    return configure


def test_a_local_task_with_the_controllers_python_runs_here():
    assert action().runs_here(HERE)
    assert action().runs_here({"ansible_python_interpreter": sys.executable})


@pytest.mark.parametrize("plugin,task_vars", [
    (action(transport="ssh"), HERE),
    (action(become=True), HERE),
    (action(async_val=600), HERE),
    (action(), {}),  # no interpreter set: Ansible discovers one, which need not be the controller's
    (action(), {"ansible_python_interpreter": "/usr/bin/python3-elsewhere"}),
    (action(delegate_to="bastion"), dict(HERE, ansible_delegated_vars={"bastion": {}})),
    (action(), dict(HERE, aigateway_foundry_in_process="false")),
    (action(), dict(HERE, aigateway_foundry_in_process=False)),
])
def test_anything_else_runs_the_module_as_a_module(plugin, task_vars):
    assert not plugin.runs_here(task_vars)


def test_keep_remote_files_runs_the_module_as_a_module(monkeypatch):
    monkeypatch.setattr(in_process.C, "DEFAULT_KEEP_REMOTE_FILES", True)
    assert not action().runs_here(HERE)


def test_a_delegated_task_reads_the_delegated_hosts_interpreter():
    task_vars = {"ansible_delegated_vars": {"localhost": HERE}}
    assert action(delegate_to="localhost").runs_here(task_vars)


@pytest.mark.parametrize("interpreter_python", [sys.executable, "{{ ansible_playbook_python }}"])
def test_interpreter_python_in_ansible_cfg_runs_here(ansible_cfg, interpreter_python):
    """A user's own playbook: the interpreter set in ansible.cfg, no host variable (an explicit localhost)."""
    ansible_cfg(interpreter_python)
    assert action().runs_here({})
    assert not action(become=True).runs_here({})
    assert not action(transport="ssh").runs_here({})


def test_a_template_in_ansible_cfg_is_templated_as_ansible_core_templates_it(ansible_cfg):
    """With the real templar: on 2.19 and later a setting's value is not trusted, yet ansible-core templates it."""
    from ansible.parsing.dataloader import DataLoader
    from ansible.template import Templar as CoreTemplar

    ansible_cfg("{{ ansible_playbook_python }}")
    plugin = action()
    plugin._templar = CoreTemplar(loader=DataLoader(), variables={"ansible_playbook_python": sys.executable})
    assert plugin.runs_here({"ansible_playbook_python": sys.executable})


def test_ansible_python_interpreter_in_the_environment_runs_here(monkeypatch):
    monkeypatch.setenv("ANSIBLE_PYTHON_INTERPRETER", sys.executable)
    assert action().runs_here({})


def test_the_host_variable_comes_before_ansible_cfg(ansible_cfg):
    ansible_cfg(sys.executable)
    assert not action().runs_here({"ansible_python_interpreter": "/usr/bin/python3-elsewhere"})


@pytest.mark.parametrize("mode", ["auto", "auto_silent", "auto_legacy_silent", ""])
def test_a_discovered_interpreter_counts_once_discovery_has_run(ansible_cfg, mode):
    ansible_cfg(mode)
    assert not action().runs_here({}), "not discovered yet: the module process discovers it"
    assert action().runs_here({"ansible_facts": {"discovered_interpreter_python": sys.executable}})
    assert not action().runs_here({"ansible_facts": {"discovered_interpreter_python": "/usr/bin/python3.99"}})


def test_the_delegated_hosts_facts_and_variables_decide(ansible_cfg):
    ansible_cfg("auto_silent")
    found = {"ansible_facts": {"discovered_interpreter_python": sys.executable}}
    assert action(delegate_to="localhost").runs_here({"ansible_delegated_vars": {"localhost": found}})
    assert not action(delegate_to="localhost").runs_here(dict(found, ansible_delegated_vars={"localhost": {}}))


def fake_python(directory, base, venv=True):
    """``directory``/bin/python linked to ``base``, with a pyvenv.cfg as ``python -m venv`` writes when ``venv``."""
    (directory / "bin").mkdir(parents=True)
    if venv:
        (directory / "pyvenv.cfg").write_text("home = %s\n" % os.path.dirname(base))
    (directory / "bin" / "python").symlink_to(base)
    return str(directory / "bin" / "python")


def test_two_virtualenvs_of_one_base_python_are_two_pythons(tmp_path):
    """A virtualenv's python links to its base Python: the link's target alone would take another virtualenv (other
    SDK versions) or the bare base Python (none of the collection's packages) for the controller's."""
    base = os.path.realpath(sys.executable)
    ours = fake_python(tmp_path / "ours", base)
    assert in_process.same_python(ours, executable=ours)
    assert not in_process.same_python(fake_python(tmp_path / "other", base), executable=ours)
    assert not in_process.same_python(base, executable=ours)
    (tmp_path / "linked").symlink_to(tmp_path / "ours")
    assert in_process.same_python(str(tmp_path / "linked" / "bin" / "python"), executable=ours)
    # A link to the virtualenv's python from elsewhere starts the base Python (Python looks for pyvenv.cfg beside
    # the path it was started by), so it is not the controller's either.
    (tmp_path / "loose").mkdir()
    (tmp_path / "loose" / "python").symlink_to(ours)
    assert not in_process.same_python(str(tmp_path / "loose" / "python"), executable=ours)
    assert not in_process.same_python("", executable=ours) and not in_process.same_python(None, executable=ours)


def test_a_link_outside_a_virtualenv_runs_the_base_python_as_same_python_says(tmp_path):
    if sys.prefix == sys.base_prefix:
        pytest.skip("the controller's Python is not a virtualenv")
    (tmp_path / "python").symlink_to(sys.executable)
    started = subprocess.run([str(tmp_path / "python"), "-c", "import sys; print(sys.prefix)"],
                             capture_output=True, text=True, check=True).stdout.strip()
    assert started == sys.base_prefix and not in_process.same_python(str(tmp_path / "python"))


def test_the_tasks_environment_is_applied_for_the_module_and_removed_after(monkeypatch):
    monkeypatch.setenv("AZURE_SUBSCRIPTION_ID", "before")
    monkeypatch.delenv("AIGW_IN_PROCESS_TEST", raising=False)
    with in_process.task_environment({"AZURE_SUBSCRIPTION_ID": "task", "AIGW_IN_PROCESS_TEST": 5}):
        assert os.environ["AZURE_SUBSCRIPTION_ID"] == "task"
        assert os.environ["AIGW_IN_PROCESS_TEST"] == "5"
    assert os.environ["AZURE_SUBSCRIPTION_ID"] == "before"
    assert "AIGW_IN_PROCESS_TEST" not in os.environ


CORE_FAMILY = "profiled" if ANSIBLE_CORE >= (2, 19) else "legacy"


def test_this_core_is_recognised_by_what_it_has():
    """2.16-2.18 and 2.19+ each have a branch; the stage `cores` runs this on every core of the range."""
    assert in_process.CORE is not None and in_process.CORE.name == CORE_FAMILY
    assert in_process.ActionModule.core is in_process.CORE


@pytest.mark.parametrize("parameters", [["self", "res", "profile", "strict"], ["self", "result"], ["self"]])
def test_a_core_whose_internals_changed_runs_every_module_as_a_module(monkeypatch, parameters):
    monkeypatch.setattr(in_process, "_parse_parameters", lambda: parameters)
    assert in_process.detect_core() is None
    plugin = action()
    plugin.core = None
    assert not plugin.runs_here(HERE)


def test_run_main_gives_the_modules_output_and_leaves_basic_as_it_was(tmp_path, monkeypatch):
    (tmp_path / "aigw_fake_module.py").write_text(
        "import json, sys\n"
        "from ansible.module_utils import basic\n"
        "def main():\n"
        "    print(json.dumps({'args': basic._ANSIBLE_ARGS.decode(),\n"
        "                      'profile': getattr(basic, '_ANSIBLE_PROFILE', 'none')}))\n"
        "    sys.stderr.write('noise')\n"
        "    sys.exit(1)\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    from ansible.module_utils import basic

    before = basic._ANSIBLE_ARGS
    res = in_process.run_main("aigw_fake_module", b'{"ANSIBLE_MODULE_ARGS": {}}')
    assert json.loads(res["stdout"]) == {"args": '{"ANSIBLE_MODULE_ARGS": {}}',
                                         "profile": "legacy" if CORE_FAMILY == "profiled" else "none"}
    assert res["stderr"] == "noise" and res["rc"] == 1
    assert basic._ANSIBLE_ARGS is before


WARNING_MODULE = (
    "from ansible.module_utils.basic import AnsibleModule\n"
    "def main():\n"
    "    module = AnsibleModule(argument_spec={'say': {}})\n"
    "    module.warn(module.params['say'])\n"
    "    module.deprecate('old ' + module.params['say'], version='9.0.0', collection_name='aigateway.foundry')\n"
    "    module.exit_json(changed=False)\n")


def warning_texts(result):
    """The warnings' and deprecations' messages of a module's JSON result, as each core words them."""
    def text(entry):
        return entry if isinstance(entry, str) else entry.get("msg") or entry["event"]["msg"]
    return [text(entry) for entry in result.get("warnings", [])], [text(entry) for entry in result.get("deprecations", [])]


def test_a_modules_warnings_go_into_its_result_as_from_a_module_process(tmp_path, monkeypatch):
    (tmp_path / "aigw_warning_module.py").write_text(WARNING_MODULE)
    monkeypatch.syspath_prepend(str(tmp_path))
    if CORE_FAMILY == "profiled":
        from ansible.module_utils import _internal

        monkeypatch.setattr(_internal, "is_controller", True)
    res = in_process.run_main("aigw_warning_module", b'{"ANSIBLE_MODULE_ARGS": {"say": "careful"}}')
    assert warning_texts(json.loads(res["stdout"])) == (["careful"], ["old careful"])
    if CORE_FAMILY == "profiled":
        assert _internal.is_controller is True


def test_each_loop_item_returns_only_its_own_warnings(tmp_path, monkeypatch):
    """A loop runs its items in one worker; a module process per item would start with no warnings."""
    (tmp_path / "aigw_warning_module.py").write_text(WARNING_MODULE)
    monkeypatch.syspath_prepend(str(tmp_path))
    from ansible.module_utils.common import warnings

    if CORE_FAMILY == "legacy":  # on 2.19 the controller's own warnings go to the display, not to the store
        warnings.warn("the worker's own")
    before = (warnings.get_warning_messages(), warnings.get_deprecation_messages())
    for item in ("first", "second"):
        res = in_process.run_main("aigw_warning_module", b'{"ANSIBLE_MODULE_ARGS": {"say": "%s"}}' % item.encode())
        assert warning_texts(json.loads(res["stdout"])) == ([item], ["old " + item])
    assert (warnings.get_warning_messages(), warnings.get_deprecation_messages()) == before


def test_a_module_that_raises_fails_as_its_module_process_would(tmp_path, monkeypatch):
    (tmp_path / "aigw_raising_module.py").write_text("def main():\n    raise RuntimeError('boom')\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    res = in_process.run_main("aigw_raising_module", b'{"ANSIBLE_MODULE_ARGS": {}}')
    assert res["rc"] == 1 and res["stdout"] == ""
    assert res["stderr"].startswith("Traceback") and "RuntimeError: boom" in res["stderr"]
    data = in_process.CORE.parse(parsing_action(), res)
    assert data["failed"] is True and data["_ansible_parsed"] is False and data["module_stderr"] == res["stderr"]


def parsing_action():
    plugin = action()
    plugin._used_interpreter = None
    plugin._task.resolved_action = plugin._task.action = "aigateway.foundry.resource_group"
    return plugin


def test_arguments_reach_the_module_as_plain_json():
    from ansible.utils.unsafe_proxy import wrap_var

    payload = in_process.CORE.encode({"name": wrap_var("rg-{{ not templated }}"), "_ansible_check_mode": True})
    assert json.loads(payload) == {"ANSIBLE_MODULE_ARGS": {"name": "rg-{{ not templated }}",
                                                           "_ansible_check_mode": True}}


def test_a_result_is_finished_as_execute_module_finishes_it():
    stdout = json.dumps({"changed": True, "id": "/x/{{ lookup('env', 'HOME') }}", "_ansible_no_log": False,
                         "results": {"a": 1}, "invocation": {"module_args": {"name": "x"}}})
    data = in_process.as_execute_module_returns(
        in_process.CORE.parse(parsing_action(), {"rc": 0, "stdout": stdout, "stderr": ""}))
    data = in_process.CORE.finish(data)
    assert data == {"changed": True, "id": "/x/{{ lookup('env', 'HOME') }}", "ansible_module_results": {"a": 1},
                    "invocation": {"module_args": {"name": "x"}}, "_ansible_parsed": True}
    if CORE_FAMILY == "legacy":
        from ansible.utils.unsafe_proxy import AnsibleUnsafeText

        assert isinstance(data["id"], AnsibleUnsafeText), "a module's result is never templated again"


# The preload: what the controller imports once for every task's worker.
PLUGINS = Path(in_process.PLUGINS_FOLDER)
SDK_ROOTS = ("azure", "openai")


def sdk_imports(path):
    """Every SDK module path a file imports, wherever in it (top level, inside a function, by importlib)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            # azure is a namespace package: ``from azure import identity`` imports the submodule azure.identity
            found.update("azure." + alias.name if node.module == "azure" else node.module for alias in node.names)
        elif isinstance(node, ast.Call) and getattr(node.func, "attr", None) == "import_module" and node.args \
                and isinstance(node.args[0], ast.Constant):
            found.add(node.args[0].value)
    return {name for name in found if name.split(".")[0] in SDK_ROOTS}


def collection_sdk_imports():
    return sorted(set().union(*(sdk_imports(path) for folder in in_process.PRELOADED_FOLDERS
                                for path in (PLUGINS / folder).glob("*.py"))))


def test_the_scan_finds_the_sdk_imports_at_the_top_and_inside_functions():
    # azure_transport's at the top, foundry_dataplane's inside sdk_errors()
    assert {"azure.core.pipeline.transport", "azure.core.exceptions", "openai"} <= set(collection_sdk_imports())


def test_the_preload_covers_every_sdk_the_modules_import():
    """After the preload (in a process of its own, as the controller), each SDK module any module or module_utils
    imports is there already: an import of an SDK missing from SERVICES, DATA_PLANE_SDKS or CREDENTIAL_SDK fails."""
    imported = collection_sdk_imports()
    script = ("import json, sys\n"
              "from ansible_collections.aigateway.foundry.plugins.plugin_utils import in_process\n"
              "failed = in_process.preload(in_process.collection_files() + in_process.preloaded_sdks())\n"
              "print(json.dumps({'failed': failed, 'missing': [n for n in %r if n not in sys.modules]}))\n"
              % imported)
    out = subprocess.run([sys.executable, "-c", script], check=True, capture_output=True, text=True,
                         env=dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))).stdout
    assert json.loads(out.splitlines()[-1]) == {"failed": [], "missing": []}


def test_the_preload_lists_every_module_and_module_utils_file():
    names = in_process.collection_files()
    assert "ansible_collections.aigateway.foundry.plugins.modules.resource_group" in names
    assert "ansible_collections.aigateway.foundry.plugins.module_utils.azure_module" in names
    assert len(names) == sum(1 for folder in in_process.PRELOADED_FOLDERS for path in (PLUGINS / folder).glob("*.py")
                             if path.name != "__init__.py")


def test_a_failing_import_is_left_to_its_task(tmp_path, monkeypatch):
    (tmp_path / "aigw_broken_sdk.py").write_text("raise RuntimeError('half installed')\n")
    (tmp_path / "aigw_warning_sdk.py").write_text(
        "import warnings\n"
        "from ansible.module_utils.common.warnings import warn\n"
        "warnings.warn('at import', DeprecationWarning)\n"
        "warn('kept for no task')\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    from ansible.module_utils.common import warnings as module_warnings

    before = module_warnings.get_warning_messages()
    assert in_process.preload(["aigw_no_such_sdk", "aigw_broken_sdk", "aigw_warning_sdk"]) == [
        "aigw_no_such_sdk", "aigw_broken_sdk"]
    assert "aigw_warning_sdk" in sys.modules and module_warnings.get_warning_messages() == before


STATEFUL_MODULE = (
    "import json, sys\n"
    "RUNS = []\n"
    "def main():\n"
    "    RUNS.append(1)\n"
    "    print(json.dumps({'runs': len(RUNS)}))\n"
    "    sys.exit(0)\n")


def run_in_a_forked_worker(module_name):
    """run_main in a child forked from this process, as Ansible forks a worker per task: its module's output."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the worker
        os.close(read)
        try:
            os.write(write, in_process.run_main(module_name, b'{"ANSIBLE_MODULE_ARGS": {}}')["stdout"].encode())
        finally:
            os._exit(0)
    os.close(write)
    with os.fdopen(read) as pipe:
        out = pipe.read()
    os.waitpid(pid, 0)
    return json.loads(out)


def test_a_preloaded_modules_state_starts_fresh_in_every_task(tmp_path, monkeypatch):
    (tmp_path / "aigw_stateful_module.py").write_text(STATEFUL_MODULE)
    monkeypatch.syspath_prepend(str(tmp_path))
    assert in_process.preload(["aigw_stateful_module"]) == []
    assert [run_in_a_forked_worker("aigw_stateful_module") for _task in range(2)] == [{"runs": 1}, {"runs": 1}]
    assert sys.modules["aigw_stateful_module"].RUNS == []


def command_line(monkeypatch, **cli_args):
    """context.CLIARGS as an Ansible command sets them; load_extra_vars keeps what it read first, so it forgets."""
    from ansible.module_utils.common.collections import ImmutableDict

    monkeypatch.setattr(in_process.context, "CLIARGS", ImmutableDict(cli_args))
    monkeypatch.delattr(in_process.load_extra_vars, "extra_vars", raising=False)


def test_the_preload_runs_only_in_the_controller_of_an_ansible_command(monkeypatch):
    command_line(monkeypatch)
    assert not in_process.preload_wanted()  # a test, ansible-test, anything not an Ansible command
    command_line(monkeypatch, extra_vars=("aigw_other=1",))
    assert in_process.preload_wanted()
    monkeypatch.setattr(in_process.multiprocessing, "parent_process", object)
    assert not in_process.preload_wanted()  # a worker: forked for one task, too late to share anything


@pytest.mark.parametrize("extra_vars,wanted", [
    (("aigateway_foundry_in_process=false",), False),
    (('{"aigateway_foundry_in_process": false}',), False),
    (("aigateway_foundry_in_process=true",), True),
])
def test_the_preload_is_skipped_when_every_task_runs_its_module_as_a_module(monkeypatch, extra_vars, wanted):
    command_line(monkeypatch, extra_vars=extra_vars)
    assert in_process.preload_wanted() is wanted
    monkeypatch.setattr(in_process.C, "DEFAULT_KEEP_REMOTE_FILES", True)
    assert not in_process.preload_wanted()
