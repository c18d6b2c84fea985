# -*- coding: utf-8 -*-
# Copyright: contributors to aigateway.foundry
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the API Management modules share: the child resource declaration, ids, reading with the ETag, names."""

from __future__ import annotations

import re

from ansible_collections.aigateway.foundry.plugins.module_utils.arm_resource import ArmType, Resource
from ansible_collections.aigateway.foundry.plugins.module_utils.azure_clients import etag_of, raw

SERVICE = ArmType("Microsoft.ApiManagement/service")
# The name rule of most service children (Microsoft.ApiManagement 2024-05-01 definitions), up to a length.
CHILD_NAME = re.compile(r"^[^*#&+:<>?]+$")


def service_id(subscription_id, resource_group, service):
    return SERVICE.id(subscription_id, resource_group, service)


def name_problem(what, name, longest):
    """The message for a child name API Management refuses, or None."""
    if not CHILD_NAME.match(name) or len(name) > longest:
        return "%s name must be 1-%d characters without any of *#&+:<>?" % (what, longest)
    return None


class ApimChild(Resource):
    """A child of an API Management service (``service/<plural>``): named by resource_group, service and name.

    API Management refuses updates and deletes of children without If-Match, so every read keeps the ETag.
    """

    def __init__(self, plural, what, group, **declared):
        declared.setdefault("parents", ("resource_group", "service"))
        Resource.__init__(self, ArmType("Microsoft.ApiManagement/service/" + plural), what, "apimanagement", group,
                          etag=True, **declared)


def read_with_etag(module, action, fn, *args, **kwargs):
    """(body, etag) of a child resource, or (None, None) when it does not exist."""
    found = module.get_or_none(action, fn, *args, cls=raw, **kwargs)
    if not found:
        return None, None
    body, headers = found
    return body, etag_of(headers, body)
