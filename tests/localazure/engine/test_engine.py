"""The generic engine with test-only kinds (engine_kinds.py): LROs, ETags, If-Match, routing, faults,
conformance logging, concurrency and the request log."""
from __future__ import annotations

import concurrent.futures
import uuid

import pytest
from azure.core.exceptions import HttpResponseError, ResourceExistsError
from azure.mgmt.resource.resources import ResourceManagementClient

from localazure.engine.contract import Lro, Provider, ResourceKind, Route
from tests.localazure.conftest import advance_clock

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

    from tests.localazure.engine.engine_kinds import PROVIDER
    from localazure.engine.arm import Registry
    from localazure.engine.faults import Faults
    from localazure.services import discover
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


# --- engine hooks and ARM details, in process with test-only kinds of namespace Test.Fixes ------------------

FIXES = "2024-01-01"
HOOK_RECORDS = "test.fixes.deleted"   # kv table: resource id -> the query its on_delete saw


class ParcelKind(ResourceKind):
    """APIM-style ETags, a create LRO chosen per request, a Location delete whose 202 carries the resource."""
    type_name = "Test.Fixes/parcels"
    api_versions = (FIXES,)
    etag = "apim"
    create_lro = Lro("azure-async", seconds=2000, status=201, running_state="Creating", running_status="Creating")
    delete_lro = Lro("location", seconds=1, status=202, running_state=None)

    def create_lro_for(self, ctx, body):
        if (body.get("properties") or {}).get("quick"):
            return Lro("location", seconds=1, status=201, running_state="Creating")
        return self.create_lro

    def delete_body(self, ctx, current):
        current.setdefault("properties", {})["state"] = "Deleting"
        return current

    def on_delete(self, ctx, current):
        ctx.store.kv_put(HOOK_RECORDS, current["id"].lower(), {"query": ctx.query})


class CrateKind(ResourceKind):
    """A child without location: Azure-AsyncOperation create; a synchronous delete answering with the body."""
    type_name = "Test.Fixes/parcels/crates"
    api_versions = (FIXES,)
    has_location = False
    create_lro = Lro("azure-async", seconds=1, status=201, running_state="Creating")

    def delete_body(self, ctx, current):
        return current

    def on_delete(self, ctx, current):
        ctx.store.kv_put(HOOK_RECORDS, current["id"].lower(), {"query": ctx.query})


class LabelKind(ResourceKind):
    """An extension type whose list honours `$filter=color eq '...'`."""
    type_name = "Test.Fixes/labels"
    api_versions = (FIXES,)
    scope = "extension"
    has_location = False

    def filter_list(self, ctx, items, filter_text):
        if not filter_text:
            return items
        color = filter_text.split("'")[1]
        return [item for item in items if item["properties"].get("color") == color]


def _parcel_listing(ctx, groups):
    return 200, {"value": [{"id": "x", "name": "x", "type": ParcelKind.type_name, "properties": {"extra": 1}}]}, {}


FIXES_PROVIDER = Provider(namespace="Test.Fixes", kinds=[ParcelKind(), CrateKind(), LabelKind()],
                          routes=[Route("GET", r"parcelListing", _parcel_listing, type_name=ParcelKind.type_name),
                                  Route("GET", r"untypedListing", _parcel_listing)])


class _FixesConformance(_StandInConformance):
    """Knows parcels too: properties.need is required, properties.mode must be "optional" or "required";
    names starting with "-" are invalid."""

    def knows(self, type_name, api_version):
        return type_name in ("Test.Engine/widgets", ParcelKind.type_name)

    def check_request(self, type_name, api_version, body):
        report = super().check_request(type_name, api_version, body)
        props = body.get("properties") or {}
        if type_name == ParcelKind.type_name:
            if "need" not in props:
                report.errors.append("$.properties.need: types: required property missing")
            if props.get("mode") not in (None, "optional", "required"):
                report.errors.append(f"$.properties.mode: types: \"{props['mode']}\" is not one of "
                                     "['optional', 'required']")
        return report

    def check_name(self, type_name, api_version, name):
        return ["does not match pattern ^[a-z]"] if name.startswith("-") else []


