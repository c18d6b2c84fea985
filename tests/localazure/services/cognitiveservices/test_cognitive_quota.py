"""Microsoft.CognitiveServices model catalogue, usages and InsufficientQuota (localazure/services/cognitiveservices/quota.py).

First part: the hooks against the in-memory store. Second part: the stock azure-mgmt-cognitiveservices client
(`models.list`, `usages.list`, a deployment over quota) and the control endpoint, against the running endpoint.
Every test works in a region no other test deploys to, so quota settings never leak into other tests.
"""
from __future__ import annotations

import uuid

import pytest
from azure.core.exceptions import HttpResponseError
from azure.mgmt.cognitiveservices import CognitiveServicesManagementClient
from azure.mgmt.cognitiveservices import models as csm
from azure.mgmt.resource.resources import ResourceManagementClient

from localazure.engine.contract import ArmError
from localazure.services.cognitiveservices import quota
from tests.localazure.services.cognitiveservices.test_cognitiveservices import (ACCOUNTS, DEPLOYMENTS, SUB, MemoryStore,
                                                                              account_id, ai_services, create, delete)

USAGE = "OpenAI.GlobalStandard.gpt-4o-mini"


def deployment_body(capacity, model="gpt-4o-mini", sku="GlobalStandard"):
    return {"sku": {"name": sku, "capacity": capacity},
            "properties": {"model": {"format": "OpenAI", "name": model, "version": "2024-07-18"}}}


@pytest.fixture
def store():
    return MemoryStore()


def test_deployments_count_against_their_region_model_and_sku(store):
    create(store, ACCOUNTS, account_id("a1"), ai_services("a1"))
    create(store, DEPLOYMENTS, account_id("a1") + "/deployments/d1", deployment_body(30))
    create(store, DEPLOYMENTS, account_id("a1") + "/deployments/d2", deployment_body(5, sku="Standard"))
    elsewhere = dict(ai_services("a2"), location="eastus2")
    create(store, ACCOUNTS, account_id("a2"), elsewhere)
    create(store, DEPLOYMENTS, account_id("a2") + "/deployments/d1", deployment_body(7))
    assert quota.current_usage(store, SUB, "Sweden Central") == {USAGE: 30, "OpenAI.Standard.gpt-4o-mini": 5}
    assert quota.current_usage(store, SUB, "eastus2") == {USAGE: 7}


def test_a_deployment_over_the_free_quota_is_refused_with_azures_message(store):
    quota.configure_quota(store, {"location": "swedencentral", "limits": {USAGE: 40}})
    create(store, ACCOUNTS, account_id("a1"), ai_services("a1"))
    create(store, DEPLOYMENTS, account_id("a1") + "/deployments/d1", deployment_body(30))
    with pytest.raises(ArmError) as refused:
        create(store, DEPLOYMENTS, account_id("a1") + "/deployments/d2", deployment_body(20))
    assert (refused.value.status, refused.value.code) == (400, "InsufficientQuota")
    assert refused.value.message == (
        "This operation require 20 new capacity in quota Tokens Per Minute (thousands) - gpt-4o-mini, which is "
        "bigger than the current available capacity 10. The current quota usage is 30 and the quota limit is 40 "
        "for quota Tokens Per Minute (thousands) - gpt-4o-mini.")
    create(store, DEPLOYMENTS, account_id("a1") + "/deployments/d2", deployment_body(10))   # exactly what is free


def test_an_update_counts_only_the_added_capacity(store):
    quota.configure_quota(store, {"location": "*", "limits": {USAGE: 30}})
    create(store, ACCOUNTS, account_id("a1"), ai_services("a1"))
    deployment_id = account_id("a1") + "/deployments/d1"
    create(store, DEPLOYMENTS, deployment_id, deployment_body(20))
    DEPLOYMENTS.validate(_ctx(store, deployment_id), deployment_body(30), store.get(deployment_id))
    with pytest.raises(ArmError):
        DEPLOYMENTS.validate(_ctx(store, deployment_id), deployment_body(31), store.get(deployment_id))


def test_a_retired_model_version_is_refused_as_azure_refuses_it(store):
    """o4-mini 2025-04-16 is listed Deprecated (retired on 2026-10-16): Azure answers 400 ServiceModelDeprecated."""
    create(store, ACCOUNTS, account_id("a1"), ai_services("a1"))
    retired = {"sku": {"name": "GlobalStandard", "capacity": 1},
               "properties": {"model": {"format": "OpenAI", "name": "o4-mini", "version": "2025-04-16"}}}
    with pytest.raises(ArmError) as refused:
        create(store, DEPLOYMENTS, account_id("a1") + "/deployments/d1", retired)
    assert (refused.value.status, refused.value.code) == (400, "ServiceModelDeprecated")
    assert refused.value.message == ("The model 'Format:OpenAI,Name:o4-mini,Version:2025-04-16' has been deprecated "
                                     "since 10/16/2026 00:00:00.")
    # no version: Azure deploys the default one, here the only (retired) one; a Deprecating version is still made
    del retired["properties"]["model"]["version"]
    with pytest.raises(ArmError, match="Version:2025-04-16' has been deprecated"):
        create(store, DEPLOYMENTS, account_id("a1") + "/deployments/d1", retired)
    create(store, DEPLOYMENTS, account_id("a1") + "/deployments/d2", deployment_body(1))


