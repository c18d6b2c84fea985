"""plugins/filter/onboarding_plan.py: which projects an onboarding run must write, from one listing per kind."""
import json

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.aigateway.foundry.plugins.filter import onboarding as record_filters
from ansible_collections.aigateway.foundry.plugins.filter import onboarding_plan as f

GROUP_ID = "/subscriptions/sub/resourceGroups/rg-agents"
PROJECT_ID = GROUP_ID + "/providers/Microsoft.CognitiveServices/accounts/agents/projects/proj-blue"
ROLE_ID = "/subscriptions/sub/providers/Microsoft.Authorization/roleDefinitions/53ca6127-db72-4b80-b1b0-d745d6d5456d"
CALLER = {"object_id": "oid-caller"}
SETTINGS = {"prefix": "team-", "resource_group": "rg-gateway", "connection_name": "ai-gateway",
            "models": [{"name": "gpt-4o-mini"}, {"name": "gpt-4.1-mini"}], "grant_caller": True, "caller": CALLER,
            "caller_role_name": "Azure AI User", "key_vault": "", "key_vault_resource_group": "",
            "inputs": {"target": "https://gw/inference", "policy_template": "abc"}}
BLUE = {"team": "blue", "account": "agents", "resource_group": "rg-agents", "project": "proj-blue",
        "tokens_per_minute": 400}


def listed_project(state="Succeeded"):
    return {"id": PROJECT_ID.replace("proj-blue", "PROJ-BLUE"), "identity": {"principalId": "oid-blue"},
            "properties": {"provisioningState": state, "endpoints": {"AI Foundry API": "https://blue/api"}}}


def record(project=None, **changes):
    """The record an earlier run wrote for the project (through the record filter, as the role writes it)."""
    project, settings = project or BLUE, SETTINGS
    [entry] = f.onboarding_plan([project], {}, settings)
    entry.update(foundry_project={"id": PROJECT_ID, "created": True},
                 caller_role={"changed": True, "role_definition_id": ROLE_ID})
    value = record_filters.onboarding_entry_record(entry, settings)
    value.update(changes)
    return {"name": "team-" + project["team"], "properties": {"tags": ["aigw-onboarding"], "value": json.dumps(value)}}


def onboarded(**changes):
    """What the listings show of a project onboarding finished."""
    listed = {"projects": [listed_project()], "records": [record()],
              "products": [{"name": "team-blue", "properties": {"state": "published", "subscriptionRequired": True}}],
              "subscriptions": [{"name": "team-blue", "id": "/s/team-blue", "properties": {
                  "state": "active", "scope": "/subscriptions/sub/.../service/gw/products/team-blue"}}],
              "role_assignments": [{"properties": {"scope": PROJECT_ID, "roleDefinitionId": ROLE_ID,
                                                   "principalId": "OID-CALLER"}}]}
    listed.update(changes)
    return listed


def test_a_project_onboarded_as_listed_needs_nothing_and_its_result_comes_from_the_listing():
    [entry] = f.onboarding_plan([BLUE], onboarded(), SETTINGS)
    assert (entry["todo"], entry["reasons"], entry["create"]) == (False, [], False)
    [result] = record_filters.onboarding_entry_results([entry], [], SETTINGS)
    assert result["project_endpoint"] == "https://blue/api" and result["subscription_id"] == "/s/team-blue"
    assert result["connection_id"] == PROJECT_ID.replace("proj-blue", "PROJ-BLUE") + "/connections/ai-gateway"
    assert result["created_project"] is True and result["agent_model"] == "ai-gateway/gpt-4o-mini"


def test_a_new_project_is_created_and_written():
    [entry] = f.onboarding_plan([BLUE], onboarded(projects=[], records=[], products=[], subscriptions=[]), SETTINGS)
    assert entry["todo"] and entry["create"]
    assert entry["reasons"] == ["no record", "project missing", "product missing or changed",
                                "subscription missing or changed"]


