"""site.yml against an API Management service the collection does not own (aigw_apim.existing), then teardown.yml:
the service, created here with the stock SDK in a resource group of its own, is used and never changed; teardown
leaves it in place with exactly what it held before site.yml ran (nothing of ours: APIs, backends, pool, policies,
products, subscriptions, loggers, the App Insights credential named value APIM created for our logger,
diagnostics, the service's diagnostic setting, role assignments of its identity). The identity running the
collection first owns only its own resource group and holds Reader on the service, and the preflight refuses before any
write; owning the subscription again (the endpoint's default), with Contributor on the service's resource group, it goes
ahead. Its own endpoint; file order."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest
import requests

from tests.integration.test_playbooks import ROOT, TIME_SCALE, Playbooks, arm_clients, stop_endpoint
from tests.integration.test_site_model_routing import ROUTED

READER = "acdd72a7-3385-48ef-bd42-f606fba81ae7"
CONTRIBUTOR = "b24988ac-6180-42a0-ab88-20f7382dd24c"
SHARED_GROUP = "rg-shared-gateway"
SHARED_APIM = "apim-shared-hub"
OUR_GROUP = "rg-ai-gateway-local"     # inventories/local's aigw_resource_group
# Three hosts serving different models (test_site_model_routing's): the gateway makes a pool per model in the shared
# service, which teardown must find and remove before the host backends the pools hold.
EXISTING = {"aigw_apim": {"existing": True, "resource_group": SHARED_GROUP, "name": SHARED_APIM},
            "aigw_model_hosts": ROUTED["aigw_model_hosts"]}


@pytest.fixture(scope="module")
def shared(tmp_path_factory):
    runner = Playbooks(tmp_path_factory.mktemp("existing-apim"))
    subprocess.run([sys.executable, "-m", "localazure", "start", "--state-dir", str(runner.state_dir),
                    "--time-scale", TIME_SCALE], cwd=ROOT, check=True, capture_output=True)
    variables = runner.state_dir / "existing.json"
    variables.write_text(json.dumps(EXISTING))
    runner.existing = "@%s" % variables
    yield runner
    stop_endpoint(runner.state_dir)


def arm_get(endpoint, path, api_version):
    """A plain ARM GET for what no management client of ours lists (diagnostic settings, role assignments)."""
    from azure.identity import ClientSecretCredential

    credential = ClientSecretCredential(endpoint["tenant_id"], endpoint["client_id"], endpoint["client_secret"],
                                        authority=endpoint["authority_host"], disable_instance_discovery=True,
                                        connection_verify=endpoint["ca_bundle"])
    token = credential.get_token("https://management.azure.com/.default").token
    answer = requests.get(endpoint["arm_endpoint"].rstrip("/") + path, params={"api-version": api_version},
                          headers={"Authorization": "Bearer " + token}, verify=endpoint["ca_bundle"], timeout=30)
    answer.raise_for_status()
    return answer.json().get("value", [])


def grant(endpoint, scope, role):
    """A role for the identity the collection runs as (the endpoint's service principal), by the stock SDK."""
    import base64
    import uuid

    from azure.identity import ClientSecretCredential
    from azure.mgmt.authorization import AuthorizationManagementClient

    credential = ClientSecretCredential(endpoint["tenant_id"], endpoint["client_id"], endpoint["client_secret"],
                                        authority=endpoint["authority_host"], disable_instance_discovery=True,
                                        connection_verify=endpoint["ca_bundle"])
    claims = credential.get_token("https://management.azure.com/.default").token.split(".")[1]
    caller = json.loads(base64.urlsafe_b64decode(claims + "=" * (-len(claims) % 4)))["oid"]
    client = AuthorizationManagementClient(credential, endpoint["subscription_id"], base_url=endpoint["arm_endpoint"],
                                           connection_verify=endpoint["ca_bundle"],
                                           credential_scopes=["https://management.azure.com/.default"])
    client.role_assignments.create(scope, str(uuid.uuid4()), {
        "role_definition_id": "/subscriptions/%s/providers/Microsoft.Authorization/roleDefinitions/%s"
                              % (endpoint["subscription_id"], role),
        "principal_id": caller, "principal_type": "ServicePrincipal"})
    return caller


def contents(runner):
    """Everything inside the shared service, by kind, and the role assignments held by its identity."""
    endpoint = runner.endpoint()
    _, _, apim = arm_clients(endpoint)
    group, name = SHARED_GROUP, SHARED_APIM
    service = apim.api_management_service.get(group, name)
    apis = sorted(a.name for a in apim.api.list_by_service(group, name))
    found = {
        "apis": apis,
        "api_policies": sorted(a for a in apis if apim.api_policy.list_by_api(group, name, a).value),
        "api_diagnostics": sorted("%s/%s" % (a, d.name) for a in apis
                                  for d in apim.api_diagnostic.list_by_service(group, name, a)),
        "backends": sorted(b.name for b in apim.backend.list_by_service(group, name)),
        "products": sorted(p.name for p in apim.product.list_by_service(group, name)),
        "subscriptions": sorted(s.name for s in apim.subscription.list(group, name)),
        "loggers": sorted(logger.name for logger in apim.logger.list_by_service(group, name)),
        "diagnostics": sorted(d.name for d in apim.diagnostic.list_by_service(group, name)),
        "named_values": sorted(v.name for v in apim.named_value.list_by_service(group, name)),
        "service_policy": [p.name for p in apim.policy.list_by_service(group, name)],
        "diagnostic_settings": sorted(s["name"] for s in arm_get(
            endpoint, service.id + "/providers/Microsoft.Insights/diagnosticSettings", "2021-05-01-preview")),
        "role_assignments": sorted(r["id"] for r in arm_get(
            endpoint, "/subscriptions/%s/providers/Microsoft.Authorization/roleAssignments" % endpoint["subscription_id"],
            "2022-04-01") if r["properties"]["principalId"] == service.identity.principal_id),
    }
    return service, found


def test_a_shared_service_exists_before_site(shared):
    endpoint = shared.endpoint()
    resources, _, apim = arm_clients(endpoint)
    resources.resource_groups.create_or_update(SHARED_GROUP, {"location": "swedencentral"})
    apim.api_management_service.begin_create_or_update(SHARED_GROUP, SHARED_APIM, {
        "location": "swedencentral", "sku": {"name": "StandardV2", "capacity": 1},
        "identity": {"type": "SystemAssigned"},
        "properties": {"publisherEmail": "platform@example.com", "publisherName": "Platform"}}).result()
    service, before = contents(shared)
    assert service.provisioning_state == "Succeeded"
    shared.before = before
    shared.service_id = service.id


def standing_role(endpoint, method, body=None):
    """The identity's role outside the store's assignments (localazure/services/authorization/rbac.py)."""
    return requests.request(method, endpoint["arm_endpoint"] + "/localazure/authorization/standing-role", json=body,
                            verify=endpoint["ca_bundle"], timeout=30).json()


def test_a_reader_of_the_shared_service_is_refused_before_any_write(shared):
    endpoint = shared.endpoint()
    # Owner of our own group only (made for it by an administrator), Reader on the shared service: the permission
    # preflight lets the run through (skipping the subscription-wide soft-delete look), the existing service's stops it
    arm_clients(endpoint)[0].resource_groups.create_or_update(OUR_GROUP, {"location": "swedencentral"})
    caller = grant(endpoint, shared.service_id, READER)
    assert standing_role(endpoint, "PUT", {"role": "Owner", "scope": "/subscriptions/%s/resourceGroups/%s" % (
        endpoint["subscription_id"], OUR_GROUP)})["role"] == "Owner"
    mark = len(shared.requests_logged())
    refused = shared.run("site.yml", "-e", shared.existing, expect_failure=True)
    assert standing_role(endpoint, "DELETE")["scope"] == "/subscriptions/%s" % endpoint["subscription_id"]
    message = " ".join(refused["output"].split())
    assert "may not write into API Management service %s" % SHARED_APIM in message
    assert caller in message
    assert "Microsoft.ApiManagement/service/apis/write" in message
    assert "Microsoft.Insights/diagnosticSettings/write" in message
    assert shared.writes_since(mark) == [], "the preflight stops before any write"


def test_site_uses_the_shared_service(shared):
    endpoint = shared.endpoint()
    grant(endpoint, "/subscriptions/%s/resourceGroups/%s" % (endpoint["subscription_id"], SHARED_GROUP), CONTRIBUTOR)
    shared.mark = len(shared.requests_logged())
    result = shared.run("site.yml", "-e", shared.existing)
    assert result["changed"] > 0
    outputs = json.loads(shared.outputs_file.read_text())
    assert outputs["gateway_url"].split("//")[1].split(".")[0] == SHARED_APIM
    service, inside = contents(shared)
    assert (service.sku.name, service.sku.capacity) == ("StandardV2", 1)
    assert "inference-api" in inside["apis"]
    assert {"models-a", "models-b", "models-c", "inference-backend-pool-gpt-5.4-mini",
            "inference-backend-pool-gpt-5.4-nano"} <= set(inside["backends"]), inside["backends"]
    assert {"azuremonitor", "appinsights-logger"} <= set(inside["loggers"])
    assert [v for v in inside["named_values"] if v.startswith("Logger-Credentials--")]
    assert inside["diagnostic_settings"] and inside["role_assignments"]
    resources, _, _ = arm_clients(shared.endpoint())
    # the service itself was never written (created, resized or updated), only what lives inside it
    writes = [path.lower().rstrip("/") for _, path in shared.writes_since(shared.mark)]
    assert [p for p in writes if p.endswith("/service/" + SHARED_APIM.lower())] == []
    assert [p for p in writes if "/resourcegroups/%s" % SHARED_GROUP.lower() in p and "/service/" not in p] == []
    assert SHARED_GROUP in [g.name for g in resources.resource_groups.list()]


def test_site_again_changes_nothing(shared):
    mark = len(shared.requests_logged())
    result = shared.run("site.yml", "-e", shared.existing)
    assert result["changed"] == 0, result["output"][-6000:]
    assert shared.writes_since(mark) == []
    # the shared service itself is read once per run (the preflight's read is the one the apim role publishes)
    reads = [entry["path"].lower().rstrip("/") for entry in shared.requests_logged()[mark:]
             if entry["method"] == "GET" and entry.get("kind") == "read"]
    assert len([path for path in reads if path.endswith("/service/" + SHARED_APIM.lower())]) == 1


def test_teardown_leaves_the_shared_service_as_it_was(shared):
    result = shared.run("teardown.yml", "-e", shared.existing)
    assert result["changed"] > 0
    resources, _, _ = arm_clients(shared.endpoint())
    groups = [g.name for g in resources.resource_groups.list()]
    assert groups == [SHARED_GROUP]
    service, after = contents(shared)
    assert service.provisioning_state == "Succeeded" and service.sku.name == "StandardV2"
    assert after == shared.before


def test_teardown_again_changes_nothing(shared):
    mark = len(shared.requests_logged())
    result = shared.run("teardown.yml", "-e", shared.existing)
    assert result["changed"] == 0, result["output"][-6000:]
    assert shared.writes_since(mark) == []
