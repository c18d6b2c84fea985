"""Microsoft.ApiManagement: the service and its children (ARM) and the gateway data plane (gateway/)."""
from localazure.services import Service
from localazure.services.apimanagement.service import PROVIDER

SERVICE = Service(PROVIDER)
