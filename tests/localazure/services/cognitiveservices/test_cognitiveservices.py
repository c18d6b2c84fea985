"""Microsoft.CognitiveServices provider.

First part: the provider's hooks against an in-memory store and context (fast, no server).
Second part: the real azure-mgmt-cognitiveservices 14.1.0 clients (default 2025-09-01, and 2025-12-01 for
gateway connections) plus raw requests at the lab's api-versions, against the running endpoint.
"""
from __future__ import annotations

import uuid

import pytest
from azure.core.exceptions import HttpResponseError, ResourceExistsError, ResourceNotFoundError
from azure.mgmt.cognitiveservices import CognitiveServicesManagementClient
from azure.mgmt.cognitiveservices import models as csm
from azure.mgmt.resource.resources import ResourceManagementClient

from localazure.engine.contract import ArmError
from localazure.services.cognitiveservices import accounts as cs
from tests.localazure.conftest import (advance_clock, make_credential, make_sdk_kwargs, start_endpoint,
                                       stop_endpoint)

SUB = "00000000-0000-0000-0000-000000000001"
TENANT = "11111111-1111-1111-1111-111111111111"
RG = "rg-lab"


def account_id(name: str, rg: str = RG) -> str:
    return f"/subscriptions/{SUB}/resourceGroups/{rg}/providers/Microsoft.CognitiveServices/accounts/{name}"


class MemoryStore:
    """The StoreApi subset the provider uses, case-insensitive on ids like the engine's store."""

    def __init__(self):
        self.resources: dict[str, tuple[str, dict]] = {}
        self.tables: dict[str, dict[str, dict]] = {}

    def get(self, resource_id):
        found = self.resources.get(resource_id.lower())
        return None if found is None else found[1]

    def put(self, resource_id, type_name, body):
        self.resources[resource_id.lower()] = (type_name, body)

    def delete_tree(self, resource_id):
        root = resource_id.lower()
        for key in [k for k in self.resources if k == root or k.startswith(root + "/")]:
            del self.resources[key]

    def list_type(self, type_name, prefix):
        return [body for key, (kind, body) in self.resources.items()
                if kind.lower() == type_name.lower() and key.startswith(prefix.lower())]

    def kv_get(self, table, key):
        return self.tables.get(table, {}).get(key)

    def kv_put(self, table, key, value):
        self.tables.setdefault(table, {})[key] = value

    def kv_delete(self, table, key):
        self.tables.get(table, {}).pop(key, None)

    def kv_list(self, table, prefix=""):
        return [(k, v) for k, v in self.tables.get(table, {}).items() if k.startswith(prefix)]


class FakeCtx:
    def __init__(self, store, resource_id=None, *, api_version="2025-09-01", body=None):
        self.store = store
        self.subscription_id = SUB
        self.resource_group = RG
        self.resource_id = resource_id
        self.name = resource_id.rsplit("/", 1)[-1] if resource_id else None
        self.parent_id = resource_id.rsplit("/", 2)[0] if resource_id and "/accounts/" in resource_id and \
            resource_id.count("/") > 8 else None
        self.api_version = api_version
        self.body = body
        self.tenant_id = TENANT
        self.now = 1_790_000_000.0
        self.operations = []

    def now_iso(self):
        return cs._iso(self.now)

    def new_guid(self):
        return str(uuid.uuid4())

    def start_operation(self, kind, resource_id, lro, result=None):
        self.operations.append((kind, resource_id, lro))
        return {"Azure-AsyncOperation": f"https://127.0.0.1/operations/{len(self.operations)}"}


def create(store, kind, resource_id, body, **ctx_args):
    """What the engine does for a create: validate, on_create, fill id/name, store."""
    ctx = FakeCtx(store, resource_id, body=body, **ctx_args)
    kind.validate(ctx, body, None)
    kind.on_create(ctx, body)
    body.update(id=resource_id, name=ctx.name, type=kind.type_name)
    store.put(resource_id, kind.type_name, body)
    return body


def delete(store, kind, resource_id):
    current = store.get(resource_id)
    kind.on_delete(FakeCtx(store, resource_id), current)
    store.delete_tree(resource_id)


def ai_services(subdomain: str | None = "foundry-abc", **props) -> dict:
    properties = {"allowProjectManagement": True, "publicNetworkAccess": "Enabled", **props}
    if subdomain:
        properties["customSubDomainName"] = subdomain
    return {"location": "swedencentral", "kind": "AIServices", "sku": {"name": "S0"},
            "identity": {"type": "SystemAssigned"}, "properties": properties}


ACCOUNTS = cs.AccountKind()
DEPLOYMENTS = cs.DeploymentKind()
PROJECTS = cs.ProjectKind()
CONNECTIONS = cs.AccountConnectionKind()


@pytest.fixture
def store():
    return MemoryStore()


