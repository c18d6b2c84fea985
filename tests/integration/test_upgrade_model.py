"""playbooks/upgrade_model.yml (issue 24 item 5) on an endpoint of its own: site.yml serves gpt-4o 2024-08-06 from two
hosts; a stock openai client calls it through the gateway in a thread while the upgrade to 2024-11-20 runs, first cut
short after its first step (upgrade_model_step_limit), then run again: no call fails, only the new deployments are left,
calls answer from them (the gateway log's backend URLs), the connection lists the new version, and a re-run writes
nothing. --check --diff first shows the steps and writes nothing. Then the same upgrade on the default topology, one
model host (both versions on one account while the traffic moves): no call fails and a re-run changes nothing. The
tests run in file order.
"""
from __future__ import annotations

import json
import ssl
import threading
import time
from collections import Counter

import openai
import pytest

from tests.integration.test_playbooks import Playbooks, stop_endpoint
from tests.integration.test_site_model_discovery import Foundry
from tests.integration.test_site_model_routing import Gateway

API_VERSION = "2024-12-01-preview"
OLD, NEW = "gpt-4o", "gpt-4o-2024-11-20"
MODEL = {"name": "gpt-4o", "model_name": "gpt-4o", "model_version": "2024-08-06", "model_format": "OpenAI",
         "sku_name": "GlobalStandard", "capacity": 200}
# Inventory host vars: they win over group_vars/all, and the upgrade's set_fact (the hosts after it) wins over them
# (extra vars would win over the set_fact).
INVENTORY = {"all": {"hosts": {"localhost": {
    "aigw_models": [MODEL], "aigw_agent_model": "gpt-4o",
    "aigw_model_hosts": [
        {"name": "models-a-{{ aigw_name_suffix }}", "backend": "models-a", "location": "swedencentral",
         "priority": 1, "weight": 100, "disable_local_auth": True, "deployments": "{{ aigw_models }}"},
        {"name": "models-b-{{ aigw_name_suffix }}", "backend": "models-b", "location": "eastus",
         "priority": 1, "weight": 100, "disable_local_auth": True, "deployments": "{{ aigw_models }}"}]}}}}
# The default topology (inventories/local: one model host, models-foundry) serving the same model.
ONE_HOST_INVENTORY = {"all": {"hosts": {"localhost": {"aigw_models": [MODEL], "aigw_agent_model": "gpt-4o"}}}}
UPGRADE = ("-e", "upgrade_model_name=gpt-4o", "-e", "upgrade_model_to_version=2024-11-20")


def runner_with(state_dir, inventory_vars):
    """A Playbooks runner on its own endpoint whose inventory is the local one plus ``inventory_vars``."""
    runner = Playbooks(state_dir)
    inventory = runner.state_dir / "upgrade-inventory.json"
    inventory.write_text(json.dumps(inventory_vars))
    runner.inventory = ("-i", "inventories/local", "-i", str(inventory))
    return runner


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    runner = runner_with(tmp_path_factory.mktemp("upgrade-model"), INVENTORY)
    yield runner
    runner.run("teardown.yml", *runner.inventory)
    stop_endpoint(runner.state_dir)


@pytest.fixture(scope="module")
def one_host_site(tmp_path_factory):
    runner = runner_with(tmp_path_factory.mktemp("upgrade-model-one-host"), ONE_HOST_INVENTORY)
    runner.run("site.yml", *runner.inventory)
    yield runner
    stop_endpoint(runner.state_dir)


# The caller stays within the gateway's own limits, which the lab's policy keeps (this test is about availability
# during the upgrade, not limits): a call spends about 27 tokens (a 90-byte body counted at four bytes a token, and
# max_tokens 5), so a pause of PAUSE seconds between calls holds it below 60 / PAUSE * 27 = 6,480 tokens per minute
# however fast this machine is, under the lab's tokens_per_minute 10,000 with room for the upgrade's own proof calls
# and verify's. Pacing rather than a higher limit: the upgrade must also not spend the callers' budget itself
# (verify's token limit proof would; upgrade_model.yml skips it). The model hosts admit capacity 200 in requests per
# 10 s, far above 40. (Moving the endpoint's clock instead would expire the run's Resource Manager token.)
PAUSE = 0.25


