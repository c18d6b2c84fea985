"""Microsoft.CognitiveServices: accounts (Foundry / AI Services), deployments, projects, connections,
RAI blocklists, soft delete, purge and subdomain checks.

Shapes: localazure/specs/bicep-types/microsoft.cognitiveservices/{2025-09-01,2025-12-01,2026-07-01}.
Protocol facts (localazure/PROTOCOL.md §2.2, §3, §7, §8.2), azure-mgmt-cognitiveservices 14.1.0:
  * accounts.begin_create 200/201/202 (real: 201 + Azure-AsyncOperation, provisioningState Creating),
    begin_update 200/202, begin_delete 200/202/204 (real: synchronous soft delete, 200 empty).
  * deployments.begin_create_or_update 200/201 final-state-via azure-async-operation,
    begin_update 200/202 final-state-via location, begin_delete 200/202/204.
  * projects.begin_create 200/201/202, begin_update 200/202, begin_delete 200/202/204.
  * account/project connections: create and update are synchronous and accept 200 only; delete 200/204.
  * raiBlocklists(+items).create_or_update 200/201; begin_delete 202/204 final-state-via location.
  * deleted_accounts.begin_purge 200/202/204; check_domain_availability 200.
The lab deploys accounts at 2025-06-01 and projects/connections at 2025-04-01-preview; both are checked
against 2025-09-01, the nearest version carried in localazure/specs.
"""
from __future__ import annotations

import re
import secrets
import string
from datetime import datetime, timedelta, timezone

from localazure.engine.contract import ArmError, Lro, Provider, ResourceKind, Route
from localazure.engine.softdelete import SoftDelete, scheduled_purge
from localazure.services.cognitiveservices import quota as cognitive_quota
from localazure.services.cognitiveservices.state import (ACCOUNT_CONNECTION_TYPE, ACCOUNT_TYPE, BLOCKLIST_ITEM_TYPE,
                                                        BLOCKLIST_TYPE, DELETED_ACCOUNT_TYPE, DELETED_TABLE,
                                                        DEPLOYMENT_TYPE, KEYS_TABLE, NAMESPACE,
                                                        PROJECT_CONNECTION_TYPE, PROJECT_TYPE)

# Children that a soft delete keeps and a restore brings back ("charges for provisioned deployments on a
# deleted resource continue until the resource is purged", learn.microsoft.com/azure/ai-services/
# manage-resources; a restore keeps the system identity's principal).
ACCOUNT_CHILD_TYPES = (DEPLOYMENT_TYPE, PROJECT_TYPE, ACCOUNT_CONNECTION_TYPE, PROJECT_CONNECTION_TYPE,
                       BLOCKLIST_TYPE, BLOCKLIST_ITEM_TYPE)

API_VERSIONS = ("2025-04-01-preview", "2025-06-01", "2025-09-01", "2025-12-01", "2026-07-01")
SPEC_VERSIONS = {"2025-04-01-preview": "2025-09-01", "2025-06-01": "2025-09-01", "2025-09-01": "2025-09-01",
                 "2025-12-01": "2025-12-01", "2026-07-01": "2026-07-01"}
# ApiManagement/ModelGateway are not ConnectionCategory values before 2025-10-01-preview (localazure/PROTOCOL.md §7.2);
# the engine's conformance rejects them below 2025-12-01 too, and this check keeps that answer when
# conformance is off.  Caveat: the AI-Gateway lab and foundry-samples deploy category ApiManagement at
# 2025-04-01-preview (the lab's Bicep, github.com/Azure-Samples/AI-Gateway labs/ai-foundry-model-gateway), which suggests the live service is lenient there.
GATEWAY_CATEGORIES = ("ApiManagement", "ModelGateway")
VERSIONS_WITHOUT_GATEWAY_CATEGORIES = ("2025-04-01-preview", "2025-06-01", "2025-09-01")

SOFT_DELETE_RETENTION = timedelta(hours=48)
RUNNING_STATES = ("Accepted", "Creating", "Deleting", "Moving", "ResolvingDNS", "Updating")
_ACCOUNT_ID = re.compile(r"^/subscriptions/(?P<sub>[^/]+)/resourceGroups/(?P<rg>[^/]+)/providers/"
                         r"Microsoft\.CognitiveServices/accounts/(?P<name>[^/]+)", re.IGNORECASE)
_SUBDOMAIN = re.compile(r"^[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,62}[a-zA-Z0-9])?$")
_CONNECTION_NAME = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9_-]{2,32}$")


