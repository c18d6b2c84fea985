# -*- coding: utf-8 -*-
# Copyright: contributors to aigateway.foundry
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A managed resource declared once, and the one runner that converges it.

A plain module is its argument spec, a ``Resource`` (what differs from plain ARM: the type, the SDK operation
group, ETags, write-only paths, normalisers, a mask for secrets) and two pure functions, ``validate(params,
current) -> str | None`` and ``desired_body(params, target) -> ARM JSON``.  ``run_resource`` does the rest:
describe -> validate -> converge or remove -> exit with the diff.  A module whose resource behaves differently
overrides one method of its ``Resource`` subclass (``write``, ``delete``, ``read``), not the whole skeleton; modules
with several steps call ``settle`` and ``finish`` around their own.
"""

from __future__ import annotations

from ansible_collections.aigateway.foundry.plugins.module_utils.azure_clients import etag_of, json_body, raw
from ansible_collections.aigateway.foundry.plugins.module_utils.azure_state import (
    SECRET_SHOWN,
    SECRET_WRITTEN,
    diff_view,
    drop_paths,
    merge,
    merged_tags,
    with_values,
)

STATE_SPEC = dict(type="str", choices=["present", "absent"], default="present")
# Tags added to the current ones unless purge_tags (doc fragment aigateway.foundry.resource.TAGS).
TAGS_SPEC = dict(tags=dict(type="dict"), purge_tags=dict(type="bool", default=False))


def resource_group_spec(name_aliases=None, **options):
    """The options of a resource that lives directly in a resource group; ``name_aliases``: azure.azcollection's
    names for the resource's name (apim_api: api_id)."""
    name = dict(type="str", required=True)
    if name_aliases:
        name["aliases"] = list(name_aliases)
    return dict(resource_group=dict(type="str", required=True, aliases=["resource_group_name"]), name=name,
                state=STATE_SPEC, **options)


def resource_group_location_spec(**options):
    """The same with the location option (``Target.location``: the resource group's when omitted)."""
    return resource_group_spec(location=dict(type="str"), **options)


def apim_child_spec(name_aliases=None, **options):
    """The options of a child resource of an API Management service."""
    return resource_group_spec(name_aliases, service=dict(type="str", required=True, aliases=["service_name"]),
                               **options)


def account_child_spec(**options):
    """The options of a child resource of a Cognitive Services (Foundry) account."""
    return resource_group_spec(account=dict(type="str", required=True, aliases=["account_name"]), **options)


def lower(value):
    """A normaliser: strings compare case-insensitively."""
    return value.lower() if isinstance(value, str) else value


def with_tags(body, params, current):
    """``body`` with the tags the task sets, if any: added to the current ones unless ``purge_tags`` (every module
    with tags has the option: TAGS_SPEC).  Values are strings, as ARM stores them."""
    if params.get("tags") is not None:
        body["tags"] = merged_tags(params["tags"], (current or {}).get("tags"), params["purge_tags"])
    return body


class ArmType(object):
    """An ARM resource type and its ids: ``id(sub, rg, parent..., name)``, ``skeleton(...)`` and ``parse(id)``.

    ``ArmType("Microsoft.ApiManagement/service/backends")`` has the segments ``service`` and ``backends``: an id
    names the resource group, then one name per segment.
    """

    def __init__(self, type_name):
        self.type = type_name
        parts = type_name.split("/")
        self.namespace = parts[0]
        self.segments = parts[1:]

    def id(self, subscription_id, resource_group, *names):
        if len(names) != len(self.segments):
            raise ValueError("%s needs %d names, got %r" % (self.type, len(self.segments), names))
        path = "/subscriptions/%s/resourceGroups/%s/providers/%s" % (subscription_id, resource_group, self.namespace)
        for segment, name in zip(self.segments, names):
            path += "/%s/%s" % (segment, name)
        return path

    def skeleton(self, subscription_id, resource_group, *names):
        """What is known of the resource before it exists: the check-mode prediction starts from it."""
        return {"id": self.id(subscription_id, resource_group, *names), "name": names[-1], "type": self.type}

    def parse(self, resource_id):
        """{"subscription_id", "resource_group", "names"} of an id of this type (case-insensitive), or None."""
        parts = (resource_id or "").strip("/").split("/")
        expected = ["subscriptions", None, "resourcegroups", None, "providers", self.namespace.lower()]
        for segment in self.segments:
            expected.extend([segment.lower(), None])
        if len(parts) != len(expected) or any(want is not None and want != part.lower()
                                              for want, part in zip(expected, parts)):
            return None
        return {"subscription_id": parts[1], "resource_group": parts[3], "names": parts[7::2]}


