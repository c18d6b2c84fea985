"""Conformance checker: one test per rule (exact path and reason) and the bodies the AI-Gateway lab's Bicep sends."""
from __future__ import annotations

import copy
import re
import shutil

import pytest

from localazure.engine.conformance import (KNOWN_GAPS, Conformance, SpecsUnavailable, check_error_body,
                                           find_specs_dir, load_specs)
from tests.localazure.conftest import ROOT

SPECS = find_specs_dir()   # missing definitions fail the tests below (load_specs says what is missing)

SUB = "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/lab"
APIM = f"{SUB}/providers/Microsoft.ApiManagement/service/apim-lab"
LAW = f"{SUB}/providers/Microsoft.OperationalInsights/workspaces/workspace-lab"
APPI = f"{SUB}/providers/Microsoft.Insights/components/insights-lab"
APIM_V, CS_V = "2024-05-01", "2025-12-01"
CONNECTION = "Microsoft.CognitiveServices/accounts/connections"
PROJECT_CONNECTION = "Microsoft.CognitiveServices/accounts/projects/connections"
BACKENDS = "Microsoft.ApiManagement/service/backends"

LOG_SETTINGS = {"headers": ["Content-type", "x-ms-region"], "body": {"bytes": 8192}}
LAB_BODIES = {
    "apim service": ("Microsoft.ApiManagement/service", APIM_V, {
        "location": "eastus", "sku": {"name": "Basicv2", "capacity": 1}, "identity": {"type": "SystemAssigned"},
        "properties": {"publisherEmail": "noreply@microsoft.com", "publisherName": "Microsoft"}}),
    "backend single": (BACKENDS, APIM_V, {"properties": {
        "description": "Inference backend", "url": "https://models-foundry-lab.cognitiveservices.azure.com/openai",
        "protocol": "http", "type": "Single",
        "circuitBreaker": {"rules": [{"name": "InferenceBreakerRule", "tripDuration": "PT1M", "acceptRetryAfter": True,
                                      "failureCondition": {"count": 1, "errorReasons": ["Server errors"],
                                                           "interval": "PT1M",
                                                           "statusCodeRanges": [{"min": 429, "max": 429}]}}]}}}),
    "backend pool": (BACKENDS, APIM_V, {"properties": {
        "description": "Load balancer", "type": "Pool",
        "pool": {"services": [{"id": f"{APIM}/backends/models-foundry", "weight": 1, "priority": 1},
                              {"id": f"{APIM}/backends/agents-foundry", "weight": 0, "priority": 1}]}}}),
    "api": ("Microsoft.ApiManagement/service/apis", APIM_V, {"properties": {
        "apiType": "http", "type": "http", "description": "Inferencing API", "displayName": "Inference API",
        "path": "inference/openai", "protocols": ["https"], "subscriptionRequired": True,
        "subscriptionKeyParameterNames": {"header": "api-key", "query": "api-key"}}}),
    "api policy": ("Microsoft.ApiManagement/service/apis/policies", APIM_V, {"properties": {
        "format": "rawxml", "value": "<policies><inbound><base /></inbound><backend><base /></backend>"
                                     "<outbound><base /></outbound><on-error><base /></on-error></policies>"}}),
    "logger": ("Microsoft.ApiManagement/service/loggers", APIM_V, {"properties": {
        "loggerType": "applicationInsights", "description": "APIM Logger", "isBuffered": False, "resourceId": APPI,
        "credentials": {"instrumentationKey": "00000000-0000-0000-0000-00000000000a"}}}),
    "diagnostic llm": ("Microsoft.ApiManagement/service/apis/diagnostics", APIM_V, {"properties": {
        "alwaysLog": "allErrors", "verbosity": "verbose", "logClientIp": True, "loggerId": f"{APIM}/loggers/azuremonitor",
        "sampling": {"samplingType": "fixed", "percentage": 100},
        "frontend": {"request": LOG_SETTINGS, "response": LOG_SETTINGS},
        "backend": {"request": LOG_SETTINGS, "response": LOG_SETTINGS},
        "largeLanguageModel": {"logs": "enabled", "requests": {"messages": "all", "maxSizeInBytes": 262144},
                               "responses": {"messages": "all", "maxSizeInBytes": 262144}}}}),
    "subscription": ("Microsoft.ApiManagement/service/subscriptions", APIM_V, {"properties": {
        "allowTracing": True, "displayName": "Foundry AI Gateway Subscription", "scope": "/apis", "state": "active"}}),
    "cs account": ("Microsoft.CognitiveServices/accounts", CS_V, {
        "location": "eastus", "kind": "AIServices", "sku": {"name": "S0"}, "identity": {"type": "SystemAssigned"},
        "properties": {"allowProjectManagement": True, "customSubDomainName": "models-foundry-lab",
                       "disableLocalAuth": False, "publicNetworkAccess": "Enabled"}}),
    "cs account at sdk default": ("Microsoft.CognitiveServices/accounts", "2025-09-01", {
        "location": "eastus", "kind": "AIServices", "sku": {"name": "S0"}, "identity": {"type": "SystemAssigned"},
        "properties": {"allowProjectManagement": True, "customSubDomainName": "models-foundry-lab"}}),
    "deployment": ("Microsoft.CognitiveServices/accounts/deployments", CS_V, {
        "sku": {"name": "GlobalStandard", "capacity": 10},
        "properties": {"model": {"format": "OpenAI", "name": "gpt-4o-mini", "version": "2024-07-18"},
                       "raiPolicyName": "Microsoft.DefaultV2"}}),
    "project": ("Microsoft.CognitiveServices/accounts/projects", CS_V, {
        "location": "eastus", "identity": {"type": "SystemAssigned"}, "properties": {}}),
    "connection apikey": (CONNECTION, CS_V, {"properties": {
        "authType": "ApiKey", "category": "ApiManagement", "target": "https://apim-lab.azure-api.net/inference/openai",
        "isSharedToAll": True, "credentials": {"key": "secret"},
        "metadata": {"ApiType": "Azure", "deploymentInPath": "true", "inferenceAPIVersion": "2024-12-01-preview",
                     "models": '[{"name":"gpt-4o-mini"}]'}}}),
    "connection project mi": (PROJECT_CONNECTION, CS_V, {"properties": {
        "authType": "ProjectManagedIdentity", "audience": "https://cognitiveservices.azure.com",
        "category": "ApiManagement", "target": "https://apim-lab.azure-api.net/inference/openai",
        "isSharedToAll": False, "credentials": {}, "metadata": {"deploymentInPath": "true"}}}),
    "app insights": ("Microsoft.Insights/components", "2020-02-02", {
        "location": "eastus", "kind": "web",
        "properties": {"Application_Type": "web", "WorkspaceResourceId": LAW,
                       "CustomMetricsOptedInType": "WithDimensions"}}),
    "log analytics": ("Microsoft.OperationalInsights/workspaces", "2025-07-01", {
        "location": "eastus", "identity": {"type": "SystemAssigned"},
        "properties": {"retentionInDays": 30, "sku": {"name": "PerGB2018"}}}),
    "role assignment": ("Microsoft.Authorization/roleAssignments", "2022-04-01", {"properties": {
        "roleDefinitionId": "/subscriptions/00000000-0000-0000-0000-000000000001/providers/Microsoft.Authorization/"
                            "roleDefinitions/a97b65f3-24c7-4388-baec-2e87135dc908",
        "principalId": "11111111-1111-1111-1111-111111111111", "principalType": "ServicePrincipal"}}),
    "diagnostic settings": ("Microsoft.Insights/diagnosticSettings", "2021-05-01-preview", {"properties": {
        "workspaceId": LAW, "logAnalyticsDestinationType": "Dedicated",
        "logs": [{"categoryGroup": "AllLogs", "enabled": True}],
        "metrics": [{"category": "AllMetrics", "enabled": True}]}}),
    "redis enterprise": ("Microsoft.Cache/redisEnterprise", "2025-07-01", {
        "location": "eastus", "sku": {"name": "Balanced_B0"}, "properties": {"minimumTlsVersion": "1.2", "publicNetworkAccess": "Enabled"}}),
    "redis database": ("Microsoft.Cache/redisEnterprise/databases", "2025-07-01", {"properties": {
        "clientProtocol": "Encrypted", "port": 10000, "clusteringPolicy": "EnterpriseCluster",
        "evictionPolicy": "NoEviction", "modules": [{"name": "RediSearch"}]}}),
}

