"""Converged sites shared by the whole test run: site.yml converges once per distinct set of extra arguments, and
each test that only needs a converged site to start from gets a copy of that endpoint's state dir, with an endpoint
of its own started on it.

A converge of site.yml is the suite's dominant cost (minutes on a busy 2-core machine); many tests converge the same
configuration only as their starting point and assert on what they do afterwards. A test whose assertions are about
the converge itself may read the converge's result and request log from its copy (both are the converge's own); one
that asserts on what else a converge leaves (files outside the state dir, its async jobs) runs site.yml itself.

The snapshot is made once per run, even under pytest-xdist: the workers share pytest's base temp folder, and the
first worker to need a configuration converges it under a file lock while the others wait for it. The snapshot's
endpoint is stopped before it is copied (its database closed), so each copy starts from a consistent state; the copy
holds everything the converge left (database, request log, identity, certificates, outputs file, the
started-by-playbook mark) and the endpoint's clock (clock.json: its endpoint goes on from where the converge left
the clock), so a test sees what it would have seen after its own converge. Only the endpoint's
port and folder differ: the copy's endpoint listens on a port of its own, and the outputs file's local URLs and CA
bundle path (which name the port and the state dir site.yml's endpoint had) are rewritten to the copy's, as
site.yml would have written them on that endpoint.
"""
from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.integration.test_playbooks import ROOT, TIME_SCALE, Playbooks, stop_endpoint

# Files of a live endpoint that a copy must not inherit: its process id (the copy's endpoint writes its own).
NOT_COPIED = ("server.pid",)


def shared_root(tmp_path_factory) -> Path:
    """The folder every xdist worker of this run sees (pytest's base temp of the run), or the session's own."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


def clock_control(endpoint: dict, body: dict | None = None) -> dict:
    """The endpoint's clock (GET /localazure/clock), moved forward first when ``body`` says so."""
    import requests

    answer = requests.request("POST" if body else "GET", endpoint["arm_endpoint"] + "/localazure/clock", json=body,
                              timeout=30, verify=endpoint["ca_bundle"])
    answer.raise_for_status()
    return answer.json()


class ConvergedSites:
    """site.yml converged once per configuration (its extra arguments); copies of it for the tests."""

    def __init__(self, root: Path):
        self.root = root / "converged-sites"
        self.root.mkdir(exist_ok=True)

    def snapshot(self, *extra) -> Path:
        """The state dir of an endpoint site.yml converged with ``extra`` (made on first use, then reused)."""
        key = hashlib.sha256(json.dumps(extra).encode()).hexdigest()[:16]
        snapshot = self.root / key
        with open(self.root / (key + ".lock"), "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if not (snapshot / "converged").exists():
                shutil.rmtree(snapshot, ignore_errors=True)   # a converge that failed half-way is not reused
                runner = Playbooks(snapshot)
                try:
                    result = runner.run("site.yml", *extra)
                finally:
                    stop_endpoint(snapshot)
                (snapshot / "converged").write_text(json.dumps({"extra": extra, "result": result}))
        return snapshot

    def copy(self, state_dir: Path, *extra) -> Playbooks:
        """A Playbooks runner on a copy of the converged site in ``state_dir`` (which must not exist or be empty),
        with its endpoint started; the caller stops it (stop_endpoint) when done. ``runner.converged`` is the
        converge's result (output, changed): a test may assert on it once, as on a converge of its own."""
        snapshot = self.snapshot(*extra)
        converged = json.loads((snapshot / "converged").read_text())
        old_base = "https://127.0.0.1:%d" % json.loads((snapshot / "endpoint.json").read_text())["port"]
        shutil.copytree(snapshot, state_dir, dirs_exist_ok=True,
                        ignore=lambda _folder, names: [n for n in names if n in NOT_COPIED + ("converged",)])
        subprocess.run([sys.executable, "-m", "localazure", "start", "--state-dir", str(state_dir),
                        "--time-scale", TIME_SCALE], cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
        runner = Playbooks(state_dir)
        runner.converged = converged["result"]   # what the converge printed and its changed count
        new_base = "https://127.0.0.1:%d" % runner.endpoint()["port"]
        if runner.outputs_file.exists():
            runner.outputs_file.write_text(runner.outputs_file.read_text().replace(old_base, new_base)
                                           .replace(str(snapshot.resolve()), str(Path(state_dir).resolve())))
        return runner


@pytest.fixture(scope="session")
def converged_sites(tmp_path_factory):
    """The run's converged sites (the integration and reliability conftests import this fixture)."""
    return ConvergedSites(shared_root(tmp_path_factory))
