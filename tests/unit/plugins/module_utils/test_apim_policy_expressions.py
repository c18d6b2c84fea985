"""A value never becomes code: the policy's expressions are compared in shape with the template's own, rendered
with a placeholder for every literal (apim_policy.expressions_problem, validation.policy_placeholders); the real
template (roles/gateway/templates/inference-policy.xml.j2) is rendered here as the gateway role renders it."""
import copy
from pathlib import Path

import jinja2
import pytest

from ansible_collections.aigateway.foundry.plugins.module_utils import apim_policy as p
from ansible_collections.aigateway.foundry.plugins.module_utils import validation as v
from ansible_collections.aigateway.foundry.plugins.modules import apim_policy as module

TEMPLATES = Path(__file__).resolve().parents[4] / "roles" / "gateway" / "templates"
EVERYTHING = {
    "backend_id": "inference-backend-pool",
    "gateway_auth": {"subscription_key": True,
                     "entra": {"enabled": True, "tenant_id": "00000000-0000-0000-0000-000000000001",
                               "output_token_variable": "jwt",
                               "required_claims": [{"name": "xms_mirid", "values": ["/subscriptions/x/p"]}]}},
    "token_limit": {"enabled": True, "tokens_per_minute": 1000, "remaining_tokens_header": "x-remaining"},
    "token_quotas": [{"product": "gold", "tokens_per_minute": 100},
                     {"principal_id": "00000000-0000-0000-0000-00000000000a", "tokens_per_minute": 50}],
    "token_metrics": {"enabled": True, "namespace": "llm", "user_header": "x-user-id"},
    "semantic_cache": {"enabled": True, "embeddings_backend_id": "embeddings-backend", "score_threshold": 0.8},
    "retry": {"enabled": True, "status_codes": [429, 503]},
}
SPLICES = {
    "user_header": ("token_metrics", "user_header",
                    'x", "N/A") + context.Subscription.Key + context.Request.Headers.GetValueOrDefault("y'),
    "product": ("token_quotas", "product", 'gold") || true || ("'),
    "output_token_variable": ("gateway_auth", "output_token_variable",
                              'jwt"]).Claims.Count > 0 || ((Jwt)context.Variables["jwt'),
    "principal_id": ("token_quotas", "principal_id", '0") || true || ("'),
    "namespace": ("token_metrics", "namespace", "@(context.Subscription.Key)"),
    "backend_id": (None, "backend_id", '@(context.Request.Headers.GetValueOrDefault("x-backend", "b"))'),
}


def render(policy):
    environment = jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES)))
    return environment.get_template("inference-policy.xml.j2").render(gateway_policy=policy)


def spliced(name):
    section, key, value = SPLICES[name]
    policy = copy.deepcopy(EVERYTHING)
    if section is None:
        policy[key] = value
    elif section == "token_quotas":
        policy["token_quotas"][0 if key == "product" else 1][key] = value
    elif section == "gateway_auth":
        policy["gateway_auth"]["entra"][key] = value
    else:
        policy[section][key] = value
    return policy


def test_the_template_with_every_capability_matches_its_own_placeholder_rendering():
    assert p.expressions_problem(render(EVERYTHING), render(v.policy_placeholders(EVERYTHING))) is None


def test_every_other_capability_matches_too():
    policy = dict(copy.deepcopy(EVERYTHING),
                  content_safety={"enabled": True, "backend_id": "content-safety-backend", "shield_prompt": True,
                                  "categories": [{"name": "Hate", "threshold": 4}], "blocklists": ["blocked-terms"]},
                  unavailable_response={"enabled": True, "reason": "Busy", "retry_after": "10"},
                  backend_auth={"managed_identity": True, "client_id": "00000000-0000-0000-0000-00000000000c"},
                  token_metrics={"enabled": True, "dimensions": [{"name": "API ID", "value": "@(context.Api.Id)"},
                                                                 {"name": "Static", "value": "fixed"}]})
    policy["gateway_auth"]["entra"]["client_application_ids"] = ["00000000-0000-0000-0000-00000000000d"]
    assert v.policy_value_problems(policy) == []
    assert p.expressions_problem(render(policy), render(v.policy_placeholders(policy))) is None
    # without Entra the default caller is another expression; the placeholders take the same branch
    policy["gateway_auth"]["entra"]["enabled"] = False
    assert p.expressions_problem(render(policy), render(v.policy_placeholders(policy))) is None


def test_expressions_the_settings_give_on_purpose_are_kept_and_match():
    policy = dict(EVERYTHING, counter_key="@(context.Request.IpAddress)",
                  custom_fragments={"inbound": '<set-variable name="v" value="@(context.Api.Id)" />'})
    assert v.policy_placeholders(policy)["counter_key"] == "@(context.Request.IpAddress)"
    assert p.expressions_problem(render(policy), render(v.policy_placeholders(policy))) is None


@pytest.mark.parametrize("name", sorted(SPLICES))
def test_a_value_spliced_into_code_is_refused_naming_the_expression(name):
    policy = spliced(name)
    problem = p.expressions_problem(render(policy), render(v.policy_placeholders(policy)))
    assert problem and ("spliced into code" in problem or "lacks" in problem), problem
    message, _details, _warnings = module.policy_problems(render(policy), "api", "warn",
                                                          render(v.policy_placeholders(policy)))
    assert message and message.startswith("policy refused before upload"), message


@pytest.mark.parametrize("name", sorted(SPLICES))
def test_the_preflight_refuses_the_same_values_by_their_rules_first(name):
    section, key, _value = SPLICES[name]
    problems = v.policy_value_problems(spliced(name))
    assert any(key in problem for problem in problems), problems


def test_the_shape_leaves_out_literals_and_keeps_code():
    assert p.expression_shape('@(context.Variables["a b"] == 12)') == p.expression_shape("@(context.Variables[\"x\"] == 3)")
    assert p.expression_shape('@("a" + @"b""c" + \'d\')') == '@("" + "" + \'\')'
    assert p.expression_shape('@("x") + y') != p.expression_shape('@("x + y")')


def test_a_document_over_api_management_s_size_limit_is_refused():
    huge = render(dict(EVERYTHING, custom_fragments={"inbound": "<!-- %s -->" % ("x" * v.POLICY_DOCUMENT_LONGEST)}))
    message = module.policy_problems(huge, "api", "warn")[0]
    assert "256 KiB" in message
