"""Microsoft.CognitiveServices model catalogue and quota: `locations/{location}/models`, `locations/{location}/usages`
and the quota check of a deployment write (400 `InsufficientQuota`).

Kept apart from cognitiveservices.py, which imports the routes and calls `check_deployment` from the deployment
kind's validate hook.

- **Catalogue.** Every region offers the same models (`CATALOGUE`); Azure's differs by region, which tests express
  through the quota instead (a limit of 0 in a region is what "not offered here" looks like to a preflight). Each
  version carries `lifecycleStatus` and `deprecation.inference` (its retirement date) as Azure's list does.
- **Usage names.** `OpenAI.<SKU>.<model>` (as Azure names them, e.g. `OpenAI.GlobalStandard.gpt-4o-mini`); the
  unit is capacity (thousands of tokens per minute for chat and embeddings models), counted per subscription and
  region over every deployment of that model and SKU, soft-deleted accounts included (Azure keeps their
  deployments' quota until they are purged, learn.microsoft.com/azure/ai-foundry/openai/how-to/quota).
- **Limits.** `DEFAULT_LIMIT` for every usage name unless configured through the control endpoint
  `POST /localazure/cognitiveservices/quota {"location": "swedencentral" or "*",
  "limits": {"OpenAI.GlobalStandard.gpt-4o-mini": 30}}`
  (`GET` shows the settings, `DELETE` clears them). A location's own setting wins over "*".
- **Refusal.** A deployment create or update that needs more new capacity than is free answers 400
  `InsufficientQuota` with the message Azure sends ("This operation require N new capacity in quota Tokens Per
  Minute (thousands) - <model>, which is bigger than the current available capacity F. The current quota usage is U
  and the quota limit is L for quota Tokens Per Minute (thousands) - <model>.", quoted in public issues such as
  Azure/business-process-automation#276 and microsoft/PubSec-Info-Assistant#880).
- **Capacity is not quota.** `modelCapacities` (subscription-wide and per location) answers what the subscription
  can still deploy of a model version per region and SKU: the region's capacity (`DEFAULT_REGION_CAPACITY` unless
  set through `POST /localazure/cognitiveservices/capacity {"location": ..., "capacities": {"OpenAI.GlobalStandard.
  gpt-5.4-mini": 5}}`), never more than the free quota. A region out of capacity refuses deployments although
  quota is left (Learn, "Azure OpenAI quota": check capacity with the model capacities API): a deployment write
  that adds more than the region can still host answers 400 `InsufficientQuota` with Azure's capacity message
  ("The specified capacity 'N' of account deployment is bigger than available capacity 'A' for UsageName '<label>'",
  Azure-Samples/azure-search-openai-demo#402; no public source quotes a refusal for region capacity as such, so
  this is the closest documented one).
- **Retired versions.** A deployment write of a version listed `Deprecated` (retired) answers 400
  `ServiceModelDeprecated` "The model 'Format:OpenAI,Name:<model>,Version:<version>' has been deprecated since
  MM/DD/YYYY 00:00:00." (microsoft/microsoft-foundry-for-vscode#491, Azure-Samples/aks-store-demo#203).
"""
from __future__ import annotations

from localazure.engine.contract import ArmError, Route
from localazure.services.cognitiveservices.state import ACCOUNT_TYPE, DEPLOYMENT_TYPE, deployments_of_deleted_accounts

