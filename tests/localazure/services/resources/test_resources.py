"""Microsoft.Resources with the real ResourceManagementClient (resource groups, registration)."""
from __future__ import annotations

import uuid

import pytest
from azure.core.exceptions import ResourceNotFoundError
from azure.mgmt.resource.resources import ResourceManagementClient


@pytest.fixture
def client(endpoint, credential, sdk_kwargs):
    return ResourceManagementClient(credential, endpoint["subscription_id"], **sdk_kwargs)


def _name() -> str:
    return f"rg-{uuid.uuid4().hex[:8]}"


def test_resource_group_lifecycle(client, requests_log):
    name = _name()
    created = client.resource_groups.create_or_update(name, {"location": "West Europe", "tags": {"team": "a"}})
    assert created.location == "West Europe"            # ARM echoes the location as given
    assert created.properties.provisioning_state == "Succeeded"
    assert client.resource_groups.check_existence(name.upper())
    assert client.resource_groups.get(name.upper()).id.endswith(f"/resourceGroups/{name}")
    assert name in [group.name for group in client.resource_groups.list()]
    updated = client.resource_groups.create_or_update(name, {"location": "West Europe", "tags": {"team": "b"}})
    assert updated.tags == {"team": "b"}
    client.resource_groups.begin_delete(name).result()
    assert not client.resource_groups.check_existence(name)
    with pytest.raises(ResourceNotFoundError) as raised:
        client.resource_groups.get(name)
    assert raised.value.error.code == "ResourceGroupNotFound"
    statuses = [(line["method"], line["status"], line["kind"]) for line in requests_log()]
    assert ("PUT", 201, "write") in statuses and ("PUT", 200, "write") in statuses
    assert ("DELETE", 202, "write") in statuses and ("HEAD", 204, "read") in statuses
    assert any(kind == "poll" for _, _, kind in statuses)


def test_resource_group_delete_removes_everything_inside(client, arm, endpoint):
    name = _name()
    client.resource_groups.create_or_update(name, {"location": "eastus"})
    part = (f"/subscriptions/{endpoint['subscription_id']}/resourceGroups/{name}/providers/Test.Engine/"
            "widgets/w1/parts/p1?api-version=2024-01-01")
    widget = part.split("/parts/")[0] + "?api-version=2024-01-01"
    assert arm("PUT", widget, json={"location": "eastus", "properties": {}}).status_code == 201
    assert arm("PUT", part, json={"properties": {}}).status_code == 201
    client.resource_groups.begin_delete(name).result()
    client.resource_groups.create_or_update(name, {"location": "eastus"})
    assert arm("GET", widget).status_code == 404
    assert arm("GET", part).json()["error"]["code"] == "ParentResourceNotFound"
    client.resource_groups.begin_delete(name).result()


def test_provider_registration(client):
    assert client.providers.get("Microsoft.Resources").registration_state == "Registered"
    client.providers.unregister("Test.Engine")
    assert client.providers.get("test.engine").registration_state == "Unregistered"
    assert client.providers.register("Test.Engine").registration_state == "Registered"
    namespaces = [provider.namespace for provider in client.providers.list()]
    assert "Microsoft.Resources" in namespaces and "Test.Engine" in namespaces


def test_writes_to_an_unregistered_namespace_are_refused_until_registered(client, arm, endpoint):
    # MissingSubscriptionRegistration is what the SDK's auto-registration policy reacts to (it then sleeps
    # 10 s per check, so this test registers explicitly instead).
    name = _name()
    client.resource_groups.create_or_update(name, {"location": "eastus"})
    client.providers.unregister("Test.Engine")
    path = (f"/subscriptions/{endpoint['subscription_id']}/resourceGroups/{name}/providers/Test.Engine/gadgets/"
            "g1?api-version=2024-01-01")
    refused = arm("PUT", path, json={"location": "eastus"})
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "MissingSubscriptionRegistration"
    assert client.providers.register("Test.Engine").registration_state == "Registered"
    assert arm("PUT", path, json={"location": "eastus"}).status_code == 201
    client.resource_groups.begin_delete(name).result()


def test_missing_and_unknown_api_versions(endpoint, arm):
    sub = endpoint["subscription_id"]
    missing = arm("GET", f"/subscriptions/{sub}/resourcegroups")
    assert missing.status_code == 400 and missing.json()["error"]["code"] == "MissingApiVersionParameter"
    unknown = arm("GET", f"/subscriptions/{sub}/resourcegroups?api-version=1999-01-01")
    assert unknown.status_code == 400 and unknown.json()["error"]["code"] == "InvalidApiVersionParameter"
    provider_type = arm("GET", f"/subscriptions/{sub}/providers/Test.Engine/widgets?api-version=1999-01-01")
    assert provider_type.json()["error"]["code"] == "NoRegisteredProviderFound"
    unknown_type = arm("GET", f"/subscriptions/{sub}/providers/Test.Engine/nothings?api-version=2024-01-01")
    assert unknown_type.status_code == 400 and unknown_type.json()["error"]["code"] == "InvalidResourceType"
    unknown_namespace = arm("GET", f"/subscriptions/{sub}/providers/No.Such/things?api-version=2024-01-01")
    assert unknown_namespace.status_code == 400


def test_other_subscription_is_not_found(arm):
    response = arm("GET", f"/subscriptions/{uuid.uuid4()}/resourcegroups?api-version=2025-04-01")
    assert response.status_code == 404 and response.json()["error"]["code"] == "SubscriptionNotFound"
