# -*- coding: utf-8 -*-
# Copyright: contributors to aigateway.foundry
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""AzureModule: the one base every module composes (auth, lazy clients, errors, retries, LRO waits, diff).

A module builds ``AzureModule(argument_spec, long_running=True)``, asks ``client("apimanagement")`` for the SDK
client it needs, wraps every API call in ``call("what it does", fn, ...)`` (one clear error with Azure's code,
transient 409s retried), waits for long-running operations with ``wait("what", poller)`` and ends with
``exit(changed, state, before=..., after=...)``.

Errors are raised once and caught once: ``call`` and its siblings catch only the Azure SDK's errors
(``azure.core.exceptions.AzureError``); a bug in our own code surfaces as itself, with its traceback.  A caller that
handles one Azure error code itself names it in ``expect=`` and gets an ``AzureCodeError`` instead of a failed task.
"""

from __future__ import annotations

import time

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.aigateway.foundry.plugins.module_utils.azure_auth import (
    AuthError,
    auth_argument_spec,
    build_credential,
    credential_kind,
    resolve_settings,
)
from ansible_collections.aigateway.foundry.plugins.module_utils.azure_clients import (
    API_VERSIONS,
    REPLICATION_DELAY_CODES,
    REPLICATION_DELAY_WAIT,
    TRANSIENT_CONFLICT_CODES,
    MissingSdk,
    import_client_class,
    raw,
)
from ansible_collections.aigateway.foundry.plugins.module_utils.azure_state import differences, drop_paths, merge
from ansible_collections.aigateway.foundry.plugins.module_utils.azure_token import (
    EXPIRY_MARGIN_SECONDS,
    HandedToken,
    handed_token,
)
from ansible_collections.aigateway.foundry.plugins.module_utils.messages import is_missing_credentials, missing_credentials
from ansible_collections.aigateway.foundry.plugins.module_utils.token_cache import token_cache
from ansible_collections.aigateway.foundry.plugins.module_utils.validation import location_problem, offered_locations

USER_AGENT = "aigateway.foundry"


def user_agent_policy():
    """azure-core's User-Agent (``aigateway.foundry azsdk-python-core/... Python/... (system)``) with the system
    from os.uname(): the policy's default asks platform.platform(), which starts a ``uname -p`` process in every
    module run."""
    import os  # pylint: disable=import-outside-toplevel
    import platform  # pylint: disable=import-outside-toplevel

    from azure.core import __version__ as core_version  # pylint: disable=import-outside-toplevel
    from azure.core.pipeline import policies  # pylint: disable=import-outside-toplevel

    system = os.uname()
    return policies.UserAgentPolicy(base_user_agent="%s azsdk-python-core/%s Python/%s (%s-%s-%s)" % (
        USER_AGENT, core_version, platform.python_version(), system.sysname, system.release, system.machine))


# One bound for every long-running operation: APIM's create alone takes 30-45 minutes.
DEFAULT_WAIT_TIMEOUT = 3600

# How often a write or delete whose operation ended Failed for a transient cause is sent again.  Azure's advice for
# a resource left Failed is to PUT it again; five tries make a run at a 20% fault rate all but certain to converge.
DEFAULT_RETRIES = 5

# How often one request is sent again after a throttled or failed answer (408, 429, 5xx), each after the wait the
# answer asks (Retry-After) or a growing back-off.  At a 20% fault rate eleven failures in a row are about 2e-8.
ARM_RETRIES = 10

# Azure error codes of an operation that failed for a passing cause (the platform, not the request): sent again.
# Anything else with a code (InvalidTemplate, QuotaExceeded, a 400-class refusal) is deterministic and fails at once.
TRANSIENT_OPERATION_CODES = frozenset([
    "InternalServerError",
    "InternalError",
    "ServiceUnavailable",
    "ServerTimeout",
    "GatewayTimeout",
    "RequestTimeout",
    "OperationTimedOut",
    "TooManyRequests",
    "RetryableError",
]) | TRANSIENT_CONFLICT_CODES

# A resource in one of these provisioning states is repaired: the desired body is PUT again.
REPAIRED_STATES = ("failed", "canceled")


def wait_argument_spec():
    return dict(wait=dict(type="bool", default=True))


def retry_and_wait_argument_spec():
    """The options every module has for its waits: ``retries`` of a write whose operation failed for a passing
    cause, and ``wait_timeout``, the bound of every wait (a long-running operation, a resource still being
    provisioned, a write Azure refuses while another operation runs), so one ``module_defaults`` value sets them
    all."""
    return dict(retries=dict(type="int", default=DEFAULT_RETRIES),
                wait_timeout=dict(type="int", default=DEFAULT_WAIT_TIMEOUT))


def sdk_errors():
    """The exception class of every Azure SDK error (azure-core is imported on first use, like the clients)."""
    try:
        from azure.core.exceptions import AzureError  # pylint: disable=import-outside-toplevel
    except ImportError:
        # Without azure-core no SDK call can have been made, so there is no SDK error to catch.
        return ()
    return AzureError


class AzureCodeError(Exception):
    """An Azure error whose code the caller expected (``call(..., expect=(code, ...))``) and handles itself."""

    def __init__(self, action, exc):
        self.status, self.code, self.message = error_details(exc)
        Exception.__init__(self, "%s failed: %s %s" % (action, self.code, self.message))
        self.action = action
        self.error = exc


class TransientOperationFailure(Exception):
    """A long-running operation ended Failed for a passing cause; ``AzureModule.retrying`` sends it again."""

    def __init__(self, action, exc):
        Exception.__init__(self, "%s: %s" % (action, exc))
        self.action = action
        self.error = exc


class Wait(object):
    """A wait as a value: what is awaited, how to read it, when it is done, and for how long.

    ``read()`` returns the current body; ``done(body)`` says whether the wait is over.  ``AzureModule.wait_for``
    runs it on the module's clock with backoff, so every long wait honours the same ``wait_timeout``.
    """

    def __init__(self, what, read, done, timeout, progress=None):
        self.what = what
        self.read = read
        self.done = done
        self.timeout = timeout
        # Describes the body in the timeout message, for example its provisioning state.
        self.progress = progress or (lambda body: "not done")


def error_details(exc):
    """(status, code, message) of an azure-core exception, without the SDK's multi-line noise.

    For a long-running operation that ended Failed or Canceled, the status is None and code and message are
    Azure's (from the operation monitor's ``error``), never the poller's "invalid status 'OK'".
    """
    refused = refused_poll(exc)
    if refused is not None:
        return refused
    ended = operation_outcome(exc)
    if ended is not None:
        return None, ended[1], ended[2]
    status = getattr(exc, "status_code", None)
    if type(exc).__name__ == "DecodeError" and getattr(exc, "response", None) is not None:
        # An answer that is not Azure's JSON (azure-core's own "JSON is invalid: Expecting value ..." included):
        # the request and what came back.
        # pylint: disable-next=import-outside-toplevel
        from ansible_collections.aigateway.foundry.plugins.module_utils.azure_transport import answer_summary

        return status, None, answer_summary(exc.response)
    error = getattr(exc, "error", None)
    code = getattr(error, "code", None) if error is not None else None
    message = getattr(error, "message", None) if error is not None else None
    if not message:
        message = str(getattr(exc, "message", None) or exc).strip().splitlines()[0] if str(exc).strip() else ""
    return status, code, message


def failure_text(action, status, code, message):
    """The one line a failed call reads as: "<action> failed: HTTP <status> <code>: <message>"."""
    text = "%s failed" % action
    if status:
        text += ": HTTP %s" % status
    if code:
        # An operation that ended Failed has no HTTP status: "<action> failed: <code>: <message>".
        text += (" %s" if status else ": %s") % code
    if message:
        text += ": %s" % message
    return text


# A poll refused with one of these says nothing of the operation: the caller may no longer read it.
REFUSALS = {401: "authentication", 403: "authorization"}


def refused_poll(exc):
    """(status, code, message) when polling a long-running operation was refused (401/403), else None.

    azure-core reports any error status of a monitor as ``BadStatus``; a Location monitor's 4xx with an error body
    is how Azure says the operation failed, but a 401 or 403 is a refusal of the poll itself."""
    response = getattr(exc, "response", None)
    status = getattr(response, "status_code", None)
    if type(getattr(exc, "inner_exception", None)).__name__ != "BadStatus" or status not in REFUSALS:
        return None
    # pylint: disable-next=import-outside-toplevel
    from ansible_collections.aigateway.foundry.plugins.module_utils.azure_transport import request_line

    error = response_json(response).get("error")
    error = error if isinstance(error, dict) else {}
    return status, error.get("code"), "polling %s was refused (%s)%s" % (
        request_line(response), REFUSALS[status], ": %s" % error["message"] if error.get("message") else "")


def operation_outcome(exc):
    """(state, code, message) when ``exc`` is a long-running operation that ended unsuccessfully, else None.

    azure-core raises the failure as an HttpResponseError around its ``OperationFailed`` (or ``BadStatus`` for a
    Location monitor answering an error status) with the last response: an Azure-AsyncOperation body
    (``status``, ``error``), a Location monitor's ``{"error": ...}`` or the resource itself, left in
    ``provisioningState`` Failed without any error detail.
    """
    if type(getattr(exc, "inner_exception", None)).__name__ not in ("OperationFailed", "BadStatus") or \
            refused_poll(exc) is not None:
        return None
    body = response_json(getattr(exc, "response", None))
    error = body.get("error") if isinstance(body.get("error"), dict) else {}
    state = body.get("status") or (body.get("properties") or {}).get("provisioningState") or "Failed"
    code = error.get("code")
    if code:
        return state, code, "the operation ended %s: %s" % (state, error.get("message") or code)
    return state, None, "the operation ended %s without an error from Azure" % state


def response_json(response):
    """The JSON object of an azure-core response, or {} (no response, no body, not JSON)."""
    import json  # pylint: disable=import-outside-toplevel

    if response is None:
        return {}
    try:
        body = json.loads(response.text() or "null")
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def is_transient_failure(exc):
    """Whether a failed long-running operation may succeed when sent again (see TRANSIENT_OPERATION_CODES)."""
    ended = operation_outcome(exc)
    if ended is None:
        return False
    _state, code, _message = ended
    # A resource left Failed with no error at all is the platform's doing: Azure's advice is to PUT it again.
    return code is None or code in TRANSIENT_OPERATION_CODES


def needs_repair(current):
    """A resource whose last operation ended Failed or Canceled: it is written again even when it looks right."""
    state = ((current or {}).get("properties") or {}).get("provisioningState") or \
        (current or {}).get("provisioningState") or ""
    return str(state).lower() in REPAIRED_STATES


def repaired(predicted, repair):
    """A check-mode prediction: a repaired resource ends Succeeded."""
    if repair and isinstance(predicted.get("properties"), dict) and "provisioningState" in predicted["properties"]:
        predicted = dict(predicted, properties=dict(predicted["properties"], provisioningState="Succeeded"))
    return predicted


def rewind(args, kwargs):
    """Seek request bodies (``json_body`` streams) back to their start before a call is sent again."""
    for value in list(args) + list(kwargs.values()):
        if hasattr(value, "seek"):
            value.seek(0)


class AzureModule(object):
    """Composition wrapper around AnsibleModule for Azure Resource Manager modules."""

    # Inside ``retrying``: a transient operation failure is raised for it to send the write again.
    _retrying = False

    def __init__(self, argument_spec, long_running=False, **kwargs):
        spec = auth_argument_spec()
        spec.update(retry_and_wait_argument_spec())
        if long_running:
            spec.update(wait_argument_spec())
        spec.update(argument_spec)
        kwargs.setdefault("supports_check_mode", True)
        self.module = AnsibleModule(argument_spec=spec, **kwargs)
        self.params = self.module.params
        self.check_mode = self.module.check_mode
        self.diff_mode = self.module._diff
        try:
            self.settings = resolve_settings(self.params)
        except AuthError as exc:
            self.fail(str(exc))
        self._credential = None
        self._clients = {}
        self._pipeline = None
        self._transport = None
        self._json_answers = None
        # The clock every retry and wait runs on (tests replace both to control time).
        self.clock = time.monotonic
        self.sleep = time.sleep
        # Resource provider bodies (their locations), read once per run.
        self._providers = {}

    # ---- identity and clients -----------------------------------------------------------------------
    @property
    def subscription_id(self):
        sub = self.settings["subscription_id"]
        if not sub:
            self.fail("subscription_id is required (or set AZURE_SUBSCRIPTION_ID)")
        return sub

    @property
    def credential(self):
        """The run's token, handed in for this identity or kept in the user's token cache (no azure.identity
        import while either serves), else a credential of azure-identity (azure_token.py)."""
        if self._credential is None:
            handed = handed_token(self.settings)
            cache = token_cache(self.settings, credential_kind(self.settings), EXPIRY_MARGIN_SECONDS)
            if handed or cache:
                token, expires_on = handed or cache.read() or (None, 0)
                self._credential = HandedToken(token, expires_on, self.settings["credential_scope"],
                                               self.build_credential, cache=cache)
            else:
                self._credential = self.build_credential()
        return self._credential

    def build_credential(self):
        """A credential of azure-identity for the module's settings (the token endpoint is asked on first use)."""
        try:
            return build_credential(self.settings)
        except ImportError as exc:
            self.fail(str(MissingSdk("azure-identity", "azure.identity", exc)))

    def _client_options(self):
        options = dict(
            base_url=self.settings["arm_endpoint"],
            credential_scopes=[self.settings["credential_scope"]],
            user_agent_policy=user_agent_policy(),
            # The SDK retries 408/429/5xx and any status carrying Retry-After, sleeping what the server asks;
            # azure-core caps retries on a bad status at 3 apart from retry_total, so both are set.
            retry_total=ARM_RETRIES,
            retry_status=ARM_RETRIES,
            polling_interval=10,
        )
        if self.settings["ca_bundle"]:
            options["connection_verify"] = self.settings["ca_bundle"]
        options["transport"] = self.transport()
        # pylint: disable-next=import-outside-toplevel
        from ansible_collections.aigateway.foundry.plugins.module_utils import recording

        # The recorder (make azure-check) first, so it sees every answer as Azure sent it.
        options["per_call_policies"] = [policy for policy in (recording.recorder(), self._json_answers) if policy]
        return options

    def transport(self):
        """The module's one HTTP transport (http.client, verified TLS): every client of the module shares its
        connection, and requests/urllib3 are never imported for Resource Manager calls."""
        if self._transport is None:
            # pylint: disable-next=import-outside-toplevel
            from ansible_collections.aigateway.foundry.plugins.module_utils import azure_transport

            if not azure_transport.HAS_AZURE_CORE:
                self.fail(str(MissingSdk("azure-core", "azure.core", "no module named azure.core")))
            self._transport = azure_transport.HttpClientTransport(self.settings["ca_bundle"])
            self._json_answers = azure_transport.JsonAnswers()
        return self._transport

    def client(self, service):
        """The SDK client for a service (see azure_clients.SERVICES), imported and built on first use."""
        if service not in self._clients:
            try:
                client_class, api_version = import_client_class(service)
            except MissingSdk as exc:
                self.fail(str(exc))
            options = dict(self._client_options(), api_version=api_version)
            self._clients[service] = client_class(self.credential, self.subscription_id, **options)
        return self._clients[service]

    def rest(self, method, path, api_version, body=None):
        """Generic ARM call for resource types no current SDK package carries.

        Returns (status, json or None); 404 on GET is returned, other error statuses raise HttpResponseError.
        """
        import json  # pylint: disable=import-outside-toplevel

        try:
            from azure.core.exceptions import HttpResponseError  # pylint: disable=import-outside-toplevel
            from azure.core.rest import HttpRequest  # pylint: disable=import-outside-toplevel
        except ImportError as exc:
            self.fail(str(MissingSdk("azure-core", "azure.core", exc)))
        if self._pipeline is None:
            self._pipeline = self._build_pipeline()
        client, send_kwargs = self._pipeline
        request = HttpRequest(method, client.format_url(path), params={"api-version": api_version}, json=body)
        response = client.send_request(request, **send_kwargs)
        if response.status_code >= 400 and not (response.status_code == 404 and method == "GET"):
            raise HttpResponseError(response=response)
        text = response.text()
        return response.status_code, (json.loads(text) if text.strip() else None)

    def _build_pipeline(self):
        try:
            from azure.core.pipeline import policies  # pylint: disable=import-outside-toplevel
            from azure.mgmt.core import ARMPipelineClient  # pylint: disable=import-outside-toplevel
            from azure.mgmt.core.policies import ARMChallengeAuthenticationPolicy  # pylint: disable=import-outside-toplevel
        except ImportError as exc:
            self.fail(str(MissingSdk("azure-mgmt-core", "azure.mgmt.core", exc)))
        options = self._client_options()
        pipeline_policies = options["per_call_policies"] + [
            policies.HeadersPolicy(),
            user_agent_policy(),
            policies.RetryPolicy(retry_total=options["retry_total"], retry_status=options["retry_status"]),
            ARMChallengeAuthenticationPolicy(self.credential, *options["credential_scopes"]),
            policies.NetworkTraceLoggingPolicy(),
        ]
        client = ARMPipelineClient(base_url=options["base_url"], policies=pipeline_policies,
                                   transport=options["transport"])
        send_kwargs = {"connection_verify": options["connection_verify"]} if "connection_verify" in options else {}
        return client, send_kwargs

    def resource_group_location(self, resource_group):
        """The location of a resource group: the default location of the resources created in it."""
        found = self.get_or_none("read resource group %s" % resource_group,
                                 self.client("resource").resource_groups.get, resource_group, cls=raw)
        if not found:
            self.fail("resource group %s does not exist" % resource_group)
        return found[0]["location"]

    def location_problem(self, type_name, params, current):
        """Before a create in an explicit ``location``: is the region one the provider offers for the type?

        The provider's locations are read once (``GET /subscriptions/{id}/providers/{namespace}``); a provider
        that lists no locations for the type (global types) leaves the decision to Azure.
        """
        location = params.get("location")
        if params.get("state", "present") != "present" or current is not None or not location:
            return None
        return location_problem(location, type_name, self.offered_locations(type_name))

    def offered_locations(self, type_name):
        """The regions the provider offers ``type_name`` in (None when it lists none), its provider read once."""
        namespace = type_name.split("/", 1)[0]
        if namespace not in self._providers:
            path = "/subscriptions/%s/providers/%s" % (self.subscription_id, namespace)
            self._providers[namespace] = self.call("read resource provider %s" % namespace, self.rest, "GET", path,
                                                   API_VERSIONS["Microsoft.Resources/providers"])[1]
        return offered_locations(self._providers[namespace], type_name)

    # ---- the converge step every module shares -----------------------------------------------------------
    def converge(self, current, desired, write, new_state=None, normalisers=None, unverifiable=()):
        """(changed, state): call ``write()`` only when ``desired`` is not already true of ``current``.

        In check mode nothing is written and the state is predicted: ``desired`` merged onto ``current``
        (or onto ``new_state``, the read-only fields known before creation, such as the id).  After a write the
        result is compared again: Azure answering something other than what was asked (a normaliser gap, a value
        the service adjusts) is a warning, naming the paths (``unverifiable`` ones, never returned, are skipped).
        """
        repair = needs_repair(current)
        if current is not None and not repair and not differences(desired, current, normalisers=normalisers):
            return False, current
        if self.check_mode:
            return True, repaired(merge(current if current is not None else (new_state or {}), desired), repair)
        state = self.retrying(write)
        self.warn_unconverged(desired, state, normalisers, unverifiable)
        return True, state

    def warn_unconverged(self, desired, state, normalisers=None, unverifiable=()):
        if state is None:  # not awaited (wait: false): nothing to compare yet
            return
        left = differences(drop_paths(desired, unverifiable), state, normalisers=normalisers)
        if left:
            self.warn("Azure returned other values than requested at %s (%s); the next run may report a change"
                      % (", ".join(sorted(left)), (state or {}).get("id") or (state or {}).get("name") or "resource"))

    def remove(self, current, delete):
        """(changed, None): call ``delete()`` only when the resource exists; never in check mode."""
        if current is None:
            return False, None
        if not self.check_mode:
            self.retrying(delete)
        return True, None

    def retrying(self, attempt):
        """``attempt()``, sent again (up to ``retries`` times, backing off) while its operation ends Failed for a
        transient cause.  Nested calls run once: the outermost retry repeats the whole write."""
        if self._retrying:
            return attempt()
        self._retrying = True
        try:
            tries = 0
            while True:
                try:
                    return attempt()
                except TransientOperationFailure as failure:
                    if tries >= (self.params.get("retries") or 0):
                        self.fail_from(failure.action, failure.error, tries=tries + 1)
                    tries += 1
                    self.sleep(min(2.0 ** tries, 30.0))
        finally:
            self._retrying = False

    # ---- calls, errors, waits ---------------------------------------------------------------------------
    def call(self, action, fn, *args, **kwargs):
        """Run one API call; transient 409 conflicts are retried, and PrincipalNotFound for a bounded time (see
        REPLICATION_DELAY_CODES); any other Azure error fails the task clearly.

        ``expect=("Code", ...)``: those Azure error codes raise ``AzureCodeError`` for the caller to handle.
        ``gone_ok=True``: a 404 returns None (a purge sent again after its first try ended Failed may find the
        record already gone).
        """
        expect = kwargs.pop("expect", ())
        gone_ok = kwargs.pop("gone_ok", False)
        started = self.clock()
        deadline = started + float(self.params.get("wait_timeout") or DEFAULT_WAIT_TIMEOUT)
        delay = 2.0
        while True:
            rewind(args, kwargs)
            try:
                return fn(*args, **kwargs)
            except sdk_errors() as exc:
                status, code, _message = error_details(exc)
                if code in expect:
                    raise AzureCodeError(action, exc)
                if gone_ok and status == 404:
                    return None
                transient = status == 409 and code in TRANSIENT_CONFLICT_CODES
                # A new principal still replicating: bounded, and never past the task's own wait_timeout.
                replicating = (code in REPLICATION_DELAY_CODES
                               and self.clock() + delay < started + REPLICATION_DELAY_WAIT)
                if (transient or replicating) and self.clock() + delay < deadline:
                    self.sleep(delay)
                    delay = min(delay * 2, 30.0)
                    continue
                self.fail_from(action, exc)

    def get_or_none(self, action, fn, *args, **kwargs):
        """A read whose 404 means "absent": returns None instead of failing."""
        try:
            return fn(*args, **kwargs)
        except sdk_errors() as exc:
            if getattr(exc, "status_code", None) == 404:
                return None
            self.fail_from(action, exc)

    def read_json(self, action, fn, *args, **kwargs):
        """The ARM JSON body of a read (``cls=raw``), or None when it is not found."""
        found = self.get_or_none(action, fn, *args, cls=raw, **kwargs)
        return found[0] if found else None

    def list_all(self, action, fn, *args, **kwargs):
        """Every item of a paged list operation as ARM JSON; ``missing_ok=True`` reads a 404 as no items.

        Paged SDK operations hand ``cls`` the page's models, not the raw response, so the items are serialised
        back to the REST shape (read-only fields kept).
        """
        missing_ok = kwargs.pop("missing_ok", False)

        def collect():
            # msrest models serialise; the newer generated models (azure-mgmt-keyvault 14) are REST-shaped mappings.
            return [item.serialize(keep_readonly=True) if hasattr(item, "serialize") else item.as_dict()
                    for item in fn(*args, **kwargs)]
        if missing_ok:
            return self.get_or_none(action, collect) or []
        return self.call(action, collect)

    def call_and_wait(self, action, fn, *args, **kwargs):
        """Start a long-running operation with ``call`` and wait for it with ``wait``; returns its result.

        An operation that ends Failed for a transient cause is started again (``retrying``).
        """
        kwargs = dict(kwargs, **self.polling_options())

        def attempt():
            poller = self.call(action, fn, *args, **kwargs)
            return None if poller is None else self.wait(action, poller)
        return self.retrying(attempt)

    def polling_options(self):
        """The SDK's options for starting a long-running operation: with ``wait: false`` no poller thread, which
        would poll on in the task's worker (a module run in-process) beside the next task's requests, on the same
        kept-alive connection."""
        return {} if self.params.get("wait", True) else {"polling": False}

    def wait(self, action, poller, always=False):
        """Wait for a long-running operation per the wait/wait_timeout options; returns its result or None.

        ``always``: wait whatever ``wait`` says (a step the next one depends on, such as a purge before a create).
        """
        if not (always or self.params.get("wait", True)):
            return None
        timeout = self.params.get("wait_timeout")
        started = self.clock()
        try:
            poller.wait(timeout=timeout)
            if not poller.done():
                self.fail(self.still_running(action, timeout, self.clock() - started))
            return poller.result()
        except sdk_errors() as exc:
            if self._retrying and is_transient_failure(exc):
                raise TransientOperationFailure(action, exc)
            self.fail_from(action, exc)

    def wait_for(self, wait):
        """Read until ``wait.done(body)`` on the module's clock, backing off to 30 s; returns the last body."""
        started = self.clock()
        deadline = started + wait.timeout
        delay = 1.0
        body = wait.read()
        while not wait.done(body):
            if self.clock() + delay > deadline:
                self.fail(self.still_running("%s (%s)" % (wait.what, wait.progress(body)), wait.timeout,
                                             self.clock() - started))
            self.sleep(delay)
            delay = min(delay * 2, 30.0)
            body = wait.read()
        return body

    @staticmethod
    def still_running(action, timeout, waited):
        """The one message of a wait that ran out: what (the resource's kind and name), how long it waited, the
        bound."""
        return ("%s is still running after waiting %d s (wait_timeout=%s); it continues in Azure: re-run the task "
                "(it will converge) or raise wait_timeout" % (action, round(waited), timeout))

    def fail_from(self, action, exc, tries=1):
        """Fail the task for an Azure SDK error: one line with Azure's status and code; the traceback for -vvv."""
        status, code, message = error_details(exc)
        if tries > 1:
            action = "%s (%d tries)" % (action, tries)
        kind = type(exc).__name__
        if kind == "ServiceRequestError":
            self.fail("%s failed: cannot reach %s: %s" % (action, self.settings["arm_endpoint"], message),
                      exception_type=kind, exception=exc)
        if kind == "ClientAuthenticationError" and status is None and is_missing_credentials(message):
            self.fail("%s failed: %s" % (action, missing_credentials(self.settings["auth_source"])),
                      exception_type=kind, exception=exc)
        if kind == "ClientAuthenticationError" and status is None:
            self.fail("%s failed: authentication failed (auth_source=%s): %s"
                      % (action, self.settings["auth_source"], message), exception_type=kind, exception=exc)
        self.fail(failure_text(action, status, code, message), status_code=status, error_code=code,
                  exception_type=kind, exception=exc)

    def fail(self, msg, **kwargs):
        self.module.fail_json(msg=msg, **kwargs)

    def fail_if(self, problem):
        """Fail with ``problem`` (a validation message) when there is one."""
        if problem:
            self.fail(problem)

    def warn(self, message):
        """Warn with ``message``, when there is one (like ``fail_if``: a check returns None when all is well)."""
        if message:
            self.module.warn(message)

    def require_no_log(self, option):
        """Secrets are returned only to a task whose result Ansible censors (``no_log: true``).

        A module cannot mark its own result no_log (Ansible strips ``_ansible_*`` keys from module results), and
        adding the values to its no_log values would mask them in the registered variable as well.
        """
        if self.params.get(option) and not self.module.no_log:
            self.fail("%s=true returns secrets: set no_log: true on the task (the registered variable still holds "
                      "them; Ansible then hides the result in its output and logs)" % option)

    def exit(self, changed, state=None, before=None, after=None, **result):
        """End the task.  ``before``/``after`` are the comparable views shown by --diff."""
        if self.diff_mode:
            result["diff"] = dict(before=before if before is not None else {},
                                  after=after if after is not None else {})
        self.module.exit_json(changed=changed, state=state, **result)
