"""apim_service: input validation, the desired body, tier rules, soft-delete records and the comparison."""
import pytest

from ansible_collections.aigateway.foundry.plugins.modules import apim_service as m
from ansible_collections.aigateway.foundry.plugins.module_utils.soft_delete import API_MANAGEMENT_SERVICES, Recovery
from ansible_collections.aigateway.foundry.plugins.module_utils.azure_state import differences
from tests.unit.plugins.fakes import Failed, Poller, make_module


def params(**overrides):
    base = dict(resource_group="rg", name="apim-gw-01", location=None, sku_name="Standardv2", sku_capacity=None,
                publisher_email="ops@example.com", publisher_name="Ops", identity="SystemAssigned",
                user_assigned_identities=None, public_network_access=None, release_channel=None, tags=None,
                purge_tags=False,
                soft_deleted="fail", purge=False, state="present", wait=True, wait_timeout=60)
    base.update(overrides)
    return base


CURRENT = {
    "id": "/subscriptions/s/resourceGroups/rg/providers/Microsoft.ApiManagement/service/apim-gw-01",
    "name": "apim-gw-01", "location": "Sweden Central", "etag": "AAAA",
    "sku": {"name": "StandardV2", "capacity": 1},
    "identity": {"type": "SystemAssigned", "principalId": "p", "tenantId": "t"},
    "properties": {"publisherEmail": "ops@example.com", "publisherName": "Ops", "provisioningState": "Succeeded",
                   "targetProvisioningState": "", "publicNetworkAccess": "Enabled",
                   "gatewayUrl": "https://apim-gw-01.azure-api.net"},
}


def test_create_needs_sku_and_publisher():
    assert "publisher_email" in m.validate(params(publisher_email=None), None)
    assert "sku_name" in m.validate(params(sku_name=None), None)
    assert m.validate(params(), None) is None


def test_name_rules():
    assert "1 to 50 characters" in m.validate(params(name="1apim"), None)
    assert "1 to 50 characters" in m.validate(params(name="apim-"), None)
    assert "1 to 50 characters" in m.validate(params(name="a" * 51), None)


def test_capacity_rules():
    assert "0 for the Consumption" in m.validate(params(sku_name="Consumption", sku_capacity=1), None)
    assert "at least 1" in m.validate(params(sku_capacity=0), None)
    assert m.desired_body(params(sku_name="Consumption"), None, "swedencentral")["sku"] == {
        "name": "Consumption", "capacity": 0}


def test_identity_rules():
    assert "needs user_assigned_identities" in m.validate(params(identity="UserAssigned"), None)
    assert "needs identity UserAssigned" in m.validate(params(user_assigned_identities=["/x"]), None)


def test_location_and_tier_family_are_immutable():
    assert "cannot change" in m.validate(params(location="eastus"), CURRENT)
    assert m.validate(params(location="swedencentral"), CURRENT) is None
    problem = m.validate(params(sku_name="Premium"), CURRENT)
    assert "cannot move it to Premium" in problem
    assert m.validate(params(sku_name="Basicv2"), CURRENT) is None


def test_purge_needs_wait():
    assert "needs wait" in m.validate(params(state="absent", purge=True, wait=False), None)


def test_desired_body_uses_spec_spelling_and_keeps_publisher_on_update():
    body = m.desired_body(params(publisher_email=None, publisher_name=None, tags={"n": 1}), CURRENT, "x")
    assert body["sku"] == {"name": "StandardV2", "capacity": 1}
    assert body["properties"] == {"publisherEmail": "ops@example.com", "publisherName": "Ops"}
    assert body["tags"] == {"n": "1"}
    current = dict(CURRENT, tags={"source": "ai-gateway"})
    assert m.desired_body(params(tags={"n": 1}), current, "x")["tags"] == {"source": "ai-gateway", "n": "1"}
    assert m.desired_body(params(tags={"n": 1}, purge_tags=True), current, "x")["tags"] == {"n": "1"}
    assert "location" not in m.patch_body(body)


def test_unchanged_service_compares_equal_despite_server_spelling():
    body = m.desired_body(params(location="swedencentral", public_network_access="Enabled"), CURRENT,
                          "swedencentral")
    assert differences(body, CURRENT, normalisers=m.NORMALISERS) == []
    assert differences(m.desired_body(params(sku_capacity=2), CURRENT, "swedencentral"), CURRENT,
                       normalisers=m.NORMALISERS) == ["sku.capacity"]


