"""A recording of what Azure answered (the collection's ``AIGW_RECORD_DIR``, ``make azure-check``) checked against
the definitions this endpoint carries: every answer whose resource type the definitions know is checked at the
api-version Azure answered with, or at the nearest one carried (the fixtures' ``checked_api_version``), as
``tests/localazure/engine/test_recorded_responses.py`` checks the recorded fixtures.  What cannot be checked (data
planes, operation monitors, types without definitions) is counted and named, never passed silently."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from localazure.engine.conformance import Conformance


@dataclass
class RecordingReport:
    checked: int = 0
    errors: list[str] = field(default_factory=list)         # an answer Azure gave that our definitions refuse
    not_checked: dict[str, int] = field(default_factory=dict)  # why -> how many answers

    def skip(self, why: str) -> None:
        self.not_checked[why] = self.not_checked.get(why, 0) + 1

    def lines(self) -> list[str]:
        lines = [f"{self.checked} answers checked against localazure/specs, {len(self.errors)} disagree"]
        lines += [f"  disagrees: {error}" for error in self.errors]
        lines += [f"  not checked ({count}): {why}" for why, count in sorted(self.not_checked.items())]
        return lines


def carried_versions(specs_dir: Path, type_name: str) -> list[str]:
    namespace = specs_dir / "bicep-types" / type_name.split("/", 1)[0].lower()
    return sorted(path.name for path in namespace.iterdir() if (path / "types.json").is_file()) \
        if namespace.is_dir() else []


def nearest_version(carried: list[str], recorded: str | None) -> str | None:
    """The recorded api-version if carried, else the newest carried before it, else the oldest carried."""
    if not carried:
        return None
    if recorded in carried:
        return recorded
    older = [version for version in carried if recorded and version < recorded]
    return older[-1] if older else carried[0]


def _bodies(record: dict[str, Any]) -> list[Any]:
    body = record.get("body")
    # A list answer ({"value": [...], "nextLink"?}) is checked item by item; a single resource as a whole.
    if isinstance(body, dict) and isinstance(body.get("value"), list) and "id" not in body:
        return body["value"]
    return [body]


def check_recording(folder: Path, conformance: Conformance) -> RecordingReport:
    report = RecordingReport()
    for path in sorted(folder.glob("*.json")):
        record = json.loads(path.read_text())
        type_name, status = record.get("type_name"), record.get("status", 0)
        if not type_name:
            report.skip("data-plane answers (no Resource Manager type)")
            continue
        if not 200 <= status < 300 or record.get("body") in (None, {}):
            report.skip("answers without a resource body (errors, accepted operations, deletes)")
            continue
        version = nearest_version(carried_versions(conformance.specs_dir, type_name), record.get("recorded_api_version"))
        if version is None or not conformance.knows(type_name, version):
            report.skip(f"{type_name}: no definition carried")
            continue
        for body in _bodies(record):
            if not isinstance(body, dict):
                continue
            report.checked += 1
            for error in conformance.check_response(type_name, version, body).errors:
                report.errors.append(f"{path.name} {record.get('method')} {type_name}@{version}: {error}")
    return report
