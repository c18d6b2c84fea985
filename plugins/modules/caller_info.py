#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to aigateway.foundry
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: caller_info
short_description: Who the collection's credentials sign in as - object id, tenant and client id
version_added: 0.1.0
description:
  - Gets a Resource Manager token with the collection's shared auth options and reads who it was issued to from
    its claims (C(oid), C(tid), C(appid)). The token itself is never returned or logged.
  - Use it to grant the identity that runs the playbook a role, for example C(Azure AI User) on the project where
    it creates agents (Owner and Contributor carry no data actions).
  - Read-only; the same in check mode.
author:
  - aigateway.foundry maintainers (@aigateway)
extends_documentation_fragment: [aigateway.foundry.resource.READ_ONLY, aigateway.foundry.azure]
options: {}
"""

EXAMPLES = r"""
- name: Who runs this playbook
  aigateway.foundry.caller_info:
  register: caller

- name: It may create agents in the project
  aigateway.foundry.role_assignment:
    scope: "{{ project.id }}"
    role: Azure AI User
    principal_id: "{{ caller.object_id }}"
    principal_type: "{{ caller.principal_type }}"
"""

RETURN = r"""
state:
  description: Always null; the caller is only read, nothing is managed.
  returned: always
  type: dict
  sample: null
object_id:
  description: The caller's object id in Entra ID (the principal id role assignments take).
  returned: always
  type: str
  sample: 00000000-0000-0000-0000-000000000001
tenant_id:
  description: The tenant the token was issued by.
  returned: always
  type: str
  sample: 00000000-0000-0000-0000-000000000002
client_id:
  description: The application (client) id the token was issued to.
  returned: always
  type: str
  sample: 00000000-0000-0000-0000-000000000003
principal_type:
  description: V(ServicePrincipal) for an application or managed identity, V(User) for a signed-in user.
  returned: always
  type: str
  sample: ServicePrincipal
user_principal_name:
  description: The user's sign-in name; null for applications.
  returned: always
  type: str
  sample: null
"""

from ansible_collections.aigateway.foundry.plugins.module_utils import foundry_dataplane as dataplane
from ansible_collections.aigateway.foundry.plugins.module_utils.azure_module import AzureModule


def main():
    module = AzureModule({})
    token = dataplane.call(module, "get a token", module.settings["authority_host"], module.credential.get_token,
                           module.settings["credential_scope"]).token
    try:
        claims = dataplane.token_claims(token)
    except ValueError:
        module.fail("the credential's token for %s is not a JWT, so it names no caller"
                    % module.settings["credential_scope"])
    identity = dataplane.caller_identity(claims)
    if not identity["object_id"]:
        module.fail("the token names no object id (oid claim); this credential cannot be granted roles")
    module.exit(False, None, **identity)


if __name__ == "__main__":
    main()
