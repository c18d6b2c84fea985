# -*- coding: utf-8 -*-
# Copyright: contributors to aigateway.foundry
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one preflight check of the settings: every problem with the aigw_* inputs, before anything is written.

It is built only on the tables of plugins/module_utils/validation.py, which the modules apply too: checking here
first means a bad value in group_vars or ``-e`` stops the run before the resource group, API Management or any
account exists. The roles assert through the same filter on their own inputs (a left-out variable is not checked).
"""

from __future__ import annotations

from ansible_collections.aigateway.foundry.plugins.module_utils import messages, validation

DOCUMENTATION = r"""
name: aigw_problems
short_description: The problems with the aigw_* settings
version_added: 0.2.0
positional: _input, shown
description:
  - Checks the settings site.yml provisions (subscription, resource group, models, model hosts and the models each
    serves (every model of aigw_models and aigw_agent_model needs at least one host), agent host, API
    Management, connection scope and auth type, soft-delete choice, gateway policy options, the capabilities'
    settings) by the rules Azure applies, and returns one message per problem, each naming the variable, the value
    and the rule. An empty list means the settings are fine.
  - Only the variables given are checked, so a role checks its own inputs by the same rules.
options:
  _input:
    description:
      - A dict of the aigw_* variables (C(aigw_models), C(aigw_model_hosts), ...).
      - C(aigw_capabilities) holds the gateway_capabilities role's settings, keyed by their names without the
        C(gateway_capabilities_) prefix.
    type: dict
    required: true
  shown:
    description: Maps an aigw_* name to the name the caller knows the value by; the messages use the latter.
    type: dict
    default: {}
author:
  - aigateway.foundry maintainers (@aigateway)
"""

EXAMPLES = r"""
- name: Stop before anything is written when an input is wrong
  ansible.builtin.assert:
    that: problems | length == 0
    fail_msg: "{{ problems | join('; ') }}"
  vars:
    problems: "{{ {'aigw_models': aigw_models, 'aigw_model_hosts': aigw_model_hosts} | aigateway.foundry.aigw_problems }}"
"""

RETURN = r"""
_value:
  description: One message per problem; empty when the inputs are fine.
  type: list
  elements: str
"""

whole_number = validation.whole_number


def values_at(data, path):
    """(shown path, value) of every value at ``path`` ("a.b", "list[].key", "list[]") that is set."""
    head, _dot, rest = path.partition(".")
    if head.endswith("[]"):
        items = (data or {}).get(head[:-2]) if isinstance(data, dict) else None
        found = []
        for index, item in enumerate(items if isinstance(items, list) else []):
            if not rest:
                found.append(("%s[%d]" % (head[:-2], index), item))
                continue
            found += [("%s[%d].%s" % (head[:-2], index, shown), value) for shown, value in values_at(item, rest)]
        return found
    if not isinstance(data, dict) or data.get(head) is None:
        return []
    if not rest:
        return [(head, data[head])]
    return [("%s.%s" % (head, shown), value) for shown, value in values_at(data[head], rest)]


def range_problem(where, number, lowest, highest, value):
    if number < lowest or (highest is not None and number > highest):
        bounds = "%s to %s" % (lowest, highest) if highest is not None else "at least %s" % lowest
        return "%s is %r: it must be %s" % (where, value, bounds)
    return None


def policy_problems(policy, variable="aigw_gateway_policy"):
    """The policy options' types and ranges (numbers are numbers, positive where they must be)."""
    if not isinstance(policy, dict):
        return ["%s must be a dict of capabilities, not %r" % (variable, policy)]
    problems = []
    for path, (lowest, highest) in validation.POLICY_WHOLE_NUMBERS.items():
        for shown, value in values_at(policy, path):
            number = whole_number(value)
            where = "%s.%s" % (variable, shown)
            problems.append("%s is %r: it must be a whole number" % (where, value) if number is None
                            else range_problem(where, number, lowest, highest, value))
    for path, (lowest, highest) in validation.POLICY_FRACTIONS.items():
        for shown, value in values_at(policy, path):
            where = "%s.%s" % (variable, shown)
            try:
                number = None if isinstance(value, bool) else float(value)
            except (TypeError, ValueError):
                number = None
            problems.append("%s is %r: it must be a number" % (where, value) if number is None
                            else range_problem(where, number, lowest, highest, value))
    for path in validation.POLICY_BOOLEANS:
        problems += ["%s.%s is %r: it must be true or false" % (variable, shown, value)
                     for shown, value in values_at(policy, path) if not isinstance(value, bool)]
    for path, allowed in validation.POLICY_CHOICES.items():
        problems += ["%s.%s is %r: it must be one of %s" % (variable, shown, value, ", ".join(allowed))
                     for shown, value in values_at(policy, path) if value not in allowed]
    problems.append(dimensions_problem(policy.get("token_metrics"), variable))
    problems += validation.policy_value_problems(policy, variable)
    return [problem for problem in problems if problem]


