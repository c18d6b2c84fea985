"""The model upgrade's plan, derived from reads of Azure only: every stage, and a run cut short at any step."""
import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.aigateway.foundry.plugins.filter import model_upgrade as f

POOL = "inference-backend-pool"
SHIFT = "inference-backend-pool-gpt-4o-mini-via-gpt-4o-mini-gpt-4o-mini-2025"
FINAL = "inference-backend-pool-gpt-4o-mini-via-gpt-4o-mini-2025"
HOSTS = [{"name": "models-a", "backend": "a", "priority": 1, "weight": 100},
         {"name": "models-b", "backend": "b", "priority": 2, "weight": 100},
         {"name": "models-c", "backend": "c", "priority": 1, "weight": 100}]
SETTINGS = {"model": "gpt-4o-mini", "to_version": "2025", "steps": [0, 50, 100], "pool_name": POOL, "hosts": HOSTS}


def deployment(name, version):
    return {"name": name, "sku": {"name": "GlobalStandard", "capacity": 10},
            "properties": {"model": {"format": "OpenAI", "name": "gpt-4o-mini", "version": version},
                           "raiPolicyName": "Microsoft.DefaultV2"}}


OLD, NEW, OTHER = deployment("gpt-4o-mini", "2024"), deployment("gpt-4o-mini-2025", "2025"), deployment("gpt-4.1", "1")


def reads(a, b, c=(OTHER,)):
    return [{"name": "models-a", "found": True, "deployments": list(a)},
            {"name": "models-b", "found": True, "deployments": list(b)},
            {"name": "models-c", "found": True, "deployments": list(c)}]


def pool(name, weights):
    """A pool as apim_backend_info lists it: weights by member backend."""
    return {"name": name, "properties": {"type": "Pool", "pool": {"services": [
        {"id": "/subscriptions/0/resourceGroups/rg/providers/Microsoft.ApiManagement/service/s/backends/" + member,
         "priority": 1, "weight": weight} for member, weight in weights.items()]}}}


def test_a_fresh_upgrade_deploys_the_new_version_on_every_host_that_serves_the_model_with_the_old_settings():
    plan = f.upgrade_plan(SETTINGS, reads([OLD], [OLD, OTHER]), [])
    assert plan["stage"] == "deploy"
    assert plan["hosts"] == ["models-a", "models-b"]     # c does not serve the model
    assert plan["create"] == [
        {"account": account, "name": "gpt-4o-mini-2025", "model_name": "gpt-4o-mini", "model_version": "2025",
         "model_format": "OpenAI", "sku_name": "GlobalStandard", "capacity": 10,
         "rai_policy_name": "Microsoft.DefaultV2"} for account in ("models-a", "models-b")]
    assert [step["percent"] for step in plan["steps"]] == [0, 50, 100]
    assert plan["retire"] == [{"account": "models-a", "name": "gpt-4o-mini"},
                              {"account": "models-b", "name": "gpt-4o-mini"}]
    assert plan["backends"] == [
        {"name": "a-gpt-4o-mini", "account": "models-a", "deployment": "gpt-4o-mini"},
        {"name": "a-gpt-4o-mini-2025", "account": "models-a", "deployment": "gpt-4o-mini-2025"},
        {"name": "b-gpt-4o-mini", "account": "models-b", "deployment": "gpt-4o-mini"},
        {"name": "b-gpt-4o-mini-2025", "account": "models-b", "deployment": "gpt-4o-mini-2025"}]
    assert (plan["shift_pool"], plan["final_pool"]) == (SHIFT, FINAL)
    assert (plan["old_deployment"], plan["new_deployment"]) == ("gpt-4o-mini", "gpt-4o-mini-2025")
    assert "0 of 2 hosts have gpt-4o-mini-2025; no pool over both deployments yet" in plan["position"]


def test_each_step_splits_every_hosts_weight_between_its_old_and_new_deployment_keeping_its_priority():
    plan = f.upgrade_plan(SETTINGS, reads([OLD, NEW], [OLD, NEW]), [])
    assert plan["stage"] == "shift" and plan["create"] == []
    assert [step["members"] for step in plan["steps"]][1] == [
        {"backend": "a-gpt-4o-mini", "priority": 1, "weight": 50},
        {"backend": "a-gpt-4o-mini-2025", "priority": 1, "weight": 50},
        {"backend": "b-gpt-4o-mini", "priority": 2, "weight": 50},
        {"backend": "b-gpt-4o-mini-2025", "priority": 2, "weight": 50}]
    assert [m["weight"] for m in plan["steps"][0]["members"]] == [100, 0, 100, 0]
    assert [m["weight"] for m in plan["steps"][2]["members"]] == [0, 100, 0, 100]
    assert plan["final_members"] == [{"backend": "a-gpt-4o-mini-2025", "priority": 1, "weight": 100},
                                     {"backend": "b-gpt-4o-mini-2025", "priority": 2, "weight": 100}]


