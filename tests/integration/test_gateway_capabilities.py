"""The gateway_capabilities role through ansible-playbook against the local endpoint.

Each capability alone and all together converge, a second run changes and writes nothing, the resources carry
the lab's properties (checked by running the modules in check mode with those properties: no change predicted),
secrets never reach the output, and bad settings fail before any write.
"""
from __future__ import annotations

import base64
import json
import re
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from tests.integration.test_playbooks import arm_clients

ROOT = Path(__file__).resolve().parents[2]

PLAYBOOK = """
- name: Gateway capabilities
  hosts: localhost
  gather_facts: false
  tasks:
    - name: The role under test
      ansible.builtin.include_role:
        name: aigateway.foundry.gateway_capabilities
        tasks_from: "{{ capabilities_entry_point | default('main') }}"

    # site.yml's order: the gateway role creates the products the capabilities published, after its API.
    - name: The gateway role with the capabilities' policy keys and products
      ansible.builtin.include_role:
        name: aigateway.foundry.gateway
      vars:
        gateway_resource_group: "{{ gateway_capabilities_resource_group }}"
        gateway_apim_name: "{{ gateway_capabilities_apim_name }}"
        gateway_apim_principal_id: "{{ gateway_capabilities_apim_principal_id }}"
        gateway_url: "{{ capabilities_gateway.url }}"
        gateway_model_hosts: "{{ capabilities_gateway.model_hosts }}"
        gateway_api_type: AzureOpenAI
        gateway_policy: "{{ gateway_capabilities_policy }}"
        gateway_products: "{{ gateway_capabilities_outputs.products }}"
        gateway_product_apis: "{{ gateway_capabilities_outputs.product_apis }}"
        gateway_azuremonitor_logger: ""
        gateway_appinsights_logger: ""
      when: capabilities_gateway is defined

    - name: Report the policy keys, the published products and the gateway's subscription ids
      ansible.builtin.debug:
        msg: >-
          POLICY={{ gateway_capabilities_policy | default(none) | to_json | b64encode }};
          OUTPUTS={{ {'products': gateway_capabilities_outputs.products | default(none),
                      'product_apis': gateway_capabilities_outputs.product_apis | default(none),
                      'subscription_ids': gateway_outputs.subscription_ids | default(none)} | to_json | b64encode }};
"""
RECAP = re.compile(r"localhost\s*:\s*ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)")
POLICY = re.compile(r"POLICY=([A-Za-z0-9+/=]+);")
OUTPUTS = re.compile(r"OUTPUTS=([A-Za-z0-9+/=]+);")


class RoleRunner:
    """Runs the role in a small playbook; returns the recap counts, the output and the policy keys it set."""

    def __init__(self, azure_env, workdir):
        self.workdir = workdir
        self.env = dict(azure_env, ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"), ANSIBLE_NOCOLOR="1",
                        ANSIBLE_FORCE_COLOR="0", ANSIBLE_COLLECTIONS_PATH=str(ROOT / ".collections"))
        self.playbook = workdir / "capabilities.yml"
        self.playbook.write_text(PLAYBOOK)

    def __call__(self, variables, check=False, expect_failure=False, options=()):
        vars_file = self.workdir / ("vars-%s.json" % uuid.uuid4().hex)
        vars_file.write_text(json.dumps(variables))
        command = [str(Path(sys.executable).parent / "ansible-playbook"), str(self.playbook), "-e", "@%s" % vars_file]
        if check:
            command.append("--check")
        command += list(options)
        proc = subprocess.run(command, cwd=ROOT, env=self.env, capture_output=True, text=True, timeout=600, check=False)
        output = proc.stdout + proc.stderr
        recap = RECAP.findall(proc.stdout)
        assert recap, "no play recap (rc=%s):\n%s" % (proc.returncode, output[-6000:])
        _ok, changed, _unreachable, failed = (int(n) for n in recap[-1])
        assert bool(failed) == expect_failure, "role %s:\n%s" % ("failed" if failed else "did not fail", output[-8000:])
        found = POLICY.findall(proc.stdout)
        policy = json.loads(base64.b64decode(found[-1])) if found else None
        outputs = OUTPUTS.findall(proc.stdout)
        published = json.loads(base64.b64decode(outputs[-1])) if outputs else None
        return dict(changed=changed, output=output, policy=policy, published=published)