def test_ai_services_account_gets_subdomain_endpoints_identity_and_keys(store):
    body = create(store, ACCOUNTS, account_id("models"), ai_services())
    props = body["properties"]
    assert props["endpoint"] == "https://foundry-abc.cognitiveservices.azure.com/"
    assert props["endpoints"]["AI Foundry API"] == "https://foundry-abc.services.ai.azure.com/"
    assert props["endpoints"]["OpenAI Language Model Instance API"] == "https://foundry-abc.openai.azure.com/"
    assert len(props["internalId"]) == 32 and props["dateCreated"].endswith("Z")
    assert uuid.UUID(body["identity"]["principalId"]) and body["identity"]["tenantId"] == TENANT
    status, keys, _ = ACCOUNTS.list_keys(FakeCtx(store, account_id("models")), body)
    assert status == 200 and len(keys["key1"]) == 84 and keys["key1"] != keys["key2"]


def test_account_without_subdomain_uses_the_regional_endpoint(store):
    body = create(store, ACCOUNTS, account_id("safety"),
                  {"location": "West Europe", "kind": "ContentSafety", "sku": {"name": "S0"}, "properties": {}})
    assert body["properties"]["endpoint"] == "https://westeurope.api.cognitive.microsoft.com/"


def test_subdomain_taken_by_live_or_soft_deleted_account_is_refused(store):
    create(store, ACCOUNTS, account_id("first"), ai_services("shared-name"))
    with pytest.raises(ArmError) as err:
        create(store, ACCOUNTS, account_id("second", "other-rg"), ai_services("Shared-Name"))
    assert (err.value.status, err.value.code) == (409, "CustomDomainInUse")
    delete(store, ACCOUNTS, account_id("first"))
    with pytest.raises(ArmError) as err:
        create(store, ACCOUNTS, account_id("third"), ai_services("shared-name"))
    assert err.value.code == "CustomDomainInUse"


def test_same_name_soft_deleted_in_another_group_holds_the_subdomain_until_purged(store):
    # Issue 23 (9): the subdomain is global, so the soft-deleted account of another group keeps it (Azure's 409
    # CustomDomainInUse); in its own group the same name needs the restore flag instead.
    create(store, ACCOUNTS, account_id("models", "rg-old"), ai_services("models"))
    delete(store, ACCOUNTS, account_id("models", "rg-old"))
    ctx = FakeCtx(store)
    [listed] = cs.list_deleted_accounts(ctx, {})[1]["value"]
    assert listed["properties"]["customSubDomainName"] == "models", "the listing shows what the record holds"
    with pytest.raises(ArmError) as err:
        create(store, ACCOUNTS, account_id("models"), ai_services("models"))
    assert (err.value.status, err.value.code) == (409, "CustomDomainInUse")
    with pytest.raises(ArmError) as err:
        create(store, ACCOUNTS, account_id("models", "rg-old"), ai_services("models"))
    assert (err.value.status, err.value.code) == (409, "FlagMustBeSetForRestore")
    cs.purge_deleted_account(ctx, {"location": "swedencentral", "rg": "rg-old", "name": "models"})
    assert create(store, ACCOUNTS, account_id("models"), ai_services("models"))["name"] == "models"


def test_subdomain_cannot_change_once_set(store):
    current = create(store, ACCOUNTS, account_id("models"), ai_services("one"))
    with pytest.raises(ArmError) as err:
        ACCOUNTS.validate(FakeCtx(store, account_id("models")), ai_services("two"), current)
    assert err.value.status == 400


def test_soft_delete_blocks_the_name_and_restore_brings_everything_back(store):
    acc_id = account_id("models")
    account = create(store, ACCOUNTS, acc_id, ai_services())
    principal = account["identity"]["principalId"]
    keys = ACCOUNTS.list_keys(FakeCtx(store, acc_id), account)[1]
    create(store, DEPLOYMENTS, acc_id + "/deployments/gpt-4o-mini",
           {"sku": {"name": "GlobalStandard", "capacity": 10},
            "properties": {"model": {"format": "OpenAI", "name": "gpt-4o-mini", "version": "2024-07-18"}}})
    delete(store, ACCOUNTS, acc_id)
    assert store.get(acc_id) is None and store.get(acc_id + "/deployments/gpt-4o-mini") is None

    with pytest.raises(ArmError) as err:
        create(store, ACCOUNTS, acc_id, ai_services())
    assert (err.value.status, err.value.code) == (409, "FlagMustBeSetForRestore")
    assert acc_id in err.value.message

    restored = create(store, ACCOUNTS, acc_id, {"location": "swedencentral", "kind": "AIServices",
                                               "sku": {"name": "S0"}, "properties": {"restore": True}})
    assert restored["identity"]["principalId"] == principal
    assert "restore" not in restored["properties"] and "deletionDate" not in restored["properties"]
    assert restored["properties"]["customSubDomainName"] == "foundry-abc"
    assert store.get(acc_id + "/deployments/gpt-4o-mini") is not None
    assert ACCOUNTS.list_keys(FakeCtx(store, acc_id), restored)[1] == keys


