#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to aigateway.foundry
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: foundry_connection
short_description: Create, update or delete a Microsoft Foundry connection, such as a model gateway connection
version_added: 0.1.0
description:
  - Ensures a connection exists on a Foundry account (C(accounts/connections)) or on a project
    (C(accounts/projects/connections)), or is deleted.
  - Built for model gateway connections (categories V(ApiManagement) and V(ModelGateway)) through which Foundry
    agents reach models as C(<connection name>/<deployment name>); other categories pass through.
  - The metadata is given as structured options and stored as Foundry expects it (strings, JSON strings for
    objects and lists). The combination is validated before any write; in particular O(api_type) checks that
    O(target) and O(deployment_in_path) fit the gateway's API, the usual cause of C(DeploymentNotFound).
  - Credentials are write-only (Azure never returns them), so idempotence compares everything else, and
    O(update_credentials) decides whether an unchanged connection's key is sent again. Credentials are never
    returned, logged or shown in a diff.
  - Idempotent, with check mode (predicts the state without writing) and diff mode.
author:
  - aigateway.foundry maintainers (@aigateway)
extends_documentation_fragment: [aigateway.foundry.resource.ACCOUNT_CHILD, aigateway.foundry.azure]
options:
  project:
    description: Put the connection on this project of O(account) instead of on the account itself.
    type: str
  name:
    description: The connection's name (3 to 33 letters, digits, C(_) or C(-)); agents use C(<name>/<model>).
    type: str
    required: true
  category:
    description:
      - The connection category, for example V(ApiManagement) (an Azure API Management gateway) or
        V(ModelGateway) (any other gateway). Other categories are passed through unchanged. Required with
        O(state=present).
    type: str
  target:
    description: The URL clients call, for a gateway the inference base URL (for example
      C(https://apim-x.azure-api.net/inference/openai)). Required with O(state=present).
    type: str
  auth_type:
    description:
      - How Foundry authenticates to the target. V(ApiKey) needs O(api_key); V(OAuth2) needs O(oauth2);
        V(ProjectManagedIdentity) sends the project's Entra ID token for O(audience) (no key at all).
    type: str
    choices: [ApiKey, ProjectManagedIdentity, AAD, OAuth2, None]
    default: ApiKey
  api_key:
    description: The key (for an APIM gateway, a subscription key). Write-only; see O(update_credentials).
    type: str
  audience:
    description: The token audience for O(auth_type=ProjectManagedIdentity).
    type: str
    default: https://cognitiveservices.azure.com
  oauth2:
    description: The OAuth2 client credentials for O(auth_type=OAuth2).
    type: dict
    suboptions:
      client_id:
        description: The application's client id (a GUID).
        type: str
        required: true
      client_secret:
        description: The client secret. Write-only.
        type: str
        required: true
      token_url:
        description: The token endpoint (https).
        type: str
        required: true
      scopes:
        description: The scopes to request.
        type: list
        elements: str
  is_shared_to_all:
    description: Whether every user of the account or project may use the connection.
    type: bool
    default: false
  api_type:
    description:
      - The gateway API's type, used to validate O(target) and O(deployment_in_path) (and to default the latter).
      - V(PassThrough) and V(AzureOpenAI) - target ends with C(/openai), deployment in path.
      - V(AzureOpenAIV1) - target ends with C(/openai/v1), deployment not in path.
      - V(AzureAI) - target ends with C(/models), deployment not in path.
    type: str
    choices: [PassThrough, AzureOpenAI, AzureOpenAIV1, AzureAI]
  deployment_in_path:
    description:
      - Metadata C(deploymentInPath). V(true) calls C({target}/deployments/{name}/chat/completions), V(false)
        calls C({target}/chat/completions) with the deployment as C(model). Required for V(ApiManagement)
        unless O(api_type) implies it.
    type: bool
  inference_api_version:
    description: Metadata C(inferenceAPIVersion), the C(api-version) of inference calls.
    type: str
  deployment_api_version:
    description: Metadata C(deploymentAPIVersion), the C(api-version) of model discovery calls.
    type: str
  models:
    description:
      - The gateway's models, listed statically (metadata C(models); recommended). Cannot be combined with
        O(model_discovery); a gateway connection needs one of them.
    type: list
    elements: dict
    suboptions:
      name:
        description: The deployment name agents use after C(<connection>/).
        type: str
        required: true
      model_name:
        description: The model's name. Defaults to O(models[].name).
        type: str
      model_version:
        description: The model's version.
        type: str
      model_format:
        description: The model's format, V(OpenAI) for OpenAI-compatible chat completions, V(Anthropic), V(NonOpenAI).
        type: str
        default: OpenAI
  model_discovery:
    description: How Foundry discovers the gateway's models at run time (metadata C(modelDiscovery)).
    type: dict
    suboptions:
      list_models_endpoint:
        description: The path (after the target) that lists the deployments, for example C(/deployments).
        type: str
        required: true
      get_model_endpoint:
        description: The path of one deployment; must contain C({deploymentName}).
        type: str
        required: true
      deployment_provider:
        description: The shape of the answers.
        type: str
        required: true
        choices: [AzureOpenAI, OpenAI]
  custom_headers:
    description: Headers Foundry adds to every inference request (metadata C(customHeaders)).
    type: dict
  auth_config:
    description: How the API key is sent (metadata C(authConfig)); the default is the header C(api-key).
    type: dict
    suboptions:
      type:
        description: The only type Foundry knows.
        type: str
        choices: [api_key]
        default: api_key
      name:
        description: The header name, for example C(Authorization).
        type: str
        required: true
      format:
        description: The header value template; must contain C({api_key}), for example C(Bearer {api_key}).
        type: str
        required: true
  extra_metadata:
    description: Other metadata entries (plain strings), for example C(ApiType) or C(Location).
    type: dict
  update_credentials:
    description:
      - V(on_create) sends the credentials when the connection is created or another property changes;
        an otherwise unchanged connection is left alone.
      - V(always) sends them on every run (use it to rotate a key) and reports a change.
    type: str
    choices: [always, on_create]
    default: on_create
notes:
  - Uses API version 2025-12-01, the first stable version with the V(ApiManagement) and V(ModelGateway)
    categories.
"""

EXAMPLES = r"""
- name: The APIM gateway as a Foundry connection (API key)
  aigateway.foundry.foundry_connection:
    resource_group: rg-ai-gateway
    account: agents-foundry-01
    name: ai-gateway
    category: ApiManagement
    target: "{{ apim_gateway_url }}/inference/openai"
    api_type: AzureOpenAI
    api_key: "{{ apim_subscription_key }}"
    is_shared_to_all: true
    inference_api_version: 2024-12-01-preview
    models:
      - {name: gpt-4o-mini, model_version: "2024-07-18"}
      - {name: gpt-4.1-mini, model_version: "2025-04-14"}
  no_log: false

- name: The same gateway on a project, with the project's identity instead of a key
  aigateway.foundry.foundry_connection:
    resource_group: rg-ai-gateway
    account: agents-foundry-01
    project: foundry-project
    name: ai-gateway-mi
    category: ApiManagement
    target: "{{ apim_gateway_url }}/inference/openai"
    api_type: AzureOpenAI
    auth_type: ProjectManagedIdentity
    model_discovery:
      list_models_endpoint: /deployments
      get_model_endpoint: /deployments/{deploymentName}
      deployment_provider: AzureOpenAI
"""

RETURN = r"""
id:
  description: The connection's resource id.
  returned: when the connection exists (or would exist in check mode)
  type: str
state:
  description: The connection as Resource Manager returns it, without credentials (predicted in check mode);
    null when absent.
  returned: always
  type: dict
model_reference_prefix:
  description: What agents put before a deployment name to use a model through this connection.
  returned: when the connection exists
  type: str
  sample: ai-gateway/
"""

import json

from ansible_collections.aigateway.foundry.plugins.module_utils.azure_clients import json_body, raw
from ansible_collections.aigateway.foundry.plugins.module_utils.azure_module import AzureModule
from ansible_collections.aigateway.foundry.plugins.module_utils.azure_state import diff_view, drop_paths, merge
from ansible_collections.aigateway.foundry.plugins.module_utils.foundry_connection import (
    DEFAULT_AUDIENCE,
    comparable_properties,
    validate,
    write_properties,
)

ARGUMENT_SPEC = dict(
    resource_group=dict(type="str", required=True),
    account=dict(type="str", required=True),
    project=dict(type="str"),
    name=dict(type="str", required=True),
    category=dict(type="str"),
    target=dict(type="str"),
    auth_type=dict(type="str", choices=["ApiKey", "ProjectManagedIdentity", "AAD", "OAuth2", "None"],
                   default="ApiKey"),
    api_key=dict(type="str", no_log=True),
    audience=dict(type="str", default=DEFAULT_AUDIENCE),
    oauth2=dict(type="dict", options=dict(
        client_id=dict(type="str", required=True),
        client_secret=dict(type="str", required=True, no_log=True),
        token_url=dict(type="str", required=True, no_log=False),
        scopes=dict(type="list", elements="str"),
    )),
    is_shared_to_all=dict(type="bool", default=False),
    api_type=dict(type="str", choices=["PassThrough", "AzureOpenAI", "AzureOpenAIV1", "AzureAI"]),
    deployment_in_path=dict(type="bool"),
    inference_api_version=dict(type="str"),
    deployment_api_version=dict(type="str"),
    models=dict(type="list", elements="dict", options=dict(
        name=dict(type="str", required=True),
        model_name=dict(type="str"),
        model_version=dict(type="str"),
        model_format=dict(type="str", default="OpenAI"),
    )),
    model_discovery=dict(type="dict", options=dict(
        list_models_endpoint=dict(type="str", required=True),
        get_model_endpoint=dict(type="str", required=True),
        deployment_provider=dict(type="str", required=True, choices=["AzureOpenAI", "OpenAI"]),
    )),
    custom_headers=dict(type="dict"),
    auth_config=dict(type="dict", options=dict(
        type=dict(type="str", choices=["api_key"], default="api_key"),
        name=dict(type="str", required=True),
        format=dict(type="str", required=True),
    )),
    extra_metadata=dict(type="dict"),
    update_credentials=dict(type="str", choices=["always", "on_create"], default="on_create"),
    state=dict(type="str", choices=["present", "absent"], default="present"),
)

SECRETS = ("properties.credentials",)


def _parsed(value):
    try:
        return json.loads(value) if isinstance(value, str) and value[:1] in ("{", "[") else value
    except ValueError:
        return value


def normalise_metadata(metadata):
    """Metadata compares as a whole (a removed key is a change), JSON strings by their parsed value."""
    if not isinstance(metadata, dict):
        return metadata
    return sorted((key, json.dumps(_parsed(value), sort_keys=True)) for key, value in metadata.items())


NORMALISERS = {
    "properties.target": lambda value: value.rstrip("/") if isinstance(value, str) else value,
    "properties.metadata": normalise_metadata,
}


def connection_id(module, params):
    base = ("/subscriptions/%s/resourceGroups/%s/providers/Microsoft.CognitiveServices/accounts/%s"
            % (module.subscription_id, params["resource_group"], params["account"]))
    if params["project"]:
        base += "/projects/%s" % params["project"]
    return base + "/connections/%s" % params["name"]


def scope_args(params):
    """The SDK operation group and the leading arguments that address the connection."""
    args = [params["resource_group"], params["account"]]
    if params["project"]:
        args.append(params["project"])
    return ("project_connections" if params["project"] else "account_connections"), args + [params["name"]]


def where(params):
    return "connection %s of %s" % (params["name"], ("project %s" % params["project"]) if params["project"]
                                    else ("account %s" % params["account"]))


def describe(module, params):
    group, args = scope_args(params)
    operations = getattr(module.client("cognitiveservices"), group)
    found = module.get_or_none("read " + where(params), operations.get, *args, cls=raw)
    return drop_paths(found[0], SECRETS) if found else None


def parent_exists(module, params):
    """Whether the account (or project) the connection belongs to exists."""
    client = module.client("cognitiveservices")
    if params["project"]:
        found = module.get_or_none("read project %s" % params["project"], client.projects.get,
                                   params["resource_group"], params["account"], params["project"], cls=raw)
    else:
        found = module.get_or_none("read account %s" % params["account"], client.accounts.get,
                                   params["resource_group"], params["account"], cls=raw)
    return bool(found)


def ensure_present(module, params, current, desired):
    group, args = scope_args(params)
    operations = getattr(module.client("cognitiveservices"), group)

    def write():
        body = {"properties": write_properties(params)}
        # Connection PUTs are synchronous and answer 200 with the connection.
        result = module.call("write " + where(params), operations.create, *(args + [json_body(body)]), cls=raw)
        return drop_paths(result[0], SECRETS) if result and result[0] else describe(module, params)

    rotate = params["update_credentials"] == "always" and params["auth_type"] in ("ApiKey", "OAuth2")
    if rotate and current is not None:
        # The key cannot be compared: "always" re-sends it and so always reports a change.
        return True, (merge(current, desired) if module.check_mode else write())
    new = {"id": connection_id(module, params), "name": params["name"],
           "type": "Microsoft.CognitiveServices/accounts/%sconnections" % ("projects/" if params["project"] else "")}
    return module.converge(current, desired, write, new_state=new, normalisers=NORMALISERS)


def ensure_absent(module, params, current):
    def delete():
        group, args = scope_args(params)
        operations = getattr(module.client("cognitiveservices"), group)
        module.call("delete " + where(params), operations.delete, *args)
    return module.remove(current, delete)


def main():
    module = AzureModule(ARGUMENT_SPEC)
    params = module.params
    if params["state"] == "present":
        problem = validate(params)
        if problem:
            module.fail(problem)
    current = describe(module, params)
    if params["state"] == "absent":
        changed, state = ensure_absent(module, params, current)
        managed = None
    else:
        # In check mode the parent may come from an earlier task of the same run.
        if current is None and not module.check_mode and not parent_exists(module, params):
            module.fail("cannot create %s: %s does not exist" % (where(params), (
                "project %s of account %s" % (params["project"], params["account"])) if params["project"]
                else "account %s" % params["account"]))
        desired = {"properties": comparable_properties(params)}
        changed, state = ensure_present(module, params, current, desired)
        managed = desired
    state = drop_paths(state, SECRETS)
    module.exit(changed, state, id=(state or {}).get("id"),
                model_reference_prefix=("%s/" % params["name"]) if state else None,
                before=diff_view(current, managed, SECRETS), after=diff_view(state, managed, SECRETS))


if __name__ == "__main__":
    main()
