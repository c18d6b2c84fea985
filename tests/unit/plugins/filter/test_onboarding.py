"""plugins/filter/onboarding.py: one source for an onboarded project's record and result."""
import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.aigateway.foundry.plugins.filter import onboarding as f

MODELS = [{"name": "gpt-4o-mini"}, {"name": "gpt-4.1-mini"}]


def made(**changes):
    base = {"name": "aigw-blue", "resource_group": "rg-blue", "project_name": "blue", "connection_name": "gw",
            "models": MODELS, "foundry_project": {"id": "/p/blue", "endpoint": "https://blue/api/projects/blue",
                                                  "principal_id": "oid-blue", "changed": True, "created": True},
            "subscription": {"id": "/s/aigw-blue"}, "connection": {"id": "/c/gw"},
            "key_vault": "", "key_vault_resource_group": ""}
    base.update(changes)
    return base


KEY_PROJECT = {"team": "blue", "account": "agents", "tokens_per_minute": "400"}
IDENTITY_PROJECT = dict(KEY_PROJECT, auth_type="ProjectManagedIdentity", token_quota=5000)


def test_a_key_project_s_record_and_result_share_their_fields():
    record = f.onboarding_record(KEY_PROJECT, made())
    assert record == {"team": "blue", "account": "agents", "project": "blue",
                      "project_endpoint": "https://blue/api/projects/blue", "created_project": True,
                      "tokens_per_minute": 400, "resource_group": "rg-blue", "connection": "gw",
                      "created_from": "foundry_project"}
    result = f.onboarding_result(KEY_PROJECT, made())
    assert {key: result[key] for key in ("team", "account", "project", "project_endpoint", "created_project",
                                         "tokens_per_minute")} == {key: record[key] for key in (
                                             "team", "account", "project", "project_endpoint", "created_project",
                                             "tokens_per_minute")}
    assert (result["product"], result["subscription"], result["subscription_id"], result["principal_id"]) == (
        "aigw-blue", "aigw-blue", "/s/aigw-blue", None)
    assert (result["auth_type"], result["connection_id"]) == ("ApiKey", "/c/gw")
    assert result["agent_model"] == "gw/gpt-4o-mini" and result["models"] == ["gpt-4o-mini", "gpt-4.1-mini"]


def test_an_identity_project_records_its_principal_and_limit_and_has_no_product():
    record = f.onboarding_record(IDENTITY_PROJECT, made(key_vault="kv", key_vault_resource_group="rg-kv"))
    assert (record["auth_type"], record["principal_id"], record["project_id"]) == (
        "ProjectManagedIdentity", "oid-blue", "/p/blue")
    assert (record["token_quota"], record["token_quota_period"]) == (5000, "Monthly")
    assert "key_vault" not in record
    result = f.onboarding_result(IDENTITY_PROJECT, made())
    assert (result["product"], result["subscription"], result["subscription_id"], result["principal_id"]) == (
        None, None, None, "oid-blue")


def test_a_key_vault_is_recorded_for_key_projects_and_an_existing_project_has_no_endpoint_from_us():
    given = dict(KEY_PROJECT, create_project="no")
    record = f.onboarding_record(given, made(key_vault="kv", key_vault_resource_group="rg-kv",
                                             foundry_project={"skipped": True}))
    assert (record["key_vault"], record["key_vault_resource_group"]) == ("kv", "rg-kv")
    assert (record["created_project"], record["project_endpoint"]) == (False, "")


def test_the_connection_s_prefix_names_the_agent_model():
    result = f.onboarding_result(KEY_PROJECT, made(connection={"id": "/c", "model_reference_prefix": "gw-x/"}))
    assert result["agent_model"] == "gw-x/gpt-4o-mini"


@pytest.mark.parametrize("project, named", [({"account": "a", "tokens_per_minute": 1}, "team"),
                                            ({"team": "t", "account": "a"}, "tokens_per_minute"),
                                            ("blue", "team")])
def test_a_project_without_what_onboarding_validated_is_refused_naming_it(project, named):
    with pytest.raises(AnsibleFilterError, match="the project needs %s" % named):
        f.onboarding_record(project, made())


def test_a_project_without_a_model_is_refused():
    with pytest.raises(AnsibleFilterError, match="project blue has no model behind the gateway"):
        f.onboarding_result(KEY_PROJECT, made(models=[]))


@pytest.mark.parametrize("flag", [True, "yes", None])
def test_a_project_that_existed_is_never_recorded_as_made_whatever_the_flag(flag):
    # create_project (default true) only says the project may be created: the module's answer says whether it was
    given = dict(KEY_PROJECT, **({} if flag is None else {"create_project": flag}))
    existing = made(foundry_project={"id": "/p/blue", "changed": False, "created": False})
    assert f.onboarding_record(given, existing)["created_project"] is False
    assert f.onboarding_result(given, existing)["created_project"] is False


