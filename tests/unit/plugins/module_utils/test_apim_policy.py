"""Validation, normalisation and printing of APIM policy XML (plugins/module_utils/apim_policy.py)."""

import pytest

from ansible_collections.aigateway.foundry.plugins.module_utils import apim_policy as ap


def wrap(inbound="<base />", backend="<base />", outbound="<base />", on_error="<base />"):
    return ("<policies>\n<inbound>\n%s\n</inbound>\n<backend>\n%s\n</backend>\n<outbound>\n%s\n</outbound>\n"
            "<on-error>\n%s\n</on-error>\n</policies>" % (inbound, backend, outbound, on_error))


def only_problem(xml_text, **kwargs):
    problems = ap.validate_policy(xml_text, **kwargs)
    assert len(problems) == 1, [str(p) for p in problems]
    return problems[0]


# ---------------------------------------------------------------------------------------------------- parsing


def test_parse_keeps_lines_and_rawxml_expressions():
    root = ap.parse_policy(wrap(inbound=('<base />\n<set-variable name="v" value="@(context.Request.Headers'
                                         '.GetValueOrDefault("x-user-id", "N/A"))" />')))
    inbound = root.elements()[0]
    variable = inbound.elements()[1]
    assert (variable.tag, variable.line) == ("set-variable", 4)
    assert variable.attrs["value"] == '@(context.Request.Headers.GetValueOrDefault("x-user-id", "N/A"))'


def test_parse_keeps_markup_characters_inside_expression_text():
    root = ap.parse_policy(wrap(inbound=('<set-body>@{ if (a < b && c > "</x>") { return ")"; } return "}"; }'
                                         '</set-body>')))
    body = root.elements()[0].elements()[0]
    assert body.text == '@{ if (a < b && c > "</x>") { return ")"; } return "}"; }'


def test_parse_verbatim_string_with_doubled_quote():
    root = ap.parse_policy(wrap(inbound='<set-variable name="v" value="@(@"say ""hi"")")" />'))
    assert root.elements()[0].elements()[0].attrs["value"] == '@(@"say ""hi"")")'


def test_parse_error_names_line_and_open_element():
    with pytest.raises(ap.PolicyError) as caught:
        ap.parse_policy("<policies>\n<inbound>\n<base>\n</inbound>\n</policies>")
    assert caught.value.line == 4
    assert caught.value.element == "base"
    assert "line 4" in str(caught.value) and "<base>" in str(caught.value)


def expression_of(body, attribute=True):
    """The value the parser reads for an expression written raw in an attribute (or as element text)."""
    if attribute:
        node = ap.parse_policy(wrap(inbound='<set-variable name="v" value="%s" />' % body)).elements()[0].elements()[0]
        return node.attrs["value"]
    node = ap.parse_policy(wrap(inbound="<set-body>%s</set-body>" % body)).elements()[0].elements()[0]
    return node.text


@pytest.mark.parametrize("expression", [
    # an apostrophe in a comment is not a char literal
    '@{\n    // don\'t count this ) or this "\n    return "a";\n}',
    '@{ /* it\'s ) } " */ return "b"; }',
    # interpolated strings: holes are code with their own strings; doubled braces are literal
    '@($"ClientInfo-{context.Variables.GetValueOrDefault<string>("client_id")}")',
    '@($"{{literal}} {(context.Api.IsCurrentRevision ? "a)" : "b}")} ok")',
    '@($@"path\\{context.Operation.Id}\\""end""")',
    '@(@$"verbatim {"x"} ""quoted"" ) ")',
    # char literals holding quotes and brackets
    "@(context.Request.Url.Path.Trim('/') + '\"' + '\\'' + ')' + '}')",
    # markup characters in code
    '@(a < b && c > d ? "<x>" : "&")',
])
def test_expressions_are_read_as_csharp(expression):
    # XML reads a line break in an attribute as a space (APIM sends it back as &#xA;; the comparison allows both)
    assert expression_of(expression) == expression.replace("\n", " ")
    assert expression_of(expression, attribute=False) == expression


