"""Conformance of request and response bodies to Microsoft's definitions (bicep-types + arm-schemas).

Two sources, kept distinguishable in every message:
  "types:"  Azure/bicep-types-az types.json (request and response shapes, Required/ReadOnly/WriteOnly flags)
  "schema:" Azure/azure-resource-manager-schemas (PUT bodies, strict enums), see specs_arm.py

Policy for bodies that are not exactly what the definitions say:
  - A JSON null for a non-required property is treated as absent, in both directions: Azure itself returns explicit
    nulls for unset properties (recorded APIM responses, localazure/PROTOCOL.md §8.3) and ARM treats a null in a PUT as unset.
  - Properties the definitions do not know are not errors (ARM ignores them); they are listed in Report.unknown.
  - Top-level `name` (Required|DeployTimeConstant|Identifier) travels in the URL, so a body need not carry it.
  - Extensible enums (a union holding a plain string member) accept any string; arm-schemas make them strict, so
    a schema enum failure on such a property is only a note. Likewise a property the schema requires but the
    types do not (template schemas require `properties`; Microsoft's REST examples omit it) is only a note.
  - KNOWN_GAPS and ACCEPTED_UNDECLARED list where the live service differs from the definitions, each with its
    source.
"""
from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from localazure.engine.specs_arm import ArmSchemas

REQUIRED, READ_ONLY, WRITE_ONLY, DEPLOY_TIME_CONSTANT, IDENTIFIER = 1, 2, 4, 8, 16

_CONNECTION_TYPES = ("microsoft.cognitiveservices/accounts/connections",
                     "microsoft.cognitiveservices/accounts/projects/connections")


@dataclass(frozen=True)
class KnownGap:
    """A difference between the definitions and the live service, applied at one property of some types."""
    types: tuple[str, ...]
    property_name: str          # a discriminator or base property of the types' `properties` object
    values: tuple[str, ...]
    applies: Callable[[str], bool]   # api-version -> bool
    accepted: bool              # True: accept although undefined; False: reject although the types allow it
    extra_properties: tuple[str, ...]   # string properties the accepted variant adds
    source: str


KNOWN_GAPS: tuple[KnownGap, ...] = (
    KnownGap(types=_CONNECTION_TYPES, property_name="authType", values=("ProjectManagedIdentity",),
             applies=lambda version: True, accepted=True, extra_properties=("audience",),
             source="foundry-samples issue 728 (service accepts it; used by Microsoft's apim connection templates)"),
    KnownGap(types=_CONNECTION_TYPES, property_name="category", values=("ApiManagement", "ModelGateway"),
             applies=lambda version: version < "2025-12-01", accepted=False, extra_properties=(),
             source="categories exist from 2025-12-01 (first stable); arm-schemas reject them at 2025-09-01"),
)


@dataclass(frozen=True)
class UndeclaredProperty:
    """A property the definitions do not declare but the live service honours, at one object of some types."""
    types: tuple[str, ...]
    path: str                   # the object that carries it, e.g. "$.properties"
    name: str
    json_type: str              # "string" or "array of strings"
    values: tuple[str, ...]     # allowed string values; empty: any
    source: str


ACCEPTED_UNDECLARED: tuple[UndeclaredProperty, ...] = (
    UndeclaredProperty(("microsoft.insights/components",), "$.properties", "CustomMetricsOptedInType", "string",
                       ("Off", "WithDimensions"),
                       "undeclared at 2020-02-02 yet honoured by the service: the AI-Gateway lab's appinsights.bicep "
                       "sends it so token metrics keep their dimensions (the AI-Gateway lab's App Insights module)"),
    UndeclaredProperty(_CONNECTION_TYPES, "$.properties", "tokenUrl", "string", (),
                       "OAuth2 ModelGateway connections: foundry-samples modelgateway-connection-common.bicep sends it "
                       "through any() (Microsoft's foundry-samples connection templates)"),
    UndeclaredProperty(_CONNECTION_TYPES, "$.properties", "scopes", "array of strings", (),
                       "OAuth2 ModelGateway connections: foundry-samples modelgateway-connection-common.bicep sends it "
                       "through any() (Microsoft's foundry-samples connection templates)"),
)