# What the lab sends at a newer api-version than the ones the SDKs call: unknown there, so ARM ignores it.
EXPECTED_UNKNOWN = {
    "diagnostic llm": ["$.properties.largeLanguageModel"],           # lab uses 2024-06-01-preview; not in 2024-05-01
}


@pytest.fixture(scope="module")
def conf():
    return load_specs(SPECS)


def body_of(name):
    return copy.deepcopy(LAB_BODIES[name][2])


@pytest.mark.parametrize("name", sorted(LAB_BODIES))
def test_lab_bodies_validate_clean(conf, name):
    type_name, version, body = LAB_BODIES[name]
    assert conf.knows(type_name, version)
    report = conf.check_request(type_name, version, body)
    assert report.errors == []
    assert report.unknown == EXPECTED_UNKNOWN.get(name, [])


def test_llm_logging_and_release_channel_are_defined_from_2024_06_01_preview(conf):
    """What apim_diagnostic and apim_service send at 2024-06-01-preview checks clean against that version's
    definitions; a size beyond 262144 bytes or an unknown channel is refused there."""
    type_name, _version, body = LAB_BODIES["diagnostic llm"]
    preview = "2024-06-01-preview"
    report = conf.check_request(type_name, preview, copy.deepcopy(body))
    assert (report.errors, report.unknown) == ([], [])
    too_big = copy.deepcopy(body)
    too_big["properties"]["largeLanguageModel"]["requests"]["maxSizeInBytes"] = 262145
    assert [error for error in conf.check_request(type_name, preview, too_big).errors
            if error.startswith("$.properties.largeLanguageModel.requests.maxSizeInBytes")]
    service = body_of("apim service")
    service["properties"]["releaseChannel"] = "Stable"
    report = conf.check_request("Microsoft.ApiManagement/service", preview, service)
    assert (report.errors, report.unknown) == ([], [])
    assert conf.check_request("Microsoft.ApiManagement/service", APIM_V, service).unknown == [
        "$.properties.releaseChannel"]


