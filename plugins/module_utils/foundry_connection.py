# -*- coding: utf-8 -*-
# Copyright: contributors to aigateway.foundry
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Foundry connections to a model gateway: metadata building and validation (pure functions).

Foundry stores a connection's metadata as a map of strings; objects and lists go in as JSON strings and booleans
as "true"/"false" (foundry-samples connection-apim.bicep, APIM-/ModelGateway-Connection-Objects.md).  Most
"DeploymentNotFound" errors of a gateway connection come from a target, deploymentInPath or API version that do
not fit the gateway's API, so the combination is checked before anything is written.
"""

from __future__ import annotations

import json

from ansible_collections.aigateway.foundry.plugins.module_utils import validation

GATEWAY_CATEGORIES = ("ApiManagement", "ModelGateway")
DEFAULT_AUDIENCE = "https://cognitiveservices.azure.com"

# Metadata keys the structured options own; extra_metadata cannot set them.
STRUCTURED_KEYS = ("deploymentInPath", "inferenceAPIVersion", "deploymentAPIVersion", "models", "modelDiscovery",
                   "customHeaders", "authConfig")


def _compact(value):
    return json.dumps(value, separators=(",", ":"))


def deployment_in_path(params):
    """The deploymentInPath value: the option, else what the API type implies, else None (unset)."""
    if params.get("deployment_in_path") is not None:
        return params["deployment_in_path"]
    if params.get("api_type"):
        return validation.CONNECTION_API_TYPE_DEFAULTS[params["api_type"]].deployment_in_path
    return None


def inference_version(params):
    """The inferenceAPIVersion value: the option, else the API type's default ("" = none)."""
    return validation.inference_api_version(params.get("api_type"), params.get("inference_api_version"))


# The operations a gateway connection carries, as Azure OpenAI names their paths under the target: chat completions
# and embeddings take the deployment in the path where deploymentInPath is "true" (else in the body's `model`);
# the Responses API always takes it as `model` (Learn, "Azure OpenAI Responses API": POST {endpoint}/openai/v1/responses
# or /openai/responses?api-version=..., {"model": deployment}).
INFERENCE_OPERATIONS = {"chat": "chat/completions", "embeddings": "embeddings", "responses": "responses"}
BODY_MODEL_OPERATIONS = ("responses",)


def inference_call(target, deployment, deployment_in_path, version, operation="chat"):
    """(URL, model for the body or None) of the call Foundry makes through a gateway connection for `operation`
    (chat, embeddings or responses; foundry-samples 01-connections/apim, APIM-Connection-Objects.md): with
    deploymentInPath "true" `{target}/deployments/{deployment}/chat/completions` (or `/embeddings`), else
    `{target}/chat/completions` with the deployment as `model`; `{target}/responses` with `model` either way;
    `?api-version={inferenceAPIVersion}` only when the connection has one (apim-setup-guide-for-agents.md: "If not
    required, this will need to be kept an empty string")."""
    if operation not in INFERENCE_OPERATIONS:
        raise ValueError("operation must be one of %s, got %r" % (", ".join(INFERENCE_OPERATIONS), operation))
    base, path = target.rstrip("/"), INFERENCE_OPERATIONS[operation]
    if deployment_in_path and operation not in BODY_MODEL_OPERATIONS:
        url, model = "%s/deployments/%s/%s" % (base, deployment, path), None
    else:
        url, model = "%s/%s" % (base, path), deployment
    return url + ("?api-version=%s" % version if version else ""), model


def models_value(models):
    """[{name, model_name, model_version, model_format}] -> Foundry's static model list."""
    result = []
    for item in models:
        model = {"name": item.get("model_name") or item["name"]}
        if item.get("model_version"):
            model["version"] = item["model_version"]
        model["format"] = item.get("model_format") or "OpenAI"
        result.append({"name": item["name"], "properties": {"model": model}})
    return result


def discovery_value(discovery):
    return {"listModelsEndpoint": discovery["list_models_endpoint"],
            "getModelEndpoint": discovery["get_model_endpoint"],
            "deploymentProvider": discovery["deployment_provider"]}


def auth_config_value(auth_config):
    return {"type": auth_config.get("type") or "api_key", "name": auth_config["name"],
            "format": auth_config["format"]}


def build_metadata(params):
    """The connection's metadata map (all values strings) from the structured options."""
    metadata = dict((k, str(v)) for k, v in (params.get("extra_metadata") or {}).items())
    in_path = deployment_in_path(params)
    if in_path is not None:
        metadata["deploymentInPath"] = "true" if in_path else "false"
    version = inference_version(params)
    if version:
        metadata["inferenceAPIVersion"] = version
    if params.get("deployment_api_version"):
        metadata["deploymentAPIVersion"] = params["deployment_api_version"]
    if params.get("models"):
        metadata["models"] = _compact(models_value(params["models"]))
    if params.get("model_discovery"):
        metadata["modelDiscovery"] = _compact(discovery_value(params["model_discovery"]))
    if params.get("custom_headers"):
        metadata["customHeaders"] = _compact(dict((k, str(v)) for k, v in params["custom_headers"].items()))
    if params.get("auth_config"):
        metadata["authConfig"] = _compact(auth_config_value(params["auth_config"]))
    return metadata


