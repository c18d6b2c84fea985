"""apim_backend: validation of single and pool backends and circuit breakers, bodies, id normalisation, masking."""
from ansible_collections.aigateway.foundry.plugins.modules import apim_backend as m
from ansible_collections.aigateway.foundry.plugins.module_utils.apim import DURATION
from ansible_collections.aigateway.foundry.plugins.module_utils.azure_state import differences

BASE = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.ApiManagement/service/gw"


def rule(**overrides):
    base = dict(name="r", trip_duration="PT1M", accept_retry_after=True, failure_count=1, failure_percentage=None,
                interval="PT1M", status_code_ranges=[{"min": 429, "max": 429}], error_reasons=None)
    base.update(overrides)
    return base


def params(**overrides):
    base = dict(resource_group="rg", service="gw", name="models", type="Single", url="https://a.example.com/openai",
                protocol="http", description=None, title=None, credentials_header=None, credentials_query=None,
                credentials_authorization=None, update_credentials="always", tls_validate_certificate_chain=None,
                tls_validate_certificate_name=None, circuit_breaker_rules=None, pool_services=None, state="present")
    base.update(overrides)
    return base


def pool(**overrides):
    values = dict(type="Pool", url=None, name="pool",
                  pool_services=[{"backend": "a", "priority": 1, "weight": 50},
                                 {"backend": BASE + "/backends/b", "priority": None, "weight": None}])
    values.update(overrides)
    return params(**values)


def test_single_needs_an_absolute_url():
    assert m.validate(params(url=None)) == "url is required for a Single backend"
    assert "absolute URL" in m.validate(params(url="example.com"))
    assert m.validate(params()) is None


def test_pool_rules():
    assert m.validate(pool()) is None
    assert "required for type: Pool" in m.validate(params(type="Pool", url=None))
    assert "not allowed with type: Pool" in m.validate(pool(url="https://x"))
    too_high = [{"backend": "a", "priority": 101, "weight": None}]
    assert "0-100" in m.validate(params(type="Pool", url=None, pool_services=too_high))
    assert "twice" in m.validate(params(type="Pool", url=None, pool_services=[
        {"backend": "a", "priority": None, "weight": None}, {"backend": "/backends/A", "priority": None,
                                                             "weight": None}]))


def test_circuit_breaker_rules_are_checked():
    assert m.rule_problems([rule()]) == []
    assert "ISO 8601" in m.rule_problems([rule(trip_duration="1 minute")])[0]
    assert "ISO 8601" in m.rule_problems([rule(interval="P")])[0]
    assert "200-599" in m.rule_problems([rule(status_code_ranges=[{"min": 100, "max": 429}])])[0]
    assert "200-599" in m.rule_problems([rule(status_code_ranges=[{"min": 500, "max": 429}])])[0]
    assert "at most 15" in m.rule_problems([rule(name=str(i)) for i in range(16)])[0]
    assert "failure_count or failure_percentage" in m.rule_problems([rule(failure_count=None)])[0]
    assert "unique" in m.rule_problems([rule(), rule()])[0]
    assert DURATION.match("P1DT2H3M4.5S") and not DURATION.match("PT") and not DURATION.match("P1H")


def test_single_body_is_arm_json():
    body = m.desired_body(params(tls_validate_certificate_chain=True, circuit_breaker_rules=[rule()],
                                 credentials_header={"api-key": "s3cret"}), BASE)
    props = body["properties"]
    assert props["url"] == "https://a.example.com/openai" and props["protocol"] == "http"
    assert props["tls"] == {"validateCertificateChain": True}
    assert props["credentials"] == {"header": {"api-key": ["s3cret"]}}
    assert props["circuitBreaker"]["rules"][0] == {
        "name": "r", "tripDuration": "PT1M", "acceptRetryAfter": True,
        "failureCondition": {"interval": "PT1M", "count": 1, "statusCodeRanges": [{"min": 429, "max": 429}]}}


def test_pool_members_become_full_ids_and_compare_by_name():
    body = m.desired_body(pool(), BASE)
    services = body["properties"]["pool"]["services"]
    assert services == [{"id": BASE + "/backends/a", "priority": 1, "weight": 50}, {"id": BASE + "/backends/b"}]
    # What the lab sends and APIM may echo: '/backends/x'.
    current = {"properties": {"type": "Pool", "pool": {"services": [
        {"id": "/backends/A", "priority": 1, "weight": 50}, {"id": "/backends/b"}]}}}
    assert differences(body, current, normalisers=m.NORMALISERS) == []


def test_credentials_on_create_only_are_not_compared_on_existing_backends():
    desired = m.desired_body(params(credentials_header={"api-key": "new"}), BASE)
    current = {"properties": {"type": "Single", "url": "https://a.example.com/openai", "protocol": "http",
                              "credentials": {"header": {"api-key": ["old"]}}}}
    assert differences(m.compared_body(desired, current, "always"), current, normalisers=m.NORMALISERS)
    assert not differences(m.compared_body(desired, current, "on_create"), current, normalisers=m.NORMALISERS)
    assert m.compared_body(desired, None, "on_create") is desired


def test_member_name_from_any_reference():
    assert m.member_name("a") == "a"
    assert m.member_name("/backends/a") == "a"
    assert m.member_name(BASE + "/backends/a/") == "a"
