"""The Foundry project data plane (localazure/services/cognitiveservices/foundry/): a lab-shaped world is provisioned through
the real SDK clients (APIM gateway in front of a model account, an agents account with a project and the gateway
connections), then the stock AIProjectClient and its OpenAI client run the lab's agent flow against the local
project URL."""
from __future__ import annotations

import base64
import json
import sqlite3
import ssl
import uuid
from pathlib import Path
from types import SimpleNamespace

import openai
import pytest
import requests
from azure.ai.projects import AIProjectClient
from azure.ai.projects import models as project_models
from azure.ai.projects.models import PromptAgentDefinition
from azure.core.exceptions import ClientAuthenticationError, ResourceNotFoundError
from azure.mgmt.apimanagement import ApiManagementClient
from azure.mgmt.authorization import AuthorizationManagementClient
from azure.mgmt.cognitiveservices import CognitiveServicesManagementClient
from azure.mgmt.cognitiveservices import models as csm
from azure.mgmt.resource.resources import ResourceManagementClient
from openai.types.conversations import Conversation, ConversationItemList
from openai.types.responses import Response

from localazure.services.cognitiveservices import modelhost
from localazure.services.cognitiveservices.foundry import plane as foundry
from localazure.services.cognitiveservices.foundry import runs as foundry_runs
from localazure.identity import Identity, _requested_audience
from localazure.services.authorization import assignments as authz
from tests.localazure.conftest import TIME_SCALE, start_endpoint, stop_endpoint

AI_USER = "53ca6127-db72-4b80-b1b0-d745d6d5456d"
CS_USER = "a97b65f3-24c7-4388-baec-2e87135dc908"
CS_API = "2025-12-01"
MODEL = "gpt-4.1-mini"
PASSTHROUGH = {"openapi": "3.0.1", "info": {"title": "Pass-through API", "version": "1.0"}, "servers": [{"url": ""}],
               "paths": {"/*": {"post": {"operationId": "post-all", "responses": {"200": {"description": "ok"}}}}}}
KEYED_POLICY = """<policies><inbound><base />
  <authentication-managed-identity resource="https://cognitiveservices.azure.com" />
  <set-backend-service backend-id="models" />
</inbound><backend><base /></backend><outbound><base /></outbound><on-error><base /></on-error></policies>"""
# The ProjectManagedIdentity shape: no key, no APIM identity; the caller's token goes through to the account.
FORWARDING_POLICY = """<policies><inbound><base /><set-backend-service backend-id="models" /></inbound>
<backend><base /></backend><outbound><base /></outbound><on-error><base /></on-error></policies>"""


def _unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def _claims(token: str) -> dict:
    body = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))


# --- unit: paging, audiences, the run's request ---------------------------------------------------------

def test_requested_audience_follows_the_scope_or_the_resource():
    assert _requested_audience({"scope": "https://ai.azure.com/.default"}) == "https://ai.azure.com"
    assert _requested_audience({"resource": "https://management.azure.com/"}) == "https://management.azure.com/"
    assert _requested_audience({"scope": "openid"}) is None


def test_pages_end_with_a_null_last_id_for_the_agents_pager():
    items = [{"id": f"a{index}", "_seq": index} for index in range(5)]
    first = foundry._page(items, {"limit": "2", "order": "asc"}, null_last_id=True)
    assert [item["id"] for item in first["data"]] == ["a0", "a1"] and first["has_more"] and first["last_id"] == "a1"
    last = foundry._page(items, {"limit": "2", "order": "asc", "after": "a3"}, null_last_id=True)
    assert [item["id"] for item in last["data"]] == ["a4"] and not last["has_more"] and last["last_id"] is None
    assert foundry._page(items, {}, null_last_id=False)["last_id"] == "a0"   # desc by default
    for bad in ({"limit": "0"}, {"limit": "x"}, {"order": "up"}, {"after": "nope"}):
        with pytest.raises(foundry_runs.FoundryError) as raised:
            foundry._page(items, bad)
        assert raised.value.status == 400


def _connection(**props) -> dict:
    base = {"category": "ApiManagement", "target": "https://apim-x.azure-api.net/inference/openai",
            "authType": "ApiKey", "credentials": {"key": "k3y"}, "metadata": {"deploymentInPath": "true"}}
    return {"name": "gw", "id": "/c/gw", "properties": {**base, **props}}


def _runner(tmp_path) -> foundry_runs.Runner:
    ca = tmp_path / "ca.pem"
    certificate = Path(requests.certs.where()).read_text()
    ca.write_text(certificate)
    return foundry_runs.Runner(None, Identity.load_or_create(tmp_path), ca)


def test_request_follows_the_connection_metadata(tmp_path):
    runner = _runner(tmp_path)
    base = "https://127.0.0.1:8443"
    url, headers, chat = runner._request(None, _connection(metadata={
        "deploymentInPath": "true", "inferenceAPIVersion": "2024-12-01-preview",
        "customHeaders": json.dumps({"x-team": "blue"})}), MODEL, [], base)
    assert url == f"{base}/gateway/apim-x/inference/openai/deployments/{MODEL}/chat/completions" \
                  "?api-version=2024-12-01-preview"
    assert headers["api-key"] == "k3y" and headers["x-team"] == "blue" and "model" not in chat
    url, headers, chat = runner._request(None, _connection(metadata={
        "deploymentInPath": "false", "authConfig": json.dumps({"type": "api_key", "name": "Authorization",
                                                                "format": "Bearer {api_key}"})}), MODEL, [], base)
    assert url == f"{base}/gateway/apim-x/inference/openai/chat/completions" and chat["model"] == MODEL
    assert headers["Authorization"] == "Bearer k3y" and "api-key" not in headers
    for metadata, wording in (({}, "'deploymentInPath' is required"), ({"deploymentInPath": "yes"}, "'true' or"),
                              ({"deploymentInPath": "true", "customHeaders": "{nope"}, "not valid JSON"),
                              ({"deploymentInPath": "true", "authConfig": "{\"type\": \"oauth\"}"}, "not 'api_key'")):
        with pytest.raises(foundry_runs.FoundryError) as raised:
            runner._request(None, _connection(metadata=metadata), MODEL, [], base)
        assert raised.value.code == "InvalidConnectionMetadata" and wording in raised.value.message
        assert "'gw'" in raised.value.message
    with pytest.raises(foundry_runs.FoundryError, match="cannot reach"):
        runner._request(None, _connection(target="https://example.com/v1"), MODEL, [], base)


