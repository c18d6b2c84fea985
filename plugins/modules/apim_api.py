#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to aigateway.foundry
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: apim_api
short_description: Create, update, import or delete an API in Azure API Management
version_added: 0.1.0
description:
  - Ensures an HTTP API exists in an API Management service with the given path, protocols, backend URL and
    subscription settings, optionally imported from an OpenAPI document, or that it is deleted.
  - API Management keeps no copy of an imported document that could be read back. The module therefore compares
    the operations API Management created (method and URL template) with the operations of the document and
    imports again only when they differ; the other properties are compared as usual. A re-run with the same input
    only reads.
  - Path parameters compare by position (their names do not matter) and required query parameters that API
    Management moves into the URL template are ignored.
  - Idempotent, with check mode (predicts the state without writing) and diff mode. Updates and deletes send the
    API's ETag (If-Match).
author:
  - aigateway.foundry maintainers (@aigateway)
extends_documentation_fragment: [aigateway.foundry.resource.APIM_CHILD, aigateway.foundry.azure, aigateway.foundry.azure.WAIT]
options:
  name:
    description: The API's name (id), for example V(inference-api).
    type: str
    required: true
    aliases: [api_id]
  display_name:
    description: The API's display name. Required to create an API without O(spec) or O(spec_file).
    type: str
  description:
    description: The API's description.
    type: str
  path:
    description:
      - The API's URL suffix after the gateway URL, for example V(inference/openai). Required to create the API.
      - Leading and trailing slashes are dropped (API Management stores the path without them).
    type: str
  protocols:
    description: The protocols the API is served on.
    type: list
    elements: str
    choices: [http, https, ws, wss]
    default: [https]
  service_url:
    description: The backend URL. Leave it out when a policy picks the backend (C(set-backend-service)).
    type: str
  subscription_required:
    description: Whether calls need a subscription key.
    type: bool
  subscription_key_header:
    description: The header carrying the subscription key (API Management's default is C(Ocp-Apim-Subscription-Key)).
    type: str
  subscription_key_query:
    description: The query parameter carrying the subscription key (API Management's default is C(subscription-key)).
    type: str
  api_type:
    description: The kind of API. Only REST APIs are supported.
    type: str
    choices: [http]
    default: http
  spec:
    description:
      - An OpenAPI (or Swagger 2) document to import, as a string (JSON or YAML) or a dictionary; or its URL with
        O(spec_format=openapi-link). Mutually exclusive with O(spec_file).
      - The alias O(value) is azure.azcollection's name (azure_rm_apimanagement).
    type: raw
    aliases: [value]
  spec_file:
    description: A file holding the OpenAPI document to import.
    type: path
  spec_format:
    description:
      - The document's format. Defaults to V(openapi+json) for a dictionary or JSON text, V(openapi-link) for an
        http(s) URL and V(openapi) (YAML) otherwise.
      - With V(openapi-link) the module cannot read the document, so it imports on create and when the API has no
        operations; other changes of the linked document are not detected.
    type: str
    choices: [openapi+json, openapi, openapi-link]
    aliases: [format]
"""

EXAMPLES = r"""
- name: The inference API, imported from the Azure OpenAI document
  aigateway.foundry.apim_api:
    resource_group: rg-ai-gateway
    service: apim-ai-gateway-01
    name: inference-api
    display_name: Inference API
    path: inference/openai
    subscription_required: true
    subscription_key_header: api-key
    subscription_key_query: api-key
    spec_file: files/AIFoundryOpenAI.json

- name: Remove it
  aigateway.foundry.apim_api:
    resource_group: rg-ai-gateway
    service: apim-ai-gateway-01
    name: inference-api
    state: absent
"""

RETURN = r"""
id:
  description: The API's resource id.
  returned: when the API exists (or would exist in check mode)
  type: str
  sample: /subscriptions/0000/resourceGroups/rg-ai-gateway/providers/Microsoft.ApiManagement/service/apim-ai-gateway-01/apis/inference-api
state:
  description: The API as Resource Manager returns it (predicted in check mode); null when absent.
  returned: always
  type: dict
operations:
  description: The API's operations as C(METHOD /url-template) (predicted from the document in check mode).
  returned: when O(spec) or O(spec_file) is given and the API exists
  type: list
  elements: str
  sample: ["POST /deployments/{deployment-id}/chat/completions"]
imported:
  description: Whether the document was (or, in check mode, would be) imported.
  returned: always
  type: bool
"""

import json
import re

from ansible_collections.aigateway.foundry.plugins.module_utils import validation
from ansible_collections.aigateway.foundry.plugins.module_utils.apim import ApimChild
from ansible_collections.aigateway.foundry.plugins.module_utils.arm_resource import apim_child_spec, finish, settle
from ansible_collections.aigateway.foundry.plugins.module_utils.azure_module import AzureModule

HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")

# azure.azcollection's azure_rm_apimanagement names the API api_id and its import value and format.
ARGUMENT_SPEC = apim_child_spec(
    ["api_id"],
    display_name=dict(type="str"),
    description=dict(type="str"),
    path=dict(type="str"),
    protocols=dict(type="list", elements="str", choices=["http", "https", "ws", "wss"], default=["https"]),
    service_url=dict(type="str"),
    subscription_required=dict(type="bool"),
    subscription_key_header=dict(type="str", no_log=False),
    subscription_key_query=dict(type="str", no_log=False),
    api_type=dict(type="str", choices=["http"], default="http"),
    spec=dict(type="raw", aliases=["value"]),
    spec_file=dict(type="path"),
    spec_format=dict(type="str", choices=["openapi+json", "openapi", "openapi-link"], aliases=["format"]),
)


class SpecError(Exception):
    """The OpenAPI document cannot be used; the message says why."""


def normalise_path(value):
    return value.strip("/") if isinstance(value, str) else value


def _sorted_lower(value):
    return sorted(v.lower() for v in value) if isinstance(value, list) else value


NORMALISERS = {
    "properties.path": normalise_path,
    "properties.protocols": _sorted_lower,
    "properties.serviceUrl": lambda v: v.rstrip("/") if isinstance(v, str) else v,
}


def spec_format_of(spec, spec_format):
    if spec_format:
        return spec_format
    if isinstance(spec, dict):
        return "openapi+json"
    text = spec.strip()
    if re.match(r"\Ahttps?://\S+\Z", text):
        return "openapi-link"
    return "openapi+json" if text.startswith("{") else "openapi"


def load_spec(spec, spec_format):
    """(document dict or None for a link, import value string) of the spec option."""
    if spec_format == "openapi-link":
        if not isinstance(spec, str) or not re.match(r"\Ahttps?://\S+\Z", spec.strip()):
            raise SpecError("spec_format openapi-link needs spec to be an http(s) URL")
        return None, spec.strip()
    if isinstance(spec, dict):
        document, value = spec, json.dumps(spec)
    elif isinstance(spec, str):
        value = spec
        try:
            document = json.loads(spec)
        except ValueError as exc:
            if spec_format == "openapi+json":
                raise SpecError("spec is not JSON (spec_format openapi+json): %s" % exc)
            document = _load_yaml(spec)
    else:
        raise SpecError("spec must be a string or a dictionary, not %s" % type(spec).__name__)
    if not isinstance(document, dict) or not isinstance(document.get("paths"), dict):
        raise SpecError("spec is not an OpenAPI document: it has no paths object")
    if not (document.get("openapi") or document.get("swagger")):
        raise SpecError("spec is not an OpenAPI document: it has neither an openapi nor a swagger version field")
    return document, value


def _load_yaml(text):
    # ansible-core itself depends on PyYAML; imported here because most specs are JSON.
    import yaml  # pylint: disable=import-outside-toplevel

    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise SpecError("spec is neither JSON nor YAML: %s" % str(exc).splitlines()[0])


def normalise_template(template):
    """An operation's URL template as comparable: no query part, path parameters unnamed, no trailing slash."""
    path = template.split("?", 1)[0]
    path = re.sub(r"\{[^}]*\}", "{}", path).rstrip("/") or "/"
    return path.lower()


def spec_operations(document):
    """The operations an import creates, as sorted (METHOD, normalised template) pairs."""
    found = []
    for path, item in (document.get("paths") or {}).items():
        for method in HTTP_METHODS:
            if isinstance(item, dict) and method in item:
                found.append((method.upper(), normalise_template(path)))
    return sorted(found)


def current_operations(operations):
    """(METHOD, normalised template) pairs of the operations API Management lists for an API."""
    return sorted(((op.get("properties") or {}).get("method", "").upper(),
                   normalise_template((op.get("properties") or {}).get("urlTemplate", "")))
                  for op in operations)


def operation_lines(operations):
    return ["%s %s" % ((op.get("properties") or {}).get("method", "").upper(),
                       (op.get("properties") or {}).get("urlTemplate", "")) for op in operations]


def validate(params, current, has_spec):
    name = params["name"]
    problem = validation.name_problem("Microsoft.ApiManagement/service/apis", name)
    if problem or params["state"] == "absent":
        return problem
    if current is None and not params["path"] and params["path"] != "":
        return "path is required to create API %s" % name
    if params["path"] is not None and len(normalise_path(params["path"])) > 400:
        return "path must be at most 400 characters"
    if current is None and not params["display_name"] and not has_spec:
        return "display_name is required to create API %s without a spec" % name
    if params["display_name"] is not None and not 1 <= len(params["display_name"]) <= 300:
        return "display_name must be 1-300 characters"
    if params["service_url"] is not None and not re.match(r"\A[a-zA-Z][a-zA-Z0-9+.-]*://", params["service_url"]):
        return "service_url %r must be an absolute URL" % params["service_url"]
    return None


def desired_body(params, current):
    """The API properties this task manages (compared with GET); write-only import fields come separately."""
    current_props = (current or {}).get("properties") or {}
    props = {}
    for option, key in (("display_name", "displayName"), ("description", "description"),
                        ("service_url", "serviceUrl"), ("subscription_required", "subscriptionRequired")):
        if params[option] is not None:
            props[key] = params[option]
    if params["path"] is not None:
        props["path"] = normalise_path(params["path"])
    elif current_props.get("path") is not None:
        props["path"] = current_props["path"]
    props["protocols"] = list(params["protocols"])
    if params["subscription_key_header"] or params["subscription_key_query"]:
        have = current_props.get("subscriptionKeyParameterNames") or {}
        names = {}
        header = params["subscription_key_header"] or have.get("header")
        query = params["subscription_key_query"] or have.get("query")
        if header:
            names["header"] = header
        if query:
            names["query"] = query
        props["subscriptionKeyParameterNames"] = names
    return {"properties": props}


def write_body(params, desired, import_value, spec_format):
    body = {"properties": dict(desired["properties"], apiType=params["api_type"])}
    if import_value is not None:
        body["properties"].update(format=spec_format, value=import_value)
    return body


def needs_import(document, is_link, current, operations):
    """Whether the document must be imported: on create, or when its operations differ from the API's."""
    if current is None:
        return True
    if is_link:
        return not operations
    return spec_operations(document) != current_operations(operations)


def read_spec(params):
    """(document or None, import value or None, format) of the spec or spec_file option; SpecError when unusable."""
    spec = params["spec"]
    if params["spec_file"] is not None:
        try:
            with open(params["spec_file"], encoding="utf-8") as handle:
                spec = handle.read()
        except (IOError, OSError, UnicodeDecodeError) as exc:
            raise SpecError("cannot read spec_file %s: %s" % (params["spec_file"], exc))
    if spec is None or params["state"] != "present":
        return None, None, None
    spec_format = spec_format_of(spec, params["spec_format"])
    return load_spec(spec, spec_format) + (spec_format,)


class Api(ApimChild):
    """An API whose OpenAPI import is written on create or when the API's operations differ from the document's."""

    def converge(self, module, target, desired):
        document, value, spec_format = target.spec
        operations = self.operations_of(module, target) if value is not None and target.current is not None else []
        target.imported = value is not None and needs_import(document, spec_format == "openapi-link", target.current,
                                                             operations)

        def write():
            body = write_body(module.params, desired, value if target.imported else None, spec_format)
            result = self.write(module, target, body)
            return self.reread(module, target) or result
        # A stale import must be written even when every compared property is already right: converge then sees
        # no current resource and predicts from it as the known state.
        stale = target.imported and target.current is not None
        changed, state = module.converge(None if stale else target.current, desired, write,
                                         new_state=target.current or target.skeleton, normalisers=NORMALISERS)
        if value is not None:
            if changed and not module.check_mode:
                operations = self.operations_of(module, target)
            elif target.imported and document is not None:
                operations = [{"properties": {"method": method, "urlTemplate": path}}
                              for method, path in spec_operations(document)]
            target.operation_lines = operation_lines(operations)
        return changed, state

    def operations_of(self, module, target):
        return module.list_all("list operations of API %s" % target.names[-1],
                               module.client("apimanagement").api_operation.list_by_api, *target.names)


RESOURCE = Api("apis", "API", "api", long_running=True)


def main():
    module = AzureModule(ARGUMENT_SPEC, long_running=True, mutually_exclusive=[("spec", "spec_file")])
    try:
        spec = read_spec(module.params)
    except SpecError as exc:
        module.fail(str(exc))
    target = RESOURCE.describe(module)
    target.spec, target.imported, target.operation_lines = spec, False, None
    outcome = settle(module, RESOURCE, target, lambda params, current: validate(params, current, spec[1] is not None),
                     lambda params, target: desired_body(params, target.current))
    returns = dict(imported=target.imported)
    if target.operation_lines is not None:
        returns["operations"] = target.operation_lines
    finish(module, RESOURCE, outcome, **returns)


if __name__ == "__main__":
    main()
