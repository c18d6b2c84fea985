# -*- coding: utf-8 -*-
# Copyright: contributors to aigateway.foundry
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""How long the long operations of a run typically take on Azure, said next to a wait's progress so an operator knows
whether 12 minutes is normal.  The figures are Microsoft's (cited) or the durations the local endpoint replays as
realistic (localazure/services/<namespace>/*.py); they only inform, no bound depends on them."""
from __future__ import annotations

# API Management create/activation by SKU: classic tiers "30 to 40 minutes" (learn.microsoft.com/azure/api-management/
# get-started-create-service-instance), ~46 min recorded for Standard; v2 tiers "deploy in minutes"
# (learn.microsoft.com/azure/api-management/v2-service-tiers-overview); Consumption a minute or two.
APIM_CREATE_BY_SKU = {
    "developer": "30 to 45 minutes", "basic": "30 to 45 minutes", "standard": "30 to 45 minutes",
    "premium": "30 to 45 minutes", "isolated": "30 to 45 minutes", "consumption": "1 to 2 minutes",
    "basicv2": "about 5 minutes", "standardv2": "about 5 minutes", "premiumv2": "about 5 minutes",
}

TYPICAL = {
    "apim_create": "30 to 45 minutes (classic tiers), about 5 minutes (v2 tiers)",
    "apim_delete": "2 to 10 minutes",
    "apim_purge": "about a minute",
    "account": "about a minute",
    "project": "about a minute",
    "deployment": "1 to 2 minutes",
    "account_delete": "about a minute",
    "redis": "10 to 15 minutes",
}


def typical_duration(kind, sku=None):
    """The typical Azure duration of ``kind`` (a key of TYPICAL) for ``sku``, or '' when we have no figure."""
    if kind == "apim_create" and sku:
        found = APIM_CREATE_BY_SKU.get(str(sku).replace(" ", "").lower())
        if found:
            return found
    return TYPICAL.get(kind, "")


def elapsed_text(seconds):
    """``75`` -> ``1m 15s``; under a minute ``42s``."""
    seconds = int(round(seconds))
    minutes, seconds = divmod(seconds, 60)
    return "%dm %02ds" % (minutes, seconds) if minutes else "%ds" % seconds
