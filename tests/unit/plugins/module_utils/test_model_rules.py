"""model_rules: a model version's lifecycle as the catalogue reports it, and the parameter bounding a completion."""
import datetime

import pytest

from ansible_collections.aigateway.foundry.plugins.module_utils import model_rules

TODAY = datetime.date(2026, 12, 7)


def listed(status, retires):
    return {"lifecycleStatus": status, "deprecation": {"inference": retires + "T00:00:00Z"}}


@pytest.mark.parametrize("status, retires, state", [
    ("GenerallyAvailable", "2027-09-21", "current"),
    ("Legacy", "2027-04-14", "ageing"),
    ("Deprecating", "2027-04-14", "ageing"),
    ("Deprecated", "2027-04-14", "retired"),             # the API's Deprecated is retired, whatever the date
    ("GenerallyAvailable", "2026-10-21", "retired"),     # listed past its date (o3 on Learn's schedule)
    ("Deprecating", "2026-12-07", "retired"),            # the retirement day itself
])
def test_lifecycle_reads_the_status_and_the_date(status, retires, state):
    assert model_rules.lifecycle(listed(status, retires), TODAY) == (state, status, retires)


def test_a_model_without_lifecycle_data_is_current():
    assert model_rules.lifecycle({}, TODAY) == ("current", "", None)
    assert model_rules.retirement_date({"deprecation": {"inference": "soon"}}) is None


def test_messages_name_the_model_the_region_and_the_date():
    retired = model_rules.lifecycle_message("o4-mini 2025-04-16", "swedencentral",
                                            model_rules.lifecycle(listed("Deprecated", "2026-10-16"), TODAY))
    assert "o4-mini 2025-04-16 is retired in swedencentral" in retired and "2026-10-16" in retired
    ageing = model_rules.lifecycle_message("gpt-4o-mini 2024-07-18", "swedencentral",
                                           model_rules.lifecycle(listed("Deprecating", "2027-04-14"), TODAY))
    assert ageing.startswith("gpt-4o-mini 2024-07-18 is Deprecating in swedencentral and retires on 2027-04-14")
    assert model_rules.lifecycle_message("gpt-5.4-mini", "x", ("current", "GenerallyAvailable", None)) == ""


@pytest.mark.parametrize("model, key", [
    ("gpt-5.4-mini", "max_completion_tokens"), ("gpt-5", "max_completion_tokens"), ("o4-mini", "max_completion_tokens"),
    ("o3", "max_completion_tokens"), ("codex-mini", "max_completion_tokens"), ("GPT-5.6-sol", "max_completion_tokens"),
    ("gpt-4.1-mini", "max_tokens"), ("gpt-4o", "max_tokens"), ("Phi-4", "max_tokens"), ("", "max_tokens"),
])
def test_reasoning_models_get_max_completion_tokens(model, key):
    assert model_rules.completion_limit(model, 5) == {key: 5}


def test_without_a_date_only_the_status_judges_never_the_machine_s_date():
    """The date comes from Azure's answer (cognitive_quota_info); with none, a date long past stays unjudged."""
    assert model_rules.lifecycle(listed("GenerallyAvailable", "2001-01-01"), None)[0] == "current"
    assert model_rules.lifecycle(listed("Deprecated", "2099-01-01"), None)[0] == "retired"
    assert model_rules.lifecycle(listed("Deprecating", "2001-01-01"), None)[0] == "ageing"
