# -*- coding: utf-8 -*-
# Copyright: contributors to aigateway.foundry
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Azure SDK clients the modules use, the API versions they call, and raw-JSON call helpers.

API versions live here and nowhere else.  Each service's SDK is imported only when a module asks for that
service, so a task pays for the one client it uses.  Modules work in ARM JSON (the shapes of Microsoft's specs,
which the diff shows): bodies go in as JSON bytes and responses come back as parsed JSON via ``raw``.
"""

from __future__ import annotations

import json

# service -> (import path, client class, PyPI package, api_version or None for the SDK's default)
SERVICES = {
    "resource": ("azure.mgmt.resource.resources", "ResourceManagementClient", "azure-mgmt-resource", None),
    "apimanagement": ("azure.mgmt.apimanagement", "ApiManagementClient", "azure-mgmt-apimanagement", None),
    # 2025-12-01 is the first stable version with the ApiManagement and ModelGateway connection categories.
    "cognitiveservices": ("azure.mgmt.cognitiveservices", "CognitiveServicesManagementClient",
                          "azure-mgmt-cognitiveservices", "2025-12-01"),
    "authorization": ("azure.mgmt.authorization", "AuthorizationManagementClient", "azure-mgmt-authorization",
                      None),
    "applicationinsights": ("azure.mgmt.applicationinsights", "ApplicationInsightsManagementClient",
                            "azure-mgmt-applicationinsights", None),
    "loganalytics": ("azure.mgmt.loganalytics", "LogAnalyticsManagementClient", "azure-mgmt-loganalytics", None),
    "redisenterprise": ("azure.mgmt.redisenterprise", "RedisEnterpriseManagementClient",
                        "azure-mgmt-redisenterprise", None),
    # The vault and secret bodies we send are those of 2024-11-01 (the definitions in localazure/specs).
    "keyvault": ("azure.mgmt.keyvault", "KeyVaultManagementClient", "azure-mgmt-keyvault", "2024-11-01"),
}

# Resource types no current SDK package carries (azure-mgmt-monitor 7 dropped diagnostic settings): the
# modules call them through the generic ARM client with these versions.
REST_API_VERSIONS = {
    "Microsoft.Insights/diagnosticSettings": "2021-05-01-preview",
    "Microsoft.Resources/providers": "2025-04-01",
}

# Resource types whose newer properties the SDK's API version lacks: a module calls them at this version (raw ARM
# JSON, Resource(api_version=...)) only when one of those properties is asked for.
NEWER_API_VERSIONS = {
    # The diagnostic's largeLanguageModel (LLM message logging) and the service's releaseChannel.
    "Microsoft.ApiManagement/service/diagnostics": "2024-06-01-preview",
    "Microsoft.ApiManagement/service/apis/diagnostics": "2024-06-01-preview",
    "Microsoft.ApiManagement/service": "2024-06-01-preview",
}

# A write on a resource that is busy with another operation answers 409 with one of these codes; the write is
# retried after a pause instead of failing the task.
TRANSIENT_CONFLICT_CODES = frozenset([
    "AnotherOperationInProgress",
    "PessimisticConcurrencyConflict",
    "RequestConflict",
    "Conflict",
    "OperationInProgress",
])


# A role assignment for a principal created moments ago can be refused with 400 PrincipalNotFound while the new
# principal replicates in Microsoft Entra ID (Learn, "Troubleshoot Azure RBAC", learn.microsoft.com/azure/
# role-based-access-control/troubleshooting: "this error might be related to a replication delay"; setting
# principalType avoids the lookup). The write is retried for at most REPLICATION_DELAY_WAIT seconds (others retry it
# too: hashicorp/terraform-provider-azurerm PR #1647, 5 minutes); a principal that never appears still fails.
REPLICATION_DELAY_CODES = frozenset([
    "PrincipalNotFound",
])
REPLICATION_DELAY_WAIT = 300

# Role assignment changes take up to 10 minutes to take effect (Learn, "Troubleshoot Azure RBAC": "it can take up
# to 10 minutes for changes to take effect"): a proof that needs a role granted in the same run waits this long on
# Azure (group_vars: aigw_verify_*_retries x aigw_verify_*_delay).
ROLE_PROPAGATION_SECONDS = 600


class MissingSdk(Exception):
    def __init__(self, package, import_path, error):
        Exception.__init__(self, "The Python package %s is required on the host that runs this module "
                                 "(import %s failed: %s). Install the collection's requirements.txt."
                           % (package, import_path, error))
        self.package = package


def import_client_class(service):
    import importlib  # pylint: disable=import-outside-toplevel

    import_path, class_name, package, api_version = SERVICES[service]
    try:
        module = importlib.import_module(import_path)
    except ImportError as exc:
        raise MissingSdk(package, import_path, exc)
    return getattr(module, class_name), api_version


def raw(pipeline_response, deserialized, headers):  # pylint: disable=unused-argument
    """``cls`` hook for SDK operations: the response's JSON body (None when empty) and its headers."""
    http = pipeline_response.http_response
    try:
        text = http.text()
    except Exception:  # pylint: disable=broad-except
        # The one broad except in module_utils, and no error path: azure.core.rest responses raise (an error type
        # that differs between azure-core versions) until read, legacy transport responses need no read.
        http.read()
        text = http.text()
    body = json.loads(text) if text and text.strip() else None
    return body, dict(http.headers)


def json_body(body):
    """An SDK operation's body parameter from ARM JSON (the SDKs accept IO[bytes] with application/json)."""
    import io  # pylint: disable=import-outside-toplevel

    return io.BytesIO(json.dumps(body).encode("utf-8"))


def etag_of(headers, body=None):
    """The resource's ETag as If-Match expects it (quoted), from the header or the body."""
    for key, value in (headers or {}).items():
        if key.lower() == "etag" and value:
            return value
    tag = (body or {}).get("etag")
    if not tag:
        return None
    return tag if tag.startswith('"') else '"%s"' % tag
