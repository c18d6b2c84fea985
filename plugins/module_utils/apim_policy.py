# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Parse, validate, normalise and pretty-print Azure API Management policy XML.

Pure functions, standard library only: this runs inside Ansible modules.

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

SECTIONS = ("inbound", "backend", "outbound", "on-error")
SCOPES = ("service", "product", "api", "operation")
ALL = frozenset(SECTIONS)
INBOUND = frozenset(["inbound"])
OUTBOUND = frozenset(["outbound"])
BACKEND = frozenset(["backend"])


class PolicyError(Exception):
    """One problem in a policy document; ``line`` is 1-based, ``element`` the tag it concerns."""

    def __init__(self, message, line=None, element=None):
        super().__init__(message)
        self.message = message
        self.line = line
        self.element = element

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

_ENTITY = re.compile(r"&(?:[A-Za-z][A-Za-z0-9]*|#[0-9]+|#x[0-9A-Fa-f]+);")
_DECODED_QUOTES = {"&quot;": '"', "&apos;": "'"}


def _logical_char(text, pos):
    """The character at pos, reading an entity reference as the character it stands for (xml-format input)."""
    match = _ENTITY.match(text, pos)
    if match:
        entity = match.group(0)
        return _DECODED_QUOTES.get(entity, "x"), len(entity)
    return text[pos], 1


def _expression_end(text, start):
    """Index just past the expression opened by ``@(`` or ``@{`` at start, or None if it never closes.

    Brackets inside C# string and char literals (regular, verbatim ``@"..."``) do not count.
    """
    pos = start + 1
    depth = 0
    length = len(text)
    while pos < length:
        char, width = _logical_char(text, pos)
        if char in "({[":
            depth += 1
        elif char in ")}]":
            depth -= 1
            if depth == 0:
                return pos + width
        elif char in "\"'":
            verbatim = char == '"' and text[pos - 1] == "@"
            pos += width
            while pos < length:
                inner, inner_width = _logical_char(text, pos)
                if inner == "\\" and not verbatim:
                    pos += inner_width
                    if pos < length:
                        pos += _logical_char(text, pos)[1]
                    continue
                pos += inner_width
                if inner == char:
                    if verbatim and pos < length and _logical_char(text, pos)[0] == '"':
                        pos += _logical_char(text, pos)[1]
                        continue
                    break
            continue
        pos += width
    return None


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
            out.append(text[pos:])
            return "".join(out)
        out.append(text[pos:start])
        out.append(_escape_raw(text[start:end]))
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
    try:
        parser.Parse(rawxml_to_xml(xml_text.lstrip("\ufeff")), True)
    except xml.parsers.expat.ExpatError as exc:
        element = stack[-1].tag if stack else None
        where = " inside <%s>" % element if element else ""
        raise PolicyError("policy is not well-formed XML at line %d%s: %s"
                          % (exc.lineno, where, xml.parsers.expat.ErrorString(exc.code)),
                          line=exc.lineno, element=element)
    return root_holder[0]


# --------------------------------------------------------------------------------------------------------------
# the catalogue of policy elements


class ChildSpec:
    """Configuration child of a policy (not a policy itself): required attributes and its own children.

    children None means the content is not checked further.
    """

    def __init__(self, required=(), children=None):
        self.required = tuple(required)
        self.children = children


class ElementSpec:
    """A policy element: sections where APIM allows it, required attributes and what it may contain.

    any_of: groups of attribute names of which at least one must be present.
    container: its children are policies again, under the rules of the enclosing section.
    policy_children: names of policies allowed as children regardless of section (return-response).
    children: configuration children (ChildSpec by name); None = not checked.
    """

    def __init__(self, sections, required=(), any_of=(), container=False, policy_children=None,
                 children=None, check=None):
        self.sections = frozenset(sections)
        self.required = tuple(required)
        self.any_of = tuple(any_of)
        self.container = container
        self.policy_children = policy_children
        self.children = children
        self.check = check


