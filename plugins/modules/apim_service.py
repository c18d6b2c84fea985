#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to aigateway.foundry
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: apim_service
short_description: Create, update, delete, restore or purge an Azure API Management service
version_added: 0.1.0
description:
  - Ensures an API Management service (the model gateway) exists with the given SKU, publisher, identity, network
    access and tags, or is deleted (and optionally purged).
  - Creating a service is a long-running operation of 30 to 45 minutes on Azure. With O(wait=false) the task
    returns as soon as Azure accepted the request, so a play can run it with C(async) or check later; a later run
    while the service is still activating does not write again when the desired state is the one being
    provisioned, and returns the provisioning state as it is.
  - A deleted service stays soft-deleted for 48 hours and blocks its name. O(soft_deleted) decides what a create
    does then; O(purge) removes the soft-deleted service on delete.
  - Microsoft Foundry's API Management connection (category C(ApiManagement)) supports only the Standard v2 and
    Premium tiers; the module warns for any other O(sku_name).
  - Idempotent, with check mode (predicts the state without writing) and diff mode.
author:
  - aigateway.foundry maintainers (@aigateway)
options:
  resource_group:
    description: The resource group of the service.
    type: str
    required: true
  name:
    description:
      - The service's name; also the host name C(<name>.azure-api.net), so it must be unique in Azure.
      - 1 to 50 letters, digits or hyphens, starting with a letter and not ending with a hyphen.
    type: str
    required: true
  location:
    description:
      - The Azure region. Defaults to the resource group's location. A service's location cannot change.
    type: str
  sku_name:
    description:
      - The pricing tier. Required to create the service.
      - Classic tiers (Developer, Basic, Standard, Premium), v2 tiers (Basicv2, Standardv2, Premiumv2) and
        Consumption are separate families; API Management cannot move a service between families, so such a
        change fails before anything is written.
    type: str
    choices: [Developer, Basic, Standard, Premium, Consumption, Basicv2, Standardv2, Premiumv2]
  sku_capacity:
    description:
      - The number of units. Defaults to the current capacity, or C(1) (C(0) for Consumption, which allows only 0).
    type: int
  publisher_email:
    description: The publisher's email address (notifications go there). Required to create the service.
    type: str
  publisher_name:
    description: The publisher's (organisation's) name. Required to create the service.
    type: str
  identity:
    description:
      - The managed identity type. The gateway calls Foundry with its system-assigned identity, hence the default.
      - V(UserAssigned) and V(SystemAssigned, UserAssigned) need O(user_assigned_identities).
    type: str
    choices: ["SystemAssigned", "UserAssigned", "SystemAssigned, UserAssigned", "None"]
    default: SystemAssigned
  user_assigned_identities:
    description: Resource ids of the user-assigned identities to attach (exactly these).
    type: list
    elements: str
  public_network_access:
    description: Whether the public endpoint accepts traffic. Azure's default is V(Enabled).
    type: str
    choices: [Enabled, Disabled]
  tags:
    description: Tags to set on the service.
    type: dict
  purge_tags:
    description: Remove tags not given in O(tags). With V(false), given tags are added to the existing ones.
    type: bool
    default: false
  soft_deleted:
    description:
      - What to do when the service does not exist but a soft-deleted service of that name does.
      - V(fail) stops with an explanation; V(restore) undeletes it (in the resource group it was deleted from) and
        then applies the other options; V(purge) removes it for good and creates a new service.
    type: str
    choices: [fail, restore, purge]
    default: fail
  purge:
    description:
      - With O(state=absent), also purge the soft-deleted service so its name can be reused at once. Works when the
        service is already deleted but still soft-deleted. Needs O(wait=true).
      - Purging needs the C(Microsoft.ApiManagement/locations/deletedservices/delete) permission at subscription
        scope.
    type: bool
    default: false
  state:
    description: Whether the service should exist.
    type: str
    choices: [present, absent]
    default: present
notes:
  - API Management API version 2024-05-01 (the one C(azure-mgmt-apimanagement) 5.0.0 calls) has no release channel
    property, so this module does not manage it; new services get Azure's default channel.
extends_documentation_fragment:
  - aigateway.foundry.azure
  - aigateway.foundry.azure.WAIT
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
- name: The model gateway (waits until it is active)
  aigateway.foundry.apim_service:
    resource_group: rg-ai-gateway
    name: apim-ai-gateway-01
    sku_name: Standardv2
    publisher_email: platform@example.com
    publisher_name: Platform team
    soft_deleted: purge

