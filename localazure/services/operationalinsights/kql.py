"""A small, honest subset of the Kusto Query Language over rows held in memory.

Evaluated: `Table`, `| where` (==, !=, =~, !~, >, >=, <, <=, contains, !contains, has, !has, `and`, `or`,
parentheses; operands are columns, string/number/bool literals, `ago(5m)`, `now()`, `datetime(...)`),
`| project a, b`, `| order by X [desc|asc], ...` (also `sort by`; desc is KQL's default), `| take N` / `| limit N`,
`| summarize [Name =] count() [by a, b]`, `| count`, `| join kind=inner (subquery) on a, b` (a right column whose
name the left has gets the suffix 1, as KQL's join renames it; learn.microsoft.com/kusto/query/join-operator), and
the request's ISO 8601 `timespan` on TimeGenerated of every table.
Anything else is refused, never guessed, with the error shape of the Log Analytics query API (400
BadArgumentError with a SyntaxError or SemanticError inner error, as quoted in Azure/azure-cli-extensions#3002
and MicrosoftDocs/azure-docs#18012, #61086).  Table and column names are case-sensitive, as in KQL.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Callable

SUPPORTED = "where, project, order by, sort by, take, limit, summarize count(), count, join kind=inner"
_TIMESPAN_UNITS = {"d": timedelta(days=1), "h": timedelta(hours=1), "m": timedelta(minutes=1),
                   "s": timedelta(seconds=1), "ms": timedelta(milliseconds=1)}
_TOKEN = re.compile(r"""
    (?P<space>\s+)
  | (?P<datetime>datetime\(\s*(?P<datetime_text>[^)]*?)\s*\))
  | (?P<string>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")
  | (?P<timespan>\d+(?:\.\d+)?(?:ms|d|h|m|s)\b)
  | (?P<number>\d+(?:\.\d+)?\b)
  | (?P<op>==|!=|=~|!~|>=|<=|>|<|!contains\b|!has\b|[|,()=])
  | (?P<ident>[A-Za-z_][A-Za-z0-9_]*)
""", re.VERBOSE)
_COMPARISONS = ("==", "!=", "=~", "!~", ">", ">=", "<", "<=", "contains", "!contains", "has", "!has")


class KqlError(Exception):
    """A query Log Analytics would refuse: kind is SyntaxError or SemanticError."""

    def __init__(self, kind: str, code: str, message: str, **extra):
        super().__init__(message)
        self.kind, self.code, self.message, self.extra = kind, code, message, extra

    def body(self, correlation_id: str) -> dict:
        summary = ("A recognition error occurred in the query." if self.kind == "SyntaxError"
                   else "A semantic error occurred.")
        return {"error": {"message": "The request had some invalid properties", "code": "BadArgumentError",
                          "correlationId": correlation_id,
                          "innererror": {"code": self.kind, "message": summary,
                                         "innererror": {"code": self.code, "message": self.message,
                                                        **self.extra}}}}


def _syntax(token: "Token", note: str = "") -> KqlError:
    message = f"Query could not be parsed at '{token.text}' on line [1,{token.pos}]"
    return KqlError("SyntaxError", "SYN0002", message + (f" ({note})" if note else ""), line=1, pos=token.pos,
                    token=token.text)


def _unresolved(operator: str, name: str, what: str = "column or scalar expression") -> KqlError:
    return KqlError("SemanticError", "SEM0100", f"'{operator}' operator: Failed to resolve {what} named '{name}'")


@dataclass
class Token:
    kind: str
    text: str
    pos: int
    value: object = None


def tokenize(query: str) -> list[Token]:
    tokens, pos = [], 0
    while pos < len(query):
        match = _TOKEN.match(query, pos)
        if match is None:
            raise _syntax(Token("error", query[pos], pos))
        kind = match.lastgroup if match.lastgroup != "datetime_text" else "datetime"
        text = match.group(0)
        if kind == "datetime":
            tokens.append(Token("datetime", text, pos, parse_datetime(match.group("datetime_text"), pos)))
        elif kind == "string":
            tokens.append(Token("string", text, pos, re.sub(r"\\(.)", r"\1", text[1:-1])))
        elif kind == "timespan":
            number, unit = re.fullmatch(r"([\d.]+)(\w+)", text).groups()
            tokens.append(Token("timespan", text, pos, float(number) * _TIMESPAN_UNITS[unit]))
        elif kind == "number":
            tokens.append(Token("number", text, pos, float(text) if "." in text else int(text)))
        elif kind != "space":
            tokens.append(Token(kind, text, pos))
        pos = match.end()
    tokens.append(Token("end", "<end>", len(query)))
    return tokens


def parse_datetime(text: str, pos: int = 0) -> datetime:
    """ISO 8601 as KQL's datetime() takes it: date, optional time, up to 7 fractional digits, optional Z."""
    cleaned = text.strip().strip("'\"").replace(" ", "T").rstrip("Z").rstrip("z")
    cleaned = re.sub(r"(\.\d{6})\d+", r"\1", cleaned)
    try:
        value = datetime.fromisoformat(cleaned)
    except ValueError:
        raise KqlError("SyntaxError", "SYN0002", f"Failed to parse datetime literal: 'datetime({text})'",
                       line=1, pos=pos) from None
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


def format_datetime(value: datetime) -> str:
    return value.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


# --- parsing ---------------------------------------------------------------------------------------

class _Parser:
    def __init__(self, tokens: list[Token]):
        self.tokens, self.index = tokens, 0

    @property
    def current(self) -> Token:
        return self.tokens[self.index]

    def take(self) -> Token:
        token = self.tokens[self.index]
        self.index += 1
        return token

    def accept(self, text: str) -> bool:
        if self.current.kind in ("op", "ident") and self.current.text == text:
            self.index += 1
            return True
        return False

    def expect(self, text: str) -> None:
        if not self.accept(text):
            raise _syntax(self.current)

    def name(self) -> str:
        if self.current.kind != "ident":
            raise _syntax(self.current)
        return self.take().text

    def names(self) -> list[str]:
        names = [self.name()]
        while self.accept(","):
            names.append(self.name())
        return names

    def query(self) -> tuple[str, list[tuple]]:
        table, steps = self.pipeline()
        if self.current.kind != "end":
            raise _syntax(self.current)
        return table, steps

    def pipeline(self) -> tuple[str, list[tuple]]:
        table = self.name()
        steps = []
        while self.accept("|"):
            steps.append(self.operator())
        return table, steps

    def operator(self) -> tuple:
        token = self.current
        word = self.name()
        if word == "where":
            return ("where", self.disjunction())
        if word == "project":
            return ("project", self.names())
        if word in ("order", "sort"):
            self.expect("by")
            keys = []
            while True:
                column = self.name()
                descending = not self.accept("asc")
                if descending:
                    self.accept("desc")
                keys.append((column, descending))
                if not self.accept(","):
                    return ("order", keys)
        if word in ("take", "limit"):
            if self.current.kind != "number" or not isinstance(self.current.value, int):
                raise _syntax(self.current)
            return ("take", self.take().value)
        if word == "count":
            return ("count",)
        if word == "summarize":
            alias = "count_"
            if self.current.kind == "ident" and self.tokens[self.index + 1].text == "=":
                alias = self.take().text
                self.take()
            self.expect("count")
            self.expect("(")
            self.expect(")")
            return ("summarize", alias, self.names() if self.accept("by") else [])
        if word == "join":
            self.expect("kind")
            self.expect("=")
            if not self.accept("inner"):
                raise _syntax(self.current, f"localazure evaluates only {SUPPORTED}")
            self.expect("(")
            right = self.pipeline()
            self.expect(")")
            self.expect("on")
            return ("join", right, self.names())
        raise _syntax(token, f"localazure evaluates only {SUPPORTED}")

    def disjunction(self):
        terms = [self.conjunction()]
        while self.accept("or"):
            terms.append(self.conjunction())
        return terms[0] if len(terms) == 1 else ("or", terms)

    def conjunction(self):
        terms = [self.comparison()]
        while self.accept("and"):
            terms.append(self.comparison())
        return terms[0] if len(terms) == 1 else ("and", terms)

    def comparison(self):
        if self.accept("("):
            inner = self.disjunction()
            self.expect(")")
            return inner
        left = self.operand()
        token = self.current
        if token.text not in _COMPARISONS or token.kind not in ("op", "ident"):
            raise _syntax(token)
        self.take()
        return ("compare", token.text, left, self.operand())

    def operand(self):
        token = self.take()
        if token.kind in ("string", "number", "datetime"):
            return ("literal", token.value)
        if token.kind == "ident" and token.text in ("true", "false"):
            return ("literal", token.text == "true")
        if token.kind == "ident" and token.text in ("ago", "now"):
            self.expect("(")
            if token.text == "now":
                self.expect(")")
                return ("ago", timedelta(0))
            if self.current.kind != "timespan":
                raise _syntax(self.current)
            span = self.take().value
            self.expect(")")
            return ("ago", span)
        if token.kind == "ident":
            if self.current.text == "(":
                raise _syntax(token, f"localazure evaluates only {SUPPORTED}")
            return ("column", token.text)
        raise _syntax(token)


# --- evaluation ------------------------------------------------------------------------------------

def parse_timespan(text: str | None, now: datetime) -> tuple[datetime | None, datetime | None]:
    """(start, end) of the request's ISO 8601 timespan: a duration ending now, start/end, start/duration or
    duration/end."""
    if not text:
        return None, None
    parts = text.split("/")
    if len(parts) == 1:
        return now - _duration(text), now
    if len(parts) != 2:
        raise ValueError(text)
    first, second = parts
    if first.startswith("P") and not second.startswith("P"):
        end = parse_datetime(second)
        return end - _duration(first), end
    start = parse_datetime(first)
    return start, (start + _duration(second) if second.startswith("P") else parse_datetime(second))


def _duration(text: str) -> timedelta:
    match = re.fullmatch(r"P(?:([\d.]+)D)?(?:T(?:([\d.]+)H)?(?:([\d.]+)M)?(?:([\d.]+)S)?)?", text)
    if match is None or text in ("P", "PT"):
        raise ValueError(text)
    days, hours, minutes, seconds = (float(group or 0) for group in match.groups())
    return timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds)


