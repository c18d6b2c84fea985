# -*- coding: utf-8 -*-
# Copyright: contributors to aigateway.foundry
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one runner of the ``*_info`` modules that read one resource type: get by name, or list under the parents.

A module declares a ``Listing`` (which SDK operation group, which options name the parents, the list operation and
what a body must never show) and calls ``run_info``.  Reading never writes, so check mode runs as usual; a missing
parent (a service or account that does not exist) reads as "nothing found", like a missing resource.
"""

from __future__ import annotations

from ansible_collections.aigateway.foundry.plugins.module_utils.azure_module import AzureModule
from ansible_collections.aigateway.foundry.plugins.module_utils.azure_state import drop_paths


class Listing(object):
    """How to read one resource type.

    - ``what``: the noun in messages; ``service``/``group``: the SDK client and its operation group;
    - ``parents``: the options naming the parents, in the SDK's argument order;
    - ``list_method``: the group's list operation taking exactly those parents (``list_by_service``);
      ``list_all_method``: the one used when the last parent option is omitted (a subscription-wide ``list``);
    - ``hidden``: dotted paths never returned (secrets, even those a future API version might add);
    - ``mask``: body -> body with secret values replaced (names kept), applied after ``hidden``.
    """

    def __init__(self, what, service, group, parents, list_method, list_all_method=None, hidden=(), mask=None):
        self.what = what
        self.service = service
        self.group = group
        self.parents = tuple(parents)
        self.list_method = list_method
        self.list_all_method = list_all_method
        self.hidden = tuple(hidden)
        self.mask = mask or (lambda body: body)

    def shown(self, body):
        return self.mask(drop_paths(body, self.hidden))

    def operations(self, module):
        return getattr(module.client(self.service), self.group)

    def read(self, module, name=None):
        """The bodies found (a list, empty when none): one by ``name`` or every one under the parents."""
        params = module.params
        names = tuple(params[key] for key in self.parents)
        operations = self.operations(module)
        if name:
            found = module.read_json("read %s %s" % (self.what, name), operations.get, *(names + (name,)))
            return [found] if found else []
        if not names:
            return module.list_all("list %ss" % self.what, getattr(operations, self.list_method))
        if self.list_all_method and names[-1] is None:
            return module.list_all("list %ss" % self.what, getattr(operations, self.list_all_method), *names[:-1])
        return module.list_all("list %ss of %s" % (self.what, names[-1]), getattr(operations, self.list_method),
                               *names, missing_ok=True)


def parent_problem(params, listing):
    """A parent option that is required with ``name`` but missing (a subscription-wide list has no name)."""
    missing = [key for key in listing.parents if not params.get(key)]
    if params.get("name") and missing:
        return "%s is required with name" % " and ".join(missing)
    return None


def run_info(argument_spec, listing, result_key, expand=None, **kwargs):
    """Build the module, read, and exit with ``result_key``: the shown bodies (empty when none).

    ``listing`` is a Listing, or a function of the module's params returning one (a type read under one of two
    parents: an API's diagnostics or the service's, a project's connections or the account's).  ``expand(module,
    body)`` returns a body with what one more read adds (a blocklist's items, a cluster's databases), or the body."""
    module = AzureModule(argument_spec, **kwargs)
    if callable(listing):
        listing = listing(module.params)
    module.fail_if(parent_problem(module.params, listing))
    found = [listing.shown(body) for body in listing.read(module, module.params.get("name")) if body]
    if expand:
        found = [expand(module, body) for body in found]
    module.module.exit_json(changed=False, **{result_key: found})
