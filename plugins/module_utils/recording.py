# -*- coding: utf-8 -*-
# Copyright: contributors to aigateway.foundry
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What Azure answered, sanitized, for the first-Azure-run kit (``make azure-check``, README "A first run on Azure").

With ``AIGW_RECORD_DIR`` set, every answer a module's Resource Manager or Foundry client receives is written there,
one JSON file per answer, in the shape of the local endpoint's recorded-response fixtures (status, type name,
api-version, body).  ``python -m localazure check-recording DIR`` then checks each body against the definitions the
endpoint carries, so a user's first real run becomes conformance evidence for the endpoint.

A recording is meant to be shared, so it keeps no secret and no identifier of the user's tenancy: request bodies
are never written; in an answer, every GUID (subscription, tenant, principal and object ids) becomes the zero GUID,
every value under a key that names a secret, and every value that looks like a token, reads ``(secret)``, e-mail
addresses read ``(email)``; of the headers only the operation monitors (their URLs sanitized too) and
``Retry-After`` are kept.  The files are 0600 in a 0700 folder.
"""

from __future__ import annotations

import itertools
import json
import os
import re
import time

try:
    from azure.core.pipeline.policies import SansIOHTTPPolicy
except ImportError:
    # recorder() returns None without azure-core; the modules fail on the missing SDK first anyway.
    SansIOHTTPPolicy = object

RECORD_DIR_ENV = "AIGW_RECORD_DIR"
SECRET = "(secret)"
ZERO_GUID = "00000000-0000-0000-0000-000000000000"
GUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
# A JWT, a SAS signature, or a long opaque run of key material (Cognitive Services keys are 32 or 84 characters).
TOKEN_LIKE = re.compile(r"eyJ[\w-]{10,}\.[\w-]{10,}|sig=[^&\s\"]+|(?<![\w/.-])[A-Za-z0-9+/=_]{32,}(?![\w/.-])")
# Keys whose value is a secret wherever they appear (matched on the lower-cased key, inside it).
SECRET_KEY_PARTS = ("key", "secret", "token", "password", "connectionstring", "credential", "signature", "sas",
                    "certificate", "thumbprint")
# Keys that contain a part above but name no secret (the ARM shapes that say what kind of key, not the key).
NOT_SECRET_KEYS = frozenset(["keyvault", "keyvaultid", "keysource", "keytype", "keyname", "keyvaultproperties",
                             "disablelocalauth", "keyvaultsecretid", "tokenlimit", "tokensperminute",
                             "subscriptionrequired", "credentials", "authcredentials"])
KEPT_HEADERS = ("Location", "Azure-AsyncOperation", "Operation-Location", "Retry-After")


def record_dir():
    """The folder answers are recorded in, or None when recording is off."""
    folder = os.environ.get(RECORD_DIR_ENV, "").strip()
    return folder or None


def recorder():
    """A pipeline policy recording every answer, or None when recording is off (or azure-core is missing)."""
    folder = record_dir()
    if folder is None or SansIOHTTPPolicy is object:
        return None
    return Recorder(folder)


def _secret_key(key):
    lowered = key.lower()
    return lowered not in NOT_SECRET_KEYS and any(part in lowered for part in SECRET_KEY_PARTS)


def sanitize_text(text):
    """A string without GUIDs, e-mail addresses or anything that looks like a token."""
    text = GUID.sub(ZERO_GUID, text)
    text = EMAIL.sub("(email)", text)
    return TOKEN_LIKE.sub(SECRET, text)


def sanitize(value, key=None, secret_sibling=False):
    """A copy of a JSON value that keeps its shape (so the definitions can check it) and loses every secret."""
    if isinstance(value, dict):
        # A named value or a property marked secret keeps its shape and loses its value.
        holds_secret = value.get("secret") is True
        return dict((name, sanitize(item, name, holds_secret)) for name, item in value.items())
    if isinstance(value, list):
        return [sanitize(item, key) for item in value]
    if isinstance(value, str):
        if key is not None and (_secret_key(key) or (secret_sibling and key == "value")):
            return SECRET if value else value
        return sanitize_text(value)
    return value


def type_name(path):
    """The resource type a Resource Manager path addresses: ``Microsoft.Foo/a/b`` for ``.../providers/Microsoft.Foo/a/x/b/y``
    or ``.../b`` (a list), the extension's type after a second ``/providers/`` (role assignments, diagnostic
    settings), ``Microsoft.Resources/...`` for groups and provider registrations; None for a data-plane path."""
    start = path.lower().rfind("/providers/")
    if start >= 0:
        parts = [part for part in path[start + len("/providers/"):].split("/") if part]
        types = parts[1::2]
        return "/".join(parts[:1] + types) if types else "Microsoft.Resources/providers"
    parts = [part for part in path.split("/") if part]
    if len(parts) >= 3 and parts[0].lower() == "subscriptions" and parts[2].lower() == "resourcegroups":
        return "Microsoft.Resources/resourceGroups"
    return None


def exchange(method, url, status, headers, text, clock=time.time):
    """The record of one answer: what the fixtures of tests/localazure/engine/fixtures/recorded carry, sanitized."""
    from urllib.parse import parse_qs, urlsplit  # pylint: disable=import-outside-toplevel

    parts = urlsplit(url)
    try:
        body = json.loads(text) if text and text.strip() else None
    except ValueError:
        body = "(not JSON: %d characters)" % len(text)
    return {
        "source": "recorded by aigateway.foundry (%s) on %s" % (RECORD_DIR_ENV, time.strftime("%Y-%m-%d", time.gmtime(clock()))),
        "method": method.upper(),
        "host": "(endpoint)" if parts.hostname in ("127.0.0.1", "localhost") else sanitize_text(parts.hostname or ""),
        "path": sanitize_text(parts.path),
        "type_name": type_name(parts.path),
        "recorded_api_version": (parse_qs(parts.query).get("api-version") or [None])[0],
        "status": status,
        "headers": dict((name, sanitize_text(headers[name])) for name in KEPT_HEADERS if headers.get(name)),
        "body": sanitize(body),
    }


class Recorder(SansIOHTTPPolicy):
    """Writes every answer the pipeline receives as one sanitized file (the first policy: retries are recorded
    too, as Azure sent them)."""

    _sequence = itertools.count(1)

    def __init__(self, folder):
        SansIOHTTPPolicy.__init__(self)
        self.folder = folder

    def on_response(self, request, response):
        http = response.http_response
        record = exchange(str(http.request.method), str(http.request.url), http.status_code, http.headers or {},
                          http.text() or "")
        write(self.folder, record)


def write(folder, record):
    """One record as ``<time>-<pid>-<n>.json`` (parallel module processes never share a name), 0600 in a 0700
    folder, written whole or not at all."""
    os.makedirs(folder, mode=0o700, exist_ok=True)
    name = "%d-%d-%d.json" % (time.time_ns(), os.getpid(), next(Recorder._sequence))
    path = os.path.join(folder, name)
    partial = path + ".partial"
    handle = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(handle, "w") as stream:
        json.dump(record, stream, indent=1, sort_keys=True)
    os.replace(partial, path)
    return path
