"""Microsoft.ApiManagement provider: policy formatting unit tests, then the real azure-mgmt-apimanagement
client (2024-05-01) against the running endpoint (fixtures from conftest.py)."""
from __future__ import annotations

import json
import re
import uuid

import pytest
from azure.core.exceptions import HttpResponseError, ResourceExistsError, ResourceNotFoundError
from azure.mgmt.apimanagement import ApiManagementClient
from azure.mgmt.resource.resources import ResourceManagementClient

from localazure.engine.contract import ArmError
from localazure.services.apimanagement import service as apim
from tests.localazure.conftest import advance_clock

LOCATION = "eastus"
POLICY = ('<policies><inbound><base/><set-header name="x-test" exists-action="override"><value>1</value>'
          '</set-header></inbound><backend><base /></backend><outbound/><on-error/></policies>')
OPENAPI = {
    "openapi": "3.0.1", "info": {"title": "PassThrough", "version": "1.0"},
    "paths": {"/*": {method: {"operationId": f"{method}-all", "summary": f"{method.upper()} all",
                              "responses": {"200": {"description": "ok"}}}
                     for method in ("get", "put", "post", "delete", "patch", "head", "options", "trace")},
              "/items/{id}": {"get": {"summary": "Get item", "parameters": [
                  {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}],
                  "responses": {"200": {"description": "ok"}}}}},
}


# --- unit: policy reformatting ---------------------------------------------------------------------

def test_format_policy_reindents_with_tabs_and_self_closes():
    formatted = apim.format_policy(POLICY)
    assert formatted.split("\r\n") == [
        "<policies>", "\t<inbound>", "\t\t<base />",
        '\t\t<set-header name="x-test" exists-action="override">', "\t\t\t<value>1</value>", "\t\t</set-header>",
        "\t</inbound>", "\t<backend>", "\t\t<base />", "\t</backend>", "\t<outbound />", "\t<on-error />",
        "</policies>"]
    assert apim.format_policy(formatted) == formatted   # idempotent


def test_format_policy_keeps_comments_and_escapes():
    formatted = apim.format_policy('<policies><!-- note --><inbound><set-body>a &lt; b</set-body></inbound></policies>')
    assert "\t<!-- note -->" in formatted
    assert "<set-body>a &lt; b</set-body>" in formatted


def test_rawxml_policy_expressions_may_hold_quotes_and_angle_brackets():
    raw = ('<policies><inbound><llm-emit-token-metric namespace="llm"><dimension name="User ID" '
           'value="@(context.Request.Headers.GetValueOrDefault("x-user-id", "N/A"))" /></llm-emit-token-metric>'
           '<choose><when condition="@(context.Response.StatusCode < 503 && true)"><base /></when></choose>'
           '</inbound></policies>')
    formatted = apim.format_policy(raw)
    assert 'value="@(context.Request.Headers.GetValueOrDefault(&quot;x-user-id&quot;, &quot;N/A&quot;))"' in formatted
    assert 'condition="@(context.Response.StatusCode &lt; 503 &amp;&amp; true)"' in formatted
    assert apim.format_policy(formatted) == formatted


class _Store:
    def __init__(self):
        self.resources, self.kv = {}, {}

    def get(self, resource_id):
        return self.resources.get(resource_id.lower())

    def put(self, resource_id, type_name, body):
        self.resources[resource_id.lower()] = body

    def kv_get(self, table, key):
        return self.kv.get((table, key))

    def kv_put(self, table, key, value):
        self.kv[(table, key)] = value


class _Ctx:
    def __init__(self, resource_id, body=None):
        self.store, self.resource_id, self.body = _Store(), resource_id, body
        self.name = resource_id.rsplit("/", 1)[-1]
        self.tenant_id = "11111111-1111-1111-1111-111111111111"

    @staticmethod
    def now_iso():
        return "2026-01-01T00:00:00.0000000Z"

    @staticmethod
    def new_guid():
        return str(uuid.uuid4())


@pytest.mark.parametrize("sku, seconds", [("Developer", 2400), ("Standard", 2760), ("Basicv2", 300),
                                          ("StandardV2", 300), ("Consumption", 120)])
