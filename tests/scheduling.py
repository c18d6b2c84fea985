"""Longest first: the order in which the integration and reliability suites hand their tests to pytest-xdist workers.

xdist gives out work in collection order (and `--dist loadfile` reorders files by their number of tests, which puts
the files that converge playbooks - few tests, minutes each - last). A long file started last keeps one worker busy
while the other has nothing left to do. Here the tests that run ansible-playbook come first, the files with the most
playbook runs before the others, so the short module tests fill the gaps at the end (with `--no-loadscope-reorder`
xdist keeps this order).

The weight of a test file is the number of places its source starts a playbook run (a `.run("` of the Playbooks
runner, a `run_role(` call, an `ansible-playbook` command, a copy of a converged site, which may be the run's
converge): a cheap, stable proxy for its duration that a new test file gets without registering anywhere.
Tests keep their order within a file (module-scoped fixtures depend on it).
"""
from __future__ import annotations

import re
from pathlib import Path

# upgrade_model.yml counts as a site.yml run: it ends in one.
PLAYBOOK_RUN = re.compile(r"""\.run\(\s*["'](?:site|teardown|onboard|upgrade_model)\.yml|\.run\(\s*["']\.\./|"""
                          r"""\bansible-playbook\b|\bstart_site\(|\brun_role\(|\brun_playbook\(|"""
                          r"""\bconverged_sites\.copy\(""")


def playbook_runs(path: Path, cache: dict) -> int:
    if path not in cache:
        cache[path] = len(PLAYBOOK_RUN.findall(path.read_text()))
    return cache[path]


def longest_first(items) -> None:
    """Reorder pytest items in place: files with more playbook runs first; the rest keep their collection order."""
    cache: dict = {}
    position = {}
    for index, item in enumerate(items):
        position.setdefault(item.path, index)
    items.sort(key=lambda item: (-playbook_runs(item.path, cache), position[item.path]))
