# -*- coding: utf-8 -*-
# Copyright: contributors to aigateway.foundry
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""aigateway.foundry.model_deployment_info runs in the task's worker when it would run on the controller (see in_process)."""
from __future__ import annotations

from ansible_collections.aigateway.foundry.plugins.plugin_utils.in_process import ActionModule

__all__ = ["ActionModule"]
