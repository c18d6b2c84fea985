"""The CLI: start/stop/status/serve, kept credentials and certificates, and a restart mid-operation."""
from __future__ import annotations

import datetime
import email.utils
import json
import os
import ssl
import stat
import subprocess
import sys
import urllib.request
import uuid

import pytest
import requests
from azure.mgmt.resource.resources import ResourceManagementClient
from cryptography import x509
from cryptography.x509.oid import ExtendedKeyUsageOID

from tests.localazure.conftest import (ROOT, advance_clock, make_credential, make_sdk_kwargs, start_endpoint,
                                       stop_endpoint)


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "localazure", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=60)


@pytest.fixture
def state_dir(tmp_path):
    yield tmp_path
    stop_endpoint(tmp_path)


def test_start_twice_status_and_stop(state_dir):
    first = start_endpoint(state_dir)
    second = start_endpoint(state_dir)
    assert first["pid"] == second["pid"] and first["port"] == second["port"]
    status = _cli("status", "--state-dir", str(state_dir))
    assert status.returncode == 0
    reported = json.loads(status.stdout)
    assert reported["running"] and "client_secret" not in reported
    for name in ("endpoint.json", "identity.json", "server.key"):
        assert stat.S_IMODE((state_dir / name).stat().st_mode) == 0o600
    assert _cli("stop", "--state-dir", str(state_dir)).returncode == 0
    assert not (state_dir / "server.pid").exists()
    stopped = _cli("status", "--state-dir", str(state_dir))
    assert stopped.returncode == 3 and json.loads(stopped.stdout) == {"running": False}
    again = start_endpoint(state_dir)
    assert {key: again[key] for key in ("tenant_id", "client_id", "client_secret", "subscription_id")} == \
        {key: first[key] for key in ("tenant_id", "client_id", "client_secret", "subscription_id")}
    assert (state_dir / "server.log").exists()


def test_certificate_chain(state_dir):
    start_endpoint(state_dir)
    leaf = x509.load_pem_x509_certificates((state_dir / "server.pem").read_bytes())[0]
    ca = x509.load_pem_x509_certificate((state_dir / "ca.pem").read_bytes())
    names = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert "localhost" in names.get_values_for_type(x509.DNSName)
    assert [str(ip) for ip in names.get_values_for_type(x509.IPAddress)] == ["127.0.0.1"]
    assert ExtendedKeyUsageOID.SERVER_AUTH in leaf.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert ca.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    assert ca.extensions.get_extension_for_class(x509.KeyUsage).value.key_cert_sign
    leaf.verify_directly_issued_by(ca)
    context = ssl.create_default_context(cafile=str(state_dir / "ca.pem"))
    context.verify_flags |= ssl.VERIFY_X509_STRICT
    info = json.loads((state_dir / "endpoint.json").read_text())
    with urllib.request.urlopen(f"{info['arm_endpoint']}/localazure/health", context=context) as response:
        assert json.loads(response.read())["status"] == "ok"


def test_restart_in_the_middle_of_a_resource_group_delete(state_dir):
    # Time scale 10: the 60 s resource group delete would take 600 s, minutes of slack for the restart on any
    # machine; the endpoint's clock is then moved past it instead of waiting.
    info = start_endpoint(state_dir, "--time-scale", "10")
    client = ResourceManagementClient(make_credential(info), info["subscription_id"], **make_sdk_kwargs(info))
    name = f"rg-{uuid.uuid4().hex[:8]}"
    client.resource_groups.create_or_update(name, {"location": "eastus"})
    accepted = {}
    client.resource_groups.begin_delete(name, polling=False,
                                        raw_response_hook=lambda answer: accepted.update(answer.http_response.headers))
    monitor = accepted["Location"]
    assert int(accepted["Retry-After"]) > 60
    assert _cli("stop", "--state-dir", str(state_dir)).returncode == 0
    restarted = start_endpoint(state_dir)
    assert restarted["port"] == info["port"] and restarted["pid"] != info["pid"]
    assert client.resource_groups.get(name).properties.provisioning_state == "Deleting"
    bearer = {"Authorization": "Bearer " + make_credential(info).get_token(
        "https://management.azure.com/.default").token}
    assert requests.get(monitor, headers=bearer, verify=info["ca_bundle"], timeout=30).status_code == 202
    advance_clock(restarted, 600)
    assert requests.get(monitor, headers=bearer, verify=info["ca_bundle"], timeout=30).status_code == 200
    assert not client.resource_groups.check_existence(name)


