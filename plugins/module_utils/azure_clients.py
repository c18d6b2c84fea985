# -*- coding: utf-8 -*-
# Copyright: contributors to aigateway.foundry
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Azure SDK clients the modules use, the API versions they call, and raw-JSON call helpers.

API versions live here (API_VERSIONS) and nowhere else.  Each service's SDK is imported only when a module asks for that
service, so a task pays for the one client it uses.  Modules work in ARM JSON (the shapes of Microsoft's specs,
which the diff shows): bodies go in as JSON bytes and responses come back as parsed JSON via ``raw``.
"""

from __future__ import annotations

import json

# Every api-version a module sends, in this one table, pinned so that a new SDK major cannot move a wire version while
# localazure/specs stays where it is (tests/unit/plugins/module_utils/test_api_versions.py holds every entry equal to
# a vendored definition, and every module to this table). Keys: a namespace or resource type, whose SDK client
# (SERVICES) or generic-client calls send the version; "<type>:<property>" for a property only a newer version
# defines, which a module sends only when that property is asked for (bodies stay raw ARM JSON either way).
API_VERSIONS = {
    "Microsoft.Resources": "2025-04-01",
    "Microsoft.ApiManagement": "2024-05-01",
    # 2025-12-01 is the first stable version with the ApiManagement and ModelGateway connection categories.
    "Microsoft.CognitiveServices": "2025-12-01",
    "Microsoft.Authorization": "2022-04-01",
    "Microsoft.Insights/components": "2020-02-02",
    "Microsoft.OperationalInsights": "2025-07-01",
    "Microsoft.Cache": "2025-07-01",
    # The vault and secret bodies we send are those of 2024-11-01.
    "Microsoft.KeyVault": "2024-11-01",
    # Types no current SDK package carries (azure-mgmt-monitor 7 dropped diagnostic settings): the generic client.
    "Microsoft.Insights/diagnosticSettings": "2021-05-01-preview",
    "Microsoft.Resources/providers": "2025-04-01",
    # LLM message logging and the service's release channel exist from 2024-06-01-preview on.
    "Microsoft.ApiManagement/service/diagnostics:largeLanguageModel": "2024-06-01-preview",
    "Microsoft.ApiManagement/service/apis/diagnostics:largeLanguageModel": "2024-06-01-preview",
    "Microsoft.ApiManagement/service:releaseChannel": "2024-06-01-preview",
}

# service -> (import path, client class, PyPI package, the API_VERSIONS key of every call the client makes)
SERVICES = {
    "resource": ("azure.mgmt.resource.resources", "ResourceManagementClient", "azure-mgmt-resource",
                 "Microsoft.Resources"),
    "apimanagement": ("azure.mgmt.apimanagement", "ApiManagementClient", "azure-mgmt-apimanagement",
                      "Microsoft.ApiManagement"),
    "cognitiveservices": ("azure.mgmt.cognitiveservices", "CognitiveServicesManagementClient",
                          "azure-mgmt-cognitiveservices", "Microsoft.CognitiveServices"),
    "authorization": ("azure.mgmt.authorization", "AuthorizationManagementClient", "azure-mgmt-authorization",
                      "Microsoft.Authorization"),
    "applicationinsights": ("azure.mgmt.applicationinsights", "ApplicationInsightsManagementClient",
                            "azure-mgmt-applicationinsights", "Microsoft.Insights/components"),
    "loganalytics": ("azure.mgmt.loganalytics", "LogAnalyticsManagementClient", "azure-mgmt-loganalytics",
                     "Microsoft.OperationalInsights"),
    "redisenterprise": ("azure.mgmt.redisenterprise", "RedisEnterpriseManagementClient",
                        "azure-mgmt-redisenterprise", "Microsoft.Cache"),
    "keyvault": ("azure.mgmt.keyvault", "KeyVaultManagementClient", "azure-mgmt-keyvault", "Microsoft.KeyVault"),
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

    import_path, class_name, package, versioned = SERVICES[service]
    try:
        module = importlib.import_module(import_path)
    except ImportError as exc:
        raise MissingSdk(package, import_path, exc)
    return getattr(module, class_name), API_VERSIONS[versioned]


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
