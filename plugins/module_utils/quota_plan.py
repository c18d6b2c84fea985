# -*- coding: utf-8 -*-
# Copyright: contributors to aigateway.foundry
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""cognitive_quota_info's planning, pure (the reads are the module's): which catalogue entry a deployment takes, what
does not fit a region (quota, region capacity, a retired model version), what is ageing, where each of many
hosts goes when they share a region's quota and capacity, and where a model unknown in its region is offered."""
from __future__ import annotations

from ansible_collections.aigateway.foundry.plugins.module_utils import model_rules
from ansible_collections.aigateway.foundry.plugins.module_utils.messages import did_you_mean
from ansible_collections.aigateway.foundry.plugins.module_utils.validation import normal_location


def catalogue_entry(models, item):
    """(model, usage name) of the catalogue entry that the deployment's model, version and SKU take (with no
    version asked, the default version Azure picks, else the first listed); (None, None) when not offered."""
    found = []
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
                found.append((model, sku.get("usageName")))
    found.sort(key=lambda pair: not pair[0].get("isDefaultVersion"))
    return found[0] if found else (None, None)


def offered_usage_name(models, item):
    """The usage name the catalogue gives the deployment's model, version and SKU; None when not offered."""
    return catalogue_entry(models, item)[1]


def lifecycle_notes(location, deployments, models, today=None):
    """Per deployment whose model version is retired or ageing in this region's catalogue: model, version (the one
    Azure would deploy), location, state (retired or ageing), status, retires and a message naming them."""
    notes = []
    for item in deployments:
        model, _usage = catalogue_entry(models, item)
        if model is None:
            continue
        verdict = model_rules.lifecycle(model, today)
        if verdict[0] != "current":
            version = model.get("version") or item["model_version"]
            described = " ".join(part for part in (item["model_name"], version) if part)
            notes.append(dict(model=item["model_name"], version=version, location=location, state=verdict[0],
                              status=verdict[1], retires=verdict[2],
                              message=model_rules.lifecycle_message(described, location, verdict)))
    return notes


# At most this many regions are named as offering a model unknown in its own region (Azure has about 40).
OFFERING_SHOWN = 8


def model_names(models):
    return sorted({(entry.get("model") or {}).get("name") or "" for entry in models} - {""})


def unknown_model(models, item, offering=None):
    """'' when the catalogue has the model (not this version or SKU); else that it is unknown there, the closest
    name, and the regions whose catalogue has it (``offering(model_name)``: their names; None when not asked)."""
    names = model_names(models)
    if item["model_name"].lower() in [name.lower() for name in names]:
        return ""
    message = (": the region's model catalogue has no model %s%s (a model name, not a quota matter)"
               % (item["model_name"], did_you_mean(item["model_name"], names)))
    regions = offering(item["model_name"]) if offering else None
    if regions is None:
        return message
    if not regions:
        return message + "; no region of the subscription offers it"
    more = len(regions) - OFFERING_SHOWN
    named = ", ".join(regions[:OFFERING_SHOWN]) + (" and %d more" % more if more > 0 else "")
    return message + "; regions that offer it: " + named


def describe(item):
    return " ".join(part for part in (item["model_name"], item["model_version"], item["sku_name"]) if part)


def shortfalls(location, deployments, models, usages, existing, today=None, capacity=None, offering=None):
    """What does not fit: deployments grouped by usage name against limit - used + what they already hold.

    ``existing``: usage name -> capacity the listed deployments already hold in this region (counted as free).
    A retired model version does not fit anywhere it is retired (Azure creates no deployment of it); with
    ``capacity`` (see capacity_shortfalls), what fits the quota must fit the region's capacity too.
    ``offering``: model name -> the regions whose catalogue has it, for a model this region does not know.
    """
    by_name = dict(((usage.get("name") or {}).get("value"), usage) for usage in usages)
    asked = {}
    found = []
    retired = dict((note["model"], note) for note in lifecycle_notes(location, deployments, models, today)
                   if note["state"] == "retired")
    for item in deployments:
        name = offered_usage_name(models, item)
        if item["model_name"] in retired:
            found.append(dict(model=item["model_name"], version=retired[item["model_name"]]["version"],
                              sku=item["sku_name"], location=location, asked=item["capacity"], free=0,
                              usage_name=name, limit=0, used=0, message=retired[item["model_name"]]["message"]))
            continue
        if name is None:
            found.append(dict(model=item["model_name"], version=item["model_version"], sku=item["sku_name"],
                              location=location, asked=item["capacity"], free=0, usage_name=None, limit=0, used=0,
                              message="%s is not offered in %s%s"
                              % (describe(item), location, unknown_model(models, item, offering))))
            continue
        asked.setdefault(name, []).append(item)
    for name, items in asked.items():
        usage = by_name.get(name) or {}
        limit, used = int(usage.get("limit") or 0), int(usage.get("currentValue") or 0)
        free = max(0, limit - used + existing.get(name, 0))
        total = sum(item["capacity"] for item in items)
        first = items[0]
        if total > free:
            found.append(dict(model=first["model_name"], version=first["model_version"], sku=first["sku_name"],
                              location=location, asked=total, free=free, usage_name=name, limit=limit, used=used,
                              message="%s in %s: %d capacity asked, %d free (%d used of %d in %s)"
                              % (describe(first), location, total, free, used, limit, name)))
            continue
        found.extend(capacity_shortfalls(location, models, items, name, existing.get(name, 0), capacity))
    return found


