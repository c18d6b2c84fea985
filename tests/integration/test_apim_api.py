"""apim_api against the local endpoint: lifecycle, OpenAPI import decided by the operations APIM created,
path normalisation, If-Match on delete, bad input refused before any write."""
import json
import uuid

import pytest

SPEC = {"openapi": "3.0.1", "info": {"title": "Inference", "version": "1"},
        "paths": {"/deployments/{deployment-id}/chat/completions": {
            "post": {"operationId": "ChatCompletions_Create",
                     "parameters": [{"name": "deployment-id", "in": "path", "required": True,
                                     "schema": {"type": "string"}}]}}}}
WIDER = json.loads(json.dumps(SPEC))
WIDER["paths"]["/deployments/{deployment-id}/embeddings"] = {"post": {"operationId": "Embeddings_Create"}}


def test_lifecycle_with_import(run_module, apim, request_log):
    start = request_log.mark()
    args = dict(apim, name="inference-api", display_name="Inference API", path="inference/openai/",
                subscription_key_header="api-key", subscription_key_query="api-key", subscription_required=True,
                spec=SPEC)

    mark = request_log.mark()
    predicted = run_module("apim_api", args, check=True, diff=True)
    assert predicted["changed"] is True and predicted["imported"] is True
    assert predicted["operations"] == ["POST /deployments/{}/chat/completions"]
    assert predicted["diff"]["after"]["properties"]["path"] == "inference/openai"
    assert request_log.writes(mark) == []

    created = run_module("apim_api", args)
    assert created["changed"] is True and created["imported"] is True
    assert created["state"]["properties"]["path"] == "inference/openai"
    assert created["operations"] == ["POST /deployments/{deployment-id}/chat/completions"]
    assert [w["method"] for w in request_log.writes(mark)] == ["PUT"]

    mark = request_log.mark()
    again = run_module("apim_api", dict(args, path="/inference/openai", spec=json.dumps(SPEC)))
    assert again["changed"] is False and again["imported"] is False
    assert request_log.writes(mark) == [], "an unchanged spec and path only read"

    renamed = run_module("apim_api", dict(args, display_name="Inference"))
    assert renamed["changed"] is True and renamed["imported"] is False
    assert renamed["operations"] == created["operations"]
    assert len(request_log.writes(mark)) == 1

    mark = request_log.mark()
    wider = run_module("apim_api", dict(args, display_name="Inference", spec=WIDER))
    assert wider["changed"] is True and wider["imported"] is True
    assert sorted(wider["operations"]) == ["POST /deployments/{deployment-id}/chat/completions",
                                           "POST /deployments/{deployment-id}/embeddings"]
    assert len(request_log.writes(mark)) == 1

    deleted = run_module("apim_api", dict(apim, name="inference-api", state="absent"))
    assert deleted["changed"] is True and deleted["state"] is None
    mark = request_log.mark()
    assert run_module("apim_api", dict(apim, name="inference-api", state="absent"))["changed"] is False
    assert request_log.writes(mark) == []
    assert request_log.non_conforming(start, "Microsoft.ApiManagement") == [], "requests must match Microsoft's 2024-05-01 types"


def test_plain_api_without_spec(run_module, apim, request_log):
    args = dict(apim, name="plain", display_name="Plain", path="plain", service_url="https://backend.example.com",
                protocols=["https"])
    assert run_module("apim_api", args)["changed"] is True
    mark = request_log.mark()
    result = run_module("apim_api", dict(args, service_url="https://backend.example.com/"))
    assert result["changed"] is False and "operations" not in result
    assert request_log.writes(mark) == []
    run_module("apim_api", dict(apim, name="plain", state="absent"))


def test_azure_rm_apimanagement_option_names(run_module, apim, request_log):
    # azure.azcollection's names for the same options: api_id, service_name, resource_group_name, value, format
    args = {"resource_group_name": apim["resource_group"], "service_name": apim["service"], "api_id": "azcollection",
            "display_name": "Azcollection", "path": "azcollection", "value": json.dumps(SPEC),
            "format": "openapi+json"}
    created = run_module("apim_api", args)
    assert created["changed"] is True and created["imported"] is True
    assert created["state"]["name"] == "azcollection"
    mark = request_log.mark()
    assert run_module("apim_api", dict(apim, name="azcollection", display_name="Azcollection", path="azcollection",
                                       spec=SPEC))["changed"] is False
    assert request_log.writes(mark) == []
    run_module("apim_api", {"resource_group_name": apim["resource_group"], "service_name": apim["service"],
                            "api_id": "azcollection", "state": "absent"})


@pytest.mark.parametrize("extra, message", [
    ({"display_name": "X"}, "path is required"),
    ({"path": "x"}, "display_name is required"),
    ({"path": "x", "spec": {"openapi": "3.0.1"}}, "no paths"),
    ({"path": "x", "spec": "not: [json", "spec_format": "openapi+json"}, "not JSON"),
])
def test_bad_input_fails_before_any_write(run_module, apim, request_log, extra, message):
    mark = request_log.mark()
    result = run_module("apim_api", dict(apim, name="bad-%s" % uuid.uuid4().hex[:6], **extra), expect_failure=True)
    assert message in result["msg"]
    assert request_log.writes(mark) == []