def dimensions_problem(metrics, variable):
    """The token metric policy's custom dimensions: those listed (the template's three when none are) and User ID
    with a user_header."""
    if not isinstance(metrics, dict) or not isinstance(metrics.get("dimensions", []), list):
        return None
    count = len(metrics.get("dimensions", [None] * 3)) + (1 if metrics.get("user_header") else 0)
    if count > validation.CUSTOM_DIMENSIONS_MOST:
        return ("%s.token_metrics sends %d custom dimensions (dimensions, and User ID with user_header): a metric "
                "policy takes at most %d" % (variable, count, validation.CUSTOM_DIMENSIONS_MOST))
    return None


def model_problems(models, where):
    if not isinstance(models, list):
        return [messages.type_problem(where, models, "a list of model deployments (each with name and model_name)")]
    if not models:
        return ["%s is empty: the gateway needs at least one model deployment" % where]
    problems = []
    for index, model in enumerate(models):
        item = "%s[%d]" % (where, index)
        if not isinstance(model, dict) or not model.get("name") or not model.get("model_name"):
            problems.append("%s is %r: each model needs name and model_name" % (item, model))
            continue
        problem = validation.deployment_problem(dict(dict(model_format=None, sku_name=None), **model))
        capacity = whole_number(model.get("capacity", 1))
        if not problem and (capacity is None or capacity < 1):
            problem = "capacity is %r: it must be a whole number of at least 1" % (model.get("capacity"),)
        problems.append("%s: %s" % (item, problem) if problem else None)
    problems.append(validation.duplicate_problem(where, [m["name"] for m in models
                                                         if isinstance(m, dict) and m.get("name")]))
    return problems


def coverage_problems(hosts, models, agent_model=None):
    """Hosts may serve different deployments (the gateway then routes by model, one pool per model), but every model
    the gateway is meant to serve needs at least one host that deploys it: aigw_models, and the agents' model
    (aigw_agent_model), else the gateway answers 404 DeploymentNotFound for it."""
    served = set()
    for host in hosts:
        if isinstance(host, dict) and isinstance(host.get("deployments"), list):
            # A deployment served under another name (gateway_model, a model upgrade) serves that name.
            served.update(deployment.get("gateway_model") or deployment.get("name")
                          for deployment in host["deployments"] if isinstance(deployment, dict))
    wanted = [("aigw_models[%d]" % index, model.get("name")) for index, model in enumerate(models or [])
              if isinstance(models, list) and isinstance(model, dict) and model.get("name")]
    if agent_model:
        wanted.append(("aigw_agent_model", agent_model))
    return ["%s is %r: no model host of aigw_model_hosts deploys it, so the gateway would answer 404 DeploymentNotFound "
            "for it; add it to the deployments of at least one host" % (where, name)
            for where, name in wanted if name not in served]


