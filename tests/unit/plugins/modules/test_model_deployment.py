"""Pure functions of model_deployment."""
from ansible_collections.aigateway.foundry.plugins.modules import model_deployment as module
from ansible_collections.aigateway.foundry.plugins.module_utils.azure_state import differences


def params(**extra):
    base = {"name": "gpt-4o-mini", "model_name": "gpt-4o-mini", "model_version": "2024-07-18",
            "model_format": "OpenAI", "sku_name": "GlobalStandard", "capacity": 10,
            "rai_policy_name": "Microsoft.DefaultV2", "version_upgrade_option": None, "state": "present"}
    base.update(extra)
    return base


CURRENT = {"sku": {"name": "GlobalStandard", "capacity": 10},
           "properties": {"model": {"format": "OpenAI", "name": "gpt-4o-mini", "version": "2024-07-18"},
                          "raiPolicyName": "Microsoft.DefaultV2", "versionUpgradeOption": "OnceNewDefaultVersionAvailable",
                          "provisioningState": "Succeeded"}}


def test_desired_body_is_the_lab_shape():
    assert module.desired_body(params(), None) == {
        "sku": {"name": "GlobalStandard", "capacity": 10},
        "properties": {"model": {"format": "OpenAI", "name": "gpt-4o-mini", "version": "2024-07-18"},
                       "raiPolicyName": "Microsoft.DefaultV2"}}


def test_comparison():
    assert differences(module.desired_body(params(model_name="GPT-4o-mini"), CURRENT), CURRENT,
                       normalisers=module.NORMALISERS) == []
    assert differences(module.desired_body(params(capacity=20), CURRENT), CURRENT,
                       normalisers=module.NORMALISERS) == ["sku.capacity"]
    # Without a version, Azure's choice stands.
    assert differences(module.desired_body(params(model_version=None), CURRENT), CURRENT,
                       normalisers=module.NORMALISERS) == []


def test_validation():
    assert "model_name is required" in module.validate(params(model_name=None), None)
    assert module.validate(params(model_name=None), CURRENT) is None
    assert "capacity" in module.validate(params(capacity=0), None)
    assert "cannot change" in module.validate(params(model_name="gpt-4.1-mini"), CURRENT)
    assert module.validate(params(model_version="2025-01-01"), CURRENT) is None