def test_restore_without_a_deleted_account_is_refused(store):
    with pytest.raises(ArmError) as err:
        create(store, ACCOUNTS, account_id("ghost"), ai_services(restore=True))
    assert err.value.code == "CanNotRestoreANonExistingResource"


def test_deleted_accounts_are_listed_read_and_purged(store):
    create(store, ACCOUNTS, account_id("models"), ai_services())
    delete(store, ACCOUNTS, account_id("models"))
    ctx = FakeCtx(store)
    status, listing, _ = cs.list_deleted_accounts(ctx, {})
    assert status == 200 and [a["name"] for a in listing["value"]] == ["models"]
    deleted = listing["value"][0]
    assert deleted["type"] == cs.DELETED_ACCOUNT_TYPE
    assert deleted["id"].endswith("/locations/swedencentral/resourceGroups/rg-lab/deletedAccounts/models")
    assert deleted["properties"]["scheduledPurgeDate"] > deleted["properties"]["deletionDate"]
    groups = {"location": "swedencentral", "rg": RG, "name": "models"}
    with pytest.raises(ArmError) as err:
        cs.get_deleted_account(ctx, dict(groups, location="eastus"))
    assert err.value.status == 404
    assert cs.get_deleted_account(ctx, groups)[1]["name"] == "models"
    status, body, headers = cs.purge_deleted_account(ctx, groups)
    assert status == 202 and body is None and headers and ctx.operations[0][0] == "action:purge"
    assert cs.list_deleted_accounts(ctx, {})[1]["value"] == []
    create(store, ACCOUNTS, account_id("models"), ai_services())


def test_keys_are_refused_when_local_auth_is_disabled(store):
    account = create(store, ACCOUNTS, account_id("models"), ai_services(disableLocalAuth=True))
    with pytest.raises(ArmError) as err:
        ACCOUNTS.list_keys(FakeCtx(store, account_id("models")), account)
    assert (err.value.status, err.value.code) == (400, "BadRequest")
    assert "disableLocalAuth" in err.value.message


def test_regenerate_key_replaces_only_the_named_key(store):
    account = create(store, ACCOUNTS, account_id("models"), ai_services())
    before = ACCOUNTS.list_keys(FakeCtx(store, account_id("models")), account)[1]
    after = ACCOUNTS.regenerate_key(FakeCtx(store, account_id("models"), body={"keyName": "Key2"}), account)[1]
    assert after["key1"] == before["key1"] and after["key2"] != before["key2"]
    with pytest.raises(ArmError):
        ACCOUNTS.regenerate_key(FakeCtx(store, account_id("models"), body={"keyName": "Key3"}), account)


def test_check_domain_availability(store):
    create(store, ACCOUNTS, account_id("models"), ai_services("taken"))
    ask = lambda name: cs.check_domain_availability(  # noqa: E731
        FakeCtx(store, body={"subdomainName": name, "type": cs.ACCOUNT_TYPE, "kind": "AIServices"}), {})[1]
    assert ask("free-name")["isSubdomainAvailable"] is True
    taken = ask("taken")
    assert taken["isSubdomainAvailable"] is False and "taken" in taken["reason"]
    assert ask("-bad-")["isSubdomainAvailable"] is False


def test_second_deployment_write_while_one_runs_is_a_request_conflict(store):
    acc_id = account_id("models")
    create(store, ACCOUNTS, acc_id, ai_services())
    first = create(store, DEPLOYMENTS, acc_id + "/deployments/a",
                   {"sku": {"name": "GlobalStandard", "capacity": 10}, "properties": {"model": {"name": "gpt-4o"}}})
    assert first["properties"]["rateLimits"][1] == {"key": "token", "renewalPeriod": 60, "count": 10000}
    first["properties"]["provisioningState"] = "Creating"
    with pytest.raises(ArmError) as err:
        DEPLOYMENTS.validate(FakeCtx(store, acc_id + "/deployments/b"), {}, None)
    assert (err.value.status, err.value.code) == (409, "RequestConflict")
    assert acc_id in err.value.message
    first["properties"]["provisioningState"] = "Succeeded"
    DEPLOYMENTS.validate(FakeCtx(store, acc_id + "/deployments/b"), {}, None)


def test_deployment_write_while_the_account_is_still_provisioning_is_a_request_conflict(store):
    account = create(store, ACCOUNTS, account_id("models"), ai_services())
    account["properties"]["provisioningState"] = "Creating"
    with pytest.raises(ArmError) as err:
        DEPLOYMENTS.validate(FakeCtx(store, account_id("models") + "/deployments/a"), {}, None)
    assert err.value.code == "RequestConflict"


