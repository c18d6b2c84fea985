"""Microsoft.Authorization: role definitions and assignments."""
from localazure.services import Service
from localazure.services.authorization.assignments import PROVIDER

SERVICE = Service(PROVIDER)
