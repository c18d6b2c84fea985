"""completion_limit: verify's bodies bound the output with the parameter the called model takes."""
from ansible_collections.aigateway.foundry.plugins.filter.model_calls import completion_limit

MODELS = [{"name": "chat", "model_name": "gpt-5.4-mini"}, {"name": "older", "model_name": "gpt-4.1-mini"},
          {"name": "gpt-4o"}]


def test_the_deployment_s_model_decides_not_its_name():
    assert completion_limit(MODELS, "chat", 5) == {"max_completion_tokens": 5}
    assert completion_limit(MODELS, "older", 5) == {"max_tokens": 5}


def test_a_deployment_without_model_name_or_not_listed_is_judged_by_its_name():
    assert completion_limit(MODELS, "gpt-4o", 5) == {"max_tokens": 5}
    assert completion_limit([], "o4-mini", 16) == {"max_completion_tokens": 16}
    assert completion_limit(None, "gpt-4.1", "7") == {"max_tokens": 7}
