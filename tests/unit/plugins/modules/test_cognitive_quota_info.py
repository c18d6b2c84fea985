"""cognitive_quota_info and its planning (module_utils/quota_plan): which usage name a deployment takes and what does not fit."""
import datetime

import pytest

from ansible_collections.aigateway.foundry.plugins.module_utils import quota_plan as plan
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
    assert plan.shortfalls("sc", [item(10), item(10)], MODELS, USAGES, {}) == []
    [short] = plan.shortfalls("sc", [item(10), item(11)], MODELS, USAGES, {})
    assert (short["asked"], short["free"], short["used"], short["limit"]) == (21, 20, 30, 50)


def test_what_the_deployments_already_hold_is_free_for_them():
    assert plan.shortfalls("sc", [item(40)], MODELS, USAGES, {"OpenAI.GlobalStandard.gpt-4o-mini": 20}) == []


def test_a_usage_the_region_does_not_list_has_no_room():
    [short] = plan.shortfalls("sc", [item(1, sku_name="Standard")], MODELS, USAGES, {})
    assert (short["free"], short["usage_name"]) == (0, "OpenAI.Standard.gpt-4o-mini")


def test_models_versions_and_skus_not_offered():
    assert plan.offered_usage_name(MODELS, item(1, model_version=None)) == "OpenAI.GlobalStandard.gpt-4o-mini"
    for other in (item(1, model_version="2020-01-01"), item(1, sku_name="ProvisionedManaged"),
                  item(1, model_name="gpt-5"), item(1, model_format="Mistral")):
        assert plan.offered_usage_name(MODELS, other) is None
        assert "is not offered in sc" in plan.shortfalls("sc", [other], MODELS, USAGES, {})[0]["message"]


def checked(**params):
    """validate's verdict on the module's parameters, as main() reaches it."""
    params = dict(dict(locations=["sc"], hosts=None, deployments=[], resource_group=None, account=None), **params)
    hosts, problem = info.host_items(params)
    return problem or info.validate(params, hosts)


def test_validation():
    assert checked(locations=[]) is not None
    assert checked(locations=[" "]) is not None
    assert checked(deployments=[item(1)]) is None
    assert "together" in checked(account="a", deployments=[item(1)])
    assert "must be 1 or more" in checked(deployments=[item(0)])


def test_validation_of_hosts():
    host = dict(name="models-1", location="sc", deployments=[item(1)], backend="b1")   # extra keys ignored
    assert checked(hosts=[host], resource_group="rg") is None
    assert checked(hosts=[host]) == "hosts needs resource_group (to count what existing accounts hold)"
    assert checked(hosts=[host], account="a", resource_group="rg") == (
        "give hosts, or account and deployments, not both")
    assert checked(hosts=[dict(host, location=None)], locations=[], resource_group="rg") == (
        "host models-1 needs a location, or locations to fall back to, and no empty one")
    assert checked(hosts=[dict(host, name="")], resource_group="rg") == "host 1 (?): needs a name"
    assert checked(hosts=[dict(host, deployments=[item(0)])], resource_group="rg") == (
        "capacity of gpt-4o-mini GlobalStandard must be 1 or more, not 0")
    [placed] = info.host_items(dict(hosts=[dict(host, location="ne")], locations=["sc", "ne"], deployments=[],
                                    account=None))[0]
    assert placed["locations"] == ["ne", "sc"]


def host(name, capacity, *locations):
    return dict(name=name, locations=list(locations), deployments=[item(capacity, name="mini")])


def regions(**usages):
    """catalogue(location) with MODELS and a gpt-4o-mini GlobalStandard usage of (used, limit) per region."""
    return lambda location: (MODELS, [{"name": {"value": "OpenAI.GlobalStandard.gpt-4o-mini"},
                                       "currentValue": usages[location][0], "limit": usages[location][1]}])


def test_hosts_share_a_region_s_quota():
    # 20 free in sc: the first two hosts of 10 fit, the third does not, though each alone would.
    placed = plan.place([host("a", 10, "sc"), host("b", 10, "sc"), host("c", 10, "sc")], regions(sc=(30, 50)), {})
    assert [entry["location"] for entry in placed] == ["sc", "sc", None]
    [short] = placed[2]["shortfalls"]
    assert (short["asked"], short["free"]) == (10, 0)


def test_a_host_that_does_not_fit_falls_back_and_leaves_room_for_the_next():
    placed = plan.place([host("a", 25, "sc", "ne"), host("b", 20, "sc")], regions(sc=(30, 50), ne=(0, 100)), {})
    assert [entry["location"] for entry in placed] == ["ne", "sc"]
    assert [region["fits"] for region in placed[0]["regions"]] == [False, True]