def _convert(value, column_type: str):
    if value is None:
        return None
    if column_type == "datetime" and isinstance(value, str):
        return parse_datetime(value)
    return value


def _kind(value) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "long"
    if isinstance(value, float):
        return "real"
    if isinstance(value, datetime):
        return "datetime"
    return "string"


def _compare(op: str, left, right) -> bool:
    if left is None or right is None:
        return op in ("!=", "!~", "!contains", "!has") and left is not right
    if op in ("contains", "!contains", "has", "!has", "=~", "!~"):
        left_text, right_text = str(left).lower(), str(right).lower()
        if op in ("=~", "!~"):
            found = left_text == right_text
        elif op.endswith("contains"):
            found = right_text in left_text
        else:
            found = re.search(r"(?<![a-z0-9])" + re.escape(right_text) + r"(?![a-z0-9])", left_text) is not None
        return found != op.startswith("!")
    if isinstance(left, datetime) and isinstance(right, str):
        right = parse_datetime(right)
    elif isinstance(right, datetime) and isinstance(left, str):
        left = parse_datetime(left)
    numbers = ("long", "real")
    if _kind(left) != _kind(right) and not (_kind(left) in numbers and _kind(right) in numbers):
        raise KqlError("SemanticError", "SEM0025", f"'{op}' operator: Cannot compare values of types "
                                                   f"{_kind(left)} and {_kind(right)}. Try adding explicit casts")
    return {"==": left == right, "!=": left != right, ">": left > right, ">=": left >= right,
            "<": left < right, "<=": left <= right}[op]


