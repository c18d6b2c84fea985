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
    capacity of a deployment that already exists (its C(account) and C(name) keys given in O(deployments)) is
    counted as free, so a re-run of the same deployments fits.
  - With O(hosts), checks many accounts at once against the quota they share (a subscription's quota is per
    region, not per account); hosts are placed in their order, each in the first of its regions where its
    deployments fit in what the hosts placed before it left free. Each region is read once, each existing
    account's deployments with one list.
  - Reads what each region can still host of each model version and SKU (C(modelCapacities), per location); region
    capacity is not quota, so a deployment that fits the quota but not the region's available capacity is a
    shortfall too (Azure would refuse it although quota is left).
  - Reads each model version's lifecycle from the catalogue (C(lifecycleStatus) and the retirement date
    C(deprecation.inference)); a retired version (status C(Deprecated), or its date has come) fits nowhere and is a
    shortfall naming the date; an ageing one (C(Deprecating) or C(Legacy)) fits but is a warning naming the date,
    and is listed in RV(lifecycle) (Learn, model retirement schedule).
  - Retirement dates are judged on the date Azure answered the catalogue read with (its C(Date) header), not on the
    control node's date, so a wrong machine clock judges nothing.
  - Reads only; nothing is written. Use it as a preflight before model deployments, which Azure otherwise refuses
    with C(InsufficientQuota) after the accounts are already created.
author:
  - aigateway.foundry maintainers (@aigateway)
extends_documentation_fragment: [aigateway.foundry.resource.READ_ONLY, aigateway.foundry.azure]
options:
  locations:
    description:
      - The regions to read, in order of preference (for example V(swedencentral)).
      - With O(hosts), the regions to fall back to, after each host's own C(location).
    type: list
    elements: str
    default: []
  hosts:
    description:
      - The accounts to check together, as dicts with C(name) (the account), C(location) (its region, tried
        first) and C(deployments) (as in O(deployments)); other keys are ignored, so the model hosts of a
        topology can be passed as they are. An account that exists is checked in its own region only.
      - Not with O(deployments) or O(account).
    type: list
    elements: dict
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
    aliases: [resource_group_name]
  account:
    description:
      - The account the deployments go to. When it exists, only its own region is checked (an account cannot
        move), and the capacity its deployments of the same C(name) already hold counts as free for them.
    type: str
    aliases: [account_name]
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

