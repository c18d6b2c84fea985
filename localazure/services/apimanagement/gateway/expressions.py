"""APIM policy expressions (`@(...)` and `@{...}` attribute values), the subset our policies and the lab's use.

APIM evaluates policy expressions as C# (learn.microsoft.com/azure/api-management/api-management-policy-
expressions).  This is an honest, small evaluator of that language: literals (strings, numbers, true/false/null),
`context...` member access with `?.`, indexers (`context.Variables["jwt"]`), `GetValueOrDefault(name, default)`,
casts such as `(string)` or `(Jwt)` (which change nothing here), `!`, `==`, `!=`, `<`, `<=`, `>`, `>=`, `&&`, `||`,
`??`, `+` and parentheses.  Anything else raises `Unsupported`, so the element that holds it is reported as not
evaluated instead of being guessed.

The context is plain data: a dict per object (`{"Subscription": {"Id": ...}, "Request": {...}, ...}`), None for
a null object, and `Headers` as a case-insensitive mapping.
"""
from __future__ import annotations

import html
import re

TOKEN = re.compile(r"""\s*(?:
    (?P<string>"(?:[^"\\]|\\.)*")
  | (?P<number>\d+(?:\.\d+)?)
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<op>\?\?|\?\.|==|!=|<=|>=|&&|\|\||[.()\[\],!<>+])
)""", re.VERBOSE)
TYPE_NAMES = ("string", "int", "long", "bool", "double", "Jwt", "object")


class Unsupported(ValueError):
    """An expression outside the subset evaluated here."""


class Headers(dict):
    """Header names compare case-insensitively, as in APIM's context.Request.Headers."""

    def lookup(self, name: str):
        return next((value for key, value in self.items() if key.lower() == name.lower()), None)


def _tokens(text: str) -> list[tuple[str, str]]:
    out, position = [], 0
    text = text.rstrip()
    while position < len(text):
        match = TOKEN.match(text, position)
        if match is None or match.end() == position:
            raise Unsupported(f"cannot read the expression at {text[position:position + 20]!r}")
        kind = match.lastgroup
        out.append((kind, match.group(kind)))
        position = match.end()
    return out


def is_expression(value: str | None) -> bool:
    return bool(value) and value.strip().startswith(("@(", "@{"))


def evaluate(value: str | None, context: dict):
    """The value of an attribute or element text: an expression's result, or the text itself."""
    if not is_expression(value):
        return value
    # APIM's `value` format keeps the characters of an expression escaped (&#34; for a quote) inside the XML.
    body = html.unescape(value.strip())
    if body.startswith("@{"):
        match = re.fullmatch(r"@\{\s*return\s+(.*?);?\s*\}", body, re.DOTALL)
        if match is None:
            raise Unsupported("only single `return` statement blocks are evaluated")
        source = match.group(1)
    else:
        source = body[2:-1] if body.endswith(")") else body[2:]
    parser = _Parser(_tokens(source), context)
    result = parser.expression()
    if parser.position != len(parser.tokens):
        raise Unsupported(f"unexpected {parser.tokens[parser.position][1]!r} in {source!r}")
    return result


def truthy(value) -> bool:
    if not isinstance(value, bool):
        raise Unsupported(f"a condition must be a boolean, not {value!r}")
    return value


