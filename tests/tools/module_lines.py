"""Lines of code of each module in plugins/modules, with the DOCUMENTATION, EXAMPLES and RETURN strings left out.

Blank lines and comment-only lines are not counted either.  Prints one line per module (largest first), then the
maximum and the median, so the size of the module layer can be re-measured: python tests/tools/module_lines.py
"""
import ast
import statistics
import sys
from pathlib import Path

MODULES = Path(__file__).resolve().parents[2] / "plugins" / "modules"
DOC_NAMES = {"DOCUMENTATION", "EXAMPLES", "RETURN"}


def doc_lines(tree):
    """Line numbers covered by the module's documentation assignments."""
    covered = set()
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) in DOC_NAMES for t in node.targets):
            covered.update(range(node.lineno, node.end_lineno + 1))
    return covered


def code_lines(path):
    text = path.read_text(encoding="utf-8")
    docs = doc_lines(ast.parse(text))
    return sum(1 for number, line in enumerate(text.splitlines(), 1)
               if number not in docs and line.strip() and not line.strip().startswith("#"))


def main(directory=MODULES):
    counts = dict((path.stem, code_lines(path)) for path in sorted(Path(directory).glob("*.py")))
    for name, count in sorted(counts.items(), key=lambda item: -item[1]):
        print("%5d  %s" % (count, name))
    print("max %d, median %s, modules %d" % (max(counts.values()), statistics.median(counts.values()), len(counts)))


if __name__ == "__main__":
    main(*sys.argv[1:])
