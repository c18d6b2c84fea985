"""tests/scheduling.py: the integration and reliability suites hand out the files that run playbooks first."""
from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

from tests.scheduling import longest_first, playbook_runs

ROOT = Path(__file__).resolve().parents[2]


def items_of(files, tmp_path):
    """Two test items per file, in the order given; each file holds the source given for it."""
    items = []
    for name, source in files:
        path = tmp_path / name
        path.write_text(source)
        items += [SimpleNamespace(path=path, name="%s::test_%d" % (name, n)) for n in (1, 2)]
    return items


def test_files_with_more_playbook_runs_go_first_and_keep_their_tests_in_order(tmp_path):
    items = items_of([("test_module.py", "run_module('x', {})\n"),
                      ("test_one_site.py", 'runner.run("site.yml")\n'),
                      ("test_other_module.py", "pass\n"),
                      ("test_many.py", 'p.run("site.yml")\np.run("teardown.yml", "-e", x)\nrun_role(vars)\n'),
                      ("test_copy.py", "converged_sites.copy(path)\n")], tmp_path)
    longest_first(items)
    assert [item.name for item in items] == [
        "test_many.py::test_1", "test_many.py::test_2", "test_one_site.py::test_1", "test_one_site.py::test_2",
        "test_copy.py::test_1", "test_copy.py::test_2", "test_module.py::test_1", "test_module.py::test_2",
        "test_other_module.py::test_1", "test_other_module.py::test_2"]


def test_the_suites_longest_files_weigh_more_than_their_module_tests():
    cache = {}
    weight = {name: playbook_runs(ROOT / "tests" / name, cache) for name in (
        "integration/test_playbooks.py", "integration/test_upgrade_model.py", "integration/test_verify_agent_path.py",
        "integration/test_in_process.py",
        "reliability/test_kills.py", "integration/test_resource_group.py", "reliability/test_bad_module_inputs.py")}
    assert min(weight["integration/test_playbooks.py"], weight["reliability/test_kills.py"]) >= 5, weight
    # each upgrade_model.yml run takes a site.yml run's time (the upgrade ends in site.yml)
    assert weight["integration/test_upgrade_model.py"] >= 8, weight
    assert weight["integration/test_verify_agent_path.py"] > 0 and weight["integration/test_in_process.py"] > 0
    assert weight["integration/test_resource_group.py"] == weight["reliability/test_bad_module_inputs.py"] == 0
