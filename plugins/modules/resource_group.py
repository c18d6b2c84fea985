#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to aigateway.foundry
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: resource_group
short_description: Create, update or delete an Azure resource group
version_added: 0.1.0
description:
  - Ensures a resource group exists with the given location and tags, or is deleted with everything in it.
  - Idempotent, with check mode (predicts the state without writing) and diff mode.
  - Deleting a resource group soft-deletes the Cognitive Services accounts and API Management services in it;
    purge them with M(aigateway.foundry.cognitive_account) and M(aigateway.foundry.apim_service) first when their
    names must be reusable.
author:
  - aigateway.foundry maintainers (@aigateway)
extends_documentation_fragment: [aigateway.foundry.resource, aigateway.foundry.resource.TAGS, aigateway.foundry.azure, aigateway.foundry.azure.WAIT]
options:
  name:
    description: The resource group's name.
    type: str
    required: true
  location:
    description:
      - The Azure region, for example V(swedencentral). Required to create the group; a group's location cannot
        change.
    type: str
"""

EXAMPLES = r"""
- name: The resource group of the model gateway
  aigateway.foundry.resource_group:
    name: rg-ai-gateway
    location: swedencentral
    tags:
      source: ai-gateway

- name: Remove it and everything in it
  aigateway.foundry.resource_group:
    name: rg-ai-gateway
    state: absent
"""

RETURN = r"""
id:
  description: The resource group's resource id.
  returned: when the group exists (or would exist in check mode)
  type: str
  sample: /subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-ai-gateway
state:
  description: The resource group as Resource Manager returns it (predicted in check mode); null when absent.
  returned: always
  type: dict
  sample: {"name": "rg-ai-gateway", "location": "swedencentral", "tags": {"source": "ai-gateway"},
           "properties": {"provisioningState": "Succeeded"}}
"""

from ansible_collections.aigateway.foundry.plugins.module_utils import validation
from ansible_collections.aigateway.foundry.plugins.module_utils.arm_resource import (
    Resource,
    ResourceGroupType,
    STATE_SPEC,
    TAGS_SPEC,
    from_current,
    run_resource,
    with_tags,
)
from ansible_collections.aigateway.foundry.plugins.module_utils.azure_module import AzureModule
from ansible_collections.aigateway.foundry.plugins.module_utils.azure_state import differences
from ansible_collections.aigateway.foundry.plugins.module_utils.messages import did_you_mean

ARGUMENT_SPEC = dict(
    name=dict(type="str", required=True),
    location=dict(type="str"),
    **TAGS_SPEC,
    state=STATE_SPEC,
)

RESOURCE = Resource(ResourceGroupType(), "resource group", "resource", "resource_groups", parents=(),
                    long_running=True, create_method="create_or_update")


def desired_body(params, current):
    """The body this task manages; tags merge into the current ones unless purge_tags."""
    body = {"location": params["location"] or (current or {}).get("location")}
    return with_tags(body, params, current)


def validate(params, current):
    """Problems with the input, found before anything is written."""
    if validation.name_problem("Microsoft.Resources/resourceGroups", params["name"]):
        return validation.name_problem("Microsoft.Resources/resourceGroups", params["name"])
    if current is None and params["state"] == "present" and not params["location"]:
        return "location is required to create resource group %s" % params["name"]
    if current is not None and params["location"] and differences(
            {"location": params["location"]}, {"location": current.get("location")}):
        return ("resource group %s is in %s; a resource group's location cannot change to %s%s"
                % (params["name"], current.get("location"), params["location"],
                   did_you_mean(params["location"], [current.get("location")])))
    return None


def main():
    run_resource(AzureModule(ARGUMENT_SPEC, long_running=True), RESOURCE, validate, from_current(desired_body))


if __name__ == "__main__":
    main()
