"""site.yml at 1, 4 and 16 model hosts: converge, idle re-run and teardown, and their extrapolation to Azure.

For each host count, in a state dir of its own: a local endpoint at a small time scale, then site.yml (converge),
site.yml again (idle re-run) and teardown.yml, each timed (wall) and costed (CPU of the whole process tree,
including async jobs: this process is their subreaper, so their CPU is counted when they end), with the requests
each made by kind from the endpoint's request log.

Real durations. The endpoint completes a long-running operation ``seconds * time_scale`` after it started, and
keeps every operation (start and due time) in its store. A run's wall time W is machine work plus time in which at
least one operation was pending (U, the union of the operations' [start, due] intervals inside the run). At real
durations every pending interval lasts 1/time_scale as long, while machine work done during one stays hidden inside
it, so the run would take  (W - U) + U / time_scale.  The time not overlapped with APIM's create is that minus
APIM's create itself: (W - U) + (U - A) / time_scale, A being the service's create interval. Not counted: the
polling lag (at real durations a wait notices completion up to one poll interval late, the SDK honouring
Retry-After) and Azure's network latency; both add to the estimate.

    .venv/bin/python bench/converge.py [--hosts 1,4,16] [--time-scale 0.002]
"""
from __future__ import annotations

import argparse
import collections
import ctypes
import json
import os
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

import benchlib  # noqa: E402  pylint: disable=wrong-import-position

PR_SET_CHILD_SUBREAPER = 36
APIM_SERVICE = "microsoft.apimanagement/service"


def become_subreaper():
    """Orphans (async jobs daemonised by Ansible) are re-parented here, so their CPU reaches RUSAGE_CHILDREN."""
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_CHILD_SUBREAPER) failed")


def reap_orphans(keep, patience=60.0):
    """Wait for the re-parented async jobs of the run that just ended, not for the endpoint (``keep``)."""
    deadline = time.monotonic() + patience
    while time.monotonic() < deadline:
        orphans = [pid for pid in children() if pid not in keep]
        if not orphans:
            return
        for pid in orphans:
            if os.waitpid(pid, os.WNOHANG)[0] == 0:
                time.sleep(0.05)


def children():
    me = str(os.getpid())
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if fields[1] == me:
                found.append(int(entry.name))
    return found


