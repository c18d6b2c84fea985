#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to aigateway.foundry
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: apim_backend
short_description: Create, update or delete an Azure API Management backend (single or pool)
version_added: 0.1.0
description:
  - Ensures a backend exists, either a single backend (a URL, optional credentials, TLS checks and circuit breaker
    rules) or a pool of backends with priorities and weights, or that it is deleted.
  - Pool members must exist before the pool is written; a missing member fails the task naming it, and nothing is
    written. Members may be given by name or resource id; the module always sends full resource ids, so re-runs
    compare equal.
  - Circuit breaker rules are checked before anything is written (at most 15 rules, ISO 8601 durations, status
    code ranges within 200-599).
  - Idempotent, with check mode (predicts the state without writing) and diff mode. Updates and deletes send the
    backend's ETag (If-Match).
author:
  - aigateway.foundry maintainers (@aigateway)
extends_documentation_fragment: [aigateway.foundry.resource.APIM_CHILD, aigateway.foundry.azure]
options:
  name:
    description: The backend's name (id); policies refer to it with C(set-backend-service backend-id).
    type: str
    required: true
  type:
    description: A single backend or a pool of backends.
    type: str
    choices: [Single, Pool]
    default: Single
  url:
    description: The backend's runtime URL. Required for a single backend.
    type: str
  protocol:
    description: The backend's protocol.
    type: str
    choices: [http, soap]
    default: http
  description:
    description: A description.
    type: str
  title:
    description: A title.
    type: str
  credentials_header:
    description:
      - Headers the gateway adds to every request to the backend, name to list of values (for example an api-key).
      - No API Management API version defines a managed identity credential on a backend (Microsoft's definitions up
        to 2026-09-01-preview); authenticate to Microsoft Foundry with the C(authentication-managed-identity) policy
        instead (see M(aigateway.foundry.apim_policy)), and to a service that the gateway calls on its own, such as
        Azure AI Content Safety, with its key here.
    type: dict
  credentials_query:
    description: Query parameters the gateway adds to every request to the backend, name to list of values.
    type: dict
  credentials_authorization:
    description: An Authorization header for the backend.
    type: dict
    suboptions:
      scheme:
        description: The scheme, for example V(Bearer) or V(Basic).
        type: str
        required: true
      parameter:
        description: The credential after the scheme.
        type: str
        required: true
  update_credentials:
    description:
      - V(always) writes when the credentials differ from what the service returns; V(on_create) ignores
        credential changes on an existing backend (every write still sends the credentials given, because a
        write replaces the whole backend).
    type: str
    choices: [always, on_create]
    default: always
  tls_validate_certificate_chain:
    description: Validate the backend's certificate chain.
    type: bool
  tls_validate_certificate_name:
    description: Validate the backend's certificate name.
    type: bool
  circuit_breaker_rules:
    description:
      - Rules that trip the backend (take it out of its pool) after failures. At most 15.
    type: list
    elements: dict
    suboptions:
      name:
        description: The rule's name.
        type: str
        required: true
      trip_duration:
        description: How long the circuit stays open, an ISO 8601 duration such as V(PT1M).
        type: str
        required: true
      accept_retry_after:
        description: Keep the circuit open as long as the backend's Retry-After says.
        type: bool
      failure_count:
        description: Trip after this many failures within O(circuit_breaker_rules[].interval).
        type: int
      failure_percentage:
        description: Trip when this percentage of requests fail within O(circuit_breaker_rules[].interval).
        type: int
      interval:
        description: The window in which failures are counted, an ISO 8601 duration.
        type: str
        required: true
      status_code_ranges:
        description: Status codes that count as failures (at most 10 ranges, codes 200-599).
        type: list
        elements: dict
        suboptions:
          min:
            description: Lowest status code of the range.
            type: int
            required: true
          max:
            description: Highest status code of the range.
            type: int
            required: true
      error_reasons:
        description: Gateway error reasons that count as failures (at most 10, each at most 200 characters).
        type: list
        elements: str
  pool_services:
    description: The members of a pool (O(type=Pool)); at least one.
    type: list
    elements: dict
    suboptions:
      backend:
        description: The member backend's name or resource id, in the same service.
        type: str
        required: true
      priority:
        description: Priority group, 0-100; lower numbers are used first.
        type: int
      weight:
        description: Share of traffic within its priority group, 0-100.
        type: int
