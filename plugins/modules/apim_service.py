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
extends_documentation_fragment: [aigateway.foundry.resource.RESOURCE_GROUP, aigateway.foundry.resource.TAGS,
                                 aigateway.foundry.azure, aigateway.foundry.azure.WAIT]
options:
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
  release_channel:
    description:
      - When the service gets API Management's updates (C(releaseChannel)), V(Default) unless set. Only API version
        2024-06-01-preview defines it, so with this option the module reads and writes the service at that version;
        without it, at the SDK's 2024-05-01.
      - See U(https://learn.microsoft.com/azure/api-management/configure-service-update-settings).
    type: str
    choices: [Default, Preview, Stable]
  soft_deleted:
    description:
      - What to do when the service does not exist but a soft-deleted service of that name does.
      - V(fail) stops with an explanation; V(restore) undeletes it (in the resource group it was deleted from) and
        then applies the other options; V(purge) removes it for good and creates a new service.
      - V(recover) is an alias of V(restore) (Key Vault's word for it).
    type: str
    choices: [fail, restore, recover, purge]
    default: fail
  purge:
    description:
      - With O(state=absent), also purge the soft-deleted service so its name can be reused at once. Works when the
        service is already deleted but still soft-deleted. Needs O(wait=true).
      - Purging needs the C(Microsoft.ApiManagement/locations/deletedservices/delete) permission at subscription
        scope.
    type: bool
    default: false
notes:
  - API Management API version 2024-05-01 (the one C(azure-mgmt-apimanagement) 5.0.0 calls) has no release channel
    property, so this module does not manage it; new services get Azure's default channel.
"""

EXAMPLES = r"""
- name: Start creating the model gateway (30 to 45 minutes) and go on with other tasks
  aigateway.foundry.apim_service:
    resource_group: rg-ai-gateway
    name: apim-ai-gateway-01
    sku_name: Standardv2
    publisher_email: platform@example.com
    publisher_name: Platform team
    soft_deleted: purge
    wait: false

- name: Later, follow it until it is active (an existing service needs no create options)
  aigateway.foundry.apim_service:
    resource_group: rg-ai-gateway
    name: apim-ai-gateway-01
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

from ansible_collections.aigateway.foundry.plugins.module_utils import validation
from ansible_collections.aigateway.foundry.plugins.module_utils.apim import SERVICE
from ansible_collections.aigateway.foundry.plugins.module_utils.arm_resource import (
    TAGS_SPEC,
    Resource,
    lower,
    resource_group_spec,
    with_tags,
)
from ansible_collections.aigateway.foundry.plugins.module_utils.azure_clients import API_VERSIONS, json_body, raw
from ansible_collections.aigateway.foundry.plugins.module_utils.azure_module import AzureModule, Wait
from ansible_collections.aigateway.foundry.plugins.module_utils.azure_state import (
    IDENTITY_NORMALISERS,
    differences,
    identity_body,
    identity_problem,
)
from ansible_collections.aigateway.foundry.plugins.module_utils.soft_delete import (
    API_MANAGEMENT_SERVICES,
    run_soft_deletable,
    soft_delete_spec,
    write_recovering,
)

# The spelling of the 2024-05-01 spec (an extensible enum: PremiumV2 came later, as a plain string).
SKU_SPELLING = {"basicv2": "BasicV2", "standardv2": "StandardV2", "premiumv2": "PremiumV2"}
SKU_FAMILIES = {
    "developer": "classic", "basic": "classic", "standard": "classic", "premium": "classic", "isolated": "classic",
    "basicv2": "v2", "standardv2": "v2", "premiumv2": "v2",
    "consumption": "consumption",
}
SETTLED_STATES = ("succeeded", "failed", "canceled", "stopped", "terminationfailed", "deleted")
IDENTITY_TYPES = ["SystemAssigned", "UserAssigned", "SystemAssigned, UserAssigned", "None"]

ARGUMENT_SPEC = resource_group_spec(
    location=dict(type="str"),
    sku_name=dict(type="str", choices=list(validation.APIM_SKUS)),
    sku_capacity=dict(type="int"),
    publisher_email=dict(type="str"),
    publisher_name=dict(type="str"),
    identity=dict(type="str", choices=IDENTITY_TYPES, default="SystemAssigned"),
    user_assigned_identities=dict(type="list", elements="str"),
    public_network_access=dict(type="str", choices=["Enabled", "Disabled"]),
    release_channel=dict(type="str", choices=["Default", "Preview", "Stable"]),
    **TAGS_SPEC,
    **soft_delete_spec()
)


def sku_spelling(name):
    return SKU_SPELLING.get(name.lower(), name) if name else name


def _identity(value):
    # A service without identity reads back as null; that is what type None asks for.
    return value if value else {"type": "None"}


NORMALISERS = dict(IDENTITY_NORMALISERS, **{
    "identity": _identity,
    "sku.name": lower,
    "properties.publicNetworkAccess": lower,
    "properties.releaseChannel": lower,
})


def validate(params, current):
    """Problems with the input, found before anything is written."""
    name = params["name"]
    problem = validation.name_problem("Microsoft.ApiManagement/service", name)
    if problem:
        return problem
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
    problem = identity_problem(params["identity"], params["user_assigned_identities"], "user_assigned_identities")
    if problem or current is None:
        return problem
    return immutable_change(params, current)


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
    if sku_name and sku_name.lower() not in [sku.lower() for sku in validation.FOUNDRY_APIM_SKUS]:
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
    if params["release_channel"]:
        properties["releaseChannel"] = params["release_channel"]
    identity = identity_body(params["identity"], params["user_assigned_identities"])
    body = {"location": location, "sku": {"name": sku_name, "capacity": capacity}, "identity": identity,
            "properties": properties}
    return with_tags(body, params, current)


def patch_body(desired):
    """An update sends what changes; location is not part of API Management's update parameters."""
    return dict((k, v) for k, v in desired.items() if k != "location")


def is_settled(body):
    props = (body or {}).get("properties") or {}
    state = (props.get("provisioningState") or "Succeeded").lower()
    return state in SETTLED_STATES and not props.get("targetProvisioningState")


class Service(Resource):
    """A create is a PUT (refused while the name is soft-deleted); an update is a PATCH once earlier work settled;
    an unchanged service still being provisioned is followed until it settles (with wait)."""

    def converge(self, module, target, desired):
        module.warn(sku_warning(module.params["sku_name"] or ((target.current or {}).get("sku") or {}).get("name")))
        changed, state = Resource.converge(self, module, target, desired)
        if not changed and not module.check_mode and module.params["wait"]:
            state = wait_until_settled(module, target, state)
        return changed, state

    def write(self, module, target, body):
        return write_recovering(module, API_MANAGEMENT_SERVICES, target.recovery, target, body,
                                lambda current, expect: self.put_or_patch(module, target, current, body, expect))

    def put_or_patch(self, module, target, current, body, expect):
        operations = self.operations(module)
        if current is None:
            action = self.action("create", target)
            poller = module.call(action, operations.begin_create_or_update, *target.names, json_body(body), cls=raw,
                                 expect=expect, **self.version_options(module.params))
        else:
            if not is_settled(current):
                # API Management refuses updates until an earlier operation (the 30-45 minute activation) ends.
                if not module.params["wait"]:
                    module.fail("API Management service %s is still %s (an earlier operation runs); it can be "
                                "updated once that ends: re-run later or with wait: true"
                                % (target.names[-1], current["properties"].get("provisioningState")))
                wait_until_settled(module, target, current)
            action = self.action("update", target)
            poller = module.call(action, operations.begin_update, *target.names, json_body(patch_body(body)), cls=raw,
                                 **self.version_options(module.params))
        result = module.wait(action, poller)
        return result[0] if result else self.reread(module, target)


def api_version(params):
    """releaseChannel exists from 2024-06-01-preview on; the SDK speaks 2024-05-01."""
    return API_VERSIONS["Microsoft.ApiManagement/service:releaseChannel"] if params.get("release_channel") else None


RESOURCE = Service(SERVICE, "API Management service", "apimanagement", "api_management_service", long_running=True,
                   normalisers=NORMALISERS, api_version=api_version)


def wait_until_settled(module, target, current):
    """Follow a service that is still being provisioned (by an earlier run) until it settles, reading only."""
    if is_settled(current):
        return current
    latest = [current]

    def read():
        latest[0] = RESOURCE.reread(module, target) or latest[0]
        return latest[0]
    return module.wait_for(Wait("API Management service %s" % target.names[-1], read, is_settled,
                                module.params["wait_timeout"], progress=lambda body: "still %s" % (
                                    body.get("properties") or {}).get("provisioningState")))


def returns(module, target, state):
    properties = state.get("properties") or {}
    return dict(gateway_url=properties.get("gatewayUrl"), principal_id=(state.get("identity") or {}).get("principalId"),
                provisioning_state=properties.get("provisioningState"))


def main():
    run_soft_deletable(AzureModule(ARGUMENT_SPEC, long_running=True), RESOURCE, API_MANAGEMENT_SERVICES, validate,
                       lambda params, target: desired_body(params, target.current, target.location), returns)


if __name__ == "__main__":
    main()
