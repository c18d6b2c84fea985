"""The README's "Local mode from Python" block, extracted and run as written after site.yml in local mode."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pytest

from tests.integration.test_playbooks import ROOT, stop_endpoint

SNIPPET = re.compile(r"<!-- BEGIN LOCAL SNIPPET -->\s*```python\n(.*?)```\s*<!-- END LOCAL SNIPPET -->", re.S)


def readme_snippet():
    found = SNIPPET.search((ROOT / "README.md").read_text())
    assert found, "README.md lost its local snippet markers"
    return found.group(1)


@pytest.fixture(scope="module")
def provisioned(tmp_path_factory, converged_sites):
    # a copy of the run's converged site.yml: the snippet runs after it
    runner = converged_sites.copy(tmp_path_factory.mktemp("snippet"))
    yield runner
    stop_endpoint(runner.state_dir)


def test_the_readme_snippet_runs_against_local_mode(provisioned, tmp_path):
    script = tmp_path / "snippet.py"
    script.write_text(readme_snippet())
    env = dict(provisioned.env, AIGW_OUTPUTS=str(provisioned.outputs_file),
               AIGW_LOCAL_STATE=str(provisioned.state_dir))
    proc = subprocess.run([sys.executable, str(script)], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    lines = dict(line.split(": ", 1) for line in proc.stdout.splitlines() if ": " in line)
    assert lines["chat"].strip() and lines["stream"].strip() and lines["agent"].strip()
    gateway_calls = [e for e in provisioned.requests_logged() if e.get("kind") == "gateway"]
    assert sum(1 for e in gateway_calls if e["status"] == 200) >= 6, "chat, stream and the agent went through it"
    secret = provisioned.endpoint()["client_secret"]
    assert secret not in proc.stdout and "local" in json.loads(provisioned.outputs_file.read_text())
    assert os.path.exists(provisioned.outputs_file)