def test_knows_is_case_insensitive_and_version_exact(conf):
    assert conf.knows("microsoft.apimanagement/SERVICE/backends", APIM_V)
    assert not conf.knows(BACKENDS, "2021-08-01")
    assert not conf.knows("Microsoft.ManagedIdentity/userAssignedIdentities", "2024-11-30")
    assert not conf.knows("Microsoft.ApiManagement/service/nothing", APIM_V)


def test_wrong_json_type(conf):
    body = body_of("subscription")
    body["properties"]["allowTracing"] = "yes"
    assert conf.check_request(*LAB_BODIES["subscription"][:2], body).errors == [
        "$.properties.allowTracing: types: expected boolean, got string",
        "$.properties.allowTracing: schema: 'yes' is not of type 'boolean'"]


def test_closed_enum(conf):
    body = body_of("subscription")
    body["properties"]["state"] = "paused"
    errors = conf.check_request(*LAB_BODIES["subscription"][:2], body).errors
    assert errors[0].startswith('$.properties.state: types: "paused" is not one of [')
    assert errors[1].startswith("$.properties.state: schema: 'paused' is not one of")


def test_single_string_literal(conf):
    # gateways/apis: AssociationContractProperties.provisioningState is the literal 'created'
    errors = conf.check_request("Microsoft.ApiManagement/service/gateways/apis", APIM_V,
                                {"properties": {"provisioningState": "deleted"}}).errors
    assert errors == ['$.properties.provisioningState: types: "deleted" is not "created"',
                      "$.properties.provisioningState: schema: 'deleted' is not one of ['created']"]


