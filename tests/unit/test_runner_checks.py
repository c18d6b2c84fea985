"""tests/tools/runner_checks.py reads what a job published with set_stats from ansible-runner's artifacts, and finds a
secret in any artifact file: on synthetic artifacts, so the runner stage's checks are known to be able to fail."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tests" / "tools"))
import runner_checks  # noqa: E402  (tests/tools is not a package)


def job(private_dir: Path, ident: str, events: list[dict]) -> Path:
    directory = private_dir / "artifacts" / ident / "job_events"
    directory.mkdir(parents=True)
    for number, event in enumerate(events, 1):
        (directory / f"{number}-x.json").write_text(json.dumps(event))
    return directory


def test_published_is_the_stats_events_artifact_data(tmp_path):
    job(tmp_path, "site", [{"event": "playbook_on_start"},
                           {"event": "playbook_on_stats", "event_data": {"artifact_data": {"aigw_outputs": {"a": 1}}}}])
    assert runner_checks.published(tmp_path, "site") == {"aigw_outputs": {"a": 1}}


def test_a_run_without_set_stats_publishes_nothing(tmp_path):
    job(tmp_path, "site", [{"event": "playbook_on_stats", "event_data": {}}])
    assert runner_checks.published(tmp_path, "site") == {}


def test_a_run_without_stats_event_is_an_error(tmp_path):
    job(tmp_path, "site", [{"event": "playbook_on_start"}])
    with pytest.raises(AssertionError, match="no playbook_on_stats"):
        runner_checks.published(tmp_path, "site")


def test_a_secret_in_any_artifact_file_is_found(tmp_path):
    events = job(tmp_path, "site", [{"event": "runner_on_ok", "stdout": "key 0123abcd"}])
    (events.parent / "stdout").write_text("clean")
    assert runner_checks.secrets_in_artifacts(tmp_path, "site", ["0123abcd"]) == [
        "artifacts/site/job_events/1-x.json"]
    assert runner_checks.secrets_in_artifacts(tmp_path, "site", ["not-there"]) == []


def test_teardown_is_checked_against_the_secrets_earlier_jobs_saw_with_the_endpoint_stopped(tmp_path):
    # teardown.yml stopped the endpoint (no API to list keys): a key seen after site.yml must still be looked for
    state_dir = tmp_path / "state"
    state_dir.mkdir()
    (state_dir / "endpoint.json").write_text(json.dumps({"client_secret": "sp-secret", "arm_endpoint": "https://x"}))
    private_dir = tmp_path / "private"
    private_dir.mkdir()
    (private_dir / "secrets-seen.json").write_text(json.dumps(["apim-key-0123"]))
    job(private_dir, "teardown", [{"event": "runner_on_ok", "stdout": "leaked apim-key-0123"},
                                  {"event": "playbook_on_stats", "event_data": {}}])
    problems = runner_checks.check("teardown", private_dir, "teardown", tmp_path / "outputs.json", state_dir)
    assert problems == ["a secret is in artifacts/teardown/job_events/1-x.json"]
    assert json.loads((private_dir / "secrets-seen.json").read_text()) == ["apim-key-0123", "sp-secret"]
    assert (private_dir / "secrets-seen.json").stat().st_mode & 0o077 == 0
