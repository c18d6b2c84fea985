"""site.yml with less model quota than its deployments ask (set through the endpoint's /localazure/cognitiveservices/quota): the run
stops in preflight naming each shortfall (model, version, SKU, region, asked vs free) before any resource is
written. Its own endpoint, whose clock starts on CLOCK_START: retirement dates are judged on the date Azure answers
with (the catalogue's Date header), so these tests never depend on the machine's date. The tests run in file order
(the clock only moves forward: the retirement test moves it past gpt-4o-mini's date last)."""
from __future__ import annotations

import datetime
import email.utils
import json
import subprocess
import sys

import pytest
import requests

from tests.integration.test_playbooks import ROOT, TIME_SCALE, Playbooks, arm_clients, stop_endpoint


# A day before gpt-4o-mini 2024-07-18 and the gpt-4.1 family retire (2027-04-14 in the endpoint's catalogue,
# Learn's model retirement schedule); the lab's gpt-5.4 models retire later (2027-09-21).
CLOCK_START = "2027-04-13T00:00:00Z"
RETIRES = datetime.datetime(2027, 4, 14, tzinfo=datetime.timezone.utc)


@pytest.fixture(scope="module")
def tight(tmp_path_factory):
    runner = Playbooks(tmp_path_factory.mktemp("quota-preflight"))
    subprocess.run([sys.executable, "-m", "localazure", "start", "--state-dir", str(runner.state_dir),
                    "--time-scale", TIME_SCALE, "--clock-start", CLOCK_START], cwd=ROOT, check=True,
                   capture_output=True)
    yield runner
    stop_endpoint(runner.state_dir)


STOPPED = "Not enough model quota, region capacity or a deployable model version for "


def limit_sweden_central(runner, limits):
    endpoint = runner.endpoint()
    answer = requests.post(endpoint["arm_endpoint"] + "/localazure/cognitiveservices/quota", json={
        "location": "swedencentral", "limits": limits}, verify=endpoint["ca_bundle"], timeout=30)
    answer.raise_for_status()
    return endpoint


def test_site_stops_in_preflight_naming_the_shortfall_before_any_write(tight):
    # The lab deploys gpt-5.4-mini and gpt-5.4-nano, GlobalStandard, capacity 10 each, in swedencentral.
    endpoint = limit_sweden_central(tight, {"OpenAI.GlobalStandard.gpt-5.4-nano": 4})
    mark = len(tight.requests_logged())

    result = tight.run("site.yml", expect_failure=True)

    text = " ".join(result["output"].split())
    assert ("gpt-5.4-nano 2026-03-17 GlobalStandard in swedencentral: 10 capacity asked, 4 free (0 used of 4 in "
            "OpenAI.GlobalStandard.gpt-5.4-nano)") in text
    assert STOPPED + "models-foundry-" in text and "Preflight quota - stop before any write" in text
    assert "gpt-5.4-mini 2026-03-17 GlobalStandard in swedencentral: 10 capacity asked" not in text
    # Registering the resource providers (a subscription setting the catalogue read needs) is the only write.
    writes = tight.writes_since(mark)
    assert [path for _, path in writes if not path.endswith("/register")] == []
    resources, cognitive, apim = arm_clients(endpoint)
    assert list(resources.resource_groups.list()) == []
    assert list(cognitive.accounts.list()) == [] and list(apim.api_management_service.list()) == []


def test_hosts_that_fit_one_by_one_but_not_together_stop_in_preflight(tight):
    """A region's quota is the subscription's, shared by its accounts: two hosts of 10 each do not fit in 15."""
    limit_sweden_central(tight, {"OpenAI.GlobalStandard.gpt-5.4-nano": 15})
    hosts = [{"name": "models-%d-{{ aigw_name_suffix }}" % index, "backend": "models-%d" % index, "priority": 1,
              "disable_local_auth": True, "deployments": "{{ aigw_models }}"} for index in (1, 2)]
    mark = len(tight.requests_logged())

    result = tight.run("site.yml", "-e", json.dumps({"aigw_model_hosts": hosts}), expect_failure=True)

    text = " ".join(result["output"].split())
    assert STOPPED + "models-2-" in text and "models-1-" not in text.split(
        "a deployable model version for")[1].split(":")[0]
    assert ("gpt-5.4-nano 2026-03-17 GlobalStandard in swedencentral: 10 capacity asked, 5 free (0 used of 15 in "
            "OpenAI.GlobalStandard.gpt-5.4-nano)") in text
    writes = tight.writes_since(mark)
    assert [path for _, path in writes if not path.endswith("/register")] == []
    # One read of the region's catalogue and usages for both hosts.
    reads = [entry["path"] for entry in tight.requests_logged()[mark:] if entry["method"] == "GET"]
    assert len([path for path in reads if path.endswith("/locations/swedencentral/usages")]) == 1


def a_model(name, version):
    return {"name": name, "model_name": name, "model_version": version, "model_format": "OpenAI",
            "sku_name": "GlobalStandard", "capacity": 10}


def deploying(*models):
    """site.yml's variables for these deployments; the agent uses the last (preflight wants the agent's model
    deployed on a host)."""
    return json.dumps({"aigw_models": list(models), "aigw_agent_model": models[-1]["name"]})


