"""connection_call_url: verify calls what Foundry calls, from the connection module's own table."""
import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.aigateway.foundry.plugins.filter.connection import connection_call_url
from ansible_collections.aigateway.foundry.plugins.module_utils import foundry_connection

TARGET = "https://apim.azure-api.net/inference"


@pytest.mark.parametrize("api_type, suffix, url", [
    ("PassThrough", "/openai", "/openai/deployments/gpt/chat/completions?api-version=2024-12-01-preview"),
    ("AzureOpenAI", "/openai", "/openai/deployments/gpt/chat/completions?api-version=2024-12-01-preview"),
    ("AzureOpenAIV1", "/openai/v1", "/openai/v1/chat/completions"),
    ("AzureAI", "/models", "/models/chat/completions?api-version=2024-05-01-preview"),
])
def test_the_url_is_what_the_module_writes_for_foundry(api_type, suffix, url):
    assert connection_call_url(TARGET + suffix, "gpt", api_type) == TARGET + url
    # the metadata the module writes for the same inputs resolves to the same call
    metadata = foundry_connection.build_metadata({"api_type": api_type, "deployment_in_path": None,
                                                  "inference_api_version": ""})
    assert foundry_connection.inference_call(TARGET + suffix, "gpt", metadata["deploymentInPath"] == "true",
                                             metadata.get("inferenceAPIVersion"))[0] == TARGET + url


def test_a_given_version_is_used_and_checked():
    assert connection_call_url(TARGET + "/openai/v1/", "gpt", "AzureOpenAIV1", "preview") == \
        TARGET + "/openai/v1/chat/completions?api-version=preview"
    with pytest.raises(AnsibleFilterError, match="2024-12-01-preview does not fit api_type AzureOpenAIV1"):
        connection_call_url(TARGET + "/openai/v1", "gpt", "AzureOpenAIV1", "2024-12-01-preview")
    with pytest.raises(AnsibleFilterError, match="api_type must be one of"):
        connection_call_url(TARGET, "gpt", "OpenAI")
    with pytest.raises(AnsibleFilterError, match="needs a target and a deployment"):
        connection_call_url("", "gpt", "AzureAI")


@pytest.mark.parametrize("api_type, suffix, operation, url", [
    ("AzureOpenAI", "/openai", "embeddings", "/openai/deployments/emb/embeddings?api-version=2024-12-01-preview"),
    ("AzureOpenAI", "/openai", "responses", "/openai/responses?api-version=2024-12-01-preview"),
    ("PassThrough", "/openai", "responses", "/openai/responses?api-version=2024-12-01-preview"),
    ("AzureOpenAIV1", "/openai/v1", "chat", "/openai/v1/chat/completions"),
    ("AzureOpenAIV1", "/openai/v1", "embeddings", "/openai/v1/embeddings"),
    ("AzureOpenAIV1", "/openai/v1", "responses", "/openai/v1/responses"),
    ("AzureAI", "/models", "embeddings", "/models/embeddings?api-version=2024-05-01-preview"),
])
def test_each_operation_has_the_url_of_its_api_type_and_the_module_names_the_model_where_the_url_does_not(
        api_type, suffix, operation, url):
    assert connection_call_url(TARGET + suffix, "emb", api_type, operation=operation) == TARGET + url
    in_path = foundry_connection.build_metadata({"api_type": api_type, "deployment_in_path": None,
                                                 "inference_api_version": ""})["deploymentInPath"] == "true"
    built, model = foundry_connection.inference_call(TARGET + suffix, "emb", in_path, "", operation)
    assert built == (TARGET + url).split("?")[0]   # no version given here
    assert model == (None if "/deployments/emb/" in url else "emb")
    with pytest.raises(AnsibleFilterError, match="operation must be one of chat, embeddings, responses, got 'images'"):
        connection_call_url(TARGET + suffix, "emb", api_type, operation="images")
