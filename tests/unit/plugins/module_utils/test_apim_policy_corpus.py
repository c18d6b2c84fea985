"""The policy validator over the shared corpus tests/fixtures/apim-policies: nothing APIM accepts is refused, and
every refused document gets its expected message, element and line."""

import re
from pathlib import Path

import pytest

from ansible_collections.aigateway.foundry.plugins.module_utils import apim_policy as ap

CORPUS = Path(__file__).resolve().parents[3] / "fixtures" / "apim-policies"
EXPECT = re.compile(r"<!-- expect: element=(?P<element>\S+) line=(?P<line>\d+) text=(?P<text>.*?) -->")
ROW = re.compile(r"^\| (?P<file>(?:accepted|refused)/\S+\.xml) \| (?P<scope>\w+) \| (?P<accepts>yes|no) \|", re.M)


def listed():
    """{file: (scope, APIM accepts)} from the README's table."""
    return {m["file"]: (m["scope"], m["accepts"] == "yes") for m in ROW.finditer((CORPUS / "README.md").read_text())}


LISTED = listed()
ACCEPTED = sorted(f for f, (_scope, accepts) in LISTED.items() if accepts)
REFUSED = sorted(f for f, (_scope, accepts) in LISTED.items() if not accepts)


def test_readme_lists_every_file_once_in_its_folder():
    on_disk = {str(p.relative_to(CORPUS)) for p in CORPUS.glob("*/*.xml")}
    assert set(LISTED) == on_disk
    assert all(f.startswith("accepted/") for f in ACCEPTED) and all(f.startswith("refused/") for f in REFUSED)


def test_corpus_is_large_enough():
    assert len(ACCEPTED) >= 60 and len(REFUSED) >= 30


@pytest.mark.parametrize("name", ACCEPTED)
def test_accepted_policy_has_no_error_even_with_unknown_elements_as_errors(name):
    scope = LISTED[name][0]
    errors = ap.validate_policy((CORPUS / name).read_text(encoding="utf-8"), scope=scope, unknown_elements="error")
    assert [str(e) for e in errors] == []


@pytest.mark.parametrize("name", REFUSED)
def test_refused_policy_reports_expected_error(name):
    text = (CORPUS / name).read_text(encoding="utf-8")
    expected = EXPECT.search(text)
    assert expected, "%s lacks its expect comment" % name
    errors = ap.validate_policy(text, scope=LISTED[name][0], unknown_elements="error")
    matching = [e for e in errors if e.element == expected["element"] and e.line == int(expected["line"])]
    assert matching, [(e.element, e.line, str(e)) for e in errors]
    message = str(matching[0])
    assert expected["text"] in message
    assert "line %s" % expected["line"] in message


@pytest.mark.parametrize("name", ["accepted/get-authorization-context-managed.xml",
                                  "accepted/managed-identity-in-outbound-choose.xml",
                                  "accepted/multiline-expression-in-attribute.xml",
                                  "accepted/multiline-expression-in-text.xml"])
def test_the_kinds_issue_12_found_refused_now_parse_without_warnings(name):
    assert ap.check_policy((CORPUS / name).read_text(encoding="utf-8")) == []


def test_missing_sections_warn_and_are_errors_only_when_required():
    text = (CORPUS / "accepted/missing-sections.xml").read_text(encoding="utf-8")
    findings = ap.check_policy(text)
    assert [(f.severity, f.element) for f in findings] == [("warning", "backend"), ("warning", "on-error")]
    assert {e.element for e in ap.validate_policy(text, require_all_sections=True)} == {"backend", "on-error"}


def test_unknown_element_is_a_warning_by_default():
    text = (CORPUS / "refused/unknown-element.xml").read_text(encoding="utf-8")
    assert ap.validate_policy(text) == []
    (warning,) = ap.check_policy(text)
    assert warning.is_warning and (warning.element, warning.line) == ("set-headers", 5)
    assert "not checked" in str(warning)


def test_every_expression_of_the_corpus_survives_normalisation():
    """normalize_policy reads each accepted document back to the same form (the module compares through it)."""
    for name in ACCEPTED:
        once = ap.normalize_policy((CORPUS / name).read_text(encoding="utf-8"))
        assert ap.normalize_policy(once) == once, name
        pretty = ap.pretty_policy(once)
        assert ap.normalize_policy(pretty) == once, name


def test_the_stored_form_with_crlf_line_ends_is_accepted():
    """APIM hands policies back with CRLF line ends; the file is kept with LF (ansible-test's line-endings rule)
    and turned into APIM's form here, as bytes would be read without newline translation."""
    text = (CORPUS / "accepted/apim-stored-form.xml").read_text(encoding="utf-8").replace("\n", "\r\n")
    assert "\r\n" in text
    assert ap.validate_policy(text, scope="api", unknown_elements="error") == []
    assert ap.normalize_policy(text) == ap.normalize_policy(text.replace("\r\n", "\n"))
