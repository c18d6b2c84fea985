"""The generic engine with test-only kinds (engine_kinds.py): LROs, ETags, If-Match, routing, faults,
conformance logging, concurrency and the request log."""
from __future__ import annotations

import concurrent.futures
import uuid

import pytest
from azure.core.exceptions import HttpResponseError, ResourceExistsError
from azure.mgmt.resource.resources import ResourceManagementClient

VERSION = "2024-01-01"


@pytest.fixture
def client(endpoint, credential, sdk_kwargs):
    return ResourceManagementClient(credential, endpoint["subscription_id"], **sdk_kwargs)


@pytest.fixture
def group(client, endpoint):
    name = f"rg-engine-{uuid.uuid4().hex[:8]}"
    client.resource_groups.create_or_update(name, {"location": "eastus"})
    yield f"/subscriptions/{endpoint['subscription_id']}/resourceGroups/{name}"
    client.resource_groups.begin_delete(name).result()


def _id(group: str, rest: str) -> str:
    return f"{group}/providers/Test.Engine/{rest}"


def test_azure_async_create_location_delete_with_the_sdk(client, group, arm, requests_log):
    widget = _id(group, "widgets/w1")
    poller = client.resources.begin_create_or_update_by_id(widget, api_version=VERSION, parameters={"location": "East US", "properties": {"secret": "s3cret", "size": 2}})
    result = poller.result()
    assert result.properties["provisioningState"] == "Succeeded"
    assert result.properties["endpoint"] == "https://w1.example.test/"      # on_provisioned ran
    assert "secret" not in result.properties                                 # write-only
    assert result.location == "East US"
    assert result.system_data.created_by_type == "Application"
    first = next(line for line in requests_log() if line["method"] == "PUT")
    assert first["status"] == 201
    listed = arm("POST", f"{widget}/listSecrets?api-version={VERSION}")
    assert listed.json() == {"secret": "s3cret"}
    client.resources.begin_delete_by_id(widget, api_version=VERSION).result()
    assert arm("GET", f"{widget}?api-version={VERSION}").status_code == 404


def test_lro_monitor_headers_and_bodies(arm, group):
    widget = _id(group, "widgets/w2")
    created = arm("PUT", f"{widget}?api-version={VERSION}", json={"location": "eastus"})
    assert created.status_code == 201
    assert created.json()["properties"]["provisioningState"] == "Creating"
    monitor = created.headers["Azure-AsyncOperation"]
    assert monitor.startswith("https://127.0.0.1:") and int(created.headers["Retry-After"]) >= 1
    busy = arm("PUT", f"{widget}?api-version={VERSION}", json={"location": "eastus"})
    assert busy.status_code == 409
    status = arm("GET", monitor[monitor.index("/subscriptions/"):])
    assert status.status_code == 200 and status.json()["status"] in ("InProgress", "Succeeded")
    gadget = _id(group, "gadgets/g1")
    started = arm("PUT", f"{gadget}?api-version={VERSION}", json={"location": "eastus"})
    location = started.headers["Location"]
    first = arm("GET", location[location.index("/subscriptions/"):])
    assert first.status_code in (200, 202)


def test_location_style_create_returns_the_resource_from_the_monitor(client, group):
    result = client.resources.begin_create_or_update_by_id(_id(group, "gadgets/g2"), api_version=VERSION, parameters=
                                                           {"location": "eastus"}).result()
    assert result.properties["provisioningState"] == "Succeeded"


def test_etags_and_if_match(arm, group):
    part = f"{_id(group, 'widgets/w3/parts/p1')}?api-version={VERSION}"
    missing_parent = arm("PUT", part, json={"properties": {}})
    assert missing_parent.status_code == 404 and missing_parent.json()["error"]["code"] == "ParentResourceNotFound"
    arm("PUT", f"{_id(group, 'widgets/w3')}?api-version={VERSION}", json={"location": "eastus"})
    created = arm("PUT", part, json={"properties": {"a": 1}})
    header, body_etag = created.headers["ETag"], created.json()["etag"]
    assert header == f'"{body_etag}"'                      # apim style: header quoted, body not
    stale = arm("PUT", part, json={"properties": {"a": 2}}, headers={"If-Match": '"nope"'})
    assert stale.status_code == 412 and stale.json()["error"]["code"] == "PreconditionFailed"
    fresh = arm("PATCH", part, json={"properties": {"b": 3}}, headers={"If-Match": header})
    assert fresh.status_code == 200 and fresh.json()["properties"] == {"a": 1, "b": 3}   # PATCH merges
    assert fresh.headers["ETag"] != header
    assert arm("DELETE", part, headers={"If-Match": header}).status_code == 412
    assert arm("DELETE", part, headers={"If-Match": "*"}).status_code == 200
    assert arm("DELETE", part).status_code == 204


