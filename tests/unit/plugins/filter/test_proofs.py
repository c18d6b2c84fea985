"""verify's proof arithmetic: what each proof needs of the configuration, and the times log queries start from."""
import re

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.aigateway.foundry.plugins.filter import proofs as f

A = {"name": "models-a", "backend": "models-a", "priority": 1, "location": "swedencentral"}
B = {"name": "models-b", "backend": "models-b", "priority": 2, "location": "eastus"}
RULE = {"name": "r", "failureCondition": {"count": 1, "interval": "PT1M"}, "tripDuration": "PT1M"}
LISTED = [{"name": "models-a", "properties": {"circuitBreaker": {"rules": [RULE]}}}, {"name": "models-b"}]


def test_failover_is_provable_locally_with_a_breaker_rule_on_the_first_host_alone_at_its_priority():
    proof = f.failover_proof([B, A], LISTED, True)
    assert proof == {"provable": True, "first_host": A, "model": "", "reason": ""}


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


C = {"name": "models-c", "backend": "models-c", "priority": 1, "location": "westus"}


def route(model, *hosts):
    return {"model": model, "backend_id": "pool-" + model,
            "members": [{"backend": host["backend"], "priority": host["priority"], "weight": 1} for host in hosts]}


def test_with_routing_by_model_the_first_provable_models_pool_is_proven_on_its_own_hosts():
    # gpt-4.1-mini's pool holds B and C alone: C is first there, and C has no breaker rule; gpt-4o-mini's is A, B
    routes = [route("o1", C), route("gpt-4.1-mini", B, C), route("gpt-4o-mini", A, B)]
    proof = f.failover_proof([A, B, C], LISTED, True, routes)
    assert proof == {"provable": True, "first_host": A, "model": "gpt-4o-mini", "reason": ""}


def test_with_routing_by_model_each_pools_reason_is_named():
    proof = f.failover_proof([A, B, C], LISTED, False, [route("gpt-4.1-mini", B, C), route("gpt-4o-mini", A, B)])
    assert not proof["provable"] and proof["model"] == "gpt-4.1-mini"
    assert proof["reason"].startswith("gpt-4.1-mini's pool: no circuit breaker rule on models-c")
    assert "; gpt-4o-mini's pool: not provable without load on Azure" in proof["reason"]
    alone = f.failover_proof([A, C], LISTED, True, [route("gpt-4o-mini", A), route("o1", C)])
    assert not alone["provable"]
    assert alone["reason"] == "no model is served by more than one host, so no model has a pool"


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


@pytest.mark.parametrize("policy, may_answer", [
    ({}, False),
    ({"semantic_cache": {"enabled": False, "score_threshold": 0.99}}, False),
    ({"semantic_cache": {"enabled": True, "score_threshold": 0.05}}, False),
    ({"semantic_cache": {"enabled": True, "score_threshold": 0.99}}, True),
    ({"semantic_cache": {"enabled": True}}, True),   # the role's default threshold 0.8 promises no miss
])
def test_the_cache_may_answer_every_call_only_when_on_without_a_promised_miss(policy, may_answer):
    assert f.cache_may_answer(policy) is may_answer


@pytest.mark.parametrize("rows, may_answer, required, verdict", [
    ([{"Sum": 12}], False, True, "found"),
    ([{"Sum": 12}], True, False, "found"),
    ([], True, True, "not_proven"),
    ([], False, True, "missing"),
    ([], False, False, "late"),
])
def test_evidence_verdict_fails_only_missing_required_rows_the_cache_cannot_explain(rows, may_answer, required, verdict):
    assert f.evidence_verdict(rows, may_answer, required) == verdict


def _answer(status, region=None, **more):
    answer = {"status": status}
    if region:
        answer["x_ms_region"] = region
    answer.update(more)
    return answer


FAILED_OVER = {"first": _answer(200, "swedencentral"), "failover": _answer(200, "eastus"),
               "breaker": _answer(200, "eastus"), "recovered": _answer(200, "swedencentral")}


