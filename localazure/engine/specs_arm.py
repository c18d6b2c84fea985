"""PUT-body validation against Azure/azure-resource-manager-schemas (draft-04 ARM template schemas).

The schemas describe template resources, not REST bodies, so two adjustments make their verdict fit a REST PUT:
  - Every value may alternatively be a template expression ("[...]" strings, common definitions `expression` and
    `numberOrExpression`-style oneOf branches). A REST body is never evaluated, so those branches are dropped: a
    real value must satisfy the non-expression branch. (Left in, "[x]" would pass for any type.)
  - Template resources require `name`, `type` and `apiVersion`. A REST body carries the name in the URL and never
    carries type/apiVersion, so those three are removed from each resource definition's `required` list. If a body
    does carry them they are still validated.
Everything else the schema rejects (types, strict enums, required properties, patterns, bounds) is reported;
the caller decides about strict enums on properties the bicep types call extensible.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Iterator

from jsonschema import Draft4Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

COMMON_URL = "https://schema.management.azure.com/schemas/common/definitions.json"
_TEMPLATE_ONLY_REQUIRED = {"name", "type", "apiVersion"}


def _is_expression_branch(schema: Any) -> bool:
    return isinstance(schema, dict) and isinstance(schema.get("$ref"), str) and (
        schema["$ref"].endswith("/definitions/expression"))


def _without_expressions(node: Any) -> Any:
    """Drop expression alternatives from oneOf/anyOf (in place, recursively)."""
    if isinstance(node, list):
        for item in node:
            _without_expressions(item)
    elif isinstance(node, dict):
        for keyword in ("oneOf", "anyOf"):
            branches = node.get(keyword)
            if isinstance(branches, list) and any(_is_expression_branch(b) for b in branches):
                kept = [b for b in branches if not _is_expression_branch(b)]
                del node[keyword]
                node.setdefault("allOf", []).extend(kept if len(kept) == 1 else [{keyword: kept}])
        for value in node.values():
            _without_expressions(value)
    return node


def _json_path(parts) -> str:
    path = "$"
    for part in parts:
        path += f"[{part}]" if isinstance(part, int) else f".{part}"
    return path


class ArmSchemas:
    """Lazily loads arm-schemas/<api-version>/*.json and indexes resource definitions by their type enum."""

    def __init__(self, root: Path):
        self.root = root
        self._versions: dict[str, dict[str, tuple[str, str, str]]] = {}   # version -> type -> (url, group, key)
        self._registries: dict[str, Registry] = {}
        self._validators: dict[tuple[str, str], Draft4Validator] = {}
        self._common: Resource | None = None

    def _common_resource(self) -> Resource:
        if self._common is None:
            document = _without_expressions(json.loads((self.root / "common" / "definitions.json").read_text()))
            self._common = Resource.from_contents(document, default_specification=DRAFT4)
        return self._common

    def _load_version(self, api_version: str) -> dict[str, tuple[str, str, str]]:
        if api_version in self._versions:
            return self._versions[api_version]
        index: dict[str, tuple[str, str, str]] = {}
        resources = [(COMMON_URL, self._common_resource())]
        directory = self.root / api_version
        for path in sorted(directory.glob("*.json")) if directory.is_dir() else []:
            document = _without_expressions(json.loads(path.read_text()))
            url = document.get("id", "").rstrip("#") or path.as_uri()
            resources.append((url, Resource.from_contents(document, default_specification=DRAFT4)))
            for group, definitions in document.items():
                if not group.endswith("resourceDefinitions"):
                    continue
                for key, definition in definitions.items():
                    definition["required"] = [r for r in definition.get("required", [])
                                              if r not in _TEMPLATE_ONLY_REQUIRED]
                    if not definition["required"]:
                        del definition["required"]   # draft-04 forbids an empty list
                    enum = definition.get("properties", {}).get("type", {}).get("enum") or []
                    for type_name in enum:
                        index.setdefault(type_name.lower(), (url, group, key))
        self._registries[api_version] = Registry().with_resources(resources)
        self._versions[api_version] = index
        return index

    def preload(self, api_version: str) -> None:
        """Read one api-version's schemas now instead of on the first request that needs them."""
        self._load_version(api_version)

    def has(self, type_name: str, api_version: str) -> bool:
        return type_name.lower() in self._load_version(api_version)

    def _validator(self, type_name: str, api_version: str, pointer: str = "") -> Draft4Validator | None:
        location = self._load_version(api_version).get(type_name.lower())
        if location is None:
            return None
        url, group, key = location
        cache_key = (api_version, type_name.lower(), pointer)
        if cache_key not in self._validators:
            self._validators[cache_key] = Draft4Validator({"$ref": f"{url}#/{group}/{key}{pointer}"},
                                                          registry=self._registries[api_version])
        return self._validators[cache_key]

    def check(self, type_name: str, api_version: str, body: dict) -> Iterator[tuple[str, str]]:
        """(json path, message) for each violation; nothing when no definition exists for that api-version."""
        validator = self._validator(type_name, api_version)
        if validator:
            yield from _leaves_of(validator, body)

    def check_name(self, type_name: str, api_version: str, name: str) -> list[str]:
        """What the definition's `name` property says is wrong with a name (pattern, length)."""
        validator = self._validator(type_name, api_version, "/properties/name")
        return [message for _, message in _leaves_of(validator, name)] if validator else []


def _leaves_of(validator: Draft4Validator, value) -> Iterator[tuple[str, str]]:
    for error in validator.iter_errors(value):
        yield from _leaves(error)


def _leaves(error) -> Iterator[tuple[str, str]]:
    """The most specific failures of an error (oneOf/anyOf keep theirs in `context`); alternatives failing at
    the same path are merged into one message."""
    if not error.context:
        yield _json_path(error.absolute_path), error.message[:300]
        return
    best_depth = max(len(e.absolute_path) for e in error.context)
    by_path: dict[str, list[str]] = {}
    for sub in error.context:
        if len(sub.absolute_path) == best_depth:
            for path, message in _leaves(sub):
                by_path.setdefault(path, []).append(message)
    for path, messages in by_path.items():
        if len(messages) == 1:
            yield path, messages[0]
        else:
            yield path, f"accepted by none of {len(messages)} alternatives, e.g. {messages[0]}"
