"""Microsoft.KeyVault: vaults (soft delete, purge protection)."""
from localazure.services import Service
from localazure.services.keyvault.vaults import PROVIDER

SERVICE = Service(PROVIDER)