def child_cpu():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def host_vars(hosts, workdir):
    """The model hosts of a run: the lab's first host, repeated with its own name and backend."""
    model_hosts = [{"name": "models-%d-{{ aigw_name_suffix }}" % index, "backend": "models-%d" % index,
                    "location": "{{ aigw_location }}", "priority": 1, "weight": max(1, 100 // hosts),
                    "disable_local_auth": True, "deployments": "{{ aigw_models }}"}
                   for index in range(1, hosts + 1)]
    path = Path(workdir) / ("hosts-%d.json" % hosts)
    path.write_text(json.dumps({"aigw_model_hosts": model_hosts}))
    return path


def playbook(name, endpoint, extra, log):
    mark = len(log.lines())
    command = [str(Path(sys.executable).parent / "ansible-playbook"), "playbooks/" + name,
               "-e", "aigw_local_state_dir=%s" % endpoint.state_dir,
               "-e", "aigw_local_time_scale=%s" % endpoint.time_scale,
               "-e", "aigw_outputs_file=%s" % (endpoint.state_dir / "outputs.json"), "-e", "@%s" % extra]
    env = dict(os.environ, ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"), ANSIBLE_STDOUT_CALLBACK="default")
    started_at, before, started = time.time(), child_cpu(), time.perf_counter()
    proc = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - started
    reap_orphans(keep={endpoint.server_pid()})
    cpu = child_cpu() - before
    if proc.returncode != 0:
        raise SystemExit("%s failed:\n%s" % (name, proc.stdout[-4000:]))
    entries = log.entries(mark)
    return {"wall_s": round(wall, 1), "cpu_s": round(cpu, 1), "window": (started_at, started_at + wall),
            "requests": dict(collections.Counter(entry["kind"] for entry in entries)), "entries": entries}


def operations(state_dir):
    """Every long-running operation the endpoint started: kind, resource id, start and due (epoch seconds)."""
    uri = "file:%s?mode=ro" % (Path(state_dir) / "state.db")
    with sqlite3.connect(uri, uri=True) as db:
        return [json.loads(row[0]) for row in db.execute("SELECT data FROM operations")]


def union_length(intervals):
    total, end = 0.0, None
    for start, stop in sorted(intervals):
        if end is None or start > end:
            total += stop - start
            end = stop
        elif stop > end:
            total += stop - end
            end = stop
    return total


def extrapolate(run, ops, time_scale, focus=None):
    """(real seconds of the run, real seconds of the focus operations): see the module docstring."""
    begin, finish = run["window"]
    inside = [(max(op["started"], begin), min(op["due"], finish)) for op in ops
              if op["started"] < finish and op["due"] > begin]
    pending = union_length(inside)
    real = (run["wall_s"] - pending) + pending / time_scale
    focus_ops = [op for op in ops if focus and focus(op) and begin <= op["started"] < finish]
    focus_real = union_length([(op["started"], op["due"]) for op in focus_ops]) / time_scale
    return round(real, 1), round(focus_real, 1)


def is_apim_service(op):
    return op["resource_id"].lower().split("/providers/")[-1].count("/") == 2 and APIM_SERVICE in op[
        "resource_id"].lower()


def apim_create(op):
    return op["kind"] == "put" and is_apim_service(op)


def apim_delete_or_purge(op):
    return (op["kind"] == "delete" and is_apim_service(op)) or (
        op["kind"] == "action:purge" and "microsoft.apimanagement" in op["resource_id"].lower())


def resources_of(state_dir):
    uri = "file:%s?mode=ro" % (Path(state_dir) / "state.db")
    with sqlite3.connect(uri, uri=True) as db:
        return db.execute("SELECT COUNT(*) FROM resources").fetchone()[0]


def bench_hosts(hosts, time_scale, workdir):
    with benchlib.LocalAzure(time_scale=time_scale) as endpoint:
        extra = host_vars(hosts, workdir)
        converge = playbook("site.yml", endpoint, extra, endpoint.log)
        ops = operations(endpoint.state_dir)
        converge_real, apim_real = extrapolate(converge, ops, time_scale, apim_create)
        resources = resources_of(endpoint.state_dir)
        idle = playbook("site.yml", endpoint, extra, endpoint.log)
        teardown = playbook("teardown.yml", endpoint, extra, endpoint.log)
        teardown_real, apim_gone_real = extrapolate(teardown, operations(endpoint.state_dir), time_scale,
                                                    apim_delete_or_purge)
    reads = idle["requests"].get("read", 0)
    return {
        "hosts": hosts,
        "converge": {"wall_s": converge["wall_s"], "cpu_s": converge["cpu_s"], "requests": converge["requests"],
                     "real_s": converge_real, "apim_create_real_s": apim_real,
                     "not_overlapped_with_apim_real_s": round(converge_real - apim_real, 1)},
        "idle_rerun": {"wall_s": idle["wall_s"], "cpu_s": idle["cpu_s"], "requests": idle["requests"],
                       "resources": resources, "reads_per_resource": round(reads / max(1, resources), 2)},
        "teardown": {"wall_s": teardown["wall_s"], "cpu_s": teardown["cpu_s"], "requests": teardown["requests"],
                     "real_s": teardown_real, "apim_delete_and_purge_real_s": apim_gone_real,
                     "beyond_apim_delete_and_purge_real_s": round(teardown_real - apim_gone_real, 1)},
    }


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--hosts", default="1,4,16")
    parser.add_argument("--time-scale", type=float, default=0.002)
    options = parser.parse_args()
    become_subreaper()
    workdir = tempfile.mkdtemp(prefix="bench-converge-")
    results = {"time_scale": options.time_scale, "runs": []}
    for hosts in [int(count) for count in options.hosts.split(",")]:
        row = bench_hosts(hosts, options.time_scale, workdir)
        print(json.dumps(row))
        sys.stdout.flush()
        results["runs"].append(row)
        benchlib.write_result("converge", results)


if __name__ == "__main__":
    main()
