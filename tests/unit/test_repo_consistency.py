"""The repository agrees with itself: the action group, module docs, role metadata and the README tables.

Each check is a function of a repository root returning the problems it finds, so the tests run it on this
repository (must be clean) and on small synthetic trees (must report the drift)."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest
import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO_ROOT / "tests" / "tools"))
import collection_files  # noqa: E402  (tests/tools is not a package)
import readme_tables  # noqa: E402

SHARED_AUTH_FRAGMENT = "aigateway.foundry.azure"
# The one action plugin (plugins/action/azure_token.py): azure_token finds it by name, every other module by routing.
ACTION_PLUGIN = "aigateway.foundry.azure_token"
ACTION_PLUGIN_MODULE = ACTION_PLUGIN.rsplit(".", 1)[1]


def _fragments(doc: dict) -> list[str]:
    fragments = doc.get("extends_documentation_fragment") or []
    return [fragments] if isinstance(fragments, str) else list(fragments)


def action_group_problems(root: Path) -> list[str]:
    """meta/runtime.yml action_groups.azure must list exactly the modules that take the shared auth options."""
    runtime = yaml.safe_load((root / "meta" / "runtime.yml").read_text(encoding="utf-8")) or {}
    grouped = list((runtime.get("action_groups") or {}).get("azure") or [])
    with_auth = {path.stem for path in readme_tables.module_files(root)
                 if SHARED_AUTH_FRAGMENT in _fragments(readme_tables.module_docs(path)["doc"] or {})}
    problems = [f"action_groups.azure lists {name} twice" for name in sorted(set(grouped))
                if grouped.count(name) > 1]
    problems += [f"action_groups.azure lacks {name}" for name in sorted(with_auth - set(grouped))]
    problems += [f"action_groups.azure lists {name}, which is not a module with the shared auth options"
                 for name in sorted(set(grouped) - with_auth)]
    return problems


def action_routing_problems(root: Path) -> list[str]:
    """meta/runtime.yml gives every module in plugins/modules the one action plugin as its ``action_plugin`` (a module
    left out would always run as a module process: plugins/plugin_utils/in_process.py), and redirects no action (a
    redirect would make each module an alias of the plugin's namesake for ansible-lint's fqcn[canonical])."""
    runtime = yaml.safe_load((root / "meta" / "runtime.yml").read_text(encoding="utf-8")) or {}
    routing = runtime.get("plugin_routing") or {}
    routed = routing.get("modules") or {}
    # An action of its own that runs on the controller (await_job) is documented by a module file of its name and
    # is not routed: every other module runs through the one action plugin.
    own_actions = {path.stem for path in (root / "plugins" / "action").glob("*.py")} - {ACTION_PLUGIN_MODULE}
    modules = {path.stem for path in readme_tables.module_files(root)} - own_actions
    problems = [f"plugins/action/{name}.py has no module documenting it" for name in sorted(own_actions)
                if not (root / "plugins" / "modules" / f"{name}.py").exists()]
    problems += [] if ACTION_PLUGIN_MODULE in modules else [
        f"plugins/modules has no {ACTION_PLUGIN_MODULE}, the module that names (and documents) the action plugin"]
    problems += [f"plugin_routing.modules lacks {name}" for name in sorted(modules - set(routed))]
    problems += [f"plugin_routing.modules routes {name}, which has an action of its own (plugins/action/{name}.py)"
                 if name in own_actions else f"plugin_routing.modules routes {name}, which is not in plugins/modules"
                 for name in sorted(set(routed) - modules)]
    problems += [f"plugin_routing.modules.{name}.action_plugin is {(entry or {}).get('action_plugin')}, not {ACTION_PLUGIN}"
                 for name, entry in sorted(routed.items())
                 if name in modules and (entry or {}).get("action_plugin") != ACTION_PLUGIN]
    problems += [f"plugin_routing.action redirects {name}: modules name their action plugin instead"
                 for name in sorted(routing.get("action") or {})]
    return problems


def module_doc_problems(root: Path) -> list[str]:
    problems = []
    for path in readme_tables.module_files(root):
        docs = readme_tables.module_docs(path)
        for key, label in (("doc", "DOCUMENTATION"), ("examples", "EXAMPLES"), ("return", "RETURN")):
            if not docs[key]:
                problems.append(f"{path.name}: no {label}")
        if docs["doc"] and not docs["doc"].get("short_description"):
            problems.append(f"{path.name}: DOCUMENTATION has no short_description")
    return problems


def role_problems(root: Path) -> list[str]:
    problems = []
    for role in readme_tables.role_dirs(root):
        if not (role / "README.md").is_file():
            problems.append(f"role {role.name}: no README.md")
        if not (role / "meta" / "argument_specs.yml").is_file():
            problems.append(f"role {role.name}: no meta/argument_specs.yml")
        elif not readme_tables.role_short_description(role):
            problems.append(f"role {role.name}: meta/argument_specs.yml has no main.short_description")
    return problems


def readme_problems(root: Path) -> list[str]:
    try:
        stale = readme_tables.drift(root)
    except (OSError, ValueError) as exc:
        return [str(exc)]
    return [f"README.md {section} table is out of date: run python tests/tools/readme_tables.py --write"
            for section in stale]


# --- this repository ---------------------------------------------------------------------------------------------

def test_action_group_lists_exactly_the_modules_with_shared_auth():
    problems = action_group_problems(REPO_ROOT)
    assert not problems, "\n".join(problems)


def test_every_module_has_documentation_examples_and_return():
    problems = module_doc_problems(REPO_ROOT)
    assert not problems, "\n".join(problems)


def test_every_module_is_routed_to_the_one_action_plugin():
    problems = action_routing_problems(REPO_ROOT)
    assert not problems, "\n".join(problems)


def test_every_role_has_readme_and_argument_specs():
    problems = role_problems(REPO_ROOT)
    assert not problems, "\n".join(problems)


def test_readme_tables_match_module_and_role_descriptions():
    problems = readme_problems(REPO_ROOT)
    assert not problems, "\n".join(problems)


# --- the checks catch drift --------------------------------------------------------------------------------------

README_SKELETON = """# x

