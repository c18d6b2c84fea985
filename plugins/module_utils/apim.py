# -*- coding: utf-8 -*-
# Copyright: contributors to aigateway.foundry
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the API Management modules share: resource ids, reading a child with its ETag, listing as ARM JSON."""

from __future__ import annotations

from ansible_collections.aigateway.foundry.plugins.module_utils.azure_clients import etag_of, raw
from ansible_collections.aigateway.foundry.plugins.module_utils.azure_state import drop_paths, merge


def service_id(subscription_id, resource_group, service):
    return ("/subscriptions/%s/resourceGroups/%s/providers/Microsoft.ApiManagement/service/%s"
            % (subscription_id, resource_group, service))


def service_argument_spec():
    """The options that name the API Management service a child resource belongs to."""
    return dict(
        resource_group=dict(type="str", required=True),
        service=dict(type="str", required=True),
    )


def read_with_etag(module, action, fn, *args, **kwargs):
    """(body, etag) of a child resource, or (None, None) when it does not exist.

    APIM refuses updates and deletes of child resources without If-Match, so every read keeps the ETag.
    """
    found = module.get_or_none(action, fn, *args, cls=raw, **kwargs)
    if not found:
        return None, None
    body, headers = found
    return body, etag_of(headers, body)


def as_arm_json(items):
    """SDK models of a paged listing as ARM JSON (the shape GET returns), read-only fields included."""
    return [item.serialize(keep_readonly=True) for item in items]


def list_arm_json(module, action, fn, *args, **kwargs):
    """Run a paged SDK listing to the end and return its items as ARM JSON."""
    return module.call(action, lambda: as_arm_json(fn(*args, **kwargs)))


def converge_write_only(module, current, desired, write, write_only_paths, update_mode, new_state=None,
                        normalisers=None):
    """converge() for bodies that carry write-only values (secrets APIM never returns, so never compares).

    Only the visible part of ``desired`` decides and predicts; ``write()`` still sends everything.  With
    ``update_mode`` "always" a given write-only value is written on every run (it cannot be compared); with
    "on_create" it is sent only when something else changes or the resource is new.
    """
    visible = drop_paths(desired, write_only_paths)
    if current is not None and update_mode == "always" and visible != desired:
        if module.check_mode:
            return True, merge(current, visible)
        return True, write()
    return module.converge(current, visible, write, new_state=new_state, normalisers=normalisers)


def remove_child(module, current, what, group, etag, **kwargs):
    """(changed, None): delete a service-level APIM child (backend, logger, cache, ...) with If-Match.

    ``group`` is the SDK operation group's attribute name (``"backend"``); APIM requires If-Match on delete, so the
    child's ETag is sent, or ``*`` when it is not known.
    """
    params = module.params

    def delete():
        operations = getattr(module.client("apimanagement"), group)
        module.call("delete %s %s" % (what, params["name"]), operations.delete, params["resource_group"],
                    params["service"], params["name"], if_match=etag or "*", **kwargs)
    return module.remove(current, delete)
