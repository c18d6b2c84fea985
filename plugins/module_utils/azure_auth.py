# -*- coding: utf-8 -*-
# Copyright: contributors to aigateway.foundry
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Authentication options, cloud endpoints and credential construction.

Option names and environment variables follow azure.azcollection (auth_source, subscription_id, client_id,
secret, tenant, cloud_environment, AZURE_SECRET, AZURE_TENANT, ...) so users can switch, and also accept
azure-identity's own variables (AZURE_CLIENT_SECRET, AZURE_TENANT_ID, AZURE_AUTHORITY_HOST,
AZURE_FEDERATED_TOKEN_FILE).  azure.identity is imported only when a credential is built.
"""

from __future__ import annotations

import os

from ansible.module_utils.basic import env_fallback

CLOUDS = {
    "AzureCloud": {
        "arm_endpoint": "https://management.azure.com",
        "authority_host": "https://login.microsoftonline.com",
    },
    "AzureChinaCloud": {
        "arm_endpoint": "https://management.chinacloudapi.cn",
        "authority_host": "https://login.chinacloudapi.cn",
    },
    "AzureUSGovernment": {
        "arm_endpoint": "https://management.usgovcloudapi.net",
        "authority_host": "https://login.microsoftonline.us",
    },
}

# The SDK every credential comes from (the modules' action plugin also imports it once in the controller).
CREDENTIAL_SDK = "azure.identity"

AUTH_SOURCES = ["auto", "env", "credential", "credential_file", "cli", "msi"]

# azure.azcollection's credentials file: an INI file of profiles (sections), each naming a subscription and a
# service principal.  The keys we take from a profile; azcollection's ad_user/password (user login) is not supported.
CREDENTIALS_FILE = (".azure", "credentials")
PROFILE_KEYS = ("subscription_id", "client_id", "secret", "tenant", "cloud_environment")
UNSUPPORTED_PROFILE_KEYS = ("ad_user", "password")


def auth_argument_spec():
    """The options every module shares (documented in the aigateway.foundry.azure doc fragment)."""
    return dict(
        auth_source=dict(type="str", choices=AUTH_SOURCES, default="auto",
                         fallback=(env_fallback, ["ANSIBLE_AZURE_AUTH_SOURCE"])),
        profile=dict(type="str", fallback=(env_fallback, ["AZURE_PROFILE"])),
        subscription_id=dict(type="str", fallback=(env_fallback, ["AZURE_SUBSCRIPTION_ID"])),
        client_id=dict(type="str", fallback=(env_fallback, ["AZURE_CLIENT_ID"])),
        secret=dict(type="str", no_log=True, fallback=(env_fallback, ["AZURE_SECRET", "AZURE_CLIENT_SECRET"])),
        tenant=dict(type="str", fallback=(env_fallback, ["AZURE_TENANT", "AZURE_TENANT_ID"])),
        cloud_environment=dict(type="str", choices=sorted(CLOUDS), default="AzureCloud",
                               fallback=(env_fallback, ["AZURE_CLOUD_ENVIRONMENT"])),
        arm_endpoint=dict(type="str", fallback=(env_fallback, ["AZURE_ARM_ENDPOINT"])),
        authority_host=dict(type="str", fallback=(env_fallback, ["AZURE_AUTHORITY_HOST"])),
        ca_bundle=dict(type="path", fallback=(env_fallback, ["AZURE_CA_BUNDLE", "REQUESTS_CA_BUNDLE"])),
        # A token obtained once per run by the azure_token module (see azure_token.py); never from the environment,
        # where it would outlive the run.
        access_token=dict(type="str", no_log=True),
        access_token_expires_on=dict(type="int", no_log=False),
        access_token_identity=dict(type="str", no_log=False),
        # The user's token cache (token_cache.py); false keeps every token in the task's memory only.
        token_cache=dict(type="bool", default=True, fallback=(env_fallback, ["AIGATEWAY_FOUNDRY_TOKEN_CACHE"])),
    )


class AuthError(Exception):
    """Bad or missing authentication settings; the message says what to set."""


def _https_url(value, option):
    url = value.rstrip("/")
    if not url.startswith("https://"):
        raise AuthError("%s must be an https:// URL (Azure SDKs refuse bearer tokens over plain http): %r"
                        % (option, value))
    return url


def credentials_file_path(environ):
    """~/.azure/credentials of the user running the module (HOME as the environment gives it), or None without
    a HOME."""
    home = environ.get("HOME")
    return os.path.join(home, *CREDENTIALS_FILE) if home else None


def read_profile(path, profile):
    """The settings of one profile of a credentials file (only PROFILE_KEYS), or None when the file or the profile
    is absent.  Values are read raw, as azure.azcollection reads them (a secret may hold '%')."""
    from configparser import ConfigParser, Error  # pylint: disable=import-outside-toplevel

    if not path or not os.path.isfile(path):
        return None
    parser = ConfigParser(interpolation=None)
    try:
        parser.read(path, encoding="utf-8")
    except (Error, UnicodeDecodeError) as exc:
        # The message names the file and the line, never a value.
        raise AuthError("cannot read the credentials file %s: %s" % (path, type(exc).__name__))
    if not parser.has_section(profile):
        return None
    section = parser[profile]
    unsupported = [key for key in UNSUPPORTED_PROFILE_KEYS if section.get(key)]
    if unsupported and not section.get("secret"):
        raise AuthError("profile %s of %s signs in with %s, which this collection does not support: give the "
                        "profile a service principal's client_id, secret and tenant"
                        % (profile, path, " and ".join(unsupported)))
    return dict((key, section.get(key)) for key in PROFILE_KEYS if section.get(key))


def with_profile(params, environ):
    """``params`` overlaid with a credentials-file profile, as azure.azcollection chooses one.

    - auth_source=credential_file: the profile named by ``profile`` (or E(AZURE_PROFILE)), else C(default); its
      values win over options and environment, and a missing file or profile is an error;
    - auth_source=auto with a ``profile``: the same, the profile's values winning;
    - auth_source=auto without a service principal in options or environment: the C(default) profile when the file
      has one with a subscription_id (azcollection's step before the Azure CLI), else params unchanged.
    A profile counts only with a subscription_id, as in azcollection.
    """
    source = params.get("auth_source") or "auto"
    named = params.get("profile")
    if source not in ("auto", "credential_file") or (source == "auto" and not named and (
            params.get("client_id") and params.get("secret") and params.get("tenant"))):
        return params, None
    path = credentials_file_path(environ)
    profile = named or "default"
    found = read_profile(path, profile)
    if found is None or not found.get("subscription_id"):
        if source == "credential_file" or named:
            raise AuthError("auth_source=%s needs profile %s with a subscription_id in %s (azure.azcollection's "
                            "credentials file: an INI section [%s] with subscription_id, client_id, secret and "
                            "tenant)" % (source, profile, path, profile))
        return params, None
    merged = dict(params, **found)
    if source == "auto":
        merged["auth_source"] = "credential_file"
    return merged, profile


def resolve_settings(params, environ=None):
    """Turn module params into the settings a credential and a client need (pure; no network, no SDK).

    Returns a dict: auth_source, profile (the credentials-file profile used, or None), subscription_id, client_id,
    secret, tenant, arm_endpoint, authority_host, credential_scope, ca_bundle, custom_authority,
    federated_token_file, access_token, access_token_expires_on, access_token_identity, token_cache.
    """
    environ = os.environ if environ is None else environ
    params, profile = with_profile(params, environ)
    if (params.get("cloud_environment") or "AzureCloud") not in CLOUDS:
        raise AuthError("cloud_environment of profile %s must be one of %s, got %r"
                        % (profile, ", ".join(sorted(CLOUDS)), params["cloud_environment"]))
    cloud = CLOUDS[params.get("cloud_environment") or "AzureCloud"]
    arm_endpoint = _https_url(params.get("arm_endpoint") or cloud["arm_endpoint"], "arm_endpoint")
    authority_host = _https_url(params.get("authority_host") or cloud["authority_host"], "authority_host")
    known_authorities = set(c["authority_host"] for c in CLOUDS.values())
    ca_bundle = params.get("ca_bundle")
    if ca_bundle and not os.path.isfile(ca_bundle):
        raise AuthError("ca_bundle %s does not exist or is not a file" % ca_bundle)
    settings = dict(
        auth_source=params.get("auth_source") or "auto",
        profile=profile,
        subscription_id=params.get("subscription_id"),
        client_id=params.get("client_id"),
        secret=params.get("secret"),
        tenant=params.get("tenant"),
        arm_endpoint=arm_endpoint,
        authority_host=authority_host,
        # Tokens are always requested for the cloud's ARM audience; a custom endpoint (Azure Stack, the
        # local endpoint) accepts that audience like Azure does.
        credential_scope=cloud["arm_endpoint"] + "/.default",
        ca_bundle=ca_bundle,
        custom_authority=authority_host not in known_authorities,
        federated_token_file=environ.get("AZURE_FEDERATED_TOKEN_FILE"),
        access_token=params.get("access_token"),
        access_token_expires_on=params.get("access_token_expires_on"),
        access_token_identity=params.get("access_token_identity"),
        token_cache=params.get("token_cache") is not False,
    )
    source = settings["auth_source"]
    has_secret = bool(settings["client_id"] and settings["secret"] and settings["tenant"])
    if source == "credential_file" and not has_secret:
        missing = [k for k in ("client_id", "secret", "tenant") if not settings[k]]
        raise AuthError("profile %s of %s lacks %s: auth_source=credential_file signs in as the profile's service "
                        "principal" % (profile, credentials_file_path(environ), ", ".join(missing)))
    if source == "credential" and not has_secret:
        missing = [k for k in ("client_id", "secret", "tenant") if not settings[k]]
        raise AuthError("auth_source=credential needs client_id, secret and tenant; missing: %s "
                        "(or set AZURE_CLIENT_ID, AZURE_SECRET/AZURE_CLIENT_SECRET, AZURE_TENANT/AZURE_TENANT_ID)"
                        % ", ".join(missing))
    if settings["access_token"] and not (settings["access_token_expires_on"] and settings["access_token_identity"]):
        raise AuthError("access_token needs access_token_expires_on and access_token_identity: pass the whole "
                        "auth dict the aigateway.foundry.azure_token module returns")
    if source == "env" and not (has_secret or (settings["federated_token_file"] and settings["client_id"]
                                               and settings["tenant"])):
        raise AuthError("auth_source=env needs AZURE_CLIENT_ID and AZURE_TENANT/AZURE_TENANT_ID with "
                        "AZURE_SECRET/AZURE_CLIENT_SECRET or AZURE_FEDERATED_TOKEN_FILE")
    return settings


def credential_kind(settings):
    """Which azure-identity credential the settings select (pure, for tests and error messages)."""
    source = settings["auth_source"]
    has_secret = bool(settings["client_id"] and settings["secret"] and settings["tenant"])
    if source in ("credential", "credential_file", "env") and has_secret:
        return "ClientSecretCredential"
    if source == "env":
        return "WorkloadIdentityCredential"
    if source == "cli":
        return "AzureCliCredential"
    if source == "msi":
        return "ManagedIdentityCredential"
    return "ClientSecretCredential" if has_secret else "DefaultAzureCredential"


def build_credential(settings):
    """Construct the azure-identity credential (imports azure.identity lazily)."""
    import importlib  # pylint: disable=import-outside-toplevel

    identity = importlib.import_module(CREDENTIAL_SDK)

    common = {"authority": settings["authority_host"]}
    if settings["ca_bundle"]:
        common["connection_verify"] = settings["ca_bundle"]
    if settings["custom_authority"]:
        # msal would otherwise ask login.microsoftonline.com to validate an authority it does not know.
        common["disable_instance_discovery"] = True
    kind = credential_kind(settings)
    if kind == "ClientSecretCredential":
        return identity.ClientSecretCredential(settings["tenant"], settings["client_id"], settings["secret"], **common)
    if kind == "WorkloadIdentityCredential":
        return identity.WorkloadIdentityCredential(tenant_id=settings["tenant"], client_id=settings["client_id"],
                                                   token_file_path=settings["federated_token_file"], **common)
    if kind == "AzureCliCredential":
        return identity.AzureCliCredential()
    if kind == "ManagedIdentityCredential":
        kwargs = {"client_id": settings["client_id"]} if settings["client_id"] else {}
        if settings["ca_bundle"]:
            kwargs["connection_verify"] = settings["ca_bundle"]
        return identity.ManagedIdentityCredential(**kwargs)
    return identity.DefaultAzureCredential(exclude_interactive_browser_credential=True, **common)