class ResourceGroupType(ArmType):
    """Resource groups are the one type outside a provider namespace: /subscriptions/<id>/resourceGroups/<name>."""

    def __init__(self):
        ArmType.__init__(self, "Microsoft.Resources/resourceGroups")
        self.segments = []

    def id(self, subscription_id, resource_group, *names):
        return "/subscriptions/%s/resourceGroups/%s" % (subscription_id, resource_group)

    def skeleton(self, subscription_id, resource_group, *names):
        return {"id": self.id(subscription_id, resource_group), "name": resource_group, "type": self.type}

    def parse(self, resource_id):
        parts = (resource_id or "").strip("/").split("/")
        if len(parts) != 4 or parts[0].lower() != "subscriptions" or parts[2].lower() != "resourcegroups":
            return None
        return {"subscription_id": parts[1], "resource_group": parts[3], "names": []}


class Target(object):
    """One run's view of the resource: its names, what was read (body and ETag) and ids derived from them."""

    def __init__(self, module, resource, current, etag):
        self.module = module
        self.resource = resource
        self.current = current
        self.etag = etag
        self.names = resource.names(module.params)

    @property
    def id(self):
        return self.resource.arm_type.id(self.module.subscription_id, *self.names)

    @property
    def parent_id(self):
        """The id of the resource this one belongs to (the APIM service of a backend, ...)."""
        return self.id.rsplit("/", 2)[0]

    @property
    def skeleton(self):
        return self.resource.skeleton(self.module.subscription_id, self.names)

    @property
    def location(self):
        """The location option, else where the resource is, else its resource group's location (one extra read)."""
        params = self.module.params
        return params.get("location") or (self.current or {}).get("location") or \
            self.module.resource_group_location(params["resource_group"])


