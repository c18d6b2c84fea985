"""site.yml with less model quota than its deployments ask (set through the endpoint's /localazure/quota): the run
stops in preflight naming each shortfall (model, version, SKU, region, asked vs free) before any resource is
written. Its own endpoint."""
from __future__ import annotations

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


def test_site_stops_in_preflight_naming_the_shortfall_before_any_write(tight):
    endpoint = tight.endpoint()
    # The lab deploys gpt-4o-mini and gpt-4.1-mini, GlobalStandard, capacity 10 each, in swedencentral.
    answer = requests.post(endpoint["arm_endpoint"] + "/localazure/quota", json={
        "location": "swedencentral", "limits": {"OpenAI.GlobalStandard.gpt-4.1-mini": 4}},
        verify=endpoint["ca_bundle"], timeout=30)
    answer.raise_for_status()
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