def _undeclared_matches(rule: UndeclaredProperty, value: Any) -> bool:
    if rule.json_type == "array of strings":
        return isinstance(value, list) and all(isinstance(item, str) for item in value)
    return isinstance(value, str) and (not rule.values or value in rule.values)


@dataclass
class Report:
    errors: list[str] = field(default_factory=list)    # violations ARM rejects with 400
    unknown: list[str] = field(default_factory=list)   # paths the definitions do not know
    notes: list[str] = field(default_factory=list)     # differences tolerated on purpose (gaps, extensible enums)

    @property
    def ok(self) -> bool:
        return not self.errors


# The definitions shipped with the endpoint (localazure/specs/README.md says where they come from).
SHIPPED_SPECS = Path(__file__).resolve().parents[1] / "specs"


class SpecsUnavailable(Exception):
    """The definitions are missing or unreadable: the endpoint cannot check conformance."""


def find_specs_dir() -> Path:
    """`LOCALAZURE_SPECS` when set (a refreshed copy, for example), else the copy shipped in localazure/specs."""
    configured = os.environ.get("LOCALAZURE_SPECS")
    return Path(configured) if configured else SHIPPED_SPECS


def load_specs(specs_dir: Path | None = None) -> "Conformance":
    """A checker over `specs_dir` after reading every definition file once, so that a missing or damaged file is
    an error at start-up and never a silently unchecked request later."""
    specs_dir = Path(specs_dir or find_specs_dir())
    required = [specs_dir / "bicep-types", specs_dir / "arm-schemas" / "common" / "definitions.json"]
    missing = [str(path) for path in required if not path.exists()]
    if missing:
        raise SpecsUnavailable(f"Microsoft's definitions are missing: {', '.join(missing)} "
                               "(localazure/specs ships them; LOCALAZURE_SPECS overrides the directory)")
    conformance = Conformance(specs_dir)
    type_files = sorted(specs_dir.glob("bicep-types/*/*/types.json"))
    if not type_files:
        raise SpecsUnavailable(f"no bicep-types/<namespace>/<api-version>/types.json under {specs_dir}")
    for path in type_files:
        try:
            conformance.preload(namespace=path.parent.parent.name, api_version=path.parent.name)
        except (OSError, ValueError) as error:
            raise SpecsUnavailable(f"unreadable definition file {path}: {error}") from error
    for directory in sorted(path for path in (specs_dir / "arm-schemas").iterdir() if path.name != "common"):
        try:
            conformance.schemas.preload(directory.name)
        except (OSError, ValueError) as error:
            raise SpecsUnavailable(f"unreadable schema in {directory}: {error}") from error
    return conformance


def check_error_body(body: Any) -> list[str]:
    """ARM error envelope: {"error": {"code", "message", "target"?, "details"?[], "additionalInfo"?[]}}.

    Extra keys (APIM adds "innerError") and explicit nulls for the optional members are what Azure sends."""
    if not isinstance(body, dict) or not isinstance(body.get("error"), dict):
        return ["$: not an object with an 'error' object"]
    error, problems = body["error"], []
    for key in ("code", "message"):
        if not isinstance(error.get(key), str) or not error.get(key):
            problems.append(f"$.error.{key}: required non-empty string")
    if error.get("target") is not None and not isinstance(error["target"], str):
        problems.append("$.error.target: not a string")
    for key in ("details", "additionalInfo"):
        if error.get(key) is not None and not isinstance(error[key], list):
            problems.append(f"$.error.{key}: not an array")
    for index, detail in enumerate(error.get("details") or []):
        problems += [p.replace("$.error", f"$.error.details[{index}]", 1) for p in check_error_body({"error": detail})]
    return problems


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    return {dict: "object", list: "array", str: "string", int: "integer", float: "number"}.get(type(value), "unknown")


