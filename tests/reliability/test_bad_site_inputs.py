"""site.yml refuses bad -e values before any write: each run fails with a message naming the value, without a
traceback, and the endpoint's request log shows 0 writes."""
from __future__ import annotations

import json
import re

import pytest

from tests.reliability.harness import TRACEBACK, Endpoint, Playbooks

MODEL = {"name": "gpt-4o-mini", "model_name": "gpt-4o-mini", "model_version": "2024-07-18", "model_format": "OpenAI",
         "sku_name": "GlobalStandard", "capacity": 10}
HOST = {"name": "models-foundry-{{ aigw_name_suffix }}", "backend": "models-foundry", "priority": 1, "weight": 100,
        "deployments": "{{ aigw_models }}"}

# (extra vars, the value the message must name)
CASES = [
    ({"aigw_models": []}, "aigw_models is empty"),
    ({"aigw_models": [MODEL, MODEL]}, "'gpt-4o-mini' twice"),
    ({"aigw_models": [dict(MODEL, model_format="OpenAl")]}, "'OpenAl'"),
    ({"aigw_models": [dict(MODEL, sku_name="Global")]}, "'Global'"),
    ({"aigw_models": [dict(MODEL, capacity="ten")]}, "'ten'"),
    ({"aigw_models": [dict(MODEL, name="-gpt")]}, "'-gpt'"),
    ({"aigw_gateway_policy": {"token_limit": {"enabled": True, "tokens_per_minute": "lots"}}}, "'lots'"),
    ({"aigw_gateway_policy": {"token_limit": {"enabled": True, "tokens_per_minute": 0}}}, "tokens_per_minute is 0"),
    ({"aigw_gateway_policy": {"retry": {"enabled": True, "count": 99}}}, "retry.count is 99"),
    ({"aigw_gateway_policy": {"token_limit": {"enabled": "yes", "tokens_per_minute": 10}}}, "'yes'"),
    ({"aigw_location": "marscentral"}, "'marscentral'"),
    ({"aigw_apim_sku": "Gold"}, "'Gold'"),
    ({"aigw_resource_group": "rg."}, "'rg.'"),
    ({"aigw_model_hosts": []}, "aigw_model_hosts is empty"),
    ({"aigw_connection_scope": "hub"}, "'hub'"),
    ({"aigw_agent_host": {"name": "agents_foundry", "project": "foundry-project"}}, "'agents_foundry'"),
    ({"aigw_model_hosts": [dict(HOST, weight=101)]}, "weight is 101"),
    # injection into expressions (issue 21 item 2): each value closes its C# string or turns a literal into code
    ({"aigw_gateway_policy": {"token_metrics": {"enabled": True, "user_header": (
        'x", "N/A") + context.Subscription.Key + context.Request.Headers.GetValueOrDefault("y')}}},
     "aigw_gateway_policy.token_metrics.user_header"),
    ({"aigw_gateway_policy": {"token_quotas": [{"product": 'gold") || true || ("', "tokens_per_minute": 100}]}},
     "aigw_gateway_policy.token_quotas[0].product"),
    ({"aigw_gateway_policy": {"gateway_auth": {"entra": {
        "enabled": True, "tenant_id": "00000000-0000-0000-0000-000000000001",
        "output_token_variable": 'jwt"]).Claims.Count > 0 || ((Jwt)context.Variables["jwt'}}}},
     "aigw_gateway_policy.gateway_auth.entra.output_token_variable"),
    ({"aigw_gateway_policy": {"token_quotas": [{"principal_id": '0") || true || ("', "tokens_per_minute": 100}]}},
     "aigw_gateway_policy.token_quotas[0].principal_id"),
    ({"aigw_gateway_policy": {"token_metrics": {"enabled": True, "namespace": "@(context.Subscription.Key)"}}},
     "aigw_gateway_policy.token_metrics.namespace"),
    # values that break every call of the gateway (issue 21 item 3)
    ({"aigw_gateway_policy": {"retry": {"enabled": True, "status_codes": ["lots"]}}},
     "retry.status_codes[0] is 'lots'"),
    ({"aigw_gateway_policy": {"token_metrics": {"enabled": True, "user_header": "<x-user/>"}}},
     "user_header is '<x-user/>'"),
    ({"aigw_gateway_policy": {"token_metrics": {"enabled": True, "user_header": "x-user\n"}}}, "U+000A"),
    ({"aigw_gateway_policy": {"token_metrics": {"enabled": True, "user_header": "x-\u202euser"}}}, "U+202E"),
    ({"aigw_gateway_policy": {"token_metrics": {"enabled": True, "user_header": "x-\u200buser"}}}, "U+200B"),
    ({"aigw_gateway_policy": {"token_metrics": {"enabled": True, "namespace": "n" * 100000}}},
     "100000 characters long"),
    ({"aigw_connection_auth_type": "AAD"}, "aigw_connection_auth_type is 'AAD'"),
    # one rule, one home (issue 22 item 4): each of these was refused by a role only after the resource group and
    # API Management's create had started, or by a second preflight with other words
    ({"aigw_connection_auth_type": "OAuth2"}, "aigw_connection_auth_type is 'OAuth2'"),
    ({"aigw_connection_auth_type": "None"}, "aigw_connection_auth_type is 'None'"),
    ({"aigw_connection_auth_type": "ProjectManagedIdentity"}, "needs aigw_connection_scope project"),
    ({"aigw_connection_scope": "project", "aigw_agent_host": {"name": "agents-foundry-x1", "project": ""}},
     "aigw_agent_host.project is empty"),
    ({"aigw_semantic_cache": True, "aigw_semantic_cache_score_threshold": 1.5},
     "aigw_semantic_cache_score_threshold is 1.5"),
    ({"aigw_content_safety": True, "aigw_content_safety_blocklists": [{"name": "_words", "items": [{"pattern": "x"}]}]},
     "blocklist name '_words'"),
    ({"aigw_soft_deleted": "keep"}, "aigw_soft_deleted is 'keep'"),
    ({"aigw_api_type": "OpenAI"}, "aigw_api_type is 'OpenAI'"),
    ({"aigw_agent_host": {"name": "agents-foundry-x1\n", "project": "foundry-project"}}, "account name"),
]


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    state_dir = tmp_path_factory.mktemp("bad-site-inputs")
    endpoint = Endpoint(state_dir)
    yield endpoint, Playbooks(state_dir)
    endpoint.stop()


