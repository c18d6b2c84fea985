#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to aigateway.foundry
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: azure_token
short_description: One Resource Manager token for the tasks of a run, so each task does not sign in again
version_added: 0.1.0
description:
  - Gets a Resource Manager token with the collection's shared auth options and returns it with its expiry and
    the identity it belongs to, as the options every module of the collection accepts (O(access_token),
    O(access_token_expires_on), O(access_token_identity)). Merge RV(auth) into the C(module_defaults) of
    C(group/aigateway.foundry.azure), and every later task uses that token instead of asking Entra ID for its
    own (two requests per task) and does not import azure-identity.
  - A task uses a handed token only for its own identity and Resource Manager audience and while more than five
    minutes of its life are left; otherwise it signs in as it would without one.
  - Without this module a run signs in once all the same for a service principal's client secret or a workload
    identity - each task then finds the token in the user's token cache (see O(token_cache)) - but every task
    still reads that file; handing the token in spares even that.
  - Given a handed token (or a cached one) that is still usable for this identity, returns it unchanged without a
    request, so running it again before a long step renews the token only when needed.
  - The task must set C(no_log) (the result holds a token). Read-only; the same in check mode.
author:
  - aigateway.foundry maintainers (@aigateway)
extends_documentation_fragment: [aigateway.foundry.resource.READ_ONLY, aigateway.foundry.azure]
options: {}
"""

EXAMPLES = r"""
- name: One token for the run
  aigateway.foundry.azure_token:
  register: azure_token
  no_log: true

- name: Every task of the group uses it
  module_defaults:
    group/aigateway.foundry.azure: "{{ azure_auth | combine(azure_token.auth) }}"
  block:
    - name: A resource group
      aigateway.foundry.resource_group:
        name: rg-ai
        location: swedencentral
"""

RETURN = r"""
auth:
  description:
    - The options O(access_token), O(access_token_expires_on) and O(access_token_identity) to merge into
      C(module_defaults). Holds a token - register it only on a C(no_log) task.
  returned: always
  type: dict
expires_on:
  description: When the token expires, in seconds since the epoch.
  returned: always
  type: int
  sample: 1767225600
renewed:
  description: Whether a token was requested (false when a handed token was still usable).
  returned: always
  type: bool
state:
  description: Always null - the module manages no resource.
  returned: always
  type: dict
  sample: null
"""

from ansible_collections.aigateway.foundry.plugins.module_utils.azure_module import AzureModule
from ansible_collections.aigateway.foundry.plugins.module_utils.azure_token import identity_key, token_to_hand


def main():
    module = AzureModule({})
    if not module.module.no_log:
        module.fail("azure_token returns a token: set no_log: true on the task")
    scope = module.settings["credential_scope"]
    token, expires_on, renewed = module.call("get a Resource Manager token for %s" % scope, token_to_hand,
                                             module.credential, scope)
    auth = dict(access_token=token, access_token_expires_on=expires_on,
                access_token_identity=identity_key(module.settings))
    module.exit(False, None, auth=auth, expires_on=expires_on, renewed=renewed)


if __name__ == "__main__":
    main()