class _TypeFile:
    """One bicep-types types.json: nodes plus an index of ResourceType names (lowercase, without @version)."""

    def __init__(self, path: Path):
        self.nodes: list[dict] = json.loads(path.read_text())
        self.resources: dict[str, int] = {}
        for node in self.nodes:
            if node.get("$type") == "ResourceType":
                type_name = node["name"].split("@", 1)[0].lower()
                self.resources.setdefault(type_name, int(node["body"]["$ref"][2:]))

    def node(self, ref: dict) -> dict:
        return self.nodes[int(ref["$ref"][2:])]


class _Walk:
    """One check of one body against one resource type; `mode` is "request" or "response"."""

    def __init__(self, types: _TypeFile, type_name: str, api_version: str, mode: str, report: Report):
        self.types, self.type_name, self.api_version = types, type_name.lower(), api_version
        self.mode, self.report = mode, report
        self.extensible_paths: set[str] = set()   # where a value was outside an extensible enum's literals
        self.gap_substitutions: dict[str, Any] = {}  # body path -> value the schema check should see instead

    def error(self, path: str, what: str) -> None:
        self.report.errors.append(f"{path}: types: {what}")

    def check(self, node: dict, value: Any, path: str) -> None:
        kind = node["$type"]
        if kind == "AnyType":
            return
        if kind == "ObjectType":
            self.check_object(node.get("properties", {}), node.get("additionalProperties"), value, path)
        elif kind == "DiscriminatedObjectType":
            self.check_discriminated(node, value, path)
        elif kind == "UnionType":
            self.check_union(node, value, path)
        elif kind == "StringLiteralType":
            if value != node["value"]:
                self.error(path, f"{json.dumps(value)} is not {json.dumps(node['value'])}")
        elif kind == "StringType":
            self.check_string(node, value, path)
        elif kind == "IntegerType":
            self.check_integer(node, value, path)
        elif kind == "BooleanType":
            if not isinstance(value, bool):
                self.error(path, f"expected boolean, got {_json_type(value)}")
        elif kind == "ArrayType":
            self.check_array(node, value, path)

    def check_string(self, node: dict, value: Any, path: str) -> None:
        if not isinstance(value, str):
            self.error(path, f"expected string, got {_json_type(value)}")
            return
        if "minLength" in node and len(value) < node["minLength"]:
            self.error(path, f"shorter than minLength {node['minLength']}")
        if "maxLength" in node and len(value) > node["maxLength"]:
            self.error(path, f"longer than maxLength {node['maxLength']}")
        pattern = _compiled(node.get("pattern"))
        if pattern is not None and not pattern.search(value):
            self.error(path, f"{json.dumps(value)} does not match pattern {node['pattern']}")

    def check_integer(self, node: dict, value: Any, path: str) -> None:
        # Bicep has no fractional type: swagger `number` (e.g. APIM sampling.percentage, a double the SDK sends
        # as 100.0) is an IntegerType here too, so any number passes; the schema source tells integer from number.
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            self.error(path, f"expected number, got {_json_type(value)}")
            return
        if "minValue" in node and value < node["minValue"]:
            self.error(path, f"{value} is less than minValue {node['minValue']}")
        if "maxValue" in node and value > node["maxValue"]:
            self.error(path, f"{value} is greater than maxValue {node['maxValue']}")

    def check_array(self, node: dict, value: Any, path: str) -> None:
        if not isinstance(value, list):
            self.error(path, f"expected array, got {_json_type(value)}")
            return
        if "minLength" in node and len(value) < node["minLength"]:
            self.error(path, f"fewer than minLength {node['minLength']} items")
        if "maxLength" in node and len(value) > node["maxLength"]:
            self.error(path, f"more than maxLength {node['maxLength']} items")
        item = self.types.node(node["itemType"])
        for index, element in enumerate(value):
            self.check(item, element, f"{path}[{index}]")

    def check_union(self, node: dict, value: Any, path: str) -> None:
        members = [self.types.node(ref) for ref in node["elements"]]
        literals = [m["value"] for m in members if m["$type"] == "StringLiteralType"]
        if isinstance(value, str) and value in literals:
            return
        if len(literals) == len(members):
            self.error(path, f"{json.dumps(value)} is not one of {literals}")
            return
        for member in members:
            if member["$type"] == "StringLiteralType":
                continue
            trial = Report()
            _Walk(self.types, self.type_name, self.api_version, self.mode, trial).check(member, value, path)
            if not trial.errors:
                if member["$type"] == "StringType" and literals:
                    self.extensible_paths.add(path)
                self.check(member, value, path)   # again on self, to keep unknown paths
                return
        self.error(path, f"{json.dumps(value)[:80]} matches no member of the union")

    def check_discriminated(self, node: dict, value: Any, path: str) -> None:
        if not isinstance(value, dict):
            self.error(path, f"expected object, got {_json_type(value)}")
            return
        key = node["discriminator"]
        chosen = value.get(key)
        properties = dict(node.get("baseProperties", {}))
        if chosen is None:
            self.error(f"{path}.{key}", "required discriminator missing")
            return
        gap = self.gap(key, chosen)
        if gap is not None and gap.accepted:
            self.check_gap_variant(node, gap, value, path)
            return
        if chosen not in node["elements"]:
            self.error(f"{path}.{key}", f"{json.dumps(chosen)} is not one of {sorted(node['elements'])}")
            return
        properties.update(self.types.node(node["elements"][chosen]).get("properties", {}))
        self.check_object(properties, None, value, path)

    def check_gap_variant(self, node: dict, gap: KnownGap, value: dict, path: str) -> None:
        """An accepted undefined variant: its extra string properties, the rest shaped like the nearest defined
        variant (foundry-samples send `credentials: {}`); the schema check sees the nearest variant instead."""
        key, nearest_name = node["discriminator"], _nearest_variant(node)
        self.report.notes.append(f"{path}.{key}: types: {json.dumps(value[key])} accepted as a known gap ({gap.source})")
        self.gap_substitutions[f"{path}.{key}"] = nearest_name
        properties = dict(node.get("baseProperties", {}))
        nearest = self.types.node(node["elements"][nearest_name]).get("properties", {})
        properties.update({k: v for k, v in nearest.items() if k != key})
        for extra in gap.extra_properties:
            self.gap_substitutions[f"{path}.{extra}"] = None
            if value.get(extra) is not None and not isinstance(value[extra], str):
                self.error(f"{path}.{extra}", f"expected string, got {_json_type(value[extra])}")
        rest = {k: v for k, v in value.items() if k != key and k not in gap.extra_properties}
        self.check_object(properties, None, rest, path)

    def check_response_type(self, node: dict, value: Any, path: str) -> None:
        """Azure's returned `type` may differ in case and, for a few types, in form: the recorded APIM purge
        returns "Microsoft.ApiManagement/deletedservices" for Microsoft.ApiManagement/locations/deletedservices
        (localazure/PROTOCOL.md §2.1, §8.1). Clients do not act on it, so only a non-string is an error."""
        if not isinstance(value, str):
            self.error(path, f"expected string, got {_json_type(value)}")
        elif node.get("$type") == "StringLiteralType" and value.lower() != node["value"].lower():
            self.report.notes.append(f"{path}: types: {json.dumps(value)} differs from {json.dumps(node['value'])}")

    def gap(self, property_name: str, value: Any) -> KnownGap | None:
        for gap in KNOWN_GAPS:
            if (self.type_name in gap.types and gap.property_name == property_name and value in gap.values
                    and gap.applies(self.api_version)):
                return gap
        return None

    def undeclared(self, path: str, name: str) -> UndeclaredProperty | None:
        for rule in ACCEPTED_UNDECLARED:
            if self.type_name in rule.types and rule.path == path and rule.name == name:
                return rule
        return None

    def check_object(self, properties: dict, additional: dict | None, value: Any, path: str) -> None:
        if not isinstance(value, dict):
            self.error(path, f"expected object, got {_json_type(value)}")
            return
        top = path == "$"
        for name, prop in properties.items():
            flags = prop.get("flags", 0)
            present = value.get(name) is not None
            where = f"{path}.{name}"
            if not present:
                in_url = top and (name == "name" or flags & IDENTIFIER)
                if flags & REQUIRED and not flags & READ_ONLY and not in_url and not (
                        self.mode == "response" and flags & WRITE_ONLY):
                    self.error(where, "required property missing")
                continue
            if self.mode == "request" and flags & READ_ONLY:
                self.error(where, "read-only property set in a request")
                continue
            if self.mode == "response" and flags & WRITE_ONLY:
                self.error(where, "write-only property returned in a response")
                continue
            if top and name == "type" and self.mode == "response":
                self.check_response_type(self.types.node(prop["type"]), value[name], where)
                continue
            gap = self.gap(name, value[name]) if not top else None
            if gap is not None and not gap.accepted:
                self.error(where, f"{json.dumps(value[name])} is not valid at {self.api_version} ({gap.source})")
                continue
            self.check(self.types.node(prop["type"]), value[name], where)
        for name, item in value.items():
            if name in properties:
                continue
            if additional is not None:
                self.check(self.types.node(additional), item, f"{path}.{name}")
                continue
            rule = self.undeclared(path, name)
            if rule is None:
                self.report.unknown.append(f"{path}.{name}")
            elif _undeclared_matches(rule, item):
                self.report.notes.append(f"{path}.{name}: types: undeclared, accepted as a known gap ({rule.source})")
            else:
                self.error(f"{path}.{name}", f"expected {rule.json_type}"
                           + (f" in {list(rule.values)}" if rule.values else "") + f", got {json.dumps(item)[:80]}")


