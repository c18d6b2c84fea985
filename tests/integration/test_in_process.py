"""The modules' action plugin (plugins/plugin_utils/in_process.py) against the local endpoint, through ansible-playbook:
a task on the controller with the controller's Python runs in its worker and gives what its module process gives
(results, check mode, diff, failures, no_log, environment); ANSIBLE_KEEP_REMOTE_FILES and another interpreter run
the module as a module. A user's own playbook (the interpreter set in ansible.cfg, an explicit localhost, no
azure_token task) gets the worker too and signs in once, through the user's token cache."""
import json
import os
import re
import stat
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

PLAY = """
- hosts: localhost
  gather_facts: false
  module_defaults:
    group/aigateway.foundry.azure: "{{{{ token.auth | default({{}}) }}}}"
  tasks:
    - aigateway.foundry.azure_token:
      register: token
      no_log: true
    - name: predicted
      aigateway.foundry.resource_group: {{name: {rg}, location: swedencentral, tags: {{a: b}}}}
      check_mode: true
      diff: true
      register: predicted
    - name: created
      aigateway.foundry.resource_group: {{name: {rg}, location: swedencentral, tags: {{a: b}}}}
      register: created
    - name: idle
      aigateway.foundry.resource_group: {{name: {rg}, location: swedencentral}}
      register: idle
    - name: refused
      aigateway.foundry.resource_group: {{name: "bad name!", location: swedencentral}}
      register: refused
      ignore_errors: true
    - name: in another subscription, from the task's environment
      aigateway.foundry.resource_group: {{name: {rg}}}
      environment: {{AZURE_SUBSCRIPTION_ID: 00000000-0000-0000-0000-000000000000}}
      register: elsewhere
      ignore_errors: true
    - name: censored
      aigateway.foundry.resource_group: {{name: {rg}, location: swedencentral}}
      no_log: true
      register: censored
    - aigateway.foundry.resource_group: {{name: {rg}, state: absent}}
    - ansible.builtin.copy:
        dest: "{{{{ results_file }}}}"
        content: "{{{{ dict(predicted=predicted, created=created, idle=idle, refused=refused, elsewhere=elsewhere,
                          censored=censored) | to_json }}}}"
"""

KEPT = ("changed", "failed", "msg", "state", "diff", "id")