@pytest.mark.parametrize("changes, reason", [
    ({"projects": [listed_project("Creating")]}, "project not ready"),
    ({"products": [{"name": "team-blue", "properties": {"state": "notPublished"}}]}, "product missing or changed"),
    ({"products": []}, "product missing or changed"),
    ({"subscriptions": [{"name": "team-blue", "properties": {"state": "suspended", "scope": "/products/team-blue"}}]},
     "subscription missing or changed"),
    ({"subscriptions": [{"name": "team-blue", "properties": {"state": "active", "scope": "/apis"}}]},
     "subscription missing or changed"),
    ({"role_assignments": []}, "caller's role missing"),
    ({"role_assignments": [{"properties": {"scope": PROJECT_ID, "roleDefinitionId": ROLE_ID[:-4] + "ffff",
                                           "principalId": "oid-caller"}}]}, "caller's role missing"),
    ({"records": [record(inputs="older")]}, "inputs changed"),
    # a record written before the digest existed is rewritten once
    ({"records": [record(inputs=None)]}, "inputs changed"),
])
def test_what_differs_from_the_listing_puts_the_project_in_the_work_list(changes, reason):
    [entry] = f.onboarding_plan([BLUE], onboarded(**changes), SETTINGS)
    assert entry["todo"] and entry["reasons"] == [reason]


@pytest.mark.parametrize("change", [
    {"tokens_per_minute": 500}, {"token_quota": 1000}, {"models": ["gpt-4o-mini"]}, {"auth_type": "ApiKey"}])
def test_a_changed_entry_changes_the_digest(change):
    [entry] = f.onboarding_plan([dict(BLUE, **change)], onboarded(), SETTINGS)
    assert entry["reasons"] == ["inputs changed"]


@pytest.mark.parametrize("key, value", [("target", "https://other/inference"), ("policy_template", "new")])
def test_a_changed_role_input_changes_every_digest(key, value):
    settings = dict(SETTINGS, inputs=dict(SETTINGS["inputs"], **{key: value}))
    [entry] = f.onboarding_plan([BLUE], onboarded(), settings)
    assert entry["reasons"] == ["inputs changed"]


def test_recheck_puts_every_project_in_the_work_list():
    [entry] = f.onboarding_plan([BLUE], onboarded(), dict(SETTINGS, recheck=True))
    assert entry["reasons"] == ["recheck"]


def test_an_identity_project_has_no_product_and_no_subscription():
    identity = dict(BLUE, auth_type="ProjectManagedIdentity")
    listed = onboarded(records=[record(identity)])
    [entry] = f.onboarding_plan([identity], listed, SETTINGS)
    assert entry["reasons"] == ["product of a key project left"]
    [entry] = f.onboarding_plan([identity], dict(listed, products=[], subscriptions=[]), SETTINGS)
    assert entry["todo"] is False


def test_a_project_onboarding_did_not_make_is_found_in_the_account_group_and_never_created_when_listed():
    own = dict(BLUE, create_project=False)
    settings = dict(SETTINGS, grant_caller=True)
    [entry] = f.onboarding_plan([own], onboarded(records=[record(own)], role_assignments=[]), settings)
    # no caller role is asked for a project onboarding does not make
    assert (entry["todo"], entry["create"], entry["grant_caller"]) == (False, False, False)
    [entry] = f.onboarding_plan([own], onboarded(projects=[], records=[record(own)]), settings)
    assert entry["create"] is False and entry["reasons"] == ["project missing"]


def test_a_project_of_another_account_or_group_is_not_taken_for_the_listed_one():
    for other in (dict(BLUE, account="agents2"), dict(BLUE, resource_group="rg-other")):
        [entry] = f.onboarding_plan([other], onboarded(), SETTINGS)
        assert "project missing" in entry["reasons"] and entry["create"]


