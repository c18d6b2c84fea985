"""The tenant of the endpoint: credentials made once per state dir, an Entra-like token endpoint,
OpenID metadata, an App Service style managed-identity endpoint, and bearer validation for ARM.

Tokens are JWTs signed with HS256 and a per-state-dir key (never RS256: nothing outside this
endpoint verifies them)."""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import re
import secrets
import time
import uuid
from pathlib import Path

from aiohttp import web

IDENTITY_FILE = "identity.json"
# Resource ids are case-insensitive (Learn, "Naming rules and restrictions for Azure resources": resource and
# resource group names are case-insensitive unless noted), so a claim that names a resource need not spell it as
# ARM returns it: Microsoft's guide for Foundry projects calling APIM with their identity writes the xms_mirid claim
# with `resourcegroups` (foundry-samples 01-connections/apim apim-setup-guide-for-agents.md).
_RESOURCE_GROUPS_SEGMENT = re.compile(r"/resourcegroups/", re.IGNORECASE)


def entra_resource_id(resource_id: str) -> str:
    """`resource_id` as Entra writes it in a managed identity's `xms_mirid`: `/resourcegroups/` in lower case."""
    return _RESOURCE_GROUPS_SEGMENT.sub("/resourcegroups/", resource_id)


TOKEN_LIFETIME = 3600
ARM_AUDIENCE = "https://management.azure.com/"
# The audiences ARM accepts, as its InvalidAuthenticationTokenAudience message lists them (quoted in public
# issue threads, e.g. JetBrains/azure-tools-for-intellij#16).
ARM_AUDIENCES = ("https://management.core.windows.net/", "https://management.core.windows.net",
                 "https://management.azure.com/", "https://management.azure.com")
MSI_PATH = "/msi/token"
# Entra tokens are valid from `nbf` to `exp` (learn.microsoft.com/entra/identity-platform/access-token-claims-reference:
# nbf "the time before which the JWT must not be accepted for processing"; RFC 7519 4.1.4-4.1.5). ARM and API
# Management's validate-azure-ad-token (learn.microsoft.com/azure/api-management/validate-azure-ad-token-policy,
# which, unlike validate-jwt, takes no clock-skew attribute in the collection's policy tables) refuse a token
# outside that window. The skew they allow is not published; we take Microsoft.IdentityModel's documented default,
# TokenValidationParameters.ClockSkew of 300 seconds
# (learn.microsoft.com/dotnet/api/microsoft.identitymodel.tokens.tokenvalidationparameters.clockskew), at both ends.
CLOCK_SKEW = 300
_TENANT_ALIASES = ("common", "organizations")


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _requested_audience(form) -> str | None:
    """The audience Entra puts in the token: the v2 scope `X/.default` gives `X`, the v1 `resource` is used as
    given."""
    for scope in str(form.get("scope") or "").split():
        if scope.endswith("/.default"):
            return scope[:-len("/.default")]
    return str(form.get("resource") or "") or None


def _utc(epoch: float) -> str:
    return time.strftime("%m/%d/%Y %H:%M:%S", time.gmtime(epoch))


class TokenError(Exception):
    """code is ARM's: InvalidAuthenticationToken (malformed, bad signature, expired, wrong tenant)."""


