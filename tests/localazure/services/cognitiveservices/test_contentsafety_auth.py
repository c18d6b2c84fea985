"""Content Safety's data plane admits a caller as Azure AI services do (learn.microsoft.com/azure/ai-services/
authentication): one of the account's keys, or an Entra token of a principal whose role reaches Content Safety
(Cognitive Services User or broader); no credential, a wrong key or a principal without such a role is answered 401
in the service's error shape, before the text is rated."""
from __future__ import annotations

import pytest

from localazure.engine.answers import Answer
from localazure.services.authorization.assignments import ASSIGNMENT_TYPE
from localazure.services.cognitiveservices.modelhost import ModelHost
from localazure.services.cognitiveservices.state import ACCOUNT_TYPE, KEYS_TABLE
from tests.localazure.services.conftest import RG_ID, SUB, FakeStore

ACCOUNT_ID = f"{RG_ID}/providers/{ACCOUNT_TYPE}/contentsafety-1"
APIM_PRINCIPAL = "33333333-3333-3333-3333-333333333333"
ROLES = {"Cognitive Services User": "a97b65f3-24c7-4388-baec-2e87135dc908",
         "Cognitive Services OpenAI User": "5e0bd9bd-7b93-4f28-af87-19fc36ad61bd",
         "Azure AI User": "53ca6127-db72-4b80-b1b0-d745d6d5456d"}
REQUEST = {"text": "violence-severity-6", "categories": ["Violence"], "blocklistNames": []}


@pytest.fixture
def host():
    store = FakeStore()
    account = {"id": ACCOUNT_ID, "name": "contentsafety-1", "type": ACCOUNT_TYPE, "kind": "ContentSafety",
               "properties": {}}
    store.put(ACCOUNT_ID, ACCOUNT_TYPE, account)
    store.kv_put(KEYS_TABLE, ACCOUNT_ID.lower(), {"key1": "right-key", "key2": "other-key"})
    return ModelHost(store, SUB), store, account


def grant(store, role, scope=ACCOUNT_ID, principal=APIM_PRINCIPAL):
    assignment_id = f"{scope}/providers/{ASSIGNMENT_TYPE}/{role[:8]}"
    store.put(assignment_id, ASSIGNMENT_TYPE, {"id": assignment_id, "type": ASSIGNMENT_TYPE, "properties": {
        "scope": scope, "principalId": principal,
        "roleDefinitionId": f"/subscriptions/{SUB}/providers/Microsoft.Authorization/roleDefinitions/{role}"}})


def refusal(call) -> Answer:
    with pytest.raises(Answer) as refused:
        call()
    return refused.value


def test_a_call_with_no_credential_is_answered_401_in_the_services_shape(host):
    model_host, _, account = host
    answer = refusal(lambda: model_host.rate_prompt(account, REQUEST, False))
    assert answer.status == 401
    assert answer.body["error"]["code"] == "401"
    assert answer.body["error"]["message"].startswith("Access denied due to invalid subscription key")


def test_a_wrong_key_is_answered_401_and_a_right_key_is_rated(host):
    model_host, _, account = host
    assert refusal(lambda: model_host.rate_prompt(account, REQUEST, False, key="wrong")).status == 401
    verdict = model_host.rate_prompt(account, REQUEST, False, key="other-key")
    assert verdict["categoriesAnalysis"] == [{"category": "Violence", "severity": 6}]


def test_a_key_is_refused_when_the_account_disables_key_authentication(host):
    model_host, _, account = host
    account["properties"]["disableLocalAuth"] = True
    answer = refusal(lambda: model_host.rate_prompt(account, REQUEST, False, key="right-key"))
    assert (answer.status, answer.body["error"]["code"]) == (401, "AuthenticationTypeDisabled")


@pytest.mark.parametrize("role", ["Cognitive Services User", "Azure AI User"])
def test_a_principal_with_a_role_that_reaches_content_safety_is_rated(host, role):
    model_host, store, account = host
    grant(store, ROLES[role], scope=RG_ID)   # inherited from the resource group
    assert model_host.rate_prompt(account, REQUEST, True, principal=APIM_PRINCIPAL)["userPromptAnalysis"] == {
        "attackDetected": False}


def test_a_principal_without_such_a_role_is_answered_401_permission_denied(host):
    model_host, store, account = host
    grant(store, ROLES["Cognitive Services OpenAI User"])   # its data actions stop at accounts/OpenAI/*
    grant(store, ROLES["Cognitive Services User"], principal="44444444-4444-4444-4444-444444444444")
    answer = refusal(lambda: model_host.rate_prompt(account, REQUEST, False, principal=APIM_PRINCIPAL))
    assert (answer.status, answer.body["error"]["code"]) == (401, "PermissionDenied")
    assert APIM_PRINCIPAL in answer.body["error"]["message"]
    assert "ContentSafety/text:analyze/action" in answer.body["error"]["message"]