def capacity_shortfalls(location, models, items, name, held, capacity):
    """Region capacity is not quota: what the region can still host of each model version and SKU
    (``capacity``: (model, version, sku) lower-cased -> availableCapacity of modelCapacities; None when not read)
    must hold the deployments too, beyond what they already hold (``held``)."""
    if capacity is None:
        return []
    by_version = {}
    for item in items:
        model, _usage = catalogue_entry(models, item)
        key = (item["model_name"].lower(), (model or {}).get("version") or item["model_version"],
               item["sku_name"].lower())
        by_version.setdefault(key, []).append(item)
    found = []
    for key, group in by_version.items():
        if key not in capacity:
            continue
        available = int(capacity[key] or 0) + held
        total = sum(item["capacity"] for item in group)
        if total > available:
            found.append(dict(model=group[0]["model_name"], version=key[1], sku=group[0]["sku_name"],
                              location=location, asked=total, free=available, usage_name=name, limit=None,
                              used=None, message="%s %s %s in %s: %d capacity asked, the region has %d available "
                              "(modelCapacities: region capacity, not quota, is short)"
                              % (group[0]["model_name"], key[1], group[0]["sku_name"], location, total, available)))
    return found


def held_capacity(models, deployments, current):
    """Usage name -> capacity the listed deployments already hold, from the account's ``current`` deployments."""
    listed = dict((item["name"], item) for item in deployments if item["name"])
    held = {}
    for found in current:
        item = listed.get(found.get("name"))
        if item is None:
            continue
        sku = found.get("sku") or {}
        model = (found.get("properties") or {}).get("model") or {}
        name = offered_usage_name(models, dict(item, model_name=model.get("name") or "", model_version=None,
                                               sku_name=sku.get("name") or "",
                                               model_format=model.get("format") or "OpenAI"))
        if name:
            held[name] = held.get(name, 0) + int(sku.get("capacity") or 0)
    return held


def place(hosts, catalogue, current, today=None, region_capacity=None, offering=None):
    """Each host in the first of its regions where its deployments fit in the quota left by the hosts placed before
    it. ``catalogue(location)`` -> (models, usages); ``current[name]`` -> the existing account's deployments (the
    capacity they hold counts as free for the same deployments); ``region_capacity(location, deployments)`` -> the
    region's capacity (see capacity_shortfalls) or None; ``offering(model name)`` -> the regions that have a model
    its region does not; ``today`` -> the date retirement dates are judged on, Azure's (the catalogue answer's Date
    header), None for the status alone. Pure: the reads are the caller's."""
    # (region, usage name) -> capacity free beyond the usages' limit - used: what the listed deployments already
    # hold, less what the hosts placed so far take. Regions compare as Azure spells them in any form.
    room = {}
    for host in hosts:
        if host["name"] in current:
            location = host["locations"][0]
            for name, capacity in held_capacity(catalogue(location)[0], host["deployments"],
                                                current[host["name"]]).items():
                key = (normal_location(location), name)
                room[key] = room.get(key, 0) + capacity
    placed = []
    for host in hosts:
        regions = []
        for location in host["locations"]:
            models, usages = catalogue(location)
            extra = dict((name, free) for (where, name), free in room.items() if where == normal_location(location))
            found = shortfalls(location, host["deployments"], models, usages, extra, today,
                               region_capacity(location, host["deployments"]) if region_capacity else None,
                               offering)
            regions.append(dict(location=location, shortfalls=found, fits=not found))
        fitting = [region["location"] for region in regions if region["fits"]]
        if fitting:
            models = catalogue(fitting[0])[0]
            for item in host["deployments"]:
                key = (normal_location(fitting[0]), offered_usage_name(models, item))
                room[key] = room.get(key, 0) - item["capacity"]
        where = fitting[0] if fitting else host["locations"][0]
        ageing = [note for note in lifecycle_notes(where, host["deployments"], catalogue(where)[0], today)
                  if note["state"] == "ageing"]
        placed.append(dict(name=host["name"], location=fitting[0] if fitting else None,
                           shortfalls=regions[0]["shortfalls"], regions=regions, lifecycle=ageing))
    return placed