def test_the_record_keeps_the_digest_and_the_caller_role_for_the_next_run():
    value = json.loads(record()["properties"]["value"])
    [entry] = f.onboarding_plan([BLUE], onboarded(), SETTINGS)
    assert value["inputs"] == entry["fingerprint"] and value["caller_role_definition"] == ROLE_ID
    assert value["caller_role"] == {"scope": PROJECT_ID, "role": "Azure AI User", "principal_id": "oid-caller"}


def test_results_keep_the_projects_order_and_leave_out_projects_only_predicted():
    green = dict(BLUE, team="green", project="proj-green")
    plan = f.onboarding_plan([BLUE, green], onboarded(), SETTINGS)
    assert [entry["todo"] for entry in plan] == [False, True]
    assert [r["team"] for r in record_filters.onboarding_entry_results(plan, [], SETTINGS)] == ["blue"]
    written = dict(plan[1], foundry_project={"id": "/p/green", "created": True}, subscription={"id": "/s/green"})
    results = record_filters.onboarding_entry_results(plan, [written], SETTINGS)
    assert [(r["team"], r["subscription_id"]) for r in results] == [("blue", "/s/team-blue"), ("green", "/s/green")]


def test_bad_arguments_are_refused():
    with pytest.raises(AnsibleFilterError):
        f.onboarding_plan("blue", {}, SETTINGS)


def test_a_created_project_is_read_back_from_the_wait_s_listing():
    [entry] = f.onboarding_plan([BLUE], {}, SETTINGS)
    assert f.onboarding_found_project([listed_project()], entry) == {
        "id": PROJECT_ID.replace("proj-blue", "PROJ-BLUE"), "created": False, "principal_id": "oid-blue",
        "endpoint": "https://blue/api"}
    assert f.onboarding_found_project([], entry) == {}


def test_what_this_run_registered_is_joined_to_the_work_list_in_one_pass():
    green = dict(BLUE, team="green", project="proj-green")
    plan = f.onboarding_plan([BLUE, green], onboarded(records=[record(), record(green)]), SETTINGS)
    green_id = PROJECT_ID.replace("proj-blue", "proj-green")
    waited = [{"id": green_id, "identity": {"principalId": "oid-green"},
               "properties": {"provisioningState": "Succeeded"}}]
    ready = record_filters.onboarding_written(plan, {
        "starts": [{"skipped": True}, {"id": green_id, "created": True, "invocation": {"big": "x"}}],
        "waited": waited, "check_mode": False})
    assert ready[1]["foundry_project"] == {"id": green_id, "created": True, "principal_id": "oid-green",
                                           "endpoint": None}
    assert ready[0]["foundry_project"] == plan[0]["foundry_project"] and not ready[0]["predict_only"]
    done = record_filters.onboarding_written(ready, {
        "caller_roles": [{"skipped": True}, {"changed": True, "role_definition_id": ROLE_ID, "diff": {}}],
        "subscriptions": [{"skipped": True}, {"id": "/s/team-green", "changed": True}],
        "connections": [{"skipped": True}, {"id": "/c/green", "model_reference_prefix": "ai-gateway/"}]})
    assert done[1]["foundry_project"]["created"] is True
    assert (done[1]["subscription"], done[1]["connection"], done[1]["caller_role"]) == (
        {"id": "/s/team-green"}, {"id": "/c/green", "model_reference_prefix": "ai-gateway/"},
        {"changed": True, "role_definition_id": ROLE_ID})
    assert (done[0]["subscription"], done[0]["caller_role"]) == ({"id": "/s/team-blue"}, {})


def test_a_new_team_in_check_mode_is_only_predicted():
    [entry] = f.onboarding_plan([BLUE], {}, SETTINGS)
    [ready] = record_filters.onboarding_written([entry], {"starts": [{"id": PROJECT_ID, "created": True}],
                                                          "check_mode": True})
    assert ready["predict_only"] and ready["foundry_project"] == {"id": PROJECT_ID, "created": True}
    assert record_filters.onboarding_entry_results([entry], [ready], SETTINGS) == []