def test_project_identity_token_names_the_project(tmp_path):
    runner = _runner(tmp_path)
    project = SimpleNamespace(project={"id": "/subscriptions/s/resourceGroups/rg/providers/Microsoft."
                                             "CognitiveServices/accounts/a/projects/p", "name": "p",
                                       "identity": {"type": "SystemAssigned", "principalId": "pid-1"}})
    headers = runner._credential_headers(project, _connection(authType="ProjectManagedIdentity", credentials={},
                                                              audience="https://cognitiveservices.azure.com"))
    claims = _claims(headers["Authorization"][len("Bearer "):])
    assert claims["aud"] == "https://cognitiveservices.azure.com" and claims["oid"] == "pid-1"
    # Entra's spelling of the id (`resourcegroups`, as Microsoft's guide writes the claim), not ARM's
    assert claims["xms_mirid"] == "/subscriptions/s/resourcegroups/rg/providers/Microsoft.CognitiveServices/accounts/a/projects/p"
    project.project["identity"] = {"type": "None"}
    with pytest.raises(foundry_runs.FoundryError, match="no system-assigned identity"):
        runner._credential_headers(project, _connection(authType="ProjectManagedIdentity"))


# --- a provisioned world -------------------------------------------------------------------------------

def _assign(authz_client, sub: str, scope: str, role: str, principal: str):
    return authz_client.role_assignments.create(scope, str(uuid.uuid4()), {
        "role_definition_id": authz.role_definition_id(sub, role), "principal_id": principal,
        "principal_type": "ServicePrincipal"})


@pytest.fixture(scope="module")
def world(endpoint, credential, sdk_kwargs, arm):
    """APIM (system identity) with the keyed API `inference/` and the forwarding API `mi/` in front of a model
    account with gpt-4.1-mini; an agents account with project `proj` (system identity), the lab's shared account
    connection `ai-gateway` (ApiKey), and project connections `mi-gateway` (ProjectManagedIdentity), `no-models`
    (no static model list) and `broken` (no deploymentInPath); Azure AI User for the caller on the project."""
    sub = endpoint["subscription_id"]
    resources = ResourceManagementClient(credential, sub, **sdk_kwargs)
    apim_client = ApiManagementClient(credential, sub, **sdk_kwargs)
    cs_client = CognitiveServicesManagementClient(credential, sub, **sdk_kwargs)
    authz_client = AuthorizationManagementClient(credential, sub, **sdk_kwargs)
    rg, service, models, agents = _unique("rg-fdy"), _unique("apim"), _unique("models"), _unique("agents")
    resources.resource_groups.create_or_update(rg, {"location": "swedencentral"})
    service_poller = apim_client.api_management_service.begin_create_or_update(rg, service, {
        "location": "swedencentral", "sku": {"name": "BasicV2", "capacity": 1}, "identity": {"type": "SystemAssigned"},
        "properties": {"publisherEmail": "ops@contoso.com", "publisherName": "Contoso"}})
    accounts = {}
    for name, manage in ((models, False), (agents, True)):
        accounts[name] = cs_client.accounts.begin_create(rg, name, csm.Account(
            location="swedencentral", kind="AIServices", sku=csm.Sku(name="S0"),
            identity=csm.Identity(type="SystemAssigned"),
            properties=csm.AccountProperties(custom_sub_domain_name=name, allow_project_management=manage))).result()
    cs_client.deployments.begin_create_or_update(rg, models, MODEL, csm.Deployment(
        sku=csm.Sku(name="GlobalStandard", capacity=10), properties=csm.DeploymentProperties(
            model=csm.DeploymentModel(format="OpenAI", name=MODEL, version="2025-04-14")))).result()
    project = cs_client.projects.begin_create(rg, agents, "proj", csm.Project(
        location="swedencentral", identity=csm.Identity(type="SystemAssigned"))).result()
    apim_principal = service_poller.result().identity.principal_id
    _assign(authz_client, sub, accounts[models].id, CS_USER, apim_principal)
    project_role = _assign(authz_client, sub, accounts[models].id, CS_USER, project.identity.principal_id)
    apim_client.backend.create_or_update(rg, service, "models", {"url": accounts[models].properties.endpoint,
                                                                 "protocol": "http"})
    for api_id, path, policy, keyed in (("inference-api", "inference/", KEYED_POLICY, True),
                                        ("mi-api", "mi", FORWARDING_POLICY, False)):
        apim_client.api.begin_create_or_update(rg, service, api_id, {
            "path": path, "displayName": api_id, "protocols": ["https"], "format": "openapi+json",
            "value": json.dumps(PASSTHROUGH), "subscriptionRequired": keyed, "apiType": "http",
            "subscriptionKeyParameterNames": {"header": "api-key", "query": "api-key"}}).result()
        apim_client.api_policy.create_or_update(rg, service, api_id, "policy", {"format": "rawxml", "value": policy})
    apim_client.subscription.create_or_update(rg, service, "callers", {"scope": "/apis", "displayName": "callers",
                                                                       "state": "active"})
    key = apim_client.subscription.list_secrets(rg, service, "callers").primary_key
    gateway = f"https://{service}.azure-api.net"
    account_id, project_id = accounts[agents].id, project.id
    models_list = json.dumps([{"name": MODEL, "properties": {"model": {"name": MODEL, "version": "2025-04-14",
                                                                        "format": "OpenAI"}}}])
    connections = {
        f"{account_id}/connections/ai-gateway": {
            "category": "ApiManagement", "target": f"{gateway}/inference/openai", "authType": "ApiKey",
            "isSharedToAll": True, "credentials": {"key": key},
            "metadata": {"deploymentInPath": "true", "inferenceAPIVersion": "2024-12-01-preview",
                         "models": models_list}},
        f"{account_id}/connections/unshared": {
            "category": "ApiManagement", "target": f"{gateway}/inference/openai", "authType": "ApiKey",
            "isSharedToAll": False, "credentials": {"key": key}, "metadata": {"deploymentInPath": "true"}},
        f"{project_id}/connections/mi-gateway": {
            "category": "ApiManagement", "target": f"{gateway}/mi/openai", "authType": "ProjectManagedIdentity",
            "audience": "https://cognitiveservices.azure.com", "credentials": {},
            "metadata": {"deploymentInPath": "true", "inferenceAPIVersion": "2024-12-01-preview"}},
        f"{project_id}/connections/no-models": {
            "category": "ApiManagement", "target": f"{gateway}/inference/openai", "authType": "ApiKey",
            "credentials": {"key": key}, "metadata": {"deploymentInPath": "true"}},
        f"{project_id}/connections/broken": {
            "category": "ApiManagement", "target": f"{gateway}/inference/openai", "authType": "ApiKey",
            "credentials": {"key": key}, "metadata": {"inferenceAPIVersion": "2024-12-01-preview"}},
    }
    for connection_id, props in connections.items():
        answer = arm("PUT", f"{connection_id}?api-version={CS_API}", json={"properties": props})
        assert answer.status_code == 200, answer.text
    caller = _claims(credential.get_token("https://ai.azure.com/.default").token)["oid"]
    caller_role = _assign(authz_client, sub, project_id, AI_USER, caller)
    url = endpoint["foundry_project_url_template"].format(account=agents, project="proj")
    client = AIProjectClient(endpoint=url, credential=credential, connection_verify=endpoint["ca_bundle"])
    openai_client = client.get_openai_client(http_client=openai.DefaultHttpxClient(
        verify=ssl.create_default_context(cafile=endpoint["ca_bundle"])))
    yield SimpleNamespace(
        sub=sub, rg=rg, service=service, agents=agents, key=key, url=url, ca=endpoint["ca_bundle"], arm=arm,
        client=client, openai=openai_client, cs=cs_client, authz=authz_client, caller=caller, caller_role=caller_role,
        project=project, project_role=project_role, models_account=accounts[models], credential=credential,
        connections=connections)
    client.close()
    apim_client.api_management_service.begin_delete(rg, service).result()
    apim_client.deleted_services.begin_purge(service, "swedencentral").result()
    resources.resource_groups.begin_delete(rg).result()