def host_problems(hosts, agent_host, models, agent_model=None):
    if not isinstance(hosts, list):
        return [messages.type_problem("aigw_model_hosts", hosts, "a list of model hosts (each with a name)")]
    if not hosts:
        return ["aigw_model_hosts is empty: the gateway needs at least one model host"]
    problems = []
    for index, host in enumerate(hosts):
        where = "aigw_model_hosts[%d]" % index
        if not isinstance(host, dict) or not host.get("name"):
            problems.append("%s is %r: each host needs a name" % (where, host))
            continue
        problems.append(validation.name_problem("Microsoft.CognitiveServices/accounts", host["name"]))
        for key in ("priority", "weight"):
            if host.get(key) is not None:
                number = whole_number(host[key])
                problems.append("%s.%s is %r: it must be a whole number" % (where, key, host[key]) if number is None
                                else range_problem("%s.%s" % (where, key), number, 0 if key == "weight" else 1, 100,
                                                   host[key]))
        if host.get("deployments") != models:   # the lab's hosts serve aigw_models, checked once
            problems += model_problems(host.get("deployments"), "%s.deployments" % where)
    names = [h["name"] for h in hosts if isinstance(h, dict) and h.get("name")]
    if isinstance(agent_host, dict) and agent_host.get("name"):
        problems.append(validation.name_problem("Microsoft.CognitiveServices/accounts", agent_host["name"]))
        names.append(agent_host["name"])
    problems.append(validation.duplicate_problem("aigw_model_hosts and aigw_agent_host", names))
    if not any(problems):   # a host's own deployments are wrong: that is the problem to name first
        problems += coverage_problems(hosts, models, agent_model)
    backends = [host.get("backend") for host in hosts if isinstance(host, dict)]
    if None in backends or "" in backends or validation.duplicate_problem("", [str(b) for b in backends]):
        problems.append("every model host of aigw_model_hosts needs a backend name of its own (got %s)"
                        % ", ".join(map(str, backends)))
    return problems


def whole_at_least(where, value, lowest):
    number = whole_number(value)
    if number is None:
        return "%s is %r: it must be a whole number" % (where, value)
    return range_problem(where, number, lowest, None, value)


def embeddings_capacity_problems(hosts, capacity, setting):
    """The semantic cache's lookup makes one embeddings call per gateway call before the chat call, on the same
    host: the embeddings deployment needs at least the capacity of the chat deployments it fronts there, or a
    burst the chat pool could answer throttles the lookup and every call fails (Learn,
    llm-semantic-cache-lookup-policy, Usage notes: "The embeddings model should have enough capacity"). Both are
    counted in the same units (thousands of tokens per minute, whose requests per minute scale alike); an
    embeddings prompt is never longer than the chat prompt it embeds. Hosts without deployments are not judged.
    """
    problem = whole_at_least(setting, capacity, 1)
    if problem:
        return [problem]
    problems = []
    for host in hosts or []:
        chat = []
        for deployment in host.get("deployments") or []:
            if "embed" in str(deployment.get("model_name") or deployment.get("name")).lower():
                continue
            where = "the capacity of %s on %s" % (deployment.get("name"), host.get("name"))
            number = whole_number(deployment.get("capacity", 10))
            if number is None:
                return ["%s is %r: it must be a whole number" % (where, deployment.get("capacity"))]
            chat.append((deployment.get("name"), number))
        fronted = sum(item[1] for item in chat)
        if chat and whole_number(capacity) < fronted:
            problems.append("%s %s is below the chat capacity it fronts on %s (%s = %s): every call is one "
                            "embeddings call first, so the cache lookup would be throttled (and the call answered "
                            "500) while the chat deployments still have room; set %s to at least %s"
                            % (setting, capacity, host.get("name"), " + ".join("%s %s" % item for item in chat),
                               fronted, setting, fronted))
    return problems


def fraction_problem(where, value, lowest, highest):
    try:
        number = None if isinstance(value, bool) else float(value)
    except (TypeError, ValueError):
        number = None
    return ("%s is %r: it must be a number" % (where, value) if number is None
            else range_problem(where, number, lowest, highest, value))


def blocklist_problems(blocklists, setting):
    blocklists = blocklists or []
    names = [blocklist.get("name") or "" for blocklist in blocklists]
    problems = [validation.duplicate_problem(setting, names)]
    for blocklist in blocklists:
        name = blocklist.get("name") or ""
        problems.append(validation.name_problem("Microsoft.CognitiveServices/accounts/raiBlocklists", name))
        if any(not str(item.get("pattern") or "").strip() for item in blocklist.get("items") or []):
            problems.append("Blocklist '%s': every item needs a non-blank pattern" % name)
    return problems


def _cache_problems(s):
    problems = [validation.name_problem("Microsoft.Cache/redisEnterprise", s.get("redis_name") or ""),
                None if s.get("embeddings_hosts") else
                "gateway_capabilities_embeddings_hosts (or gateway_capabilities_embeddings_account) must name the "
                "model hosts that carry the embeddings deployment",
                fraction_problem("gateway_capabilities_cache_score_threshold", s.get("cache_score_threshold"),
                                 *validation.POLICY_FRACTIONS["semantic_cache.score_threshold"]),
                whole_at_least("gateway_capabilities_cache_duration", s.get("cache_duration"), 1)]
    problems += embeddings_capacity_problems(s.get("embeddings_hosts"), s.get("embeddings_capacity"),
                                             "gateway_capabilities_embeddings_capacity")
    return ["Semantic cache: %s" % problem for problem in problems if problem]


