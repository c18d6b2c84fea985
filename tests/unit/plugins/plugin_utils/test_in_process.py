"""When a task's module runs in the worker (in_process) and what it sees there; the whole path through
ansible-playbook is tests/integration/test_in_process.py."""
import json
import os
import sys
from types import SimpleNamespace

import pytest

from ansible_collections.aigateway.foundry.plugins.plugin_utils import in_process


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


def test_same_python_follows_links(tmp_path):
    link = tmp_path / "python"
    link.symlink_to(sys.executable)
    assert in_process.same_python(str(link))
    assert not in_process.same_python("")
    assert not in_process.same_python(str(tmp_path / "other"))


def test_the_tasks_environment_is_applied_for_the_module_and_removed_after(monkeypatch):
    monkeypatch.setenv("AZURE_SUBSCRIPTION_ID", "before")
    monkeypatch.delenv("AIGW_IN_PROCESS_TEST", raising=False)
    with in_process.task_environment({"AZURE_SUBSCRIPTION_ID": "task", "AIGW_IN_PROCESS_TEST": 5}):
        assert os.environ["AZURE_SUBSCRIPTION_ID"] == "task"
        assert os.environ["AIGW_IN_PROCESS_TEST"] == "5"
    assert os.environ["AZURE_SUBSCRIPTION_ID"] == "before"
    assert "AIGW_IN_PROCESS_TEST" not in os.environ


def test_run_main_gives_the_modules_output_and_leaves_basic_as_it_was(tmp_path, monkeypatch):
    (tmp_path / "aigw_fake_module.py").write_text(
        "import json, sys\n"
        "from ansible.module_utils import basic\n"
        "def main():\n"
        "    print(json.dumps({'args': basic._ANSIBLE_ARGS.decode(), 'profile': basic._ANSIBLE_PROFILE}))\n"
        "    sys.stderr.write('noise')\n"
        "    sys.exit(1)\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    from ansible.module_utils import basic

    before = basic._ANSIBLE_ARGS
    stdout, stderr = in_process.run_main("aigw_fake_module", b'{"ANSIBLE_MODULE_ARGS": {}}')
    assert stdout.strip() == '{"args": "{\\"ANSIBLE_MODULE_ARGS\\": {}}", "profile": "legacy"}'
    assert stderr == "noise"
    assert basic._ANSIBLE_ARGS is before


def test_a_modules_warning_goes_into_its_result_as_from_a_module_process(tmp_path, monkeypatch):
    (tmp_path / "aigw_warning_module.py").write_text(
        "from ansible.module_utils.basic import AnsibleModule\n"
        "def main():\n"
        "    module = AnsibleModule(argument_spec={})\n"
        "    module.warn('careful')\n"
        "    module.exit_json(changed=False)\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    from ansible.module_utils import _internal

    monkeypatch.setattr(_internal, "is_controller", True)
    stdout, _stderr = in_process.run_main("aigw_warning_module", b'{"ANSIBLE_MODULE_ARGS": {}}')
    assert json.loads(stdout)["warnings"][0]["event"]["msg"] == "careful"
    assert _internal.is_controller is True