class Identity:
    def __init__(self, values: dict):
        self.tenant_id = values["tenant_id"]
        self.client_id = values["client_id"]
        self.client_secret = values["client_secret"]
        self.subscription_id = values["subscription_id"]
        self.msi_client_id = values["msi_client_id"]
        self.msi_header = values["msi_header"]
        self._key = bytes.fromhex(values["signing_key"])

    @classmethod
    def load_or_create(cls, state_dir: Path) -> "Identity":
        path = state_dir / IDENTITY_FILE
        if path.exists():
            return cls(json.loads(path.read_text()))
        values = {"tenant_id": str(uuid.uuid4()), "client_id": str(uuid.uuid4()),
                  "client_secret": secrets.token_urlsafe(30), "subscription_id": str(uuid.uuid4()),
                  "msi_client_id": str(uuid.uuid4()), "msi_header": secrets.token_urlsafe(24),
                  "signing_key": secrets.token_hex(32)}
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            json.dump(values, handle, indent=2)
        return cls(values)

    # --- tokens --------------------------------------------------------------------------------
    def issue(self, app_id: str, audience: str = ARM_AUDIENCE, *, object_id: str | None = None,
              extra: dict | None = None) -> tuple[str, int]:
        """A token for `audience`.  object_id overrides the derived oid (a managed identity's principalId);
        extra adds claims such as a managed identity's xms_mirid."""
        now = int(time.time())
        claims = {"aud": audience, "iss": f"https://sts.windows.net/{self.tenant_id}/", "iat": now, "nbf": now,
                  "exp": now + TOKEN_LIFETIME, "tid": self.tenant_id, "appid": app_id,
                  "oid": object_id or self._oid(app_id), "idtyp": "app", "ver": "1.0", **(extra or {})}
        head = _b64(json.dumps({"typ": "JWT", "alg": "HS256"}).encode())
        body = _b64(json.dumps(claims).encode())
        signature = _b64(hmac.new(self._key, f"{head}.{body}".encode(), hashlib.sha256).digest())
        return f"{head}.{body}.{signature}", claims["exp"]

    def issue_for_managed_identity(self, principal_id: str, audience: str, resource_id: str) -> tuple[str, int]:
        """A managed identity's token as Entra issues it: `oid` its principal, `xms_mirid` the resource it belongs
        to in Entra's spelling (entra_resource_id), not necessarily ARM's."""
        return self.issue(principal_id, audience, object_id=principal_id,
                          extra={"xms_mirid": entra_resource_id(resource_id)})

    def _oid(self, app_id: str) -> str:
        """A stable object id per application (the service principal's id)."""
        return str(uuid.UUID(bytes=hmac.new(self._key, app_id.encode(), hashlib.sha256).digest()[:16], version=4))

    def validate(self, token: str) -> dict:
        parts = token.split(".")
        if len(parts) != 3:
            raise TokenError("The access token is invalid.")
        expected = _b64(hmac.new(self._key, f"{parts[0]}.{parts[1]}".encode(), hashlib.sha256).digest())
        if not hmac.compare_digest(expected, parts[2]):
            raise TokenError("The access token is invalid.")
        claims = json.loads(_unb64(parts[1]))
        now = time.time()
        if claims.get("exp", 0) + CLOCK_SKEW < now:
            raise TokenError("The access token expiry UTC time '%s' is earlier than current UTC time '%s'."
                             % (_utc(claims.get("exp", 0)), _utc(now)))
        if "nbf" in claims and claims["nbf"] - CLOCK_SKEW > now:
            # Text ours, in the shape of the expiry message above.
            raise TokenError("The access token is not yet valid: its not-before UTC time '%s' is later than "
                             "current UTC time '%s'." % (_utc(claims["nbf"]), _utc(now)))
        if claims.get("tid") != self.tenant_id:
            raise TokenError("The access token is from the wrong issuer.")
        return claims

    # --- HTTP ----------------------------------------------------------------------------------
    def _known_tenant(self, tenant: str) -> bool:
        return tenant.lower() in (self.tenant_id, *_TENANT_ALIASES)

    def _metadata(self, base: str, tenant: str, v2: bool) -> dict:
        tid = self.tenant_id
        suffix = "/v2.0" if v2 else ""
        return {
            "token_endpoint": f"{base}/{tenant}/oauth2{suffix}/token",
            "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt", "client_secret_basic"],
            "jwks_uri": f"{base}/{tenant}/discovery{suffix}/keys",
            "response_modes_supported": ["query", "fragment", "form_post"],
            "subject_types_supported": ["pairwise"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
            "scopes_supported": ["openid", "profile", "email", "offline_access"],
            "issuer": f"{base}/{tid}{suffix}",
            "request_uri_parameter_supported": False,
            "userinfo_endpoint": f"{base}/oidc/userinfo",
            "authorization_endpoint": f"{base}/{tenant}/oauth2{suffix}/authorize",
            "device_authorization_endpoint": f"{base}/{tenant}/oauth2{suffix}/devicecode",
            "http_logout_supported": True,
            "frontchannel_logout_supported": True,
            "end_session_endpoint": f"{base}/{tenant}/oauth2{suffix}/logout",
            "claims_supported": ["sub", "iss", "aud", "exp", "iat", "nbf", "tid", "oid", "appid"],
            "tenant_region_scope": "NA",
            "cloud_instance_name": "microsoftonline.com",
            "cloud_graph_host_name": "graph.windows.net",
            "msgraph_host": "graph.microsoft.com",
        }

    @staticmethod
    def _aad_error(status: int, error: str, aadsts: str, text: str) -> web.Response:
        trace, correlation = str(uuid.uuid4()), str(uuid.uuid4())
        stamp = time.strftime("%Y-%m-%d %H:%M:%SZ", time.gmtime())
        return web.json_response({
            "error": error, "error_description": f"{aadsts}: {text} Trace ID: {trace} Correlation ID: "
                                                 f"{correlation} Timestamp: {stamp}",
            "error_codes": [int(aadsts[6:])], "timestamp": stamp, "trace_id": trace,
            "correlation_id": correlation}, status=status)

    async def openid_configuration(self, request: web.Request) -> web.Response:
        tenant = request.match_info["tenant"]
        if not self._known_tenant(tenant):
            return self._aad_error(400, "invalid_tenant", "AADSTS90002", f"Tenant '{tenant}' not found.")
        base = f"https://{request.host}"
        return web.json_response(self._metadata(base, tenant, v2="/v2.0/" in request.path))

    async def token(self, request: web.Request) -> web.Response:
        tenant = request.match_info["tenant"]
        if not self._known_tenant(tenant):
            return self._aad_error(400, "invalid_tenant", "AADSTS90002", f"Tenant '{tenant}' not found.")
        form = await request.post()
        if form.get("grant_type") != "client_credentials":
            return self._aad_error(400, "unsupported_grant_type", "AADSTS70003",
                                   "The app requested an unsupported grant type.")
        client_id = form.get("client_id", "")
        if client_id != self.client_id:
            # Entra's answer for an application id unknown in the tenant.
            return self._aad_error(400, "unauthorized_client", "AADSTS700016",
                                   f"Application with identifier '{client_id}' was not found in the directory "
                                   f"'{self.tenant_id}'.")
        if not hmac.compare_digest(str(form.get("client_secret", "")), self.client_secret):
            return self._aad_error(401, "invalid_client", "AADSTS7000215",
                                   "Invalid client secret provided. Ensure the secret being sent in the request "
                                   f"is the client secret value, not the client secret ID, for a secret added "
                                   f"to app '{client_id}'.")
        audience = _requested_audience(form)
        if audience is None:
            return self._aad_error(400, "invalid_request", "AADSTS90014",
                                   "The required field 'scope' is missing from the credential. Ensure that you "
                                   "have all the necessary parameters for the login request.")
        token, expires = self.issue(client_id, audience)
        return web.json_response({"token_type": "Bearer", "expires_in": TOKEN_LIFETIME,
                                  "ext_expires_in": TOKEN_LIFETIME, "access_token": token})

    async def managed_identity_token(self, request: web.Request) -> web.Response:
        """App Service managed identity (api-version 2019-08-01): IDENTITY_ENDPOINT + X-IDENTITY-HEADER."""
        if not hmac.compare_digest(request.headers.get("X-IDENTITY-HEADER", ""), self.msi_header):
            return web.json_response({"statusCode": 401, "message": "Unauthorized request: "
                                      "X-IDENTITY-HEADER is missing or invalid."}, status=401)
        resource = request.query.get("resource") or ARM_AUDIENCE
        token, expires = self.issue(self.msi_client_id, resource)
        return web.json_response({"access_token": token, "expires_on": str(expires), "resource": resource,
                                  "token_type": "Bearer", "client_id": self.msi_client_id})

    def routes(self) -> list[web.RouteDef]:
        return [
            web.get("/{tenant}/v2.0/.well-known/openid-configuration", self.openid_configuration),
            web.get("/{tenant}/.well-known/openid-configuration", self.openid_configuration),
            web.post("/{tenant}/oauth2/v2.0/token", self.token),
            web.post("/{tenant}/oauth2/token", self.token),
            web.get(MSI_PATH, self.managed_identity_token),
        ]
