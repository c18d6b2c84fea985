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
    resolve_settings,
)
from ansible_collections.aigateway.foundry.plugins.module_utils.azure_clients import (
    TRANSIENT_CONFLICT_CODES,
    MissingSdk,
    import_client_class,
    raw,
)
from ansible_collections.aigateway.foundry.plugins.module_utils.azure_state import differences, drop_paths, merge

USER_AGENT = "aigateway.foundry"


# One bound for every long-running operation: APIM's create alone takes 30-45 minutes.
DEFAULT_WAIT_TIMEOUT = 3600


def wait_argument_spec():
    return dict(
        wait=dict(type="bool", default=True),
        wait_timeout=dict(type="int", default=DEFAULT_WAIT_TIMEOUT),
    )


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
    """(status, code, message) of an azure-core exception, without the SDK's multi-line noise."""
    status = getattr(exc, "status_code", None)
    error = getattr(exc, "error", None)
    code = getattr(error, "code", None) if error is not None else None
    message = getattr(error, "message", None) if error is not None else None
    if not message:
        message = str(getattr(exc, "message", None) or exc).strip().splitlines()[0] if str(exc).strip() else ""
    return status, code, message


class AzureModule(object):
    """Composition wrapper around AnsibleModule for Azure Resource Manager modules."""

    def __init__(self, argument_spec, long_running=False, **kwargs):
        spec = auth_argument_spec()
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
        # The clock every retry and wait runs on (tests replace both to control time).
        self.clock = time.monotonic
        self.sleep = time.sleep

    # ---- identity and clients -----------------------------------------------------------------------
    @property
    def subscription_id(self):
        sub = self.settings["subscription_id"]
        if not sub:
            self.fail("subscription_id is required (or set AZURE_SUBSCRIPTION_ID)")
        return sub

    @property
    def credential(self):
        if self._credential is None:
            try:
                self._credential = build_credential(self.settings)
            except ImportError as exc:
                self.fail(str(MissingSdk("azure-identity", "azure.identity", exc)))
        return self._credential

    def _client_options(self):
        options = dict(
            base_url=self.settings["arm_endpoint"],
            credential_scopes=[self.settings["credential_scope"]],
            user_agent=USER_AGENT,
            # The SDK retries 408/429/5xx and any status carrying Retry-After, sleeping what the server asks.
            retry_total=10,
            polling_interval=10,
        )
        if self.settings["ca_bundle"]:
            options["connection_verify"] = self.settings["ca_bundle"]
        return options

    def client(self, service):
        """The SDK client for a service (see azure_clients.SERVICES), imported and built on first use."""
        if service not in self._clients:
            try:
                client_class, api_version = import_client_class(service)
            except MissingSdk as exc:
                self.fail(str(exc))
            options = self._client_options()
            if api_version:
                options["api_version"] = api_version
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
        pipeline_policies = [
            policies.HeadersPolicy(),
            policies.UserAgentPolicy(base_user_agent=USER_AGENT),
            policies.RetryPolicy(retry_total=options["retry_total"]),
            ARMChallengeAuthenticationPolicy(self.credential, *options["credential_scopes"]),
            policies.NetworkTraceLoggingPolicy(),
        ]
        client = ARMPipelineClient(base_url=options["base_url"], policies=pipeline_policies)
        send_kwargs = {"connection_verify": options["connection_verify"]} if "connection_verify" in options else {}
        return client, send_kwargs

    def resource_group_location(self, resource_group):
        """The location of a resource group: the default location of the resources created in it."""
        found = self.get_or_none("read resource group %s" % resource_group,
                                 self.client("resource").resource_groups.get, resource_group, cls=raw)
        if not found:
            self.fail("resource group %s does not exist" % resource_group)
        return found[0]["location"]

    # ---- the converge step every module shares -----------------------------------------------------------
    def converge(self, current, desired, write, new_state=None, normalisers=None, unverifiable=()):
        """(changed, state): call ``write()`` only when ``desired`` is not already true of ``current``.

        In check mode nothing is written and the state is predicted: ``desired`` merged onto ``current``
        (or onto ``new_state``, the read-only fields known before creation, such as the id).  After a write the
        result is compared again: Azure answering something other than what was asked (a normaliser gap, a value
        the service adjusts) is a warning, naming the paths (``unverifiable`` ones, never returned, are skipped).
        """
        if current is not None and not differences(desired, current, normalisers=normalisers):
            return False, current
        if self.check_mode:
            return True, merge(current if current is not None else (new_state or {}), desired)
        state = write()
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
            delete()
        return True, None

    # ---- calls, errors, waits ---------------------------------------------------------------------------
    def call(self, action, fn, *args, **kwargs):
        """Run one API call; transient 409 conflicts are retried, any other Azure error fails the task clearly.

        ``expect=("Code", ...)``: those Azure error codes raise ``AzureCodeError`` for the caller to handle.
        """
        expect = kwargs.pop("expect", ())
        deadline = self.clock() + float(self.params.get("wait_timeout") or 600)
        delay = 2.0
        while True:
            try:
                return fn(*args, **kwargs)
            except sdk_errors() as exc:
                status, code, _message = error_details(exc)
                if code in expect:
                    raise AzureCodeError(action, exc)
                if status == 409 and code in TRANSIENT_CONFLICT_CODES and self.clock() + delay < deadline:
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
        """Start a long-running operation with ``call`` and wait for it with ``wait``; returns its result."""
        return self.wait(action, self.call(action, fn, *args, **kwargs))

    def wait(self, action, poller, always=False):
        """Wait for a long-running operation per the wait/wait_timeout options; returns its result or None.

        ``always``: wait whatever ``wait`` says (a step the next one depends on, such as a purge before a create).
        """
        if not (always or self.params.get("wait", True)):
            return None
        timeout = self.params.get("wait_timeout")
        try:
            poller.wait(timeout=timeout)
            if not poller.done():
                self.fail(self.still_running(action, timeout))
            return poller.result()
        except sdk_errors() as exc:
            self.fail_from(action, exc)

    def wait_for(self, wait):
        """Read until ``wait.done(body)`` on the module's clock, backing off to 30 s; returns the last body."""
        deadline = self.clock() + wait.timeout
        delay = 1.0
        body = wait.read()
        while not wait.done(body):
            if self.clock() + delay > deadline:
                self.fail(self.still_running("%s (%s)" % (wait.what, wait.progress(body)), wait.timeout))
            self.sleep(delay)
            delay = min(delay * 2, 30.0)
            body = wait.read()
        return body

    @staticmethod
    def still_running(action, timeout):
        return ("%s is still running after wait_timeout=%s seconds; it continues in Azure: re-run the task (it will "
                "converge) or raise wait_timeout" % (action, timeout))

    def fail_from(self, action, exc):
        """Fail the task for an Azure SDK error: one line with Azure's status and code; the traceback for -vvv."""
        status, code, message = error_details(exc)
        kind = type(exc).__name__
        if kind == "ServiceRequestError":
            self.fail("%s failed: cannot reach %s: %s" % (action, self.settings["arm_endpoint"], message),
                      exception_type=kind, exception=exc)
        if kind == "ClientAuthenticationError" and status is None:
            self.fail("%s failed: authentication failed (auth_source=%s): %s"
                      % (action, self.settings["auth_source"], message), exception_type=kind, exception=exc)
        text = "%s failed" % action
        if status:
            text += ": HTTP %s" % status
        if code:
            text += " %s" % code
        if message:
            text += ": %s" % message
        self.fail(text, status_code=status, error_code=code, exception_type=kind, exception=exc)

    def fail(self, msg, **kwargs):
        self.module.fail_json(msg=msg, **kwargs)

    def fail_if(self, problem):
        """Fail with ``problem`` (a validation message) when there is one."""
        if problem:
            self.fail(problem)

    def warn(self, message):
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
