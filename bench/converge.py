"""site.yml at 1, 16 and 64 model hosts: converge, idle re-run and teardown, and their extrapolation to Azure.

For each host count, in a state dir of its own: a local endpoint at a small time scale, then site.yml (converge),
site.yml again (idle re-run) and teardown.yml, each timed (wall) and costed (CPU of the whole process tree,
including async jobs: this process is their subreaper, so their CPU is counted when they end), with the requests
each made by kind from the endpoint's request log.

Real durations (bench/README.md, "How real durations are extrapolated"; the arithmetic in bench/extrapolate.py).
At a small time scale API Management's create (46 minutes on Azure) would end after a few local seconds, long
before the accounts, projects and deployments that at real durations run during it. So the converge holds the
create (the endpoint's POST /localazure/holds) until the play reaches its wait for the service, then releases it:
everything that does not need APIM has finished while the create was pending, whatever the machine's speed, and
what follows the release is the tail that APIM's create cannot hide. The tail is extrapolated by itself (its
machine work as measured, its pending operations / time scale). The teardown likewise holds the service's delete
until the play waits for it (the projects', accounts' and workspace's deletes run while it is pending), then its
purge likewise (the resource group's delete runs beside it).

    .venv/bin/python bench/converge.py [--hosts 1,16,64] [--time-scale 0.002]
"""
from __future__ import annotations

import argparse
import collections
import ctypes
import json
import os
import resource
import sqlite3
import ssl
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

import benchlib  # noqa: E402  pylint: disable=wrong-import-position
import extrapolate  # noqa: E402  pylint: disable=wrong-import-position

PR_SET_CHILD_SUBREAPER = 36
# Seconds a wait's banner waits for the operation it awaits to be caught by its hold (an async job's module start).
HELD_PATIENCE = 120
APIM_SERVICE_TYPE = "Microsoft.ApiManagement/service"
# The play's wait for the service (roles/apim/tasks/wait.yml): every task before it does not need APIM.
APIM_WAIT_TASK = "Waiting for API Management to finish provisioning"
APIM_CREATE_HOLD = {"type": APIM_SERVICE_TYPE, "operation": "put"}
# The tasks that launch the async jobs sending the create, the delete and the purge (roles/apim/tasks/service.yml,
# roles/teardown/tasks/main.yml).
APIM_CREATE_TASK = "Start API Management (an async job"
APIM_DELETE_TASK = "Start deleting API Management (an async job)"
APIM_PURGE_TASK = "Start purging the soft-deleted API Management service (an async job)"
# The teardown's waits for the service's delete and then its purge (roles/teardown/tasks/main.yml): everything
# before each runs meanwhile.
APIM_DELETE_WAIT_TASK = "Wait for API Management's delete"
APIM_DELETE_HOLD = {"type": APIM_SERVICE_TYPE, "operation": "delete"}
APIM_PURGE_WAIT_TASK = "Wait for API Management's purge"
APIM_PURGE_HOLD = {"type": "Microsoft.ApiManagement/locations/deletedservices", "operation": "purge"}


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


def control(endpoint, method, path, body=None):
    """A call to the endpoint's control API (no token), TLS verified against its CA."""
    request = urllib.request.Request(endpoint.info["arm_endpoint"] + path, method=method,
                                     data=None if body is None else json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json"})
    context = ssl.create_default_context(cafile=endpoint.info["ca_bundle"])
    with urllib.request.urlopen(request, context=context, timeout=30) as answer:
        return json.loads(answer.read() or b"null")


def playbook(name, endpoint, extra, log, on_line=None):
    """Run one playbook; ``on_line(line)`` sees its output as it comes (the converge releases APIM's create)."""
    mark = len(log.lines())
    command = [str(Path(sys.executable).parent / "ansible-playbook"), "playbooks/" + name,
               "-e", "aigw_local_state_dir=%s" % endpoint.state_dir, "-e", "aigw_local_keep_endpoint=true",
               "-e", "aigw_local_time_scale=%s" % endpoint.time_scale,
               "-e", "aigw_outputs_file=%s" % (endpoint.state_dir / "outputs.json"), "-e", "@%s" % extra]
    # ansible.cfg hides skipped hosts, and the default callback then prints a task's banner only with its first
    # result: the banner of the wait for APIM's held create would never come, and the hold never be released.
    env = dict(os.environ, ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"), ANSIBLE_STDOUT_CALLBACK="default",
               ANSIBLE_DISPLAY_SKIPPED_HOSTS="True", PYTHONUNBUFFERED="1")
    started_at, before, started = time.time(), child_cpu(), time.perf_counter()
    output = []
    with subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True) as proc:
        for line in proc.stdout:
            output.append(line)
            if on_line:
                on_line(line)
    wall = time.perf_counter() - started
    # Kept with the endpoint's state for a look at the tasks afterwards (the tasks print no secrets).
    (endpoint.state_dir / ("%s-%d.out" % (name, int(started_at)))).write_text("".join(output))
    reap_orphans(keep={endpoint.server_pid()})
    cpu = child_cpu() - before
    if proc.returncode != 0:
        raise SystemExit("%s failed:\n%s" % (name, "".join(output)[-4000:]))
    entries = log.entries(mark)
    return {"wall_s": round(wall, 1), "cpu_s": round(cpu, 1), "window": (started_at, started_at + wall),
            "requests": dict(collections.Counter(entry["kind"] for entry in entries)), "entries": entries}


