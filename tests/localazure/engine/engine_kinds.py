"""Test-only resource kinds (namespace Test.Engine) that exercise the generic engine: loaded into the
test endpoint with `--extra-provider tests.localazure.engine.engine_kinds:PROVIDER`, never part of the product."""
from __future__ import annotations

from localazure.engine.contract import Lro, Provider, ResourceKind, Route

VERSION = "2024-01-01"


class WidgetKind(ResourceKind):
    """Azure-AsyncOperation create, sync update, Location delete, a write-only secret and an action."""
    type_name = "Test.Engine/widgets"
    api_versions = (VERSION,)
    etag = "quoted"
    create_lro = Lro("azure-async", seconds=400, status=201, running_state="Creating")
    delete_lro = Lro("location", seconds=400, status=202, running_state="Deleting")
    write_only = ("properties.secret",)
    actions = {"listSecrets": "list_secrets"}

    def on_provisioned(self, ctx, body):
        body["properties"]["endpoint"] = f"https://{ctx.name}.example.test/"

    def list_secrets(self, ctx, current):
        return 200, {"secret": current["properties"].get("secret")}, {}


class PartKind(ResourceKind):
    """A synchronous child with APIM-style ETags."""
    type_name = "Test.Engine/widgets/parts"
    api_versions = (VERSION,)
    has_location = False
    etag = "apim"


class GadgetKind(ResourceKind):
    """A Location-style create whose final monitor answer is the resource (as APIM does)."""
    type_name = "Test.Engine/gadgets"
    api_versions = (VERSION,)
    create_lro = Lro("location", seconds=400, status=201, running_state="Creating")


class NoteKind(ResourceKind):
    """An extension resource that can sit on any resource id."""
    type_name = "Test.Engine/notes"
    api_versions = (VERSION,)
    scope = "extension"
    has_location = False


def _echo(ctx, groups):
    return 200, {"name": groups["name"], "subscription": ctx.subscription_id}, {}


PROVIDER = Provider(namespace="Test.Engine", kinds=[WidgetKind(), PartKind(), GadgetKind(), NoteKind()],
                    routes=[Route("GET", r"echo/(?P<name>[^/]+)", _echo)])
