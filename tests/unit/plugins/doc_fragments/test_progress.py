"""The progress fragment's kinds are the typical durations' (the actions refuse any other kind)."""
from __future__ import annotations

import yaml

from ansible_collections.aigateway.foundry.plugins.doc_fragments.progress import ModuleDocFragment
from ansible_collections.aigateway.foundry.plugins.module_utils.typical_waits import TYPICAL


def test_the_documented_kinds_are_the_kinds_with_a_typical_duration():
    documented = yaml.safe_load(ModuleDocFragment.DOCUMENTATION)["options"]["kind"]["choices"]
    assert documented == sorted(TYPICAL)
