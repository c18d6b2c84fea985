#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to aigateway.foundry
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: foundry_project
short_description: Create, update or delete a Microsoft Foundry project
version_added: 0.1.0
description:
  - Ensures a project (C(Microsoft.CognitiveServices/accounts/projects)) exists in a Foundry account, or is
    deleted.
  - The account must allow project management (M(aigateway.foundry.cognitive_account) with
    O(aigateway.foundry.cognitive_account#module:allow_project_management=true)); the module fails before any write
    otherwise.
  - Idempotent, with check mode (predicts the state without writing) and diff mode.
author:
  - aigateway.foundry maintainers (@aigateway)
extends_documentation_fragment: [aigateway.foundry.resource.ACCOUNT_CHILD, aigateway.foundry.resource.TAGS,
                                 aigateway.foundry.azure, aigateway.foundry.azure.WAIT]
options:
  name:
    description: The project's name (2 to 64 letters, digits, C(_), C(.) or C(-), starting with a letter or digit).
    type: str
    required: true
  location:
    description: The Azure region. Defaults to the account's location.
    type: str
  identity:
    description: The project's managed identity type. V(SystemAssigned) lets the project call other services
      (for example a gateway with C(ProjectManagedIdentity) connections).
    type: str
    choices: [SystemAssigned, None]
    default: SystemAssigned
  display_name:
    description: The project's display name. Unmanaged when omitted.
    type: str
  description:
    description: The project's description. Unmanaged when omitted.
    type: str
"""

EXAMPLES = r"""
- name: The project agents run in
  aigateway.foundry.foundry_project:
    resource_group: rg-ai-gateway
    account: agents-foundry-01
    name: foundry-project
    display_name: AI gateway agents
  register: project

- name: Its endpoint
  ansible.builtin.debug:
    msg: "{{ project.endpoint }}"
"""

RETURN = r"""
id:
  description: The project's resource id.
  returned: when the project exists (or would exist in check mode)
  type: str
state:
  description: The project as Resource Manager returns it (predicted in check mode); null when absent.
  returned: always
  type: dict
endpoint:
  description: The project endpoint (C(properties.endpoints["AI Foundry API"])), for example
    C(https://<account>.services.ai.azure.com/api/projects/<project>).
  returned: when the project exists and Azure reported it
  type: str
principal_id:
  description: The principal id of the project's system-assigned identity.
  returned: when the project has a system-assigned identity
  type: str
created:
  description: Whether this task created the project (predicted in check mode); false when it existed, even if
    the task changed it. Lets a caller remove only what it made.
  returned: always
  type: bool
"""

from ansible_collections.aigateway.foundry.plugins.module_utils import validation
from ansible_collections.aigateway.foundry.plugins.module_utils.arm_resource import (
    TAGS_SPEC,
    ArmType,
    Resource,
    account_child_spec,
    finish,
    settle,
    with_tags,
)
from ansible_collections.aigateway.foundry.plugins.module_utils.azure_module import AzureModule
from ansible_collections.aigateway.foundry.plugins.module_utils.azure_state import identity_body, merge

ARGUMENT_SPEC = account_child_spec(
    location=dict(type="str"),
    identity=dict(type="str", choices=["SystemAssigned", "None"], default="SystemAssigned"),
    display_name=dict(type="str"),
    description=dict(type="str"),
    **TAGS_SPEC,
)

ENDPOINT_KEY = "AI Foundry API"
NORMALISERS = {"identity.type": lambda value: (value or "None").lower()}
ACCOUNT = Resource(ArmType("Microsoft.CognitiveServices/accounts"), "account", "cognitiveservices", "accounts")


def desired_body(params, location, current):
    body = {"location": location, "identity": identity_body(params["identity"]), "properties": {}}
    if params["display_name"] is not None:
        body["properties"]["displayName"] = params["display_name"]
    if params["description"] is not None:
        body["properties"]["description"] = params["description"]
    return with_tags(body, params, current)


def validate(params, account, current, check_mode=False):
    """Problems with the input, found before anything is written.

    In check mode a missing account is not an error: an earlier task of the same check-mode run may create it.
    """
    if params["state"] != "present":
        return None
    problem = validation.name_problem("Microsoft.CognitiveServices/accounts/projects", params["name"])
    if problem:
        return problem
    if account is None:
        if check_mode:
            return None
        return "account %s does not exist in resource group %s" % (params["account"], params["resource_group"])
    if current is None and not (account.get("properties") or {}).get("allowProjectManagement"):
        return ("account %s does not allow project management: set allow_project_management=true on it "
                "(aigateway.foundry.cognitive_account) before creating project %s" % (params["account"], params["name"]))
    return None


def write_body(current, desired):
    """A full PUT body: the writable fields the task leaves unmanaged are carried over from ``current``."""
    carried = {}
    if current:
        if current.get("tags") is not None and "tags" not in desired:
            carried["tags"] = current["tags"]
        properties = current.get("properties") or {}
        carried["properties"] = dict((k, properties[k]) for k in ("displayName", "description")
                                     if properties.get(k) is not None)
    return merge(carried, desired)


class Project(Resource):
    def skeleton(self, subscription_id, names):
        return dict(Resource.skeleton(self, subscription_id, names), name="%s/%s" % names[-2:])

    def write(self, module, target, body):
        return Resource.write(self, module, target, write_body(target.current, body))


RESOURCE = Project(ArmType("Microsoft.CognitiveServices/accounts/projects"), "project", "cognitiveservices",
                   "projects", parents=("resource_group", "account"), long_running=True, create_method="begin_create",
                   normalisers=NORMALISERS)


def main():
    module = AzureModule(ARGUMENT_SPEC, long_running=True)
    params = module.params
    account = ACCOUNT.describe_named(module, params["account"])
    target = RESOURCE.describe(module) if account else RESOURCE.absent(module)
    if account is None and params["state"] == "present":
        module.warn("account %s does not exist yet; the prediction assumes it will" % params["account"])
    outcome = settle(module, RESOURCE, target, lambda params, current: validate(params, account, current, module.check_mode),
                     lambda params, target: desired_body(
                         params, params["location"] or (target.current or account or {}).get("location"),
                         target.current))
    state = outcome.state or {}
    finish(module, RESOURCE, outcome, endpoint=((state.get("properties") or {}).get("endpoints") or {}).get(ENDPOINT_KEY),
           principal_id=(state.get("identity") or {}).get("principalId"),
           created=bool(outcome.changed and outcome.current is None and params["state"] == "present"))


if __name__ == "__main__":
    main()