@pytest.fixture(scope="module")
def run_role(azure_env, tmp_path_factory):
    return RoleRunner(azure_env, tmp_path_factory.mktemp("capabilities"))


@pytest.fixture
def gateway(run_module, endpoint):
    """A resource group with an API Management service, a model host (key authentication off) and the inference API,
    removed afterwards with the ContentSafety account the role makes (nothing pre-made: the role reads the key of the
    account it makes itself)."""
    suffix = uuid.uuid4().hex[:8]
    rg, service, host = "rg-cap-%s" % suffix, "apim-cap-%s" % suffix, "models-cap-%s" % suffix
    run_module("resource_group", {"name": rg, "location": "swedencentral"})
    apim = run_module("apim_service", {"resource_group": rg, "name": service, "sku_name": "Standardv2",
                                       "publisher_email": "ops@example.com", "publisher_name": "Ops"})
    account = run_module("cognitive_account", {"resource_group": rg, "name": host, "disable_local_auth": True})
    run_module("apim_api", {"resource_group": rg, "service": service, "name": "inference-api",
                            "display_name": "Inference API", "path": "inference/openai"})
    safety = "contentsafety-%s" % suffix
    yield {"resource_group": rg, "service": service, "host": host, "host_id": account["id"],
           "clients": arm_clients(endpoint),
           "url": apim["gateway_url"],
           "host_endpoint": account["endpoint"], "principal_id": apim["principal_id"], "suffix": suffix,
           "vars": {"gateway_capabilities_resource_group": rg, "gateway_capabilities_apim_name": service,
                    "gateway_capabilities_apim_principal_id": apim["principal_id"]}}
    run_module("apim_service", {"resource_group": rg, "name": service, "state": "absent", "purge": True})
    for name in (host, safety):
        run_module("cognitive_account", {"resource_group": rg, "name": name, "state": "absent", "purge": True})
    run_module("resource_group", {"name": rg, "state": "absent"})


def semantic_cache_vars(gateway):
    return {"gateway_capabilities_semantic_cache": True,
            "gateway_capabilities_redis_name": "rediscache-%s" % gateway["suffix"],
            "gateway_capabilities_embeddings_account": gateway["host"]}


def content_safety_vars(gateway):
    return {"gateway_capabilities_content_safety": True,
            "gateway_capabilities_content_safety_account": "contentsafety-%s" % gateway["suffix"],
            "gateway_capabilities_content_safety_blocklists": [
                {"name": "blocklist1", "description": "Refused terms",
                 "items": [{"name": "codename", "pattern": "Project Nightingale"}]}]}


def token_quota_vars(_gateway):
    return {"gateway_capabilities_token_quotas": True}


def converge_twice(run_role, request_log, variables):
    """Runs the role twice; the second run must change and write nothing."""
    first = run_role(variables)
    assert first["changed"] > 0
    mark = request_log.mark()
    second = run_role(variables)
    assert second["changed"] == 0, second["output"][-6000:]
    assert request_log.writes(mark) == [], "a re-run only reads"
    return second


def unchanged(run_module, name, args):
    """The resource exists with these properties: the module, in check mode, predicts no change."""
    result = run_module(name, args, check=True)
    assert result["changed"] is False, "%s %s differs from %s" % (name, args.get("name"), json.dumps(result.get("state"))[:1500])
    return result


