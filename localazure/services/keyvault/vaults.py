"""Microsoft.KeyVault: vaults with soft delete, recovery and purge, and their secrets through ARM.

Shapes: localazure/specs/bicep-types/microsoft.keyvault/2024-11-01 (types.md: vaults, vaults/secrets).
azure-mgmt-keyvault (called at 2024-11-01, azure_clients.SERVICES):
  * vaults.begin_create_or_update 200/201 (the answer carries provisioningState Succeeded, so polling ends at
    once), vaults.update (PATCH) 200/201, vaults.delete 200/204 (synchronous);
  * vaults.list_deleted / get_deleted(name, location) and begin_purge_deleted(name, location) 200/202;
  * secrets.create_or_update 200/201, secrets.update (PATCH), get, list: ARM has no DELETE for secrets (a
    secret is deleted through the vault's data plane, which this endpoint does not serve).
Behaviour (learn.microsoft.com/azure/key-vault/general/soft-delete-overview):
  * soft delete is on unless a create says enableSoftDelete false, and cannot be switched off again; purge
    protection cannot be switched off either; softDeleteRetentionInDays is 7-90 (default 90);
  * a deleted vault keeps its name (vault names are global) with its secrets until purged, or until a create
    with createMode recover brings it back as it was; a create of a held name without recover is refused
    (409 ConflictError, the message Azure answers); purge protection refuses a purge;
  * the secret's value is write-only: never returned; each write of a value makes a new version
    (secretUriWithVersion). vaultUri is https://{name}.vault.azure.net/ as on Azure; nothing answers there.
"""
from __future__ import annotations

import secrets
from datetime import datetime, timedelta, timezone

from localazure.engine.contract import ArmError, Lro, Provider, ResourceKind
from localazure.engine.softdelete import SoftDelete, scheduled_purge

NAMESPACE = "Microsoft.KeyVault"
VAULT_TYPE = f"{NAMESPACE}/vaults"
SECRET_TYPE = f"{VAULT_TYPE}/secrets"
DELETED_VAULT_TYPE = f"{NAMESPACE}/deletedVaults"
API_VERSIONS = ("2024-11-01",)
SPEC_VERSIONS = {"2024-11-01": "2024-11-01"}
DELETED_TABLE = "keyvault.deletedVaults"
DEFAULT_RETENTION_DAYS = 90


def _conflict_with_deleted(ctx, held: dict) -> ArmError:
    return ArmError(409, "ConflictError",
                    "A vault with the same name already exists in deleted state. You need to either recover or "
                    "purge existing key vault. Follow this link https://go.microsoft.com/fwlink/?linkid=2149745 "
                    f"for more information on soft delete. Vault: {ctx.name}")


def _bad_request(message: str) -> ArmError:
    return ArmError(400, "BadRequest", message)


