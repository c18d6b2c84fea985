# -*- coding: utf-8 -*-
# Copyright: contributors to aigateway.foundry
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Resource Manager access tokens kept between the tasks of a run, private to the user, as the Azure CLI keeps its
own under ~/.azure.

Every task runs its module in a process (or a forked worker) of its own, so a token obtained in memory dies with the
task: without a place to keep it each task signs in again (two requests to Entra ID, and the import of azure-identity
and msal).  Here a token is kept in ``$XDG_CACHE_HOME/aigateway.foundry`` (``~/.cache/aigateway.foundry``), a 0700
directory, one 0600 file per credential, written to a temporary file and renamed over the old one (concurrent
writers never leave half a file).  A file holds one access token and its expiry, nothing else: no secret, no refresh
token, nothing that can get another token.  Its name is a digest of everything that decides whose token it is (the
auth source, the authority, the tenant, the client id, the secret, the workload identity's token file and the
audience), so another identity, tenant, cloud or a changed secret never reads it.  A file that is not the user's
own, is open to others, does not parse or is not for the key asked is ignored; so is a token with less than the
margin of its life left.  Losing the cache (read-only home, a full disk) only costs sign-ins, never a task: the
errors of reading or writing it are the operating system's and the JSON parser's, caught here and nowhere else.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import stat
import tempfile
import time

# Only credentials whose identity the settings decide alone are cached: a client secret's and a workload identity's.
# The Azure CLI's is whoever ran `az login` last, a managed identity's is the machine's (a home shared between
# machines would hand one machine's identity to another), and DefaultAzureCredential picks either at run time.
CACHED_KINDS = ("ClientSecretCredential", "WorkloadIdentityCredential")

# The settings that decide whose token it is (azure_auth.resolve_settings' names).
KEY_SETTINGS = ("auth_source", "authority_host", "tenant", "client_id", "secret", "federated_token_file",
                "credential_scope")

# Entra ID issues access tokens for at most a day; a file that claims more was not written by us.
LONGEST_TOKEN_LIFE = 24 * 3600
FORMAT = 1


def cache_directory(environ=None):
    """Where the user's tokens live: $XDG_CACHE_HOME (when absolute, as the XDG spec requires), else ~/.cache."""
    environ = os.environ if environ is None else environ
    base = environ.get("XDG_CACHE_HOME") or ""
    if not os.path.isabs(base):
        base = os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "aigateway.foundry")


def cache_key(settings):
    """The digest that names a credential's file; the secret enters only this digest, never a file."""
    who = "\n".join("%s=%s" % (name, settings.get(name) or "") for name in KEY_SETTINGS)
    return hashlib.sha256(who.encode("utf-8")).hexdigest()


def _private(status):
    return status.st_uid == os.getuid() and not stat.S_IMODE(status.st_mode) & 0o077


class TokenCache(object):
    """One credential's token file.  ``now`` is the clock (epoch seconds) tests control."""

    def __init__(self, directory, key, margin, now=time.time):
        self.directory = directory
        self.key = key
        self.path = os.path.join(directory, "token-%s.json" % key)
        self._margin = margin
        self._now = now

    def usable(self, expires_on):
        return self._now() + self._margin < expires_on <= self._now() + LONGEST_TOKEN_LIFE

    def read(self):
        """(token, expires_on) while the file holds a usable token for this key, else None."""
        try:
            fd = os.open(self.path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        except OSError:
            return None
        with os.fdopen(fd) as handle:
            try:
                if not _private(os.fstat(fd)):
                    return None
                entry = json.loads(handle.read())
            except (OSError, ValueError):
                return None
        if not isinstance(entry, dict) or entry.get("format") != FORMAT or entry.get("key") != self.key:
            return None
        token, expires_on = entry.get("access_token"), entry.get("expires_on")
        if not isinstance(token, str) or not token or not isinstance(expires_on, int) or not self.usable(expires_on):
            return None
        return token, expires_on

    def store(self, token, expires_on):
        """Keep the token (atomically: a reader sees the old file or the new one); False when it cannot be kept."""
        if not self._directory_ready():
            return False
        try:
            fd, temporary = tempfile.mkstemp(prefix=".token-", suffix=".tmp", dir=self.directory)
        except OSError:
            return False
        try:
            with os.fdopen(fd, "w") as handle:
                json.dump({"format": FORMAT, "key": self.key, "access_token": token,
                           "expires_on": int(expires_on)}, handle)
            os.replace(temporary, self.path)
        except OSError:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
            return False
        self._prune()
        return True

    @contextlib.contextmanager
    def signing_in(self):
        """Held while this task signs in, so tasks that start together (forks, a loop over hosts) sign in once: the
        others wait here, then find the token.  Without a usable directory or fcntl, nobody waits."""
        lock = None
        if self._directory_ready():
            try:
                import fcntl  # pylint: disable=import-outside-toplevel

                lock = os.open(self.path + ".lock", os.O_WRONLY | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0), 0o600)
                fcntl.flock(lock, fcntl.LOCK_EX)
            except (ImportError, OSError):
                if lock is not None:
                    os.close(lock)
                lock = None
        try:
            yield
        finally:
            if lock is not None:
                os.close(lock)  # closing the descriptor releases the lock

    def _directory_ready(self):
        """The directory exists, is the user's and is 0700 (made so when it is new or merely too open)."""
        try:
            os.makedirs(self.directory, 0o700)
        except OSError as exc:
            if exc.errno != errno.EEXIST:
                return False
        try:
            status = os.lstat(self.directory)
            if not stat.S_ISDIR(status.st_mode) or status.st_uid != os.getuid():
                return False
            if stat.S_IMODE(status.st_mode) & 0o077:
                os.chmod(self.directory, 0o700)
        except OSError:
            return False
        return True

    def _prune(self):
        """Remove token files past any token's life (other credentials', runs long gone): the cache stays small."""
        oldest = self._now() - LONGEST_TOKEN_LIFE
        try:
            names = os.listdir(self.directory)
        except OSError:
            return
        for name in names:
            if name.startswith(("token-", ".token-")):
                path = os.path.join(self.directory, name)
                with contextlib.suppress(OSError):
                    if os.lstat(path).st_mtime < oldest:
                        os.unlink(path)


def token_cache(settings, kind, margin, environ=None, now=time.time):
    """The TokenCache for a credential of ``kind`` (azure_auth.credential_kind) with these settings, or None when
    its identity is not the settings' alone or the user turned the cache off (the token_cache option)."""
    if kind not in CACHED_KINDS or settings.get("token_cache") is False:
        return None
    return TokenCache(cache_directory(environ), cache_key(settings), margin, now=now)
