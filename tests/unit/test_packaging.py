"""The local endpoint's Python package agrees with the collection: one version, and the collection's requirements
carry the endpoint's, so that an installed collection plus `pip install -r requirements.txt` runs local mode."""
from __future__ import annotations

import re
import tomllib
from pathlib import Path

import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]


def requirement_lines(path: Path) -> set[str]:
    """The requirements of a pip requirements file, comments and blank lines dropped, spaces removed."""
    lines = (re.sub(r"\s+#.*$|^#.*$", "", line).replace(" ", "") for line in path.read_text().splitlines())
    return {line for line in lines if line}


def test_package_version_is_the_collections():
    pyproject = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())
    galaxy = yaml.safe_load((REPO_ROOT / "galaxy.yml").read_text())
    assert pyproject["project"]["version"] == galaxy["version"]


def test_collection_requirements_carry_the_endpoints():
    endpoint = requirement_lines(REPO_ROOT / "localazure" / "requirements.txt")
    assert endpoint, "localazure/requirements.txt lists nothing"
    assert endpoint - requirement_lines(REPO_ROOT / "requirements.txt") == set()


def test_package_dependencies_are_the_endpoints_requirements():
    pyproject = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())
    assert pyproject["tool"]["setuptools"]["dynamic"]["dependencies"] == {"file": ["localazure/requirements.txt"]}


def test_requirement_lines_drop_comments(tmp_path):
    path = tmp_path / "requirements.txt"
    path.write_text("# heading\naiohttp>=3.9\njsonschema >= 4.20  # why\n\n")
    assert requirement_lines(path) == {"aiohttp>=3.9", "jsonschema>=4.20"}
