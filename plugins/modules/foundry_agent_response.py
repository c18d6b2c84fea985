#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to aigateway.foundry
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: foundry_agent_response
short_description: Ask a Microsoft Foundry agent one question and return its answer
version_added: 0.1.0
description:
  - Sends one user message to a prompt agent of a Foundry project through the project's OpenAI-compatible
    Responses API (C(project.get_openai_client().responses.create) with an C(agent_reference)), in a
    conversation, and returns the answer, its id, the model and the token usage.
  - Without O(conversation) a new conversation is created first (as the Foundry samples do) and its id returned,
    so a following task can continue it.
  - Asking is not idempotent - every run is a new model call that costs tokens and may answer differently. It
    changes no configuration, so the task reports C(changed=false); in check mode nothing is sent and the task
    is skipped.
  - The OpenAI client gets its token from the same credential and trusts O(ca_bundle) through its own HTTP client
    (TLS verification stays on). Until a new role assignment applies, the task fails with HTTP 403.
author:
  - aigateway.foundry maintainers (@aigateway)
extends_documentation_fragment: [aigateway.foundry.resource.READ_ONLY, aigateway.foundry.azure, aigateway.foundry.azure.PROJECT]
options:
  agent:
    description: The agent's name.
    type: str
    required: true
  agent_version:
    description: A version of the agent to ask; the latest version when omitted.
    type: str
  input:
    description: The user message.
    type: str
    required: true
  conversation:
    description: The id of a conversation to continue (C(conv_...)); a new conversation when omitted.
    type: str
  timeout:
    description: Seconds to wait for the answer.
    type: int
    default: 120
requirements:
  - openai >= 3.0.0
attributes:
  check_mode:
    details: Nothing is sent in check mode; the task is skipped.
"""

EXAMPLES = r"""
- name: Ask the gateway-check agent
  aigateway.foundry.foundry_agent_response:
    account: agents-foundry-x1
    project: foundry-project
    agent: gateway-check
    input: Tell me what you can help with.
  register: answer

- name: The agent answered
  ansible.builtin.assert:
    that: answer.output_text | length > 0
"""

RETURN = r"""
state:
  description: Always null; asking an agent changes no resource.
  returned: always
  type: dict
  sample: null
output_text:
  description: The agent's answer (the text of its output messages).
  returned: success, not in check mode
  type: str
  sample: I can answer questions about your documents.
response_id:
  description: The id of the response, by which the service can show it again.
  returned: success, not in check mode
  type: str
  sample: resp_0123456789abcdef
conversation:
  description: The conversation the question was asked in.
  returned: success, not in check mode
  type: str
  sample: conv_0123456789abcdef
model:
  description: The model that answered, as the response names it.
  returned: success, not in check mode
  type: str
  sample: ai-gateway/gpt-4.1-mini
status:
  description: The response's status; V(completed) when the agent answered.
  returned: success, not in check mode
  type: str
  sample: completed
usage:
  description: Token usage of the call.
  returned: success, not in check mode
  type: dict
  contains:
    input_tokens:
      description: Tokens of the input.
      type: int
    output_tokens:
      description: Tokens of the answer.
      type: int
    total_tokens:
      description: Both together.
      type: int
  sample: {"input_tokens": 25, "output_tokens": 12, "total_tokens": 37}
project_endpoint:
  description: The project endpoint the task used.
  returned: always
  type: str
  sample: https://agents-foundry-x1.services.ai.azure.com/api/projects/foundry-project
"""

from ansible_collections.aigateway.foundry.plugins.module_utils import foundry_dataplane as dataplane
from ansible_collections.aigateway.foundry.plugins.module_utils import validation

ARGUMENT_SPEC = dict(
    agent=dict(type="str", required=True),
    agent_version=dict(type="str"),
    input=dict(type="str", required=True),
    conversation=dict(type="str"),
    timeout=dict(type="int", default=120),
)


def agent_reference(name, version=None):
    reference = {"name": name, "type": "agent_reference"}
    if version:
        reference["version"] = version
    return reference


def validate(params):
    problem = validation.name_problem("aigateway.foundry/agents", params["agent"])
    if problem:
        return problem
    if not params["input"].strip():
        return "input is empty: ask the agent something"
    if params["timeout"] <= 0:
        return "timeout must be a positive number of seconds, not %s" % params["timeout"]
    return None


def usage_dict(usage):
    if usage is None:
        return None
    return dict((key, getattr(usage, key, None)) for key in ("input_tokens", "output_tokens", "total_tokens"))


def main():
    module, endpoint = dataplane.project_module(ARGUMENT_SPEC, validate)
    params = module.params
    if module.check_mode:
        module.exit(False, None, skipped=True, project_endpoint=endpoint,
                    msg="check mode: the agent was not asked (asking is a model call, not a state)")
    project = dataplane.project_client(module, endpoint)
    openai = dataplane.openai_client(module, project)
    conversation = params["conversation"]
    if not conversation:
        conversation = dataplane.call(module, "start a conversation", endpoint + "/openai/v1/conversations",
                                      openai.conversations.create).id
    reference = agent_reference(params["agent"], params["agent_version"])
    response = dataplane.call(
        module, "ask agent %s" % params["agent"], endpoint + "/openai/v1/responses", openai.responses.create,
        input=[{"role": "user", "content": params["input"]}], conversation=conversation,
        extra_body={"agent_reference": reference}, timeout=params["timeout"])
    module.exit(False, None, output_text=response.output_text, response_id=response.id,
                conversation=conversation, model=response.model, status=response.status,
                usage=usage_dict(response.usage), project_endpoint=endpoint)


if __name__ == "__main__":
    main()
