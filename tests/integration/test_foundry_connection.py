"""foundry_connection against the local endpoint: gateway connections at account and project scope."""
import json
import uuid

import pytest

KEY = "apim-subscription-key-%s" % uuid.uuid4().hex
MODELS = [{"name": "gpt-4o-mini", "model_version": "2024-07-18"},
          {"name": "gpt-4.1-mini", "model_version": "2025-04-14"}]


@pytest.fixture
def account(run_module, resource_group):
    name = "acct-cn-%s" % uuid.uuid4().hex[:8]
    run_module("cognitive_account", {"resource_group": resource_group, "name": name,
                                     "allow_project_management": True})
    yield name
    run_module("cognitive_account", {"resource_group": resource_group, "name": name, "state": "absent",
                                     "purge": True})


def gateway_args(resource_group, account, **extra):
    args = {"resource_group": resource_group, "account": account, "name": "ai-gateway",
            "category": "ApiManagement", "target": "https://apim-x.azure-api.net/inference/openai",
            "api_type": "AzureOpenAI", "api_key": KEY, "is_shared_to_all": True,
            "inference_api_version": "2024-12-01-preview", "models": MODELS,
            "extra_metadata": {"ApiType": "Azure"}}
    args.update(extra)
    # None means "leave the option out", as a task that does not set it.
    return dict((key, value) for key, value in args.items() if value is not None)


def test_account_connection_lifecycle(run_module, resource_group, account, request_log):
    args = gateway_args(resource_group, account)

    mark = request_log.mark()
    predicted = run_module("foundry_connection", args, check=True, diff=True)
    assert predicted["changed"] is True
    assert predicted["id"].endswith("/accounts/%s/connections/ai-gateway" % account)
    assert predicted["diff"]["after"]["properties"]["metadata"]["deploymentInPath"] == "true"
    assert request_log.writes(mark) == []
    assert KEY not in predicted["_stdout"]

    created = run_module("foundry_connection", args, diff=True)
    assert created["changed"] is True
    assert created["model_reference_prefix"] == "ai-gateway/"
    props = created["state"]["properties"]
    assert props["category"] == "ApiManagement" and props["authType"] == "ApiKey"
    assert json.loads(props["metadata"]["models"]) == [
        {"name": "gpt-4o-mini", "properties": {"model": {"name": "gpt-4o-mini", "version": "2024-07-18",
                                                         "format": "OpenAI"}}},
        {"name": "gpt-4.1-mini", "properties": {"model": {"name": "gpt-4.1-mini", "version": "2025-04-14",
                                                          "format": "OpenAI"}}}]
    assert "credentials" not in props
    assert KEY not in created["_stdout"]

    mark = request_log.mark()
    again = run_module("foundry_connection", dict(args, target=args["target"] + "/"))
    assert again["changed"] is False
    assert request_log.writes(mark) == [], "an unchanged re-run only reads (the key is not re-sent)"

    mark = request_log.mark()
    rotate = dict(args, update_credentials="always", api_key=KEY + "2")
    assert run_module("foundry_connection", rotate, check=True)["changed"] is True
    assert request_log.writes(mark) == []
    rotated = run_module("foundry_connection", rotate, diff=True)
    assert rotated["changed"] is True
    assert len(request_log.writes(mark)) == 1
    assert KEY not in rotated["_stdout"]

    diff = run_module("foundry_connection", dict(args, models=MODELS[:1]), check=True, diff=True)
    assert diff["changed"] is True
    assert "gpt-4.1-mini" in diff["diff"]["before"]["properties"]["metadata"]["models"]
    assert "gpt-4.1-mini" not in diff["diff"]["after"]["properties"]["metadata"]["models"]

    dropped = run_module("foundry_connection", gateway_args(resource_group, account, extra_metadata=None))
    assert dropped["changed"] is True, "a removed metadata key is a change"
    assert "ApiType" not in dropped["state"]["properties"]["metadata"]

    deleted = run_module("foundry_connection", {"resource_group": resource_group, "account": account,
                                                "name": "ai-gateway", "state": "absent"})
    assert deleted["changed"] is True and deleted["state"] is None
    mark = request_log.mark()
    assert run_module("foundry_connection", {"resource_group": resource_group, "account": account,
                                             "name": "ai-gateway", "state": "absent"})["changed"] is False
    assert request_log.writes(mark) == []