def test_multiline_expression_keeps_line_numbers_after_it():
    body = '@{\n  var s = "<a href=\\"x\\">&";\n  return s;\n}'
    root = ap.parse_policy(wrap(inbound='<set-variable name="v" value="%s" />\n<set-header name="h" />' % body))
    header = root.elements()[0].elements()[1]
    assert (header.tag, header.line) == ("set-header", 7)


def test_unclosed_expression_is_named_in_the_parse_error():
    with pytest.raises(ap.PolicyError) as caught:
        ap.parse_policy(wrap(inbound='<set-variable name="v" value="@(foo("x")" />'))
    assert "the policy expression at line 3 never closes its brackets" in str(caught.value)


def test_xml_format_entities_are_read_as_characters():
    # &quot; opens and closes strings, &#10; ends a line comment
    value = '@{&#10;// it&apos;s fine )&#10;return &quot;)&quot;;&#10;}'
    root = ap.parse_policy(wrap(inbound='<set-variable name="v" value="%s" />' % value))
    assert root.elements()[0].elements()[0].attrs["value"] == '@{\n// it\'s fine )\nreturn ")";\n}'


@pytest.mark.parametrize("text", ["", "   ", None])
def test_parse_refuses_empty(text):
    with pytest.raises(ap.PolicyError):
        ap.parse_policy(text)


# ---------------------------------------------------------------------------------------------------- validation


def test_base_is_refused_at_service_scope_only():
    global_policy = wrap(backend="<forward-request />", outbound="", on_error="")
    problem = only_problem(global_policy, scope="service")
    assert problem.element == "base" and problem.line == 3
    assert "service (global) scope" in str(problem)
    assert ap.validate_policy(wrap(), scope="operation") == []
    assert ap.validate_policy(wrap(), scope="product") == []


def test_base_twice_in_a_section():
    problem = only_problem(wrap(outbound="<base />\n<base />"))
    assert (problem.element, problem.line) == ("base", 10)


def test_unknown_scope_is_a_programming_error():
    with pytest.raises(ValueError):
        ap.validate_policy(wrap(), scope="workspace-ish")


def test_unknown_element_warns_by_default_and_errs_when_asked():
    text = wrap(inbound="<base />\n<llm-future-policy mode=\"x\"><anything /></llm-future-policy>")
    assert ap.validate_policy(text) == []
    (warning,) = ap.check_policy(text)
    assert warning.severity == "warning" and (warning.element, warning.line) == ("llm-future-policy", 4)
    problem = only_problem(text, unknown_elements="error")
    assert str(problem) == "unknown policy element <llm-future-policy> at line 4 in <inbound>"
    with pytest.raises(ValueError):
        ap.check_policy(text, unknown_elements="ignore")


def test_missing_sections_warn_unless_required():
    text = "<policies><inbound><base /></inbound><outbound><base /></outbound></policies>"
    assert ap.validate_policy(text) == []
    assert {p.element for p in ap.check_policy(text) if p.is_warning} == {"backend", "on-error"}
    assert {p.element for p in ap.validate_policy(text, require_all_sections=True)} == {"backend", "on-error"}


def test_sections_in_any_order():
    text = "<policies><on-error /><outbound /><backend><base /></backend><inbound /></policies>"
    assert ap.validate_policy(text) == []


def test_nested_control_flow_follows_enclosing_section():
    inner = ('<choose><when condition="@(true)"><retry condition="@(true)" count="1" interval="1">'
             '<limit-concurrency key="k" max-count="1"><forward-request /></limit-concurrency>'
             '</retry></when></choose>')
    assert ap.validate_policy(wrap(backend=inner)) == []
    problem = only_problem(wrap(outbound=inner))
    assert problem.element == "forward-request" and "in <outbound>" in str(problem)


def test_wait_is_not_allowed_in_on_error():
    problem = only_problem(wrap(on_error='<wait><send-request response-variable-name="r" /></wait>'))
    assert problem.element == "wait" and problem.line == 12