@dataclass
class Result:
    columns: list[tuple[str, str]]
    rows: list[dict]

    def table(self) -> dict:
        def cell(value):
            return format_datetime(value) if isinstance(value, datetime) else value
        return {"name": "PrimaryResult", "columns": [{"name": name, "type": kind} for name, kind in self.columns],
                "rows": [[cell(row.get(name)) for name, _ in self.columns] for row in self.rows]}


def run(query: str, schemas: dict[str, list[tuple[str, str]]], load: Callable[[str], list[dict]], *,
        now: datetime, timespan: str | None = None) -> Result:
    """Evaluates `query` over the tables in `schemas` (name -> [(column, type)]); `load(name)` gives a table's
    rows as stored (datetimes as ISO strings).  Raises KqlError for what Log Analytics would refuse and
    ValueError for a timespan that is not ISO 8601."""
    start, end = parse_timespan(timespan, now)
    table, steps = _Parser(tokenize(query)).query()

    def evaluate(table: str, steps: list[tuple]):
        if table not in schemas:
            operator = steps[0][0] if steps else "query"
            raise _unresolved(operator, table, "table or column expression")
        columns = list(schemas[table])
        rows = [{name: _convert(row.get(name), kind) for name, kind in columns} for row in load(table)]
        if start is not None:
            rows = [row for row in rows if row.get("TimeGenerated") and start <= row["TimeGenerated"] <= end]
        for step in steps:
            if step[0] == "join":
                columns, rows = _join(columns, rows, *evaluate(*step[1]), step[2])
            else:
                columns, rows = _apply(step, columns, rows, now)
        return columns, rows

    return Result(*evaluate(table, steps))


