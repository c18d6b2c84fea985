"""The topology filters: subdomains, deployment rounds, host records, backends, static models, quotas, local URLs."""
import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.aigateway.foundry.plugins.filter import topology as f

GPT4O = {"name": "gpt-4o-mini", "model_version": "2024-07-18"}
GPT41 = {"name": "gpt-4.1-mini", "model_version": "2025-04-14", "capacity": 20}


def test_custom_subdomain_is_the_given_one_else_the_lowercased_name():
    assert f.custom_subdomain({"name": "Models-X1"}) == "models-x1"
    assert f.custom_subdomain({"name": "Models-X1", "custom_subdomain": "gw-models"}) == "gw-models"
    assert f.custom_subdomain("ContentSafety-1") == "contentsafety-1"
    with pytest.raises(AnsibleFilterError, match="needs a name"):
        f.custom_subdomain({"location": "swedencentral"})
    with pytest.raises(AnsibleFilterError, match="an account or its name"):
        f.custom_subdomain("")


def test_deployment_rounds_are_parallel_across_accounts_and_serial_within_one():
    rounds = f.deployment_rounds([{"name": "a", "deployments": [GPT4O, GPT41]}, {"name": "b", "deployments": [GPT41]},
                                  {"name": "agents"}])
    names = [[(d["account"], d["name"]) for d in r] for r in rounds]
    assert names == [[("a", "gpt-4o-mini"), ("b", "gpt-4.1-mini")], [("a", "gpt-4.1-mini")]]
    first = rounds[0][0]
    assert first == {"account": "a", "name": "gpt-4o-mini", "model_name": "gpt-4o-mini", "model_version": "2024-07-18",
                     "model_format": "OpenAI", "sku_name": "GlobalStandard", "capacity": 10,
                     "rai_policy_name": "Microsoft.DefaultV2"}
    assert rounds[0][1]["capacity"] == 20
    assert f.deployment_rounds([]) == []


def test_deployment_rounds_name_the_account_of_a_nameless_deployment():
    with pytest.raises(AnsibleFilterError, match="a deployment of account a needs a name"):
        f.deployment_rounds([{"name": "a", "deployments": [{"model_name": "gpt-4o"}]}])


def test_host_records_add_what_azure_assigned_by_position():
    accounts = [{"name": "a", "backend": "ba", "weight": 70}, {"name": "agents", "project": "p"}]
    created = [{"id": "/x/a", "endpoint": "https://a/", "principal_id": "pa"},
               {"id": "/x/agents", "endpoint": "https://agents/", "principal_id": "pg"}]
    projects = [{"skipped": True, "changed": False}, {"id": "/x/agents/projects/p", "endpoint": "https://agents/api/p"}]
    hosts = f.host_records(accounts, created, projects)
    assert hosts[0] == {"name": "a", "backend": "ba", "weight": 70, "id": "/x/a", "endpoint": "https://a/",
                        "principal_id": "pa", "project_id": "", "project_endpoint": ""}
    assert hosts[1]["project_id"] == "/x/agents/projects/p" and hosts[1]["project_endpoint"] == "https://agents/api/p"
    assert f.host_records(accounts[:1], created[:1])[0]["project_id"] == ""


def test_host_records_refuse_results_that_do_not_match_the_accounts():
    with pytest.raises(AnsibleFilterError, match="1 results for 2 accounts"):
        f.host_records([{"name": "a"}, {"name": "b"}], [{"id": "/x/a"}])
    with pytest.raises(AnsibleFilterError, match="account a has no id in its result: boom"):
        f.host_records([{"name": "a"}], [{"failed": True, "msg": "boom"}])


def test_read_host_records_take_what_azure_has_now_and_leave_out_an_account_not_found():
    accounts = [{"name": "a", "backend": "ba"}, {"name": "gone"}, {"name": "agents", "project": "p"}]
    account_reads = [
        {"accounts": [{"id": "/x/a", "properties": {"endpoint": "https://a/"}, "identity": {"principalId": "pa"}}]},
        {"accounts": []},
        {"accounts": [{"id": "/x/agents", "properties": {"endpoint": "https://agents/"}, "identity": None}]}]
    project_reads = [{"skipped": True}, {"skipped": True},
                     {"projects": [{"id": "/x/agents/projects/p",
                                    "properties": {"endpoints": {"AI Foundry API": "https://agents/api/p"}}}]}]
    hosts = f.read_host_records(accounts, account_reads, project_reads)
    assert [host["name"] for host in hosts] == ["a", "agents"]
    assert hosts[0] == {"name": "a", "backend": "ba", "id": "/x/a", "endpoint": "https://a/", "principal_id": "pa",
                        "project_id": "", "project_endpoint": ""}
    assert hosts[1]["principal_id"] == "" and hosts[1]["project_endpoint"] == "https://agents/api/p"
    with pytest.raises(AnsibleFilterError, match="account reads: 1 results for 3 accounts"):
        f.read_host_records(accounts, account_reads[:1])


