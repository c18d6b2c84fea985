"""One home per rule (issue 22 item 4): the names, SKUs and choices Azure accepts live in
plugins/module_utils/validation.py only, and agree with Microsoft's definitions in localazure/specs.

A module that keeps its own copy of a rule drifts from the preflight (the copies disagreed: the preflight passed
aigw_connection_auth_type AAD that a role refused after the writes had started), so the repository holds no module-
level name pattern or SKU list outside validation.py; and every enum table that the definitions also carry is
compared with them, read from the repository (no network)."""
from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import pytest

from ansible_collections.aigateway.foundry.plugins.module_utils import validation

ROOT = Path(__file__).resolve().parents[2]
SPECS = ROOT / "localazure" / "specs" / "arm-schemas"
# A module-level constant whose name says it is a name rule or a list of SKUs.
RULE_NAME = re.compile(r"NAME|PATTERN|SKUS?\Z")


def _is_re_compile(node):
    return (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "compile"
            and isinstance(node.func.value, ast.Name) and node.func.value.id == "re")


def _is_string_list(node):
    return (isinstance(node, (ast.List, ast.Tuple)) and node.elts
            and all(isinstance(item, ast.Constant) and isinstance(item.value, str) for item in node.elts))


def rule_copies(source, where):
    """Module-level name patterns (a compiled regex named *NAME* or *PATTERN*) and SKU lists (a list of strings
    named *SKU*/*SKUS*) in one file's source."""
    found = []
    for node in ast.parse(source).body:
        if not isinstance(node, ast.Assign):
            continue
        for target in node.targets:
            name = getattr(target, "id", "")
            if RULE_NAME.search(name) and (_is_re_compile(node.value) or _is_string_list(node.value)):
                found.append("%s:%d %s" % (where, node.lineno, name))
    return found


def repository_rule_copies():
    found = []
    for path in sorted((ROOT / "plugins").rglob("*.py")):
        if path.name != "validation.py":
            found += rule_copies(path.read_text(encoding="utf-8"), str(path.relative_to(ROOT)))
    return found


def test_no_module_keeps_its_own_name_pattern_or_sku_list():
    assert repository_rule_copies() == [], "move these into plugins/module_utils/validation.py"


@pytest.mark.parametrize("source, reported", [
    ('import re\nNAME_PATTERN = re.compile(r"\\A[a-z]+\\Z")\n', True),
    ('import re\nPROJECT_NAME = re.compile(r"\\A[a-z]+\\Z")\n', True),
    ('SKU_NAMES = ["Developer", "Basic"]\n', True),
    ('FOUNDRY_SUPPORTED_SKUS = ("standardv2", "premium")\n', True),
    ('import re\nDURATION = re.compile(r"\\AP\\Z")\n', False),
    ('SKU_SPELLING = {"basicv2": "BasicV2"}\n', False),
])
def test_the_scan_reports_a_copy(source, reported):
    assert bool(rule_copies(source, "m.py")) is reported


# ---- the enum tables against the definitions -------------------------------------------------------------------
def _definitions(version, namespace):
    return json.loads((SPECS / version / ("%s.json" % namespace)).read_text(encoding="utf-8"))


def _enum(schema):
    """The enum of a property that is either {"enum": [...]} or {"oneOf": [{"enum": [...]}, expression]}."""
    if "enum" in schema:
        return schema["enum"]
    return next(option["enum"] for option in schema["oneOf"] if "enum" in option)


def test_connection_categories_are_the_definitions():
    spec = _definitions("2025-12-01", "Microsoft.CognitiveServices")["definitions"]["ConnectionPropertiesV2"]
    assert sorted(validation.CONNECTION_CATEGORIES) == sorted(_enum(spec["properties"]["category"]))


def test_connection_auth_types_are_the_definitions_and_the_project_identity():
    spec = _definitions("2025-12-01", "Microsoft.CognitiveServices")["definitions"]["ConnectionPropertiesV2"]
    offered = {value for variant in spec["oneOf"] for value in _enum(variant["properties"]["authType"])}
    # ProjectManagedIdentity is Foundry's project identity (its "bring your own AI gateway" documentation), newer
    # than the definitions; every other auth type we take is one of theirs.
    assert set(validation.CONNECTION_AUTH_TYPES) - set(validation.PROJECT_ONLY_AUTH_TYPES) <= offered
    assert set(validation.GATEWAY_CONNECTION_AUTH_TYPES) <= set(validation.CONNECTION_AUTH_TYPES)
    assert set(validation.CATEGORY_AUTH_TYPES) == set(sum(validation.GATEWAY_CATEGORY_AUTH_TYPES.values(), ()))
    assert set(validation.GATEWAY_CONNECTION_CATEGORIES) <= set(validation.CONNECTION_CATEGORIES)


def test_apim_skus_are_the_definitions():
    spec = _definitions("2024-06-01-preview", "Microsoft.ApiManagement")["definitions"]
    offered = {sku.lower() for sku in _enum(spec["ApiManagementServiceSkuProperties"]["properties"]["name"])}
    # Premiumv2 is newer than the definitions (an extensible enum); Isolated we do not create.
    assert {sku.lower() for sku in validation.APIM_SKUS} - {"premiumv2"} == offered - {"isolated"}


def test_workspace_skus_are_the_definitions():
    spec = _definitions("2025-07-01", "Microsoft.OperationalInsights")["definitions"]
    assert sorted(validation.WORKSPACE_SKUS) == sorted(_enum(spec["WorkspaceSku"]["properties"]["name"]))


