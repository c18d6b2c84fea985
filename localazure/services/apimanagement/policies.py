"""Microsoft.ApiManagement policies in the local endpoint: documents at service, API, operation and product scope
(name "policy"), parsed as APIM parses them (rawxml lets expressions hold unescaped markup), refused where APIM
refuses a document's structure, stored formatted as APIM returns them for format=xml.
"""
from __future__ import annotations

import re
import xml.etree.ElementTree as ElementTree

from localazure.engine.contract import ResourceKind
from localazure.services.apimanagement.common import (API_TYPE, API_VERSIONS, OPERATION_TYPE, PRODUCT_TYPE, SERVICE_TYPE,
                                              SPEC_VERSIONS, apim_error, refuse_while_activating, validation_error,
                                              without_body_etag)


def _escape_expressions(value: str) -> str:
    """rawxml lets policy expressions @(...) / @{...} contain unescaped quotes and angle brackets
    (learn.microsoft.com/azure/api-management/api-management-policy-expressions); escape them so the
    document parses as XML, as APIM does when it stores the policy."""
    out: list[str] = []
    index = 0
    while index < len(value):
        if value.startswith(("@(", "@{"), index):
            end = _expression_end(value, index + 1)
            if end is not None:
                expression = value[index:end]
                if not re.search(r"&(?:amp|lt|gt|quot|apos);", expression):   # format xml: already escaped
                    expression = (expression.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
                                  .replace('"', "&quot;"))
                out.append(expression)
                index = end
                continue
        out.append(value[index])
        index += 1
    return "".join(out)


def _expression_end(value: str, start: int) -> int | None:
    """Index after the bracket closing the one at `start`, skipping C# string and char literals."""
    closing = {"(": ")", "{": "}"}
    stack = [closing[value[start]]]
    index = start + 1
    while index < len(value):
        char = value[index]
        if char in "\"'":
            quote, index = char, index + 1
            while index < len(value) and value[index] != quote:
                index += 2 if value[index] == "\\" else 1
        elif char in closing:
            stack.append(closing[char])
        elif char in ")}":
            if char != stack.pop():
                return None
            if not stack:
                return index + 1
        index += 1
    return None


def _parse_policy(value: str) -> ElementTree.Element:
    try:
        return ElementTree.fromstring(_escape_expressions(value), parser=ElementTree.XMLParser(
            target=ElementTree.TreeBuilder(insert_comments=True)))
    except ElementTree.ParseError as error:
        line, column = error.position
        raise validation_error("One or more fields contain incorrect values:", "representation",
                                f"{str(error).split(':')[0].capitalize()}. Line {line}, position {column + 1}.")


# learn.microsoft.com/azure/api-management/api-management-howto-policies: a document is <policies> with these
# sections, each at most once; a few elements belong to one section only (their reference pages' "Policy sections").
SECTIONS = ("inbound", "backend", "outbound", "on-error")
ONLY_IN = {"forward-request": ("backend",), "llm-semantic-cache-store": ("outbound",),
           "azure-openai-semantic-cache-store": ("outbound",), "llm-semantic-cache-lookup": ("inbound",),
           "azure-openai-semantic-cache-lookup": ("inbound",), "llm-content-safety": ("inbound",)}
# Whole numbers of at least 1, and other attribute values of the elements the local gateway evaluates, which
# API Management refuses when a policy is saved (each element's policy reference page).
POSITIVE = ("tokens-per-minute", "token-quota", "count", "max-count", "timeout", "calls", "duration")
QUOTA_PERIODS = ("Hourly", "Daily", "Weekly", "Monthly", "Yearly")
# The metric policies: Azure Monitor takes 10 dimension keys per metric and API Management uses 5 for its defaults,
# so a policy configures at most 5 custom dimensions (learn.microsoft.com/azure/api-management/
# llm-emit-token-metric-policy, "Limits for custom metrics"; the same for emit-metric and
# azure-openai-emit-token-metric); their attributes are those of each page's Attributes tables.
METRIC_POLICIES = {"llm-emit-token-metric": ("namespace",), "azure-openai-emit-token-metric": ("namespace",),
                   "emit-metric": ("name", "namespace", "value")}
METRIC_DIMENSION_ATTRIBUTES = ("name", "value")
CUSTOM_DIMENSIONS_MOST = 5