def test_case_insensitive_routes_and_lists(arm, group, endpoint):
    arm("PUT", f"{_id(group, 'widgets/w4')}?api-version={VERSION}", json={"location": "eastus"})
    shouted = group.replace("resourceGroups", "RESOURCEGROUPS").upper().replace(
        endpoint["subscription_id"].upper(), endpoint["subscription_id"])
    response = arm("GET", f"{shouted}/PROVIDERS/test.engine/WIDGETS/W4?api-version={VERSION}")
    assert response.status_code == 200
    assert response.json()["id"] == _id(group, "widgets/w4")     # the id as created
    by_group = arm("GET", f"{group}/providers/Test.Engine/widgets?api-version={VERSION}").json()
    assert [item["name"] for item in by_group["value"]] == ["w4"] and "nextLink" not in by_group
    by_subscription = arm("GET", f"/subscriptions/{endpoint['subscription_id']}/providers/Test.Engine/widgets"
                                 f"?api-version={VERSION}").json()
    assert _id(group, "widgets/w4") in [item["id"] for item in by_subscription["value"]]
    echo = arm("GET", f"/subscriptions/{endpoint['subscription_id']}/providers/Test.Engine/ECHO/x"
                      f"?api-version={VERSION}")
    assert echo.json() == {"name": "x", "subscription": endpoint["subscription_id"]}


def test_extension_resources_are_deleted_with_their_scope(arm, group):
    widget = _id(group, "widgets/w5")
    arm("PUT", f"{widget}?api-version={VERSION}", json={"location": "eastus"})
    part = f"{widget}/parts/p5"
    assert arm("PUT", f"{part}?api-version={VERSION}", json={}).status_code == 201
    note = f"{part}/providers/Test.Engine/notes/n1?api-version={VERSION}"
    assert arm("PUT", note, json={"properties": {"text": "hi"}}).status_code == 201
    group_note = f"{group}/providers/Test.Engine/notes/n2?api-version={VERSION}"
    assert arm("PUT", group_note, json={"properties": {}}).json()["id"] == group_note.split("?")[0]
    listed = arm("GET", f"{part}/providers/Test.Engine/notes?api-version={VERSION}").json()["value"]
    assert [item["name"] for item in listed] == ["n1"]
    assert arm("DELETE", f"{part}?api-version={VERSION}").status_code == 200
    assert arm("GET", note).status_code == 404
    missing_scope = arm("PUT", f"{widget}/parts/nope/providers/Test.Engine/notes/n3?api-version={VERSION}",
                        json={})
    assert missing_scope.status_code == 404


def test_injected_429_is_retried_by_the_sdk(client, group, control, requests_log):
    try:
        assert control("POST", "/localazure/faults", json={"rate": 1.0, "statuses": [429], "count": 1,
                                                           "only_methods": ["GET"]}).status_code == 200
        assert client.resource_groups.get(group.rsplit("/", 1)[1]).name
    finally:
        control("DELETE", "/localazure/faults")
    statuses = [line["status"] for line in requests_log() if line["method"] == "GET"]
    assert statuses[:2] == [429, 200]


def test_injected_lro_failure_surfaces_as_http_response_error(client, group, control, arm):
    try:
        control("POST", "/localazure/faults", json={"lro_failure_rate": 1.0, "count": 1, "only_methods": ["PUT"]})
        with pytest.raises(HttpResponseError) as raised:
            client.resources.begin_create_or_update_by_id(_id(group, "widgets/w6"), api_version=VERSION, parameters=
                                                          {"location": "eastus"}).result()
    finally:
        control("DELETE", "/localazure/faults")
    assert raised.value.error.code == "InternalServerError"
    state = arm("GET", f"{_id(group, 'widgets/w6')}?api-version={VERSION}").json()
    assert state["properties"]["provisioningState"] == "Failed"


def test_conflict_while_an_operation_runs_is_resource_exists_error(client, group):
    widget = _id(group, "widgets/w7")
    client.resources.begin_create_or_update_by_id(widget, api_version=VERSION, parameters={"location": "eastus"})
    with pytest.raises(ResourceExistsError):
        client.resources.begin_delete_by_id(widget, api_version=VERSION)


def test_concurrent_writes(arm, group):
    def write(index: int) -> int:
        return arm("PUT", f"{_id(group, 'gadgets')}/c{index}?api-version={VERSION}",
                   json={"location": "eastus", "tags": {"i": str(index)}}).status_code
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        assert set(pool.map(write, range(24))) == {201}
    listed = arm("GET", f"{_id(group, 'gadgets')}?api-version={VERSION}").json()["value"]
    assert len([item for item in listed if item["name"].startswith("c")]) == 24


