# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The gateway policy with the Foundry projects onboarded with auth_type ProjectManagedIdentity.

Such a project calls the gateway with its managed identity's Entra token and no subscription key, so no product
policy applies to it: its limit lives in the API policy, keyed on the token's ``oid`` (the project's principal id).
This adds, to the settings the gateway role renders (roles/gateway/templates/inference-policy.xml.j2, the one
renderer), one ``token_quotas`` entry per project keyed on its principal id, and admits that principal id
(``gateway_auth.entra.admitted_principals``: the token's ``oid``) where the gateway's Entra check names the callers
allowed (required claims such as ``xms_mirid``). The gateway's Entra check itself
is the site's setting (gateway_auth.entra): without it there is nothing to hang the projects on, and that is
refused naming the projects.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy

from ansible.errors import AnsibleFilterError

IDENTITY_KEYS = ("principal_id", "project_id", "tokens_per_minute")
LIMIT_KEYS = ("tokens_per_minute", "token_quota", "token_quota_period")


def _check(identities):
    if not isinstance(identities, list):
        raise AnsibleFilterError("gateway_policy_with_projects: the projects must be a list, got %r" % (identities,))
    for identity in identities:
        missing = [key for key in IDENTITY_KEYS if not (identity or {}).get(key)] if isinstance(identity, dict) \
            else list(IDENTITY_KEYS)
        if missing:
            raise AnsibleFilterError("gateway_policy_with_projects: project %r lacks %s"
                                     % ((identity or {}).get("team", identity) if isinstance(identity, dict)
                                        else identity, ", ".join(missing)))


def gateway_policy_with_projects(gateway_policy, identities):
    """``gateway_policy`` plus, per identity (team, principal_id, project_id, tokens_per_minute, token_quota,
    token_quota_period), a token limit keyed on its principal and its project admitted by the Entra check."""
    _check(identities)
    if not identities:
        return gateway_policy
    policy = copy.deepcopy(gateway_policy or {})
    entra = ((policy.get("gateway_auth") or {}).get("entra") or {})
    if not entra.get("enabled"):
        raise AnsibleFilterError(
            "projects %s use auth_type ProjectManagedIdentity, which needs the gateway's Entra check: set "
            "gateway_auth.entra.enabled and tenant_id in the gateway policy (aigw_gateway_policy) and run site.yml "
            "first" % ", ".join(str(identity.get("team") or identity["principal_id"]) for identity in identities))
    # Admitted on the token's oid, the project's principal id (one spelling), never on its resource id: Entra's
    # xms_mirid may spell the id otherwise than ARM returns it, and the check compares claim values as written.
    admitted = [str(value) for value in entra.get("admitted_principals") or []]
    entra["admitted_principals"] = admitted + [identity["principal_id"] for identity in identities
                                               if identity["principal_id"] not in admitted]
    policy["token_quotas"] = list(policy.get("token_quotas") or []) + [
        dict({"principal_id": identity["principal_id"]},
             **dict((key, identity[key]) for key in LIMIT_KEYS if identity.get(key) is not None))
        for identity in identities]
    return policy


class FilterModule(object):
    def filters(self):
        return {"gateway_policy_with_projects": gateway_policy_with_projects}
