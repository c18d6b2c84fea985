#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to aigateway.foundry
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: cognitive_quota_info
short_description: Read the Foundry model catalogue and model quota of regions, and check deployments against it
version_added: 0.2.0
description:
  - Reads, per region, the models Microsoft Foundry (Cognitive Services) offers
    (C(Microsoft.CognitiveServices/locations/{location}/models)) and the subscription's quota usage
    (C(.../locations/{location}/usages)).
  - With O(deployments), checks each region for room for all of them and returns every shortfall (model, version,
    SKU, region, capacity asked and free), and the first region of O(locations) where everything fits. The
    capacity of a deployment that already exists (O(account) given, and the deployment's C(name)) is counted as
    free, so a re-run of the same deployments fits.
  - Reads only; nothing is written. Use it as a preflight before model deployments, which Azure otherwise refuses
    with C(InsufficientQuota) after the accounts are already created.
author:
  - aigateway.foundry maintainers (@aigateway)
options:
  locations:
    description: The regions to read, in order of preference (for example V(swedencentral)).
    type: list
    elements: str
    required: true
  deployments:
    description:
      - The model deployments to check, as dicts with C(model_name), C(sku_name), C(capacity) (required),
        C(model_version) (any version when omitted), C(model_format) (default V(OpenAI)) and C(name) (the
        deployment's name, to count an existing deployment). Other keys are ignored, so the deployment list of a
        model host can be passed as it is.
      - C(capacity) is in the SKU's unit (thousands of tokens per minute for chat and embeddings models).
    type: list
    elements: dict
    default: []
  resource_group:
    description: The resource group of the account the deployments go to (to count existing deployments).
    type: str
  account:
    description:
      - The account the deployments go to. When it exists, only its own region is checked (an account cannot
        move), and the capacity its deployments of the same C(name) already hold counts as free for them.
    type: str
extends_documentation_fragment:
  - aigateway.foundry.azure
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
  diff_mode:
    support: none
  platform:
    platforms: posix
"""

EXAMPLES = r"""
- name: Is there quota for the gateway's models in Sweden Central (else East US 2)?
  aigateway.foundry.cognitive_quota_info:
    locations: [swedencentral, eastus2]
    resource_group: rg-ai-gateway
    account: models-foundry-01
    deployments:
      - name: gpt-4o-mini
        model_name: gpt-4o-mini
        model_version: "2024-07-18"
        sku_name: GlobalStandard
        capacity: 10
  register: quota

- name: Stop before any write when nothing fits
  ansible.builtin.assert:
    that: quota.location is not none
    fail_msg: "{{ quota.shortfalls | map(attribute='message') | join('; ') }}"
"""

RETURN = r"""
regions:
  description: Per region, in the order of O(locations) (only the existing account's region, see O(account)), what was read and found.
  returned: always
  type: list
  elements: dict
  contains:
    location:
      description: The region.
      type: str
    models:
      description: The catalogue as Resource Manager returns it (C(kind), C(skuName), C(model) with its C(skus)).
      type: list
      elements: dict
    usages:
      description: The quota usages (C(name.value) such as C(OpenAI.GlobalStandard.gpt-4o-mini), C(currentValue), C(limit)).
      type: list
      elements: dict
    shortfalls:
      description: What does not fit in this region (see RV(shortfalls)).
      type: list
      elements: dict
    fits:
      description: Every deployment of O(deployments) fits in this region.
      type: bool
location:
  description: The first region of O(locations) where every deployment fits; null when none does.
  returned: always
  type: str
  sample: swedencentral
shortfalls:
  description:
    - The shortfalls of the first region of O(locations) (empty when everything fits there). Each has C(model),
      C(version), C(sku), C(location), C(asked), C(free), C(usage_name), C(limit), C(used) and a C(message) naming
      all of them; a model or SKU the region does not offer has C(free) 0 and says so.
  returned: always
  type: list
  elements: dict
  sample:
    - {"model": "gpt-4o-mini", "version": "2024-07-18", "sku": "GlobalStandard", "location": "swedencentral",
       "asked": 20, "free": 10, "usage_name": "OpenAI.GlobalStandard.gpt-4o-mini", "limit": 40, "used": 30,
       "message": "gpt-4o-mini 2024-07-18 GlobalStandard in swedencentral: 20 capacity asked, 10 free (30 used of 40 in OpenAI.GlobalStandard.gpt-4o-mini)"}
"""

from ansible_collections.aigateway.foundry.plugins.module_utils.azure_module import AzureModule

ARGUMENT_SPEC = dict(
    locations=dict(type="list", elements="str", required=True),
    deployments=dict(type="list", elements="dict", default=[]),
    resource_group=dict(type="str"),
    account=dict(type="str"),
)
DEPLOYMENT_KEYS = dict(model_name=str, model_version=str, model_format=str, sku_name=str, capacity=int, name=str)


def normal_location(location):
    return (location or "").replace(" ", "").lower()


def deployment_items(deployments):
    """(items, problem): the deployments with the keys this module reads, defaults filled; extra keys dropped."""
    items = []
    for number, given in enumerate(deployments, 1):
        item = dict(model_version=None, model_format="OpenAI", name=None)
        item.update((key, value) for key, value in given.items() if key in DEPLOYMENT_KEYS and value is not None)
        missing = [key for key in ("model_name", "sku_name", "capacity") if key not in item]
        if missing:
            return None, "deployment %d (%s) needs %s" % (number, given.get("name") or given.get("model_name") or "?",
                                                          ", ".join(missing))
        try:
            item["capacity"] = int(item["capacity"])
        except (TypeError, ValueError):
            return None, "capacity of %s must be a whole number, not %r" % (item["model_name"], given["capacity"])
        for key in ("model_name", "model_version", "model_format", "sku_name", "name"):
            item[key] = None if item[key] is None else str(item[key])
        items.append(item)
    return items, None


def validate(params, items):
    if not params["locations"] or any(not (location or "").strip() for location in params["locations"]):
        return "locations must name at least one region, and no empty one"
    if bool(params["resource_group"]) != bool(params["account"]):
        return "give resource_group and account together (to count existing deployments), or neither"
    for item in items:
        if item["capacity"] < 1:
            return "capacity of %s %s must be 1 or more, not %s" % (item["model_name"], item["sku_name"],
                                                                    item["capacity"])
    return None


def offered_usage_name(models, item):
    """The usage name the catalogue gives the deployment's model, version and SKU; None when not offered."""
    for entry in models:
        model = entry.get("model") or {}
        if (model.get("name") or "").lower() != item["model_name"].lower():
            continue
        if (model.get("format") or "").lower() != item["model_format"].lower():
            continue
        if item["model_version"] and model.get("version") != item["model_version"]:
            continue
        for sku in model.get("skus") or []:
            if (sku.get("name") or "").lower() == item["sku_name"].lower():
                return sku.get("usageName")
    return None


def describe(item):
    return " ".join(part for part in (item["model_name"], item["model_version"], item["sku_name"]) if part)


def shortfalls(location, deployments, models, usages, existing):
    """What does not fit: deployments grouped by usage name against limit - used + what they already hold.

    ``existing``: usage name -> capacity the listed deployments already hold in this region (counted as free).
    """
    by_name = dict(((usage.get("name") or {}).get("value"), usage) for usage in usages)
    asked = {}
    found = []
    for item in deployments:
        name = offered_usage_name(models, item)
        if name is None:
            found.append(dict(model=item["model_name"], version=item["model_version"], sku=item["sku_name"],
                              location=location, asked=item["capacity"], free=0, usage_name=None, limit=0, used=0,
                              message="%s is not offered in %s" % (describe(item), location)))
            continue
        asked.setdefault(name, []).append(item)
    for name, items in asked.items():
        usage = by_name.get(name) or {}
        limit, used = int(usage.get("limit") or 0), int(usage.get("currentValue") or 0)
        free = max(0, limit - used + existing.get(name, 0))
        total = sum(item["capacity"] for item in items)
        if total <= free:
            continue
        first = items[0]
        found.append(dict(model=first["model_name"], version=first["model_version"], sku=first["sku_name"],
                          location=location, asked=total, free=free, usage_name=name, limit=limit, used=used,
                          message="%s in %s: %d capacity asked, %d free (%d used of %d in %s)"
                          % (describe(first), location, total, free, used, limit, name)))
    return found


def existing_capacity(module, account, deployments, models):
    """Usage name -> capacity the listed deployments already hold in ``account`` (its region's quota)."""
    params = module.params
    client = module.client("cognitiveservices")
    held = {}
    for item in deployments if account else []:
        if not item["name"]:
            continue
        current = module.read_json("read deployment %s" % item["name"], client.deployments.get,
                                   params["resource_group"], params["account"], item["name"])
        if not current:
            continue
        sku = current.get("sku") or {}
        model = (current.get("properties") or {}).get("model") or {}
        name = offered_usage_name(models, dict(item, model_name=model.get("name") or "",
                                               model_version=None, sku_name=sku.get("name") or "",
                                               model_format=model.get("format") or "OpenAI"))
        if name:
            held[name] = held.get(name, 0) + int(sku.get("capacity") or 0)
    return held


def read_region(module, location, deployments, account):
    client = module.client("cognitiveservices")
    models = module.list_all("list models of %s" % location, client.models.list, location)
    usages = module.list_all("list quota usages of %s" % location, client.usages.list, location)
    found = shortfalls(location, deployments, models, usages,
                       existing_capacity(module, account, deployments, models) if deployments else {})
    return dict(location=location, models=models, usages=usages, shortfalls=found, fits=not found)


def read_account(module):
    params = module.params
    if not params["account"]:
        return None
    return module.read_json("read account %s" % params["account"], module.client("cognitiveservices").accounts.get,
                            params["resource_group"], params["account"])


def main():
    module = AzureModule(ARGUMENT_SPEC)
    deployments, problem = deployment_items(module.params["deployments"])
    module.fail_if(problem or validate(module.params, deployments))
    account = read_account(module)
    # An account cannot move: once it exists, its own region is the only one its deployments can use.
    locations = [normal_location(account["location"])] if account else module.params["locations"]
    regions = [read_region(module, location, deployments, account) for location in locations]
    fitting = [region["location"] for region in regions if region["fits"]]
    module.module.exit_json(changed=False, regions=regions, location=fitting[0] if fitting else None,
                            shortfalls=regions[0]["shortfalls"])


if __name__ == "__main__":
    main()