def test_a_region_is_one_however_it_is_spelled():
    # An existing account reports "Sweden Central"; a new host names swedencentral: they share its 20 free.
    current = {"a": []}
    catalogue = regions(**{"Sweden Central": (30, 50), "swedencentral": (30, 50)})
    placed = plan.place([host("a", 15, "Sweden Central"), host("b", 10, "swedencentral")], catalogue, current)
    assert [entry["location"] for entry in placed] == ["Sweden Central", None]


def test_what_existing_accounts_hold_is_free_for_their_own_deployments_only_once():
    current = {"a": [{"name": "mini", "sku": {"name": "GlobalStandard", "capacity": 10},
                      "properties": {"model": {"name": "gpt-4o-mini", "format": "OpenAI"}}}]}
    # 10 used of 20 are a's own: a fits again with 10, and b then finds the other 10.
    placed = plan.place([host("a", 10, "sc"), host("b", 10, "sc"), host("c", 1, "sc")], regions(sc=(10, 20)),
                        current)
    assert [entry["location"] for entry in placed] == ["sc", "sc", None]


def test_deployment_items_keep_what_the_module_reads():
    items, problem = info.deployment_items([dict(item(5), rai_policy_name="x", capacity="5")])
    assert problem is None and items == [item(5)]
    assert info.deployment_items([{"model_name": "m", "sku_name": "s", "capacity": "ten"}])[1] == (
        "capacity of m must be a whole number, not 'ten'")


def test_a_model_the_region_does_not_know_is_said_unknown_there_with_the_closest_name():
    [short] = plan.shortfalls("sc", [item(1, model_name="gpt-4o-mni")], MODELS, USAGES, {})
    assert short["message"] == ("gpt-4o-mni 2024-07-18 GlobalStandard is not offered in sc: the region's model "
                                "catalogue has no model gpt-4o-mni (did you mean 'gpt-4o-mini'?) (a model name, not "
                                "a quota matter)")
    # a known model in a version the region lacks is not called unknown
    [short] = plan.shortfalls("sc", [item(1, model_version="2020-01-01")], MODELS, USAGES, {})
    assert short["message"] == "gpt-4o-mini 2020-01-01 GlobalStandard is not offered in sc"


def lifecycle_models(status, retires):
    return [{"model": dict(MODELS[0]["model"], lifecycleStatus=status,
                           deprecation={"inference": retires + "T00:00:00Z"})}]


def test_a_retired_model_version_fits_nowhere_and_says_when_it_retired():
    models = lifecycle_models("Deprecated", "2026-10-16")
    [short] = plan.shortfalls("sc", [item(1)], models, USAGES, {}, datetime.date(2026, 12, 7))
    assert (short["free"], short["version"]) == (0, "2024-07-18")
    assert "gpt-4o-mini 2024-07-18 is retired in sc" in short["message"] and "2026-10-16" in short["message"]
    [placed] = plan.place([dict(name="h", locations=["sc"], deployments=[item(1)])],
                          lambda location: (models, USAGES), {}, datetime.date(2026, 12, 7))
    assert placed["location"] is None and placed["lifecycle"] == []


def test_an_ageing_model_version_fits_with_a_note_naming_its_date():
    models = lifecycle_models("Deprecating", "2027-04-14")
    assert plan.shortfalls("sc", [item(1)], models, USAGES, {}, datetime.date(2026, 12, 7)) == []
    [placed] = plan.place([dict(name="h", locations=["sc"], deployments=[item(1, model_version=None)])],
                          lambda location: (models, USAGES), {}, datetime.date(2026, 12, 7))
    [note] = placed["lifecycle"]
    assert placed["location"] == "sc"
    assert (note["state"], note["status"], note["retires"], note["version"]) == (
        "ageing", "Deprecating", "2027-04-14", "2024-07-18")
    assert "retires on 2027-04-14" in note["message"]


def test_with_no_version_asked_the_default_version_is_judged():
    old = dict(MODELS[0]["model"], version="2024-05-13", isDefaultVersion=False, lifecycleStatus="Deprecated",
               deprecation={"inference": "2026-10-01T00:00:00Z"})
    new = dict(MODELS[0]["model"], version="2024-11-20", isDefaultVersion=True, lifecycleStatus="GenerallyAvailable")
    models = [{"model": old}, {"model": new}]
    assert plan.shortfalls("sc", [item(1, model_version=None)], models, USAGES, {}, datetime.date(2026, 12, 7)) == []
    assert plan.shortfalls("sc", [item(1, model_version="2024-05-13")], models, USAGES, {},
                           datetime.date(2026, 12, 7))[0]["free"] == 0


