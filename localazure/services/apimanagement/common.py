"""Microsoft.ApiManagement in the local endpoint: the names, api-versions and errors every part shares (the service,
its children, its policies), and the tables the gateway's data plane reads.
"""
from __future__ import annotations

import re
import secrets
from datetime import timedelta

from localazure.engine.contract import ArmError

NAMESPACE = "Microsoft.ApiManagement"
SERVICE_TYPE = f"{NAMESPACE}/service"
API_TYPE = f"{SERVICE_TYPE}/apis"
OPERATION_TYPE = f"{API_TYPE}/operations"
NAMED_VALUE_TYPE = f"{SERVICE_TYPE}/namedValues"
SUBSCRIPTION_TYPE = f"{SERVICE_TYPE}/subscriptions"
BACKEND_TYPE = f"{SERVICE_TYPE}/backends"
PRODUCT_TYPE = f"{SERVICE_TYPE}/products"
CACHE_TYPE = f"{SERVICE_TYPE}/caches"
DELETED_SERVICE_TYPE = f"{NAMESPACE}/deletedservices"
# The definitions' type of the deleted-services answers (the body's `type` above is what Azure returns).
DELETED_SERVICES_SPEC_TYPE = f"{NAMESPACE}/locations/deletedservices"

# 2024-05-01 is the SDK's; the previews are the lab's; the older ones are what the lab and foundry-samples
# templates use for `existing` references, loggers and diagnostics (the AI-Gateway lab's Bicep modules).
# 2024-06-01-preview is checked against its own definitions (the first with the diagnostic's `largeLanguageModel`
# and the service's `releaseChannel`, which the collection sends at that version); the others against 2024-05-01.
API_VERSIONS = ("2024-05-01", "2024-06-01-preview", "2025-03-01-preview", "2021-08-01", "2021-12-01-preview",
                "2022-08-01")
SPEC_VERSIONS = {**{version: "2024-05-01" for version in API_VERSIONS}, "2024-06-01-preview": "2024-06-01-preview"}

DELETED_TABLE = "apimanagement.deletedServices"
SECRETS_TABLE = "apimanagement.secrets"       # subscription keys and secret named values, by resource id
PRODUCT_APIS_TABLE = "apimanagement.productApis"
SOFT_DELETE_RETENTION = timedelta(hours=48)   # learn.microsoft.com/azure/api-management/soft-delete

# The exact code Azure returns for writes while a service activates is not recorded (localazure/PROTOCOL.md §5);
# data-plane tooling reports "API Management service is activating" (microsoft/vscode-apimanagement#328).
ACTIVATING_CONFLICT_CODE = "ServiceActivating"
SERVICE_ID_PATTERN = re.compile(r"^/subscriptions/(?P<sub>[^/]+)/resourceGroups/(?P<rg>[^/]+)/providers/"
                         r"Microsoft\.ApiManagement/service/(?P<name>[^/]+)", re.IGNORECASE)

def apim_error(status: int, code: str, message: str) -> ArmError:
    # APIM error bodies carry "details": null and "innerError": null beside code/message (§4 InvalidParameters).
    return ArmError(status, code, message, extra={"details": None, "innerError": None})


def validation_error(message: str, target: str, detail: str) -> ArmError:
    return ArmError(400, "ValidationError", message,
                    details=[{"code": "ValidationError", "target": target, "message": detail}])


def service_id_of(resource_id: str) -> str:
    return SERVICE_ID_PATTERN.match(resource_id).group(0)


def refuse_while_activating(ctx) -> None:
    service = ctx.store.get(service_id_of(ctx.resource_id)) or {}
    state = (service.get("properties") or {}).get("provisioningState")
    # Only activation blocks child writes; while an update (e.g. a scale) runs, the gateway is live.
    if state in ("Created", "Activating"):
        raise apim_error(409, ACTIVATING_CONFLICT_CODE,
                     f"API Management service '{service.get('name')}' is activating (provisioningState "
                     f"'{state}'). Retry once the service is active.")


def without_body_etag(body):
    # APIM children carry their ETag in the header only (recorded backend create, localazure/PROTOCOL.md §6, §8.1).
    body.pop("etag", None)
    return body


# The api-versions that define the diagnostic's `largeLanguageModel` and the service's `releaseChannel`; an older
# version's answer does not carry them, as ARM answers in the shape of the version asked for.
PREVIEW_PROPERTY_VERSIONS = ("2024-06-01-preview", "2025-03-01-preview")


def in_version(ctx, body: dict, preview_property: str) -> dict:
    """`body` as the request's api-version shows it: without a property only the previews define."""
    props = body.get("properties")
    if ctx.api_version in PREVIEW_PROPERTY_VERSIONS or not isinstance(props, dict) or preview_property not in props:
        return body
    return {**body, "properties": {key: value for key, value in props.items() if key != preview_property}}


def new_key() -> str:
    return secrets.token_hex(16)   # subscription keys are 32 hex characters
