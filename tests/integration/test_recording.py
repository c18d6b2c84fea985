"""The first-Azure-run kit's recording (AIGW_RECORD_DIR, make azure-check) run against the local endpoint: site.yml and
teardown.yml record every answer; no secret, key, token, subscription or tenant id reaches the files; the files are
private; and `python -m localazure check-recording` finds the endpoint's own answers conform to its definitions
(Azure's answers are what it is for)."""
from __future__ import annotations

import json
import stat
import subprocess
import sys

import pytest

from tests.integration.test_playbooks import ROOT, Playbooks, arm_clients, stop_endpoint


@pytest.fixture(scope="module")
def recorded(tmp_path_factory):
    runner = Playbooks(tmp_path_factory.mktemp("recording"))
    folder = runner.state_dir / "recorded"
    runner.env["AIGW_RECORD_DIR"] = str(folder)
    try:
        runner.run("site.yml")
        endpoint = runner.endpoint()
        secrets = known_secrets(endpoint)
        runner.run("teardown.yml")
        yield folder, endpoint, secrets
    finally:
        stop_endpoint(runner.state_dir)


def known_secrets(endpoint):
    """Every secret the run's answers carried: the endpoint's sign-in secret, the accounts' keys, the gateway's
    subscription keys."""
    _, cognitive, apim = arm_clients(endpoint)
    secrets = {endpoint["client_secret"], endpoint["identity_header"]}
    for account in cognitive.accounts.list():
        if account.properties.disable_local_auth:
            continue   # Entra only: Azure refuses to list its keys
        keys = cognitive.accounts.list_keys(account.id.split("/")[4], account.name)
        secrets |= {keys.key1, keys.key2}
    for service in apim.api_management_service.list():
        group = service.id.split("/")[4]
        for subscription in apim.subscription.list(group, service.name):
            keys = apim.subscription.list_secrets(group, service.name, subscription.name)
            secrets |= {keys.primary_key, keys.secondary_key}
    return {secret for secret in secrets if secret}


def test_every_answer_is_recorded_in_private_files(recorded):
    folder, _, _ = recorded
    files = sorted(folder.glob("*.json"))
    assert len(files) > 100
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert {stat.S_IMODE(path.stat().st_mode) for path in files} == {0o600}
    assert not list(folder.glob("*.partial"))
    kinds = {json.loads(path.read_text())["type_name"] for path in files}
    for kind in ("Microsoft.ApiManagement/service", "Microsoft.ApiManagement/service/apis/policies",
                 "Microsoft.CognitiveServices/accounts", "Microsoft.CognitiveServices/accounts/deployments",
                 "Microsoft.Resources/resourceGroups", None):   # None: the Foundry data plane (agents)
        assert kind in kinds


def test_no_secret_or_tenancy_id_reaches_a_recording(recorded):
    folder, endpoint, secrets = recorded
    text = "\n".join(path.read_text() for path in folder.glob("*.json"))
    assert len(secrets) >= 4
    leaked = [secret[:4] + "..." for secret in secrets if secret in text]
    assert leaked == [], "secrets in the recording"
    for identifier in (endpoint["subscription_id"], endpoint["tenant_id"], endpoint["client_id"]):
        assert identifier not in text and identifier.lower() not in text.lower()
    assert "/listSecrets" in text   # the subscription keys' answers were recorded, masked
    assert '"(secret)"' in text


def test_the_endpoint_answers_conform_to_the_definitions_it_carries(recorded):
    folder, _, _ = recorded
    check = subprocess.run([sys.executable, "-m", "localazure", "check-recording", str(folder)], cwd=ROOT,
                           capture_output=True, text=True, timeout=300)
    assert check.returncode == 0, check.stdout + check.stderr
    checked = int(check.stdout.split()[0])
    assert checked > 50, check.stdout
    assert "data-plane answers" in check.stdout