def test_activation_duration_follows_the_sku(sku, seconds):
    service_id = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.ApiManagement/service/apim-x"
    kind, ctx = apim.ServiceKind(), _Ctx(service_id)
    body = {"id": service_id, "name": "apim-x", "location": "swedencentral", "sku": {"name": sku, "capacity": 1},
            "properties": {"publisherEmail": "a@b.c", "publisherName": "n"}}
    kind.on_create(ctx, body)
    lro = kind.create_lro_for(ctx, body)
    assert lro.seconds == seconds and lro.status == 201 and lro.style == "location"
    assert body["location"] == "Sweden Central" and body["properties"]["gatewayUrl"] == "https://apim-x.azure-api.net"
    assert ctx.store.get(service_id + "/subscriptions/master")["properties"]["state"] == "active"


def test_malformed_policy_is_a_validation_error():
    with pytest.raises(ArmError) as caught:
        apim.format_policy("<policies><inbound></policies>")
    assert caught.value.status == 400 and caught.value.code == "ValidationError"
    assert caught.value.details[0]["target"] == "representation"


# --- real SDK ------------------------------------------------------------------------------------

def _unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def resource_group(endpoint, credential, sdk_kwargs):
    client = ResourceManagementClient(credential, endpoint["subscription_id"], **sdk_kwargs)
    name = _unique("rg-apim")
    client.resource_groups.create_or_update(name, {"location": LOCATION})
    yield name
    client.resource_groups.begin_delete(name).result()


@pytest.fixture(scope="module")
def client(endpoint, credential, sdk_kwargs):
    return ApiManagementClient(credential, endpoint["subscription_id"], **sdk_kwargs)


def _service_body(sku="Developer", capacity=1):
    return {"location": LOCATION, "sku": {"name": sku, "capacity": capacity},
            "identity": {"type": "SystemAssigned"},
            "properties": {"publisherEmail": "ops@contoso.com", "publisherName": "Contoso"}}


@pytest.fixture(scope="module")
def service(client, endpoint, credential, sdk_kwargs):
    """One activated service shared by the child-resource tests (each uses its own child names)."""
    resources = ResourceManagementClient(credential, endpoint["subscription_id"], **sdk_kwargs)
    resource_group = _unique("rg-apim")
    resources.resource_groups.create_or_update(resource_group, {"location": LOCATION})
    name = _unique("apim")
    client.api_management_service.begin_create_or_update(resource_group, name, _service_body("StandardV2")).result()
    yield resource_group, name
    client.api_management_service.begin_delete(resource_group, name).result()
    client.deleted_services.begin_purge(name, LOCATION).result()
    resources.resource_groups.begin_delete(resource_group).result()


