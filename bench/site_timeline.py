"""site.yml and teardown.yml at a realistic time scale, for 1..N model hosts: wall time, requests, critical path.

Each topology runs in a fresh state dir of its own: site.yml (converge), site.yml again (idle re-run), teardown.yml.
From the endpoint's request log it counts requests by kind, the idle re-run's reads per resource, and splits the
converge around API Management's create: the time before its PUT, the create itself (PUT until the first write to
one of its children, the moment the run noticed it had finished) and the time after. It asserts nothing.

    .venv/bin/python bench/site_timeline.py --hosts 1 4 --time-scale 0.01
"""
from __future__ import annotations

import argparse
import collections
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SERVICE_PUT = re.compile(r"/providers/Microsoft\.ApiManagement/service/[^/]+$", re.I)
SERVICE_CHILD = re.compile(r"/providers/Microsoft\.ApiManagement/service/[^/]+/.+", re.I)


def topology(hosts):
    """N model hosts, each deploying the lab's models; the first keeps the lab's backend name."""
    return {"aigw_model_hosts": [
        {"name": "models-%d-{{ aigw_name_suffix }}" % index, "backend": "models-%d" % index, "priority": 1,
         "weight": 10, "deployments": "{{ aigw_models }}"} for index in range(hosts)]}


def cpu_children():
    usage = os.times()
    return usage.children_user + usage.children_system


def playbook(name, state_dir, time_scale, extra):
    env = dict(os.environ, ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"), ANSIBLE_STDOUT_CALLBACK="default",
               NO_PROXY="127.0.0.1,localhost")
    command = [str(Path(sys.executable).parent / "ansible-playbook"), "playbooks/" + name,
               "-e", "aigw_local_state_dir=" + state_dir, "-e", "aigw_local_keep_endpoint=true",
               "-e", "aigw_local_time_scale=%s" % time_scale,
               "-e", "aigw_outputs_file=%s/outputs.json" % state_dir, "-e", json.dumps(extra)]
    cpu, started = cpu_children(), time.perf_counter()
    proc = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    if proc.returncode:
        sys.exit("%s failed:\n%s" % (name, (proc.stdout + proc.stderr)[-6000:]))
    return round(time.perf_counter() - started, 1), round(cpu_children() - cpu, 1)


def entries(state_dir):
    path = Path(state_dir) / "requests.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()] if path.exists() else []


def seconds(entry):
    return datetime.strptime(entry["time"], "%Y-%m-%dT%H:%M:%SZ").timestamp()


def apim_split(log):
    """(before the service PUT, the create until the run noticed it, after) in seconds of the request log."""
    arm = [e for e in log if e["kind"] in ("read", "write")]
    put = next(e for e in arm if e["method"] == "PUT" and SERVICE_PUT.search(e["path"]))
    child = next(e for e in arm if e["kind"] == "write" and SERVICE_CHILD.search(e["path"])
                 and seconds(e) >= seconds(put))
    start, end = seconds(arm[0]), seconds(log[-1])
    return seconds(put) - start, seconds(child) - seconds(put), end - seconds(child)


def resource_of(path):
    """The resource a request reads: its path without the query and the operation-status tail."""
    return re.sub(r"/(operationresults|operationstatuses|operations)/.*$", "", path.split("?")[0], flags=re.I)


def run(hosts, time_scale):
    state_dir = tempfile.mkdtemp(prefix="bench-timeline-")
    extra = topology(hosts)
    try:
        converge = playbook("site.yml", state_dir, time_scale, extra)
        converge_log = entries(state_dir)
        mark = len(converge_log)
        idle = playbook("site.yml", state_dir, time_scale, extra)
        idle_log = entries(state_dir)[mark:]
        mark += len(idle_log)
        teardown = playbook("teardown.yml", state_dir, time_scale, extra)
        teardown_log = entries(state_dir)[mark:]
    finally:
        subprocess.run([sys.executable, "-m", "localazure", "stop", "--state-dir", state_dir], cwd=ROOT,
                       stdout=subprocess.DEVNULL, check=False)
    before, create, after = apim_split(converge_log)
    reads = collections.Counter(resource_of(e["path"]) for e in idle_log if e["kind"] == "read")
    return {
        "hosts": hosts, "time_scale": time_scale,
        "converge_wall_s": converge[0], "converge_cpu_s": converge[1],
        "converge_requests": dict(collections.Counter(e["kind"] for e in converge_log)),
        "apim_split_s": {"before_put": before, "create_until_noticed": create, "after": after},
        "idle_wall_s": idle[0], "idle_cpu_s": idle[1],
        "idle_requests": dict(collections.Counter(e["kind"] for e in idle_log)),
        "idle_reads_read_more_than_once": {path: n for path, n in reads.items() if n > 1},
        "teardown_wall_s": teardown[0], "teardown_cpu_s": teardown[1],
        "teardown_requests": dict(collections.Counter(e["kind"] for e in teardown_log)),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hosts", type=int, nargs="+", default=[1, 4])
    parser.add_argument("--time-scale", type=float, default=0.01)
    parser.add_argument("--output", default=None, help="also write the results as JSON to this file")
    args = parser.parse_args()
    results = [run(hosts, args.time_scale) for hosts in args.hosts]
    text = json.dumps(results, indent=2)
    print(text)
    if args.output:
        Path(args.output).write_text(text + "\n")


if __name__ == "__main__":
    main()
