"""site.yml switching a site between one pool of every host and a pool per model (issue 24 item 1): a site that
converged with hosts serving the same models, re-run with hosts serving different models, loses the one pool once
the policy no longer names it (and the reverse switch loses the models' pools); --check --diff predicts the deletion
and writes nothing; a pool a user made beside ours stays; calls for every model answer after each switch. The tests
run in file order, on an endpoint of their own.
"""
from __future__ import annotations

import json

import pytest
import requests
from azure.mgmt.apimanagement.models import BackendBaseParametersPool, BackendContract, BackendPoolItem

from tests.integration.test_playbooks import Playbooks, arm_clients, stop_endpoint

API_VERSION = "2024-12-01-preview"
MODELS = ("gpt-5.4-mini", "gpt-5.4-nano")


def site_vars(first_host_models):
    """Two hosts; B serves every model, A the ones given (all of them: one pool; fewer: a pool per model)."""
    return ("-e", json.dumps({"aigw_model_hosts": [
        {"name": "models-a-{{ aigw_name_suffix }}", "backend": "models-a", "location": "swedencentral",
         "priority": 1, "weight": 100, "disable_local_auth": True, "deployments": "{{ %s }}" % first_host_models},
        {"name": "models-b-{{ aigw_name_suffix }}", "backend": "models-b", "location": "eastus",
         "priority": 2, "weight": 100, "disable_local_auth": True, "deployments": "{{ aigw_models }}"}]}))


SAME = site_vars("aigw_models")
ROUTED = site_vars("aigw_models[:1]")
USERS_POOL = "inference-backend-pool-users"


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    runner = Playbooks(tmp_path_factory.mktemp("topology-switch"))
    yield runner
    runner.run("teardown.yml", *SAME)
    stop_endpoint(runner.state_dir)


def gateway(runner):
    endpoint = runner.endpoint()
    outputs = json.loads(runner.outputs_file.read_text())
    _, _, apim = arm_clients(endpoint)
    group = outputs["resource_group"]
    service = outputs["gateway_url"].split("//")[1].split(".")[0]
    return endpoint, apim, group, service


def pools(runner):
    _, apim, group, service = gateway(runner)
    return {backend.name: sorted(member.id.rsplit("/", 1)[-1] for member in backend.pool.services)
            for backend in apim.backend.list_by_service(group, service) if backend.pool is not None}


def assert_every_model_answers(runner):
    endpoint, apim, group, service = gateway(runner)
    key = apim.subscription.list_secrets(group, service, "foundry-subscription").primary_key
    base = endpoint["gateway_base_url_template"].format(service=service) + "/inference/openai/deployments/"
    for model in MODELS:
        answer = requests.post(base + model + "/chat/completions", params={"api-version": API_VERSION},
                               json={"messages": [{"role": "user", "content": "Answer with OK."}],
                                     "max_completion_tokens": 5},
                               headers={"api-key": key}, verify=endpoint["ca_bundle"], timeout=60)
        assert answer.status_code == 200, (model, answer.text)


def test_one_pool_while_every_host_serves_the_same_models(site):
    site.run("site.yml", *SAME)
    assert pools(site) == {"inference-backend-pool": ["models-a", "models-b"]}
    # A user's pool named like ours, in the same service: never ours to delete.
    endpoint, apim, group, service = gateway(site)
    apim.backend.create_or_update(group, service, USERS_POOL, BackendContract(
        description="the user's own pool", type_properties_type="Pool",
        pool=BackendBaseParametersPool(services=[BackendPoolItem(id="/backends/models-a")])))


def test_check_mode_predicts_the_one_pools_deletion_and_writes_nothing(site):
    mark = len(site.requests_logged())
    result = site.run("site.yml", "--check", "--diff", *ROUTED)
    shown = result["output"]
    task = shown.split("TASK [aigateway.foundry.gateway : The pools and backends the gateway no longer uses]")[1]
    task = task.split("TASK [")[0]
    assert "changed:" in task and "inference-backend-pool)" in task and USERS_POOL not in task, task
    assert site.writes_since(mark) == []


def test_switching_to_a_pool_per_model_removes_the_one_pool(site):
    site.run("site.yml", *ROUTED)
    # gpt-5.4-mini: A and B, a pool; gpt-5.4-nano: B alone, its own backend.
    assert pools(site) == {"inference-backend-pool-gpt-5.4-mini": ["models-a", "models-b"],
                           USERS_POOL: ["models-a"]}
    assert_every_model_answers(site)


def test_a_stock_openai_client_lists_the_routed_gateways_models(site):
    """A call that names no model (GET /openai/v1/models) is answered by the gateway with the models it routes,
    not by its own 404 DeploymentNotFound (routing found no model in it)."""
    import ssl

    import openai
    endpoint, apim, group, service = gateway(site)
    key = apim.subscription.list_secrets(group, service, "foundry-subscription").primary_key
    client = openai.OpenAI(
        base_url=endpoint["gateway_base_url_template"].format(service=service) + "/inference/openai/v1",
        api_key="unused", default_headers={"api-key": key}, max_retries=0,
        http_client=openai.DefaultHttpxClient(verify=ssl.create_default_context(cafile=endpoint["ca_bundle"])))
    assert [model.id for model in client.models.list()] == list(MODELS)


def test_switching_back_removes_the_models_pools(site):
    site.run("site.yml", *SAME)
    assert pools(site) == {"inference-backend-pool": ["models-a", "models-b"], USERS_POOL: ["models-a"]}
    assert_every_model_answers(site)
