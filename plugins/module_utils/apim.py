# -*- coding: utf-8 -*-
# Copyright: contributors to aigateway.foundry
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the API Management modules share: the child resource declaration, ids, reading with the ETag, names."""

from __future__ import annotations

import copy
import re

from ansible_collections.aigateway.foundry.plugins.module_utils import validation
from ansible_collections.aigateway.foundry.plugins.module_utils.arm_resource import ArmType, Resource
from ansible_collections.aigateway.foundry.plugins.module_utils.azure_clients import etag_of, raw
from ansible_collections.aigateway.foundry.plugins.module_utils.azure_state import MASK

SERVICE = ArmType("Microsoft.ApiManagement/service")
# The name rule of most service children (Microsoft.ApiManagement 2024-05-01 definitions), up to a length.

# ---- circuit breaker rules of backends (Microsoft.ApiManagement 2024-05-01 BackendCircuitBreaker) -------------
MAX_RULES = 15
MAX_RANGES = 10
MAX_REASONS = 10
# ISO 8601 durations as API Management takes them: P[nD][T[nH][nM][n[.n]S]], at least one part.
DURATION = re.compile(r"\AP(?!\Z)(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+(\.\d+)?S)?)?\Z")

RULE_SPEC = dict(
    name=dict(type="str", required=True),
    trip_duration=dict(type="str", required=True),
    accept_retry_after=dict(type="bool"),
    failure_count=dict(type="int"),
    failure_percentage=dict(type="int"),
    interval=dict(type="str", required=True),
    status_code_ranges=dict(type="list", elements="dict", options=dict(min=dict(type="int", required=True),
                                                                       max=dict(type="int", required=True))),
    error_reasons=dict(type="list", elements="str"),
)


def service_id(subscription_id, resource_group, service):
    return SERVICE.id(subscription_id, resource_group, service)


def name_problem(what, name, longest):
    """The message for a child name API Management refuses, or None."""
    return validation.apim_child_problem(what, name, longest)


class ApimChild(Resource):
    """A child of an API Management service (``service/<plural>``): named by resource_group, service and name.

    API Management refuses updates and deletes of children without If-Match, so every read keeps the ETag.
    """

    def __init__(self, plural, what, group, **declared):
        declared.setdefault("parents", ("resource_group", "service"))
        Resource.__init__(self, ArmType("Microsoft.ApiManagement/service/" + plural), what, "apimanagement", group,
                          etag=True, **declared)


def masked_backend(body):
    """A copy of a backend body with its credential values hidden (their names stay)."""
    if body is None:
        return None
    result = copy.deepcopy(body)
    credentials = (result.get("properties") or {}).get("credentials") or {}
    for key in ("header", "query"):
        if isinstance(credentials.get(key), dict):
            credentials[key] = dict((name, MASK) for name in credentials[key])
    if isinstance(credentials.get("authorization"), dict) and "parameter" in credentials["authorization"]:
        credentials["authorization"]["parameter"] = MASK
    return result


def masked_credentials(body):
    """A copy of a logger body with every credential value hidden (their names stay): a logger's credentials hold
    an instrumentation key, a connection string or a reference to the named value that holds one."""
    if body is None:
        return None
    result = copy.deepcopy(body)
    credentials = (result.get("properties") or {}).get("credentials")
    if isinstance(credentials, dict):
        result["properties"]["credentials"] = dict((name, MASK) for name in credentials)
    return result


def list_backends(module, resource_group, service):
    """Every backend of a service, as Resource Manager returns them (credentials included: mask before showing)."""
    return module.list_all("list backends of %s" % service, module.client("apimanagement").backend.list_by_service,
                           resource_group, service)


def read_with_etag(module, action, fn, *args, **kwargs):
    """(body, etag) of a child resource, or (None, None) when it does not exist."""
    found = module.get_or_none(action, fn, *args, cls=raw, **kwargs)
    if not found:
        return None, None
    body, headers = found
    return body, etag_of(headers, body)


def rule_problems(rules):
    """Circuit breaker rules API Management would refuse, as messages."""
    rules = rules or []
    problems = []
    if len(rules) > MAX_RULES:
        problems.append("at most %d circuit breaker rules, not %d" % (MAX_RULES, len(rules)))
    for rule in rules:
        where = "circuit breaker rule %s" % rule["name"]
        for key in ("trip_duration", "interval"):
            if not DURATION.match(rule[key] or ""):
                problems.append("%s: %s %r is not an ISO 8601 duration such as PT1M" % (where, key, rule[key]))
        if rule["failure_count"] is None and rule["failure_percentage"] is None:
            problems.append("%s needs failure_count or failure_percentage" % where)
        if rule["failure_count"] is not None and rule["failure_count"] < 1:
            problems.append("%s: failure_count must be at least 1" % where)
        if rule["failure_percentage"] is not None and not 1 <= rule["failure_percentage"] <= 100:
            problems.append("%s: failure_percentage must be 1-100" % where)
        ranges = rule["status_code_ranges"] or []
        if len(ranges) > MAX_RANGES:
            problems.append("%s: at most %d status_code_ranges" % (where, MAX_RANGES))
        for item in ranges:
            if not (200 <= item["min"] <= 599 and 200 <= item["max"] <= 599) or item["min"] > item["max"]:
                problems.append("%s: status code range %s-%s must lie within 200-599 with min <= max"
                                % (where, item["min"], item["max"]))
        reasons = rule["error_reasons"] or []
        if len(reasons) > MAX_REASONS or any(len(r) > 200 for r in reasons):
            problems.append("%s: at most %d error_reasons of at most 200 characters" % (where, MAX_REASONS))
        if not ranges and not reasons:
            problems.append("%s needs status_code_ranges or error_reasons (what counts as a failure)" % where)
    names = [rule["name"] for rule in rules]
    if len(set(names)) != len(names):
        problems.append("circuit breaker rule names must be unique")
    return problems


def rule_body(rule):
    condition = {"interval": rule["interval"]}
    if rule["failure_count"] is not None:
        condition["count"] = rule["failure_count"]
    if rule["failure_percentage"] is not None:
        condition["percentage"] = rule["failure_percentage"]
    if rule["status_code_ranges"]:
        condition["statusCodeRanges"] = [{"min": r["min"], "max": r["max"]} for r in rule["status_code_ranges"]]
    if rule["error_reasons"]:
        condition["errorReasons"] = list(rule["error_reasons"])
    body = {"name": rule["name"], "tripDuration": rule["trip_duration"], "failureCondition": condition}
    if rule["accept_retry_after"] is not None:
        body["acceptRetryAfter"] = rule["accept_retry_after"]
    return body


# ---- policies: one per scope (service, product, API, operation), always named "policy" ----------------------
POLICY_NAME = "policy"


def scope_of(params):
    if params["scope"]:
        return params["scope"]
    for scope in ("operation", "api", "product"):
        if params[scope]:
            return scope
    return "service"


def validate_scope(params, scope):
    """The options a scope needs, and none it does not use."""
    needed = {"service": [], "product": ["product"], "api": ["api"], "operation": ["api", "operation"]}[scope]
    missing = [key for key in needed if not params[key]]
    if missing:
        return "scope %s needs %s" % (scope, " and ".join(missing))
    extra = [key for key in ("api", "operation", "product") if params[key] and key not in needed]
    if extra:
        return "%s not used with scope %s" % (" and ".join(extra), scope)
    return None


def operations_for(client, scope):
    """(policy operations group, leading arguments after resource group and service) for a scope."""
    return {"service": client.policy, "product": client.product_policy, "api": client.api_policy,
            "operation": client.api_operation_policy}[scope]


def scope_args(params, scope):
    rg, service = params["resource_group"], params["service"]
    extra = {"service": (), "product": (params["product"],), "api": (params["api"],),
             "operation": (params["api"], params["operation"])}[scope]
    return (rg, service) + extra + (POLICY_NAME,)


def label_of(params, scope):
    where = {"service": "service %s" % params["service"], "product": "product %s" % params["product"],
             "api": "API %s" % params["api"],
             "operation": "operation %s of API %s" % (params["operation"], params["api"])}[scope]
    return "policy of %s" % where