def _safety_problems(s):
    problems = [validation.name_problem("Microsoft.CognitiveServices/accounts", s.get("content_safety_account") or ""),
                validation.content_safety_credential_problem(s.get("content_safety_key"),
                                                             "gateway_capabilities_content_safety_key")]
    categories = s.get("content_safety_categories") or []
    problems.append(validation.duplicate_problem("gateway_capabilities_content_safety_categories",
                                                 [category.get("name") or "" for category in categories]))
    lowest, highest = validation.CONTENT_SAFETY_THRESHOLDS
    for category in categories:
        where = "the threshold of content safety category %s" % category.get("name")
        number = whole_number(category.get("threshold"))
        problems.append("%s is %r: it must be a whole number" % (where, category.get("threshold")) if number is None
                        else range_problem(where, number, lowest, highest, category.get("threshold")))
    problems += blocklist_problems(s.get("content_safety_blocklists"), "gateway_capabilities_content_safety_blocklists")
    return ["Content safety: %s" % problem for problem in problems if problem]


def _product_problems(product):
    name = product.get("name") or ""
    quota, rate = product.get("token_quota"), product.get("tokens_per_minute")
    problems = [validation.literal_problem("the id", name, "id") or (
        None if len(name) <= validation.PRODUCT_ID_LONGEST else
        "the id is %d characters long: at most %d" % (len(name), validation.PRODUCT_ID_LONGEST))]
    if quota is None and rate is None:
        problems.append("it needs a token_quota or tokens_per_minute, or it limits nothing")
    problems += [whole_at_least(key, value, 1) for key, value in (("token_quota", quota), ("tokens_per_minute", rate))
                 if value is not None]
    if product.get("token_quota_period") is not None and quota is None:
        problems.append("token_quota_period only goes with a token_quota")
    problems = [problem for problem in problems if problem]
    return ["Product '%s': %s" % (name, "; ".join(problems))] if problems else []


def _quota_problems(s):
    products = s.get("products") or []
    problems = [None if products else "Token quotas: gateway_capabilities_products is empty",
                None if s.get("product_apis") else
                "Token quotas: gateway_capabilities_product_apis must name at least one API",
                validation.duplicate_problem("Token quotas: gateway_capabilities_products",
                                             [product.get("name") or "" for product in products]),
                validation.duplicate_problem("Token quotas: the products' subscriptions (a subscription belongs to one "
                                             "product)", [name for product in products
                                                          for name in product.get("subscriptions") or []])]
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


def _site_capability_problems(inputs):
    """The capabilities' settings site.yml takes (aigw_semantic_cache*, aigw_content_safety*)."""
    problems = []
    hosts = inputs.get("aigw_model_hosts") or []
    if inputs.get("aigw_semantic_cache"):
        chosen = inputs.get("aigw_semantic_cache_embeddings_hosts") or []
        known = [host.get("name") for host in hosts if isinstance(host, dict)]
        unknown = [name for name in chosen if name not in known]
        if unknown or not chosen:
            problems.append("aigw_semantic_cache_embeddings_hosts must name model hosts of aigw_model_hosts (got %s)"
                            % (", ".join(unknown) or "none"))
        if "aigw_semantic_cache_embeddings_capacity" in inputs:
            problems += embeddings_capacity_problems(
                [host for host in hosts if isinstance(host, dict) and host.get("name") in chosen],
                inputs["aigw_semantic_cache_embeddings_capacity"], "aigw_semantic_cache_embeddings_capacity")
        if "aigw_semantic_cache_score_threshold" in inputs:
            problems.append(fraction_problem("aigw_semantic_cache_score_threshold",
                                             inputs["aigw_semantic_cache_score_threshold"],
                                             *validation.POLICY_FRACTIONS["semantic_cache.score_threshold"]))
        problems = ["Semantic cache: %s" % problem for problem in problems if problem]
    if inputs.get("aigw_content_safety"):
        safety = blocklist_problems(inputs.get("aigw_content_safety_blocklists"), "aigw_content_safety_blocklists")
        if "aigw_content_safety_key" in inputs:
            safety.append(validation.content_safety_credential_problem(inputs["aigw_content_safety_key"],
                                                                       "aigw_content_safety_key"))
        problems += ["Content safety: %s" % problem for problem in safety if problem]
    return problems


