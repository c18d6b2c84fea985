"""site.yml with the semantic cache on at its default score-threshold (0.8, lenient) and a token limit, through an
AzureOpenAIV1 API, on an endpoint of its own (issue 23 item 8, issue 24 item 4). The endpoint's embeddings put
look-alike strings (hex digests) close together as real ones do, so proof calls that differed only by such a string
would be answered from the cache and the token limit would never show; verify's proofs ask natural-language
questions in a cache partition of each proof step's own, so the limit is reached and recovered.
"""
from __future__ import annotations

import json
import re

import pytest

from tests.integration.test_playbooks import Playbooks, stop_endpoint

CACHED_LIMIT = {
    "aigw_name_suffix": "proofs",
    "aigw_api_type": "AzureOpenAIV1",
    "aigw_semantic_cache": True,
    # 2,000 tokens per minute is below the host's capacity (10 units: 10,000), so the gateway's limit shows.
    "aigw_gateway_policy": {"token_limit": {"enabled": True, "tokens_per_minute": 2000,
                                            "estimate_prompt_tokens": False}},
}
VARS = ("-e", json.dumps(CACHED_LIMIT))


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    runner = Playbooks(tmp_path_factory.mktemp("verify-proofs"))
    yield runner
    runner.run("teardown.yml", *VARS)
    stop_endpoint(runner.state_dir)


@pytest.fixture(scope="module")
def shown(site):
    return " ".join(site.run("site.yml", *VARS)["output"].split())


def test_the_token_limit_is_proven_with_the_semantic_cache_on_at_its_default_threshold(shown):
    assert re.search(r"Token limit - 429 after \d+ call\(s\) with Retry-After \d+ s, answered again after it",
                     shown), shown[-6000:]
    assert "Semantic cache - the same prompt got the cached answer" in shown, shown[-6000:]


def test_chat_responses_and_embeddings_are_proven_through_the_gateway_and_found_in_its_log(shown):
    """AzureOpenAIV1: /chat/completions, /responses and /embeddings with the body's model; the embeddings
    deployment is the semantic cache's, on the one model host."""
    for operation, deployment, path in (("chat", r"gpt-\S+", "/openai/v1/chat/completions"),
                                        ("responses", r"gpt-\S+", "/openai/v1/responses"),
                                        ("embeddings", "text-embedding-3-small", "/openai/v1/embeddings")):
        assert re.search(r"Operations - %s through the gateway to %s found in the gateway's log \(\S*%s\)"
                         % (operation, deployment, re.escape(path)), shown), (operation, shown[-6000:])
    assert not re.search(r"Not proven: [^.]*(responses|embeddings):", shown), shown[-6000:]