def test_a_deployment_beyond_the_regions_capacity_is_refused_although_quota_is_left(store):
    quota.configure_capacity(store, {"location": "swedencentral", "capacities": {USAGE: 6}})
    create(store, ACCOUNTS, account_id("a1"), ai_services("a1"))
    deployment_id = account_id("a1") + "/deployments/d1"
    with pytest.raises(ArmError) as refused:
        create(store, DEPLOYMENTS, deployment_id, deployment_body(10))
    assert (refused.value.status, refused.value.code) == (400, "InsufficientQuota")
    assert refused.value.message == ("The specified capacity '10' of account deployment is bigger than available "
                                     "capacity '6' for UsageName 'Tokens Per Minute (thousands) - gpt-4o-mini'.")
    create(store, DEPLOYMENTS, deployment_id, deployment_body(6))
    # an update counts only what it adds to the deployment's own capacity
    DEPLOYMENTS.validate(_ctx(store, deployment_id), deployment_body(12), store.get(deployment_id))
    with pytest.raises(ArmError):
        DEPLOYMENTS.validate(_ctx(store, deployment_id), deployment_body(13), store.get(deployment_id))


def test_soft_deleted_accounts_keep_their_quota_until_purged(store):
    quota.configure_quota(store, {"location": "swedencentral", "limits": {USAGE: 30}})
    create(store, ACCOUNTS, account_id("a1"), ai_services("a1"))
    create(store, DEPLOYMENTS, account_id("a1") + "/deployments/d1", deployment_body(30))
    delete(store, ACCOUNTS, account_id("a1"))
    assert quota.current_usage(store, SUB, "swedencentral") == {USAGE: 30}
    create(store, ACCOUNTS, account_id("a2"), ai_services("a2"))
    with pytest.raises(ArmError):
        create(store, DEPLOYMENTS, account_id("a2") + "/deployments/d1", deployment_body(1))


def test_a_location_setting_wins_over_the_default_and_bad_settings_are_refused(store):
    quota.configure_quota(store, {"location": "*", "limits": {USAGE: 5}})
    quota.configure_quota(store, {"location": "East US 2", "limits": {USAGE: 50}})
    assert quota.limit_of(store, "eastus2", USAGE) == 50
    assert quota.limit_of(store, "swedencentral", USAGE) == 5
    assert quota.limit_of(store, "swedencentral", "OpenAI.Standard.gpt-4o") == quota.DEFAULT_LIMIT
    for bad in ({"limits": {USAGE: -1}}, {"limits": {USAGE: "10"}}, {"limits": [USAGE]}, []):
        with pytest.raises(ValueError):
            quota.configure_quota(store, bad)
    quota.clear_quota(store)
    assert quota.quota_settings(store) == {}


def _ctx(store, resource_id):
    from tests.localazure.services.cognitiveservices.test_cognitiveservices import FakeCtx
    return FakeCtx(store, resource_id)


# --- against the running endpoint ------------------------------------------------------------------

REGION = "norwayeast"


@pytest.fixture
def client(endpoint, credential, sdk_kwargs):
    return CognitiveServicesManagementClient(credential, endpoint["subscription_id"], **sdk_kwargs)


@pytest.fixture
def quota_group(endpoint, credential, sdk_kwargs, control):
    resources = ResourceManagementClient(credential, endpoint["subscription_id"], **sdk_kwargs)
    name = "rg-quota-" + uuid.uuid4().hex[:8]
    resources.resource_groups.create_or_update(name, {"location": REGION})
    yield name
    resources.resource_groups.begin_delete(name).result()
    control("DELETE", "/localazure/cognitiveservices/quota")


def test_sdk_models_carry_their_lifecycle_and_retirement_date_as_azure_lists_them(client):
    """Learn's model retirement schedule, as the models list reports it (AccountModel.lifecycle_status and
    .deprecation): a model past its date stays listed, so only the date tells that it is retired."""
    listed = dict(((m.model.name, m.model.version), m.model) for m in client.models.list(REGION))
    mini = listed[("gpt-4o-mini", "2024-07-18")]
    assert (mini.lifecycle_status, mini.deprecation.inference) == ("Deprecating", "2027-04-14T00:00:00Z")
    assert mini.deprecation.deprecation_status == "Planned"
    assert listed[("gpt-4.1-mini", "2025-04-14")].lifecycle_status == "Legacy"
    retired = listed[("o4-mini", "2025-04-16")]
    assert (retired.lifecycle_status, retired.deprecation.inference) == ("Deprecated", "2026-10-16T00:00:00Z")
    current = listed[("gpt-5.4-mini", "2026-03-17")]
    assert (current.lifecycle_status, current.deprecation.inference) == ("GenerallyAvailable", "2027-09-21T00:00:00Z")
    assert [version for (name, version), model in listed.items() if name == "gpt-4o" and model.is_default_version] \
        == ["2024-11-20"]


