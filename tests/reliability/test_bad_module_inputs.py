"""The modules refuse bad input before any write: each case fails with a message naming the offending value, with
no traceback, and the endpoint's request log shows 0 writes for it.  Run as Ansible runs modules (a subprocess
reading its argument file), against an endpoint of this file's own."""
from __future__ import annotations

import uuid

import pytest

from tests.integration.conftest import ModuleRunner, RequestLog
from tests.reliability.harness import ROOT, Endpoint

COLLECTIONS = ROOT / ".collections"
RG = "rg-bad-input"
WORKSPACE_ID = ("/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/%s/providers/"
                "Microsoft.OperationalInsights/workspaces/ws-bad-input" % RG)
GATEWAY = {"category": "ApiManagement", "target": "https://apim-x.azure-api.net/inference/openai",
           "api_key": "k", "api_type": "PassThrough", "models": [{"name": "gpt-4o-mini"}]}
MODEL = {"model_name": "gpt-4o-mini", "model_version": "2024-07-18"}

# (module, arguments, the value the message must name)
CASES = [
    ("resource_group", {"name": "rg.", "location": "swedencentral"}, "'rg.'"),
    ("resource_group", {"name": "r" * 91, "location": "swedencentral"}, "r" * 91),
    ("resource_group", {"name": "rg/slash", "location": "swedencentral"}, "'rg/slash'"),
    ("resource_group", {"name": "rg-mars", "location": "marscentral"}, "'marscentral'"),
    ("resource_group", {"name": "rg-ok", "location": "swedencentral", "state": "gone"}, "gone"),
    ("log_analytics_workspace", {"resource_group": RG, "name": "ws1"}, "'ws1'"),
    ("log_analytics_workspace", {"resource_group": RG, "name": "-ws-one"}, "'-ws-one'"),
    ("log_analytics_workspace", {"resource_group": RG, "name": "ws-one", "sku": "PerGB"}, "'PerGB'"),
    ("log_analytics_workspace", {"resource_group": RG, "name": "ws-one", "retention_in_days": 3}, "3"),
    ("log_analytics_workspace", {"resource_group": RG, "name": "ws-one", "location": "swedencentrl"},
     "'swedencentrl'"),
    ("log_analytics_workspace", {"resource_group": RG, "name": "ws-one", "retention_in_days": "a month"},
     "a month"),
    ("app_insights", {"resource_group": RG, "name": "appi?", "workspace_id": WORKSPACE_ID}, "'appi?'"),
    ("app_insights", {"resource_group": RG, "name": "appi.", "workspace_id": WORKSPACE_ID}, "'appi.'"),
    ("app_insights", {"resource_group": RG, "name": "appi", "workspace_id": "not-an-id"}, "'not-an-id'"),
    ("app_insights", {"resource_group": RG, "name": "appi", "workspace_id": WORKSPACE_ID, "location": "narnia"},
     "'narnia'"),
    ("app_insights", {"resource_group": RG, "name": "appi", "workspace_id": WORKSPACE_ID,
                      "application_type": "mobile"}, "mobile"),
    ("cognitive_account", {"resource_group": RG, "name": "a"}, "'a'"),
    ("cognitive_account", {"resource_group": RG, "name": "acct_one"}, "'acct_one'"),
    ("cognitive_account", {"resource_group": RG, "name": "acct-"}, "'acct-'"),
    ("cognitive_account", {"resource_group": RG, "name": "acct-x1", "kind": "AIService"}, "'AIService'"),
    ("cognitive_account", {"resource_group": RG, "name": "acct-x1", "sku": "F0"}, "'F0'"),
    ("cognitive_account", {"resource_group": RG, "name": "acct-x1", "sku": "S9"}, "'S9'"),
    ("cognitive_account", {"resource_group": RG, "name": "acct-x1", "location": "westeurope2"}, "'westeurope2'"),
    ("cognitive_account", {"resource_group": RG, "name": "acct-x1", "identity": {"type": "UserAssigned"}},
     "UserAssigned"),
    ("cognitive_account", {"resource_group": RG, "name": "acct-x1", "public_network_access": "Open"}, "Open"),
    ("model_deployment", dict(MODEL, resource_group=RG, account="acct-x1", name="-gpt"), "'-gpt'"),
    ("model_deployment", dict(MODEL, resource_group=RG, account="acct-x1", name="g"), "'g'"),
    ("model_deployment", dict(MODEL, resource_group=RG, account="acct-x1", name="g" * 65), "g" * 65),
    ("model_deployment", dict(MODEL, resource_group=RG, account="acct-x1", name="gpt", model_format="OpenAl"),
     "'OpenAl'"),
    ("model_deployment", dict(MODEL, resource_group=RG, account="acct-x1", name="gpt", sku_name="Global"),
     "'Global'"),
    ("model_deployment", dict(MODEL, resource_group=RG, account="acct-x1", name="gpt", capacity=0), "0"),
    ("model_deployment", dict(MODEL, resource_group=RG, account="acct-x1", name="gpt",
                              version_upgrade_option="Always"), "Always"),
    ("foundry_project", {"resource_group": RG, "account": "acct-x1", "name": "p"}, "p"),
    ("foundry_project", {"resource_group": RG, "account": "acct-x1", "name": "-proj"}, "-proj"),
    ("foundry_connection", dict(GATEWAY, resource_group=RG, account="acct-x1", name="x"), "'x'"),
    ("foundry_connection", dict(GATEWAY, resource_group=RG, account="acct-x1", name="ai-gateway", category="ApiManagment"),
     "'ApiManagment'"),
    ("foundry_connection", dict(GATEWAY, resource_group=RG, account="acct-x1", name="ai-gateway", api_key=None,
                                auth_type="ProjectManagedIdentity"), "ProjectManagedIdentity"),
    ("foundry_connection", dict(GATEWAY, resource_group=RG, account="acct-x1", name="ai-gateway",
                                target="http://plain/openai"), "http://plain/openai"),
    ("foundry_connection", dict(GATEWAY, resource_group=RG, account="acct-x1", name="ai-gateway",
                                models=[{"name": "gpt-4o-mini"}, {"name": "gpt-4o-mini"}]), "gpt-4o-mini"),
    ("foundry_connection", dict(GATEWAY, resource_group=RG, account="acct-x1", name="ai-gateway", api_type="AzureOpenAIV1"),
     "https://apim-x.azure-api.net/inference/openai"),
    ("apim_service", {"resource_group": RG, "name": "1apim", "sku_name": "Standardv2",
                      "publisher_email": "a@b.c", "publisher_name": "A"}, "'1apim'"),
    ("apim_service", {"resource_group": RG, "name": "apim-", "sku_name": "Standardv2",
                      "publisher_email": "a@b.c", "publisher_name": "A"}, "'apim-'"),
    ("apim_service", {"resource_group": RG, "name": "apim-x1", "sku_name": "Standardv2",
                      "publisher_email": "nobody", "publisher_name": "A"}, "'nobody'"),
    ("apim_service", {"resource_group": RG, "name": "apim-x1", "sku_name": "Standardv2", "sku_capacity": 0,
                      "publisher_email": "a@b.c", "publisher_name": "A"}, "0"),
    ("apim_service", {"resource_group": RG, "name": "apim-x1", "sku_name": "Gold",
                      "publisher_email": "a@b.c", "publisher_name": "A"}, "Gold"),
    ("apim_service", {"resource_group": RG, "name": "apim-x1", "sku_name": "Standardv2", "location": "moon",
                      "publisher_email": "a@b.c", "publisher_name": "A"}, "'moon'"),
    ("apim_backend", {"resource_group": RG, "service": "apim-x1", "name": "b" * 81, "url": "https://x"}, "b" * 81),
    ("apim_backend", {"resource_group": RG, "service": "apim-x1", "name": "be", "url": "not a url"}, "'not a url'"),
    ("apim_backend", {"resource_group": RG, "service": "apim-x1", "name": "pool", "type": "Pool",
                      "pool_services": [{"backend": "be", "weight": 101}]}, "101"),
    ("apim_api", {"resource_group": RG, "service": "apim-x1", "name": "api#1", "path": "p"}, "'api#1'"),
    ("apim_api", {"resource_group": RG, "service": "apim-x1", "name": "api", "path": "p", "display_name": "A",
                  "service_url": "not-a-url"}, "'not-a-url'"),
    ("apim_named_value", {"resource_group": RG, "service": "apim-x1", "name": "nv", "display_name": "bad name!",
                          "value": "v"}, "'bad name!'"),
    ("apim_named_value", {"resource_group": RG, "service": "apim-x1", "name": "nv",
                          "key_vault_secret_id": "http://vault/x"}, "'http://vault/x'"),
    ("apim_subscription", {"resource_group": RG, "service": "apim-x1", "name": "sub", "scope": "/everything"},
     "'/everything'"),
    ("apim_subscription", {"resource_group": RG, "service": "apim-x1", "name": "sub", "scope": "/apis",
                           "owner_id": "/bad"}, "'/bad'"),
    ("apim_product", {"resource_group": RG, "service": "apim-x1", "name": "gold", "apis": ["a", "A"]}, "'A'"),
    ("apim_product", {"resource_group": RG, "service": "apim-x1", "name": "gold", "subscriptions_limit": -1}, "-1"),
    ("apim_diagnostic", {"resource_group": RG, "service": "apim-x1", "name": "applicationinsights",
                         "logger": "l", "sampling_percentage": 150}, "150"),
    ("redis_enterprise", {"resource_group": RG, "name": "redis--x"}, "'redis--x'"),
    ("redis_enterprise", {"resource_group": RG, "name": "redis-x", "sku": "B0"}, "'B0'"),
    ("redis_enterprise", {"resource_group": RG, "name": "redis-x", "port": 70000}, "70000"),
    ("redis_enterprise", {"resource_group": RG, "name": "redis-x", "location": "mars"}, "'mars'"),
    ("rai_blocklist", {"resource_group": RG, "account": "acct-x1", "name": "-block"}, "'-block'"),
    ("rai_blocklist", {"resource_group": RG, "account": "acct-x1", "name": "block",
                       "items": [{"name": "i1", "pattern": "([", "is_regex": True}]}, "i1"),
    ("role_assignment", {"scope": "/subscriptions/x", "role": "Reader", "principal_id": "not-a-guid"},
     "'not-a-guid'"),
    ("role_assignment", {"scope": "subscriptions/x", "role": "Reader",
                         "principal_id": "00000000-0000-0000-0000-000000000001"}, "'subscriptions/x'"),
]


