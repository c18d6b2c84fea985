"""Lines of code of each module in plugins/modules, with the DOCUMENTATION, EXAMPLES and RETURN strings left out.

Blank lines and comment-only lines are not counted either.  Prints one line per module (largest first), then the
maximum and the median, and any module or median over the limits (200 and 80 lines), so the size of the module layer
can be re-measured: python tests/tools/module_lines.py  (tests/unit/test_module_size.py holds the limits).
"""
import ast
import statistics
import sys
from pathlib import Path

MODULES = Path(__file__).resolve().parents[2] / "plugins" / "modules"
DOC_NAMES = {"DOCUMENTATION", "EXAMPLES", "RETURN"}
LARGEST, MEDIAN = 200, 80


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


def module_counts(directory=MODULES):
    """Module name -> code lines, for every module of ``directory``."""
    return dict((path.stem, code_lines(path)) for path in sorted(Path(directory).glob("*.py")))


def size_problems(counts, largest=LARGEST, median=MEDIAN):
    """The modules over ``largest`` lines and a median over ``median`` (issue 11's limits), as messages."""
    problems = ["%s has %d code lines (at most %d)" % (name, count, largest)
                for name, count in sorted(counts.items()) if count > largest]
    middle = statistics.median(counts.values()) if counts else 0
    if middle > median:
        problems.append("the median module has %s code lines (at most %d)" % (middle, median))
    return problems


def main(directory=MODULES):
    counts = module_counts(directory)
    for name, count in sorted(counts.items(), key=lambda item: -item[1]):
        print("%5d  %s" % (count, name))
    print("max %d, median %s, modules %d" % (max(counts.values()), statistics.median(counts.values()), len(counts)))
    for problem in size_problems(counts):
        print(problem)


if __name__ == "__main__":
    main(*sys.argv[1:])
