"""What an azure.azcollection user brings along works here: the credentials file and its profiles
(auth_source=credential_file, AZURE_PROFILE), azcollection's option names (resource_group_name, service_name,
account_name, ...) and tags that are added to unless purge_tags."""
import uuid

import pytest

# The service principal's variables removed from the module's environment: only the file can sign it in.
NO_PRINCIPAL = {"AZURE_CLIENT_ID": "", "AZURE_SECRET": "", "AZURE_TENANT": "", "AZURE_SUBSCRIPTION_ID": ""}


@pytest.fixture
def home(tmp_path, endpoint):
    """A HOME whose ~/.azure/credentials holds the endpoint's service principal as profile 'gateway' (and a
    default profile naming a subscription that does not exist)."""
    (tmp_path / ".azure").mkdir()
    (tmp_path / ".azure" / "credentials").write_text(
        "[default]\nsubscription_id = 99999999-9999-9999-9999-999999999999\nclient_id = nobody\nsecret = none\n"
        "tenant = %(tenant)s\n\n[gateway]\nsubscription_id = %(subscription)s\nclient_id = %(client)s\n"
        "secret = %(secret)s\ntenant = %(tenant)s\n" % {
            "tenant": endpoint["tenant_id"], "subscription": endpoint["subscription_id"],
            "client": endpoint["client_id"], "secret": endpoint["client_secret"]})
    return str(tmp_path)


def test_credential_file_profile_signs_in(run_module, resource_group, home, endpoint):
    env = dict(NO_PRINCIPAL, HOME=home)
    found = run_module("resource_group_info", {"auth_source": "credential_file", "profile": "gateway",
                                               "name": resource_group}, env=env)
    assert [group["name"] for group in found["resource_groups"]] == [resource_group]
    assert endpoint["client_secret"] not in found["_stdout"]

    by_variable = run_module("resource_group_info", {"name": resource_group}, env=dict(env, AZURE_PROFILE="gateway"))
    assert [group["name"] for group in by_variable["resource_groups"]] == [resource_group]

    missing = run_module("resource_group_info", {"auth_source": "credential_file", "profile": "absent"}, env=env,
                         expect_failure=True)
    assert "needs profile absent with a subscription_id in %s/.azure/credentials" % home in missing["msg"]


def test_azcollection_option_names_and_purge_tags(run_module, resource_group, request_log):
    name = "law-habits-%s" % uuid.uuid4().hex[:6]
    args = {"resource_group_name": resource_group, "name": name}
    created = run_module("log_analytics_workspace", dict(args, tags={"team": "a", "stale": "x"}))
    assert created["state"]["tags"] == {"team": "a", "stale": "x"}

    added = run_module("log_analytics_workspace", dict(args, tags={"cost": "1"}))
    assert added["changed"] is True and added["state"]["tags"] == {"team": "a", "stale": "x", "cost": "1"}

    mark = request_log.mark()
    predicted = run_module("log_analytics_workspace", dict(args, tags={"team": "a"}, purge_tags=True), check=True,
                           diff=True)
    assert predicted["changed"] is True and predicted["diff"]["after"]["tags"] == {"team": "a"}
    assert request_log.writes(mark) == []
    purged = run_module("log_analytics_workspace", dict(args, tags={"team": "a"}, purge_tags=True))
    assert purged["changed"] is True and purged["state"]["tags"] == {"team": "a"}
    again = run_module("log_analytics_workspace", dict(args, tags={"team": "a"}, purge_tags=True))
    assert again["changed"] is False
    run_module("log_analytics_workspace", dict(args, state="absent", force_delete=True))