def test_service_lifecycle_polls_location_until_activated(client, resource_group, requests_log):
    name = _unique("apim")
    poller = client.api_management_service.begin_create_or_update(resource_group, name, _service_body())
    first = next(line for line in requests_log() if line.get("method") == "PUT")
    assert first["status"] == 201
    activating = client.api_management_service.get(resource_group, name)
    assert activating.provisioning_state == "Created"
    assert activating.target_provisioning_state == "Activating"
    assert activating.gateway_url == f"https://{name}.azure-api.net"
    assert activating.developer_portal_url is None
    with pytest.raises(HttpResponseError) as busy:
        client.api_management_service.begin_update(resource_group, name, {"tags": {"a": "b"}}).result()
    assert busy.value.status_code == 409 and busy.value.error.code == apim.ACTIVATING_CONFLICT_CODE
    with pytest.raises(HttpResponseError) as child_busy:
        client.backend.create_or_update(resource_group, name, "b1", {"url": "https://x", "protocol": "http"})
    assert child_busy.value.status_code == 409

    created = poller.result()
    assert created.provisioning_state == "Succeeded" and created.target_provisioning_state == ""
    assert created.gateway_regional_url == f"https://{name}-eastus-01.regional.azure-api.net"
    assert created.management_api_url == f"https://{name}.management.azure-api.net"
    assert created.platform_version == "stv2" and created.public_ip_addresses
    assert created.identity.principal_id and created.identity.tenant_id
    assert created.location == "East US"
    polls = [line for line in requests_log()
             if line.get("method") == "GET" and "operationResults" in line.get("path", "")]
    assert polls and polls[-1]["status"] == 200

    updated = client.api_management_service.begin_update(resource_group, name, {"tags": {"env": "test"}}).result()
    assert updated.tags == {"env": "test"} and updated.identity.principal_id == created.identity.principal_id
    names = [item.name for item in client.api_management_service.list_by_resource_group(resource_group)]
    assert names == [name]
    master = client.subscription.list_secrets(resource_group, name, "master")
    assert master.primary_key and master.secondary_key

    client.api_management_service.begin_delete(resource_group, name).result()
    with pytest.raises(ResourceNotFoundError):
        client.api_management_service.get(resource_group, name)
    deleted = client.deleted_services.get_by_name(name, LOCATION)
    assert deleted.service_id.endswith(f"/service/{name}") and deleted.scheduled_purge_date > deleted.deletion_date
    assert name in [item.name for item in client.deleted_services.list_by_subscription()]
    availability = client.api_management_service.check_name_availability({"name": name})
    assert availability.name_available is False and availability.reason == "AlreadyExists"

    with pytest.raises(ResourceExistsError) as soft_deleted:
        client.api_management_service.begin_create_or_update(resource_group, name, _service_body()).result()
    assert soft_deleted.value.error.code == "ServiceAlreadyExistsInSoftDeletedState"
    assert "was soft-deleted" in soft_deleted.value.error.message

    restored = client.api_management_service.begin_create_or_update(
        resource_group, name, {"location": LOCATION, "sku": {"name": "Basic", "capacity": 1},
                               "properties": {"publisherEmail": "x@y.z", "publisherName": "other",
                                              "restore": True}}).result()
    assert restored.sku.name == "Developer" and restored.publisher_name == "Contoso"
    assert restored.identity.principal_id == created.identity.principal_id
    assert client.subscription.list_secrets(resource_group, name, "master").primary_key == master.primary_key

    client.api_management_service.begin_delete(resource_group, name).result()
    client.deleted_services.begin_purge(name, LOCATION).result()
    with pytest.raises(ResourceNotFoundError):
        client.deleted_services.get_by_name(name, LOCATION)
    assert client.api_management_service.check_name_availability({"name": name}).name_available is True
    again = client.api_management_service.begin_create_or_update(resource_group, name, _service_body("BasicV2"))
    assert again.result().provisioning_state == "Succeeded"
    client.api_management_service.begin_delete(resource_group, name).result()
    client.deleted_services.begin_purge(name, LOCATION).result()


def test_service_create_answers_in_the_recorded_shape(arm, client, resource_group, endpoint):
    name = _unique("apim")
    path = (f"/subscriptions/{endpoint['subscription_id']}/resourceGroups/{resource_group}/providers/"
            f"Microsoft.ApiManagement/service/{name}?api-version=2025-03-01-preview")
    response = arm("PUT", path, json=_service_body("Standard"))
    body = response.json()
    assert response.status_code == 201
    assert response.headers["ETag"] == f'"{body["etag"]}"' and "Azure-AsyncOperation" not in response.headers
    assert "operationResults" in response.headers["Location"] and int(response.headers["Retry-After"]) >= 1
    props = body["properties"]
    assert (props["provisioningState"], props["targetProvisioningState"]) == ("Created", "Activating")
    assert props["hostnameConfigurations"][0]["hostName"] == f"{name}.azure-api.net"
    assert props["portalUrl"] is None and props["scmUrl"] is None and props["platformVersion"] == "undetermined"
    assert body["identity"]["principalId"] and body["location"] == "East US"
    busy = arm("PUT", path, json=_service_body("Standard"))
    assert busy.status_code == 409 and busy.json()["error"]["code"] == apim.ACTIVATING_CONFLICT_CODE
    invalid = arm("PUT", path.replace(name, "9" + name), json=_service_body())
    assert invalid.status_code == 400 and invalid.json()["error"]["innerError"] is None
    advance_clock(endpoint, 2400)   # past APIM's create, whatever the machine's speed
    assert arm("GET", path).json()["properties"]["provisioningState"] == "Succeeded"
    deleting = arm("DELETE", path, headers={"If-Match": "*"})      # recorded: 202 with the resource
    assert deleting.status_code == 202 and deleting.headers["Location"]
    shown = deleting.json()["properties"]
    assert (shown["provisioningState"], shown["targetProvisioningState"]) == ("Succeeded", "Deleting")
    advance_clock(endpoint, 2400)   # past APIM's delete
    assert arm("GET", path).status_code == 404
    purge = arm("DELETE", f"/subscriptions/{endpoint['subscription_id']}/providers/Microsoft.ApiManagement/"
                          f"locations/{LOCATION}/deletedservices/{name}?api-version=2024-05-01")
    assert purge.status_code == 202 and purge.json()["properties"]["serviceId"].endswith(name)
    assert purge.json()["type"] == "Microsoft.ApiManagement/deletedservices" and purge.headers["Location"]


