# -*- coding: utf-8 -*-
# Copyright: contributors to aigateway.foundry
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A Resource Manager token obtained once per run and handed to every module task.

Every module runs in a process of its own, so a credential built there asks Entra ID for a token on every task
(two requests: the tenant's OpenID metadata and the token) and imports azure.identity and msal to do it.  The
``azure_token`` module obtains one token per identity at the start of a run; the tasks receive it as the no_log
option ``access_token`` (with its expiry and the identity it belongs to) and wrap it in ``HandedToken``, which
needs only azure-core.  Nothing is cached on disk: the token lives in the run's memory and in the module's
arguments, exactly as the client secret does.  A token that is about to expire, or one asked for another
audience, is never used: the module then builds its own credential as it would without a handed token.
"""

from __future__ import annotations

import hashlib
import time

# A token is used only while at least this many seconds of its life are left, so a call started with it is not
# refused half-way (ARM checks expiry per request; a long wait re-asks for a token before every poll).
EXPIRY_MARGIN_SECONDS = 300


def identity_key(settings):
    """Which identity and audience a token belongs to, without anything secret: a digest of who asks where.

    Two tasks with the same key would obtain the same token, so a token handed in for another key is ignored.
    """
    who = "|".join(str(settings.get(name) or "") for name in
                   ("auth_source", "authority_host", "tenant", "client_id", "credential_scope"))
    return hashlib.sha256(who.encode("utf-8")).hexdigest()[:32]


def handed_token(settings):
    """(token, expires_on) handed to this task for its own identity, or None to build a credential."""
    token = settings.get("access_token")
    if not token:
        return None
    if settings.get("access_token_identity") != identity_key(settings):
        return None
    return token, int(settings.get("access_token_expires_on") or 0)


class HandedToken(object):
    """An azure-core TokenCredential over a token obtained earlier in the run.

    ``fallback()`` builds the real credential, and is called only when the handed token cannot serve a request:
    another scope, or too little life left.  ``now`` is the clock (epoch seconds) tests control.
    """

    def __init__(self, token, expires_on, scope, fallback, now=time.time):
        self._token = token
        self._expires_on = expires_on
        self._scope = scope
        self._fallback = fallback
        self._credential = None
        self._now = now

    def usable_for(self, scopes):
        return tuple(scopes) == (self._scope,) and self._now() + EXPIRY_MARGIN_SECONDS < self._expires_on

    def handed(self):
        return self._token, self._expires_on

    def _fallback_credential(self):
        if self._credential is None:
            self._credential = self._fallback()
        return self._credential

    def get_token(self, *scopes, **kwargs):
        if not self.usable_for(scopes):
            return self._fallback_credential().get_token(*scopes, **kwargs)
        from azure.core.credentials import AccessToken  # pylint: disable=import-outside-toplevel

        return AccessToken(self._token, self._expires_on)

    def get_token_info(self, *scopes, **kwargs):
        if not self.usable_for(scopes):
            credential = self._fallback_credential()
            if hasattr(credential, "get_token_info"):
                return credential.get_token_info(*scopes, **kwargs)
            from azure.core.credentials import AccessTokenInfo  # pylint: disable=import-outside-toplevel

            found = credential.get_token(*scopes)
            return AccessTokenInfo(found.token, found.expires_on)
        from azure.core.credentials import AccessTokenInfo  # pylint: disable=import-outside-toplevel

        return AccessTokenInfo(self._token, self._expires_on)

    def close(self):
        if self._credential is not None and hasattr(self._credential, "close"):
            self._credential.close()


def token_to_hand(credential, scope, acquire):
    """(token, expires_on, renewed): the handed token while it is usable for ``scope``, else ``acquire()``'s."""
    if isinstance(credential, HandedToken) and credential.usable_for((scope,)):
        return credential.handed() + (False,)
    found = acquire()
    return found.token, int(found.expires_on), True
