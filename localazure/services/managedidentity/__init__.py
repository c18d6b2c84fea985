"""Microsoft.ManagedIdentity: user-assigned identities."""
from localazure.services import Service
from localazure.services.managedidentity.identities import PROVIDER

SERVICE = Service(PROVIDER)
