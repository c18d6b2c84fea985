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
        description: The application's client id at the token URL, a GUID (Resource Manager takes no other).
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
      - The gateway API's type, used to validate O(target), O(deployment_in_path) and O(inference_api_version)
        (and to default the last two).
      - V(PassThrough) and V(AzureOpenAI) - target ends with C(/openai), deployment in path, a dated Azure OpenAI
        api-version (default C(2024-12-01-preview)).
      - V(AzureOpenAIV1) - target ends with C(/openai/v1), deployment not in path, no api-version (the v1 API takes
        only V(v1) or V(preview); a dated version is refused).
      - V(AzureAI) - target ends with C(/models), deployment not in path, a Model Inference api-version (default
        C(2024-05-01-preview)).
    type: str
    choices: [PassThrough, AzureOpenAI, AzureOpenAIV1, AzureAI]
  deployment_in_path:
    description:
      - Metadata C(deploymentInPath). V(true) calls C({target}/deployments/{name}/chat/completions), V(false)
        calls C({target}/chat/completions) with the deployment as C(model). Required for V(ApiManagement)
        unless O(api_type) implies it.
    type: bool
  inference_api_version:
    description:
      - Metadata C(inferenceAPIVersion), the C(api-version) Foundry appends to inference calls.
      - Defaults to what O(api_type) takes (none for V(AzureOpenAIV1)); a version the API type does not take is
        refused before anything is written.
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
    description:
      - Headers Foundry adds to every inference request (metadata C(customHeaders)).
      - Names must be HTTP header names (RFC 9110 tokens), values text without control characters, and no name
        may be the header of the credential (C(api-key) or the O(auth_config) name for V(ApiKey), C(Authorization)
        for tokens); refused before anything is written. Azure returns them with the connection, so they are not
        for secrets.
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

from ansible_collections.aigateway.foundry.plugins.module_utils import validation
from ansible_collections.aigateway.foundry.plugins.module_utils.arm_resource import (
    ArmType,
    Resource,
    account_child_spec,
    run_resource,
)
from ansible_collections.aigateway.foundry.plugins.module_utils.azure_module import AzureModule
from ansible_collections.aigateway.foundry.plugins.module_utils.azure_state import drop_paths
from ansible_collections.aigateway.foundry.plugins.module_utils.foundry_connection import (
    DEFAULT_AUDIENCE,
    validate,
    write_properties,
)

ARGUMENT_SPEC = account_child_spec(
    project=dict(type="str"),
    category=dict(type="str"),
    target=dict(type="str"),
    auth_type=dict(type="str", choices=list(validation.CONNECTION_AUTH_TYPES),
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
    api_type=dict(type="str", choices=list(validation.CONNECTION_API_TYPES)),
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
)


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


ACCOUNT_CONNECTIONS = ArmType("Microsoft.CognitiveServices/accounts/connections")
PROJECT_CONNECTIONS = ArmType("Microsoft.CognitiveServices/accounts/projects/connections")
SECRETS = ("properties.credentials",)


def owner(params):
    """The account or project the connection belongs to, in words."""
    if params["project"]:
        return "project %s of account %s" % (params["project"], params["account"])
    return "account %s" % params["account"]


class Connection(Resource):
    """A connection of an account, or of one of its projects when the project option is given.

    Azure never returns the credentials (key, client secret): they are write-only, and re-sent on every run only
    with update_credentials=always.
    """

    def names(self, params):
        return tuple(params[key] for key in ("resource_group", "account", "project", "name") if params[key])

    def operations(self, module):
        client = module.client(self.service)
        return client.project_connections if module.params["project"] else client.account_connections

    def action(self, verb, target):
        return "%s connection %s of %s" % (verb, target.names[-1], owner(target.module.params))

    def skeleton(self, subscription_id, names):
        arm_type = PROJECT_CONNECTIONS if len(names) == 4 else ACCOUNT_CONNECTIONS
        return arm_type.skeleton(subscription_id, *names)


RESOURCE = Connection(ACCOUNT_CONNECTIONS, "connection", "cognitiveservices", None, create_method="create",
                      write_only=SECRETS, update_option="update_credentials", normalisers=NORMALISERS,
                      mask=lambda body: drop_paths(body, SECRETS))


def parent_problem(module, params, current):
    """Why the connection cannot be created (its account or project does not exist), or None.

    In check mode the parent may come from an earlier task of the same run, so it is not looked for.
    """
    if params["state"] == "absent" or current is not None or module.check_mode:
        return None
    client = module.client("cognitiveservices")
    read = client.projects.get if params["project"] else client.accounts.get
    if module.read_json("read " + owner(params), read, *RESOURCE.names(params)[:-1]):
        return None
    return "cannot create connection %s of %s: %s does not exist" % (
        params["name"], "project %s" % params["project"] if params["project"] else owner(params), owner(params))


def main():
    module = AzureModule(ARGUMENT_SPEC)
    run_resource(module, RESOURCE,
                 lambda params, current: (validate(params) if params["state"] == "present" else None)
                 or parent_problem(module, params, current),
                 lambda params, target: {"properties": write_properties(params)},
                 returns=lambda state: dict(model_reference_prefix=("%s/" % module.params["name"]) if state else None))


if __name__ == "__main__":
    main()