def test_the_pool_proof_holds_when_the_first_host_answers_then_another_then_the_first_again():
    assert f.pool_proof(FAILED_OVER, A) == {
        "proven": True, "statuses": [200, 200, 200, 200],
        "regions": ["swedencentral", "eastus", "eastus", "swedencentral"], "took_over": "eastus"}


@pytest.mark.parametrize("step, answer", [
    ("first", _answer(200, "eastus")),            # the pool did not send to the priority-1 host
    ("failover", _answer(429)),                   # retry did not move to another member
    ("failover", _answer(200, "swedencentral")),  # the throttled host still answered
    ("breaker", _answer(200, "swedencentral")),   # the breaker did not open
    ("recovered", _answer(200, "eastus")),        # the first host did not come back
    ("recovered", _answer(503, "swedencentral")),
])
def test_the_pool_proof_fails_on_any_wrong_host_or_status(step, answer):
    proof = f.pool_proof(dict(FAILED_OVER, **{step: answer}), A)
    assert not proof["proven"], proof


def test_the_pool_proof_refuses_a_missing_or_skipped_call():
    with pytest.raises(AnsibleFilterError, match="lacks the answers of recovered"):
        f.pool_proof({k: v for k, v in FAILED_OVER.items() if k != "recovered"}, A)
    with pytest.raises(AnsibleFilterError, match="breaker call has no status"):
        f.pool_proof(dict(FAILED_OVER, breaker={"skipped": True}), A)
    with pytest.raises(AnsibleFilterError, match="first host's location"):
        f.pool_proof(FAILED_OVER, {"name": "models-a"})


def test_the_token_limit_prompt_is_a_quarter_of_the_limit_in_plain_words_naming_its_call():
    prompt = f.token_limit_prompt(4000, "2026-12-07T10:00:00Z/limit/0")
    assert 4000 <= len(prompt) < 4000 + len(f.LIMIT_FILLER) + 1
    assert prompt.startswith("This is call 2026-12-07T10:00:00Z/limit/0 of a token limit check. Please read")
    assert not re.search(r"[0-9a-f]{16}", prompt), "no hex digests: real embeddings put them close together"
    assert f.token_limit_prompt("4000", "2026-12-07T10:00:00Z/limit/1") != prompt
    with pytest.raises(AnsibleFilterError, match="tokens_per_minute must be a whole number, got 'many'"):
        f.token_limit_prompt("many", "seed")


GATEWAY_429 = _answer(429, json={"statusCode": 429, "message": "Token limit is exceeded."}, retry_after="7")


def test_the_token_limit_spend_is_the_first_unanswered_call_the_gateways_429():
    spend = f.token_limit_spend([_answer(200, json={"id": "a"}), _answer(200), GATEWAY_429, GATEWAY_429])
    assert spend == {"status": 429, "json": GATEWAY_429["json"], "retry_after": "7", "attempts": 3, "limited": True}


@pytest.mark.parametrize("results, attempts", [
    ([_answer(200), _answer(200)], 2),                                                         # never limited
    ([_answer(429, json={"error": {"code": "429"}}, retry_after="60")], 1),                    # a host's own 429
    ([_answer(200), _answer(429, json={"statusCode": 429})], 2),                               # no Retry-After
    ([_answer(500, json={"statusCode": 500}, retry_after="1"), GATEWAY_429], 1),               # an error first
])
def test_the_token_limit_spend_is_not_limited_without_the_gateways_429_with_retry_after(results, attempts):
    spend = f.token_limit_spend(results)
    assert not spend["limited"] and spend["attempts"] == attempts, spend


def test_the_token_limit_spend_refuses_no_calls_or_a_skipped_one():
    with pytest.raises(AnsibleFilterError, match="made no call"):
        f.token_limit_spend([])
    with pytest.raises(AnsibleFilterError, match="call 2 of the token limit proof has no status"):
        f.token_limit_spend([_answer(200), {"skipped": True}])


RED = {"team": "red", "tokens_per_minute": 500}
BLUE = {"team": "blue", "tokens_per_minute": "2000"}


