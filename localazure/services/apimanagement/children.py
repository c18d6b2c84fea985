"""Microsoft.ApiManagement children in the local endpoint: apis (+ OpenAPI import, operations), backends, loggers,
diagnostics, subscriptions, named values, products, caches and the product/API links; synchronous writes with
APIM's ETags, refused while the service activates (apimanagement.py has the service's lifecycle).
"""
from __future__ import annotations

import json
import re
import secrets

import yaml

from localazure.engine.contract import Lro, ResourceKind
from localazure.services.apimanagement.common import (API_TYPE, API_VERSIONS, BACKEND_TYPE, CACHE_TYPE, NAMED_VALUE_TYPE,
                                              NAMESPACE, OPERATION_TYPE, PRODUCT_APIS_TABLE, PRODUCT_TYPE,
                                              SECRETS_TABLE, SERVICE_TYPE, SPEC_VERSIONS, SUBSCRIPTION_TYPE,
                                              apim_error, in_version, new_key, refuse_while_activating,
                                              service_id_of, validation_error, without_body_etag)

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
        return in_version(ctx, super().present(ctx, body), "largeLanguageModel")

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
        keys = {"primaryKey": props.pop("primaryKey", None) or old.get("primaryKey") or new_key(),
                "secondaryKey": props.pop("secondaryKey", None) or old.get("secondaryKey") or new_key()}
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
        keys[field] = new_key()
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

PRODUCT_APIS_ROUTE = (r"resourceGroups/(?P<rg>[^/]+)/providers/Microsoft\.ApiManagement/service/(?P<service>[^/]+)"
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
