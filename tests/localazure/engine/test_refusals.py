"""The endpoint refuses what Azure refuses, with Azure's codes: a region that does not exist, a kind or SKU not
offered, a model, version or format the region does not serve, a name the definitions forbid; and a resource left
Failed is provisioned again by the next PUT."""
from __future__ import annotations

import uuid

import pytest

from tests.localazure.conftest import advance_clock

RG_API = "?api-version=2025-04-01"
CS_API = "?api-version=2025-12-01"
WS_API = "?api-version=2025-07-01"


@pytest.fixture(scope="module")
def group(endpoint, arm):
    name = "rg-refusals-%s" % uuid.uuid4().hex[:6]
    path = f"/subscriptions/{endpoint['subscription_id']}/resourcegroups/{name}"
    assert arm("PUT", path + RG_API, json={"location": "swedencentral"}).status_code in (200, 201)
    return path


def refused(answer, status, code, *words):
    body = answer.json()
    assert answer.status_code == status and body["error"]["code"] == code, answer.text
    for word in words:
        assert word in body["error"]["message"]


def account_body(kind="AIServices", sku="S0", location="swedencentral"):
    return {"location": location, "kind": kind, "sku": {"name": sku}, "identity": {"type": "SystemAssigned"},
            "properties": {"customSubDomainName": "acct-%s" % uuid.uuid4().hex[:8],
                           "allowProjectManagement": True}}


def test_an_unknown_region_is_refused_for_groups_and_types(endpoint, arm, group):
    refused(arm("PUT", f"/subscriptions/{endpoint['subscription_id']}/resourcegroups/rg-mars{RG_API}",
                json={"location": "marscentral"}), 400, "LocationNotAvailableForResourceGroup", "'marscentral'")
    refused(arm("PUT", f"{group}/providers/Microsoft.OperationalInsights/workspaces/ws-mars{WS_API}",
                json={"location": "swedencentrl", "properties": {"sku": {"name": "PerGB2018"}}}),
            400, "LocationNotAvailableForResourceType", "'swedencentrl'", "Microsoft.OperationalInsights/workspaces")
    # Display names are regions too.
    assert arm("PUT", f"{group}/providers/Microsoft.OperationalInsights/workspaces/ws-display{WS_API}",
               json={"location": "Sweden Central", "properties": {"sku": {"name": "PerGB2018"}}}).status_code \
        in (200, 201, 202)


def test_the_provider_lists_the_regions_of_tracked_types_only(endpoint, arm):
    body = arm("GET", f"/subscriptions/{endpoint['subscription_id']}/providers/Microsoft.CognitiveServices"
                      "?api-version=2025-04-01").json()
    locations = {entry["resourceType"]: entry["locations"] for entry in body["resourceTypes"]}
    assert "Sweden Central" in locations["accounts"] and "East US" in locations["accounts"]
    assert locations["accounts/deployments"] == []


def test_an_account_kind_or_sku_not_offered_is_refused(arm, group):
    refused(arm("PUT", f"{group}/providers/Microsoft.CognitiveServices/accounts/acct-kind{CS_API}",
                json=account_body(kind="AIService")), 400, "InvalidApiSetId", "'AIService'")
    refused(arm("PUT", f"{group}/providers/Microsoft.CognitiveServices/accounts/acct-sku{CS_API}",
                json=account_body(sku="F0")), 400, "SpecialFeatureOrQuotaIdRequired", "'F0'", "'AIServices'")


@pytest.mark.parametrize("model, sku, code, words", [
    ({"format": "OpenAI", "name": "gpt-4o-mini", "version": "2099-01-01"}, "GlobalStandard",
     "DeploymentModelNotSupported", ("Name: gpt-4o-mini", "Version: 2099-01-01")),
    ({"format": "OpenAI", "name": "gpt-9", "version": "1"}, "GlobalStandard", "DeploymentModelNotSupported",
     ("Name: gpt-9",)),
    ({"format": "OpenAl", "name": "gpt-4o-mini", "version": "2024-07-18"}, "GlobalStandard",
     "DeploymentModelNotSupported", ("Format: OpenAl",)),
    ({"format": "OpenAI", "name": "gpt-4o-mini", "version": "2024-07-18"}, "Premium", "InvalidResourceProperties",
     ("'Premium'", "'gpt-4o-mini'")),
])
def test_a_model_version_format_or_deployment_type_not_offered_is_refused(arm, group, endpoint, model, sku, code,
                                                                          words):
    account = f"{group}/providers/Microsoft.CognitiveServices/accounts/acct-models"
    if arm("GET", account + CS_API).status_code == 404:
        assert arm("PUT", account + CS_API, json=account_body()).status_code == 201
        advance_clock(endpoint, 600)
    refused(arm("PUT", f"{account}/deployments/d1{CS_API}",
                json={"sku": {"name": sku, "capacity": 1}, "properties": {"model": model}}), 400, code, *words)


def test_a_name_the_definitions_forbid_is_refused(arm, group):
    refused(arm("PUT", f"{group}/providers/Microsoft.CognitiveServices/accounts/-bad-{CS_API}",
                json=account_body()), 400, "InvalidResourceName", "'-bad-'")


def test_a_failed_resource_is_provisioned_again_by_the_next_put(endpoint, arm, control, group):
    path = f"{group}/providers/Microsoft.OperationalInsights/workspaces/ws-repair-{uuid.uuid4().hex[:6]}{WS_API}"
    body = {"location": "swedencentral", "properties": {"sku": {"name": "PerGB2018"}}}
    assert control("POST", "/localazure/faults", json={"lro_failure_rate": 1.0, "count": 1}).ok
    try:
        assert arm("PUT", path, json=body).status_code in (200, 201)
        advance_clock(endpoint, 600)
        assert arm("GET", path).json()["properties"]["provisioningState"] == "Failed"
    finally:
        control("DELETE", "/localazure/faults")
    again = arm("PUT", path, json=body)
    assert again.status_code == 200 and again.json()["properties"]["provisioningState"] != "Failed"
    advance_clock(endpoint, 600)
    assert arm("GET", path).json()["properties"]["provisioningState"] == "Succeeded"
