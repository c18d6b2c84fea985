"""Test controls of Microsoft.Authorization, under /localazure/authorization/: the role propagation delay and the
principal replication window (propagation.py)."""
from __future__ import annotations

from localazure.services import Control, Env, settings_controls
from localazure.services.authorization import propagation


def controls(env: Env) -> list[Control]:
    return settings_controls(env, "propagation", "InvalidPropagation", propagation.settings, propagation.configure,
                             propagation.reset)