def test_project_connection_with_managed_identity(run_module, resource_group, account, request_log):
    run_module("foundry_project", {"resource_group": resource_group, "account": account, "name": "proj"})
    args = gateway_args(resource_group, account, project="proj", name="ai-gateway-mi",
                        auth_type="ProjectManagedIdentity", api_key=None, models=None,
                        model_discovery={"list_models_endpoint": "/deployments",
                                         "get_model_endpoint": "/deployments/{deploymentName}",
                                         "deployment_provider": "AzureOpenAI"})
    created = run_module("foundry_connection", args)
    assert created["changed"] is True
    assert created["id"].endswith("/projects/proj/connections/ai-gateway-mi")
    props = created["state"]["properties"]
    assert props["authType"] == "ProjectManagedIdentity"
    assert json.loads(props["metadata"]["modelDiscovery"])["getModelEndpoint"] == "/deployments/{deploymentName}"

    mark = request_log.mark()
    assert run_module("foundry_connection", args)["changed"] is False
    assert request_log.writes(mark) == []

    account_level = run_module("foundry_connection", gateway_args(resource_group, account))
    assert "/projects/" not in account_level["id"]
    assert run_module("foundry_connection", dict(args, state="absent"))["changed"] is True


def test_bad_combinations_fail_before_any_write(run_module, resource_group, account, request_log):
    discovery = {"list_models_endpoint": "/deployments", "get_model_endpoint": "/deployments/{deploymentName}",
                 "deployment_provider": "AzureOpenAI"}
    cases = [
        (dict(model_discovery=discovery), "cannot both be set"),
        (dict(models=None), "needs models"),
        (dict(api_key=None), "api_key is required"),
        (dict(api_type="AzureAI"), "must end with /models"),
        (dict(deployment_in_path=False), "DeploymentNotFound"),
        (dict(api_type="AzureOpenAIV1", target="https://apim-x.azure-api.net/inference/openai/v1"),
         "inference_api_version 2024-12-01-preview does not fit api_type AzureOpenAIV1"),
        (dict(api_type="AzureAI", target="https://apim-x.azure-api.net/inference/models"),
         "inference_api_version 2024-12-01-preview does not fit api_type AzureAI"),
        (dict(model_discovery=dict(discovery, get_model_endpoint="/deployments/x"), models=None),
         "{deploymentName}"),
        (dict(auth_type="OAuth2", api_key=None, category="ModelGateway",
              oauth2={"client_id": "not-a-guid", "client_secret": "s3cr3t-value", "token_url": "https://t"}),
         "GUID"),
    ]
    mark = request_log.mark()
    for extra, message in cases:
        result = run_module("foundry_connection", gateway_args(resource_group, account, **extra),
                            expect_failure=True)
        assert message in result["msg"], (extra, result["msg"])
        assert KEY not in result["_stdout"] and "s3cr3t-value" not in result["_stdout"]
    assert request_log.writes(mark) == []


def test_model_gateway_oauth2(run_module, resource_group, account):
    args = gateway_args(resource_group, account, name="mg-oauth", category="ModelGateway", api_type=None,
                        target="https://gateway.example.com/v1", deployment_in_path=False, api_key=None,
                        auth_type="OAuth2",
                        oauth2={"client_id": str(uuid.uuid4()), "client_secret": "oauth-secret-value",
                                "token_url": "https://login.example.com/token", "scopes": ["api://gw/.default"]})
    created = run_module("foundry_connection", args, diff=True)
    assert created["changed"] is True
    assert created["state"]["properties"]["tokenUrl"] == "https://login.example.com/token"
    assert "oauth-secret-value" not in created["_stdout"]
    assert run_module("foundry_connection", args)["changed"] is False


def test_missing_parent_is_a_clear_error(run_module, resource_group, account, request_log):
    mark = request_log.mark()
    args = gateway_args(resource_group, account, project="no-such-project")
    predicted = run_module("foundry_connection", args, check=True)
    assert predicted["changed"] is True, "check mode predicts: an earlier task may create the project"
    result = run_module("foundry_connection", args, expect_failure=True)
    assert "project no-such-project of account %s does not exist" % account in result["msg"]
    assert request_log.writes(mark) == []
