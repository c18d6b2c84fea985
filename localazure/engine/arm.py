"""Generic ARM resource handling: dispatch a parsed request to a ResourceKind and apply the plain
ARM behaviour of contract.ResourceKind (CRUD, lists, actions, LROs, ETags, If-Match, conformance)."""
from __future__ import annotations

import copy
import re
import time
import uuid
from typing import Any, Callable

from aiohttp import web

from localazure.engine import operations as ops
from localazure.engine import regions
from localazure.engine.contract import (JSON, ArmError, Lro, Operation, Provider, ResourceKind, Route,
                                        resource_not_found)
from localazure.engine.events import Events
from localazure.engine.ids import RESOURCE_GROUP_TYPE, ArmPath, interleave, parse

REGISTRATIONS = "registrations"      # kv table: namespace (lower) -> {"state": ...}
_MONITOR = re.compile(r"^/subscriptions/(?P<sub>[^/]+)/providers/(?P<ns>[^/]+)/locations/(?P<loc>[^/]+)/"
                      r"(?P<monitor>operationStatuses|operationResults)/(?P<id>[^/]+)$", re.IGNORECASE)
_SYSTEM_KEYS = ("id", "name", "type", "systemData", "etag")   # ARM accepts these echoed back on PUT
# Conformance errors that only say a required member is absent: a PATCH body is a fragment, so these do not count.
_MISSING_REQUIRED = re.compile(r": (types: required (property|discriminator) missing|schema: '[^']+' is a required "
                               r"property)$")


class Registry:
    def __init__(self, providers: list[Provider]):
        self.providers = providers
        self.kinds: dict[str, ResourceKind] = {}
        self.namespaces: dict[str, Provider] = {}
        for provider in providers:
            self.namespaces[provider.namespace.lower()] = provider
            for kind in provider.kinds:
                self.kinds[kind.type_name.lower()] = kind

    def kind(self, type_name: str) -> ResourceKind | None:
        return self.kinds.get(type_name.lower())

    def provider_api_versions(self, provider: Provider) -> tuple[str, ...]:
        return tuple(sorted({version for kind in provider.kinds for version in kind.api_versions}))


class Ctx:
    """The per-request context documented in contract.Ctx."""

    def __init__(self, engine: "Engine", *, subscription_id: str, resource_group: str | None, resource_id: str,
                 parent_id: str | None, name: str | None, api_version: str | None, method: str,
                 body: Any, query: dict, headers: Any, client_id: str, namespace: str | None = None,
                 location: str | None = None, object_id: str = ""):
        self._engine = engine
        self.subscription_id = subscription_id
        self.resource_group = resource_group
        self.resource_id = resource_id
        self.parent_id = parent_id
        self.name = name
        self.api_version = api_version
        self.method = method
        self.body = body
        self.query = query
        self.headers = headers
        self.client_id = client_id
        self.object_id = object_id
        self.namespace = namespace
        self.location = location
        self.store = engine.store
        self.registry = engine.registry     # the loaded providers (Microsoft.Resources lists them)
        self.now = engine.clock()
        self.base_url = engine.base_url
        self.tenant_id = engine.tenant_id
        self.time_scale = engine.time_scale

    def now_iso(self) -> str:
        return ops.iso(self.now)

    @staticmethod
    def new_guid() -> str:
        return str(uuid.uuid4())

    @staticmethod
    def arm_error(status: int, code: str, message: str) -> ArmError:
        return ArmError(status, code, message)

    def start_operation(self, kind: str, resource_id: str, lro: Lro, result: JSON | None = None) -> dict:
        return self._engine.start_operation(self, kind, resource_id, "", lro, result=result)


def _strip_quotes(etag: str) -> str:
    etag = etag.strip()
    if etag.startswith("W/"):
        etag = etag[2:]
    return etag.strip('"')


def _merge(current: JSON, patch: JSON) -> JSON:
    """JSON merge patch (RFC 7386); `tags` is replaced as a whole, as ARM does."""
    out = copy.deepcopy(current)
    for key, value in patch.items():
        if value is None:
            out.pop(key, None)
        elif isinstance(value, dict) and isinstance(out.get(key), dict) and key != "tags":
            out[key] = _merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def _drop_path(body: JSON, dotted: str) -> None:
    *parents, leaf = dotted.split(".")
    node: Any = body
    for part in parents:
        node = node.get(part) if isinstance(node, dict) else None
        if node is None:
            return
    if isinstance(node, dict):
        node.pop(leaf, None)