def _check_token_limit(node):
    """llm-token-limit / azure-openai-token-limit: a rate, a quota with its period, or both."""
    has_quota = "token-quota" in node.attrs
    has_period = "token-quota-period" in node.attrs
    if has_quota != has_period:
        return ["token-quota and token-quota-period must be set together"]
    if "tokens-per-minute" not in node.attrs and not has_quota:
        return ["needs tokens-per-minute or token-quota with token-quota-period"]
    period = node.attrs.get("token-quota-period")
    if period is not None and period not in ("Hourly", "Daily", "Weekly", "Monthly", "Yearly"):
        return ["token-quota-period must be Hourly, Daily, Weekly, Monthly or Yearly, not %r" % period]
    return []


def _check_choose(node):
    problems = []
    kinds = [c.tag for c in node.elements()]
    if "when" not in kinds:
        problems.append("needs at least one <when>")
    if kinds.count("otherwise") > 1:
        problems.append("has more than one <otherwise>")
    elif "otherwise" in kinds and kinds[-1] != "otherwise":
        problems.append("<otherwise> must come after every <when>")
    return problems


def _check_content_safety(node):
    for child in node.elements():
        if child.tag == "categories":
            output_type = child.attrs.get("output-type", "FourSeverityLevels")
            if output_type not in ("FourSeverityLevels", "EightSeverityLevels") and not _is_expression(output_type):
                return ["categories output-type must be FourSeverityLevels or EightSeverityLevels"]
    return []


_VALUE = {"value": ChildSpec()}
_DIMENSIONS = {"dimension": ChildSpec(required=("name",))}
_VARY_BY = {"vary-by": ChildSpec()}
_CONTENT_SAFETY_CHILDREN = {
    "categories": ChildSpec(children={"category": ChildSpec(required=("name", "threshold"), children={})}),
    "blocklists": ChildSpec(children={"id": ChildSpec()}),
}

_TOKEN_LIMIT_ATTRS = dict(required=("counter-key",), check=_check_token_limit)

