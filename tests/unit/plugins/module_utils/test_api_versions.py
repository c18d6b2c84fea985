"""Every wire api-version is pinned in azure_clients.API_VERSIONS (issue 23 item 9), and that table equals what
localazure/specs vendors: an entry without vendored definitions fails, a client left on its SDK's default fails, and
a module that names a version outside the table fails. So a new SDK major cannot move a wire version silently."""
from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import pytest

from ansible_collections.aigateway.foundry.plugins.module_utils import azure_clients
from ansible_collections.aigateway.foundry.plugins.module_utils.azure_clients import (
    API_VERSIONS, SERVICES, import_client_class)

ROOT = Path(__file__).resolve().parents[4]
SPECS = ROOT / "localazure" / "specs" / "bicep-types"
API_VERSION = re.compile(r"\A[0-9]{4}-[0-9]{2}-[0-9]{2}(-preview)?\Z")
# The operation groups the modules call, per client (grep 'client("<service>")' and the Resource/Listing tables).
OPERATION_GROUPS = {
    "resource": ["resource_groups", "providers"],
    "apimanagement": ["api_management_service", "backend", "api", "api_policy", "named_value", "deleted_services"],
    "cognitiveservices": ["accounts", "deployments", "projects", "account_connections", "rai_blocklists"],
    "authorization": ["role_assignments", "role_definitions", "permissions"],
    "applicationinsights": ["components"],
    "loganalytics": ["workspaces"],
    "redisenterprise": ["redis_enterprise", "databases"],
    "keyvault": ["vaults", "secrets"],
}
DOC_BLOCKS = ("DOCUMENTATION", "EXAMPLES", "RETURN")
# The data-plane api-versions Foundry sends through a connection (Azure OpenAI, Model Inference): their one home is
# validation.py's connection table; this test holds Resource Manager's.
DATA_PLANE_TABLES = ("MODEL_INFERENCE_API_VERSIONS", "CONNECTION_API_TYPE_DEFAULTS", "RESPONSES_FIRST_API_VERSION")


def _types(namespace, version):
    path = SPECS / namespace.lower() / version / "types.json"
    assert path.is_file(), "%s %s is not vendored in localazure/specs (%s)" % (namespace, version, path)
    return json.loads(path.read_text())


def _resource_properties(types, type_name, version):
    """The property names of a resource type's `properties` object at that version (None: no such type)."""
    resource = next((node for node in types if node.get("$type") == "ResourceType"
                     and node.get("name", "").lower() == ("%s@%s" % (type_name, version)).lower()), None)
    if resource is None:
        return None
    body = types[int(resource["body"]["$ref"][2:])]
    inner = body["properties"].get("properties")
    return set(types[int(inner["type"]["$ref"][2:])].get("properties") or {}) if inner else set()


@pytest.mark.parametrize("key", sorted(API_VERSIONS))
def test_every_pinned_version_is_vendored_with_the_type_and_property_it_is_pinned_for(key):
    type_name, needed = (key.split(":") + [""])[:2]
    namespace = type_name.split("/")[0]
    types = _types(namespace, API_VERSIONS[key])
    if "/" in type_name and type_name != "Microsoft.Resources/providers":   # providers: no resource type
        found = _resource_properties(types, type_name, API_VERSIONS[key])
        assert found is not None, "%s is not defined at %s" % (type_name, API_VERSIONS[key])
        if needed:
            assert needed in found, "%s has no %s at %s" % (type_name, needed, API_VERSIONS[key])
            default = _resource_properties(_types(namespace, API_VERSIONS[namespace]), type_name,
                                           API_VERSIONS[namespace])
            assert needed not in default, "%s is pinned for %s, which %s already defines" % (
                API_VERSIONS[key], needed, API_VERSIONS[namespace])


@pytest.mark.parametrize("service", sorted(SERVICES))
def test_every_client_sends_its_pinned_version_on_every_operation_group_the_modules_call(service):
    class Credential:
        def get_token(self, *scopes, **kwargs):
            raise AssertionError("no call is made")

    client_class, version = import_client_class(service)
    assert version == API_VERSIONS[SERVICES[service][3]] and API_VERSION.match(version)
    client = client_class(Credential(), "00000000-0000-0000-0000-000000000000", api_version=version)
    assert sorted(OPERATION_GROUPS) == sorted(SERVICES)
    for group in OPERATION_GROUPS[service]:
        operations = getattr(client, group)   # a multi-API client raises when the version lacks the group
        assert operations._config.api_version == version, "%s.%s sends %s, not %s" % (
            service, group, operations._config.api_version, version)


def _code_strings(path):
    """String constants of a module's code: not its docstrings, not DOCUMENTATION/EXAMPLES/RETURN."""
    tree = ast.parse(path.read_text())
    skipped = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id in DOC_BLOCKS + DATA_PLANE_TABLES
                                                for t in node.targets):
            skipped.update(id(inner) for inner in ast.walk(node.value))
        if isinstance(node, (ast.Module, ast.FunctionDef, ast.ClassDef)) and ast.get_docstring(node) is not None:
            skipped.add(id(node.body[0].value))
    return [node for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in skipped]


def test_no_module_names_an_api_version_outside_the_table():
    plugins = ROOT / "plugins"
    table = Path(azure_clients.__file__).resolve()
    outside = ["%s:%d %s" % (path.relative_to(ROOT), node.lineno, node.value)
               for path in sorted(plugins.rglob("*.py")) if path.resolve() != table
               for node in _code_strings(path) if API_VERSION.match(node.value)]
    assert outside == [], "api-versions belong in azure_clients.API_VERSIONS"
    named = {key for path in plugins.rglob("*.py")
             for key in re.findall(r"API_VERSIONS\[\"(Microsoft[^\"]+)\"\]", path.read_text())}
    assert named - set(API_VERSIONS) == set(), "keys the modules look up that the table lacks"


def test_the_scan_sees_a_version_written_in_a_module(tmp_path):
    module = tmp_path / "m.py"
    module.write_text('DOCUMENTATION = "2024-05-01"\n\ndef f():\n    """2024-05-01"""\n    return "2025-03-01-preview"\n')
    assert [node.value for node in _code_strings(module) if API_VERSION.match(node.value)] == ["2025-03-01-preview"]
