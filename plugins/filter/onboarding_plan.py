# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which projects onboarding must write, decided from what one listing per kind shows (roles/onboarding/tasks/main.yml).

An idle run reads each kind once - the accounts' projects, the gateway's products, subscriptions and records, the
caller's role assignments - and writes nothing: a project is left alone when everything it needs is listed as
onboarding leaves it and its record carries the digest of the inputs it was written from. Connections (children of
each project) and product policies cannot be listed at once, so they are trusted to the record's digest: a change of
any input (the project's entry, the models, the target, the policy template...) puts the project back into the work
list, where each module compares and writes only what differs. ``recheck`` puts every project there.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib
import json

from ansible.errors import AnsibleFilterError
from ansible.module_utils.parsing.convert_bool import boolean

IDENTITY = "ProjectManagedIdentity"


def _lower(text):
    return (text or "").rstrip("/").lower()


def _guid(definition_id):
    return _lower(definition_id).rsplit("/", 1)[-1]


def inputs_digest(project, models, inputs):
    """The digest of everything a project's writes are made from; the record keeps it."""
    text = json.dumps({"project": project, "models": models, "inputs": inputs}, sort_keys=True, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def _records(named_values):
    records = {}
    for item in named_values or []:
        try:
            records[item["name"]] = json.loads((item.get("properties") or {}).get("value") or "{}")
        except (KeyError, TypeError, ValueError):
            records[item.get("name")] = {}
    return records


def _project_models(project, models):
    wanted = project.get("models") or []
    return list(models) if not wanted else [model for model in models if model.get("name") in wanted]


def _found_project(listed, group, account, name):
    suffix = "/resourcegroups/%s/providers/microsoft.cognitiveservices/accounts/%s/projects/%s" % (
        _lower(group), _lower(account), _lower(name))
    for item in listed:
        if _lower(item.get("id")).endswith(suffix):
            return item
    return None


def _project_fields(found):
    """The fields of foundry_project's answer the record and result read, from a listed project."""
    properties = found.get("properties") or {}
    return {"id": found.get("id"), "created": False, "principal_id": (found.get("identity") or {}).get("principalId"),
            "endpoint": (properties.get("endpoints") or {}).get("AI Foundry API")}


def onboarding_found_project(listed, entry):
    """The project of an onboarding_plan entry as ``listed`` shows it (foundry_project's fields; empty if absent)."""
    found = _found_project(listed or [], entry["account_group"], entry["project"]["account"], entry["project_name"])
    return {} if found is None else _project_fields(found)


def _missing(entry, project, listed, settings):
    """Why the project needs its tasks (empty: it does not)."""
    name, record, found = entry["name"], entry["record"], entry["listed_project"]
    reasons = []
    if not record:
        reasons.append("no record")
    elif record.get("inputs") != entry["fingerprint"]:
        reasons.append("inputs changed")
    if found is None:
        reasons.append("project missing")
    elif ((found.get("properties") or {}).get("provisioningState") or "Succeeded") != "Succeeded":
        reasons.append("project not ready")
    products = dict((item.get("name"), item) for item in listed.get("products") or [])
    subscriptions = dict((item.get("name"), item) for item in listed.get("subscriptions") or [])
    if entry["identity"]:
        if name in products or name in subscriptions:
            reasons.append("product of a key project left")
    else:
        product = (products.get(name) or {}).get("properties")
        if not product or product.get("state") != "published" or not product.get("subscriptionRequired", True):
            reasons.append("product missing or changed")
        subscription = (subscriptions.get(name) or {}).get("properties")
        if (not subscription or subscription.get("state") != "active"
                or not _lower(subscription.get("scope")).endswith("/products/%s" % _lower(name))):
            reasons.append("subscription missing or changed")
    if entry["grant_caller"] and found is not None:
        role = record.get("caller_role_definition")
        caller = _lower((settings.get("caller") or {}).get("object_id"))
        assignments = (item.get("properties") or {} for item in listed.get("role_assignments") or [])
        granted = [props for props in assignments
                   if _lower(props.get("scope")) == _lower(found.get("id"))
                   and _guid(props.get("roleDefinitionId")) == _guid(role) and _lower(props.get("principalId")) == caller]
        if not role or not granted:
            reasons.append("caller's role missing")
    return reasons


def onboarding_plan(projects, listed, settings):
    """One entry per project: the names onboarding derives (``name``, ``account_group``, ``project_name``),
    ``identity``, ``models`` (the connection's), ``fingerprint``, the earlier ``record``, ``foundry_project`` and
    ``subscription`` and ``connection`` as listed (the registered results' fields the record and result read),
    ``create`` (the project must be created), ``todo`` and its ``reasons``."""
    if not isinstance(projects, list) or not isinstance(listed, dict) or not isinstance(settings, dict):
        raise AnsibleFilterError("onboarding_plan needs the projects (a list), the listings and the settings (dicts)")
    prefix, connection = settings.get("prefix") or "", settings["connection_name"]
    records = _records(listed.get("records"))
    subscriptions = dict((item.get("name"), item) for item in listed.get("subscriptions") or [])
    plan = []
    for project in projects:
        name = prefix + project["team"]
        group = project.get("resource_group") or settings["resource_group"]
        project_name = project.get("project") or project["team"]
        create = boolean(project.get("create_project", True), strict=False)
        models = _project_models(project, settings.get("models") or [])
        found = _found_project(listed.get("projects") or [], group, project["account"], project_name)
        entry = {
            "team": project["team"], "project": project, "name": name, "account_group": group,
            "project_name": project_name, "identity": (project.get("auth_type") or "ApiKey") == IDENTITY,
            "models": models, "record": records.get(name) or {}, "create": create and found is None,
            "grant_caller": boolean(settings.get("grant_caller", True), strict=False) and create,
            "fingerprint": inputs_digest(project, models, settings.get("inputs") or {}),
            "listed_project": found,
            "foundry_project": {} if found is None else _project_fields(found),
            "subscription": {"id": (subscriptions.get(name) or {}).get("id")} if name in subscriptions else {},
            "connection": {} if found is None else {
                "id": "%s/connections/%s" % (found.get("id"), connection), "model_reference_prefix": connection + "/"},
        }
        entry["reasons"] = (["recheck"] if boolean(settings.get("recheck", False), strict=False)
                            else _missing(entry, project, listed, settings))
        entry["todo"] = bool(entry["reasons"])
        del entry["listed_project"]
        plan.append(entry)
    return plan


class FilterModule(object):
    def filters(self):
        return {"onboarding_plan": onboarding_plan, "onboarding_found_project": onboarding_found_project}