def _join(columns: list[tuple[str, str]], rows: list[dict], right_columns: list[tuple[str, str]],
          right_rows: list[dict], keys: list[str]):
    """kind=inner: every pair of a left and a right row equal on the keys; the right's columns follow the left's,
    one whose name the left has renamed with the suffix 1 (its keys too, as KQL does)."""
    for key in keys:
        if key not in dict(columns) or key not in dict(right_columns):
            raise _unresolved("join", key)
    left_names = set(dict(columns))
    renamed = [(name, name + "1" if name in left_names else name, kind) for name, kind in right_columns]
    joined = []
    for row in rows:
        for other in right_rows:
            if all(row.get(key) is not None and row.get(key) == other.get(key) for key in keys):
                joined.append(dict(row, **{new: other.get(old) for old, new, _ in renamed}))
    return columns + [(new, kind) for _, new, kind in renamed], joined


def _apply(step: tuple, columns: list[tuple[str, str]], rows: list[dict], now: datetime):
    types = dict(columns)
    name = step[0]
    if name == "where":
        _check_columns("where", step[1], types)
        return columns, [row for row in rows if _truth(step[1], row, now)]
    if name == "project":
        for column in step[1]:
            if column not in types:
                raise _unresolved("project", column)
        return [(column, types[column]) for column in step[1]], rows
    if name == "order":
        for column, _ in step[1]:
            if column not in types:
                raise _unresolved("order", column)
        ordered = list(rows)
        for column, descending in reversed(step[1]):
            # Nulls last in either direction, as KQL's default "nulls last" for desc and a stable sort.
            present = [row for row in ordered if row.get(column) is not None]
            absent = [row for row in ordered if row.get(column) is None]
            ordered = sorted(present, key=lambda row: row[column], reverse=descending) + absent
        return columns, ordered
    if name == "take":
        return columns, rows[:step[1]]
    if name == "count":
        return [("Count", "long")], [{"Count": len(rows)}]
    alias, by = step[1], step[2]
    for column in by:
        if column not in types:
            raise _unresolved("summarize", column)
    groups: dict[tuple, int] = {}
    for row in rows:
        key = tuple(row.get(column) for column in by)
        groups[key] = groups.get(key, 0) + 1
    out = [dict(zip(by, key), **{alias: count}) for key, count in groups.items()]
    return [(column, types[column]) for column in by] + [(alias, "long")], out


def _check_columns(operator: str, expression, types: dict) -> None:
    if expression[0] in ("and", "or"):
        for term in expression[1]:
            _check_columns(operator, term, types)
    elif expression[0] == "compare":
        for side in expression[2:]:
            if side[0] == "column" and side[1] not in types:
                raise _unresolved(operator, side[1])


def _value(operand, row: dict, now: datetime):
    kind, payload = operand
    if kind == "column":
        return row.get(payload)
    if kind == "ago":
        return now - payload
    return payload


def _truth(expression, row: dict, now: datetime) -> bool:
    if expression[0] == "and":
        return all(_truth(term, row, now) for term in expression[1])
    if expression[0] == "or":
        return any(_truth(term, row, now) for term in expression[1])
    _, op, left, right = expression
    return _compare(op, _value(left, row, now), _value(right, row, now))
