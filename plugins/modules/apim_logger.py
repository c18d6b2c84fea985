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
options:
  resource_group:
    description: The resource group of the API Management service.
    type: str
    required: true
  service:
    description: The API Management service's name.
    type: str
    required: true
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
  state:
    description: Whether the logger should exist.
    type: str
    choices: [present, absent]
    default: present
extends_documentation_fragment:
  - aigateway.foundry.azure
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
  platform:
    platforms: posix
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

from ansible_collections.aigateway.foundry.plugins.module_utils.apim import (
    converge_write_only,
    read_with_etag,
    service_id,
    remove_child,
)
from ansible_collections.aigateway.foundry.plugins.module_utils.azure_clients import json_body, raw
from ansible_collections.aigateway.foundry.plugins.module_utils.azure_module import AzureModule
from ansible_collections.aigateway.foundry.plugins.module_utils.azure_state import diff_view, drop_paths

ARGUMENT_SPEC = dict(
    resource_group=dict(type="str", required=True),
    service=dict(type="str", required=True),
    name=dict(type="str", required=True),
    logger_type=dict(type="str", choices=["applicationInsights", "azureMonitor", "azureEventHub"]),
    description=dict(type="str"),
    is_buffered=dict(type="bool"),
    resource_id=dict(type="str"),
    app_insights_connection_string=dict(type="str", no_log=True),
    app_insights_instrumentation_key=dict(type="str", no_log=True),
    event_hub_name=dict(type="str"),
    event_hub_connection_string=dict(type="str", no_log=True),
    update_credentials=dict(type="str", choices=["always", "on_create"], default="on_create"),
    state=dict(type="str", choices=["present", "absent"], default="present"),
)

CREDENTIALS = "properties.credentials"
NAME_PATTERN = re.compile(r"^[^*#&+:<>?]{1,256}$")


def validate(params, current):
    """Problems with the input, found before anything is written."""
    if not NAME_PATTERN.match(params["name"]):
        return "logger name must be 1-256 characters without any of *#&+:<>?"
    if params["state"] == "absent":
        return None
    kind = params["logger_type"]
    current_kind = ((current or {}).get("properties") or {}).get("loggerType")
    if kind is None:
        if current is None:
            return "logger_type is required to create logger %s" % params["name"]
        kind = current_kind
    elif current_kind and current_kind.lower() != kind.lower():
        return ("logger %s is of type %s; a logger's type cannot change to %s (delete it first)"
                % (params["name"], current_kind, kind))
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


NORMALISERS = {
    "properties.resourceId": lambda v: v.lower() if isinstance(v, str) else v,
}


def describe(module, name):
    params = module.params
    return read_with_etag(module, "read logger %s" % name, module.client("apimanagement").logger.get,
                          params["resource_group"], params["service"], name)


def ensure_present(module, name, current, etag, desired):
    params = module.params
    client = module.client("apimanagement")
    base = service_id(module.subscription_id, params["resource_group"], params["service"])
    new = {"id": "%s/loggers/%s" % (base, name), "name": name, "type": "Microsoft.ApiManagement/service/loggers"}

    def write():
        return module.call("write logger %s" % name, client.logger.create_or_update, params["resource_group"],
                           params["service"], name, json_body(desired), if_match=etag, cls=raw)[0]
    return converge_write_only(module, current, desired, write, [CREDENTIALS], params["update_credentials"],
                               new_state=new, normalisers=NORMALISERS)


def ensure_absent(module, current, etag):
    return remove_child(module, current, "logger", "logger", etag)


def main():
    module = AzureModule(ARGUMENT_SPEC)
    params = module.params
    name = params["name"]
    current, etag = describe(module, name)
    problem = validate(params, current)
    if problem:
        module.fail(problem)
    managed = None
    if params["state"] == "absent":
        changed, state = ensure_absent(module, current, etag)
    else:
        desired = desired_body(params, current)
        changed, state = ensure_present(module, name, current, etag, desired)
        managed = drop_paths(desired, [CREDENTIALS])
    module.exit(changed, state, id=(state or {}).get("id"),
                before=diff_view(current, managed), after=diff_view(state, managed))


if __name__ == "__main__":
    main()
