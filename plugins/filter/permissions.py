# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Azure RBAC matching: which of the actions a task needs do the caller's effective permissions not allow? And the
one table of the actions each entry playbook needs, by scope, from the run's inputs (the permission preflight,
playbooks/tasks/permissions.yml).

The permissions are Azure's own answer, ``GET {scope}/providers/Microsoft.Authorization/permissions`` (one entry
per role assignment of the caller at or above the scope: actions, notActions, dataActions, notDataActions). An
action is allowed when one entry's actions match it and none of that same entry's notActions do: notActions
subtract from their own role only, another role may still grant the action (Microsoft Learn, "Understand Azure
role definitions", NotActions). Matching is case-insensitive and ``*`` stands for any run of characters, ``/``
included, so ``*/read`` and ``Microsoft.ApiManagement/service/*`` match as Azure matches them.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible.errors import AnsibleFilterError


def action_pattern(wildcard):
    """A compiled regular expression for one actions/notActions entry."""
    return re.compile("^%s$" % ".*".join(re.escape(part) for part in wildcard.split("*")), re.IGNORECASE)


def matches(wildcards, action):
    return any(action_pattern(wildcard).match(action) for wildcard in wildcards or ())


def allowed(permission, action):
    """Whether one permissions entry allows ``action``: matched by its actions, not by its notActions."""
    return matches(permission.get("actions"), action) and not matches(permission.get("notActions"), action)


def missing_actions(permissions, actions):
    """The actions of ``actions`` no entry of ``permissions`` allows, in the order given."""
    if not isinstance(permissions, list) or not all(isinstance(entry, dict) for entry in permissions):
        raise AnsibleFilterError("missing_actions: the permissions must be a list of permission entries "
                                 "(actions, notActions), got %r" % (permissions,))
    if not isinstance(actions, list) or not all(isinstance(action, str) and action for action in actions):
        raise AnsibleFilterError("missing_actions: the actions must be a list of action names, got %r" % (actions,))
    return [action for action in actions if not any(allowed(entry, action) for entry in permissions)]


SUBSCRIPTION = "subscription"
SOFT_DELETE_LISTING = "soft_delete_listing"

# Operation names as Azure's provider operations list spells them (Learn, "Azure resource provider operations").
# Soft-deleted services and accounts are listed, and purged, at the subscription, whatever group held them: the API
# Management and Cognitive Services roles scoped to a group lack these (MicrosoftDocs/azure-docs#94436, #103432).
LIST_SOFT_DELETED = ("Microsoft.ApiManagement/deletedservices/read", "Microsoft.CognitiveServices/deletedAccounts/read")
PURGE_SOFT_DELETED = ("Microsoft.ApiManagement/locations/deletedservices/delete",
                      "Microsoft.CognitiveServices/locations/resourceGroups/deletedAccounts/delete")
ROLE_ASSIGNMENT = "Microsoft.Authorization/roleAssignments/write"
GROUP_WRITE = "Microsoft.Resources/subscriptions/resourceGroups/write"
# What site.yml creates in the group it owns, by the switch that makes it (None: always).
SITE_GROUP_ACTIONS = (
    (None, "Microsoft.OperationalInsights/workspaces/write", "the log workspace"),
    (None, "Microsoft.Insights/components/write", "Application Insights"),
    (None, "Microsoft.Insights/diagnosticSettings/write", "the diagnostic settings"),
    (None, "Microsoft.CognitiveServices/accounts/write", "the Foundry accounts"),
    (None, "Microsoft.CognitiveServices/accounts/deployments/write", "the model deployments"),
    (None, "Microsoft.CognitiveServices/accounts/projects/write", "the Foundry project"),
    (None, ROLE_ASSIGNMENT, "the roles of API Management's identity and of the connection"),
    ("own_apim", "Microsoft.ApiManagement/service/write", "API Management"),
    ("semantic_cache", "Microsoft.Cache/redisEnterprise/write", "the semantic cache's Redis"),
    ("semantic_cache", "Microsoft.Cache/redisEnterprise/databases/write", "the semantic cache's Redis database"),
    ("content_safety", "Microsoft.CognitiveServices/accounts/raiBlocklists/write", "the content-safety blocklists"),
)
ONBOARD_GATEWAY_ACTIONS = (
    "Microsoft.ApiManagement/service/products/write", "Microsoft.ApiManagement/service/subscriptions/write",
    "Microsoft.ApiManagement/service/subscriptions/listSecrets/action",
    "Microsoft.ApiManagement/service/namedValues/write",
)
ONBOARD_PROJECT_ACTIONS = (
    (None, "Microsoft.CognitiveServices/accounts/projects/connections/write", "the projects' connections"),
    ("create_project", "Microsoft.CognitiveServices/accounts/projects/write", "the projects onboarding creates"),
    ("grant_caller", ROLE_ASSIGNMENT, "the caller's Azure AI User role on the projects"),
)


def group_scope(name):
    return "resourceGroups/%s" % name


def _need(scope, action, why, skippable=None):
    return {"scope": scope, "action": action, "why": why, "skippable": skippable}


def _group_write(run, group):
    """A group the run writes: it needs the group's create at the subscription unless the group exists."""
    exists = group.lower() in [name.lower() for name in run.get("existing_groups", [])]
    return _need(group_scope(group) if exists else SUBSCRIPTION, GROUP_WRITE,
                 "resource group %s%s" % (group, "" if exists else " (created)"))


def _soft_deleted(run, listed):
    """The subscription-wide look for soft-deleted names (skippable only when it decides nothing: choice fail) and
    the purge a purge choice makes."""
    needs = [_need(SUBSCRIPTION, action, "the look for soft-deleted names",
                   SOFT_DELETE_LISTING if run.get("soft_deleted", "fail") == "fail" else None)
             for action in LIST_SOFT_DELETED] if listed else []
    if run.get("purge"):
        needs += [_need(SUBSCRIPTION, action, "the purge of soft-deleted names") for action in PURGE_SOFT_DELETED]
    return needs


def required_actions(run):
    """The actions the run will need, by scope (``subscription`` or ``resourceGroups/<name>``), each with why and,
    for a step the run can do without, the step's name. ``run``: ``playbook`` (site, onboard or teardown),
    ``resource_group``, ``existing_groups`` (the groups that exist already), ``unregistered_providers``,
    ``apim_existing``, ``soft_deleted`` (fail, purge or restore), ``semantic_cache``, ``content_safety``,
    ``key_vault``, ``teardown_purge``, ``gateway_group``, ``projects`` (onboarding's, each with
    ``resource_group``, ``create_project``) and ``grant_caller``."""
    if not isinstance(run, dict) or run.get("playbook") not in ("site", "onboard", "teardown"):
        raise AnsibleFilterError("required_actions: the run must be a dict with playbook site, onboard or teardown, "
                                 "got %r" % (run,))
    group, playbook = run.get("resource_group"), run["playbook"]
    if not group:
        raise AnsibleFilterError("required_actions: the run names no resource_group")
    needs = [_need(SUBSCRIPTION, "%s/register/action" % namespace, "registering resource provider %s" % namespace)
             for namespace in run.get("unregistered_providers") or []]
    if playbook == "site":
        switches = {"own_apim": not run.get("apim_existing"), "semantic_cache": run.get("semantic_cache"),
                    "content_safety": run.get("content_safety")}
        needs.append(_group_write(run, group))
        needs += [_need(group_scope(group), action, why) for switch, action, why in SITE_GROUP_ACTIONS
                  if switch is None or switches[switch]]
        needs += _soft_deleted(dict(run, purge=run.get("soft_deleted") == "purge"), listed=True)
    elif playbook == "teardown":
        if group.lower() in [name.lower() for name in run.get("existing_groups", [])]:
            needs.append(_need(group_scope(group), "Microsoft.Resources/subscriptions/resourceGroups/delete",
                               "deleting resource group %s" % group))
        needs += _soft_deleted(dict(run, purge=run.get("teardown_purge")), listed=False)
        if run.get("key_vault"):
            needs.append(_need(SUBSCRIPTION, "Microsoft.KeyVault/locations/deletedVaults/purge/action",
                               "the purge of the onboarding Key Vault"))
    else:
        gateway = run.get("gateway_group") or group
        needs += [_need(group_scope(gateway), action, "the projects' products, subscriptions and keys in the gateway")
                  for action in ONBOARD_GATEWAY_ACTIONS]
        # a malformed entry is the onboarding role's to name; it needs nothing here
        projects = run.get("projects") if isinstance(run.get("projects"), list) else []
        for project in [entry for entry in projects if isinstance(entry, dict)]:
            switches = {"create_project": project.get("create_project", True), "grant_caller": run.get("grant_caller")}
            needs += [_need(group_scope(project.get("resource_group") or gateway), action, why)
                      for switch, action, why in ONBOARD_PROJECT_ACTIONS if switch is None or switches[switch]]
        if run.get("key_vault"):
            needs.append(_group_write(run, group))
            needs += [_need(group_scope(group), action, "the onboarding Key Vault")
                      for action in ("Microsoft.KeyVault/vaults/write", "Microsoft.KeyVault/vaults/secrets/write")]
    unique = []
    for need in needs:
        if not any((other["scope"].lower(), other["action"].lower()) == (need["scope"].lower(), need["action"].lower())
                   for other in unique):
            unique.append(need)
    return unique


def _where(scope):
    return "the subscription" if scope == SUBSCRIPTION else "resource group %s" % scope.split("/", 1)[1]


def permission_preflight(needs, held):
    """What the caller's permissions (``held``: scope -> the permissions Azure answered there) do not allow of
    ``needs`` (required_actions): ``missing`` (stops the run), ``skip`` (steps to skip), ``refusal`` and ``warning``
    (the texts, naming each action and its scope)."""
    if not isinstance(held, dict):
        raise AnsibleFilterError("permission_preflight: held must map each scope to its permissions, got %r" % (held,))
    missing, skipped = [], []
    for need in needs:
        if need["scope"] not in held:
            raise AnsibleFilterError("permission_preflight: no permissions were read at %s" % _where(need["scope"]))
        if missing_actions(held[need["scope"]], [need["action"]]):
            (skipped if need.get("skippable") else missing).append(need)

    def listing(found):
        return "; ".join("%s at %s (%s)" % (need["action"], _where(need["scope"]), need["why"]) for need in found)
    steps = sorted(set(need["skippable"] for need in skipped))
    return {"missing": missing, "skip": steps,
            "refusal": listing(missing),
            "warning": ("the caller may not list soft-deleted services and accounts in the subscription (%s): the "
                        "look for soft-deleted names is skipped, and a soft-deleted service or account holding one "
                        "of our names will stop its create instead" % listing(skipped)) if skipped else ""}


class FilterModule(object):
    def filters(self):
        return {"missing_actions": missing_actions, "required_actions": required_actions,
                "permission_preflight": permission_preflight}
