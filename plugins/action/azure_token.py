# -*- coding: utf-8 -*-
# Copyright: contributors to aigateway.foundry
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one action plugin of every module of the collection: azure_token's by its name, every other module's through
meta/runtime.yml (plugin_routing.modules.<module>.action_plugin, which names the handler without
redirecting the action). The module runs in the task's worker when it would run on
the controller with the controller's Python, else as a module process (plugins/plugin_utils/in_process.py).

It carries a module's name because ansible-test's action-plugin-docs check wants every action plugin to have a
module that documents it, and the collection keeps its sanity ignore files empty."""
from __future__ import annotations

from ansible_collections.aigateway.foundry.plugins.plugin_utils.in_process import ActionModule

__all__ = ["ActionModule"]
