# -*- coding: utf-8 -*-
# Copyright: contributors to aigateway.foundry
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""site.yml's preflight check of its inputs: every problem with the aigw_* topology, before anything is written.

The modules refuse the same values later (plugins/module_utils/validation.py holds the rules both use); checking
here first means a bad value in group_vars or ``-e`` stops the run before the resource group, API Management or any
account exists, and an empty or duplicated model list never reaches the gateway.
"""

from __future__ import annotations

from ansible_collections.aigateway.foundry.plugins.module_utils import messages, validation

DOCUMENTATION = r"""
name: aigw_input_problems
short_description: The problems with site.yml's aigw_* inputs
version_added: 0.2.0
description:
  - Checks the topology site.yml provisions (resource group, models, model hosts, agent host, API Management,
    connection, gateway policy options) by the rules Azure applies, and returns one message per problem, each
    naming the variable, the value and the rule. An empty list means the inputs are fine.
options:
  _input:
    description: A dict of the aigw_* variables (C(aigw_models), C(aigw_model_hosts), ...).
    type: dict
    required: true
author:
  - aigateway.foundry maintainers (@aigateway)
"""

EXAMPLES = r"""
- name: Stop before anything is written when an input is wrong
  ansible.builtin.assert:
    that: problems | length == 0
    fail_msg: "{{ problems | join('; ') }}"
  vars:
    problems: "{{ {'aigw_models': aigw_models, 'aigw_model_hosts': aigw_model_hosts} | aigateway.foundry.aigw_input_problems }}"
"""

RETURN = r"""
_value:
  description: One message per problem; empty when the inputs are fine.
  type: list
  elements: str
"""

APIM_SKUS = ("Developer", "Basic", "Standard", "Premium", "Consumption", "Basicv2", "Standardv2", "Premiumv2")
API_TYPES = ("PassThrough", "AzureOpenAI", "AzureOpenAIV1", "AzureAI")
CONNECTION_SCOPES = ("account", "project")
QUOTA_PERIODS = ("Hourly", "Daily", "Weekly", "Monthly", "Yearly")

# gateway_policy path -> (lowest, highest or None): whole numbers the policy renders into attributes
# (roles/gateway/POLICY-VARIABLES.md); "[]" is every item of a list.
POLICY_WHOLE_NUMBERS = {
    "token_limit.tokens_per_minute": (1, None),
    "token_limit.token_quota": (1, None),
    "token_quotas[].tokens_per_minute": (1, None),
    "token_quotas[].token_quota": (1, None),
    "semantic_cache.duration": (1, None),
    "semantic_cache.max_message_count": (1, None),
    "retry.count": (1, 50),
    "retry.interval": (0, None),
    "retry.max_interval": (0, None),
    "retry.delta": (0, None),
    "gateway_auth.entra.failed_status": (100, 599),
    "retry.status_codes[]": (100, 599),
}
POLICY_FRACTIONS = {"semantic_cache.score_threshold": (0.0, 1.0)}
POLICY_BOOLEANS = ("gateway_auth.subscription_key", "gateway_auth.entra.enabled", "backend_auth.managed_identity",
                   "token_limit.enabled", "token_limit.estimate_prompt_tokens", "token_quotas[].estimate_prompt_tokens",
                   "token_metrics.enabled", "semantic_cache.enabled", "semantic_cache.ignore_system_messages",
                   "retry.enabled", "retry.first_fast_retry", "unavailable_response.enabled",
                   "content_safety.enabled", "content_safety.shield_prompt")
POLICY_CHOICES = {"token_limit.token_quota_period": QUOTA_PERIODS, "token_quotas[].token_quota_period": QUOTA_PERIODS}
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
    for path, (lowest, highest) in POLICY_WHOLE_NUMBERS.items():
        for shown, value in values_at(policy, path):
            number = whole_number(value)
            where = "%s.%s" % (variable, shown)
            problems.append("%s is %r: it must be a whole number" % (where, value) if number is None
                            else range_problem(where, number, lowest, highest, value))
    for path, (lowest, highest) in POLICY_FRACTIONS.items():
        for shown, value in values_at(policy, path):
            where = "%s.%s" % (variable, shown)
            try:
                number = None if isinstance(value, bool) else float(value)
            except (TypeError, ValueError):
                number = None
            problems.append("%s is %r: it must be a number" % (where, value) if number is None
                            else range_problem(where, number, lowest, highest, value))
    for path in POLICY_BOOLEANS:
        problems += ["%s.%s is %r: it must be true or false" % (variable, shown, value)
                     for shown, value in values_at(policy, path) if not isinstance(value, bool)]
    for path, allowed in POLICY_CHOICES.items():
        problems += ["%s.%s is %r: it must be one of %s" % (variable, shown, value, ", ".join(allowed))
                     for shown, value in values_at(policy, path) if value not in allowed]
    problems += validation.policy_value_problems(policy, variable)
    return [problem for problem in problems if problem]


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


def host_problems(hosts, agent_host, models):
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
    return problems


def choice(name, value, allowed):
    if value is None or value in allowed:
        return None
    return "%s is %r%s: it must be one of %s" % (name, value, messages.did_you_mean(value, allowed), ", ".join(allowed))


def aigw_input_problems(inputs):
    """Every problem with the aigw_* inputs (``inputs`` maps variable names to values), as messages."""
    problems = [validation.name_problem("Microsoft.Resources/resourceGroups", inputs.get("aigw_resource_group")),
                None if inputs.get("aigw_location") else "aigw_location is empty: set the Azure region",
                choice("aigw_apim_sku", inputs.get("aigw_apim_sku"), APIM_SKUS),
                choice("aigw_api_type", inputs.get("aigw_api_type"), API_TYPES),
                choice("aigw_connection_scope", inputs.get("aigw_connection_scope"), CONNECTION_SCOPES),
                choice("aigw_connection_auth_type", inputs.get("aigw_connection_auth_type"),
                       validation.GATEWAY_CONNECTION_AUTH_TYPES)]
    if "aigw_apim_name" in inputs:
        problems.append(validation.name_problem("Microsoft.ApiManagement/service", inputs["aigw_apim_name"]))
    if "aigw_models" in inputs:
        problems += model_problems(inputs["aigw_models"], "aigw_models")
    if "aigw_model_hosts" in inputs:
        problems += host_problems(inputs["aigw_model_hosts"], inputs.get("aigw_agent_host"), inputs.get("aigw_models"))
    if "aigw_gateway_policy" in inputs:
        problems += policy_problems(inputs["aigw_gateway_policy"])
    return [problem for problem in problems if problem]


class FilterModule(object):
    def filters(self):
        return {"aigw_input_problems": aigw_input_problems, "gateway_policy_problems": policy_problems,
                "gateway_policy_placeholders": validation.policy_placeholders}