"""

EXAMPLES = r"""
- name: A Foundry account as backend, with a circuit breaker on 429
  aigateway.foundry.apim_backend:
    resource_group: rg-ai-gateway
    service: apim-ai-gateway-01
    name: models-foundry
    url: https://models-foundry-01.cognitiveservices.azure.com/openai
    description: Inference backend
    circuit_breaker_rules:
      - name: InferenceBreakerRule
        trip_duration: PT1M
        accept_retry_after: true
        failure_count: 1
        interval: PT1M
        status_code_ranges: [{min: 429, max: 429}]

- name: The pool the inference API routes to
  aigateway.foundry.apim_backend:
    resource_group: rg-ai-gateway
    service: apim-ai-gateway-01
    name: inference-backend-pool
    type: Pool
    description: Load balancer for the model hosts
    pool_services:
      - {backend: models-foundry, priority: 1, weight: 100}
      - {backend: models-foundry-2, priority: 2, weight: 50}
"""

RETURN = r"""
id:
  description: The backend's resource id.
  returned: when the backend exists (or would exist in check mode)
  type: str
  sample: /subscriptions/0000/resourceGroups/rg-ai-gateway/providers/Microsoft.ApiManagement/service/apim-ai-gateway-01/backends/models-foundry
state:
  description:
    - The backend as Resource Manager returns it (predicted in check mode), credential values replaced by
      C(VALUE_SPECIFIED_IN_NO_LOG_PARAMETER); null when absent.
  returned: always
  type: dict
"""

import re

from ansible_collections.aigateway.foundry.plugins.module_utils.apim import (
    RULE_SPEC, ApimChild, list_backends, masked_backend, rule_body, rule_problems)
from ansible_collections.aigateway.foundry.plugins.module_utils.arm_resource import apim_child_spec, lower, run_resource
from ansible_collections.aigateway.foundry.plugins.module_utils.azure_module import AzureModule

ARGUMENT_SPEC = apim_child_spec(
    type=dict(type="str", choices=["Single", "Pool"], default="Single"),
    url=dict(type="str"),
    protocol=dict(type="str", choices=["http", "soap"], default="http"),
    description=dict(type="str"),
    title=dict(type="str"),
    credentials_header=dict(type="dict", no_log=True),
    credentials_query=dict(type="dict", no_log=True),
    credentials_authorization=dict(type="dict", options=dict(scheme=dict(type="str", required=True),
                                                             parameter=dict(type="str", required=True,
                                                                            no_log=True))),
    update_credentials=dict(type="str", choices=["always", "on_create"], default="always"),
    tls_validate_certificate_chain=dict(type="bool"),
    tls_validate_certificate_name=dict(type="bool"),
    circuit_breaker_rules=dict(type="list", elements="dict", options=RULE_SPEC),
    pool_services=dict(type="list", elements="dict", options=dict(
        backend=dict(type="str", required=True),
        priority=dict(type="int"),
        weight=dict(type="int"))),
)

SINGLE_ONLY = ("url", "credentials_header", "credentials_query", "credentials_authorization",
               "tls_validate_certificate_chain", "tls_validate_certificate_name")


def validate(params):
    """Problems with the input, found before anything is read or written."""
    name = params["name"]
    if not 1 <= len(name) <= 80:
        return "backend name %r must be 1-80 characters" % name
    if params["state"] == "absent":
        return None
    if params["type"] == "Single":
        if not params["url"]:
            return "url is required for a Single backend"
        if not re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*://", params["url"]):
            return "url %r must be an absolute URL" % params["url"]
        if params["pool_services"]:
            return "pool_services needs type: Pool"
    else:
        given = [key for key in SINGLE_ONLY if params[key] is not None]
        if given:
            return "%s not allowed with type: Pool (a pool only lists its members)" % ", ".join(given)
        if not params["pool_services"]:
            return "pool_services (at least one member) is required for type: Pool"
        for member in params["pool_services"]:
            for key in ("priority", "weight"):
                if member[key] is not None and not 0 <= member[key] <= 100:
                    return "pool member %s: %s must be 0-100, not %s" % (member["backend"], key, member[key])
        members = [member_name(m["backend"]) for m in params["pool_services"]]
        if len(set(m.lower() for m in members)) != len(members):
            return "pool_services lists a backend twice"
        if any(m.lower() == name.lower() for m in members):
            return "pool %s cannot contain itself" % name
    for key in ("description", "url"):
        if params[key] is not None and not 1 <= len(params[key]) <= 2000:
            return "%s must be 1-2000 characters" % key
    if params["title"] is not None and not 1 <= len(params["title"]) <= 300:
        return "title must be 1-300 characters"
    problems = rule_problems(params["circuit_breaker_rules"])
    if problems:
        return "; ".join(problems)
    return None


def member_name(reference):
    """A pool member's backend name from a name, '/backends/<name>' or a full resource id."""
    return reference.rstrip("/").split("/")[-1]


