"""Every resource type the collection writes has an ``_info`` module: each is run here against the local endpoint
after its resource was written, listing and getting by name (with azcollection's option names), in check mode
as well, never writing, and never printing a secret the resource holds."""
import uuid

import pytest

APIM_SECRET = "InstrumentationKey=99999999-8888-7777-6666-555555555555;IngestionEndpoint=https://x.example/"
REDIS_SECRET = "cache-x.swedencentral.redis.azure.net:10000,password=Info5ecretRedisKey=,ssl=True"
CONNECTION_KEY = "info-connection-key-%s" % uuid.uuid4().hex
VAULT_SECRET = "info-vault-secret-%s" % uuid.uuid4().hex


def read(run_module, request_log, name, args, key):
    """The module's ``key`` list, run for real and in check mode (the same answer, no write either time)."""
    mark = request_log.mark()
    result = run_module(name, args)
    predicted = run_module(name, args, check=True)
    assert result["changed"] is False and predicted["changed"] is False
    assert predicted[key] == result[key]
    assert request_log.writes(mark) == [], "an _info module never writes"
    return result


def names(result, key):
    return sorted(item["name"] for item in result[key])


@pytest.fixture(scope="module")
def account(run_module):
    group = "rg-it-%s" % uuid.uuid4().hex[:8]
    name = "acct-info-%s" % uuid.uuid4().hex[:8]
    run_module("resource_group", {"name": group, "location": "swedencentral"})
    run_module("cognitive_account", {"resource_group": group, "name": name, "allow_project_management": True})
    yield {"resource_group": group, "account": name}
    run_module("cognitive_account", {"resource_group": group, "name": name, "state": "absent", "purge": True})
    run_module("resource_group", {"name": group, "state": "absent"})


def test_apim_api_info(run_module, apim, request_log):
    for name in ("info-a", "info-b"):
        run_module("apim_api", dict(apim, name=name, display_name=name, path=name,
                                    service_url="https://backend.example.com"))
    listed = read(run_module, request_log, "apim_api_info", apim, "apis")
    assert {"info-a", "info-b"} <= set(names(listed, "apis"))
    one = read(run_module, request_log, "apim_api_info",
               {"resource_group_name": apim["resource_group"], "service_name": apim["service"], "api_id": "info-b"},
               "apis")
    assert names(one, "apis") == ["info-b"] and one["apis"][0]["properties"]["path"] == "info-b"
    assert read(run_module, request_log, "apim_api_info", dict(apim, name="no-such-api"), "apis")["apis"] == []


def test_apim_product_info(run_module, apim, request_log):
    run_module("apim_product", dict(apim, name="info-gold", display_name="Gold"))
    one = read(run_module, request_log, "apim_product_info", dict(apim, product_id="info-gold"), "products")
    assert names(one, "products") == ["info-gold"] and one["products"][0]["properties"]["displayName"] == "Gold"
    assert "info-gold" in names(read(run_module, request_log, "apim_product_info", apim, "products"), "products")


def test_apim_logger_info_masks_credentials(run_module, apim, request_log):
    run_module("apim_logger", dict(apim, name="info-appinsights", logger_type="applicationInsights",
                                   app_insights_connection_string=APIM_SECRET))
    one = read(run_module, request_log, "apim_logger_info", dict(apim, name="info-appinsights"), "loggers")
    [logger] = one["loggers"]
    assert logger["properties"]["loggerType"] == "applicationInsights"
    assert logger["properties"]["credentials"] == {"connectionString": "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER"}
    assert APIM_SECRET not in one["_stdout"] and "{{" not in one["_stdout"]


def test_apim_cache_info_never_returns_the_connection_string(run_module, apim, request_log):
    run_module("apim_cache", dict(apim, name="default", connection_string=REDIS_SECRET, use_from_location="default"))
    listed = read(run_module, request_log, "apim_cache_info", apim, "caches")
    assert names(listed, "caches") == ["default"]
    assert "connectionString" not in listed["caches"][0]["properties"]
    assert "Info5ecretRedisKey" not in listed["_stdout"]


def test_apim_diagnostic_info_service_and_api(run_module, apim, request_log):
    run_module("apim_logger", dict(apim, name="azuremonitor", logger_type="azureMonitor", is_buffered=False))
    run_module("apim_api", dict(apim, name="info-diag", display_name="Diag", path="info-diag",
                                service_url="https://backend.example.com"))
    run_module("apim_diagnostic", dict(apim, name="azuremonitor", logger="azuremonitor", verbosity="information"))
    run_module("apim_diagnostic", dict(apim, api="info-diag", name="azuremonitor", logger="azuremonitor",
                                       always_log="allErrors"))
    service = read(run_module, request_log, "apim_diagnostic_info", apim, "diagnostics")
    assert names(service, "diagnostics") == ["azuremonitor"]
    assert service["diagnostics"][0]["properties"]["verbosity"] == "information"
    api = read(run_module, request_log, "apim_diagnostic_info", dict(apim, api_id="info-diag",
                                                                       diagnostic_id="azuremonitor"), "diagnostics")
    assert names(api, "diagnostics") == ["azuremonitor"] and "/apis/info-diag/" in api["diagnostics"][0]["id"]