def _location_not_available(kind: ResourceKind, location: str) -> ArmError:
    """ARM's refusal of a region that does not offer the type (its code and wording as users quote it)."""
    offered = ",".join(sorted(regions.REGIONS))
    if kind.type_name == RESOURCE_GROUP_TYPE:
        return ArmError(400, "LocationNotAvailableForResourceGroup",
                        f"The provided location '{location}' is not available for resource group. List of available "
                        f"regions is '{offered}'.")
    return ArmError(400, "LocationNotAvailableForResourceType",
                    f"The provided location '{location}' is not available for resource type '{kind.type_name}'. "
                    f"List of available regions for the resource type is '{offered}'.")


def _ended_unsuccessfully(body: JSON) -> bool:
    return str((body.get("properties") or {}).get("provisioningState") or "").lower() in ("failed", "canceled")


def _resource_not_found(path: ArmPath) -> ArmError:
    return resource_not_found(f"{path.scope}/providers/{path.namespace}{interleave(path.types, path.names)}")


class Engine:
    def __init__(self, *, store, registry: Registry, conformance, conformance_mode: str, faults,
                 time_scale: float, tenant_id: str, subscription_id: str, clock: Callable[[], float] = time.time,
                 events: Events | None = None):
        self.clock = clock
        self.events = events or Events()
        self.subscription_id = subscription_id
        self.store = store
        self.registry = registry
        self.conformance = conformance
        self.conformance_mode = conformance_mode
        self.faults = faults
        self.time_scale = time_scale
        self.tenant_id = tenant_id
        self.base_url = ""
        self.holds = ops.Holds()

    # --- operations ----------------------------------------------------------------------------
    def settle(self) -> None:
        ops.settle(self.store, self.clock(), self._complete)

    def start_operation(self, ctx: Ctx, kind: str, resource_id: str, type_name: str, lro: Lro, *,
                        result: JSON | None = None) -> dict:
        failed = self.faults.lro_fails(ctx.method, resource_id)
        operation = ops.new_operation(kind, resource_id, type_name, lro, self.time_scale, self.clock(),
                                      failed=failed, result=result)
        namespace = ctx.namespace or (type_name.split("/", 1)[0] if type_name else "Microsoft.Resources")
        self.store.put_operation(ops.to_record(operation, {
            "namespace": namespace, "style": lro.style, "running_state": lro.running_state,
            "running_status": lro.running_status, "client_id": ctx.client_id, "api_version": ctx.api_version,
            "query": dict(ctx.query or {}),     # the completion's on_delete hooks see e.g. force=true
            "held": self.holds.holds(kind, type_name or self._type_of(resource_id))}))
        location = ctx.location or self._ancestor_location(resource_id) or "global"
        return ops.monitor_headers(operation, lro, self.base_url, ctx.subscription_id, namespace, location,
                                   ctx.api_version or "", self.clock())

    @staticmethod
    def _type_of(resource_id: str) -> str:
        """A resource id's type (namespace and type segments), for operations started without one."""
        parsed = parse(resource_id, "GET")
        return parsed.type_name if parsed else ""

    def _ancestor_location(self, resource_id: str) -> str | None:
        """The region of the nearest parent, scope or resource group that has one: Azure puts the parent's
        region in the monitor URLs of resources without a location (deployments, projects' children)."""
        segments = resource_id.strip("/").split("/")
        for end in range(len(segments) - 1, 3, -1):   # prefixes that are not ids simply miss
            ancestor = self.store.get("/" + "/".join(segments[:end]))
            if isinstance(ancestor, dict) and ancestor.get("location"):
                return ancestor["location"]
        return None

    def _hook_ctx(self, resource_id: str, client_id: str, api_version: str | None, *, query: dict | None = None,
                  method: str = "GET") -> Ctx:
        path = parse(resource_id, "GET")
        return Ctx(self, subscription_id=path.subscription_id, resource_group=path.resource_group,
                   resource_id=resource_id, parent_id=None, name=path.names[-1] if path.names else None,
                   api_version=api_version, method=method, body=None, query=dict(query or {}), headers={},
                   client_id=client_id, namespace=path.namespace)

    def _complete(self, operation: Operation) -> None:
        record = self.store.get_operation(operation.id) or {}
        kind = self.registry.kind(operation.type_name) if operation.type_name else None
        current = self.store.get(operation.resource_id)
        if kind is None or current is None:
            return
        ctx = self._hook_ctx(current.get("id", operation.resource_id), record.get("client_id", ""),
                             record.get("api_version"), query=record.get("query"),
                             method="DELETE" if operation.kind == "delete" else "PUT")
        if operation.kind == "delete":
            if operation.outcome == "Succeeded":
                self._delete_tree(ctx, operation.resource_id)
                return
            current.setdefault("properties", {})["provisioningState"] = "Failed"
        elif operation.kind == "put":
            props = current.setdefault("properties", {})
            if operation.outcome == "Succeeded":
                if record.get("running_state") is not None or "provisioningState" in props:
                    props["provisioningState"] = "Succeeded"
                kind.on_provisioned(ctx, current)
            else:
                props["provisioningState"] = "Failed"
            self._new_etag(kind, current)
        else:
            return
        self.store.put(operation.resource_id, kind.type_name, current)

    def _delete_tree(self, ctx: Ctx, resource_id: str) -> None:
        for type_name, body in self.store.tree(resource_id):
            kind = self.registry.kind(type_name)
            if kind is not None:
                kind.on_delete(self._hook_ctx(body.get("id", resource_id), ctx.client_id, ctx.api_version,
                                              query=ctx.query, method="DELETE"), body)
                self.events.deleted(self.store, body.get("id", resource_id), type_name)
        self.store.delete_tree(resource_id)

    def monitor(self, request: web.Request, claims: dict) -> web.Response | None:
        match = _MONITOR.match(request.path)
        if not match:
            return None
        operation_record = self.store.get_operation(match["id"])
        if operation_record is None:
            return None
        operation = ops.from_record(operation_record)
        request["log_kind"] = "poll"
        if match["monitor"].lower() == ops.MONITOR_STATUS.lower():
            headers = {} if operation.done else {"Retry-After": ops.retry_after(operation, self.clock())}
            running_status = operation_record.get("running_status") or "InProgress"
            return web.json_response(ops.status_body(operation, request.path, running_status), headers=headers)
        if not operation.done:
            return web.Response(status=202, headers={"Location": str(request.url),
                                                     "Retry-After": ops.retry_after(operation, self.clock())})
        if operation.error:
            return web.json_response({"error": operation.error}, status=400)
        if operation.result is not None:
            return web.json_response(operation.result)
        if operation.kind == "put":
            current = self.store.get(operation.resource_id)
            kind = self.registry.kind(operation.type_name)
            if current is not None and kind is not None:
                ctx = self._hook_ctx(current["id"], claims.get("appid", ""), operation_record.get("api_version"))
                return web.json_response(self._present(request, kind, ctx, current))
        return web.Response(status=200)

    # --- dispatch ------------------------------------------------------------------------------
    def handle(self, request: web.Request, body: Any, claims: dict) -> web.Response:
        path = parse(request.path, request.method)
        if path is None:
            raise ArmError(404, "NotFound", f"The requested path '{request.path}' was not found.")
        if path.subscription_id.lower() != self.subscription_id.lower():
            raise ArmError(404, "SubscriptionNotFound",
                           f"The subscription '{path.subscription_id}' could not be found.")
        api_version = request.query.get("api-version")
        routed = self._subscription_route(request, path, body, claims)
        if routed is not None:
            return routed
        if path.namespace is None:
            raise ArmError(404, "NotFound", f"The requested path '{request.path}' was not found.")
        provider = self.registry.namespaces.get(path.namespace.lower())
        if provider is None:
            raise ArmError(400, "InvalidResourceNamespace", f"The resource namespace '{path.namespace}' is invalid.")
        kind = self.registry.kind(path.type_name) if path.types else None
        if kind is None:
            routed = self._provider_route(request, provider, path, body, claims)
            if routed is not None:
                return routed
            self._require_api_version(api_version)
            raise ArmError(400, "InvalidResourceType",
                           f"The resource type '{'/'.join(path.types)}' could not be found in the namespace "
                           f"'{provider.namespace}' for api version '{api_version}'.")
        self._check_api_version(kind, api_version, path)
        if not path.is_collection and kind.scope == "resourceGroup" and path.resource_group is None:
            raise ArmError(400, "InvalidResourceType",
                           f"The resource type '{'/'.join(path.types)}' could not be found in the namespace "
                           f"'{provider.namespace}' for api version '{api_version}' at subscription scope.")
        ctx = self._ctx(request, path, kind, body, claims)
        method = request.method.upper()
        if path.action:
            return self._action(request, path, kind, ctx)
        if path.is_collection:
            if method != "GET":
                raise ArmError(405, "MethodNotAllowed", f"The HTTP method '{method}' is not supported.")
            return self._list(request, path, kind, ctx)
        handler = {"GET": self._get, "HEAD": self._head, "PUT": self._put, "PATCH": self._put,
                   "DELETE": self._delete}.get(method)
        if handler is None:
            raise ArmError(405, "MethodNotAllowed", f"The HTTP method '{method}' is not supported.")
        return handler(request, path, kind, ctx)

    @staticmethod
    def _require_api_version(api_version: str | None) -> None:
        if not api_version:
            raise ArmError(400, "MissingApiVersionParameter",
                           "The api-version query parameter (?api-version=) is required for all requests.")

    def _check_api_version(self, kind: ResourceKind, api_version: str | None, path: ArmPath) -> None:
        self._require_api_version(api_version)
        if api_version in kind.api_versions:
            return
        supported = ", ".join(kind.api_versions)
        if kind.type_name == RESOURCE_GROUP_TYPE:
            raise ArmError(400, "InvalidApiVersionParameter",
                           f"The api-version '{api_version}' is invalid. The supported versions are "
                           f"'{supported}'.")
        raise ArmError(400, "NoRegisteredProviderFound",
                       f"No registered resource provider found for location 'global' and API version "
                       f"'{api_version}' for type '{'/'.join(kind.type_name.split('/')[1:])}'. The supported "
                       f"api-versions are '{supported}'.")

    def _route_ctx(self, request: web.Request, path: ArmPath, body: Any, claims: dict) -> Ctx:
        return Ctx(self, subscription_id=path.subscription_id, resource_group=path.resource_group,
                   resource_id=request.path, parent_id=None, name=None,
                   api_version=request.query.get("api-version"), method=request.method, body=body,
                   query=dict(request.query), headers=request.headers, client_id=claims.get("appid", ""),
                   namespace=path.namespace, object_id=claims.get("oid", ""))

    def _run_route(self, request, provider: Provider, route: Route, match, versions, path, body,
                   claims) -> web.Response:
        api_version = request.query.get("api-version")
        self._require_api_version(api_version)
        if api_version not in versions:
            raise ArmError(400, "NoRegisteredProviderFound",
                           f"No registered resource provider found for API version '{api_version}'. The supported "
                           f"api-versions are '{', '.join(versions)}'.")
        status, payload, headers = route.handler(self._route_ctx(request, path, body, claims), match.groupdict())
        if payload is None:
            return web.Response(status=status, headers=headers)
        if route.type_name and status < 300 and isinstance(payload, dict):
            self._check_route_response(request, provider, route.type_name, api_version, payload)
        return web.json_response(payload, status=status, headers=headers)

    def _check_route_response(self, request, provider: Provider, type_name: str, api_version: str,
                              payload: JSON) -> None:
        """A route's resource body (or {"value": [...]} of them) against the type it declares, at the specs
        version the provider's kinds map this api-version to."""
        version = next((kind.spec_versions[api_version] for kind in provider.kinds
                        if api_version in kind.spec_versions), api_version)
        items = payload["value"] if isinstance(payload.get("value"), list) else [payload]
        for item in items:
            self._check_response_body(request, type_name, version, item)

    def _subscription_route(self, request, path: ArmPath, body, claims) -> web.Response | None:
        rest = "/".join([segment for segment in request.path.split("/") if segment][2:])
        for provider in self.registry.providers:
            for route in provider.routes:
                if getattr(route, "base", "provider") != "subscription" or route.method != request.method:
                    continue
                match = re.fullmatch(route.pattern, rest, re.IGNORECASE)
                if match:
                    versions = route.api_versions or self.registry.provider_api_versions(provider)
                    return self._run_route(request, provider, route, match, versions, path, body, claims)
        return None

    def _provider_route(self, request, provider: Provider, path: ArmPath, body, claims) -> web.Response | None:
        if path.resource_group is not None or path.scope.lower() != f"/subscriptions/{path.subscription_id}".lower():
            return None
        rest = "/".join(path.tail)
        for route in provider.routes:
            if getattr(route, "base", "provider") != "provider" or route.method != request.method:
                continue
            match = re.fullmatch(route.pattern, rest, re.IGNORECASE)
            if match:
                versions = route.api_versions or self.registry.provider_api_versions(provider)
                return self._run_route(request, provider, route, match, versions, path, body, claims)
        return None

    # --- ids -----------------------------------------------------------------------------------
    def _ids(self, path: ArmPath, kind: ResourceKind) -> tuple[str, str | None]:
        """(resource id or collection parent, parent id) in the kind's type casing."""
        kind_types = kind.type_name.split("/")[1:]
        namespace = kind.type_name.split("/")[0]
        if kind.type_name == RESOURCE_GROUP_TYPE:
            base = f"/subscriptions/{path.subscription_id}/resourceGroups"
            return (f"{base}/{path.names[0]}" if path.names else base), None
        scope = path.scope
        stored_scope = self.store.get(scope) if scope.count("/") > 2 else None
        if stored_scope and stored_scope.get("id"):
            scope = stored_scope["id"]
        prefix = f"{scope}/providers/{namespace}"
        resource_id = prefix + interleave(kind_types, path.names)
        if path.is_collection:
            resource_id = prefix + interleave(kind_types[:-1], path.names) + f"/{kind_types[len(path.names)]}"
        parent_id = prefix + interleave(kind_types[:-1], path.names[:len(kind_types) - 1]) \
            if len(kind_types) > 1 else None
        return resource_id, parent_id

    def _ctx(self, request, path: ArmPath, kind: ResourceKind, body, claims) -> Ctx:
        resource_id, parent_id = self._ids(path, kind)
        existing = self.store.get(resource_id) if not path.is_collection else None
        if existing and existing.get("id"):
            resource_id = existing["id"]
        location = (existing or {}).get("location") or (body.get("location") if isinstance(body, dict) else None)
        return Ctx(self, subscription_id=path.subscription_id, resource_group=path.resource_group,
                   resource_id=resource_id, parent_id=parent_id,
                   name=path.names[-1] if path.names and not path.is_collection else None,
                   api_version=request.query.get("api-version"), method=request.method.upper(), body=body,
                   query=dict(request.query), headers=request.headers, client_id=claims.get("appid", ""),
                   namespace=kind.type_name.split("/")[0], location=location)

    def _require_scope(self, path: ArmPath, kind: ResourceKind, ctx: Ctx) -> None:
        """404 for a missing resource group, parent or extension scope."""
        if path.resource_group and kind.type_name != RESOURCE_GROUP_TYPE:
            rg_id = f"/subscriptions/{path.subscription_id}/resourceGroups/{path.resource_group}"
            if self.store.get(rg_id) is None:
                raise ArmError(404, "ResourceGroupNotFound", f"Resource group '{path.resource_group}' could not be found.")
        if ctx.parent_id and self.store.get(ctx.parent_id) is None:
            parent_names = "/".join(path.names[:len(kind.type_name.split("/")) - 2])
            raise ArmError(404, "ParentResourceNotFound",
                           "Can not perform requested operation on nested resource. Parent resource "
                           f"'{parent_names}' not found.")
        if kind.scope == "extension" and "/providers/" in path.scope.lower() and self.store.get(path.scope) is None:
            raise resource_not_found(path.scope)

    def _check_registered(self, kind: ResourceKind) -> None:
        namespace = kind.type_name.split("/")[0]
        record = self.store.kv_get(REGISTRATIONS, namespace.lower())
        if record and record.get("state") != "Registered":
            raise ArmError(409, "MissingSubscriptionRegistration",
                           f"The subscription is not registered to use namespace '{namespace}'. See "
                           "https://aka.ms/rps-not-found for how to register subscriptions.")

    # --- presentation --------------------------------------------------------------------------
    def _present(self, request: web.Request, kind: ResourceKind, ctx: Ctx, body: JSON) -> JSON:
        shown = copy.deepcopy(body)
        for dotted in kind.write_only:
            _drop_path(shown, dotted)
        shown = kind.present(ctx, shown)
        self._check_response(request, kind, ctx.api_version, shown)
        return shown

    def _etag_headers(self, kind: ResourceKind, body: JSON) -> dict:
        etag = body.get("etag") if kind.etag else None
        return {"ETag": f'"{_strip_quotes(etag)}"'} if etag else {}

    @staticmethod
    def _new_etag(kind: ResourceKind, body: JSON) -> None:
        if kind.etag == "apim":
            body["etag"] = uuid.uuid4().hex[:12].upper()
        elif kind.etag == "quoted":
            body["etag"] = f'"{uuid.uuid4()}"'

    def _log_conformance(self, request: web.Request, failures: list[str]) -> None:
        log = request.get("conformance")
        if isinstance(log, list):
            log.extend(failures)

    def _spec_version(self, kind: ResourceKind, api_version: str | None) -> str | None:
        return kind.spec_versions.get(api_version, api_version) if api_version else None

    def _check_request(self, request, kind: ResourceKind, api_version: str | None, body: JSON, partial: bool) -> None:
        if self.conformance is None or self.conformance_mode == "off":
            return
        version = self._spec_version(kind, api_version)
        if not self.conformance.knows(kind.type_name, version):
            self._log_conformance(request, [f"no definitions for {kind.type_name}@{version}"])
            return
        checked = {key: value for key, value in body.items() if key not in _SYSTEM_KEYS}
        report = self.conformance.check_request(kind.type_name, version, checked)
        errors = list(report.errors)
        if partial:   # a PATCH body is a fragment: required properties may be absent
            errors = [error for error in errors if not _MISSING_REQUIRED.search(error)]
        self._log_conformance(request, [f"request: {item}" for item in (*errors, *report.unknown)])
        if errors and self.conformance_mode == "strict":
            raise ArmError(400, "InvalidRequestContent",
                           "The request content was invalid and could not be deserialized: "
                           + "; ".join(errors),
                           details=[{"code": "InvalidRequestContent", "message": error} for error in errors])

    def _check_response(self, request, kind: ResourceKind, api_version: str | None, body: JSON) -> None:
        self._check_response_body(request, kind.type_name, self._spec_version(kind, api_version), body)

    def _check_response_body(self, request, type_name: str, version: str | None, body: JSON) -> None:
        if self.conformance is None or self.conformance_mode == "off" or request is None:
            return
        if not self.conformance.knows(type_name, version):
            return
        report = self.conformance.check_response(type_name, version, body)
        self._log_conformance(request, [f"response: {item}" for item in (*report.errors, *report.unknown)])

    def _check_name(self, request, kind: ResourceKind, ctx: Ctx) -> None:
        """The URL's name against the type's `name` constraints (checked on create)."""
        if self.conformance is None or self.conformance_mode == "off" or not ctx.name:
            return
        version = self._spec_version(kind, ctx.api_version)
        check_name = getattr(self.conformance, "check_name", None)   # checkers without it check bodies only
        problems = check_name(kind.type_name, version, ctx.name) \
            if check_name and self.conformance.knows(kind.type_name, version) else []
        if not problems:
            return
        self._log_conformance(request, [f"request: $.name: {problem}" for problem in problems])
        if self.conformance_mode == "strict":
            raise kind.invalid_name(ctx, problems)

    # --- verbs ---------------------------------------------------------------------------------
    def _current_or_404(self, path: ArmPath, kind: ResourceKind, ctx: Ctx) -> JSON:
        self._require_scope(path, kind, ctx)
        current = self.store.get(ctx.resource_id)
        if current is None:
            if kind.type_name == RESOURCE_GROUP_TYPE:
                raise ArmError(404, "ResourceGroupNotFound", f"Resource group '{ctx.name}' could not be found.")
            raise _resource_not_found(path)
        return current

    def _get(self, request, path, kind, ctx) -> web.Response:
        current = self._current_or_404(path, kind, ctx)
        return web.json_response(self._present(request, kind, ctx, current), headers=self._etag_headers(kind, current))

    def _head(self, request, path, kind, ctx) -> web.Response:
        try:
            current = self._current_or_404(path, kind, ctx)
        except ArmError as error:
            if error.status == 404:
                return web.Response(status=404)
            raise
        if kind.etag == "apim":   # APIM's get_entity_tag accepts only 200 and reads the ETag header
            return web.Response(status=200, headers=self._etag_headers(kind, current))
        return web.Response(status=204)   # check_existence (resource groups, by id) expects 204/404

    def _list(self, request, path, kind, ctx) -> web.Response:
        if kind.type_name == RESOURCE_GROUP_TYPE:
            items = self.store.list_type(kind.type_name, f"/subscriptions/{path.subscription_id}/")
        else:
            self._require_scope(path, kind, ctx)
            kind_types = kind.type_name.split("/")[1:]
            if len(kind_types) > 1 or kind.scope == "extension":
                parent = ctx.resource_id.rsplit("/", 1)[0]
                depth = parent.count("/") + 2
                items = [item for item in self.store.list_type(kind.type_name, parent + "/")
                         if item.get("id", "").count("/") == depth]
            elif path.resource_group:
                items = self.store.list_type(kind.type_name, f"/subscriptions/{path.subscription_id}/resourceGroups/"
                                                             f"{path.resource_group}/")
            else:
                items = self.store.list_type(kind.type_name, f"/subscriptions/{path.subscription_id}/")
        items = kind.filter_list(ctx, items, ctx.query.get("$filter"))
        value = [self._present(request, kind, self._hook_ctx(item["id"], ctx.client_id, ctx.api_version), item)
                 for item in items]
        return web.json_response({"value": value})

    def _check_if_match(self, request, current: JSON | None) -> None:
        if_match = request.headers.get("If-Match")
        if if_match:
            if current is None:
                raise ArmError(412, "PreconditionFailed",
                               "The condition specified using HTTP conditional header(s) is not met.")
            wanted = {_strip_quotes(part) for part in if_match.split(",")}
            if "*" not in wanted and _strip_quotes(str(current.get("etag", ""))) not in wanted:
                raise ArmError(412, "PreconditionFailed",
                               "The condition specified using HTTP conditional header(s) is not met.")
        if request.headers.get("If-None-Match", "").strip() == "*" and current is not None:
            raise ArmError(412, "PreconditionFailed",
                           "The condition specified using HTTP conditional header(s) is not met.")

    def _check_not_busy(self, kind: ResourceKind, ctx: Ctx) -> None:
        pending = self.store.pending_operation_on(ctx.resource_id)
        if pending is not None:
            raise ArmError(409, kind.conflict_code,
                           f"Another operation is in progress on the resource '{ctx.resource_id}'. Retry after "
                           "it completes.")

    def _system_data(self, ctx: Ctx, current: JSON | None) -> JSON:
        now = ctx.now_iso()
        created = (current or {}).get("systemData") or {}
        return {"createdBy": created.get("createdBy", ctx.client_id),
                "createdByType": created.get("createdByType", "Application"),
                "createdAt": created.get("createdAt", now),
                "lastModifiedBy": ctx.client_id, "lastModifiedByType": "Application", "lastModifiedAt": now}

    def _put(self, request, path, kind, ctx) -> web.Response:
        method = request.method.upper()
        body = ctx.body
        if not isinstance(body, dict):
            raise ArmError(400, "InvalidRequestContent", "The request content was invalid and could not be "
                                                         "deserialized: the body must be a JSON object.")
        self._check_registered(kind)
        self._require_scope(path, kind, ctx)
        current = self.store.get(ctx.resource_id)
        if method == "PATCH" and current is None:
            raise _resource_not_found(path)
        self._check_if_match(request, current)
        self._check_not_busy(kind, ctx)
        self._check_request(request, kind, ctx.api_version, body, partial=method == "PATCH")
        desired = _merge(current, body) if method == "PATCH" else copy.deepcopy(body)
        for key in _SYSTEM_KEYS:
            desired.pop(key, None)
        if kind.has_location and current is None and not desired.get("location"):
            raise ArmError(400, "LocationRequired", "The location property is required for this definition.")
        if kind.has_location and current is None and not regions.known(desired["location"]):
            raise _location_not_available(kind, desired["location"])
        kind.validate(ctx, desired, current)
        if current is None:
            self._check_name(request, kind, ctx)
        desired = {"id": ctx.resource_id, "name": ctx.name, "type": kind.type_name, **desired}
        if getattr(kind, "system_data", True):
            desired["systemData"] = self._system_data(ctx, current)
        status_override = None
        if current is None:
            status_override = kind.on_create(ctx, desired)
            lro = kind.create_lro_for(ctx, desired)
            status = status_override or (lro.status if lro else kind.create_status)
        else:
            kind.on_update(ctx, current, desired)
            lro = kind.update_lro
            if _ended_unsuccessfully(current):
                # A PUT on a Failed or Canceled resource provisions it again, as a create does (Azure's advice for
                # a failed resource is to PUT it again); an update answers 200 all the same.
                lro = lro or kind.create_lro_for(ctx, desired)
                if lro is None and "provisioningState" in (desired.get("properties") or {}):
                    desired["properties"]["provisioningState"] = "Succeeded"
            status = 200 if lro is None or lro.status == 201 else lro.status
        self._new_etag(kind, desired)
        headers = {}
        if lro is not None:
            if lro.running_state is not None:
                desired.setdefault("properties", {})["provisioningState"] = lro.running_state
            ctx.location = desired.get("location") or ctx.location
            if lro.style != "body":
                headers.update(self.start_operation(ctx, "put", ctx.resource_id, kind.type_name, lro))
            else:
                self.start_operation(ctx, "put", ctx.resource_id, kind.type_name, lro)
        self.store.put(ctx.resource_id, kind.type_name, desired)
        headers.update(self._etag_headers(kind, desired))
        return web.json_response(self._present(request, kind, ctx, desired), status=status, headers=headers)

    def _delete(self, request, path, kind, ctx) -> web.Response:
        self._require_scope(path, kind, ctx)
        current = self.store.get(ctx.resource_id)
        if current is None:
            if kind.type_name == RESOURCE_GROUP_TYPE:
                raise ArmError(404, "ResourceGroupNotFound", f"Resource group '{ctx.name}' could not be found.")
            return web.Response(status=204)
        self._check_if_match(request, current)
        self._check_not_busy(kind, ctx)
        lro = kind.delete_lro
        if lro is None:
            answer = kind.delete_body(ctx, copy.deepcopy(current))
            shown = self._present(request, kind, ctx, answer) if answer is not None else None
            self._delete_tree(ctx, ctx.resource_id)
            if shown is None:
                return web.Response(status=kind.delete_status)
            return web.json_response(shown, status=kind.delete_status)
        before = copy.deepcopy(current)
        if lro.running_state is not None:
            current.setdefault("properties", {})["provisioningState"] = lro.running_state
        answer = kind.delete_body(ctx, current)
        if current != before:   # the resource shows the delete while it runs
            self._new_etag(kind, current)
            self.store.put(ctx.resource_id, kind.type_name, current)
        headers = self.start_operation(ctx, "delete", ctx.resource_id, kind.type_name, lro)
        if lro.style == "body":
            headers = {}
        if answer is None:
            return web.Response(status=lro.status, headers=headers)
        return web.json_response(self._present(request, kind, ctx, answer), status=lro.status, headers=headers)

    def _action(self, request, path, kind, ctx) -> web.Response:
        method_name = next((target for action, target in kind.actions.items()
                            if action.lower() == path.action.lower()), None)
        if method_name is None:
            raise ArmError(404, "NotFound", f"The action '{path.action}' is not supported on '{kind.type_name}'.")
        current = self._current_or_404(path, kind, ctx)
        status, payload, headers = getattr(kind, method_name)(ctx, current)
        if payload is None:
            return web.Response(status=status, headers=headers)
        return web.json_response(payload, status=status, headers=headers)
