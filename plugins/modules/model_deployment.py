#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to aigateway.foundry
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: model_deployment
short_description: Create, update or delete a model deployment in a Microsoft Foundry account
version_added: 0.1.0
description:
  - Ensures a model deployment (C(Microsoft.CognitiveServices/accounts/deployments)) exists with the given model,
    SKU, capacity and content filter, or is deleted.
  - Azure runs one write at a time per account and answers C(409) while another deployment of the same account is
    being written; the module waits and retries those conflicts (up to O(wait_timeout)). Roles should still loop
    over the deployments of one account serially (the lab's C(@batchSize(1))), not with C(async).
  - Idempotent, with check mode (predicts the state without writing) and diff mode.
author:
  - aigateway.foundry maintainers (@aigateway)
extends_documentation_fragment: [aigateway.foundry.resource.ACCOUNT_CHILD, aigateway.foundry.azure, aigateway.foundry.azure.WAIT]
options:
  name:
    description: The deployment's name (what clients put in the URL or the C(model) field).
    type: str
    required: true
  model_name:
    description: The model, for example V(gpt-4o-mini). Required to create the deployment.
    type: str
  model_version:
    description: The model version, for example V(2024-07-18). Azure picks the default version when omitted.
    type: str
  model_format:
    description: The model's format (publisher), for example V(OpenAI).
    type: str
    default: OpenAI
  sku_name:
    description: The deployment type, for example V(GlobalStandard), V(Standard), V(DataZoneStandard).
    type: str
    default: GlobalStandard
  capacity:
    description: The capacity in units of the SKU (thousands of tokens per minute for the standard SKUs).
    type: int
    default: 10
  rai_policy_name:
    description: The content filter (RAI policy) applied to the deployment.
    type: str
    default: Microsoft.DefaultV2
  version_upgrade_option:
    description: How Azure upgrades the model version. Unmanaged when omitted.
    type: str
    choices: [NoAutoUpgrade, OnceCurrentVersionExpired, OnceNewDefaultVersionAvailable]
"""

EXAMPLES = r"""
- name: The models behind the gateway, one at a time per account
  aigateway.foundry.model_deployment:
    resource_group: rg-ai-gateway
    account: models-foundry-01
    name: "{{ item.name }}"
    model_name: "{{ item.name }}"
    model_version: "{{ item.version }}"
    capacity: 10
  loop:
    - {name: gpt-4o-mini, version: "2024-07-18"}
    - {name: gpt-4.1-mini, version: "2025-04-14"}
"""

RETURN = r"""
id:
  description: The deployment's resource id.
  returned: when the deployment exists (or would exist in check mode)
  type: str
state:
  description: The deployment as Resource Manager returns it (predicted in check mode); null when absent.
  returned: always
  type: dict
  sample: {"name": "gpt-4o-mini", "sku": {"name": "GlobalStandard", "capacity": 10},
           "properties": {"model": {"format": "OpenAI", "name": "gpt-4o-mini", "version": "2024-07-18"},
                          "raiPolicyName": "Microsoft.DefaultV2", "provisioningState": "Succeeded"}}
"""

from ansible_collections.aigateway.foundry.plugins.module_utils import validation
from ansible_collections.aigateway.foundry.plugins.module_utils.arm_resource import (
    ArmType,
    Resource,
    account_child_spec,
    from_current,
    lower,
    run_resource,
)
from ansible_collections.aigateway.foundry.plugins.module_utils.azure_module import AzureModule

ARGUMENT_SPEC = account_child_spec(
    model_name=dict(type="str"),
    model_version=dict(type="str"),
    model_format=dict(type="str", default="OpenAI"),
    sku_name=dict(type="str", default="GlobalStandard"),
    capacity=dict(type="int", default=10),
    rai_policy_name=dict(type="str", default="Microsoft.DefaultV2"),
    version_upgrade_option=dict(type="str", choices=["NoAutoUpgrade", "OnceCurrentVersionExpired",
                                                     "OnceNewDefaultVersionAvailable"]),
)

NORMALISERS = {"sku.name": lower, "properties.model.format": lower, "properties.model.name": lower}
# module.call retries the 409 Azure answers while another write on the account is in flight.
RESOURCE = Resource(ArmType("Microsoft.CognitiveServices/accounts/deployments"), "deployment", "cognitiveservices",
                    "deployments", parents=("resource_group", "account"), long_running=True, normalisers=NORMALISERS)


def desired_body(params, current):
    model_name = params["model_name"] or (((current or {}).get("properties") or {}).get("model") or {}).get("name")
    model = {"format": params["model_format"], "name": model_name}
    if params["model_version"]:
        model["version"] = params["model_version"]
    properties = {"model": model, "raiPolicyName": params["rai_policy_name"]}
    if params["version_upgrade_option"]:
        properties["versionUpgradeOption"] = params["version_upgrade_option"]
    return {"sku": {"name": params["sku_name"], "capacity": params["capacity"]}, "properties": properties}


def validate(params, current):
    """Problems with the input, found before anything is written."""
    if params["state"] != "present":
        return None
    if validation.deployment_problem(params):
        return validation.deployment_problem(params)
    if current is None and not params["model_name"]:
        return "model_name is required to create deployment %s" % params["name"]
    if params["capacity"] < 1:
        return "capacity must be at least 1 (got %s)" % params["capacity"]
    if current is not None and params["model_name"]:
        existing = ((current.get("properties") or {}).get("model") or {}).get("name")
        if existing and existing.lower() != params["model_name"].lower():
            return ("deployment %s serves model %s; a deployment's model cannot change to %s (only its version): "
                    "delete it first or use another name" % (params["name"], existing, params["model_name"]))
    return None


def main():
    run_resource(AzureModule(ARGUMENT_SPEC, long_running=True), RESOURCE, validate, from_current(desired_body))


if __name__ == "__main__":
    main()
