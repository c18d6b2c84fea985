"""The local endpoint's layout holds (design review (d)): one package per service under localazure/services/, a
service reads another only through its state.py, the engine imports no service, no import circle, and every
key-value table is named and used in one package only."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2] / "localazure"
TOP_LEVEL_MODULES = {"__init__", "__main__", "server", "certs", "identity"}
# What a service may import of the endpoint besides its own package: the engine, identity, the services root
# (Service, Env, Plane, Control) and another service's read API.
SHARED = ("localazure.engine", "localazure.identity")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _sources() -> dict[str, Path]:
    return {_module_name(path): path for path in ROOT.rglob("*.py") if "specs" not in path.parts}


MODULES = _sources()


def _runtime_nodes(tree: ast.AST):
    """Every node but those under `if TYPE_CHECKING:`: an import for annotations only is no runtime dependency."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING":
            yield from (inner for branch in node.orelse for inner in [branch, *_runtime_nodes(branch)])
            continue
        yield node
        yield from _runtime_nodes(node)


def _imports(name: str) -> set[str]:
    """Every localazure module `name` imports, anywhere in it (a function-level import counts too): `from
    package import module` names the module, not the package."""
    found = set()
    for node in _runtime_nodes(ast.parse(MODULES[name].read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                child = f"{node.module}.{alias.name}"
                found.add(child if child in MODULES else node.module)
    return {module for module in found if module.split(".")[0] == "localazure"}


def _service(module: str) -> str | None:
    parts = module.split(".")
    return parts[2] if len(parts) > 2 and parts[1] == "services" else None


def test_the_top_level_holds_only_the_entry_points_the_engine_and_the_services():
    modules = {path.stem for path in ROOT.glob("*.py")}
    packages = {path.name for path in ROOT.iterdir() if (path / "__init__.py").exists()}
    assert modules == TOP_LEVEL_MODULES
    assert packages == {"engine", "services"}


def test_every_service_is_a_package_that_declares_its_service():
    from localazure.services import services
    packages = {path.name for path in (ROOT / "services").iterdir() if (path / "__init__.py").exists()}
    assert set(services()) == packages


def test_the_engine_imports_no_service():
    reaching = {name: sorted(module for module in _imports(name) if _service(module) or module == "localazure.services")
                for name in MODULES if name.startswith("localazure.engine")}
    assert {name: modules for name, modules in reaching.items() if modules} == {}


def test_the_server_names_no_service():
    """server.py mounts what discovery returns: it imports no service package, only the services root."""
    assert sorted(module for module in _imports("localazure.server") if _service(module)) == []


@pytest.mark.parametrize("name", sorted(name for name in MODULES if _service(name)))
def test_a_service_reads_another_only_through_its_state_module(name):
    own = _service(name)
    wrong = sorted(module for module in _imports(name)
                   if not module.startswith(SHARED) and module != "localazure.services"
                   and _service(module) != own and not module.endswith(".state"))
    assert wrong == []


def test_no_import_circle():
    graph = {name: _imports(name) & set(MODULES) for name in MODULES}
    done, path = set(), []

    def visit(name):
        if name in path:
            raise AssertionError("import circle: " + " -> ".join(path[path.index(name):] + [name]))
        if name in done:
            return
        path.append(name)
        for module in sorted(graph[name]):
            visit(module)
        path.pop()
        done.add(name)

    for name in sorted(graph):
        visit(name)


def _tables() -> dict[str, tuple[str, str]]:
    """NAME_TABLE -> (defining module, table string) for every key-value table the endpoint declares."""
    found = {}
    for name, path in MODULES.items():
        for node in ast.parse(path.read_text()).body:
            if not isinstance(node, ast.Assign):
                continue
            for target in node.targets:
                names = target.elts if isinstance(target, ast.Tuple) else [target]
                values = node.value.elts if isinstance(node.value, ast.Tuple) else [node.value]
                for each, value in zip(names, values):
                    if isinstance(each, ast.Name) and each.id.endswith("_TABLE") and isinstance(value, ast.Constant):
                        found.setdefault(each.id, []).append((name, value.value))
    return found


def _home(module: str) -> str:
    return _service(module) or module.split(".")[1]


def test_every_table_is_declared_once_and_used_only_inside_its_package():
    tables = _tables()
    strings = [value for entries in tables.values() for _, value in entries]
    assert sorted(value for value in set(strings) if strings.count(value) > 1) == []   # no re-declared table
    homes = {table: {_home(owner) for owner, _ in entries} for table, entries in tables.items()}
    outside = set()
    for name, path in MODULES.items():
        for node in ast.walk(ast.parse(path.read_text())):
            used = node.id if isinstance(node, ast.Name) else node.attr if isinstance(node, ast.Attribute) else \
                node.name if isinstance(node, ast.alias) else None
            if used in homes and _home(name) not in homes[used]:
                outside.add(f"{name} uses {used}")
    assert sorted(outside) == []


TESTS = Path(__file__).resolve().parent / "services"


def _service_packages() -> set[str]:
    return {path.name for path in (ROOT / "services").iterdir() if (path / "__init__.py").exists()}


def _test_folders() -> set[str]:
    return {path.name for path in TESTS.iterdir() if path.is_dir() and path.name != "__pycache__"}


def test_every_service_package_has_a_test_folder_with_tests():
    """tests/localazure/services/ mirrors localazure/services/ (issue 22): a service's tests are found under its
    own namespace, not inside another service's file."""
    untested = sorted(name for name in _service_packages() if not any((TESTS / name).glob("test_*.py")))
    assert untested == []


def test_no_test_folder_without_its_service_package():
    assert sorted(_test_folders() - _service_packages()) == []