def test_a_retired_model_version_stops_in_preflight_naming_its_date_before_any_write(tight):
    """o4-mini 2025-04-16 is listed with lifecycle Deprecated (the API's word for retired) and retired on 2026-10-16
    (Learn, model retirement schedule): Azure would create no deployment of it."""
    endpoint = limit_sweden_central(tight, {})
    mark = len(tight.requests_logged())

    result = tight.run("site.yml", "-e", deploying(a_model("o4-mini", "2025-04-16")),
                       expect_failure=True)

    text = " ".join(result["output"].split())
    assert STOPPED + "models-foundry-" in text and "Preflight quota - stop before any write" in text
    assert ("o4-mini 2025-04-16 is retired in swedencentral (lifecycle Deprecated, retirement date 2026-10-16)"
            in text), text[-3000:]
    # stopped by the preflight, never by the endpoint's own refusal of the write (ServiceModelDeprecated)
    assert "ServiceModelDeprecated" not in text and "has been deprecated since" not in text
    assert [path for _, path in tight.writes_since(mark) if not path.endswith("/register")] == []
    resources, cognitive, _apim = arm_clients(endpoint)
    assert list(resources.resource_groups.list()) == [] and list(cognitive.accounts.list()) == []


def set_clock(runner, body):
    endpoint = runner.endpoint()
    answer = requests.post(endpoint["arm_endpoint"] + "/localazure/clock", json=body, verify=endpoint["ca_bundle"],
                           timeout=30)
    answer.raise_for_status()
    return answer


AGEING_MODELS = [a_model("gpt-4o-mini", "2024-07-18"), a_model("gpt-5.4-nano", "2026-03-17")]


def test_an_ageing_model_version_is_a_warning_naming_its_retirement_date(tight):
    """gpt-4o-mini 2024-07-18 is Deprecating (new customers may not deploy it) until 2027-04-14: the run goes on,
    warned. The check mode run stops short of writes either way. The endpoint's clock is held on 2027-04-13."""
    limit_sweden_central(tight, {})
    held = set_clock(tight, {"advance_seconds": 0, "hold_seconds": 900})
    assert email.utils.parsedate_to_datetime(held.headers["Date"]) < RETIRES
    try:
        result = tight.run("site.yml", "--check", "-e", deploying(*AGEING_MODELS))
    finally:
        set_clock(tight, {"hold_seconds": 0})

    text = " ".join(result["output"].split())
    assert ("[WARNING]: gpt-4o-mini 2024-07-18 is Deprecating in swedencentral and retires on 2027-04-14" in text
            ), text[-3000:]
    assert "gpt-5.4-nano 2026-03-17 is" not in text


def test_once_the_endpoint_s_date_passes_the_retirement_date_the_same_model_stops_in_preflight(tight):
    """The same deployments once Azure's answers are dated 2027-04-14 (the endpoint's clock moved there, the
    machine's date untouched): gpt-4o-mini 2024-07-18 is retired although still listed as Deprecating."""
    now = requests.get(tight.endpoint()["arm_endpoint"] + "/localazure/clock",
                       verify=tight.endpoint()["ca_bundle"], timeout=30).json()["now"]
    moved = set_clock(tight, {"advance_seconds": max(0.0, RETIRES.timestamp() + 3600 - now)})
    assert email.utils.parsedate_to_datetime(moved.headers["Date"]).date() == RETIRES.date()
    limit_sweden_central(tight, {})
    mark = len(tight.requests_logged())

    result = tight.run("site.yml", "-e", deploying(*AGEING_MODELS), expect_failure=True)

    text = " ".join(result["output"].split())
    assert ("gpt-4o-mini 2024-07-18 is retired in swedencentral (lifecycle Deprecating, retirement date 2027-04-14)"
            in text), text[-3000:]
    assert STOPPED + "models-foundry-" in text and "gpt-5.4-nano 2026-03-17 is" not in text
    assert [path for _, path in tight.writes_since(mark) if not path.endswith("/register")] == []


def test_a_region_short_of_capacity_stops_in_preflight_although_quota_is_left(tight):
    """Quota is not capacity: swedencentral has the quota (1000) but can host only 6 more gpt-5.4-nano
    GlobalStandard (modelCapacities); Azure would refuse the deployment after the accounts were made."""
    endpoint = limit_sweden_central(tight, {})
    answer = requests.post(endpoint["arm_endpoint"] + "/localazure/cognitiveservices/capacity", json={
        "location": "swedencentral", "capacities": {"OpenAI.GlobalStandard.gpt-5.4-nano": 6}},
        verify=endpoint["ca_bundle"], timeout=30)
    answer.raise_for_status()
    mark = len(tight.requests_logged())
    try:
        result = tight.run("site.yml", expect_failure=True)
    finally:
        requests.delete(endpoint["arm_endpoint"] + "/localazure/cognitiveservices/capacity",
                        verify=endpoint["ca_bundle"], timeout=30).raise_for_status()

    text = " ".join(result["output"].split())
    assert ("gpt-5.4-nano 2026-03-17 GlobalStandard in swedencentral: 10 capacity asked, the region has 6 available "
            "(modelCapacities: region capacity, not quota, is short)") in text, text[-3000:]
    assert "Preflight quota - stop before any write" in text
    # stopped by the preflight, never by the endpoint's own refusal of the deployment for region capacity
    assert "InsufficientQuota" not in text and "of account deployment is bigger than available capacity" not in text
    assert [path for _, path in tight.writes_since(mark) if not path.endswith("/register")] == []
    reads = [entry["path"] for entry in tight.requests_logged()[mark:] if entry["method"] == "GET"]
    assert len([path for path in reads if path.endswith("/locations/swedencentral/modelCapacities")]) == 2