def test_request_log_holds_no_secrets(endpoint, credential, arm, group, requests_log):
    arm("PUT", f"{_id(group, 'widgets/w8')}?api-version={VERSION}",
        json={"location": "eastus", "properties": {"secret": "very-secret-value"}})
    lines = requests_log()
    assert lines and {"time", "method", "path", "api_version", "status", "duration_ms", "kind",
                      "conformance"} <= set(lines[0])
    text = (open(f"{endpoint['state_dir']}/requests.jsonl").read())
    token = credential.get_token("https://management.azure.com/.default").token
    for secret in (endpoint["client_secret"], token, token.split(".")[2], "very-secret-value"):
        assert secret not in text
    assert all("?" not in line["path"] for line in lines)


def test_read_actions_are_logged_as_reads(arm, group, requests_log):
    arm("PUT", f"{_id(group, 'widgets/w9')}?api-version={VERSION}", json={"location": "eastus"})
    requests_log.mark()
    arm("POST", f"{_id(group, 'widgets/w9')}/listSecrets?api-version={VERSION}")
    assert [line["kind"] for line in requests_log()] == ["read"]


# --- conformance wiring, in process with a stand-in checker (the real one is engine/conformance.py) -------
class _Report:
    def __init__(self, errors=(), unknown=()):
        self.errors, self.unknown = list(errors), list(unknown)


class _StandInConformance:
    """Flags a non-integer properties.size as an error and properties.extra as unknown."""

    def __init__(self):
        self.seen = []

    def knows(self, type_name, api_version):
        return type_name == "Test.Engine/widgets"

    def check_request(self, type_name, api_version, body):
        self.seen.append(("request", type_name, api_version))
        props = body.get("properties") or {}
        errors = ["properties.size: expected integer"] if isinstance(props.get("size"), str) else []
        return _Report(errors, ["properties.extra"] if "extra" in props else [])

    def check_response(self, type_name, api_version, body):
        self.seen.append(("response", type_name, api_version))
        return _Report((), ["properties.extra"] if "extra" in (body.get("properties") or {}) else [])


def _in_process(tmp_path, mode: str):
    import asyncio
    import json

    from aiohttp.test_utils import TestClient, TestServer

    from engine_kinds import PROVIDER
    from localazure.engine.arm import Registry
    from localazure.engine.faults import Faults
    from localazure.providers import discover
    from localazure.server import App

    app = App(tmp_path, time_scale=0.001, faults=Faults(), conformance_mode=mode)
    app.conformance = app.engine.conformance = _StandInConformance()
    app.engine.registry = Registry([*discover(), PROVIDER])
    token = app.identity.issue(app.identity.client_id)[0]
    sub = app.identity.subscription_id
    group = f"/subscriptions/{sub}/resourceGroups/rg1"

    async def run(calls):
        async with TestClient(TestServer(app.build())) as client:
            headers = {"Authorization": f"Bearer {token}"}
            await client.put(f"{group}?api-version=2025-04-01", json={"location": "eastus"}, headers=headers)
            out = []
            for method, path, body in calls:
                response = await client.request(method, f"{group}/providers/Test.Engine/{path}", json=body,
                                                headers=headers)
                out.append((response.status, await response.json()))
            return out

    def call(*calls):
        return asyncio.run(run(calls))

    def log():
        return [json.loads(line) for line in (tmp_path / "requests.jsonl").read_text().splitlines()]
    return app, call, log


def test_conformance_errors_are_400_in_strict_mode_and_unknowns_are_logged(tmp_path):
    app, call, log = _in_process(tmp_path, "strict")
    (bad_status, bad), (ok_status, _), (_, _) = call(
        ("PUT", "widgets/w1?api-version=2024-01-01", {"location": "eastus", "properties": {"size": "big"}}),
        ("PUT", "widgets/w2?api-version=2024-01-01", {"location": "eastus", "properties": {"extra": 1}}),
        ("GET", "widgets/w2?api-version=2024-01-01", None))
    assert bad_status == 400 and bad["error"]["code"] == "InvalidRequestContent"
    assert "properties.size" in bad["error"]["message"]
    assert ok_status == 201
    entries = [entry for entry in log() if "/widgets/" in entry["path"]]
    assert "request: properties.size: expected integer" in entries[0]["conformance"]
    assert "request: properties.extra" in entries[1]["conformance"]
    assert "response: properties.extra" in entries[2]["conformance"]
    assert ("request", "Test.Engine/widgets", "2024-01-01") in app.conformance.seen


def test_conformance_log_mode_accepts_the_body(tmp_path):
    _, call, log = _in_process(tmp_path, "log")
    [(status, _)] = call(("PUT", "widgets/w1?api-version=2024-01-01",
                          {"location": "eastus", "properties": {"size": "big"}}))
    assert status == 201
    assert "request: properties.size: expected integer" in log()[-1]["conformance"]