def test_token_limit_rules():
    base = '<llm-token-limit counter-key="@(context.Subscription.Id)" %s />'
    assert ap.validate_policy(wrap(inbound=base % 'tokens-per-minute="10"')) == []
    assert ap.validate_policy(wrap(inbound=base % 'token-quota="10" token-quota-period="Daily"')) == []
    problem = only_problem(wrap(inbound=base % 'token-quota="10" token-quota-period="Fortnightly"'))
    assert "token-quota-period must be" in str(problem)
    legacy = '<azure-openai-token-limit counter-key="k" estimate-prompt-tokens="true" />'
    assert only_problem(wrap(inbound=legacy)).element == "azure-openai-token-limit"


@pytest.mark.parametrize("attributes, message", [
    ('tokens-per-minute="0"', 'tokens-per-minute must be a whole number of at least 1, not "0"'),
    ('tokens-per-minute="lots"', 'tokens-per-minute must be a whole number of at least 1, not "lots"'),
    ('tokens-per-minute="1e3"', 'tokens-per-minute must be a whole number of at least 1, not "1e3"'),
    ('tokens-per-minute="10" estimate-prompt-tokens="maybe"', 'estimate-prompt-tokens must be one of true, false'),
])
def test_token_limit_value_types_name_element_line_and_value(attributes, message):
    problem = only_problem(wrap(inbound='<base />\n<llm-token-limit counter-key="k" %s />' % attributes))
    assert (problem.element, problem.line) == ("llm-token-limit", 4)
    assert str(problem).startswith("<llm-token-limit> at line 4 in <inbound>: ")
    assert message in str(problem)


@pytest.mark.parametrize("value", ["@(context.Variables.GetValueOrDefault<int>(\"tpm\", 0))", "{{tokens-per-minute}}",
                                   " 500 ", "TRUE"])
def test_runtime_values_and_lenient_literals_are_not_refused(value):
    attributes = 'tokens-per-minute="%s"' % value if value != "TRUE" else 'tokens-per-minute="5" estimate-prompt-tokens="TRUE"'
    assert ap.validate_policy(wrap(inbound='<llm-token-limit counter-key="k" %s />' % attributes)) == []


def test_send_request_children_are_checked_as_policies_in_any_section():
    request = ('<send-request response-variable-name="r"><set-url>https://x</set-url><set-method>POST</set-method>'
               '<authentication-managed-identity resource="https://storage.azure.com/" />%s</send-request>')
    # set-method is not a policy of <outbound>, but it configures the request here
    assert ap.validate_policy(wrap(outbound=request % "")) == []
    problem = only_problem(wrap(outbound=request % '<set-header exists-action="sometimes" name="h" />'))
    assert problem.element == "set-header" and "exists-action must be one of override" in str(problem)


def test_managed_identity_outside_inbound_warns_only_without_a_token_variable():
    with_variable = '<authentication-managed-identity resource="r" output-token-variable-name="t" />'
    assert ap.check_policy(wrap(outbound=with_variable)) == []
    (warning,) = ap.check_policy(wrap(outbound='<authentication-managed-identity resource="r" />'))
    assert warning.is_warning and "output-token-variable-name" in str(warning)


def test_fragment_scope_checks_policies_without_sections():
    fragment = '<fragment>\n<forward-request />\n<llm-token-limit counter-key="k" tokens-per-minute="0" />\n</fragment>'
    (problem,) = ap.validate_policy(fragment, scope="fragment")
    assert (problem.element, problem.line) == ("llm-token-limit", 3) and "in <fragment>" in str(problem)
    assert "must be <fragment>" in str(only_problem(wrap(), scope="fragment"))


def test_empty_required_attribute_counts_as_missing():
    problem = only_problem(wrap(inbound='<authentication-managed-identity resource=" " />'))
    assert "missing required attribute resource" in str(problem)


def test_content_safety_output_type_names_the_categories_element():
    policy = ('<llm-content-safety backend-id="cs"><categories output-type="TwoLevels">'
              '<category name="Hate" threshold="2" /></categories></llm-content-safety>')
    problem = only_problem(wrap(inbound=policy))
    assert problem.element == "categories" and 'output-type must be one of FourSeverityLevels' in str(problem)