def _raw(world, method: str, path: str, *, scope: str = "https://ai.azure.com/.default", **kwargs):
    token = world.credential.get_token(scope).token
    return requests.request(method, world.url + path, headers={"Authorization": f"Bearer {token}"},
                            verify=world.ca, timeout=30, **kwargs)


def _agent(world, name: str, model: str, instructions: str = "you are a helpful but sarcastic assistant."):
    return world.client.agents.create_version(agent_name=name, definition=PromptAgentDefinition(
        model=model, instructions=instructions))


def _ask(world, agent_name: str, text: str, conversation: str | None = None):
    """The lab's call, through with_raw_response so the body can be validated against openai's Response."""
    extra = {"conversation": conversation} if conversation else {}
    raw = world.openai.responses.with_raw_response.create(
        input=[{"role": "user", "content": text}], extra_body={"agent_reference": {"name": agent_name,
                                                                                    "type": "agent_reference"}},
        **extra)
    return Response.model_validate(raw.http_response.json())


def test_endpoint_json_names_the_foundry_project_url(endpoint):
    assert endpoint["foundry_project_url_template"] == \
        f"{endpoint['arm_endpoint']}/foundry/{{account}}/api/projects/{{project}}"


def test_connections_list_and_get_with_and_without_credentials(world):
    listed = {connection.name: connection for connection in world.client.connections.list()}
    assert set(listed) == {"ai-gateway", "mi-gateway", "no-models", "broken"}   # `unshared` stays on the account
    lab = listed["ai-gateway"]
    assert lab.type == "ApiManagement" and lab.target == f"https://{world.service}.azure-api.net/inference/openai"
    assert lab.id.endswith("/connections/ai-gateway") and lab.is_default is False
    assert lab.credentials.type == "ApiKey" and "key" not in lab.credentials
    assert lab.metadata["deploymentInPath"] == "true" and json.loads(lab.metadata["models"])[0]["name"] == MODEL
    assert listed["mi-gateway"].credentials.type == "AAD"
    got = world.client.connections.get("ai-gateway")
    assert got.credentials.type == "ApiKey" and "key" not in got.credentials
    secret = world.client.connections.get("ai-gateway", include_credentials=True)
    assert secret.credentials.api_key == world.key
    with pytest.raises(ResourceNotFoundError):
        world.client.connections.get("unshared")
    assert [item.name for item in world.client.connections.list(connection_type="ApiManagement")]
    assert list(world.client.connections.list(connection_type="AzureOpenAI")) == []


