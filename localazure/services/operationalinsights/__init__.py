"""Microsoft.OperationalInsights: workspaces (ARM), their tables (logs.py) and the query API (logs.py, kql.py)."""
from localazure.services import Service
from localazure.services.operationalinsights.workspaces import PROVIDER

SERVICE = Service(PROVIDER)