def test_apim_policy_info_by_scope(run_module, apim, request_log):
    xml = "<policies><inbound><base /><set-header name=\"x-info\" exists-action=\"override\"><value>1</value>" \
          "</set-header></inbound><backend><base /></backend><outbound><base /></outbound><on-error><base />" \
          "</on-error></policies>"
    run_module("apim_api", dict(apim, name="info-policy", display_name="Policy", path="info-policy",
                                service_url="https://backend.example.com"))
    none_yet = read(run_module, request_log, "apim_policy_info", dict(apim, api="info-policy"), "policies")
    assert none_yet["policies"] == [] and none_yet["xml"] is None and none_yet["scope"] == "api"
    run_module("apim_policy", dict(apim, api="info-policy", xml=xml))
    found = read(run_module, request_log, "apim_policy_info", dict(apim, api="info-policy"), "policies")
    assert "x-info" in found["xml"] and found["policies"][0]["properties"]["value"] == found["xml"]
    refused = run_module("apim_policy_info", dict(apim, scope="operation", api="info-policy"), expect_failure=True)
    assert refused["msg"] == "scope operation needs operation"


def test_foundry_project_info(run_module, account, request_log):
    run_module("foundry_project", dict(account, name="info-proj"))
    one = read(run_module, request_log, "foundry_project_info",
               {"resource_group_name": account["resource_group"], "account_name": account["account"],
                "project_name": "info-proj"}, "projects")
    assert names(one, "projects") == ["info-proj"]
    assert "info-proj" in names(read(run_module, request_log, "foundry_project_info", account, "projects"),
                                "projects")


def test_foundry_connection_info_never_returns_credentials(run_module, account, request_log):
    run_module("foundry_project", dict(account, name="info-conn-proj"))
    connection = dict(account, name="info-gateway", category="ApiManagement", api_type="AzureOpenAI",
                      target="https://apim-x.azure-api.net/inference/openai", api_key=CONNECTION_KEY,
                      inference_api_version="2024-12-01-preview",
                      models=[{"name": "gpt-4o-mini", "model_name": "gpt-4o-mini", "model_version": "2024-07-18"}])
    run_module("foundry_connection", connection)
    run_module("foundry_connection", dict(connection, project="info-conn-proj", name="info-project-gateway"))
    on_account = read(run_module, request_log, "foundry_connection_info", account, "connections")
    assert "info-gateway" in names(on_account, "connections")
    on_project = read(run_module, request_log, "foundry_connection_info",
                      dict(account, project="info-conn-proj", connection_name="info-project-gateway"), "connections")
    assert names(on_project, "connections") == ["info-project-gateway"]
    for result in (on_account, on_project):
        assert CONNECTION_KEY not in result["_stdout"]
        assert all("credentials" not in item["properties"] for item in result["connections"])


def test_rai_blocklist_info(run_module, account, request_log):
    run_module("rai_blocklist", dict(account, name="infoblocklist", description="Terms the gateway refuses",
                                     items=[{"name": "codename", "pattern": "Project Nightingale"}]))
    one = read(run_module, request_log, "rai_blocklist_info", dict(account, rai_blocklist_name="infoblocklist"),
               "blocklists")
    assert names(one, "blocklists") == ["infoblocklist"]
    assert one["blocklists"][0]["properties"]["description"] == "Terms the gateway refuses"
    assert "items" not in one["blocklists"][0]
    with_items = read(run_module, request_log, "rai_blocklist_info", dict(account, name="infoblocklist", items=True),
                      "blocklists")
    [item] = with_items["blocklists"][0]["items"]
    assert item["name"] == "codename" and item["properties"]["pattern"] == "Project Nightingale"


def test_monitoring_info_modules(run_module, resource_group, request_log):
    workspace = run_module("log_analytics_workspace", {"resource_group": resource_group, "name": "law-info"})
    component = run_module("app_insights", {"resource_group": resource_group, "name": "appi-info",
                                            "workspace_id": workspace["id"]})
    run_module("diagnostic_setting", {"scope": workspace["id"], "name": "info-setting",
                                      "workspace_id": workspace["id"]})

    workspaces = read(run_module, request_log, "log_analytics_workspace_info",
                      {"resource_group_name": resource_group}, "workspaces")
    assert names(workspaces, "workspaces") == ["law-info"]

    components = read(run_module, request_log, "app_insights_info",
                      {"resource_group": resource_group, "name": "appi-info"}, "components")
    [shown] = components["components"]
    assert shown["properties"]["ConnectionString"] == "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER"
    assert shown["properties"]["InstrumentationKey"] == "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER"
    assert "InstrumentationKey=" not in components["_stdout"]
    assert shown["id"] == component["id"]

    settings = read(run_module, request_log, "diagnostic_setting_info", {"scope": workspace["id"]}, "settings")
    assert names(settings, "settings") == ["info-setting"]
    assert read(run_module, request_log, "diagnostic_setting_info",
                {"resource_uri": workspace["id"], "name": "absent"}, "settings")["settings"] == []

    refused = run_module("app_insights_info", {"name": "appi-info"}, expect_failure=True)
    assert refused["msg"] == "resource_group is required with name"