def test_gateway_backends_and_pool_members():
    hosts = [{"name": "a", "backend": "ba", "endpoint": "https://a.example/", "priority": 1, "weight": 70},
             {"name": "b", "backend": "bb", "endpoint": "https://b.example"}]
    backends = f.gateway_backends(hosts, "openai/v1")
    assert backends == [{"name": "ba", "account": "a", "url": "https://a.example/openai/v1", "priority": 1, "weight": 70},
                        {"name": "bb", "account": "b", "url": "https://b.example/openai/v1", "priority": 1, "weight": 1}]
    assert f.gateway_backends(hosts[:1])[0]["url"] == "https://a.example/"
    assert f.pool_members(backends) == [{"backend": "ba", "priority": 1, "weight": 70},
                                        {"backend": "bb", "priority": 1, "weight": 1}]


def test_gateway_backends_refuse_missing_or_shared_backend_names():
    with pytest.raises(AnsibleFilterError, match="model host a needs a backend name and an endpoint"):
        f.gateway_backends([{"name": "a", "endpoint": "https://a"}])
    with pytest.raises(AnsibleFilterError, match="backend names must be unique, got x, x"):
        f.gateway_backends([{"name": "a", "backend": "x", "endpoint": "https://a"},
                            {"name": "b", "backend": "x", "endpoint": "https://b"}])


def test_static_models_list_each_deployment_once():
    hosts = [{"name": "a", "deployments": [GPT4O, GPT41]}, {"name": "b", "deployments": [GPT4O]}, {"name": "c"}]
    assert f.static_models(hosts) == [
        {"name": "gpt-4o-mini", "model_name": "gpt-4o-mini", "model_version": "2024-07-18", "model_format": "OpenAI"},
        {"name": "gpt-4.1-mini", "model_name": "gpt-4.1-mini", "model_version": "2025-04-14", "model_format": "OpenAI"}]


def test_quota_entries_keep_only_the_limits_given():
    products = [{"name": "gold", "token_quota": 1000, "token_quota_period": "Monthly", "tokens_per_minute": None,
                 "subscriptions": ["s1"], "display_name": "Gold"}, {"name": "silver", "tokens_per_minute": 500}]
    assert f.quota_entries(products) == [{"product": "gold", "token_quota": 1000, "token_quota_period": "Monthly"},
                                         {"product": "silver", "tokens_per_minute": 500}]


LOCAL = {"gateway_base_url_template": "https://127.0.0.1:8443/gateway/{service}",
         "foundry_project_url_template": "https://127.0.0.1:8443/foundry/{account}/api/projects/{project}"}


def test_local_url_maps_azure_data_plane_urls_to_the_local_stand_ins():
    assert f.local_url("https://apim-x.azure-api.net/inference/openai", LOCAL) == (
        "https://127.0.0.1:8443/gateway/apim-x/inference/openai")
    assert f.local_url("https://apim-x.azure-api.net", LOCAL) == "https://127.0.0.1:8443/gateway/apim-x"
    assert f.local_url("https://agents-x.services.ai.azure.com/api/projects/foundry-project", LOCAL) == (
        "https://127.0.0.1:8443/foundry/agents-x/api/projects/foundry-project")


def test_local_url_is_the_url_itself_on_azure_and_empty_without_a_stand_in():
    assert f.local_url("https://apim-x.azure-api.net/inference", {}) == "https://apim-x.azure-api.net/inference"
    assert f.local_url("https://apim-x.azure-api.net/inference", {"gateway_base_url_template": ""}) == ""
    assert f.local_url("https://example.org/x", LOCAL) == ""
    assert f.local_url("", LOCAL) == ""


def test_blocklist_prompt_is_the_first_plain_item():
    lists = [{"name": "a", "items": [{"pattern": "b[0-9]+", "is_regex": True}]},
             {"name": "b", "items": [{"pattern": "forbidden", "is_regex": False}, {"pattern": "later"}]}]
    assert f.blocklist_prompt(lists) == "forbidden"
    assert f.blocklist_prompt([{"name": "c", "items": [{"pattern": "plain"}]}]) == "plain"


def test_blocklist_prompt_is_empty_without_a_plain_item_and_names_a_bad_item():
    assert f.blocklist_prompt([]) == ""
    assert f.blocklist_prompt([{"name": "a", "items": [{"pattern": "x+", "is_regex": True}]}]) == ""
    with pytest.raises(AnsibleFilterError, match="blocklist a needs a pattern"):
        f.blocklist_prompt([{"name": "a", "items": [{"is_regex": False}]}])