def test_a_purge_is_held_by_the_type_of_the_soft_deleted_service(arm, control, resource_group, endpoint):
    """The benchmark holds API Management's purge (kind action:purge, typed by its id) until teardown waits."""
    name = _unique("apim")
    path = (f"/subscriptions/{endpoint['subscription_id']}/resourceGroups/{resource_group}/providers/"
            f"Microsoft.ApiManagement/service/{name}?api-version=2024-05-01")
    deleted = (f"/subscriptions/{endpoint['subscription_id']}/providers/Microsoft.ApiManagement/locations/"
               f"{LOCATION}/deletedservices/{name}?api-version=2024-05-01")
    arm("PUT", path, json=_service_body("Standard"))
    advance_clock(endpoint, 2400)
    arm("DELETE", path, headers={"If-Match": "*"})
    advance_clock(endpoint, 2400)
    hold = {"type": "Microsoft.ApiManagement/locations/deletedservices", "operation": "purge"}
    assert control("POST", "/localazure/holds", json=hold).json()["holds"] == [hold]
    try:
        purge = arm("DELETE", deleted)
        monitor = purge.headers["Location"][purge.headers["Location"].index("/subscriptions/"):]
        advance_clock(endpoint, 2400)
        assert [op["kind"] for op in control("GET", "/localazure/holds").json()["held"]] == ["action:purge"]
        assert arm("GET", monitor).status_code == 202
    finally:
        released = control("DELETE", "/localazure/holds").json()["released"]
    assert [op["kind"] for op in released] == ["action:purge"]
    assert arm("GET", monitor).status_code == 200


def test_check_name_availability_rejects_invalid_names(client):
    answer = client.api_management_service.check_name_availability({"name": "1-bad-"})
    assert answer.name_available is False and answer.reason == "Invalid"
    assert client.api_management_service.check_name_availability({"name": _unique("free")}).name_available


