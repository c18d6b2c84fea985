# -*- coding: utf-8 -*-
# Copyright: contributors to aigateway.foundry
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Prompt agents of a Foundry project: the managed view of a version and the comparison (pure functions), then the
steps of the foundry_agent module (read the latest version, create a version, delete versions).

An agent is a series of immutable versions; "changing" an agent means creating a version. So the task's
definition is compared with the latest version, and only the fields the task sets count.
"""

from __future__ import annotations

from ansible_collections.aigateway.foundry.plugins.module_utils import foundry_dataplane as dataplane
from ansible_collections.aigateway.foundry.plugins.module_utils import validation

# The managed fields: (option, where the value sits in an AgentVersionDetails body).
MANAGED = (
    ("model", ("definition", "model")),
    ("instructions", ("definition", "instructions")),
    ("description", ("description",)),
    ("metadata", ("metadata",)),
)


def _dig(body, path):
    for key in path:
        if not isinstance(body, dict):
            return None
        body = body.get(key)
    return body


def create_body(params):
    """The create_version body (REST shape) for a prompt agent."""
    definition = {"kind": "prompt", "model": params["model"]}
    if params.get("instructions") is not None:
        definition["instructions"] = params["instructions"]
    body = {"definition": definition}
    if params.get("description") is not None:
        body["description"] = params["description"]
    if params.get("metadata") is not None:
        body["metadata"] = dict((str(k), str(v)) for k, v in params["metadata"].items())
    return body


def managed_view(version_body, params):
    """The fields of a version this task manages, for comparison and --diff; None when there is no version."""
    if version_body is None:
        return None
    view = {"kind": _dig(version_body, ("definition", "kind"))}
    for option, path in MANAGED:
        if option == "model" or params.get(option) is not None:
            value = _dig(version_body, path)
            if option == "metadata":
                value = dict(value or {})
            elif option in ("instructions", "description"):
                value = value or ""
            view[option] = value
    return view


def desired_view(params):
    view = {"kind": "prompt", "model": params["model"]}
    for option, _path in MANAGED[1:]:
        if params.get(option) is not None:
            view[option] = (dict((str(k), str(v)) for k, v in params[option].items()) if option == "metadata"
                            else params[option])
    return view


def differs(latest_body, params):
    """Whether the task's definition is not already the latest version's."""
    return managed_view(latest_body, params) != desired_view(params)


def next_version(latest_body):
    """The version a create would get, predicted for check mode: Foundry numbers versions 1, 2, 3..."""
    if latest_body is None:
        return "1"
    version = str(latest_body.get("version") or "")
    return str(int(version) + 1) if version.isdigit() else None


def validate(params):
    """Problems with the input, found before anything is written."""
    problem = validation.name_problem("aigateway.foundry/agents", params["name"])
    if problem:
        return problem
    if params["state"] == "present" and not params.get("model"):
        return "model is required to create a version of agent %s (for example <connection>/<deployment>)" % (
            params["name"])
    if params["state"] == "present" and params.get("version"):
        return "version only selects the version to delete (state=absent); a new version's number is the service's"
    metadata = params.get("metadata") or {}
    if len(metadata) > 16:
        return "metadata of agent %s has %d keys; at most 16 are allowed" % (params["name"], len(metadata))
    for key, value in metadata.items():
        if len(str(key)) > 64 or len(str(value)) > 512:
            return ("metadata key %r of agent %s is too long (keys at most 64 characters, values at most 512)"
                    % (key, params["name"]))
    return None


# ---- the steps of the foundry_agent module --------------------------------------------------------------
# Bound on the deletes of one absent task: an agent keeps at most this many versions here.
MAX_VERSIONS = 1000


def as_json(model):
    return model.as_dict() if hasattr(model, "as_dict") else dict(model)


def latest_version(module, client, endpoint, name):
    """The agent's latest version (REST shape), or None when the agent does not exist."""
    found = dataplane.read_or_none(module, "read agent %s" % name, endpoint, client.agents.get, name)
    if found is None:
        return None
    return (as_json(found).get("versions") or {}).get("latest")


def ensure_present(module, client, endpoint, name, latest):
    params = module.params
    if latest is not None and not differs(latest, params):
        return False, latest
    body = create_body(params)
    if module.check_mode:
        version = next_version(latest)
        predicted = dict(body, object="agent.version", name=name, version=version,
                         id="%s:%s" % (name, version) if version else None)
        return True, predicted
    created = dataplane.call(module, "create a version of agent %s" % name, endpoint,
                             client.agents.create_version, name, body)
    return True, as_json(created)


def ensure_absent(module, client, endpoint, name, latest):
    """Delete one version, or every version latest first; returns (changed, deleted versions)."""
    if latest is None:
        return False, []
    wanted = module.params["version"]
    if wanted:
        found = dataplane.read_or_none(module, "read version %s of agent %s" % (wanted, name), endpoint,
                                       client.agents.get_version, name, wanted)
        if found is None:
            return False, []
        if not module.check_mode:
            dataplane.call(module, "delete version %s of agent %s" % (wanted, name), endpoint,
                           client.agents.delete_version, name, wanted)
        return True, [wanted]
    if module.check_mode:
        return True, [str(latest.get("version"))]
    deleted = []
    while latest is not None and len(deleted) < MAX_VERSIONS:
        version = str(latest.get("version"))
        if version in deleted:
            module.fail("agent %s still reports version %s as its latest after deleting it" % (name, version))
        dataplane.call(module, "delete version %s of agent %s" % (version, name), endpoint,
                       client.agents.delete_version, name, version)
        deleted.append(version)
        latest = latest_version(module, client, endpoint, name)
    return True, deleted