CONNECTION_INPUTS = {"aigw_connection_scope", "aigw_connection_auth_type", "aigw_connection_model_discovery",
                     "aigw_connection_category", "aigw_connection_oauth2", "aigw_connection_custom_headers"}


def _connection_problems(inputs):
    if not CONNECTION_INPUTS & set(inputs):
        return []
    entra = None
    if isinstance(inputs.get("aigw_gateway_policy"), dict):
        entra = bool(((inputs["aigw_gateway_policy"].get("gateway_auth") or {}).get("entra") or {}).get("enabled"))
    agent_host = inputs.get("aigw_agent_host") if isinstance(inputs.get("aigw_agent_host"), dict) else {}
    auth_type = inputs.get("aigw_connection_auth_type")
    return [validation.gateway_connection_problem(inputs.get("aigw_connection_scope"), auth_type,
                                                  agent_host.get("project"), entra,
                                                  inputs.get("aigw_connection_model_discovery"),
                                                  inputs.get("aigw_connection_category")),
            validation.oauth2_problem(inputs.get("aigw_connection_oauth2"), "aigw_connection_oauth2")
            if auth_type == "OAuth2" and "aigw_connection_oauth2" in inputs else None,
            validation.custom_headers_problem(inputs.get("aigw_connection_custom_headers"),
                                              validation.credential_header({"auth_type": auth_type}),
                                              "aigw_connection_custom_headers")]


def aigw_problems(inputs, shown=None):
    """Every problem with the inputs (``inputs`` maps aigw_* variable names to values; a variable left out is not
    checked, so a role checks its own inputs through the same rules), as messages. ``shown`` maps an aigw_* name
    to the name the caller knows the value by (a role's own variable), which the messages then use."""
    problems = []
    if "aigw_subscription_id" in inputs and not inputs["aigw_subscription_id"]:
        problems.append("no subscription: set AZURE_SUBSCRIPTION_ID (Azure mode)")
    if "aigw_location" in inputs and not inputs["aigw_location"]:
        problems.append("aigw_location is empty: set the Azure region")
    problems += [validation.name_problem("Microsoft.Resources/resourceGroups", inputs.get("aigw_resource_group")),
                 validation.setting_problem("aigw_soft_deleted", inputs.get("aigw_soft_deleted"),
                                            validation.SOFT_DELETED_CHOICES),
                 validation.setting_problem("aigw_apim_sku", inputs.get("aigw_apim_sku"), validation.APIM_SKUS),
                 validation.setting_problem("aigw_api_type", inputs.get("aigw_api_type"),
                                            validation.CONNECTION_API_TYPES)]
    if inputs.get("aigw_api_type") in validation.CONNECTION_API_TYPES:
        version = validation.inference_api_version_problem(inputs["aigw_api_type"],
                                                           inputs.get("aigw_inference_api_version"))
        problems.append(version and "aigw_" + version)
    problems += _connection_problems(inputs)
    if "aigw_apim_name" in inputs:
        problems.append(validation.name_problem("Microsoft.ApiManagement/service", inputs["aigw_apim_name"]))
    if "aigw_models" in inputs:
        problems += model_problems(inputs["aigw_models"], "aigw_models")
    if "aigw_model_hosts" in inputs:
        problems += host_problems(inputs["aigw_model_hosts"], inputs.get("aigw_agent_host"), inputs.get("aigw_models"),
                                  inputs.get("aigw_agent_model"))
    if "aigw_gateway_policy" in inputs:
        problems += policy_problems(inputs["aigw_gateway_policy"])
    problems += _site_capability_problems(inputs)
    if "aigw_capabilities" in inputs:
        problems += capability_problems(inputs["aigw_capabilities"] or {})
    problems = [problem for problem in problems if problem]
    for name, own in (shown or {}).items():
        problems = [problem.replace(name, own) for problem in problems]
    return problems


class FilterModule(object):
    def filters(self):
        return {"aigw_problems": aigw_problems, "gateway_policy_placeholders": validation.policy_placeholders}
