"""The first-Azure-run kit's recorder: what an answer keeps (its shape, its type) and loses (secrets, ids)."""
import json
import os
import stat

import pytest

from ansible_collections.aigateway.foundry.plugins.module_utils import recording

SUB = "6f1c2a8e-1b2c-4d5e-8f90-0a1b2c3d4e5f"


@pytest.mark.parametrize("path, expected", [
    ("/subscriptions/%s/resourceGroups/rg/providers/Microsoft.ApiManagement/service/apim/apis/inference" % SUB,
     "Microsoft.ApiManagement/service/apis"),
    ("/subscriptions/%s/resourceGroups/rg/providers/Microsoft.CognitiveServices/accounts/a/deployments" % SUB,
     "Microsoft.CognitiveServices/accounts/deployments"),
    ("/subscriptions/%s/resourceGroups/rg/providers/Microsoft.CognitiveServices/accounts/a/providers/"
     "Microsoft.Authorization/roleAssignments/%s" % (SUB, SUB), "Microsoft.Authorization/roleAssignments"),
    ("/subscriptions/%s/providers/Microsoft.ApiManagement" % SUB, "Microsoft.Resources/providers"),
    ("/subscriptions/%s/resourcegroups/rg" % SUB, "Microsoft.Resources/resourceGroups"),
    ("/api/projects/p/assistants", None),
])
def test_type_name_of_a_path(path, expected):
    assert recording.type_name(path) == expected


def test_an_answer_keeps_its_shape_and_loses_secrets_ids_and_addresses():
    body = {"id": "/subscriptions/%s/resourceGroups/rg/providers/Microsoft.Web/x/y" % SUB,
            "identity": {"principalId": SUB, "tenantId": SUB, "type": "SystemAssigned"},
            "properties": {"primaryKey": "k" * 32, "key1": "abc", "connectionString": "InstrumentationKey=z",
                           "publisherEmail": "ops@contoso.com", "keySource": "Microsoft.KeyVault",
                           "credentials": {"header": {"api-key": ["{{backend-key}}"]}},
                           "description": "token eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.sig",
                           "tags": ["a", 1, None], "enabled": True,
                           "opaque": "Zm9vYmFyYmF6cXV4Zm9vYmFyYmF6cXV4Zm9vYmFy"}}
    clean = recording.sanitize(body)
    text = json.dumps(clean)
    assert SUB not in text and "contoso" not in text and "eyJ" not in text and "Zm9v" not in text
    assert clean["identity"] == {"principalId": recording.ZERO_GUID, "tenantId": recording.ZERO_GUID,
                                 "type": "SystemAssigned"}
    props = clean["properties"]
    assert props["primaryKey"] == props["key1"] == props["connectionString"] == "(secret)"
    assert props["credentials"] == {"header": {"api-key": ["(secret)"]}}
    assert props["publisherEmail"] == "(email)" and props["keySource"] == "Microsoft.KeyVault"
    assert props["tags"] == ["a", 1, None] and props["enabled"] is True


def test_a_secret_named_value_loses_its_value_a_plain_one_keeps_it():
    secret = recording.sanitize({"properties": {"displayName": "k", "secret": True, "value": "s3cret"}})
    plain = recording.sanitize({"properties": {"displayName": "m", "secret": False, "value": "gpt-4o"}})
    assert secret["properties"]["value"] == "(secret)" and plain["properties"]["value"] == "gpt-4o"


def test_an_exchange_keeps_the_monitors_and_retry_after_only():
    record = recording.exchange(
        "put", "https://management.azure.com/subscriptions/%s/resourceGroups/rg?api-version=2025-04-01" % SUB, 201,
        {"Azure-AsyncOperation": "https://management.azure.com/subscriptions/%s/op?sig=abc" % SUB,
         "Retry-After": "10", "Set-Cookie": "x", "x-ms-correlation-request-id": SUB},
        json.dumps({"name": "rg"}), clock=lambda: 0)
    assert record["headers"] == {"Azure-AsyncOperation": "https://management.azure.com/subscriptions/%s/op?(secret)"
                                 % recording.ZERO_GUID, "Retry-After": "10"}
    assert record["type_name"] == "Microsoft.Resources/resourceGroups"
    assert record["recorded_api_version"] == "2025-04-01" and record["method"] == "PUT"
    assert record["source"].endswith("1970-01-01") and SUB not in json.dumps(record)


def test_records_are_private_and_written_whole(tmp_path, monkeypatch):
    folder = tmp_path / "recorded"
    monkeypatch.setenv(recording.RECORD_DIR_ENV, str(folder))
    assert recording.record_dir() == str(folder) and recording.recorder() is not None
    first = recording.write(str(folder), {"status": 200})
    second = recording.write(str(folder), {"status": 201})
    assert first != second and os.listdir(str(folder)) and not list(folder.glob("*.partial"))
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert stat.S_IMODE(os.stat(first).st_mode) == 0o600
    monkeypatch.setenv(recording.RECORD_DIR_ENV, " ")
    assert recording.recorder() is None