QUOTA_TABLE = "cognitiveservices.quota"
CAPACITY_TABLE = "cognitiveservices.capacity"
# What a region can still host of a model and SKU when no test says otherwise: more than any default quota.
DEFAULT_REGION_CAPACITY = 100000
ANY_LOCATION = "*"
DEFAULT_LIMIT = 1000
CHAT_SKUS = ("GlobalStandard", "DataZoneStandard", "Standard")
EMBEDDING_SKUS = ("GlobalStandard", "Standard")
# (format, name, version, SKUs, capabilities, lifecycleStatus, retirement date): what azure-mgmt-cognitiveservices'
# Model carries (AccountModel.lifecycle_status, .deprecation.inference). Dates: Learn's "Model retirement schedule"
# (learn.microsoft.com/azure/foundry/openai/concepts/model-retirement-schedule, updated 2026-09-02). Statuses in the
# API's words (ModelLifecycleStatus, learn.microsoft.com/javascript/api/@azure/arm-cognitiveservices/
# knownmodellifecyclestatus): "Legacy" no longer recommended; "Deprecating" only customers with existing
# deployments may create new ones (Learn's "Deprecated"); "Deprecated" retired, inference answers 410 (Learn's
# "Retired", here every version whose date had passed on 2026-12-07). A retired version can stay listed, so a client
# reads the status and the date.
CHAT = {"chatCompletion": "true"}
EMBEDDINGS = {"embeddings": "true"}
CATALOGUE = (
    ("OpenAI", "gpt-4o", "2024-05-13", CHAT_SKUS, CHAT, "Deprecated", "2026-10-01"),
    ("OpenAI", "gpt-4o", "2024-08-06", CHAT_SKUS, CHAT, "Deprecating", "2027-04-14"),
    ("OpenAI", "gpt-4o", "2024-11-20", CHAT_SKUS, CHAT, "Legacy", "2027-04-14"),
    ("OpenAI", "gpt-4o-mini", "2024-07-18", CHAT_SKUS, CHAT, "Deprecating", "2027-04-14"),
    ("OpenAI", "gpt-4.1", "2025-04-14", CHAT_SKUS, CHAT, "Legacy", "2027-04-14"),
    ("OpenAI", "gpt-4.1-mini", "2025-04-14", CHAT_SKUS, CHAT, "Legacy", "2027-04-14"),
    ("OpenAI", "gpt-4.1-nano", "2025-04-14", CHAT_SKUS, CHAT, "Legacy", "2027-04-14"),
    ("OpenAI", "o3-mini", "2025-01-31", CHAT_SKUS, CHAT, "Deprecated", "2026-10-01"),
    ("OpenAI", "o3", "2025-04-16", CHAT_SKUS, CHAT, "Deprecated", "2026-10-21"),
    ("OpenAI", "o4-mini", "2025-04-16", CHAT_SKUS, CHAT, "Deprecated", "2026-10-16"),
    ("OpenAI", "gpt-5", "2025-08-07", CHAT_SKUS, CHAT, "GenerallyAvailable", "2027-02-09"),
    ("OpenAI", "gpt-5-mini", "2025-08-07", CHAT_SKUS, CHAT, "GenerallyAvailable", "2027-02-09"),
    ("OpenAI", "gpt-5-nano", "2025-08-07", CHAT_SKUS, CHAT, "GenerallyAvailable", "2027-02-09"),
    ("OpenAI", "gpt-5-chat", "2025-08-07", CHAT_SKUS, CHAT, "Deprecated", "2026-06-29"),
    ("OpenAI", "gpt-5-chat", "2025-10-03", CHAT_SKUS, CHAT, "Deprecated", "2026-05-13"),
    ("OpenAI", "gpt-5.4", "2026-03-05", CHAT_SKUS, CHAT, "GenerallyAvailable", "2027-09-02"),
    ("OpenAI", "gpt-5.4-mini", "2026-03-17", CHAT_SKUS, CHAT, "GenerallyAvailable", "2027-09-21"),
    ("OpenAI", "gpt-5.4-nano", "2026-03-17", CHAT_SKUS, CHAT, "GenerallyAvailable", "2027-09-21"),
    ("OpenAI", "text-embedding-3-small", "1", EMBEDDING_SKUS, EMBEDDINGS, "GenerallyAvailable", "2028-02-09"),
    ("OpenAI", "text-embedding-3-large", "1", EMBEDDING_SKUS, EMBEDDINGS, "GenerallyAvailable", "2028-02-09"),
    ("OpenAI", "text-embedding-ada-002", "2", EMBEDDING_SKUS, EMBEDDINGS, "GenerallyAvailable", "2028-02-09"),
)

def normal_location(location: str | None) -> str:
    return (location or "").replace(" ", "").lower()


