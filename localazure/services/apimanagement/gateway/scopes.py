"""The scopes whose policy documents make up a call's effective policy, outermost first, as API Management composes
them: global (the service), product, API, operation; each scope's <base /> stands for the scope before it
(learn.microsoft.com/azure/api-management/set-edit-policies, "Policy scopes"; workspaces are not emulated).

The product scope is the product of the calling subscription, when that subscription is scoped to a product: a
subscription for all APIs or for one API brings no product policy with it."""
from __future__ import annotations


def subscription_product(subscription: dict | None) -> str | None:
    """The product name of a product-scoped subscription (``.../products/<name>`` or ``/products/<name>``)."""
    scope = (((subscription or {}).get("properties") or {}).get("scope") or "").strip("/").split("/")
    return scope[-1] if len(scope) >= 2 and scope[-2].lower() == "products" else None


def effective_scopes(service: dict, api: dict, operation: dict, subscription: dict | None) -> list[str]:
    """Ids of the policy scopes that apply to a call, outermost first."""
    product = subscription_product(subscription)
    products = [f"{service['id']}/products/{product}"] if product else []
    return [service["id"], *products, api["id"], operation["id"]]
