import pytest

from ansible_collections.aigateway.foundry.plugins.module_utils.azure_auth import (
    AuthError,
    credential_kind,
    resolve_settings,
)

BASE = dict(auth_source="auto", subscription_id="s", client_id=None, secret=None, tenant=None,
            cloud_environment="AzureCloud", arm_endpoint=None, authority_host=None, ca_bundle=None)


def settings(**overrides):
    return resolve_settings(dict(BASE, **overrides), environ={})


def test_public_cloud_defaults():
    s = settings()
    assert s["arm_endpoint"] == "https://management.azure.com"
    assert s["credential_scope"] == "https://management.azure.com/.default"
    assert s["custom_authority"] is False
    assert credential_kind(s) == "DefaultAzureCredential"


def test_sovereign_cloud_endpoints_and_scope():
    s = settings(cloud_environment="AzureChinaCloud")
    assert s["arm_endpoint"] == "https://management.chinacloudapi.cn"
    assert s["authority_host"] == "https://login.chinacloudapi.cn"
    assert s["credential_scope"] == "https://management.chinacloudapi.cn/.default"


def test_explicit_endpoint_and_authority(tmp_path):
    ca = tmp_path / "ca.pem"
    ca.write_text("x")
    s = settings(arm_endpoint="https://127.0.0.1:8443/", authority_host="https://127.0.0.1:8443",
                 ca_bundle=str(ca), client_id="c", secret="x", tenant="t")
    assert s["arm_endpoint"] == "https://127.0.0.1:8443"
    assert s["custom_authority"] is True
    assert credential_kind(s) == "ClientSecretCredential"


def test_plain_http_is_refused():
    with pytest.raises(AuthError, match="arm_endpoint must be an https"):
        settings(arm_endpoint="http://127.0.0.1:8080")


def test_missing_ca_bundle_is_reported():
    with pytest.raises(AuthError, match="ca_bundle /nope.pem does not exist"):
        settings(ca_bundle="/nope.pem")


def test_credential_source_names_what_is_missing():
    with pytest.raises(AuthError, match="missing: secret, tenant"):
        settings(auth_source="credential", client_id="c")


def test_env_source_accepts_a_federated_token():
    s = resolve_settings(dict(BASE, auth_source="env", client_id="c", tenant="t"),
                         environ={"AZURE_FEDERATED_TOKEN_FILE": "/var/run/token"})
    assert credential_kind(s) == "WorkloadIdentityCredential"


@pytest.mark.parametrize("source,kind", [("cli", "AzureCliCredential"), ("msi", "ManagedIdentityCredential")])
def test_explicit_sources(source, kind):
    assert credential_kind(settings(auth_source=source)) == kind
