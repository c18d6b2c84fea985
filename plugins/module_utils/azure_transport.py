# -*- coding: utf-8 -*-
# Copyright: contributors to aigateway.foundry
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""An azure-core transport on the standard library's http.client, for the management clients of a module.

azure-core's default transport is built on requests and urllib3, whose import is about a quarter of an idle
module's CPU; a module makes a handful of small JSON requests to one host, which http.client does as well.  The
SDK keeps everything else: URLs, api-versions, headers, authentication, retries, long-running polling and errors.
This transport sends one request, reads the whole answer (management responses are small JSON) and keeps one TLS
connection per host for the module's next request.  Certificates are always verified: against ``ca_bundle``
(like requests, falling back to certifi's bundle, then the system's); proxies come from HTTPS_PROXY/NO_PROXY as
requests reads them.
"""

from __future__ import annotations

import http.client
import json
import os
import socket
import ssl

try:
    from azure.core.exceptions import (
        ServiceRequestError,
        ServiceRequestTimeoutError,
        ServiceResponseError,
        ServiceResponseTimeoutError,
    )
    from azure.core.pipeline.policies import SansIOHTTPPolicy
    from azure.core.pipeline.transport import HttpTransport
    from azure.core.rest import HttpRequest as RestHttpRequest
    from azure.core.rest._http_response_impl import RestHttpClientTransportResponse
    HAS_AZURE_CORE = True
except ImportError:
    # Only AzureModule.transport() uses this module, after the SDK (and so azure-core) imported; it checks this.
    HAS_AZURE_CORE = False
    HttpTransport = RestHttpClientTransportResponse = SansIOHTTPPolicy = object

# Seconds to connect and to wait for an answer; azure-core's defaults.
CONNECTION_TIMEOUT = 300
READ_TIMEOUT = 300
_PROXY_VARIABLES = ("HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy")


def default_ca_file():
    """The CA bundle requests would use: certifi's when installed, else None for the system's store."""
    try:
        import certifi  # pylint: disable=import-outside-toplevel
    except ImportError:
        return None
    return certifi.where()


def proxy_for(host, environ=None):
    """(proxy host, port, Proxy-Authorization header or None) for an https URL of ``host``, or None."""
    environ = os.environ if environ is None else environ
    if not any(environ.get(name) for name in _PROXY_VARIABLES):
        return None
    import base64  # pylint: disable=import-outside-toplevel
    import urllib.parse  # pylint: disable=import-outside-toplevel
    import urllib.request  # pylint: disable=import-outside-toplevel

    # Like urllib's getproxies_environment, on the given environment: lower-case names win over upper-case ones.
    proxies = {}
    for name in sorted(environ, key=lambda key: key.islower()):
        if name.lower().endswith("_proxy") and environ[name]:
            proxies[name[:-6].lower()] = environ[name]
    url = proxies.get("https") or proxies.get("all")
    if not url or urllib.request.proxy_bypass_environment(host, proxies):
        return None
    parsed = urllib.parse.urlsplit(url if "://" in url else "http://" + url)
    authorization = None
    if parsed.username:
        pair = "%s:%s" % (urllib.parse.unquote(parsed.username), urllib.parse.unquote(parsed.password or ""))
        authorization = "Basic " + base64.b64encode(pair.encode("utf-8")).decode("ascii")
    return parsed.hostname, parsed.port or 8080, authorization


class HttpClientTransport(HttpTransport):
    """Sends azure-core requests with http.client over verified TLS, one kept-alive connection per host."""

    def __init__(self, ca_bundle=None, connection_timeout=CONNECTION_TIMEOUT, read_timeout=READ_TIMEOUT):
        self._ca_bundle = ca_bundle
        self._contexts = {}
        self._connections = {}
        self._connection_timeout = connection_timeout
        self._read_timeout = read_timeout

    def _context(self, ca_file):
        if ca_file not in self._contexts:
            self._contexts[ca_file] = ssl.create_default_context(cafile=ca_file)
        return self._contexts[ca_file]

    def _connect(self, scheme, host, port, verify):
        if scheme != "https":
            # The management plane and the token endpoints are HTTPS only; azure-core refuses bearer tokens over
            # http before a request gets here.
            return http.client.HTTPConnection(host, port, timeout=self._connection_timeout)
        if verify is False:
            raise ServiceRequestError("TLS verification cannot be turned off for %s" % host)
        ca_file = verify if isinstance(verify, str) else (self._ca_bundle or default_ca_file())
        proxy = proxy_for(host)
        if proxy is None:
            return http.client.HTTPSConnection(host, port, timeout=self._connection_timeout,
                                               context=self._context(ca_file))
        connection = http.client.HTTPSConnection(proxy[0], proxy[1], timeout=self._connection_timeout,
                                                 context=self._context(ca_file))
        connection.set_tunnel(host, port, headers={"Proxy-Authorization": proxy[2]} if proxy[2] else None)
        return connection

    def open(self):
        pass

    def close(self):
        for connection in self._connections.values():
            connection.close()
        self._connections.clear()

    def __enter__(self):
        return self

    def __exit__(self, *args):
        self.close()

    def send(self, request, **kwargs):
        import urllib.parse  # pylint: disable=import-outside-toplevel

        verify = kwargs.pop("connection_verify", None)
        url = urllib.parse.urlsplit(request.url)
        target = _requote((url.path or "/") + ("?" + url.query if url.query else ""))
        body = _body_bytes(request)
        key = (url.scheme, url.hostname, url.port, verify)
        reused = key in self._connections
        for attempt in (1, 2):
            connection = self._connections.get(key)
            if connection is None:
                connection = self._connections[key] = self._connect(
                    url.scheme, url.hostname, url.port or (443 if url.scheme == "https" else 80), verify)
            try:
                raw = self._exchange(connection, request.method, target, body, dict(request.headers))
                break
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError) as exc:
                # A kept-alive connection the server closed meanwhile: try once on a new one.
                self._connections.pop(key).close()
                if not (reused and attempt == 1):
                    raise ServiceResponseError(str(exc), error=exc)
            except socket.timeout as exc:
                self._connections.pop(key).close()
                raise ServiceResponseTimeoutError(str(exc), error=exc)
            except (ssl.SSLError, OSError, http.client.HTTPException) as exc:
                # The request went out; its answer did not come back whole.
                self._connections.pop(key).close()
                raise ServiceResponseError(str(exc), error=exc)
        return _response(request, raw)

    def _exchange(self, connection, method, target, body, headers):
        connected = connection.sock is not None
        try:
            connection.request(method, target, body=body, headers=headers)
        except socket.timeout as exc:
            raise ServiceRequestTimeoutError(str(exc), error=exc)
        except (ssl.SSLError, OSError) as exc:
            if connected:
                raise ConnectionResetError(str(exc))
            raise ServiceRequestError(str(exc), error=exc)
        connection.sock.settimeout(self._read_timeout)
        raw = connection.getresponse()
        # Read it all now, so the connection is free for the next request.
        raw.body = raw.read()
        return raw


def _requote(target):
    """Percent-encode what a request line cannot carry (spaces in an OData $filter, for one), keeping escapes that
    are already there, as requests does: SDKs pass some query values unquoted and leave the quoting to the
    transport."""
    import re  # pylint: disable=import-outside-toplevel
    import urllib.parse  # pylint: disable=import-outside-toplevel

    safe = "!#$&'()*+,/:;=?@[]~"
    if not re.search(r"%(?![0-9A-Fa-f]{2})", target):
        safe += "%"
    return urllib.parse.quote(target, safe=safe)


def _body_bytes(request):
    """The request body as bytes (or None), so http.client sends a Content-Length."""
    body = request.content if isinstance(request, RestHttpRequest) else request.data
    if body is None or isinstance(body, bytes):
        return body
    if isinstance(body, str):
        return body.encode("utf-8")
    if hasattr(body, "read"):
        return body.read()
    raise ServiceRequestError("unsupported request body of type %s" % type(body).__name__)


def _response(request, raw):
    """The answer as the response type azure-core expects for this kind of request."""
    if isinstance(request, RestHttpRequest):
        response = ReadResponse(request=request, internal_response=_Answer(raw))
        response.read()
        return response
    # pylint: disable-next=import-outside-toplevel
    from azure.core.pipeline.transport._base import HttpClientTransportResponse

    response = HttpClientTransportResponse(request, _Answer(raw))
    response.body()
    return response


class ReadResponse(RestHttpClientTransportResponse):
    """azure-core's http.client response, whose whole body is already read: "streaming" it (as the SDKs do for
    the first answer of a long-running operation) yields that body."""

    def iter_bytes(self, **kwargs):
        content = self.read()
        if content:
            yield content
        self.close()

    def iter_raw(self, **kwargs):
        return self.iter_bytes()

    def _stream_download(self, pipeline, **kwargs):
        # What the older generated operations call (``response.stream_download(pipeline)``).
        return self.iter_bytes()


class _Answer(object):
    """An http.client response whose body was read already, as azure-core's http.client responses read it."""

    def __init__(self, raw):
        self.status = raw.status
        self.reason = raw.reason
        self._headers = raw.getheaders()
        self._body = raw.body

    def getheaders(self):
        return self._headers

    def read(self):
        return self._body

    def close(self):
        pass


