"""Per-task cost of a no-op module task against ansible.builtin.ping, paired in one run, and its token requests.

A play of N copies of one task is run with ansible-playbook (local connection, as site.yml runs), and the whole
process tree's CPU (user+sys of ansible-playbook and everything it waited for: workers, shells, module processes)
is read from RUSAGE_CHILDREN. The empty play's CPU (start-up, inventory, one play) is subtracted and the rest
divided by N. Cases are interleaved round by round so a busy neighbour slows all of them alike, and the median
round counts. The module's task is idle (the resource exists), so it reads once and changes nothing.

Cases: ansible.builtin.ping; resource_group signing in itself in every task (token_cache off: azure-identity, two
token requests per task); resource_group with the run's token handed in by aigateway.foundry.azure_token (the token
task's own cost is included in the per-task figure, spread over N), as the collection runs it (in the task's worker,
see plugins/plugin_utils/in_process.py) and as a module process per task (aigateway_foundry_in_process=false, the
design before); a user's own playbook, the interpreter set by interpreter_python in an ansible.cfg and no host
variable, without an azure_token task (one sign-in per run through the user's token cache) and with one;
azure.azcollection's azure_rm_resourcegroup_info when a side venv with it exists (bench/azcollection.sh makes one).
Every run gets an empty token cache of its own (XDG_CACHE_HOME), so each play starts signed out, as a new run would
on a machine that ran none in the last hour.

Per ansible-core of the range (the venvs of tests/run-all's `cores` stage, .state/cores/<version>, or this venv where
it holds that core): ping, the module in the task's worker and as a module process, each against that core's own
ping and empty play in the same run (the in-process path feeds and reads a module differently on 2.16-2.18 and 2.19).

    .venv/bin/python bench/task_cost.py [--tasks N] [--rounds R] [--cores 2.16,2.17,2.18,2.19]
"""
from __future__ import annotations

import argparse
import collections
import configparser
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

# The design before the modules' action plugin ran them in the task's worker: a module process per task.
MODULE_PROCESS = ("-e", "aigateway_foundry_in_process=false")
# The design before the user's token cache: every task signs in itself.
NO_TOKEN_CACHE = {"AIGATEWAY_FOUNDRY_TOKEN_CACHE": "false"}

import benchlib  # noqa: E402  pylint: disable=wrong-import-position


def child_cpu():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def play(path, tasks, token):
    """A play of ``tasks`` (YAML task bodies), optionally preceded by the run's token task."""
    lines = ["- hosts: localhost", "  gather_facts: false", "  module_defaults:",
             "    group/aigateway.foundry.azure: \"{{ bench_token.auth | default({}) }}\"",
             "  tasks:"]
    if token:
        lines += ["    - aigateway.foundry.azure_token:", "      register: bench_token", "      no_log: true"]
    for task in tasks:
        lines.append("    - " + task)
    Path(path).write_text("\n".join(lines) + "\n")
    return path


def users_ansible_cfg(path, python=sys.executable):
    """The project's ansible.cfg as a user's own would set the interpreter: interpreter_python, absolute paths."""
    config = configparser.ConfigParser(interpolation=None)
    config.read(ROOT / "ansible.cfg")
    defaults = config["defaults"]
    for name in ("collections_path", "roles_path"):
        defaults[name] = str((ROOT / defaults[name]).resolve())
    defaults.pop("inventory", None)
    defaults["interpreter_python"] = python
    with open(path, "w") as handle:
        config.write(handle)
    return path


def run_play(path, env, log, python=sys.executable, extra=(), setting=None):
    """One play: (CPU s, wall s, request kinds). ``setting`` (an ansible.cfg) sets the interpreter instead of the
    host variable ansible_python_interpreter; every run starts with an empty token cache."""
    mark = len(log.lines())
    interpreter = [] if setting else ["-e", "ansible_python_interpreter=" + python]
    command = [str(Path(python).parent / "ansible-playbook"), "-i", "localhost,", "-c", "local"] \
        + interpreter + list(extra) + [str(path)]
    env = dict(env, XDG_CACHE_HOME=tempfile.mkdtemp(prefix="bench-token-cache-"))
    if setting:
        env["ANSIBLE_CONFIG"] = str(setting)
    before, started = child_cpu(), time.perf_counter()
    proc = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    cpu, wall = child_cpu() - before, time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit("%s failed:\n%s" % (path, proc.stdout[-3000:]))
    if "changed=" in proc.stdout and "changed=0" not in proc.stdout:
        raise SystemExit("%s was not idle:\n%s" % (path, proc.stdout[-3000:]))
    kinds = collections.Counter(entry["kind"] for entry in log.entries(mark))
    return cpu, wall, kinds


