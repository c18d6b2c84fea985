# -*- coding: utf-8 -*-
# Copyright: contributors to aigateway.foundry
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The action plugin of every module of the collection (meta/runtime.yml routes each module's action here): the
module runs in the task's worker when it would run on the controller with the controller's Python, else as a module
process (see plugins/plugin_utils/in_process.py)."""
from __future__ import annotations

from ansible_collections.aigateway.foundry.plugins.plugin_utils.in_process import ActionModule

__all__ = ["ActionModule"]
