# -*- coding: utf-8 -*-
# Copyright: contributors to aigateway.foundry
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A Resource Manager token obtained once per run and used by every module task.

Every module runs in a process (or a forked worker) of its own, so a credential built there asks Entra ID for a
token on every task (two requests: the tenant's OpenID metadata and the token) and imports azure.identity and msal to
do it.  A task finds its token, in this order: handed in by the ``azure_token`` module (the no_log option
``access_token`` with its expiry and the identity it belongs to), then in the user's token cache (token_cache.py: a
0600 file per credential, for a client secret's or a workload identity's), and only then signs in, once for all the
tasks that start together, and keeps the token in the cache for the next.  ``HandedToken`` serves either kind and
needs only azure-core.  A token that is about to expire, or one asked for another audience, is never used: the
module then builds its own credential as it would without one.
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
    """An azure-core TokenCredential over a token obtained earlier in the run (handed in or from the cache).

    ``fallback()`` builds the real credential, and is called only when the token cannot serve a request: another
    scope, or too little life left.  With a ``cache`` (token_cache.TokenCache), a token for the scope is looked for
    there first, then signed in for under the cache's lock and kept there.  ``now`` is the clock (epoch seconds)
    tests control.
    """

    def __init__(self, token, expires_on, scope, fallback, now=time.time, cache=None):
        self._token = token
        self._expires_on = expires_on
        self._scope = scope
        self._fallback = fallback
        self._credential = None
        self._now = now
        self._cache = cache
        self.requested = False

    def usable_for(self, scopes):
        return bool(self._token) and tuple(scopes) == (self._scope,) \
            and self._now() + EXPIRY_MARGIN_SECONDS < self._expires_on

    def handed(self):
        return self._token, self._expires_on

    def _fallback_credential(self):
        if self._credential is None:
            self._credential = self._fallback()
        return self._credential

    def current(self):
        """(token, expires_on) for the scope: the one held while usable, else the cache's, else a new one."""
        if self.usable_for((self._scope,)):
            return self.handed()
        if self._cache is None:
            return self._sign_in()
        with self._cache.signing_in():
            found = self._cache.read()
            if found:
                self._token, self._expires_on = found
                return found
            token, expires_on = self._sign_in()
            self._cache.store(token, expires_on)
            return token, expires_on

    def _sign_in(self):
        found = self._fallback_credential().get_token(self._scope)
        self._token, self._expires_on, self.requested = found.token, int(found.expires_on), True
        return self.handed()

    def get_token(self, *scopes, **kwargs):
        from azure.core.credentials import AccessToken  # pylint: disable=import-outside-toplevel

        if tuple(scopes) != (self._scope,) or kwargs.get("claims"):
            # Another audience, or a claims challenge (the token was refused: only a new sign-in answers it).
            return self._fallback_credential().get_token(*scopes, **kwargs)
        return AccessToken(*self.current())

    def get_token_info(self, *scopes, **kwargs):
        from azure.core.credentials import AccessTokenInfo  # pylint: disable=import-outside-toplevel

        if tuple(scopes) != (self._scope,) or (kwargs.get("options") or {}).get("claims"):
            credential = self._fallback_credential()
            if hasattr(credential, "get_token_info"):
                return credential.get_token_info(*scopes, **kwargs)
            found = credential.get_token(*scopes)
            return AccessTokenInfo(found.token, found.expires_on)
        return AccessTokenInfo(*self.current())

    def close(self):
        if self._credential is not None and hasattr(self._credential, "close"):
            self._credential.close()


def token_to_hand(credential, scope):
    """(token, expires_on, renewed) for ``scope``: the run's token (handed in or cached) while usable, else a new
    one; ``renewed`` says whether Entra ID was asked."""
    if isinstance(credential, HandedToken):
        token, expires_on = credential.current()
        return token, expires_on, credential.requested
    found = credential.get_token(scope)
    return found.token, int(found.expires_on), True
