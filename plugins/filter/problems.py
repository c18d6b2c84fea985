# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Validation of the playbook's and the roles' settings: every problem found, each naming the value to fix.

An empty list means the settings are fine; tasks assert on it before their first request.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible.errors import AnsibleFilterError

API_TYPES = ("PassThrough", "AzureOpenAI", "AzureOpenAIV1", "AzureAI")
SOFT_DELETED_CHOICES = ("fail", "purge", "restore")
REDIS_NAME = re.compile(r"\A[A-Za-z0-9]+(-[A-Za-z0-9]+)*\Z")
SUBDOMAIN = re.compile(r"\A[a-zA-Z0-9]([a-zA-Z0-9-]{0,62}[a-zA-Z0-9])?\Z")
BLOCKLIST_NAME = re.compile(r"\A[a-zA-Z0-9][a-zA-Z0-9_.-]*\Z")
PRODUCT_ID = re.compile(r"\A[A-Za-z0-9][A-Za-z0-9_.-]{0,79}\Z")


def _number(value, kind, what):
    try:
        return kind(value)
    except (TypeError, ValueError):
        raise AnsibleFilterError("%s must be a number, got %r" % (what, value))


def _duplicates(names):
    return sorted(set(name for name in names if names.count(name) > 1))


def site_problems(settings):
    """The preflight of site.yml: subscription, soft-delete choice, model hosts, API type, connection auth.

    settings: subscription_id, soft_deleted, model_hosts, agent_host, api_type, connection_scope,
    connection_auth_type, gateway_policy; with semantic_cache true also embeddings_host_names (the names chosen),
    embeddings_hosts (those model hosts) and embeddings_capacity.
    """
    problems = []
    if not settings.get("subscription_id"):
        problems.append("no subscription: set AZURE_SUBSCRIPTION_ID (Azure mode)")
    if settings.get("soft_deleted") not in SOFT_DELETED_CHOICES:
        problems.append("aigw_soft_deleted must be fail, purge or restore (got %r)" % settings.get("soft_deleted"))
    hosts = settings.get("model_hosts") or []
    if not hosts:
        problems.append("aigw_model_hosts needs at least one model host")
    names = [host.get("name") for host in hosts] + [(settings.get("agent_host") or {}).get("name")]
    if _duplicates(names):
        problems.append("account names must be unique across aigw_model_hosts and aigw_agent_host (got %s twice)"
                        % ", ".join(_duplicates(names)))
    backends = [host.get("backend") for host in hosts]
    if None in backends or "" in backends or _duplicates(backends):
        problems.append("every model host needs a backend name of its own (got %s)" % ", ".join(map(str, backends)))
    if settings.get("api_type") not in API_TYPES:
        problems.append("aigw_api_type must be one of %s (got %r)" % (", ".join(API_TYPES), settings.get("api_type")))
    entra = ((settings.get("gateway_policy") or {}).get("gateway_auth") or {}).get("entra") or {}
    if settings.get("semantic_cache"):
        problems.extend("Semantic cache: %s" % problem for problem in embeddings_capacity_problems(
            settings.get("embeddings_hosts"), settings.get("embeddings_capacity"),
            "aigw_semantic_cache_embeddings_capacity"))
        unknown = sorted(set(settings.get("embeddings_host_names") or []) - set(host.get("name") for host in hosts))
        if unknown or not settings.get("embeddings_host_names"):
            problems.append("aigw_semantic_cache_embeddings_hosts must name model hosts of aigw_model_hosts (got %s)"
                            % (", ".join(unknown) or "none"))
    if settings.get("connection_auth_type") == "ProjectManagedIdentity" and not (
            settings.get("connection_scope") == "project" and entra.get("enabled")):
        # The project's token is only accepted when the policy validates Entra tokens for it.
        problems.append("a ProjectManagedIdentity connection needs aigw_connection_scope project and "
                        "aigw_gateway_policy.gateway_auth.entra enabled (tenant, audience, the project as required "
                        "xms_mirid claim)")
    return problems


def _cache_problems(s):
    problems = []
    redis = s.get("redis_name") or ""
    if not (REDIS_NAME.match(redis) and len(redis) <= 60):
        problems.append("gateway_capabilities_redis_name must be 1-60 letters, digits and single dashes (got '%s')"
                        % redis)
    if not s.get("embeddings_hosts"):
        problems.append("gateway_capabilities_embeddings_hosts (or gateway_capabilities_embeddings_account) must name "
                        "the model hosts that carry the embeddings deployment")
    threshold = _number(s.get("cache_score_threshold"), float, "gateway_capabilities_cache_score_threshold")
    if not 0.0 <= threshold <= 1.0:
        problems.append("gateway_capabilities_cache_score_threshold must be between 0.0 and 1.0 (got %s)"
                        % s.get("cache_score_threshold"))
    if _number(s.get("cache_duration"), int, "gateway_capabilities_cache_duration") < 1:
        problems.append("gateway_capabilities_cache_duration must be at least 1 second (got %s)"
                        % s.get("cache_duration"))
    if _number(s.get("embeddings_capacity"), int, "gateway_capabilities_embeddings_capacity") < 1:
        problems.append("gateway_capabilities_embeddings_capacity must be at least 1 (got %s)"
                        % s.get("embeddings_capacity"))
    else:
        problems.extend(embeddings_capacity_problems(s.get("embeddings_hosts"), s.get("embeddings_capacity"),
                                                     "gateway_capabilities_embeddings_capacity"))
    return ["Semantic cache: %s" % problem for problem in problems]