- name: Start the create and come back later
  aigateway.foundry.apim_service:
    resource_group: rg-ai-gateway
    name: apim-ai-gateway-01
    sku_name: Standardv2
    publisher_email: platform@example.com
    publisher_name: Platform team
    wait: false
  register: apim

- name: Delete it and free the name at once
  aigateway.foundry.apim_service:
    resource_group: rg-ai-gateway
    name: apim-ai-gateway-01
    state: absent
    purge: true
"""

RETURN = r"""
id:
  description: The service's resource id.
  returned: when the service exists (or would exist in check mode)
  type: str
  sample: /subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-ai-gateway/providers/Microsoft.ApiManagement/service/apim-ai-gateway-01
state:
  description: The service as Resource Manager returns it (predicted in check mode); null when absent.
  returned: always
  type: dict
gateway_url:
  description: The gateway's URL; null until Azure reports it.
  returned: always
  type: str
  sample: https://apim-ai-gateway-01.azure-api.net
principal_id:
  description: The object id of the system-assigned identity (to grant it roles on Foundry); null without one.
  returned: always
  type: str
provisioning_state:
  description:
    - The provisioning state as Azure reports it, for example C(Created) (with target C(Activating)) while a
      create runs and C(Succeeded) when done.
  returned: always
  type: str
  sample: Succeeded
soft_deleted_service:
  description: The soft-deleted service of this name found before a create or purge, as Azure lists it.
  returned: when one was found
  type: dict
restored:
  description: Whether a soft-deleted service was (or, in check mode, would be) restored.
  returned: always
  type: bool
purged:
  description: Whether a soft-deleted service was (or, in check mode, would be) purged.
  returned: always
  type: bool
