"""plugins/filter/onboarding.py: one source for an onboarded project's record and result."""
import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.aigateway.foundry.plugins.filter import onboarding as f

MODELS = [{"name": "gpt-4o-mini"}, {"name": "gpt-4.1-mini"}]


def made(**changes):
    base = {"name": "aigw-blue", "resource_group": "rg-blue", "project_name": "blue", "connection_name": "gw",
            "models": MODELS, "foundry_project": {"id": "/p/blue", "endpoint": "https://blue/api/projects/blue",
                                                  "principal_id": "oid-blue"},
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
                      "tokens_per_minute": 400, "resource_group": "rg-blue", "connection": "gw"}
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
