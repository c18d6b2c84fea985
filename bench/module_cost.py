"""Per-task cost of our modules, relative to ansible.builtin.ping.

Each task runs a module in a fresh Python process, hundreds of times per converge, so what a module imports and
does at start-up is paid every time. This runs modules exactly as Ansible does (python, the module, its argument
file) against the local endpoint, idle re-runs only (reads, no writes), and reports the CPU seconds (user+sys of
the child process) per run, and the ratio to ping. It asserts nothing: it prints numbers and writes
bench/results/module_cost.json.

    .venv/bin/python bench/module_cost.py [--runs N]
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def child_cpu():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_module(module, args, env, workdir):
    args_file = Path(workdir) / "args.json"
    args_file.write_text(json.dumps({"ANSIBLE_MODULE_ARGS": args}))
    before, started = child_cpu(), time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", module, str(args_file)], env=env, cwd=workdir,
                          capture_output=True, text=True)
    cpu, wall = child_cpu() - before, time.perf_counter() - started
    result = json.loads(proc.stdout)
    if result.get("failed") or result.get("changed"):
        raise SystemExit("%s did not run idle: %s" % (module, proc.stdout[:2000]))
    return cpu, wall


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=15)
    options = parser.parse_args()
    state_dir = tempfile.mkdtemp(prefix="bench-localazure-")
    subprocess.run([sys.executable, "-m", "localazure", "start", "--state-dir", state_dir, "--time-scale",
                    "0.0001"], cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    try:
        info = json.loads((Path(state_dir) / "endpoint.json").read_text())
        env = dict(os.environ, PYTHONPATH=str(ROOT / ".collections"), AZURE_ARM_ENDPOINT=info["arm_endpoint"],
                   AZURE_AUTHORITY_HOST=info["authority_host"], AZURE_CA_BUNDLE=info["ca_bundle"],
                   AZURE_CLIENT_ID=info["client_id"], AZURE_SECRET=info["client_secret"],
                   AZURE_TENANT=info["tenant_id"], AZURE_SUBSCRIPTION_ID=info["subscription_id"],
                   NO_PROXY="127.0.0.1,localhost")
        prefix = "ansible_collections.aigateway.foundry.plugins.modules."
        workdir = tempfile.mkdtemp(prefix="bench-modules-")
        rg = {"name": "rg-bench", "location": "swedencentral"}
        law = {"resource_group": "rg-bench", "name": "law-bench"}
        # Create once, so every measured run is an idle re-run (reads only).
        subprocess.run([sys.executable, "-m", prefix + "resource_group", _args(workdir, rg)], env=env,
                       check=True, capture_output=True)
        subprocess.run([sys.executable, "-m", prefix + "log_analytics_workspace", _args(workdir, law)], env=env,
                       check=True, capture_output=True)
        cases = [
            ("ansible.builtin.ping", "ansible.modules.ping", {}),
            ("resource_group (idle)", prefix + "resource_group", rg),
            ("log_analytics_workspace (idle)", prefix + "log_analytics_workspace", law),
        ]
        results = {}
        for label, module, args in cases:
            samples = [run_module(module, args, env, workdir) for _ in range(options.runs)]
            results[label] = {"cpu_s": statistics.median(s[0] for s in samples),
                              "wall_s": statistics.median(s[1] for s in samples)}
        ping = results["ansible.builtin.ping"]["cpu_s"]
        print("%-34s %10s %10s %8s" % ("module", "cpu s", "wall s", "x ping"))
        for label, numbers in results.items():
            numbers["x_ping"] = round(numbers["cpu_s"] / ping, 2)
            print("%-34s %10.3f %10.3f %8.2f" % (label, numbers["cpu_s"], numbers["wall_s"], numbers["x_ping"]))
        out = ROOT / "bench" / "results"
        out.mkdir(exist_ok=True)
        (out / "module_cost.json").write_text(json.dumps(results, indent=2) + "\n")
    finally:
        subprocess.run([sys.executable, "-m", "localazure", "stop", "--state-dir", state_dir], cwd=ROOT,
                       stdout=subprocess.DEVNULL)


def _args(workdir, args):
    path = Path(workdir) / "setup-args.json"
    path.write_text(json.dumps({"ANSIBLE_MODULE_ARGS": args}))
    return str(path)


if __name__ == "__main__":
    main()