def test_backends_etags_if_match_and_pools(client, service):
    rg, name = service
    single = client.backend.create_or_update(rg, name, "openai-1", {"url": "https://a.openai.azure.com/openai",
                                                                     "protocol": "http"})
    assert single.type_properties_type == "Single"
    body, headers = client.backend.get(rg, name, "openai-1", cls=lambda response, _, h: (
        response.http_response.json(), h))
    assert "etag" not in body and headers["ETag"].startswith('"')   # children: ETag header only (§5.1)
    etag = headers["ETag"]
    with pytest.raises(HttpResponseError) as stale:
        client.backend.update(rg, name, "openai-1", if_match='"stale"', parameters={"description": "x"})
    assert stale.value.status_code == 412
    client.backend.update(rg, name, "openai-1", if_match=etag, parameters={"description": "updated"})
    assert client.backend.get(rg, name, "openai-1").description == "updated"
    refreshed = client.backend.get(rg, name, "openai-1", cls=lambda response, _, h: h["ETag"])
    assert refreshed != etag

    pool = {"type": "Pool", "pool": {"services": [{"id": single.id, "priority": 1, "weight": 50}]},
            "circuitBreaker": {"rules": [{"name": "breaker", "tripDuration": "PT1M", "acceptRetryAfter": True,
                                          "failureCondition": {"count": 3, "interval": "PT5M",
                                                               "statusCodeRanges": [{"min": 429, "max": 429}]}}]}}
    created = client.backend.create_or_update(rg, name, "pool", pool)
    assert created.pool.services[0].id == single.id
    assert created.circuit_breaker.rules[0].failure_condition.status_code_ranges[0].min == 429
    relative = client.backend.create_or_update(rg, name, "pool-relative", {
        "type": "Pool", "pool": {"services": [{"id": "/backends/openai-1", "weight": 1}]}})   # the AI-Gateway lab's pool shape
    assert relative.pool.services[0].id == "/backends/openai-1"
    client.backend.delete(rg, name, "pool-relative", if_match="*")
    missing = dict(pool, pool={"services": [{"id": single.id.replace("openai-1", "nope")}]})
    with pytest.raises(HttpResponseError) as bad_pool:
        client.backend.create_or_update(rg, name, "pool2", missing)
    assert bad_pool.value.status_code == 400 and bad_pool.value.error.code == "ValidationError"
    with pytest.raises(HttpResponseError) as no_url:
        client.backend.create_or_update(rg, name, "nourl", {"protocol": "http"})
    assert no_url.value.status_code == 400
    assert sorted(item.name for item in client.backend.list_by_service(rg, name)) == ["openai-1", "pool"]
    client.backend.delete(rg, name, "pool", if_match="*")
    with pytest.raises(ResourceNotFoundError):
        client.backend.get(rg, name, "pool")


def test_get_entity_tag_is_a_head_answered_200_with_the_etag(client, service):
    resource_group, name = service
    client.backend.create_or_update(resource_group, name, "b-head", {"url": "https://x", "protocol": "http"})
    current = client.backend.get(resource_group, name, "b-head", cls=lambda _, __, h: h["ETag"])
    assert client.backend.get_entity_tag(resource_group, name, "b-head", cls=lambda _, __, h: h["ETag"]) == current


def test_api_import_creates_operations_and_policies_are_reformatted(client, service):
    rg, name = service
    api = client.api.begin_create_or_update(rg, name, "passthrough", {
        "path": "openai", "protocols": ["https"], "format": "openapi+json", "value": json.dumps(OPENAPI),
        "subscriptionKeyParameterNames": {"header": "api-key", "query": "api-key"},
        "serviceUrl": "https://a.openai.azure.com/openai", "apiType": "http"}).result()
    assert api.path == "openai" and api.display_name == "PassThrough"
    assert api.subscription_key_parameter_names.header == "api-key" and api.api_type == "http"
    raw_api = client.api.get(rg, name, "passthrough", cls=lambda response, _, h: response.http_response.json())
    assert not {"format", "value", "apiType"} & set(raw_api["properties"])   # write-only import fields
    operations = {op.name: op for op in client.api_operation.list_by_api(rg, name, "passthrough")}
    assert len(operations) == 9
    assert sorted(op.method for op in operations.values() if op.url_template == "/*") == sorted(
        ["GET", "PUT", "POST", "DELETE", "PATCH", "HEAD", "OPTIONS", "TRACE"])
    item = next(op for op in operations.values() if op.url_template == "/items/{id}")
    assert item.template_parameters[0].name == "id"

    client.api_policy.create_or_update(rg, name, "passthrough", "policy", {"format": "rawxml", "value": POLICY})
    shown = client.api_policy.get(rg, name, "passthrough", "policy")
    assert shown.format == "xml" and shown.value == apim.format_policy(POLICY) and shown.value != POLICY
    raw = client.api_policy.get(rg, name, "passthrough", "policy", format="rawxml")
    assert raw.value == POLICY
    with pytest.raises(HttpResponseError) as malformed:
        client.api_policy.create_or_update(rg, name, "passthrough", "policy",
                                           {"format": "rawxml", "value": "<policies><inbound></policies>"},
                                           if_match="*")
    assert malformed.value.status_code == 400 and malformed.value.error.code == "ValidationError"
    client.policy.create_or_update(rg, name, "policy", {"format": "xml", "value": POLICY})
    assert client.policy.get(rg, name, "policy").value.startswith("<policies>\r\n\t<inbound>")

    client.api.begin_delete(rg, name, "passthrough", if_match="*").result()
    with pytest.raises(ResourceNotFoundError):
        client.api.get(rg, name, "passthrough")


