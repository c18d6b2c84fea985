# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What onboarding records of a project in the service, and what it returns for it: one source for the fields
both carry (roles/onboarding/tasks/projects.yml).

``made`` holds what the project's tasks made or named: ``name`` (product, subscription and record), ``resource_group``
(the account's), ``project_name``, ``connection_name``, ``models`` (the connection's static models),
``foundry_project``, ``subscription`` and ``connection`` (the registered results, an empty dict when skipped),
``key_vault`` and ``key_vault_resource_group`` (empty: no vault); ``record`` (what an earlier run recorded for the
team, empty on its first run), ``caller_role`` (the registered role assignment of the identity running onboarding),
``caller`` (caller_info's result) and ``caller_role_name``.

What onboarding made is what the modules say they made (``created`` of foundry_project, ``changed`` of the role
assignment), never what a flag allowed: removal deletes exactly that, so a project (or a role) someone else made
outlives the team onboarded onto it.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.errors import AnsibleFilterError
from ansible.module_utils.parsing.convert_bool import boolean

from ansible_collections.aigateway.foundry.plugins.module_utils import validation

IDENTITY = "ProjectManagedIdentity"
# Marks a record whose created_project came from foundry_project's answer (``created``), not from a flag.
CREATED_FROM = "foundry_project"


def _shared(project, made):
    """(is identity, the fields record and result share)."""
    for key in ("team", "account", "tokens_per_minute"):
        if not isinstance(project, dict) or project.get(key) in (None, ""):
            raise AnsibleFilterError("onboarding: the project needs %s, got %r" % (key, project))
    found = made.get("foundry_project") or {}
    return project.get("auth_type") or "ApiKey", {
        "team": project["team"], "account": project["account"], "project": made["project_name"],
        "project_endpoint": found.get("endpoint") or "",
        "created_project": created_project(made),
        "tokens_per_minute": int(project["tokens_per_minute"])}


def created_project(made):
    """Whether onboarding made the team's project: this run created it, or the team's record says an earlier run
    did. A project that existed (site.yml's, a team's own) is never onboarding's, whatever create_project says."""
    earlier = made.get("record") or {}
    # a record written before onboarding asked the module (no created_from) took the flag's word: not trusted
    recorded = boolean(earlier.get("created_project") or False, strict=False)
    trusted = earlier.get("created_from") == CREATED_FROM and recorded
    return bool((made.get("foundry_project") or {}).get("created")) or trusted


def caller_role(made):
    """The role assignment of the identity running onboarding on the project, when onboarding made it (this run,
    or an earlier one as recorded); None otherwise."""
    earlier = (made.get("record") or {}).get("caller_role")
    if earlier:
        return earlier
    registered = made.get("caller_role") or {}
    if not registered.get("changed"):
        return None
    return {"scope": (made.get("foundry_project") or {}).get("id"), "role": made.get("caller_role_name"),
            "principal_id": (made.get("caller") or {}).get("object_id")}


def onboarding_record(project, made):
    """The record of a project kept in the service (a named value), from which onboarding removes exactly its
    pieces and the gateway renders an identity project's limit. Never a key."""
    auth_type, record = _shared(project, made)
    record.update(resource_group=made["resource_group"], connection=made["connection_name"],
                  created_from=CREATED_FROM)
    role = caller_role(made)
    if role:
        record.update(caller_role=role)
    # what an idle run compares (plugins/filter/onboarding_plan.py): the inputs' digest and the caller's role
    if made.get("fingerprint"):
        record.update(inputs=made["fingerprint"])
    definition = ((made.get("caller_role") or {}).get("role_definition_id")
                  or (made.get("record") or {}).get("caller_role_definition"))
    if definition:
        record.update(caller_role_definition=definition)
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


def entry_made(entry, settings):
    """``made`` of a project from its onboarding_plan entry (with the registered results of this run's writes, or
    what the listing showed) and the role's settings."""
    return {"name": entry["name"], "resource_group": entry["account_group"], "project_name": entry["project_name"],
            "connection_name": settings["connection_name"], "models": entry["models"],
            "foundry_project": entry.get("foundry_project") or {}, "subscription": entry.get("subscription") or {},
            "connection": entry.get("connection") or {}, "key_vault": settings.get("key_vault") or "",
            "key_vault_resource_group": settings.get("key_vault_resource_group") or "",
            "record": entry.get("record") or {}, "caller_role": entry.get("caller_role") or {},
            "caller": settings.get("caller") or {}, "caller_role_name": settings.get("caller_role_name"),
            "fingerprint": entry.get("fingerprint")}


def _picked(result, keys):
    return dict((key, result[key]) for key in keys if key in result)


def onboarding_written(todo, registered):
    """The work list's entries with what this run's tasks registered for them (tasks/projects.yml), in one pass:
    ``registered`` holds the loops' ``results`` lists (``starts``, ``caller_roles``, ``subscriptions``,
    ``connections``, each in the work list's order), ``waited`` (the projects the wait listed) and ``check_mode``.
    A project this run created is taken as the wait's listing shows it, with the create's own word that it created
    it (the start's prediction in check mode). ``predict_only`` marks a project only predicted (check mode, not
    onboarded yet): the steps that need it to exist are only announced, and it has no record and no result."""
    from ansible_collections.aigateway.foundry.plugins.filter.onboarding_plan import onboarding_found_project

    check_mode = boolean(registered.get("check_mode", False), strict=False)
    written = []
    for index, entry in enumerate(todo):
        def result(name, key):
            found = (registered.get(name) or [])
            found = found[index] if index < len(found) else {}
            return found if key in found else None
        project = entry.get("foundry_project") or {}
        start = result("starts", "id")
        if entry.get("create") and start is not None:
            project = (_picked(start, ("id", "created", "principal_id", "endpoint")) if check_mode else dict(
                onboarding_found_project(registered.get("waited") or [], entry), created=bool(start.get("created"))))
        subscription, connection = result("subscriptions", "id"), result("connections", "id")
        role = result("caller_roles", "role_definition_id")
        written.append(dict(entry, foundry_project=project, predict_only=check_mode and not entry.get("record"),
                            subscription=_picked(subscription, ("id",)) if subscription else entry.get("subscription"),
                            connection=_picked(connection, ("id", "model_reference_prefix")) if connection
                            else entry.get("connection"),
                            caller_role=_picked(role, ("changed", "role_definition_id")) if role else {}))
    return written


def onboarding_entry_record(entry, settings):
    """The record of a project written this run (its onboarding_plan entry with the registered results)."""
    return onboarding_record(entry["project"], entry_made(entry, settings))


def onboarding_entry_results(plan, written, settings):
    """onboarding_results in the projects' order: a project written this run from ``written`` (its entry with the
    registered results), any other from what the listing showed; a project only predicted (check mode, not
    onboarded yet) has none."""
    done = dict((entry["team"], entry) for entry in written or [] if not entry.get("predict_only"))
    results = []
    for entry in plan:
        if entry.get("todo") and entry["team"] not in done:
            continue
        entry = done.get(entry["team"], entry)
        results.append(onboarding_result(entry["project"], entry_made(entry, settings)))
    return results


def _project_problems(project, where, model_names):
    """One project's fields, each against its rule; messages name the team and the value."""
    name = validation.name_problem
    quota = project.get("token_quota")
    problems = [name("aigateway.foundry/onboarding/teams", project.get("team") or ""),
                name("Microsoft.CognitiveServices/accounts", project.get("account") or ""),
                name("Microsoft.CognitiveServices/accounts/projects", project.get("project")),
                name("Microsoft.Resources/resourceGroups", project.get("resource_group"))]
    for key, value in (("tokens_per_minute", project.get("tokens_per_minute")), ("token_quota", quota)):
        number = validation.whole_number(value)
        if (key == "tokens_per_minute" or value is not None) and (number is None or number < 1):
            problems.append("%s is %r: it must be a whole number above 0" % (key, value))
    auth_type = project.get("auth_type", "ApiKey")
    problems += [validation.setting_problem("token_quota_period", project.get("token_quota_period"),
                                            validation.QUOTA_PERIODS),
                 validation.setting_problem("auth_type", auth_type, validation.GATEWAY_CONNECTION_AUTH_TYPES)]
    create = project.get("create_project", True)
    try:
        create = boolean(create, strict=True)
    except TypeError:
        problems.append("create_project is %r: it must be true or false" % (create,))
        create = True
    if auth_type in validation.PROJECT_ONLY_AUTH_TYPES and not create:
        problems.append("auth_type ProjectManagedIdentity needs create_project true: onboarding reads the identity "
                        "of the project it makes")
    models = project.get("models") or []
    unknown = [model for model in (models if isinstance(models, list) else [models]) if model not in model_names]
    if unknown:
        problems.append("models lists %s, not among the gateway's models %s"
                        % (", ".join(repr(model) for model in unknown), ", ".join(model_names)))
    return ["%s (team %r): %s" % (where, project.get("team"), problem) for problem in problems if problem]


def onboarding_problems(projects, prefix, connection_name, model_names, resource_group):
    """Everything wrong with aigw_projects and the names onboarding derives from them, before anything is written:
    each field against its rule (fullmatch: a trailing newline is refused), a team listed twice, two teams on one
    Foundry project (a project has one gateway connection, which would carry one team's key for both), the prefix
    of every product, subscription and record name, and the connection's name."""
    if not isinstance(projects, list):
        return ["aigw_projects must be a list of projects, not %r" % (projects,)]
    problems = []
    prefix_problem = validation.name_problem("Microsoft.ApiManagement/service/namedValues", (prefix or "") + "t" * 40)
    if prefix_problem or not isinstance(prefix, str):
        problems.append("aigw_onboarding_prefix %r is invalid: it starts every product, subscription and record name "
                        "(<prefix><team>, a team has up to 40 characters): %s"
                        % (prefix, prefix_problem or "it must be a string"))
    problems.append(validation.name_problem("Microsoft.CognitiveServices/accounts/connections", connection_name))
    teams, places = {}, {}
    for index, project in enumerate(projects):
        where = "aigw_projects[%d]" % index
        if not isinstance(project, dict):
            problems.append("%s is %r: each project is a dict with team, account and tokens_per_minute"
                            % (where, project))
            continue
        problems += _project_problems(project, where, list(model_names))
        team = project.get("team")
        team = team if isinstance(team, str) else repr(team)
        if team in teams:
            problems.append("%s: team %r is listed twice (first as aigw_projects[%d])" % (where, team, teams[team]))
        teams.setdefault(team, index)
        place = tuple(str(part).lower() for part in (
            project.get("resource_group") or resource_group, project.get("account"), project.get("project") or team))
        places.setdefault(place, []).append(str(team))
    for (group, account, name), sharing in places.items():
        if len(sharing) > 1:
            problems.append("teams %s and %s name the same Foundry project %s/%s (resource group %s): a project has "
                            "one gateway connection (%s), which would carry one team's key for all of them; give "
                            "each team a project of its own" % (", ".join(sharing[:-1]), sharing[-1], account, name,
                                                                group, connection_name))
    return [problem for problem in problems if problem]


class FilterModule(object):
    def filters(self):
        return {"onboarding_record": onboarding_record, "onboarding_result": onboarding_result,
                "onboarding_problems": onboarding_problems, "onboarding_entry_record": onboarding_entry_record,
                "onboarding_entry_results": onboarding_entry_results, "onboarding_written": onboarding_written}
