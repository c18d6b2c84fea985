"""auth_source=credential_file and profiles: azure.azcollection's ~/.azure/credentials, read as azcollection reads
it (a profile counts with a subscription_id; AZURE_PROFILE names it; the default profile is the step of auto before
the Azure CLI)."""
import pytest

from ansible_collections.aigateway.foundry.plugins.module_utils.azure_auth import (
    AuthError,
    auth_argument_spec,
    credential_kind,
    resolve_settings,
)

BASE = dict(auth_source="auto", profile=None, subscription_id=None, client_id=None, secret=None, tenant=None,
            cloud_environment="AzureCloud", arm_endpoint=None, authority_host=None, ca_bundle=None)

FILE = """[default]
subscription_id = 00000000-0000-0000-0000-00000000000d
client_id = default-client
secret = default%secret
tenant = default-tenant

[staging]
subscription_id = 00000000-0000-0000-0000-00000000000s
client_id = staging-client
secret = staging-secret
tenant = staging-tenant
cloud_environment = AzureUSGovernment

[no-subscription]
client_id = c
secret = s
tenant = t

[user-login]
subscription_id = 00000000-0000-0000-0000-00000000000u
ad_user = someone@example.com
password = hunter2
"""


@pytest.fixture
def home(tmp_path):
    (tmp_path / ".azure").mkdir()
    (tmp_path / ".azure" / "credentials").write_text(FILE)
    return {"HOME": str(tmp_path)}


def settings(environ, **overrides):
    return resolve_settings(dict(BASE, **overrides), environ=environ)


def test_credential_file_reads_the_default_profile_raw(home):
    s = settings(home, auth_source="credential_file")
    assert (s["subscription_id"], s["client_id"], s["secret"], s["tenant"]) == (
        "00000000-0000-0000-0000-00000000000d", "default-client", "default%secret", "default-tenant")
    assert s["profile"] == "default" and credential_kind(s) == "ClientSecretCredential"


def test_a_named_profile_wins_over_options_and_sets_its_cloud(home):
    s = settings(home, auth_source="credential_file", profile="staging", client_id="from-env", secret="x", tenant="y",
                 subscription_id="from-option")
    assert (s["subscription_id"], s["client_id"], s["tenant"]) == (
        "00000000-0000-0000-0000-00000000000s", "staging-client", "staging-tenant")
    assert s["arm_endpoint"] == "https://management.usgovcloudapi.net"


def test_azure_profile_is_the_profile_option_fallback():
    assert auth_argument_spec()["profile"]["fallback"][1] == ["AZURE_PROFILE"]
    assert "credential_file" in auth_argument_spec()["auth_source"]["choices"]


def test_auto_with_a_profile_reads_it(home):
    s = settings(home, profile="staging")
    assert s["auth_source"] == "credential_file" and s["client_id"] == "staging-client"


def test_auto_without_a_service_principal_uses_the_default_profile(home):
    s = settings(home)
    assert s["profile"] == "default" and credential_kind(s) == "ClientSecretCredential"


def test_auto_with_a_service_principal_ignores_the_file(home):
    s = settings(home, client_id="c", secret="s", tenant="t", subscription_id="sub")
    assert s["profile"] is None and (s["client_id"], s["subscription_id"]) == ("c", "sub")


def test_auto_without_a_file_is_unchanged(tmp_path):
    s = settings({"HOME": str(tmp_path)}, subscription_id="sub")
    assert s["profile"] is None and credential_kind(s) == "DefaultAzureCredential"


@pytest.mark.parametrize("profile", ["absent", "no-subscription"])
def test_a_profile_that_cannot_sign_in_is_named(home, profile):
    with pytest.raises(AuthError, match="needs profile %s with a subscription_id in .*/.azure/credentials" % profile):
        settings(home, auth_source="credential_file", profile=profile)


def test_no_file_is_an_error_for_credential_file(tmp_path):
    with pytest.raises(AuthError, match="needs profile default with a subscription_id"):
        settings({"HOME": str(tmp_path)}, auth_source="credential_file")


def test_user_login_profiles_are_refused_without_printing_the_password(home):
    with pytest.raises(AuthError) as raised:
        settings(home, auth_source="credential_file", profile="user-login")
    assert "ad_user and password" in str(raised.value) and "hunter2" not in str(raised.value)


def test_an_unreadable_file_names_the_file_not_its_content(tmp_path):
    (tmp_path / ".azure").mkdir()
    (tmp_path / ".azure" / "credentials").write_text("secret = top-secret-value-without-section\n")
    with pytest.raises(AuthError) as raised:
        settings({"HOME": str(tmp_path)}, auth_source="credential_file")
    assert "credentials" in str(raised.value) and "top-secret" not in str(raised.value)