def test_extensible_enum_accepts_any_string(conf):
    body = body_of("backend single")
    body["properties"]["protocol"] = "grpc"     # 'http' | 'soap' | string
    report = conf.check_request(BACKENDS, APIM_V, body)
    assert report.errors == []
    assert report.notes == ["$.properties.protocol: schema: 'grpc' is not one of ['http', 'soap'] "
                            "(extensible enum in types: accepted)"]


def test_missing_required(conf):
    body = body_of("apim service")
    del body["properties"]["publisherEmail"]
    errors = conf.check_request("Microsoft.ApiManagement/service", APIM_V, body).errors
    assert errors == ["$.properties.publisherEmail: types: required property missing",
                      "$.properties: schema: 'publisherEmail' is a required property"]


def test_name_travels_in_the_url_but_is_checked_when_given(conf):
    body = body_of("connection apikey")
    assert conf.check_request(CONNECTION, CS_V, body).errors == []
    body["name"] = "x"    # pattern ^[a-zA-Z0-9][a-zA-Z0-9_-]{2,32}$
    errors = conf.check_request(CONNECTION, CS_V, body).errors
    assert errors[0] == '$.name: types: "x" does not match pattern ^[a-zA-Z0-9][a-zA-Z0-9_-]{2,32}$'


def test_read_only_in_request(conf):
    body = body_of("cs account")
    body["properties"]["provisioningState"] = "Succeeded"
    assert "$.properties.provisioningState: types: read-only property set in a request" in \
        conf.check_request("Microsoft.CognitiveServices/accounts", CS_V, body).errors


def test_string_length(conf):
    body = body_of("subscription")
    body["properties"]["displayName"] = "x" * 101
    errors = conf.check_request("Microsoft.ApiManagement/service/subscriptions", APIM_V, body).errors
    assert errors[0] == "$.properties.displayName: types: longer than maxLength 100"


def test_integer_bounds(conf):
    body = body_of("backend pool")
    body["properties"]["pool"]["services"][0]["weight"] = 101
    errors = conf.check_request(BACKENDS, APIM_V, body).errors
    assert errors[0] == "$.properties.pool.services[0].weight: types: 101 is greater than maxValue 100"


def test_numbers(conf):
    body = body_of("diagnostic llm")
    body["properties"]["sampling"]["percentage"] = 12.5      # swagger number (double): IntegerType in bicep-types
    assert conf.check_request("Microsoft.ApiManagement/service/apis/diagnostics", APIM_V, body).errors == []
    body["properties"]["sampling"]["percentage"] = "100"
    assert conf.check_request("Microsoft.ApiManagement/service/apis/diagnostics", APIM_V, body).errors == [
        "$.properties.sampling.percentage: types: expected number, got string",
        "$.properties.sampling.percentage: schema: '100' is not of type 'number'"]
    body = body_of("backend pool")
    body["properties"]["pool"]["services"][0]["priority"] = 1.5    # swagger integer: only the schema knows
    assert conf.check_request(BACKENDS, APIM_V, body).errors == [
        "$.properties.pool.services[0].priority: schema: 1.5 is not of type 'integer'"]