def usage_name(model_format: str, sku: str, model: str) -> str:
    return f"{model_format}.{sku}.{model}"


def quota_label(model: str) -> str:
    return f"Tokens Per Minute (thousands) - {model}"


# --- configuration (the control endpoint) -------------------------------------------------------

def _settings(store, table: str) -> dict:
    return dict(store.kv_list(table))


def _configure(store, table: str, body, field: str, what: str) -> dict:
    """Merge {usage name: whole number} for one location (or "*") into a table: {"location": ..., field: {...}}."""
    if not isinstance(body, dict) or not isinstance(body.get(field), dict):
        raise ValueError(f'expected {{"location": "<region> or *", "{field}": {{"<usage name>": <capacity>}}}}')
    location = normal_location(body.get("location") or ANY_LOCATION) or ANY_LOCATION
    for name, value in body[field].items():
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ValueError(f"the {what} of {name} must be a whole number of 0 or more, not {value!r}")
    store.kv_put(table, location, dict(store.kv_get(table, location) or {}, **body[field]))
    return _settings(store, table)


def _clear(store, table: str) -> dict:
    for key, _ in store.kv_list(table):
        store.kv_delete(table, key)
    return {}


def _setting(store, table: str, location: str, name: str, default: int) -> int:
    """A location's own setting, else the "*" one, else `default`."""
    for key in (normal_location(location), ANY_LOCATION):
        configured = store.kv_get(table, key) or {}
        if name in configured:
            return configured[name]
    return default


def quota_settings(store) -> dict:
    return _settings(store, QUOTA_TABLE)


def configure_quota(store, body) -> dict:
    """Set limits for one location (or "*"): {"location": ..., "limits": {usage name: capacity}}."""
    return _configure(store, QUOTA_TABLE, body, "limits", "limit")


def clear_quota(store) -> dict:
    return _clear(store, QUOTA_TABLE)


def limit_of(store, location: str, name: str) -> int:
    return _setting(store, QUOTA_TABLE, location, name, DEFAULT_LIMIT)


def capacity_settings(store) -> dict:
    return _settings(store, CAPACITY_TABLE)


def configure_capacity(store, body) -> dict:
    """Set what a region (or "*") can still host: {"location": ..., "capacities": {usage name: capacity}}."""
    return _configure(store, CAPACITY_TABLE, body, "capacities", "capacity")


def clear_capacity(store) -> dict:
    return _clear(store, CAPACITY_TABLE)


def available_capacity(store, subscription_id: str, location: str, name: str) -> int:
    """What the subscription can still deploy of a usage name in the region: the region's capacity, and no more
    than its free quota (Learn, quota: availableCapacity is "available in your subscription for this model,
    location, and deployment type")."""
    free = max(0, limit_of(store, location, name) - current_usage(store, subscription_id, location).get(name, 0))
    return min(free, _setting(store, CAPACITY_TABLE, location, name, DEFAULT_REGION_CAPACITY))


# --- usage ----------------------------------------------------------------------------------------

def _deployment_usage(deployment: dict) -> tuple[str, int] | None:
    sku = deployment.get("sku") or {}
    model = ((deployment.get("properties") or {}).get("model")) or {}
    if not sku.get("name") or not model.get("name"):
        return None
    return usage_name(model.get("format") or "OpenAI", sku["name"], model["name"]), int(sku.get("capacity") or 0)


def _deployments_in(store, subscription_id: str, location: str) -> list[dict]:
    """Deployments of live and soft-deleted accounts of the subscription in the region."""
    wanted = normal_location(location)
    found = []
    for account in store.list_type(ACCOUNT_TYPE, f"/subscriptions/{subscription_id}/"):
        if normal_location(account.get("location")) == wanted:
            found.extend(store.list_type(DEPLOYMENT_TYPE, account["id"] + "/"))
    found.extend(deployment for account, deployment in deployments_of_deleted_accounts(store, subscription_id)
                 if normal_location(account.get("location")) == wanted)
    return found


