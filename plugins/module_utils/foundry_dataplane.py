# -*- coding: utf-8 -*-
# Copyright: contributors to aigateway.foundry
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Data-plane clients beside Resource Manager: the Foundry project (azure-ai-projects and its OpenAI client) and
the Log Analytics query API (azure-monitor-query).

They reuse the module's shared auth (``AzureModule.credential`` and ``settings``): the same options, the same
AZURE_* variables, the same CA bundle, only another token audience. The SDKs are imported on first use, so the
sanity ``import`` test (ansible-core only) can load the modules.
"""

from __future__ import annotations

import base64
import datetime
import json
import re

from ansible_collections.aigateway.foundry.plugins.module_utils.azure_clients import MissingSdk
from ansible_collections.aigateway.foundry.plugins.module_utils.azure_module import (
    AzureModule,
    error_details,
    failure_text,
)

# The project data plane's token audience (azure-ai-projects' default credential scope).
FOUNDRY_SCOPE = "https://ai.azure.com/.default"
# Retries of one data-plane request; azure-core caps those on a bad status at 3 unless retry_status says otherwise.
DATA_PLANE_RETRIES = dict(retry_total=5, retry_status=5)

# Project endpoints: https://{account}.{suffix}/api/projects/{project}
# (learn.microsoft.com/azure/foundry/how-to/develop/sdk-overview). Only the public cloud is known: the
# azure-ai-projects client and its OpenAI client request tokens for https://ai.azure.com only.
FOUNDRY_SUFFIXES = {"AzureCloud": "services.ai.azure.com"}

# Log Analytics query API per cloud (azure-monitor-query README, "sovereign clouds"): the endpoint is also the
# token audience.
LOG_ANALYTICS_AUDIENCES = {
    "AzureCloud": "https://api.loganalytics.io",
    "AzureUSGovernment": "https://api.loganalytics.us",
    "AzureChinaCloud": "https://api.loganalytics.azure.cn",
}

# Agent names: alphanumerics and hyphens, starting and ending with an alphanumeric, at most 63 characters
# (azure-ai-projects AgentsOperations.create_version).
PROJECT_ENDPOINT = re.compile(r"\Ahttps://[^/\s]+(/[^\s?#]*)?/api/projects/[^/\s?#]+\Z")


# The data-plane SDKs, each imported on first use: name -> (import path, PyPI package). The modules' action plugin
# imports them once in the controller too (plugins/plugin_utils/in_process.py), so that every task's worker has them.
DATA_PLANE_SDKS = {
    "projects": ("azure.ai.projects", "azure-ai-projects"),
    "openai": ("openai", "openai"),
    "logs": ("azure.monitor.query", "azure-monitor-query"),
}


# The key of the Foundry host in an account's (and a project's) ARM ``properties.endpoints``.
FOUNDRY_API = "AI Foundry API"


def project_endpoint(cloud, account, project, explicit=None):
    """(endpoint, problem): the project endpoint given, else None when account and project locate it in ``cloud``
    (``arm_project_endpoint`` then reads it from ARM), else the problem."""
    if explicit:
        url = explicit.rstrip("/")
        if not PROJECT_ENDPOINT.match(url):
            return None, ("project_endpoint %r is not a project endpoint "
                          "(https://<host>/api/projects/<project>)" % explicit)
        return url, None
    if not (account and project):
        return None, "give project_endpoint, or account and project to derive it from"
    if cloud not in FOUNDRY_SUFFIXES:
        return None, ("the Foundry project data plane of cloud_environment %s is not supported: its endpoint "
                      "suffix and token audience are not known to this collection (only AzureCloud)" % cloud)
    return None, None


def arm_project_endpoint(account, project_name, project=None):
    """The project endpoint as ARM reports it: the project's ``properties.endpoints["AI Foundry API"]``, else the
    account's Foundry host (its ``endpoints["AI Foundry API"]``, else its ``customSubDomainName``) with
    ``/api/projects/<project>``. The host is the account's custom subdomain, which need not be its name."""
    own = ((project or {}).get("properties") or {}).get("endpoints") or {}
    if own.get(FOUNDRY_API):
        return own[FOUNDRY_API].rstrip("/")
    props = (account or {}).get("properties") or {}
    host = (props.get("endpoints") or {}).get(FOUNDRY_API)
    if not host:
        subdomain = props.get("customSubDomainName") or (account or {}).get("name") or ""
        host = "https://%s.%s" % (subdomain.lower(), FOUNDRY_SUFFIXES["AzureCloud"])
    return "%s/api/projects/%s" % (host.rstrip("/"), project_name)


