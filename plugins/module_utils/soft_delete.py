# -*- coding: utf-8 -*-
# Copyright: contributors to aigateway.foundry
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Soft delete in one place: find, restore, purge and the name-held message.

Azure keeps a deleted API Management service or Foundry (Cognitive Services) account for about 48 hours, and a key
vault for its retention days, and holds its name meanwhile (Microsoft Learn: "API Management soft-delete",
learn.microsoft.com/azure/api-management/soft-delete, "Recover or purge deleted Azure AI services resources",
learn.microsoft.com/azure/ai-services/recover-purge-resources, and "Azure Key Vault soft-delete overview",
learn.microsoft.com/azure/key-vault/general/soft-delete-overview).  ``SoftDeleted`` declares where a service lists,
restores and purges such resources; ``decide`` is the one rule for a create over a held name (``soft_deleted``:
fail, restore - or ``recover``, Key Vault's word - or purge), which the modules act on and the playbook's preflight
reports (filter ``soft_deleted_report``); ``recover`` applies it before a create, ``write_recovering`` handles Azure refusing a
create for the same reason (its list of deleted resources lags a fresh delete) and ``purge_deleted`` applies the
``purge`` option after a delete; ``run_soft_deletable`` is the runner of such a module.  The ``_info`` modules
return ``held_message`` for each soft-deleted record, which is what the playbook's preflight reports.
"""

from __future__ import annotations

from ansible_collections.aigateway.foundry.plugins.module_utils.arm_resource import Outcome, finish
from ansible_collections.aigateway.foundry.plugins.module_utils.azure_clients import json_body, raw
from ansible_collections.aigateway.foundry.plugins.module_utils.azure_module import AzureCodeError
from ansible_collections.aigateway.foundry.plugins.module_utils.azure_state import merge, normalise_location


# ``recover`` is Key Vault's word (createMode recover) for what the other services call restore.
CHOICE_ALIASES = {"recover": "restore"}


def soft_delete_spec():
    """The options of a module whose resource Azure soft-deletes."""
    return dict(soft_deleted=dict(type="str", choices=["fail", "restore", "recover", "purge"], default="fail"),
                purge=dict(type="bool", default=False))


def chosen(choice):
    """The ``soft_deleted`` choice with its alias resolved: fail, restore or purge."""
    return CHOICE_ALIASES.get(choice, choice)


def decide(soft, choice, record, resource_group):
    """What a create of a name held by the soft-deleted ``record`` does: (action, message).

    action: ``fail`` (message: why and both remedies), ``restore`` or ``purge`` (message: what holds the name).
    Modules act on it before a create; the playbook's preflight reports it (filter ``soft_deleted_report``).
    """
    choice = chosen(choice)
    if choice == "fail":
        return "fail", soft.refusal(record)
    origin = soft.origin_group(record)
    if choice == "restore" and origin and resource_group and origin.lower() != resource_group.lower():
        return "fail", "%s; restore it in resource group %s or purge it" % (soft.held_message(record), origin)
    return choice, soft.held_message(record)


def resource_group_in(resource_id):
    """The resource group named in a resource id (None without one)."""
    parts = (resource_id or "").split("/")
    lowered = [part.lower() for part in parts]
    if "resourcegroups" in lowered and lowered.index("resourcegroups") + 1 < len(parts):
        return parts[lowered.index("resourcegroups") + 1]
    return None


class SoftDeleted(object):
    """Where a service keeps its soft-deleted resources.

    - ``what``: the noun in messages; ``service``: the SDK client; ``group``/``list_method``: the listing of
      soft-deleted records in the subscription; ``resource_group``/``restore_method``: the operation group and the
      PUT that restores (with ``properties.restore: true``);
    - ``conflict_code``: Azure's error code for a create refused because the name is soft-deleted;
    - ``per_resource_group``: names are held per resource group (accounts) rather than subscription-wide (APIM,
      whose name is also its host name);
    - ``record_return``: the result key that carries the record found.
    """

    purge_method = "begin_purge"
    held_for = "for up to 48 hours"

    def location_of(self, record):
        """The region of a soft-deleted record (or of one assumed from the resource)."""
        return record.get("location")

    def __init__(self, what, service, group, list_method, restore_group, restore_method, conflict_code,
                 per_resource_group, record_return):
        self.what = what
        self.service = service
        self.group = group
        self.list_method = list_method
        self.restore_group = restore_group
        self.restore_method = restore_method
        self.conflict_code = conflict_code
        self.per_resource_group = per_resource_group
        self.record_return = record_return

    # ---- what differs between services ------------------------------------------------------------------
    def origin_id(self, record):
        """The id of the resource that was deleted (it names the resource group it was deleted from)."""
        return record.get("id")

    def purge_args(self, resource_group, name, location):
        raise NotImplementedError

    def restore_body(self, record, desired):
        raise NotImplementedError

    # ---- shared -----------------------------------------------------------------------------------------------
    def operations(self, module):
        return getattr(module.client(self.service), self.group)

    def records(self, module):
        return module.list_all("list soft-deleted %ss" % self.what, getattr(self.operations(module), self.list_method))

    def origin_group(self, record):
        return resource_group_in(self.origin_id(record))

    def matches(self, record, resource_group, name):
        """The record is the soft-deleted resource ``name`` (of ``resource_group`` where names are per group)."""
        if (record.get("name") or "").lower() != name.lower():
            return False
        return not (self.per_resource_group and resource_group and
                    (self.origin_group(record) or "").lower() != resource_group.lower())

    def holds(self, record, resource_group, name, desired=None):
        """The record stands in the way of creating ``name`` in ``resource_group`` with the body ``desired``: it is
        that resource (``matches``), or it keeps something else the create needs (a subdomain, see the accounts)."""
        return self.matches(record, resource_group, name)

    def find(self, module, resource_group, name):
        """The soft-deleted record holding ``name`` (in ``resource_group`` where names are per group), or None."""
        return next((r for r in self.records(module) if self.matches(r, resource_group, name)), None)

    def find_holding(self, module, resource_group, name, desired):
        """The soft-deleted record in the way of a create (``holds``), the resource itself first, or None."""
        records = self.records(module)
        return (next((r for r in records if self.matches(r, resource_group, name)), None) or
                next((r for r in records if self.holds(r, resource_group, name, desired)), None))

    def assumed_record(self, resource_group, name, location):
        """What is known of a soft-deleted resource Azure reported but did not list (yet)."""
        return {"name": name, "location": location, "id": "/resourceGroups/%s" % resource_group}

    def held_message(self, record):
        """Why a name cannot be used: which soft-deleted resource holds it, from where, until when."""
        props = record.get("properties") or {}
        facts = ["location %s" % self.location_of(record)]
        if props.get("deletionDate"):
            facts.append("deleted %s" % props["deletionDate"])
        if props.get("scheduledPurgeDate"):
            facts.append("purged by Azure on %s" % props["scheduledPurgeDate"])
        return ("%s %s of resource group %s is soft-deleted (%s) and holds its name %s"
                % (self.what, record.get("name"), self.origin_group(record), ", ".join(facts), self.held_for))

    def refusal(self, record):
        return ("%s: set soft_deleted=restore to recover it or soft_deleted=purge to remove it for good and create "
                "a new one (in a task: soft_deleted: restore or soft_deleted: purge)" % self.held_message(record))

    def purge(self, module, resource_group, name, location, always=False):
        """Purge for good; ``always`` waits whatever ``wait`` says (the name is free only once the purge ended)."""
        action = "purge soft-deleted %s %s" % (self.what, name)
        args = self.purge_args(resource_group, name, normalise_location(location))

        def attempt():
            # A purge sent again after its first try ended Failed may find the record already gone.
            poller = module.call(action, getattr(self.operations(module), self.purge_method), *args, gone_ok=True)
            return None if poller is None else module.wait(action, poller, always=always)
        module.retrying(attempt)

    def restore(self, module, resource_group, name, record, desired):
        """Undelete: the resource comes back as it was deleted; the options are applied by the next write."""
        action = "restore soft-deleted %s %s" % (self.what, name)
        operations = getattr(module.client(self.service), self.restore_group)
        result = module.call_and_wait(action, getattr(operations, self.restore_method), resource_group, name,
                                      json_body(self.restore_body(record, desired)), cls=raw)
        if result and result[0]:
            return result[0]
        return module.read_json("read %s %s" % (self.what, name), operations.get, resource_group, name)


class Recovery(object):
    """What soft-delete handling did in one run: restored, purged, and the soft-deleted record it found."""

    def __init__(self, soft):
        self.soft = soft
        self.restored = False
        self.purged = False
        self.record = None

    @property
    def happened(self):
        return self.restored or self.purged

    def returns(self):
        result = dict(restored=self.restored, purged=self.purged)
        if self.record is not None:
            result[self.soft.record_return] = self.record
        return result


def recover(module, soft, recovery, target, desired, record=None):
    """Apply ``soft_deleted`` to the soft-deleted resource holding the name of a resource that does not exist.

    Returns what the create starts from: None (nothing held, or purged), or the restored resource (predicted in
    check mode).  ``record`` is given when Azure refused a create for this reason before the listing showed it.
    """
    resource_group, name = target.names[0], target.names[-1]
    if record is None:
        record = recovery.record = soft.find_holding(module, resource_group, name, desired)
    if record is None:
        return None
    action, message = decide(soft, module.params["soft_deleted"], record, resource_group)
    if action == "fail":
        module.fail(message, error_code=soft.conflict_code)
    if action == "purge":
        recovery.purged = True
        if not module.check_mode:
            # The record's own group and name: it may be another group's account holding our subdomain.
            soft.purge(module, soft.origin_group(record) or resource_group, record.get("name") or name,
                       soft.location_of(record), always=True)
        return None
    recovery.restored = True
    if module.check_mode:
        known = dict((key, record[key]) for key in ("kind", "sku", "tags") if record.get(key))
        return merge(merge(target.skeleton, known), desired)
    return soft.restore(module, resource_group, name, record, desired)


def write_recovering(module, soft, recovery, target, desired, write):
    """``write(current, expect)`` once; when Azure answers that the name is soft-deleted, recover, then write again.

    Only ``soft.conflict_code`` leads to the second write: any other error fails the task in ``call``.
    """
    try:
        return write(target.current, (soft.conflict_code,))
    except AzureCodeError:
        location = desired.get("location")
        current = recover(module, soft, recovery, target, desired,
                          record=soft.assumed_record(target.names[0], target.names[-1], location))
        return write(current, ())


def purge_deleted(module, soft, recovery, target):
    """With ``purge``: purge what the delete (of this run or an earlier one) left soft-deleted."""
    if not module.params["purge"]:
        return
    current = target.current
    if current is not None and module.check_mode:
        recovery.purged = True
        return
    resource_group, name = target.names[0], target.names[-1]
    record = recovery.record = soft.find(module, resource_group, name)
    if record is None and current is not None:
        # The listing lags a fresh delete: the deleted resource is still known from before.
        record = soft.assumed_record(resource_group, name, current.get("location"))
    if record is None:
        return
    recovery.purged = True
    if not module.check_mode:
        soft.purge(module, resource_group, name, soft.location_of(record), always=True)


def run_soft_deletable(module, resource, soft, validate, desired_body, returns):
    """``arm_resource.run_resource`` for a resource Azure soft-deletes: describe -> validate -> restore or purge a
    soft-deleted one of the name (``soft_deleted``) -> converge, or delete and purge (``purge``) -> exit.

    ``returns(module, target, state)`` adds the module's own result keys; restored and purged are always there.
    """
    params = module.params
    target = resource.describe(module)
    recovery = target.recovery = Recovery(soft)
    module.fail_if(validate(params, target.current) or
                   module.location_problem(resource.arm_type.type, params, target.current))
    before = target.current
    if params["state"] == "absent":
        changed = module.remove(before, lambda: resource.delete(module, target))[0]
        purge_deleted(module, soft, recovery, target)
        outcome = Outcome(changed or recovery.purged, None, before, None)
    else:
        desired = desired_body(params, target)
        if before is None:
            target.current = recover(module, soft, recovery, target, desired)
            if recovery.restored:
                # The restored resource is what the update starts from: check and build the body against it.
                module.fail_if(validate(params, target.current))
                desired = desired_body(params, target)
        changed, state = resource.converge(module, target, desired)
        outcome = Outcome(changed or recovery.happened, state, before, desired)
    finish(module, resource, outcome, **dict(returns(module, target, outcome.state or {}), **recovery.returns()))


class DeletedServices(SoftDeleted):
    """API Management: names are held subscription-wide (the name is the host name); a record names its service id."""

    def __init__(self):
        SoftDeleted.__init__(self, "API Management service", "apimanagement", "deleted_services",
                             "list_by_subscription", "api_management_service", "begin_create_or_update",
                             "ServiceAlreadyExistsInSoftDeletedState", False, "soft_deleted_service")

    def origin_id(self, record):
        return (record.get("properties") or {}).get("serviceId") or record.get("id")

    def purge_args(self, resource_group, name, location):
        return name, location

    def restore_body(self, record, desired):
        # API Management ignores every other property when restore is true, but the body must still be valid.
        return merge(desired, {"properties": {"restore": True}})


class DeletedAccounts(SoftDeleted):
    """Foundry (Cognitive Services) accounts: held per resource group; a restore names the kind and SKU it had.

    A custom subdomain is global and a soft-deleted account keeps its own for 48 hours, so the soft-deleted account
    of the same name in another resource group (or any holding the subdomain wanted) refuses a create with
    CustomDomainInUse ("If the resource using the name was deleted in the last 48 hours, you may need to purge the
    deleted resource", Azure's answer; learn.microsoft.com/azure/ai-services/recover-purge-resources): ``holds``.
    """

    def __init__(self):
        SoftDeleted.__init__(self, "account", "cognitiveservices", "deleted_accounts", "list", "accounts",
                             "begin_create", "FlagMustBeSetForRestore", True, "soft_deleted_account")

    def holds(self, record, resource_group, name, desired=None):
        wanted = ((desired or {}).get("properties") or {}).get("customSubDomainName") or name
        held = (record.get("properties") or {}).get("customSubDomainName") or ""
        return self.matches(record, resource_group, name) or held.lower() == wanted.lower()

    def purge_args(self, resource_group, name, location):
        return location, resource_group, name

    def restore_body(self, record, desired):
        body = {"location": record.get("location") or desired.get("location"), "properties": {"restore": True}}
        body.update((key, record[key]) for key in ("kind", "sku") if record.get(key))
        return body


class DeletedVaults(SoftDeleted):
    """Key Vault: names are global, so a vault is held for the whole subscription (and beyond); a record names the
    vault id and its region under ``properties``; a create with ``createMode: recover`` restores it with its secrets,
    and it is held until its retention (7 to 90 days) ends (learn.microsoft.com/azure/key-vault/general/
    soft-delete-overview)."""

    purge_method = "begin_purge_deleted"
    held_for = "until it is purged"

    def __init__(self):
        SoftDeleted.__init__(self, "key vault", "keyvault", "vaults", "list_deleted", "vaults",
                             "begin_create_or_update", "ConflictError", False, "soft_deleted_vault")

    def origin_id(self, record):
        return (record.get("properties") or {}).get("vaultId") or record.get("id")

    def location_of(self, record):
        return (record.get("properties") or {}).get("location") or record.get("location")

    def purge_args(self, resource_group, name, location):
        return name, location

    def restore_body(self, record, desired):
        # The vault comes back as it was deleted; the body must still be a valid vault.
        return merge(desired, {"properties": {"createMode": "recover"}})


API_MANAGEMENT_SERVICES = DeletedServices()
FOUNDRY_ACCOUNTS = DeletedAccounts()
KEY_VAULTS = DeletedVaults()