def test_projects_need_project_management_and_get_foundry_endpoints(store):
    create(store, ACCOUNTS, account_id("plain"), ai_services("plain-sub", allowProjectManagement=False))
    with pytest.raises(ArmError) as err:
        create(store, PROJECTS, account_id("plain") + "/projects/p1", {"location": "swedencentral"})
    assert err.value.status == 400
    create(store, ACCOUNTS, account_id("agents"), ai_services("agents-sub"))
    project = create(store, PROJECTS, account_id("agents") + "/projects/foundry-project",
                     {"location": "swedencentral", "identity": {"type": "SystemAssigned"}, "properties": {}})
    assert project["properties"]["endpoints"] == {
        "AI Foundry API": "https://agents-sub.services.ai.azure.com/api/projects/foundry-project"}
    assert project["properties"]["isDefault"] is True and uuid.UUID(project["identity"]["principalId"])
    second = create(store, PROJECTS, account_id("agents") + "/projects/second", {"location": "swedencentral"})
    assert second["properties"]["isDefault"] is False
    account = store.get(account_id("agents"))["properties"]
    assert account["associatedProjects"] == ["foundry-project", "second"]
    assert account["defaultProject"] == "foundry-project"


@pytest.mark.parametrize("api_version, refused", [("2025-09-01", True), ("2025-06-01", True),
                                                  ("2025-12-01", False), ("2026-07-01", False),
                                                  ("2025-04-01-preview", True)])
def test_gateway_categories_need_a_recent_api_version(store, api_version, refused):
    create(store, ACCOUNTS, account_id("agents"), ai_services())
    body = {"properties": {"authType": "ApiKey", "category": "ApiManagement", "target": "https://apim/x",
                           "credentials": {"key": "secret"}}}
    conn_id = account_id("agents") + "/connections/ai-gateway"
    if refused:
        with pytest.raises(ArmError) as err:
            create(store, CONNECTIONS, conn_id, body, api_version=api_version)
        assert err.value.status == 400
    else:
        created = create(store, CONNECTIONS, conn_id, body, api_version=api_version)
        assert created["properties"]["group"] == "AzureAI"
        assert created["properties"]["createdByWorkspaceArmId"] == account_id("agents")


def test_connection_name_pattern(store):
    with pytest.raises(ArmError):
        create(store, CONNECTIONS, account_id("agents") + "/connections/ab",
               {"properties": {"authType": "None", "category": "ApiKey"}})


# =================================================================================================
# Real azure-mgmt-cognitiveservices clients against the running endpoint (fixtures from conftest.py).
# =================================================================================================
LOCATION = "swedencentral"


def _unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def cs_client(endpoint, credential, sdk_kwargs):
    return CognitiveServicesManagementClient(credential, endpoint["subscription_id"], **sdk_kwargs)


@pytest.fixture
def cs_client_1201(endpoint, credential, sdk_kwargs):
    return CognitiveServicesManagementClient(credential, endpoint["subscription_id"], api_version="2025-12-01",
                                             **sdk_kwargs)


@pytest.fixture
def resource_group(endpoint, credential, sdk_kwargs):
    client = ResourceManagementClient(credential, endpoint["subscription_id"], **sdk_kwargs)
    name = _unique("rg-cs")
    client.resource_groups.create_or_update(name, {"location": LOCATION})
    yield name
    client.resource_groups.begin_delete(name).result()


class Responses:
    """raw_response_hook that records (method, status, headers) of every response of one call."""

    def __init__(self):
        self.seen = []

    def __call__(self, pipeline_response):
        http = pipeline_response.http_response
        self.seen.append((http.request.method, http.status_code, dict(http.headers)))


def _account_model(subdomain: str | None, **props) -> csm.Account:
    settings = {"allow_project_management": True, "custom_sub_domain_name": subdomain, "disable_local_auth": False,
                "public_network_access": "Enabled", **props}
    properties = csm.AccountProperties(**settings)
    return csm.Account(location=LOCATION, kind="AIServices", sku=csm.Sku(name="S0"),
                       identity=csm.Identity(type="SystemAssigned"), properties=properties)


def _create_account(client, rg, name, **props) -> csm.Account:
    return client.accounts.begin_create(rg, name, _account_model(name, **props)).result()


def _deployment(capacity: int = 10, model: str = "gpt-4o-mini", version: str = "2024-07-18") -> csm.Deployment:
    return csm.Deployment(sku=csm.Sku(name="GlobalStandard", capacity=capacity),
                          properties=csm.DeploymentProperties(
                              model=csm.DeploymentModel(format="OpenAI", name=model, version=version),
                              rai_policy_name="Microsoft.DefaultV2"))


