"""verify's agent step fails clearly when the path from the agent to the gateway is broken.

site.yml provisions everything (its verify passes), then the test breaks the Foundry connection's metadata the way
users do by hand (deploymentInPath "false" on a gateway API that expects the deployment in the path, the cause
Microsoft's docs give for DeploymentNotFound) and runs verify's agent step alone: it must fail at the question,
saying what the gateway answered, and still delete its test agent. Teardown leaves no agent behind.
"""
from __future__ import annotations

import json

import pytest

from tests.integration.test_playbooks import agents_in, arm_clients, stop_endpoint

CONNECTIONS_API = "2025-12-01"   # the first stable version with the ApiManagement category


@pytest.fixture(scope="module")
def provisioned(tmp_path_factory, converged_sites):
    # a copy of the run's converged site.yml: what this test asserts on comes after the converge
    runner = converged_sites.copy(tmp_path_factory.mktemp("verify-agent"))
    yield runner
    runner.run("teardown.yml")
    stop_endpoint(runner.state_dir)


def break_connection_metadata(runner):
    """PUT the account connection again with deploymentInPath "false" (the key is write-only: sent again)."""
    from azure.mgmt.cognitiveservices import CognitiveServicesManagementClient

    endpoint, outputs = runner.endpoint(), json.loads(runner.outputs_file.read_text())
    _, cognitive, apim = arm_clients(endpoint)
    group, connection = outputs["resource_group"], outputs["connection_name"]
    account = next(a.name for a in cognitive.accounts.list_by_resource_group(group) if a.name.startswith("agents-"))
    service = next(s.name for s in apim.api_management_service.list_by_resource_group(group))
    key = apim.subscription.list_secrets(group, service, outputs["apim_subscriptions"][0]).primary_key
    client = CognitiveServicesManagementClient(cognitive._config.credential, endpoint["subscription_id"],
                                               base_url=endpoint["arm_endpoint"], api_version=CONNECTIONS_API,
                                               connection_verify=endpoint["ca_bundle"])
    body = client.account_connections.get(group, account, connection).as_dict()
    properties = body["properties"]
    assert properties["metadata"]["deploymentInPath"] == "true"
    properties["metadata"]["deploymentInPath"] = "false"
    properties["credentials"] = {"key": key}
    client.account_connections.create(group, account, connection, {"properties": properties})
    return outputs


def test_verify_fails_at_the_agent_when_the_connection_metadata_is_broken(provisioned):
    outputs = break_connection_metadata(provisioned)
    result = provisioned.run("../tests/integration/playbooks/verify_agent.yml", expect_failure=True)
    output = result["output"]
    asked = "TASK [aigateway.foundry.verify : Verify agent - ask the test agent one question through the gateway]"
    assert asked in output, output[-4000:]
    answer = output.split(asked, 1)[1].split("TASK [", 1)[0]
    # the question is the task that fails, with the gateway's own answer, not a made-up success
    assert "fatal: [localhost]: FAILED!" in answer and "404" in answer and "Resource not found" in answer, answer
    assert "Verify agent - delete the test agent's version" in output
    assert agents_in(provisioned.endpoint(), outputs["local"]["project_endpoint"]) == []