def embeddings_capacity_problems(hosts, capacity, setting):
    """The semantic cache's lookup makes one embeddings call per gateway call before the chat call, on the same
    host: the embeddings deployment needs at least the capacity of the chat deployments it fronts there, or a
    burst the chat pool could answer throttles the lookup and every call fails (Learn,
    llm-semantic-cache-lookup-policy, Usage notes: "The embeddings model should have enough capacity"). Both are
    counted in the same units (thousands of tokens per minute, whose requests per minute scale alike); an
    embeddings prompt is never longer than the chat prompt it embeds. Hosts without deployments are not judged.
    """
    capacity = _number(capacity, int, setting)
    problems = []
    for host in hosts or []:
        chat = [(deployment.get("name"), _number(deployment.get("capacity", 10), int,
                                                 "the capacity of %s on %s" % (deployment.get("name"), host.get("name"))))
                for deployment in host.get("deployments") or [] if "embed" not in str(deployment.get("model_name")
                                                                                      or deployment.get("name")).lower()]
        fronted = sum(item[1] for item in chat)
        if chat and capacity < fronted:
            problems.append("%s %s is below the chat capacity it fronts on %s (%s = %s): every call is one "
                            "embeddings call first, so the cache lookup would be throttled (and the call answered "
                            "500) while the chat deployments still have room; set %s to at least %s"
                            % (setting, capacity, host.get("name"), " + ".join("%s %s" % item for item in chat),
                               fronted, setting, fronted))
    return problems


def _safety_problems(s):
    problems = []
    account = s.get("content_safety_account") or ""
    if not SUBDOMAIN.match(account):
        problems.append("Content safety: gateway_capabilities_content_safety_account must be a valid custom "
                        "subdomain, 2-64 letters, digits and dashes that start and end with a letter or digit "
                        "(got '%s')" % account)
    categories = s.get("content_safety_categories") or []
    for name in _duplicates([category.get("name") for category in categories]):
        problems.append("Content safety category %s: each category may appear once" % name)
    for category in categories:
        threshold = _number(category.get("threshold"), int, "the threshold of category %s" % category.get("name"))
        if not 0 <= threshold <= 7:
            problems.append("Content safety category %s: the threshold must be 0 to 7 (got %s)"
                            % (category.get("name"), category.get("threshold")))
    blocklists = s.get("content_safety_blocklists") or []
    for name in _duplicates([blocklist.get("name") for blocklist in blocklists]):
        problems.append("Blocklist '%s': the name must appear once" % name)
    for blocklist in blocklists:
        name = blocklist.get("name") or ""
        if not BLOCKLIST_NAME.match(name):
            problems.append("Blocklist '%s': the name must start with a letter or digit and hold only letters, "
                            "digits, _ . -" % name)
        if any(not str(item.get("pattern") or "").strip() for item in blocklist.get("items") or []):
            problems.append("Blocklist '%s': every item needs a non-blank pattern" % name)
    return problems


def _product_problems(product):
    problems = []
    quota, rate = product.get("token_quota"), product.get("tokens_per_minute")
    if not PRODUCT_ID.match(product.get("name") or ""):
        problems.append("the id must be 1-80 letters, digits, _ . - starting with a letter or digit")
    if quota is None and rate is None:
        problems.append("it needs a token_quota or tokens_per_minute, or it limits nothing")
    if quota is not None and _number(quota, int, "token_quota of product %s" % product.get("name")) < 1:
        problems.append("token_quota must be at least 1 (got %s)" % quota)
    if rate is not None and _number(rate, int, "tokens_per_minute of product %s" % product.get("name")) < 1:
        problems.append("tokens_per_minute must be at least 1 (got %s)" % rate)
    if product.get("token_quota_period") is not None and quota is None:
        problems.append("token_quota_period only goes with a token_quota")
    return ["Product '%s': %s" % (product.get("name"), "; ".join(problems))] if problems else []


def _quota_problems(s):
    products = s.get("products") or []
    problems = []
    if not products:
        problems.append("Token quotas: gateway_capabilities_products is empty")
    if not s.get("product_apis"):
        problems.append("Token quotas: gateway_capabilities_product_apis must name at least one API")
    names = [product.get("name") for product in products]
    if _duplicates(names):
        problems.append("Token quotas: product names must be unique (got %s)" % ", ".join(map(str, names)))
    subscriptions = [name for product in products for name in product.get("subscriptions") or []]
    if _duplicates(subscriptions):
        problems.append("Token quotas: a subscription can belong to one product only (got %s)"
                        % ", ".join(subscriptions))
    for product in products:
        problems.extend(_product_problems(product))
    return problems


def capability_problems(settings):
    """Every problem of the gateway_capabilities settings switched on (semantic_cache, content_safety,
    token_quotas), with the role's variable names; the keys are those variables without their prefix."""
    problems = []
    if settings.get("semantic_cache"):
        problems.extend(_cache_problems(settings))
    if settings.get("content_safety"):
        problems.extend(_safety_problems(settings))
    if settings.get("token_quotas"):
        problems.extend(_quota_problems(settings))
    return problems


class FilterModule(object):
    def filters(self):
        return {"site_problems": site_problems, "capability_problems": capability_problems}
