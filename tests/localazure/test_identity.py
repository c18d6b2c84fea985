"""Tokens and ARM authentication with the real azure-identity classes."""
from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest
import requests
from azure.core.exceptions import ClientAuthenticationError
from azure.identity import ClientSecretCredential

SCOPE = "https://management.azure.com/.default"


def test_client_secret_credential_gets_a_token_that_arm_accepts(endpoint, credential, arm):
    token = credential.get_token(SCOPE)
    assert token.expires_on > time.time() + 3000
    response = arm("GET", f"/subscriptions/{endpoint['subscription_id']}?api-version=2022-12-01")
    assert response.status_code == 200
    assert response.json()["tenantId"] == endpoint["tenant_id"]


def test_arm_refuses_a_token_before_its_nbf_beyond_the_clock_skew(endpoint):
    """Entra tokens carry nbf; a validator refuses a token not yet valid, allowing 5 minutes' clock skew."""
    from pathlib import Path

    from localazure.identity import Identity

    identity = Identity.load_or_create(Path(endpoint["state_dir"]))
    url = f"{endpoint['arm_endpoint']}/subscriptions/{endpoint['subscription_id']}?api-version=2022-12-01"
    now = int(time.time())
    for not_before, status in ((now + 3600, 401), (now + 120, 200)):
        token, _expires = identity.issue(endpoint["client_id"], extra={"nbf": not_before})
        answer = requests.get(url, headers={"Authorization": f"Bearer {token}"}, verify=endpoint["ca_bundle"])
        assert answer.status_code == status, answer.text
    assert answer.status_code == 200
    token, _expires = identity.issue(endpoint["client_id"], extra={"nbf": now + 3600})
    refused = requests.get(url, headers={"Authorization": f"Bearer {token}"}, verify=endpoint["ca_bundle"]).json()
    assert refused["error"]["code"] == "InvalidAuthenticationToken" and "not yet valid" in refused["error"]["message"]


def test_wrong_secret_is_a_client_authentication_error(endpoint):
    bad = ClientSecretCredential(endpoint["tenant_id"], endpoint["client_id"], "not-the-secret",
                                 authority=endpoint["authority_host"], disable_instance_discovery=True,
                                 connection_verify=endpoint["ca_bundle"])
    with pytest.raises(ClientAuthenticationError, match="AADSTS7000215"):
        bad.get_token(SCOPE)


def test_token_endpoint_answers_like_entra(endpoint):
    url = f"{endpoint['authority_host']}/{endpoint['tenant_id']}/oauth2/v2.0/token"
    form = {"grant_type": "client_credentials", "client_id": endpoint["client_id"], "scope": SCOPE}
    wrong_secret = requests.post(url, data={**form, "client_secret": "x"}, verify=endpoint["ca_bundle"])
    assert wrong_secret.status_code == 401 and wrong_secret.json()["error"] == "invalid_client"
    unknown_client = requests.post(url, data={**form, "client_id": "nobody", "client_secret": "x"},
                                   verify=endpoint["ca_bundle"])
    assert unknown_client.status_code == 400 and "AADSTS700016" in unknown_client.json()["error_description"]
    metadata = requests.get(f"{endpoint['authority_host']}/{endpoint['tenant_id']}/v2.0/.well-known/"
                            "openid-configuration", verify=endpoint["ca_bundle"]).json()
    assert metadata["token_endpoint"] == url


def test_default_azure_credential_from_environment(endpoint):
    env = {**os.environ, "AZURE_TENANT_ID": endpoint["tenant_id"], "AZURE_CLIENT_ID": endpoint["client_id"],
           "AZURE_CLIENT_SECRET": endpoint["client_secret"], "AZURE_AUTHORITY_HOST": endpoint["authority_host"],
           "REQUESTS_CA_BUNDLE": endpoint["ca_bundle"], "NO_PROXY": "127.0.0.1,localhost"}
    code = ("from azure.identity import DefaultAzureCredential\n"
            "c = DefaultAzureCredential(exclude_managed_identity_credential=True, disable_instance_discovery=True)\n"
            "print(len(c.get_token('https://management.azure.com/.default').token) > 20)")
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    assert result.stdout.strip() == "True", result.stderr


def test_managed_identity_endpoint_issues_tokens(endpoint, arm):
    env = {**os.environ, "IDENTITY_ENDPOINT": endpoint["identity_endpoint"],
           "IDENTITY_HEADER": endpoint["identity_header"], "REQUESTS_CA_BUNDLE": endpoint["ca_bundle"]}
    code = ("from azure.identity import ManagedIdentityCredential\n"
            "print(ManagedIdentityCredential().get_token('https://management.azure.com/.default').token)")
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    token = result.stdout.strip()
    assert token.count(".") == 2, result.stderr
    response = arm("GET", f"/subscriptions/{endpoint['subscription_id']}?api-version=2022-12-01", token=False,
                   headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    refused = requests.get(endpoint["identity_endpoint"], params={"resource": "https://management.azure.com/"},
                           headers={"X-IDENTITY-HEADER": "wrong"}, verify=endpoint["ca_bundle"])
    assert refused.status_code == 401


def test_arm_without_token_is_401_authentication_failed(endpoint, arm):
    response = arm("GET", f"/subscriptions/{endpoint['subscription_id']}/resourcegroups?api-version=2025-04-01",
                   token=False)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "AuthenticationFailed"
    assert response.headers["WWW-Authenticate"].startswith("Bearer authorization_uri=")


def test_arm_with_a_forged_token_is_invalid_authentication_token(endpoint, arm, credential):
    head, body, _ = credential.get_token(SCOPE).token.split(".")
    response = arm("GET", f"/subscriptions/{endpoint['subscription_id']}/resourcegroups?api-version=2025-04-01",
                   token=False, headers={"Authorization": f"Bearer {head}.{body}.forged"})
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "InvalidAuthenticationToken"
