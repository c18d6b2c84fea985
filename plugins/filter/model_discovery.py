# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Dynamic model discovery through the gateway (issue 24 item 2): what the gateway answers and what the connection
names, from one table (``validation.MODEL_DISCOVERY_METADATA``).

Foundry calls ``{target}{listModelsEndpoint}`` and ``{target}{getModelEndpoint}`` with the connection's credential
and reads AzureOpenAI-shaped answers: ``{"value": [{name, properties: {model: {name, version, format}}}]}`` for the
list, one such item for the get (foundry-samples 01-connections/apim APIM-Connection-Objects.md, "Supported
DeploymentProvider Formats"), which is the shape of the static ``models`` list item too.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy

from ansible.errors import AnsibleFilterError

from ansible_collections.aigateway.foundry.plugins.module_utils import validation
from ansible_collections.aigateway.foundry.plugins.module_utils.foundry_connection import models_value
from ansible_collections.aigateway.foundry.plugins.filter.topology import static_models


def _mode(mode):
    problem = validation.setting_problem("model_discovery", mode, validation.CONNECTION_MODEL_DISCOVERY)
    if problem:
        raise AnsibleFilterError(problem)
    return mode


def model_discovery_metadata(mode):
    """The foundry_connection module's ``model_discovery`` for ``mode``: the gateway's discovery paths for dynamic,
    {} for static (the connection then carries ``models``)."""
    return dict(validation.MODEL_DISCOVERY_METADATA) if _mode(mode) == "dynamic" else {}


def discovery_deployments(hosts):
    """What the gateway's discovery operations answer: every deployment behind the gateway once, as Foundry reads a
    deployment (the AzureOpenAI deployment provider's item)."""
    return models_value(static_models(hosts))


def discovery_operations(mode):
    """The gateway's discovery operations for ``mode``: [{endpoint, operation, url}] (list, then get) for dynamic,
    [] for static."""
    if _mode(mode) == "static":
        return []
    return [{"endpoint": key, "operation": validation.MODEL_DISCOVERY_OPERATIONS[key],
             "url": validation.MODEL_DISCOVERY_METADATA[key]}
            for key in ("list_models_endpoint", "get_model_endpoint")]


def _path_of(endpoint):
    """/deployments/{deploymentName} -> the OpenAPI path and its path parameters."""
    parameters = [part[1:-1] for part in endpoint.split("/") if part.startswith("{") and part.endswith("}")]
    return endpoint, parameters


def with_discovery_operations(spec, mode, prefix=""):
    """The API's OpenAPI document with the two discovery operations added for ``mode`` dynamic (named as
    foundry-samples' setup guide names them), unchanged for static; the import then creates them. ``prefix`` is
    what the connection's target adds to the API's path (``/openai`` for a pass-through API at ``inference``), so
    that Foundry's ``{target}/deployments`` reaches them."""
    if _mode(mode) == "static":
        return spec
    if not isinstance(spec, dict) or not isinstance(spec.get("paths"), dict):
        raise AnsibleFilterError("with_discovery_operations needs an OpenAPI document with paths")
    document = copy.deepcopy(spec)
    for item in discovery_operations(mode):
        operation_id, (path, parameters) = item["operation"], _path_of("/" + (prefix + item["url"]).strip("/"))
        if "get" in (document["paths"].get(path) or {}):
            raise AnsibleFilterError("the API already has an operation GET %s: the discovery operation cannot be added"
                                     % path)
        document["paths"].setdefault(path, {})["get"] = {
            "operationId": operation_id,
            "summary": "Foundry model discovery: %s" % ("one deployment" if parameters else "the deployments"),
            "parameters": [{"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
                           for name in parameters],
            "responses": {"200": {"description": "AzureOpenAI-shaped deployment%s" % ("" if parameters else "s")}}}
    return document


class FilterModule(object):
    def filters(self):
        return {"model_discovery_metadata": model_discovery_metadata, "discovery_deployments": discovery_deployments,
                "discovery_operations": discovery_operations, "with_discovery_operations": with_discovery_operations}
