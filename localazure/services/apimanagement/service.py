"""Microsoft.ApiManagement: the service's lifecycle (activation, soft delete, restore, purge, name checks) and the
provider that serves it with its children (apim_children.py: apis, operations, backends, loggers, diagnostics,
subscriptions, named values, products, caches) and policies (apim_policies.py); the gateway's data plane reads
their state through apim_state.py, the shared names and errors are in apim_common.py.

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

import re
import secrets
from datetime import datetime, timezone

from localazure.engine.contract import Lro, Provider, ResourceKind, Route
from localazure.engine.softdelete import SoftDelete, scheduled_purge
from localazure.services.apimanagement.children import (PRODUCT_APIS_ROUTE, ApiDiagnosticKind, ApiKind, BackendKind, CacheKind,
                                                DiagnosticKind, LoggerKind, NamedValueKind, OperationKind,
                                                ProductKind, SubscriptionKind, delete_product_api, get_product_api,
                                                list_product_apis, put_product_api)
from localazure.services.apimanagement.common import (ACTIVATING_CONFLICT_CODE, API_TYPE, API_VERSIONS,
                                              DELETED_SERVICE_TYPE, DELETED_SERVICES_SPEC_TYPE, DELETED_TABLE,
                                              NAMESPACE, SECRETS_TABLE, SERVICE_ID_PATTERN, SERVICE_TYPE,
                                              SOFT_DELETE_RETENTION, SPEC_VERSIONS, SUBSCRIPTION_TYPE, apim_error,
                                              in_version, new_key)
from localazure.services.apimanagement.policies import ApiPolicyKind, OperationPolicyKind, PolicyKind, ProductPolicyKind
from localazure.services.apimanagement.policies import format_policy  # noqa: F401  (apim.format_policy for the tests)

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


# --- service -------------------------------------------------------------------------------------

def _deleted_body(ctx, record: dict) -> dict:
    service = record["resource"]
    sub = SERVICE_ID_PATTERN.match(service["id"]).group("sub")
    location = (service.get("location") or "").replace(" ", "").lower()
    return {"id": f"/subscriptions/{sub}/providers/{NAMESPACE}/locations/{location}/deletedservices/{service['name']}",
            "name": service["name"], "type": DELETED_SERVICE_TYPE, "location": service.get("location"),
            "properties": {"serviceId": service["id"], "scheduledPurgeDate": _iso(scheduled_purge(record)),
                           "deletionDate": record["deletionDate"]}}


def _held_name_message(name: str) -> str:
    # Real message (terraform-provider-azurerm#11061, azure-dev#1185).
    return (f"Api service {name} was soft-deleted. In order to create the new service with the same name, you "
            "have to either undelete the service or purge it. See https://aka.ms/apimsoftdelete.")


def _restored(ctx, body, record):
    body["properties"]["targetProvisioningState"] = "Activating"


_CHILD_KINDS = [ApiKind(), OperationKind(), PolicyKind(), ApiPolicyKind(), OperationPolicyKind(),
                ProductPolicyKind(), BackendKind(), LoggerKind(), DiagnosticKind(), ApiDiagnosticKind(),
                SubscriptionKind(), NamedValueKind(), ProductKind(), CacheKind()]
_DELETED_ROUTE = r"locations/(?P<location>[^/]+)/deletedservices/(?P<name>[^/]+)"


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
    # learn.microsoft.com/azure/api-management/soft-delete: restore=true brings the service back with its children
    # (every other property is ignored); until then the name is refused; a purge frees it.
    soft_delete = SoftDelete(
        table=DELETED_TABLE, name_scope="subscription", retention=SOFT_DELETE_RETENTION,
        restore=("properties.restore", True), restores=("sku", "identity", "tags", "location", "properties", "zones"),
        conflict=lambda ctx, held: apim_error(409, "ServiceAlreadyExistsInSoftDeletedState",
                                              _held_name_message(ctx.name)),
        nothing_to_restore=lambda ctx: apim_error(404, "ServiceNotFound", f"Api service {ctx.name} was not found in "
                                                                          "soft-deleted state and cannot be restored."),
        not_found=lambda ctx, groups: apim_error(
            404, "ServiceNotFound", f"Api service {groups['name']} was not found in soft-deleted state."),
        present=_deleted_body, keeps_children=tuple(kind.type_name for kind in _CHILD_KINDS),
        keeps_tables=(SECRETS_TABLE,),
        after_restore=_restored, list_pattern=r"deletedservices", get_pattern=_DELETED_ROUTE,
        purge_route=("DELETE", _DELETED_ROUTE), route_type=DELETED_SERVICES_SPEC_TYPE,
        purge_lro=Lro("location", seconds=60, status=202, running_state=None), purge_answers_body=True,
        purge_monitor_in_region=True)
    # Default for a SKU we have no duration for; create_lro_for picks the request's.
    create_lro = Lro("location", seconds=2760, status=201, running_state="Created")

    def present(self, ctx, body):
        return in_version(ctx, body, "releaseChannel")

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
        body.setdefault("properties", {})
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
        ctx.store.kv_put(SECRETS_TABLE, sub_id.lower(), {"primaryKey": new_key(), "secondaryKey": new_key()})

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
    if ServiceKind.soft_delete.held(ctx, ServiceKind.soft_delete.name_key(ctx.subscription_id, name)):
        return 200, {"nameAvailable": False, "reason": "AlreadyExists", "message": _held_name_message(name)}, {}
    return 200, {"nameAvailable": True, "reason": "Valid", "message": ""}, {}


_KINDS = [ServiceKind(), *_CHILD_KINDS]

PROVIDER = Provider(
    namespace=NAMESPACE,
    kinds=_KINDS,
    routes=[
        Route("POST", r"checkNameAvailability", check_name_availability),
        Route("PUT", PRODUCT_APIS_ROUTE + r"/(?P<api>[^/]+)", put_product_api, base="subscription",
              type_name=API_TYPE),
        Route("HEAD", PRODUCT_APIS_ROUTE + r"/(?P<api>[^/]+)", get_product_api, base="subscription"),
        Route("DELETE", PRODUCT_APIS_ROUTE + r"/(?P<api>[^/]+)", delete_product_api, base="subscription"),
        Route("GET", PRODUCT_APIS_ROUTE, list_product_apis, base="subscription", type_name=API_TYPE),
    ],
)