def test_sdk_account_create_is_an_azure_async_lro_and_reads_back(cs_client, resource_group):
    name = _unique("models")
    responses = Responses()
    account = cs_client.accounts.begin_create(resource_group, name, _account_model(name),
                                              raw_response_hook=responses).result()
    method, status, headers = responses.seen[0]
    assert (method, status) == ("PUT", 201)
    assert "Azure-AsyncOperation" in headers or "azure-asyncoperation" in {k.lower() for k in headers}
    assert account.properties.provisioning_state == "Succeeded"
    assert account.properties.endpoint == f"https://{name}.cognitiveservices.azure.com/"
    assert account.properties.endpoints["AI Foundry API"] == f"https://{name}.services.ai.azure.com/"
    assert account.etag.startswith('"') and account.etag.endswith('"')
    assert uuid.UUID(account.identity.principal_id)
    assert account.properties.date_created and account.properties.internal_id

    got = cs_client.accounts.get(resource_group, name)
    assert got.id == account.id and got.properties.custom_sub_domain_name == name
    assert name in [a.name for a in cs_client.accounts.list_by_resource_group(resource_group)]
    assert name in [a.name for a in cs_client.accounts.list()]

    updated = cs_client.accounts.begin_update(resource_group, name, csm.Account(tags={"env": "lab"})).result()
    assert updated.tags == {"env": "lab"} and updated.properties.provisioning_state == "Succeeded"
    assert updated.identity.principal_id == account.identity.principal_id

    keys = cs_client.accounts.list_keys(resource_group, name)
    assert keys.key1 and keys.key2 and keys.key1 != keys.key2
    regenerated = cs_client.accounts.regenerate_key(resource_group, name, "Key1")
    assert regenerated.key1 != keys.key1 and regenerated.key2 == keys.key2


def test_sdk_list_keys_refused_without_local_auth(cs_client, resource_group):
    name = _unique("nokeys")
    _create_account(cs_client, resource_group, name, disable_local_auth=True)
    with pytest.raises(HttpResponseError) as err:
        cs_client.accounts.list_keys(resource_group, name)
    assert err.value.status_code == 400 and "disableLocalAuth" in str(err.value)


def test_sdk_deployments_and_concurrent_write_conflict(cs_client, resource_group):
    account = _unique("models")
    _create_account(cs_client, resource_group, account)
    created = cs_client.deployments.begin_create_or_update(resource_group, account, "gpt-4o-mini",
                                                           _deployment()).result()
    assert created.properties.provisioning_state == "Succeeded"
    assert created.sku.capacity == 10 and created.properties.rate_limits
    assert created.properties.model.version == "2024-07-18"

    resized = cs_client.deployments.begin_update(
        resource_group, account, "gpt-4o-mini",
        csm.PatchResourceTagsAndSku(sku=csm.Sku(name="GlobalStandard", capacity=20))).result()
    assert resized.sku.capacity == 20
    assert cs_client.deployments.get(resource_group, account, "gpt-4o-mini").sku.capacity == 20

    cs_client.deployments.begin_delete(resource_group, account, "gpt-4o-mini").result()
    with pytest.raises(ResourceNotFoundError):
        cs_client.deployments.get(resource_group, account, "gpt-4o-mini")


def test_a_deployment_write_while_another_runs_conflicts(tmp_path):
    # Time scale 10: the deployment create stays in flight for minutes whatever the machine's speed; the endpoint's
    # clock is then moved past it instead of waiting (the SDK pollers are not used: they would sleep Retry-After).
    info = start_endpoint(tmp_path, "--time-scale", "10")
    try:
        credential, options = make_credential(info), make_sdk_kwargs(info)
        ResourceManagementClient(credential, info["subscription_id"], **options).resource_groups.create_or_update(
            "conflicts", {"location": LOCATION})
        client = CognitiveServicesManagementClient(credential, info["subscription_id"], **options)
        account = _unique("models")
        client.accounts.begin_create("conflicts", account, _account_model(account), polling=False)
        advance_clock(info, 86400)
        assert client.accounts.get("conflicts", account).properties.provisioning_state == "Succeeded"
        client.deployments.begin_create_or_update("conflicts", account, "gpt-4.1-mini",
                                                  _deployment(model="gpt-4.1-mini", version="2025-04-14"),
                                                  polling=False)
        with pytest.raises(ResourceExistsError) as err:
            client.deployments.begin_create_or_update("conflicts", account, "embeddings",
                                                      _deployment(model="text-embedding-3-small", version="1"),
                                                      polling=False)
        assert err.value.error.code == "RequestConflict"
        assert "Another operation is being performed on the parent resource" in err.value.error.message
        advance_clock(info, 86400)
        assert client.deployments.get("conflicts", account, "gpt-4.1-mini").properties.provisioning_state == \
            "Succeeded"
        assert sorted(d.name for d in client.deployments.list("conflicts", account)) == ["gpt-4.1-mini"]
    finally:
        stop_endpoint(tmp_path)


