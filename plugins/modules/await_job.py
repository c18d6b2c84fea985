#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to aigateway.foundry
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# The work is done by the action plugin of the same name, on the controller (plugins/action/await_job.py).
from __future__ import annotations

DOCUMENTATION = r"""
module: await_job
short_description: Wait for an async job and show its progress
version_added: 0.2.0
description:
  - Waits for a job started with C(async) and C(poll=0), as C(ansible.builtin.async_status) with C(until) and
    C(retries) would, but prints one progress line when the job's state changes and one every O(report_interval)
    seconds, naming what is awaited, its state, the time waited and how long it typically takes on Azure;
    at the end, the time it took. No C(FAILED - RETRYING) line.
  - Looking at the job reads the job file only; it makes no Azure request.
  - Returns the job's result as C(ansible.builtin.async_status) does once the job finished; a job that failed fails
    the task with the module's message.
author:
  - aigateway.foundry maintainers (@aigateway)
options:
  jid:
    description: The job id (C(ansible_job_id)) of the task started with C(async) and C(poll=0).
    type: str
    required: true
  what:
    description: What is awaited, as the progress lines say it, for example C(API Management service aigw-apim).
    type: str
    required: true
  sku:
    description: The SKU, where the typical duration depends on it (API Management's create).
    type: str
  timeout:
    description:
      - Seconds to wait at most; then the task fails saying what is still running and how long it was awaited.
      - Give the module's own C(wait_timeout) plus a margin, so the module's own message comes first.
    type: int
    required: true
  delay:
    description: Seconds between two looks at the job.
    type: float
    default: 5
  report_interval:
    description: Seconds between two progress lines while the state stays the same.
    type: float
    default: 60
attributes:
  check_mode:
    support: full
    description: Waits for the job in check mode too (the job itself honours check mode).
  diff_mode:
    support: none
    description: Reports no diff; the awaited module's result carries its own.
  platform:
    platforms: posix
    description: Runs on the controller.
extends_documentation_fragment:
  - action_common_attributes
  - aigateway.foundry.progress
"""

EXAMPLES = r"""
- name: Start the service's create (an async job)
  aigateway.foundry.apim_service:
    resource_group: rg-aigw
    name: aigw-apim
    publisher_email: ops@example.com
    publisher_name: Ops
  async: 3660
  poll: 0
  register: apim_job

- name: Wait for API Management
  aigateway.foundry.await_job:
    jid: "{{ apim_job.ansible_job_id }}"
    what: API Management service aigw-apim
    kind: apim_create
    sku: Developer
    timeout: 3660
  register: apim_result
"""

RETURN = r"""
finished:
  description: Whether the job finished (always true when the task succeeds).
  returned: always
  type: bool
waited_seconds:
  description: Seconds the task waited for the job.
  returned: success
  type: float
  sample: 74.2
"""