def policy_problems(value: str) -> list[str]:
    """What API Management refuses in a policy document's structure and in the attributes of the elements the local
    gateway evaluates, each with its line; empty for a document it stores."""
    for line_number, line in enumerate(value.splitlines(), 1):
        for start in (match.start() for match in re.finditer(r"@[({]", line)):
            if _expression_end(value, _offset(value, line_number) + start + 1) is None:
                return [f"the policy expression at line {line_number} never closes its brackets"]
    root = _parse_policy(value)
    if root.tag != "policies":
        return [f"the root element must be <policies>, not <{root.tag}>"]
    problems, seen = [], set()
    for section in (child for child in root if child.tag is not ElementTree.Comment):
        if section.tag not in SECTIONS:
            problems.append(f"<{section.tag}> is not a policy section")
            continue
        if section.tag in seen:
            problems.append(f"<{section.tag}> repeats an earlier one")
        seen.add(section.tag)
        if (section.text or "").strip() or any((child.tail or "").strip() for child in section):
            problems.append(f"<{section.tag}> holds text")
        problems += _element_problems(section, section.tag, top=True)
    return problems


def _offset(value: str, line_number: int) -> int:
    return sum(len(line) for line in value.splitlines(keepends=True)[:line_number - 1])


def _element_problems(parent: ElementTree.Element, section: str, top: bool) -> list[str]:
    problems = []
    children = [child for child in parent if child.tag is not ElementTree.Comment]
    for child in children:
        tag = child.tag
        if tag == "base" and not top:
            problems.append(f"<base /> in <{section}> must be a direct child of the section")
        if tag in ("when", "otherwise") and parent.tag != "choose":
            problems.append(f"<{tag}> is only allowed inside <choose>")
        if tag in ONLY_IN and section not in ONLY_IN[tag]:
            problems.append(f"<{tag}> is not allowed in <{section}>")
        problems += _attribute_problems(child)
        if tag not in ("set-body", "return-response", "send-request", "send-one-way-request"):
            problems += _element_problems(child, section, top=False)
    order = [child.tag for child in children if child.tag in ("when", "otherwise")]
    if parent.tag == "choose" and "otherwise" in order and order.index("otherwise") < len(order) - 1:
        problems.append("<otherwise> must come after every <when>")
    return problems


def _attribute_problems(element: ElementTree.Element) -> list[str]:
    """The attribute rules of the elements the local gateway evaluates (values given as expressions are not
    checked: they are only known per request)."""
    tag, attrs, problems = element.tag, element.attrib, []
    # Expressions are only known per request, {{named values}} once APIM substitutes them.
    fixed = {name: value for name, value in attrs.items() if not value.startswith("@") and "{{" not in value}
    limits = tag in ("llm-token-limit", "azure-openai-token-limit")
    if tag in ("llm-token-limit", "azure-openai-token-limit", "retry", "rate-limit-by-key", "limit-concurrency",
               "send-request", "cache-store-value"):
        for name in POSITIVE:
            if name in fixed and not (fixed[name].isdigit() and int(fixed[name]) >= 1):
                problems.append(f"<{tag}> {name} must be a whole number of at least 1, not \"{fixed[name]}\"")
    if limits:
        if "counter-key" not in attrs:
            problems.append(f"<{tag}> is missing the required attribute counter-key")
        if "tokens-per-minute" not in attrs and "token-quota" not in attrs:
            problems.append(f"<{tag}> needs tokens-per-minute or token-quota")
        if ("token-quota" in attrs) != ("token-quota-period" in attrs):
            problems.append(f"<{tag}> token-quota and token-quota-period must be set together")
        if fixed.get("token-quota-period", "Monthly") not in QUOTA_PERIODS:
            problems.append(f"<{tag}> token-quota-period must be one of {', '.join(QUOTA_PERIODS)}")
        if fixed.get("estimate-prompt-tokens", "false") not in ("true", "false"):
            problems.append(f"<{tag}> estimate-prompt-tokens must be true or false")
    if tag in METRIC_POLICIES:
        problems += _metric_problems(element)
    if tag == "retry" and "condition" not in attrs:
        problems.append("<retry> is missing the required attribute condition")
    if tag in ("llm-semantic-cache-lookup", "azure-openai-semantic-cache-lookup") and "score-threshold" in fixed:
        try:
            in_range = 0 <= float(fixed["score-threshold"]) <= 1
        except ValueError:
            in_range = False
        if not in_range:
            problems.append(f"<{tag}> score-threshold must be a number from 0 to 1")
    if tag == "categories" and fixed.get("output-type", "FourSeverityLevels") not in ("FourSeverityLevels",
                                                                                      "EightSeverityLevels"):
        problems.append("<categories> output-type must be FourSeverityLevels or EightSeverityLevels")
    if tag == "category":
        if "threshold" not in attrs:
            problems.append("<category> is missing the required attribute threshold")
        elif not (fixed.get("threshold", "0").isdigit() and int(fixed.get("threshold", "0")) <= 7):
            problems.append("<category> threshold must be a whole number from 0 to 7")
    return problems


