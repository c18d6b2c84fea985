# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The playbook's soft-delete preflight, decided by the modules' own rule (plugins/module_utils/soft_delete.py).

It reads what the info modules listed and says, for each soft-deleted resource that holds one of the run's names,
what the create will do (``soft_delete.decide``): restore, purge, or fail with the module's message.  It writes
nothing; the playbook stops before any write when a create would fail.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.aigateway.foundry.plugins.module_utils.soft_delete import (
    API_MANAGEMENT_SERVICES,
    FOUNDRY_ACCOUNTS,
    decide,
)

_KINDS = (("accounts", "account_names", FOUNDRY_ACCOUNTS), ("services", "service_names", API_MANAGEMENT_SERVICES))


def soft_deleted_report(found):
    """found: choice (fail, restore, recover or purge), resource_group, accounts and services (the soft-deleted
    records cognitive_account_info and apim_service_info list), account_names and service_names (the run's names).

    Returns one {name, action, message} per record holding one of the names, action being fail, restore or purge.
    """
    report = []
    for records_key, names_key, soft in _KINDS:
        for name in found.get(names_key) or []:
            for record in found.get(records_key) or []:
                if soft.matches(record, found.get("resource_group"), name):
                    action, message = decide(soft, found.get("choice"), record, found.get("resource_group"))
                    if action != "fail":
                        message = "%s; the create will %s it" % (message, action)
                    report.append({"name": record.get("name"), "action": action, "message": message})
    return report


class FilterModule(object):
    def filters(self):
        return {"soft_deleted_report": soft_deleted_report}