class Caller(threading.Thread):
    """A stock openai client calling the model through the gateway until stopped, every PAUSE seconds; each answer
    is kept as (status, error code): 200 answers as (200, None)."""

    def __init__(self, gateway):
        super().__init__(daemon=True)
        self.gateway, self.statuses, self.stopped = gateway, [], threading.Event()
        self.client = openai.AzureOpenAI(azure_endpoint=gateway.base, api_key=gateway.key, api_version=API_VERSION,
                                         http_client=openai.DefaultHttpxClient(
                                             verify=ssl.create_default_context(cafile=gateway.endpoint["ca_bundle"])),
                                         max_retries=0)

    def run(self):
        while not self.stopped.is_set():
            try:
                self.client.chat.completions.create(model="gpt-4o", max_tokens=5,
                                                    messages=[{"role": "user", "content": "Answer with OK."}])
                self.statuses.append((200, None))
            except openai.APIStatusError as error:
                self.statuses.append((error.status_code, error.code or error.message))
            except openai.APIConnectionError as error:
                self.statuses.append(("connection", type(error).__name__))
            time.sleep(PAUSE)

    def stop(self):
        self.stopped.set()
        self.join(60)
        return self.statuses


def deployments(gateway):
    return sorted((account.name.split("-")[1], deployment.name, deployment.properties.model.version)
                  for account in gateway.cognitive.accounts.list_by_resource_group(gateway.group)
                  if account.name.startswith("models-")
                  for deployment in gateway.cognitive.deployments.list(gateway.group, account.name))


def test_site_serves_the_old_version_from_two_hosts(site):
    site.run("site.yml", *site.inventory)
    assert deployments(Gateway(site)) == [("a", OLD, "2024-08-06"), ("b", OLD, "2024-08-06")]


def test_check_mode_shows_each_step_and_writes_nothing(site):
    mark = len(site.requests_logged())
    result = site.run("upgrade_model.yml", *site.inventory, *UPGRADE, "--check", "--diff")
    assert site.writes_since(mark) == []
    shown = result["output"]
    assert "stage deploy; 0 of 2 hosts have gpt-4o-2024-11-20" in shown, shown[-6000:]
    for percent in (0, 50, 100):
        assert "%d%% to gpt-4o-2024-11-20" % percent in shown


