#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to aigateway.foundry
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: apim_product
short_description: Create, update or delete an Azure API Management product and its API links
version_added: 0.1.0
description:
  - Ensures a product exists with the given settings and exactly the given APIs linked to it, or that it is
    deleted (with its subscriptions, as API Management requires).
  - The APIs in O(apis) must exist; a missing one fails the task naming it, before anything is written.
  - Idempotent, with check mode (predicts the state without writing) and diff mode (the linked APIs show as
    C(apis)). Updates and deletes send the product's ETag (If-Match).
author:
  - aigateway.foundry maintainers (@aigateway)
extends_documentation_fragment: [aigateway.foundry.resource.APIM_CHILD, aigateway.foundry.azure]
options:
  name:
    description: The product's id, for example V(gold).
    type: str
    required: true
  display_name:
    description: The product's display name (1-300 characters). Defaults to O(name) on creation.
    type: str
  description:
    description: The product's description (at most 1000 characters; may contain HTML).
    type: str
  terms:
    description: Terms of use that developers accept when they subscribe.
    type: str
  subscription_required:
    description: Callers need a subscription key of the product (a "protected" product); the service's default.
    type: bool
  approval_required:
    description: An administrator approves new subscriptions. Needs a product that requires subscriptions.
    type: bool
  subscriptions_limit:
    description: How many subscriptions a user may have to the product at once. Needs a product that requires subscriptions.
    type: int
  product_state:
    description: Whether the product is published (visible in the developer portal). The service creates products V(notPublished).
    type: str
    choices: [published, notPublished]
  apis:
    description:
      - The names of the APIs the product contains. Links to other APIs are removed; omit to leave the links alone.
    type: list
    elements: str
"""

EXAMPLES = r"""
- name: A product with its own token quota, holding the inference API
  aigateway.foundry.apim_product:
    resource_group: rg-ai-gateway
    service: apim-ai-gateway-01
    name: gold
    display_name: Gold
    description: 1000 tokens per minute
    subscription_required: true
    approval_required: false
    product_state: published
    apis: [inference-api]
"""

RETURN = r"""
id:
  description: The product's resource id.
  returned: when the product exists (or would exist in check mode)
  type: str
  sample: /subscriptions/0000/resourceGroups/rg-ai-gateway/providers/Microsoft.ApiManagement/service/apim-ai-gateway-01/products/gold
state:
  description: The product as Resource Manager returns it (predicted in check mode); null when absent.
  returned: always
  type: dict
apis:
  description: The names of the APIs linked to the product (predicted in check mode), sorted; empty when absent.
  returned: always
  type: list
  elements: str
  sample: [inference-api]
