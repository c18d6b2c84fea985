"""The controller-side actions (await_job, await_listed) check their options with their own ARGUMENT_SPEC, and their
module files only document them, so no sanity check compares the two: this test does. Every documented option
(the module's own and the aigateway.foundry.progress fragment's) is in the spec with the same type, elements,
required, default and choices, and nothing else is; await_listed's auth options (the azure fragment) are forwarded
to the modules it calls, so they are documented and never in the spec."""
from __future__ import annotations

import importlib

import pytest
import yaml

from ansible_collections.aigateway.foundry.plugins.doc_fragments.azure import ModuleDocFragment as AzureFragment
from ansible_collections.aigateway.foundry.plugins.doc_fragments.progress import ModuleDocFragment as ProgressFragment

FRAGMENTS = {"aigateway.foundry.progress": ProgressFragment, "aigateway.foundry.azure": AzureFragment}
# Fragments whose options the action forwards to the modules it calls instead of taking them itself.
FORWARDED = {"aigateway.foundry.azure"}


def documented(name):
    """The options a module file documents, its fragments' options merged: (taken, forwarded)."""
    doc = yaml.safe_load(importlib.import_module(
        "ansible_collections.aigateway.foundry.plugins.modules." + name).DOCUMENTATION)
    taken, forwarded = dict(doc["options"]), {}
    for fragment in doc.get("extends_documentation_fragment", []):
        if fragment in FRAGMENTS:
            options = yaml.safe_load(FRAGMENTS[fragment].DOCUMENTATION).get("options", {})
            (forwarded if fragment in FORWARDED else taken).update(options)
    return taken, forwarded


def as_spec(option):
    """A documented option in ARGUMENT_SPEC's terms (what an unset key means there: not required, no default)."""
    spec = dict((key, option[key]) for key in ("type", "elements", "default", "choices") if key in option)
    if option.get("required"):
        spec["required"] = True
    return spec


@pytest.mark.parametrize("name", ["await_job", "await_listed"])
def test_the_action_takes_exactly_the_options_its_module_documents(name):
    spec = importlib.import_module("ansible_collections.aigateway.foundry.plugins.action." + name).ActionModule.ARGUMENT_SPEC
    taken, forwarded = documented(name)
    assert sorted(spec) == sorted(taken)
    for option, documentation in taken.items():
        held = dict(spec[option])
        if "choices" in held:
            held["choices"] = sorted(held["choices"])
        expected = as_spec(documentation)
        if "choices" in expected:
            expected["choices"] = sorted(expected["choices"])
        assert held == expected, option
    assert not set(spec) & set(forwarded)