def ansible_core_of(python):
    """The ansible-core version a Python environment runs, or None without one."""
    proc = subprocess.run([str(python), "-c", "from ansible.release import __version__; print(__version__)"],
                          capture_output=True, text=True, check=False)
    return proc.stdout.strip() if proc.returncode == 0 else None


def core_pythons(versions, main_python=sys.executable, root=ROOT, version_of=ansible_core_of):
    """{version: (python, full ansible-core version)} for each wanted core with an environment, and the versions
    without one: this venv where it runs that core, else .state/cores/<version> (tests/run-all cores makes it)."""
    found, missing = collections.OrderedDict(), []
    main_version = version_of(main_python)
    for version in versions:
        for python in (main_python, root / ".state" / "cores" / version / "bin" / "python"):
            full = main_version if python == main_python else (version_of(python) if Path(python).exists() else None)
            if full and (full == version or full.startswith(version + ".")):
                found[version] = (str(python), full)
                break
        else:
            missing.append(version)
    return found, missing


def per_task(samples, tasks, empty="empty play", reference="ansible.builtin.ping"):
    """CPU per task of each case (median over rounds, less the empty play's, over ``tasks``) and its ratio to the
    reference case of the same run: {label: {"cpu_s_per_task", "x_ping"}} without the empty play."""
    baseline = statistics.median(sample[0] for sample in samples[empty])
    costs = {label: (statistics.median(sample[0] for sample in runs) - baseline) / tasks
             for label, runs in samples.items() if label != empty}
    return collections.OrderedDict(
        (label, {"cpu_s_per_task": round(cost, 3), "x_ping": round(cost / costs[reference], 2)})
        for label, cost in costs.items())


CORE_CASES = ("empty play", "ansible.builtin.ping", "in the task's worker", "module process")


def core_table(samples_by_core, versions, tasks):
    """Per core: ping's CPU per task and the module's cost, in the task's worker and as a module process, x ping."""
    table = collections.OrderedDict()
    for version, runs in samples_by_core.items():
        costs = per_task(runs, tasks)
        table[version] = {"ansible_core": versions[version],
                          "ping_cpu_s_per_task": costs["ansible.builtin.ping"]["cpu_s_per_task"],
                          "in_process": costs["in the task's worker"], "module_process": costs["module process"]}
    return table