def test_the_spend_prompt_spends_about_the_smallest_limit():
    assert f.limit_spend_prompt([BLUE, RED]) == "Say hello. " + "x" * 2000
    with pytest.raises(AnsibleFilterError, match="no project with a tokens_per_minute"):
        f.limit_spend_prompt([])


@pytest.mark.parametrize("spent, status, own", [
    (520, 429, True), (500, 429, True), (480, 200, True),   # 429 exactly at the project's own limit
    (480, 429, False),                                      # refused before its limit: another limit answered
    (520, 200, False),                                      # answered beyond its limit: no limit of its own
])
def test_a_limit_is_the_projects_own_when_429_comes_exactly_at_it(spent, status, own):
    assert f.limit_entry(RED, spent, str(status)) == {"team": "red", "limit": 500, "spent": spent,
                                                      "status": status, "own": own}


def _key_call(project, status=200, tokens=None):
    answer = {"status": status, "item": {"item": project}}
    if tokens is not None:
        answer["json"] = {"usage": {"total_tokens": tokens}}
    return answer


def test_key_limit_entries_match_the_loops_by_team_not_by_position():
    spent = [_key_call(BLUE, tokens=510), _key_call(RED, tokens=510)]
    accepted = [_key_call(RED, tokens=9), _key_call(BLUE, 429)]
    after = [_key_call(RED, 429), _key_call(BLUE, 200)]
    fresh = f.key_limit_entries([RED, BLUE], spent, accepted, after, True)
    assert fresh == [{"team": "red", "limit": 500, "spent": 510, "status": 429, "own": True},
                     {"team": "blue", "limit": 2000, "spent": 510, "status": 200, "own": True}]
    # on Azure (no fresh window) the first accepted call's tokens count too; a 429 has none
    on_azure = f.key_limit_entries([RED, BLUE], spent, accepted, after, False)
    assert [entry["spent"] for entry in on_azure] == [519, 510]


def test_key_limit_entries_refuse_a_project_without_its_calls():
    with pytest.raises(AnsibleFilterError, match="project blue has no result in the calls after"):
        f.key_limit_entries([RED, BLUE], [_key_call(RED, tokens=1), _key_call(BLUE, tokens=1)],
                            [_key_call(RED), _key_call(BLUE)], [_key_call(RED, 429)], True)
    with pytest.raises(AnsibleFilterError, match="names no project"):
        f.key_limit_entries([RED], [{"status": 200}], [], [], True)


def test_limits_are_proven_own_only_with_a_429_and_every_entry_own():
    own_429 = f.limit_entry(RED, 510, 429)
    own_200 = f.limit_entry(BLUE, 510, 200)
    proof = f.limits_proof([own_429, own_200])
    assert proof == {"proven": True, "summary": "red spent 510 of its 500 tokens per minute, then 429; "
                                                "blue spent 510 of its 2000 tokens per minute, then 200"}
    assert not f.limits_proof([own_200])["proven"]                                 # no limit answered at all
    assert not f.limits_proof([own_429, f.limit_entry(BLUE, 510, 429)])["proven"]  # a shared counter answered
    assert f.limits_proof([]) == {"proven": False, "summary": "no project was called"}


def test_the_wait_is_the_longest_retry_after_of_the_429s_at_most_the_cap():
    assert f.retry_after_wait([_answer(200), _answer(429, retry_after="12"), _answer(429, retry_after="30")]) == 30
    assert f.retry_after_wait([_answer(429, retry_after="600")], 60) == 60
    assert f.retry_after_wait([_answer(429)]) == 60          # a 429 that names no Retry-After: a minute
    assert f.retry_after_wait([_answer(200), _answer(401)]) == 0


def _host(name, *deployments):
    return {"name": name, "deployments": [dict(name=model, **({"capacity": units} if units else {}))
                                          for model, units in deployments]}