def _nearest_variant(node: dict) -> str:
    """The defined discriminator value a gap value stands in for when the strict schema checks the body."""
    return "ManagedIdentity" if "ManagedIdentity" in node["elements"] else sorted(node["elements"])[0]


_SCHEMA_REQUIRED = re.compile(r"'([^']+)' is a required property")
_PATTERNS: dict[str, re.Pattern | None] = {}


def _compiled(pattern: str | None) -> re.Pattern | None:
    if pattern is None:
        return None
    if pattern not in _PATTERNS:
        try:
            _PATTERNS[pattern] = re.compile(pattern)
        except re.error:   # a .NET-only construct: skip rather than guess
            _PATTERNS[pattern] = None
    return _PATTERNS[pattern]


def _substitute(body: Any, substitutions: dict[str, Any]) -> Any:
    """A copy of body with the paths ("$.a.b") replaced (None removes the key)."""
    if not substitutions:
        return body
    copy = json.loads(json.dumps(body))
    for path, replacement in substitutions.items():
        *parents, last = path.split(".")[1:]
        target = copy
        for part in parents:
            target = target.get(part) if isinstance(target, dict) else None
        if isinstance(target, dict) and last in target:
            if replacement is None:
                del target[last]
            else:
                target[last] = replacement
    return copy