BACKENDS = [{"name": "models-1", "url": "https://m1.openai.azure.com/openai"},
            {"name": "models-2", "url": "https://m2.openai.azure.com/openai"}]
MEMBERS = [{"backend": "models-1", "priority": 1, "weight": 50}, {"backend": "models-2", "priority": 2, "weight": 50}]
SERVICE = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.ApiManagement/service/apim/backends/"


def listed(*changes):
    """The service's backends as apim_backend_info returns them (ids as APIM echoes them), then ``changes``."""
    items = [{"name": "models-1", "properties": {"type": "Single", "url": "https://m1.openai.azure.com/openai/"}},
             {"name": "MODELS-2", "properties": {"type": "Single", "url": "https://m2.openai.azure.com/openai"}},
             {"name": "pool", "properties": {"type": "Pool", "pool": {"services": [
                 {"id": SERVICE + "Models-2", "priority": 2, "weight": 50},
                 {"id": SERVICE + "models-1", "priority": 1, "weight": 50}]}}}]
    for change in changes:
        change(items)
    return items


def test_backend_drift_is_empty_when_azure_holds_what_was_provisioned():
    # names and member ids compare case-insensitively, URLs without a trailing slash, members in any order
    assert f.backend_drift(listed(), BACKENDS, "pool", MEMBERS) == []
    assert f.backend_drift(listed(), BACKENDS[:1]) == []


def test_backend_drift_names_each_difference():
    def url(items):
        items[0]["properties"]["url"] = "https://elsewhere.example.com"

    def gone(items):
        del items[1]

    def weight(items):
        items[-1]["properties"]["pool"]["services"][1]["weight"] = 100
    assert f.backend_drift(listed(url, gone, weight), BACKENDS, "pool", MEMBERS) == [
        "backend models-1 points to https://elsewhere.example.com, not https://m1.openai.azure.com/openai",
        "backend models-2 is missing",
        "pool pool holds models-1 (priority 1, weight 100), models-2 (priority 2, weight 50), not models-1 "
        "(priority 1, weight 50), models-2 (priority 2, weight 50)"]
    assert f.backend_drift(listed(lambda items: items.pop()), BACKENDS, "pool", MEMBERS) == ["pool pool is missing"]
    pooled = listed(lambda items: items[0]["properties"].update(type="Pool"))
    assert f.backend_drift(pooled, BACKENDS) == ["backend models-1 is of type Pool, not Single"]
    with pytest.raises(AnsibleFilterError, match="a backend needs a name"):
        f.backend_drift(listed(), [{"url": "https://x"}])


def routed_hosts():
    """Three hosts with different deployment sets: a serves both models, b only gpt-4o-mini, c only gpt-4.1-mini."""
    return [{"name": "a", "backend": "ba", "endpoint": "https://a/", "priority": 1, "weight": 60,
             "deployments": [GPT4O, GPT41]},
            {"name": "b", "backend": "bb", "endpoint": "https://b/", "priority": 2, "deployments": [GPT4O]},
            {"name": "c", "backend": "bc", "endpoint": "https://c/", "deployments": [GPT41, {"name": "o1"}]}]


def test_model_routes_one_pool_per_model_of_the_hosts_that_serve_it():
    routes = f.model_routes(routed_hosts(), "pool")
    assert routes == [
        {"model": "gpt-4o-mini", "backend_id": "pool-gpt-4o-mini",
         "members": [{"backend": "ba", "priority": 1, "weight": 60}, {"backend": "bb", "priority": 2, "weight": 1}]},
        {"model": "gpt-4.1-mini", "backend_id": "pool-gpt-4.1-mini",
         "members": [{"backend": "ba", "priority": 1, "weight": 60}, {"backend": "bc", "priority": 1, "weight": 1}]},
        # one host serves it: its own backend, no pool
        {"model": "o1", "backend_id": "bc", "members": [{"backend": "bc", "priority": 1, "weight": 1}]}]


def test_model_routes_are_none_when_every_host_serves_the_same_deployments():
    same = [dict(host, deployments=[GPT41, GPT4O]) for host in routed_hosts()]
    same[0]["deployments"] = [GPT4O, GPT41]   # the order does not matter
    assert f.model_routes(same, "pool") == []
    assert f.model_routes(same[:1], "pool") == []
    assert f.model_routes([], "pool") == []
    with pytest.raises(AnsibleFilterError, match="a deployment of b needs a name"):
        f.model_routes([same[0], dict(same[1], deployments=[{"model_name": "x"}])], "pool")


