"""What the `runner` stage checks after each playbook it runs through ansible-runner, as AWX runs a job: the outputs
the job publishes with set_stats (ansible-runner records them as the stats event's artifact_data, which a workflow
hands to its next job), that no secret reaches the job's artifacts, and what teardown leaves.

    python tests/tools/runner_checks.py site|onboard|teardown PRIVATE_DIR IDENT OUTPUTS_FILE STATE_DIR
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO_ROOT))
from tests.integration.test_playbooks import arm_clients  # noqa: E402  (the management clients on the endpoint)


def published(private_dir: Path, ident: str) -> dict:
    """The set_stats data of a run: artifact_data of its playbook_on_stats event."""
    for path in sorted((private_dir / "artifacts" / ident / "job_events").glob("*.json")):
        event = json.loads(path.read_text())
        if event.get("event") == "playbook_on_stats":
            return event.get("event_data", {}).get("artifact_data") or {}
    raise AssertionError(f"no playbook_on_stats event in the artifacts of {ident}")


def endpoint_secrets(state_dir: Path, running: bool = True) -> list[str]:
    """The local endpoint's service principal secret and identity header, and (``running``) every APIM subscription
    key it holds."""
    endpoint = json.loads((state_dir / "endpoint.json").read_text())
    secrets = [endpoint["client_secret"], endpoint.get("identity_header", "")]
    if not running:
        return [secret for secret in secrets if secret]
    _resources, _cognitive, apim = arm_clients(endpoint)
    for service in apim.api_management_service.list():
        group = service.id.split("/")[4]
        for subscription in apim.subscription.list(group, service.name):
            keys = apim.subscription.list_secrets(group, service.name, subscription.name)
            secrets += [keys.primary_key, keys.secondary_key]
    return [secret for secret in secrets if secret]


def secrets_in_artifacts(private_dir: Path, ident: str, secrets: list[str]) -> list[str]:
    """Files of the run's artifacts (events, stdout, stats) that hold one of the secrets."""
    found = []
    for path in sorted((private_dir / "artifacts" / ident).rglob("*")):
        if path.is_file():
            text = path.read_text(errors="replace")
            found += [f"{path.relative_to(private_dir)}" for secret in secrets if secret in text]
    return found


def check(playbook: str, private_dir: Path, ident: str, outputs_file: Path, state_dir: Path) -> list[str]:
    problems = []
    stats = published(private_dir, ident)
    if playbook == "site":
        expected = json.loads(outputs_file.read_text())
        if stats.get("aigw_outputs") != expected:
            problems.append(f"site.yml published {stats.get('aigw_outputs')!r}, not the outputs file {expected!r}")
    elif playbook == "onboard":
        projects = stats.get("aigw_onboarded_projects")
        if not projects or not all(project.get("subscription") for project in projects):
            problems.append(f"onboard.yml published no onboarded projects with their subscriptions: {projects!r}")
    elif playbook == "teardown" and outputs_file.exists():
        problems.append(f"teardown.yml left the outputs file {outputs_file}")
    # teardown.yml stops the endpoint site.yml started, and the keys go with the service: it is checked against the
    # secrets the earlier jobs' checks saw (kept beside the artifacts, 0600), as a workflow's jobs share them
    seen_file = private_dir / "secrets-seen.json"
    seen = json.loads(seen_file.read_text()) if seen_file.exists() else []
    secrets = sorted(set(seen + endpoint_secrets(state_dir, running=playbook != "teardown")))
    seen_file.touch(mode=0o600)
    seen_file.chmod(0o600)
    seen_file.write_text(json.dumps(secrets))
    if len(secrets) < 2 and playbook != "teardown":
        problems.append(f"only {len(secrets)} secrets to look for after {playbook}: the check would prove nothing")
    problems += [f"a secret is in {path}" for path in secrets_in_artifacts(private_dir, ident, secrets)]
    return problems


if __name__ == "__main__":
    name, private, run_ident, outputs, state = sys.argv[1:6]
    found_problems = check(name, Path(private), run_ident, Path(outputs), Path(state))
    print("\n".join(found_problems) or f"{name}: published outputs and artifacts without a secret")
    sys.exit(1 if found_problems else 0)