class Resource(object):
    """What a module manages, declared.

    - ``arm_type``: an ``ArmType``; ``what``: the noun in messages ("backend");
    - ``service``/``group``: the SDK client (``azure_clients.SERVICES``) and its operation group attribute;
    - ``parents``: the options that name the resource's parents, in id order (``resource_group`` first);
    - ``etag``: writes and deletes send If-Match (API Management children);
    - ``long_running``: create/update and delete are ``begin_*`` operations awaited per wait/wait_timeout
      (``create_method``/``delete_method`` name other operations; a ``begin_`` one is awaited);
    - ``update_method``: the operation of an update when it is not the create's (a PATCH such as ``begin_update``);
      it is sent without ``location``, which no resource can change;
    - ``write_only``: paths Azure never returns (secrets): they do not decide a write, and ``update_option`` names
      the option (``always``/``on_create``) that says whether a given value is written on every run;
    - ``secrets``: paths of secrets Azure does return: compared under ``always`` (and on a create), not under
      ``on_create`` for an existing resource; like write-only values they stay out of the diff;
    - ``normalisers``: path -> function applied to both sides before comparing (``azure_state.differences``);
    - ``mask``: body -> body with secret values hidden, for the returned state and the diff;
    - ``api_version``: params -> the API version to call instead of the client's (None: the client's), for a
      property only a newer version defines (``azure_clients.API_VERSIONS["<type>:<property>"]``); bodies stay
      raw ARM JSON either way.
    """

    def __init__(self, arm_type, what, service, group, parents=("resource_group",), etag=False, long_running=False,
                 write_only=(), secrets=(), update_option=None, normalisers=None, mask=None, create_method=None,
                 delete_method=None, delete_options=None, api_version=None, update_method=None):
        self.arm_type = arm_type
        self.what = what
        self.service = service
        self.group = group
        self.parents = tuple(parents)
        self.etag = etag
        self.long_running = long_running
        self.write_only = tuple(write_only)
        self.secrets = tuple(secrets)
        self.update_option = update_option
        self.normalisers = normalisers or {}
        self.mask = mask or (lambda body: body)
        self.create_method = create_method or ("begin_create_or_update" if long_running else "create_or_update")
        self.delete_method = delete_method or ("begin_delete" if long_running else "delete")
        self.update_method = update_method
        self.delete_options = delete_options or (lambda params: {})
        self.api_version = api_version or (lambda params: None)

    # ---- names and operations -------------------------------------------------------------------------
    def names(self, params):
        """The resource group, parent names and the resource's name, in id order."""
        return tuple(params[key] for key in self.parents) + (params["name"],)

    def operations(self, module):
        return getattr(module.client(self.service), self.group)

    def version_options(self, params):
        """The SDK call's ``api_version`` keyword when this resource is called at another version than the SDK's."""
        version = self.api_version(params)
        return dict(api_version=version) if version else {}

    def action(self, verb, target):
        return "%s %s %s" % (verb, self.what, target.names[-1])

    def write_only_paths(self, params):
        return self.write_only

    def skeleton(self, subscription_id, names):
        """What is known before the resource exists (the start of a check-mode prediction)."""
        return self.arm_type.skeleton(subscription_id, *names)

    def update_mode(self, params):
        return params[self.update_option] if self.update_option else "on_create"

    def unshown_paths(self, params):
        """What the diff never shows: the write-only values and the secrets."""
        return tuple(self.write_only_paths(params)) + self.secrets

    def compared(self, desired, current, params):
        """The part of ``desired`` that decides a write: never a write-only value, and a secret Azure returns only
        under update_option ``always`` or when the resource is created."""
        ignored = tuple(self.write_only_paths(params))
        if current is not None and self.update_mode(params) != "always":
            ignored += self.secrets
        return drop_paths(desired, ignored) if ignored else desired

    # ---- the steps ----------------------------------------------------------------------------------------
    def absent(self, module):
        """The Target of a resource known not to exist (its parent is missing): nothing is read."""
        return Target(module, self, None, None)

    def describe(self, module):
        """The Target of this run: the resource as it is (None when absent) and its ETag."""
        target = self.absent(module)
        found = module.get_or_none(self.action("read", target), self.operations(module).get, *target.names, cls=raw,
                                   **self.version_options(module.params))
        if found:
            target.current, target.etag = found[0], (etag_of(found[1], found[0]) if self.etag else None)
        return target

    def describe_named(self, module, name):
        """The body of a sibling resource (same parents, another name), or None: for references that must exist."""
        names = self.names(module.params)[:-1] + (name,)
        return module.read_json("read %s %s" % (self.what, name), self.operations(module).get, *names)

    def reread(self, module, target):
        return self.describe(module).current

    def write(self, module, target, body):
        """PUT ``body`` (PATCH it with ``update_method`` when the resource exists); returns the resource as Azure
        answered it (read again when an LRO gives no body)."""
        method = self.create_method
        if target.current is not None and self.update_method:
            method, body = self.update_method, dict((key, value) for key, value in body.items() if key != "location")
        options = dict(if_match=target.etag) if self.etag else {}
        options.update(self.version_options(module.params))
        operation = getattr(self.operations(module), method)
        action = self.action("write", target)
        if method.startswith("begin_"):
            result = module.call_and_wait(action, operation, *target.names, json_body(body), cls=raw, **options)
            return result[0] if result else self.reread(module, target)
        return module.call(action, operation, *target.names, json_body(body), cls=raw, **options)[0]

    def delete(self, module, target):
        options = dict(self.delete_options(module.params), **self.version_options(module.params))
        if self.etag:
            options["if_match"] = target.etag or "*"
        if self.delete_method.startswith("begin_"):
            module.call_and_wait(self.action("delete", target), getattr(self.operations(module), self.delete_method),
                                 *target.names, **options)
        else:
            module.call(self.action("delete", target), getattr(self.operations(module), self.delete_method),
                        *target.names, **options)

    def converge(self, module, target, desired):
        """(changed, state) for ``desired``: what decides is ``compared``, but every write sends it all."""
        params = module.params
        hidden = self.write_only_paths(params)
        current = target.current

        def write():
            return self.write(module, target, desired)
        if current is not None and self.update_mode(params) == "always" and any(given(desired, path) for path in hidden):
            # A given write-only value cannot be compared: "always" writes it on every run.
            if module.check_mode:
                return True, merge(current, drop_paths(desired, hidden))
            return True, module.retrying(write)
        return module.converge(current, self.compared(desired, current, params), write, new_state=target.skeleton,
                               normalisers=self.normalisers, unverifiable=hidden)