def test_deployments_list_the_gateway_models(world):
    deployments = {item.name: item for item in world.client.deployments.list()}
    gateway_model = deployments[f"ai-gateway/{MODEL}"]
    assert gateway_model.connection_name == "ai-gateway" and gateway_model.model_name == MODEL
    assert gateway_model.model_publisher == "OpenAI" and gateway_model.type == "ModelDeployment"
    assert world.client.deployments.get(f"ai-gateway/{MODEL}").model_version == "2025-04-14"


def test_agents_are_created_listed_in_pages_read_and_deleted(world, requests_log):
    names = [_unique("pager") for _ in range(3)]
    first = _agent(world, names[0], f"ai-gateway/{MODEL}")
    assert first.version == "1" and first.definition.model == f"ai-gateway/{MODEL}" and first.object == "agent.version"
    second = _agent(world, names[0], f"ai-gateway/{MODEL}", instructions="second thoughts")
    assert second.version == "2"
    for name in names[1:]:
        _agent(world, name, f"ai-gateway/{MODEL}")
    requests_log.mark()
    listed = [agent.name for agent in world.client.agents.list(limit=2, order="asc")]
    assert [name for name in listed if name in names] == names
    pages = [line for line in requests_log() if line["kind"] == "foundry" and line["path"].endswith("/agents")]
    assert len(pages) >= 2 and {line["status"] for line in pages} == {200}   # followed after=last_id
    got = world.client.agents.get(names[0])
    assert got.versions.latest.version == "2" and got.versions.latest.definition.instructions == "second thoughts"
    assert [version.version for version in world.client.agents.list_versions(names[0])] == ["2", "1"]
    deleted = world.client.agents.delete_version(agent_name=names[0], agent_version="1")
    assert deleted.deleted is True and deleted.version == "1"
    with pytest.raises(ResourceNotFoundError):
        world.client.agents.get_version(agent_name=names[0], agent_version="1")
    assert world.client.agents.delete(names[1]).deleted is True
    with pytest.raises(ResourceNotFoundError):
        world.client.agents.get(names[1])
    invalid = _raw(world, "POST", "/agents/-bad-/versions?api-version=v1",
                   json={"definition": {"kind": "prompt", "model": "x/y"}})
    assert invalid.status_code == 400 and "'-bad-'" in invalid.json()["error"]["message"]


def test_agent_answers_through_the_gateway_and_keeps_the_conversation(world, requests_log):
    name = _unique("lab-agent")
    _agent(world, name, f"ai-gateway/{MODEL}")
    raw_conversation = world.openai.conversations.with_raw_response.create()
    conversation = Conversation.model_validate(raw_conversation.http_response.json())
    requests_log.mark()
    first = _ask(world, name, "Tell me what you can help with. and tell me a funny short joke.", conversation.id)
    assert first.output_text == modelhost.REPLY and first.status == "completed" and first.model == f"ai-gateway/{MODEL}"
    assert first.usage.total_tokens == first.usage.input_tokens + first.usage.output_tokens > 0
    gateway = [line for line in requests_log() if line["kind"] == "gateway"]
    assert [(line["path"], line["status"]) for line in gateway] == [
        (f"/gateway/{world.service}/inference/openai/deployments/{MODEL}/chat/completions", 200)]
    second = _ask(world, name, "Another one, please.", conversation.id)
    assert second.usage.input_tokens > first.usage.input_tokens   # the history went with the second turn
    items = ConversationItemList.model_validate(
        world.openai.conversations.items.with_raw_response.list(conversation.id, order="asc").http_response.json())
    assert [(item.role, item.content[0].type) for item in items.data] == [
        ("user", "input_text"), ("assistant", "output_text"), ("user", "input_text"), ("assistant", "output_text")]
    assert world.openai.responses.retrieve(second.id).output_text == modelhost.REPLY
    assert world.openai.conversations.delete(conversation.id).deleted is True
    with pytest.raises(openai.NotFoundError):
        world.openai.conversations.retrieve(conversation.id)


def test_a_wrong_connection_deployment_or_metadata_fails_as_the_service_does(world, requests_log):
    cases = {"nowhere/gpt-4.1-mini": (404, "DeploymentNotFound", "connection 'nowhere'"),
             "ai-gateway/gpt-5-imaginary": (404, "DeploymentNotFound", "'models' metadata"),
             "no-models/gpt-5-imaginary": (404, "DeploymentNotFound", "The API deployment for this resource"),
             f"broken/{MODEL}": (400, "InvalidConnectionMetadata", "'deploymentInPath' is required"),
             f"unshared/{MODEL}": (404, "DeploymentNotFound", "connection 'unshared'"),
             MODEL: (404, "DeploymentNotFound", "not a '<connection>/<deployment>' model")}
    for model, (status, code, wording) in cases.items():
        name = _unique("wrong")
        _agent(world, name, model)
        requests_log.mark()
        with pytest.raises(openai.APIStatusError) as raised:
            _ask(world, name, "hello")
        error = raised.value.response.json()["error"]
        assert (raised.value.status_code, error["code"]) == (status, code), error
        assert wording in error["message"]
        called_gateway = any(line["kind"] == "gateway" for line in requests_log())
        assert called_gateway is model.startswith("no-models/")   # only that one got as far as the gateway


