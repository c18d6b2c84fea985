"""Microsoft.Resources: resource groups."""
from localazure.services import Service
from localazure.services.resources.groups import PROVIDER

SERVICE = Service(PROVIDER)