CATALOGUE = {
    "base": ElementSpec(ALL, children={}),
    # control flow
    "choose": ElementSpec(ALL, children={}, check=_check_choose),
    "when": ElementSpec(ALL, required=("condition",), container=True),
    "otherwise": ElementSpec(ALL, container=True),
    "retry": ElementSpec(ALL, required=("condition", "count", "interval"), container=True),
    "wait": ElementSpec(("inbound", "backend", "outbound"), container=True),
    "limit-concurrency": ElementSpec(ALL, required=("key", "max-count"), container=True),
    "include-fragment": ElementSpec(ALL, required=("fragment-id",), children={}),
    # routing and transformation
    "set-backend-service": ElementSpec(("inbound", "backend"), any_of=(("base-url", "backend-id"),), children={}),
    "forward-request": ElementSpec(BACKEND, children={}),
    "rewrite-uri": ElementSpec(INBOUND, required=("template",), children={}),
    "set-header": ElementSpec(ALL, required=("name",), children=_VALUE),
    "set-query-parameter": ElementSpec(("inbound", "backend"), required=("name",), children=_VALUE),
    "set-method": ElementSpec(("inbound", "on-error"), children={}),
    "set-status": ElementSpec(ALL, required=("code",), children={}),
    "set-body": ElementSpec(("inbound", "backend", "outbound"), children={}),
    "set-variable": ElementSpec(ALL, required=("name", "value"), children={}),
    "return-response": ElementSpec(ALL, policy_children=("set-status", "set-header", "set-body")),
    "mock-response": ElementSpec(("inbound", "outbound", "on-error"), children={}),
    "find-and-replace": ElementSpec(ALL, required=("from", "to"), children={}),
    "json-to-xml": ElementSpec(("inbound", "outbound", "on-error"), required=("apply",), children={}),
    "xml-to-json": ElementSpec(("inbound", "outbound", "on-error"), required=("kind", "apply"), children={}),
    "proxy": ElementSpec(INBOUND, required=("url",), children={}),
    "send-request": ElementSpec(ALL, required=("response-variable-name",)),
    "send-one-way-request": ElementSpec(ALL),
    # authentication and access restriction
    "authentication-managed-identity": ElementSpec(INBOUND, required=("resource",), children={}),
    "authentication-basic": ElementSpec(INBOUND, required=("username", "password"), children={}),
    "authentication-certificate": ElementSpec(INBOUND, any_of=(("thumbprint", "certificate-id", "body"),),
                                              children={}),
    "validate-jwt": ElementSpec(INBOUND, any_of=(("header-name", "query-parameter-name", "token-value"),)),
    "validate-azure-ad-token": ElementSpec(INBOUND, required=("tenant-id",), children={
        "audiences": ChildSpec(children={"audience": ChildSpec()}),
        "client-application-ids": ChildSpec(children={"application-id": ChildSpec()}),
        "backend-application-ids": ChildSpec(children={"application-id": ChildSpec()}),
        "required-claims": ChildSpec(children={"claim": ChildSpec(required=("name",),
                                                                  children={"value": ChildSpec()})}),
        "decryption-keys": ChildSpec(),
    }),
    "check-header": ElementSpec(INBOUND, required=("name", "failed-check-httpcode",
                                                   "failed-check-error-message", "ignore-case"), children=_VALUE),
    "ip-filter": ElementSpec(INBOUND, required=("action",)),
    "cors": ElementSpec(INBOUND),
    "rate-limit": ElementSpec(INBOUND, required=("calls", "renewal-period")),
    "rate-limit-by-key": ElementSpec(INBOUND, required=("calls", "renewal-period", "counter-key"), children={}),
    "quota": ElementSpec(INBOUND, required=("renewal-period",), any_of=(("calls", "bandwidth"),)),
    "quota-by-key": ElementSpec(INBOUND, required=("counter-key", "renewal-period"),
                                any_of=(("calls", "bandwidth"),), children={}),
    # AI gateway
    "llm-token-limit": ElementSpec(INBOUND, children={}, **_TOKEN_LIMIT_ATTRS),
    "azure-openai-token-limit": ElementSpec(INBOUND, children={}, **_TOKEN_LIMIT_ATTRS),
    "llm-emit-token-metric": ElementSpec(INBOUND, children=_DIMENSIONS),
    "azure-openai-emit-token-metric": ElementSpec(INBOUND, children=_DIMENSIONS),
    "llm-semantic-cache-lookup": ElementSpec(INBOUND, required=("score-threshold", "embeddings-backend-id",
                                                                "embeddings-backend-auth"), children=_VARY_BY),
    "azure-openai-semantic-cache-lookup": ElementSpec(INBOUND, required=("score-threshold", "embeddings-backend-id",
                                                                         "embeddings-backend-auth"),
                                                      children=_VARY_BY),
    "llm-semantic-cache-store": ElementSpec(OUTBOUND, required=("duration",), children={}),
    "azure-openai-semantic-cache-store": ElementSpec(OUTBOUND, required=("duration",), children={}),
    # the current reference allows it on prompts (inbound) and on completions (outbound)
    "llm-content-safety": ElementSpec(("inbound", "outbound"), required=("backend-id",), check=_check_content_safety,
                                      children=_CONTENT_SAFETY_CHILDREN),
    # caching
    "cache-lookup": ElementSpec(INBOUND, required=("vary-by-developer", "vary-by-developer-groups")),
    "cache-store": ElementSpec(OUTBOUND, required=("duration",), children={}),
    "cache-lookup-value": ElementSpec(ALL, required=("key", "variable-name"), children={}),
    "cache-store-value": ElementSpec(ALL, required=("key", "value", "duration"), children={}),
    "cache-remove-value": ElementSpec(ALL, required=("key",), children={}),
    # logging
    "log-to-eventhub": ElementSpec(ALL, required=("logger-id",), children={}),
    "emit-metric": ElementSpec(ALL, required=("name",), children=_DIMENSIONS),
    "trace": ElementSpec(ALL, required=("source",)),
}