def test_a_v1_connection_works_without_an_api_version_and_fails_with_a_dated_one(world, requests_log):
    """Foundry appends `inferenceAPIVersion` to the call (foundry-samples APIM-Connection-Objects.md); the v1 API
    takes only `v1`/`preview` (OpenAI.v1 definitions), so a dated version, fine on `/openai`, fails on v1."""
    target = f"https://{world.service}.azure-api.net/inference/openai/v1"
    connections = {"v1-gateway": {}, "v1-dated": {"inferenceAPIVersion": "2024-12-01-preview"}}
    for name, version in connections.items():
        answer = world.arm("PUT", f"{world.project.id}/connections/{name}?api-version={CS_API}", json={"properties": {
            "category": "ApiManagement", "target": target, "authType": "ApiKey", "credentials": {"key": world.key},
            "metadata": {"deploymentInPath": "false", **version}}})
        assert answer.status_code == 200, answer.text
    try:
        name = _unique("v1-agent")
        _agent(world, name, f"v1-gateway/{MODEL}")
        requests_log.mark()
        assert _ask(world, name, "hello").output_text == modelhost.REPLY
        assert [line["path"] for line in requests_log() if line["kind"] == "gateway"] == [
            f"/gateway/{world.service}/inference/openai/v1/chat/completions"]
        dated = _unique("v1-dated-agent")
        _agent(world, dated, f"v1-dated/{MODEL}")
        with pytest.raises(openai.BadRequestError) as raised:
            _ask(world, dated, "hello")
        error = raised.value.response.json()["error"]
        assert error["code"] == "BadRequest" and "API version not supported" in error["message"], error
    finally:
        for name in connections:
            world.arm("DELETE", f"{world.project.id}/connections/{name}?api-version={CS_API}")


def test_project_managed_identity_reaches_the_account_with_the_connection_audience(world, requests_log):
    name = _unique("mi-agent")
    _agent(world, name, f"mi-gateway/{MODEL}")
    requests_log.mark()
    assert _ask(world, name, "hello").output_text == modelhost.REPLY
    assert [line["path"] for line in requests_log() if line["kind"] == "gateway"] == [
        f"/gateway/{world.service}/mi/openai/deployments/{MODEL}/chat/completions"]
    connection_id = f"{world.project.id}/connections/mi-gateway"
    props = world.connections[connection_id]
    try:
        # The account behind the gateway reads the forwarded token: another audience is refused by it.
        world.arm("PUT", f"{connection_id}?api-version={CS_API}",
                  json={"properties": {**props, "audience": "https://ai.azure.com"}})
        with pytest.raises(openai.AuthenticationError) as raised:
            _ask(world, name, "hello")
        assert "audience is incorrect (https://cognitiveservices.azure.com)" in \
            raised.value.response.json()["error"]["message"]
    finally:
        world.arm("PUT", f"{connection_id}?api-version={CS_API}", json={"properties": props})
    # ... and the token's oid is the project's identity, which needs its own role on the model account.
    world.authz.role_assignments.delete(world.models_account.id, world.project_role.name)
    try:
        with pytest.raises(openai.AuthenticationError) as raised:
            _ask(world, name, "hello")
        error = raised.value.response.json()["error"]
        assert error["code"] == "PermissionDenied" and world.project.identity.principal_id in error["message"]
    finally:
        world.project_role = _assign(world.authz, world.sub, world.models_account.id, CS_USER,
                                     world.project.identity.principal_id)
    assert _ask(world, name, "hello").output_text == modelhost.REPLY


def test_tokens_for_another_audience_get_401_from_each_plane(world, endpoint):
    arm_scoped = _raw(world, "GET", "/connections?api-version=v1", scope="https://management.azure.com/.default")
    assert arm_scoped.status_code == 401
    assert arm_scoped.json()["error"]["message"] == foundry.UNAUTHORIZED_TEXT
    assert _raw(world, "GET", "/connections?api-version=v1", scope="https://ai.azure.com/.default").status_code == 200
    anonymous = requests.get(world.url + "/connections?api-version=v1", verify=world.ca, timeout=30)
    assert anonymous.status_code == 401
    foundry_token = world.credential.get_token("https://ai.azure.com/.default").token
    refused = world.arm("GET", f"/subscriptions/{world.sub}/resourcegroups?api-version=2025-04-01", token=False,
                        headers={"Authorization": f"Bearer {foundry_token}"})
    assert refused.status_code == 401
    error = refused.json()["error"]
    assert error["code"] == "InvalidAuthenticationTokenAudience" and "'https://ai.azure.com'" in error["message"]


def test_a_caller_without_a_data_role_is_permission_denied(world):
    world.authz.role_assignments.delete(world.project.id, world.caller_role.name)
    try:
        # Owner/Contributor carry no dataActions: they do not open the data plane.
        contributor = _assign(world.authz, world.sub, f"/subscriptions/{world.sub}/resourceGroups/{world.rg}",
                              "b24988ac-6180-42a0-ab88-20f7382dd24c", world.caller)
        with pytest.raises(ClientAuthenticationError) as raised:
            list(world.client.agents.list())
        assert raised.value.status_code == 401
        assert raised.value.error.code == "PermissionDenied"
        assert f"The principal `{world.caller}` lacks the required data action " \
               "`Microsoft.CognitiveServices/accounts/AIServices/agents/read`" in raised.value.error.message
        world.authz.role_assignments.delete(contributor.scope, contributor.name)
        # Azure AI User at the resource group covers the project below it.
        group_role = _assign(world.authz, world.sub, f"/subscriptions/{world.sub}/resourceGroups/{world.rg}",
                             AI_USER, world.caller)
        assert isinstance(list(world.client.agents.list()), list)
        world.authz.role_assignments.delete(group_role.scope, group_role.name)
    finally:
        world.caller_role = _assign(world.authz, world.sub, world.project.id, AI_USER, world.caller)