class _Served:
    """The app in process with the Test.Fixes kinds; call() answers (status, headers, parsed body or None)."""

    def __init__(self, tmp_path, mode="strict"):
        from localazure.engine.arm import Registry
        from localazure.engine.faults import Faults
        from localazure.services import discover
        from localazure.server import App
        self.app = App(tmp_path, time_scale=0.001, faults=Faults(), conformance_mode=mode)
        self.app.conformance = self.app.engine.conformance = _FixesConformance()
        self.app.engine.registry = Registry([*discover(), FIXES_PROVIDER])
        self.token = self.app.identity.issue(self.app.identity.client_id)[0]
        self.sub = self.app.identity.subscription_id
        self.group = f"/subscriptions/{self.sub}/resourceGroups/rg1"
        self.log_path = tmp_path / "requests.jsonl"

    def run(self, *calls):
        """calls: (method, path, body); paths are relative to the group unless they start with /subscriptions,
        and may be functions of the answers so far.  One run per test: the app closes its store at the end."""
        import asyncio
        import json

        from aiohttp.test_utils import TestClient, TestServer

        async def go():
            async with TestClient(TestServer(self.app.build())) as client:
                headers = {"Authorization": f"Bearer {self.token}"}
                await client.put(f"{self.group}?api-version=2025-04-01", json={"location": "eastus"},
                                 headers=headers)
                out = []
                for method, path, body in calls:
                    path = path(out) if callable(path) else path
                    url = path if path.startswith("/subscriptions/") else f"{self.group}/providers/Test.Fixes/{path}"
                    response = await client.request(method, url, json=body, headers=headers)
                    raw = await response.read()
                    out.append((response.status, response.headers.copy(), json.loads(raw) if raw else None))
                    await asyncio.sleep(0.01)   # lets 1 s LROs (1 ms at this time scale) fall due
                return out
        return asyncio.run(go())

    def log(self):
        import json
        return [json.loads(line) for line in self.log_path.read_text().splitlines()]

    def hook_record(self, relative_id: str):
        from localazure.engine.store import Store
        store = Store(self.log_path.parent / "state.db")
        try:
            return store.kv_get(HOOK_RECORDS, f"{self.group}/providers/Test.Fixes/{relative_id}".lower())
        finally:
            store.close()


def _monitor_path(url: str) -> str:
    return url[url.index("/subscriptions/"):]


def test_head_answers_200_with_the_etag_for_apim_style_kinds(arm, group, client):
    widget = f"{_id(group, 'widgets/h1')}?api-version={VERSION}"
    arm("PUT", widget, json={"location": "eastus"})
    # ARM's generic existence check (check_existence_by_id) accepts only 204/404, whatever the ETag style.
    assert arm("HEAD", widget).status_code == 204
    part = f"{_id(group, 'widgets/h1/parts/p1')}?api-version={VERSION}"
    part_etag = arm("PUT", part, json={}).headers["ETag"]
    head = arm("HEAD", part)     # APIM's get_entity_tag: 200 with the ETag header
    assert head.status_code == 200 and head.headers["ETag"] == part_etag
    gadget = f"{_id(group, 'gadgets/h2')}?api-version={VERSION}"     # no etag: plain existence check
    arm("PUT", gadget, json={"location": "eastus"})
    assert arm("HEAD", gadget).status_code == 204
    assert arm("HEAD", f"{_id(group, 'widgets/none')}?api-version={VERSION}").status_code == 404
    assert client.resource_groups.check_existence(group.rsplit("/", 1)[1]) is True     # 204
    assert client.resource_groups.check_existence("rg-engine-missing") is False         # 404


def test_resource_not_found_uses_arms_text(arm, group):
    rg = group.rsplit("/", 1)[1]
    arm("PUT", f"{_id(group, 'widgets/nf')}?api-version={VERSION}", json={"location": "eastus"})
    missing = arm("GET", f"{_id(group, 'widgets/nf/parts/p1')}?api-version={VERSION}")
    assert missing.status_code == 404 and missing.json()["error"] == {
        "code": "ResourceNotFound",
        "message": f"The Resource 'Test.Engine/widgets/nf/parts/p1' under resource group '{rg}' was not found. "
                   "For more details please go to https://aka.ms/ARMResourceNotFoundFix"}
    gone = arm("GET", f"{_id(group, 'widgets/none')}?api-version={VERSION}").json()["error"]
    assert gone["message"] == (f"The Resource 'Test.Engine/widgets/none' under resource group '{rg}' was not "
                               "found. For more details please go to https://aka.ms/ARMResourceNotFoundFix")
    on_missing_scope = arm("PUT", f"{_id(group, 'widgets/none')}/providers/Test.Engine/notes/n1?api-version={VERSION}",
                           json={}).json()["error"]
    assert on_missing_scope["message"] == gone["message"]


