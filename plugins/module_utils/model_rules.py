# -*- coding: utf-8 -*-
# Copyright: contributors to aigateway.foundry
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What Azure documents about a model that a run depends on, in one place: whether the regional catalogue still
lets a new deployment use a model version (its lifecycle), and which parameter bounds a chat completion's output."""
from __future__ import annotations

import re

# The catalogue's AccountModel.lifecycleStatus (azure-mgmt-cognitiveservices ModelLifecycleStatus; Learn,
# KnownModelLifecycleStatus): "Deprecated" is retired (inference answers 410, no deployment may be created);
# "Deprecating" lets only customers with existing deployments create new ones; "Legacy" is no longer recommended.
# Learn's own stage names differ (its "Deprecated" is the API's "Deprecating"; its "Retired" the API's
# "Deprecated"), and a version can stay listed past its retirement date, so the date counts as much as the status.
RETIRED_STATUSES = ("deprecated", "retired")
AGEING_STATUSES = ("deprecating", "legacy")
# Reasoning models take max_completion_tokens and refuse max_tokens (Learn, "Azure OpenAI reasoning models":
# the o-series, the gpt-5 family, codex-mini). max_completion_tokens is also accepted by the gpt-5 chat models.
REASONING_FAMILIES = re.compile(r"^(o\d|gpt-5|codex-mini)", re.IGNORECASE)


def retirement_date(model):
    """The model version's retirement date (``deprecation.inference``) as YYYY-MM-DD, or None."""
    inference = str(((model or {}).get("deprecation") or {}).get("inference") or "")
    return inference[:10] if re.match(r"\d{4}-\d{2}-\d{2}", inference) else None


def lifecycle(model, today):
    """("retired" | "ageing" | "current", status, retirement date) of a catalogue entry's ``model`` on ``today``: a
    date the caller takes from Azure (the catalogue answer's Date header, cognitive_quota_info), never the machine's,
    so a machine's date neither retires a model early nor keeps a retired one; None judges by the status alone.
    Retired: the status says so or the retirement date has come."""
    status = str((model or {}).get("lifecycleStatus") or "")
    retires = retirement_date(model)
    if status.lower() in RETIRED_STATUSES or (retires and today and retires <= today.isoformat()):
        return "retired", status, retires
    if status.lower() in AGEING_STATUSES:
        return "ageing", status, retires
    return "current", status, retires


def lifecycle_message(described, location, verdict):
    """The sentence a preflight says about a retired or ageing model version ('' for a current one)."""
    state, status, retires = verdict
    if state == "retired":
        return ("%s is retired in %s (lifecycle %s, retirement date %s): Azure creates no deployment of it and "
                "answers its calls with errors; choose a current model version (Learn, model retirement schedule)"
                % (described, location, status or "-", retires or "-"))
    if state == "ageing":
        return ("%s is %s in %s and retires on %s: new customers may not be able to deploy it; move to a current "
                "model version (Learn, model retirement schedule)" % (described, status, location, retires or "a date "
                                                                      "not given"))
    return ""


def completion_limit(model_name, tokens):
    """The body entry that bounds a chat completion's output for ``model_name``: max_completion_tokens for a
    reasoning model, max_tokens for any other."""
    key = "max_completion_tokens" if REASONING_FAMILIES.match(str(model_name or "")) else "max_tokens"
    return {key: int(tokens)}
