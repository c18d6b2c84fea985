"""resource_provider: which registration states satisfy the task."""
from ansible_collections.aigateway.foundry.plugins.modules import resource_provider as m


def test_is_settled():
    assert m.is_settled("Registered", "registered")
    assert not m.is_settled("Registering", "registered")
    assert m.is_settled("NotRegistered", "unregistered") and m.is_settled("Unregistered", "unregistered")
    assert not m.is_settled("Unregistering", "unregistered") and not m.is_settled(None, "registered")
    assert m.target_state("unregistered") == "NotRegistered"