def test_choose_without_when():
    problem = only_problem(wrap(inbound="<choose><otherwise /></choose>"))
    assert "needs at least one <when>" in str(problem)


def test_every_catalogue_entry_names_real_sections():
    for name, spec in ap.CATALOGUE.items():
        assert spec.sections <= set(ap.SECTIONS), name
    resolver_roots = {name for name, spec in ap.CATALOGUE.items() if not spec.sections}
    assert resolver_roots == {"http-data-source", "sql-data-source", "cosmosdb-data-source", "publish-event"}


# ---------------------------------------------------------------------------------------------------- normalisation

ORIGINAL = """<policies>
    <inbound>
        <base />
        <llm-token-limit counter-key="@(context.Subscription.Id)" tokens-per-minute="500" estimate-prompt-tokens="false" />
        <set-variable name="who" value="@{
            var id = context.Subscription?.Id;
            return id ?? &quot;anonymous&quot;;
        }" />
        <set-header name="Authorization" exists-action="override">
            <value>@("Bearer " + (string)context.Variables["managed-id-access-token"])</value>
        </set-header>
        <!-- route to the pool -->
        <set-backend-service backend-id="inference-backend-pool"></set-backend-service>
    </inbound>
    <backend><base /></backend>
    <outbound><base /></outbound>
    <on-error><base /></on-error>
</policies>"""

# what APIM hands back: tabs, CRLF, other quotes and attribute order, entities, expanded empty elements
APIM_FORM = (
    "<policies>\r\n\t<inbound>\r\n\t\t<base />\r\n"
    "\t\t<llm-token-limit estimate-prompt-tokens='false' tokens-per-minute='500' "
    "counter-key='@(context.Subscription.Id)' />\r\n"
    "\t\t<set-variable name=\"who\" value=\"@{&#xA;\tvar id = context.Subscription?.Id;&#xA;"
    "\treturn id ?? &quot;anonymous&quot;;&#xA;}\" />\r\n"
    "\t\t<set-header exists-action=\"override\" name=\"Authorization\">\r\n"
    "\t\t\t<value>@(&quot;Bearer &quot; + (string)context.Variables[&quot;managed-id-access-token&quot;])</value>\r\n"
    "\t\t</set-header>\r\n"
    "\t\t<set-backend-service backend-id=\"inference-backend-pool\" />\r\n"
    "\t</inbound>\r\n\t<backend>\r\n\t\t<base></base>\r\n\t</backend>\r\n"
    "\t<outbound>\r\n\t\t<base />\r\n\t</outbound>\r\n\t<on-error>\r\n\t\t<base />\r\n\t</on-error>\r\n</policies>"
)


def test_apim_reformatting_is_not_a_change():
    assert ap.policies_equal(ORIGINAL, APIM_FORM)
    assert ap.normalize_policy(ORIGINAL) == ap.normalize_policy(APIM_FORM)


def test_changed_attribute_value_is_a_change():
    assert not ap.policies_equal(ORIGINAL, ORIGINAL.replace('tokens-per-minute="500"', 'tokens-per-minute="501"'))


def test_whitespace_inside_string_literal_is_a_change():
    changed = ORIGINAL.replace('"Bearer "', '"Bearer  "')
    assert not ap.policies_equal(ORIGINAL, changed)


def test_whitespace_outside_string_literals_is_not_a_change():
    changed = ORIGINAL.replace("var id = context", "var   id =\n\t\tcontext")
    assert ap.policies_equal(ORIGINAL, changed)


def test_element_order_is_a_change():
    swapped = wrap(inbound='<set-header name="a" /><set-header name="b" />')
    assert not ap.policies_equal(swapped, wrap(inbound='<set-header name="b" /><set-header name="a" />'))


def test_plain_text_is_trimmed_but_inner_text_kept():
    assert ap.policies_equal(wrap(inbound='<set-body>  hello world \n</set-body>'),
                             wrap(inbound='<set-body>hello world</set-body>'))
    assert not ap.policies_equal(wrap(inbound='<set-body>hello world</set-body>'),
                                 wrap(inbound='<set-body>hello  world</set-body>'))


