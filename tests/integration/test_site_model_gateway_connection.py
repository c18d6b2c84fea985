"""site.yml with aigw_connection_category ModelGateway (issue 24 item 3), on an endpoint of its own: Foundry's
category for a gateway other than API Management, or API Management behind another front (foundry-samples
infrastructure/infrastructure-setup-bicep/01-connections/model-gateway). Here the front is the gateway's own policy,
which refuses a call without the routing header the connection's customHeaders carry. With ApiKey (the subscription
key) and then OAuth2 client credentials (a token from the endpoint's Entra token URL, which the gateway's Entra check
admits for that client), a stock azure-ai-projects client lists the connection's models and an agent answers
through it; bad input is refused before any write; re-runs write nothing. The tests run in file order.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest
import requests
import yaml

from tests.integration.test_playbooks import Playbooks, stop_endpoint
from tests.integration.test_site_model_discovery import Foundry as DiscoveryFoundry

ROOT = Path(__file__).resolve().parents[2]
HEADERS = {"X-Route-Policy": "premium"}
# The "other front": a call without the connection's header is refused by the gateway before any model call.
FRONT = ('<choose><when condition="@(context.Request.Headers.GetValueOrDefault(&quot;X-Route-Policy&quot;, '
         '&quot;&quot;) != &quot;premium&quot;)"><return-response><set-status code="400" reason="Bad Request" />'
         '<set-body>{"error":{"code":"MissingRoute","message":"X-Route-Policy must be premium"}}</set-body>'
         '</return-response></when></choose>')
# The first run of each auth type is whole (verify compares the ModelGateway connection, headers and OAuth2 client
# included, and sends the headers with its calls); the re-runs leave verify out and prove the agent path with the
# stock client themselves.
NOT_VERIFY = ("--tags", "preflight,resource_group,monitoring,ai_services,apim,gateway,capabilities,connection,outputs")


def lab_policy(**gateway_auth):
    policy = yaml.safe_load((ROOT / "group_vars/all/lab.yml").read_text())["aigw_gateway_policy"]
    policy["custom_fragments"] = {"inbound": FRONT}
    if gateway_auth:
        policy["gateway_auth"] = gateway_auth
    return policy


def extra(**variables):
    settings = {"aigw_connection_category": "ModelGateway", "aigw_connection_custom_headers": HEADERS,
                "aigw_gateway_policy": lab_policy()}
    settings.update(variables)
    return ("-e", json.dumps(settings))


def oauth2_extra(endpoint, **oauth2):
    """OAuth2 client credentials of the endpoint's application at its Entra token URL; the gateway's Entra check
    admits that client's tokens for the default audience (roles/gateway POLICY-VARIABLES.md gateway_auth.entra)."""
    client = {"client_id": endpoint["client_id"], "client_secret": endpoint["client_secret"],
              "token_url": "https://login.microsoftonline.com/%s/oauth2/v2.0/token" % endpoint["tenant_id"],
              "scopes": ["https://cognitiveservices.azure.com/.default"]}
    client.update(oauth2)
    return extra(aigw_connection_auth_type="OAuth2", aigw_connection_oauth2=client,
                 aigw_gateway_policy=lab_policy(entra={"enabled": True, "tenant_id": endpoint["tenant_id"],
                                                       "client_application_ids": [endpoint["client_id"]]}))


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    runner = Playbooks(tmp_path_factory.mktemp("model-gateway"))
    yield runner
    runner.run("teardown.yml")
    stop_endpoint(runner.state_dir)


class Foundry(DiscoveryFoundry):
    """The stock azure-ai-projects client on the agent project (test_site_model_discovery's), and the connection as
    Resource Manager has it."""

    def connection(self):
        agents = next(a.name for a in self.cognitive.accounts.list_by_resource_group(self.group)
                      if a.name.startswith("agents-"))
        return self.cognitive.account_connections.get(self.group, agents, "ai-gateway").properties


def test_site_makes_a_model_gateway_connection_whose_headers_pass_the_front(site):
    site.run("site.yml", *extra())
    foundry = Foundry(site)
    props = foundry.connection()
    assert (props.category, props.auth_type) == ("ModelGateway", "ApiKey")
    assert json.loads(props.metadata["customHeaders"]) == HEADERS
    assert foundry.client.connections.get("ai-gateway").metadata["customHeaders"] == props.metadata["customHeaders"]
    assert foundry.gateway_models() == ["ai-gateway/gpt-5.4-mini", "ai-gateway/gpt-5.4-nano"]
    assert foundry.agent_answers("gpt-5.4-mini")
    # ... and the header is what got it through: the same call with the key but without the header is refused.
    key = foundry.apim.subscription.list_secrets(foundry.group, foundry.service, "foundry-subscription").primary_key
    url = props.target + "/deployments/gpt-5.4-mini/chat/completions?api-version=2024-12-01-preview"
    local = url.replace("https://%s.azure-api.net" % foundry.service,
                        foundry.endpoint["gateway_base_url_template"].format(service=foundry.service))
    refused = requests.post(local, json={"messages": [{"role": "user", "content": "hi"}]}, headers={"api-key": key},
                            verify=foundry.endpoint["ca_bundle"], timeout=30)
    assert refused.status_code == 400 and refused.json()["error"]["code"] == "MissingRoute", refused.text


@pytest.mark.parametrize("variables, words", [
    ({"aigw_connection_category": "AIModelGateway"}, ["aigw_connection_category is 'AIModelGateway'"]),
    ({"aigw_connection_custom_headers": {"X Route": "premium"}}, ["aigw_connection_custom_headers name 'X Route'",
                                                                  "not an HTTP header name"]),
    ({"aigw_connection_auth_type": "OAuth2", "aigw_connection_oauth2": {"client_id": "c", "client_secret": "s3cr3t"}},
     ["aigw_connection_oauth2.token_url is required when auth_type is OAuth2"]),
])
def test_bad_input_is_refused_by_name_before_any_write(site, variables, words):
    mark = len(site.requests_logged())
    result = site.run("site.yml", *extra(**variables), expect_failure=True)
    assert all(word in result["output"] for word in words), result["output"][-3000:]
    assert "s3cr3t" not in result["output"]
    assert site.writes_since(mark) == []


def test_a_second_run_changes_and_writes_nothing(site):
    mark = len(site.requests_logged())
    result = site.run("site.yml", *extra(), *NOT_VERIFY)
    assert result["changed"] == 0, result["output"][-6000:]
    assert site.writes_since(mark) == []


def test_an_oauth2_model_gateway_connection_answers_with_its_token_and_headers(site):
    endpoint = site.endpoint()
    result = site.run("site.yml", *oauth2_extra(endpoint))
    assert endpoint["client_secret"] not in result["output"]
    foundry = Foundry(site)
    props = foundry.connection()
    assert (props.category, props.auth_type) == ("ModelGateway", "OAuth2")
    assert foundry.gateway_models() == ["ai-gateway/gpt-5.4-mini", "ai-gateway/gpt-5.4-nano"]
    mark = len(site.requests_logged())
    assert foundry.agent_answers("gpt-5.4-mini")
    asked = [line["path"] for line in site.requests_logged()[mark:]]
    assert "/%s/oauth2/v2.0/token" % endpoint["tenant_id"] in asked, asked   # the connection's token URL
    mark = len(site.requests_logged())
    result = site.run("site.yml", *oauth2_extra(endpoint), *NOT_VERIFY)
    assert result["changed"] == 0, result["output"][-6000:]
    assert site.writes_since(mark) == []
