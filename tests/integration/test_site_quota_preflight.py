"""site.yml with less model quota than its deployments ask (set through the endpoint's /localazure/cognitiveservices/quota): the run
stops in preflight naming each shortfall (model, version, SKU, region, asked vs free) before any resource is
written. Its own endpoint."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest
import requests

from tests.integration.test_playbooks import ROOT, TIME_SCALE, Playbooks, arm_clients, stop_endpoint


@pytest.fixture(scope="module")
def tight(tmp_path_factory):
    runner = Playbooks(tmp_path_factory.mktemp("quota-preflight"))
    subprocess.run([sys.executable, "-m", "localazure", "start", "--state-dir", str(runner.state_dir),
                    "--time-scale", TIME_SCALE], cwd=ROOT, check=True, capture_output=True)
    yield runner
    stop_endpoint(runner.state_dir)


def limit_sweden_central(runner, limits):
    endpoint = runner.endpoint()
    answer = requests.post(endpoint["arm_endpoint"] + "/localazure/cognitiveservices/quota", json={
        "location": "swedencentral", "limits": limits}, verify=endpoint["ca_bundle"], timeout=30)
    answer.raise_for_status()
    return endpoint


def test_site_stops_in_preflight_naming_the_shortfall_before_any_write(tight):
    # The lab deploys gpt-4o-mini and gpt-4.1-mini, GlobalStandard, capacity 10 each, in swedencentral.
    endpoint = limit_sweden_central(tight, {"OpenAI.GlobalStandard.gpt-4.1-mini": 4})
    mark = len(tight.requests_logged())

    result = tight.run("site.yml", expect_failure=True)

    text = " ".join(result["output"].split())
    assert ("gpt-4.1-mini 2025-04-14 GlobalStandard in swedencentral: 10 capacity asked, 4 free (0 used of 4 in "
            "OpenAI.GlobalStandard.gpt-4.1-mini)") in text
    assert "Not enough model quota for models-foundry-" in text and "Preflight quota - stop before any write" in text
    assert "gpt-4o-mini 2024-07-18 GlobalStandard in swedencentral: 10 capacity asked" not in text
    # Registering the resource providers (a subscription setting the catalogue read needs) is the only write.
    writes = tight.writes_since(mark)
    assert [path for _, path in writes if not path.endswith("/register")] == []
    resources, cognitive, apim = arm_clients(endpoint)
    assert list(resources.resource_groups.list()) == []
    assert list(cognitive.accounts.list()) == [] and list(apim.api_management_service.list()) == []


def test_hosts_that_fit_one_by_one_but_not_together_stop_in_preflight(tight):
    """A region's quota is the subscription's, shared by its accounts: two hosts of 10 each do not fit in 15."""
    limit_sweden_central(tight, {"OpenAI.GlobalStandard.gpt-4.1-mini": 15})
    hosts = [{"name": "models-%d-{{ aigw_name_suffix }}" % index, "backend": "models-%d" % index, "priority": 1,
              "disable_local_auth": True, "deployments": "{{ aigw_models }}"} for index in (1, 2)]
    mark = len(tight.requests_logged())

    result = tight.run("site.yml", "-e", json.dumps({"aigw_model_hosts": hosts}), expect_failure=True)

    text = " ".join(result["output"].split())
    assert "Not enough model quota for models-2-" in text and "models-1-" not in text.split(
        "Not enough model quota for")[1].split(":")[0]
    assert ("gpt-4.1-mini 2025-04-14 GlobalStandard in swedencentral: 10 capacity asked, 5 free (0 used of 15 in "
            "OpenAI.GlobalStandard.gpt-4.1-mini)") in text
    writes = tight.writes_since(mark)
    assert [path for _, path in writes if not path.endswith("/register")] == []
    # One read of the region's catalogue and usages for both hosts.
    reads = [entry["path"] for entry in tight.requests_logged()[mark:] if entry["method"] == "GET"]
    assert len([path for path in reads if path.endswith("/locations/swedencentral/usages")]) == 1