def test_the_clock_only_moves_forward(state_dir):
    info = start_endpoint(state_dir)
    url, ca = f"{info['arm_endpoint']}/localazure/clock", info["ca_bundle"]
    before = requests.get(url, verify=ca, timeout=30).json()
    moved = requests.post(url, json={"advance_seconds": 3600}, verify=ca, timeout=30).json()
    assert moved["offset_seconds"] == before["offset_seconds"] + 3600 and moved["now"] >= before["now"] + 3600
    for wrong in ({"advance_seconds": -1}, {"advance_seconds": "soon"}, {}):
        refused = requests.post(url, json=wrong, verify=ca, timeout=30)
        assert refused.status_code == 400 and "advance_seconds must be a number" in refused.json()["error"]["message"]


def test_every_answer_is_dated_by_the_endpoint_s_clock_which_can_start_at_a_given_instant(state_dir):
    """A test that judges dates (a model's retirement) sets the endpoint's clock, never the machine's date: the clock
    starts at --clock-start, and every answer's Date header (ARM's, an error's, the controls') follows it."""
    info = start_endpoint(state_dir, "--clock-start", "2027-04-13T23:00:00Z")
    url, ca = f"{info['arm_endpoint']}/localazure/clock", info["ca_bundle"]
    start = datetime.datetime(2027, 4, 13, 23, tzinfo=datetime.timezone.utc).timestamp()
    held = requests.post(url, json={"advance_seconds": 0, "hold_seconds": 300}, verify=ca, timeout=30)
    assert start <= held.json()["now"] < start + 60
    assert held.headers["Date"] == email.utils.formatdate(held.json()["now"], usegmt=True)
    bearer = {"Authorization": "Bearer " + make_credential(info).get_token(
        "https://management.azure.com/.default").token}
    groups = f"{info['arm_endpoint']}/subscriptions/{info['subscription_id']}/resourcegroups?api-version=2021-04-01"
    listed = requests.get(groups, headers=bearer, verify=ca, timeout=30)
    refused = requests.get(groups, verify=ca, timeout=30)   # no token: ARM's 401
    assert listed.status_code == 200 and refused.status_code == 401
    for answer in (listed, refused):
        assert email.utils.parsedate_to_datetime(answer.headers["Date"]).date() == datetime.date(2027, 4, 13)
    moved = requests.post(url, json={"advance_seconds": 7200}, verify=ca, timeout=30)
    assert email.utils.parsedate_to_datetime(moved.headers["Date"]).date() == datetime.date(2027, 4, 14)
    assert email.utils.parsedate_to_datetime(
        requests.get(groups, headers=bearer, verify=ca, timeout=30).headers["Date"]).date() == datetime.date(2027, 4, 14)
    stop_endpoint(state_dir)
    wrong = subprocess.run([sys.executable, "-m", "localazure", "start", "--state-dir", str(state_dir),
                            "--clock-start", "next tuesday"], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert wrong.returncode == 2 and "the clock start must be an ISO 8601 date or instant, not 'next tuesday'" \
        in wrong.stderr


def test_the_clock_starts_at_the_variable_s_instant_and_a_restart_goes_on_from_where_it_stood(state_dir,
                                                                                                 monkeypatch):
    """The suites start every endpoint at LOCALAZURE_CLOCK_START (tests/clock.py); a playbook that stops and starts
    the endpoint again finds the clock where it stood (clock.json in the state dir), not back at the machine's
    date; a value that is no date is refused naming the variable."""
    monkeypatch.setenv("LOCALAZURE_CLOCK_START", "2027-04-13T23:00:00Z")
    url = f"{start_endpoint(state_dir)['arm_endpoint']}/localazure/clock"
    ca = str(state_dir / "ca.pem")
    moved = requests.post(url, json={"advance_seconds": 7200}, verify=ca, timeout=30)
    assert email.utils.parsedate_to_datetime(moved.headers["Date"]).date() == datetime.date(2027, 4, 14)
    stop_endpoint(state_dir)
    start_endpoint(state_dir)
    again = requests.get(url, verify=ca, timeout=30).json()
    assert moved.json()["now"] <= again["now"] < moved.json()["now"] + 600
    stop_endpoint(state_dir)
    monkeypatch.setenv("LOCALAZURE_CLOCK_START", "soon")
    wrong = subprocess.run([sys.executable, "-m", "localazure", "start", "--state-dir", str(state_dir)], cwd=ROOT,
                           capture_output=True, text=True, timeout=60)
    assert wrong.returncode == 2 and "LOCALAZURE_CLOCK_START: the clock start must be an ISO 8601 date or instant, " \
        "not 'soon'" in wrong.stderr


def test_start_refuses_without_definitions_unless_told(state_dir, tmp_path_factory):
    missing = tmp_path_factory.mktemp("no-specs") / "nothing-here"
    environment = {**os.environ, "LOCALAZURE_SPECS": str(missing)}
    refused = subprocess.run([sys.executable, "-m", "localazure", "start", "--state-dir", str(state_dir)],
                             cwd=ROOT, capture_output=True, text=True, timeout=60, env=environment)
    assert refused.returncode == 2 and not (state_dir / "server.pid").exists()
    assert f"definitions are missing: {missing}/bicep-types" in refused.stderr
    assert "--no-conformance" in refused.stderr
    started = subprocess.run([sys.executable, "-m", "localazure", "start", "--state-dir", str(state_dir),
                              "--no-conformance"], cwd=ROOT, capture_output=True, text=True, timeout=60,
                             env=environment)
    assert started.returncode == 0 and "conformance is off (--no-conformance)" in started.stderr
    info = json.loads(started.stdout)
    assert info["conformance"] == "off"
    status = _cli("status", "--state-dir", str(state_dir))
    assert json.loads(status.stdout)["conformance"] == "off" and "conformance is off" in status.stderr
    again = subprocess.run([sys.executable, "-m", "localazure", "start", "--state-dir", str(state_dir)],
                           cwd=ROOT, capture_output=True, text=True, timeout=60, env=environment)
    assert again.returncode == 0 and "conformance is off" in again.stderr   # said on every start
    client = ResourceManagementClient(make_credential(info), info["subscription_id"], **make_sdk_kwargs(info))
    client.resource_groups.create_or_update("unchecked", {"location": "eastus"})
    logged = [json.loads(line) for line in (state_dir / "requests.jsonl").read_text().splitlines()]
    assert [entry["conformance"] for entry in logged if entry["path"].endswith("/unchecked")] == ["off"]


def test_resource_group_bodies_and_names_are_checked(state_dir):
    info = start_endpoint(state_dir)
    client = ResourceManagementClient(make_credential(info), info["subscription_id"], **make_sdk_kwargs(info))
    client.resource_groups.create_or_update("checked", {"location": "eastus", "tags": {"owner": "ops"}})
    bearer = {"Authorization": "Bearer " + make_credential(info).get_token(
        "https://management.azure.com/.default").token}
    url = (f"{info['arm_endpoint']}/subscriptions/{info['subscription_id']}/resourcegroups/%s"
           "?api-version=2025-04-01")
    wrong_tag = requests.put(url % "checked", json={"location": "eastus", "tags": {"owner": 7}}, headers=bearer,
                             verify=info["ca_bundle"], timeout=30)
    assert wrong_tag.status_code == 400 and "$.tags.owner" in wrong_tag.json()["error"]["message"]
    wrong_name = requests.put(url % "bad%20name", json={"location": "eastus"}, headers=bearer,
                              verify=info["ca_bundle"], timeout=30)
    assert wrong_name.status_code == 400
    logged = [json.loads(line) for line in (state_dir / "requests.jsonl").read_text().splitlines()]
    checked = [entry for entry in logged if entry["method"] == "PUT" and entry["path"].endswith("/checked")]
    assert checked[0]["conformance"] == [] and "$.tags.owner" in str(checked[1]["conformance"])


def test_resources_survive_a_restart_and_reset_wipes_them(state_dir):
    info = start_endpoint(state_dir)
    client = ResourceManagementClient(make_credential(info), info["subscription_id"], **make_sdk_kwargs(info))
    client.resource_groups.create_or_update("kept", {"location": "eastus"})
    _cli("stop", "--state-dir", str(state_dir))
    info = start_endpoint(state_dir)
    assert client.resource_groups.check_existence("kept")
    assert requests.post(f"{info['arm_endpoint']}/localazure/reset", verify=info["ca_bundle"]).status_code == 200
    assert not client.resource_groups.check_existence("kept")


def test_serve_rejects_unknown_fault_statuses(state_dir):
    result = _cli("serve", "--state-dir", str(state_dir), "--fault-statuses", "418", "--port", "0")
    assert result.returncode != 0 and "unsupported fault statuses" in result.stderr


def test_fault_flags_never_touch_tokens_or_control(state_dir):
    info = start_endpoint(state_dir, "--fault-rate", "1", "--fault-statuses", "503", "--fault-count", "1",
                          "--fault-methods", "GET")
    token = make_credential(info).get_token("https://management.azure.com/.default").token
    url = f"{info['arm_endpoint']}/subscriptions/{info['subscription_id']}/resourcegroups?api-version=2025-04-01"
    headers = {"Authorization": f"Bearer {token}"}
    faulted = requests.get(url, headers=headers, verify=info["ca_bundle"])
    assert faulted.status_code == 503 and faulted.json()["error"]["code"] == "ServiceUnavailable"
    assert int(faulted.headers["Retry-After"]) >= 1
    assert requests.get(url, headers=headers, verify=info["ca_bundle"]).status_code == 200   # count exhausted
    settings = requests.get(f"{info['arm_endpoint']}/localazure/faults", verify=info["ca_bundle"]).json()
    assert settings["injected"] == 1 and settings["only_methods"] == ["GET"]


def test_the_state_dir_and_every_file_in_it_are_private(tmp_path):
    """The dir holds the service principal's secret, the signing and TLS keys and (state.db) every resource's keys:
    0700, and 0600 for each file, also for files an older endpoint left readable."""
    state_dir = tmp_path / "state"
    state_dir.mkdir(mode=0o755)
    (state_dir / "requests.jsonl").write_text("")
    (state_dir / "requests.jsonl").chmod(0o644)
    try:
        info = start_endpoint(state_dir)
        make_credential(info).get_token("https://management.azure.com/.default")   # the endpoint logs a request
        written = sorted(path.name for path in state_dir.iterdir())
        assert {"state.db", "requests.jsonl", "server.log", "server.pid", "identity.json"} <= set(written)
        loose = {path.name: "%04o" % stat.S_IMODE(path.stat().st_mode) for path in state_dir.iterdir()
                 if stat.S_IMODE(path.stat().st_mode) & 0o077}
        assert loose == {} and stat.S_IMODE(state_dir.stat().st_mode) == 0o700
    finally:
        stop_endpoint(state_dir)


def test_bad_body_and_401_faults(state_dir):
    """`body` answers 200 with nothing or an HTML page; `statuses: [401]` refuses as ARM refuses a token."""
    info = start_endpoint(state_dir)
    token = make_credential(info).get_token("https://management.azure.com/.default").token
    url = f"{info['arm_endpoint']}/subscriptions/{info['subscription_id']}/resourcegroups?api-version=2025-04-01"
    control = f"{info['arm_endpoint']}/localazure/faults"

    def faulted(**settings):
        requests.post(control, json={"rate": 1.0, "count": 1, **settings}, verify=info["ca_bundle"]).raise_for_status()
        return requests.get(url, headers={"Authorization": f"Bearer {token}"}, verify=info["ca_bundle"])
    html = faulted(body="html")
    assert html.status_code == 200 and html.headers["Content-Type"].startswith("text/html")
    assert html.text.startswith("<!DOCTYPE html>")
    empty = faulted(body="empty")
    assert empty.status_code == 200 and empty.content == b""
    refused = faulted(statuses=[401])
    assert refused.status_code == 401 and refused.json()["error"]["code"] == "InvalidAuthenticationToken"
    bad = requests.post(control, json={"rate": 1.0, "body": "xml"}, verify=info["ca_bundle"])
    assert bad.status_code == 400 and "unsupported fault body" in bad.text


def _in_new_pid_namespace(*args: str) -> subprocess.CompletedProcess:
    """``python -m localazure ARGS`` as PID 1 of a pid namespace of its own, as in a container job (AWX,
    ansible-navigator): the process numbers start again in each one, and the namespace dies with its PID 1."""
    return subprocess.run(["unshare", "--pid", "--fork", sys.executable, "-m", "localazure", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=90)


def test_a_restart_in_a_new_container_may_get_the_old_process_number(state_dir):
    # Each job of an execution environment is a new container: its endpoint process gets the same number as the
    # previous job's (dead) one, and endpoint.json still names that number until the new process rewrites it.
    probe = subprocess.run(["unshare", "--pid", "--fork", "true"], capture_output=True)
    if probe.returncode != 0:
        pytest.skip("needs unshare --pid (root): %s" % probe.stderr.decode().strip())
    first = _in_new_pid_namespace("start", "--state-dir", str(state_dir))
    assert first.returncode == 0, first.stderr
    second = _in_new_pid_namespace("start", "--state-dir", str(state_dir))
    assert second.returncode == 0, second.stderr
    # the two processes had the same number: this is the case under test, not a lucky spread of numbers
    assert json.loads(second.stdout)["pid"] == json.loads(first.stdout)["pid"]
    assert json.loads(second.stdout)["client_id"] == json.loads(first.stdout)["client_id"]