def assert_semantic_cache(run_module, gateway, policy):
    rg, service = gateway["resource_group"], gateway["service"]
    assert policy == {"enabled": True, "embeddings_backend_id": "embeddings-backend", "score_threshold": 0.8,
                      "duration": 120}
    redis = unchanged(run_module, "redis_enterprise", {
        "resource_group": rg, "name": "rediscache-%s" % gateway["suffix"], "sku": "Balanced_B0",
        "clustering_policy": "EnterpriseCluster", "eviction_policy": "NoEviction", "modules": ["RediSearch"],
        "port": 10000})
    assert redis["port"] == 10000 and redis["host_name"]
    unchanged(run_module, "model_deployment", {
        "resource_group": rg, "account": gateway["host"], "name": "text-embedding-3-small",
        "model_name": "text-embedding-3-small", "model_version": "1", "sku_name": "GlobalStandard", "capacity": 20})
    unchanged(run_module, "apim_backend", {
        "resource_group": rg, "service": service, "name": "embeddings-backend", "protocol": "http",
        "url": gateway["host_endpoint"].rstrip("/") + "/openai/deployments/text-embedding-3-small/embeddings"})
    unchanged(run_module, "role_assignment", {"scope": gateway["host_id"], "role": "Cognitive Services OpenAI User",
                                              "principal_id": gateway["principal_id"]})
    cache = unchanged(run_module, "apim_cache", {"resource_group": rg, "service": service, "name": "default",
                                                 "use_from_location": "default", "description": redis["host_name"]})
    assert cache["state"]["properties"]["useFromLocation"] == "default"
    return redis


def assert_content_safety(run_module, gateway, policy):
    rg, name = gateway["resource_group"], "contentsafety-%s" % gateway["suffix"]
    assert policy == {"enabled": True, "backend_id": "content-safety-backend", "shield_prompt": True,
                      "output_type": "EightSeverityLevels", "blocklists": ["blocklist1"],
                      "categories": [{"name": c, "threshold": 4} for c in ("Hate", "SelfHarm", "Sexual", "Violence")]}
    account = unchanged(run_module, "cognitive_account", {
        "resource_group": rg, "name": name, "kind": "ContentSafety", "custom_subdomain": name,
        "public_network_access": "Enabled", "disable_local_auth": False})   # the backend sends its key
    assert account["state"]["kind"] == "ContentSafety" and account["state"]["sku"]["name"] == "S0"
    blocklist = unchanged(run_module, "rai_blocklist", {
        "resource_group": rg, "account": name, "name": "blocklist1",
        "items": [{"name": "codename", "pattern": "Project Nightingale"}]})
    assert blocklist["state"]["properties"]["description"] == "Refused terms"
    unchanged(run_module, "apim_backend", {"resource_group": rg, "service": gateway["service"],
                                           "name": "content-safety-backend", "protocol": "http",
                                           "url": account["endpoint"].rstrip("/"),
                                           "credentials_header": {"Ocp-Apim-Subscription-Key": ["{{content-safety-key}}"]}})
    unchanged(run_module, "role_assignment", {"scope": account["id"], "role": "Cognitive Services User",
                                              "principal_id": gateway["principal_id"]})


TIERS = {"platinum": 2000, "gold": 1000, "silver": 500}


def assert_token_quota_policy(policy, published):
    """The policy keys name the products, which are published for the gateway role (that creates them)."""
    assert policy == [{"product": name, "tokens_per_minute": tpm, "token_quota": 1000000, "token_quota_period": "Monthly"}
                      for name, tpm in TIERS.items()]
    assert [product["name"] for product in published["products"]] == list(TIERS)
    assert [product["subscriptions"] for product in published["products"]] == [["%s-subscription" % n] for n in TIERS]
    assert published["product_apis"] == ["inference-api"]


def assert_token_quotas(run_module, gateway):
    rg, service = gateway["resource_group"], gateway["service"]
    for name in TIERS:
        product = unchanged(run_module, "apim_product", {"resource_group": rg, "service": service, "name": name,
                                                         "subscription_required": True, "product_state": "published",
                                                         "apis": ["inference-api"]})
        assert product["apis"] == ["inference-api"]
        subscription = unchanged(run_module, "apim_subscription", {
            "resource_group": rg, "service": service, "name": "%s-subscription" % name, "scope": "/products/%s" % name,
            "subscription_state": "active"})
        assert subscription["state"]["properties"]["scope"].endswith("/products/%s" % name)


