#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to aigateway.foundry
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: apim_diagnostic
short_description: Create, update or delete an Azure API Management diagnostic (service-wide or for one API)
version_added: 0.1.0
description:
  - Ensures a diagnostic exists, which sends request telemetry of the whole service or of one API (O(api)) to a
    logger (M(aigateway.foundry.apim_logger)), or that it is deleted.
  - O(metrics=true) on an Application Insights diagnostic is what the C(llm-emit-token-metric) and
    C(azure-openai-emit-token-metric) policies need.
  - The logger must exist; a missing one fails the task before anything is written.
  - O(large_language_model) logs prompts and completions of LLM APIs (the C(ApiManagementGatewayLlmLog) table of an
    C(azuremonitor) diagnostic). Only API version 2024-06-01-preview defines it, so with that option the module
    reads and writes the diagnostic at that version; without it, at the SDK's 2024-05-01. It never sends a
    property its API version does not define.
  - Idempotent, with check mode (predicts the state without writing) and diff mode. Updates and deletes send the
    diagnostic's ETag (If-Match).
author:
  - aigateway.foundry maintainers (@aigateway)
extends_documentation_fragment: [aigateway.foundry.resource.APIM_CHILD, aigateway.foundry.azure]
options:
  api:
    description: The API's name for an API diagnostic; omit for the service-wide diagnostic.
    type: str
  name:
    description: The diagnostic's id, V(applicationinsights) or V(azuremonitor) (one per kind of logger).
    type: str
    required: true
  logger:
    description: The logger's name or resource id. Required to create a diagnostic.
    type: str
  always_log:
    description: Log these messages whatever the sampling, V(allErrors).
    type: str
    choices: [allErrors]
  verbosity:
    description: The verbosity of traces emitted by trace policies.
    type: str
    choices: [error, information, verbose]
  log_client_ip:
    description: Log the client's IP address.
    type: bool
  http_correlation_protocol:
    description: The correlation protocol for Application Insights diagnostics.
    type: str
    choices: [Legacy, None, W3C]
  operation_name_format:
    description: How Application Insights names operations.
    type: str
    choices: [Name, Url]
  metrics:
    description: Emit custom metrics through the C(emit-metric) policies (Application Insights diagnostics only).
    type: bool
  sampling_percentage:
    description: Fixed-rate sampling, the percentage of requests logged (0-100).
    type: int
  frontend_request:
    description: What to log of requests as the gateway receives them.
    type: dict
    suboptions: &message
      headers:
        description: The HTTP headers to log.
        type: list
        elements: str
      body_bytes:
        description: How many bytes of the body to log (0-8192).
        type: int
  frontend_response:
    description: What to log of responses as the gateway returns them.
    type: dict
    suboptions: *message
  backend_request:
    description: What to log of requests as the gateway sends them to the backend.
    type: dict
    suboptions: *message
  backend_response:
    description: What to log of responses as the backend returns them.
    type: dict
    suboptions: *message
  large_language_model:
    description:
      - LLM message logging (C(largeLanguageModel), API version 2024-06-01-preview), as the AI gateway lab sets it
        on its C(azuremonitor) diagnostic. Unmanaged when omitted.
      - See U(https://learn.microsoft.com/azure/api-management/api-management-howto-llm-logs).
    type: dict
    suboptions:
      logs:
        description: Whether LLM logs are on.
        type: str
        choices: [enabled, disabled]
        required: true
      requests:
        description: What to log of the prompts.
        type: dict
        suboptions: &llm_message
          messages:
            description: Which messages to log; V(all) is the only value Azure defines.
            type: str
            choices: [all]
          max_size_in_bytes:
            description: At most this many bytes of each message (1-262144; Azure's default is 32768).
            type: int
      responses:
        description: What to log of the completions.
        type: dict
        suboptions: *llm_message
"""

EXAMPLES = r"""
- name: Application Insights diagnostic of the inference API, with custom metrics for token counts
  aigateway.foundry.apim_diagnostic:
    resource_group: rg-ai-gateway
    service: apim-ai-gateway-01
    api: inference-api
    name: applicationinsights
    logger: appinsights-logger
    always_log: allErrors
    http_correlation_protocol: W3C
    log_client_ip: true
    metrics: true
    verbosity: verbose
    sampling_percentage: 100
    frontend_request: &log
      headers: [Content-type, User-agent, x-ms-region, x-ratelimit-remaining-tokens]
      body_bytes: 8192
    frontend_response: *log
    backend_request: *log
    backend_response: *log

- name: Gateway and LLM logs of the inference API to Azure Monitor, prompts and completions up to 256 KiB
  aigateway.foundry.apim_diagnostic:
    resource_group: rg-ai-gateway
    service: apim-ai-gateway-01
    api: inference-api
    name: azuremonitor
    logger: azuremonitor
    always_log: allErrors
    verbosity: verbose
    log_client_ip: true
    sampling_percentage: 100
    large_language_model:
      logs: enabled
      requests: {messages: all, max_size_in_bytes: 262144}
      responses: {messages: all, max_size_in_bytes: 262144}
"""

RETURN = r"""
id:
  description: The diagnostic's resource id.
  returned: when the diagnostic exists (or would exist in check mode)
  type: str
  sample: /subscriptions/0000/resourceGroups/rg-ai-gateway/providers/Microsoft.ApiManagement/service/apim-01/apis/inference-api/diagnostics/applicationinsights
state:
  description: The diagnostic as Resource Manager returns it (predicted in check mode); null when absent.
  returned: always
  type: dict
"""

from ansible_collections.aigateway.foundry.plugins.module_utils.apim import ApimChild, name_problem, service_id
from ansible_collections.aigateway.foundry.plugins.module_utils.arm_resource import apim_child_spec, run_resource
from ansible_collections.aigateway.foundry.plugins.module_utils.azure_clients import API_VERSIONS
from ansible_collections.aigateway.foundry.plugins.module_utils.azure_module import AzureModule

MESSAGE_SPEC = dict(
    headers=dict(type="list", elements="str"),
    body_bytes=dict(type="int"),
)
LLM_MESSAGE_SPEC = dict(
    messages=dict(type="str", choices=["all"]),
    max_size_in_bytes=dict(type="int"),
)
MESSAGES = (("frontend_request", "frontend", "request"), ("frontend_response", "frontend", "response"),
            ("backend_request", "backend", "request"), ("backend_response", "backend", "response"))

ARGUMENT_SPEC = apim_child_spec(
    api=dict(type="str"),
    logger=dict(type="str"),
    always_log=dict(type="str", choices=["allErrors"]),
    verbosity=dict(type="str", choices=["error", "information", "verbose"]),
    log_client_ip=dict(type="bool"),
    http_correlation_protocol=dict(type="str", choices=["Legacy", "None", "W3C"]),
    operation_name_format=dict(type="str", choices=["Name", "Url"]),
    metrics=dict(type="bool"),
    sampling_percentage=dict(type="int"),
    frontend_request=dict(type="dict", options=MESSAGE_SPEC),
    frontend_response=dict(type="dict", options=MESSAGE_SPEC),
    backend_request=dict(type="dict", options=MESSAGE_SPEC),
    backend_response=dict(type="dict", options=MESSAGE_SPEC),
    large_language_model=dict(type="dict", options=dict(
        logs=dict(type="str", choices=["enabled", "disabled"], required=True),
        requests=dict(type="dict", options=LLM_MESSAGE_SPEC),
        responses=dict(type="dict", options=LLM_MESSAGE_SPEC))),
)

MAX_BODY_BYTES = 8192
MAX_LLM_MESSAGE_BYTES = 262144


def logger_name(reference):
    """A logger's name from its name, '/loggers/<name>' or its resource id."""
    return reference.rstrip("/").split("/")[-1] if isinstance(reference, str) else reference


def validate(params, current):
    """Problems with the input, found before anything is written."""
    problem = name_problem("diagnostic", params["name"], 80)
    if problem or params["state"] == "absent":
        return problem
    if current is None and not params["logger"]:
        return "logger is required to create diagnostic %s" % params["name"]
    if params["sampling_percentage"] is not None and not 0 <= params["sampling_percentage"] <= 100:
        return "sampling_percentage must be 0-100, not %s" % params["sampling_percentage"]
    for option, _side, _direction in MESSAGES:
        settings = params[option] or {}
        if settings.get("body_bytes") is not None and not 0 <= settings["body_bytes"] <= MAX_BODY_BYTES:
            return "%s.body_bytes must be 0-%d" % (option, MAX_BODY_BYTES)
    for direction in ("requests", "responses"):
        size = ((params["large_language_model"] or {}).get(direction) or {}).get("max_size_in_bytes")
        if size is not None and not 1 <= size <= MAX_LLM_MESSAGE_BYTES:
            return "large_language_model.%s.max_size_in_bytes must be 1-%d, not %s" % (
                direction, MAX_LLM_MESSAGE_BYTES, size)
    return None


def llm_body(settings):
    """largeLanguageModel as 2024-06-01-preview defines it (LLMDiagnosticSettings)."""
    body = {"logs": settings["logs"]}
    for direction in ("requests", "responses"):
        message = settings.get(direction)
        if message is not None:
            body[direction] = dict((key, message[option]) for option, key in
                                   (("messages", "messages"), ("max_size_in_bytes", "maxSizeInBytes"))
                                   if message.get(option) is not None)
    return body


def message_body(settings):
    body = {}
    if settings.get("headers") is not None:
        body["headers"] = list(settings["headers"])
    if settings.get("body_bytes") is not None:
        body["body"] = {"bytes": settings["body_bytes"]}
    return body


def desired_body(params, base_id):
    """The diagnostic body this task manages (ARM JSON of .../diagnostics at 2024-05-01, or 2024-06-01-preview with
    largeLanguageModel)."""
    props = {}
    if params["logger"]:
        props["loggerId"] = "%s/loggers/%s" % (base_id, logger_name(params["logger"]))
    for option, key in (("always_log", "alwaysLog"), ("verbosity", "verbosity"), ("log_client_ip", "logClientIp"),
                        ("http_correlation_protocol", "httpCorrelationProtocol"),
                        ("operation_name_format", "operationNameFormat"), ("metrics", "metrics")):
        if params[option] is not None:
            props[key] = params[option]
    if params["sampling_percentage"] is not None:
        props["sampling"] = {"samplingType": "fixed", "percentage": params["sampling_percentage"]}
    for option, side, direction in MESSAGES:
        if params[option] is not None:
            props.setdefault(side, {})[direction] = message_body(params[option])
    if params["large_language_model"] is not None:
        props["largeLanguageModel"] = llm_body(params["large_language_model"])
    return {"properties": props}


def _header_set(value):
    return sorted(h.lower() for h in value) if isinstance(value, list) else value


NORMALISERS = {
    "properties.loggerId": lambda v: logger_name(v).lower() if isinstance(v, str) else v,
    "properties.frontend.request.headers": _header_set,
    "properties.frontend.response.headers": _header_set,
    "properties.backend.request.headers": _header_set,
    "properties.backend.response.headers": _header_set,
}


def newer_version_for_llm(arm_type):
    """The API version that defines largeLanguageModel, when the task manages it; else the SDK's."""
    return lambda params: (API_VERSIONS[arm_type + ":largeLanguageModel"] if params["large_language_model"] is not None
                           else None)


# A diagnostic of the whole service, or of one API when ``api`` is given.
SERVICE_DIAGNOSTIC = ApimChild("diagnostics", "diagnostic", "diagnostic", normalisers=NORMALISERS,
                               api_version=newer_version_for_llm("Microsoft.ApiManagement/service/diagnostics"))
API_DIAGNOSTIC = ApimChild("apis/diagnostics", "diagnostic", "api_diagnostic",
                           parents=("resource_group", "service", "api"), normalisers=NORMALISERS,
                           api_version=newer_version_for_llm("Microsoft.ApiManagement/service/apis/diagnostics"))
LOGGER = ApimChild("loggers", "logger", "logger")


def logger_problem(module, params):
    if params["state"] == "present" and params["logger"] and \
            LOGGER.describe_named(module, logger_name(params["logger"])) is None:
        return ("diagnostic %s: logger %s not found in service %s; create it first"
                % (params["name"], logger_name(params["logger"]), params["service"]))
    return None


def main():
    module = AzureModule(ARGUMENT_SPEC)
    params = module.params
    run_resource(module, API_DIAGNOSTIC if params["api"] else SERVICE_DIAGNOSTIC,
                 lambda params, current: validate(params, current) or logger_problem(module, params),
                 lambda params, target: desired_body(params, service_id(module.subscription_id, params["resource_group"],
                                                                        params["service"])))


if __name__ == "__main__":
    main()
