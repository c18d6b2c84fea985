# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What onboarding records of a project in the service, and what it returns for it: one source for the fields
both carry (roles/onboarding/tasks/project.yml).

``made`` holds what the project's tasks made or named: ``name`` (product, subscription and record), ``resource_group``
(the account's), ``project_name``, ``connection_name``, ``models`` (the connection's static models),
``foundry_project``, ``subscription`` and ``connection`` (the registered results, an empty dict when skipped),
``key_vault`` and ``key_vault_resource_group`` (empty: no vault).
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.errors import AnsibleFilterError
from ansible.module_utils.parsing.convert_bool import boolean

IDENTITY = "ProjectManagedIdentity"


def _shared(project, made):
    """(is identity, the fields record and result share)."""
    for key in ("team", "account", "tokens_per_minute"):
        if not isinstance(project, dict) or project.get(key) in (None, ""):
            raise AnsibleFilterError("onboarding: the project needs %s, got %r" % (key, project))
    found = made.get("foundry_project") or {}
    return project.get("auth_type") or "ApiKey", {
        "team": project["team"], "account": project["account"], "project": made["project_name"],
        "project_endpoint": found.get("endpoint") or "",
        "created_project": boolean(project.get("create_project", True), strict=False),
        "tokens_per_minute": int(project["tokens_per_minute"])}


def onboarding_record(project, made):
    """The record of a project kept in the service (a named value), from which onboarding removes exactly its
    pieces and the gateway renders an identity project's limit. Never a key."""
    auth_type, record = _shared(project, made)
    record.update(resource_group=made["resource_group"], connection=made["connection_name"])
    if auth_type == IDENTITY:
        found = made.get("foundry_project") or {}
        record.update(auth_type=IDENTITY, principal_id=found.get("principal_id"), project_id=found.get("id"),
                      token_quota=project.get("token_quota"),
                      token_quota_period=project.get("token_quota_period") or "Monthly")
    elif made.get("key_vault"):
        record.update(key_vault=made["key_vault"], key_vault_resource_group=made["key_vault_resource_group"])
    return record


def onboarding_result(project, made):
    """What onboarding returns for a project (role output onboarding_results). Never a key."""
    auth_type, result = _shared(project, made)
    identity = auth_type == IDENTITY
    connection = made.get("connection") or {}
    models = made.get("models") or []
    if not models:
        raise AnsibleFilterError("onboarding: project %s has no model behind the gateway" % project["team"])
    prefix = connection.get("model_reference_prefix") or made["connection_name"] + "/"
    result.update(auth_type=auth_type, product=None if identity else made["name"],
                  subscription=None if identity else made["name"],
                  subscription_id=None if identity else (made.get("subscription") or {}).get("id"),
                  principal_id=(made.get("foundry_project") or {}).get("principal_id") if identity else None,
                  connection_id=connection.get("id"), agent_model=prefix + models[0]["name"],
                  models=[model["name"] for model in models])
    return result


class FilterModule(object):
    def filters(self):
        return {"onboarding_record": onboarding_record, "onboarding_result": onboarding_result}
