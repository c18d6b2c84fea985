#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to aigateway.foundry
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# The work is done by the action plugin of the same name, on the controller (plugins/action/await_listed.py).
from __future__ import annotations

DOCUMENTATION = r"""
module: await_listed
short_description: Wait for many long-running writes at once by listing them
version_added: 0.3.0
description:
  - Waits until every resource of O(wanted) is listed as C(Succeeded) by one of our info modules, for writes started
    with O(aigateway.foundry.cognitive_account#module:wait=false) (or a project's or a deployment's) in a loop. Each
    look lists them with O(module) - the accounts of O(resource_group) in one request, the deployments of the wanted
    deployments' accounts in one task (a request per account), the projects of each wanted project's account.
  - >-
    Prints a line per resource when it succeeds (C(<what> <name>: succeeded after <time>)) and a count while others
    run, as P(aigateway.foundry.await_job#module) does; no C(FAILED - RETRYING) line.
  - >-
    A resource listed as C(Failed) or C(Canceled) is written again when O(writes) holds its start, as Azure advises
    for a resource left Failed: by O(write_module) with the start's own options and waiting, so a transient failure
    is retried as in any waited write and one that stays fails the task once, with the module's message naming the
    resource. Without its start such a resource fails the task naming it; so does O(timeout).
  - It belongs to the C(azure) action group, so the play's C(module_defaults) for it (the auth options) reach every
    call.
author:
  - aigateway.foundry maintainers (@aigateway)
options:
  module:
    description: The info module that lists the resources.
    type: str
    required: true
    choices: [cognitive_account_info, foundry_project_info, model_deployment_info]
  resource_group:
    description: The resource group of the accounts.
    type: str
    required: true
  wanted:
    description:
      - The resources to wait for, as the end of their id below the account, for example C(models-1) (an account),
        C(models-1/deployments/gpt-4o) or C(agents-1/projects/foundry-project) (the filter
        P(aigateway.foundry.written_paths#filter) gives them from a loop's results).
    type: list
    elements: str
    required: true
  write_module:
    description: The module that started the writes; required with O(writes).
    type: str
    choices: [cognitive_account, foundry_project, model_deployment]
  writes:
    description:
      - The registered results of the loop that started the writes (their C(invocation) holds each start's
        options); the auth options come from this task.
    type: list
    elements: raw
  what:
    description: What the resources are, as the progress lines say it, for example C(Foundry account).
    type: str
    required: true
  timeout:
    description: Seconds to wait at most; then the task fails naming what is still running.
    type: int
    required: true
  delay:
    description: Seconds between two looks.
    type: float
    default: 5
  report_interval:
    description: Seconds between two progress lines while the count stays the same.
    type: float
    default: 60
attributes:
  check_mode:
    support: full
    description: Reads only (check mode starts nothing to wait for, and writes nothing again).
  diff_mode:
    support: none
    description: Reports no diff.
  platform:
    platforms: posix
    description: Runs on the controller.
extends_documentation_fragment:
  - action_common_attributes
  - aigateway.foundry.progress
  - aigateway.foundry.azure
"""

EXAMPLES = r"""
- name: Start the accounts, all at once
  aigateway.foundry.cognitive_account:
    resource_group: rg-aigw
    name: "{{ item }}"
    wait: false
  loop: [models-1, models-2]
  register: starts

- name: Wait for them, listing the resource group's accounts
  aigateway.foundry.await_listed:
    module: cognitive_account_info
    resource_group: rg-aigw
    wanted: "{{ starts.results | aigateway.foundry.written_paths }}"
    write_module: cognitive_account
    writes: "{{ starts.results }}"
    what: Foundry account
    kind: account
    timeout: 1800
  register: accounts
"""

RETURN = r"""
resources:
  description: The resources of the last look, as Resource Manager lists them.
  returned: always
  type: list
  elements: dict
waited_seconds:
  description: Seconds the task waited.
  returned: success
  type: float
  sample: 61.5
"""
