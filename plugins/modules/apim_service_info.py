#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to aigateway.foundry
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: apim_service_info
short_description: Read Azure API Management services, or the soft-deleted ones
version_added: 0.1.0
description:
  - Returns one API Management service, the services of a resource group or of the subscription.
  - With O(deleted=true) returns the soft-deleted services of the subscription (optionally only the one named
    O(name)), which is what a preflight needs before re-creating a name and what a teardown shows to prove a purge.
  - Only reads; never changes anything.
author:
  - aigateway.foundry maintainers (@aigateway)
extends_documentation_fragment: [aigateway.foundry.resource.READ_ONLY, aigateway.foundry.azure]
options:
  resource_group:
    description: The resource group to read. Without it, the whole subscription is listed. Ignored with O(deleted).
    type: str
    aliases: [resource_group_name]
  name:
    description:
      - The service to read. Needs O(resource_group), unless O(deleted=true), where it filters the soft-deleted
        services by name.
    type: str
  deleted:
    description: List soft-deleted services (subscription-wide) instead of live ones.
    type: bool
    default: false
attributes:
  check_mode:
    details: Only reads.
"""

EXAMPLES = r"""
- name: Preflight, is the gateway's name blocked by a soft-deleted service?
  aigateway.foundry.apim_service_info:
    name: apim-ai-gateway-01
    deleted: true
  register: deleted_apim

- name: Fail early with a clear message
  ansible.builtin.assert:
    that: deleted_apim.deleted_services | length == 0
    fail_msg: "apim-ai-gateway-01 is soft-deleted; purge it or use soft_deleted: restore"

- name: The gateway as it is
  aigateway.foundry.apim_service_info:
    resource_group: rg-ai-gateway
    name: apim-ai-gateway-01
  register: apim
"""

RETURN = r"""
services:
  description: The services found, as Resource Manager returns them (empty when none; one item with O(name)).
  returned: unless O(deleted=true)
  type: list
  elements: dict
deleted_services:
  description:
    - The soft-deleted services, each with C(name), C(location) and C(properties) C(serviceId), C(deletionDate),
      C(scheduledPurgeDate).
  returned: when O(deleted=true)
  type: list
  elements: dict
  sample: [{"name": "apim-ai-gateway-01", "location": "Sweden Central", "type": "Microsoft.ApiManagement/deletedservices",
            "properties": {"deletionDate": "2026-05-01T10:00:00Z", "scheduledPurgeDate": "2026-05-03T10:00:00Z",
                           "serviceId": "/subscriptions/0000/resourceGroups/rg/providers/Microsoft.ApiManagement/service/apim-ai-gateway-01"}}]
held:
  description: For each soft-deleted service listed, the message saying which name it holds and until when.
  returned: when O(deleted=true)
  type: list
  elements: str
  sample: ["API Management service apim-ai-gateway-01 of resource group rg is soft-deleted (location Sweden Central,
            deleted 2026-05-01T10:00:00Z, purged by Azure on 2026-05-03T10:00:00Z) and holds its name for up to 48 hours"]
"""


from ansible_collections.aigateway.foundry.plugins.module_utils.azure_clients import raw
from ansible_collections.aigateway.foundry.plugins.module_utils.azure_module import AzureModule
from ansible_collections.aigateway.foundry.plugins.module_utils.soft_delete import API_MANAGEMENT_SERVICES

ARGUMENT_SPEC = dict(
    resource_group=dict(type="str", aliases=["resource_group_name"]),
    name=dict(type="str"),
    deleted=dict(type="bool", default=False),
)


def validate(params):
    if params["name"] and not params["deleted"] and not params["resource_group"]:
        return "name needs resource_group (or deleted: true to look for a soft-deleted service of that name)"
    return None


def named(records, name):
    """The records whose name is ``name`` (API Management compares names case-insensitively); all without one."""
    if not name:
        return records
    return [r for r in records if (r.get("name") or "").lower() == name.lower()]


def read_services(module, resource_group, name):
    client = module.client("apimanagement").api_management_service
    if name:
        found = module.get_or_none("read API Management service %s" % name, client.get, resource_group, name, cls=raw)
        return [found[0]] if found else []
    if resource_group:
        return module.list_all("list API Management services in %s" % resource_group,
                               client.list_by_resource_group, resource_group)
    return module.list_all("list API Management services", client.list)


def main():
    module = AzureModule(ARGUMENT_SPEC)
    params = module.params
    module.fail_if(validate(params))
    if params["deleted"]:
        records = named(API_MANAGEMENT_SERVICES.records(module), params["name"])
        module.module.exit_json(changed=False, deleted_services=records,
                                held=[API_MANAGEMENT_SERVICES.held_message(record) for record in records])
    module.module.exit_json(changed=False, services=read_services(module, params["resource_group"], params["name"]))


if __name__ == "__main__":
    main()