def test_every_redis_sku_of_the_definitions_is_accepted():
    types = json.loads((ROOT / "localazure/specs/bicep-types/microsoft.cache/2025-07-01/types.json").read_text(
        encoding="utf-8"))
    skus = [item["value"] for item in types if isinstance(item, dict) and item.get("$type") == "StringLiteralType"
            and re.fullmatch(r"(Balanced|ComputeOptimized|MemoryOptimized|FlashOptimized|Enterprise|EnterpriseFlash)"
                             r"_[A-Z][0-9]+", item["value"])]
    assert len(skus) > 40
    assert [sku for sku in skus if validation.redis_problem({"name": "r", "sku": sku})] == []


# NAME_RULES type -> (definitions, resource definition): our rule may be stricter than the definitions (Learn's
# naming page tightens some), never looser.
NAME_DEFINITIONS = {
    "Microsoft.CognitiveServices/accounts": (("2025-12-01", "Microsoft.CognitiveServices"), "accounts"),
    "Microsoft.CognitiveServices/accounts/projects": (("2025-12-01", "Microsoft.CognitiveServices"),
                                                      "accounts_projects"),
    "Microsoft.CognitiveServices/accounts/connections": (("2025-12-01", "Microsoft.CognitiveServices"),
                                                         "accounts_connections"),
    "Microsoft.CognitiveServices/accounts/raiBlocklists": (("2025-12-01", "Microsoft.CognitiveServices"),
                                                           "accounts_raiBlocklists"),
    "Microsoft.CognitiveServices/accounts/raiBlocklists/raiBlocklistItems": (
        ("2025-12-01", "Microsoft.CognitiveServices"), "accounts_raiBlocklists_raiBlocklistItems"),
    "Microsoft.ApiManagement/service": (("2024-05-01", "Microsoft.ApiManagement"), "service"),
    "Microsoft.ApiManagement/service/apis": (("2024-05-01", "Microsoft.ApiManagement"), "service_apis"),
    "Microsoft.ApiManagement/service/namedValues": (("2024-05-01", "Microsoft.ApiManagement"), "service_namedValues"),
    "Microsoft.ApiManagement/service/products": (("2024-05-01", "Microsoft.ApiManagement"), "service_products"),
    "Microsoft.OperationalInsights/workspaces": (("2025-07-01", "Microsoft.OperationalInsights"), "workspaces"),
}
PROBES = ["a", "ab", "abc", "abcd", "a1", "1a", "a-b", "a--b", "a_b", "a.b", "-ab", "ab-", "_ab", "ab_", ".ab",
          "ab.", "a b", "a*b", "a#b", "a:b", "a?b", "a/b", "A-Z", "x" * 33, "x" * 34, "x" * 50, "x" * 51, "x" * 63,
          "x" * 64, "x" * 65, "x" * 256, "x" * 257]


def _name_schema(version_namespace, resource):
    schema = _definitions(*version_namespace)["resourceDefinitions"][resource]["properties"]["name"]
    return next((option for option in schema.get("oneOf", [schema]) if option.get("type") == "string"), schema)


def _spec_accepts(schema, name):
    return (schema.get("minLength", 0) <= len(name) <= schema.get("maxLength", len(name))
            and (not schema.get("pattern") or re.search(schema["pattern"], name) is not None))


@pytest.mark.parametrize("type_name", sorted(NAME_DEFINITIONS))
def test_no_name_rule_accepts_what_the_definitions_refuse(type_name):
    schema = _name_schema(*NAME_DEFINITIONS[type_name])
    looser = [name for name in PROBES
              if validation.name_problem(type_name, name) is None and not _spec_accepts(schema, name)]
    assert looser == []


# ---- the roles' argument specs: YAML cannot import the tables, so each copy of a choice list must equal its table
# (ansible-core checks the choices at the role's entry, before the preflight filter sees the value).
CHOICE_TABLES = {
    "soft_deleted": validation.SOFT_DELETED_CHOICES,
    "apim_sku_name": validation.APIM_SKUS,
    "api_type": validation.CONNECTION_API_TYPES,
    "connection_scope": validation.CONNECTION_SCOPES,
    "foundry_connection_auth_type": validation.CATEGORY_AUTH_TYPES,
    "verify_connection_auth_type": validation.CATEGORY_AUTH_TYPES,
    "connection_category": validation.GATEWAY_CONNECTION_CATEGORIES,
    "auth_type": validation.GATEWAY_CONNECTION_AUTH_TYPES,
    "model_discovery": validation.CONNECTION_MODEL_DISCOVERY,
    "token_quota_period": validation.QUOTA_PERIODS,
}


def _argument_choices():
    import yaml

    def walk(options, role):
        for name, option in (options or {}).items():
            if option.get("choices"):
                yield role, name, option["choices"]
            yield from walk(option.get("options"), role)

    for path in sorted((ROOT / "roles").glob("*/meta/argument_specs.yml")):
        for entry in yaml.safe_load(path.read_text(encoding="utf-8"))["argument_specs"].values():
            yield from walk(entry.get("options"), path.parts[-3])


def test_the_roles_choices_are_validation_tables():
    drifted, checked = [], 0
    for role, name, choices in _argument_choices():
        table = next((table for suffix, table in CHOICE_TABLES.items() if name.endswith(suffix)), None)
        if table is not None:
            checked += 1
            if list(choices) != list(table):
                drifted.append("%s %s: %s, validation.py has %s" % (role, name, choices, list(table)))
    assert checked >= 10 and drifted == []
