"""cognitive_quota_info's pure functions: which usage name a deployment takes and what does not fit."""
from ansible_collections.aigateway.foundry.plugins.modules import cognitive_quota_info as info

MODELS = [{"model": {"format": "OpenAI", "name": "gpt-4o-mini", "version": "2024-07-18",
                     "skus": [{"name": "GlobalStandard", "usageName": "OpenAI.GlobalStandard.gpt-4o-mini"},
                              {"name": "Standard", "usageName": "OpenAI.Standard.gpt-4o-mini"}]}}]
USAGES = [{"name": {"value": "OpenAI.GlobalStandard.gpt-4o-mini"}, "currentValue": 30.0, "limit": 50.0}]


def item(capacity, **overrides):
    base = dict(model_name="gpt-4o-mini", model_version="2024-07-18", model_format="OpenAI",
                sku_name="GlobalStandard", capacity=capacity, name=None)
    base.update(overrides)
    return base


def test_deployments_of_one_usage_name_add_up():
    assert info.shortfalls("sc", [item(10), item(10)], MODELS, USAGES, {}) == []
    [short] = info.shortfalls("sc", [item(10), item(11)], MODELS, USAGES, {})
    assert (short["asked"], short["free"], short["used"], short["limit"]) == (21, 20, 30, 50)


def test_what_the_deployments_already_hold_is_free_for_them():
    assert info.shortfalls("sc", [item(40)], MODELS, USAGES, {"OpenAI.GlobalStandard.gpt-4o-mini": 20}) == []


def test_a_usage_the_region_does_not_list_has_no_room():
    [short] = info.shortfalls("sc", [item(1, sku_name="Standard")], MODELS, USAGES, {})
    assert (short["free"], short["usage_name"]) == (0, "OpenAI.Standard.gpt-4o-mini")


def test_models_versions_and_skus_not_offered():
    assert info.offered_usage_name(MODELS, item(1, model_version=None)) == "OpenAI.GlobalStandard.gpt-4o-mini"
    for other in (item(1, model_version="2020-01-01"), item(1, sku_name="ProvisionedManaged"),
                  item(1, model_name="gpt-5"), item(1, model_format="Mistral")):
        assert info.offered_usage_name(MODELS, other) is None
        assert "is not offered in sc" in info.shortfalls("sc", [other], MODELS, USAGES, {})[0]["message"]


def test_validation():
    where = dict(locations=["sc"], resource_group=None, account=None)
    assert info.validate(dict(where, locations=[]), []) is not None
    assert info.validate(dict(where, locations=[" "]), []) is not None
    assert info.validate(where, [item(1)]) is None
    assert "together" in info.validate(dict(where, account="a"), [item(1)])
    assert "must be 1 or more" in info.validate(where, [item(0)])


def test_deployment_items_keep_what_the_module_reads():
    items, problem = info.deployment_items([dict(item(5), rai_policy_name="x", capacity="5")])
    assert problem is None and items == [item(5)]
    assert info.deployment_items([{"model_name": "m", "sku_name": "s", "capacity": "ten"}])[1] == (
        "capacity of m must be a whole number, not 'ten'")