- name: Do sixteen model hosts fit together (they share the subscription's quota of each region)?
  aigateway.foundry.cognitive_quota_info:
    resource_group: rg-ai-gateway
    hosts: "{{ model_hosts }}"
    locations: [eastus2]
  register: quota
- name: Stop before any write when a host does not fit
  ansible.builtin.assert:
    that: quota.hosts | selectattr('location', 'none') | list | length == 0
"""

RETURN = r"""
hosts:
  description: With O(hosts), per host in its order, where it goes and what does not fit.
  returned: when O(hosts) is given
  type: list
  elements: dict
  contains:
    name:
      description: The account.
      type: str
    location:
      description: The first of its regions where its deployments fit beside the hosts before it; null when none.
      type: str
    shortfalls:
      description: The shortfalls in its first region (see RV(shortfalls)); empty when it fits there.
      type: list
      elements: dict
    regions:
      description: Per region tried, C(location), C(shortfalls) and C(fits).
      type: list
      elements: dict
    lifecycle:
      description: The ageing model versions of the host in its region (see RV(lifecycle)).
      type: list
      elements: dict
lifecycle:
  description:
    - The deployments whose model version is ageing (lifecycle C(Deprecating) or C(Legacy)) in the first region
      where everything fits (else the first region), each with C(model), C(version), C(location), C(state),
      C(status), C(retires) (the retirement date) and C(message); each message is also a warning.
  returned: unless O(hosts) is given
  type: list
  elements: dict
  sample:
    - {"model": "gpt-4o-mini", "version": "2024-07-18", "location": "swedencentral", "state": "ageing",
       "status": "Deprecating", "retires": "2027-04-14", "message": "gpt-4o-mini 2024-07-18 is Deprecating in ..."}
regions:
  description:
    - Per region, in the order of O(locations) (only the existing account's region, see O(account)), what was read
      and found. With O(hosts), every region read, with C(models) and C(usages) only.
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
  returned: unless O(hosts) is given
  type: str
  sample: swedencentral
shortfalls:
  description:
    - The shortfalls of the first region of O(locations) (empty when everything fits there). Each has C(model),
      C(version), C(sku), C(location), C(asked), C(free), C(usage_name), C(limit), C(used) and a C(message) naming
      all of them; a model or SKU the region does not offer has C(free) 0 and says so.
  returned: unless O(hosts) is given
  type: list
  elements: dict
  sample:
    - {"model": "gpt-4o-mini", "version": "2024-07-18", "sku": "GlobalStandard", "location": "swedencentral",
       "asked": 20, "free": 10, "usage_name": "OpenAI.GlobalStandard.gpt-4o-mini", "limit": 40, "used": 30,
       "message": "gpt-4o-mini 2024-07-18 GlobalStandard in swedencentral: 20 capacity asked, 10 free (30 used of 40 in OpenAI.GlobalStandard.gpt-4o-mini)"}
"""

import datetime
import email.utils

from ansible_collections.aigateway.foundry.plugins.module_utils.azure_module import AzureModule
from ansible_collections.aigateway.foundry.plugins.module_utils.quota_plan import catalogue_entry, model_names, place
from ansible_collections.aigateway.foundry.plugins.module_utils.validation import normal_location

ARGUMENT_SPEC = dict(
    locations=dict(type="list", elements="str", default=[]), hosts=dict(type="list", elements="dict"),
    deployments=dict(type="list", elements="dict", default=[]),
    resource_group=dict(type="str", aliases=["resource_group_name"]),
    account=dict(type="str", aliases=["account_name"]),
)
DEPLOYMENT_KEYS = dict(model_name=str, model_version=str, model_format=str, sku_name=str, capacity=int, name=str)


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


def host_items(params):
    """(hosts, problem): each host's account, regions in order of preference and deployments; the single account
    of O(account) and O(deployments) is one host."""
    if params["hosts"] is None:
        deployments, problem = deployment_items(params["deployments"])
        return [dict(name=params["account"], locations=params["locations"], deployments=deployments or [])], problem
    if params["deployments"] or params["account"]:
        return None, "give hosts, or account and deployments, not both"
    hosts = []
    for number, host in enumerate(params["hosts"], 1):
        name = host.get("name") or ""
        deployments, problem = deployment_items(host.get("deployments") or [])
        if problem or not name:
            return None, "host %d (%s): %s" % (number, name or "?", problem or "needs a name")
        own = [host["location"]] if host.get("location") else []
        hosts.append(dict(name=name, deployments=deployments,
                          locations=own + [where for where in params["locations"] if where not in own]))
    return hosts, None


def validate(params, hosts):
    for host in hosts:
        if not host["locations"] or any(not (location or "").strip() for location in host["locations"]):
            return ("locations must name at least one region, and no empty one" if params["hosts"] is None else
                    "host %s needs a location, or locations to fall back to, and no empty one" % host["name"])
    if params["hosts"] is not None and not params["resource_group"]:
        return "hosts needs resource_group (to count what existing accounts hold)"
    if params["hosts"] is None and bool(params["resource_group"]) != bool(params["account"]):
        return "give resource_group and account together (to count existing deployments), or neither"
    for item in [item for host in hosts for item in host["deployments"]]:
        if item["capacity"] < 1:
            return "capacity of %s %s must be 1 or more, not %s" % (
                item["model_name"], item["sku_name"], item["capacity"])
    return None


def answer_date(http_response):
    """The UTC date of an HTTP answer's Date header (RFC 9110 section 6.6.1: IMF-fixdate), or None."""
    try:
        answered = email.utils.parsedate_to_datetime(http_response.headers.get("Date") or "")
    except (TypeError, ValueError):
        return None
    if answered.tzinfo is None:   # an obsolete date form without a zone: RFC 9110 reads it as UTC
        answered = answered.replace(tzinfo=datetime.timezone.utc)
    return answered.astimezone(datetime.timezone.utc).date()


class Reader(object):
    """The reads, each once: a region's catalogue and usages, an account, an account's deployments."""

    def __init__(self, module):
        self.module, self.regions, self.capacities, self.catalogues = module, {}, {}, {}
        self.client = module.client("cognitiveservices")
        self.answered = None   # the latest date the catalogue was answered on (its Date header)

    def note_date(self, pipeline_response):
        """raw_response_hook of the catalogue reads: keeps the date Azure answered on, for each page."""
        answered = answer_date(pipeline_response.http_response)
        if answered and (self.answered is None or answered > self.answered):
            self.answered = answered

    def today(self):
        """The date retirement dates are judged on: Azure's, from the catalogue's answers. Only an answer without a
        Date header (which ARM always sends) falls back to the control node's UTC date."""
        return self.answered or datetime.datetime.now(datetime.timezone.utc).date()

    def models(self, location):
        key = normal_location(location)
        if key not in self.catalogues:
            self.catalogues[key] = self.module.list_all("list models of %s" % location, self.client.models.list,
                                                        location, raw_response_hook=self.note_date)
        return self.catalogues[key]

    def offering(self, model_name):
        """The regions whose catalogue has ``model_name``: each region the accounts are offered in is read once, and
        only when a model is unknown in its own region (the message then says where it is)."""
        # The provider names regions as displayed ("East US 2"); the catalogue takes their names ("eastus2").
        regions = {normal_location(region) for region in
                   self.module.offered_locations("Microsoft.CognitiveServices/accounts") or []}
        return sorted(region for region in regions
                      if model_name.lower() in [name.lower() for name in model_names(self.models(region))])

    def catalogue(self, location):
        key = normal_location(location)
        if key not in self.regions:
            list_all = self.module.list_all
            self.regions[key] = (self.models(location),
                                 list_all("list quota usages of %s" % location, self.client.usages.list, location))
        return self.regions[key]

    def capacity(self, location, deployments):
        """(model, version, sku) lower-cased -> availableCapacity in the region, from modelCapacities, one read per
        region and model version; a model version the catalogue does not offer there is not read."""
        models = self.catalogue(location)[0]
        found = {}
        for item in deployments:
            model, _usage = catalogue_entry(models, item)
            if model is None or not model.get("version"):
                continue
            key = (normal_location(location), item["model_format"].lower(), item["model_name"].lower(),
                   model["version"])
            if key not in self.capacities:
                self.capacities[key] = self.module.list_all(
                    "list model capacities of %s %s in %s" % (item["model_name"], model["version"], location),
                    self.client.location_based_model_capacities.list, location, model_format=item["model_format"],
                    model_name=item["model_name"], model_version=model["version"], missing_ok=True)
            for listed in self.capacities[key]:
                props = listed.get("properties") or {}
                found[(item["model_name"].lower(), model["version"], str(props.get("skuName") or "").lower())] = \
                    props.get("availableCapacity")
        return found

    def existing(self, resource_group, hosts):
        """name -> deployments of each host's account that exists; an existing account's region is its only one."""
        current = {}
        for host in hosts if resource_group else []:
            account = self.module.read_json("read account %s" % host["name"], self.client.accounts.get,
                                            resource_group, host["name"])
            if account:
                host["locations"] = [normal_location(account["location"])]
                current[host["name"]] = self.module.list_all(
                    "list deployments of %s" % host["name"], self.client.deployments.list, resource_group,
                    host["name"]) if host["deployments"] else []
        return current


def main():
    module = AzureModule(ARGUMENT_SPEC)
    params = module.params
    hosts, problem = host_items(params)
    module.fail_if(problem or validate(params, hosts))
    reader = Reader(module)
    existing = reader.existing(params["resource_group"], hosts)
    # place() reads every region a host may go to; read them first, so "today" is the date Azure answered them on.
    for host in hosts:
        for location in host["locations"]:
            reader.catalogue(location)
    placed = place(hosts, reader.catalogue, existing, today=reader.today(), region_capacity=reader.capacity,
                   offering=reader.offering)
    for message in sorted(set(note["message"] for host in placed for note in host["lifecycle"])):
        module.warn(message)
    if params["hosts"] is not None:
        regions = [dict(location=where, models=found[0], usages=found[1]) for where, found in reader.regions.items()]
        module.module.exit_json(changed=False, hosts=placed, regions=regions)
    [single] = placed
    regions = []
    for region in single["regions"]:
        models, usages = reader.catalogue(region["location"])
        regions.append(dict(region, models=models, usages=usages))
    module.module.exit_json(changed=False, regions=regions, location=single["location"],
                            shortfalls=single["shortfalls"], lifecycle=single["lifecycle"])


if __name__ == "__main__":
    main()