class Conformance:
    def __init__(self, specs_dir: Path | str):
        self.specs_dir = Path(specs_dir)
        self._files: dict[tuple[str, str], _TypeFile | None] = {}
        self.schemas = ArmSchemas(self.specs_dir / "arm-schemas")

    def _types(self, type_name: str, api_version: str | None) -> _TypeFile | None:
        if not api_version:
            return None
        namespace = type_name.split("/", 1)[0].lower()
        key = (namespace, api_version)
        if key not in self._files:
            path = self.specs_dir / "bicep-types" / namespace / api_version / "types.json"
            self._files[key] = _TypeFile(path) if path.is_file() else None
        return self._files[key]

    def preload(self, namespace: str, api_version: str) -> None:
        """Read one namespace's definitions now instead of on the first request that needs them."""
        self._types(namespace, api_version)

    def _typed(self, type_name: str, api_version: str | None) -> bool:
        types = self._types(type_name, api_version)
        return types is not None and type_name.lower() in types.resources

    def _schema_only(self, type_name: str, api_version: str | None) -> bool:
        """Types that bicep-types does not carry but the ARM template schemas do (resource groups, which are
        defined at subscription scope in Microsoft.Resources' subscription_resourceDefinitions)."""
        return bool(api_version) and not self._typed(type_name, api_version) \
            and self.schemas.has(type_name, api_version)

    def knows(self, type_name: str, api_version: str | None) -> bool:
        return self._typed(type_name, api_version) or self._schema_only(type_name, api_version)

    def _walk(self, type_name: str, api_version: str, body: Any, mode: str) -> tuple[Report, _Walk | None]:
        report = Report()
        types = self._types(type_name, api_version)
        if types is None or type_name.lower() not in types.resources:
            report.errors.append(f"$: types: no definition for {type_name}@{api_version}")
            return report, None
        walk = _Walk(types, type_name, api_version, mode, report)
        walk.check(types.nodes[types.resources[type_name.lower()]], body, "$")
        return report, walk

    def check_request(self, type_name: str, api_version: str, body: Any) -> Report:
        if self._schema_only(type_name, api_version):
            return self._check_schema_only(type_name, api_version, body)
        report, walk = self._walk(type_name, api_version, body, "request")
        if walk is None or not isinstance(body, dict):
            return report
        for path, message in self.schemas.check(type_name, api_version, _substitute(body, walk.gap_substitutions)):
            line = f"{path}: schema: {message}"
            missing = _SCHEMA_REQUIRED.fullmatch(message)
            if path in walk.extensible_paths:
                report.notes.append(f"{line} (extensible enum in types: accepted)")
            elif missing and f"{path}.{missing[1]}: types: required property missing" not in report.errors:
                # the template schemas require e.g. `properties` where the REST definition does not
                # (Microsoft's own REST examples omit it): the types' Required flag decides
                report.notes.append(f"{line} (not required in types: accepted)")
            else:
                report.errors.append(line)
        return report

    def _check_schema_only(self, type_name: str, api_version: str, body: Any) -> Report:
        report = Report()
        if not isinstance(body, dict):
            report.errors.append("$: schema: not an object")
            return report
        for path, message in self.schemas.check(type_name, api_version, body):
            line = f"{path}: schema: {message}"
            if path == "$" and message == "'properties' is a required property":
                # only the template schema requires it; the REST definition does not (resource groups: the
                # ResourceGroup definition in azure-rest-api-specs specification/resources/resource-manager/
                # Microsoft.Resources/stable/2025-04-01/resources.json requires `location` alone)
                report.notes.append(f"{line} (not required by the REST definition: accepted)")
            else:
                report.errors.append(line)
        return report

    def check_name(self, type_name: str, api_version: str, name: str) -> list[str]:
        """What is wrong with a resource name given in the URL, by the type's `name` property (pattern,
        minLength, maxLength, literals); empty when it is fine or the type is unknown."""
        if self._schema_only(type_name, api_version):
            return self.schemas.check_name(type_name, api_version, name)
        types = self._types(type_name, api_version)
        if types is None or type_name.lower() not in types.resources:
            return []
        body = types.nodes[types.resources[type_name.lower()]]
        prop = body.get("properties", {}).get("name")
        if prop is None:
            return []
        report = Report()
        _Walk(types, type_name, api_version, "request", report).check(types.node(prop["type"]), name, "$.name")
        return [error.split(": types: ", 1)[-1] for error in report.errors]

    def check_response(self, type_name: str, api_version: str, body: Any) -> Report:
        if self._schema_only(type_name, api_version):
            return Report()   # template schemas define what is sent, never what ARM answers
        return self._walk(type_name, api_version, body, "response")[0]
