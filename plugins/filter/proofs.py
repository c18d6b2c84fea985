# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""verify's proof arithmetic: what a proof needs of the configuration before it may expect anything, and the
times its log queries start from. Each returns plain data the verify and onboarding roles print and assert on.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

from datetime import datetime, timezone
from email.utils import parsedate_to_datetime

from ansible.errors import AnsibleFilterError

# Learn, llm-semantic-cache-lookup (Usage notes): "Score threshold above 0.2 may lead to cache mismatch" - above it
# an unrelated prompt may be answered from the cache, so a miss is not something the configuration promises.
CACHE_MISS_THRESHOLD = 0.2


def _priority(host):
    return int(host.get("priority", 1) if host.get("priority") is not None else 1)


def failover_proof(hosts, listed_backends, local):
    """Whether the pool's failover can be proven, and why not: {provable, first_host, reason}.

    hosts: the model hosts (name, backend, priority, location); listed_backends: apim_backend_info's backends (what
    APIM holds); local: True when the endpoint's test controls (throttle, clock) can be used.
    APIM sends a call to a lower priority only while every backend of the first priority is tripped by its circuit
    breaker (learn.microsoft.com/azure/api-management/backends#load-balanced-pool), so failover needs a rule on the
    first host's backend; it shows to a caller only as another x-ms-region, so the first host must be alone at its
    priority and the others elsewhere.
    """
    hosts = list(hosts or [])
    if len(hosts) < 2:
        return {"provable": False, "first_host": hosts[0] if hosts else {}, "reason": "one model host, no pool"}
    first = sorted(hosts, key=_priority)[0]
    peers = [host for host in hosts if host is not first]
    if any(_priority(host) == _priority(first) for host in peers) or not first.get("location") or any(
            (host.get("location") or "") == first["location"] for host in peers):
        seen = ", ".join("%s/%s/%s" % (host.get("name"), _priority(host), host.get("location") or "-")
                         for host in hosts)
        return {"provable": False, "first_host": first, "reason": (
            "it needs one host alone at the first priority and the others in other regions (x-ms-region tells which "
            "answered); hosts %s" % seen)}
    listed = dict(((item.get("name") or "").lower(), item.get("properties") or {}) for item in listed_backends or [])
    rules = ((listed.get(str(first.get("backend") or "").lower()) or {}).get("circuitBreaker") or {}).get("rules")
    if not rules:
        return {"provable": False, "first_host": first, "reason": (
            "no circuit breaker rule on %s (aigw_circuit_breaker_rules is empty): APIM sends calls to a lower "
            "priority only while the first priority's breaker is tripped, so this pool does not fail over and "
            "promises no failover" % first.get("backend"))}
    if not local:
        return {"provable": False, "first_host": first, "reason": (
            "not provable without load on Azure (a priority-1 host answers until Azure throttles it); the local "
            "mode proves it by making %s throttle" % first.get("name"))}
    return {"provable": True, "first_host": first, "reason": ""}


def cache_miss_proof(score_threshold):
    """Whether an unrelated prompt must miss the semantic cache at this score-threshold: {provable, reason}."""
    try:
        threshold = float(score_threshold)
    except (TypeError, ValueError):
        raise AnsibleFilterError("the semantic cache's score_threshold must be a number, got %r" % (score_threshold,))
    if threshold > CACHE_MISS_THRESHOLD:
        return {"provable": False, "reason": (
            "score-threshold %s is above %s, where Learn warns that unrelated prompts may share a cached answer, so "
            "a miss is not promised" % (score_threshold, CACHE_MISS_THRESHOLD))}
    return {"provable": True, "reason": ""}


def gateway_time(answer):
    """The time of whoever writes the log rows, as a KQL datetime (ISO 8601, UTC, microseconds): the local
    endpoint's clock (POST /localazure/clock answers {now}), else the Date header of an answer of Azure's."""
    answer = answer or {}
    now = (answer.get("json") or {}).get("now") if isinstance(answer.get("json"), dict) else None
    if now is not None:
        moment = datetime.fromtimestamp(float(now), timezone.utc)
    elif answer.get("date"):
        try:
            moment = parsedate_to_datetime(answer["date"]).astimezone(timezone.utc)
        except (TypeError, ValueError):
            raise AnsibleFilterError("the answer's Date header %r is not an HTTP date" % (answer["date"],))
    else:
        raise AnsibleFilterError("no time in the answer: neither the local endpoint's clock nor a Date header")
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class FilterModule(object):
    def filters(self):
        return {"failover_proof": failover_proof, "cache_miss_proof": cache_miss_proof, "gateway_time": gateway_time}
