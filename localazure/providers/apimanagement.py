"""Microsoft.ApiManagement: the service (activation, soft delete, restore, purge, name checks) and the
children the AI gateway deploys: apis (+ OpenAPI import, operations), policies, backends, loggers,
diagnostics, subscriptions, named values, products, caches.

Shapes: localazure/specs/bicep-types/microsoft.apimanagement/2024-05-01 (Azure/bicep-types-az types.md).
Protocol: localazure/PROTOCOL.md §8.1 (recorded create/delete/purge), §7.3 (SDK status codes).
azure-mgmt-apimanagement 5.0.0 (2024-05-01):
  * service.begin_create_or_update 200/201 (real: 201 + Location, provisioningState Created, polls 202),
    begin_update 200/202, begin_delete 200/202/204.
  * api.begin_create_or_update and named_value.begin_create_or_update are LROs accepting 200/201: an
    immediate 201 with the body completes them (no provisioningState -> body polling ends at once).
  * api.begin_delete 202/204 (final-state-via location); other children are synchronous.
  * deleted_services.begin_purge 200/202/204 final-state-via location.
At 2024-05-01 the types carry no `releaseChannel`, no backend `credentials.managedIdentity` and no
diagnostic `largeLanguageModel`; conformance reports them as unknown properties when a client sends them at that
version.  2024-06-01-preview (its own definitions in localazure/specs) has the first two and `largeLanguageModel`.
"""
from __future__ import annotations

import json
import re
import secrets
from datetime import datetime, timezone

import yaml

from localazure.engine.contract import Lro, Provider, ResourceKind, Route
from localazure.providers.apim_common import (ACTIVATING_CONFLICT_CODE, API_TYPE, API_VERSIONS, BACKEND_TYPE,
                                              CACHE_TYPE, DELETED_SERVICE_TYPE, DELETED_SERVICES_SPEC_TYPE,
                                              DELETED_TABLE, NAMED_VALUE_TYPE, NAMESPACE, OPERATION_TYPE,
                                              PRODUCT_APIS_TABLE, PRODUCT_TYPE, SECRETS_TABLE, SERVICE_ID_PATTERN,
                                              SERVICE_TYPE, SOFT_DELETE_RETENTION, SPEC_VERSIONS, SUBSCRIPTION_TYPE,
                                              apim_error, refuse_while_activating, service_id_of, validation_error,
                                              without_body_etag)
from localazure.providers.apim_policies import ApiPolicyKind, OperationPolicyKind, PolicyKind, ProductPolicyKind
from localazure.providers.apim_policies import format_policy  # noqa: F401  (apim.format_policy for the tests)

# The api-versions that define the diagnostic's `largeLanguageModel` and the service's `releaseChannel`; an older
# version's answer does not carry them, as ARM answers in the shape of the version asked for.
PREVIEW_PROPERTY_VERSIONS = ("2024-06-01-preview", "2025-03-01-preview")

_SERVICE_NAME = re.compile(r"^[a-zA-Z](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?$")

# Activation durations.  Classic tiers: ~46 min recorded for Standard (§5.1); "30 to 40 minutes" for
# Developer/Basic/Premium (learn.microsoft.com/azure/api-management/get-started-create-service-instance).
# v2 tiers "deploy in minutes" (learn.microsoft.com/azure/api-management/v2-service-tiers-overview);
# Consumption in about a minute or two.
_ACTIVATION_SECONDS = {"developer": 2400, "basic": 2400, "standard": 2760, "premium": 2760, "isolated": 2760,
                       "consumption": 120, "basicv2": 300, "standardv2": 300, "premiumv2": 300}