def run_play(azure_env, workdir, label, interpreter=sys.executable, env=None, args=("-v",)):
    """Run PLAY; (results of its tasks, ansible's output, the AnsiballZ files left in the remote tmp)."""
    rg = "rg-inproc-%s-%s" % (label, uuid.uuid4().hex[:6])
    play = workdir / ("%s.yml" % label)
    play.write_text(PLAY.format(rg=rg))
    results_file = workdir / ("%s.json" % label)
    remote_tmp = workdir / ("%s-remote" % label)
    run_env = dict(azure_env, ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"), ANSIBLE_REMOTE_TMP=str(remote_tmp),
                   **(env or {}))
    proc = subprocess.run(
        [str(Path(sys.executable).parent / "ansible-playbook"), *args, "-i", "localhost,", "-c", "local",
         "-e", "ansible_python_interpreter=" + interpreter, "-e", "results_file=" + str(results_file), str(play)],
        cwd=ROOT, env=run_env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    results = json.loads(results_file.read_text())
    views = {task: {key: value for key, value in result.items() if key in KEPT}
             for task, result in results.items()}
    return views, proc.stdout, sorted(path.name for path in remote_tmp.rglob("AnsiballZ_*"))


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    return tmp_path_factory.mktemp("in-process")


def without_names(views):
    """The results with the run's own group name left out, to compare two runs."""
    return json.loads(json.dumps(views).replace(views["created"]["state"]["name"], "RG"))


def test_runs_in_the_worker_and_gives_what_the_module_process_gives(azure_env, workdir):
    here, output, modules = run_play(azure_env, workdir, "here")
    assert modules == [], "no module process: nothing is written to the remote tmp"
    apart, _output, kept = run_play(azure_env, workdir, "apart", env={"ANSIBLE_KEEP_REMOTE_FILES": "1"})
    assert "AnsiballZ_resource_group.py" in kept, "ANSIBLE_KEEP_REMOTE_FILES runs the module as a module"
    assert without_names(here) == without_names(apart)

    assert here["predicted"]["changed"] is True and here["predicted"]["diff"]["after"]["tags"] == {"a": "b"}
    assert here["created"]["changed"] is True and here["idle"]["changed"] is False
    assert here["refused"]["failed"] is True and "'bad name!' is invalid" in here["refused"]["msg"]
    assert here["elsewhere"]["failed"] is True and "location is required" in here["elsewhere"]["msg"]
    censored = output.split("TASK [censored]")[1].split("TASK [")[0]
    assert "the output has been hidden" in censored and here["created"]["state"]["name"] not in censored
    assert here["censored"]["state"] == here["idle"]["state"], "the registered result is whole, as before"
    assert token_not_in(output, azure_env)


def test_another_interpreter_runs_the_module_as_a_module(azure_env, workdir, tmp_path):
    # A wrapper script is another interpreter path for Ansible (as another virtualenv's python would be).
    wrapper = tmp_path / "python"
    started = tmp_path / "started"
    wrapper.write_text("#!/bin/sh\necho \"$@\" >> %s\nexec %s \"$@\"\n" % (started, sys.executable))
    wrapper.chmod(0o755)
    views, _output, _kept = run_play(azure_env, workdir, "other", interpreter=str(wrapper))
    modules = started.read_text().splitlines()
    assert len([line for line in modules if "AnsiballZ_resource_group.py" in line]) == 7, modules
    assert views["idle"]["changed"] is False and views["refused"]["failed"] is True


def test_the_controller_preloads_for_the_workers_once_unless_no_task_runs_in_one(azure_env, workdir):
    """The azure_token task loads the action plugin in the controller, which imports the modules and SDKs once
    (every one of them, at -vvv) for the workers it forks; with the in-process path off for every task, nothing."""
    preloaded = re.compile(r"aigateway\.foundry: (\d+) of (\d+) modules preloaded for the task workers")
    views, output, _kept = run_play(azure_env, workdir, "preload", args=("-vvv",))
    assert [count == total for count, total in preloaded.findall(output)] == [True]
    assert views["created"]["changed"] is True and views["idle"]["changed"] is False
    _views, output, _kept = run_play(azure_env, workdir, "module-processes",
                                     args=("-vvv", "-e", "aigateway_foundry_in_process=false"))
    assert "AnsiballZ_resource_group.py" in output and not preloaded.search(output)


def token_not_in(output, azure_env):
    return azure_env["AZURE_SECRET"] not in output and "eyJ" not in output


OWN_PLAY = """
- hosts: all
  gather_facts: false
  tasks:
    - name: created
      aigateway.foundry.resource_group: {{name: {rg}, location: swedencentral}}
{idle}
    - aigateway.foundry.resource_group: {{name: {rg}, state: absent}}
"""
IDLE_TASKS = 18


@pytest.mark.parametrize("interpreter_python", [sys.executable, "{{ ansible_playbook_python }}"])
def test_a_users_own_playbook_runs_in_the_worker_and_signs_in_once(azure_env, request_log, tmp_path,
                                                                    interpreter_python):
    """interpreter_python in ansible.cfg, localhost listed in the inventory without a variable, and no azure_token
    task: 20 module tasks, no module process, one sign-in (the tenant's metadata and one token)."""
    rg = "rg-own-%s" % uuid.uuid4().hex[:6]
    idle = "\n".join("    - aigateway.foundry.resource_group: {name: %s, location: swedencentral}" % rg
                      for _ in range(IDLE_TASKS))
    (tmp_path / "play.yml").write_text(OWN_PLAY.format(rg=rg, idle=idle))
    (tmp_path / "inventory.ini").write_text("localhost ansible_connection=local\n")
    (tmp_path / "ansible.cfg").write_text("[defaults]\ncollections_path = %s\ninterpreter_python = %s\n"
                                          % (ROOT / ".collections", interpreter_python))
    cache = tmp_path / "cache"
    env = dict(azure_env, ANSIBLE_CONFIG=str(tmp_path / "ansible.cfg"), ANSIBLE_REMOTE_TMP=str(tmp_path / "remote"),
               XDG_CACHE_HOME=str(cache))
    mark = request_log.mark()
    proc = subprocess.run([str(Path(sys.executable).parent / "ansible-playbook"), "-vvv", "-i", "inventory.ini",
                           "play.yml"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    assert "ok=%d changed=2" % (IDLE_TASKS + 2) in " ".join(proc.stdout.split())
    # -vvv shows every module process's AnsiballZ file being sent and started.
    assert "AnsiballZ_" not in proc.stdout, "a module ran as a module process"
    tokens = [entry for entry in request_log.since(mark) if entry.get("kind") == "token"]
    assert len(tokens) <= 2, [(entry["method"], entry["path"]) for entry in tokens]
    files = sorted((cache / "aigateway.foundry").iterdir())
    assert [path.suffix for path in files] == [".json", ".lock"], files
    assert [stat.S_IMODE(os.stat(path).st_mode) for path in files] == [0o600, 0o600]
    assert stat.S_IMODE(os.stat(cache / "aigateway.foundry").st_mode) == 0o700
    assert azure_env["AZURE_SECRET"] not in files[0].read_text() + proc.stdout + proc.stderr