def test_sdk_models_and_usages_and_a_deployment_over_quota(client, quota_group, control):
    models = list(client.models.list(REGION))
    mini = [m for m in models if m.model.name == "gpt-4o-mini"]
    assert mini and mini[0].model.version == "2024-07-18" and mini[0].kind == "AIServices"
    assert USAGE in [sku.usage_name for sku in mini[0].model.skus]

    answer = control("POST", "/localazure/cognitiveservices/quota", json={"location": REGION, "limits": {USAGE: 15}})
    assert answer.status_code == 200 and answer.json()[REGION][USAGE] == 15
    assert control("POST", "/localazure/cognitiveservices/quota", json={"limits": {USAGE: -3}}).status_code == 400

    account = "quota-" + uuid.uuid4().hex[:8]
    client.accounts.begin_create(quota_group, account, csm.Account(
        location=REGION, kind="AIServices", sku=csm.Sku(name="S0"),
        properties=csm.AccountProperties(custom_sub_domain_name=account))).result()
    deployment = csm.Deployment(sku=csm.Sku(name="GlobalStandard", capacity=10), properties=csm.DeploymentProperties(
        model=csm.DeploymentModel(format="OpenAI", name="gpt-4o-mini", version="2024-07-18")))
    client.deployments.begin_create_or_update(quota_group, account, "first", deployment).result()

    usages = dict((u.name.value, u) for u in client.usages.list(REGION))
    assert (usages[USAGE].current_value, usages[USAGE].limit, usages[USAGE].unit) == (10, 15, "Count")
    assert usages["OpenAI.GlobalStandard.gpt-4.1-mini"].current_value == 0

    with pytest.raises(HttpResponseError) as refused:
        client.deployments.begin_create_or_update(quota_group, account, "second", deployment)
    assert refused.value.status_code == 400 and refused.value.error.code == "InsufficientQuota"
    assert "bigger than the current available capacity 5" in refused.value.error.message
    assert [d.name for d in client.deployments.list(quota_group, account)] == ["first"]


def test_sdk_model_capacities_are_the_region_s_capacity_within_the_free_quota(client, quota_group, control):
    """modelCapacities, per location and subscription-wide: what the subscription can still deploy of a model
    version per region and SKU. Capacity is not quota: a region can be out of capacity with quota left."""
    usage = "OpenAI.GlobalStandard.gpt-5.4-mini"
    listed = list(client.location_based_model_capacities.list(REGION, model_format="OpenAI",
                                                              model_name="gpt-5.4-mini", model_version="2026-03-17"))
    by_sku = dict((item.properties.sku_name, item) for item in listed)
    assert set(by_sku) == {"GlobalStandard", "DataZoneStandard", "Standard"}
    item = by_sku["GlobalStandard"]
    assert item.location == REGION and item.name == "GlobalStandard"
    assert item.id.endswith(f"/locations/{REGION}/models/OpenAI.gpt-5.4-mini.2026-03-17/skuCapacities/GlobalStandard")
    assert (item.properties.model.name, item.properties.model.version) == ("gpt-5.4-mini", "2026-03-17")
    assert item.properties.available_capacity == quota.DEFAULT_LIMIT        # the free quota bounds it

    try:
        assert control("POST", "/localazure/cognitiveservices/capacity",
                       json={"location": REGION, "capacities": {usage: 4}}).status_code == 200
        assert control("POST", "/localazure/cognitiveservices/capacity",
                       json={"capacities": {usage: -1}}).status_code == 400
        listed = client.location_based_model_capacities.list(REGION, model_format="OpenAI", model_name="gpt-5.4-mini",
                                                             model_version="2026-03-17")
        assert dict((i.properties.sku_name, i.properties.available_capacity) for i in listed)["GlobalStandard"] == 4
        everywhere = list(client.model_capacities.list(model_format="OpenAI", model_name="gpt-5.4-mini",
                                                       model_version="2026-03-17"))
        regions = dict((i.location, i.properties.available_capacity) for i in everywhere
                       if i.properties.sku_name == "GlobalStandard")
        assert regions[REGION] == 4 and {"swedencentral", "eastus2"} <= set(regions)
        assert list(client.model_capacities.list(model_format="OpenAI", model_name="gpt-5.4-mini",
                                                 model_version="1999-01-01")) == []
    finally:
        control("DELETE", "/localazure/cognitiveservices/capacity")