def test_agents_outlive_a_restart_and_go_with_their_project(world, endpoint):
    name = _unique("kept")
    _agent(world, name, f"ai-gateway/{MODEL}")
    state_dir = Path(endpoint["state_dir"])
    stop_endpoint(state_dir)
    start_endpoint(state_dir, "--time-scale", TIME_SCALE)
    assert world.client.agents.get(name).versions.latest.version == "1"
    other = world.cs.projects.begin_create(world.rg, world.agents, "short-lived", csm.Project(
        location="swedencentral", identity=csm.Identity(type="SystemAssigned"))).result()
    _assign(world.authz, world.sub, other.id, AI_USER, world.caller)
    url = endpoint["foundry_project_url_template"].format(account=world.agents, project="short-lived")
    with AIProjectClient(endpoint=url, credential=world.credential, connection_verify=world.ca) as client:
        client.agents.create_version(agent_name=name, definition=PromptAgentDefinition(model=f"ai-gateway/{MODEL}"))
        world.cs.projects.begin_delete(world.rg, world.agents, "short-lived").result()
        with pytest.raises(ResourceNotFoundError):
            client.agents.get(name)
        world.cs.projects.begin_create(world.rg, world.agents, "short-lived", csm.Project(
            location="swedencentral")).result()
        _assign(world.authz, world.sub, f"{world.project.id.rsplit('/', 1)[0]}/short-lived", AI_USER, world.caller)
        with pytest.raises(ResourceNotFoundError):
            client.agents.get(name)   # a new project of the same name starts empty
    assert world.client.agents.get(name).name == name   # the other project kept its agent


def _records(endpoint, project_id: str) -> int:
    """Data-plane records of a project in the endpoint's store (read-only; the server keeps writing)."""
    with sqlite3.connect(f"file:{endpoint['state_dir']}/state.db?mode=ro", uri=True) as db:
        return db.execute("SELECT count(*) FROM kv WHERE tbl LIKE 'foundry.%' AND key LIKE ?",
                          (project_id.lower() + "|%",)).fetchone()[0]


def test_deleting_the_account_removes_its_projects_agents_and_conversations(world, endpoint):
    name = _unique("gone")
    account = world.cs.accounts.begin_create(world.rg, name, csm.Account(
        location="swedencentral", kind="AIServices", sku=csm.Sku(name="S0"),
        properties=csm.AccountProperties(custom_sub_domain_name=name, allow_project_management=True))).result()
    project = world.cs.projects.begin_create(world.rg, name, "proj", csm.Project(location="swedencentral")).result()
    _assign(world.authz, world.sub, account.id, AI_USER, world.caller)
    url = endpoint["foundry_project_url_template"].format(account=name, project="proj")
    with AIProjectClient(endpoint=url, credential=world.credential, connection_verify=world.ca) as client:
        client.agents.create_version(agent_name="a", definition=PromptAgentDefinition(model=f"ai-gateway/{MODEL}"))
        with client.get_openai_client(http_client=openai.DefaultHttpxClient(
                verify=ssl.create_default_context(cafile=world.ca))) as openai_client:
            openai_client.conversations.create()
    assert _records(endpoint, project.id) == 2
    world.cs.accounts.begin_delete(world.rg, name).result()
    assert _records(endpoint, project.id) == 0


def test_managed_identity_tokens_carry_the_resource_as_audience(endpoint):
    answer = requests.get(endpoint["identity_endpoint"], params={"resource": "https://cognitiveservices.azure.com",
                                                                 "api-version": "2019-08-01"},
                          headers={"X-IDENTITY-HEADER": endpoint["identity_header"]}, verify=endpoint["ca_bundle"],
                          timeout=30)
    assert _claims(answer.json()["access_token"])["aud"] == "https://cognitiveservices.azure.com"


def _required(model_class) -> set[str]:
    """The wire names an azure-ai-projects model requires (its field table is built on first instantiation)."""
    model_class()
    return {field._rest_name for field in model_class._attr_to_rest_field.values() if not field._is_optional}


def test_every_answer_carries_what_the_sdk_models_require(world):
    name = _unique("shape")
    created = _raw(world, "POST", f"/agents/{name}/versions?api-version=v1",
                   json={"definition": {"kind": "prompt", "model": f"ai-gateway/{MODEL}"}}).json()
    _raw(world, "POST", f"/agents/{name}/versions?api-version=v1",
         json={"definition": {"kind": "prompt", "model": f"ai-gateway/{MODEL}"}})
    answers = [
        (project_models.AgentVersionDetails, created),
        (project_models.AgentDetails, _raw(world, "GET", f"/agents/{name}?api-version=v1").json()),
        (project_models.AgentDetails, _raw(world, "GET", "/agents?api-version=v1").json()["data"][0]),
        (project_models.AgentVersionDetails,
         _raw(world, "GET", f"/agents/{name}/versions?api-version=v1").json()["data"][0]),
        (project_models.Connection, _raw(world, "GET", "/connections/ai-gateway?api-version=v1").json()),
        (project_models.Connection,
         _raw(world, "POST", "/connections/ai-gateway/getConnectionWithCredentials?api-version=v1").json()),
        (project_models.ModelDeployment, _raw(world, "GET", "/deployments?api-version=v1").json()["value"][0]),
        (project_models.DeleteAgentVersionResponse,
         _raw(world, "DELETE", f"/agents/{name}/versions/1?api-version=v1").json()),
        (project_models.DeleteAgentResponse, _raw(world, "DELETE", f"/agents/{name}?api-version=v1").json()),
        (project_models.ApiError, _raw(world, "GET", f"/agents/{name}?api-version=v1").json()["error"]),
    ]
    for model_class, body in answers:
        assert _required(model_class) <= set(body), (model_class.__name__, body)
        assert model_class(body).as_dict() == body   # every field deserializes and round-trips
    assert _required(project_models.AgentVersionDetails) <= set(answers[1][1]["versions"]["latest"])
    assert _required(project_models.PromptAgentDefinition) <= set(created["definition"])


