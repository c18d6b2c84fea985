"""check-recording: a recording of Azure's answers (the collection's AIGW_RECORD_DIR) checked against localazure/specs
at the recorded api-version or the nearest one carried; what cannot be checked is counted by reason."""
from __future__ import annotations

import json

import pytest

from localazure.__main__ import main
from localazure.engine.conformance import find_specs_dir, load_specs
from localazure.engine.recordings import carried_versions, check_recording, nearest_version
from tests.localazure.engine.test_recorded_responses import load


@pytest.fixture(scope="module")
def conf():
    return load_specs(find_specs_dir())


def write(folder, name, **record):
    folder.mkdir(exist_ok=True)
    (folder / name).write_text(json.dumps(record))


def test_nearest_version_prefers_the_recorded_then_the_newest_before_it():
    carried = ["2021-08-01", "2024-05-01", "2025-03-01-preview"]
    assert nearest_version(carried, "2024-05-01") == "2024-05-01"
    assert nearest_version(carried, "2024-10-01") == "2024-05-01"
    assert nearest_version(carried, "2019-01-01") == "2021-08-01"
    assert nearest_version([], "2024-05-01") is None
    assert "2024-05-01" in carried_versions(find_specs_dir(), "Microsoft.ApiManagement/service")


def test_a_recording_is_checked_item_by_item_and_names_what_it_could_not_check(conf, tmp_path):
    service = load("apim_service_final_200.json")
    folder = tmp_path / "recorded"
    write(folder, "1.json", type_name=service["type_name"], recorded_api_version=service["recorded_api_version"],
          status=200, method="GET", body={"value": [service["body"], service["body"]]})
    write(folder, "2.json", type_name=None, status=200, method="POST", body={"id": "run_1"})
    write(folder, "3.json", type_name="Microsoft.ApiManagement/service", status=202, method="DELETE", body=None)
    write(folder, "4.json", type_name="Microsoft.Nowhere/things", recorded_api_version="2024-01-01", status=200,
          method="GET", body={"id": "x"})
    report = check_recording(folder, conf)
    assert report.checked == 2 and report.errors == []
    assert report.not_checked == {"data-plane answers (no Resource Manager type)": 1,
                                  "answers without a resource body (errors, accepted operations, deletes)": 1,
                                  "Microsoft.Nowhere/things: no definition carried": 1}


def test_an_answer_the_definitions_refuse_fails_the_check(conf, tmp_path, capsys):
    service = load("apim_service_final_200.json")
    service["body"]["properties"]["disableGateway"] = "false"
    write(tmp_path / "recorded", "1.json", type_name=service["type_name"], status=200, method="GET",
          recorded_api_version=service["recorded_api_version"], body=service["body"])
    assert main(["check-recording", str(tmp_path / "recorded")]) == 1
    out = capsys.readouterr().out
    assert out.startswith("1 answers checked against localazure/specs, 1 disagree")
    assert "disableGateway: types: expected boolean, got string" in out
    assert main(["check-recording", str(tmp_path / "absent")]) == 2
