"""Microsoft.Resources: resource groups, the subscription and resource provider registration.

Shapes: localazure/specs resources 2025-04-01 (ResourceGroup: id, name, type, location, managedBy, tags,
properties.provisioningState).  SDK facts (localazure/PROTOCOL.md §7.3, §9): create_or_update is sync 200/201,
check_existence HEAD 204/404, begin_delete LRO 200/202 (Location in real traffic), the auto-registration
policy POSTs .../providers/{ns}/register and GETs .../providers/{ns} at api-version 2016-02-01."""
from __future__ import annotations

from localazure.engine import regions
from localazure.engine.arm import REGISTRATIONS
from localazure.engine.contract import ArmError, Lro, Provider, ResourceKind, Route

RESOURCES_VERSIONS = ("2025-04-01", "2024-11-01", "2024-03-01", "2022-09-01", "2021-04-01", "2019-10-01",
                      "2016-02-01")


class ResourceGroupKind(ResourceKind):
    type_name = "Microsoft.Resources/resourceGroups"
    api_versions = RESOURCES_VERSIONS
    spec_versions = {version: "2025-04-01" for version in RESOURCES_VERSIONS}
    scope = "subscription"
    system_data = False
    # Azure takes minutes to empty a group; the recorded delete answers 202 + Location.
    delete_lro = Lro("location", seconds=60, status=202, running_state="Deleting")

    def on_create(self, ctx, body):
        body.setdefault("properties", {})["provisioningState"] = "Succeeded"
        return None

    def on_update(self, ctx, current, body):
        body.setdefault("properties", {})["provisioningState"] = "Succeeded"
        body["location"] = current.get("location")   # a group's location cannot change


def _subscription(ctx, groups):
    # The engine has already answered 404 SubscriptionNotFound for any other subscription id.
    return 200, {"id": f"/subscriptions/{ctx.subscription_id}", "authorizationSource": "RoleBased",
                 "managedByTenants": [], "subscriptionId": ctx.subscription_id, "tenantId": ctx.tenant_id,
                 "displayName": "localazure", "state": "Enabled",
                 "subscriptionPolicies": {"locationPlacementId": "Public_2014-09-01", "quotaId": "PayAsYouGo_2014-09-01",
                                          "spendingLimit": "Off"}}, {}


def _namespace_body(ctx, provider) -> dict:
    record = ctx.store.kv_get(REGISTRATIONS, provider.namespace.lower()) or {}
    types: dict[str, set] = {}
    tracked = set()
    for kind in provider.kinds:
        name = "/".join(kind.type_name.split("/")[1:])
        types.setdefault(name, set()).update(kind.api_versions)
        if kind.has_location and kind.scope != "extension":
            tracked.add(name)
    return {"id": f"/subscriptions/{ctx.subscription_id}/providers/{provider.namespace}",
            "namespace": provider.namespace, "registrationState": record.get("state", "Registered"),
            "registrationPolicy": "RegistrationRequired",
            # Tracked types list the regions they are offered in (every Azure region here); others none.
            "resourceTypes": [{"resourceType": name,
                               "locations": regions.display_names() if name in tracked else [],
                               "apiVersions": sorted(versions, reverse=True)}
                              for name, versions in sorted(types.items())]}


def _provider_or_404(ctx, namespace):
    provider = ctx.registry.namespaces.get(namespace.lower())
    if provider is None:
        raise ArmError(404, "InvalidResourceNamespace", f"The resource namespace '{namespace}' is invalid.")
    return provider


def _get_namespace(ctx, groups):
    return 200, _namespace_body(ctx, _provider_or_404(ctx, groups["ns"])), {}


def _list_namespaces(ctx, groups):
    return 200, {"value": [_namespace_body(ctx, provider) for provider in ctx.registry.providers]}, {}


def _set_state(state):
    def handler(ctx, groups):
        provider = _provider_or_404(ctx, groups["ns"])
        # Registration completes at once: the SDK's auto-registration then sees Registered on its first GET.
        ctx.store.kv_put(REGISTRATIONS, provider.namespace.lower(), {"state": state})
        return 200, _namespace_body(ctx, provider), {}
    return handler


_VERSIONS = ("2025-04-01", "2024-11-01", "2024-03-01", "2022-09-01", "2021-04-01", "2016-02-01")
PROVIDER = Provider(
    namespace="Microsoft.Resources",
    kinds=[ResourceGroupKind()],
    routes=[
        Route("GET", r"", _subscription, ("2022-12-01", "2020-01-01", "2016-06-01"), base="subscription"),
        Route("GET", r"providers", _list_namespaces, _VERSIONS, base="subscription"),
        Route("GET", r"providers/(?P<ns>[^/]+)", _get_namespace, _VERSIONS, base="subscription"),
        Route("POST", r"providers/(?P<ns>[^/]+)/register", _set_state("Registered"), _VERSIONS, base="subscription"),
        Route("POST", r"providers/(?P<ns>[^/]+)/unregister", _set_state("Unregistered"), _VERSIONS,
              base="subscription"),
    ],
)