DISCOVERY_POLICY = """<policies><inbound>
  <choose><when condition="@(context.Request.MatchedParameters[&quot;deploymentName&quot;] == &quot;%s&quot;)">
    <return-response><set-status code="200" reason="OK" /><set-body>{"id":"%s","object":"model"}</set-body>
    </return-response></when></choose>
  <return-response><set-status code="404" reason="Not Found" />
    <set-body>{"error":{"code":"DeploymentNotFound","message":"no such deployment"}}</set-body></return-response>
  <base /></inbound><backend><base /></backend><outbound><base /></outbound><on-error><base /></on-error></policies>"""


def test_a_model_discovery_connection_lists_and_runs_what_the_gateway_answers(world, requests_log):
    """`modelDiscovery` (foundry-samples APIM-Connection-Objects.md): Foundry asks {target}{listModelsEndpoint} with
    the connection's key and `?api-version={deploymentAPIVersion}`, reads the OpenAI provider's `data[].id`, and gets
    one deployment from getModelEndpoint; a name the gateway does not have is DeploymentNotFound before any model
    call. The operations sit beside the API's pass-through `/*`, which must not take their calls."""
    service_id = (f"/subscriptions/{world.sub}/resourceGroups/{world.rg}/providers/Microsoft.ApiManagement/service/"
                  f"{world.service}/apis/inference-api")
    operations = {"list-models": ("/openai/models", """<policies><inbound><return-response>
        <set-status code="200" reason="OK" /><set-body>{"data":[{"id":"%s","object":"model"},{"id":"later"}]}</set-body>
        </return-response><base /></inbound><backend><base /></backend><outbound><base /></outbound>
        <on-error><base /></on-error></policies>""" % MODEL),
                  "get-model": ("/openai/models/{deploymentName}", DISCOVERY_POLICY % (MODEL, MODEL))}
    for name, (template, policy) in operations.items():
        answer = world.arm("PUT", f"{service_id}/operations/{name}?api-version=2024-05-01", json={"properties": {
            "displayName": name, "method": "GET", "urlTemplate": template,
            "templateParameters": [{"name": "deploymentName", "type": "string", "required": True}]
            if "{" in template else []}})
        assert answer.status_code in (200, 201), answer.text
        answer = world.arm("PUT", f"{service_id}/operations/{name}/policies/policy?api-version=2024-05-01",
                           json={"properties": {"format": "rawxml", "value": policy}})
        assert answer.status_code in (200, 201), answer.text
    connection_id = f"{world.project.id}/connections/discovering"
    answer = world.arm("PUT", f"{connection_id}?api-version={CS_API}", json={"properties": {
        "category": "ApiManagement", "target": f"https://{world.service}.azure-api.net/inference/openai",
        "authType": "ApiKey", "credentials": {"key": world.key},
        "metadata": {"deploymentInPath": "true", "inferenceAPIVersion": "2024-12-01-preview",
                     "deploymentAPIVersion": "2024-10-21",
                     "modelDiscovery": json.dumps({"listModelsEndpoint": "/models",
                                                   "getModelEndpoint": "/models/{deploymentName}",
                                                   "deploymentProvider": "OpenAI"})}}})
    assert answer.status_code == 200, answer.text
    try:
        requests_log.mark()
        listed = {d.name: d for d in world.client.deployments.list() if d.connection_name == "discovering"}
        assert sorted(listed) == [f"discovering/{MODEL}", "discovering/later"]
        assert listed[f"discovering/{MODEL}"].model_name == MODEL and listed["discovering/later"].model_version == ""
        calls = [line for line in requests_log() if line["kind"] == "gateway"]
        assert [(line["path"], line["api_version"]) for line in calls] == [
            (f"/gateway/{world.service}/inference/openai/models", "2024-10-21")], calls
        assert world.client.deployments.get(f"discovering/{MODEL}").connection_name == "discovering"
        with pytest.raises(ResourceNotFoundError):
            world.client.deployments.get("discovering/later")   # listed, but the gateway's get says no
        name = _unique("discovering-agent")
        _agent(world, name, f"discovering/{MODEL}")
        requests_log.mark()
        assert _ask(world, name, "hello").output_text == modelhost.REPLY
        assert [line["path"] for line in requests_log() if line["kind"] == "gateway"] == [
            f"/gateway/{world.service}/inference/openai/models/{MODEL}",
            f"/gateway/{world.service}/inference/openai/deployments/{MODEL}/chat/completions"]
        unknown = _unique("unknown-agent")
        _agent(world, unknown, "discovering/gpt-5-nano")
        requests_log.mark()
        with pytest.raises(openai.NotFoundError) as raised:
            _ask(world, unknown, "hello")
        assert raised.value.response.json()["error"]["code"] == "DeploymentNotFound"
        assert [line["path"] for line in requests_log() if line["kind"] == "gateway"] == [
            f"/gateway/{world.service}/inference/openai/models/gpt-5-nano"]   # no model call
    finally:
        world.arm("DELETE", f"{connection_id}?api-version={CS_API}")
        for name in operations:
            world.arm("DELETE", f"{service_id}/operations/{name}?api-version=2024-05-01")


# A gateway that admits only Entra tokens of one client application (the OAuth2 connection's) and only calls that
# carry the connection's custom header; the model host is then called with API Management's own identity.
OAUTH2_POLICY = """<policies><inbound><base />
  <validate-azure-ad-token tenant-id="%s" header-name="Authorization" failed-validation-httpcode="401"
      failed-validation-error-message="Unauthorized. Valid Entra token is required.">
    <client-application-ids><application-id>%s</application-id></client-application-ids>
    <audiences><audience>https://cognitiveservices.azure.com</audience></audiences>
  </validate-azure-ad-token>
  <choose><when condition="@(context.Request.Headers.GetValueOrDefault(&quot;x-team&quot;, &quot;&quot;) != &quot;blue&quot;)">
    <return-response><set-status code="400" reason="Bad Request" />
      <set-body>{"error":{"code":"MissingTeam","message":"x-team must be blue"}}</set-body></return-response>
  </when></choose>
  <authentication-managed-identity resource="https://cognitiveservices.azure.com" />
  <set-backend-service backend-id="models" />
</inbound><backend><base /></backend><outbound><base /></outbound><on-error><base /></on-error></policies>"""