# --- small helpers -------------------------------------------------------------------------------

def _normal_location(location: str | None) -> str:
    return (location or "").replace(" ", "").lower()


def _iso(moment: float) -> str:
    return datetime.fromtimestamp(moment, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f0Z")


def _new_account_key() -> str:
    # Keys of accounts created since 2024 are 84 alphanumeric characters (older ones 32 hex).
    alphabet = string.ascii_letters + string.digits
    return "".join(secrets.choice(alphabet) for _ in range(84))


def _account_parts(resource_id: str) -> dict:
    match = _ACCOUNT_ID.match(resource_id)
    if match is None:
        raise ArmError(400, "InvalidResourceId", f"'{resource_id}' is not a Cognitive Services account id.")
    return match.groupdict()


def _account_id(resource_id: str) -> str:
    return _ACCOUNT_ID.match(resource_id).group(0)


def _deleted_id(sub: str, location: str, rg: str, name: str) -> str:
    return (f"/subscriptions/{sub}/providers/{NAMESPACE}/locations/{_normal_location(location)}"
            f"/resourceGroups/{rg}/deletedAccounts/{name}")


def _fill_identity(ctx, identity: dict | None, previous: dict | None = None) -> None:
    """System identities get a principal (kept across updates); user-assigned entries get their ids."""
    if not identity:
        return
    kind = identity.get("type") or "None"
    previous = previous or {}
    if "SystemAssigned" in kind:
        identity["principalId"] = previous.get("principalId") or ctx.new_guid()
        identity["tenantId"] = previous.get("tenantId") or ctx.tenant_id
    else:
        identity.pop("principalId", None)
        identity.pop("tenantId", None)
    for uai_id, entry in (identity.get("userAssignedIdentities") or {}).items():
        known = (ctx.store.get(uai_id) or {}).get("properties") or {}
        filled = dict(entry or {})
        filled["principalId"] = known.get("principalId") or filled.get("principalId") or ctx.new_guid()
        filled["clientId"] = known.get("clientId") or filled.get("clientId") or ctx.new_guid()
        identity["userAssignedIdentities"][uai_id] = filled


# --- account endpoints ---------------------------------------------------------------------------

def _account_endpoints(kind: str, location: str, subdomain: str | None) -> tuple[str, dict]:
    """(endpoint, endpoints) as Azure reports them.  Regional hosts without a custom subdomain
    (recording, localazure/PROTOCOL.md §8.2); with one, AIServices answers on cognitiveservices.azure.com and lists its
    Foundry, model inference and OpenAI hosts, OpenAI accounts answer on openai.azure.com."""
    region = _normal_location(location)
    if not subdomain:
        regional = f"https://{region}.api.cognitive.microsoft.com/"
        names = {"OpenAI": ("OpenAI Language Model Instance API", "OpenAI Dall-E API"),
                 "ContentSafety": ("Content Safety",)}.get(kind, (kind,))
        return regional, {name: regional for name in names}
    sub = subdomain.lower()
    cognitive = f"https://{sub}.cognitiveservices.azure.com/"
    openai = f"https://{sub}.openai.azure.com/"
    foundry = f"https://{sub}.services.ai.azure.com/"
    if kind == "OpenAI":
        return openai, {"OpenAI Language Model Instance API": openai, "OpenAI Dall-E API": openai,
                        "OpenAI Whisper API": openai, "OpenAI Realtime API": openai,
                        "OpenAI Model Scaleset API": openai, "Token Service API": foundry}
    if kind == "AIServices":
        return cognitive, {"AI Foundry API": foundry, "Azure AI Model Inference API": foundry,
                           "OpenAI Language Model Instance API": openai, "OpenAI Dall-E API": openai,
                           "OpenAI Whisper API": openai, "OpenAI Realtime API": openai,
                           "Azure OpenAI Legacy API - Latest moniker": openai,
                           "Content Safety": cognitive, "Computer Vision": cognitive,
                           "Language": cognitive, "Token Service API": foundry}
    if kind == "ContentSafety":
        return cognitive, {"Content Safety": cognitive}
    return cognitive, {kind: cognitive}


def _account_capabilities(kind: str) -> list[dict]:
    # The capability names Azure reports for AI Services / OpenAI accounts (recording, localazure/PROTOCOL.md §8.2 shows the first two).
    capabilities = [{"name": "VirtualNetworks"}, {"name": "CustomerManagedKey"}]
    if kind in ("OpenAI", "AIServices"):
        capabilities += [{"name": "MaxFineTuneCount", "value": "100"},
                         {"name": "MaxRunningFineTuneCount", "value": "1"},
                         {"name": "MaxUserFileCount", "value": "100"},
                         {"name": "MaxTrainingFileSize", "value": "512000000"},
                         {"name": "MaxUserFileImportDurationInHours", "value": "1"},
                         {"name": "MaxFineTuneJobDurationInHours", "value": "720"},
                         {"name": "TrustedServices",
                          "value": "Microsoft.CognitiveServices,Microsoft.MachineLearningServices,Microsoft.Search"}]
    return capabilities


def _account_rate_limit(kind: str) -> dict | None:
    if kind not in ("OpenAI", "AIServices"):
        return None
    # Recording §5.2: the openai rule of a fresh S0 account.
    return {"rules": [{"key": "openai", "renewalPeriod": 1, "count": 30,
                       "matchPatterns": [{"path": "openai/*", "method": "*"}]}]}


def _subdomain_owner(ctx, subdomain: str, *, except_account: str | None = None) -> str | None:
    """The account (live or soft-deleted) that holds a subdomain.  Subdomains are global in Azure;
    here the whole store is the world."""
    wanted = subdomain.lower()
    skip = (except_account or "").lower()
    for account in ctx.store.list_type(ACCOUNT_TYPE, ""):
        owned = ((account.get("properties") or {}).get("customSubDomainName") or "").lower()
        if owned == wanted and account["id"].lower() != skip:
            return account["id"]
    for record in AccountKind.soft_delete.records(ctx.store):
        account = record["resource"]
        owned = ((account.get("properties") or {}).get("customSubDomainName") or "").lower()
        if owned == wanted and account["id"].lower() != skip:
            return account["id"]
    return None


def _subdomain_in_use(subdomain: str) -> ArmError:
    # Real 409 body (microsoft/microsoft-foundry-for-vscode#107, Azure-Samples/azuresandbox#164).
    return ArmError(409, "CustomDomainInUse",
                    f"Please pick a different name. The subdomain name '{subdomain}' is not available as it's "
                    "already used by a resource. If the resource using the name was deleted in the last 48 "
                    "hours, you may need to purge the deleted resource. Learn more at "
                    "\"https://go.microsoft.com/fwlink/?linkid=2215493\"")


# --- soft delete: deleted accounts, restore --------------------------------------------------------

def _deleted_body(ctx, record: dict) -> dict:
    account = record["resource"]
    parts = _account_parts(account["id"])
    body = dict(account)
    body["id"] = _deleted_id(parts["sub"], account.get("location"), parts["rg"], parts["name"])
    body["type"] = DELETED_ACCOUNT_TYPE
    body["properties"] = {**(account.get("properties") or {}), "deletionDate": record["deletionDate"],
                          "scheduledPurgeDate": _iso(scheduled_purge(record))}
    return body


def _no_deleted_account(ctx, groups) -> ArmError:
    return ArmError(404, "ResourceNotFound", f"The Resource '{DELETED_ACCOUNT_TYPE}/{groups['name']}' under resource "
                                             f"group '{groups['rg']}' was not found.")


def _relist_projects(ctx, body, record):
    """Project deletes ran before the account's and unlisted themselves; list the restored ones again."""
    projects = [child for child in record.get("children", []) if child["type"].lower() == PROJECT_TYPE.lower()]
    if projects:
        body["properties"]["associatedProjects"] = [p["name"] for p in projects]
        default = next((p["name"] for p in projects if (p.get("properties") or {}).get("isDefault")), None)
        if default:
            body["properties"]["defaultProject"] = default


_DELETED_ROUTE = r"locations/(?P<location>[^/]+)/resourceGroups/(?P<rg>[^/]+)/deletedAccounts/(?P<name>[^/]+)"


# --- accounts ------------------------------------------------------------------------------------

class AccountKind(ResourceKind):
    type_name = ACCOUNT_TYPE
    api_versions = API_VERSIONS
    spec_versions = SPEC_VERSIONS
    etag = "quoted"
    # Recording §5.2: 201 + Azure-AsyncOperation, provisioningState Creating, monitor status "Creating".
    # An OpenAI account took 74 min in 2023; AIServices accounts are ready in about a minute today.
    create_lro = Lro("azure-async", seconds=60, status=201, running_state="Creating", running_status="Creating")
    update_lro = Lro("azure-async", seconds=30, status=200, running_state="Accepted")
    delete_lro = None          # synchronous soft delete: 200 with an empty body (recordings, localazure/PROTOCOL.md §8.2)
    delete_status = 200
    # "Another operation is being performed on the parent resource" (see DeploymentKind) is the code
    # Azure uses while an account operation is running.
    conflict_code = "RequestConflict"
    write_only = ("properties.restore",)
    actions = {"listKeys": "list_keys", "regenerateKey": "regenerate_key"}
    # restore=true brings the account back as it was (properties, identity, keys, children); until then its name
    # is refused; a purge frees it (learn.microsoft.com/azure/ai-services/recover-purge-resources).
    soft_delete = SoftDelete(
        table=DELETED_TABLE, name_scope="resourceGroup", retention=SOFT_DELETE_RETENTION,
        restore=("properties.restore", True), restores=("kind", "sku", "identity", "tags", "location", "properties"),
        conflict=lambda ctx, held: ArmError(
            409, "FlagMustBeSetForRestore",
            f"An existing resource with ID '{held['id']}' has been soft-deleted. To restore the resource, you must "
            "specify 'restore' to be 'true' in the property. If you don't want to restore existing resource, please "
            "purge it first."),
        # Code and message as quoted by users of the service (e.g. Azure/azure-dev deploy docs,
        # microsoft/OpenAIWorkshop#50); the status is not recorded anywhere we found, 400 is a guess.
        nothing_to_restore=lambda ctx: ArmError(400, "CanNotRestoreANonExistingResource",
                                                "Could not locate a resource to restore."),
        not_found=_no_deleted_account, present=_deleted_body, keeps_children=ACCOUNT_CHILD_TYPES,
        keeps_tables=(KEYS_TABLE,), after_restore=_relist_projects, list_pattern=r"deletedAccounts",
        get_pattern=_DELETED_ROUTE, purge_route=("DELETE", _DELETED_ROUTE), route_type=DELETED_ACCOUNT_TYPE,
        # The name is free as soon as the purge is accepted; the operation only reports completion.
        purge_lro=Lro("azure-async", seconds=30, status=202, running_state=None))

    def validate(self, ctx, body, current):
        props = body.get("properties") or {}
        if current is None and not props.get("restore"):
            _check_kind_and_sku(body.get("kind") or "", (body.get("sku") or {}).get("name") or "")
        subdomain = props.get("customSubDomainName")
        if current is not None:
            old = (current.get("properties") or {}).get("customSubDomainName")
            if old and subdomain and old.lower() != subdomain.lower():
                # Azure does not let a subdomain change once set (azurerm documents it as "forces a new
                # resource").  The error code is ours: none was found in the references.
                raise ArmError(400, "CustomSubDomainNameCannotBeChanged",
                               f"The customSubDomainName of account '{ctx.name}' cannot be changed once set.")
        if subdomain and not props.get("restore"):
            if not _SUBDOMAIN.match(subdomain):
                # Message as checkDomainAvailability words it; the code is ours.
                raise ArmError(400, "InvalidCustomSubDomainName",
                               f"Sub domain name '{subdomain}' is not valid.")
            if _subdomain_owner(ctx, subdomain, except_account=_account_id(ctx.resource_id)) is not None:
                raise _subdomain_in_use(subdomain)

    def on_create(self, ctx, body):
        props = body.setdefault("properties", {})
        kind = body.get("kind") or ""
        endpoint, endpoints = _account_endpoints(kind, body.get("location"), props.get("customSubDomainName"))
        props["endpoint"] = endpoint
        props["endpoints"] = endpoints
        props["internalId"] = secrets.token_hex(16)
        props["dateCreated"] = ctx.now_iso()
        props["capabilities"] = _account_capabilities(kind)
        rate_limit = _account_rate_limit(kind)
        if rate_limit:
            props["callRateLimit"] = rate_limit
        props["isMigrated"] = False
        props["privateEndpointConnections"] = []
        props.setdefault("publicNetworkAccess", "Enabled")
        _fill_identity(ctx, body.get("identity"))
        ctx.store.kv_put(KEYS_TABLE, ctx.resource_id.lower(), {"key1": _new_account_key(), "key2": _new_account_key()})
        return None

    def on_update(self, ctx, current, body):
        old = current.get("properties") or {}
        props = body.setdefault("properties", {})
        props.pop("restore", None)
        if old.get("customSubDomainName") and not props.get("customSubDomainName"):
            props["customSubDomainName"] = old["customSubDomainName"]
        kind = body.get("kind") or current.get("kind") or ""
        endpoint, endpoints = _account_endpoints(kind, body.get("location") or current.get("location"),
                                                 props.get("customSubDomainName"))
        props["endpoint"] = endpoint
        props["endpoints"] = endpoints
        for field in ("internalId", "dateCreated", "capabilities", "callRateLimit", "isMigrated",
                      "privateEndpointConnections", "associatedProjects", "defaultProject"):
            if field in old and field not in props:
                props[field] = old[field]
        props.setdefault("publicNetworkAccess", old.get("publicNetworkAccess", "Enabled"))
        _fill_identity(ctx, body.get("identity"), (current.get("identity") or {}))

    def on_provisioned(self, ctx, body):
        body.setdefault("properties", {})["provisioningState"] = "Succeeded"

    # --- actions ---------------------------------------------------------------------------------
    def list_keys(self, ctx, current):
        self._refuse_without_local_auth(current, "list")
        return 200, self._keys(ctx, current), {}

    def regenerate_key(self, ctx, current):
        self._refuse_without_local_auth(current, "regenerate")
        key_name = (ctx.body or {}).get("keyName")
        if key_name not in ("Key1", "Key2"):
            raise ArmError(400, "BadRequest", "The keyName must be 'Key1' or 'Key2'.")
        keys = self._keys(ctx, current)
        keys[key_name.lower()] = _new_account_key()
        ctx.store.kv_put(KEYS_TABLE, current["id"].lower(), keys)
        return 200, keys, {}

    @staticmethod
    def _keys(ctx, current) -> dict:
        keys = ctx.store.kv_get(KEYS_TABLE, current["id"].lower())
        if keys is None:
            keys = {"key1": _new_account_key(), "key2": _new_account_key()}
            ctx.store.kv_put(KEYS_TABLE, current["id"].lower(), keys)
        return dict(keys)

    @staticmethod
    def _refuse_without_local_auth(current, verb):
        if (current.get("properties") or {}).get("disableLocalAuth"):
            # Real 400 body for listKeys (Azure/terraform-azurerm-avm-res-cognitiveservices-account#130);
            # regenerateKey is refused the same way.
            raise ArmError(400, "BadRequest", f"Failed to {verb} key. disableLocalAuth is set to be true")


# The deleted-accounts routes (the engine registers them; the names are what tests call directly).
list_deleted_accounts, get_deleted_account, purge_deleted_account = AccountKind.soft_delete.handlers()


# --- subdomain check (subscription-scope route) ---------------------------------------------------

def check_domain_availability(ctx, groups):
    body = ctx.body or {}
    subdomain = body.get("subdomainName") or ""
    answer = {"subdomainName": subdomain, "type": body.get("type") or ACCOUNT_TYPE,
              "isSubdomainAvailable": True, "reason": None}
    if body.get("kind") is not None:
        answer["kind"] = body["kind"]
    if not _SUBDOMAIN.match(subdomain):
        answer.update(isSubdomainAvailable=False, reason=f"Sub domain name '{subdomain}' is not valid")
    elif _subdomain_owner(ctx, subdomain) is not None:
        answer.update(isSubdomainAvailable=False,
                      reason=f"Sub domain name '{subdomain}' is already used. Please pick a different name.")
    return 200, answer, {}


# --- deployments ---------------------------------------------------------------------------------

def _parent_busy(ctx, account_id: str, own_id: str) -> bool:
    account = ctx.store.get(account_id) or {}
    if (account.get("properties") or {}).get("provisioningState") in RUNNING_STATES:
        return True
    for sibling in ctx.store.list_type(DEPLOYMENT_TYPE, account_id + "/"):
        if sibling["id"].lower() == own_id.lower():
            continue
        if (sibling.get("properties") or {}).get("provisioningState") in RUNNING_STATES:
            return True
    return False


def _deployment_rate_limits(sku: dict) -> list[dict]:
    # One capacity unit is 1,000 tokens and 6 requests per minute for GlobalStandard/Standard chat
    # models, which Azure reports per 10-second window for requests.
    capacity = int(sku.get("capacity") or 1)
    return [{"key": "request", "renewalPeriod": 10, "count": capacity},
            {"key": "token", "renewalPeriod": 60, "count": capacity * 1000}]


def _deployment_capabilities(model_name: str) -> dict:
    name = model_name.lower()
    if "embedding" in name:
        return {"embeddings": "true", "embeddingsMaxInputs": "1"}
    return {"chatCompletion": "true", "assistants": "true", "agentsV2": "true", "responses": "true"}


# The OpenAI models Foundry deploys and their versions: the regional catalogue's (quota.py, from Learn's model
# retirement schedule); models of the other formats are not catalogued here and pass.
OPENAI_MODELS = cognitive_quota.offered_models()
MODEL_FORMATS = ("OpenAI", "Microsoft", "Meta", "Mistral AI", "Cohere", "DeepSeek", "xAI", "AI21 Labs", "Core42",
                 "Black Forest Labs", "Stability AI", "OpenAI-OSS")
DEPLOYMENT_SKUS = ("Standard", "GlobalStandard", "DataZoneStandard", "ProvisionedManaged", "GlobalProvisionedManaged",
                   "DataZoneProvisionedManaged", "GlobalBatch", "DataZoneBatch", "DeveloperTier")
# Microsoft.CognitiveServices/accounts kinds and the SKUs a kind is offered with (`az cognitiveservices account
# list-kinds`, list-skus).
ACCOUNT_KINDS = ("AIServices", "AnomalyDetector", "CognitiveServices", "ComputerVision", "ContentModerator",
                 "ContentSafety", "ConversationalLanguageUnderstanding", "CustomVision.Prediction",
                 "CustomVision.Training", "Face", "FormRecognizer", "HealthInsights", "ImmersiveReader", "LUIS",
                 "LUIS.Authoring", "LanguageAuthoring", "MetricsAdvisor", "OpenAI", "Personalizer", "QnAMaker.v2",
                 "SpeechServices", "TextAnalytics", "TextTranslation")
MODEL_ACCOUNT_SKUS = ("S0",)
OTHER_ACCOUNT_SKUS = ("F0", "S", "S0", "S1", "S2", "S3", "S4", "E0", "DC0")


def _check_kind_and_sku(kind: str, sku: str) -> None:
    if kind.lower() not in [k.lower() for k in ACCOUNT_KINDS]:
        # Code and message as Azure answers them (quoted in microsoft/microsoft-foundry-for-vscode#145).
        raise ArmError(400, "InvalidApiSetId", f"The account type '{kind}' is either invalid or unavailable in given "
                                               "region.")
    offered = MODEL_ACCOUNT_SKUS if kind.lower() in ("aiservices", "openai") else OTHER_ACCOUNT_SKUS
    if sku.upper() not in offered:
        # Azure/azure-sdk-for-java#22894, MicrosoftDocs/azure-docs#103641.
        raise ArmError(400, "SpecialFeatureOrQuotaIdRequired",
                       f"The subscription does not have QuotaId/Feature required by SKU '{sku}' from kind '{kind}'.")


def _check_model(model: dict, sku: dict) -> None:
    """Refuse a model, version or format the region does not offer, and a deployment type the model lacks."""
    name, version, model_format = model.get("name"), model.get("version"), model.get("format")
    described = f"Format: {model_format}, Name: {name}, Version: {version}"
    unknown = ArmError(400, "DeploymentModelNotSupported",
                       f"The model '{described}' of account deployment is not supported.")
    if not name:
        return
    if model_format is not None and model_format not in MODEL_FORMATS:
        raise unknown
    if (model_format or "OpenAI") == "OpenAI":
        versions = OPENAI_MODELS.get(name)
        if versions is None or (version is not None and version not in versions):
            raise unknown
    sku_name = sku.get("name")
    if sku_name is not None and sku_name not in DEPLOYMENT_SKUS:
        # hashicorp/terraform-provider-azurerm users quote this refusal.
        raise ArmError(400, "InvalidResourceProperties",
                       f"The specified SKU '{sku_name}' of account deployment is not supported by the model "
                       f"'{name}' version: '{version}'.")


class DeploymentKind(ResourceKind):
    type_name = DEPLOYMENT_TYPE
    api_versions = API_VERSIONS
    spec_versions = SPEC_VERSIONS
    has_location = False
    etag = "quoted"
    create_lro = Lro("azure-async", seconds=60, status=201, running_state="Creating")
    update_lro = Lro("azure-async", seconds=30, status=200, running_state="Accepted")
    delete_lro = Lro("azure-async", seconds=30, status=202, running_state="Deleting")
    # Real 409 for concurrent writes under one account (hashicorp/terraform-provider-azurerm#22607,
    # Azure/azure-dev#9398, Azure/Vector-Search-AI-Assistant#11).
    conflict_code = "RequestConflict"

    def validate(self, ctx, body, current):
        _check_model((body.get("properties") or {}).get("model") or {}, body.get("sku") or {})
        account_id = _account_id(ctx.resource_id)
        if _parent_busy(ctx, account_id, ctx.resource_id):
            raise ArmError(409, "RequestConflict",
                           f"Another operation is being performed on the parent resource '{account_id}'. "
                           "Please try again later.")
        # Model quota (catalogue, usages, InsufficientQuota) lives in cognitive_quota.py.
        cognitive_quota.check_deployment(ctx, ctx.store.get(account_id) or {}, body)

    def on_create(self, ctx, body):
        self._fill(body)

    def on_update(self, ctx, current, body):
        self._fill(body)

    @staticmethod
    def _fill(body):
        sku = body.get("sku") or {}
        props = body.setdefault("properties", {})
        model = props.get("model") or {}
        props.setdefault("versionUpgradeOption", "OnceNewDefaultVersionAvailable")
        props.setdefault("raiPolicyName", "Microsoft.DefaultV2")
        if sku.get("capacity") is not None:
            props["currentCapacity"] = sku["capacity"]
        props["capabilities"] = _deployment_capabilities(model.get("name") or "")
        props["rateLimits"] = _deployment_rate_limits(sku)
        props["dynamicThrottlingEnabled"] = False

    def on_provisioned(self, ctx, body):
        body.setdefault("properties", {})["provisioningState"] = "Succeeded"


# --- projects ------------------------------------------------------------------------------------

class ProjectKind(ResourceKind):
    type_name = PROJECT_TYPE
    api_versions = API_VERSIONS
    spec_versions = SPEC_VERSIONS
    etag = "quoted"
    create_lro = Lro("azure-async", seconds=30, status=201, running_state="Creating")
    update_lro = Lro("azure-async", seconds=20, status=200, running_state="Accepted")
    delete_lro = Lro("azure-async", seconds=30, status=202, running_state="Deleting")
    conflict_code = "RequestConflict"

    def validate(self, ctx, body, current):
        account = ctx.store.get(_account_id(ctx.resource_id)) or {}
        if current is None and not (account.get("properties") or {}).get("allowProjectManagement"):
            # Not found in the references: code and message chosen to name the cause plainly.
            raise ArmError(400, "BadRequest",
                           f"Account '{account.get('name', '')}' does not allow project management. Set "
                           "'allowProjectManagement' to true on the account before creating projects.")

    def on_create(self, ctx, body):
        account_id = _account_id(ctx.resource_id)
        account = ctx.store.get(account_id) or {}
        account_props = account.setdefault("properties", {})
        siblings = ctx.store.list_type(PROJECT_TYPE, account_id + "/")
        props = body.setdefault("properties", {})
        props["isDefault"] = not siblings
        props["endpoints"] = self._endpoints(account, ctx.name)
        _fill_identity(ctx, body.get("identity"))
        # The account lists its projects and names the first one its default project.
        associated = list(account_props.get("associatedProjects") or [])
        if ctx.name not in associated:
            associated.append(ctx.name)
        account_props["associatedProjects"] = associated
        account_props.setdefault("defaultProject", ctx.name)
        ctx.store.put(account["id"], ACCOUNT_TYPE, account)

    def on_update(self, ctx, current, body):
        props = body.setdefault("properties", {})
        old = current.get("properties") or {}
        props["isDefault"] = old.get("isDefault", False)
        props["endpoints"] = old.get("endpoints", {})
        _fill_identity(ctx, body.get("identity"), current.get("identity") or {})

    def on_provisioned(self, ctx, body):
        body.setdefault("properties", {})["provisioningState"] = "Succeeded"

    def on_delete(self, ctx, current):
        # The project's agents, conversations and responses go with it: the Foundry plane hears of the delete
        # (engine/events.py) and forgets them.
        account = ctx.store.get(_account_id(current["id"]))
        if not account:
            return
        props = account.setdefault("properties", {})
        name = current.get("name")
        props["associatedProjects"] = [p for p in props.get("associatedProjects") or [] if p != name]
        if props.get("defaultProject") == name:
            props.pop("defaultProject")
        ctx.store.put(account["id"], ACCOUNT_TYPE, account)

    @staticmethod
    def _endpoints(account: dict, project: str) -> dict:
        host = (account.get("properties") or {}).get("customSubDomainName") or account.get("name", "")
        return {"AI Foundry API": f"https://{host.lower()}.services.ai.azure.com/api/projects/{project}"}


# --- connections ---------------------------------------------------------------------------------

_CATEGORY_GROUPS = {
    "AzureAI": ("AIServices", "AzureOpenAI", "OpenAI", "CognitiveSearch", "CognitiveService", "Serverless",
                "ManagedOnlineEndpoint", "BingLLMSearch", "ApiManagement", "ModelGateway", "AppInsights"),
    "Azure": ("AzureBlob", "ADLSGen2", "AzureOneLake", "AzureStorageAccount", "AzureDataExplorer",
              "AzureTableStorage", "ContainerRegistry", "AzureDatabricksDeltaLake", "AzureSynapseAnalytics"),
    "Database": ("AzureSqlDb", "AzureSqlMi", "AzureMySqlDb", "AzurePostgresDb", "AzureMariaDb", "SqlServer",
                 "PostgreSql", "MySql", "MariaDb", "Oracle", "Snowflake", "Teradata", "Db2", "SapHana"),
    "NoSQL": ("CosmosDb", "CosmosDbMongoDbApi", "MongoDbV2", "MongoDbAtlas", "Cassandra", "Couchbase", "Redis"),
    "File": ("FileServer", "FtpServer", "Sftp", "S3", "AmazonS3Compatible", "GoogleCloudStorage", "Hdfs"),
    "GenericProtocol": ("ApiKey", "CustomKeys", "GenericHttp", "GenericRest", "ODataRest", "Odbc", "Git",
                        "GenericContainerRegistry", "PythonFeed"),
}


def _category_group(category: str) -> str:
    # Group is read-only and derived from the category; unmapped categories are services and apps.
    for group, categories in _CATEGORY_GROUPS.items():
        if category in categories:
            return group
    return "ServicesAndApps"


class AccountConnectionKind(ResourceKind):
    type_name = ACCOUNT_CONNECTION_TYPE
    api_versions = API_VERSIONS
    spec_versions = SPEC_VERSIONS
    has_location = False
    create_status = 200        # the SDK raises on 201
    delete_status = 200
    write_only = ("properties.credentials",)

    def validate(self, ctx, body, current):
        if not _CONNECTION_NAME.match(ctx.name or ""):
            # The pattern is the type definition's; the code and message are ours.
            raise ArmError(400, "BadRequest",
                           f"The connection name '{ctx.name}' is invalid. It must match "
                           "'^[a-zA-Z0-9][a-zA-Z0-9_-]{2,32}$'.")
        category = (body.get("properties") or {}).get("category")
        if category in GATEWAY_CATEGORIES and ctx.api_version in VERSIONS_WITHOUT_GATEWAY_CATEGORIES:
            # The RP deserialises ConnectionCategory strictly; this is the message shape ARM returns for
            # a value outside an enum.
            raise ArmError(400, "InvalidRequestContent",
                           "The request content was invalid and could not be deserialized: 'Error converting "
                           f"value \"{category}\" to type 'ConnectionCategory'. Path 'properties.category'.'")

    def on_create(self, ctx, body):
        self._fill(ctx, body)

    def on_update(self, ctx, current, body):
        self._fill(ctx, body)

    @staticmethod
    def _fill(ctx, body):
        props = body.setdefault("properties", {})
        props["group"] = _category_group(props.get("category") or "")
        props["createdByWorkspaceArmId"] = ctx.parent_id
        props.setdefault("isSharedToAll", False)
        props.setdefault("sharedUserList", [])
        props.setdefault("useWorkspaceManagedIdentity", False)
        props.setdefault("peRequirement", "NotRequired")
        props.setdefault("peStatus", "NotApplicable")
        props.setdefault("metadata", {})


class ProjectConnectionKind(AccountConnectionKind):
    type_name = PROJECT_CONNECTION_TYPE


# --- RAI blocklists ------------------------------------------------------------------------------

class BlocklistKind(ResourceKind):
    type_name = BLOCKLIST_TYPE
    api_versions = API_VERSIONS
    spec_versions = SPEC_VERSIONS
    has_location = False
    etag = "quoted"
    # begin_delete accepts 202/204 only, final-state-via location.
    delete_lro = Lro("location", seconds=5, status=202, running_state=None)


class BlocklistItemKind(BlocklistKind):
    type_name = BLOCKLIST_ITEM_TYPE


PROVIDER = Provider(
    namespace=NAMESPACE,
    kinds=[AccountKind(), DeploymentKind(), ProjectKind(), AccountConnectionKind(), ProjectConnectionKind(),
           BlocklistKind(), BlocklistItemKind()],
    routes=[
        Route("POST", r"checkDomainAvailability", check_domain_availability),
        *cognitive_quota.ROUTES,
    ],
)
