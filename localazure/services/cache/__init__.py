"""Microsoft.Cache: Azure Managed Redis clusters and databases."""
from localazure.services import Service
from localazure.services.cache.redis import PROVIDER

SERVICE = Service(PROVIDER)