def test_key_vault_info_and_secret_metadata_without_values(run_module, resource_group, request_log, endpoint):
    vault = "kv-info-%s" % uuid.uuid4().hex[:8]
    run_module("key_vault", {"resource_group": resource_group, "name": vault, "tenant_id": endpoint["tenant_id"]})
    run_module("key_vault_secret", {"resource_group": resource_group, "vault": vault, "name": "team-info",
                                    "value": VAULT_SECRET, "content_type": "subscription key"})
    vaults = read(run_module, request_log, "key_vault_info", {"resource_group": resource_group}, "vaults")
    assert names(vaults, "vaults") == [vault]
    secrets = read(run_module, request_log, "key_vault_secret_info",
                   {"resource_group_name": resource_group, "vault_name": vault}, "secrets")
    assert names(secrets, "secrets") == ["team-info"]
    assert secrets["secrets"][0]["properties"]["contentType"] == "subscription key"
    assert "value" not in secrets["secrets"][0]["properties"] and VAULT_SECRET not in secrets["_stdout"]
    run_module("key_vault", {"resource_group": resource_group, "name": vault, "state": "absent", "purge": True})


def test_redis_enterprise_info_never_reads_keys(run_module, resource_group, request_log):
    name = "redis-info-%s" % uuid.uuid4().hex[:6]
    run_module("redis_enterprise", {"resource_group": resource_group, "name": name, "sku": "Balanced_B0"})
    mark = request_log.mark()
    clusters = read(run_module, request_log, "redis_enterprise_info", {"resource_group": resource_group, "name": name},
                    "clusters")
    assert names(clusters, "clusters") == [name] and clusters["clusters"][0]["sku"]["name"] == "Balanced_B0"
    databases = read(run_module, request_log, "redis_enterprise_info", {"resource_group": resource_group,
                                                                         "databases": True}, "clusters")
    assert [database["name"] for database in databases["clusters"][0]["databases"]] == ["default"]
    assert not [entry for entry in request_log.since(mark) if "listKeys" in entry["path"]]
    assert "primaryKey" not in databases["_stdout"]
    run_module("redis_enterprise", {"resource_group": resource_group, "name": name, "state": "absent"})


def test_resource_group_and_provider_info(run_module, resource_group, request_log):
    one = read(run_module, request_log, "resource_group_info", {"resource_group_name": resource_group},
               "resource_groups")
    assert names(one, "resource_groups") == [resource_group] and one["resource_groups"][0]["location"] == "swedencentral"
    assert resource_group in names(read(run_module, request_log, "resource_group_info", {}, "resource_groups"),
                                   "resource_groups")
    assert read(run_module, request_log, "resource_group_info", {"name": "rg-info-absent"},
                "resource_groups")["resource_groups"] == []
    provider = read(run_module, request_log, "resource_provider_info", {"namespace": "Microsoft.ApiManagement"},
                    "providers")
    [found] = provider["providers"]
    assert found["namespace"] == "Microsoft.ApiManagement" and found["registrationState"]


def test_role_assignment_info(run_module, resource_group, request_log):
    caller = run_module("caller_info", {})
    scope = run_module("resource_group_info", {"name": resource_group})["resource_groups"][0]["id"]
    run_module("role_assignment", {"scope": scope, "role": "Reader", "principal_id": caller["object_id"],
                                   "principal_type": "ServicePrincipal"})
    mine = read(run_module, request_log, "role_assignment_info",
                {"scope": scope, "principal_id": caller["object_id"], "at_scope_only": True}, "role_assignments")
    [assignment] = mine["role_assignments"]
    assert assignment["properties"]["principalId"] == caller["object_id"]
    reader = "acdd72a7-3385-48ef-bd42-f606fba81ae7"
    assert assignment["properties"]["roleDefinitionId"].endswith(reader)
    other_role = read(run_module, request_log, "role_assignment_info",
                      {"scope": scope, "principal_id": caller["object_id"], "at_scope_only": True,
                       "role_definition_id": "b24988ac-6180-42a0-ab88-20f7382dd24c"}, "role_assignments")
    assert other_role["role_assignments"] == []
