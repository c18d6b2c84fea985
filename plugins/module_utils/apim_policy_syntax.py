# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Read, normalise and pretty-print Azure API Management policy XML (the syntax; apim_policy.py validates).

Pure functions, standard library only: this runs inside Ansible modules, and anything else that reads policies
(tests, the local endpoint) can load this one file.

APIM stores policies in "rawxml": policy expressions (``@(...)``, ``@{...}``) may hold raw ``"``, ``<`` and
``&`` that plain XML forbids, so the parser first escapes the inside of every expression, keeping line
numbers. What APIM does to a stored policy (observed in public reports: terraform-provider-azurerm PR 3145,
issue 29521; azure-rest-api-specs issues 21835, 25306): re-indents with tabs, uses CRLF, switches attribute
quotes, entity-escapes ``&``/``<`` and newlines inside attribute values, but leaves the text of expressions
as written. ``normalize_policy`` removes exactly those differences and nothing that changes behaviour.
"""

from __future__ import annotations

import re
import xml.parsers.expat


class PolicyError(Exception):
    """One problem in a policy document; ``line`` is 1-based, ``element`` the tag it concerns.

    severity "warning" marks what API Management accepts but is probably not meant (an element unknown to this
    collection, a missing section); "error" what it refuses or what cannot work.
    """

    def __init__(self, message, line=None, element=None, severity="error"):
        super().__init__(message)
        self.message = message
        self.line = line
        self.element = element
        self.severity = severity

    @property
    def is_warning(self):
        return self.severity == "warning"

    def __str__(self):
        return self.message


class PolicyNode:
    """An element (or, with ``tag`` None, a comment) of a parsed policy, with its source line."""

    __slots__ = ("tag", "attrs", "children", "text", "line")

    def __init__(self, tag, attrs=None, line=None):
        self.tag = tag
        self.attrs = dict(attrs or {})
        self.children = []
        self.text = ""
        self.line = line

    @property
    def is_comment(self):
        return self.tag is None

    def elements(self):
        return [c for c in self.children if not c.is_comment]

    def __repr__(self):
        return "PolicyNode(%r, line=%r)" % (self.tag, self.line)


# --------------------------------------------------------------------------------------------------------------
# rawxml -> well-formed XML: escape the inside of policy expressions
#
# An expression is C# (the subset APIM allows, see Microsoft Learn "API Management policy expressions"). Its end is
# found by reading it as C#: brackets count only outside string literals, char literals and comments, and the
# literals are read as C# reads them: regular "..." with backslash escapes, verbatim @"..." with doubled quotes,
# interpolated $"..." whose {holes} are C# again (with their own strings), and $@"..." / @$"..." combining both.
# In the xml format the same text arrives entity-escaped, so every character is read through its entity.

_ENTITY = re.compile(r"&(?:[A-Za-z][A-Za-z0-9]*|#[0-9]+|#x[0-9A-Fa-f]+);")
_NAMED_ENTITIES = {"&quot;": '"', "&apos;": "'", "&lt;": "<", "&gt;": ">", "&amp;": "&"}
_CLOSER = {"(": ")", "{": "}", "[": "]"}
_LONGEST_CHAR_LITERAL = len("'\\U0001F600'")


def _entity_char(entity):
    if entity in _NAMED_ENTITIES:
        return _NAMED_ENTITIES[entity]
    if entity.startswith("&#"):
        try:
            return chr(int(entity[3:-1], 16) if entity[2] in "xX" else int(entity[2:-1]))
        except (ValueError, OverflowError):
            return "x"
    return "x"


def _logical_char(text, pos):
    """(character, width) at pos, reading an entity reference as the character it stands for (xml format)."""
    if text[pos] == "&":
        match = _ENTITY.match(text, pos)
        if match:
            return _entity_char(match.group(0)), len(match.group(0))
    return text[pos], 1


def _peek(text, pos):
    return _logical_char(text, pos)[0] if pos < len(text) else ""


def _string_prefix(text, pos):
    """(verbatim, interpolated, index of the opening quote) when a C# string literal starts at pos, else None."""
    flags = {"@": False, "$": False}
    while pos < len(text):
        char, width = _logical_char(text, pos)
        if char == '"':
            return flags["@"], flags["$"], pos
        if char not in flags or flags[char]:
            return None
        flags[char] = True
        pos += width
    return None


