"""Pure metadata building and validation of gateway connections."""
import json

import pytest

from ansible_collections.aigateway.foundry.plugins.module_utils import foundry_connection as fc
from ansible_collections.aigateway.foundry.plugins.modules import foundry_connection as module

CLIENT_ID = "5e0d2a53-8f7c-4b9e-a1d2-3c4b5a6f7e8d"   # an application's client id (a GUID, as ARM requires)

DISCOVERY = {"list_models_endpoint": "/deployments", "get_model_endpoint": "/deployments/{deploymentName}",
             "deployment_provider": "AzureOpenAI"}


def params(**extra):
    base = {"name": "ai-gateway", "category": "ApiManagement", "target": "https://apim.azure-api.net/inference/openai",
            "auth_type": "ApiKey", "api_key": "k", "audience": fc.DEFAULT_AUDIENCE, "oauth2": None,
            "is_shared_to_all": True, "api_type": "AzureOpenAI", "deployment_in_path": None,
            "inference_api_version": "2024-12-01-preview", "deployment_api_version": None,
            "models": [{"name": "gpt-4o-mini", "model_name": None, "model_version": "2024-07-18",
                        "model_format": "OpenAI"}],
            "model_discovery": None, "custom_headers": None, "auth_config": None, "extra_metadata": None}
    base.update(extra)
    return base


def test_metadata_is_strings_with_json_inside():
    metadata = fc.build_metadata(params(custom_headers={"x-route": "a"}, extra_metadata={"ApiType": "Azure"},
                                        auth_config={"type": "api_key", "name": "Authorization",
                                                     "format": "Bearer {api_key}"}))
    assert all(isinstance(v, str) for v in metadata.values())
    assert metadata["deploymentInPath"] == "true"
    assert metadata["inferenceAPIVersion"] == "2024-12-01-preview"
    assert json.loads(metadata["models"]) == [
        {"name": "gpt-4o-mini", "properties": {"model": {"name": "gpt-4o-mini", "version": "2024-07-18",
                                                         "format": "OpenAI"}}}]
    assert json.loads(metadata["customHeaders"]) == {"x-route": "a"}
    assert json.loads(metadata["authConfig"])["format"] == "Bearer {api_key}"
    assert metadata["ApiType"] == "Azure"
    assert "deploymentAPIVersion" not in metadata


def test_discovery_metadata_and_api_type_defaults():
    metadata = fc.build_metadata(params(models=None, model_discovery=DISCOVERY, api_type="AzureAI",
                                        target="https://g/models", inference_api_version=None))
    assert metadata["deploymentInPath"] == "false"
    assert json.loads(metadata["modelDiscovery"]) == {"listModelsEndpoint": "/deployments",
                                                      "getModelEndpoint": "/deployments/{deploymentName}",
                                                      "deploymentProvider": "AzureOpenAI"}
    assert fc.validate(params(models=None, model_discovery=DISCOVERY, api_type="AzureAI",
                              target="https://g/models", inference_api_version=None)) is None


@pytest.mark.parametrize("extra, message", [
    (dict(model_discovery=DISCOVERY), "cannot both be set"),
    (dict(models=None), "needs models"),
    (dict(api_key=None), "api_key is required"),
    (dict(auth_type="ProjectManagedIdentity"), "api_key is only used"),
    (dict(api_type="AzureOpenAIV1"), "must end with /openai/v1"),
    (dict(api_type="AzureOpenAIV1", target="https://g/openai/v1", deployment_in_path=True), "deployment_in_path false"),
    (dict(api_type=None), "needs deployment_in_path"),
    (dict(target="http://plain/openai"), "https"),
    (dict(name="x"), "connection name"),
    (dict(models=None, model_discovery=dict(DISCOVERY, get_model_endpoint="/deployments/x")), "{deploymentName}"),
    (dict(auth_type="OAuth2", api_key=None, oauth2={"client_id": "00000000-0000-0000-0000-000000000001",
                                                    "client_secret": None, "token_url": "https://t"}),
     "client_secret is required"),
    (dict(auth_config={"type": "api_key", "name": "Authorization", "format": "Bearer"}), "{api_key}"),
    (dict(category="ModelGateway", custom_headers={"x-route\n": "a"}), "custom_headers name 'x-route\\n'"),
    (dict(category="ModelGateway", custom_headers={"x-route": "a\nb"}), "without control characters"),
    (dict(category="ModelGateway", custom_headers={"x-route": ["a"]}), "custom_headers 'x-route': the value"),
    (dict(custom_headers={"Authorization": "x"}, auth_config={"name": "Authorization", "format": "Bearer {api_key}"}),
     "'Authorization' is the header that carries the connection's credential"),
    (dict(category="ModelGatway"), "category 'ModelGatway' is not one Azure offers (did you mean 'ModelGateway'?)"),
    (dict(category="ModelGateway", auth_type="OAuth2", api_key=None,
          oauth2={"client_id": CLIENT_ID, "client_secret": "s", "token_url": "http://idp/token"}), "https URL"),
    # ConnectionOAuth2.clientId is a uuid in Microsoft.CognitiveServices' definitions: ARM refuses any other
    (dict(category="ModelGateway", auth_type="OAuth2", api_key=None,
          oauth2={"client_id": "gateway-client", "client_secret": "s", "token_url": "https://idp/token"}),
     "oauth2.client_id must be a GUID (the application's client id), got 'gateway-client'"),
    (dict(extra_metadata={"models": "[]"}), "structured options"),
    (dict(models=[{"name": "a"}, {"name": "a"}]), "twice"),
])
def test_bad_combinations(extra, message):
    problem = fc.validate(params(**extra))
    assert problem and message in problem


