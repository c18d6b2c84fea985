"""The model host's embeddings place texts as real embeddings do where a semantic cache depends on it (issue 23
item 8): look-alike strings (hex digests, which a tokenizer cuts into short pieces of a small alphabet) land close
together, within llm-semantic-cache-lookup's default score-threshold of 0.8 (a cosine distance); plain sentences
about different things stay apart; the same text is the same vector (deterministic)."""
from __future__ import annotations

import hashlib

from localazure.services.apimanagement.gateway.runtime import cosine
from localazure.services.cognitiveservices.modelhost import embed

DEFAULT_SCORE_THRESHOLD = 0.8


def distance(left: str, right: str) -> float:
    return 1.0 - cosine(embed(left, 1536), embed(right, 1536))


def digest(seed: str) -> str:
    return hashlib.sha256(seed.encode()).hexdigest()


def test_two_hex_digests_are_close_enough_for_the_default_threshold():
    distances = [distance(digest("run/%d" % index), digest("run/%d" % (index + 1))) for index in range(20)]
    assert max(distances) < DEFAULT_SCORE_THRESHOLD / 2, distances


def test_unrelated_sentences_stay_apart_and_the_same_text_is_the_same_vector():
    assert distance("What is the capital of France?", "Please summarise the quarterly sales report.") > 0.8
    assert distance("What is the capital of France?", "What is the capital of France?") < 1e-9
    assert embed(digest("x"), 256) == embed(digest("x"), 256)