def test_subscriptions_keep_keys_out_of_get(client, service):
    rg, name = service
    client.api.begin_create_or_update(rg, name, "inference", {"path": "inference", "displayName": "Inference",
                                                              "protocols": ["https"]}).result()
    created = client.subscription.create_or_update(rg, name, "team-a", {
        "scope": "/apis/inference", "displayName": "Team A", "state": "active", "allowTracing": False})
    assert created.primary_key is None and created.state == "active" and created.created_date
    fetched = client.subscription.get(rg, name, "team-a")
    assert fetched.primary_key is None and fetched.secondary_key is None
    keys = client.subscription.list_secrets(rg, name, "team-a")
    assert len(keys.primary_key) == 32 and keys.primary_key != keys.secondary_key
    client.subscription.regenerate_primary_key(rg, name, "team-a")
    regenerated = client.subscription.list_secrets(rg, name, "team-a")
    assert regenerated.primary_key != keys.primary_key and regenerated.secondary_key == keys.secondary_key
    with pytest.raises(HttpResponseError) as bad_scope:
        client.subscription.create_or_update(rg, name, "bad", {"scope": "/nowhere", "displayName": "Bad"})
    assert bad_scope.value.status_code == 400
    assert {"master", "team-a"} <= {item.name for item in client.subscription.list(rg, name)}
    master = client.subscription.get(rg, name, "master")
    client.subscription.update(rg, name, "master", if_match="*", parameters={"allow_tracing": True})
    assert client.subscription.get(rg, name, "master").allow_tracing is True and master.scope.endswith(f"/{name}/")
    client.subscription.delete(rg, name, "team-a", if_match="*")
    with pytest.raises(ResourceNotFoundError):
        client.subscription.list_secrets(rg, name, "team-a")


def test_named_values_loggers_diagnostics_products_caches(client, service, endpoint):
    rg, name = service
    secret = client.named_value.begin_create_or_update(rg, name, "openai-key", {
        "displayName": "openai-key", "value": "s3cr3t", "secret": True}).result()
    assert secret.value is None and secret.secret is True
    assert client.named_value.get(rg, name, "openai-key").value is None
    assert client.named_value.list_value(rg, name, "openai-key").value == "s3cr3t"
    plain = client.named_value.begin_create_or_update(rg, name, "region", {
        "displayName": "region", "value": "eastus"}).result()
    assert plain.value == "eastus"
    with pytest.raises(HttpResponseError):
        client.named_value.begin_create_or_update(rg, name, "bad", {"displayName": "bad name", "value": "x"}).result()

    logger = client.logger.create_or_update(rg, name, "appinsights", {
        "loggerType": "applicationInsights", "credentials": {"instrumentationKey": "0000-key"},
        "resourceId": f"/subscriptions/{endpoint['subscription_id']}/resourceGroups/{rg}/providers/"
                      "microsoft.insights/components/ai"})
    reference = logger.credentials["instrumentationKey"]
    assert reference.startswith("{{Logger-Credentials--") and reference.endswith("}}")
    hidden = reference.strip("{}")
    assert client.named_value.list_value(rg, name, hidden).value == "0000-key"

    diagnostic = client.diagnostic.create_or_update(rg, name, "applicationinsights", {
        "loggerId": logger.id, "alwaysLog": "allErrors", "logClientIp": True})
    assert diagnostic.logger_id == logger.id
    with pytest.raises(HttpResponseError):
        client.diagnostic.create_or_update(rg, name, "azuremonitor", {"loggerId": logger.id + "-missing"})
    client.api.begin_create_or_update(rg, name, "inference", {"path": "inference", "displayName": "Inference"}).result()
    api_diagnostic = client.api_diagnostic.create_or_update(rg, name, "inference", "applicationinsights",
                                                            {"loggerId": logger.id, "verbosity": "information"})
    assert api_diagnostic.verbosity == "information"

    product = client.product.create_or_update(rg, name, "starter", {"displayName": "Starter", "state": "published"})
    assert product.subscription_required is True
    linked = client.product_api.create_or_update(rg, name, "starter", "inference")
    assert linked.name == "inference"
    assert [api.name for api in client.product_api.list_by_product(rg, name, "starter")] == ["inference"]
    assert client.product_api.check_entity_exists(rg, name, "starter", "inference") is True
    client.product_policy.create_or_update(rg, name, "starter", "policy", {"format": "rawxml", "value": POLICY})
    assert client.product_policy.get(rg, name, "starter", "policy").value == apim.format_policy(POLICY)
    client.product_api.delete(rg, name, "starter", "inference")
    assert list(client.product_api.list_by_product(rg, name, "starter")) == []

    cache = client.cache.create_or_update(rg, name, "default", {
        "connectionString": "redis.example:10000,password=pw,ssl=True", "useFromLocation": "default"})
    reference = cache.connection_string
    assert re.fullmatch(r"\{\{[0-9a-f]{24}\}\}", reference) and cache.use_from_location == "default"
    assert client.named_value.list_value(rg, name, reference.strip("{}")).value.startswith("redis.example")


