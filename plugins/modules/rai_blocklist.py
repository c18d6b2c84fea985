#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to aigateway.foundry
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: rai_blocklist
short_description: Create, update or delete a content-safety blocklist and its items
version_added: 0.1.0
description:
  - Ensures a blocklist (C(Microsoft.CognitiveServices/accounts/raiBlocklists)) exists on an account (for example a
    C(ContentSafety) account that the C(llm-content-safety) policy calls) with the given description and items
    (C(raiBlocklistItems)), or is deleted.
  - Items are written one at a time; concurrent item writes on one blocklist are what made the AI-Gateway lab
    comment its items out (C(IfMatchPreconditionFailed)).
  - Idempotent, with check mode (predicts the state without writing) and diff mode.
author:
  - aigateway.foundry maintainers (@aigateway)
extends_documentation_fragment: [aigateway.foundry.resource.ACCOUNT_CHILD, aigateway.foundry.azure, aigateway.foundry.azure.WAIT]
options:
  name:
    description: The blocklist's name (what the policy lists under C(blocklists)).
    type: str
    required: true
  description:
    description: The blocklist's description. Unmanaged when omitted.
    type: str
  items:
    description:
      - The blocklist's items. Unmanaged when omitted.
    type: list
    elements: dict
    suboptions:
      name:
        description: The item's name.
        type: str
        required: true
      pattern:
        description: The text (or regular expression) to block, at most 1000 characters.
        type: str
        required: true
      is_regex:
        description: Whether O(items[].pattern) is a regular expression.
        type: bool
        default: false
  purge_items:
    description: Delete items of the blocklist that are not in O(items). Ignored when O(items) is omitted.
    type: bool
    default: true
"""

EXAMPLES = r"""
- name: Terms the gateway refuses
  aigateway.foundry.rai_blocklist:
    resource_group: rg-ai-gateway
    account: contentsafety-01
    name: blocklist1
    description: Terms refused by the model gateway
    items:
      - name: codename
        pattern: Project Nightingale
      - name: card-numbers
        pattern: "\\b(?:\\d[ -]*?){13,16}\\b"
        is_regex: true
"""

RETURN = r"""
id:
  description: The blocklist's resource id.
  returned: when the blocklist exists (or would exist in check mode)
  type: str
state:
  description: The blocklist as Resource Manager returns it (predicted in check mode); null when absent.
  returned: always
  type: dict
  sample: {"name": "blocklist1", "properties": {"description": "Terms refused by the model gateway"}}
items:
  description: The blocklist's items, name to C(properties) (predicted in check mode); empty when absent.
  returned: always
  type: dict
  sample: {"codename": {"pattern": "Project Nightingale", "isRegex": false}}
