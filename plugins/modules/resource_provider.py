#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to aigateway.foundry
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: resource_provider
short_description: Register or unregister an Azure resource provider in a subscription
version_added: 0.1.0
description:
  - Ensures a resource provider namespace (for example V(Microsoft.ApiManagement)) is registered in the
    subscription, and waits until its registration state is C(Registered); or unregisters it.
  - A subscription must have a provider registered before resources of its types can be created; the preflight
    registers every namespace the gateway uses.
  - Idempotent (an already registered provider is only read), with check mode (predicts the state without
    writing) and diff mode.
author:
  - aigateway.foundry maintainers (@aigateway)
extends_documentation_fragment: [aigateway.foundry.resource, aigateway.foundry.azure, aigateway.foundry.azure.WAIT]
options:
  namespace:
    description: The resource provider namespace, for example V(Microsoft.CognitiveServices).
    type: str
    required: true
  state:
    description: Whether the provider should be registered.
    type: str
    choices: [registered, unregistered]
    default: registered
"""

EXAMPLES = r"""
- name: The providers the gateway needs
  aigateway.foundry.resource_provider:
    namespace: "{{ item }}"
  loop:
    - Microsoft.ApiManagement
    - Microsoft.CognitiveServices
    - Microsoft.Insights
    - Microsoft.OperationalInsights
    - Microsoft.Cache
"""

RETURN = r"""
id:
  description: The provider's resource id in the subscription.
  returned: always
  type: str
  sample: /subscriptions/00000000-0000-0000-0000-000000000000/providers/Microsoft.ApiManagement
registration_state:
  description: The registration state (predicted in check mode), for example C(Registered) or C(NotRegistered).
  returned: always
  type: str
  sample: Registered
state:
  description: The provider as Resource Manager returns it (predicted in check mode).
  returned: always
  type: dict
"""

from ansible_collections.aigateway.foundry.plugins.module_utils.azure_clients import API_VERSIONS
from ansible_collections.aigateway.foundry.plugins.module_utils.azure_module import AzureModule, Wait
from ansible_collections.aigateway.foundry.plugins.module_utils.azure_state import diff_view, merge

API_VERSION = API_VERSIONS["Microsoft.Resources/providers"]
ARGUMENT_SPEC = dict(
    namespace=dict(type="str", required=True),
    state=dict(type="str", choices=["registered", "unregistered"], default="registered"),
)


def target_state(state):
    return "Registered" if state == "registered" else "NotRegistered"


def is_settled(registration_state, state):
    """Whether the registration state already is what the task asks for."""
    value = (registration_state or "").lower()
    if state == "registered":
        return value == "registered"
    return value in ("notregistered", "unregistered")


def provider_path(subscription_id, namespace):
    return "/subscriptions/%s/providers/%s" % (subscription_id, namespace)


def describe(module, namespace):
    path = provider_path(module.subscription_id, namespace)
    status, body = module.call("read resource provider %s" % namespace, module.rest, "GET", path, API_VERSION)
    if status == 404 or body is None:
        module.fail("resource provider %s not found in subscription %s (check the namespace's spelling)"
                    % (namespace, module.subscription_id))
    return body


def wait_until(module, namespace, state, body):
    """Read until the registration state is settled; honours wait and wait_timeout on the module's clock."""
    if not module.params["wait"] or is_settled(body.get("registrationState"), state):
        return body
    return module.wait_for(Wait("resource provider %s" % namespace, lambda: describe(module, namespace),
                                lambda read: is_settled(read.get("registrationState"), state),
                                module.params["wait_timeout"],
                                progress=lambda read: "still %s" % read.get("registrationState")))


def ensure(module, namespace, current):
    state = module.params["state"]
    if is_settled(current.get("registrationState"), state):
        return False, current
    if module.check_mode:
        return True, merge(current, {"registrationState": target_state(state)})
    action = "register" if state == "registered" else "unregister"
    path = "%s/%s" % (provider_path(module.subscription_id, namespace), action)
    _status, body = module.call("%s resource provider %s" % (action, namespace), module.rest, "POST", path,
                                API_VERSION)
    return True, wait_until(module, namespace, state, body or describe(module, namespace))


def main():
    module = AzureModule(ARGUMENT_SPEC, long_running=True)
    namespace = module.params["namespace"]
    current = describe(module, namespace)
    changed, state = ensure(module, namespace, current)
    managed = {"registrationState": None}
    module.exit(changed, state, id=state.get("id") or provider_path(module.subscription_id, namespace),
                registration_state=state.get("registrationState"),
                before=diff_view(current, managed), after=diff_view(state, managed))


if __name__ == "__main__":
    main()
