"""Microsoft.Authorization: role definitions and assignments (assignments.py), their eventual consistency
(propagation.py) and its test controls (control.py)."""
from localazure.services import Service
from localazure.services.authorization import control
from localazure.services.authorization.assignments import PROVIDER

SERVICE = Service(PROVIDER, controls=control.controls)