def test_host_weights_keep_their_ratio_scaled_to_apims_range():
    hosts = [{"name": "models-a", "backend": "a", "weight": 1}, {"name": "models-b", "backend": "b", "weight": 3}]
    plan = f.upgrade_plan(dict(SETTINGS, hosts=hosts), reads([OLD, NEW], [OLD, NEW]), [])
    assert [m["weight"] for m in plan["steps"][1]["members"]] == [16, 17, 50, 50]
    assert [m["weight"] for m in plan["final_members"]] == [1, 3]     # as model_routes builds it from the hosts


@pytest.mark.parametrize("written, left", [({"a-gpt-4o-mini": 100, "a-gpt-4o-mini-2025": 0}, [50, 100]),
                                           ({"a-gpt-4o-mini": 50, "a-gpt-4o-mini-2025": 50}, [100]),
                                           ({"a-gpt-4o-mini": 70, "a-gpt-4o-mini-2025": 30}, [30, 50, 100])])
def test_the_steps_left_are_read_from_the_pools_weights(written, left):
    plan = f.upgrade_plan(SETTINGS, reads([OLD, NEW], [OLD, NEW]), [pool(SHIFT, written)])
    assert plan["stage"] == "shift"
    assert [step["percent"] for step in plan["steps"]] == left


def test_once_every_call_goes_to_the_new_deployments_the_old_ones_retire():
    shifted = [pool(SHIFT, {"a-gpt-4o-mini": 0, "a-gpt-4o-mini-2025": 100, "b-gpt-4o-mini": 0,
                            "b-gpt-4o-mini-2025": 100})]
    plan = f.upgrade_plan(SETTINGS, reads([OLD, NEW], [OLD, NEW]), shifted)
    assert (plan["stage"], plan["steps"]) == ("retire", [])
    assert "the route sends 100% to gpt-4o-mini-2025; 2 old deployment(s) gpt-4o-mini left" in plan["position"]
    # Cut short after the final pool was written (the shift pool gone, the old deployments still there): still retire.
    final = [pool(FINAL, {"a-gpt-4o-mini-2025": 100, "b-gpt-4o-mini-2025": 100})]
    plan = f.upgrade_plan(SETTINGS, reads([OLD, NEW], [OLD, NEW]), final)
    assert (plan["stage"], plan["steps"], len(plan["retire"])) == ("retire", [], 2)
    # Cut short after one old deployment went.
    plan = f.upgrade_plan(SETTINGS, reads([NEW], [OLD, NEW]), final)
    assert (plan["stage"], plan["retire"]) == ("retire", [{"account": "models-b", "name": "gpt-4o-mini"}])


def test_an_upgrade_done_plans_nothing():
    final = [pool(FINAL, {"a-gpt-4o-mini-2025": 100, "b-gpt-4o-mini-2025": 100})]
    plan = f.upgrade_plan(SETTINGS, reads([NEW], [NEW, OTHER]), final)
    assert (plan["stage"], plan["create"], plan["steps"], plan["retire"]) == ("done", [], [], [])
    # The shift pool still listed (cut short before site.yml's stale rule deleted it): the run goes on to it.
    left = final + [pool(SHIFT, {"a-gpt-4o-mini-2025": 100})]
    assert f.upgrade_plan(SETTINGS, reads([NEW], [NEW]), left)["stage"] == "retire"


def test_with_one_host_the_end_of_the_shift_is_read_from_its_backends():
    """One host serving the model: the final route is the new deployment's backend itself (no pool), and site.yml's
    stale rule deletes the shift pool and the old deployment's backend once the route names the new one."""
    def single(name):
        return {"name": name, "properties": {"type": "Single", "url": "https://a/openai/deployments/x"}}
    one = dict(SETTINGS, hosts=HOSTS[:1])
    # Cut short after site.yml, before the old deployment went: retire, no step again.
    plan = f.upgrade_plan(one, reads([OLD, NEW], []), [single("a"), single("a-gpt-4o-mini-2025")])
    assert (plan["stage"], plan["steps"], plan["retire"]) == ("retire", [], [{"account": "models-a",
                                                                              "name": "gpt-4o-mini"}])
    assert f.upgrade_plan(one, reads([NEW], []), [single("a-gpt-4o-mini-2025")])["stage"] == "done"
    # Cut short after the backends were written, before the shift pool: every step is still to come.
    plan = f.upgrade_plan(one, reads([OLD, NEW], []), [single("a-gpt-4o-mini"), single("a-gpt-4o-mini-2025")])
    assert (plan["stage"], [step["percent"] for step in plan["steps"]]) == ("shift", [0, 50, 100])