# --------------------------------------------------------------------------------------------------------------
# validation


def validate_policy(xml_text, scope="api", allow_unknown_elements=False, require_all_sections=True):
    """Return the list of problems (PolicyError) in a policy; empty means APIM should accept it.

    scope: service (global), product, api or operation. ``<base />`` is refused at service scope, which has
    no parent to inherit from. allow_unknown_elements: accept elements missing from CATALOGUE (new APIM
    policies) without checking them. require_all_sections: APIM itself accepts a missing section, but the
    collection always renders all four so that nothing inherited is dropped silently.
    """
    if scope not in SCOPES:
        raise ValueError("scope must be one of %s, not %r" % (", ".join(SCOPES), scope))
    try:
        root = parse_policy(xml_text)
    except PolicyError as exc:
        return [exc]
    problems = []
    if root.tag != "policies":
        return [PolicyError("root element must be <policies>, not <%s> (line %d)" % (root.tag, root.line),
                            line=root.line, element=root.tag)]
    seen = {}
    for section in root.elements():
        if section.tag not in SECTIONS:
            problems.append(PolicyError(
                "<%s> at line %d is not a policy section; <policies> holds only %s"
                % (section.tag, section.line, ", ".join("<%s>" % s for s in SECTIONS)),
                line=section.line, element=section.tag))
            continue
        if section.tag in seen:
            problems.append(PolicyError("section <%s> at line %d repeats the one at line %d"
                                        % (section.tag, section.line, seen[section.tag]),
                                        line=section.line, element=section.tag))
            continue
        seen[section.tag] = section.line
        _check_section(section, scope, allow_unknown_elements, problems)
    if require_all_sections:
        for missing in (s for s in SECTIONS if s not in seen):
            problems.append(PolicyError("section <%s> is missing from <policies> (line %d)" % (missing, root.line),
                                        line=root.line, element=missing))
    return problems


def _check_section(section, scope, allow_unknown, problems):
    bases = [c for c in section.elements() if c.tag == "base"]
    if scope == "service":
        for base in bases:
            problems.append(PolicyError("<base /> at line %d in <%s> is not allowed at service (global) scope"
                                        % (base.line, section.tag), line=base.line, element="base"))
    elif len(bases) > 1:
        problems.append(PolicyError("<base /> at line %d in <%s> appears more than once"
                                    % (bases[1].line, section.tag), line=bases[1].line, element="base"))
    _check_text_free(section, section.tag, problems)
    for child in section.elements():
        _check_policy(child, section.tag, allow_unknown, problems, top_level=True, check_section=True)


def _check_policy(node, section, allow_unknown, problems, top_level=False, check_section=True):
    where = "at line %d in <%s>" % (node.line, section)
    spec = CATALOGUE.get(node.tag)
    if spec is None:
        if not allow_unknown:
            problems.append(PolicyError("unknown policy element <%s> %s" % (node.tag, where),
                                        line=node.line, element=node.tag))
        return
    if node.tag == "base" and not top_level:
        problems.append(PolicyError("<base /> %s must be a direct child of the section" % where,
                                    line=node.line, element="base"))
    if node.tag in ("when", "otherwise") and check_section:
        problems.append(PolicyError("<%s> %s is only allowed inside <choose>" % (node.tag, where),
                                    line=node.line, element=node.tag))
    if check_section and section not in spec.sections:
        problems.append(PolicyError("<%s> %s is not allowed in that section (allowed in: %s)"
                                    % (node.tag, where, ", ".join(s for s in SECTIONS if s in spec.sections)),
                                    line=node.line, element=node.tag))
    _check_attributes(node, spec.required, spec.any_of, where, problems)
    for message in (spec.check(node) if spec.check else []):
        problems.append(PolicyError("<%s> %s: %s" % (node.tag, where, message), line=node.line, element=node.tag))
    if node.tag == "choose":
        for branch in node.elements():
            if branch.tag in ("when", "otherwise"):
                _check_policy(branch, section, allow_unknown, problems, check_section=False)
            else:
                problems.append(PolicyError("<%s> at line %d in <choose> must be <when> or <otherwise>"
                                            % (branch.tag, branch.line), line=branch.line, element=branch.tag))
        _check_text_free(node, section, problems)
    elif spec.container:
        _check_text_free(node, section, problems)
        for child in node.elements():
            _check_policy(child, section, allow_unknown, problems)
    elif spec.policy_children is not None:
        _check_text_free(node, section, problems)
        for child in node.elements():
            if child.tag in spec.policy_children:
                _check_policy(child, section, allow_unknown, problems, check_section=False)
            else:
                problems.append(PolicyError("<%s> at line %d is not allowed inside <%s> (allowed: %s)"
                                            % (child.tag, child.line, node.tag, ", ".join(spec.policy_children)),
                                            line=child.line, element=child.tag))
    elif spec.children is not None:
        _check_config_children(node, spec.children, section, problems)