def test_array_bounds(conf):
    body = body_of("backend pool")
    body["properties"]["pool"]["services"] = []
    assert conf.check_request(BACKENDS, APIM_V, body).errors[0] == \
        "$.properties.pool.services: types: fewer than minLength 1 items"
    body = body_of("backend single")
    body["properties"]["circuitBreaker"]["rules"] *= 16
    assert conf.check_request(BACKENDS, APIM_V, body).errors[0] == \
        "$.properties.circuitBreaker.rules: types: more than maxLength 15 items"


def test_unknown_properties_are_listed_not_errors(conf):
    body = body_of("backend single")
    body["properties"]["credentials"] = {"managedIdentity": {"resource": "https://cognitiveservices.azure.com"}}
    report = conf.check_request(BACKENDS, APIM_V, body)
    assert report.errors == []
    assert report.unknown == ["$.properties.credentials.managedIdentity"]


def test_unknown_discriminator_value(conf):
    body = body_of("connection apikey")
    body["properties"]["authType"] = "Kerberos"
    errors = conf.check_request(CONNECTION, CS_V, body).errors
    assert errors[0].startswith('$.properties.authType: types: "Kerberos" is not one of [\'AAD\'')
    assert errors[1].startswith("$.properties.authType: schema: accepted by none of 12 alternatives")


def test_discriminator_missing(conf):
    body = body_of("connection apikey")
    del body["properties"]["authType"]
    assert conf.check_request(CONNECTION, CS_V, body).errors[0] == \
        "$.properties.authType: types: required discriminator missing"


def test_project_managed_identity_is_a_documented_gap(conf):
    report = conf.check_request(*LAB_BODIES["connection project mi"])
    assert report.errors == []
    assert report.notes[0].startswith('$.properties.authType: types: "ProjectManagedIdentity" accepted as a known gap')
    body = body_of("connection project mi")
    body["properties"]["audience"] = 5
    assert conf.check_request(PROJECT_CONNECTION, CS_V, body).errors == [
        "$.properties.audience: types: expected string, got integer"]
    assert all(gap.source for gap in KNOWN_GAPS)


@pytest.mark.parametrize("category", ["ApiManagement", "ModelGateway"])
def test_gateway_categories_only_from_2025_12_01(conf, category):
    body = body_of("connection apikey")
    body["properties"]["category"] = category
    assert conf.check_request(CONNECTION, "2025-12-01", body).errors == []
    errors = conf.check_request(CONNECTION, "2025-09-01", body).errors
    assert errors[0].startswith(f'$.properties.category: types: "{category}" is not valid at 2025-09-01')
    assert errors[1].startswith(f"$.properties.category: schema: '{category}' is not one of")


def test_schema_expression_strings_are_not_values(conf):
    body = body_of("subscription")
    body["properties"]["allowTracing"] = "[parameters('x')]"
    errors = conf.check_request("Microsoft.ApiManagement/service/subscriptions", APIM_V, body).errors
    assert "$.properties.allowTracing: schema: \"[parameters('x')]\" is not of type 'boolean'" in errors


def test_response_rules(conf):
    response = {"id": f"{APIM}/subscriptions/s1", "name": "s1", "type": "Microsoft.ApiManagement/service/subscriptions",
                "properties": {"scope": "/apis", "displayName": "d", "state": "active", "primaryKey": None,
                               "createdDate": "2024-01-01T00:00:00Z"}}
    report = conf.check_response("Microsoft.ApiManagement/service/subscriptions", APIM_V, response)
    assert report.errors == []          # read-only fields and explicit nulls are fine in a response
    response["properties"]["state"] = "paused"
    assert conf.check_response("Microsoft.ApiManagement/service/subscriptions", APIM_V, response).errors[0] \
        .startswith('$.properties.state: types: "paused" is not one of')


def test_write_only_never_returned(conf):
    response = {"id": f"{APIM}/users/u", "name": "u", "type": "Microsoft.ApiManagement/service/users",
                "properties": {"email": "a@b.c", "firstName": "a", "lastName": "b", "password": "secret"}}
    assert conf.check_response("Microsoft.ApiManagement/service/users", APIM_V, response).errors == [
        "$.properties.password: types: write-only property returned in a response"]


