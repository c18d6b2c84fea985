"""The idle re-run of site.yml in local mode: wall time and the requests it makes.

A second converge with nothing to change must only read. This provisions once in a fresh state dir, then times
a second run and counts its requests by kind from the endpoint's request log (reads, writes, polls, tokens). It
asserts nothing: it prints numbers and writes bench/results/idle_rerun.json, then tears down.

    .venv/bin/python bench/idle_rerun.py
"""
from __future__ import annotations

import collections
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def playbook(name, state_dir):
    env = dict(os.environ, ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"), ANSIBLE_STDOUT_CALLBACK="default")
    started = time.perf_counter()
    subprocess.run([str(Path(sys.executable).parent / "ansible-playbook"), "playbooks/" + name,
                    "-e", "aigw_local_state_dir=" + state_dir], cwd=ROOT, env=env, check=True,
                   stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def log_lines(state_dir):
    path = Path(state_dir) / "requests.jsonl"
    return path.read_text().splitlines() if path.exists() else []


def main():
    state_dir = tempfile.mkdtemp(prefix="bench-site-")
    try:
        first = playbook("site.yml", state_dir)
        mark = len(log_lines(state_dir))
        second = playbook("site.yml", state_dir)
        kinds = collections.Counter(json.loads(line)["kind"] for line in log_lines(state_dir)[mark:])
        results = {"first_run_s": round(first, 1), "idle_rerun_s": round(second, 1),
                   "idle_rerun_requests": dict(kinds)}
        print(json.dumps(results, indent=2))
        out = ROOT / "bench" / "results"
        out.mkdir(exist_ok=True)
        (out / "idle_rerun.json").write_text(json.dumps(results, indent=2) + "\n")
    finally:
        playbook("teardown.yml", state_dir)
        subprocess.run([sys.executable, "-m", "localazure", "stop", "--state-dir", state_dir], cwd=ROOT,
                       stdout=subprocess.DEVNULL, check=False)


if __name__ == "__main__":
    main()