def held_run(endpoint, extra, name, stages):
    """A playbook with API Management's long operations held on the endpoint one after another: ``stages`` are
    (hold, launch task, wait task); each hold is set before the operation starts, the moment the play reaches the
    task that launches it is noted (this machine's clock), and the hold is released when the play reaches its wait
    for it (see the module docstring); the next stage's hold is set then. Returns the run and, per stage, the held
    operation as released with its ``launched_at``."""
    pending = list(stages)
    released, launched = [], {}
    control(endpoint, "POST", "/localazure/holds", pending[0][0])

    def follow(line):
        if not line.startswith("TASK ["):
            return
        for index, (_, launch_task, _) in enumerate(stages):
            if launch_task in line and index not in launched:
                launched[index] = time.time()
        if pending and pending[0][2] in line:
            # The wait may come right after the task that launches the operation (the purge): its async job's
            # module may not have sent the request yet. Release once the hold has caught it.
            deadline = time.monotonic() + HELD_PATIENCE
            while not control(endpoint, "GET", "/localazure/holds")["held"] and time.monotonic() < deadline:
                time.sleep(0.2)
            released.append(control(endpoint, "DELETE", "/localazure/holds")["released"])
            pending.pop(0)
            if pending:
                control(endpoint, "POST", "/localazure/holds", pending[0][0])
    try:
        run = playbook(name, endpoint, extra, endpoint.log, on_line=follow)
    finally:
        if pending:
            control(endpoint, "DELETE", "/localazure/holds")
    if len(released) != len(stages) or any(len(ops) != 1 for ops in released):
        raise SystemExit("%s: expected one held operation per stage %r, released: %r" % (name, stages, released))
    return run, [dict(ops[0], launched_at=launched.get(index)) for index, ops in enumerate(released)]


def operations(endpoint, clock_offset):
    """Every long-running operation the endpoint started: kind, resource id, start and due, in this machine's
    epoch seconds. The endpoint's clock runs ``clock_offset`` ahead (verify's proofs move it forward instead of
    waiting for a rate window); a run's operations all start at one offset, as its proofs come last and write
    nothing to Resource Manager."""
    uri = "file:%s?mode=ro" % (endpoint.state_dir / "state.db")
    with sqlite3.connect(uri, uri=True) as db:
        found = [json.loads(row[0]) for row in db.execute("SELECT data FROM operations")]
    moved = ("started", "due", "scheduled_due")
    return [dict(op, **{key: op[key] - clock_offset for key in moved if op.get(key) is not None}) for op in found]


def clock_offset(endpoint):
    return control(endpoint, "GET", "/localazure/clock")["offset_seconds"]


def resources_of(state_dir):
    uri = "file:%s?mode=ro" % (Path(state_dir) / "state.db")
    with sqlite3.connect(uri, uri=True) as db:
        return db.execute("SELECT COUNT(*) FROM resources").fetchone()[0]


def bench_hosts(hosts, time_scale, workdir):
    with benchlib.LocalAzure(time_scale=time_scale) as endpoint:
        extra = host_vars(hosts, workdir)
        converge_offset = clock_offset(endpoint)
        converge, [held_create] = held_run(endpoint, extra, "site.yml", [
            (APIM_CREATE_HOLD, APIM_CREATE_TASK, APIM_WAIT_TASK)])
        ops = operations(endpoint, converge_offset)
        apim_op = next(op for op in ops if op["id"] == held_create["id"])
        critical = extrapolate.converge_critical_path(converge["window"], ops, apim_op, time_scale,
                                                      held_create["launched_at"])
        critical["proofs_clock_moved_s"] = round(clock_offset(endpoint) - converge_offset, 1)
        resources = resources_of(endpoint.state_dir)
        idle = playbook("site.yml", endpoint, extra, endpoint.log)
        teardown_offset = clock_offset(endpoint)
        teardown, (held_delete, held_purge) = held_run(endpoint, extra, "teardown.yml", [
            (APIM_DELETE_HOLD, APIM_DELETE_TASK, APIM_DELETE_WAIT_TASK),
            (APIM_PURGE_HOLD, APIM_PURGE_TASK, APIM_PURGE_WAIT_TASK)])
        ops = dict((op["id"], op) for op in operations(endpoint, teardown_offset))
        inside = [op for op in ops.values() if teardown["window"][0] <= op["started"] < teardown["window"][1]]
        teardown_split = extrapolate.teardown_critical_path(teardown["window"], inside, ops[held_delete["id"]],
                                                            ops[held_purge["id"]], time_scale,
                                                            held_delete["launched_at"])
    reads = idle["requests"].get("read", 0)
    return {
        "hosts": hosts, "commit": benchlib.commit(), "measured": benchlib.measured_on(), "load_average": round(os.getloadavg()[0], 1),
        "converge": dict({"wall_s": converge["wall_s"], "cpu_s": converge["cpu_s"],
                          "requests": converge["requests"]}, **critical),
        "idle_rerun": {"wall_s": idle["wall_s"], "cpu_s": idle["cpu_s"], "requests": idle["requests"],
                       "resources": resources, "reads_per_resource": round(reads / max(1, resources), 2)},
        "teardown": dict({"wall_s": teardown["wall_s"], "cpu_s": teardown["cpu_s"],
                          "requests": teardown["requests"]}, **teardown_split),
    }


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--hosts", default="1,16,64")
    parser.add_argument("--time-scale", type=float, default=0.002)
    options = parser.parse_args()
    become_subreaper()
    benchlib.run_sizes("converge", options.hosts, options.time_scale, bench_hosts)


if __name__ == "__main__":
    main()