"""

import re

from ansible_collections.aigateway.foundry.plugins.module_utils.apim import service_id
from ansible_collections.aigateway.foundry.plugins.module_utils.azure_clients import json_body, raw
from ansible_collections.aigateway.foundry.plugins.module_utils.azure_module import AzureCodeError, AzureModule, Wait
from ansible_collections.aigateway.foundry.plugins.module_utils.azure_state import (
    diff_view,
    differences,
    identity_body,
    merge,
    merged_tags,
    normalise_location,
    normalise_user_assigned,
)

SKU_NAMES = ["Developer", "Basic", "Standard", "Premium", "Consumption", "Basicv2", "Standardv2", "Premiumv2"]
# The spelling of the 2024-05-01 spec (an extensible enum: PremiumV2 came later, as a plain string).
SKU_SPELLING = {"basicv2": "BasicV2", "standardv2": "StandardV2", "premiumv2": "PremiumV2"}
SKU_FAMILIES = {
    "developer": "classic", "basic": "classic", "standard": "classic", "premium": "classic", "isolated": "classic",
    "basicv2": "v2", "standardv2": "v2", "premiumv2": "v2",
    "consumption": "consumption",
}
# lab.md §1: foundry-samples' integration guide, "Only Azure API Management Standard v2 and Premium tiers supported".
FOUNDRY_SUPPORTED_SKUS = ("standardv2", "premium", "premiumv2")
SETTLED_STATES = ("succeeded", "failed", "canceled", "stopped", "terminationfailed", "deleted")
NAME_PATTERN = re.compile(r"^[a-zA-Z](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?$")
SOFT_DELETED_CODE = "ServiceAlreadyExistsInSoftDeletedState"

ARGUMENT_SPEC = dict(
    resource_group=dict(type="str", required=True),
    name=dict(type="str", required=True),
    location=dict(type="str"),
    sku_name=dict(type="str", choices=SKU_NAMES),
    sku_capacity=dict(type="int"),
    publisher_email=dict(type="str"),
    publisher_name=dict(type="str"),
    identity=dict(type="str", choices=["SystemAssigned", "UserAssigned", "SystemAssigned, UserAssigned", "None"],
                  default="SystemAssigned"),
    user_assigned_identities=dict(type="list", elements="str"),
    public_network_access=dict(type="str", choices=["Enabled", "Disabled"]),
    tags=dict(type="dict"),
    purge_tags=dict(type="bool", default=False),
    soft_deleted=dict(type="str", choices=["fail", "restore", "purge"], default="fail"),
    purge=dict(type="bool", default=False),
    state=dict(type="str", choices=["present", "absent"], default="present"),
)


def sku_spelling(name):
    return SKU_SPELLING.get(name.lower(), name) if name else name


def _lower(value):
    return value.lower() if isinstance(value, str) else value


def _identity_type(value):
    return value.replace(" ", "").lower() if isinstance(value, str) else value


def _identity(value):
    # A service without identity reads back as null; that is what type None asks for.
    return value if value else {"type": "None"}


NORMALISERS = {
    "identity": _identity,
    "sku.name": _lower,
    "identity.type": _identity_type,
    "identity.userAssignedIdentities": normalise_user_assigned,
    "properties.publicNetworkAccess": _lower,
}


def validate(params, current):
    """Problems with the input, found before anything is written."""
    name = params["name"]
    if not 1 <= len(name) <= 50 or not NAME_PATTERN.match(name):
        return ("service name %r must be 1-50 letters, digits or hyphens, start with a letter and not end with a "
                "hyphen" % name)
    if params["state"] == "absent":
        if params["purge"] and not params["wait"]:
            return "purge: true needs wait: true (the purge can start only after the delete finished)"
        return None
    if current is None:
        missing = [key for key in ("sku_name", "publisher_email", "publisher_name") if not params[key]]
        if missing:
            return "%s required to create API Management service %s" % (" and ".join(missing), name)
    email = params["publisher_email"]
    if email is not None and ("@" not in email or len(email) > 100):
        return "publisher_email %r must be an email address of at most 100 characters" % email
    if params["publisher_name"] is not None and len(params["publisher_name"]) > 100:
        return "publisher_name must be at most 100 characters"
    sku = (params["sku_name"] or ((current or {}).get("sku") or {}).get("name") or "").lower()
    capacity = params["sku_capacity"]
    if capacity is not None:
        if sku == "consumption" and capacity != 0:
            return "sku_capacity must be 0 for the Consumption tier, not %s" % capacity
        if sku != "consumption" and capacity < 1:
            return "sku_capacity must be at least 1 for the %s tier, not %s" % (params["sku_name"], capacity)
    needs_ids = "UserAssigned" in params["identity"]
    if needs_ids and not params["user_assigned_identities"]:
        return "identity %s needs user_assigned_identities" % params["identity"]
    if not needs_ids and params["user_assigned_identities"]:
        return "user_assigned_identities needs identity UserAssigned or 'SystemAssigned, UserAssigned'"
    if current is not None:
        return immutable_change(params, current)
    return None


def immutable_change(params, current):
    """What API Management refuses to change on an existing service, as a message (None when nothing)."""
    name = params["name"]
    if params["location"] and differences({"location": params["location"]}, {"location": current.get("location")}):
        return ("API Management service %s is in %s; a service's location cannot change to %s"
                % (name, current.get("location"), params["location"]))
    have = ((current.get("sku") or {}).get("name") or "").lower()
    want = (params["sku_name"] or "").lower()
    if want and have and SKU_FAMILIES.get(want) != SKU_FAMILIES.get(have):
        return ("API Management service %s is on the %s tier; API Management cannot move it to %s (a different tier "
                "family: classic, v2 and Consumption do not convert into each other). Create a new service instead."
                % (name, current["sku"]["name"], params["sku_name"]))
    return None


def sku_warning(sku_name):
    if sku_name and sku_name.lower() not in FOUNDRY_SUPPORTED_SKUS:
        return ("sku_name %s: Microsoft Foundry's API Management connection supports only the Standard v2 and "
                "Premium tiers (Standardv2, Premium, Premiumv2); agents may not be able to use this gateway through "
                "a Foundry connection. Direct calls with a subscription key still work." % sku_name)
    return None


def desired_body(params, current, location):
    """The body this task manages (the PUT of a create; the PATCH of an update without location)."""
    current = current or {}
    current_sku = current.get("sku") or {}
    sku_name = sku_spelling(params["sku_name"]) or current_sku.get("name")
    capacity = params["sku_capacity"]
    if capacity is None:
        capacity = current_sku.get("capacity")
    if capacity is None:
        capacity = 0 if (sku_name or "").lower() == "consumption" else 1
    current_props = current.get("properties") or {}
    properties = {
        "publisherEmail": params["publisher_email"] or current_props.get("publisherEmail"),
        "publisherName": params["publisher_name"] or current_props.get("publisherName"),
    }
    if params["public_network_access"]:
        properties["publicNetworkAccess"] = params["public_network_access"]
    identity = identity_body(params["identity"], params["user_assigned_identities"])
    body = {"location": location, "sku": {"name": sku_name, "capacity": capacity}, "identity": identity,
            "properties": properties}
    if params["tags"] is not None:
        body["tags"] = merged_tags(params["tags"], current.get("tags"), params["purge_tags"])
    return body


def patch_body(desired):
    """An update sends what changes; location is not part of API Management's update parameters."""
    return dict((k, v) for k, v in desired.items() if k != "location")


