"""SIGKILL of ansible-playbook at three moments of site.yml, and of the endpoint in the middle of a run; then
site.yml re-converges to the same resources: no duplicate, no orphan, and a further run changes nothing.

The moments are points of progress, read from the endpoint's request log (the first write of a kind), never a
number of seconds: the test does not depend on the machine's speed.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.reliability.harness import ROOT, TIME_SCALE, Endpoint, Playbooks, arm_clients

# The moment -> the first request that marks it.
MOMENTS = [
    ("API Management create sent", re.compile(r"^PUT .*/providers/Microsoft\.ApiManagement/service/[^/]+$", re.I)),
    ("model deployments being written", re.compile(r"^PUT .*/accounts/[^/]+/deployments/", re.I)),
    ("gateway policy being written", re.compile(r"^PUT .*/service/[^/]+/apis/[^/]+/policies/", re.I)),
]
ENDPOINT_MOMENT = ("endpoint killed while the connection is written",
                   re.compile(r"^PUT .*/accounts/[^/]+/connections/", re.I))


def start_site(playbooks):
    command = [str(Path(sys.executable).parent / "ansible-playbook"), "playbooks/site.yml",
               "-e", "aigw_local_state_dir=%s" % playbooks.state_dir, "-e", "aigw_local_time_scale=%s" % TIME_SCALE,
               "-e", "aigw_local_keep_endpoint=true",
               "-e", "aigw_outputs_file=%s" % playbooks.outputs_file]
    return subprocess.Popen(command, cwd=ROOT, env=playbooks.env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)


def wait_for_request(endpoint, since, pattern, process):
    """Follow the request log until a request after ``since`` matches; fails if the playbook ends first."""
    while True:
        for entry in endpoint.requests_logged()[since:]:
            if pattern.search("%s %s" % (entry["method"], entry["path"])):
                return
        assert process.poll() is None, "site.yml ended before the moment %s" % pattern.pattern
        time.sleep(0.2)   # polling the log only; what is awaited is a request, not a duration


def suffix(subscription_id, resource_group):
    return hashlib.sha256(("%s/%s" % (subscription_id, resource_group)).encode()).hexdigest()[:13]


def inventory(info, resource_group):
    """What site.yml made, by name: accounts with their deployments and projects, the APIM service."""
    _resources, cognitive, apim = arm_clients(info)
    found = {}
    for account in cognitive.accounts.list_by_resource_group(resource_group):
        found[account.name] = sorted(d.name for d in cognitive.deployments.list(resource_group, account.name)) + \
            sorted("project " + p.name.split("/")[-1] for p in cognitive.projects.list(resource_group, account.name))
    for service in apim.api_management_service.list_by_resource_group(resource_group):
        found[service.name] = sorted(b.name for b in apim.backend.list_by_service(resource_group, service.name))
    return found


def test_killed_runs_reconverge_to_the_same_resources(tmp_path, figures):
    endpoint = Endpoint(tmp_path)
    playbooks = Playbooks(tmp_path)
    try:
        for moment, pattern in MOMENTS:
            mark = len(endpoint.requests_logged())
            process = start_site(playbooks)
            wait_for_request(endpoint, mark, pattern, process)
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
            figures.add("SIGKILL", "ansible-playbook: %s" % moment, "killed", "")

        mark = len(endpoint.requests_logged())
        process = start_site(playbooks)
        wait_for_request(endpoint, mark, ENDPOINT_MOMENT[1], process)
        os.kill(endpoint.info["pid"], signal.SIGKILL)
        # The endpoint comes back on its port (as a restarted service would) while the run goes on or fails.
        endpoint = Endpoint(tmp_path)
        process.wait(timeout=900)
        figures.add("SIGKILL", ENDPOINT_MOMENT[0], "killed, restarted",
                    "the interrupted run ended with rc=%s" % process.returncode)

        if process.returncode != 0:   # the run that lost its endpoint did not converge by itself: re-run
            playbooks.run("site.yml")
        mark = len(endpoint.requests_logged())
        again = playbooks.run("site.yml")
        assert again["changed"] == 0, again["output"][-6000:]
        assert playbooks.writes_since(mark) == []

        info = endpoint.info
        resource_group = json.loads(playbooks.outputs_file.read_text())["resource_group"]
        name = suffix(info["subscription_id"], resource_group)
        expected = {"models-foundry-%s" % name: ["gpt-5.4-mini", "gpt-5.4-nano"],
                    "agents-foundry-%s" % name: ["project foundry-project"],
                    "apim-%s" % name: ["models-foundry"]}
        assert inventory(info, resource_group) == expected
        resources, _cognitive, _apim = arm_clients(info)
        assert [group.name for group in resources.resource_groups.list()] == [resource_group]
        figures.add("SIGKILL", "re-converge after 4 kills", "same resources, second run changed 0 and wrote 0",
                    ", ".join(sorted(expected)))
    finally:
        endpoint.stop()
