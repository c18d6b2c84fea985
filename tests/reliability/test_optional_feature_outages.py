"""Optional-feature outages: with every capability on (tests/integration/test_site_all_capabilities.py's topology:
two model hosts at priorities 1 and 2, the semantic cache, content safety, quotas), a priority-1 host that throttles
every deployment it has (chat and embeddings) must not take the gateway down: calls answer from priority 2 and the
semantic cache keeps answering. Before the embeddings backend became a pool, every call answered 500
(llm-semantic-cache-lookup / EmbeddingsFailed) for as long as the first host throttled.
"""
from __future__ import annotations

import json

import pytest
import requests

from tests.integration.test_site_all_capabilities import VARS
from tests.reliability.harness import arm_clients, stop_endpoint

CALLS = 6
PROMPTS = ["Name a famous river in Egypt.", "Which planet has prominent rings?",
           "Recommend a bread baking temperature.", "Translate hello into Spanish.",
           "Explain photosynthesis briefly.", "Who composed the Moonlight Sonata?"]


@pytest.fixture(scope="module")
def site(tmp_path_factory, converged_sites):
    # a copy of the run's one converge of this configuration: with --dist load both workers may run a test of this file
    runner = converged_sites.copy(tmp_path_factory.mktemp("optional-feature-outages"), *VARS)
    yield runner
    stop_endpoint(runner.state_dir)


class Gateway:
    def __init__(self, runner):
        self.endpoint = runner.endpoint()
        outputs = json.loads(runner.outputs_file.read_text())
        cognitive, apim = arm_clients(self.endpoint)[1:]
        group = outputs["resource_group"]
        service = outputs["gateway_url"].split("//")[1].split(".")[0]
        self.key = apim.subscription.list_secrets(group, service, "foundry-subscription").primary_key
        self.first_host = next(account.name for account in cognitive.accounts.list_by_resource_group(group)
                               if account.name.startswith("models-a-"))
        self.url = outputs["local"]["inference_url"] + "/deployments/gpt-5.4-mini/chat/completions"
        self.ca = outputs["local"]["ca_bundle"]

    def control(self, method, path, body=None):
        answer = requests.request(method, self.endpoint["arm_endpoint"] + path, json=body, timeout=30, verify=self.ca)
        answer.raise_for_status()

    def ask(self, prompt):
        return requests.post(self.url, params={"api-version": "2024-12-01-preview"}, headers={"api-key": self.key},
                             json={"messages": [{"role": "user", "content": prompt}], "max_completion_tokens": 5},
                             timeout=60, verify=self.ca)


def test_a_priority_1_outage_with_the_cache_on_answers_from_priority_2_and_the_cache_keeps_working(site, figures):
    gateway = Gateway(site)
    # A fresh minute: what verify spent (token limit, breakers) is behind us.
    gateway.control("POST", "/localazure/clock", {"advance_seconds": 120})
    gateway.control("POST", "/localazure/cognitiveservices/model-hosts/%s/throttle" % gateway.first_host,
                    {"status": 429, "duration_seconds": 3600, "retry_after": 60})
    try:
        # Prompts unrelated to each other (no cache hit among them), then the last one again (a hit). Plain words:
        # hex digests share most of their pieces and embeddings put them close together (the local model host's
        # embeddings too), so one would be answered with another's cached answer.
        prompts = PROMPTS[:CALLS]
        answers = [gateway.ask(prompt) for prompt in prompts]
        repeated = gateway.ask(prompts[-1])
    finally:
        gateway.control("DELETE", "/localazure/cognitiveservices/model-hosts/%s/throttle" % gateway.first_host)
    statuses = [answer.status_code for answer in answers]
    # The call that meets the outage first may fail while it trips the breakers (APIM documents no retry inside the
    # cache lookup); every call after it answers, from the priority-2 host.
    answered = [answer for answer in answers[1:] if answer.status_code == 200]
    figures.add("optional-feature outages", "priority-1 host throttles, cache on",
                "pass" if len(answered) == CALLS - 1 else "FAIL", "statuses %s" % statuses)
    assert len(answered) == CALLS - 1, [(a.status_code, a.text[:200]) for a in answers]
    assert {answer.headers.get("x-ms-region") for answer in answered} == {"eastus"}
    assert repeated.status_code == 200 and repeated.headers.get("x-localazure-cache") == "hit", repeated.text[:300]
    assert repeated.json()["id"] == answers[-1].json()["id"]


def test_an_embeddings_capacity_below_the_chat_capacity_it_fronts_is_refused_before_any_write(site, figures):
    mark = len(site.requests_logged())
    result = site.run("site.yml", *VARS, "-e", json.dumps({"aigw_semantic_cache_embeddings_capacity": 5}),
                      expect_failure=True)
    shown = " ".join(result["output"].split())
    refused = ("aigw_semantic_cache_embeddings_capacity 5 is below the chat capacity it fronts on models-a-"
               in shown and "(gpt-5.4-mini 10 + gpt-5.4-nano 10 = 20)" in shown)
    figures.add("optional-feature outages", "embeddings capacity 5 for chat capacity 20",
                "refused, %d writes" % len(site.writes_since(mark)) if refused else "FAIL")
    assert refused, result["output"][-4000:]
    assert site.writes_since(mark) == []