NEW4O = {"name": "gpt-4o-mini-2025", "model_name": "gpt-4o-mini", "model_version": "2025", "gateway_model": "gpt-4o-mini"}


def test_a_deployment_served_under_the_models_name_gets_a_route_over_per_deployment_backends():
    hosts = [{"name": "a", "backend": "ba", "endpoint": "https://a/", "priority": 1, "weight": 60,
              "deployments": [GPT4O, NEW4O, GPT41]},
             {"name": "b", "backend": "bb", "endpoint": "https://b/", "priority": 2, "deployments": [GPT4O, NEW4O]}]
    routes = f.model_routes(hosts, "pool")
    assert routes[0] == {
        "model": "gpt-4o-mini", "deployments": ["gpt-4o-mini", "gpt-4o-mini-2025"],
        "backend_id": "pool-gpt-4o-mini-via-gpt-4o-mini-gpt-4o-mini-2025",
        "members": [{"backend": "ba-gpt-4o-mini", "priority": 1, "weight": 60},
                    {"backend": "ba-gpt-4o-mini-2025", "priority": 1, "weight": 60},
                    {"backend": "bb-gpt-4o-mini", "priority": 2, "weight": 1},
                    {"backend": "bb-gpt-4o-mini-2025", "priority": 2, "weight": 1}]}
    assert routes[1] == {"model": "gpt-4.1-mini", "backend_id": "ba",
                         "members": [{"backend": "ba", "priority": 1, "weight": 60}]}
    # Only the new version left, on both hosts (the same deployments everywhere): still routed, by its own pool.
    upgraded = [dict(host, deployments=[NEW4O]) for host in hosts]
    assert f.model_routes(upgraded, "pool") == [{
        "model": "gpt-4o-mini", "deployments": ["gpt-4o-mini-2025"],
        "backend_id": "pool-gpt-4o-mini-via-gpt-4o-mini-2025",
        "members": [{"backend": "ba-gpt-4o-mini-2025", "priority": 1, "weight": 60},
                    {"backend": "bb-gpt-4o-mini-2025", "priority": 2, "weight": 1}]}]
    assert f.model_routes(upgraded[:1], "pool")[0]["backend_id"] == "ba-gpt-4o-mini-2025"
    assert f.static_models(upgraded) == [{"name": "gpt-4o-mini", "model_name": "gpt-4o-mini",
                                          "model_version": "2025", "model_format": "OpenAI"}]


def test_deployment_backends_end_in_their_deployment_for_the_api_types_that_name_it_in_the_path():
    hosts = [{"name": "a", "backend": "ba", "endpoint": "https://a/", "priority": 2, "deployments": [GPT4O, NEW4O]}]
    expected = [{"name": "ba-" + name, "account": "a", "deployment": name, "priority": 2, "weight": 1,
                 "url": "https://a/openai/deployments/" + name} for name in ("gpt-4o-mini", "gpt-4o-mini-2025")]
    assert f.deployment_backends(hosts) == expected
    assert f.deployment_backends(hosts, "openai") == expected
    assert f.deployment_backends([dict(hosts[0], deployments=[GPT4O])], "models") == []
    with pytest.raises(AnsibleFilterError, match="deployment gpt-4o-mini of a is served as gpt-4o-mini: that "
                                                 "needs an API type that names the deployment in the path"):
        f.deployment_backends(hosts, "openai/v1")


def test_backend_drift_compares_each_models_pool():
    routes = f.model_routes(routed_hosts(), "pool")
    backends = f.gateway_backends(routed_hosts())
    held = [{"name": b["name"], "properties": {"type": "Single", "url": b["url"]}} for b in backends]
    held += [{"name": route["backend_id"], "properties": {"type": "Pool", "pool": {"services": [
        {"id": SERVICE + member["backend"], "priority": member["priority"], "weight": member["weight"]}
        for member in route["members"]]}}} for route in routes if len(route["members"]) > 1]
    assert f.backend_drift(held, backends, model_routes=routes) == []
    held[-1]["properties"]["pool"]["services"].pop()
    assert f.backend_drift(held, backends, model_routes=routes) == [
        "pool pool-gpt-4.1-mini holds ba (priority 1, weight 60), not ba (priority 1, weight 60), "
        "bc (priority 1, weight 1)"]
    assert f.backend_drift(held[:-2], backends, model_routes=routes) == [
        "pool pool-gpt-4o-mini is missing", "pool pool-gpt-4.1-mini is missing"]


