"""execution-environment.yml: one definition for the users' pinned public base and CI's Debian base.

CI builds it with `tests/ee/build-image --ci-base`, which overrides build arguments of the generated Containerfile.
These tests hold that override to the base alone (image, interpreter, its package, package manager) and bindep.txt
to resolving on both bases.
"""
from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from bindep.depends import Depends

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFINITION = yaml.safe_load((REPO_ROOT / "execution-environment.yml").read_text())
BASE_ARGUMENTS = {"EE_BASE_IMAGE", "PYCMD", "PYPKG", "PKGMGR"}
PLATFORMS = {"rpm": ["platform:rpm", "platform:redhat", "platform:rhel"], "dpkg": ["platform:dpkg", "platform:debian"]}


def ci_build_args() -> dict[str, str]:
    printed = subprocess.run(["bash", str(REPO_ROOT / "tests/ee/build-image"), "--print-ci-build-args"],
                             capture_output=True, text=True, check=True).stdout
    return dict(line.split("=", 1) for line in printed.splitlines())


@pytest.fixture(scope="module")
def containerfile_args(tmp_path_factory) -> dict[str, str]:
    """The ARG defaults of the Containerfile ansible-builder generates from the definition (the files it copies
    are stood in for: the collection tarball is built by tests/ee/build-image)."""
    work = tmp_path_factory.mktemp("ee")
    for name in ("execution-environment.yml", "requirements.txt", "bindep.txt"):
        shutil.copy(REPO_ROOT / name, work / name)
    for entry in DEFINITION.get("additional_build_files", []):
        source = work / entry["src"]
        source.parent.mkdir(parents=True, exist_ok=True)
        if (REPO_ROOT / entry["src"]).is_dir():
            source.mkdir()
        else:
            source.write_bytes(b"stand-in")
    builder = Path(sys.executable).parent / "ansible-builder"
    # the Containerfile, as podman builds it in tests/ee/build-image: left to itself, ansible-builder names the file
    # after the runtime it finds (a Dockerfile where docker is installed)
    subprocess.run([str(builder), "create", "--file", "execution-environment.yml", "--context", "context",
                    "--output-filename", "Containerfile"], cwd=work, capture_output=True, text=True, check=True)
    text = (work / "context" / "Containerfile").read_text()
    return dict(re.findall(r'^ARG (\w+)="(.*)"$', text, re.MULTILINE))


def test_the_ci_override_is_the_base_and_nothing_else(containerfile_args):
    overrides = ci_build_args()
    assert set(overrides) == BASE_ARGUMENTS
    # each overridden argument carries one of the definition's base settings, and CI really changes it
    assert containerfile_args["EE_BASE_IMAGE"] == DEFINITION["images"]["base_image"]["name"]
    assert containerfile_args["PYCMD"] == DEFINITION["dependencies"]["python_interpreter"]["python_path"]
    assert containerfile_args["PYPKG"] == DEFINITION["dependencies"]["python_interpreter"]["package_system"]
    assert containerfile_args["PKGMGR"] == DEFINITION["options"]["package_manager_path"]
    assert all(overrides[name] != containerfile_args[name] for name in BASE_ARGUMENTS)


def test_the_users_base_is_a_pinned_public_image():
    name = DEFINITION["images"]["base_image"]["name"]
    # registry host / repository : a release tag (a digit first: not latest, not a moving stream name)
    parts = re.fullmatch(r"(?P<registry>[^/]+)/(?P<repository>[^:]+):(?P<tag>\d[\w.-]*)", name)
    assert parts, "pinned to a release: %s" % name
    assert "." in parts["registry"] and parts["registry"] != "localhost", "a public registry, not a local image: %s" % name


@pytest.mark.parametrize("platform, python_package", [
    ("rpm", DEFINITION["dependencies"]["python_interpreter"]["package_system"]),
    ("dpkg", ci_build_args()["PYPKG"]),
])
def test_bindep_resolves_on_both_bases(platform, python_package):
    packages = [rule[0] for rule in Depends((REPO_ROOT / "bindep.txt").read_text()).active_rules(PLATFORMS[platform])]
    # TLS roots, and on each base exactly the Python that base's interpreter comes from
    assert sorted(packages) == sorted(["ca-certificates", python_package])


def test_the_collection_in_the_image_is_built_from_the_checkout():
    collections = DEFINITION["dependencies"]["galaxy"]["collections"]
    assert collections == [{"name": "collection/aigateway-foundry.tar.gz", "type": "file"}]
    copied = {entry["dest"]: entry["src"] for entry in DEFINITION["additional_build_files"]}
    assert copied["collection"] == "build/ee-collection/aigateway-foundry.tar.gz"
    assert DEFINITION["dependencies"]["python"] == "requirements.txt"


def test_the_endpoint_reaches_the_image_one_way():
    """Either the collection ships the endpoint (galaxy.yml does not ignore localazure/) or the definition copies it
    from the checkout, not both: once the collection carries it, drop the copy and its PYTHONPATH."""
    shipped = "localazure" not in yaml.safe_load((REPO_ROOT / "galaxy.yml").read_text())["build_ignore"]
    copied = any(entry["src"] == "localazure" for entry in DEFINITION.get("additional_build_files", []))
    assert shipped != copied, ("the collection ships localazure/: remove its copy (additional_build_files and the "
                               "append_final lines) from execution-environment.yml" if shipped else
                               "the image has no local endpoint")
