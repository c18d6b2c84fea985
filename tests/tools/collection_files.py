"""Print the collection's Ansible content: git-tracked plus untracked-but-not-ignored files, minus galaxy.yml's
build_ignore patterns (matched the way ansible-galaxy does: against the relative path and against each parent
directory) and minus what ships but is not Ansible content (OUTSIDE_SANITY). Used by tests/sanity/run to assemble
the tree that ansible-test checks."""
import fnmatch
import subprocess
import sys
from pathlib import Path

import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]
# Shipped in the tarball but not Ansible content: the local endpoint is a Python package of its own (pyproject.toml)
# with its own tests (tests/localazure). ansible-test's rules are written for plugins, roles and playbooks, and
# Microsoft's definitions in localazure/specs must stay as published (they hold Unicode quotes).
OUTSIDE_SANITY = ["localazure", "pyproject.toml"]


def build_ignore_patterns(root: Path) -> list[str]:
    galaxy = yaml.safe_load((root / "galaxy.yml").read_text(encoding="utf-8"))
    return list(galaxy.get("build_ignore") or [])


def is_ignored(relative_path: str, patterns: list[str]) -> bool:
    parts = relative_path.split("/")
    candidates = ["/".join(parts[:depth]) for depth in range(1, len(parts) + 1)]
    return any(fnmatch.fnmatch(candidate, pattern) for candidate in candidates for pattern in patterns)


def collection_files(root: Path) -> list[str]:
    listed = subprocess.run(
        ["git", "ls-files", "-co", "--exclude-standard", "-z"],
        cwd=root, check=True, capture_output=True,
    ).stdout.decode("utf-8").split("\0")
    patterns = build_ignore_patterns(root) + OUTSIDE_SANITY
    # a path git still lists after its deletion in the work tree is not part of the collection any more
    return sorted(path for path in listed if path and not is_ignored(path, patterns) and (root / path).exists())


if __name__ == "__main__":
    print("\n".join(collection_files(Path(sys.argv[1]) if len(sys.argv) > 1 else REPO_ROOT)))