def test_error_body_shape():
    assert check_error_body({"error": {"code": "InvalidParameters", "message": "m", "details": None,
                                       "innerError": None}}) == []
    assert check_error_body({"code": "X", "message": "m"}) == ["$: not an object with an 'error' object"]
    assert check_error_body({"error": {"code": "", "message": "m", "details": [{"code": "C"}]}}) == [
        "$.error.code: required non-empty string", "$.error.details[0].message: required non-empty string"]


def test_find_specs_dir_honours_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("LOCALAZURE_SPECS", str(tmp_path))
    assert find_specs_dir() == tmp_path
    monkeypatch.delenv("LOCALAZURE_SPECS")
    assert find_specs_dir() == ROOT / "localazure" / "specs"


def test_the_shipped_definitions_are_complete_and_licensed():
    shipped = ROOT / "localazure" / "specs"
    for licence in ("bicep-types/LICENSE", "arm-schemas/LICENSE"):
        assert "MIT License" in (shipped / licence).read_text()
    readme = (shipped / "README.md").read_text()
    assert "Azure/bicep-types-az" in readme and "Azure/azure-resource-manager-schemas" in readme
    # every api-version a provider maps requests to has its definitions here
    from localazure.services import discover
    shipped_specs = load_specs(shipped)
    missing = sorted({f"{kind.type_name}@{version}" for provider in discover() for kind in provider.kinds
                      for version in kind.spec_versions.values() if not shipped_specs.knows(kind.type_name, version)})
    assert missing == []


def test_missing_or_damaged_definitions_are_an_error(tmp_path):
    with pytest.raises(SpecsUnavailable, match="definitions are missing: .*bicep-types"):
        load_specs(tmp_path)
    shutil.copytree(SPECS, tmp_path / "copy")
    (tmp_path / "copy" / "bicep-types" / "microsoft.cache" / "2025-07-01" / "types.json").write_text("{broken")
    with pytest.raises(SpecsUnavailable, match="unreadable definition file .*microsoft.cache/2025-07-01/types.json"):
        load_specs(tmp_path / "copy")


def test_resource_groups_are_checked_against_the_subscription_scope_schema(conf):
    group = "Microsoft.Resources/resourceGroups"
    assert conf.knows(group, "2025-04-01")
    report = conf.check_request(group, "2025-04-01", {"location": "eastus", "tags": {"owner": "ops"}})
    assert report.errors == []
    assert sorted(conf.check_request(group, "2025-04-01", {"tags": {"owner": 1}}).errors) == [
        "$.tags.owner: schema: 1 is not of type 'string'", "$: schema: 'location' is a required property"]
    assert conf.check_name(group, "2025-04-01", "rg-ok_(1).x") == []
    assert conf.check_name(group, "2025-04-01", "bad name") and conf.check_name(group, "2025-04-01", "r" * 91)
    assert conf.check_response(group, "2025-04-01", {"id": "/subscriptions/s/resourceGroups/r"}).errors == []


def test_schema_only_required_is_a_note(conf):
    # the template schema requires `properties`; the REST definition (and Microsoft's ClustersCreate example) do not
    report = conf.check_request("Microsoft.OperationalInsights/clusters", "2025-07-01",
                                {"location": "eastus", "sku": {"name": "CapacityReservation", "capacity": 100}})
    assert report.errors == []
    assert report.notes == ["$: schema: 'properties' is a required property (not required in types: accepted)"]


def test_required_null_is_missing(conf):
    body = body_of("api policy")
    body["properties"]["value"] = None
    assert conf.check_request("Microsoft.ApiManagement/service/apis/policies", APIM_V, body).errors[0] == \
        "$.properties.value: types: required property missing"