def test_invalid_resource_name_gets_400_from_the_definitions(arm, group):
    account = f"{group}/providers/Microsoft.CognitiveServices/accounts/a?api-version=2025-09-01"   # minLength 2
    refused = arm("PUT", account, json={"location": "eastus", "kind": "AIServices", "sku": {"name": "S0"}})
    assert refused.status_code == 400 and refused.json()["error"]["code"] == "InvalidResourceName"
    assert "minLength 2" in refused.json()["error"]["message"]


def test_delete_lro_answers_with_the_kinds_body_and_hooks_see_the_query(tmp_path):
    served = _Served(tmp_path)
    (_, created_headers, _), _, (status, headers, body), (_, _, listed) = served.run(
        ("PUT", f"parcels/p1?api-version={FIXES}", {"location": "eastus", "properties": {"need": 1, "quick": True}}),
        ("PUT", f"parcels/p1/crates/c1?api-version={FIXES}", {"properties": {}}),
        ("DELETE", f"parcels/p1?api-version={FIXES}&force=true", None),
        ("GET", f"parcels?api-version={FIXES}", None))   # due by now: the delete completes first
    assert status == 202 and headers["Location"] and body["properties"]["state"] == "Deleting"
    assert body["etag"] != created_headers["ETag"].strip('"')   # the resource changed when the delete began
    assert listed == {"value": []}
    for resource in ("parcels/p1", "parcels/p1/crates/c1"):   # LRO completion and its children
        assert served.hook_record(resource)["query"]["force"] == "true"


def test_sync_delete_answers_with_the_body_and_children_hooks_see_the_query(tmp_path):
    served = _Served(tmp_path)
    *_, (status, _, body), (again, _, _) = served.run(
        ("PUT", f"parcels/p2?api-version={FIXES}", {"location": "eastus", "properties": {"need": 1, "quick": True}}),
        ("PUT", f"parcels/p2/crates/c2?api-version={FIXES}", {"properties": {"n": 2}}),
        ("DELETE", f"parcels/p2/crates/c2?api-version={FIXES}&reason=test", None),
        ("DELETE", f"parcels/p2/crates/c2?api-version={FIXES}", None))
    assert status == 200 and body["name"] == "c2" and body["properties"]["n"] == 2
    assert again == 204
    assert served.hook_record("parcels/p2/crates/c2")["query"]["reason"] == "test"


def test_create_lro_monitor_status_and_region_come_from_the_kind_and_the_parent(tmp_path):
    served = _Served(tmp_path)
    (_, slow_headers, _), (_, quick_headers, _), (_, crate_headers, _), (_, _, status) = served.run(
        ("PUT", f"parcels/slow?api-version={FIXES}", {"location": "West Europe", "properties": {"need": 1}}),
        ("PUT", f"parcels/quick?api-version={FIXES}", {"location": "West Europe",
                                                       "properties": {"need": 1, "quick": True}}),
        ("PUT", f"parcels/quick/crates/c1?api-version={FIXES}", {"properties": {}}),
        ("GET", lambda out: _monitor_path(out[0][1]["Azure-AsyncOperation"]), None))
    assert "Azure-AsyncOperation" in slow_headers and "Location" not in slow_headers      # create_lro
    assert "Location" in quick_headers and "Azure-AsyncOperation" not in quick_headers    # create_lro_for
    assert "/locations/West%20Europe/" in crate_headers["Azure-AsyncOperation"]            # the parent's region
    assert status["status"] == "Creating"                                                 # Lro.running_status


