#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to aigateway.foundry
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: apim_policy
short_description: Set or remove an Azure API Management policy (service, product, API or operation scope)
version_added: 0.1.0
description:
  - Ensures the policy document of a scope is the given XML, or removes it.
  - The policy is validated before anything is written, against every policy of Microsoft's policy reference
    (well-formed rawxml with its C# policy expressions, each element in a section where API Management allows it,
    required attributes, the type of attributes given as literals, for example C(tokens-per-minute) a whole number
    of at least 1); a failing policy fails the task naming the element, its line and the value, and nothing is
    uploaded.
  - What API Management accepts but is probably a mistake (an element unknown to the collection, a missing
    section) is a warning; see O(unknown_elements).
  - API Management reformats what it stores (indentation, quoting, entities), so the comparison ignores exactly
    those differences; a re-run with the same policy does not upload it again.
  - With C(--diff) shows the policy before and after, pretty-printed.
author:
  - aigateway.foundry maintainers (@aigateway)
extends_documentation_fragment: [aigateway.foundry.resource.APIM_CHILD, aigateway.foundry.azure]
options:
  scope:
    description:
      - Where the policy applies. Defaults to V(operation) when O(operation) is given, else V(api) when O(api)
        is given, else V(product) when O(product) is given, else V(service) (the global policy).
    type: str
    choices: [service, product, api, operation]
  api:
    description: The API's name (id), for O(scope=api) and O(scope=operation).
    type: str
  operation:
    description: The operation's name (id) within O(api), for O(scope=operation).
    type: str
  product:
    description: The product's name (id), for O(scope=product).
    type: str
  xml:
    description: The policy document. Mutually exclusive with O(xml_file); one of them is required to set a policy.
    type: str
  xml_file:
    description: A file holding the policy document.
    type: path
  format:
    description:
      - How O(xml) is written. V(rawxml) lets policy expressions hold C(<), C(>), C(&) and quotes unescaped, as in
        the portal's editor; V(xml) is strict XML with those characters escaped.
    type: str
    choices: [rawxml, xml]
    default: rawxml
  unknown_elements:
    description:
      - What to do with a policy element the collection's catalogue does not know (a policy newer than the
        collection, or a misspelt one). V(warn) uploads the policy with a warning, since API Management may well
        accept it; V(error) refuses it before anything is written.
    type: str
    choices: [warn, error]
    default: warn
  expressions_like:
    description:
      - The same policy template rendered with a placeholder for every value meant as a literal (the gateway role
        uses the aigateway.foundry.gateway_policy_placeholders filter). The document's policy expressions must have,
        one for one, the shape of this one's (their code, leaving out what their string and number literals hold);
        a value that closed a string literal and added code, or a literal that became C(@(...)), is refused before
        anything is written, even where no rule on the value caught it.
    type: str
"""

EXAMPLES = r"""
- name: The inference API's policy, rendered from the collection's template
  aigateway.foundry.apim_policy:
    resource_group: rg-ai-gateway
    service: apim-ai-gateway-01
    api: inference-api
    xml: "{{ lookup('ansible.builtin.template', 'gateway-policy.xml.j2') }}"

- name: A global policy from a file
  aigateway.foundry.apim_policy:
    resource_group: rg-ai-gateway
    service: apim-ai-gateway-01
    scope: service
    xml_file: files/global-policy.xml
"""

RETURN = r"""
id:
  description: The policy's resource id.
  returned: when the policy exists (or would exist in check mode)
  type: str
  sample: /subscriptions/0000/resourceGroups/rg-ai-gateway/providers/Microsoft.ApiManagement/service/apim-ai-gateway-01/apis/inference-api/policies/policy
state:
  description: The policy as Resource Manager returns it (C(properties.value) in rawxml); null when absent.
  returned: always
  type: dict
problems:
  description:
    - The validation findings of a refused policy, each with C(message), C(line), C(element) and C(severity)
      (V(error) or V(warning)).
  returned: when the policy fails validation
  type: list
  elements: dict
