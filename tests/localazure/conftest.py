"""Fixtures for tests against the local Azure endpoint (one endpoint per pytest session / xdist worker).

  endpoint      dict of DIR/endpoint.json (arm_endpoint, authority_host, tenant_id, client_id, client_secret,
                subscription_id, ca_bundle, identity_endpoint, identity_header, pid, port, time_scale) plus
                "state_dir"; started with the CLI, stopped at the end of the session
  credential    azure.identity.ClientSecretCredential for it (local authority, no instance discovery)
  sdk_kwargs    kwargs for any azure-mgmt-* client: base_url, connection_verify, polling_interval
  requests_log  requests_log() -> parsed DIR/requests.jsonl lines since the test began (or since the last
                requests_log.mark()); requests_log.mark() moves the mark to now
  arm           arm(method, path, json=None, headers=None, token=True) -> requests.Response: raw HTTP to the
                endpoint with a valid bearer token (path starts with /subscriptions/..., add ?api-version=)
  control       control(method, "/localazure/faults", json=None) -> requests.Response (no token)

The endpoint also loads tests/localazure/engine/engine_kinds.py (test-only kinds under Test.Engine) through
`--extra-provider`, for generic LRO / ETag / If-Match tests.  Long-running operations take their realistic
duration times TIME_SCALE; Retry-After is at least 1 s, so one LRO costs about a second.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:   # provider tests import localazure also under a bare `pytest`
    sys.path.insert(0, str(ROOT))
TIME_SCALE = os.environ.get("LOCALAZURE_TEST_TIME_SCALE", "0.0005")
EXTRA_PROVIDER = "tests.localazure.engine.engine_kinds:PROVIDER"


def start_endpoint(state_dir: Path, *extra: str) -> dict:
    subprocess.run([sys.executable, "-m", "localazure", "start", "--state-dir", str(state_dir),
                    "--extra-provider", EXTRA_PROVIDER, *extra], cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    info = json.loads((state_dir / "endpoint.json").read_text())
    info["state_dir"] = str(state_dir)
    return info


def advance_clock(info: dict, seconds: float) -> None:
    """Move the endpoint's clock forward, so that what falls due then (operations) is due now, whatever the
    machine's speed."""
    answer = requests.post(f"{info['arm_endpoint']}/localazure/clock", json={"advance_seconds": seconds},
                           verify=info["ca_bundle"], timeout=30)
    answer.raise_for_status()


def stop_endpoint(state_dir: Path) -> None:
    subprocess.run([sys.executable, "-m", "localazure", "stop", "--state-dir", str(state_dir)], cwd=ROOT,
                   check=False, stdout=subprocess.DEVNULL)


def make_credential(info: dict):
    from azure.identity import ClientSecretCredential
    return ClientSecretCredential(info["tenant_id"], info["client_id"], info["client_secret"],
                                  authority=info["authority_host"], disable_instance_discovery=True,
                                  connection_verify=info["ca_bundle"])


def make_sdk_kwargs(info: dict) -> dict:
    return {"base_url": info["arm_endpoint"], "connection_verify": info["ca_bundle"], "polling_interval": 0.05}


@pytest.fixture(scope="session")
def endpoint(tmp_path_factory):
    state_dir = tmp_path_factory.mktemp("localazure")
    info = start_endpoint(state_dir, "--time-scale", TIME_SCALE)
    yield info
    stop_endpoint(state_dir)


@pytest.fixture(scope="session")
def credential(endpoint):
    return make_credential(endpoint)


@pytest.fixture(scope="session")
def sdk_kwargs(endpoint):
    return make_sdk_kwargs(endpoint)


class RequestsLog:
    def __init__(self, path: Path):
        self.path = path
        self.mark()

    def _size(self) -> int:
        return self.path.stat().st_size if self.path.exists() else 0

    def mark(self) -> int:
        self._offset = self._size()
        return self._offset

    def __call__(self) -> list[dict]:
        if not self.path.exists():
            return []
        with self.path.open("rb") as handle:
            handle.seek(self._offset)
            return [json.loads(line) for line in handle.read().decode().splitlines() if line.strip()]


@pytest.fixture
def requests_log(endpoint):
    return RequestsLog(Path(endpoint["state_dir"]) / "requests.jsonl")


@pytest.fixture(scope="session")
def arm(endpoint, credential):
    session = requests.Session()   # verify= per call: REQUESTS_CA_BUNDLE would override a session default

    def call(method: str, path: str, json=None, headers=None, token: bool = True) -> requests.Response:
        all_headers = dict(headers or {})
        if token:
            all_headers["Authorization"] = "Bearer " + credential.get_token(
                "https://management.azure.com/.default").token
        return session.request(method, endpoint["arm_endpoint"] + path, json=json, headers=all_headers, timeout=30,
                               verify=endpoint["ca_bundle"])
    yield call
    session.close()


@pytest.fixture(scope="session")
def control(endpoint):
    session = requests.Session()   # verify= per call: REQUESTS_CA_BUNDLE would override a session default

    def call(method: str, path: str, json=None) -> requests.Response:
        return session.request(method, endpoint["arm_endpoint"] + path, json=json, timeout=30,
                               verify=endpoint["ca_bundle"])
    yield call
    session.close()
