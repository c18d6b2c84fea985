# -*- coding: utf-8 -*-
# Copyright: contributors to aigateway.foundry
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

# Each fragment below is whole: a module names one of them and aigateway.foundry.azure, nothing else.  The parts
# are composed here so that each text is written once.

_STATE = r"""
  state:
    description: Whether the resource should exist.
    type: str
    choices: [present, absent]
    default: present"""

_RESOURCE_GROUP = r"""
  resource_group:
    description: The resource group the resource is in.
    type: str
    required: true
    aliases: [resource_group_name]"""

# Where Target.location (module_utils/arm_resource.py) looks when the option is omitted.
_LOCATION = r"""
  location:
    description: The Azure region. Defaults to the resource group's location.
    type: str"""

_APIM_SERVICE = r"""
  resource_group:
    description: The resource group of the API Management service.
    type: str
    required: true
    aliases: [resource_group_name]
  service:
    description: The API Management service's name.
    type: str
    required: true
    aliases: [service_name]"""

_ACCOUNT = r"""
  resource_group:
    description: The resource group of the account.
    type: str
    required: true
    aliases: [resource_group_name]
  account:
    description: The Cognitive Services (Microsoft Foundry) account's name.
    type: str
    required: true
    aliases: [account_name]"""

# The descriptions are ansible.builtin.action_common_attributes'; a module may add details to one attribute.
_ATTRIBUTES = r"""
attributes:
  check_mode:
    description: Can run in check_mode and return changed status prediction without modifying target, if not
      supported the action will be skipped.
    support: full
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff
      mode
    support: %s
  platform:
    description: Target OS/families that can be operated against
    support: N/A
    platforms: posix
"""


def _managed(*placement):
    """A managed resource's fragment: its placement options, state, and full check and diff mode."""
    return "\noptions:" + "".join(placement) + _STATE + _ATTRIBUTES % "full"


class ModuleDocFragment(object):
    """What modules share, one fragment per placement, as module_utils/arm_resource.py's argument-spec fragments
    declare them (resource_group_spec, apim_child_spec, account_child_spec).  A module documents only its own
    options; it may override one field of a fragment's option (a more precise description).
    """

    # Tags added to the resource's current tags, or set exactly with purge_tags (arm_resource.TAGS_SPEC).
    TAGS = r"""
options:
  tags:
    description:
      - Tags to set on the resource (values are stored as strings). Omitted, the resource's tags are left as they are.
    type: dict
  purge_tags:
    description:
      - With V(true), the resource ends with exactly O(tags) (tags not given are removed). With V(false), the given
        tags are added to the existing ones (a given key takes the given value; others stay).
      - "For azure.azcollection users: V(false) is what O(tags) does there with C(append_tags: true), its default;
        V(true) is C(append_tags: false). This collection has no C(append_tags) option."
    type: bool
    default: false
"""


# Composed from the parts above, so outside the class body: ansible-test's yamllint reads only literal strings
# there.  The plugin loader, ansible-doc and validate-modules read these attributes like any other.

# A managed resource with no placement option (the resource group itself, a resource provider).
ModuleDocFragment.DOCUMENTATION = _managed()

# A managed resource directly in a resource group.
ModuleDocFragment.RESOURCE_GROUP = _managed(_RESOURCE_GROUP)

# The same with the location option (the resource group's location when omitted).
ModuleDocFragment.RESOURCE_GROUP_LOCATION = _managed(_RESOURCE_GROUP, _LOCATION)

# A managed child resource of an API Management service.
ModuleDocFragment.APIM_CHILD = _managed(_APIM_SERVICE)

# A managed child resource of a Cognitive Services (Microsoft Foundry) account.
ModuleDocFragment.ACCOUNT_CHILD = _managed(_ACCOUNT)

# A module that only reads: check mode runs it as usual, there is nothing to diff.
ModuleDocFragment.READ_ONLY = "\noptions: {}" + _ATTRIBUTES % "none"

# A module that only reads the children of one API Management service.
ModuleDocFragment.APIM_SERVICE_READ_ONLY = "\noptions:" + _APIM_SERVICE + _ATTRIBUTES % "none"

# A module that only reads the children of one Cognitive Services (Microsoft Foundry) account.
ModuleDocFragment.ACCOUNT_READ_ONLY = "\noptions:" + _ACCOUNT + _ATTRIBUTES % "none"