"""

from ansible_collections.aigateway.foundry.plugins.module_utils import validation
from ansible_collections.aigateway.foundry.plugins.module_utils.apim import ApimChild, name_problem
from ansible_collections.aigateway.foundry.plugins.module_utils.arm_resource import apim_child_spec, finish, settle
from ansible_collections.aigateway.foundry.plugins.module_utils.azure_clients import raw
from ansible_collections.aigateway.foundry.plugins.module_utils.azure_module import AzureModule

ARGUMENT_SPEC = apim_child_spec(
    display_name=dict(type="str"),
    description=dict(type="str"),
    terms=dict(type="str"),
    subscription_required=dict(type="bool"),
    approval_required=dict(type="bool"),
    subscriptions_limit=dict(type="int"),
    product_state=dict(type="str", choices=["published", "notPublished"]),
    apis=dict(type="list", elements="str"),
)


def validate(params, current):
    """Problems with the input, found before anything is written."""
    problem = name_problem("product", params["name"], 256)
    if problem or params["state"] == "absent":
        return problem
    if params["display_name"] is not None and not 1 <= len(params["display_name"]) <= 300:
        return "display_name must be 1-300 characters"
    if params["description"] is not None and len(params["description"]) > 1000:
        return "description must be at most 1000 characters"
    required = params["subscription_required"]
    if required is None and current is not None:
        required = (current.get("properties") or {}).get("subscriptionRequired")
    if required is False:
        if params["approval_required"]:
            return "approval_required needs a product that requires subscriptions (subscription_required)"
        if params["subscriptions_limit"] is not None:
            return "subscriptions_limit needs a product that requires subscriptions (subscription_required)"
    if params["subscriptions_limit"] is not None and params["subscriptions_limit"] < 0:
        return "subscriptions_limit must be 0 or more, not %s" % params["subscriptions_limit"]
    if params["apis"] is not None:
        return validation.duplicate_problem("apis", params["apis"])
    return None


def desired_body(params, current):
    """The product body this task manages (ARM JSON of Microsoft.ApiManagement/service/products)."""
    props = {}
    if params["display_name"] is not None or current is None:
        props["displayName"] = params["display_name"] or params["name"]
    for option, key in (("description", "description"), ("terms", "terms"),
                        ("subscription_required", "subscriptionRequired"), ("approval_required", "approvalRequired"),
                        ("subscriptions_limit", "subscriptionsLimit"), ("product_state", "state")):
        if params[option] is not None:
            props[key] = params[option]
    return {"properties": props}


def link_changes(wanted, linked):
    """(to_add, to_remove): API names, compared case-insensitively as API Management does."""
    have = dict((name.lower(), name) for name in linked)
    want = dict((name.lower(), name) for name in wanted)
    return (sorted(want[key] for key in want if key not in have),
            sorted(have[key] for key in have if key not in want))


RESOURCE = ApimChild("products", "product", "product", delete_options=lambda params: {"delete_subscriptions": True})


def linked_apis(module, target):
    items = module.list_all("list APIs of product %s" % target.names[-1],
                            module.client("apimanagement").product_api.list_by_product, *target.names)
    return sorted(item["name"] for item in items)


def missing_apis(module, names):
    """APIs of the task that do not exist in the service (reads only)."""
    params = module.params
    client = module.client("apimanagement")
    return [name for name in names
            if module.get_or_none("read API %s" % name, client.api.get, params["resource_group"], params["service"],
                                  name, cls=raw) is None]


def ensure_links(module, target, linked):
    """(changed, linked API names after): add and remove links to match ``apis``."""
    params = module.params
    if params["apis"] is None:
        return False, linked
    to_add, to_remove = link_changes(params["apis"], linked)
    if not module.check_mode:
        links, name = module.client("apimanagement").product_api, target.names[-1]
        for api in to_add:
            module.call("link API %s to product %s" % (api, name), links.create_or_update, *target.names, api, cls=raw)
        for api in to_remove:
            module.call("unlink API %s from product %s" % (api, name), links.delete, *target.names, api)
    return bool(to_add or to_remove), sorted([api for api in linked if api not in to_remove] + to_add)


def apis_problem(module):
    missing = missing_apis(module, module.params["apis"] or []) if module.params["state"] == "present" else []
    if missing:
        return ("product %s: API%s %s not found in service %s; create %s first"
                % (module.params["name"], "s" if len(missing) > 1 else "", ", ".join(missing),
                   module.params["service"], "them" if len(missing) > 1 else "it"))
    return None


def main():
    module = AzureModule(ARGUMENT_SPEC)
    target = RESOURCE.describe(module)
    linked = linked_apis(module, target) if target.current is not None else []
    outcome = settle(module, RESOURCE, target, lambda params, current: validate(params, current) or apis_problem(module),
                     lambda params, target: desired_body(params, target.current))
    if module.params["state"] == "absent":
        finish(module, RESOURCE, outcome, before=dict(apis=linked), apis=[])
    links_changed, apis = ensure_links(module, target, linked)
    outcome.changed = outcome.changed or links_changed
    shown = {} if module.params["apis"] is None else None
    finish(module, RESOURCE, outcome, before=shown if shown is not None else dict(apis=linked),
           after=shown if shown is not None else dict(apis=apis), apis=apis)


if __name__ == "__main__":
    main()