def _check_config_children(node, allowed, section, problems):
    for child in node.elements():
        child_spec = allowed.get(child.tag)
        if child_spec is None:
            problems.append(PolicyError("<%s> at line %d is not allowed inside <%s>%s"
                                        % (child.tag, child.line, node.tag,
                                           " (allowed: %s)" % ", ".join(sorted(allowed)) if allowed else ""),
                                        line=child.line, element=child.tag))
            continue
        _check_attributes(child, child_spec.required, (), "at line %d in <%s>" % (child.line, section), problems)
        if child_spec.children is not None:
            _check_config_children(child, child_spec.children, section, problems)


def _check_attributes(node, required, any_of, where, problems):
    for name in required:
        value = node.attrs.get(name)
        if value is None or not value.strip():
            problems.append(PolicyError("<%s> %s: missing required attribute %s" % (node.tag, where, name),
                                        line=node.line, element=node.tag))
    for group in any_of:
        if not any(node.attrs.get(name, "").strip() for name in group):
            problems.append(PolicyError("<%s> %s: needs one of the attributes %s"
                                        % (node.tag, where, ", ".join(group)), line=node.line, element=node.tag))


def _check_text_free(node, section, problems):
    if node.text.strip():
        problems.append(PolicyError("<%s> at line %d in <%s> holds text %r where only policies are allowed"
                                    % (node.tag, node.line, section, node.text.strip()[:40]),
                                    line=node.line, element=node.tag))


# --------------------------------------------------------------------------------------------------------------
# normalisation and printing


def _is_expression(value):
    stripped = value.strip()
    return stripped.startswith("@(") or stripped.startswith("@{")


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
        if char in "\"'":
            verbatim = char == '"' and pos > 0 and text[pos - 1] == "@"
            end = pos + 1
            while end < len(text):
                if text[end] == "\\" and not verbatim:
                    end += 2
                    continue
                if text[end] == char:
                    if verbatim and end + 1 < len(text) and text[end + 1] == '"':
                        end += 2
                        continue
                    break
                end += 1
            out.append(text[pos:end + 1])
            pos = end + 1
            continue
        out.append(char)
        pos += 1
    return "".join(out)


def _normalize_value(value):
    return _normalize_expression(value) if _is_expression(value) else value


def _normalize_text(text):
    text = text.replace("\r\n", "\n").strip()
    return _normalize_expression(text) if _is_expression(text) else text


def _escape_attr(value):
    return (value.replace("&", "&amp;").replace("<", "&lt;").replace('"', "&quot;")
            .replace("\n", "&#10;").replace("\t", "&#9;"))


def _escape_text(value):
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _is_whole_expression(value):
    """True when value is one balanced expression, so it can be written unescaped (rawxml) and read back."""
    return _is_expression(value) and _expression_end(value, 0) == len(value)


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
