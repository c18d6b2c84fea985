"""The contract between the generic ARM engine and the resource providers.

The engine (routing, auth, api-version checks, conformance, store, long-running operations, ETags,
faults, request log) is generic.  A service's provider (localazure/services/<namespace>/) only
declares its resource kinds and the few behaviours that differ from plain ARM CRUD:

    PROVIDER = Provider(
        namespace="Microsoft.ApiManagement",
        kinds=[ServiceKind(), BackendKind(), ...],
        routes=[Route("DELETE", r"locations/(?P<location>[^/]+)/deletedservices/(?P<name>[^/]+)", purge)],
    )

Facts encoded by providers must come from localazure/specs (Microsoft's definitions) and localazure/PROTOCOL.md.
"""
from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any, Callable, Mapping

if TYPE_CHECKING:
    from localazure.engine.softdelete import SoftDelete

JSON = dict[str, Any]


class ArmError(Exception):
    """An ARM error response: {"error": {"code", "message", ...}} with an HTTP status."""

    def __init__(self, status: int, code: str, message: str, *, target: str | None = None,
                 details: list | None = None, headers: Mapping[str, str] | None = None,
                 extra: Mapping[str, Any] | None = None):
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.target = target
        self.details = details
        self.headers = dict(headers or {})
        self.extra = dict(extra or {})   # provider-specific keys beside code/message (APIM adds details/innerError)

    def body(self) -> JSON:
        err: JSON = {"code": self.code, "message": self.message}
        if self.target is not None:
            err["target"] = self.target
        if self.details is not None:
            err["details"] = self.details
        err.update(self.extra)
        return {"error": err}


@dataclasses.dataclass(frozen=True)
class Lro:
    """How a write turns into a long-running operation.

    style:
      "azure-async": response carries Azure-AsyncOperation (monitor answers 200 {status,...}).
      "location":    response carries Location (monitor answers 202 empty until done, then the final
                     result: 200 with the resource for PUT, 200 empty for DELETE/POST without result).
      "both":        both headers (Azure-AsyncOperation wins in the SDK).
      "body":        no header; the client re-GETs the resource and reads properties.provisioningState.
    seconds: the realistic Azure duration; the engine multiplies it by --time-scale.
    status: HTTP status of the first response (PUT: 201 or 200; DELETE/POST: 202).
    running_state: properties.provisioningState while running (None: do not touch provisioningState).
    running_status: the Azure-AsyncOperation monitor's `status` while running (any non-terminal value means
      running; CognitiveServices answers "Creating" for an account create, localazure/PROTOCOL.md §1.2, §8.2).
    """
    style: str
    seconds: float
    status: int = 201
    running_state: str | None = "Accepted"
    running_status: str = "InProgress"


@dataclasses.dataclass
class Operation:
    """A long-running operation as stored by the engine (survives restarts)."""
    id: str
    kind: str            # "put" | "delete" | "action:<name>"
    resource_id: str
    type_name: str
    started: float       # epoch seconds
    due: float           # epoch seconds when it completes
    outcome: str         # "Succeeded" | "Failed" (fault injection / provider) | "Canceled"
    result: JSON | None  # final body for location-style monitors (None: empty 200)
    error: JSON | None   # {"code","message"} when outcome is Failed
    done: bool = False


@dataclasses.dataclass
class Route:
    """A non-resource endpoint below /subscriptions/{sub}/providers/{namespace}/ (or below a resource
    id when `on_resource` is a type name), e.g. checkNameAvailability, deletedservices, purge.
    The handler gets (ctx, match_groupdict) and returns (status, body_or_None, headers_dict)."""
    method: str
    pattern: str                       # regex, matched case-insensitively against the rest of the path
    handler: Callable[..., tuple[int, JSON | None, dict]]
    api_versions: tuple[str, ...] = ()  # empty: the provider's union of kind api-versions
    # Added for Microsoft.Resources: "provider" matches below /subscriptions/{sub}/providers/{namespace}/,
    # "subscription" below /subscriptions/{sub}/ ("" is the subscription itself).
    base: str = "provider"
    # The resource type the answer's body is (or, for {"value": [...]}, its items are), e.g.
    # "Microsoft.ApiManagement/locations/deletedservices": the engine checks it like a resource response.
    type_name: str | None = None