def test_sdk_projects(cs_client, resource_group):
    account = _unique("agents")
    _create_account(cs_client, resource_group, account)
    project = cs_client.projects.begin_create(
        resource_group, account, "foundry-project",
        csm.Project(location=LOCATION, identity=csm.Identity(type="SystemAssigned"),
                    properties=csm.ProjectProperties(display_name="Foundry project"))).result()
    assert project.properties.provisioning_state == "Succeeded"
    assert project.properties.endpoints["AI Foundry API"] == \
        f"https://{account}.services.ai.azure.com/api/projects/foundry-project"
    assert project.properties.is_default is True and uuid.UUID(project.identity.principal_id)
    assert cs_client.projects.get(resource_group, account, "foundry-project").properties.display_name == \
        "Foundry project"
    assert [p.name for p in cs_client.projects.list(resource_group, account)] == ["foundry-project"]
    updated = cs_client.projects.begin_update(
        resource_group, account, "foundry-project",
        csm.Project(properties=csm.ProjectProperties(description="agents live here"))).result()
    assert updated.properties.description == "agents live here"
    assert updated.properties.display_name == "Foundry project"
    assert updated.identity.principal_id == project.identity.principal_id
    cs_client.projects.begin_delete(resource_group, account, "foundry-project").result()
    with pytest.raises(ResourceNotFoundError):
        cs_client.projects.get(resource_group, account, "foundry-project")

    plain = _unique("plain")
    _create_account(cs_client, resource_group, plain, allow_project_management=False)
    with pytest.raises(HttpResponseError) as err:
        cs_client.projects.begin_create(resource_group, plain, "p1", csm.Project(
            location=LOCATION, properties=csm.ProjectProperties())).result()
    assert err.value.status_code == 400 and "allowProjectManagement" in err.value.error.message


def _gateway_connection(category: str = "ApiManagement") -> csm.ConnectionPropertiesV2BasicResource:
    return csm.ConnectionPropertiesV2BasicResource(properties=csm.ApiKeyAuthConnectionProperties(
        category=category, target="https://apim-lab.azure-api.net/inference/openai", is_shared_to_all=True,
        credentials=csm.ConnectionApiKey(key="subscription-key-secret"),
        metadata={"deploymentInPath": "true", "inferenceAPIVersion": "2024-12-01-preview"}))


def test_sdk_connections_are_sync_200_and_never_return_credentials(cs_client, cs_client_1201, resource_group):
    account = _unique("agents")
    _create_account(cs_client, resource_group, account)
    responses = Responses()
    created = cs_client_1201.account_connections.create(resource_group, account, "ai-gateway",
                                                        _gateway_connection(), raw_response_hook=responses)
    assert [status for _, status, _ in responses.seen] == [200]
    assert created.properties.category == "ApiManagement" and created.properties.auth_type == "ApiKey"
    assert getattr(created.properties, "credentials", None) is None
    got = cs_client_1201.account_connections.get(resource_group, account, "ai-gateway")
    assert getattr(got.properties, "credentials", None) is None
    assert got.properties.metadata["deploymentInPath"] == "true" and got.properties.is_shared_to_all is True
    listed = list(cs_client_1201.account_connections.list(resource_group, account))
    assert [c.name for c in listed] == ["ai-gateway"]
    assert all(getattr(c.properties, "credentials", None) is None for c in listed)

    responses = Responses()
    patched = cs_client_1201.account_connections.update(
        resource_group, account, "ai-gateway",
        csm.ConnectionUpdateContent(properties=csm.ApiKeyAuthConnectionProperties(
            category="ApiManagement", metadata={"deploymentInPath": "false"})), raw_response_hook=responses)
    assert [status for _, status, _ in responses.seen] == [200]
    # PATCH merges into the stored connection (maps key by key), as ARM merge-patch does.
    assert patched.properties.metadata == {"deploymentInPath": "false", "inferenceAPIVersion": "2024-12-01-preview"}
    assert patched.properties.target == "https://apim-lab.azure-api.net/inference/openai"
    assert getattr(patched.properties, "credentials", None) is None

    with pytest.raises(HttpResponseError) as err:
        cs_client.account_connections.create(resource_group, account, "too-old", _gateway_connection())
    assert err.value.status_code == 400

    cs_client.projects.begin_create(resource_group, account, "proj", csm.Project(
        location=LOCATION, identity=csm.Identity(type="SystemAssigned"), properties=csm.ProjectProperties())).result()
    project_connection = cs_client_1201.project_connections.create(resource_group, account, "proj", "model-gw",
                                                                   _gateway_connection("ModelGateway"))
    assert project_connection.properties.category == "ModelGateway"
    assert getattr(project_connection.properties, "credentials", None) is None
    cs_client_1201.project_connections.delete(resource_group, account, "proj", "model-gw")
    cs_client_1201.account_connections.delete(resource_group, account, "ai-gateway")
    with pytest.raises(ResourceNotFoundError):
        cs_client_1201.account_connections.get(resource_group, account, "ai-gateway")


