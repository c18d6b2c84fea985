# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Azure RBAC matching: which of the actions a task needs do the caller's effective permissions not allow?

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


class FilterModule(object):
    def filters(self):
        return {"missing_actions": missing_actions}