def test_semantic_cache_alone(run_role, run_module, request_log, gateway):
    variables = dict(gateway["vars"], **semantic_cache_vars(gateway))
    second = converge_twice(run_role, request_log, variables)
    policy = second["policy"]
    assert set(policy) == {"semantic_cache"}, "only the capability switched on is returned"
    redis = assert_semantic_cache(run_module, gateway, policy["semantic_cache"])
    keyed = run_module("redis_enterprise", {"resource_group": gateway["resource_group"], "name": redis["state"]["name"],
                                            "return_keys": True, "_ansible_no_log": True})
    assert keyed["primary_key"] and keyed["primary_key"] not in second["output"]


def stored_key(gateway):
    """The secret named value's value (listValue), what the backend sends as Ocp-Apim-Subscription-Key."""
    apim = gateway["clients"][2]
    return apim.named_value.list_value(gateway["resource_group"], gateway["service"], "content-safety-key").value


def test_content_safety_alone_reads_the_key_of_the_account_it_made_which_never_shows(run_role, run_module,
                                                                                     request_log, gateway):
    """The backend's one credential is the account's key (no API Management api-version gives a backend a managed
    identity). With no key given, one run makes the account and stores its key (read with cognitive_account_info
    return_keys under no_log) as a secret named value; the key never reaches the output, even at -vvv --diff."""
    variables = dict(gateway["vars"], **content_safety_vars(gateway))
    first = run_role(variables, options=("-vvv", "--diff"))
    assert first["changed"] > 0
    mark = request_log.mark()
    second = run_role(variables, options=("-vvv", "--diff"))
    assert second["changed"] == 0 and request_log.writes(mark) == [], second["output"][-6000:]
    assert set(second["policy"]) == {"content_safety"}
    assert_content_safety(run_module, gateway, second["policy"]["content_safety"])
    key = gateway["clients"][1].accounts.list_keys(gateway["resource_group"], "contentsafety-%s" % gateway["suffix"]).key1
    assert stored_key(gateway) == key
    read = run_module("cognitive_account_info", {"resource_group": gateway["resource_group"], "return_keys": True,
                                                 "name": "contentsafety-%s" % gateway["suffix"],
                                                 "_ansible_no_log": True}, check=True)   # a read: check mode too
    assert read["primary_key"] == key and "key1" not in json.dumps(read["accounts"])
    for run in (first, second):
        assert key not in run["output"] and key[:12] not in run["output"]
    named = run_module("apim_named_value", {"resource_group": gateway["resource_group"], "service": gateway["service"],
                                            "name": "content-safety-key", "is_secret": True}, check=True)
    assert named["changed"] is False and named["state"]["properties"]["secret"] is True


def test_a_given_content_safety_key_wins_and_the_account_is_not_asked(run_role, request_log, gateway):
    given = "given" + uuid.uuid4().hex
    variables = dict(gateway["vars"], **content_safety_vars(gateway))
    variables["gateway_capabilities_content_safety_key"] = given
    mark = request_log.mark()
    result = run_role(variables, options=("-vvv", "--diff"))
    assert stored_key(gateway) == given
    assert not [e for e in request_log.since(mark) if e["path"].lower().endswith("/listkeys")]
    assert given not in result["output"]


def test_the_key_of_an_account_without_key_authentication_is_refused_naming_it(run_module, gateway):
    """The model host is made with disable_local_auth: Azure answers listKeys with a bare 400, the module says why."""
    args = {"resource_group": gateway["resource_group"], "name": gateway["host"], "return_keys": True}
    refused = run_module("cognitive_account_info", dict(args, _ansible_no_log=True), expect_failure=True)
    assert refused["msg"].startswith("account %s has key authentication disabled (disableLocalAuth is true)"
                                     % gateway["host"]), refused
    unhidden = run_module("cognitive_account_info", args, expect_failure=True)
    assert "return_keys=true returns secrets: set no_log: true on the task" in unhidden["msg"]


