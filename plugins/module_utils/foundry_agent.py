# -*- coding: utf-8 -*-
# Copyright: contributors to aigateway.foundry
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Prompt agents of a Foundry project: the managed view of a version and the comparison (pure functions).

An agent is a series of immutable versions; "changing" an agent means creating a version. So the task's
definition is compared with the latest version, and only the fields the task sets count.
"""

from __future__ import annotations

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


def validate(params, name_pattern):
    """Problems with the input, found before anything is written."""
    if not name_pattern.match(params["name"]):
        return ("name %r is not a valid agent name: letters, digits and hyphens, starting and ending with a "
                "letter or digit, at most 63 characters" % params["name"])
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
