# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The playbooks' soft-delete decisions, by the modules' own rule (plugins/module_utils/soft_delete.py).

``soft_deleted_report`` is site.yml's preflight: for each soft-deleted resource that holds one of the run's names,
what the create will do (``soft_delete.decide``): restore, purge, or fail with the module's message.
``teardown_inventory`` is what teardown removes: every soft-deletable resource the run made, found in Azure (the
resource group's own listing, and what was soft-deleted from the group), together with the names the settings give;
``soft_deleted_left`` is teardown's proof that none of them is still held.  None of them writes anything.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.errors import AnsibleFilterError

from ansible_collections.aigateway.foundry.plugins.module_utils.soft_delete import (
    API_MANAGEMENT_SERVICES,
    FOUNDRY_ACCOUNTS,
    KEY_VAULTS,
    decide,
    resource_group_in,
)

_KINDS = (("accounts", "account_names", FOUNDRY_ACCOUNTS), ("services", "service_names", API_MANAGEMENT_SERVICES))
# What teardown removes, by kind: the soft-delete declaration of the kind (None: a Log Analytics workspace, which
# teardown deletes for good with force, and which a create of the same name in the same group recovers anyway).
_TEARDOWN_KINDS = (("accounts", FOUNDRY_ACCOUNTS), ("services", API_MANAGEMENT_SERVICES), ("vaults", KEY_VAULTS),
                   ("workspaces", None))


def soft_deleted_report(found):
    """found: choice (fail, restore, recover or purge), resource_group, accounts and services (the soft-deleted
    records cognitive_account_info and apim_service_info list), account_names and service_names (the run's names).

    Returns one {name, action, message} per record holding one of the names, action being fail, restore or purge.
    """
    report = []
    for records_key, names_key, soft in _KINDS:
        for name in found.get(names_key) or []:
            for record in found.get(records_key) or []:
                if soft.holds(record, found.get("resource_group"), name):
                    action, message = decide(soft, found.get("choice"), record, found.get("resource_group"))
                    if action != "fail":
                        message = "%s; the create will %s it" % (message, action)
                    report.append({"name": record.get("name"), "action": action, "message": message})
    return report


def _from_group(soft, record, resource_group):
    return bool(resource_group) and (soft.origin_group(record) or "").lower() == resource_group.lower()


def _section(found, key, kind):
    section = found.get(key) or {}
    if not isinstance(section, dict):
        raise AnsibleFilterError("teardown_inventory: %s must be a dict of lists by kind, got %r" % (key, section))
    value = section.get(kind) or []
    if not isinstance(value, list):
        raise AnsibleFilterError("teardown_inventory: %s.%s must be a list, got %r" % (key, kind, value))
    return value


def teardown_inventory(found):
    """found: resource_group; declared (names the settings give, by kind), live (the records the info modules list
    in the group, by kind), deleted (the soft-deleted records of the subscription, by kind); kinds are accounts
    (Cognitive Services accounts of every kind), services (API Management), vaults (Key Vault), workspaces (Log
    Analytics).

    Returns {kind: [names]}: each name once, compared case-insensitively as Azure compares them, in the order
    declared, then found in the group, then soft-deleted from the group (a record of another group is not ours).
    """
    resource_group = found.get("resource_group") or ""
    if not resource_group:
        raise AnsibleFilterError("teardown_inventory needs the resource_group, got %r" % (found,))
    inventory = {}
    for kind, soft in _TEARDOWN_KINDS:
        names = [str(name) for name in _section(found, "declared", kind) if name]
        names += [record.get("name") for record in _section(found, "live", kind)
                  if (resource_group_in(record.get("id")) or "").lower() == resource_group.lower()]
        if soft is not None:
            names += [record.get("name") for record in _section(found, "deleted", kind)
                      if _from_group(soft, record, resource_group)]
        seen, inventory[kind] = set(), []
        for name in names:
            if name and name.lower() not in seen:
                seen.add(name.lower())
                inventory[kind].append(name)
    return inventory


def soft_deleted_left(found):
    """found: resource_group, names ({accounts, services, vaults}: what teardown removed, as teardown_inventory
    returns them), accounts, services and vaults (soft-deleted records: cognitive_account_info and apim_service_info
    with deleted=true, key_vault's soft_deleted_vault).

    Returns the message of every soft-deleted record still holding one of the names or deleted from the group.
    """
    resource_group = found.get("resource_group") or ""
    names = found.get("names") or {}
    left = []
    for kind, soft in _TEARDOWN_KINDS:
        if soft is None:
            continue
        for record in found.get(kind) or []:
            ours = any(soft.matches(record, resource_group, name) for name in names.get(kind) or [])
            if ours or _from_group(soft, record, resource_group):
                left.append(soft.held_message(record))
    return left


class FilterModule(object):
    def filters(self):
        return {"soft_deleted_report": soft_deleted_report, "teardown_inventory": teardown_inventory,
                "soft_deleted_left": soft_deleted_left}
