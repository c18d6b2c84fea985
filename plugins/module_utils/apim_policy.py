# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Validate Azure API Management policy documents before they are uploaded.

The catalogue below holds every policy of Microsoft's policy reference (Microsoft Learn, "API Management policy
reference", and each policy's "Usage" section): the sections it is allowed in, its required attributes, the types of
the attributes whose values are plain literals, and the configuration children it takes (for send-request and
return-response those children are policies again, checked as such whatever the section).

What API Management refuses, or what cannot work, is an error; what it accepts but is probably not meant is a
warning (an element this catalogue does not know, a missing section, a managed-identity token that goes nowhere).
A validator that refuses a valid policy blocks its user harder than one that misses a mistake, so anything the
reference leaves open is accepted. Values that are policy expressions (``@(...)``, ``@{...}``) or hold a named
value (``{{name}}``) are only known at run time and are not type-checked.

The syntax (rawxml, expressions, normalising, printing) lives in apim_policy_syntax.py and is re-exported here.
"""

from __future__ import annotations

from ansible_collections.aigateway.foundry.plugins.module_utils import validation
from ansible_collections.aigateway.foundry.plugins.module_utils.apim_policy_syntax import (
    PolicyError,
    PolicyNode,
    is_expression,
    expression_shape,
    normalize_policy,
    parse_policy,
    policies_equal,
    policy_expressions,
    pretty_policy,
    rawxml_to_xml,
)

# the syntax is re-exported: callers need one import for reading, comparing and validating policies
__all__ = ["CATALOGUE", "PolicyError", "PolicyNode", "check_policy", "expression_shape", "expressions_problem",
           "is_expression", "normalize_policy", "parse_policy", "policies_equal", "policy_expressions", "pretty_policy",
           "rawxml_to_xml", "validate_policy"]

SECTIONS = ("inbound", "backend", "outbound", "on-error")
SCOPES = ("service", "product", "api", "operation", "fragment")
UNKNOWN_ELEMENT_MODES = ("warn", "error")
ALL = frozenset(SECTIONS)
INBOUND = frozenset(["inbound"])
OUTBOUND = frozenset(["outbound"])
BACKEND = frozenset(["backend"])
NOT_BACKEND = frozenset(["inbound", "outbound", "on-error"])
RESPONSE_SIDE = frozenset(["outbound", "on-error"])
# the roots of GraphQL resolver policies, never inside <policies>
RESOLVER = frozenset()


# --------------------------------------------------------------------------------------------------------------
# attribute value types: each returns the rule a literal value breaks, or None


def whole(minimum=None, maximum=None):
    if maximum is not None:
        rule = "a whole number from %d to %d" % (minimum, maximum)
    else:
        rule = "a whole number of at least %d" % minimum

    def check(value):
        try:
            number = int(value.strip())
        except ValueError:
            return rule
        if number < minimum or (maximum is not None and number > maximum):
            return rule
        return None
    return check


def decimal(minimum, maximum):
    rule = "a number from %s to %s" % (minimum, maximum)

    def check(value):
        try:
            number = float(value.strip())
        except ValueError:
            return rule
        return None if minimum <= number <= maximum else rule
    return check


def one_of(*choices):
    rule = "one of %s" % ", ".join(choices)
    lowered = {c.lower() for c in choices}

    def check(value):
        # API Management reads these names without regard to case
        return None if value.strip().lower() in lowered else rule
    return check


def any_number(value):
    try:
        float(value.strip())
    except ValueError:
        return "a number"
    return None


POSITIVE = whole(1)
NON_NEGATIVE = whole(0)
HTTP_STATUS = whole(100, 599)
BOOL = one_of("true", "false")
CACHING_TYPE = one_of("internal", "external", "prefer-external")
EXISTS_ACTION = one_of("override", "skip", "append", "delete")
VALIDATION_ACTION = one_of("ignore", "detect", "prevent")
QUOTA_PERIOD = one_of("Hourly", "Daily", "Weekly", "Monthly", "Yearly")


def is_runtime_value(value):
    """Known only when the gateway runs: a policy expression, or a named value API Management substitutes."""
    return is_expression(value) or "{{" in value


# --------------------------------------------------------------------------------------------------------------
# the catalogue


class ChildSpec:
    """Configuration child of a policy (not a policy itself): required attributes, attribute types, children.

    children None means the content is not checked further.
    """

    any_of = ()

    def __init__(self, required=(), attrs=None, children=None, known=None):
        self.required = tuple(required)
        self.attrs = dict(attrs or {})
        self.children = children
        self.known = known


class ElementSpec:
    """A policy element: the sections where API Management allows it, its attributes and what it may contain.

    required: attribute names that must be present and not blank; any_of: groups of names of which at least one
    must be present; attrs: name -> value type. container: its children are policies under the rules of the
    enclosing section. children: name -> ChildSpec, or POLICY for a policy checked as such in any section; None
    leaves the content unchecked. check / advise: functions (node, section) -> messages, errors / warnings.
    known: every attribute the policy defines, where we hold the whole list (others are refused); None: unchecked.
    """

    def __init__(self, sections, required=(), any_of=(), attrs=None, container=False, children=None,
                 check=None, advise=None, known=None):
        self.sections = frozenset(sections)
        self.required = tuple(required)
        self.any_of = tuple(any_of)
        self.attrs = dict(attrs or {})
        self.container = container
        self.children = children
        self.check = check
        self.advise = advise
        self.known = known


POLICY = "policy"


def _check_token_limit(node, _section):
    """llm-token-limit / azure-openai-token-limit: a rate, a quota with its period, or both."""
    has_quota = "token-quota" in node.attrs
    has_period = "token-quota-period" in node.attrs
    if has_quota != has_period:
        return ["token-quota and token-quota-period must be set together"]
    if "tokens-per-minute" not in node.attrs and not has_quota:
        return ["needs tokens-per-minute or token-quota with token-quota-period"]
    return []


def _check_choose(node, _section):
    problems = []
    kinds = [c.tag for c in node.elements()]
    if "when" not in kinds:
        problems.append("needs at least one <when>")
    if kinds.count("otherwise") > 1:
        problems.append("has more than one <otherwise>")
    elif "otherwise" in kinds and kinds[-1] != "otherwise":
        problems.append("<otherwise> must come after every <when>")
    return problems


def _advise_managed_identity(node, section):
    # Outside <inbound> the token is useful only in a variable, for a send-request that follows.
    if section != "inbound" and not node.attrs.get("output-token-variable-name"):
        return ["outside <inbound> without output-token-variable-name the token is not used by any request"]
    return []


_VALUE = {"value": ChildSpec()}
_DIMENSIONS = {"dimension": ChildSpec(required=("name",), known=("name", "value"))}


def _check_dimensions(node, _section):
    count = len([child for child in node.elements() if child.tag == "dimension"])
    if count > validation.CUSTOM_DIMENSIONS_MOST:
        return ["has %d custom dimensions: a metric policy takes at most %d"
                % (count, validation.CUSTOM_DIMENSIONS_MOST)]
    return []


_VARY_BY = {"vary-by": ChildSpec()}
_KEYS = ChildSpec(children={"key": ChildSpec()})
_CLAIMS = ChildSpec(children={"claim": ChildSpec(required=("name",), attrs={"match": one_of("all", "any")},
                                                 children={"value": ChildSpec()})})
_AUDIENCES = ChildSpec(children={"audience": ChildSpec()})
_APPLICATION_IDS = ChildSpec(children={"application-id": ChildSpec()})
_CONTENT_SAFETY_CHILDREN = {
    "categories": ChildSpec(
        attrs={"output-type": one_of("FourSeverityLevels", "EightSeverityLevels")},
        children={"category": ChildSpec(required=("name", "threshold"), children={},
                                        attrs={"name": one_of("Hate", "SelfHarm", "Sexual", "Violence"),
                                               "threshold": whole(0, 7)})}),
    "blocklists": ChildSpec(children={"id": ChildSpec()}),
}
_LIMIT_PER_API = {"api": ChildSpec(attrs={"calls": POSITIVE, "renewal-period": POSITIVE, "bandwidth": POSITIVE},
                                   children={"operation": ChildSpec(attrs={"calls": POSITIVE, "renewal-period": POSITIVE,
                                                                           "bandwidth": POSITIVE}, children={})})}
# What send-request and send-one-way-request take: the request to send, described with policies.
_REQUEST_CHILDREN = {
    "set-url": ChildSpec(children={}),
    "set-method": POLICY,
    "set-header": POLICY,
    "set-body": POLICY,
    "authentication-certificate": POLICY,
    "authentication-managed-identity": POLICY,
    "proxy": POLICY,
}
_TOKEN_LIMIT = dict(required=("counter-key",), check=_check_token_limit, children={},
                    attrs={"tokens-per-minute": POSITIVE, "token-quota": POSITIVE, "token-quota-period": QUOTA_PERIOD,
                           "estimate-prompt-tokens": BOOL})
_SEMANTIC_LOOKUP = dict(required=("score-threshold", "embeddings-backend-id", "embeddings-backend-auth"),
                        attrs={"score-threshold": decimal(0, 1), "embeddings-backend-auth": one_of("system-assigned"),
                               "ignore-system-messages": BOOL, "max-message-count": POSITIVE},
                        children=_VARY_BY)
_DAPR_ATTRS = {"ignore-error": BOOL, "timeout": POSITIVE}
_SEMANTIC_STORE = dict(required=("duration",), attrs={"duration": POSITIVE}, children={})

CATALOGUE = {
    "base": ElementSpec(ALL, children={}),
    # policy control and flow
    "choose": ElementSpec(ALL, children={}, check=_check_choose),
    "when": ElementSpec(ALL, required=("condition",), container=True),
    "otherwise": ElementSpec(ALL, container=True),
    "retry": ElementSpec(ALL, required=("condition", "count", "interval"), container=True,
                         attrs={"count": POSITIVE, "interval": NON_NEGATIVE, "max-interval": NON_NEGATIVE,
                                "delta": NON_NEGATIVE, "first-fast-retry": BOOL}),
    "wait": ElementSpec(("inbound", "backend", "outbound"), container=True, attrs={"for": one_of("all", "any")}),
    "include-fragment": ElementSpec(ALL, required=("fragment-id",), children={}),
    # rate limiting and quotas
    "rate-limit": ElementSpec(INBOUND, required=("calls", "renewal-period"), children=_LIMIT_PER_API,
                              attrs={"calls": POSITIVE, "renewal-period": POSITIVE}),
    "rate-limit-by-key": ElementSpec(INBOUND, required=("calls", "renewal-period", "counter-key"), children={},
                                     attrs={"calls": POSITIVE, "renewal-period": POSITIVE,
                                            "increment-count": POSITIVE}),
    "quota": ElementSpec(INBOUND, required=("renewal-period",), any_of=(("calls", "bandwidth"),),
                         children=_LIMIT_PER_API,
                         attrs={"calls": POSITIVE, "bandwidth": POSITIVE, "renewal-period": NON_NEGATIVE}),
    "quota-by-key": ElementSpec(INBOUND, required=("counter-key", "renewal-period"), any_of=(("calls", "bandwidth"),),
                                children={}, attrs={"calls": POSITIVE, "bandwidth": POSITIVE,
                                                    "renewal-period": NON_NEGATIVE, "increment-count": POSITIVE}),
    "limit-concurrency": ElementSpec(ALL, required=("key", "max-count"), container=True,
                                     attrs={"max-count": POSITIVE}),
    "llm-token-limit": ElementSpec(INBOUND, **_TOKEN_LIMIT),
    "azure-openai-token-limit": ElementSpec(INBOUND, **_TOKEN_LIMIT),
    # authentication and authorization
    "check-header": ElementSpec(INBOUND, required=("name", "failed-check-httpcode", "failed-check-error-message",
                                                   "ignore-case"), children=_VALUE,
                                attrs={"failed-check-httpcode": HTTP_STATUS, "ignore-case": BOOL}),
    "get-authorization-context": ElementSpec(INBOUND, required=("provider-id", "authorization-id",
                                                                "context-variable-name"), children={},
                                             attrs={"identity-type": one_of("managed", "jwt"), "ignore-error": BOOL}),
    "ip-filter": ElementSpec(INBOUND, required=("action",), attrs={"action": one_of("allow", "forbid")},
                             children={"address": ChildSpec(children={}),
                                       "address-range": ChildSpec(required=("from", "to"), children={})}),
    "validate-azure-ad-token": ElementSpec(
        INBOUND, required=("tenant-id",), attrs={"failed-validation-httpcode": HTTP_STATUS},
        children={"audiences": _AUDIENCES, "client-application-ids": _APPLICATION_IDS,
                  "backend-application-ids": _APPLICATION_IDS, "required-claims": _CLAIMS, "decryption-keys": _KEYS}),
    "validate-jwt": ElementSpec(
        INBOUND, any_of=(("header-name", "query-parameter-name", "token-value"),),
        attrs={"failed-validation-httpcode": HTTP_STATUS, "require-expiration-time": BOOL,
               "require-signed-tokens": BOOL, "clock-skew": NON_NEGATIVE},
        children={"openid-config": ChildSpec(required=("url",), children={}), "issuer-signing-keys": _KEYS,
                  "decryption-keys": _KEYS, "audiences": _AUDIENCES,
                  "issuers": ChildSpec(children={"issuer": ChildSpec()}), "required-claims": _CLAIMS}),
    "validate-client-certificate": ElementSpec(
        INBOUND, attrs=dict.fromkeys(("validate-revocation", "validate-trust", "validate-not-before",
                                      "validate-not-after", "ignore-error"), BOOL),
        children={"identities": ChildSpec(children={"identity": ChildSpec(children={})})}),
    "authentication-basic": ElementSpec(INBOUND, required=("username", "password"), children={}),
    "authentication-certificate": ElementSpec(INBOUND, any_of=(("thumbprint", "certificate-id", "body"),),
                                              children={}),
    # allowed in every section: with output-token-variable-name it only fetches a token for a later send-request
    "authentication-managed-identity": ElementSpec(ALL, required=("resource",), attrs={"ignore-error": BOOL},
                                                   children={}, advise=_advise_managed_identity),
    # content safety and validation
    # the current reference allows it on prompts (inbound) and on completions (outbound)
    "llm-content-safety": ElementSpec(("inbound", "outbound"), required=("backend-id",),
                                      attrs={"shield-prompt": BOOL}, children=_CONTENT_SAFETY_CHILDREN),
    "validate-content": ElementSpec(NOT_BACKEND, required=("unspecified-content-type-action", "max-size",
                                                           "size-exceeded-action"),
                                    attrs={"unspecified-content-type-action": VALIDATION_ACTION,
                                           "size-exceeded-action": VALIDATION_ACTION, "max-size": POSITIVE}),
    "validate-graphql-request": ElementSpec(INBOUND, attrs={"max-size": POSITIVE, "max-depth": POSITIVE}),
    "validate-odata-request": ElementSpec(INBOUND, attrs={"max-size": POSITIVE}),
    "validate-parameters": ElementSpec(INBOUND, required=("specified-parameter-action",
                                                          "unspecified-parameter-action"),
                                       attrs={"specified-parameter-action": VALIDATION_ACTION,
                                              "unspecified-parameter-action": VALIDATION_ACTION}),
    "validate-headers": ElementSpec(RESPONSE_SIDE, required=("specified-header-action", "unspecified-header-action"),
                                    attrs={"specified-header-action": VALIDATION_ACTION,
                                           "unspecified-header-action": VALIDATION_ACTION}),
    "validate-status-code": ElementSpec(RESPONSE_SIDE, required=("unspecified-status-code-action",),
                                        attrs={"unspecified-status-code-action": VALIDATION_ACTION}),
    # routing
    "forward-request": ElementSpec(BACKEND, children={}, attrs={
        "timeout": NON_NEGATIVE, "timeout-ms": NON_NEGATIVE, "continue-timeout": NON_NEGATIVE,
        "follow-redirects": BOOL, "buffer-request-body": BOOL, "buffer-response": BOOL,
        "fail-on-error-status-code": BOOL, "http-version": one_of("1", "2or1", "2")}),
    "set-backend-service": ElementSpec(("inbound", "backend"), any_of=(("base-url", "backend-id"),), children={}),
    "proxy": ElementSpec(INBOUND, required=("url",), children={}),
    # caching
    "cache-lookup": ElementSpec(INBOUND, required=("vary-by-developer", "vary-by-developer-groups"),
                                attrs={"vary-by-developer": BOOL, "vary-by-developer-groups": BOOL,
                                       "caching-type": CACHING_TYPE, "must-revalidate": BOOL,
                                       "allow-private-response-caching": BOOL,
                                       "downstream-caching-type": one_of("none", "private", "public")},
                                children={"vary-by-header": ChildSpec(children={}),
                                          "vary-by-query-parameter": ChildSpec(children={})}),
    "cache-store": ElementSpec(OUTBOUND, required=("duration",), attrs={"duration": POSITIVE, "cache-response": BOOL},
                               children={}),
    "cache-lookup-value": ElementSpec(ALL, required=("key", "variable-name"), attrs={"caching-type": CACHING_TYPE},
                                      children={}),
    "cache-store-value": ElementSpec(ALL, required=("key", "value", "duration"),
                                     attrs={"duration": POSITIVE, "caching-type": CACHING_TYPE}, children={}),
    "cache-remove-value": ElementSpec(ALL, required=("key",), attrs={"caching-type": CACHING_TYPE}, children={}),
    "llm-semantic-cache-lookup": ElementSpec(INBOUND, **_SEMANTIC_LOOKUP),
    "azure-openai-semantic-cache-lookup": ElementSpec(INBOUND, **_SEMANTIC_LOOKUP),
    "llm-semantic-cache-store": ElementSpec(OUTBOUND, **_SEMANTIC_STORE),
    "azure-openai-semantic-cache-store": ElementSpec(OUTBOUND, **_SEMANTIC_STORE),
    # transformation
    "set-method": ElementSpec(("inbound", "on-error"), children={}),
    "set-status": ElementSpec(ALL, required=("code",), attrs={"code": HTTP_STATUS}, children={}),
    "set-variable": ElementSpec(ALL, required=("name", "value"), children={}),
    # a liquid template may be XML, so the content is not checked
    "set-body": ElementSpec(("inbound", "backend", "outbound"),
                            attrs={"template": one_of("liquid", "none"), "xsi-nil": one_of("blank", "null"),
                                   "parse-date": BOOL}),
    "set-header": ElementSpec(ALL, required=("name",), attrs={"exists-action": EXISTS_ACTION}, children=_VALUE),
    "set-query-parameter": ElementSpec(("inbound", "backend"), required=("name",),
                                       attrs={"exists-action": EXISTS_ACTION}, children=_VALUE),
    "rewrite-uri": ElementSpec(INBOUND, required=("template",), attrs={"copy-unmatched-params": BOOL}, children={}),
    "json-to-xml": ElementSpec(NOT_BACKEND, required=("apply",), children={},
                               attrs={"apply": one_of("always", "content-type-json"), "consider-accept-header": BOOL,
                                      "parse-date": BOOL}),
    "xml-to-json": ElementSpec(NOT_BACKEND, required=("kind", "apply"), children={},
                               attrs={"kind": one_of("javascript-friendly", "direct"),
                                      "apply": one_of("always", "content-type-xml"), "consider-accept-header": BOOL,
                                      "always-array-child-elements": BOOL}),
    "find-and-replace": ElementSpec(ALL, required=("from", "to"), children={}),
    "redirect-content-urls": ElementSpec(("inbound", "outbound"), children={}),
    "xsl-transform": ElementSpec(("inbound", "outbound")),
    "return-response": ElementSpec(ALL, children={"set-status": POLICY, "set-header": POLICY, "set-body": POLICY}),
    "mock-response": ElementSpec(NOT_BACKEND, attrs={"status-code": HTTP_STATUS}, children={}),
    # cross-domain
    "cross-domain": ElementSpec(INBOUND),
    "cors": ElementSpec(INBOUND, attrs={"allow-credentials": BOOL, "terminate-unmatched-request": BOOL}, children={
        "allowed-origins": ChildSpec(children={"origin": ChildSpec(children={})}),
        "allowed-methods": ChildSpec(attrs={"preflight-result-max-age": NON_NEGATIVE},
                                     children={"method": ChildSpec(children={})}),
        "allowed-headers": ChildSpec(children={"header": ChildSpec(children={})}),
        "expose-headers": ChildSpec(children={"header": ChildSpec(children={})}),
    }),
    "jsonp": ElementSpec(OUTBOUND, required=("callback-parameter-name",), children={}),
    # integration and external communication
    "send-request": ElementSpec(ALL, required=("response-variable-name",), children=_REQUEST_CHILDREN,
                                attrs={"mode": one_of("new", "copy"), "timeout": POSITIVE, "ignore-error": BOOL}),
    "send-one-way-request": ElementSpec(ALL, children=_REQUEST_CHILDREN,
                                        attrs={"mode": one_of("new", "copy"), "timeout": POSITIVE}),
    "log-to-eventhub": ElementSpec(ALL, required=("logger-id",), children={}),
    "send-service-bus-message": ElementSpec(ALL),
    "publish-to-dapr": ElementSpec(NOT_BACKEND, required=("topic",), children={}, attrs=_DAPR_ATTRS),
    "invoke-dapr-binding": ElementSpec(NOT_BACKEND, required=("name",), attrs=_DAPR_ATTRS),
    # logging
    "trace": ElementSpec(ALL, required=("source",), attrs={"severity": one_of("verbose", "information", "error")},
                         children={"message": ChildSpec(children={}),
                                   "metadata": ChildSpec(required=("name", "value"), children={})}),
    "emit-metric": ElementSpec(ALL, required=("name",), attrs={"value": any_number}, children=_DIMENSIONS,
                               check=_check_dimensions, known=("name", "namespace", "value")),
    "llm-emit-token-metric": ElementSpec(INBOUND, children=_DIMENSIONS, check=_check_dimensions,
                                         known=("namespace",)),
    "azure-openai-emit-token-metric": ElementSpec(INBOUND, children=_DIMENSIONS, check=_check_dimensions,
                                                  known=("namespace",)),
    # GraphQL resolvers: each is the root of a resolver's own policy document
    "http-data-source": ElementSpec(RESOLVER),
    "sql-data-source": ElementSpec(RESOLVER),
    "cosmosdb-data-source": ElementSpec(RESOLVER),
    "publish-event": ElementSpec(RESOLVER),
}


# --------------------------------------------------------------------------------------------------------------
# validation


def check_policy(xml_text, scope="api", unknown_elements="warn", require_all_sections=False):
    """Every finding (PolicyError, errors and warnings) in a policy document, in the order of its lines.

    scope: service (global), product, api, operation, or fragment (a policy fragment, root ``<fragment>``).
    ``<base />`` is refused at service scope, which has no parent to inherit from. unknown_elements: "warn"
    (API Management may know policies newer than this catalogue) or "error". require_all_sections: a missing
    section is an error instead of a warning (API Management accepts it, but the section then inherits nothing).
    """
    if scope not in SCOPES:
        raise ValueError("scope must be one of %s, not %r" % (", ".join(SCOPES), scope))
    if unknown_elements not in UNKNOWN_ELEMENT_MODES:
        raise ValueError("unknown_elements must be one of %s, not %r"
                         % (", ".join(UNKNOWN_ELEMENT_MODES), unknown_elements))
    try:
        root = parse_policy(xml_text)
    except PolicyError as exc:
        return [exc]
    checker = _Checker(unknown_elements)
    if scope == "fragment":
        checker.fragment(root)
    else:
        checker.document(root, scope, require_all_sections)
    return sorted(checker.findings, key=lambda finding: finding.line or 0)


def validate_policy(xml_text, scope="api", unknown_elements="warn", require_all_sections=False):
    """The errors of check_policy: empty means API Management should accept the policy."""
    return [finding for finding in check_policy(xml_text, scope, unknown_elements, require_all_sections)
            if not finding.is_warning]


class _Checker:
    """Walks a parsed document and collects findings."""

    def __init__(self, unknown_elements):
        self.unknown_elements = unknown_elements
        self.findings = []

    def error(self, message, node, element=None):
        self.findings.append(PolicyError(message, line=node.line, element=element or node.tag))

    def warn(self, message, node, element=None):
        self.findings.append(PolicyError(message, line=node.line, element=element or node.tag, severity="warning"))

    def document(self, root, scope, require_all_sections):
        if root.tag != "policies":
            self.error("root element must be <policies>, not <%s> (line %d)" % (root.tag, root.line), root)
            return
        seen = {}
        for section in root.elements():
            if section.tag not in SECTIONS:
                self.error("<%s> at line %d is not a policy section; <policies> holds only %s"
                           % (section.tag, section.line, ", ".join("<%s>" % s for s in SECTIONS)), section)
            elif section.tag in seen:
                self.error("section <%s> at line %d repeats the one at line %d"
                           % (section.tag, section.line, seen[section.tag]), section)
            else:
                seen[section.tag] = section.line
                self.section(section, scope)
        for missing in (s for s in SECTIONS if s not in seen):
            message = ("section <%s> is missing from <policies> (line %d): nothing is inherited there"
                       % (missing, root.line))
            (self.error if require_all_sections else self.warn)(message, root, element=missing)

    def fragment(self, root):
        if root.tag != "fragment":
            self.error("root element of a policy fragment must be <fragment>, not <%s> (line %d)"
                       % (root.tag, root.line), root)
            return
        self.text_free(root, "fragment")
        for child in root.elements():
            # a fragment's section is where it is included, so only the section-free rules apply
            self.policy(child, "fragment")

    def section(self, section, scope):
        bases = [c for c in section.elements() if c.tag == "base"]
        if scope == "service":
            for base in bases:
                self.error("<base /> at line %d in <%s> is not allowed at service (global) scope"
                           % (base.line, section.tag), base)
        elif len(bases) > 1:
            self.error("<base /> at line %d in <%s> appears more than once" % (bases[1].line, section.tag), bases[1])
        self.text_free(section, section.tag)
        for child in section.elements():
            self.policy(child, section.tag, top_level=True)

    def policy(self, node, section, top_level=False, in_choose=False, check_section=None):
        """Check one policy; check_section False for a policy that configures another (send-request's set-method)."""
        if check_section is None:
            # a fragment's section is where it is included, so only the section-free rules apply there
            check_section = section in SECTIONS
        where = "at line %d in <%s>" % (node.line, section)
        spec = CATALOGUE.get(node.tag)
        if spec is None:
            message = "unknown policy element <%s> %s" % (node.tag, where)
            if self.unknown_elements == "error":
                self.error(message, node)
            else:
                self.warn(message + ": not in this collection's catalogue of API Management policies, not checked",
                          node)
            return
        if not spec.sections:
            self.error("<%s> %s is the root of a GraphQL resolver policy, not a policy of a section" % (node.tag, where),
                       node)
            return
        if node.tag == "base" and not top_level:
            self.error("<base /> %s must be a direct child of the section" % where, node)
        if node.tag in ("when", "otherwise") and not in_choose:
            self.error("<%s> %s is only allowed inside <choose>" % (node.tag, where), node)
        if check_section and section not in spec.sections:
            self.error("<%s> %s is not allowed in that section (allowed in: %s)"
                       % (node.tag, where, ", ".join(s for s in SECTIONS if s in spec.sections)), node)
        self.attributes(node, spec, where)
        for message in (spec.check(node, section) if spec.check else []):
            self.error("<%s> %s: %s" % (node.tag, where, message), node)
        for message in (spec.advise(node, section) if spec.advise and check_section else []):
            self.warn("<%s> %s: %s" % (node.tag, where, message), node)
        if node.tag == "choose":
            self.text_free(node, section)
            for branch in node.elements():
                if branch.tag in ("when", "otherwise"):
                    self.policy(branch, section, in_choose=True)
                else:
                    self.error("<%s> at line %d in <choose> must be <when> or <otherwise>" % (branch.tag, branch.line),
                               branch)
        elif spec.container:
            self.text_free(node, section)
            for child in node.elements():
                self.policy(child, section)
        elif spec.children is not None:
            self.children(node, spec.children, section)

    def children(self, node, allowed, section):
        for child in node.elements():
            child_spec = allowed.get(child.tag)
            if child_spec is None:
                self.error("<%s> at line %d is not allowed inside <%s>%s"
                           % (child.tag, child.line, node.tag,
                              " (allowed: %s)" % ", ".join(sorted(allowed)) if allowed else ""), child)
            elif child_spec is POLICY:
                self.policy(child, section, check_section=False)
            else:
                self.attributes(child, child_spec, "at line %d in <%s>" % (child.line, section))
                if child_spec.children is not None:
                    self.children(child, child_spec.children, section)

    def attributes(self, node, spec, where):
        for name in spec.required:
            value = node.attrs.get(name)
            if value is None or not value.strip():
                self.error("<%s> %s: missing required attribute %s" % (node.tag, where, name), node)
        for group in spec.any_of:
            if not any(node.attrs.get(name, "").strip() for name in group):
                self.error("<%s> %s: needs one of the attributes %s" % (node.tag, where, ", ".join(group)), node)
        for name in node.attrs if spec.known is not None else ():
            if name not in spec.known:
                self.error("<%s> %s: unknown attribute %s (the policy defines %s)"
                           % (node.tag, where, name, ", ".join(spec.known)), node)
        for name, value_type in spec.attrs.items():
            value = node.attrs.get(name)
            if value is None or not value.strip() or is_runtime_value(value):
                continue
            rule = value_type(value)
            if rule:
                self.error('<%s> %s: %s must be %s, not "%s"' % (node.tag, where, name, rule, value), node)

    def text_free(self, node, section):
        if node.text.strip():
            self.error("<%s> at line %d in <%s> holds text %r where only policies are allowed"
                       % (node.tag, node.line, section, node.text.strip()[:40]), node)


# --------------------------------------------------------------------------------------------------------------
# expressions against the template's


def expressions_problem(xml_text, like_text):
    """None when the document's policy expressions have, one for one and in order, the shape (code without the
    literals' contents) of those of ``like_text``, the same template rendered with placeholder values; otherwise a
    message naming the first that differs. A value that became code (a string literal closed by a quote, a literal
    attribute turned into ``@(...)``) is caught here even where no rule on the value itself caught it."""
    try:
        found, expected = policy_expressions(xml_text), policy_expressions(like_text)
    except PolicyError as exc:
        return "policy expressions cannot be compared with the template's: %s" % exc.message
    for index in range(max(len(found), len(expected))):
        where, expression = found[index] if index < len(found) else (None, None)
        template_where, template = expected[index] if index < len(expected) else (None, None)
        if expression is None:
            return ("the template has a policy expression %s (%s) that the document lacks: a value changed the "
                    "document's structure" % (template_where, template[:120]))
        if template is None or expression_shape(expression) != expression_shape(template):
            return ("policy expression %s is %s, where the template has %s: a value was spliced into code (every "
                    "value of the template is a literal there)"
                    % (where, expression[:200], "no expression" if template is None else template[:200]))
    return None
