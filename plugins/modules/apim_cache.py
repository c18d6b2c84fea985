#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to aigateway.foundry
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: apim_cache
short_description: Create, update or delete an external cache of an Azure API Management service
version_added: 0.1.0
description:
  - Ensures an external Redis-compatible cache is configured on an API Management service, or removed. The
    semantic cache policies (C(azure-openai-semantic-cache-lookup/store), C(llm-semantic-cache-*)) need one, for
    example an Azure Managed Redis database created with M(aigateway.foundry.redis_enterprise).
  - The connection string is write-only; API Management keeps it in a secret named value and returns a reference
    such as C({{5f1e...}}). It cannot be compared, see O(update_credentials).
  - Idempotent, with check mode (predicts the state without writing) and diff mode. Updates and deletes send the
    cache's ETag (If-Match).
author:
  - aigateway.foundry maintainers (@aigateway)
extends_documentation_fragment: [aigateway.foundry.resource.APIM_CHILD, aigateway.foundry.azure]
options:
  name:
    description:
      - The cache's id. V(default) for the cache every region uses, or an Azure region's name for a regional one
        (it must match O(use_from_location)).
    type: str
    required: true
  connection_string:
    description:
      - The StackExchange.Redis connection string, for example
        C(<host>:10000,password=<key>,ssl=True,abortConnect=False). At most 300 characters. Required to create.
    type: str
  use_from_location:
    description: V(default) or the Azure region whose gateway uses this cache.
    type: str
    default: default
  description:
    description: The cache's description (at most 2000 characters), for example the host name.
    type: str
  resource_id:
    description: The resource id of the cache (for example the Azure Managed Redis cluster), at most 2000 characters.
    type: str
  update_credentials:
    description:
      - V(on_create) sends the connection string when the cache is created and whenever another setting changes.
      - V(always) writes the cache on every run, because the stored connection string cannot be read back; the
        task then always reports a change.
    type: str
    choices: [always, on_create]
    default: on_create
"""

EXAMPLES = r"""
- name: The semantic cache's Azure Managed Redis as the service's external cache
  aigateway.foundry.apim_cache:
    resource_group: rg-ai-gateway
    service: apim-ai-gateway-01
    name: default
    connection_string: "{{ redis.host_name }}:{{ redis.port }},password={{ redis.primary_key }},ssl=True,abortConnect=False"
    use_from_location: default
    description: "{{ redis.host_name }}"
    resource_id: "{{ redis.id }}"
"""

RETURN = r"""
id:
  description: The cache's resource id.
  returned: when the cache exists (or would exist in check mode)
  type: str
  sample: /subscriptions/0000/resourceGroups/rg-ai-gateway/providers/Microsoft.ApiManagement/service/apim-ai-gateway-01/caches/default
state:
  description:
    - The cache as Resource Manager returns it (predicted in check mode, without the connection string); null when
      absent. The connection string appears only as API Management's named value reference.
  returned: always
  type: dict
"""

from ansible_collections.aigateway.foundry.plugins.module_utils.apim import ApimChild, name_problem
from ansible_collections.aigateway.foundry.plugins.module_utils.arm_resource import apim_child_spec, from_params, lower, run_resource
from ansible_collections.aigateway.foundry.plugins.module_utils.azure_clients import json_body, raw
from ansible_collections.aigateway.foundry.plugins.module_utils.azure_module import AzureModule

ARGUMENT_SPEC = apim_child_spec(
    connection_string=dict(type="str", no_log=True),
    use_from_location=dict(type="str", default="default"),
    description=dict(type="str"),
    resource_id=dict(type="str"),
    update_credentials=dict(type="str", choices=["always", "on_create"], default="on_create"),
)


def validate(params, current):
    """Problems with the input, found before anything is written."""
    problem = name_problem("cache", params["name"], 80)
    if problem or params["state"] == "absent":
        return problem
    if current is None and not params["connection_string"]:
        return "connection_string is required to create cache %s" % params["name"]
    if params["connection_string"] is not None and not 1 <= len(params["connection_string"]) <= 300:
        return "connection_string must be 1-300 characters"
    if not 1 <= len(params["use_from_location"]) <= 256:
        return "use_from_location must be 1-256 characters"
    if params["name"].lower() != "default" and lower(params["use_from_location"]).replace(" ", "") != \
            params["name"].lower().replace(" ", ""):
        return ("a regional cache's name (%s) must be its use_from_location (%s)"
                % (params["name"], params["use_from_location"]))
    for key in ("description", "resource_id"):
        if params[key] is not None and len(params[key]) > 2000:
            return "%s must be at most 2000 characters" % key
    return None


def desired_body(params):
    """The cache body this task manages (ARM JSON of Microsoft.ApiManagement/service/caches)."""
    props = {"useFromLocation": params["use_from_location"]}
    if params["connection_string"]:
        props["connectionString"] = params["connection_string"]
    for option, key in (("description", "description"), ("resource_id", "resourceId")):
        if params[option] is not None:
            props[key] = params[option]
    return {"properties": props}


class Cache(ApimChild):
    def write(self, module, target, body):
        if target.current is None or "connectionString" in body["properties"]:
            return ApimChild.write(self, module, target, body)
        # A PUT needs the connection string, which cannot be read back: without a new one, PATCH the rest.
        return module.call(self.action("update", target), self.operations(module).update, *target.names,
                           target.etag or "*", json_body(body), cls=raw)[0]

    def update_mode(self, params):
        return params["update_credentials"] if params["connection_string"] else "on_create"


NORMALISERS = {
    "properties.useFromLocation": lambda v: lower(v).replace(" ", "") if isinstance(v, str) else v,
    "properties.resourceId": lower,
}
RESOURCE = Cache("caches", "cache", "cache", write_only=("properties.connectionString",), normalisers=NORMALISERS)


def main():
    run_resource(AzureModule(ARGUMENT_SPEC), RESOURCE, validate, from_params(desired_body))


if __name__ == "__main__":
    main()