def given(body, path):
    """Whether ``body`` carries a value (not None nor empty) at the dotted ``path``."""
    for key in path.split("."):
        body = body.get(key) if isinstance(body, dict) else None
    return body not in (None, "", {}, [])


class Outcome(object):
    """What a run did: changed, the state after, the state before and the desired body (None when removed)."""

    def __init__(self, changed, state, current, desired):
        self.changed = changed
        self.state = state
        self.current = current
        self.desired = desired


def settle(module, resource, target, validate, desired_body):
    """validate -> converge (state present) or remove (state absent); returns the Outcome, exits nothing."""
    params = module.params
    module.fail_if(validate(params, target.current) or
                   module.location_problem(resource.arm_type.type, params, target.current))
    if params["state"] == "absent":
        changed, state = module.remove(target.current, lambda: resource.delete(module, target))
        return Outcome(changed, state, target.current, None)
    desired = desired_body(params, target)
    changed, state = resource.converge(module, target, desired)
    return Outcome(changed, state, target.current, desired)


def secrets_written(resource, params, outcome):
    """The secret and write-only paths a write of this run sends (every write sends the whole desired body)."""
    if not outcome.changed or outcome.desired is None:
        return []
    return [path for path in resource.unshown_paths(params) if given(outcome.desired, path)]


def finish(module, resource, outcome, before=None, after=None, **returns):
    """End the task: the masked state, its id, the diff of the managed keys (plus ``before``/``after`` extras).

    A secret or write-only value never shows; one this run writes shows as SECRET_SHOWN: only "after" for a new
    resource, SECRET_SHOWN before and SECRET_WRITTEN after for an existing one (its old value is unknown or secret).
    """
    hidden = resource.unshown_paths(module.params)
    managed = resource.mask(drop_paths(outcome.desired, hidden))
    shown = resource.mask(outcome.state)
    before_view = diff_view(resource.mask(outcome.current), managed)
    after_view = diff_view(shown, managed)
    written = secrets_written(resource, module.params, outcome)
    if written and outcome.current is not None:
        before_view = with_values(before_view, written, SECRET_SHOWN)
    if written:
        after_view = with_values(after_view, written, SECRET_SHOWN if outcome.current is None else SECRET_WRITTEN)
    module.exit(outcome.changed, shown, id=(outcome.state or {}).get("id"),
                before=dict(before_view, **(before or {})), after=dict(after_view, **(after or {})), **returns)


def from_params(desired_body):
    """The runner's ``desired_body(params, target)`` for a module whose body depends on its options only."""
    return lambda params, target: desired_body(params)


def from_current(desired_body):
    """The runner's ``desired_body(params, target)`` for a ``desired_body(params, current)``."""
    return lambda params, target: desired_body(params, target.current)


def run_resource(module, resource, validate, desired_body, returns=None):
    """describe -> validate -> converge/remove -> exit with diff; ``returns(state)`` adds module-specific keys."""
    outcome = settle(module, resource, resource.describe(module), validate, desired_body)
    finish(module, resource, outcome, **(returns(outcome.state or {}) if returns else {}))