def test_an_oauth2_model_gateway_connection_gets_a_token_and_sends_it_with_its_headers(world, endpoint, sdk_kwargs,
                                                                                        requests_log):
    """A ModelGateway connection with OAuth2 client credentials (foundry-samples 01-connections/model-gateway:
    `tokenUrl`, `scopes`, `credentials: {clientId, clientSecret}`; "Foundry will fetch tokens from your token URL
    using client credentials flow", sent as `Authorization: Bearer`) and `customHeaders`: the agent's call asks the
    token URL (Entra's, which this endpoint plays) first, and the gateway admits the token and the header. A wrong
    client secret is the token endpoint's refusal, with no gateway call."""
    apim = ApiManagementClient(world.credential, world.sub, **sdk_kwargs)
    apim.api.begin_create_or_update(world.rg, world.service, "oauth-api", {
        "path": "oauth", "displayName": "oauth-api", "protocols": ["https"], "format": "openapi+json",
        "value": json.dumps(PASSTHROUGH), "subscriptionRequired": False, "apiType": "http"}).result()
    apim.api_policy.create_or_update(world.rg, world.service, "oauth-api", "policy", {
        "format": "rawxml", "value": OAUTH2_POLICY % (endpoint["tenant_id"], endpoint["client_id"])})
    connection_id = f"{world.project.id}/connections/oauth-gateway"
    props = {"category": "ModelGateway", "target": f"https://{world.service}.azure-api.net/oauth/openai",
             "authType": "OAuth2", "credentials": {"clientId": endpoint["client_id"],
                                                  "clientSecret": endpoint["client_secret"]},
             "tokenUrl": f"https://login.microsoftonline.com/{endpoint['tenant_id']}/oauth2/v2.0/token",
             "scopes": ["https://cognitiveservices.azure.com/.default"],
             "metadata": {"deploymentInPath": "true", "inferenceAPIVersion": "2024-12-01-preview",
                          "customHeaders": json.dumps({"x-team": "blue"}),
                          "models": json.dumps([{"name": MODEL, "properties": {"model": {
                              "name": MODEL, "version": "2025-04-14", "format": "OpenAI"}}}])}}
    answer = world.arm("PUT", f"{connection_id}?api-version={CS_API}", json={"properties": props})
    assert answer.status_code == 200, answer.text
    try:
        assert f"oauth-gateway/{MODEL}" in [d.name for d in world.client.deployments.list()]
        name = _unique("oauth-agent")
        _agent(world, name, f"oauth-gateway/{MODEL}")
        requests_log.mark()
        assert _ask(world, name, "hello").output_text == modelhost.REPLY
        assert [line["path"] for line in requests_log() if line["kind"] == "gateway"] == [
            f"/gateway/{world.service}/oauth/openai/deployments/{MODEL}/chat/completions"]
        # Without the header the gateway refuses: the header was what let the call through.
        answer = world.arm("PUT", f"{connection_id}?api-version={CS_API}", json={"properties": {
            **props, "metadata": {**props["metadata"], "customHeaders": json.dumps({"x-team": "red"})}}})
        assert answer.status_code == 200, answer.text
        with pytest.raises(openai.BadRequestError) as raised:
            _ask(world, name, "hello")
        assert raised.value.response.json()["error"]["code"] == "MissingTeam"
        answer = world.arm("PUT", f"{connection_id}?api-version={CS_API}", json={"properties": {
            **props, "credentials": {**props["credentials"], "clientSecret": "not-the-secret"}}})
        assert answer.status_code == 200, answer.text
        requests_log.mark()
        with pytest.raises(openai.AuthenticationError) as raised:
            _ask(world, name, "hello")
        error = raised.value.response.json()["error"]
        assert error["code"] == "OAuth2TokenRequestFailed" and "AADSTS7000215" in error["message"]
        assert "not-the-secret" not in error["message"]
        assert not [line for line in requests_log() if line["kind"] == "gateway"]
    finally:
        world.arm("DELETE", f"{connection_id}?api-version={CS_API}")
        apim.api.begin_delete(world.rg, world.service, "oauth-api", if_match="*").result()


def test_an_oauth2_connection_needs_its_client_credentials_and_a_reachable_token_url(tmp_path):
    runner = _runner(tmp_path)
    base = "https://127.0.0.1:8443"
    oauth2 = dict(category="ModelGateway", authType="OAuth2", tokenUrl="https://login.microsoftonline.com/t/oauth2/"
                                                                          "v2.0/token",
                  credentials={"clientId": "c", "clientSecret": "s"}, scopes=["api://gw/.default"])
    grant = runner.client_credentials(_connection(**oauth2), base)
    assert grant.url == f"{base}/t/oauth2/v2.0/token"
    assert grant.form() == {"grant_type": "client_credentials", "client_id": "c", "client_secret": "s",
                            "scope": "api://gw/.default"}
    assert runner._credential_headers(None, _connection(**oauth2)) == {}
    assert runner.client_credentials(_connection(), base) is None
    for change, wording in (({"credentials": {"clientId": "c"}}, "no credentials.clientSecret"),
                            ({"tokenUrl": ""}, "no tokenUrl"),
                            ({"scopes": "api://gw/.default"}, "'scopes' must be a list"),
                            ({"tokenUrl": "https://idp.example.com/token"}, "cannot reach")):
        with pytest.raises(foundry_runs.FoundryError) as raised:
            runner.client_credentials(_connection(**{**oauth2, **change}), base)
        assert raised.value.code == "InvalidConnectionMetadata" and wording in raised.value.message