def _first_error(output):
    for line in output.splitlines():
        if "msg:" in line or "[ERROR]" in line:
            return line.strip()[:300]
    return output.strip().splitlines()[-1][:300] if output.strip() else "none printed"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--tasks", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--cores", default="2.16,2.17,2.18,2.19",
                        help="ansible-core versions to compare (comma-separated; empty: none)")
    options = parser.parse_args()
    cores, cores_missing = core_pythons([v for v in options.cores.split(",") if v])
    workdir = Path(tempfile.mkdtemp(prefix="bench-tasks-"))
    with benchlib.LocalAzure(time_scale=0.0001) as endpoint:
        env = endpoint.ansible_env()
        rg = "aigateway.foundry.resource_group: {name: rg-bench-tasks, location: swedencentral}"
        # Created once, so every measured task is idle (one read, no write).
        subprocess.run([str(Path(sys.executable).parent / "ansible-playbook"), "-i", "localhost,", "-c", "local",
                        "-e", "ansible_python_interpreter=" + sys.executable,
                        str(play(workdir / "setup.yml", [rg], token=False))],
                       cwd=ROOT, env=env, check=True, capture_output=True)
        n = options.tasks
        own_cfg = users_ansible_cfg(workdir / "ansible.cfg")
        cases = collections.OrderedDict([
            ("empty play", (play(workdir / "empty.yml", [], token=False), None)),
            ("ansible.builtin.ping", (play(workdir / "ping.yml", ["ansible.builtin.ping:"] * n, token=False), None)),
            ("resource_group, every task signs in (token_cache off)",
             (play(workdir / "rg.yml", [rg] * n, token=False), None, (), None, NO_TOKEN_CACHE)),
            ("resource_group, token handed in", (play(workdir / "rg-token.yml", [rg] * n, token=True), None)),
            ("resource_group, token handed in, module process", (workdir / "rg-token.yml", None, MODULE_PROCESS)),
            ("resource_group, interpreter_python in ansible.cfg, no token task",
             (workdir / "rg.yml", None, (), own_cfg)),
            ("resource_group, interpreter_python in ansible.cfg, token handed in",
             (workdir / "rg-token.yml", None, (), own_cfg)),
        ])
        azc = benchlib.azcollection_python()
        # azure.azcollection's names: the service principal from AZURE_*, the endpoint as a custom cloud.
        azc_env = dict(env, ANSIBLE_AZURE_AUTH_SOURCE="env", AZURE_CLOUD_ENVIRONMENT=endpoint.info["arm_endpoint"],
                       REQUESTS_CA_BUNDLE=endpoint.info["ca_bundle"])
        azc_note = "azure.azcollection: no side venv (bench/azcollection.sh did not install it)."
        if azc:
            info = "azure.azcollection.azure_rm_resourcegroup_info: {name: rg-bench-tasks}"
            azc_play = play(workdir / "azc.yml", [info], token=False)
            try:
                run_play(azc_play, azc_env, endpoint.log, python=azc)
            except SystemExit as failure:
                # Expected on the local endpoint: azure.azcollection reaches a cloud other than Azure's only through
                # its metadata document (cloud_environment = URL, GET <url>/metadata/endpoints).
                azc_note = ("azure.azcollection (from the PyPI package ansible, side venv) could not be measured "
                            "against the local endpoint: %s" % _first_error(str(failure)))
            else:
                azc_note = "azure.azcollection %s from the PyPI package ansible, in a side venv." % azc
                cases["azure_rm_resourcegroup_info (azcollection)"] = (
                    play(workdir / "azc.yml", [info] * n, token=False), azc, ())
        core_cases = collections.OrderedDict(zip(CORE_CASES, (
            (cases["empty play"][0], ()), (cases["ansible.builtin.ping"][0], ()),
            (workdir / "rg-token.yml", ()), (workdir / "rg-token.yml", MODULE_PROCESS))))
        samples = collections.defaultdict(list)
        core_samples = collections.OrderedDict((version, collections.defaultdict(list)) for version in cores)
        for _ in range(options.rounds):
            for label, (path, python, *more) in cases.items():
                extra, setting, env_overrides = tuple(more) + ((), None, {})[len(more):]
                samples[label].append(run_play(path, dict(azc_env if python else env, **env_overrides), endpoint.log,
                                               python=python or sys.executable, extra=extra, setting=setting))
            for version, (python, _full) in cores.items():
                for label, (path, extra) in core_cases.items():
                    core_samples[version][label].append(run_play(path, env, endpoint.log, python=python,
                                                                 extra=extra))
    results = collections.OrderedDict()
    for label, row in per_task(samples, n).items():
        runs = samples[label]
        results[label] = dict(row, wall_s_per_task=round(statistics.median(s[1] for s in runs) / n, 3),
                              token_requests=max(s[2].get("token", 0) for s in runs),
                              arm_reads=max(s[2].get("read", 0) for s in runs))
    results["_meta"] = {"tasks": n, "rounds": options.rounds, "commit": benchlib.commit(),
                        "measured": benchlib.measured_on(),
                        "empty_play_cpu_s": round(statistics.median(s[0] for s in samples["empty play"]), 3),
                        "azcollection": azc_note}
    results["_cores"] = core_table(core_samples, {v: full for v, (_p, full) in cores.items()}, n)
    results["_meta"]["cores_missing"] = cores_missing
    print("%-68s %10s %7s %8s %7s" % ("task (%d per play)" % n, "cpu s/task", "x ping", "tokens", "reads"))
    for label, row in results.items():
        if not label.startswith("_"):
            print("%-68s %10.3f %7.2f %8d %7d" % (label, row["cpu_s_per_task"], row["x_ping"],
                                                  row["token_requests"], row["arm_reads"]))
    if results["_cores"]:
        print("\n%-14s %12s %18s %18s" % ("ansible-core", "ping s/task", "in worker x ping", "module proc x ping"))
    for row in results["_cores"].values():
        print("%-14s %12.3f %18.2f %18.2f" % (row["ansible_core"], row["ping_cpu_s_per_task"],
                                              row["in_process"]["x_ping"], row["module_process"]["x_ping"]))
    if cores_missing:
        print("no environment for ansible-core %s (bash tests/run-all cores makes them)" % ", ".join(cores_missing))
    benchlib.write_result("task_cost", results)


if __name__ == "__main__":
    main()