"""

import re

from ansible_collections.aigateway.foundry.plugins.module_utils import validation
from ansible_collections.aigateway.foundry.plugins.module_utils.arm_resource import (
    ArmType,
    Resource,
    account_child_spec,
    finish,
    from_params,
    settle,
)
from ansible_collections.aigateway.foundry.plugins.module_utils.azure_clients import json_body, raw
from ansible_collections.aigateway.foundry.plugins.module_utils.azure_module import AzureModule
from ansible_collections.aigateway.foundry.plugins.module_utils.azure_state import differences

ARGUMENT_SPEC = account_child_spec(
    description=dict(type="str"),
    items=dict(type="list", elements="dict", options=dict(
        name=dict(type="str", required=True),
        pattern=dict(type="str", required=True),
        is_regex=dict(type="bool", default=False),
    )),
    purge_items=dict(type="bool", default=True),
)

MAX_PATTERN_LENGTH = 1000
RESOURCE = Resource(ArmType("Microsoft.CognitiveServices/accounts/raiBlocklists"), "blocklist", "cognitiveservices",
                    "rai_blocklists", parents=("resource_group", "account"), delete_method="begin_delete")


def validate(params):
    """Problems with the input, found before anything is written."""
    problem = validation.name_problem("Microsoft.CognitiveServices/accounts/raiBlocklists", params["name"])
    if problem:
        return problem
    if params["state"] != "present" or params["items"] is None:
        return None
    seen = set()
    for item in params["items"]:
        problem = validation.name_problem("Microsoft.CognitiveServices/accounts/raiBlocklists/raiBlocklistItems",
                                          item["name"])
        if problem:
            return "%s (blocklist %s)" % (problem, params["name"])
        if item["name"].lower() in seen:
            return "item %s appears twice in blocklist %s" % (item["name"], params["name"])
        seen.add(item["name"].lower())
        if not item["pattern"].strip() or len(item["pattern"]) > MAX_PATTERN_LENGTH:
            return ("item %s of blocklist %s needs a pattern of 1 to %d characters"
                    % (item["name"], params["name"], MAX_PATTERN_LENGTH))
        if item["is_regex"]:
            try:
                re.compile(item["pattern"])
            except re.error as exc:
                return "item %s of blocklist %s is not a valid regular expression: %s" % (item["name"], params["name"], exc)
    return None


def desired_body(params):
    properties = {}
    if params["description"] is not None:
        properties["description"] = params["description"]
    return {"properties": properties}


def desired_items(params):
    """Item name -> properties, or None when the items are unmanaged."""
    if params["items"] is None:
        return None
    return dict((item["name"], {"pattern": item["pattern"], "isRegex": item["is_regex"]}) for item in params["items"])


def item_changes(desired, current, purge):
    """(names to write, names to delete) that make the current items (name -> properties) the desired ones."""
    current_by_lower = dict((name.lower(), name) for name in current)
    to_write = [name for name, props in desired.items()
                if name.lower() not in current_by_lower or differences(props, current[current_by_lower[name.lower()]])]
    wanted = set(name.lower() for name in desired)
    to_delete = [name for name in current if purge and name.lower() not in wanted]
    return to_write, to_delete


def describe_items(module, params):
    listed = module.list_all("list the items of blocklist %s" % params["name"],
                             module.client("cognitiveservices").rai_blocklist_items.list,
                             params["resource_group"], params["account"], params["name"])
    return dict((item["name"], item.get("properties") or {}) for item in listed)


def ensure_items(module, current_items, wanted):
    """(changed, items after): writes and deletes items one at a time; nothing is written in check mode."""
    params = module.params
    resource_group, account, name = params["resource_group"], params["account"], params["name"]
    to_write, to_delete = item_changes(wanted, current_items, params["purge_items"])
    result = dict((item, props) for item, props in current_items.items() if item not in to_delete)
    if not to_write and not to_delete:
        return False, result
    client = module.client("cognitiveservices")
    for item in to_write:
        if not module.check_mode:
            module.call("write item %s of blocklist %s" % (item, name), client.rai_blocklist_items.create_or_update,
                        resource_group, account, name, item, json_body({"properties": wanted[item]}), cls=raw)
        stale = [key for key in result if key.lower() == item.lower()]
        for key in stale:
            del result[key]
        result[item] = dict(wanted[item])
    for item in to_delete:
        if not module.check_mode:
            action = "delete item %s of blocklist %s" % (item, name)
            module.call_and_wait(action, client.rai_blocklist_items.begin_delete, resource_group, account, name, item)
    return True, result


def main():
    module = AzureModule(ARGUMENT_SPEC, long_running=True)
    params = module.params
    module.fail_if(validate(params))
    target = RESOURCE.describe(module)
    current_items = describe_items(module, params) if target.current is not None else {}
    outcome = settle(module, RESOURCE, target, lambda params, current: None, from_params(desired_body))
    wanted = desired_items(params) if params["state"] == "present" else None
    items, before, after = (current_items if params["state"] == "present" else {}), {}, {}
    if wanted is not None:
        items_changed, items = ensure_items(module, current_items, wanted)
        outcome.changed = outcome.changed or items_changed
        before, after = {"items": current_items}, {"items": items}
    finish(module, RESOURCE, outcome, before=before, after=after, items=items)


if __name__ == "__main__":
    main()