V1 = dict(api_type="AzureOpenAIV1", target="https://g/inference/openai/v1")


def test_the_api_type_decides_the_inference_api_version():
    """Foundry appends inferenceAPIVersion to every call (APIM-Connection-Objects.md): the v1 API takes no dated
    version, the Model Inference API (/models) only its own versions."""
    assert "inferenceAPIVersion" not in fc.build_metadata(params(inference_api_version=None, **V1))
    assert fc.validate(params(inference_api_version=None, **V1)) is None
    assert fc.validate(params(inference_api_version="preview", **V1)) is None
    problem = fc.validate(params(**V1))   # the dated version every API type used to get
    assert problem.startswith("inference_api_version 2024-12-01-preview does not fit api_type AzureOpenAIV1")
    assert "/chat/completions?api-version=2024-12-01-preview" in problem
    azure_ai = dict(api_type="AzureAI", target="https://g/inference/models")
    assert fc.build_metadata(params(inference_api_version=None, **azure_ai))["inferenceAPIVersion"] == \
        "2024-05-01-preview"
    assert "2024-12-01-preview does not fit api_type AzureAI" in fc.validate(params(**azure_ai))
    assert fc.build_metadata(params(inference_api_version=None))["inferenceAPIVersion"] == "2024-12-01-preview"
    assert "does not fit api_type AzureOpenAI" in fc.validate(params(inference_api_version="v1"))
    # without an API type the version is the user's business
    assert fc.validate(params(api_type=None, deployment_in_path=True, inference_api_version="v1")) is None


def test_inference_call_is_what_foundry_calls():
    assert fc.inference_call("https://g/openai/", "gpt", True, "2024-12-01-preview") == (
        "https://g/openai/deployments/gpt/chat/completions?api-version=2024-12-01-preview", None)
    assert fc.inference_call("https://g/openai/v1", "gpt", False, "") == (
        "https://g/openai/v1/chat/completions", "gpt")


def test_valid_gateway_connection():
    assert fc.validate(params()) is None
    assert fc.validate(params(category="AppInsights", models=None, api_type=None, target="/subscriptions/x")) is None


def test_credentials_are_not_compared():
    comparable = fc.comparable_properties(params())
    assert "credentials" not in comparable
    assert fc.write_properties(params())["credentials"] == {"key": "k"}
    managed = fc.write_properties(params(auth_type="ProjectManagedIdentity", api_key=None))
    assert managed["credentials"] == {} and managed["audience"] == fc.DEFAULT_AUDIENCE
    oauth = fc.write_properties(params(auth_type="OAuth2", api_key=None, oauth2={
        "client_id": "c", "client_secret": "s", "token_url": "https://t", "scopes": ["a"]}))
    assert oauth["credentials"] == {"clientId": "c", "clientSecret": "s"}
    assert oauth["tokenUrl"] == "https://t" and oauth["scopes"] == ["a"]


def test_metadata_comparison_sees_removed_keys_and_ignores_json_spacing():
    from ansible_collections.aigateway.foundry.plugins.module_utils.azure_state import differences
    desired = {"properties": {"metadata": {"models": '[{"name":"a"}]'}}}
    same = {"properties": {"metadata": {"models": '[ {"name": "a"} ]'}}}
    extra = {"properties": {"metadata": {"models": '[{"name":"a"}]', "ApiType": "Azure"}}}
    assert differences(desired, same, normalisers=module.NORMALISERS) == []
    assert differences(desired, extra, normalisers=module.NORMALISERS) == ["properties.metadata"]


def test_a_model_gateway_connection_with_oauth2_and_headers():
    """foundry-samples 01-connections/model-gateway: ModelGateway with OAuth2 client credentials (any OAuth2 server's
    client id, not only an Entra GUID), deploymentInPath as the gateway needs it, and customHeaders."""
    oauth2 = {"client_id": CLIENT_ID, "client_secret": "s3cret", "token_url": "https://idp/token",
              "scopes": ["ai.gateway"]}
    model_gateway = params(category="ModelGateway", auth_type="OAuth2", api_key=None, oauth2=oauth2, api_type=None,
                           deployment_in_path=False, inference_api_version=None,
                           custom_headers={"X-Route-Policy": "premium"})
    assert fc.validate(model_gateway) is None
    written = fc.write_properties(model_gateway)
    assert written["category"] == "ModelGateway" and written["tokenUrl"] == "https://idp/token"
    assert written["metadata"]["deploymentInPath"] == "false"
    assert json.loads(written["metadata"]["customHeaders"]) == {"X-Route-Policy": "premium"}
    assert "s3cret" not in json.dumps(fc.comparable_properties(model_gateway))
