#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to aigateway.foundry
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: foundry_agent_info
short_description: List the agents of a Microsoft Foundry project
version_added: 0.1.0
description:
  - Lists the agents of a Foundry project through its data plane (C(azure-ai-projects) C(agents.list)), with each
    agent's latest version and model - for example to delete the agents left in a project before removing it.
  - Read-only; the same in check mode.
author:
  - aigateway.foundry maintainers (@aigateway)
extends_documentation_fragment: [aigateway.foundry.resource.READ_ONLY, aigateway.foundry.azure, aigateway.foundry.azure.PROJECT]
options: {}
"""

EXAMPLES = r"""
- name: The agents left in the project
  aigateway.foundry.foundry_agent_info:
    account: agents-foundry-x1
    project: foundry-project
  register: found

- name: Delete them
  aigateway.foundry.foundry_agent:
    account: agents-foundry-x1
    project: foundry-project
    name: "{{ item.name }}"
    state: absent
  loop: "{{ found.agents }}"
"""

RETURN = r"""
state:
  description: Always null; the agents are listed, not managed.
  returned: always
  type: dict
  sample: null
agents:
  description: The project's agents.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: The agent's name.
      type: str
    version:
      description: Its latest version.
      type: str
    model:
      description: The latest version's model.
      type: str
  sample: [{"name": "gateway-check", "version": "2", "model": "ai-gateway/gpt-4.1-mini"}]
project_endpoint:
  description: The project endpoint the task used.
  returned: always
  type: str
  sample: https://agents-foundry-x1.services.ai.azure.com/api/projects/foundry-project
"""

from ansible_collections.aigateway.foundry.plugins.module_utils import foundry_dataplane as dataplane


def summary(agent):
    """name, latest version and model of an AgentDetails body."""
    latest = (agent.get("versions") or {}).get("latest") or {}
    return dict(name=agent.get("name"), version=latest.get("version"),
                model=(latest.get("definition") or {}).get("model"))


def main():
    module, endpoint = dataplane.project_module({})
    client = dataplane.project_client(module, endpoint)
    agents = dataplane.call(module, "list agents", endpoint,
                            lambda: [summary(item.as_dict()) for item in client.agents.list()])
    module.exit(False, None, agents=agents, project_endpoint=endpoint)


if __name__ == "__main__":
    main()