class ResourceKind:
    """One ARM resource type.  Subclass and override only what differs from plain ARM CRUD.

    Engine behaviour for every kind (providers do not reimplement these):
      * routing by type_name (case-insensitive), collection GET = list {"value": [...]}
      * 400 for an unknown api-version, 401 without a valid token, 404 ResourceNotFound /
        ResourceGroupNotFound / ParentResourceNotFound
      * conformance of the request body against localazure/specs (400 on violations; unknown
        properties logged as conformance failures)
      * id/name/type/systemData/etag filled; PATCH merges into the current body then follows PUT
      * LRO bookkeeping per create_lro/update_lro/delete_lro and fault injection
      * 409 `conflict_code` while an operation on the same resource is in flight
      * If-Match: 412 PreconditionFailed on mismatch ("*" matches anything existing)
      * write_only paths are stored but never returned
    """

    type_name: str = ""                      # "Microsoft.ApiManagement/service/backends"
    api_versions: tuple[str, ...] = ()       # accepted api-versions
    spec_versions: Mapping[str, str] = {}    # api-version -> specs api-version used for conformance
    scope: str = "resourceGroup"             # "resourceGroup" | "subscription" | "extension"
    has_location: bool = True                # top-level tracked resource (location required on PUT)
    etag: str | None = None                  # None | "apim" (header quoted, body unquoted) | "quoted"
    create_lro: Lro | None = None            # None: synchronous PUT -> 201 (or create_status)
    update_lro: Lro | None = None            # None: synchronous PUT -> 200
    delete_lro: Lro | None = None            # None: synchronous DELETE -> delete_status
    create_status: int = 201                 # sync create status (connections: 200)
    delete_status: int = 200                 # sync delete status; 204 when the resource is absent
    conflict_code: str = "Conflict"          # 409 code for a write during an in-flight operation
    write_only: tuple[str, ...] = ()         # dotted paths never returned, e.g. "properties.credentials"
    actions: Mapping[str, str] = {}          # POST {id}/{action} (case-insensitive) -> method name
    system_data: bool = True                 # fill systemData (resource groups carry none)
    # Soft delete (engine/softdelete.py): record on delete, conflict or restore on create, list/get/purge routes.
    # Declared on a kind, it runs around that class's own on_create/on_delete and its routes join the provider's.
    soft_delete: "SoftDelete | None" = None

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if cls.__dict__.get("soft_delete") is not None:
            cls.soft_delete.attach(cls)

    # --- hooks -------------------------------------------------------------------------------
    def validate(self, ctx: "Ctx", body: JSON, current: JSON | None) -> None:
        """Semantic checks beyond the type definitions (raise ArmError)."""

    def on_create(self, ctx: "Ctx", body: JSON) -> int | None:
        """Fill read-only fields Azure fills on create (mutate body).  May return a status override
        (e.g. a restore returning 200).  A declared soft_delete answers conflicts and restores before this runs."""

    def on_update(self, ctx: "Ctx", current: JSON, body: JSON) -> None:
        """body is the new desired body; carry read-only fields over from current (mutate body)."""

    def on_provisioned(self, ctx: "Ctx", body: JSON) -> None:
        """A create/update LRO finished: fill what Azure fills at the end (mutate body)."""

    def on_delete(self, ctx: "Ctx", current: JSON) -> None:
        """Before the resource (and its children) disappear (a declared soft_delete records it after this).
        ctx.query is the query of the DELETE that caused it (also for children and for a completing LRO)."""

    # --- hooks added later (defaults keep the plain ARM behaviour) ---------------------------------
    def create_lro_for(self, ctx: "Ctx", body: JSON) -> Lro | None:
        """The Lro of this create (called after on_create with the body being created), when it depends on
        the request, e.g. the APIM SKU.  ctx.body is the request as sent."""
        return self.create_lro

    def delete_body(self, ctx: "Ctx", current: JSON) -> JSON | None:
        """The body of the DELETE's answer (None: empty).  Synchronous deletes answer it with delete_status
        (role assignments return the deleted assignment); delete LROs with their first response (APIM
        answers 202 with the resource, targetProvisioningState "Deleting").  For a delete LRO, changes to
        `current` are stored as the resource's state while the delete runs."""
        return None

    def filter_list(self, ctx: "Ctx", items: list[JSON], filter_text: str | None) -> list[JSON]:
        """The items a collection GET answers, given the `$filter` query (None when absent).  `items` are what
        the engine found (for extension types: those directly at the scope); types whose ARM list covers more
        (role assignments: above and below the scope) may read ctx.store.  Default: `$filter` is ignored."""
        return items

    def invalid_name(self, ctx: "Ctx", problems: list[str]) -> ArmError:
        """The error for a create whose URL name breaks the type's `name` constraints in the definitions
        (problems: what is wrong, e.g. "shorter than minLength 4").  ARM's generic code is
        InvalidResourceName (400); resource providers may answer with their own."""
        return ArmError(400, "InvalidResourceName",
                        f"The resource name '{ctx.name}' is invalid for type '{self.type_name}': "
                        + "; ".join(problems) + ".")

    def present(self, ctx: "Ctx", body: JSON) -> JSON:
        """The body as returned to clients (write_only paths already stripped by the engine)."""
        return body