def test_the_token_limit_shows_only_below_the_smallest_hosts_capacity_of_the_proof_model():
    hosts = [_host("a", ("gpt", 5), ("embed", 1)), _host("b", ("gpt", 8))]
    assert f.token_limit_proof(hosts, 4000, "gpt") == {"provable": True, "host_tokens_per_minute": 5000, "reason": ""}
    assert f.token_limit_proof([_host("a", ("gpt", None))], "9999", "gpt")["provable"]   # 10 units when not given
    refused = f.token_limit_proof(hosts, 5000, "gpt")
    assert not refused["provable"] and refused["host_tokens_per_minute"] == 5000
    assert "tokens_per_minute 5000 is not below the capacity of gpt on the model hosts (5000" in refused["reason"]
    with pytest.raises(AnsibleFilterError, match="tokens_per_minute must be a whole number, got None"):
        f.token_limit_proof(hosts, None, "gpt")
    # After a model upgrade the model's deployment has a name of its own and serves the model's (gateway_model).
    upgraded = [{"name": "a", "deployments": [{"name": "gpt-next", "gateway_model": "gpt", "capacity": 200}]}]
    assert f.token_limit_proof(upgraded, 10000, "gpt") == {"provable": True, "host_tokens_per_minute": 200000,
                                                           "reason": ""}


def test_a_route_over_per_deployment_backends_is_proven_on_the_hosts_of_its_members():
    """After a model upgrade the model's pool holds <backend>-<deployment> members."""
    upgraded = {"model": "gpt-4o", "backend_id": "pool-gpt-4o-via-gpt-4o-next", "deployments": ["gpt-4o-next"],
                "members": [{"backend": host["backend"] + "-gpt-4o-next", "priority": host["priority"], "weight": 1}
                            for host in (A, B)]}
    assert f.failover_proof([A, B, C], LISTED, True, [upgraded]) == {"provable": True, "first_host": A,
                                                                     "model": "gpt-4o", "reason": ""}


def test_the_gateway_log_query_finds_calls_by_api_and_deployment_not_by_url():
    query = f.gateway_log_query("2026-12-07T10:00:00.000000Z", "inference-api", 'gpt"4')
    assert query.startswith("ApiManagementGatewayLogs | where TimeGenerated >= datetime(2026-12-07T10:00:00.000000Z)"
                            ' and ApiId =~ "inference-api" | join kind=inner (ApiManagementGatewayLlmLog | where '
                            'DeploymentName =~ "gpt\\"4") on CorrelationId')
    assert "Url contains" not in query and "RequestId" not in query and query.endswith("| take 10")
    assert '(ApiManagementGatewayLlmLog | where DeploymentName =~ "gpt" and RequestId == "resp_1") on' in \
        f.gateway_log_query("2026-12-07T10:00:00Z", "inference-api", "gpt", "resp_1")
    with pytest.raises(AnsibleFilterError, match="gateway_log_query needs deployment, got ''"):
        f.gateway_log_query("2026-12-07T10:00:00Z", "inference-api", "")


EMBED = {"name": "text-embedding-3-small", "model_name": "text-embedding-3-small"}
CHAT = {"name": "gpt-4.1-mini"}


@pytest.mark.parametrize("hosts, cache_deployment, cache_hosts, routes, expected", [
    ([{"name": "a", "deployments": [CHAT, EMBED]}, {"name": "b", "deployments": [CHAT, EMBED]}], "", [], [],
     "text-embedding-3-small"),                                            # the hosts' own, on every host
    ([{"name": "a", "deployments": [CHAT]}, {"name": "b", "deployments": [CHAT]}], "cache-emb", ["A", "b"], [],
     "cache-emb"),                                                         # the cache's, on every host
    ([{"name": "a", "deployments": [CHAT]}, {"name": "b", "deployments": [CHAT]}], "cache-emb", ["a"], [], ""),
    ([{"name": "a", "deployments": [CHAT]}], "", [], [], ""),                # no cache, no embeddings model
    ([{"name": "a", "deployments": [CHAT, EMBED]}, {"name": "b", "deployments": [CHAT]}], "cache-emb", ["a", "b"],
     [{"model": "gpt-4.1-mini"}, {"model": "text-embedding-3-small"}], "text-embedding-3-small"),   # routed
    ([{"name": "a", "deployments": [CHAT]}, {"name": "b", "deployments": [{"name": "gpt-4o"}]}], "cache-emb",
     ["a", "b"], [{"model": "gpt-4.1-mini"}, {"model": "gpt-4o"}], ""),    # routing answers unknown models itself
    ([], "cache-emb", ["a"], [], ""),
    ([{"name": "a", "deployments": [CHAT, dict(EMBED, name="emb-next", gateway_model="text-embedding-3-small")]}],
     "", [], [{"model": "gpt-4.1-mini"}, {"model": "text-embedding-3-small"}], "text-embedding-3-small"),  # upgraded
])
def test_the_embeddings_deployment_is_one_every_call_can_reach(hosts, cache_deployment, cache_hosts, routes, expected):
    assert f.embeddings_deployment(hosts, cache_deployment, cache_hosts, routes) == expected