def held_backends(backends, pools, description="Inference backend x"):
    """A service's listing: Single backends described as the role describes them, and pools of members."""
    held = [{"name": b["name"], "properties": {"type": "Single", "url": b["url"], "description": description}}
            for b in backends]
    return held + [{"name": name, "properties": {"type": "Pool", "description": pool_description, "pool": {
        "services": [{"id": SERVICE + member} for member in members]}}} for name, pool_description, members in pools]


def stale(listed, hosts):
    """What the gateway role deletes after converging on hosts (the role's own outputs for them)."""
    routes = f.model_routes(hosts, "pool")
    outputs = {"backends": f.gateway_backends(hosts), "deployment_backends": f.deployment_backends(hosts),
               "model_routes": routes,
               "backend_id": "" if routes else "pool" if len(hosts) > 1 else hosts[0]["backend"]}
    return f.stale_backends(listed, outputs, "pool", "Load balancer for the model hosts", "Inference backend")


def test_stale_backends_name_the_single_pool_once_the_hosts_serve_different_models():
    backends = f.gateway_backends(routed_hosts())
    ours = "Load balancer for the model hosts"
    single = held_backends(backends, [("pool", ours, ["ba", "bb", "bc"])])
    assert stale(single, routed_hosts()) == ["pool"]
    # back to the same models everywhere: the models' pools go, the one pool stays
    routed = held_backends(backends, [("pool-gpt-4o-mini", ours + " of gpt-4o-mini", ["ba", "bb"]),
                                      ("POOL-gpt-4.1-mini", ours + " of gpt-4.1-mini", ["ba", "bc"]),
                                      ("pool", ours, ["ba", "bb", "bc"])])
    same = [dict(host, deployments=[GPT4O]) for host in routed_hosts()]
    assert stale(routed, same) == ["POOL-gpt-4.1-mini", "pool-gpt-4o-mini"]
    assert stale(routed[:3] + routed[-1:], same) == []


def test_stale_backends_never_name_what_a_user_made_or_a_backend_still_held():
    backends = f.gateway_backends(routed_hosts())
    ours = "Load balancer for the model hosts"
    listed = held_backends(backends, [
        ("pool", ours, ["ba", "bb", "bc", "gone"]),                  # ours, unused: goes, with gone
        ("pool-o1", "a user's pool", ["bc"]),                        # our name, not our description
        ("team-pool", ours, ["ba"]),                                 # our description, not our name
        ("pool-old", ours + " of old", ["kept-by-user", "mine"])])   # ours; kept-by-user is in the user's pool
    listed += held_backends([{"name": "gone", "url": "https://gone/"}], [])
    listed += held_backends([{"name": "kept-by-user", "url": "https://k/"}], [("users", "theirs", ["kept-by-user"])])
    listed += held_backends([{"name": "mine", "url": "https://m/"}], [], description="the user's backend")
    assert stale(listed, routed_hosts()) == ["pool", "pool-old", "gone"]
    assert stale([], routed_hosts()) == []


def test_stale_backends_after_a_model_upgrade_name_what_only_the_old_version_used_never_what_the_new_one_needs():
    """playbooks/upgrade_model.yml's pools and per-deployment backends are ours (the role's descriptions): site.yml
    with the hosts after the upgrade deletes the shift pool, the model's pool of before and the old deployment's
    backends, and keeps the new deployment's; with the hosts as before it (the upgrade undone) the new ones go."""
    ours, backend = "Load balancer for the model hosts", "Inference backend"
    new = dict(GPT4O, name="gpt-4o-mini-next", gateway_model="gpt-4o-mini")
    before, after = routed_hosts(), routed_hosts()
    after[0]["deployments"], after[1]["deployments"] = [new, GPT41], [new]
    per_deployment = [{"name": "%s-%s" % (host, deployment), "url": "https://%s/openai/deployments/%s" % (host, deployment)}
                      for host in ("ba", "bb") for deployment in ("gpt-4o-mini", "gpt-4o-mini-next")]
    listed = held_backends(f.gateway_backends(before) + per_deployment, [
        ("pool-gpt-4o-mini", ours + " of gpt-4o-mini", ["ba", "bb"]),
        ("pool-gpt-4.1-mini", ours + " of gpt-4.1-mini", ["ba", "bc"]),
        ("pool-gpt-4o-mini-via-gpt-4o-mini-gpt-4o-mini-next", ours + " of gpt-4o-mini: 100% to gpt-4o-mini-next",
         ["ba-gpt-4o-mini", "ba-gpt-4o-mini-next", "bb-gpt-4o-mini", "bb-gpt-4o-mini-next"]),
        ("pool-gpt-4o-mini-via-gpt-4o-mini-next", ours + " of gpt-4o-mini",
         ["ba-gpt-4o-mini-next", "bb-gpt-4o-mini-next"])], description=backend + " x")
    assert stale(listed, after) == ["pool-gpt-4o-mini", "pool-gpt-4o-mini-via-gpt-4o-mini-gpt-4o-mini-next",
                                    "ba-gpt-4o-mini", "bb-gpt-4o-mini"]
    # One host left serving the model: its new deployment's backend is the route itself, held by no pool: kept.
    alone = [after[0], routed_hosts()[2]]
    assert f.model_routes(alone, "pool")[0]["backend_id"] == "ba-gpt-4o-mini-next"
    assert "ba-gpt-4o-mini-next" not in stale(listed, alone)
    # One host's upgraded route is its new deployment's backend, in no pool: kept while used, gone once unused
    # (the teardown of an existing API Management runs the rule with empty outputs), a user's never.
    own = held_backends([{"name": "ba-gpt-4o-mini-next", "url": "https://a/openai/deployments/gpt-4o-mini-next"}], [],
                        description=backend + " a, deployment gpt-4o-mini-next")
    own += held_backends([{"name": "ba-x", "url": "https://a/x"}], [], description=backend + " a, deployment y")
    own += held_backends([{"name": "ba-y", "url": "https://a/y"}], [], description="theirs, deployment y")
    assert stale(own, alone) == []
    assert f.stale_backends(own, {}, "pool", ours, backend) == ["ba-gpt-4o-mini-next"]
    # The upgrade undone (site.yml with the hosts as before): the per-deployment pools and backends all go.
    assert stale(listed, before) == ["pool-gpt-4o-mini-via-gpt-4o-mini-gpt-4o-mini-next",
                                     "pool-gpt-4o-mini-via-gpt-4o-mini-next", "ba-gpt-4o-mini", "ba-gpt-4o-mini-next",
                                     "bb-gpt-4o-mini", "bb-gpt-4o-mini-next"]