@pytest.mark.parametrize("extra, value", CASES, ids=[next(iter(case[0])) + "-%d" % i for i, case in enumerate(CASES)])
def test_bad_extra_vars_stop_site_before_any_write(site, figures, extra, value):
    endpoint, playbooks = site
    mark = len(endpoint.requests_logged())
    result = playbooks.run("site.yml", "-e", json.dumps(extra), expect_failure=True)
    writes = [entry for entry in endpoint.requests_logged()[mark:] if entry.get("kind") == "write"]
    message = next((line.strip() for line in result["output"].splitlines() if value in line), "")
    figures.add("bad input (site.yml -e)", json.dumps(extra)[:60], "refused, %d writes" % len(writes), message[:110])
    assert value in result["output"], result["output"][-3000:]
    # the run stops at the preflight, not at a role that checks its inputs again after the first writes; the
    # region alone is checked by the first module against the resource provider's list, one read before its create
    # (validation.location_problem in arm_resource.settle)
    failed_task = re.findall(r"^TASK \[([^\]]*)\]", result["output"].split("fatal:")[0], re.M)[-1:]
    assert failed_task == ["Resource group"] if "aigw_location" in extra else (
        failed_task and failed_task[0].startswith("Preflight")), failed_task
    assert not TRACEBACK.search(result["output"])
    assert writes == []
