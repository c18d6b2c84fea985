#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to aigateway.foundry
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: foundry_agent
short_description: Create a version of a Microsoft Foundry prompt agent, or delete the agent
version_added: 0.1.0
description:
  - Ensures a prompt agent of a Foundry project has a latest version with the given model, instructions,
    description and metadata, through the project's data plane (C(azure-ai-projects) C(AIProjectClient)).
  - Agent versions cannot change, so a change is a new version. A new version is created only when the task's
    definition differs from the latest version's; only the fields the task sets are compared.
  - With O(state=absent) the agent's versions are deleted, latest first, until the agent is gone; with
    O(version) only that version.
  - To use a model through a gateway connection, give the model as C(<connection>/<deployment>), for example
    V(ai-gateway/gpt-4.1-mini).
  - Idempotent, with check mode (predicts the version without writing) and diff mode.
author:
  - aigateway.foundry maintainers (@aigateway)
extends_documentation_fragment: [aigateway.foundry.resource, aigateway.foundry.azure, aigateway.foundry.azure.PROJECT]
options:
  name:
    description: The agent's name (letters, digits and hyphens, at most 63 characters).
    type: str
    required: true
  model:
    description:
      - The model the agent uses - a deployment of the project's account, or C(<connection>/<deployment>) for a
        deployment behind a gateway connection. Required with O(state=present).
    type: str
  instructions:
    description: The agent's system instructions. Not compared when omitted.
    type: str
  description:
    description: A human-readable description. Not compared when omitted.
    type: str
  metadata:
    description: Up to 16 string key-value pairs. Not compared when omitted; compared as a whole when given.
    type: dict
  version:
    description: With O(state=absent), delete only this version instead of the whole agent.
    type: str
  state:
    description: Whether the agent should exist with this definition as its latest version.
    type: str
    choices: [present, absent]
    default: present
"""

EXAMPLES = r"""
- name: A prompt agent that answers through the gateway connection
  aigateway.foundry.foundry_agent:
    account: agents-foundry-x1
    project: foundry-project
    name: gateway-check
    model: ai-gateway/gpt-4.1-mini
    instructions: You are a helpful assistant.
    metadata:
      purpose: verify
  register: agent

- name: Remove the agent and all its versions
  aigateway.foundry.foundry_agent:
    project_endpoint: https://agents-foundry-x1.services.ai.azure.com/api/projects/foundry-project
    name: gateway-check
    state: absent
"""

RETURN = r"""
id:
  description: The latest version's id.
  returned: when the agent exists (predicted in check mode, then null for a new version)
  type: str
  sample: gateway-check:1
name:
  description: The agent's name.
  returned: always
  type: str
  sample: gateway-check
version:
  description: The latest version (predicted in check mode); null when the agent is absent.
  returned: always
  type: str
  sample: "1"
model:
  description: The latest version's model; null when the agent is absent.
  returned: always
  type: str
  sample: ai-gateway/gpt-4.1-mini
project_endpoint:
  description: The project endpoint the task used.
  returned: always
  type: str
  sample: https://agents-foundry-x1.services.ai.azure.com/api/projects/foundry-project
deleted_versions:
  description: The versions deleted (or that would be, in check mode).
  returned: when O(state=absent)
  type: list
  elements: str
  sample: ["2", "1"]
state:
  description: The latest version as the project returns it (C(AgentVersionDetails)); null when absent.
  returned: always
  type: dict
  sample: {"object": "agent.version", "id": "gateway-check:1", "name": "gateway-check", "version": "1",
           "definition": {"kind": "prompt", "model": "ai-gateway/gpt-4.1-mini",
                          "instructions": "You are a helpful assistant."}, "metadata": {}}
"""

from ansible_collections.aigateway.foundry.plugins.module_utils import foundry_dataplane as dataplane
from ansible_collections.aigateway.foundry.plugins.module_utils.arm_resource import STATE_SPEC
from ansible_collections.aigateway.foundry.plugins.module_utils.foundry_agent import (
    desired_view,
    ensure_absent,
    ensure_present,
    latest_version,
    managed_view,
    validate,
)

ARGUMENT_SPEC = dict(
    name=dict(type="str", required=True),
    model=dict(type="str"),
    instructions=dict(type="str"),
    description=dict(type="str"),
    metadata=dict(type="dict"),
    version=dict(type="str"),
    state=STATE_SPEC,
)


def main():
    module, endpoint = dataplane.project_module(ARGUMENT_SPEC, validate)
    params = module.params
    name = params["name"]
    client = dataplane.project_client(module, endpoint)
    latest = latest_version(module, client, endpoint, name)
    result = dict(name=name, project_endpoint=endpoint)
    if params["state"] == "absent":
        changed, deleted = ensure_absent(module, client, endpoint, name, latest)
        remaining = latest if params["version"] else None
        if params["version"] and params["version"] == str((latest or {}).get("version")):
            remaining = None if module.check_mode else latest_version(module, client, endpoint, name)
        module.exit(changed, remaining, before=managed_view(latest, {}), after=managed_view(remaining, {}),
                    deleted_versions=deleted,
                    id=(remaining or {}).get("id"), version=(remaining or {}).get("version"),
                    model=((remaining or {}).get("definition") or {}).get("model"), **result)
    changed, state = ensure_present(module, client, endpoint, name, latest)
    module.exit(changed, state, before=managed_view(latest, params), after=desired_view(params),
                id=state.get("id"), version=state.get("version"),
                model=(state.get("definition") or {}).get("model"), **result)


if __name__ == "__main__":
    main()