def project_argument_spec():
    """The options that locate a project (the aigateway.foundry.azure.PROJECT doc fragment)."""
    return dict(project_endpoint=dict(type="str"), account=dict(type="str"), project=dict(type="str"),
                resource_group=dict(type="str"))


def module_project_endpoint(module):
    """(endpoint, problem) from a module's project options and cloud (endpoint None: read it from ARM)."""
    params = module.params
    return project_endpoint(params["cloud_environment"], params["account"], params["project"],
                            params["project_endpoint"])


def read_project_endpoint(module):
    """The project endpoint of the module's account and project, read from ARM (the account found by name in the
    subscription unless resource_group says where it is)."""
    params = module.params
    client = module.client("cognitiveservices")
    name, project = params["account"], params["project"]
    group = params.get("resource_group")
    if not group:
        found = [item for item in module.list_all("list the subscription's accounts", client.accounts.list)
                 if str(item.get("name", "")).lower() == name.lower()]
        module.fail_if(not found and "account %s is not in the subscription: give project_endpoint, or the "
                                     "account's resource_group" % name)
        module.fail_if(len(found) > 1 and "account name %s is in several resource groups (%s): give resource_group"
                       % (name, ", ".join(sorted(item["id"].split("/")[4] for item in found))))
        group = found[0]["id"].split("/")[4]
    account = module.read_json("read account %s" % name, client.accounts.get, group, name)
    module.fail_if(account is None and "account %s is not in resource group %s" % (name, group))
    body = module.read_json("read project %s" % project, client.projects.get, group, name, project)
    module.fail_if(body is None and "project %s is not in account %s" % (project, name))
    return arm_project_endpoint(account, project, body)


def project_module(argument_spec, validate=None):
    """(module, endpoint) of a task on a project's data plane: the module with the project options, its input
    checked by ``validate(params) -> problem or None`` and then the project endpoint, before any write (without
    project_endpoint, the endpoint ARM reports for the account and project)."""
    module = AzureModule(dict(project_argument_spec(), **argument_spec))
    endpoint, problem = module_project_endpoint(module)
    module.fail_if((validate(module.params) if validate else None) or problem)
    return module, endpoint or read_project_endpoint(module)


def log_analytics_endpoint(cloud, explicit=None):
    """(base URL without the /v1 version, token audience, problem) of the Log Analytics query API."""
    audience = LOG_ANALYTICS_AUDIENCES[cloud]
    url = (explicit or audience + "/v1").rstrip("/")
    if not url.startswith("https://"):
        return None, None, "endpoint must be an https:// URL: %r" % explicit
    # The client appends the API version itself (and would drop any path of an endpoint ending in /v1).
    if url.endswith("/v1"):
        url = url[:-len("/v1")]
    return url, audience, None


# Log Analytics query time ranges: ISO 8601 durations of days, hours, minutes and seconds.
DURATION = re.compile(r"\AP(?!\Z)(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+S)?)?\Z")
DURATION_PARTS = re.compile(r"(\d+)([DHMS])")


def parse_duration(text):
    """An ISO 8601 duration of days, hours, minutes and seconds (PT30M, P1DT2H) as a timedelta, or None."""
    if not DURATION.match(text):
        return None
    date_part, _sep, time_part = text[1:].partition("T")
    seconds = sum(int(n) * 86400 for n, unit in DURATION_PARTS.findall(date_part) if unit == "D")
    factors = {"H": 3600, "M": 60, "S": 1}
    seconds += sum(int(n) * factors[unit] for n, unit in DURATION_PARTS.findall(time_part))
    return datetime.timedelta(seconds=seconds)


def parse_time(text):
    value = datetime.datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    return value if value.tzinfo else value.replace(tzinfo=datetime.timezone.utc)


def parse_timespan(text):
    """(timespan for LogsQueryClient, problem): a duration, a (start, end) pair, or None for no range."""
    if not text:
        return None, None
    if "/" in text:
        start, _sep, end = text.partition("/")
        try:
            return (parse_time(start), parse_time(end)), None
        except ValueError:
            return None, "timespan %r: start and end must be ISO 8601 times (2025-06-01T10:00:00Z)" % text
    duration = parse_duration(text)
    if duration is None or not duration:
        return None, "timespan %r is not an ISO 8601 duration such as PT30M or P1D, nor a start/end pair" % text
    return duration, None


def plain(value):
    """A query value as JSON can carry it (times as ISO 8601 text)."""
    if isinstance(value, (datetime.datetime, datetime.date)):
        return value.isoformat()
    if isinstance(value, datetime.timedelta):
        return value.total_seconds()
    return value


def table_rows(table):
    columns = list(table.columns)
    return columns, [dict(zip(columns, (plain(value) for value in row))) for row in table.rows]


