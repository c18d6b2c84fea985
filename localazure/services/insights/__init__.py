"""Microsoft.Insights: Application Insights components and diagnostic settings."""
from localazure.services import Service
from localazure.services.insights.components import PROVIDER

SERVICE = Service(PROVIDER)