@pytest.fixture(scope="module")
def endpoint(tmp_path_factory):
    started = Endpoint(tmp_path_factory.mktemp("bad-module-inputs"))
    yield started
    started.stop()


@pytest.fixture(scope="module")
def run_module(endpoint, tmp_path_factory):
    import os

    info = endpoint.info
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AZURE_", "REQUESTS_CA_BUNDLE"))}
    env.update(AZURE_ARM_ENDPOINT=info["arm_endpoint"], AZURE_AUTHORITY_HOST=info["authority_host"],
               AZURE_CA_BUNDLE=info["ca_bundle"], AZURE_CLIENT_ID=info["client_id"],
               AZURE_SECRET=info["client_secret"], AZURE_TENANT=info["tenant_id"],
               AZURE_SUBSCRIPTION_ID=info["subscription_id"], NO_PROXY="127.0.0.1,localhost",
               PYTHONPATH=str(COLLECTIONS))
    runner = ModuleRunner(env, tmp_path_factory.mktemp("modules"))
    runner("resource_group", {"name": RG, "location": "swedencentral"})
    return runner


@pytest.mark.parametrize("module, args, value", CASES,
                         ids=["%s-%d" % (case[0], index) for index, case in enumerate(CASES)])
def test_bad_input_is_refused_before_any_write(run_module, endpoint, figures, module, args, value):
    log = RequestLog(endpoint.state_dir / "requests.jsonl")
    mark = log.mark()
    result = run_module(module, args, expect_failure=True)   # fails, and prints no traceback
    message = result["msg"]
    writes = log.writes(mark)
    figures.add("bad input (modules)", "%s %s" % (module, uuid.uuid5(uuid.NAMESPACE_URL, repr(args)).hex[:6]),
                "refused, %d writes" % len(writes), message[:110])
    assert value in message, message
    assert "Traceback" not in message
    assert writes == []


def test_the_catalogue_is_large_enough():
    assert len(CASES) >= 50