def restore_body(desired):
    """Undelete: API Management ignores every other property when restore is true, but the body must be valid."""
    body = merge(desired, {"properties": {"restore": True}})
    return body


def is_settled(body):
    props = (body or {}).get("properties") or {}
    state = (props.get("provisioningState") or "Succeeded").lower()
    return state in SETTLED_STATES and not props.get("targetProvisioningState")


def deleted_record_matches(record, name):
    return (record.get("name") or "").lower() == name.lower()


def deleted_resource_group(record):
    """The resource group a soft-deleted service was deleted from (from its serviceId)."""
    parts = ((record.get("properties") or {}).get("serviceId") or "").split("/")
    lowered = [p.lower() for p in parts]
    return parts[lowered.index("resourcegroups") + 1] if "resourcegroups" in lowered else None


def describe(module, resource_group, name):
    found = module.get_or_none("read API Management service %s" % name,
                               module.client("apimanagement").api_management_service.get, resource_group, name,
                               cls=raw)
    return found[0] if found else None


def find_deleted(module, name):
    """The soft-deleted service of this name (any location in the subscription), or None."""
    records = module.list_all("list soft-deleted API Management services",
                              module.client("apimanagement").deleted_services.list_by_subscription)
    return next((r for r in records if deleted_record_matches(r, name)), None)


def purge_deleted(module, record):
    name = record["name"]
    action = "purge soft-deleted API Management service %s" % name
    module.call_and_wait(action, module.client("apimanagement").deleted_services.begin_purge, name,
                         normalise_location(record.get("location")), gone_ok=True)


def wait_until_settled(module, resource_group, name, current):
    """Follow a service that is still being provisioned (by an earlier run) until it settles, reading only."""
    if is_settled(current):
        return current
    latest = [current]

    def read():
        latest[0] = describe(module, resource_group, name) or latest[0]
        return latest[0]
    return module.wait_for(Wait("API Management service %s" % name, read, is_settled, module.params["wait_timeout"],
                                progress=lambda body: "still %s" % (body.get("properties") or {}).get("provisioningState")))


def soft_deleted_conflict(action, name, message, choice):
    """The error for a create refused because the name is soft-deleted (found by the PUT, not the listing)."""
    text = "%s failed: a soft-deleted API Management service named %s exists (%s)" % (action, name, message)
    if choice == "fail":
        return text + "; set soft_deleted: restore or soft_deleted: purge"
    # Only a race gets here: the listing read just before did not show the service yet.
    return (text + "; the list of soft-deleted services did not show it yet, so soft_deleted: %s could not apply. "
            "Re-run the task." % choice)


def create(module, resource_group, name, body, action):
    """PUT the service; a soft-deleted name answers 409 with advice on soft_deleted."""
    client = module.client("apimanagement")
    try:
        poller = module.call(action, client.api_management_service.begin_create_or_update, resource_group, name,
                             json_body(body), cls=raw, expect=(SOFT_DELETED_CODE,))
    except AzureCodeError as err:
        module.fail(soft_deleted_conflict(action, name, err.message, module.params["soft_deleted"]),
                    error_code=SOFT_DELETED_CODE)
    result = module.wait(action, poller)
    return result[0] if result else describe(module, resource_group, name)


def ensure_present(module, resource_group, name, current, desired):
    client = module.client("apimanagement")
    new = {"id": service_id(module.subscription_id, resource_group, name), "name": name,
           "type": "Microsoft.ApiManagement/service"}

    def write():
        if current is None:
            return create(module, resource_group, name, desired, "create API Management service %s" % name)
        busy = current
        if not is_settled(busy):
            # API Management refuses updates until an earlier operation (the 30-45 minute activation) ends.
            if not module.params["wait"]:
                module.fail("API Management service %s is still %s (an earlier operation runs); it can be updated "
                            "once that ends: re-run later or with wait: true"
                            % (name, busy["properties"].get("provisioningState")))
            busy = wait_until_settled(module, resource_group, name, busy)
        action = "update API Management service %s" % name
        result = module.call_and_wait(action, client.api_management_service.begin_update, resource_group, name,
                                      json_body(patch_body(desired)), cls=raw)
        return result[0] if result else describe(module, resource_group, name)
    changed, state = module.converge(current, desired, write, new_state=new, normalisers=NORMALISERS)
    if not changed and not module.check_mode and module.params["wait"]:
        state = wait_until_settled(module, resource_group, name, state)
    return changed, state