HOSTS = [{"name": "models-1", "deployments": [{"name": "gpt-4o-mini", "model_version": "2024-07-18"},
                                              {"name": "embed", "model_name": "text-embedding-3-small",
                                               "capacity": 20, "rai_policy_name": None}]}]


def account_listing(*changes):
    deployments = [
        {"name": "GPT-4o-mini", "sku": {"name": "globalstandard", "capacity": 10},
         "properties": {"model": {"format": "OpenAI", "name": "gpt-4o-mini", "version": "2024-07-18"},
                        "raiPolicyName": "Microsoft.DefaultV2"}},
        {"name": "embed", "sku": {"name": "GlobalStandard", "capacity": 20},
         "properties": {"model": {"format": "OpenAI", "name": "text-embedding-3-small", "version": "1"},
                        "raiPolicyName": "Microsoft.DefaultV2"}},
        {"name": "someone-elses", "sku": {"name": "Standard", "capacity": 1}, "properties": {"model": {}}}]
    for change in changes:
        change(deployments)
    return [{"name": "models-1", "found": True, "deployments": deployments}]


def test_deployment_drift_is_empty_when_azure_holds_what_was_asked():
    # defaults filled in, names and SKUs compared case-insensitively, any version when none was asked
    assert f.deployment_drift(account_listing(), HOSTS) == []


def test_deployment_drift_names_each_difference():
    def capacity(items):
        items[0]["sku"]["capacity"] = 5

    def gone(items):
        del items[1]
    assert f.deployment_drift(account_listing(capacity, gone), HOSTS) == [
        "deployment models-1/gpt-4o-mini has capacity 5, not 10", "deployment models-1/embed is missing"]

    def version(items):
        items[0]["properties"]["model"]["version"] = "2025-01-01"
    assert f.deployment_drift(account_listing(version), HOSTS) == [
        "deployment models-1/gpt-4o-mini has model_version 2025-01-01, not 2024-07-18"]
    assert f.deployment_drift([{"name": "models-1", "found": False, "deployments": []}], HOSTS) == [
        "account models-1 is missing"]
    assert f.deployment_drift([], HOSTS) == ["account models-1 is missing"]


def _read(name, endpoint="https://%s.example/"):
    return {"accounts": [{"id": "/acc/" + name, "properties": {"endpoint": endpoint % name}}]}


