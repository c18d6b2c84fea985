"""planned_resources: what check mode on a new resource group says it would create, by kind and name."""
import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.aigateway.foundry.plugins.filter.plan import planned_resources

PLAN = {"resource_group": "rg", "location": "swedencentral", "workspace_name": "ws", "app_insights_name": "ai",
        "accounts": [{"name": "models", "deployments": [{"name": "gpt-4o-mini", "model_name": "gpt-4o-mini",
                                                         "model_version": "2024-07-18", "sku_name": "GlobalStandard"}]},
                     {"name": "agents", "location": "eastus", "project": "p"}],
        "apim_name": "apim-x", "apim_sku": "Standardv2", "api_path": "inference",
        "apim_subscriptions": [{"name": "foundry-subscription"}], "connection_name": "ai-gateway",
        "connection_scope": "account"}


def test_every_resource_by_kind_and_name_in_the_order_of_the_run():
    assert planned_resources(PLAN) == [
        "resource group rg (swedencentral)", "Log Analytics workspace rg/ws", "Application Insights rg/ai",
        "Foundry account rg/models (swedencentral)",
        "model deployment models/gpt-4o-mini (gpt-4o-mini 2024-07-18, GlobalStandard)",
        "Foundry account rg/agents (eastus)", "Foundry project agents/p",
        "API Management service rg/apim-x (Standardv2)", "API Management API apim-x/inference",
        "API Management subscription apim-x/foundry-subscription", "Foundry connection ai-gateway (account scope)"]


def test_an_existing_service_is_not_created():
    lines = planned_resources(dict(PLAN, apim_existing=True))
    assert not any(line.startswith("API Management service") for line in lines)
    assert "API Management API apim-x/inference" in lines


def test_no_resource_group_is_refused():
    with pytest.raises(AnsibleFilterError, match="needs a dictionary with resource_group"):
        planned_resources({"location": "x"})