def test_extension_list_honours_the_kinds_filter(tmp_path):
    served = _Served(tmp_path)
    labels = f"{served.group}/providers/Test.Fixes/labels"
    *_, (_, _, everything), (_, _, red) = served.run(
        ("PUT", f"{labels}/l1?api-version={FIXES}", {"properties": {"color": "red"}}),
        ("PUT", f"{labels}/l2?api-version={FIXES}", {"properties": {"color": "blue"}}),
        ("GET", f"{labels}?api-version={FIXES}", None),
        ("GET", f"{labels}?api-version={FIXES}&$filter=color%20eq%20'red'", None))
    assert sorted(item["name"] for item in everything["value"]) == ["l1", "l2"]
    assert [item["name"] for item in red["value"]] == ["l1"]


def test_route_responses_are_checked_against_their_declared_type(tmp_path):
    served = _Served(tmp_path)
    base = f"/subscriptions/{served.sub}/providers/Test.Fixes"
    served.run(("GET", f"{base}/parcelListing?api-version={FIXES}", None),
               ("GET", f"{base}/untypedListing?api-version={FIXES}", None))
    typed, untyped = [entry for entry in served.log() if "Listing" in entry["path"]]
    assert "response: properties.extra" in typed["conformance"]
    assert untyped["conformance"] == []


def test_patch_ignores_only_missing_required_errors_and_names_are_checked(tmp_path):
    served = _Served(tmp_path)
    (created, _, _), (patched, _, _), (bad_patch, _, bad), (bad_name, _, named) = served.run(
        ("PUT", f"parcels/p3?api-version={FIXES}", {"location": "eastus", "properties": {"need": 1, "quick": True}}),
        ("PATCH", f"parcels/p3?api-version={FIXES}", {"tags": {"a": "b"}, "properties": {"mode": "optional"}}),
        ("PATCH", f"parcels/p3?api-version={FIXES}", {"properties": {"mode": "sometimes"}}),
        ("PUT", f"parcels/-p4?api-version={FIXES}", {"location": "eastus", "properties": {"need": 1}}))
    assert (created, patched) == (201, 200)
    assert bad_patch == 400 and "not one of ['optional', 'required']" in bad["error"]["message"]
    assert bad_name == 400 and named["error"]["code"] == "InvalidResourceName"


def test_a_held_operation_stays_pending_until_released_whatever_the_clock(arm, group, control, endpoint):
    gadget, widget = _id(group, "gadgets/held"), _id(group, "widgets/not-held")
    assert control("POST", "/localazure/holds", json={"type": "test.engine/GADGETS"}).json()["holds"] == [
        {"type": "test.engine/GADGETS", "operation": "put"}]
    try:
        location = arm("PUT", f"{gadget}?api-version={VERSION}", json={"location": "eastus"}).headers["Location"]
        other = arm("PUT", f"{widget}?api-version={VERSION}", json={"location": "eastus"})
        advance_clock(endpoint, 100_000)
        pending = arm("GET", location[location.index("/subscriptions/"):])
        assert pending.status_code == 202 and pending.headers["Retry-After"] == "1"
        assert arm("GET", f"{gadget}?api-version={VERSION}").json()["properties"]["provisioningState"] == "Creating"
        assert arm("GET", f"{widget}?api-version={VERSION}").json()["properties"]["provisioningState"] == "Succeeded"
        assert other.status_code == 201
        held = control("GET", "/localazure/holds").json()["held"]
        assert [(op["kind"], op["resource_id"]) for op in held] == [("put", gadget)]
    finally:
        released = control("DELETE", "/localazure/holds").json()["released"]
    assert [(op["kind"], op["resource_id"]) for op in released] == [("put", gadget)]
    assert arm("GET", location[location.index("/subscriptions/"):]).status_code == 200
    assert arm("GET", f"{gadget}?api-version={VERSION}").json()["properties"]["provisioningState"] == "Succeeded"
    assert control("GET", "/localazure/holds").json() == {"holds": [], "held": []}


@pytest.mark.parametrize("hold, named", [({"type": "apim"}, "'apim'"),
                                         ({"type": "Test.Engine/gadgets", "operation": "patch"}, "'patch'"),
                                         ({"type": "Test.Engine/gadgets", "kind": "put"}, "'kind'")])
def test_a_bad_hold_is_refused_naming_the_value(control, hold, named):
    answer = control("POST", "/localazure/holds", json=hold)
    assert answer.status_code == 400 and answer.json()["error"]["code"] == "InvalidHold"
    assert named in answer.json()["error"]["message"]
    assert control("GET", "/localazure/holds").json()["holds"] == []