def _metric_problems(element: ElementTree.Element) -> list[str]:
    tag, problems = element.tag, []
    problems += [f"<{tag}> has the attribute {name}, which the policy does not define"
                 for name in element.attrib if name not in METRIC_POLICIES[tag]]
    dimensions = [child for child in element if child.tag == "dimension"]
    problems += [f"<dimension> of <{tag}> has the attribute {name}, which the policy does not define"
                 for child in dimensions for name in child.attrib if name not in METRIC_DIMENSION_ATTRIBUTES]
    if len(dimensions) > CUSTOM_DIMENSIONS_MOST:
        problems.append(f"<{tag}> has {len(dimensions)} custom dimensions: a metric policy takes at most "
                        f"{CUSTOM_DIMENSIONS_MOST}")
    return problems


def _attributes(element: ElementTree.Element) -> str:
    quoted = "".join(f' {name}="{_escape(value, attribute=True)}"' for name, value in element.attrib.items())
    return quoted


def _escape(text: str, attribute: bool = False) -> str:
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return text.replace('"', "&quot;") if attribute else text


def format_policy(value: str) -> str:
    """The policy as APIM returns it for format=xml: one element per line, tab indentation, CRLF line
    ends, empty elements self-closed as `<x />`.  Clients must normalise before comparing."""
    lines: list[str] = []

    def emit(element: ElementTree.Element, depth: int) -> None:
        indent = "\t" * depth
        if element.tag is ElementTree.Comment:
            lines.append(f"{indent}<!--{element.text or ''}-->")
            return
        text = (element.text or "").strip()
        children = list(element)
        if not children and not text:
            lines.append(f"{indent}<{element.tag}{_attributes(element)} />")
        elif not children:
            lines.append(f"{indent}<{element.tag}{_attributes(element)}>{_escape(text)}</{element.tag}>")
        else:
            lines.append(f"{indent}<{element.tag}{_attributes(element)}>")
            if text:
                lines.append(f"{indent}\t{_escape(text)}")
            for child in children:
                emit(child, depth + 1)
                tail = (child.tail or "").strip()
                if tail:
                    lines.append(f"{indent}\t{_escape(tail)}")
            lines.append(f"{indent}</{element.tag}>")

    emit(_parse_policy(value), 0)
    return "\r\n".join(lines)


class PolicyKind(ResourceKind):
    """Service, API, operation and product policies (name "policy")."""
    type_name = f"{SERVICE_TYPE}/policies"
    api_versions = API_VERSIONS
    spec_versions = SPEC_VERSIONS
    has_location = False
    etag = "apim"
    system_data = False

    def validate(self, ctx, body, current):
        refuse_while_activating(ctx)
        if ctx.name != "policy":
            raise apim_error(400, "ValidationError", f"Policy identifier '{ctx.name}' is invalid; it must be 'policy'.")
        props = body.get("properties") or {}
        if props.get("format", "xml") in ("xml-link", "rawxml-link"):
            # Policy links are fetched by the service; nothing is reachable from here.
            raise validation_error("One or more fields contain incorrect values:", "value",
                                    "Policy links are not supported by localazure.")
        problems = policy_problems(props.get("value") or "")
        if problems:
            raise validation_error("One or more fields contain incorrect values:", "representation",
                                   "; ".join(problems))

    def on_create(self, ctx, body):
        self._store_formats(body)

    def on_update(self, ctx, current, body):
        self._store_formats(body)

    @staticmethod
    def _store_formats(body):
        props = body.setdefault("properties", {})
        props["format"] = "xml"
        props["rawValue"] = props["value"]
        props["value"] = format_policy(props["value"])

    def present(self, ctx, body):
        props = body.get("properties") or {}
        raw = props.pop("rawValue", None)
        if (ctx.query or {}).get("format") == "rawxml" and raw is not None:
            props.update(format="rawxml", value=raw)
        return without_body_etag(body)


class ApiPolicyKind(PolicyKind):
    type_name = f"{API_TYPE}/policies"


class OperationPolicyKind(PolicyKind):
    type_name = f"{OPERATION_TYPE}/policies"


class ProductPolicyKind(PolicyKind):
    type_name = f"{PRODUCT_TYPE}/policies"