def test_named_deployments_override_the_defaults():
    settings = dict(SETTINGS, from_deployment="chat", to_deployment="chat-v2")
    plan = f.upgrade_plan(settings, reads([deployment("chat", "1")], []), [])
    assert plan["create"][0]["name"] == "chat-v2" and plan["hosts"] == ["models-a"]
    assert plan["retire"] == [{"account": "models-a", "name": "chat"}]


@pytest.mark.parametrize("settings, message", [
    ({"model": "gpt-4o-mini"}, "needs the model and the version to move to"),
    (dict(SETTINGS, to_deployment="gpt-4o-mini"), "needs a name of its own, got gpt-4o-mini"),
    (dict(SETTINGS, steps=[50, 0, 100]), r"ascending percentages 0-100 ending in 100, got \[50, 0, 100\]"),
    (dict(SETTINGS, steps=[0, 50]), "ending in 100"),
    (dict(SETTINGS, steps=[0, 150]), "ending in 100"),
    (dict(SETTINGS, pool_name=""), "needs the gateway's pool name"),
    (dict(SETTINGS, hosts=[{"name": "models-a"}]), "needs a name and a backend"),
    ("gpt-4o-mini", "needs a dict of settings"),
])
def test_bad_settings_are_named_before_anything_is_planned(settings, message):
    with pytest.raises(AnsibleFilterError, match=message):
        f.upgrade_plan(settings, reads([OLD], [OLD]), [])


def test_a_model_no_host_serves_is_an_error():
    with pytest.raises(AnsibleFilterError, match="no model host has deployment gpt-4o-mini or gpt-4o-mini-2025"):
        f.upgrade_plan(SETTINGS, reads([OTHER], [], []), [])


def test_the_hosts_of_each_phase_give_the_routes_of_the_plans_pools():
    from ansible_collections.aigateway.foundry.plugins.filter import topology
    hosts = [dict(host, endpoint="https://%s/" % host["name"], deployments=[
        {"name": "gpt-4o-mini", "model_version": "2024", "capacity": 20}, {"name": "gpt-4.1"}]) for host in HOSTS[:2]]
    hosts.append(dict(HOSTS[2], endpoint="https://c/", deployments=[{"name": "gpt-4.1"}]))
    plan = f.upgrade_plan(SETTINGS, reads([OLD], [OLD]), [])
    shift = f.upgrade_hosts(hosts, SETTINGS, "shift")
    assert shift[0]["deployments"] == [
        {"name": "gpt-4o-mini", "model_version": "2024", "capacity": 20, "gateway_model": "gpt-4o-mini"},
        {"name": "gpt-4o-mini-2025", "model_name": "gpt-4o-mini", "model_version": "2025", "capacity": 20,
         "gateway_model": "gpt-4o-mini"},
        {"name": "gpt-4.1"}]
    routes = dict((route["model"], route) for route in topology.model_routes(shift, POOL))
    assert routes["gpt-4o-mini"]["backend_id"] == plan["shift_pool"]
    assert sorted(m["backend"] for m in routes["gpt-4o-mini"]["members"]) == sorted(
        m["backend"] for m in plan["steps"][0]["members"])
    assert sorted(b["name"] for b in topology.deployment_backends(shift)) == sorted(b["name"] for b in plan["backends"])
    final = f.upgrade_hosts(hosts, SETTINGS, "final")
    route = [r for r in topology.model_routes(final, POOL) if r["model"] == "gpt-4o-mini"][0]
    assert (route["backend_id"], route["members"]) == (plan["final_pool"], plan["final_members"])
    assert final[2] == hosts[2]
    assert topology.static_models(final)[0] == {"name": "gpt-4o-mini", "model_name": "gpt-4o-mini",
                                                "model_version": "2025", "model_format": "OpenAI"}
    with pytest.raises(AnsibleFilterError, match="phase must be shift or final, got 'later'"):
        f.upgrade_hosts(hosts, SETTINGS, "later")