def test_sdk_soft_delete_restore_purge(cs_client, resource_group):
    name = _unique("models")
    account = _create_account(cs_client, resource_group, name)
    cs_client.deployments.begin_create_or_update(resource_group, name, "gpt-4o-mini", _deployment()).result()
    responses = Responses()
    cs_client.accounts.begin_delete(resource_group, name, raw_response_hook=responses).result()
    assert responses.seen[0][:2] == ("DELETE", 200)
    with pytest.raises(ResourceNotFoundError):
        cs_client.accounts.get(resource_group, name)

    deleted = cs_client.deleted_accounts.get(LOCATION, resource_group, name)
    assert deleted.properties.deletion_date and deleted.properties.scheduled_purge_date
    assert name in [a.name for a in cs_client.deleted_accounts.list()]

    with pytest.raises(ResourceExistsError) as err:
        cs_client.accounts.begin_create(resource_group, name, _account_model(name)).result()
    assert err.value.error.code == "FlagMustBeSetForRestore"

    restored = cs_client.accounts.begin_create(resource_group, name, csm.Account(
        location=LOCATION, kind="AIServices", sku=csm.Sku(name="S0"),
        properties=csm.AccountProperties(restore=True))).result()
    assert restored.properties.provisioning_state == "Succeeded"
    assert restored.identity.principal_id == account.identity.principal_id
    assert [d.name for d in cs_client.deployments.list(resource_group, name)] == ["gpt-4o-mini"]

    cs_client.accounts.begin_delete(resource_group, name).result()
    cs_client.deleted_accounts.begin_purge(LOCATION, resource_group, name).result()
    with pytest.raises(ResourceNotFoundError):
        cs_client.deleted_accounts.get(LOCATION, resource_group, name)
    again = _create_account(cs_client, resource_group, name)
    assert again.identity.principal_id != account.identity.principal_id


def test_sdk_restore_with_nothing_deleted_is_refused(cs_client, resource_group):
    name = _unique("ghost")
    with pytest.raises(HttpResponseError) as err:
        cs_client.accounts.begin_create(resource_group, name, _account_model(name, restore=True)).result()
    assert err.value.error.code == "CanNotRestoreANonExistingResource"


def test_sdk_custom_domain_in_use_and_domain_availability(cs_client, resource_group):
    name = _unique("models")
    _create_account(cs_client, resource_group, name)
    with pytest.raises(ResourceExistsError) as err:
        cs_client.accounts.begin_create(resource_group, _unique("other"), _account_model(name)).result()
    assert err.value.error.code == "CustomDomainInUse"
    taken = cs_client.check_domain_availability(name, "Microsoft.CognitiveServices/accounts", kind="AIServices")
    assert taken.is_subdomain_available is False and taken.subdomain_name == name
    free = cs_client.check_domain_availability(_unique("free"), "Microsoft.CognitiveServices/accounts")
    assert free.is_subdomain_available is True


def test_sdk_deleted_accounts_survive_resource_group_deletion(endpoint, credential, sdk_kwargs, cs_client):
    resources = ResourceManagementClient(credential, endpoint["subscription_id"], **sdk_kwargs)
    rg = _unique("rg-cs-gone")
    resources.resource_groups.create_or_update(rg, {"location": LOCATION})
    name = _unique("models")
    _create_account(cs_client, rg, name)
    resources.resource_groups.begin_delete(rg).result()
    assert cs_client.deleted_accounts.get(LOCATION, rg, name).name == name
    cs_client.deleted_accounts.begin_purge(LOCATION, rg, name).result()
    assert name not in [a.name for a in cs_client.deleted_accounts.list()]


def test_sdk_rai_blocklists(cs_client, resource_group):
    account = _unique("safety")
    cs_client.accounts.begin_create(resource_group, account, csm.Account(
        location=LOCATION, kind="ContentSafety", sku=csm.Sku(name="S0"),
        properties=csm.AccountProperties(custom_sub_domain_name=account))).result()
    blocklist = cs_client.rai_blocklists.create_or_update(
        resource_group, account, "blocklist1",
        csm.RaiBlocklist(properties=csm.RaiBlocklistProperties(description="lab blocklist")))
    assert blocklist.properties.description == "lab blocklist" and blocklist.etag.startswith('"')
    blocklist = cs_client.rai_blocklists.create_or_update(
        resource_group, account, "blocklist1",
        csm.RaiBlocklist(properties=csm.RaiBlocklistProperties(description="updated")))
    assert cs_client.rai_blocklists.get(resource_group, account, "blocklist1").properties.description == "updated"
    assert [b.name for b in cs_client.rai_blocklists.list(resource_group, account)] == ["blocklist1"]
    item = cs_client.rai_blocklist_items.create_or_update(
        resource_group, account, "blocklist1", "item1",
        csm.RaiBlocklistItem(properties=csm.RaiBlocklistItemProperties(pattern="secret", is_regex=False)))
    assert item.properties.pattern == "secret"
    assert [i.name for i in cs_client.rai_blocklist_items.list(resource_group, account, "blocklist1")] == ["item1"]
    assert cs_client.rai_blocklist_items.get(resource_group, account, "blocklist1", "item1").properties.is_regex is False
    cs_client.rai_blocklist_items.begin_delete(resource_group, account, "blocklist1", "item1").result()
    assert list(cs_client.rai_blocklist_items.list(resource_group, account, "blocklist1")) == []
    cs_client.rai_blocklists.begin_delete(resource_group, account, "blocklist1").result()
    with pytest.raises(ResourceNotFoundError):
        cs_client.rai_blocklists.get(resource_group, account, "blocklist1")


