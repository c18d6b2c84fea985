"""Generate README.md's module and role tables from the code, or check that they are current.

    python tests/tools/readme_tables.py --check   # exit 1 and show the expected table when README.md drifted
    python tests/tools/readme_tables.py --write   # rewrite the tables in place

Modules: one row per plugins/modules/*.py with its DOCUMENTATION short_description (read with ansible's own
docstring reader, as ansible-doc does, without importing the module). Roles: one row per roles/*/ with the
short_description of meta/argument_specs.yml's `main` entry point. The tables sit between the markers
<!-- BEGIN MODULES --> <!-- END MODULES --> and <!-- BEGIN ROLES --> <!-- END ROLES -->.
"""
from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import yaml
from ansible.parsing.plugin_docs import read_docstring

REPO_ROOT = Path(__file__).resolve().parents[2]
COLLECTION = "aigateway.foundry"
SECTIONS = ("MODULES", "ROLES")


def module_files(root: Path) -> list[Path]:
    return sorted(p for p in (root / "plugins" / "modules").glob("*.py") if p.name != "__init__.py")


def module_docs(path: Path) -> dict:
    """DOCUMENTATION, EXAMPLES and RETURN of a module file as ansible-doc reads them (None where absent)."""
    docs = read_docstring(str(path.resolve()))
    return {"doc": docs.get("doc"), "examples": docs.get("plainexamples"), "return": docs.get("returndocs")}


def role_dirs(root: Path) -> list[Path]:
    return sorted(p for p in (root / "roles").glob("*") if p.is_dir())


def role_short_description(role: Path) -> str:
    specs_file = role / "meta" / "argument_specs.yml"
    if not specs_file.is_file():
        return ""
    specs = yaml.safe_load(specs_file.read_text(encoding="utf-8")) or {}
    return ((specs.get("argument_specs") or {}).get("main") or {}).get("short_description") or ""


def _cell(text: str) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def _table(header: str, rows: list[str]) -> str:
    """A markdown table, or nothing at all when there are no rows (an empty section between its markers)."""
    return "\n".join([f"| {header} | Description |", "| --- | --- |", *rows]) if rows else ""


def modules_table(root: Path) -> str:
    rows = []
    for path in module_files(root):
        doc = module_docs(path)["doc"] or {}
        rows.append(f"| [`{COLLECTION}.{path.stem}`](plugins/modules/{path.name}) | "
                    f"{_cell(doc.get('short_description', ''))} |")
    return _table("Module", rows)


def roles_table(root: Path) -> str:
    rows = []
    for role in role_dirs(root):
        rows.append(f"| [`{COLLECTION}.{role.name}`](roles/{role.name}/README.md) | "
                    f"{_cell(role_short_description(role))} |")
    return _table("Role", rows)


def _section_pattern(section: str) -> re.Pattern:
    return re.compile(rf"(<!-- BEGIN {section} -->\n)(.*?)(<!-- END {section} -->)", re.DOTALL)


def render(readme_text: str, root: Path) -> str:
    """README text with both tables regenerated; raises ValueError when a marker pair is missing."""
    tables = {"MODULES": modules_table(root), "ROLES": roles_table(root)}
    for section in SECTIONS:
        pattern = _section_pattern(section)
        if not pattern.search(readme_text):
            raise ValueError(f"README.md lacks the markers <!-- BEGIN {section} --> ... <!-- END {section} -->")
        body = tables[section] + "\n" if tables[section] else ""
        readme_text = pattern.sub(lambda match, body=body: match.group(1) + body + match.group(3), readme_text, count=1)
    return readme_text


def drift(root: Path) -> list[str]:
    """Sections whose table in README.md differs from the generated one."""
    readme_text = (root / "README.md").read_text(encoding="utf-8")
    expected = render(readme_text, root)
    return [section for section in SECTIONS
            if _section_pattern(section).search(readme_text).group(2)
            != _section_pattern(section).search(expected).group(2)]


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--check", action="store_true", help="fail when README.md's tables are not current")
    mode.add_argument("--write", action="store_true", help="regenerate README.md's tables in place")
    parser.add_argument("--root", type=Path, default=REPO_ROOT, help="repository root (default: this one)")
    args = parser.parse_args(argv)
    readme = args.root / "README.md"
    if args.write:
        readme.write_text(render(readme.read_text(encoding="utf-8"), args.root), encoding="utf-8")
        return 0
    stale = drift(args.root)
    if stale:
        print(f"README.md tables out of date: {', '.join(stale)}; run: python tests/tools/readme_tables.py --write",
              file=sys.stderr)
        tables = {"MODULES": modules_table(args.root), "ROLES": roles_table(args.root)}
        for section in stale:
            print(f"\nexpected {section} table:\n{tables[section]}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