def _skip_string(text, quote, verbatim, interpolated):
    """Index just past the string literal whose opening quote is at ``quote``, or None if it never closes."""
    pos = quote + 1
    while pos < len(text):
        char, width = _logical_char(text, pos)
        following = pos + width
        if interpolated and char in "{}":
            if _peek(text, following) == char:
                pos = following + _logical_char(text, following)[1]
            elif char == "{":
                pos = _skip_code(text, following, "}")
                if pos is None:
                    return None
            else:
                pos = following
            continue
        if char == "\\" and not verbatim:
            pos = following + (_logical_char(text, following)[1] if following < len(text) else 0)
            continue
        if char == '"':
            if verbatim and _peek(text, following) == '"':
                pos = following + _logical_char(text, following)[1]
                continue
            return following
        pos = following
    return None


def _skip_char_literal(text, pos):
    """Index just past a char literal ('x', '\\'', '\\u0041') at pos; None when the quote starts none."""
    end = pos + 1
    limit = min(len(text), pos + 4 * _LONGEST_CHAR_LITERAL)
    escaped = False
    while end < limit:
        char, width = _logical_char(text, end)
        if char == "\n":
            return None
        if char == "'" and not escaped and end > pos + 1:
            return end + width
        escaped = char == "\\" and not escaped
        end += width
    return None


def _skip_comment(text, pos):
    """Index just past a C# comment starting at pos (// to the end of the line, /* to */), or None."""
    if _peek(text, pos) != "/":
        return None
    second_at = pos + _logical_char(text, pos)[1]
    second = _peek(text, second_at)
    if second not in "/*" or not second:
        return None
    pos = second_at + _logical_char(text, second_at)[1]
    while pos < len(text):
        char, width = _logical_char(text, pos)
        if second == "/" and char == "\n":
            return pos
        if second == "*" and char == "*" and _peek(text, pos + width) == "/":
            return pos + width + 1
        pos += width
    return len(text) if second == "/" else None


def _skip_code(text, pos, closing):
    """Read C# from pos to the bracket ``closing`` that balances it; index just past that bracket, or None."""
    expected = [closing]
    while pos < len(text):
        char, width = _logical_char(text, pos)
        if char in _CLOSER:
            expected.append(_CLOSER[char])
        elif char in ")}]":
            expected.pop()
            if not expected:
                return pos + width
        elif char in '"@$':
            literal = _string_prefix(text, pos)
            if literal:
                verbatim, interpolated, quote = literal
                pos = _skip_string(text, quote, verbatim, interpolated)
                if pos is None:
                    return None
                continue
        elif char == "'":
            end = _skip_char_literal(text, pos)
            if end is not None:
                pos = end
                continue
        elif char == "/":
            end = _skip_comment(text, pos)
            if end is not None:
                pos = end
                continue
            if _peek(text, pos + width) == "*":
                return None
        pos += width
    return None


def _expression_end(text, start):
    """Index just past the expression opened by ``@(`` or ``@{`` at start, or None if it never closes."""
    opener = text[start + 1]
    return _skip_code(text, start + 2, _CLOSER[opener])