def test_identity_none_matches_a_service_without_identity():
    current = dict(CURRENT, identity=None)
    body = m.desired_body(params(identity="None"), current, "swedencentral")
    assert differences(body, current, normalisers=m.NORMALISERS) == []


def test_user_assigned_identity_keys_compare_case_insensitively():
    uid = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/gw"
    current = dict(CURRENT, identity={"type": "SystemAssigned, UserAssigned",
                                      "userAssignedIdentities": {uid.lower(): {"principalId": "x"}}})
    body = m.desired_body(params(identity="SystemAssigned, UserAssigned", user_assigned_identities=[uid]), current,
                          "swedencentral")
    assert differences(body, current, normalisers=m.NORMALISERS) == []


def test_sku_warning_names_the_supported_tiers():
    assert m.sku_warning("Standardv2") is None and m.sku_warning("Premium") is None
    warning = m.sku_warning("Basicv2")
    assert "only the Standard v2 and Premium tiers" in warning and "Basicv2" in warning


def test_settled_states():
    assert m.is_settled(CURRENT)
    activating = {"properties": {"provisioningState": "Created", "targetProvisioningState": "Activating"}}
    assert not m.is_settled(activating)
    assert not m.is_settled({"properties": {"provisioningState": "Updating"}})


class Service(object):
    """The api_management_service operations: reads answer ``current``; updates are recorded."""

    def __init__(self, current, order):
        self.current = current
        self.order = order

    def get(self, resource_group, name, cls=None):
        return (self.current, {})

    def begin_update(self, resource_group, name, body, cls=None):
        self.order.append("patch")
        return Poller(({"name": name, "tags": {"owner": "ops"}}, {}))


def activating_module(monkeypatch, wait, order):
    client = type("Client", (), {})()
    client.api_management_service = Service(ACTIVATING, order)
    given = dict((key, value) for key, value in params(wait=wait).items() if value is not None)
    module = make_module(m.ARGUMENT_SPEC, clients={"apimanagement": client}, **given)
    monkeypatch.setattr(m, "wait_until_settled", lambda *a: order.append("wait") or CURRENT)
    target = m.RESOURCE.describe(module)
    target.recovery = Recovery(API_MANAGEMENT_SERVICES)
    return module, target


ACTIVATING_PROPERTIES = dict(CURRENT["properties"], provisioningState="Created", targetProvisioningState="Activating")
ACTIVATING = dict(CURRENT, properties=ACTIVATING_PROPERTIES)


def test_change_while_activating_with_wait_false_fails_before_writing(monkeypatch):
    order = []
    module, target = activating_module(monkeypatch, False, order)
    desired = m.desired_body(params(tags={"owner": "ops"}), ACTIVATING, "Sweden Central")
    with pytest.raises(Failed, match="still Created .* wait: true"):
        m.RESOURCE.converge(module, target, desired)
    assert order == []


def test_unchanged_while_activating_with_wait_false_returns_the_state_as_it_is(monkeypatch):
    module, target = activating_module(monkeypatch, False, [])
    desired = m.desired_body(params(), ACTIVATING, "Sweden Central")
    changed, state = m.RESOURCE.converge(module, target, desired)
    assert changed is False and state["properties"]["provisioningState"] == "Created"


def test_change_while_activating_with_wait_true_waits_then_writes(monkeypatch):
    order = []
    module, target = activating_module(monkeypatch, True, order)
    desired = m.desired_body(params(tags={"owner": "ops"}), ACTIVATING, "Sweden Central")
    changed, state = m.RESOURCE.converge(module, target, desired)
    assert changed is True and order == ["wait", "patch"]


def test_release_channel_is_sent_at_the_version_that_defines_it():
    assert m.RESOURCE.version_options(params()) == {}
    body = m.desired_body(params(release_channel="Stable"), CURRENT, "swedencentral")
    assert body["properties"]["releaseChannel"] == "Stable"
    assert m.RESOURCE.version_options(params(release_channel="Stable")) == {"api_version": "2024-06-01-preview"}
    assert "releaseChannel" not in str(m.desired_body(params(), CURRENT, "swedencentral"))
    assert differences({"properties": {"releaseChannel": "Stable"}}, {"properties": {"releaseChannel": "stable"}},
                       normalisers=m.NORMALISERS) == []