def current_usage(store, subscription_id: str, location: str, skip_id: str | None = None) -> dict:
    used: dict[str, int] = {}
    for deployment in _deployments_in(store, subscription_id, location):
        if skip_id and deployment.get("id", "").lower() == skip_id.lower():
            continue
        counted = _deployment_usage(deployment)
        if counted:
            used[counted[0]] = used.get(counted[0], 0) + counted[1]
    return used


def check_deployment(ctx, account: dict, body: dict) -> None:
    """Refuse a deployment write of a retired model version, or whose capacity does not fit in the region's free
    quota or in what the region can still host."""
    _check_not_retired(((body.get("properties") or {}).get("model")) or {})
    wanted = _deployment_usage(body)
    if wanted is None:
        return
    name, capacity = wanted
    location = account.get("location") or ""
    usage = current_usage(ctx.store, ctx.subscription_id, location, skip_id=ctx.resource_id)
    used = usage.get(name, 0)
    limit = limit_of(ctx.store, location, name)
    label = quota_label(body["properties"]["model"]["name"])
    if used + capacity > limit:
        free = max(0, limit - used)
        raise ArmError(400, "InsufficientQuota",
                       f"This operation require {capacity} new capacity in quota {label}, which is bigger than the "
                       f"current available capacity {free}. The current quota usage is {used} and the quota limit "
                       f"is {limit} for quota {label}.")
    # Region capacity, not quota: what this write adds beyond what the deployment already holds must fit what the
    # region can still host. No public source quotes Azure's refusal for a region out of capacity with quota left;
    # this is the closest documented one, Azure's capacity refusal for a deployment ("The specified capacity '1' of
    # account deployment is bigger than available capacity '0' for UsageName 'Tokens Per Minute (thousands) -
    # Text-Davinci-003'", code InsufficientQuota, quoted in Azure-Samples/azure-search-openai-demo#402).
    added = capacity - (current_usage(ctx.store, ctx.subscription_id, location).get(name, 0) - used)
    region = _setting(ctx.store, CAPACITY_TABLE, location, name, DEFAULT_REGION_CAPACITY)
    if added > region:
        raise ArmError(400, "InsufficientQuota",
                       f"The specified capacity '{capacity}' of account deployment is bigger than available capacity "
                       f"'{region}' for UsageName '{label}'.")


def _check_not_retired(model: dict) -> None:
    """Azure creates no deployment of a retired version (lifecycle Deprecated): 400 ServiceModelDeprecated, with
    the message quoted in microsoft/microsoft-foundry-for-vscode#491 ("The model 'Format:OpenAI,Name:gpt-4o-mini,
    Version:2024-07-18' has been deprecated since 03/31/2026 00:00:00.") and Azure-Samples/aks-store-demo#203 (the
    same code from a deployment CreateOrUpdate, 400 Bad Request). Without a version Azure deploys the default one."""
    model_format, name = model.get("format") or "OpenAI", model.get("name")
    versions = [entry for entry in CATALOGUE if (entry[0], entry[1]) == (model_format, name)]
    if not versions:
        return
    version = model.get("version") or versions[-1][2]
    for _format, _name, listed, _skus, _capabilities, lifecycle, retirement in versions:
        if listed == version and lifecycle == "Deprecated":
            year, month, day = retirement.split("-")
            raise ArmError(400, "ServiceModelDeprecated",
                           f"The model 'Format:{model_format},Name:{name},Version:{version}' has been deprecated "
                           f"since {month}/{day}/{year} 00:00:00.")


# --- routes ---------------------------------------------------------------------------------------

def offered_models() -> dict:
    """name -> the versions the catalogue offers, oldest first (the deployment kind refuses any other)."""
    offered: dict[str, tuple] = {}
    for _format, name, version, *_rest in CATALOGUE:
        offered[name] = offered.get(name, ()) + (version,)
    return offered