def test_unknown_type_or_version_is_reported(conf):
    assert conf.check_request(BACKENDS, "2021-08-01", {}).errors == [
        "$: types: no definition for Microsoft.ApiManagement/service/backends@2021-08-01"]


# --- Microsoft's own examples (bicep-types samples.md) as positive fixtures ---------------------------------------
# The samples are Bicep literals; a small reader turns them into the REST PUT body (name/parent/scope go in the URL).


_TOKEN = re.compile(r"""\s*(?:(?P<multi>'''.*?''')|(?P<str>'(?:\\.|[^'\\])*')|(?P<num>-?\d+(?:\.\d+)?)|(?P<word>[A-Za-z_$][\w$.@-]*)|(?P<punct>[{}\[\]:,()])|(?P<nl>\n))""", re.S)


class NotLiteral(ValueError):
    """The sample uses expressions (interpolation, function calls): not a plain JSON value."""


class Symbol(str):
    """A reference to another Bicep symbol (e.g. `parent: exampleService`): only allowed where it is dropped."""


def _tokens(text: str):
    position = 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        if not match or match.end() == position:
            if text[position:].strip() == "":
                return
            raise NotLiteral(text[position:position + 30])
        position = match.end()
        kind = match.lastgroup
        yield kind, match.group(kind)


def parse(text: str):
    tokens = [t for t in _tokens(text)]
    value, index = _value(tokens, _skip(tokens, 0))
    return value


def _skip(tokens, index):
    while index < len(tokens) and tokens[index][0] == "nl":
        index += 1
    return index


def _string(raw: str) -> str:
    if raw.startswith("'''"):
        return raw[3:-3]
    body = raw[1:-1]
    if "${" in body:
        raise NotLiteral(body)
    return re.sub(r"\\(.)", lambda m: {"n": "\n", "t": "\t", "r": "\r"}.get(m.group(1), m.group(1)), body)


def _value(tokens, index):
    kind, text = tokens[index]
    if kind in ("str", "multi"):
        return _string(text), index + 1
    if kind == "num":
        return (float(text) if "." in text else int(text)), index + 1
    if kind == "word":
        if text in ("true", "false", "null"):
            return {"true": True, "false": False, "null": None}[text], index + 1
        return Symbol(text), index + 1
    if text == "{":
        result, index = {}, _skip(tokens, index + 1)
        while tokens[index][1] != "}":
            key_kind, key = tokens[index]
            key = _string(key) if key_kind == "str" else key
            if tokens[index + 1][1] != ":":
                raise NotLiteral(key)
            result[key], index = _value(tokens, index + 2)
            index = _skip(tokens, index + (tokens[index][1] == ","))
            index = _skip(tokens, index)
        return result, index + 1
    if text == "[":
        result, index = [], _skip(tokens, index + 1)
        while tokens[index][1] != "]":
            item, index = _value(tokens, index)
            result.append(item)
            index = _skip(tokens, index + (tokens[index][1] == ","))
        return result, index + 1
    raise NotLiteral(text)


def _has_symbol(value) -> bool:
    if isinstance(value, Symbol):
        return True
    if isinstance(value, dict):
        return any(_has_symbol(v) for v in value.values())
    return isinstance(value, list) and any(_has_symbol(v) for v in value)


def rest_body(resource: dict):
    """The REST PUT body of a sample resource: name/parent/scope travel in the URL, dependsOn is template-only."""
    body = {k: v for k, v in resource.items() if k not in ("name", "parent", "scope", "dependsOn")}
    if _has_symbol(body):
        raise NotLiteral("symbol reference")
    return body


_SAMPLE = re.compile(r"^(?P<title>\S[^\n]*)\n```bicep\nresource \w+ '(?P<type>[^@']+)@(?P<version>[^']+)' = (?P<body>\{.*?\n\})\n```", re.S | re.M)