def token_claims(token):
    """The claims of a JWT access token (its payload, not verified: only our own token is read)."""
    parts = token.split(".")
    if len(parts) < 2:
        raise ValueError("not a JWT")
    payload = parts[1] + "=" * (-len(parts[1]) % 4)
    return json.loads(base64.urlsafe_b64decode(payload.encode("ascii")).decode("utf-8"))


def caller_identity(claims):
    """What a token says about its caller: object id, tenant, application (client) id and principal type."""
    # Application tokens carry idtyp=app (v2) or no user claims; users have upn/unique_name/scp.
    is_app = claims.get("idtyp") == "app" or not any(k in claims for k in ("upn", "unique_name", "scp"))
    return dict(
        object_id=claims.get("oid"),
        tenant_id=claims.get("tid"),
        client_id=claims.get("appid") or claims.get("azp"),
        principal_type="ServicePrincipal" if is_app else "User",
        user_principal_name=claims.get("upn") or claims.get("unique_name"),
    )


def _require(module, sdk):
    import importlib  # pylint: disable=import-outside-toplevel

    import_path, package = DATA_PLANE_SDKS[sdk]
    try:
        return importlib.import_module(import_path)
    except ImportError as exc:
        module.fail(str(MissingSdk(package, import_path, exc)))
        raise  # fail() exits; this line is never reached


def project_client(module, endpoint):
    """An AIProjectClient on ``endpoint`` with the module's credential and CA bundle."""
    projects = _require(module, "projects")
    options = dict(credential_scopes=[FOUNDRY_SCOPE], user_agent="aigateway.foundry", **DATA_PLANE_RETRIES)
    # pylint: disable-next=import-outside-toplevel
    from ansible_collections.aigateway.foundry.plugins.module_utils import recording

    answers = recording.recorder()
    if answers is not None:
        options["per_call_policies"] = [answers]
    if module.settings["ca_bundle"]:
        options["connection_verify"] = module.settings["ca_bundle"]
    return projects.AIProjectClient(endpoint=endpoint, credential=module.credential, **options)


def openai_client(module, project):
    """The project's OpenAI client, trusting the module's CA bundle too (verification stays on)."""
    openai = _require(module, "openai")
    kwargs = {}
    if module.settings["ca_bundle"]:
        import ssl  # pylint: disable=import-outside-toplevel

        kwargs["http_client"] = openai.DefaultHttpxClient(
            verify=ssl.create_default_context(cafile=module.settings["ca_bundle"]))
    return project.get_openai_client(**kwargs)


def logs_client(module, endpoint, audience):
    query = _require(module, "logs")
    options = dict(endpoint=endpoint, audience=audience, **DATA_PLANE_RETRIES)
    if module.settings["ca_bundle"]:
        options["connection_verify"] = module.settings["ca_bundle"]
    return query.LogsQueryClient(module.credential, **options)


def sdk_errors():
    """The exception classes the data-plane SDKs raise (azure-core's, and openai's when it is installed)."""
    from azure.core.exceptions import AzureError  # pylint: disable=import-outside-toplevel

    classes = [AzureError]
    try:
        import openai  # pylint: disable=import-outside-toplevel
        classes.append(openai.OpenAIError)
    except ImportError:
        pass
    return tuple(classes)


def error_text(action, url, exc):
    """(message, status): one line naming the call, the data-plane URL and the service's error."""
    status, code, message = error_details(exc)
    status = status if status is not None else getattr(exc, "status_code", None)
    code = code or getattr(exc, "code", None)
    body = getattr(exc, "body", None)
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        code = code or body["error"].get("code")
        message = body["error"].get("message") or message
    kind = type(exc).__name__
    if kind in ("ServiceRequestError", "APIConnectionError", "APITimeoutError"):
        return "%s failed: cannot reach %s: %s" % (action, url, message), None
    text = failure_text(action, status, code, message)
    if status == 403 or code == "PermissionDenied":
        text += (" (the identity running the task needs a data-plane role such as Azure AI User on the project or "
                 "its account; new role assignments take minutes to apply)")
    return text, status


def call(module, action, url, fn, *args, **kwargs):
    """One data-plane call; an SDK error fails the task with the call, URL, status and the service's code."""
    try:
        return fn(*args, **kwargs)
    except sdk_errors() as exc:
        text, status = error_text(action, url, exc)
        module.fail(text, status_code=status)


def read_or_none(module, action, url, fn, *args, **kwargs):
    """A data-plane read whose 404 means "absent"."""
    try:
        return fn(*args, **kwargs)
    except sdk_errors() as exc:
        text, status = error_text(action, url, exc)
        if status == 404:
            return None
        module.fail(text, status_code=status)
