# -*- coding: utf-8 -*-
# Copyright: contributors to aigateway.foundry
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Messages that point at the mistake: "did you mean" for a near miss of a known value (difflib), the type expected
and the value received for a wrong type, and one paragraph for missing credentials instead of the credential
chain's log."""
from __future__ import annotations

import difflib

TYPE_NAMES = {dict: "a dict", list: "a list", str: "a string", int: "a whole number", float: "a number",
              bool: "true or false", type(None): "nothing (null)"}


def did_you_mean(value, candidates):
    """`` (did you mean 'swedencentral'?)`` for the known value closest to ``value`` (compared case- and
    space-insensitively, as Azure compares regions and SKUs), or '' when none is close."""
    if not isinstance(value, str) or not value:
        return ""
    keyed = {str(c).replace(" ", "").lower(): str(c) for c in candidates or ()}
    close = difflib.get_close_matches(value.replace(" ", "").lower(), list(keyed), n=1, cutoff=0.75)
    return " (did you mean %r?)" % keyed[close[0]] if close else ""


def type_name(value):
    return TYPE_NAMES.get(type(value), type(value).__name__)


def type_problem(where, value, expected):
    """``aigw_models must be a list of model deployments, got a string: 'gpt-4o'``."""
    return "%s must be %s, got %s: %r" % (where, expected, type_name(value), value)


def missing_credentials(auth_source):
    """What to set when no credential of the chain found anything (auth_source auto or env)."""
    return ("no Azure credentials were found (auth_source=%s). Set a service principal's AZURE_CLIENT_ID, "
            "AZURE_SECRET (or AZURE_CLIENT_SECRET) and AZURE_TENANT (or AZURE_TENANT_ID), or a workload identity's "
            "AZURE_FEDERATED_TOKEN_FILE, with AZURE_SUBSCRIPTION_ID; or log in with 'az login' (auth_source=cli); or "
            "run where a managed identity is assigned (auth_source=msi); the options client_id, secret, tenant and "
            "subscription_id do the same per task (auth_source=credential). Each credential's own answer is shown "
            "with -vvv." % auth_source)


def is_missing_credentials(message):
    """True for the error of a credential chain where no credential was available (azure-identity's wording)."""
    return "failed to retrieve a token from the included credentials" in (message or "")