"""

from ansible_collections.aigateway.foundry.plugins.module_utils.apim import (
    POLICY_NAME,
    label_of,
    operations_for,
    read_with_etag,
    scope_args,
    scope_of,
    service_id,
    validate_scope,
)
from ansible_collections.aigateway.foundry.plugins.module_utils.apim_policy import (
    PolicyError,
    check_policy,
    expressions_problem,
    normalize_policy,
    pretty_policy,
)
from ansible_collections.aigateway.foundry.plugins.module_utils.azure_clients import json_body, raw
from ansible_collections.aigateway.foundry.plugins.module_utils.azure_module import AzureModule
from ansible_collections.aigateway.foundry.plugins.module_utils.validation import POLICY_DOCUMENT_LONGEST


ARGUMENT_SPEC = dict(
    resource_group=dict(type="str", required=True, aliases=["resource_group_name"]),
    service=dict(type="str", required=True, aliases=["service_name"]),
    scope=dict(type="str", choices=["service", "product", "api", "operation"]),
    api=dict(type="str"),
    operation=dict(type="str"),
    product=dict(type="str"),
    xml=dict(type="str"),
    xml_file=dict(type="path"),
    format=dict(type="str", choices=["rawxml", "xml"], default="rawxml"),
    unknown_elements=dict(type="str", choices=["warn", "error"], default="warn"),
    expressions_like=dict(type="str"),
    state=dict(type="str", choices=["present", "absent"], default="present"),
)


def read_policy_text(params):
    """(text, problem): the policy document from xml or xml_file."""
    if params["xml"] is not None:
        return params["xml"], None
    if params["xml_file"] is None:
        return None, "xml or xml_file is required with state present"
    try:
        with open(params["xml_file"], encoding="utf-8") as handle:
            return handle.read(), None
    except (IOError, OSError, UnicodeDecodeError) as exc:
        return None, "cannot read xml_file %s: %s" % (params["xml_file"], exc)


def policy_problems(text, scope, unknown_elements, expressions_like=None):
    """(refusal message or None, finding dicts, warning texts) for a policy document."""
    size = len(text.encode("utf-8"))
    if size > POLICY_DOCUMENT_LONGEST:
        return ("policy refused before upload: the document is %d bytes, more than API Management's %d (256 KiB)"
                % (size, POLICY_DOCUMENT_LONGEST)), [], []
    findings = check_policy(text, scope=scope, unknown_elements=unknown_elements)
    warnings = ["policy: %s" % f.message for f in findings if f.is_warning]
    problems = [f for f in findings if not f.is_warning]
    if not problems:
        spliced = expressions_problem(text, expressions_like) if expressions_like else None
        return ("policy refused before upload: %s" % spliced if spliced else None), [], warnings
    details = [dict(message=f.message, line=f.line, element=f.element, severity=f.severity) for f in findings]
    first = problems[0]
    where = []
    if first.element:
        where.append("element <%s>" % first.element)
    if first.line:
        where.append("line %s" % first.line)
    message = "policy refused before upload (%s): %s" % (", ".join(where) or "document", first.message)
    if len(problems) > 1:
        message += " (and %d more problem%s, see problems)" % (len(problems) - 1, "s" if len(problems) > 2 else "")
    return message, details, warnings


def policy_id(subscription_id, params, scope):
    base = service_id(subscription_id, params["resource_group"], params["service"])
    path = {"service": "", "product": "/products/%s" % params["product"], "api": "/apis/%s" % params["api"],
            "operation": "/apis/%s/operations/%s" % (params["api"], params["operation"])}[scope]
    return "%s%s/policies/%s" % (base, path, POLICY_NAME)


def desired_body(params, text):
    return {"properties": {"format": params["format"], "value": text}}


def comparable_policy(value):
    """A policy as API Management's reformatting leaves it, so stored and desired documents compare equal."""
    if not isinstance(value, str):
        return value
    try:
        return normalize_policy(value)
    except PolicyError:
        # What the service stores always parses; if it does not, compare as text rather than guess.
        return value


NORMALISERS = {"properties.value": comparable_policy}


def pretty_view(body):
    """The --diff view of a policy: its document pretty-printed, so only real changes show."""
    value = ((body or {}).get("properties") or {}).get("value")
    if not value:
        return ""
    try:
        return pretty_policy(value)
    except PolicyError:
        return value


def describe(module, scope, label):
    group = operations_for(module.client("apimanagement"), scope)
    return read_with_etag(module, "read %s" % label, group.get, *scope_args(module.params, scope), format="rawxml")


def ensure_present(module, scope, label, current, etag, text):
    upload = desired_body(module.params, text)
    # Only the document counts: the format is how it is written, and GET always answers in rawxml.
    compared = {"properties": {"value": text}}
    new = {"id": policy_id(module.subscription_id, module.params, scope), "name": POLICY_NAME}

    def write():
        group = operations_for(module.client("apimanagement"), scope)
        module.call("write %s" % label, group.create_or_update, *scope_args(module.params, scope),
                    parameters=json_body(upload), if_match=etag, cls=raw)
        # Read back in rawxml: that is what later runs compare with.
        return describe(module, scope, label)[0]
    return module.converge(current, compared, write, new_state=new, normalisers=NORMALISERS)


def ensure_absent(module, scope, label, current, etag):
    def delete():
        group = operations_for(module.client("apimanagement"), scope)
        module.call("delete %s" % label, group.delete, *scope_args(module.params, scope), if_match=etag or "*")
    return module.remove(current, delete)


def main():
    module = AzureModule(ARGUMENT_SPEC, mutually_exclusive=[("xml", "xml_file")])
    params = module.params
    scope = scope_of(params)
    problem = validate_scope(params, scope)
    text = None
    if not problem and params["state"] == "present":
        text, problem = read_policy_text(params)
        if not problem:
            problem, details, warnings = policy_problems(text, scope, params["unknown_elements"],
                                                         params["expressions_like"])
            if problem:
                module.fail(problem, problems=details)
            for warning in warnings:
                module.warn(warning)
    if problem:
        module.fail(problem)
    label = label_of(params, scope)
    current, etag = describe(module, scope, label)
    if params["state"] == "absent":
        changed, state = ensure_absent(module, scope, label, current, etag)
    else:
        changed, state = ensure_present(module, scope, label, current, etag, text)
    module.exit(changed, state, id=(state or {}).get("id"), before=pretty_view(current), after=pretty_view(state))


if __name__ == "__main__":
    main()