def test_comments_ignored_unless_asked():
    with_comment = wrap(inbound="<!-- why -->\n<base />")
    assert ap.policies_equal(with_comment, wrap())
    assert not ap.policies_equal(with_comment, wrap(), ignore_comments=False)


def test_normalized_form_parses_back_to_itself():
    once = ap.normalize_policy(APIM_FORM)
    assert ap.normalize_policy(once) == once
    assert ap.validate_policy(once) == []


def test_pretty_form_is_stable_and_equal():
    pretty = ap.pretty_policy(APIM_FORM)
    assert pretty == ap.pretty_policy(ORIGINAL, keep_comments=False)
    assert ap.pretty_policy(pretty) == pretty
    assert ap.policies_equal(pretty, ORIGINAL)
    lines = pretty.splitlines()
    assert lines[0] == "<policies>" and lines[1] == "    <inbound>" and lines[-1] == "</policies>"
    assert '        <set-backend-service backend-id="inference-backend-pool" />' in lines


def test_pretty_keeps_comments_for_the_diff():
    assert "<!-- route to the pool -->" in ap.pretty_policy(ORIGINAL)
    assert "route to the pool" not in ap.pretty_policy(ORIGINAL, keep_comments=False)


def test_pretty_writes_expressions_unescaped_and_reads_them_back():
    pretty = ap.pretty_policy(APIM_FORM)
    assert '<value>@("Bearer " + (string)context.Variables["managed-id-access-token"])</value>' in pretty
    assert 'return id ?? "anonymous";' in pretty
    assert ap.normalize_policy(pretty) == ap.normalize_policy(APIM_FORM)


def test_pretty_escapes_an_unbalanced_expression():
    text = wrap(inbound='<set-variable name="v" value="@(&quot;never closed" />')
    pretty = ap.pretty_policy(text)
    assert 'value="@(&quot;never closed"' in pretty
    assert ap.policies_equal(pretty, text)


def test_pretty_keeps_line_breaks_inside_verbatim_strings_of_attributes():
    text = wrap(inbound='<set-variable name="v" value="@(@&quot;two&#10;lines&quot;)" />')
    pretty = ap.pretty_policy(text)
    assert "&#10;" in pretty
    assert ap.policies_equal(pretty, text)
    assert not ap.policies_equal(text.replace("&#10;", " "), text)


# ------------------------------------------------------------------------------- metric policies, as APIM at PUT
# Learn, llm-emit-token-metric-policy, "Limits for custom metrics": at most 5 custom dimensions per policy (10
# dimension keys per metric, 5 taken by APIM's defaults); each policy's Attributes tables list what it defines.
def metric(tag, dimensions, extra=""):
    children = "".join('<dimension name="d%d" value="@(context.Api.Id)" />' % number for number in range(dimensions))
    name = ' name="calls" value="1"' if tag == "emit-metric" else ""
    return wrap(inbound='<base />\n<%s%s namespace="llm"%s>%s</%s>' % (tag, name, extra, children, tag))


@pytest.mark.parametrize("tag", ["llm-emit-token-metric", "azure-openai-emit-token-metric", "emit-metric"])
def test_a_metric_policy_takes_at_most_five_custom_dimensions(tag):
    assert [str(p) for p in ap.validate_policy(metric(tag, 5)) if p.severity == "error"] == []
    assert "6 custom dimensions" in str(only_problem(metric(tag, 6)))


@pytest.mark.parametrize("document, attribute", [
    (metric("llm-emit-token-metric", 1, ' name-space="x"'), "name-space"),
    (metric("azure-openai-emit-token-metric", 1).replace('<dimension name="d0"', '<dimension name="d0" unit="x"'),
     "unit"),
])
def test_an_attribute_the_metric_policy_does_not_define_is_refused(document, attribute):
    assert "unknown attribute %s" % attribute in str(only_problem(document))
