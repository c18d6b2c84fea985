"""Parsing ARM request paths into scope, type and names (segments compared case-insensitively)."""
from __future__ import annotations

import dataclasses

RESOURCE_GROUP_TYPE = "Microsoft.Resources/resourceGroups"


@dataclasses.dataclass
class ArmPath:
    subscription_id: str
    resource_group: str | None
    namespace: str | None           # the provider namespace of the addressed type
    types: list[str]                # type segments after the namespace (as the client spelled them)
    names: list[str]                # one per type, one fewer for a collection
    scope: str                      # everything before the last /providers/ (or the subscription for RGs)
    action: str | None = None       # POST {id}/{action}
    tail: list[str] = dataclasses.field(default_factory=list)   # segments after /providers/{ns}/ (routes)

    @property
    def type_name(self) -> str:
        return "/".join([self.namespace or "", *self.types])

    @property
    def is_collection(self) -> bool:
        return len(self.names) < len(self.types)


def interleave(types: list[str], names: list[str]) -> str:
    return "".join(f"/{type_}/{name}" for type_, name in zip(types, names))


def canonical_scope(segments: list[str]) -> str:
    """Fixed ARM words in their usual casing; names as given."""
    words = {"subscriptions": "subscriptions", "resourcegroups": "resourceGroups", "providers": "providers"}
    out = []
    for index, segment in enumerate(segments):
        fixed = words.get(segment.lower()) if index % 2 == 0 else None
        out.append(fixed or segment)
    return "/" + "/".join(out) if out else ""


def parse(path: str, method: str) -> ArmPath | None:
    """None when the path is not below /subscriptions/{id}."""
    segments = [segment for segment in path.split("/") if segment]
    if len(segments) < 2 or segments[0].lower() != "subscriptions":
        return None
    subscription = segments[1]
    resource_group = None
    if len(segments) >= 3 and segments[2].lower() == "resourcegroups":
        resource_group = segments[3] if len(segments) >= 4 else None
        if len(segments) <= 4:
            names = [resource_group] if resource_group else []
            return ArmPath(subscription, resource_group, "Microsoft.Resources", ["resourceGroups"], names,
                           scope=f"/subscriptions/{subscription}")
    provider_at = [index for index in range(2, len(segments) - 1)
                   if segments[index].lower() == "providers" and index % 2 == 0]
    if not provider_at:
        return ArmPath(subscription, resource_group, None, [], [], scope=canonical_scope(segments))
    last = provider_at[-1]
    namespace = segments[last + 1]
    tokens = segments[last + 2:]
    action = None
    if len(tokens) % 2 == 1 and method.upper() == "POST" and len(tokens) > 1:
        action, tokens = tokens[-1], tokens[:-1]
    return ArmPath(subscription, resource_group, namespace, tokens[0::2], tokens[1::2],
                   scope=canonical_scope(segments[:last]), action=action, tail=segments[last + 2:])