def test_region_capacity_is_not_quota():
    """Quota left (20 free) but the region can host only 4 more: a shortfall naming modelCapacities."""
    capacity = {("gpt-4o-mini", "2024-07-18", "globalstandard"): 4.0}
    [short] = plan.shortfalls("sc", [item(5)], MODELS, USAGES, {}, None, capacity)
    assert (short["asked"], short["free"], short["limit"]) == (5, 4, None)
    assert short["message"] == ("gpt-4o-mini 2024-07-18 GlobalStandard in sc: 5 capacity asked, the region has 4 "
                                "available (modelCapacities: region capacity, not quota, is short)")
    assert plan.shortfalls("sc", [item(4)], MODELS, USAGES, {}, None, capacity) == []
    # what the deployments already hold needs no new capacity; a model version not read is not judged
    assert plan.shortfalls("sc", [item(5)], MODELS, USAGES, {"OpenAI.GlobalStandard.gpt-4o-mini": 1}, None,
                           capacity) == []
    assert plan.shortfalls("sc", [item(5)], MODELS, USAGES, {}, None, {}) == []


def test_hosts_share_a_region_s_capacity_and_fall_back_when_it_is_short():
    def capacity(location, deployments):
        return {("gpt-4o-mini", "2024-07-18", "globalstandard"): 15.0 if location == "sc" else 100.0}
    placed = plan.place([host("a", 10, "sc", "we"), host("b", 10, "sc", "we")], regions(sc=(0, 50), we=(0, 50)), {},
                        region_capacity=capacity)
    assert [entry["location"] for entry in placed] == ["sc", "we"]
    assert "the region has 5 available" in placed[1]["shortfalls"][0]["message"]


def test_a_model_unknown_in_its_region_names_the_regions_that_have_it():
    offering = {"gpt-5": ["eastus2", "swedencentral"]}.get
    [short] = plan.shortfalls("westeurope", [item(1, model_name="gpt-5")], MODELS, USAGES, {},
                              offering=lambda name: offering(name, []))
    assert short["message"] == ("gpt-5 2024-07-18 GlobalStandard is not offered in westeurope: the region's model "
                                "catalogue has no model gpt-5 (a model name, not a quota matter); regions that offer "
                                "it: eastus2, swedencentral")
    [short] = plan.shortfalls("sc", [item(1, model_name="gpt-4o-mni")], MODELS, USAGES, {}, offering=lambda name: [])
    assert short["message"].endswith("(a model name, not a quota matter); no region of the subscription offers it")
    # a long list is cut, saying how many more
    many = ["region%02d" % n for n in range(11)]
    [short] = plan.shortfalls("sc", [item(1, model_name="gpt-5")], MODELS, USAGES, {}, offering=lambda name: many)
    assert short["message"].endswith("regions that offer it: %s and 3 more" % ", ".join(many[:8]))


def test_the_regions_that_offer_a_model_are_read_once_each_and_only_for_an_unknown_model():
    reads = []

    class Models(object):
        @staticmethod
        def list(location):
            reads.append(location)
            return MODELS if location == "eastus2" else []

    class Module(object):
        def client(self, name):
            return type("Client", (), {"models": Models})()

        def list_all(self, what, method, *args, **kwargs):
            assert set(kwargs) <= {"raw_response_hook"}
            return method(*args)

        def offered_locations(self, type_name):
            assert type_name == "Microsoft.CognitiveServices/accounts"
            return ["East US 2", "westeurope"]

    reader = info.Reader(Module())
    assert reader.offering("GPT-4o-mini") == ["eastus2"]
    assert reader.offering("gpt-5") == []
    assert sorted(reads) == ["eastus2", "westeurope"]


class Answer(object):
    def __init__(self, date):
        self.http_response = type("Http", (), {"headers": {"Date": date} if date is not None else {}})()


@pytest.mark.parametrize("header, day", [
    ("Wed, 14 Apr 2027 23:59:59 GMT", datetime.date(2027, 4, 14)),
    ("Thu, 15 Apr 2027 01:00:00 +0200", datetime.date(2027, 4, 14)),   # read in UTC
    ("Wednesday, 14-Apr-27 08:00:00 GMT", datetime.date(2027, 4, 14)),   # RFC 850, obsolete but allowed
    ("", None), ("yesterday", None), (None, None),
])
def test_the_date_of_an_answer_is_its_date_header_in_utc(header, day):
    assert info.answer_date(Answer(header).http_response) == day


def test_today_is_the_latest_date_azure_answered_the_catalogue_on():
    reader = info.Reader(type("Module", (), {"client": lambda self, name: None})())
    for header in ("Wed, 14 Apr 2027 23:59:59 GMT", "Thu, 15 Apr 2027 00:00:01 GMT", "Wed, 14 Apr 2027 12:00:00 GMT"):
        reader.note_date(Answer(header))
    assert reader.today() == datetime.date(2027, 4, 15)