<!-- BEGIN MODULES -->
<!-- END MODULES -->

<!-- BEGIN ROLES -->
<!-- END ROLES -->
"""


def _module_source(name: str, short_description: str, with_auth: bool = True, with_return: bool = True) -> str:
    lines = ['DOCUMENTATION = r"""', f"module: {name}", f"short_description: {short_description}",
             "description: [A test module.]"]
    if with_auth:
        lines.append(f"extends_documentation_fragment: [{SHARED_AUTH_FRAGMENT}]")
    lines += ["options: {}", '"""', 'EXAMPLES = r"""', "- name: Use it", f"  aigateway.foundry.{name}: {{}}", '"""']
    if with_return:
        lines += ['RETURN = r"""', "id:", "  description: The id.", "  returned: always", "  type: str", '"""']
    return "\n".join(lines) + "\n"


@pytest.fixture
def tree(tmp_path):
    (tmp_path / "plugins" / "modules").mkdir(parents=True)
    (tmp_path / "roles").mkdir()
    (tmp_path / "meta").mkdir()
    (tmp_path / "README.md").write_text(README_SKELETON)
    (tmp_path / "meta" / "runtime.yml").write_text("---\nrequires_ansible: '>=2.16.0'\naction_groups:\n  azure: []\n")
    return tmp_path


def _add_module(root: Path, name: str, **kwargs) -> None:
    (root / "plugins" / "modules" / f"{name}.py").write_text(
        _module_source(name, kwargs.pop("short_description", f"Manage {name}"), **kwargs))


def _add_role(root: Path, name: str, short_description: str | None = "Deploy it", readme: bool = True) -> None:
    (root / "roles" / name / "meta").mkdir(parents=True)
    if readme:
        (root / "roles" / name / "README.md").write_text(f"# {name}\n")
    if short_description is not None:
        specs = {"argument_specs": {"main": {"short_description": short_description, "options": {}}}}
        (root / "roles" / name / "meta" / "argument_specs.yml").write_text(yaml.safe_dump(specs))


def _set_action_group(root: Path, names: list[str]) -> None:
    runtime = {"requires_ansible": ">=2.16.0", "action_groups": {"azure": names}}
    (root / "meta" / "runtime.yml").write_text(yaml.safe_dump(runtime))


def test_empty_tree_is_consistent(tree):
    assert action_group_problems(tree) + module_doc_problems(tree) + role_problems(tree) + readme_problems(tree) == []


def test_action_group_drift_is_reported(tree):
    _add_module(tree, "resource_group")
    _add_module(tree, "policy_check", with_auth=False)
    _set_action_group(tree, ["policy_check", "gone"])
    assert action_group_problems(tree) == [
        "action_groups.azure lacks resource_group",
        "action_groups.azure lists gone, which is not a module with the shared auth options",
        "action_groups.azure lists policy_check, which is not a module with the shared auth options",
    ]
    _set_action_group(tree, ["resource_group"])
    assert action_group_problems(tree) == []