def member_id(base_id, reference):
    return "%s/backends/%s" % (base_id, member_name(reference))


def normalise_member_id(value):
    """Pool member ids compare by backend name: APIM may echo what was sent or the full id, in any case."""
    return member_name(value).lower() if isinstance(value, str) else value


def _string_lists(values):
    return dict((k, [str(v) for v in (vs if isinstance(vs, list) else [vs])]) for k, vs in (values or {}).items())


def credentials_body(params):
    credentials = {}
    if params["credentials_header"] is not None:
        credentials["header"] = _string_lists(params["credentials_header"])
    if params["credentials_query"] is not None:
        credentials["query"] = _string_lists(params["credentials_query"])
    if params["credentials_authorization"] is not None:
        credentials["authorization"] = {"scheme": params["credentials_authorization"]["scheme"],
                                        "parameter": params["credentials_authorization"]["parameter"]}
    return credentials or None


def desired_body(params, base_id):
    """The backend body this task manages (ARM JSON of Microsoft.ApiManagement/service/backends)."""
    props = {"type": params["type"]}
    for key in ("description", "title"):
        if params[key] is not None:
            props[key] = params[key]
    if params["type"] == "Single":
        props["url"] = params["url"]
        props["protocol"] = params["protocol"]
        tls = {}
        if params["tls_validate_certificate_chain"] is not None:
            tls["validateCertificateChain"] = params["tls_validate_certificate_chain"]
        if params["tls_validate_certificate_name"] is not None:
            tls["validateCertificateName"] = params["tls_validate_certificate_name"]
        if tls:
            props["tls"] = tls
        credentials = credentials_body(params)
        if credentials:
            props["credentials"] = credentials
    else:
        services = []
        for member in params["pool_services"]:
            item = {"id": member_id(base_id, member["backend"])}
            for key in ("priority", "weight"):
                if member[key] is not None:
                    item[key] = member[key]
            services.append(item)
        props["pool"] = {"services": services}
    if params["circuit_breaker_rules"] is not None:
        props["circuitBreaker"] = {"rules": [rule_body(r) for r in params["circuit_breaker_rules"]]}
    return {"properties": props}


def compared_body(desired, current, update_credentials):
    """What decides a write: with on_create, credentials of an existing backend do not count (a PUT replaces the
    whole backend, so every write still sends the credentials given)."""
    return RESOURCE.compared(desired, current, dict(update_credentials=update_credentials))


NORMALISERS = {
    "properties.pool.services[].id": normalise_member_id,
    "properties.url": lambda v: v.rstrip("/") if isinstance(v, str) else v,
    "properties.type": lower,
}


# Backends return their credentials: compared under update_credentials=always, "(secret)" in the diff.
RESOURCE = ApimChild("backends", "backend", "backend", secrets=("properties.credentials",),
                     update_option="update_credentials", normalisers=NORMALISERS, mask=masked_backend)


def members_problem(module, params):
    """Pool members that do not exist in the service (read-only check before any write), as a message. One list of
    the service's backends, however many members."""
    if params["state"] == "absent" or params["type"] != "Pool":
        return None
    listed = list_backends(module, params["resource_group"], params["service"])
    present = set(backend["name"].lower() for backend in listed)
    missing = [member_name(m["backend"]) for m in params["pool_services"]
               if member_name(m["backend"]).lower() not in present]
    if missing:
        return ("pool %s: member backend%s %s do%s not exist in service %s; create %s first"
                % (params["name"], "s" if len(missing) > 1 else "", ", ".join(missing),
                   "" if len(missing) > 1 else "es", params["service"], "them" if len(missing) > 1 else "it"))
    return None


def main():
    module = AzureModule(ARGUMENT_SPEC)
    module.fail_if(validate(module.params))
    run_resource(module, RESOURCE, lambda params, current: members_problem(module, params),
                 lambda params, target: desired_body(params, target.parent_id))


if __name__ == "__main__":
    main()
