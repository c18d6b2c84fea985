"""bench/task_cost.py and its README table: per-task cost x ping, per ansible-core of the range."""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

import report  # noqa: E402  pylint: disable=wrong-import-position,import-error
import task_cost  # noqa: E402  pylint: disable=wrong-import-position,import-error


def runs(*cpu_seconds):
    return [(cpu, 0.0, {}) for cpu in cpu_seconds]


def test_per_task_is_the_median_less_the_empty_play_over_the_tasks_and_x_the_reference():
    samples = {"empty play": runs(1.0, 9.0, 1.2), "ansible.builtin.ping": runs(5.0, 5.2, 30.0),
               "in the task's worker": runs(3.3, 3.2, 3.0)}
    assert task_cost.per_task(samples, 10) == {
        "ansible.builtin.ping": {"cpu_s_per_task": 0.4, "x_ping": 1.0},
        "in the task's worker": {"cpu_s_per_task": 0.2, "x_ping": 0.5},
    }


def test_core_table_compares_each_core_with_its_own_ping():
    samples = {"2.16": {"empty play": runs(1.0), "ansible.builtin.ping": runs(5.0), "in the task's worker": runs(3.0),
                        "module process": runs(9.0)},
               "2.19": {"empty play": runs(2.0), "ansible.builtin.ping": runs(4.0), "in the task's worker": runs(3.0),
                        "module process": runs(6.0)}}
    table = task_cost.core_table(samples, {"2.16": "2.16.19", "2.19": "2.19.14"}, 10)
    assert table["2.16"] == {"ansible_core": "2.16.19", "ping_cpu_s_per_task": 0.4,
                             "in_process": {"cpu_s_per_task": 0.2, "x_ping": 0.5},
                             "module_process": {"cpu_s_per_task": 0.8, "x_ping": 2.0}}
    assert table["2.19"]["in_process"]["x_ping"] == 0.5 and table["2.19"]["module_process"]["x_ping"] == 2.0


def test_core_pythons_take_this_venv_for_its_core_and_the_cores_venvs_for_the_others(tmp_path):
    for version in ("2.16", "2.18"):
        python = tmp_path / ".state" / "cores" / version / "bin" / "python"
        python.parent.mkdir(parents=True)
        python.write_text("")
    versions = {"/venv/python": "2.19.14", str(tmp_path / ".state/cores/2.16/bin/python"): "2.16.19",
                str(tmp_path / ".state/cores/2.18/bin/python"): "2.17.3"}  # a venv holding another core
    found, missing = task_cost.core_pythons(["2.16", "2.17", "2.18", "2.19"], main_python="/venv/python",
                                            root=tmp_path, version_of=lambda python: versions.get(str(python)))
    assert found == {"2.16": (str(tmp_path / ".state/cores/2.16/bin/python"), "2.16.19"),
                     "2.19": ("/venv/python", "2.19.14")}
    assert missing == ["2.17", "2.18"]


def test_the_readme_table_has_a_row_per_core_and_names_the_cores_not_measured():
    cores = {"2.16": {"ansible_core": "2.16.19", "ping_cpu_s_per_task": 0.4,
                      "in_process": {"cpu_s_per_task": 0.2, "x_ping": 0.5},
                      "module_process": {"cpu_s_per_task": 0.8, "x_ping": 2.0}}}
    lines = report.core_table(cores, ["2.17"])
    assert "| 2.16.19 | 0.400 | 0.50 | 2.00 |" in lines
    assert lines[-1] == "Not measured (no environment): ansible-core 2.17."
    assert report.core_table({}, []) == []


def test_each_table_says_the_day_and_commit_of_its_own_figures_and_when_a_day_was_not_recorded():
    assert report.when({"measured": "2026-12-08", "commit": "05a2b43"}) == "on 2026-12-08 at 05a2b43"
    assert report.when({"measured": "2026-12-07"}) == "on 2026-12-07"
    assert report.when({"commit": "964c6ae"}) == "on a day not recorded at 964c6ae"
    assert report.when({}) == "on a day not recorded"
