#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to aigateway.foundry
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: apim_named_value_info
short_description: List the named values of an Azure API Management service (never secret values)
version_added: 0.2.0
description:
  - Returns the named values of an API Management service as Resource Manager returns them, optionally only those
    carrying all the given tags. Never writes.
  - The value of a secret named value is never returned (API Management lists secrets without their value, and
    this module drops it in any case); plain values are returned as they are.
author:
  - aigateway.foundry maintainers (@aigateway)
extends_documentation_fragment: [aigateway.foundry.resource.APIM_SERVICE_READ_ONLY, aigateway.foundry.azure]
options:
  tags:
    description: Only named values that carry every one of these tags (compared case-insensitively).
    type: list
    elements: str
    default: []
"""

EXAMPLES = r"""
- name: The onboarding records of a gateway
  aigateway.foundry.apim_named_value_info:
    resource_group: rg-ai-gateway
    service: apim-ai-gateway-01
    tags: [aigw-onboarding]
  register: records
"""

RETURN = r"""
named_values:
  description: The named values (empty when none match); secret ones without C(properties.value).
  returned: always
  type: list
  elements: dict
  sample:
    - {"name": "team-a", "properties": {"displayName": "team-a", "secret": false, "tags": ["aigw-onboarding"],
                                        "value": "{\"project\": \"team-a\"}"}}
"""

from ansible_collections.aigateway.foundry.plugins.module_utils.azure_module import AzureModule
from ansible_collections.aigateway.foundry.plugins.module_utils.azure_state import drop_paths

ARGUMENT_SPEC = dict(
    resource_group=dict(type="str", required=True, aliases=["resource_group_name"]),
    service=dict(type="str", required=True, aliases=["service_name"]),
    tags=dict(type="list", elements="str", default=[]),
)


def visible(item, tags):
    """The named value as returned (a secret's value dropped), or None when it lacks one of ``tags``."""
    props = item.get("properties") or {}
    carried = set(tag.lower() for tag in props.get("tags") or [])
    if any(tag.lower() not in carried for tag in tags):
        return None
    return drop_paths(item, ["properties.value"]) if props.get("secret") else item


def main():
    module = AzureModule(ARGUMENT_SPEC)
    params = module.params
    items = module.list_all("list named values of %s" % params["service"],
                            module.client("apimanagement").named_value.list_by_service,
                            params["resource_group"], params["service"])
    shown = [visible(item, params["tags"]) for item in items]
    module.module.exit_json(changed=False, named_values=[item for item in shown if item is not None])


if __name__ == "__main__":
    main()