def test_action_routing_drift_is_reported(tree):
    (tree / "plugins" / "action").mkdir()
    (tree / "plugins" / "action" / "azure_token.py").write_text("")
    _add_module(tree, "resource_group")
    _add_module(tree, "key_vault")
    runtime = {"plugin_routing": {"modules": {"resource_group": {"action_plugin": ACTION_PLUGIN},
                                              "gone": {"action_plugin": ACTION_PLUGIN}}}}
    (tree / "meta" / "runtime.yml").write_text(yaml.safe_dump(runtime))
    assert action_routing_problems(tree) == [
        "plugins/modules has no azure_token, the module that names (and documents) the action plugin",
        "plugin_routing.modules lacks key_vault",
        "plugin_routing.modules routes gone, which is not in plugins/modules",
    ]
    _add_module(tree, "azure_token")
    runtime["plugin_routing"] = {
        "modules": {"resource_group": {"action_plugin": ACTION_PLUGIN},
                    "key_vault": {"action_plugin": "aigateway.foundry.key_vault"},
                    "azure_token": {"action_plugin": ACTION_PLUGIN}},
        "action": {"resource_group": {"redirect": ACTION_PLUGIN}}}
    (tree / "meta" / "runtime.yml").write_text(yaml.safe_dump(runtime))
    (tree / "plugins" / "action" / "key_vault.py").write_text("")
    assert action_routing_problems(tree) == [
        "plugin_routing.modules routes key_vault, which has an action of its own (plugins/action/key_vault.py)",
        "plugin_routing.action redirects resource_group: modules name their action plugin instead",
    ]
    runtime["plugin_routing"] = {"modules": {name: {"action_plugin": ACTION_PLUGIN}
                                             for name in ("resource_group", "key_vault", "azure_token")}}
    (tree / "meta" / "runtime.yml").write_text(yaml.safe_dump(runtime))
    (tree / "plugins" / "action" / "key_vault.py").unlink()
    assert action_routing_problems(tree) == []


def test_module_without_return_is_reported(tree):
    _add_module(tree, "resource_group", with_return=False)
    assert module_doc_problems(tree) == ["resource_group.py: no RETURN"]


def test_role_without_readme_or_specs_is_reported(tree):
    _add_role(tree, "monitoring", readme=False)
    _add_role(tree, "gateway", short_description=None)
    assert role_problems(tree) == ["role gateway: no meta/argument_specs.yml", "role monitoring: no README.md"]


def test_readme_tables_drift_and_write_fixes_it(tree):
    _add_module(tree, "resource_group", short_description="Create a resource group")
    _add_role(tree, "monitoring", short_description="Monitoring | logs")
    assert readme_problems(tree) == [
        "README.md MODULES table is out of date: run python tests/tools/readme_tables.py --write",
        "README.md ROLES table is out of date: run python tests/tools/readme_tables.py --write",
    ]
    assert readme_tables.main(["--check", "--root", str(tree)]) == 1
    assert readme_tables.main(["--write", "--root", str(tree)]) == 0
    assert readme_problems(tree) == []
    text = (tree / "README.md").read_text()
    assert "| [`aigateway.foundry.resource_group`](plugins/modules/resource_group.py) | Create a resource group |" in text
    assert "| [`aigateway.foundry.monitoring`](roles/monitoring/README.md) | Monitoring \\| logs |" in text
    # a changed short_description is drift again
    _add_module(tree, "resource_group", short_description="Manage a resource group")
    assert readme_problems(tree) == [
        "README.md MODULES table is out of date: run python tests/tools/readme_tables.py --write"]


def test_readme_without_markers_is_reported(tree):
    (tree / "README.md").write_text("# x\n")
    assert readme_problems(tree) == [
        "README.md lacks the markers <!-- BEGIN MODULES --> ... <!-- END MODULES -->"]


# --- the file list the sanity tree is built from ---------------------------------------------------------------


@pytest.mark.parametrize("path, ignored", [
    ("tests/output/junit.xml", True),
    ("tests/outputs.py", False),
    ("localazure/server.py", True),
    ("plugins/modules/localazure.py", False),
    ("build/x/y.py", True),
    ("dist/aigateway-foundry-0.1.0.tar.gz", True),
])
def test_build_ignore_matches_paths_and_their_parents(path, ignored):
    patterns = ["tests/output", "localazure", "build", "*.tar.gz"]
    assert collection_files.is_ignored(path, patterns) is ignored


def test_sanity_tree_holds_every_module_and_none_of_the_local_tooling():
    files = collection_files.collection_files(REPO_ROOT)
    assert {f"plugins/modules/{path.name}" for path in readme_tables.module_files(REPO_ROOT)} <= set(files)
    patterns = collection_files.build_ignore_patterns(REPO_ROOT)
    assert [path for path in files if collection_files.is_ignored(path, patterns)] == []
    assert not [path for path in files if path.startswith((".venv/", ".state/", "localazure/", ".collections/"))]