def credentials(params):
    """The write-only credentials block for the auth type (None when the type carries none)."""
    auth_type = params.get("auth_type")
    if auth_type == "ApiKey":
        return {"key": params["api_key"]}
    if auth_type == "OAuth2":
        oauth2 = params["oauth2"]
        return {"clientId": oauth2["client_id"], "clientSecret": oauth2["client_secret"]}
    if auth_type in ("ProjectManagedIdentity", "AAD"):
        return {}
    return None


def comparable_properties(params):
    """The connection properties this task manages, without credentials (which Azure never returns)."""
    properties = {
        "category": params["category"],
        "target": params["target"],
        "authType": params["auth_type"],
        "isSharedToAll": bool(params.get("is_shared_to_all")),
        "metadata": build_metadata(params),
    }
    if params["auth_type"] == "ProjectManagedIdentity":
        properties["audience"] = params.get("audience") or DEFAULT_AUDIENCE
    if params["auth_type"] == "OAuth2":
        oauth2 = params["oauth2"]
        properties["tokenUrl"] = oauth2["token_url"]
        if oauth2.get("scopes"):
            properties["scopes"] = list(oauth2["scopes"])
    return properties


def write_properties(params):
    """The properties a PUT sends: the comparable ones plus the credentials."""
    properties = comparable_properties(params)
    secret = credentials(params)
    if secret is not None:
        properties["credentials"] = secret
    return properties


def _validate_auth(params):
    auth_type = params.get("auth_type")
    oauth2 = params.get("oauth2") or {}
    if auth_type == "ApiKey" and not params.get("api_key"):
        return "api_key is required when auth_type is ApiKey"
    if auth_type != "ApiKey" and params.get("api_key"):
        return "api_key is only used with auth_type ApiKey (auth_type is %s)" % auth_type
    if auth_type == "OAuth2":
        problem = validation.oauth2_problem(oauth2)
        if problem:
            return problem
    elif params.get("oauth2"):
        return "oauth2 is only used with auth_type OAuth2 (auth_type is %s)" % auth_type
    if params.get("auth_config"):
        if auth_type != "ApiKey":
            return "auth_config only customises how an API key is sent (auth_type ApiKey)"
        config = params["auth_config"]
        if (config.get("type") or "api_key") != "api_key":
            return "auth_config.type must be api_key"
        if not config.get("name") or "{api_key}" not in (config.get("format") or ""):
            return "auth_config needs a header name and a format containing {api_key}, e.g. 'Bearer {api_key}'"
    return None


def _validate_discovery(params):
    models, discovery = params.get("models"), params.get("model_discovery")
    gateway = params.get("category") in GATEWAY_CATEGORIES
    if models and discovery:
        return ("models (static) and model_discovery (dynamic) cannot both be set: Foundry uses one way to list "
                "the gateway's models")
    if gateway and not models and not discovery:
        return "a %s connection needs models (static list, recommended) or model_discovery" % params["category"]
    if models:
        names = [item.get("name") for item in models]
        if not all(names):
            return "every item of models needs a name (the deployment name agents use)"
        if len(set(names)) != len(names):
            return "models lists a deployment name twice: %s" % ", ".join(sorted(set(
                n for n in names if names.count(n) > 1)))
    if discovery:
        missing = [key for key in ("list_models_endpoint", "get_model_endpoint", "deployment_provider")
                   if not discovery.get(key)]
        if missing:
            return "model_discovery needs %s" % ", ".join(missing)
        if "{deploymentName}" not in discovery["get_model_endpoint"]:
            return "model_discovery.get_model_endpoint must contain {deploymentName}, e.g. /deployments/{deploymentName}"
        if discovery["deployment_provider"] not in ("AzureOpenAI", "OpenAI"):
            return "model_discovery.deployment_provider must be AzureOpenAI or OpenAI"
    return None


def _validate_target(params):
    target = params.get("target") or ""
    gateway = params.get("category") in GATEWAY_CATEGORIES
    if gateway and not target.startswith("https://"):
        return "target must be the gateway's https URL (got %r)" % target
    in_path = deployment_in_path(params)
    if params["category"] == "ApiManagement" and in_path is None:
        return "an ApiManagement connection needs deployment_in_path (or api_type, which implies it)"
    api_type = params.get("api_type")
    if api_type:
        suffix = validation.CONNECTION_API_TYPE_DEFAULTS[api_type].target_suffix
        expected_in_path = validation.CONNECTION_API_TYPE_DEFAULTS[api_type].deployment_in_path
        if not target.rstrip("/").endswith(suffix):
            return ("api_type %s serves inference under %s: target must end with %s (got %s)"
                    % (api_type, suffix, suffix, target))
        if in_path != expected_in_path:
            return ("api_type %s needs deployment_in_path %s: with %s, Foundry calls %s and gets DeploymentNotFound"
                    % (api_type, str(expected_in_path).lower(), str(in_path).lower(),
                       inference_call(target, "{name}", in_path, None)[0]))
    return validation.inference_api_version_problem(api_type, inference_version(params))


def validate(params):
    """The first problem with a connection's options (state present), or None."""
    problem = validation.name_problem("Microsoft.CognitiveServices/accounts/connections", params.get("name") or "")
    if problem:
        return problem
    for option in ("category", "target"):
        if not params.get(option):
            return "%s is required" % option
    overlap = sorted(set(params.get("extra_metadata") or {}) & set(STRUCTURED_KEYS))
    if overlap:
        return "extra_metadata cannot set %s; use the structured options" % ", ".join(overlap)
    for check in (_validate_auth, _validate_discovery, _validate_target, validation.connection_problem):
        problem = check(params)
        if problem:
            return problem
    return None
