"""The reliability suite: site.yml and teardown.yml under injected faults, SIGKILLs, bad input and a secret scan.

Each test (or catalogue) works against endpoints of its own (state dirs under pytest's tmp), so tests run side by side
(`-n 2`).  Every test adds rows to the figures table (`figures.add(...)`); the session prints the
table at its end and writes it to build/reliability/figures.json, from which README's "Reliability" section is
updated.

Environment:
  RELIABILITY_SEEDS   comma-separated fault seeds per rate (default "11": one run per rate; "11,12,13" for the
                      full matrix)
"""
from __future__ import annotations

import json
import uuid

import pytest

# The fixture, shared with integration: imported for pytest to find, never named here.
from tests.integration.converged import converged_sites  # noqa: F401 pylint: disable=unused-import
from tests.reliability.harness import ROOT
from tests.scheduling import longest_first

FIGURES_DIR = ROOT / "build" / "reliability"


class Figures:
    """Rows of the table: (section, case, result, detail), one JSON file per row (xdist workers write, the
    controller prints)."""

    def add(self, section, case, result, detail=""):
        FIGURES_DIR.mkdir(parents=True, exist_ok=True)
        row = {"section": section, "case": case, "result": result, "detail": detail}
        (FIGURES_DIR / ("row-%s.json" % uuid.uuid4().hex)).write_text(json.dumps(row))


@pytest.fixture(scope="session")
def figures():
    return Figures()


def pytest_collection_modifyitems(items):
    """The tests that run playbooks most go first (tests/scheduling.py): no long test is left for the end."""
    longest_first(items)


def pytest_sessionstart(session):
    if not hasattr(session.config, "workerinput"):   # the controller (or a run without xdist) starts clean
        for row in FIGURES_DIR.glob("row-*.json") if FIGURES_DIR.exists() else []:
            row.unlink()


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    if hasattr(config, "workerinput") or not FIGURES_DIR.exists():
        return
    rows = sorted((json.loads(path.read_text()) for path in FIGURES_DIR.glob("row-*.json")),
                  key=lambda row: (row["section"], row["case"]))
    if not rows:
        return
    (FIGURES_DIR / "figures.json").write_text(json.dumps(rows, indent=1))
    widths = [max(len(str(row[key])) for row in rows + [dict(section="section", case="case", result="result",
                                                             detail="detail")])
              for key in ("section", "case", "result", "detail")]
    line = "| " + " | ".join("%%-%ds" % width for width in widths) + " |"
    terminalreporter.write_sep("=", "reliability figures")
    terminalreporter.write_line(line % ("section", "case", "result", "detail"))
    terminalreporter.write_line("|" + "|".join("-" * (width + 2) for width in widths) + "|")
    for row in rows:
        terminalreporter.write_line(line % (row["section"], row["case"], row["result"], row["detail"]))