def samples(markdown: str):
    """(title, type_name, api_version, body or None when not a literal) for every example."""
    for match in _SAMPLE.finditer(markdown):
        try:
            body = rest_body(parse(match["body"]))
        except NotLiteral:
            body = None
        yield match["title"], match["type"], match["version"], body


# Examples that do not match their own definitions, each checked by hand against types.md.
SAMPLE_EXCEPTIONS = {
    # the sample renders string-typed values as {} (the generator lost them): types say string
    "ApiManagementCreateAuthorizationProviderGenericOAuth2": "$.properties.oauth2.grantTypes.authorizationCode.scopes",
    "ApiManagementCreatePortalConfig": "$.properties.delegation.delegationUrl",
    # portalsettings are discriminated by the top-level `name`, which a REST body carries in the URL only
    "ApiManagementPortalSettingsUpdateDelegation": "$.name",
    "ApiManagementPortalSettingsUpdateSignIn": "$.name",
    "ApiManagementPortalSettingsUpdateSignUp": "$.name",
    # the example echoes the read-only `id` in the PUT body
    "ApiManagementApproveOrRejectPrivateEndpointConnection": "$.id",
}


def _all_samples():
    found = []
    for markdown in sorted(SPECS.glob("bicep-types/*/*/samples.md")):
        found += [sample for sample in samples(markdown.read_text()) if sample[3] is not None]
    return found


SAMPLES = _all_samples()


def test_samples_are_read():
    assert len(SAMPLES) > 200      # literal examples across all namespaces
    assert parse("{\n  a: 'x'\n  b: [\n    1\n    true\n  ]\n}") == {"a": "x", "b": [1, True]}


@pytest.mark.parametrize("title,type_name,version,body", SAMPLES,
                         ids=[f"{s[2]}-{s[0]}" for s in SAMPLES])
def test_microsoft_sample_validates(conf, title, type_name, version, body):
    assert conf.knows(type_name, version)
    errors = conf.check_request(type_name, version, body).errors
    if title in SAMPLE_EXCEPTIONS:
        assert errors and errors[0].startswith(SAMPLE_EXCEPTIONS[title] + ": types: ")
    else:
        assert errors == []


def test_undeclared_property_accepted_as_a_known_gap(conf):
    body = {"location": "swedencentral", "kind": "web", "properties": {
        "Application_Type": "web", "CustomMetricsOptedInType": "WithDimensions",
        "WorkspaceResourceId": "/subscriptions/s/resourceGroups/r/providers/Microsoft.OperationalInsights/workspaces/w"}}
    report = conf.check_request("Microsoft.Insights/components", "2020-02-02", body)
    assert report.errors == [] and report.unknown == []
    assert any("CustomMetricsOptedInType" in note and "known gap" in note for note in report.notes)
    body["properties"]["CustomMetricsOptedInType"] = "Sometimes"
    report = conf.check_request("Microsoft.Insights/components", "2020-02-02", body)
    assert report.errors == ['$.properties.CustomMetricsOptedInType: types: expected string in ['
                             "'Off', 'WithDimensions'], got \"Sometimes\""]


def test_oauth2_connection_extras_accepted_only_in_their_shape(conf):
    body = {"properties": {"category": "ModelGateway", "authType": "OAuth2", "target": "https://gw.example.com",
                           "credentials": {"clientId": "00000000-0000-0000-0000-000000000001", "clientSecret": "s"},
                           "tokenUrl": "https://login.example.com/token", "scopes": ["api://gw/.default"]}}
    report = conf.check_request("Microsoft.CognitiveServices/accounts/projects/connections", "2025-12-01", body)
    assert report.errors == [] and report.unknown == []
    body["properties"]["scopes"] = "api://gw/.default"
    report = conf.check_request("Microsoft.CognitiveServices/accounts/projects/connections", "2025-12-01", body)
    assert report.errors == ['$.properties.scopes: types: expected array of strings, got "api://gw/.default"']
