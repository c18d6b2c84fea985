#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to aigateway.foundry
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: apim_logger
short_description: Create, update or delete an Azure API Management logger
version_added: 0.1.0
description:
  - Ensures a logger of an API Management service exists (Application Insights, Azure Monitor or Event Hubs), or
    that it is deleted. Diagnostics (M(aigateway.foundry.apim_diagnostic)) send their telemetry to a logger.
  - The credentials (an Application Insights connection string or instrumentation key, an Event Hubs connection
    string) are write-only; API Management keeps them in a secret named value and returns only a reference such
    as C({{Logger-Credentials--5f1e...}}). They cannot be compared, see O(update_credentials).
  - Idempotent, with check mode (predicts the state without writing) and diff mode. Updates and deletes send the
    logger's ETag (If-Match).
author:
  - aigateway.foundry maintainers (@aigateway)
extends_documentation_fragment: [aigateway.foundry.resource.APIM_CHILD, aigateway.foundry.azure]
options:
  name:
    description: The logger's name (id), for example V(appinsights-logger) or V(azuremonitor).
    type: str
    required: true
  logger_type:
    description:
      - The kind of logger. Required to create one; the type of an existing logger cannot change.
      - V(azureMonitor) sends to the service's diagnostic settings (Log Analytics) and takes no credentials.
    type: str
    choices: [applicationInsights, azureMonitor, azureEventHub]
  description:
    description: The logger's description (at most 256 characters).
    type: str
  is_buffered:
    description: Buffer records before publishing them (the service's default is V(true)).
    type: bool
  resource_id:
    description: The resource id of the log target (the Application Insights component or the Event Hub).
    type: str
  app_insights_connection_string:
    description:
      - The Application Insights connection string (for O(logger_type=applicationInsights)). Preferred over
        the instrumentation key.
    type: str
  app_insights_instrumentation_key:
    description:
      - The Application Insights instrumentation key (for O(logger_type=applicationInsights)), an alternative to
        O(app_insights_connection_string). Treated as a secret because it grants ingestion.
    type: str
  event_hub_name:
    description: The Event Hub's name (for O(logger_type=azureEventHub)).
    type: str
  event_hub_connection_string:
    description: A connection string with Send rights on the Event Hub (for O(logger_type=azureEventHub)).
    type: str
  update_credentials:
    description:
      - V(on_create) sends the credentials when the logger is created and whenever another setting changes.
      - V(always) writes the logger on every run, because the stored credentials cannot be read back; the task
        then always reports a change.
    type: str
    choices: [always, on_create]
    default: on_create
"""

EXAMPLES = r"""
- name: Application Insights logger
  aigateway.foundry.apim_logger:
    resource_group: rg-ai-gateway
    service: apim-ai-gateway-01
    name: appinsights-logger
    logger_type: applicationInsights
    description: APIM logger for Application Insights
    is_buffered: false
    resource_id: "{{ app_insights.id }}"
    app_insights_connection_string: "{{ app_insights.connection_string }}"

- name: Azure Monitor logger (resource logs through diagnostic settings)
  aigateway.foundry.apim_logger:
    resource_group: rg-ai-gateway
    service: apim-ai-gateway-01
    name: azuremonitor
    logger_type: azureMonitor
    is_buffered: false
"""

RETURN = r"""
id:
  description: The logger's resource id.
  returned: when the logger exists (or would exist in check mode)
  type: str
  sample: /subscriptions/0000/resourceGroups/rg-ai-gateway/providers/Microsoft.ApiManagement/service/apim-ai-gateway-01/loggers/azuremonitor
state:
  description:
    - The logger as Resource Manager returns it (predicted in check mode, without credentials); null when absent.
    - Credentials appear only as API Management's named value references, never as values.
  returned: always
  type: dict
  sample: {"name": "azuremonitor", "properties": {"loggerType": "azureMonitor", "isBuffered": false}}
"""

import re

from ansible_collections.aigateway.foundry.plugins.module_utils.apim import ApimChild, name_problem
from ansible_collections.aigateway.foundry.plugins.module_utils.arm_resource import apim_child_spec, from_current, lower, run_resource
from ansible_collections.aigateway.foundry.plugins.module_utils.azure_module import AzureCodeError, AzureModule

ARGUMENT_SPEC = apim_child_spec(
    logger_type=dict(type="str", choices=["applicationInsights", "azureMonitor", "azureEventHub"]),
    description=dict(type="str"),
    is_buffered=dict(type="bool"),
    resource_id=dict(type="str"),
    app_insights_connection_string=dict(type="str", no_log=True),
    app_insights_instrumentation_key=dict(type="str", no_log=True),
    event_hub_name=dict(type="str"),
    event_hub_connection_string=dict(type="str", no_log=True),
    update_credentials=dict(type="str", choices=["always", "on_create"], default="on_create"),
)


def credential_problem(kind, params):
    """What is wrong with the credentials given for a logger of ``kind``, or None."""
    ai_keys = [k for k in ("app_insights_connection_string", "app_insights_instrumentation_key") if params[k]]
    hub_keys = [k for k in ("event_hub_name", "event_hub_connection_string") if params[k]]
    if len(ai_keys) > 1:
        return "give app_insights_connection_string or app_insights_instrumentation_key, not both"
    if kind == "applicationInsights":
        if hub_keys:
            return "%s needs logger_type azureEventHub" % ", ".join(hub_keys)
        if not ai_keys:
            return ("an applicationInsights logger needs app_insights_connection_string or "
                    "app_insights_instrumentation_key")
    elif kind == "azureEventHub":
        if ai_keys:
            return "%s needs logger_type applicationInsights" % ai_keys[0]
        if len(hub_keys) != 2:
            return "an azureEventHub logger needs event_hub_name and event_hub_connection_string"
    elif ai_keys or hub_keys:
        return "an azureMonitor logger takes no credentials (%s)" % ", ".join(ai_keys + hub_keys)
    return None


def validate(params, current):
    """Problems with the input, found before anything is written."""
    problem = name_problem("logger", params["name"], 256)
    if problem or params["state"] == "absent":
        return problem
    kind = params["logger_type"]
    current_kind = ((current or {}).get("properties") or {}).get("loggerType")
    if kind is None:
        if current is None:
            return "logger_type is required to create logger %s" % params["name"]
        kind = current_kind
    elif current_kind and current_kind.lower() != kind.lower():
        return ("logger %s is of type %s; a logger's type cannot change to %s (delete it first)"
                % (params["name"], current_kind, kind))
    problem = credential_problem(kind, params)
    if problem:
        return problem
    if params["description"] is not None and len(params["description"]) > 256:
        return "description must be at most 256 characters"
    return None


def credentials_body(params):
    if params["app_insights_connection_string"]:
        return {"connectionString": params["app_insights_connection_string"]}
    if params["app_insights_instrumentation_key"]:
        return {"instrumentationKey": params["app_insights_instrumentation_key"]}
    if params["event_hub_connection_string"]:
        return {"name": params["event_hub_name"], "connectionString": params["event_hub_connection_string"]}
    return None


def desired_body(params, current):
    """The logger body this task manages (ARM JSON of Microsoft.ApiManagement/service/loggers)."""
    props = {"loggerType": params["logger_type"] or current["properties"]["loggerType"]}
    for option, key in (("description", "description"), ("is_buffered", "isBuffered"),
                        ("resource_id", "resourceId")):
        if params[option] is not None:
            props[key] = params[option]
    credentials = credentials_body(params)
    if credentials:
        props["credentials"] = credentials
    return {"properties": props}


# APIM keeps a logger's credentials in a secret named value of its own and shows "{{Logger-Credentials--<id>}}"
# (learn.microsoft.com/azure/api-management/api-management-howto-app-insights); deleting the logger leaves it.
CREDENTIAL_REFERENCE = re.compile(r"\A\{\{(Logger-Credentials--[0-9A-Za-z]+)\}\}\Z")


def credential_named_values(logger):
    """The named values APIM made for the credentials of ``logger`` (never one a user named himself)."""
    credentials = ((logger or {}).get("properties") or {}).get("credentials") or {}
    found = (CREDENTIAL_REFERENCE.match(value) for value in credentials.values() if isinstance(value, str))
    return sorted(match.group(1) for match in found if match)


class Logger(ApimChild):
    """A logger leaves with the credential named values APIM made for it, so nothing of it stays behind."""

    def delete(self, module, target):
        ApimChild.delete(self, module, target)
        named_values = module.client("apimanagement").named_value
        for name in credential_named_values(target.current):
            action = "delete named value %s of logger %s" % (name, target.names[-1])
            try:
                module.call(action, named_values.delete, *(target.names[:-1] + (name,)), if_match="*",
                            expect=("ResourceNotFound",))
            except AzureCodeError:
                pass   # already gone: what this step wants


NORMALISERS = {"properties.resourceId": lower}
RESOURCE = Logger("loggers", "logger", "logger", write_only=("properties.credentials",),
                  update_option="update_credentials", normalisers=NORMALISERS)


def main():
    run_resource(AzureModule(ARGUMENT_SPEC), RESOURCE, validate, from_current(desired_body))


if __name__ == "__main__":
    main()
