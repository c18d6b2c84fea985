"""verify's proof arithmetic: what each proof needs of the configuration, and the times log queries start from."""
import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.aigateway.foundry.plugins.filter import proofs as f

A = {"name": "models-a", "backend": "models-a", "priority": 1, "location": "swedencentral"}
B = {"name": "models-b", "backend": "models-b", "priority": 2, "location": "eastus"}
RULE = {"name": "r", "failureCondition": {"count": 1, "interval": "PT1M"}, "tripDuration": "PT1M"}
LISTED = [{"name": "models-a", "properties": {"circuitBreaker": {"rules": [RULE]}}}, {"name": "models-b"}]


def test_failover_is_provable_locally_with_a_breaker_rule_on_the_first_host_alone_at_its_priority():
    proof = f.failover_proof([B, A], LISTED, True)
    assert proof == {"provable": True, "first_host": A, "reason": ""}


@pytest.mark.parametrize("hosts, listed, local, reason", [
    ([A, B], [{"name": "models-a", "properties": {}}], True, "no circuit breaker rule on models-a"),
    ([A, B], [{"name": "models-a", "properties": {"circuitBreaker": {"rules": []}}}], True, "no circuit breaker rule"),
    ([A, dict(B, priority=1)], LISTED, True, "one host alone at the first priority"),
    ([A, dict(B, location="swedencentral")], LISTED, True, "others in other regions"),
    ([A, B], LISTED, False, "not provable without load on Azure"),
    ([A], LISTED, True, "one model host"),
])
def test_failover_says_why_it_is_not_proven(hosts, listed, local, reason):
    proof = f.failover_proof(hosts, listed, local)
    assert not proof["provable"] and reason in proof["reason"], proof


def test_a_cache_miss_is_promised_only_at_learns_strict_thresholds():
    assert f.cache_miss_proof(0.01) == {"provable": True, "reason": ""}
    assert f.cache_miss_proof("0.2")["provable"]
    lenient = f.cache_miss_proof(0.99)
    assert not lenient["provable"] and "score-threshold 0.99 is above 0.2" in lenient["reason"]
    with pytest.raises(AnsibleFilterError, match="must be a number, got 'high'"):
        f.cache_miss_proof("high")


def test_gateway_time_is_the_endpoints_clock_or_azures_date():
    assert f.gateway_time({"json": {"now": 1800000000.25}}) == "2027-01-15T08:00:00.250000Z"
    assert f.gateway_time({"now": 1800000000.25, "offset_seconds": 60}) == "2027-01-15T08:00:00.250000Z"
    assert f.gateway_time({"date": "Mon, 07 Dec 2026 05:10:11 GMT", "json": {"statusCode": 401}}) == \
        "2026-12-07T05:10:11.000000Z"
    with pytest.raises(AnsibleFilterError, match="no time in the answer"):
        f.gateway_time({"status": 200})
    with pytest.raises(AnsibleFilterError, match="is not an HTTP date"):
        f.gateway_time({"date": "yesterday"})
