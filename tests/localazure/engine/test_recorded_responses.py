"""Real Azure responses (localazure/PROTOCOL.md §8, fixtures/recorded/*.json) replayed through check_response.

Each fixture records the api-version Azure answered with and the api-version it is checked at (the nearest one
localazure/specs carries).  What Azure really returns must pass: explicit nulls for non-required properties, display-name
locations ("East US"), and the purge body's short `type` (a note, not an error)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from localazure.engine.conformance import Conformance, check_error_body, find_specs_dir, load_specs

RECORDED = Path(__file__).parent / "fixtures" / "recorded"
RESPONSES = sorted(p.name for p in RECORDED.glob("*.json") if p.name != "error_bodies.json")
SPECS = find_specs_dir()   # missing definitions fail the tests below (load_specs says what is missing)


@pytest.fixture(scope="module")
def conf():
    return load_specs(SPECS)


def load(name):
    return json.loads((RECORDED / name).read_text())


def test_every_fixture_names_its_source_and_versions():
    assert len(RESPONSES) == 6
    for name in RESPONSES:
        fixture = load(name)
        assert fixture["source"] and fixture["recorded_api_version"] < fixture["checked_api_version"]


@pytest.mark.parametrize("name", RESPONSES)
def test_recorded_response_conforms(conf, name):
    fixture = load(name)
    assert conf.knows(fixture["type_name"], fixture["checked_api_version"])
    report = conf.check_response(fixture["type_name"], fixture["checked_api_version"], fixture["body"])
    assert report.errors == []


def test_apim_create_response_nulls_are_accepted_but_wrong_types_are_not(conf):
    fixture = load("apim_service_create_201.json")
    body = fixture["body"]
    assert body["properties"]["portalUrl"] is None and body["location"] == "East US"
    body["properties"]["disableGateway"] = "false"
    assert conf.check_response(fixture["type_name"], fixture["checked_api_version"], body).errors == [
        "$.properties.disableGateway: types: expected boolean, got string"]


def test_deleted_service_short_type_is_a_note(conf):
    fixture = load("apim_deleted_service_202.json")
    report = conf.check_response(fixture["type_name"], fixture["checked_api_version"], fixture["body"])
    assert report.notes == ['$.type: types: "Microsoft.ApiManagement/deletedservices" differs from '
                            '"Microsoft.ApiManagement/locations/deletedservices"']


def test_deployment_2022_fields_are_all_still_defined(conf):
    fixture = load("cs_deployment_create_201.json")   # scaleSettings/capabilities as returned at 2022-12-01
    report = conf.check_response(fixture["type_name"], fixture["checked_api_version"], fixture["body"])
    assert report.errors == []
    assert report.unknown == []


@pytest.mark.parametrize("entry", load("error_bodies.json")["bodies"], ids=lambda entry: entry["body"]["error"]["code"])
def test_recorded_error_bodies(entry):
    assert entry["source"]
    assert check_error_body(entry["body"]) == []