# How much of a body that is not JSON an error quotes: enough to recognise a proxy's or a portal's page.
BODY_PREFIX = 80


def request_line(response):
    """"GET https://host/path" of the request ``response`` answers; the query is left out (it may carry a key)."""
    import urllib.parse  # pylint: disable=import-outside-toplevel

    request = getattr(response, "request", None)
    url = urllib.parse.urlsplit(str(getattr(request, "url", "") or ""))
    method = str(getattr(request, "method", "") or "").upper()
    return ("%s %s://%s%s" % (method, url.scheme, url.netloc, url.path)).strip()


def answer_summary(response):
    """What came back, for an error: the request, the content type and the body's length, and the start of a body
    that is not JSON-like at all (a broken JSON document may hold a key, so it is only counted)."""
    text = response.text() or ""
    content_type = (response.headers or {}).get("Content-Type") or "no content type"
    if not text.strip():
        seen = "an empty body (%s)" % content_type
    elif text.lstrip()[:1] in ("{", "["):
        seen = "%s, %d characters of broken JSON" % (content_type, len(text))
    else:
        seen = "%s, %d characters, not JSON: %r" % (content_type, len(text), " ".join(text.split())[:BODY_PREFIX])
    return "%s answered %s" % (request_line(response), seen)


class JsonAnswers(SansIOHTTPPolicy):
    """Every success an Azure management API sends is JSON, and a read (GET) answered 200 has a body, unless it polls
    an operation monitor (a Location monitor answers a finished delete 200 with nothing): anything else (an HTML
    page or nothing from a proxy, a portal, a broken hop) fails as an SDK error naming the request and what came
    back, instead of a bare "Expecting value" from the SDK, or an empty read taken for an absent resource.  The first
    policy of every pipeline, outside the retries: such an answer is not sent again."""

    MONITOR_HEADERS = ("Location", "Azure-AsyncOperation", "Operation-Location")

    def __init__(self):
        SansIOHTTPPolicy.__init__(self)
        # The operation monitors Azure named in its answers so far (their polls may answer 200 with nothing).
        self.monitors = set()

    def on_response(self, request, response):
        from azure.core.exceptions import DecodeError  # pylint: disable=import-outside-toplevel

        http = response.http_response
        for header in self.MONITOR_HEADERS:
            if (http.headers or {}).get(header):
                self.monitors.add(_without_query(http.headers[header]))
        if not 200 <= http.status_code < 300:
            return
        text = http.text() or ""
        if not text.strip():
            if http.status_code == 200 and str(http.request.method).upper() == "GET" and \
                    _without_query(http.request.url) not in self.monitors:
                raise DecodeError(message=answer_summary(http), response=http)
            return
        try:
            json.loads(text)
        except ValueError:
            raise DecodeError(message=answer_summary(http), response=http)


def _without_query(url):
    import urllib.parse  # pylint: disable=import-outside-toplevel

    parts = urllib.parse.urlsplit(str(url))
    return "%s://%s%s" % (parts.scheme, parts.netloc.lower(), parts.path.lower())
