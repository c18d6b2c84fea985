"""The http.client transport: verified TLS, one kept-alive connection, the SDK's requests and answers, proxies."""
import base64
import http.server
import io
import json
import ssl
import threading

import pytest
from azure.core import PipelineClient
from azure.core.exceptions import ServiceRequestError
from azure.core.rest import HttpRequest

from ansible_collections.aigateway.foundry.plugins.module_utils.azure_transport import (
    HttpClientTransport,
    JsonAnswers,
    _body_bytes,
    _requote,
    proxy_for,
)
from localazure.certs import ensure_certificates


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    seen = []

    def do_PUT(self):  # noqa: N802  (http.server's naming)
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.seen.append((self.command, self.path, body, self.client_address[1], self.headers.get("Transfer-Encoding")))
        answer = json.dumps({"echo": json.loads(body)}).encode()
        self.send_response(201)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)
        if self.path.startswith("/close"):
            self.close_connection = True

    do_GET = do_PUT  # noqa: N815

    def log_message(self, *args):
        pass


@pytest.fixture
def server(tmp_path):
    ca, chain, key = ensure_certificates(tmp_path)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(chain, key)
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
    Handler.seen = []
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield "https://127.0.0.1:%d" % httpd.server_address[1], str(ca)
    httpd.shutdown()
    httpd.server_close()


def send(transport, url, path, body=b'{"a": 1}', method="PUT"):
    client = PipelineClient(base_url=url, transport=transport)
    return client.send_request(HttpRequest(method, url + path, content=io.BytesIO(body),
                                           headers={"Content-Type": "application/json"}))


def test_a_verified_request_and_its_answer_through_the_sdk_pipeline(server):
    url, ca = server
    response = send(HttpClientTransport(ca), url, "/things/x?api-version=1")
    assert response.status_code == 201 and response.json() == {"echo": {"a": 1}}
    assert response.headers["content-type"] == "application/json"
    # A body handed as a stream goes out with its length, never chunked.
    assert Handler.seen[0][:3] == ("PUT", "/things/x?api-version=1", b'{"a": 1}') and Handler.seen[0][4] is None
    # "Streaming" the answer, as the SDKs do for a long-running operation's first answer, yields the body.
    assert b"".join(response.iter_bytes()) == b'{"echo": {"a": 1}}'


def test_the_second_request_reuses_the_connection_and_a_closed_one_is_replaced(server):
    url, ca = server
    transport = HttpClientTransport(ca)
    send(transport, url, "/one")
    send(transport, url, "/close")
    send(transport, url, "/three")
    ports = [seen[3] for seen in Handler.seen]
    assert ports[0] == ports[1] != ports[2]


def test_a_server_outside_the_ca_bundle_is_refused(server, tmp_path):
    url, _ca = server
    (tmp_path / "other").mkdir()
    other_ca = ensure_certificates(tmp_path / "other")[0]
    with pytest.raises(ServiceRequestError, match="CERTIFICATE_VERIFY_FAILED"):
        send(HttpClientTransport(str(other_ca)), url, "/x")
    with pytest.raises(ServiceRequestError, match="cannot be turned off"):
        HttpClientTransport(str(other_ca)).send(HttpRequest("GET", url + "/x"), connection_verify=False)


def test_unquoted_query_values_are_quoted_like_requests_does():
    assert _requote("/a?$filter=principalId eq 'x'") == "/a?$filter=principalId%20eq%20'x'"
    assert _requote("/a%2Fb?x=%20y") == "/a%2Fb?x=%20y"
    assert _requote("/a?x=100%") == "/a?x=100%25"


def test_bodies_go_out_as_bytes():
    assert _body_bytes(HttpRequest("PUT", "https://h/", content=io.BytesIO(b"{}"))) == b"{}"
    assert _body_bytes(HttpRequest("PUT", "https://h/", content="{}")) == b"{}"
    assert _body_bytes(HttpRequest("GET", "https://h/")) is None


def test_proxies_come_from_the_environment_and_no_proxy_bypasses_them():
    assert proxy_for("management.azure.com", environ={}) is None
    environ = {"HTTPS_PROXY": "http://user:p%40ss@proxy.example:3128", "NO_PROXY": "localhost,127.0.0.1"}
    host, port, authorization = proxy_for("management.azure.com", environ=environ)
    assert (host, port) == ("proxy.example", 3128)
    assert base64.b64decode(authorization.split()[1]) == b"user:p@ss"
    assert proxy_for("127.0.0.1", environ=environ) is None
    assert proxy_for("management.azure.com", environ={"https_proxy": "proxy.example:8000"})[:2] == (
        "proxy.example", 8000)


class Answer(object):
    """An azure-core response as JsonAnswers and answer_summary read it."""

    def __init__(self, method, status, text, content_type="application/json"):
        self.request = HttpRequest(method, "https://management.example/subscriptions/s/resourcegroups/g?api-version=1"
                                           "&sig=SECRETSIG")
        self.status_code = status
        self.reason = "OK"
        self.headers = {"Content-Type": content_type}
        self._text = text

    def text(self):
        return self._text


def checked(method, status, text, content_type="application/json"):
    from azure.core.pipeline import PipelineResponse

    answer = Answer(method, status, text, content_type)
    JsonAnswers().on_response(None, PipelineResponse(answer.request, answer, None))


@pytest.mark.parametrize("method, status, text", [
    ("GET", 200, '{"name": "g"}'), ("PUT", 201, '{"name": "g"}'), ("DELETE", 200, ""), ("DELETE", 204, ""),
    ("HEAD", 200, ""), ("PUT", 202, ""), ("GET", 404, "<html>not found</html>")])
def test_json_answers_let_azure_answers_through(method, status, text):
    checked(method, status, text)


def test_json_answers_name_the_request_and_what_came_back():
    from azure.core.exceptions import DecodeError

    with pytest.raises(DecodeError) as html:
        checked("GET", 200, "<!DOCTYPE html>\n<html><title>Proxy error</title></html>", "text/html")
    assert str(html.value.message) == ("GET https://management.example/subscriptions/s/resourcegroups/g answered "
                                       "text/html, 55 characters, not JSON: '<!DOCTYPE html> <html><title>Proxy "
                                       "error</title></html>'")
    with pytest.raises(DecodeError) as empty:
        checked("GET", 200, "")
    assert "resourcegroups/g answered an empty body (application/json)" in empty.value.message
    with pytest.raises(DecodeError) as broken:
        checked("POST", 200, '{"primaryKey": "SECRETKEY", ')
    assert "28 characters of broken JSON" in broken.value.message
    assert "SECRET" not in html.value.message + empty.value.message + broken.value.message


def test_json_answers_let_a_monitor_named_by_azure_answer_200_with_nothing():
    from azure.core.exceptions import DecodeError
    from azure.core.pipeline import PipelineResponse

    policy = JsonAnswers()
    accepted = Answer("DELETE", 202, "")
    accepted.headers["Location"] = "https://management.example/subscriptions/s/operationResults/o?api-version=1"
    policy.on_response(None, PipelineResponse(accepted.request, accepted, None))
    done = Answer("GET", 200, "")
    done.request = HttpRequest("GET", "https://management.example/subscriptions/s/operationResults/o?api-version=1")
    policy.on_response(None, PipelineResponse(done.request, done, None))
    with pytest.raises(DecodeError):
        other = Answer("GET", 200, "")
        policy.on_response(None, PipelineResponse(other.request, other, None))
