# -*- coding: utf-8 -*-
# Copyright: contributors to aigateway.foundry
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment(object):
    """What every managed resource's module shares (state, full check and diff mode), and the options that place
    the resource, as module_utils/arm_resource.py's argument-spec fragments declare them (resource_group_spec,
    apim_child_spec, account_child_spec).  A module documents only its own options; it may override a description.
    """

    # A managed resource: present or absent, with full check and diff mode.  Goes with one of the placements below
    # and ansible.builtin.action_common_attributes (which describes the attributes).
    DOCUMENTATION = r"""
options:
  state:
    description: Whether the resource should exist.
    type: str
    choices: [present, absent]
    default: present
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
  platform:
    platforms: posix
"""

    # A module that only reads: check mode runs it as usual, there is nothing to diff.
    READ_ONLY = r"""
options: {}
attributes:
  check_mode:
    support: full
  diff_mode:
    support: none
  platform:
    platforms: posix
"""

    # Placement: directly in a resource group.
    RESOURCE_GROUP = r"""
options:
  resource_group:
    description: The resource group the resource is in.
    type: str
    required: true
"""

    # Placement: a child resource of an API Management service.
    APIM_CHILD = r"""
options:
  resource_group:
    description: The resource group of the API Management service.
    type: str
    required: true
  service:
    description: The API Management service's name.
    type: str
    required: true
"""

    # Placement: a child resource of a Cognitive Services (Microsoft Foundry) account.
    ACCOUNT_CHILD = r"""
options:
  resource_group:
    description: The resource group of the account.
    type: str
    required: true
  account:
    description: The Cognitive Services (Microsoft Foundry) account's name.
    type: str
    required: true
"""