def test_sdk_bodies_conform_to_the_specs(cs_client, cs_client_1201, resource_group, requests_log):
    """Every Cognitive Services request and response of a lab-shaped flow validates against localazure/specs."""
    account = _unique("agents")
    requests_log.mark()
    _create_account(cs_client, resource_group, account)
    cs_client.accounts.get(resource_group, account)
    cs_client.deployments.begin_create_or_update(resource_group, account, "gpt-4o-mini", _deployment()).result()
    cs_client.projects.begin_create(resource_group, account, "proj", csm.Project(
        location=LOCATION, identity=csm.Identity(type="SystemAssigned"), properties=csm.ProjectProperties())).result()
    cs_client_1201.account_connections.create(resource_group, account, "ai-gateway", _gateway_connection())
    cs_client_1201.project_connections.create(resource_group, account, "proj", "gateway", _gateway_connection())
    cs_client.rai_blocklists.create_or_update(resource_group, account, "blocklist1", csm.RaiBlocklist(
        properties=csm.RaiBlocklistProperties(description="lab")))
    list(cs_client.deployments.list(resource_group, account))
    list(cs_client_1201.account_connections.list(resource_group, account))
    cs_client.accounts.begin_delete(resource_group, account).result()
    cs_client.deleted_accounts.get(LOCATION, resource_group, account)
    cs_client.deleted_accounts.begin_purge(LOCATION, resource_group, account).result()
    entries = [entry for entry in requests_log() if "microsoft.cognitiveservices" in entry["path"].lower()]
    assert entries
    failures = [(entry["method"], entry["path"], entry["conformance"]) for entry in entries
                if entry["conformance"] not in ([], None)]
    assert failures == []


def test_raw_lab_versions_and_project_managed_identity_connection(arm, endpoint, resource_group):
    """The lab's own api-versions (accounts 2025-06-01, projects 2025-04-01-preview) and the
    ProjectManagedIdentity connection of foundry-samples, which the SDK models cannot express."""
    name = _unique("agents")
    account_path = (f"/subscriptions/{endpoint['subscription_id']}/resourceGroups/{resource_group}/providers/"
                    f"Microsoft.CognitiveServices/accounts/{name}")
    created = arm("PUT", account_path + "?api-version=2025-06-01", json=ai_services(name))
    assert created.status_code == 201 and created.json()["properties"]["provisioningState"] == "Creating"
    assert created.headers["Azure-AsyncOperation"].startswith(endpoint["arm_endpoint"])
    advance_clock(endpoint, 600)   # past the account's create, whatever the machine's speed
    assert arm("GET", account_path + "?api-version=2026-07-01").json()["properties"]["provisioningState"] == "Succeeded"
    project = arm("PUT", account_path + "/projects/foundry-project?api-version=2025-04-01-preview",
                  json={"location": LOCATION, "identity": {"type": "SystemAssigned"}, "properties": {}})
    assert project.status_code == 201
    connection = {"properties": {"category": "ApiManagement", "authType": "ProjectManagedIdentity",
                                 "audience": "https://cognitiveservices.azure.com", "credentials": {},
                                 "target": "https://apim-lab.azure-api.net/inference/openai", "isSharedToAll": False,
                                 "metadata": {"deploymentInPath": "true"}}}
    path = account_path + "/projects/foundry-project/connections/apim-pmi"
    put = arm("PUT", path + "?api-version=2025-12-01", json=connection)
    assert put.status_code == 200, put.text
    got = arm("GET", path + "?api-version=2025-12-01").json()
    assert got["properties"]["authType"] == "ProjectManagedIdentity"
    assert got["properties"]["audience"] == "https://cognitiveservices.azure.com"
    assert "credentials" not in got["properties"]
    assert got["properties"]["createdByWorkspaceArmId"].lower() == (account_path + "/projects/foundry-project").lower()
    too_old = arm("PUT", account_path + "/connections/apim-old?api-version=2025-04-01-preview", json=connection)
    assert too_old.status_code == 400
    assert arm("DELETE", path + "?api-version=2025-12-01").status_code in (200, 204)
