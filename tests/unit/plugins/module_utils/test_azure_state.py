from ansible_collections.aigateway.foundry.plugins.module_utils.azure_state import (
    diff_view,
    differences,
    drop_paths,
    merge,
    merged_tags,
)


def test_only_desired_keys_count():
    current = {"location": "swedencentral", "properties": {"a": 1, "serverDefault": True}, "id": "/x"}
    assert differences({"properties": {"a": 1}}, current) == []
    assert differences({"properties": {"a": 2}}, current) == ["properties.a"]


def test_location_spelling_is_one_region():
    assert differences({"location": "Sweden Central"}, {"location": "swedencentral"}) == []
    assert differences({"location": "eastus"}, {"location": "swedencentral"}) == ["location"]


def test_json_in_strings_compares_parsed():
    desired = {"metadata": {"models": '[{"name": "a", "properties": {"v": "1"}}]'}}
    current = {"metadata": {"models": '[{"properties":{"v":"1"},"name":"a"}]'}}
    assert differences(desired, current) == []
    current["metadata"]["models"] = '[{"name":"b"}]'
    assert differences(desired, current) == ["metadata.models"]


def test_lists_compare_by_position_and_length():
    desired = {"pool": [{"id": "a", "weight": 1}, {"id": "b"}]}
    assert differences(desired, {"pool": [{"id": "a", "weight": 1, "priority": 1}, {"id": "b"}]}) == []
    assert differences(desired, {"pool": [{"id": "a", "weight": 2}, {"id": "b"}]}) == ["pool[].weight"]
    assert differences(desired, {"pool": [{"id": "a", "weight": 1}]}) == ["pool"]


def test_normalisers_apply_to_both_sides():
    norm = {"properties.path": lambda v: v.rstrip("/") if isinstance(v, str) else v}
    assert differences({"properties": {"path": "inference/"}}, {"properties": {"path": "inference"}},
                       normalisers=norm) == []


def test_none_desired_equals_absent():
    assert differences({"tags": None}, {}) == []
    assert differences({"tags": {"a": "b"}}, {}) == ["tags"]


def test_merge_predicts_the_written_state():
    current = {"name": "x", "properties": {"a": 1, "b": {"c": 1}}, "tags": {"k": "v"}}
    merged = merge(current, {"properties": {"b": {"d": 2}}, "tags": {"z": "y"}})
    assert merged == {"name": "x", "properties": {"a": 1, "b": {"c": 1, "d": 2}}, "tags": {"k": "v", "z": "y"}}
    assert current["properties"]["b"] == {"c": 1}, "merge must not mutate its input"


def test_drop_paths_removes_secrets_without_mutating():
    body = {"properties": {"credentials": {"key": "s3cret"}, "target": "t"}}
    assert drop_paths(body, ["properties.credentials", "missing.path"]) == {"properties": {"target": "t"}}
    assert body["properties"]["credentials"] == {"key": "s3cret"}


def test_diff_view_shows_managed_keys_without_churn():
    current = {"id": "/x", "etag": "e", "location": "swedencentral", "properties": {
        "provisioningState": "Succeeded", "path": "p", "serverOnly": 1, "credentials": {"key": "k"}}}
    view = diff_view(current, {"location": None, "properties": {"path": None, "credentials": None}},
                     hidden=["properties.credentials"])
    assert view == {"location": "swedencentral", "properties": {"path": "p"}}
    assert diff_view(None, {"a": 1}) == {}


def test_tags_compare_as_a_whole_so_purge_tags_removes_a_left_over_tag():
    # purge_tags sends exactly the given tags: a tag the resource has beyond them is a difference to write.
    assert differences({"tags": {"team": "a"}}, {"tags": {"team": "a", "stale": "x"}}) == ["tags"]
    assert differences({"tags": {"team": "a", "n": 1}}, {"tags": {"n": "1", "team": "a"}}) == []
    # Tags the task does not set are not compared at all.
    assert differences({"location": "swedencentral"}, {"location": "swedencentral", "tags": {"a": "b"}}) == []


def test_purge_tags_false_keeps_the_current_tags():
    assert merged_tags({"team": "a"}, {"stale": "x"}, purge=False) == {"team": "a", "stale": "x"}
    assert merged_tags({"team": "a"}, {"stale": "x"}, purge=True) == {"team": "a"}