def test_all_together_check_mode_then_converge(run_role, run_module, request_log, gateway):
    variables = dict(gateway["vars"], **semantic_cache_vars(gateway))
    variables.update(content_safety_vars(gateway), **token_quota_vars(gateway))
    mark = request_log.mark()
    predicted = run_role(variables, check=True)
    assert predicted["changed"] > 0
    assert request_log.writes(mark) == [], "check mode writes nothing"
    second = converge_twice(run_role, request_log, variables)
    policy = second["policy"]
    assert set(policy) == {"semantic_cache", "content_safety", "token_quotas"}
    assert policy == predicted["policy"], "check mode predicts the same policy keys"
    assert second["published"] == predicted["published"], "check mode publishes the same products"
    assert_semantic_cache(run_module, gateway, policy["semantic_cache"])
    assert_content_safety(run_module, gateway, policy["content_safety"])
    assert_token_quota_policy(policy["token_quotas"], second["published"])
    products = run_module("apim_product_info", {"resource_group": gateway["resource_group"],
                                                "service": gateway["service"]})["products"]
    assert not [p for p in products if p["name"] in TIERS], "the gateway role creates the products, not this one"


def test_token_quotas_alone_in_site_order(run_role, run_module, request_log, gateway):
    """site.yml: the capabilities only publish the products and policy keys; the gateway role creates them."""
    variables = dict(gateway["vars"], **token_quota_vars(gateway))
    mark = request_log.mark()
    early = run_role(variables)
    assert request_log.writes(mark) == [] and early["changed"] == 0, "main only returned the policy keys"
    assert set(early["policy"]) == {"token_quotas"}
    assert_token_quota_policy(early["policy"]["token_quotas"], early["published"])
    assert early["published"]["subscription_ids"] is None

    host = {"name": gateway["host"], "backend": "%s-backend" % gateway["host"], "endpoint": gateway["host_endpoint"],
            "id": gateway["host_id"]}
    with_gateway = dict(variables, capabilities_gateway={"url": gateway["url"], "model_hosts": [host]})
    mark = request_log.mark()
    assert run_role(with_gateway, check=True)["changed"] > 0
    assert request_log.writes(mark) == [], "check mode writes nothing"
    second = converge_twice(run_role, request_log, with_gateway)
    assert_token_quotas(run_module, gateway)
    ids = second["published"]["subscription_ids"]
    assert sorted(i.rsplit("/", 1)[-1] for i in ids) == sorted("%s-subscription" % n for n in TIERS)
    assert second["policy"] == early["policy"]


BASE = {"gateway_capabilities_resource_group": "rg-none", "gateway_capabilities_apim_name": "apim-none",
        "gateway_capabilities_apim_principal_id": "00000000-0000-0000-0000-000000000000"}
CACHE = {"gateway_capabilities_semantic_cache": True, "gateway_capabilities_redis_name": "rediscache-x",
         "gateway_capabilities_embeddings_account": "models-x"}
SAFETY = {"gateway_capabilities_content_safety": True, "gateway_capabilities_content_safety_account": "contentsafety-x",
          "gateway_capabilities_content_safety_key": "k" * 32}
QUOTAS = {"gateway_capabilities_token_quotas": True}