def test_an_upgrade_cut_short_then_run_again_moves_every_call_without_a_failure(site):
    gateway = Gateway(site)
    caller = Caller(gateway)
    caller.start()
    try:
        site.run("upgrade_model.yml", *site.inventory, *UPGRADE, "-e", "upgrade_model_step_limit=1")
        # Cut short after its first step: both versions on both hosts, the model's pool over both at 0%.
        assert deployments(gateway) == [("a", OLD, "2024-08-06"), ("a", NEW, "2024-11-20"),
                                        ("b", OLD, "2024-08-06"), ("b", NEW, "2024-11-20")]
        pool = gateway.apim.backend.get(gateway.group, gateway.service,
                                        "inference-backend-pool-gpt-4o-via-gpt-4o-gpt-4o-2024-11-20")
        assert sorted((m.id.rsplit("/", 1)[-1], m.weight) for m in pool.pool.services) == [
            ("models-a-gpt-4o", 100), ("models-a-gpt-4o-2024-11-20", 0),
            ("models-b-gpt-4o", 100), ("models-b-gpt-4o-2024-11-20", 0)]
        result = site.run("upgrade_model.yml", *site.inventory, *UPGRADE)
        assert "stage shift" in result["output"]
        time.sleep(1)
    finally:
        statuses = caller.stop()
    # Every distinct (status, error code) with its count: a 404 or 500 of a route switch cannot hide among 429s.
    answers = Counter(statuses)
    assert len(statuses) > 20 and set(answers) == {(200, None)}, sorted(answers.items(), key=str)
    assert deployments(gateway) == [("a", NEW, "2024-11-20"), ("b", NEW, "2024-11-20")]
    # site.yml's stale rule left only what the new routes use: no shift pool, no old deployment's backend, no pool of
    # before; the host backends stay.
    assert sorted(backend.name for backend in gateway.apim.backend.list_by_service(gateway.group, gateway.service)
                  if backend.name.startswith(("models-", "inference-backend-pool"))) == [
        "inference-backend-pool-gpt-4o-via-gpt-4o-2024-11-20", "models-a", "models-a-gpt-4o-2024-11-20",
        "models-b", "models-b-gpt-4o-2024-11-20"]
    # Calls now answer from the new deployments (the backends' URLs end in them).
    gateway.fresh_minute()
    assert gateway.chat("gpt-4o").status_code == 200
    backend_urls = [row["BackendUrl"] for row in gateway.gateway_logs() if row["BackendUrl"]]
    assert any("/openai/deployments/gpt-4o-2024-11-20/chat/completions" in url for url in backend_urls), backend_urls
    # The connection lists the model by its name with the new version, and an agent on it answers through it.
    foundry = Foundry(site)
    models = json.loads(foundry.client.connections.get("ai-gateway").metadata["models"])
    assert [(m["name"], m["properties"]["model"]["version"]) for m in models] == [("gpt-4o", "2024-11-20")], models
    assert foundry.agent_answers("gpt-4o")


def test_a_rerun_of_a_finished_upgrade_writes_nothing(site):
    mark = len(site.requests_logged())
    result = site.run("upgrade_model.yml", *site.inventory, *UPGRADE)
    assert "stage done" in result["output"]
    assert site.writes_since(mark) == []


def test_an_upgrade_on_one_host_moves_every_call_without_a_failure(one_host_site):
    gateway = Gateway(one_host_site)
    assert deployments(gateway) == [("foundry", OLD, "2024-08-06")]
    caller = Caller(gateway)
    caller.start()
    try:
        result = one_host_site.run("upgrade_model.yml", *one_host_site.inventory, *UPGRADE)
        assert "stage deploy; 0 of 1 hosts have gpt-4o-2024-11-20" in result["output"], result["output"][-6000:]
        time.sleep(1)
    finally:
        statuses = caller.stop()
    answers = Counter(statuses)
    assert len(statuses) > 20 and set(answers) == {(200, None)}, sorted(answers.items(), key=str)
    assert deployments(gateway) == [("foundry", NEW, "2024-11-20")]
    # One host serves the model: its route is the new deployment's own backend, no pool (the shift's went stale).
    assert sorted(backend.name for backend in gateway.apim.backend.list_by_service(gateway.group, gateway.service)
                  if backend.name.startswith(("models-", "inference-backend-pool"))) == [
        "models-foundry", "models-foundry-gpt-4o-2024-11-20"]
    gateway.fresh_minute()
    assert gateway.chat("gpt-4o").status_code == 200
    backend_urls = [row["BackendUrl"] for row in gateway.gateway_logs() if row["BackendUrl"]]
    assert any("/openai/deployments/gpt-4o-2024-11-20/chat/completions" in url for url in backend_urls), backend_urls


def test_a_rerun_of_a_finished_upgrade_on_one_host_changes_nothing(one_host_site):
    mark = len(one_host_site.requests_logged())
    result = one_host_site.run("upgrade_model.yml", *one_host_site.inventory, *UPGRADE)
    assert "stage done" in result["output"]
    assert result["changed"] == 0, result["output"][-6000:]
    assert one_host_site.writes_since(mark) == []