def _iso(moment: float) -> str:
    return datetime.fromtimestamp(moment, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


# --- deleted vaults and purge (subscription-scope routes) ---------------------------------------------------

def _deleted_body(ctx, record: dict) -> dict:
    vault = record["resource"]
    location = (vault.get("location") or "").replace(" ", "").lower()
    props = vault.get("properties") or {}
    return {"id": f"/subscriptions/{ctx.subscription_id}/providers/{NAMESPACE}/locations/{location}/deletedVaults/"
                  f"{vault['name']}",
            "name": vault["name"], "type": DELETED_VAULT_TYPE,
            "properties": {"vaultId": vault["id"], "location": location, "deletionDate": record["deletionDate"],
                           "scheduledPurgeDate": _iso(scheduled_purge(record)), "tags": vault.get("tags") or {},
                           "purgeProtectionEnabled": bool(props.get("enablePurgeProtection"))}}


def _no_deleted_vault(ctx, groups) -> ArmError:
    location = groups["location"].replace(" ", "").lower()
    return ArmError(404, "ResourceNotFound",
                    f"The Resource '{DELETED_VAULT_TYPE}/{groups['name']}' was not found in location '{location}'.")


def _purge_protected(ctx, record, groups) -> ArmError | None:
    if (record["resource"].get("properties") or {}).get("enablePurgeProtection"):
        return ArmError(409, "ConflictError", f"Operation 'DeletedVaultPurge' is not allowed: vault "
                                              f"'{groups['name']}' has purge protection enabled.")
    return None


class VaultKind(ResourceKind):
    type_name = VAULT_TYPE
    api_versions = API_VERSIONS
    spec_versions = SPEC_VERSIONS
    create_status = 200
    write_only = ("properties.createMode",)
    # learn.microsoft.com/azure/key-vault/general/soft-delete-overview: vault names are global; a deleted vault
    # keeps its name and secrets for softDeleteRetentionInDays unless soft delete was switched off at create.
    soft_delete = SoftDelete(
        table=DELETED_TABLE, name_scope="global",
        retention=lambda vault: timedelta(days=int((vault.get("properties") or {}).get("softDeleteRetentionInDays")
                                                   or DEFAULT_RETENTION_DAYS)),
        restore=("properties.createMode", "recover"), restores=("location", "tags", "properties"),
        conflict=_conflict_with_deleted,
        nothing_to_restore=lambda ctx: ArmError(404, "ResourceNotFound",
                                                f"The deleted vault '{ctx.name}' could not be found to recover."),
        not_found=_no_deleted_vault, present=_deleted_body, keeps_children=(SECRET_TYPE,),
        kept_when=lambda ctx, vault: (vault.get("properties") or {}).get("enableSoftDelete", True),
        list_pattern=r"deletedVaults", get_pattern=r"locations/(?P<location>[^/]+)/deletedVaults/(?P<name>[^/]+)",
        purge_route=("POST", r"locations/(?P<location>[^/]+)/deletedVaults/(?P<name>[^/]+)/purge"),
        purge_lro=Lro("location", seconds=30, status=202, running_state=None), purge_refused=_purge_protected)

    def validate(self, ctx, body, current):
        props = body.get("properties") or {}
        old = (current or {}).get("properties") or {}
        retention = props.get("softDeleteRetentionInDays")
        if retention is not None and not 7 <= int(retention) <= 90:
            raise _bad_request(f"The softDeleteRetentionInDays value {retention} is invalid: it accepts 7 to 90.")
        if old.get("enableSoftDelete") and props.get("enableSoftDelete") is False:
            raise _bad_request("The property \"enableSoftDelete\" cannot be set to false: once soft delete is "
                               "enabled it cannot be disabled.")
        if old.get("enablePurgeProtection") and props.get("enablePurgeProtection") is False:
            raise _bad_request("The property \"enablePurgeProtection\" cannot be set to false: enabling purge "
                               "protection is irreversible.")
        if current is None:
            taken = [vault for vault in ctx.store.list_type(VAULT_TYPE, "/subscriptions/")
                     if vault["name"].lower() == ctx.name.lower()]
            if taken:
                raise ArmError(409, "VaultAlreadyExists",
                               f"The vault name '{ctx.name}' is already in use. Vault names are globally unique so "
                               "it is possible that the name is already taken.")

    def on_create(self, ctx, body):
        props = body.setdefault("properties", {})
        props["vaultUri"] = f"https://{ctx.name.lower()}.vault.azure.net/"
        props.setdefault("enableSoftDelete", True)
        if props["enableSoftDelete"]:
            props.setdefault("softDeleteRetentionInDays", DEFAULT_RETENTION_DAYS)
        props.setdefault("enableRbacAuthorization", False)
        props.setdefault("accessPolicies", [])
        props.setdefault("publicNetworkAccess", "Enabled")
        props["provisioningState"] = "Succeeded"
        return None

    def on_update(self, ctx, current, body):
        props = body.setdefault("properties", {})
        props.pop("createMode", None)
        old = current.get("properties") or {}
        for field in ("vaultUri", "enableSoftDelete", "softDeleteRetentionInDays", "enablePurgeProtection",
                      "enableRbacAuthorization", "accessPolicies", "publicNetworkAccess"):
            if field in old and field not in props:
                props[field] = old[field]
        props["provisioningState"] = "Succeeded"


class SecretKind(ResourceKind):
    type_name = SECRET_TYPE
    api_versions = API_VERSIONS
    spec_versions = SPEC_VERSIONS
    has_location = False
    create_status = 200
    write_only = ("properties.value",)
    system_data = False   # the secret type defines no systemData

    def on_create(self, ctx, body):
        self._version(ctx, body, None)
        return None

    def on_update(self, ctx, current, body):
        self._version(ctx, body, current)

    @staticmethod
    def _version(ctx, body, current):
        """Read-only fields; a new version whenever the request carries a value."""
        vault = ctx.store.get(ctx.resource_id.rsplit("/secrets/", 1)[0]) or {}
        props = body.setdefault("properties", {})
        old = (current or {}).get("properties") or {}
        moment = int(ctx.now)
        attributes = props.setdefault("attributes", {})
        attributes.setdefault("enabled", (old.get("attributes") or {}).get("enabled", True))
        attributes["created"] = (old.get("attributes") or {}).get("created", moment)
        attributes["updated"] = moment
        props["secretUri"] = f"{(vault.get('properties') or {}).get('vaultUri', '')}secrets/{ctx.name}"
        given = "value" in (((ctx.body or {}).get("properties")) or {})
        version = secrets.token_hex(16) if given or current is None else \
            old.get("secretUriWithVersion", "").rsplit("/", 1)[-1]
        props["secretUriWithVersion"] = f"{props['secretUri']}/{version}"
        body["location"] = vault.get("location")

    def delete_body(self, ctx, current):
        raise ArmError(405, "MethodNotAllowed", "The HTTP method 'DELETE' is not supported for secrets through "
                                                "Azure Resource Manager; use the vault's data plane.")


PROVIDER = Provider(
    namespace=NAMESPACE,
    kinds=[VaultKind(), SecretKind()],
)