BAD_SETTINGS = [
    ("missing APIM", {"gateway_capabilities_apim_name": None}, "gateway_capabilities_apim_name"),
    ("threshold above 1", dict(CACHE, gateway_capabilities_cache_score_threshold=1.5),
     "gateway_capabilities_cache_score_threshold is 1.5: it must be 0.0 to 1.0"),
    ("negative threshold", dict(CACHE, gateway_capabilities_cache_score_threshold=-0.1),
     "gateway_capabilities_cache_score_threshold is -0.1: it must be 0.0 to 1.0"),
    ("no redis name", dict(CACHE, gateway_capabilities_redis_name=""),
     "Redis cluster name '' is invalid: 1 to 60 characters"),
    ("bad redis name", dict(CACHE, gateway_capabilities_redis_name="redis--cache"), "Redis cluster name 'redis--cache' is invalid"),
    ("no embeddings account", dict(CACHE, gateway_capabilities_embeddings_account=""), "gateway_capabilities_embeddings_hosts (or gateway_capabilities_embeddings_account) must name"),
    ("zero duration", dict(CACHE, gateway_capabilities_cache_duration=0), "gateway_capabilities_cache_duration is 0: it must be at least 1"),
    ("unknown category", dict(SAFETY, gateway_capabilities_content_safety_categories=[{"name": "Spam", "threshold": 4}]),
     "Spam"),
    ("category threshold", dict(SAFETY, gateway_capabilities_content_safety_categories=[{"name": "Hate", "threshold": 8}]),
     "the threshold of content safety category Hate is 8: it must be 0 to 7"),
    ("category twice", dict(SAFETY, gateway_capabilities_content_safety_categories=[
        {"name": "Hate", "threshold": 2}, {"name": "Hate", "threshold": 4}]), "gateway_capabilities_content_safety_categories lists 'Hate' twice"),
    ("unknown output type", dict(SAFETY, gateway_capabilities_content_safety_output_type="TwoLevels"), "TwoLevels"),
    ("bad subdomain", dict(SAFETY, gateway_capabilities_content_safety_account="-cs-"), "account name '-cs-' is invalid"),
    # The backend sends a given key as a header: one with a line break gets 401 on every prompt.
    ("content safety key with a line break", dict(SAFETY, gateway_capabilities_content_safety_key="k" * 32 + "\n"),
     "gateway_capabilities_content_safety_key holds whitespace or a line break"),
    ("blank blocklist item", dict(SAFETY, gateway_capabilities_content_safety_blocklists=[
        {"name": "b1", "items": [{"name": "i1", "pattern": "  "}]}]), "non-blank pattern"),
    ("unknown quota period", dict(QUOTAS, gateway_capabilities_products=[
        {"name": "gold", "token_quota": 10, "token_quota_period": "Fortnightly"}]), "Fortnightly"),
    ("product without limit", dict(QUOTAS, gateway_capabilities_products=[{"name": "gold"}]),
     "Product 'gold': it needs a token_quota or tokens_per_minute"),
    ("zero quota", dict(QUOTAS, gateway_capabilities_products=[{"name": "gold", "token_quota": 0}]), "token_quota is 0: it must be at least 1"),
    ("period without quota", dict(QUOTAS, gateway_capabilities_products=[
        {"name": "gold", "tokens_per_minute": 10, "token_quota_period": "Daily"}]), "only goes with a token_quota"),
    ("duplicate products", dict(QUOTAS, gateway_capabilities_products=[
        {"name": "gold", "token_quota": 10}, {"name": "gold", "token_quota": 20}]), "gateway_capabilities_products lists 'gold' twice"),
    ("shared subscription", dict(QUOTAS, gateway_capabilities_products=[
        {"name": "gold", "token_quota": 10, "subscriptions": ["s1"]},
        {"name": "silver", "token_quota": 5, "subscriptions": ["s1"]}]), "(a subscription belongs to one product) lists 's1' twice"),
    ("no APIs", dict(QUOTAS, gateway_capabilities_product_apis=[]), "gateway_capabilities_product_apis must name at least one API"),
    ("quota not a number", dict(QUOTAS, gateway_capabilities_products=[{"name": "gold", "token_quota": "lots"}]),
     "token_quota"),
]


@pytest.mark.parametrize("settings,message", [case[1:] for case in BAD_SETTINGS], ids=[case[0] for case in BAD_SETTINGS])
def test_bad_settings_fail_before_any_write(run_role, request_log, settings, message):
    variables = dict(BASE, **settings)
    variables = dict((k, v) for k, v in variables.items() if v is not None)
    mark = request_log.mark()
    result = run_role(variables, expect_failure=True)
    assert message in result["output"], result["output"][-6000:]
    assert request_log.writes(mark) == []
    assert request_log.since(mark) == [], "validation happens before the first request"