def test_diagnostic_sampling_percentage_sent_as_float_by_the_sdk(client, service):
    rg, name = service
    logger = client.logger.create_or_update(rg, name, "monitor", {"loggerType": "azureMonitor"})
    diagnostic = client.diagnostic.create_or_update(rg, name, "azuremonitor", {
        "loggerId": logger.id, "sampling": {"samplingType": "fixed", "percentage": 100}})
    assert diagnostic.sampling.percentage == 100


# API Management refuses, when a policy is saved, more custom dimensions than a metric policy may have (Learn,
# llm-emit-token-metric-policy, "Limits for custom metrics": 10 dimension keys per metric, 5 of them APIM's
# defaults, so at most 5 custom dimensions per policy; the same for emit-metric and azure-openai-emit-token-metric)
# and attributes the policy does not define (each policy reference page's Attributes tables).
def _metric_policy(tag, dimensions, extra=""):
    children = "".join(f'<dimension name="d{number}" value="@(context.Api.Id)" />' for number in range(dimensions))
    name = ' name="calls" value="1"' if tag == "emit-metric" else ""
    return (f'<policies><inbound><base /><{tag}{name} namespace="llm"{extra}>{children}</{tag}></inbound>'
            '<backend><base /></backend><outbound><base /></outbound><on-error><base /></on-error></policies>')


@pytest.mark.parametrize("tag", ["llm-emit-token-metric", "azure-openai-emit-token-metric", "emit-metric"])
def test_a_metric_policy_takes_at_most_five_custom_dimensions(tag):
    from localazure.services.apimanagement import policies as apim_policies

    assert apim_policies.policy_problems(_metric_policy(tag, 5)) == []
    assert apim_policies.policy_problems(_metric_policy(tag, 6)) == [
        f"<{tag}> has 6 custom dimensions: a metric policy takes at most 5"]


@pytest.mark.parametrize("document, attribute", [
    (_metric_policy("llm-emit-token-metric", 1, ' name-space="x"'), "name-space"),
    (_metric_policy("llm-emit-token-metric", 1).replace('<dimension name="d0"', '<dimension name="d0" unit="x"'),
     "unit"),
])
def test_an_attribute_the_metric_policy_does_not_define_is_refused(document, attribute):
    from localazure.services.apimanagement import policies as apim_policies

    problems = apim_policies.policy_problems(document)
    assert len(problems) == 1 and f"attribute {attribute}" in problems[0], problems
