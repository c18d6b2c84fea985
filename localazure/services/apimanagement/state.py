"""What the gateway's data plane may read of API Management's state: the provider's own tables (subscription keys,
secret named values, product-API links) and the stored policy documents stay behind these functions, so the data
plane never depends on how the provider keeps them."""
from __future__ import annotations

import xml.etree.ElementTree as ElementTree

from localazure.services.apimanagement.common import PRODUCT_APIS_TABLE, SECRETS_TABLE


def subscription_keys(store, subscription_id: str) -> tuple[str | None, str | None]:
    """(primary, secondary) key of an APIM subscription."""
    keys = store.kv_get(SECRETS_TABLE, subscription_id.lower()) or {}
    return keys.get("primaryKey"), keys.get("secondaryKey")


def named_value(store, service_id: str, name: str) -> str | None:
    """A named value's value, the secret ones included (they are kept apart from the resource)."""
    found = store.get(f"{service_id}/namedValues/{name}")
    if found is None:
        return None
    if (found.get("properties") or {}).get("secret"):
        return (store.kv_get(SECRETS_TABLE, found["id"].lower()) or {}).get("value")
    return (found.get("properties") or {}).get("value")


def product_links_api(store, product_id: str, api_name: str) -> bool:
    """Whether the product (by id) includes the API (by name)."""
    return store.kv_get(PRODUCT_APIS_TABLE, product_id.lower() + "/" + api_name.lower()) is not None


def policy_document(store, scope_id: str) -> ElementTree.Element | None:
    """The policy of a scope (service, API, operation or product) as a parsed document, None when it has none.
    The stored `value` is the formatted XML (expressions escaped); the raw text may not parse as XML."""
    policy = store.get(scope_id + "/policies/policy")
    if policy is None:
        return None
    return ElementTree.fromstring((policy.get("properties") or {}).get("value") or "<policies />")