class _Parser:
    """Precedence as in C#: ?? < || < && < equality < relational < + < unary < primary."""

    def __init__(self, tokens, context):
        self.tokens, self.context, self.position = tokens, context, 0
        self.skipping = 0   # > 0 while parsing an operand that short-circuiting leaves unevaluated

    def _peek(self, value: str | None = None) -> bool:
        if self.position >= len(self.tokens):
            return False
        return value is None or self.tokens[self.position][1] == value

    def _take(self, value: str | None = None) -> tuple[str, str]:
        if not self._peek(value):
            raise Unsupported(f"expected {value!r}" if value else "the expression ends too early")
        token = self.tokens[self.position]
        self.position += 1
        return token

    def expression(self):
        left = self._or()
        if self._peek("??"):
            self._take()
            if left is not None and not self.skipping:
                self._skipped(self.expression)
                return left
            return self.expression()
        return left

    def _or(self):
        left = self._and()
        while self._peek("||"):
            self._take()
            if not self.skipping and truthy(left):
                self._skipped(self._and)
                continue
            right = self._and()
            left = None if self.skipping else truthy(right)
        return left

    def _and(self):
        left = self._equality()
        while self._peek("&&"):
            self._take()
            if not self.skipping and not truthy(left):   # `x != null && x.Y` must not read x.Y
                self._skipped(self._equality)
                continue
            right = self._equality()
            left = None if self.skipping else truthy(right)
        return left

    def _skipped(self, parse):
        self.skipping += 1
        try:
            parse()
        finally:
            self.skipping -= 1

    def _equality(self):
        left = self._relational()
        while self._peek("==") or self._peek("!="):
            operator = self._take()[1]
            right = self._relational()
            if self.skipping:
                continue
            same = _loose(left) == _loose(right)
            left = same if operator == "==" else not same
        return left

    def _relational(self):
        left = self._additive()
        while any(self._peek(op) for op in ("<", "<=", ">", ">=")):
            operator = self._take()[1]
            right = self._additive()
            if self.skipping:
                continue
            if not all(isinstance(side, (int, float)) and not isinstance(side, bool) for side in (left, right)):
                raise Unsupported(f"cannot compare {left!r} {operator} {right!r}")
            left = {"<": left < right, "<=": left <= right, ">": left > right, ">=": left >= right}[operator]
        return left

    def _additive(self):
        left = self._unary()
        while self._peek("+"):
            self._take()
            right = self._unary()
            if self.skipping:
                continue
            if isinstance(left, str) or isinstance(right, str):
                left = ("" if left is None else str(left)) + ("" if right is None else str(right))
            elif isinstance(left, (int, float)) and isinstance(right, (int, float)):
                left = left + right
            else:
                raise Unsupported(f"cannot add {left!r} and {right!r}")
        return left

    def _unary(self):
        if self._peek("!"):
            self._take()
            value = self._unary()
            return None if self.skipping else not truthy(value)
        if self._peek("(") and self.position + 2 < len(self.tokens) \
                and self.tokens[self.position + 1][1] in TYPE_NAMES and self.tokens[self.position + 2][1] == ")":
            self.position += 3   # a cast: values keep their type here
            return self._unary()
        return self._postfix(self._primary())

    def _primary(self):
        kind, value = self._take()
        if kind == "string":
            return bytes(value[1:-1], "utf-8").decode("unicode_escape")
        if kind == "number":
            return float(value) if "." in value else int(value)
        if value == "(":
            inner = self.expression()
            self._take(")")
            return inner
        if kind == "name":
            if value in ("true", "false"):
                return value == "true"
            if value == "null":
                return None
            if value == "context":
                return self.context
        raise Unsupported(f"{value!r} is not evaluated here (only context, literals and operators are)")

    def _postfix(self, value):
        while self._peek(".") or self._peek("?.") or self._peek("["):
            operator = self._take()[1]
            if operator == "[":
                index = self.expression()
                self._take("]")
                value = self._member(value, index, indexer=True)
                continue
            name = self._take()[1]
            if self._peek("("):
                value = self._call(value, name, operator == "?.")
            elif value is None and operator == "?.":
                continue
            else:
                value = self._member(value, name)
        return value

    def _member(self, value, name, indexer: bool = False):
        if self.skipping:
            return None
        if value is None:
            raise Unsupported(f"null reference reading {name!r}")
        if isinstance(value, Headers):
            found = value.lookup(str(name))
            if found is None:
                raise Unsupported(f"header {name!r} is not present")
            return found
        if isinstance(value, dict) and name in value:
            return value[name]
        if isinstance(value, dict) and indexer:
            raise Unsupported(f"no entry {name!r}")
        raise Unsupported(f"{name!r} is not a member evaluated here")

    def _call(self, target, name, conditional):
        self._take("(")
        arguments = []
        while not self._peek(")"):
            arguments.append(self.expression())
            if not self._peek(")"):
                self._take(",")
        self._take(")")
        if self.skipping or (target is None and conditional):
            return None
        if name == "GetValueOrDefault" and isinstance(target, dict) and len(arguments) in (1, 2):
            default = arguments[1] if len(arguments) == 2 else None
            found = target.lookup(arguments[0]) if isinstance(target, Headers) else target.get(arguments[0])
            if isinstance(found, list):   # Jwt claims are string arrays; APIM joins them with commas
                found = ",".join(map(str, found))
            return default if found is None else found
        if name == "ToString" and not arguments:
            return "" if target is None else str(target)
        raise Unsupported(f"method {name!r} is not evaluated here")


def _loose(value):
    """C# compares ints and longs by value; strings exactly."""
    return float(value) if isinstance(value, int) and not isinstance(value, bool) else value