def _catalogue_entry(model_format, name, version, skus, capabilities, lifecycle, retirement) -> dict:
    return {"kind": "AIServices", "skuName": "S0", "description": f"{name} {version}",
            "model": {"format": model_format, "name": name, "version": version,
                      "isDefaultVersion": offered_models()[name][-1] == version,
                      "lifecycleStatus": lifecycle, "capabilities": dict(capabilities),
                      "deprecation": {"inference": f"{retirement}T00:00:00Z", "deprecationStatus": "Planned"},
                      "maxCapacity": DEFAULT_LIMIT,
                      "skus": [{"name": sku, "usageName": usage_name(model_format, sku, name),
                                "capacity": {"minimum": 1, "maximum": DEFAULT_LIMIT, "step": 1, "default": 10}}
                               for sku in skus]}}


def list_models(ctx, groups):
    return 200, {"value": [_catalogue_entry(*entry) for entry in CATALOGUE]}, {}


def list_usages(ctx, groups):
    location = groups["location"]
    used = current_usage(ctx.store, ctx.subscription_id, location)
    names = list(dict.fromkeys(usage_name(model_format, sku, model)
                               for model_format, model, _version, skus, *_rest in CATALOGUE for sku in skus))
    names += sorted(name for name in used if name not in names)
    value = [{"name": {"value": name, "localizedValue": f"{quota_label(name.split('.', 2)[2])} - "
                                                          f"{name.split('.')[1]}"},
              "unit": "Count", "currentValue": float(used.get(name, 0)),
              "limit": float(limit_of(ctx.store, location, name)), "status": "Included"} for name in names]
    return 200, {"value": value}, {}


# Regions the subscription-wide modelCapacities list reports (each with its own capacity settings).
CAPACITY_REGIONS = ("swedencentral", "eastus", "eastus2", "westus", "westeurope", "francecentral", "norwayeast",
                    "australiaeast", "japaneast", "uksouth")


def _capacities(ctx, locations) -> tuple[int, dict, dict]:
    """modelCapacities: per region and SKU of the asked model, what the subscription can still deploy. The query
    names the model (modelFormat, modelName, modelVersion are required, as the SDK sends them); items as Azure
    lists them (Learn REST reference, Model Capacities - List: id .../locations/{location}/models/{format}.{name}.
    {version}/skuCapacities/{sku}, type Microsoft.CognitiveServices/locations/models/skuCapacities)."""
    wanted = {key: ctx.query.get(key) for key in ("modelFormat", "modelName", "modelVersion")}
    missing = [key for key, value in wanted.items() if not value]
    if missing:
        raise ArmError(400, "MissingRequiredParameter", f"The request is missing required parameter(s): "
                                                          f"{', '.join(missing)}.")
    found = []
    for model_format, name, version, skus, *_rest in CATALOGUE:
        if (model_format.lower(), name.lower(), version) != (wanted["modelFormat"].lower(),
                                                               wanted["modelName"].lower(), wanted["modelVersion"]):
            continue
        for location in locations:
            for sku in skus:
                found.append({
                    "id": f"/subscriptions/{ctx.subscription_id}/providers/Microsoft.CognitiveServices/locations/"
                          f"{location}/models/{model_format}.{name}.{version}/skuCapacities/{sku}",
                    "type": "Microsoft.CognitiveServices/locations/models/skuCapacities", "name": sku,
                    "location": location,
                    "properties": {"model": {"format": model_format, "name": name, "version": version},
                                   "skuName": sku, "availableFinetuneCapacity": 0,
                                   "availableCapacity": available_capacity(ctx.store, ctx.subscription_id, location,
                                                                           usage_name(model_format, sku, name))}})
    return 200, {"value": found}, {}


def list_location_capacities(ctx, groups):
    return _capacities(ctx, [normal_location(groups["location"])])


def list_capacities(ctx, groups):
    return _capacities(ctx, CAPACITY_REGIONS)


ROUTES = [
    Route("GET", r"locations/(?P<location>[^/]+)/models", list_models),
    Route("GET", r"locations/(?P<location>[^/]+)/usages", list_usages),
    Route("GET", r"locations/(?P<location>[^/]+)/modelCapacities", list_location_capacities),
    Route("GET", r"modelCapacities", list_capacities),
]
