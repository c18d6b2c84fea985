"""Microsoft.CognitiveServices: accounts, deployments, projects, quota (ARM); the model host, Content Safety and the Foundry project plane (foundry/)."""
from localazure.services import Service
from localazure.services.cognitiveservices.accounts import PROVIDER

SERVICE = Service(PROVIDER)