@dataclasses.dataclass
class Provider:
    namespace: str
    kinds: list[ResourceKind]
    routes: list[Route] = dataclasses.field(default_factory=list)

    def __post_init__(self):
        # The engine registers the list / get / purge routes of every soft-deleting kind.
        declared = [route for kind in self.kinds if kind.soft_delete is not None
                    for route in kind.soft_delete.routes()]
        self.routes = declared + list(self.routes)


def resource_not_found(resource_id: str) -> ArmError:
    """ARM's own 404 for a resource id that does not exist ("The Resource 'Microsoft.X/type/name' under
    resource group 'rg' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix")."""
    cut = resource_id.lower().rfind("/providers/")
    relative = resource_id[cut + len("/providers/"):] if cut >= 0 else resource_id.strip("/")
    segments = resource_id.strip("/").split("/")
    group = segments[3] if len(segments) > 3 and segments[2].lower() == "resourcegroups" else None
    where = f" under resource group '{group}'" if group else ""
    return ArmError(404, "ResourceNotFound", f"The Resource '{relative}'{where} was not found. For more details "
                                             "please go to https://aka.ms/ARMResourceNotFoundFix")


class Ctx:
    """Per-request context given to hooks.  Implemented by the engine; attributes:

    subscription_id, resource_group (or None), resource_id (as the client spelled it at create),
    parent_id (or None), name, api_version, method, body (parsed JSON or None), query, headers,
    store (the Store), now (epoch float), now_iso() -> "2026-01-01T00:00:00.0000000Z",
    base_url ("https://127.0.0.1:PORT"), tenant_id, client_id (the caller), object_id (the caller's oid; set
    for provider routes), time_scale,
    new_guid() -> str, arm_error(status, code, message) -> ArmError,
    start_operation(kind, resource_id, lro, result=None) -> dict of response headers
    (used by action routes such as purge to run as an LRO).
    Added by the engine: namespace (of the addressed type), location (of the resource or the request body),
    registry (the loaded providers: .providers, .namespaces, .kind(type_name)).
    """


class StoreApi:
    """What hooks may use of the engine's SQLite store (ctx.store).  Resource ids are matched
    case-insensitively; bodies are stored as returned to clients (plus write-only paths).

    get(resource_id) -> JSON | None
    put(resource_id, type_name, body) -> None
    delete_tree(resource_id) -> None                 # the resource and every child / extension below it
    list_type(type_name, prefix) -> list[JSON]       # resources of a type whose id starts with prefix
    kv_get(table, key) -> JSON | None                # provider records: soft-deleted resources, keys, ...
    kv_put(table, key, value) -> None
    kv_delete(table, key) -> None
    kv_list(table, prefix="") -> list[tuple[str, JSON]]
    """
