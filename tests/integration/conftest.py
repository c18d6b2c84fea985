"""Integration tests: our modules, run as Ansible runs them, against the local Azure endpoint.

Fixtures:
  endpoint        dict of the started endpoint's endpoint.json (session-wide, own state dir)
  azure_env       environment variables that point the modules at it (exactly what a user sets for Azure:
                  endpoint URL, authority, CA bundle, service principal, subscription)
  run_module      run_module(name, args, check=False, diff=False, expect_failure=False) -> result dict;
                  the module runs in a subprocess from its argument file, as Ansible executes it
  request_log     request_log.mark() -> position; request_log.writes(since) -> write requests after it
  resource_group  a fresh resource group name created for the test (deleted afterwards)
  converged_sites converged_sites.copy(state_dir, *extra) -> Playbooks on a copy of site.yml converged with those
                  extra arguments, its endpoint started (tests/integration/converged.py): one converge per
                  configuration in the whole run, for tests whose assertions are about what they do after it

Tests that run playbooks go first (tests/scheduling.py), so no long file is left to one worker at the end.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

# The fixture, shared with reliability: imported for pytest to find, never named here.
from tests.integration.converged import converged_sites  # noqa: F401 pylint: disable=unused-import
from tests.scheduling import longest_first

ROOT = Path(__file__).resolve().parents[2]
COLLECTIONS = ROOT / ".collections"
# Long-running operations take their realistic Azure durations times this (APIM create ~2400 s -> ~0.5 s).
TIME_SCALE = os.environ.get("LOCALAZURE_TEST_TIME_SCALE", "0.0002")


def pytest_collection_modifyitems(items):
    longest_first(items)


@pytest.fixture(scope="session")
def endpoint(tmp_path_factory):
    state_dir = tmp_path_factory.mktemp("localazure")
    subprocess.run([sys.executable, "-m", "localazure", "start", "--state-dir", str(state_dir),
                    "--time-scale", TIME_SCALE], cwd=ROOT, check=True)
    info = json.loads((state_dir / "endpoint.json").read_text())
    info["state_dir"] = str(state_dir)
    yield info
    subprocess.run([sys.executable, "-m", "localazure", "stop", "--state-dir", str(state_dir)], cwd=ROOT,
                   check=False)
    problems = conformance_problems(state_dir / "requests.jsonl")
    assert not problems, "requests or responses that break Microsoft's definitions:\n" + "\n".join(problems)


def conformance_problems(log_path):
    """Every conformance finding the endpoint logged while our modules ran: a body that breaks Microsoft's
    definitions, a type without definitions, or a request the endpoint did not check at all."""
    problems = []
    for line in log_path.read_text().splitlines() if log_path.exists() else []:
        entry = json.loads(line)
        findings = entry.get("conformance") or []
        if isinstance(findings, str):   # "off": the endpoint ran without its definitions
            findings = [f"not checked (conformance {findings})"]
        for finding in findings:
            problems.append("%s %s -> %s: %s" % (entry["method"], entry["path"], entry["status"], finding))
    return sorted(set(problems))


@pytest.fixture(scope="session")
def azure_env(endpoint, tmp_path_factory):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AZURE_", "REQUESTS_CA_BUNDLE"))}
    env.update(
        # The modules' token cache (plugins/module_utils/token_cache.py): the session's own, not the user's.
        XDG_CACHE_HOME=str(tmp_path_factory.mktemp("cache")),
        AZURE_ARM_ENDPOINT=endpoint["arm_endpoint"],
        AZURE_AUTHORITY_HOST=endpoint["authority_host"],
        AZURE_CA_BUNDLE=endpoint["ca_bundle"],
        AZURE_CLIENT_ID=endpoint["client_id"],
        AZURE_SECRET=endpoint["client_secret"],
        AZURE_TENANT=endpoint["tenant_id"],
        AZURE_SUBSCRIPTION_ID=endpoint["subscription_id"],
        NO_PROXY="127.0.0.1,localhost",
        PYTHONPATH=str(COLLECTIONS),
    )
    return env


class ModuleRunner:
    def __init__(self, env, workdir):
        self.env = env
        self.workdir = workdir

    def __call__(self, name, args, check=False, diff=False, expect_failure=False, env=None):
        module_args = dict(args)
        module_args.update(_ansible_check_mode=check, _ansible_diff=diff)
        args_file = self.workdir / ("args-%s.json" % uuid.uuid4().hex)
        args_file.write_text(json.dumps({"ANSIBLE_MODULE_ARGS": module_args}))
        run_env = dict(self.env, **(env or {}))
        proc = subprocess.run(
            [sys.executable, "-m", "ansible_collections.aigateway.foundry.plugins.modules." + name, str(args_file)],
            env=run_env, cwd=self.workdir, capture_output=True, text=True, timeout=600)
        try:
            result = json.loads(proc.stdout)
        except ValueError:
            raise AssertionError("module %s printed no JSON (rc=%s):\nstdout: %s\nstderr: %s"
                                 % (name, proc.returncode, proc.stdout, proc.stderr))
        failed = bool(result.get("failed"))
        if failed != expect_failure:
            raise AssertionError("module %s %s: %s" % (name, "failed" if failed else "did not fail",
                                                       json.dumps(result, indent=1)[:4000]))
        assert "Traceback" not in proc.stderr, proc.stderr
        result["_stdout"] = proc.stdout
        return result


@pytest.fixture(scope="session")
def run_module(azure_env, tmp_path_factory):
    return ModuleRunner(azure_env, tmp_path_factory.mktemp("modules"))


class RequestLog:
    WRITES = ("PUT", "PATCH", "DELETE", "POST")

    def __init__(self, path):
        self.path = Path(path)

    def entries(self):
        if not self.path.exists():
            return []
        return [json.loads(line) for line in self.path.read_text().splitlines() if line.strip()]

    def mark(self):
        return len(self.entries())

    def since(self, mark):
        return self.entries()[mark:]

    def writes(self, mark):
        return [e for e in self.since(mark) if e.get("kind") == "write"]

    def non_conforming(self, mark, namespace=""):
        """Requests after ``mark`` (of one namespace) the endpoint found not to match Microsoft's definitions."""
        return [(e["method"], e["path"], e["conformance"]) for e in self.since(mark)
                if e.get("conformance") and namespace.lower() in e["path"].lower()]


@pytest.fixture(scope="session")
def request_log(endpoint):
    return RequestLog(Path(endpoint["state_dir"]) / "requests.jsonl")


@pytest.fixture(scope="module")
def apim(run_module):
    """An activated API Management service (Standardv2) in its own resource group, shared by a test module."""
    rg = "rg-it-%s" % uuid.uuid4().hex[:8]
    service = "apim-it-%s" % uuid.uuid4().hex[:8]
    run_module("resource_group", {"name": rg, "location": "swedencentral"})
    run_module("apim_service", {"resource_group": rg, "name": service, "sku_name": "Standardv2",
                                "publisher_email": "ops@example.com", "publisher_name": "Ops"})
    yield {"resource_group": rg, "service": service}
    run_module("apim_service", {"resource_group": rg, "name": service, "state": "absent", "purge": True})
    run_module("resource_group", {"name": rg, "state": "absent"})


@pytest.fixture
def resource_group(run_module):
    name = "rg-it-%s" % uuid.uuid4().hex[:8]
    run_module("resource_group", {"name": name, "location": "swedencentral"})
    yield name
    run_module("resource_group", {"name": name, "state": "absent"})