def test_embeddings_hosts_one_keeps_the_backend_name_more_become_a_pool_of_members():
    one = f.embeddings_hosts([{"name": "a", "backend": "models-a"}], [_read("a")], "embeddings-backend")
    assert one == [{"name": "a", "id": "/acc/a", "endpoint": "https://a.example/", "backend": "embeddings-backend",
                    "priority": 1, "weight": 1}]
    hosts = [{"name": "a", "backend": "models-a", "priority": 1, "weight": 100}, {"name": "b", "priority": 2}]
    two = f.embeddings_hosts(hosts, [_read("a"), _read("b")], "embeddings-backend")
    assert [(h["backend"], h["priority"], h["weight"]) for h in two] == [
        ("embeddings-backend-models-a", 1, 100), ("embeddings-backend-2", 2, 1)]
    backends = f.gateway_backends(two, "openai/deployments/emb/embeddings")
    assert [b["url"] for b in backends] == ["https://a.example/openai/deployments/emb/embeddings",
                                            "https://b.example/openai/deployments/emb/embeddings"]
    assert f.pool_members(backends)[1] == {"backend": "embeddings-backend-2", "priority": 2, "weight": 1}


def test_embeddings_hosts_names_an_account_that_was_not_found():
    with pytest.raises(AnsibleFilterError, match="account b was not found"):
        f.embeddings_hosts([{"name": "a"}, {"name": "b"}], [_read("a"), {"accounts": []}], "e")
    with pytest.raises(AnsibleFilterError, match="at least one model host"):
        f.embeddings_hosts([], [], "e")


TOPOLOGY = {"model_hosts": [{"name": "Host-A", "backend": "a", "priority": 1},
                            {"name": "host-b", "backend": "b", "priority": 2, "weight": 3}],
            "agent_host": {"name": "agent", "project": "p"},
            "embeddings_host_names": ["host-a"]}


def test_aigw_topology_names_each_group_without_positions():
    groups = f.aigw_topology(TOPOLOGY)
    assert [host["name"] for host in groups["accounts"]] == ["Host-A", "host-b", "agent"]
    assert [host["name"] for host in groups["model_hosts"]] == ["Host-A", "host-b"]
    assert groups["agent_host"] == {"name": "agent", "project": "p", "disable_local_auth": False}
    assert [host["name"] for host in groups["embeddings_hosts"]] == ["Host-A"]
    assert groups["backends"] == [{"name": "a", "account": "Host-A", "priority": 1, "weight": 1},
                                  {"name": "b", "account": "host-b", "priority": 2, "weight": 3}]


def test_aigw_topology_names_every_account_the_run_creates_capability_accounts_included():
    safety = {"name": "contentsafety-x", "kind": "ContentSafety"}
    groups = f.aigw_topology(dict(TOPOLOGY, capability_accounts=[safety]))
    assert groups["account_names"] == ["Host-A", "host-b", "agent", "contentsafety-x"]
    assert groups["capability_accounts"] == [safety]
    # only the Foundry accounts are what ai_services creates
    assert [host["name"] for host in groups["accounts"]] == ["Host-A", "host-b", "agent"]
    assert f.aigw_topology(TOPOLOGY)["account_names"] == ["Host-A", "host-b", "agent"]
    with pytest.raises(AnsibleFilterError, match="a name of its own.*agent, agent"):
        f.aigw_topology(dict(TOPOLOGY, capability_accounts=[{"name": "Agent", "kind": "ContentSafety"}]))


def test_aigw_topology_keeps_the_agent_hosts_own_key_setting():
    settings = dict(TOPOLOGY, agent_host={"name": "agent", "disable_local_auth": True})
    assert f.aigw_topology(settings)["agent_host"]["disable_local_auth"] is True


def test_aigw_topology_takes_what_azure_assigned_by_name_not_by_position():
    # The records come in another order than the settings: each host still gets its own.
    records = [{"name": "agent", "id": "/agent", "project_id": "/agent/p"},
               {"name": "host-b", "id": "/b", "endpoint": "https://b"},
               {"name": "host-a", "id": "/a", "endpoint": "https://a"}]
    groups = f.aigw_topology(TOPOLOGY, records)
    assert [host["id"] for host in groups["model_hosts"]] == ["/a", "/b"]
    assert groups["agent_host"]["project_id"] == "/agent/p"
    assert [host["id"] for host in groups["embeddings_hosts"]] == ["/a"]


def test_aigw_topology_keeps_the_hosts_settings_over_a_record_made_from_earlier_ones():
    """A record from earlier in the run (playbooks/upgrade_model.yml reads the hosts before the upgrade, then runs
    site.yml with the hosts after it) brings what Azure assigned, never its deployments or other settings."""
    before = [{"name": "host-a", "backend": "a", "deployments": [{"name": "gpt-4o"}], "id": "/a",
               "endpoint": "https://a", "principal_id": "p-a", "project_id": "", "project_endpoint": ""}]
    after = dict(TOPOLOGY, model_hosts=[dict(TOPOLOGY["model_hosts"][0], deployments=[
        {"name": "gpt-4o-next", "gateway_model": "gpt-4o"}])])
    host = f.aigw_topology(after, before)["model_hosts"][0]
    assert host == dict(after["model_hosts"][0], id="/a", endpoint="https://a", principal_id="p-a", project_id="",
                        project_endpoint="")


