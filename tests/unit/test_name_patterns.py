"""Every pattern of plugins/ ends a match at the end of the string: in Python "$" also matches before a trailing
newline, so re.match(r"^team$", "team\\n") succeeds and a name with a newline reaches Azure (issue 21 item 3). A
pattern is anchored with \\A ... \\Z (or matched with fullmatch), never with "$"; the Jinja tests in roles and
playbooks (match, search, regex) use Python's re the same way."""
import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
RE_CALLS = {"compile", "match", "search", "fullmatch"}
# "$" not preceded by a backslash, and not inside a character class like [$]
DOLLAR = re.compile(r"(?<!\\)\$(?![^\[]*\])")


def python_patterns():
    for path in sorted((ROOT / "plugins").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in RE_CALLS
                    and isinstance(node.func.value, ast.Name) and node.func.value.id == "re" and node.args
                    and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)):
                yield "%s:%d" % (path.relative_to(ROOT), node.lineno), node.args[0].value
            # NameRule("noun", shortest, longest, pattern, ...) and the shared (pattern, rule) pairs of validation.py
            if (isinstance(node, ast.Call) and getattr(node.func, "id", None) == "NameRule" and len(node.args) > 3
                    and isinstance(node.args[3], ast.Constant)):
                yield "%s:%d" % (path.relative_to(ROOT), node.lineno), node.args[3].value


def jinja_patterns():
    for path in sorted(list((ROOT / "roles").rglob("*.yml")) + list((ROOT / "playbooks").rglob("*.yml"))):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            for found in re.finditer(r"is (?:match|search|regex)\(\s*'([^']*)'", line):
                yield "%s:%d" % (path.relative_to(ROOT), number), found.group(1)


PATTERNS = list(python_patterns()) + list(jinja_patterns())


def test_the_scan_finds_the_patterns():
    assert len(PATTERNS) > 20


@pytest.mark.parametrize("where, pattern", PATTERNS, ids=[case[0] for case in PATTERNS])
def test_no_pattern_ends_with_dollar(where, pattern):
    assert not DOLLAR.search(pattern), (
        "%s: pattern %r ends a match with '$', which accepts a trailing newline: anchor it with \\Z" % (where, pattern))


def test_a_trailing_newline_is_refused_by_every_name_rule():
    from ansible_collections.aigateway.foundry.plugins.module_utils import validation

    for type_name, rule in validation.NAME_RULES.items():
        good = {"Microsoft.Resources/resourceGroups": "rg-1", "Microsoft.ApiManagement/service/apis": "api-1"}.get(
            type_name, "abcd-1")
        assert validation.name_problem(type_name, good) is None, type_name
        assert validation.name_problem(type_name, good + "\n"), type_name