def _iso(moment: float) -> str:
    return datetime.fromtimestamp(moment, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f0Z")


def _display_location(location: str | None) -> str:
    """APIM answers with the display name of the region ("East US"), whatever the client sent."""
    names = {"eastus": "East US", "eastus2": "East US 2", "westus": "West US", "westus2": "West US 2",
             "westus3": "West US 3", "northeurope": "North Europe", "westeurope": "West Europe",
             "swedencentral": "Sweden Central", "francecentral": "France Central", "uksouth": "UK South",
             "centralus": "Central US", "southcentralus": "South Central US", "japaneast": "Japan East",
             "australiaeast": "Australia East", "canadaeast": "Canada East"}
    key = (location or "").replace(" ", "").lower()
    return names.get(key, location or "")


def _in_version(ctx, body: dict, preview_property: str) -> dict:
    """`body` as the request's api-version shows it: without a property only the previews define."""
    props = body.get("properties")
    if ctx.api_version in PREVIEW_PROPERTY_VERSIONS or not isinstance(props, dict) or preview_property not in props:
        return body
    return {**body, "properties": {key: value for key, value in props.items() if key != preview_property}}


def _new_key() -> str:
    return secrets.token_hex(16)   # subscription keys are 32 hex characters


# --- service -------------------------------------------------------------------------------------

def _deleted_key(sub: str, name: str) -> str:
    return f"{sub}/{name}".lower()   # service names are global; one subscription is the world here


def _deleted_body(record: dict) -> dict:
    service = record["service"]
    sub = SERVICE_ID_PATTERN.match(service["id"]).group("sub")
    location = (service.get("location") or "").replace(" ", "").lower()
    return {"id": f"/subscriptions/{sub}/providers/{NAMESPACE}/locations/{location}/deletedservices/{service['name']}",
            "name": service["name"], "type": DELETED_SERVICE_TYPE, "location": service.get("location"),
            "properties": {"serviceId": service["id"], "scheduledPurgeDate": record["scheduledPurgeDate"],
                           "deletionDate": record["deletionDate"]}}


_CHILD_TYPES: list[str] = []    # filled from PROVIDER below: what a soft delete keeps for a restore


class ServiceKind(ResourceKind):
    type_name = SERVICE_TYPE
    api_versions = API_VERSIONS
    spec_versions = SPEC_VERSIONS
    etag = "apim"
    update_lro = Lro("location", seconds=120, status=200, running_state="Updating")
    # Recorded: 202 + Location, ~2 min; the 202 carries the resource (see delete_body).
    delete_lro = Lro("location", seconds=120, status=202, running_state=None)
    conflict_code = ACTIVATING_CONFLICT_CODE
    write_only = ("properties.restore",)
    # Default for a SKU we have no duration for; create_lro_for picks the request's.
    create_lro = Lro("location", seconds=2760, status=201, running_state="Created")

    def present(self, ctx, body):
        return _in_version(ctx, body, "releaseChannel")

    def create_lro_for(self, ctx, body):
        restoring = bool(((ctx.body or {}).get("properties") or {}).get("restore"))
        if restoring:
            return Lro("location", seconds=60, status=201, running_state="Created")
        sku = ((body.get("sku") or {}).get("name") or "").lower()
        return Lro("location", seconds=_ACTIVATION_SECONDS.get(sku, self.create_lro.seconds), status=201,
                   running_state="Created")

    def delete_body(self, ctx, current):
        # Recorded (localazure/PROTOCOL.md §8.1): provisioningState stays Succeeded, targetProvisioningState Deleting.
        current.setdefault("properties", {})["targetProvisioningState"] = "Deleting"
        return current

    def validate(self, ctx, body, current):
        name = ctx.name or ""
        if not (1 <= len(name) <= 50 and _SERVICE_NAME.match(name)):
            raise apim_error(400, "InvalidParameters", f"Invalid parameter: Service name '{name}' is invalid.")
        sku = body.get("sku") or {}
        if (sku.get("name") or "").lower() == "consumption" and sku.get("capacity") not in (0, None):
            raise apim_error(400, "InvalidParameters", "Invalid parameter: Capacity of Consumption SKU must be 0.")

    def on_create(self, ctx, body):
        parts = SERVICE_ID_PATTERN.match(ctx.resource_id).groupdict()
        key = _deleted_key(parts["sub"], parts["name"])
        record = ctx.store.kv_get(DELETED_TABLE, key)
        props = body.setdefault("properties", {})
        if props.pop("restore", False):
            if record is None:
                raise apim_error(404, "ServiceNotFound", f"Api service {parts['name']} was not found in soft-deleted "
                                                     "state and cannot be restored.")
            self._restore(ctx, body, record, key)
            return None
        if record is not None:
            # Real message (terraform-provider-azurerm#11061, azure-dev#1185).
            raise apim_error(409, "ServiceAlreadyExistsInSoftDeletedState",
                         f"Api service {parts['name']} was soft-deleted. In order to create the new service with "
                         "the same name, you have to either undelete the service or purge it. See "
                         "https://aka.ms/apimsoftdelete.")
        self._fill_created(ctx, body)
        self._create_master_subscription(ctx)
        return None

    def _fill_created(self, ctx, body):
        host = f"{ctx.name.lower()}.azure-api.net"
        body["location"] = _display_location(body.get("location"))
        body.setdefault("tags", {})
        body.setdefault("zones", None)
        _fill_identity(ctx, body)
        props = body["properties"]
        props.setdefault("notificationSenderEmail", "apimgmt-noreply@mail.windowsazure.com")
        props.update(targetProvisioningState="Activating", createdAtUtc=ctx.now_iso(),
                     gatewayUrl=f"https://{host}", gatewayRegionalUrl=None, portalUrl=None,
                     developerPortalUrl=None, managementApiUrl=None, scmUrl=None,
                     publicIPAddresses=None, privateIPAddresses=None, platformVersion="undetermined")
        props.setdefault("hostnameConfigurations", [{
            "type": "Proxy", "hostName": host, "encodedCertificate": None, "keyVaultId": None,
            "certificatePassword": None, "negotiateClientCertificate": False, "certificate": None,
            "defaultSslBinding": True, "identityClientId": None, "certificateSource": "BuiltIn",
            "certificateStatus": None}])
        for field in ("additionalLocations", "virtualNetworkConfiguration", "customProperties", "certificates",
                      "publicIpAddressId", "privateEndpointConnections"):
            props.setdefault(field, None)
        props.setdefault("virtualNetworkType", "None")
        props.setdefault("disableGateway", False)
        props.setdefault("apiVersionConstraint", {"minApiVersion": None})
        props.setdefault("publicNetworkAccess", "Enabled")

    @staticmethod
    def _create_master_subscription(ctx):
        sub_id = f"{ctx.resource_id}/subscriptions/master"
        ctx.store.put(sub_id, SUBSCRIPTION_TYPE, {
            "id": sub_id, "name": "master", "type": SUBSCRIPTION_TYPE, "etag": secrets.token_hex(6).upper(),
            "properties": {"scope": f"{ctx.resource_id}/", "displayName": "Built-in all-access subscription",
                           "state": "active", "createdDate": ctx.now_iso(), "allowTracing": False}})
        ctx.store.kv_put(SECRETS_TABLE, sub_id.lower(), {"primaryKey": _new_key(), "secondaryKey": _new_key()})

    def _restore(self, ctx, body, record, key):
        """restore=true: every other property is ignored; the service and its children come back."""
        saved = record["service"]
        for field in ("sku", "identity", "tags", "location", "properties", "zones"):
            if field in saved:
                body[field] = saved[field]
        body["properties"]["targetProvisioningState"] = "Activating"
        for child in record.get("children", []):
            ctx.store.put(child["id"], child["type"], child)
        for child_key, value in record.get("secrets", {}).items():
            ctx.store.kv_put(SECRETS_TABLE, child_key, value)
        ctx.store.kv_delete(DELETED_TABLE, key)

    def on_update(self, ctx, current, body):
        old = current.get("properties") or {}
        props = body.setdefault("properties", {})
        props.pop("restore", None)
        for field, value in old.items():
            if field not in props:
                props[field] = value
        props["targetProvisioningState"] = "Updating"
        body["location"] = current.get("location")
        _fill_identity(ctx, body, current.get("identity"))

    def on_provisioned(self, ctx, body):
        name = body["name"].lower()
        region = (body.get("location") or "").replace(" ", "").lower()
        props = body.setdefault("properties", {})
        props.update(provisioningState="Succeeded", targetProvisioningState="",
                     gatewayRegionalUrl=f"https://{name}-{region}-01.regional.azure-api.net",
                     portalUrl=f"https://{name}.portal.azure-api.net",
                     developerPortalUrl=f"https://{name}.developer.azure-api.net",
                     managementApiUrl=f"https://{name}.management.azure-api.net",
                     scmUrl=f"https://{name}.scm.azure-api.net", platformVersion="stv2")
        if not props.get("publicIPAddresses"):
            # Documentation range (RFC 5737): realistic shape, never a real Azure address.
            props["publicIPAddresses"] = [f"203.0.113.{secrets.randbelow(250) + 1}"]
        if props.get("customProperties") is None:
            # Recorded: the eight TLS/cipher switches come back as "False" after activation.
            props["customProperties"] = {f"Microsoft.WindowsAzure.ApiManagement.Gateway.Security.{name}": "False"
                                         for name in ("Protocols.Tls10", "Protocols.Tls11", "Protocols.Ssl30",
                                                      "Backend.Protocols.Tls10", "Backend.Protocols.Tls11",
                                                      "Backend.Protocols.Ssl30", "Ciphers.TripleDes168",
                                                      "Protocols.Server.Http2")}

    def on_delete(self, ctx, current):
        parts = SERVICE_ID_PATTERN.match(current["id"]).groupdict()
        prefix = current["id"] + "/"
        children = [child for type_name in _CHILD_TYPES for child in ctx.store.list_type(type_name, prefix)]
        # Children are deleted before the service (deepest first), so their secrets are still here;
        # secrets of children deleted earlier are dropped now.
        live = {child["id"].lower() for child in children}
        kept_secrets = {}
        for key, value in ctx.store.kv_list(SECRETS_TABLE, prefix.lower()):
            if key in live:
                kept_secrets[key] = value
            ctx.store.kv_delete(SECRETS_TABLE, key)
        ctx.store.kv_put(DELETED_TABLE, _deleted_key(parts["sub"], parts["name"]), {
            "service": current, "children": children, "secrets": kept_secrets,
            "deletionDate": _iso(ctx.now),
            "scheduledPurgeDate": _iso(ctx.now + SOFT_DELETE_RETENTION.total_seconds())})


def _fill_identity(ctx, body, old_identity=None):
    identity = body.get("identity")
    if not identity:
        body.setdefault("identity", None)
        return
    old = old_identity or {}
    if "SystemAssigned" in (identity.get("type") or ""):
        identity["principalId"] = old.get("principalId") or ctx.new_guid()
        identity["tenantId"] = old.get("tenantId") or ctx.tenant_id
    for uai_id, entry in (identity.get("userAssignedIdentities") or {}).items():
        known = (ctx.store.get(uai_id) or {}).get("properties") or {}
        identity["userAssignedIdentities"][uai_id] = {
            **(entry or {}), "principalId": known.get("principalId") or ctx.new_guid(),
            "clientId": known.get("clientId") or ctx.new_guid()}


# --- deleted services, purge, name check (subscription-scope routes) -----------------------------

def _find_deleted(ctx, groups) -> tuple[str, dict]:
    key = _deleted_key(ctx.subscription_id, groups["name"])
    record = ctx.store.kv_get(DELETED_TABLE, key)
    wanted = groups["location"].replace(" ", "").lower()
    if record is None or (record["service"].get("location") or "").replace(" ", "").lower() != wanted:
        raise apim_error(404, "ServiceNotFound", f"Api service {groups['name']} was not found in soft-deleted state.")
    return key, record


def list_deleted_services(ctx, groups):
    prefix = f"{ctx.subscription_id}/".lower()
    return 200, {"value": [_deleted_body(record) for _, record in ctx.store.kv_list(DELETED_TABLE, prefix)]}, {}


def get_deleted_service(ctx, groups):
    return 200, _deleted_body(_find_deleted(ctx, groups)[1]), {}


def purge_deleted_service(ctx, groups):
    key, record = _find_deleted(ctx, groups)
    body = _deleted_body(record)
    ctx.store.kv_delete(DELETED_TABLE, key)   # the name is free once the purge is accepted
    ctx.location = record["service"].get("location")
    headers = ctx.start_operation("action:purge", body["id"], Lro("location", seconds=60, status=202,
                                                                  running_state=None))
    return 202, body, headers


def check_name_availability(ctx, groups):
    name = (ctx.body or {}).get("name") or ""
    if not (1 <= len(name) <= 50 and _SERVICE_NAME.match(name)):
        return 200, {"nameAvailable": False, "reason": "Invalid",
                     "message": f"Invalid service name '{name}'. The name must start with a letter, contain only "
                                "letters, numbers and hyphens, end with a letter or number and be at most 50 "
                                "characters long."}, {}
    taken = any(service["name"].lower() == name.lower() for service in ctx.store.list_type(SERVICE_TYPE, ""))
    if taken:
        return 200, {"nameAvailable": False, "reason": "AlreadyExists", "message": f"{name} is already in use."}, {}
    if ctx.store.kv_get(DELETED_TABLE, _deleted_key(ctx.subscription_id, name)) is not None:
        return 200, {"nameAvailable": False, "reason": "AlreadyExists",
                     "message": f"Api service {name} was soft-deleted. In order to create the new service with "
                                "the same name, you have to either undelete the service or purge it. See "
                                "https://aka.ms/apimsoftdelete."}, {}
    return 200, {"nameAvailable": True, "reason": "Valid", "message": ""}, {}


# --- children ------------------------------------------------------------------------------------

class ChildKind(ResourceKind):
    """A synchronous APIM child: 201 on create, 200 on update, quoted ETag header / unquoted body etag."""
    api_versions = API_VERSIONS
    spec_versions = SPEC_VERSIONS
    has_location = False
    etag = "apim"
    system_data = False   # APIM child contracts carry no systemData

    def validate(self, ctx, body, current):
        refuse_while_activating(ctx)
        self.check(ctx, body, current)

    def check(self, ctx, body, current):
        """Kind-specific semantic checks."""

    def present(self, ctx, body):
        return without_body_etag(body)


def _operation_name(method: str, path: str, operation: dict) -> str:
    if operation.get("operationId"):
        return re.sub(r"[^A-Za-z0-9-]", "-", operation["operationId"])[:80]
    slug = re.sub(r"[^A-Za-z0-9]+", "-", path).strip("-") or "root"
    return f"{method}-{slug}"[:80]


def _load_openapi(fmt: str, value: str) -> dict:
    try:
        spec = json.loads(value) if fmt in ("openapi+json", "swagger-json") else yaml.safe_load(value)
    except (ValueError, yaml.YAMLError) as error:
        raise validation_error("One or more fields contain incorrect values:", "value",
                                f"Parsing error(s): {error}")
    if not isinstance(spec, dict) or not isinstance(spec.get("paths"), dict):
        raise validation_error("One or more fields contain incorrect values:", "value",
                                "Parsing error(s): The input OpenAPI file is not valid for the OpenAPI "
                                "specificate https://swagger.io/specification/.")
    return spec


API_WRITE_ONLY = ("value", "format", "apiType", "wsdlSelector", "translateRequiredQueryParameters")   # types.md
_HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


class ApiKind(ChildKind):
    type_name = API_TYPE
    delete_lro = Lro("location", seconds=2, status=202, running_state=None)
    write_only = tuple(f"properties.{field}" for field in API_WRITE_ONLY)

    def check(self, ctx, body, current):
        props = body.get("properties") or {}
        if not props.get("path") and current is None and not props.get("value"):
            raise validation_error("One or more fields contain incorrect values:", "path",
                                    "'path' is required.")

    def on_create(self, ctx, body):
        self._fill(ctx, body, None)

    def on_update(self, ctx, current, body):
        self._fill(ctx, body, current)

    def _fill(self, ctx, body, current):
        props = body.setdefault("properties", {})
        props.setdefault("apiRevision", "1")
        props.setdefault("isCurrent", True)
        props["isOnline"] = True
        props.setdefault("protocols", ["https"])
        props.setdefault("subscriptionRequired", True)
        props.setdefault("subscriptionKeyParameterNames", {"header": "Ocp-Apim-Subscription-Key",
                                                           "query": "subscription-key"})
        props["type"] = props.get("type") or props.get("apiType") or "http"
        fmt = props.get("format")
        if fmt in ("openapi", "openapi+json", "swagger-json") and props.get("value"):
            spec = _load_openapi(fmt, props["value"])
            info = spec.get("info") or {}
            props.setdefault("displayName", info.get("title") or ctx.name)
            if info.get("description"):
                props.setdefault("description", info["description"])
            servers = [server.get("url") for server in spec.get("servers") or [] if server.get("url")]
            if servers and not props.get("serviceUrl"):
                props["serviceUrl"] = servers[0]
            self._import_operations(ctx, spec)
        # A *-link import is fetched by the real service; nothing is reachable from here, so such an
        # API is created without operations rather than refused (the AI-Gateway labs import OpenAPI by openapi-link).
        props.setdefault("displayName", (current or {}).get("properties", {}).get("displayName") or ctx.name)
        props.setdefault("path", (current or {}).get("properties", {}).get("path", ""))

    @staticmethod
    def _import_operations(ctx, spec):
        """An import replaces the API's operations with those of the spec's paths."""
        for old in ctx.store.list_type(OPERATION_TYPE, ctx.resource_id + "/"):
            ctx.store.delete_tree(old["id"])
        for path, methods in spec["paths"].items():
            for method, operation in (methods or {}).items():
                if method.lower() not in _HTTP_METHODS or not isinstance(operation, dict):
                    continue
                name = _operation_name(method.lower(), path, operation)
                template = [{"name": p["name"], "required": True, "type": (p.get("schema") or {}).get("type", "string"),
                             "values": []}
                            for p in (operation.get("parameters") or []) + (methods.get("parameters") or [])
                            if isinstance(p, dict) and p.get("in") == "path"]
                op_id = f"{ctx.resource_id}/operations/{name}"
                ctx.store.put(op_id, OPERATION_TYPE, {
                    "id": op_id, "name": name, "type": OPERATION_TYPE, "etag": secrets.token_hex(6).upper(),
                    "properties": {"displayName": operation.get("summary") or operation.get("operationId") or name,
                                   "method": method.upper(), "urlTemplate": path,
                                   "templateParameters": template, "description": operation.get("description"),
                                   "request": {"queryParameters": [], "headers": [], "representations": []},
                                   "responses": [], "policies": None}})

    def on_delete(self, ctx, current):
        for key, _ in ctx.store.kv_list(PRODUCT_APIS_TABLE, service_id_of(current["id"]).lower() + "/"):
            if key.endswith("/" + current["name"].lower()):
                ctx.store.kv_delete(PRODUCT_APIS_TABLE, key)


class OperationKind(ChildKind):
    type_name = OPERATION_TYPE

    def check(self, ctx, body, current):
        props = body.get("properties") or {}
        missing = [field for field in ("displayName", "method", "urlTemplate") if not props.get(field)]
        if missing:
            raise validation_error("One or more fields contain incorrect values:", missing[0],
                                    f"'{missing[0]}' is required.")

    def on_create(self, ctx, body):
        props = body.setdefault("properties", {})
        props.setdefault("templateParameters", [])
        props.setdefault("responses", [])


class BackendKind(ChildKind):
    type_name = BACKEND_TYPE

    def check(self, ctx, body, current):
        props = body.get("properties") or {}
        if props.get("type", "Single") == "Pool":
            services = (props.get("pool") or {}).get("services") or []
            if not services:
                raise validation_error("One or more fields contain incorrect values:", "pool",
                                        "A backend pool must contain at least one backend.")
            for member in services:
                # Templates may name members relative to the service ("/backends/x", as the AI-Gateway lab's backend pool Bicep does).
                member_id = member.get("id") or ""
                if member_id.lower().startswith("/backends/"):
                    member_id = service_id_of(ctx.resource_id) + member_id
                if ctx.store.get(member_id) is None:
                    raise validation_error("One or more fields contain incorrect values:", "pool",
                                            f"Backend with id '{member.get('id')}' could not be found.")
        else:
            for field in ("url", "protocol"):
                if not props.get(field):
                    raise validation_error("One or more fields contain incorrect values:", field,
                                            f"'{field}' is required for a backend of type 'Single'.")

    def on_create(self, ctx, body):
        props = body.setdefault("properties", {})
        props.setdefault("title", None)
        props.setdefault("type", "Single")


class LoggerKind(ChildKind):
    type_name = f"{SERVICE_TYPE}/loggers"

    def check(self, ctx, body, current):
        if not (body.get("properties") or {}).get("loggerType"):
            raise validation_error("One or more fields contain incorrect values:", "loggerType",
                                    "'loggerType' is required.")

    def on_create(self, ctx, body):
        self._hide_credentials(ctx, body)

    def on_update(self, ctx, current, body):
        self._hide_credentials(ctx, body)

    @staticmethod
    def _hide_credentials(ctx, body):
        """APIM keeps logger secrets in a secret named value and returns a reference to it
        ("{{Logger-Credentials--<id>}}"), learn.microsoft.com/azure/api-management/api-management-howto-app-insights."""
        props = body.setdefault("properties", {})
        props.setdefault("isBuffered", True)
        for field, secret in list((props.get("credentials") or {}).items()):
            if isinstance(secret, str) and not secret.startswith("{{"):
                props["credentials"][field] = _hide_secret(ctx, f"Logger-Credentials--{secrets.token_hex(12)}", secret)


def _hide_secret(ctx, name: str, secret: str) -> str:
    """Store a secret as a secret named value of the service; return the "{{name}}" reference APIM shows."""
    nv_id = f"{service_id_of(ctx.resource_id)}/namedValues/{name}"
    ctx.store.put(nv_id, NAMED_VALUE_TYPE, {
        "id": nv_id, "name": name, "type": NAMED_VALUE_TYPE, "etag": secrets.token_hex(6).upper(),
        "properties": {"displayName": name, "secret": True, "tags": None, "provisioningState": "Succeeded"}})
    ctx.store.kv_put(SECRETS_TABLE, nv_id.lower(), {"value": secret})
    return "{{" + name + "}}"


class DiagnosticKind(ChildKind):
    type_name = f"{SERVICE_TYPE}/diagnostics"

    def present(self, ctx, body):
        return _in_version(ctx, super().present(ctx, body), "largeLanguageModel")

    def check(self, ctx, body, current):
        logger_id = (body.get("properties") or {}).get("loggerId") or ""
        if not logger_id:
            raise validation_error("One or more fields contain incorrect values:", "loggerId",
                                    "'loggerId' is required.")
        if logger_id.startswith("/subscriptions/") and ctx.store.get(logger_id) is None:
            raise validation_error("One or more fields contain incorrect values:", "loggerId",
                                    f"Logger '{logger_id}' not found.")


class ApiDiagnosticKind(DiagnosticKind):
    type_name = f"{API_TYPE}/diagnostics"


class SubscriptionKind(ChildKind):
    type_name = SUBSCRIPTION_TYPE
    actions = {"listSecrets": "list_secrets", "regeneratePrimaryKey": "regenerate_primary",
               "regenerateSecondaryKey": "regenerate_secondary"}

    def check(self, ctx, body, current):
        props = body.get("properties") or {}
        if not props.get("displayName"):
            raise validation_error("One or more fields contain incorrect values:", "displayName",
                                    "'displayName' is required.")
        scope = props.get("scope") or ""
        if re.match(r"^/subscriptions/.*/service/[^/]+/?$", scope, re.IGNORECASE):
            return   # the service itself: the built-in all-access ("master") subscription's scope
        match = re.match(r"^(?:.*/service/[^/]+)?/(apis|products)(?:/([^/]+))?/?$", scope, re.IGNORECASE)
        if not match or (match.group(1).lower() == "products" and not match.group(2)):
            raise validation_error("One or more fields contain incorrect values:", "scope",
                                    f"Scope '{scope}' is invalid: use /apis, /apis/{{apiId}} or "
                                    "/products/{productId}.")
        if match.group(2):
            kind = "apis" if match.group(1).lower() == "apis" else "products"
            if ctx.store.get(f"{service_id_of(ctx.resource_id)}/{kind}/{match.group(2)}") is None:
                raise apim_error(404, "ResourceNotFound", f"{kind[:-1].capitalize()} not found.")

    def on_create(self, ctx, body):
        props = body.setdefault("properties", {})
        props.setdefault("state", "submitted")
        props.setdefault("allowTracing", False)
        props["createdDate"] = ctx.now_iso()
        self._keep_keys(ctx, props, {})

    def on_update(self, ctx, current, body):
        props = body.setdefault("properties", {})
        props["createdDate"] = (current.get("properties") or {}).get("createdDate")
        self._keep_keys(ctx, props, self._keys(ctx))

    @staticmethod
    def _keep_keys(ctx, props, old):
        """Keys live beside the body, never in it: GET does not return them (types.md)."""
        keys = {"primaryKey": props.pop("primaryKey", None) or old.get("primaryKey") or _new_key(),
                "secondaryKey": props.pop("secondaryKey", None) or old.get("secondaryKey") or _new_key()}
        ctx.store.kv_put(SECRETS_TABLE, ctx.resource_id.lower(), keys)

    @staticmethod
    def _keys(ctx) -> dict:
        return dict(ctx.store.kv_get(SECRETS_TABLE, ctx.resource_id.lower()) or {})

    def list_secrets(self, ctx, current):
        keys = self._keys(ctx)
        return 200, {"primaryKey": keys.get("primaryKey"), "secondaryKey": keys.get("secondaryKey")}, \
            {"ETag": f'"{current.get("etag", "")}"'}

    def _regenerate(self, ctx, field):
        keys = self._keys(ctx)
        keys[field] = _new_key()
        ctx.store.kv_put(SECRETS_TABLE, ctx.resource_id.lower(), keys)
        return 204, None, {}

    def regenerate_primary(self, ctx, current):
        return self._regenerate(ctx, "primaryKey")

    def regenerate_secondary(self, ctx, current):
        return self._regenerate(ctx, "secondaryKey")



class NamedValueKind(ChildKind):
    type_name = NAMED_VALUE_TYPE
    actions = {"listValue": "list_value"}

    def check(self, ctx, body, current):
        props = body.get("properties") or {}
        display = props.get("displayName") or ""
        if not re.match(r"^[A-Za-z0-9-._]+$", display) or len(display) > 256:
            raise validation_error("One or more fields contain incorrect values:", "displayName",
                                    "'displayName' may contain only letters, digits, period, dash and underscore.")
        has_value = bool((props.get("value") or "").strip()) or props.get("keyVault") or \
            (current is not None and "value" not in props)
        if not has_value:
            raise validation_error("One or more fields contain incorrect values:", "value",
                                    "'value' may not be empty or consist only of whitespace.")

    def on_create(self, ctx, body):
        ctx.store.kv_delete(SECRETS_TABLE, ctx.resource_id.lower())   # a deleted namesake's value
        self._keep_value(ctx, body)

    def on_update(self, ctx, current, body):
        self._keep_value(ctx, body)

    @staticmethod
    def _keep_value(ctx, body):
        """Secret values live beside the body; plain values are returned on GET as the service does."""
        props = body.setdefault("properties", {})
        props.setdefault("secret", False)
        props.setdefault("tags", None)
        props["provisioningState"] = "Succeeded"
        if "value" in props:
            ctx.store.kv_put(SECRETS_TABLE, ctx.resource_id.lower(), {"value": props["value"]})
            if props["secret"]:
                props.pop("value")

    def list_value(self, ctx, current):
        stored = ctx.store.kv_get(SECRETS_TABLE, ctx.resource_id.lower()) or {}
        return 200, {"value": stored.get("value")}, {}


class ProductKind(ChildKind):
    type_name = PRODUCT_TYPE

    def check(self, ctx, body, current):
        if not (body.get("properties") or {}).get("displayName"):
            raise validation_error("One or more fields contain incorrect values:", "displayName",
                                    "'displayName' is required.")

    def on_create(self, ctx, body):
        props = body.setdefault("properties", {})
        props.setdefault("state", "notPublished")
        props.setdefault("subscriptionRequired", True)
        if props["subscriptionRequired"]:
            props.setdefault("approvalRequired", False)

    def on_delete(self, ctx, current):
        for key, _ in ctx.store.kv_list(PRODUCT_APIS_TABLE, current["id"].lower() + "/"):
            ctx.store.kv_delete(PRODUCT_APIS_TABLE, key)


class CacheKind(ChildKind):
    """The connection string is kept in a secret named value and shown as "{{<24 hex>}}" (2024-05-01
    example ApiManagementGetCache.json in azure-rest-api-specs)."""
    type_name = CACHE_TYPE

    def on_create(self, ctx, body):
        self._hide(ctx, body)

    def on_update(self, ctx, current, body):
        self._hide(ctx, body)

    @staticmethod
    def _hide(ctx, body):
        props = body.setdefault("properties", {})
        value = props.get("connectionString") or ""
        if not value.startswith("{{"):
            props["connectionString"] = _hide_secret(ctx, secrets.token_hex(12), value)

    def check(self, ctx, body, current):
        props = body.get("properties") or {}
        for field in ("connectionString", "useFromLocation"):
            if not props.get(field):
                raise validation_error("One or more fields contain incorrect values:", field,
                                        f"'{field}' is required.")


# --- product/api links (a PUT without body, so a route rather than a kind) ------------------------

_PRODUCT_APIS = (r"resourceGroups/(?P<rg>[^/]+)/providers/Microsoft\.ApiManagement/service/(?P<service>[^/]+)"
                 r"/products/(?P<product>[^/]+)/apis")


def _product_link(ctx, groups) -> tuple[str, dict, dict | None]:
    service = f"/subscriptions/{ctx.subscription_id}/resourceGroups/{groups['rg']}/providers/{NAMESPACE}/service/" \
              f"{groups['service']}"
    product = ctx.store.get(f"{service}/products/{groups['product']}")
    if ctx.store.get(service) is None or product is None:
        raise apim_error(404, "ResourceNotFound", "Product not found.")
    api = ctx.store.get(f"{service}/apis/{groups['api']}") if groups.get("api") else None
    return product["id"].lower(), product, api


def put_product_api(ctx, groups):
    key, _, api = _product_link(ctx, groups)
    if api is None:
        raise apim_error(404, "ResourceNotFound", "Api not found.")
    existed = ctx.store.kv_get(PRODUCT_APIS_TABLE, f"{key}/{api['name'].lower()}") is not None
    ctx.store.kv_put(PRODUCT_APIS_TABLE, f"{key}/{api['name'].lower()}", {"api": api["id"]})
    return (200 if existed else 201), _linked_api(ctx, api["id"]), {}


def _linked_api(ctx, api_id):
    api = dict(ctx.store.get(api_id))
    api.pop("etag", None)
    api["properties"] = {k: v for k, v in (api.get("properties") or {}).items() if k not in API_WRITE_ONLY}
    return api


def get_product_api(ctx, groups):
    key, _, api = _product_link(ctx, groups)
    if api is None or ctx.store.kv_get(PRODUCT_APIS_TABLE, f"{key}/{api['name'].lower()}") is None:
        raise apim_error(404, "ResourceNotFound", "Api not found in the product.")
    return 204, None, {}


def delete_product_api(ctx, groups):
    key, _, api = _product_link(ctx, groups)
    if api is None or ctx.store.kv_get(PRODUCT_APIS_TABLE, f"{key}/{api['name'].lower()}") is None:
        return 204, None, {}
    ctx.store.kv_delete(PRODUCT_APIS_TABLE, f"{key}/{api['name'].lower()}")
    return 200, None, {}


def list_product_apis(ctx, groups):
    key, _, _ = _product_link(ctx, groups)
    links = [value["api"] for _, value in ctx.store.kv_list(PRODUCT_APIS_TABLE, key + "/")]
    return 200, {"value": [_linked_api(ctx, api_id) for api_id in links if ctx.store.get(api_id)],
                 "count": len(links), "nextLink": None}, {}


_KINDS = [ServiceKind(), ApiKind(), OperationKind(), PolicyKind(), ApiPolicyKind(), OperationPolicyKind(),
          ProductPolicyKind(), BackendKind(), LoggerKind(), DiagnosticKind(), ApiDiagnosticKind(),
          SubscriptionKind(), NamedValueKind(), ProductKind(), CacheKind()]
_CHILD_TYPES.extend(kind.type_name for kind in _KINDS if kind.type_name != SERVICE_TYPE)

PROVIDER = Provider(
    namespace=NAMESPACE,
    kinds=_KINDS,
    routes=[
        Route("GET", r"deletedservices", list_deleted_services, type_name=DELETED_SERVICES_SPEC_TYPE),
        Route("GET", r"locations/(?P<location>[^/]+)/deletedservices/(?P<name>[^/]+)", get_deleted_service,
              type_name=DELETED_SERVICES_SPEC_TYPE),
        Route("DELETE", r"locations/(?P<location>[^/]+)/deletedservices/(?P<name>[^/]+)", purge_deleted_service,
              type_name=DELETED_SERVICES_SPEC_TYPE),
        Route("POST", r"checkNameAvailability", check_name_availability),
        Route("PUT", _PRODUCT_APIS + r"/(?P<api>[^/]+)", put_product_api, base="subscription",
              type_name=API_TYPE),
        Route("HEAD", _PRODUCT_APIS + r"/(?P<api>[^/]+)", get_product_api, base="subscription"),
        Route("DELETE", _PRODUCT_APIS + r"/(?P<api>[^/]+)", delete_product_api, base="subscription"),
        Route("GET", _PRODUCT_APIS, list_product_apis, base="subscription", type_name=API_TYPE),
    ],
)