def test_a_project_this_run_created_is_recorded_as_made_and_stays_so_on_later_runs():
    created = made(foundry_project={"id": "/p/blue", "changed": True, "created": True})
    assert f.onboarding_record(KEY_PROJECT, created)["created_project"] is True
    # a later run finds it (not created now): the record it wrote earlier still says onboarding made it
    later = made(foundry_project={"id": "/p/blue", "changed": False, "created": False},
                 record={"created_project": True, "created_from": "foundry_project"})
    assert f.onboarding_record(KEY_PROJECT, later)["created_project"] is True
    # a record an older onboarding wrote took create_project's word for it: never trusted to delete a project
    older = made(foundry_project={"id": "/p/blue", "changed": False, "created": False},
                 record={"created_project": True})
    assert f.onboarding_record(KEY_PROJECT, older)["created_project"] is False
    # an update of a project someone else made (changed, not created) is not a create
    updated = made(foundry_project={"id": "/p/blue", "changed": True, "created": False},
                   record={"created_project": False})
    assert f.onboarding_record(KEY_PROJECT, updated)["created_project"] is False


def test_a_caller_role_assignment_onboarding_made_is_recorded_so_removal_deletes_exactly_it():
    given = made(foundry_project={"id": "/p/blue", "created": False},
                 caller_role={"changed": True, "created": True, "id": "/p/blue/ra/1"},
                 caller={"object_id": "oid-caller"}, caller_role_name="Azure AI User")
    record = f.onboarding_record(KEY_PROJECT, given)
    assert record["caller_role"] == {"scope": "/p/blue", "role": "Azure AI User", "principal_id": "oid-caller"}
    assert "caller_role" not in f.onboarding_record(KEY_PROJECT, made(caller_role={"changed": False}))


GOOD = [{"team": "blue", "account": "agents-x1", "tokens_per_minute": 400},
        {"team": "green", "account": "agents-x1", "project": "proj-green", "tokens_per_minute": "500",
         "token_quota": 10000, "token_quota_period": "Daily"}]


def problems(projects=None, prefix="team-", connection="ai-gateway", models=("gpt-4o-mini",)):
    return f.onboarding_problems(GOOD if projects is None else projects, prefix, connection, list(models), "rg-gw")


def test_valid_projects_have_no_problem():
    assert problems() == []
    assert problems([dict(GOOD[0], create_project="True"), dict(GOOD[1], create_project="no")]) == []


def test_two_teams_on_one_project_are_refused_naming_both_teams_and_the_project():
    shared = GOOD + [{"team": "red", "account": "AGENTS-x1", "project": "blue", "tokens_per_minute": 1}]
    [problem] = problems(shared)
    assert "blue and red" in problem and "same Foundry project agents-x1/blue" in problem
    # the same project name in another account (or resource group) is another project
    other = GOOD + [{"team": "red", "account": "agents-x2", "project": "blue", "tokens_per_minute": 1},
                    {"team": "pink", "account": "agents-x1", "project": "blue", "resource_group": "rg-2",
                     "tokens_per_minute": 1}]
    assert problems(other) == []


@pytest.mark.parametrize("field, value, named", [
    ("team", "nl1\n", "team 'nl1\\n'"),
    ("team", "Blue", "team 'Blue'"),
    ("team", "", "team ''"),
    ("team", ["blue"], "team name ['blue'] is invalid: it must be a string"),
    ("team", 7, "team name 7 is invalid"),
    ("account", "agents\n", "account name 'agents\\n'"),
    ("project", "proj\n", "project name 'proj\\n'"),
    ("resource_group", "rg\n", "resource group name 'rg\\n'"),
    ("tokens_per_minute", "lots", "tokens_per_minute is 'lots'"),
    ("tokens_per_minute", "400\n", "tokens_per_minute is '400\\n'"),
    ("tokens_per_minute", 0, "tokens_per_minute is 0"),
    ("token_quota", "1e9", "token_quota is '1e9'"),
    ("token_quota_period", "Forever", "token_quota_period is 'Forever'"),
    ("auth_type", "AAD", "auth_type is 'AAD'"),
    ("create_project", "maybe", "create_project is 'maybe'"),
    ("create_project", ["yes"], "create_project is ['yes']"),
    ("models", ["gpt-9"], "models lists 'gpt-9'"),
])
def test_each_bad_field_is_refused_naming_the_team_and_the_value(field, value, named):
    found = problems([dict(GOOD[0], **{field: value})])
    assert len(found) == 1 and named in found[0], found


def test_a_team_listed_twice_an_identity_on_an_existing_project_and_no_dict_are_refused():
    assert "team 'blue' is listed twice" in problems([GOOD[0], dict(GOOD[0], project="other")])[0]
    identity = dict(GOOD[0], auth_type="ProjectManagedIdentity", create_project=False)
    assert "ProjectManagedIdentity needs create_project" in problems([identity])[0]
    assert "aigw_projects[0] is 'blue'" in problems(["blue"])[0]
    assert "aigw_projects must be a list" in problems({"team": "blue"})[0]


@pytest.mark.parametrize("prefix, named", [("team-\n", "aigw_onboarding_prefix 'team-\\n'"),
                                           ("team/", "aigw_onboarding_prefix 'team/'"),
                                           ("t" * 250, "aigw_onboarding_prefix")])
def test_the_prefix_is_refused_before_the_first_write(prefix, named):
    assert named in problems(prefix=prefix)[0]


def test_the_connection_name_is_checked_too():
    assert "connection name 'ai gateway'" in problems(connection="ai gateway")[0]