def _escape_raw(fragment):
    """XML-escape markup characters of an expression, leaving existing entity references alone."""
    out = []
    pos = 0
    while pos < len(fragment):
        match = _ENTITY.match(fragment, pos)
        if match:
            out.append(match.group(0))
            pos = match.end()
            continue
        char = fragment[pos]
        out.append({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&apos;"}.get(char, char))
        pos += 1
    return "".join(out)


def rawxml_to_xml(text):
    """Turn APIM rawxml into well-formed XML by escaping expression bodies; line breaks are kept."""
    out = []
    pos = 0
    while True:
        start = _next_expression(text, pos)
        if start < 0:
            out.append(text[pos:])
            return "".join(out)
        end = _expression_end(text, start)
        if end is None:
            # left as written: the XML parser then reports where the document breaks, with unclosed_expression's hint
            out.append(text[pos:])
            return "".join(out)
        out.append(text[pos:start])
        out.append(_escape_raw(text[start:end]))
        pos = end


def unclosed_expression(text):
    """Line of the first ``@(``/``@{`` whose C# never closes, or None."""
    pos = 0
    while True:
        start = _next_expression(text, pos)
        if start < 0:
            return None
        end = _expression_end(text, start)
        if end is None:
            return text.count("\n", 0, start) + 1
        pos = end


def _next_expression(text, pos):
    """Start of the next ``@(``/``@{`` outside comments and CDATA sections, or -1."""
    while True:
        candidates = [i for i in (text.find("@(", pos), text.find("@{", pos), text.find("<!--", pos),
                                  text.find("<![CDATA[", pos)) if i >= 0]
        if not candidates:
            return -1
        first = min(candidates)
        if text.startswith("<!--", first):
            close = text.find("-->", first + 4)
            pos = len(text) if close < 0 else close + 3
        elif text.startswith("<![CDATA[", first):
            close = text.find("]]>", first + 9)
            pos = len(text) if close < 0 else close + 3
        else:
            return first


# --------------------------------------------------------------------------------------------------------------
# parsing


def parse_policy(xml_text):
    """Parse policy XML (rawxml or xml format) into a PolicyNode tree; raises PolicyError with the line."""
    if not isinstance(xml_text, str) or not xml_text.strip():
        raise PolicyError("policy is empty", line=1)
    parser = xml.parsers.expat.ParserCreate()
    root_holder = []
    stack = []

    def start(tag, attrs):
        node = PolicyNode(tag, attrs, parser.CurrentLineNumber)
        if stack:
            stack[-1].children.append(node)
        else:
            root_holder.append(node)
        stack.append(node)

    def end(_tag):
        stack.pop()

    def chars(data):
        if stack:
            stack[-1].text += data

    def comment(data):
        if stack:
            node = PolicyNode(None, line=parser.CurrentLineNumber)
            node.text = data
            stack[-1].children.append(node)

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = chars
    parser.CommentHandler = comment
    text = xml_text.lstrip("\ufeff")
    try:
        parser.Parse(rawxml_to_xml(text), True)
    except xml.parsers.expat.ExpatError as exc:
        element = stack[-1].tag if stack else None
        where = " inside <%s>" % element if element else ""
        unclosed = unclosed_expression(text)
        hint = "; the policy expression at line %d never closes its brackets" % unclosed if unclosed else ""
        raise PolicyError("policy is not well-formed XML at line %d%s: %s%s"
                          % (exc.lineno, where, xml.parsers.expat.ErrorString(exc.code), hint),
                          line=exc.lineno, element=element)
    return root_holder[0]


# --------------------------------------------------------------------------------------------------------------
# normalisation and printing


def is_expression(value):
    stripped = value.strip()
    return stripped.startswith("@(") or stripped.startswith("@{")


# A C# token of an expression's shape: a string literal (verbatim @"..", regular or interpolated ".."), a char
# literal, a number, a run of whitespace, or any other single character.
_SHAPE_TOKEN = re.compile(r'@"(?:[^"]|"")*"|\$?"(?:[^"\\\n]|\\.)*"|\'(?:[^\'\\\n]|\\.)+\'|[0-9]+(?:\.[0-9]+)?|\s+|.',
                          re.S)


def expression_shape(expression):
    """An expression with every literal's content left out: its code. Two renderings of one template whose values
    differ only in what the template puts inside string literals have the same shape; a value that closes its
    string and adds code (``x", "N/A") + context.Subscription.Key + ("``) changes it."""
    shape = []
    for token in _SHAPE_TOKEN.findall(expression.strip()):
        if len(token) > 1 and token.endswith('"') and token[0] in '@$"':
            shape.append('""')
        elif len(token) > 1 and token[0] == "'":
            shape.append("''")
        elif token[0].isdigit():
            shape.append("0")
        elif token.isspace():
            shape.append(" ")
        else:
            shape.append(token)
    return "".join(shape)


def policy_expressions(xml_text):
    """(where, expression) of every policy expression of a document in document order: where is ``<tag attr>`` for
    an attribute, ``<tag>`` for text, with its line."""
    found = []

    def walk(node):
        for name, value in node.attrs.items():
            if is_expression(value):
                found.append(("<%s %s> at line %s" % (node.tag, name, node.line), value.strip()))
        if node.tag and is_expression(node.text or ""):
            found.append(("<%s> at line %s" % (node.tag, node.line), node.text.strip()))
        for child in node.elements():
            walk(child)

    walk(parse_policy(xml_text))
    return found


def _normalize_expression(value):
    """Collapse whitespace outside C# string and char literals; literal contents stay exact."""
    text = value.strip().replace("\r\n", "\n")
    out = []
    pos = 0
    pending_space = False
    while pos < len(text):
        char = text[pos]
        if char.isspace():
            pending_space = True
            pos += 1
            continue
        if pending_space and out:
            out.append(" ")
        pending_space = False
        end = None
        if char in '"@$':
            literal = _string_prefix(text, pos)
            if literal:
                end = _skip_string(text, literal[2], literal[0], literal[1])
        elif char == "'":
            end = _skip_char_literal(text, pos)
        if end is None:
            out.append(char)
            pos += 1
        else:
            out.append(text[pos:end])
            pos = end
    return "".join(out)


def _normalize_value(value):
    return _normalize_expression(value) if is_expression(value) else value


def _normalize_text(text):
    text = text.replace("\r\n", "\n").strip()
    return _normalize_expression(text) if is_expression(text) else text


def _escape_attr(value):
    return (value.replace("&", "&amp;").replace("<", "&lt;").replace('"', "&quot;")
            .replace("\n", "&#10;").replace("\t", "&#9;"))


def _escape_text(value):
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _is_whole_expression(value):
    """True when value is one balanced expression, so it can be written unescaped (rawxml) and read back."""
    return is_expression(value) and _expression_end(value, 0) == len(value)


def _serialize(node, out, indent, depth, keep_comments, raw_expressions):
    pad = indent * depth if indent is not None else ""
    newline = "\n" if indent is not None else ""
    if node.is_comment:
        out.append("%s<!--%s-->%s" % (pad, node.text.strip() if indent is None else node.text, newline))
        return

    def attr(value):
        value = _normalize_value(value)
        # a raw line break or tab in an attribute would come back as a space, so those stay escaped
        plain = "\n" not in value and "\t" not in value
        return value if raw_expressions and plain and _is_whole_expression(value) else _escape_attr(value)

    def text_of(value):
        return value if raw_expressions and _is_whole_expression(value) else _escape_text(value)

    attrs = "".join(' %s="%s"' % (name, attr(node.attrs[name])) for name in sorted(node.attrs))
    children = [c for c in node.children if keep_comments or not c.is_comment]
    text = _normalize_text(node.text)
    if not children and not text:
        out.append("%s<%s%s />%s" % (pad, node.tag, attrs, newline))
        return
    if not children:
        out.append("%s<%s%s>%s</%s>%s" % (pad, node.tag, attrs, text_of(text), node.tag, newline))
        return
    out.append("%s<%s%s>%s" % (pad, node.tag, attrs, newline))
    if text:
        out.append("%s%s%s" % (indent * (depth + 1) if indent is not None else "", text_of(text), newline))
    for child in children:
        _serialize(child, out, indent, depth + 1, keep_comments, raw_expressions)
    out.append("%s</%s>%s" % (pad, node.tag, newline))


def normalize_policy(xml_text, ignore_comments=True):
    """Canonical one-line form of a policy for comparison.

    Ignored: whitespace between elements, attribute order and quoting, ``<x></x>`` versus ``<x />``, entity
    versus literal characters, leading/trailing whitespace of text, whitespace runs in expressions outside
    string literals. Comments are ignored by default: they change no behaviour, so a comment-only edit is not
    worth an upload and cannot cause a perpetual change whatever APIM does with comments.
    """
    out = []
    _serialize(parse_policy(xml_text), out, None, 0, not ignore_comments, False)
    return "".join(out)


def policies_equal(first, second, ignore_comments=True):
    """True when two policies differ only in what APIM's reformatting changes."""
    return normalize_policy(first, ignore_comments) == normalize_policy(second, ignore_comments)


def pretty_policy(xml_text, indent="    ", keep_comments=True):
    """Stable indented form (sorted attributes, canonical values) so --diff shows only real changes.

    Expressions are written as in APIM's rawxml editor, unescaped, which reads better in a diff;
    parse_policy reads this form back.
    """
    out = []
    _serialize(parse_policy(xml_text), out, indent, 0, keep_comments, True)
    return "".join(out)