def test_operation_proofs_say_what_cannot_be_proven_and_why():
    assert f.operation_proofs("AzureOpenAIV1", "gpt", "emb") == [
        {"operation": "chat", "deployment": "gpt", "reason": ""},
        {"operation": "responses", "deployment": "gpt", "reason": ""},
        {"operation": "embeddings", "deployment": "emb", "reason": ""}]
    assert [(p["deployment"], p["reason"]) for p in f.operation_proofs("AzureAI", "gpt", "")] == [
        ("gpt", ""), ("", "the AzureAI API type carries no Responses API"), ("", "no embeddings deployment")]
    # the classic path's Responses API needs 2025-03-01-preview or later; the API type's default is older
    assert f.operation_proofs("AzureOpenAI", "gpt", "emb")[1] == {
        "operation": "responses", "deployment": "", "reason": "the connection's api-version 2024-12-01-preview "
        "predates the Responses API (2025-03-01-preview or later, or the v1 API)"}
    assert f.operation_proofs("PassThrough", "gpt", "emb", "2025-04-01-preview")[1]["deployment"] == "gpt"
    with pytest.raises(AnsibleFilterError, match="needs the chat deployment"):
        f.operation_proofs("AzureOpenAI", "", "emb")


def test_operation_bodies_carry_the_prompt_and_name_the_model():
    chat = {"model": "gpt", "messages": [], "max_tokens": 5}
    assert f.operation_body({"operation": "chat", "deployment": "gpt"}, chat, "Hi?") == {
        "model": "gpt", "messages": [{"role": "user", "content": "Hi?"}], "max_tokens": 5}
    assert f.operation_body({"operation": "embeddings", "deployment": "emb"}, chat, "Hi?") == {
        "model": "emb", "input": "Hi?"}
    assert f.operation_body({"operation": "responses", "deployment": "gpt"}, chat, "Hi?") == {
        "model": "gpt", "input": "Hi?"}


def test_operation_answers_keep_what_the_proofs_need_and_drop_the_request_with_its_key():
    key = "0123456789abcdef0123456789abcdef"
    results = [
        {"verify_operation": {"operation": "chat", "deployment": "gpt-5.4-mini", "reason": ""}, "status": 200,
         "url": "https://gw.example/inference/openai/deployments/gpt-5.4-mini/chat/completions?api-version=x",
         "json": {"id": "chatcmpl-1", "object": "chat.completion"},
         "invocation": {"module_args": {"headers": {"api-key": key}}}},
        {"verify_operation": {"operation": "embeddings", "deployment": "emb", "reason": ""}, "status": -1,
         "msg": "Status code was -1: connection refused", "invocation": {"module_args": {"headers": {"api-key": key}}}},
    ]
    answers = f.operation_answers(results)
    assert answers == [
        {"operation": "chat", "deployment": "gpt-5.4-mini", "status": 200,
         "path": "/inference/openai/deployments/gpt-5.4-mini/chat/completions", "id": "chatcmpl-1",
         "answer": {"id": "chatcmpl-1", "object": "chat.completion"}},
        {"operation": "embeddings", "deployment": "emb", "status": -1, "path": "", "id": "",
         "answer": "Status code was -1: connection refused"}]
    assert key not in repr(answers)
