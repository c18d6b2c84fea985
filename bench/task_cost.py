"""Per-task cost of a no-op module task against ansible.builtin.ping, paired in one run, and its token requests.

A play of N copies of one task is run with ansible-playbook (local connection, as site.yml runs), and the whole
process tree's CPU (user+sys of ansible-playbook and everything it waited for: workers, shells, module processes)
is read from RUSAGE_CHILDREN. The empty play's CPU (start-up, inventory, one play) is subtracted and the rest
divided by N. Cases are interleaved round by round so a busy neighbour slows all of them alike, and the median
round counts. The module's task is idle (the resource exists), so it reads once and changes nothing.

Cases: ansible.builtin.ping; resource_group signing in itself in every task (azure-identity, two token requests
per task); resource_group with the run's token handed in by aigateway.foundry.azure_token (the token task's own
cost is included in the per-task figure, spread over N), as the collection runs it (in the task's worker, see
plugins/plugin_utils/in_process.py) and as a module process per task (aigateway_foundry_in_process=false, the
design before); azure.azcollection's azure_rm_resourcegroup_info when a side venv with it exists
(bench/azcollection.sh makes one).

    .venv/bin/python bench/task_cost.py [--tasks N] [--rounds R]
"""
from __future__ import annotations

import argparse
import collections
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


def run_play(path, env, log, python=sys.executable, extra=()):
    mark = len(log.lines())
    command = [str(Path(python).parent / "ansible-playbook"), "-i", "localhost,", "-c", "local",
               "-e", "ansible_python_interpreter=" + python] + list(extra) + [str(path)]
    before, started = child_cpu(), time.perf_counter()
    proc = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    cpu, wall = child_cpu() - before, time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit("%s failed:\n%s" % (path, proc.stdout[-3000:]))
    if "changed=" in proc.stdout and "changed=0" not in proc.stdout:
        raise SystemExit("%s was not idle:\n%s" % (path, proc.stdout[-3000:]))
    kinds = collections.Counter(entry["kind"] for entry in log.entries(mark))
    return cpu, wall, kinds


def _first_error(output):
    for line in output.splitlines():
        if "msg:" in line or "[ERROR]" in line:
            return line.strip()[:300]
    return output.strip().splitlines()[-1][:300] if output.strip() else "none printed"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--tasks", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=3)
    options = parser.parse_args()
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
        cases = collections.OrderedDict([
            ("empty play", (play(workdir / "empty.yml", [], token=False), None)),
            ("ansible.builtin.ping", (play(workdir / "ping.yml", ["ansible.builtin.ping:"] * n, token=False), None)),
            ("resource_group, own sign-in", (play(workdir / "rg.yml", [rg] * n, token=False), None)),
            ("resource_group, token handed in", (play(workdir / "rg-token.yml", [rg] * n, token=True), None)),
            ("resource_group, token handed in, module process", (workdir / "rg-token.yml", None, MODULE_PROCESS)),
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
        samples = collections.defaultdict(list)
        for _ in range(options.rounds):
            for label, (path, python, *extra) in cases.items():
                samples[label].append(run_play(path, azc_env if python else env, endpoint.log,
                                               python=python or sys.executable, extra=extra[0] if extra else ()))
    empty = statistics.median(s[0] for s in samples["empty play"])
    ping = None
    results = collections.OrderedDict()
    for label, runs in samples.items():
        if label == "empty play":
            continue
        per_task = (statistics.median(s[0] for s in runs) - empty) / n
        ping = per_task if ping is None else ping
        results[label] = {"cpu_s_per_task": round(per_task, 3), "x_ping": round(per_task / ping, 2),
                          "wall_s_per_task": round(statistics.median(s[1] for s in runs) / n, 3),
                          "token_requests": max(s[2].get("token", 0) for s in runs),
                          "arm_reads": max(s[2].get("read", 0) for s in runs)}
    results["_meta"] = {"tasks": n, "rounds": options.rounds, "empty_play_cpu_s": round(empty, 3),
                        "azcollection": azc_note}
    print("%-46s %10s %7s %8s %7s" % ("task (%d per play)" % n, "cpu s/task", "x ping", "tokens", "reads"))
    for label, row in results.items():
        if not label.startswith("_"):
            print("%-46s %10.3f %7.2f %8d %7d" % (label, row["cpu_s_per_task"], row["x_ping"],
                                                  row["token_requests"], row["arm_reads"]))
    benchlib.write_result("task_cost", results)


if __name__ == "__main__":
    main()
