# -*- coding: utf-8 -*-
# Copyright: contributors to aigateway.foundry
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Desired-versus-current comparison, predicted state and --diff views (pure functions, ARM JSON in and out).

The rule: a module states only what it manages (the desired body); the current body carries that and more
(read-only fields, server defaults).  A change is needed only where a desired value differs from the current
one after normalisation: location spelling, JSON carried inside strings, key order, and, per module,
case-insensitive values or server-side normalisations passed in as ``normalisers``.
"""

from __future__ import annotations

import copy
import json

# Fields ARM fills on every resource; never part of a desired state, never shown as a change.
SERVER_FIELDS = ("id", "type", "etag", "systemData", "properties.provisioningState")


def normalise_location(value):
    """'Sweden Central', 'swedencentral' and 'SwedenCentral' are one region to ARM."""
    return value.replace(" ", "").lower() if isinstance(value, str) else value


def whole_tags(value):
    """A resource's tags compare as a whole: the tags a task sends are the complete set it wants (the current ones
    plus its own, or only its own with purge_tags), so a tag left over is a difference."""
    return sorted((key, str(tag)) for key, tag in value.items()) if isinstance(value, dict) else value


def _maybe_json(value):
    """Strings that carry JSON (connection metadata, for instance) compare by their parsed value."""
    if isinstance(value, str) and value[:1] in ("{", "["):
        try:
            return True, json.loads(value)
        except ValueError:
            pass
    return False, value


def _normalised(path, value, normalisers):
    fn = normalisers.get(path)
    return fn(value) if fn else value


def differences(desired, current, path="", normalisers=None):
    """Paths where ``desired`` is not already true of ``current``.

    Dicts: only keys present in ``desired`` count (others are the server's).  Lists: same length and each
    desired item matches the current item at that position (items are dicts compared the same way).
    ``normalisers`` maps dotted paths (list items as ``[]``) to functions applied to both sides.
    """
    normalisers = dict(normalisers or {})
    normalisers.setdefault("location", normalise_location)
    normalisers.setdefault("tags", whole_tags)
    found = []
    desired_v = _normalised(path, desired, normalisers)
    current_v = _normalised(path, current, normalisers)
    if isinstance(desired_v, dict):
        if not isinstance(current_v, dict):
            return [path or "."]
        for key, value in desired_v.items():
            child = "%s.%s" % (path, key) if path else key
            if value is None and current_v.get(key) is None:
                continue
            found.extend(differences(value, current_v.get(key), child, normalisers))
        return found
    if isinstance(desired_v, list):
        if not isinstance(current_v, list) or len(current_v) != len(desired_v):
            return [path]
        for want, have in zip(desired_v, current_v):
            found.extend(differences(want, have, path + "[]", normalisers))
        return found
    is_json_d, parsed_d = _maybe_json(desired_v)
    is_json_c, parsed_c = _maybe_json(current_v)
    if is_json_d and is_json_c:
        return [] if parsed_d == parsed_c else [path]
    return [] if desired_v == current_v else [path]


def merge(current, desired):
    """The state after a write of ``desired`` onto ``current`` (dicts merge, everything else replaces)."""
    if not isinstance(current, dict) or not isinstance(desired, dict):
        return copy.deepcopy(desired)
    merged = copy.deepcopy(current)
    for key, value in desired.items():
        merged[key] = merge(current.get(key), value) if isinstance(value, dict) else copy.deepcopy(value)
    return merged


# What a secret value reads as in a returned state or a diff (Ansible's own word for a no_log value).
MASK = "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER"

# Whoever holds either value of an Application Insights component can write telemetry into it.
TELEMETRY_CREDENTIALS = ("ConnectionString", "InstrumentationKey")


def masked_telemetry(body):
    """An Application Insights component's body with its telemetry credentials replaced by MASK."""
    properties = (body or {}).get("properties")
    if not isinstance(properties, dict) or not any(key in properties for key in TELEMETRY_CREDENTIALS):
        return body
    return dict(body, properties=dict(properties, **dict((key, MASK) for key in TELEMETRY_CREDENTIALS
                                                         if key in properties)))


def drop_paths(body, paths):
    """A copy of ``body`` without the dotted ``paths`` (for secrets and server-filled fields)."""
    if body is None:
        return None
    result = copy.deepcopy(body)
    for path in paths:
        parts = path.split(".")
        node = result
        for part in parts[:-1]:
            node = node.get(part) if isinstance(node, dict) else None
            if node is None:
                break
        if isinstance(node, dict):
            node.pop(parts[-1], None)
    return result


def pick_paths(body, template):
    """The part of ``body`` that has the keys of ``template`` (the managed view --diff compares)."""
    if not isinstance(template, dict) or not isinstance(body, dict):
        return copy.deepcopy(body)
    return dict((key, pick_paths(body.get(key), value)) for key, value in template.items() if key in body)


# What --diff shows for a secret or write-only value that a write sends (never the value); an existing resource's
# "after" says it is written again, so the diff shows the change though neither side shows a value.
SECRET_SHOWN = "(secret)"
SECRET_WRITTEN = "(secret, written)"


def with_values(body, paths, value):
    """A copy of ``body`` with ``value`` at each dotted path (the dicts on the way are made)."""
    result = copy.deepcopy(body) if body is not None else {}
    for path in paths:
        parts = path.split(".")
        node = result
        for part in parts[:-1]:
            if not isinstance(node.get(part), dict):
                node[part] = {}
            node = node[part]
        node[parts[-1]] = value
    return result


def diff_view(body, managed, hidden=()):
    """What --diff shows of a resource: the managed keys only, secrets and server churn removed."""
    if body is None:
        return {}
    view = pick_paths(body, managed) if managed is not None else copy.deepcopy(body)
    return drop_paths(view, tuple(SERVER_FIELDS) + tuple(hidden)) or {}


def identity_body(identity_type, user_assigned_ids=None):
    """The ARM ``identity`` block: a type and, for user-assigned types, the identities keyed by resource id."""
    body = {"type": identity_type}
    if "UserAssigned" in identity_type:
        body["userAssignedIdentities"] = dict((resource_id, {}) for resource_id in user_assigned_ids or [])
    return body


def normalise_user_assigned(value):
    """User-assigned identity ids compare case-insensitively; their principal/client ids are the server's."""
    if not isinstance(value, dict):
        return value
    return dict((key.lower(), {}) for key in value)


def identity_problem(identity_type, user_assigned_ids, ids_option):
    """A managed identity's type and its user-assigned ids (the option ``ids_option``) must agree: the message when
    they do not, else None."""
    wants_ids = "UserAssigned" in (identity_type or "")
    if wants_ids and not user_assigned_ids:
        return "identity %s needs %s (required for a user-assigned identity)" % (identity_type, ids_option)
    if user_assigned_ids and not wants_ids:
        return "%s needs identity UserAssigned or 'SystemAssigned, UserAssigned'" % ids_option
    return None


# An identity block as Azure returns it: the type with other spacing and case ("SystemAssigned,UserAssigned"), a
# missing one for type None, user-assigned ids in any case.
IDENTITY_NORMALISERS = {
    "identity.type": lambda value: (value or "None").replace(" ", "").lower(),
    "identity.userAssignedIdentities": normalise_user_assigned,
}


def merged_tags(tags, current_tags, purge):
    """The tags to send: ``tags`` added to the current ones, or exactly ``tags`` with ``purge``; values as strings."""
    result = dict(tags) if purge else dict(current_tags or {}, **tags)
    return dict((key, str(value)) for key, value in result.items())
