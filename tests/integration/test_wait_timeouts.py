"""Every wait of site.yml has a setting (`aigw_wait_timeout`, documented in README) and fails naming the resource and
the time waited.  The endpoint holds the operation (`/localazure/holds`): it never finishes whatever the machine's
speed, so the wait expires on its own bound, never by a race with the endpoint's timers."""
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.integration.test_playbooks import ROOT, TIME_SCALE, Playbooks
from tests.reliability.harness import Endpoint

# A wait that ignores its setting keeps the play silent for the role's default (30 to 60 minutes): the test gives up
# long before, and that is a failure too.
GIVE_UP_AFTER = 240
# Every wait of the run gets this bound, the unheld ones too: it must be far above what an unheld operation takes on
# a loaded machine (3 s failed a workspace create under a full .ci/run), and far below GIVE_UP_AFTER.
WAIT = 30


def run_site_held(tmp_path, hold_type):
    endpoint = Endpoint(tmp_path)
    playbooks = Playbooks(tmp_path)
    try:
        endpoint.control("POST", "/localazure/holds", {"type": hold_type, "operation": "put"})
        command = [str(Path(sys.executable).parent / "ansible-playbook"), "playbooks/site.yml",
                   "-e", "aigw_local_state_dir=%s" % tmp_path, "-e", "aigw_local_time_scale=%s" % TIME_SCALE,
                   "-e", "aigw_local_keep_endpoint=true",
                   "-e", "aigw_outputs_file=%s" % playbooks.outputs_file, "-e", "aigw_wait_timeout=%d" % WAIT]
        try:
            proc = subprocess.run(command, cwd=ROOT, env=playbooks.env, capture_output=True, text=True,
                                  timeout=GIVE_UP_AFTER)
        except subprocess.TimeoutExpired:
            pytest.fail("site.yml was still waiting for the held %s after %d s with aigw_wait_timeout=%d"
                        % (hold_type, GIVE_UP_AFTER, WAIT))
        assert proc.returncode != 0, proc.stdout[-3000:]
        return proc.stdout + proc.stderr
    finally:
        endpoint.stop()


def still_running(output, kind, name):
    """The failure of the wait for ``kind`` ``name`` in the play's output (long lines folded back into one)."""
    text = " ".join(output.split())
    # A child resource may be named after its account (account/name), as a wait by listing names it.
    found = re.search(r"%s (\S+/)?%s\S* is still running after waiting (\d+) s \(wait_timeout=%d\)"
                      % (kind, re.escape(name), WAIT), text)
    assert found, output[-4000:]
    return text


def test_a_held_workspace_create_fails_naming_the_workspace_and_the_wait(tmp_path):
    output = run_site_held(tmp_path, "Microsoft.OperationalInsights/workspaces")
    still_running(output, "workspace", "workspace-")


def test_a_held_deployment_fails_naming_the_deployment_not_timeout_exceeded(tmp_path):
    output = run_site_held(tmp_path, "Microsoft.CognitiveServices/accounts/deployments")
    text = still_running(output, "deployment", "gpt-5.4-mini")
    assert "Timeout exceeded" not in text
