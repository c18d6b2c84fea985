"""What other code may read of Microsoft.CognitiveServices (the APIM gateway, the quota counter): resource type
names, an account's keys, the account a host name serves, a blocklist's items, deployments (also those a
soft-deleted account keeps). The key-value tables stay private to this package."""
from __future__ import annotations

from urllib.parse import urlsplit

from localazure.engine.softdelete import deleted_resources

NAMESPACE = "Microsoft.CognitiveServices"
ACCOUNT_TYPE = f"{NAMESPACE}/accounts"
DEPLOYMENT_TYPE = f"{ACCOUNT_TYPE}/deployments"
PROJECT_TYPE = f"{ACCOUNT_TYPE}/projects"
ACCOUNT_CONNECTION_TYPE = f"{ACCOUNT_TYPE}/connections"
PROJECT_CONNECTION_TYPE = f"{PROJECT_TYPE}/connections"
BLOCKLIST_TYPE = f"{ACCOUNT_TYPE}/raiBlocklists"
BLOCKLIST_ITEM_TYPE = f"{BLOCKLIST_TYPE}/raiBlocklistItems"
DELETED_ACCOUNT_TYPE = f"{NAMESPACE}/locations/resourceGroups/deletedAccounts"
DELETED_TABLE = "cognitiveservices.deletedAccounts"
KEYS_TABLE = "cognitiveservices.accountKeys"


def account_keys(store, account_id: str) -> dict:
    """{"key1": ..., "key2": ...} of a live account; {} when it has none."""
    return store.kv_get(KEYS_TABLE, account_id.lower()) or {}


def accounts_serving(store, subscription_id: str, url: str) -> list[dict]:
    """The subscription's accounts whose endpoint (or one of its endpoints) has the URL's host. A regional host is
    shared by many accounts; only a custom subdomain names one."""
    host = (urlsplit(url).hostname or "").lower()
    found = []
    for account in store.list_type(ACCOUNT_TYPE, f"/subscriptions/{subscription_id}/"):
        props = account.get("properties") or {}
        endpoints = [props.get("endpoint") or "", *(props.get("endpoints") or {}).values()]
        if host in {(urlsplit(endpoint).hostname or "").lower() for endpoint in endpoints}:
            found.append(account)
    return found


def blocklist_items(store, account_id: str, name: str) -> list[dict] | None:
    """The items of the account's blocklist `name`; None when the blocklist does not exist."""
    blocklist = f"{account_id}/raiBlocklists/{name}"
    if store.get(blocklist) is None:
        return None
    return store.list_type(BLOCKLIST_ITEM_TYPE, f"{blocklist}/raiBlocklistItems/")


def deployments_of_deleted_accounts(store, subscription_id: str) -> list[tuple[dict, dict]]:
    """(account, deployment) for every deployment a soft-deleted account of the subscription keeps: they still
    count against quota until the account is purged."""
    found = []
    for record in deleted_resources(store, ACCOUNT_TYPE, subscription_id):
        found.extend((record["resource"], child) for child in record.get("children", [])
                     if child.get("type", "").lower() == DEPLOYMENT_TYPE.lower())
    return found
