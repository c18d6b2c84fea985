# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What Foundry calls through a gateway connection, for the roles that must call the same thing (verify).

One function decides the call, ``foundry_connection.inference_call``; the connection module writes the metadata from
the same table (``validation.CONNECTION_API_TYPE_DEFAULTS``), so a check that passes here passes for agents too.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.errors import AnsibleFilterError

from ansible_collections.aigateway.foundry.plugins.module_utils import foundry_connection, validation


def connection_call_url(target, deployment, api_type, inference_api_version="", operation="chat"):
    """The URL Foundry calls for `operation` (chat, embeddings, responses) of `<connection>/<deployment>` through a
    connection to `target` of `api_type` with `inference_api_version` ("" = the API type's default, what the
    connection module writes). Where the URL does not name the deployment, the body's `model` does."""
    if operation not in foundry_connection.INFERENCE_OPERATIONS:
        raise AnsibleFilterError("connection_call_url: operation must be one of %s, got %r"
                                 % (", ".join(foundry_connection.INFERENCE_OPERATIONS), operation))
    if api_type not in validation.CONNECTION_API_TYPE_DEFAULTS:
        raise AnsibleFilterError("connection_call_url: api_type must be one of %s, got %r"
                                 % (", ".join(validation.CONNECTION_API_TYPES), api_type))
    if not target or not deployment:
        raise AnsibleFilterError("connection_call_url needs a target and a deployment, got %r and %r"
                                 % (target, deployment))
    version = validation.inference_api_version(api_type, inference_api_version)
    problem = validation.inference_api_version_problem(api_type, version)
    if problem:
        raise AnsibleFilterError(problem)
    in_path = validation.CONNECTION_API_TYPE_DEFAULTS[api_type].deployment_in_path
    return foundry_connection.inference_call(target, deployment, in_path, version, operation)[0]


class FilterModule(object):
    def filters(self):
        return {"connection_call_url": connection_call_url}