def ensure_absent(module, resource_group, name, current):
    """(changed, purged, soft-deleted record): delete the service, then purge its soft-deleted record if asked."""
    def delete():
        action = "delete API Management service %s" % name
        module.call_and_wait(action, module.client("apimanagement").api_management_service.begin_delete,
                             resource_group, name)
    changed = module.remove(current, delete)[0]
    purged = False
    record = None
    if module.params["purge"]:
        if current is not None and module.check_mode:
            purged = True
        else:
            record = find_deleted(module, name)
            if record is not None:
                if not module.check_mode:
                    purge_deleted(module, record)
                purged = True
    return changed or purged, purged, record


def handle_soft_deleted(module, resource_group, name, record, desired):
    """Restore or purge a soft-deleted service before the create; returns (current, restored, purged)."""
    choice = module.params["soft_deleted"]
    props = record.get("properties") or {}
    if choice == "fail":
        module.fail("API Management service %s is soft-deleted (deleted %s, purged by Azure on %s) and blocks the "
                    "name; set soft_deleted: restore to undelete it or soft_deleted: purge to remove it for good"
                    % (name, props.get("deletionDate"), props.get("scheduledPurgeDate")))
    if choice == "purge":
        if not module.check_mode:
            purge_deleted(module, record)
        return None, False, True
    origin = deleted_resource_group(record)
    if origin and origin.lower() != resource_group.lower():
        module.fail("soft-deleted API Management service %s was deleted from resource group %s; restore it there or "
                    "purge it" % (name, origin))
    if module.check_mode:
        predicted = merge({"id": service_id(module.subscription_id, resource_group, name), "name": name,
                           "type": "Microsoft.ApiManagement/service"}, desired)
        return predicted, True, False
    action = "restore soft-deleted API Management service %s" % name
    module.call_and_wait(action, module.client("apimanagement").api_management_service.begin_create_or_update,
                         resource_group, name, json_body(restore_body(desired)), cls=raw)
    # Restoring brings the service back as it was deleted; the options are applied on top by the normal update.
    return describe(module, resource_group, name), True, False


def main():
    module = AzureModule(ARGUMENT_SPEC, long_running=True)
    params = module.params
    rg, name = params["resource_group"], params["name"]
    current = describe(module, rg, name)
    problem = validate(params, current) or module.location_problem("Microsoft.ApiManagement/service", params, current)
    if problem:
        module.fail(problem)
    result = dict(restored=False, purged=False)
    managed = None
    before = current
    if params["state"] == "absent":
        changed, result["purged"], record = ensure_absent(module, rg, name, current)
        state = None
        if record is not None:
            result["soft_deleted_service"] = record
    else:
        warning = sku_warning(params["sku_name"] or ((current or {}).get("sku") or {}).get("name"))
        if warning:
            module.module.warn(warning)
        location = params["location"] or (current or {}).get("location") or module.resource_group_location(rg)
        managed = desired_body(params, current, location)
        restored_or_purged = False
        if current is None:
            record = find_deleted(module, name)
            if record is not None:
                result["soft_deleted_service"] = record
                current, result["restored"], result["purged"] = handle_soft_deleted(module, rg, name, record, managed)
                restored_or_purged = True
        if current is not None and result["restored"]:
            # The restored service is what the update now starts from, with its own location and tier.
            problem = immutable_change(params, current)
            if problem:
                module.fail(problem)
            managed = desired_body(params, current, params["location"] or current.get("location") or location)
        changed, state = ensure_present(module, rg, name, current, managed)
        changed = changed or restored_or_purged
    props = (state or {}).get("properties") or {}
    module.exit(changed, state, id=(state or {}).get("id"), gateway_url=props.get("gatewayUrl"),
                principal_id=((state or {}).get("identity") or {}).get("principalId"),
                provisioning_state=props.get("provisioningState"),
                before=diff_view(before, managed), after=diff_view(state, managed), **result)


if __name__ == "__main__":
    main()
