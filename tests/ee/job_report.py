"""What one ansible-navigator job in the execution environment did, for tests/ee/run-site.

  python -m tests.ee.job_report job ARTIFACT                  the job's status and play recap;
                                                              fails unless the job ended successful
  python -m tests.ee.job_report requests STATE_DIR            how many requests the endpoint has logged so far
  python -m tests.ee.job_report idle ARTIFACT STATE_DIR MARK  fails when the job wrote to ARM after request MARK
                                                              or changed anything but the endpoint's start

ARTIFACT is the job's playbook artifact (ansible-navigator --playbook-artifact-save-as); the request log is read as
the integration tests read it (tests/integration/conftest.py RequestLog).
"""
from __future__ import annotations

import json
import re
import sys
from pathlib import Path

from tests.integration.conftest import RequestLog

ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
RECAP = re.compile(r"^\S+\s*:\s*ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)")
TASK = re.compile(r"^TASK \[(.*)\]")
# Each job is a new container, so an idle re-run starts the endpoint (a process of the job's container) again,
# from the state the previous job saved in the project folder, and makes Ansible's async dir in the container's new
# home; nothing else may report a change.
IDLE_CHANGES_ALLOWED = ["aigateway.foundry.local_azure : Start the local Azure endpoint",
                        "Ansible's async dir is private (0700)"]


def job(artifact: Path) -> dict:
    """Read from the job's stdout, not its task results: a no_log task's result is censored, 'changed' included."""
    data = json.loads(artifact.read_text())
    recap, task, counted, changed_tasks = None, None, False, []
    for line in (ANSI.sub("", line) for line in data["stdout"]):
        if (match := TASK.match(line)):
            task, counted = match.group(1), False
        elif line.startswith("changed:") and not counted:
            # once a task, as the recap counts it, however many loop items changed
            changed_tasks.append(task)
            counted = True
        elif (match := RECAP.match(line)):
            recap = dict(zip(("ok", "changed", "unreachable", "failed"), (int(n) for n in match.groups())))
    return {"status": data["status"], "recap": recap, "changed_tasks": changed_tasks}


def request_log(state_dir: str) -> RequestLog:
    return RequestLog(Path(state_dir) / "requests.jsonl")


def idle_problems(report: dict, writes: list[dict]) -> list[str]:
    problems = ["ARM write %s %s" % (entry["method"], entry["path"]) for entry in writes]
    problems += ["changed: %s" % task for task in report["changed_tasks"] if task not in IDLE_CHANGES_ALLOWED]
    if report["recap"] is None or report["recap"]["changed"] != len(report["changed_tasks"]):
        problems.append("the recap %s does not match the changed tasks %s" % (report["recap"], report["changed_tasks"]))
    return problems


def main(argv: list[str]) -> int:
    command, *args = argv or [""]
    if command == "job":
        report = job(Path(args[0]))
        print("%s, %s" % (report["status"], report["recap"]))
        return 0 if report["status"] == "successful" and report["recap"] else 1
    if command == "requests":
        print(request_log(args[0]).mark())
        return 0
    if command == "idle":
        artifact, state_dir, mark = args
        log = request_log(state_dir)
        problems = idle_problems(job(Path(artifact)), log.writes(int(mark)))
        print("\n".join(problems) if problems else
              "0 ARM writes in %d requests; no change but the container's own (the endpoint's start, the async dir)" % len(log.since(int(mark))))
        return 1 if problems else 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