def test_aigw_topology_refuses_a_shared_name_or_a_nameless_host():
    with pytest.raises(AnsibleFilterError, match="a name of its own.*host-a, host-b, host-a"):
        f.aigw_topology(dict(TOPOLOGY, agent_host={"name": "HOST-A"}))
    with pytest.raises(AnsibleFilterError, match="the agent host needs a name"):
        f.aigw_topology(dict(TOPOLOGY, agent_host={}))
    with pytest.raises(AnsibleFilterError, match="needs a dict of settings"):
        f.aigw_topology(["host-a"])


ACCOUNT_ID = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.CognitiveServices/accounts/"


def in_state(tail, state):
    return {"id": ACCOUNT_ID + tail, "properties": {"provisioningState": state}}


def test_provisioning_left_waits_for_what_is_not_listed_or_still_running_and_names_what_failed():
    resources = [in_state("a", "Succeeded"), in_state("b", "Creating"), in_state("c", "Failed"),
                 in_state("d", "Canceled"),
                 in_state("A/deployments/gpt-4o", "Succeeded")]
    assert f.provisioning_left(resources, ["a", "b", "c", "d", "e"]) == {"pending": ["b", "e"], "failed": ["c", "d"]}
    # Matched at the end of the id, case-insensitively: a deployment is told from its account.
    assert f.provisioning_left(resources, ["a/deployments/GPT-4O", "a/deployments/gpt-4.1"]) == {
        "pending": ["a/deployments/gpt-4.1"], "failed": []}
    assert f.provisioning_left([in_state("xa", "Succeeded")], ["a"]) == {"pending": ["a"], "failed": []}
    assert f.provisioning_left(None, []) == {"pending": [], "failed": []}


def test_written_paths_are_the_changed_results_below_their_account():
    results = [{"changed": True, "id": ACCOUNT_ID + "a/deployments/gpt-4o"},
               {"changed": False, "id": ACCOUNT_ID + "b/deployments/gpt-4o"},
               {"skipped": True, "changed": False},
               {"changed": True, "id": ACCOUNT_ID + "c"},
               {"changed": True, "id": "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Insights/x"}]
    assert f.written_paths(results) == ["a/deployments/gpt-4o", "c"]
    assert f.written_paths([]) == []


def test_listed_host_records_take_the_accounts_by_name_and_a_project_listed_over_its_start():
    accounts = [{"name": "Models-1", "backend": "b1"}, {"name": "agents", "project": "p"},
                {"name": "models-2", "project": "q"}]
    listing = [{"name": "models-1", "id": ACCOUNT_ID + "Models-1", "properties": {"endpoint": "https://m1/"},
                "identity": {"principalId": "p1"}},
               {"name": "agents", "id": ACCOUNT_ID + "agents", "properties": {"endpoint": "https://ag/"}},
               {"name": "models-2", "id": ACCOUNT_ID + "models-2", "properties": {}}]
    starts = [{"skipped": True, "changed": False},
              {"changed": True, "id": ACCOUNT_ID + "agents/projects/p", "endpoint": None},
              {"changed": False, "id": ACCOUNT_ID + "models-2/projects/q", "endpoint": "https://m2/api/q"}]
    projects = [{"id": ACCOUNT_ID + "agents/projects/p",
                 "properties": {"endpoints": {"AI Foundry API": "https://ag/api/p"}}}]
    hosts = f.listed_host_records(accounts, listing, starts, projects)
    assert hosts[0] == {"name": "Models-1", "backend": "b1", "id": ACCOUNT_ID + "Models-1",
                        "endpoint": "https://m1/", "principal_id": "p1", "project_id": "", "project_endpoint": ""}
    assert (hosts[1]["principal_id"], hosts[1]["project_endpoint"]) == ("", "https://ag/api/p")
    assert hosts[2]["project_id"] == ACCOUNT_ID + "models-2/projects/q"
    assert hosts[2]["project_endpoint"] == "https://m2/api/q"
    assert f.listed_host_records(accounts[:1], listing)[0]["project_id"] == ""


def test_listed_host_records_refuse_an_account_missing_from_the_listing():
    with pytest.raises(AnsibleFilterError, match="account gone is not in the listing of its resource group"):
        f.listed_host_records([{"name": "gone"}], [])
    with pytest.raises(AnsibleFilterError, match="project results: 0 results for 1 accounts"):
        f.listed_host_records([{"name": "a"}], [{"name": "a", "id": ACCOUNT_ID + "a"}], [])
