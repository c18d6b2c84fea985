# -*- coding: utf-8 -*-
# Copyright: contributors to aigateway.foundry
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What Azure refuses, checked before anything is written: declarative tables and the functions that read them.

Every function returns the first problem as a message naming the value and the rule, or None.  A module calls
them with one line from its ``validate``; the location check needs one read (the resource provider's locations)
and runs in ``arm_resource.settle`` before a create.

Sources: the naming rules are Microsoft Learn's "Naming rules and restrictions for Azure resources"
(https://learn.microsoft.com/azure/azure-resource-manager/management/resource-name-rules), tightened where the
type definitions (azure-rest-api-specs, ``specification/<service>/resource-manager``) carry a pattern; the enums
are the definitions' (``ConnectionCategory``, ``DeploymentModel.format`` values, ``WorkspaceSkuNameEnum``) and
the SKU pages of each service.
"""

from __future__ import annotations

import re
import unicodedata

from ansible_collections.aigateway.foundry.plugins.module_utils.messages import did_you_mean

# Every pattern here is matched with fullmatch and anchored with \A ... \Z: "$" also matches before a trailing
# newline, so re.match(r"^x$") accepts "x\n" (tests/unit/test_repository.py holds every pattern of plugins/ to it).
# Object, tenant, client and workspace ids: a GUID in its 8-4-4-4-12 hexadecimal form.
GUID = re.compile(r"\A[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}\Z")
WHOLE = re.compile(r"\A-?[0-9]+\Z")


def whole_number(value):
    """The int a value stands for (an int, or a string of digits as -e gives it), else None; booleans are not."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and WHOLE.fullmatch(value.strip(" ")):
        return int(value)
    return None


class NameRule(object):
    """A type's name rule; its pattern is compiled on first use (a module checks one or two types, and every
    module imports this table)."""

    def __init__(self, noun, shortest, longest, pattern, rule):
        self.noun = noun
        self.shortest = shortest
        self.longest = longest
        self.pattern_text = pattern
        self.rule = rule
        self._pattern = None

    @property
    def pattern(self):
        if self._pattern is None:
            self._pattern = re.compile(r"\A(?:%s)\Z" % self.pattern_text)
        return self._pattern


# (pattern, rule) pairs several types share.
_ALNUM_HYPHEN = (r"[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?",
                 "letters, digits and hyphens, starting and ending with a letter or digit")
_FOUNDRY_CHILD = (r"[a-zA-Z0-9][a-zA-Z0-9_.-]*", "letters, digits, '_', '.' and '-', starting with a letter or digit")
_NOT_APIM_RESERVED = r"[^*#&+:<>?\x00-\x1f]+"
_SINGLE_HYPHENS = (r"(?!.*--)[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?",
                   "letters, digits and single hyphens, starting and ending with a letter or digit")

# ARM type -> its name rule (resource-name-rules page; the definitions' pattern where it is stricter).
NAME_RULES = {
    "Microsoft.Resources/resourceGroups": NameRule(
        "resource group", 1, 90, r"[-\w.()]*[-\w()]",
        "letters, digits, underscores, hyphens, periods and parentheses, not ending with a period"),
    "Microsoft.CognitiveServices/accounts": NameRule("account", 2, 64, *_ALNUM_HYPHEN),
    "Microsoft.CognitiveServices/accounts/deployments": NameRule("deployment", 2, 64, *_FOUNDRY_CHILD),
    "Microsoft.CognitiveServices/accounts/projects": NameRule("project", 2, 64, *_FOUNDRY_CHILD),
    "Microsoft.CognitiveServices/accounts/connections": NameRule(
        "connection", 3, 33, r"[a-zA-Z0-9][a-zA-Z0-9_-]*",
        "letters, digits, '_' and '-', starting with a letter or digit"),
    "Microsoft.Insights/components": NameRule(
        "Application Insights component", 1, 260, r"[^%&\\?/\x00-\x1f]*[^%&\\?/\x00-\x1f. ]",
        "no % & \\ ? / or control characters, not ending with a space or period"),
    "Microsoft.OperationalInsights/workspaces": NameRule("workspace", 4, 63, *_ALNUM_HYPHEN),
    "Microsoft.ApiManagement/service": NameRule(
        "API Management service", 1, 50, r"[a-zA-Z](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?",
        "letters, digits and hyphens, starting with a letter and ending with a letter or digit"),
    "Microsoft.ApiManagement/service/apis": NameRule("API", 1, 256, _NOT_APIM_RESERVED,
                                                     "no * # & + : < > ? or control characters"),
    # API Management named values (the definitions' pattern) and products (the service child rule).
    "Microsoft.ApiManagement/service/namedValues": NameRule(
        "named value", 1, 256, r"[A-Za-z0-9._-]+", "letters, digits, '.', '_' and '-'"),
    "Microsoft.ApiManagement/service/products": NameRule("product", 1, 256, _NOT_APIM_RESERVED,
                                                         "no * # & + : < > ? or control characters"),
    # Onboarding's own rule for a team: it names a product, subscription, named value and Key Vault secret
    # (<prefix><team>), so it keeps to what all of them accept.
    "aigateway.foundry/onboarding/teams": NameRule(
        "team", 1, 40, r"[a-z0-9](?:[a-z0-9-]*[a-z0-9])?",
        "lowercase letters, digits and inner hyphens"),
    "Microsoft.Cache/redisEnterprise": NameRule("Redis cluster", 1, 60, *_SINGLE_HYPHENS),
    "Microsoft.Cache/redisEnterprise/databases": NameRule("Redis database", 1, 60, *_SINGLE_HYPHENS),
    # raiBlocklists and raiBlocklistItems: the pattern of the 2025-12-01 type definitions.
    "Microsoft.CognitiveServices/accounts/raiBlocklists": NameRule("blocklist", 1, 255, *_FOUNDRY_CHILD),
    "Microsoft.CognitiveServices/accounts/raiBlocklists/raiBlocklistItems": NameRule(
        "blocklist item", 1, 255, *_FOUNDRY_CHILD),
    # Foundry agents (the data plane's agent name rule).
    "aigateway.foundry/agents": NameRule("agent", 1, 63, *_ALNUM_HYPHEN),
    "Microsoft.KeyVault/vaults": NameRule(
        "key vault", 3, 24, r"(?!.*--)[a-zA-Z][a-zA-Z0-9-]*[a-zA-Z0-9]",
        "letters, digits and single hyphens, starting with a letter and ending with a letter or digit"),
    "Microsoft.KeyVault/vaults/secrets": NameRule("key vault secret", 1, 127, r"[a-zA-Z0-9-]+",
                                                  "letters, digits and hyphens"),
}

# Microsoft.CognitiveServices/accounts kinds (what `az cognitiveservices account list-kinds` answers).
ACCOUNT_KINDS = ("AIServices", "AnomalyDetector", "CognitiveServices", "ComputerVision", "ContentModerator",
                 "ContentSafety", "ConversationalLanguageUnderstanding", "CustomVision.Prediction",
                 "CustomVision.Training", "Face", "FormRecognizer", "HealthInsights", "ImmersiveReader", "LUIS",
                 "LUIS.Authoring", "LanguageAuthoring", "MetricsAdvisor", "OpenAI", "Personalizer", "QnAMaker.v2",
                 "SpeechServices", "TextAnalytics", "TextTranslation")
# The kinds that serve models are offered with S0 only; the others also with the free tier and the S tiers.
ACCOUNT_SKUS = {"AIServices": ("S0",), "OpenAI": ("S0",)}
OTHER_ACCOUNT_SKUS = ("F0", "S", "S0", "S1", "S2", "S3", "S4", "E0", "DC0")

# Model deployment SKUs (deployment types) and model formats (the publisher of the model).
DEPLOYMENT_SKUS = ("Standard", "GlobalStandard", "DataZoneStandard", "ProvisionedManaged",
                   "GlobalProvisionedManaged", "DataZoneProvisionedManaged", "GlobalBatch", "DataZoneBatch",
                   "DeveloperTier")
MODEL_FORMATS = ("OpenAI", "Microsoft", "Meta", "Mistral AI", "Cohere", "DeepSeek", "xAI", "AI21 Labs", "Core42",
                 "Black Forest Labs", "Stability AI", "OpenAI-OSS")

WORKSPACE_SKUS = ("Free", "Standard", "Premium", "PerNode", "PerGB2018", "Standalone", "CapacityReservation",
                  "LACluster")
REDIS_SKU = re.compile(r"\A(?:(?:Balanced|ComputeOptimized|MemoryOptimized|FlashOptimized)_[A-Z][0-9]+|"
                       r"Enterprise_E[0-9]+|EnterpriseFlash_F[0-9]+)\Z")

# ConnectionCategory of the definitions (Microsoft.CognitiveServices 2025-12-01).
CONNECTION_CATEGORIES = (
    "PythonFeed", "ContainerRegistry", "Git", "S3", "Snowflake", "AzureKeyVault", "AzureSqlDb",
    "AzureSynapseAnalytics", "AzureMySqlDb", "AzurePostgresDb", "ADLSGen2", "AzureContainerAppEnvironment", "Redis",
    "ApiKey", "AzureOpenAI", "AIServices", "CognitiveSearch", "CognitiveService", "CustomKeys", "AzureBlob",
    "AzureStorageAccount", "AzureOneLake", "CosmosDb", "CosmosDbMongoDbApi", "AzureDataExplorer", "AzureMariaDb",
    "AzureDatabricksDeltaLake", "AzureSqlMi", "AzureTableStorage", "AmazonRdsForOracle", "AmazonRdsForSqlServer",
    "AmazonRedshift", "Db2", "Drill", "GoogleBigQuery", "Greenplum", "Hbase", "Hive", "Impala", "Informix", "MariaDb",
    "MicrosoftAccess", "MySql", "Netezza", "Oracle", "Phoenix", "PostgreSql", "Presto", "SapOpenHub", "SapBw",
    "SapHana", "SapTable", "Spark", "SqlServer", "Sybase", "Teradata", "Vertica", "Pinecone", "Databricks",
    "Cassandra", "Couchbase", "MongoDbV2", "MongoDbAtlas", "AmazonS3Compatible", "FileServer", "FtpServer",
    "GoogleCloudStorage", "Hdfs", "OracleCloudStorage", "Sftp", "GenericHttp", "ODataRest", "Odbc", "GenericRest",
    "RemoteTool", "AmazonMws", "Concur", "Dynamics", "DynamicsAx", "DynamicsCrm", "GoogleAdWords", "Hubspot", "Jira",
    "Magento", "Marketo", "Office365", "Eloqua", "Responsys", "OracleServiceCloud", "PayPal", "QuickBooks",
    "Salesforce", "SalesforceServiceCloud", "SalesforceMarketingCloud", "SapCloudForCustomer", "SapEcc",
    "ServiceNow", "SharePointOnlineList", "Shopify", "Square", "WebTable", "Xero", "Zoho", "GenericContainerRegistry",
    "Elasticsearch", "AppInsights", "AppConfig", "OpenAI", "Serp", "BingLLMSearch", "Serverless",
    "ManagedOnlineEndpoint", "ApiManagement", "ModelGateway", "GroundingWithBingSearch", "GroundingWithCustomSearch",
    "Sharepoint", "MicrosoftFabric", "PowerPlatformEnvironment", "RemoteA2A")
# Foundry connections' authType (ConnectionPropertiesV2 of the definitions, and the project identity Foundry's
# "bring your own AI gateway" documentation adds), what foundry_connection takes of them.
CONNECTION_AUTH_TYPES = ("ApiKey", "ProjectManagedIdentity", "AAD", "OAuth2", "None")
# The api-versions of each inference API a gateway fronts.  Azure OpenAI's dated data-plane versions
# (specification/cognitiveservices/data-plane/AzureOpenAI/inference); the v1 API's `api-version` is optional and
# only "v1" or "preview" (specification/ai/data-plane/OpenAI.v1, AzureAIFoundryModelsApiVersion); the Model
# Inference API (/models) has its own versions (specification/ai/data-plane/ModelInference).
AZURE_OPENAI_API_VERSION = re.compile(r"\A[0-9]{4}-[0-9]{2}-[0-9]{2}(-preview)?\Z")
OPENAI_V1_API_VERSIONS = ("v1", "preview")
MODEL_INFERENCE_API_VERSIONS = ("2024-04-01-preview", "2024-05-01-preview", "2025-02-01-preview", "2025-04-01",
                                "2025-05-01", "2025-05-01-preview", "2025-05-15-preview")


class ConnectionApiType(object):
    """How Foundry calls a gateway API of one type through an ApiManagement connection (foundry-samples
    01-connections/apim APIM-Connection-Objects.md and apim-setup-guide-for-agents.md): the path the target ends
    with, whether the deployment goes in the path (`deploymentInPath`), the `inferenceAPIVersion` written when the
    task names none ("" = none: Foundry then appends no api-version), and which versions the API accepts."""

    def __init__(self, target_suffix, deployment_in_path, inference_api_version, accepted, accepted_text):
        self.target_suffix = target_suffix
        self.deployment_in_path = deployment_in_path
        self.inference_api_version = inference_api_version
        self.accepted = accepted   # a pattern or the tuple of versions
        self.accepted_text = accepted_text

    def accepts(self, version):
        if isinstance(self.accepted, tuple):
            return version in self.accepted
        return bool(self.accepted.match(version))


# Which API a gateway connection fronts, and what follows for the connection (one table for the module, the
# filter verify builds its calls with, and site.yml's preflight).
CONNECTION_API_TYPE_DEFAULTS = {
    "PassThrough": ConnectionApiType("/openai", True, "2024-12-01-preview",
                                     AZURE_OPENAI_API_VERSION,
                                     "a dated Azure OpenAI api-version such as 2024-12-01-preview"),
    "AzureOpenAI": ConnectionApiType("/openai", True, "2024-12-01-preview",
                                     AZURE_OPENAI_API_VERSION,
                                     "a dated Azure OpenAI api-version such as 2024-12-01-preview"),
    "AzureOpenAIV1": ConnectionApiType("/openai/v1", False, "", OPENAI_V1_API_VERSIONS,
                                       "none (recommended), v1 or preview: the v1 API takes no dated api-version"),
    "AzureAI": ConnectionApiType("/models", False, "2024-05-01-preview",
                                 MODEL_INFERENCE_API_VERSIONS,
                                 "a Model Inference api-version (%s)" % ", ".join(MODEL_INFERENCE_API_VERSIONS)),
}
# The first dated api-version of the classic path's Responses API (/openai/responses?api-version=); the v1 path
# takes none (Learn, Azure OpenAI Responses API and "API version lifecycle").
RESPONSES_FIRST_API_VERSION = "2025-03-01-preview"
# How a gateway connection says which API it fronts (Foundry's "bring your own AI gateway" connection metadata).
CONNECTION_API_TYPES = tuple(CONNECTION_API_TYPE_DEFAULTS)


def inference_api_version(api_type, version=None):
    """The connection's `inferenceAPIVersion`: the given one, else the API type's default ("" = none)."""
    if version:
        return version
    return CONNECTION_API_TYPE_DEFAULTS[api_type].inference_api_version if api_type else ""


def inference_api_version_problem(api_type, version):
    """Whether the gateway API of `api_type` accepts `version` as its api-version (None = it does)."""
    if not api_type or not version:
        return None
    spec = CONNECTION_API_TYPE_DEFAULTS[api_type]
    if spec.accepts(version):
        return None
    return ("inference_api_version %s does not fit api_type %s, which takes %s: Foundry would call "
            "{target}%s?api-version=%s and the gateway's API would refuse it"
            % (version, api_type, spec.accepted_text,
               "/deployments/{name}/chat/completions" if spec.deployment_in_path else "/chat/completions", version))


CONNECTION_SCOPES = ("account", "project")
# API Management SKUs we create (Microsoft.ApiManagement/service sku.name; Premiumv2 is newer than the definitions).
APIM_SKUS = ("Developer", "Basic", "Standard", "Premium", "Consumption", "Basicv2", "Standardv2", "Premiumv2")
# foundry-samples' APIM integration guide, "Only Azure API Management Standard v2 and Premium tiers supported".
FOUNDRY_APIM_SKUS = ("Standardv2", "Premium", "Premiumv2")
# What to do with a soft-deleted resource of the same name (API Management, Cognitive Services, Key Vault).
SOFT_DELETED_CHOICES = ("fail", "purge", "restore")
# A project's managed identity exists only for a connection of that project (Foundry's "bring your own AI
# gateway" documentation: the project identity authenticates to the gateway).
PROJECT_ONLY_AUTH_TYPES = ("ProjectManagedIdentity",)
# What the gateway connection of site.yml and onboarding sends: the APIM subscription key, or the project's identity
# (which the gateway's Entra check admits). The module takes more (AAD, OAuth2, None); the roles make only these.
GATEWAY_CONNECTION_AUTH_TYPES = ("ApiKey", "ProjectManagedIdentity")
# The gateway connection's category (aigw_connection_category) and what each takes (foundry-samples
# 01-connections: apim/connection-apim.bicep @allowed(['ApiKey', 'ProjectManagedIdentity']),
# model-gateway/connection-modelgateway.bicep @allowed(['ApiKey', 'OAuth2'])): ModelGateway is for gateways other
# than API Management, or API Management behind another front, with OAuth2 client credentials.
GATEWAY_CONNECTION_CATEGORIES = ("ApiManagement", "ModelGateway")
GATEWAY_CATEGORY_AUTH_TYPES = {"ApiManagement": GATEWAY_CONNECTION_AUTH_TYPES, "ModelGateway": ("ApiKey", "OAuth2")}
# Every auth type of either category: what the foundry_connection role takes before it knows the category's rule.
CATEGORY_AUTH_TYPES = ("ApiKey", "ProjectManagedIdentity", "OAuth2")
# What an OAuth2 connection cannot do without (connection-modelgateway.bicep: "clientId, clientSecret, and tokenUrl
# are required when authType is OAuth2"); scopes are optional there.
OAUTH2_REQUIRED = ("client_id", "client_secret", "token_url")


# How Foundry learns the gateway's models (foundry-samples 01-connections/apim APIM-Connection-Objects.md, "Static
# Discovery" and "ModelDiscovery (Dynamic Discovery)"): the connection's `models` list, or the gateway's list and get
# operations, which Foundry calls as {target}{listModelsEndpoint} with the connection's credential.
CONNECTION_MODEL_DISCOVERY = ("static", "dynamic")
# The discovery operations the gateway role adds and the connection names in `modelDiscovery`: the APIM defaults of
# the same document ("/deployments", "/deployments/{deploymentName}", AzureOpenAI answers) and the operation names of
# its apim-setup-guide-for-agents.md.
MODEL_DISCOVERY_METADATA = {"list_models_endpoint": "/deployments",
                            "get_model_endpoint": "/deployments/{deploymentName}",
                            "deployment_provider": "AzureOpenAI"}
MODEL_DISCOVERY_OPERATIONS = {"list_models_endpoint": "list-deployments",
                              "get_model_endpoint": "get-deployment-by-name"}


def gateway_connection_problem(scope, auth_type, project, entra_enabled=None, model_discovery=None,
                               category=None):
    """The gateway connection site.yml and onboarding make: its category, scope and auth type, and what each needs
    (a project connection needs the project; the project's identity and OAuth2 tokens are only accepted when the
    policy validates Entra tokens, checked when ``entra_enabled`` is known); its model discovery (static or
    dynamic)."""
    auth_types = GATEWAY_CATEGORY_AUTH_TYPES.get(category or "ApiManagement", GATEWAY_CONNECTION_AUTH_TYPES)
    problem = first(setting_problem("aigw_connection_category", category, GATEWAY_CONNECTION_CATEGORIES),
                    setting_problem("aigw_connection_scope", scope, CONNECTION_SCOPES),
                    setting_problem("aigw_connection_auth_type", auth_type, auth_types),
                    setting_problem("aigw_connection_model_discovery", model_discovery, CONNECTION_MODEL_DISCOVERY))
    if problem:
        takes = [name for name, types in GATEWAY_CATEGORY_AUTH_TYPES.items() if auth_type in types]
        if takes and auth_type not in auth_types:
            return problem + " (aigw_connection_category %s takes it)" % " or ".join(takes)
        return problem + ("" if auth_type not in CONNECTION_AUTH_TYPES or takes
                          else " (the foundry_connection module takes %s, the gateway connection does not)"
                          % auth_type)
    if auth_type == "OAuth2" and entra_enabled is False:
        # API Management checks the token the connection gets from its token URL like any other Entra token.
        return ("aigw_connection_auth_type OAuth2 needs aigw_gateway_policy.gateway_auth.entra enabled (tenant, "
                "audiences, the OAuth2 client in client_application_ids): the gateway must accept its token")
    if model_discovery == "dynamic" and entra_enabled:
        # The discovery operations answer before the API policy (no token limit, cache or routing for a list call),
        # so only API Management's own subscription check guards them, which an Entra-checked API turns off.
        return ("aigw_connection_model_discovery dynamic needs the subscription key check: with "
                "aigw_gateway_policy.gateway_auth.entra enabled the API admits calls without a key, and the discovery "
                "operations would answer anyone")
    if scope == "project" and not project:
        return "aigw_connection_scope project needs a project on the agent host (aigw_agent_host.project is empty)"
    if auth_type in PROJECT_ONLY_AUTH_TYPES and scope != "project":
        return ("aigw_connection_auth_type %s needs aigw_connection_scope project: only a project has the identity "
                "that calls the gateway" % auth_type)
    if auth_type in PROJECT_ONLY_AUTH_TYPES and entra_enabled is False:
        # The project's token is only accepted when the policy validates Entra tokens for it.
        return ("aigw_connection_auth_type %s needs aigw_gateway_policy.gateway_auth.entra enabled (tenant, audience, "
                "the project as required xms_mirid claim)" % auth_type)
    return None


def name_problem(type_name, name):
    """The name against its type's rule (``NAME_RULES``); None for types without one."""
    rule = NAME_RULES.get(type_name)
    if rule is None or name is None:
        return None
    if not isinstance(name, str):
        return "%s name %r is invalid: it must be a string" % (rule.noun, name)
    if not rule.shortest <= len(name) <= rule.longest or not rule.pattern.fullmatch(name):
        return ("%s name %r is invalid: %d to %d characters, %s"
                % (rule.noun, name, rule.shortest, rule.longest, rule.rule))
    return None


def apim_child_problem(noun, name, longest):
    """An API Management child's name (the service child rule, each kind with its own longest)."""
    rule = NameRule(noun, 1, longest, _NOT_APIM_RESERVED, "no * # & + : < > ? or control characters")
    if not isinstance(name, str) or not 1 <= len(name) <= longest or not rule.pattern.fullmatch(name):
        return "%s name %r is invalid: %d to %d characters, %s" % (noun, name, 1, longest, rule.rule)
    return None


def choice_problem(option, value, allowed):
    """``value`` (case-insensitive, as Azure compares them) among ``allowed``; None when unset."""
    if value is None or value.lower() in [item.lower() for item in allowed]:
        return None
    return "%s %r is not one Azure offers%s: %s" % (option, value, did_you_mean(value, allowed), ", ".join(allowed))


def setting_problem(name, value, allowed):
    """A playbook setting among ``allowed``, spelt exactly (the roles compare it as written); None when unset."""
    if value is None or value in allowed:
        return None
    return "%s is %r%s: it must be one of %s" % (name, value, did_you_mean(str(value), allowed), ", ".join(allowed))


def duplicate_problem(what, names):
    """Names that appear twice in a list (compared as Azure does, case-insensitively)."""
    seen, twice = set(), []
    for name in names:
        if name.lower() in seen and name not in twice:
            twice.append(name)
        seen.add(name.lower())
    return ("%s lists %s twice: each name must be unique" % (what, ", ".join(repr(n) for n in twice))
            if twice else None)


def first(*problems):
    return next((problem for problem in problems if problem), None)


# ---- one line per module --------------------------------------------------------------------------------------
def account_problem(params):
    kind = params.get("kind")
    return first(name_problem("Microsoft.CognitiveServices/accounts", params["name"]),
                 choice_problem("kind", kind, ACCOUNT_KINDS),
                 choice_problem("sku", params.get("sku"), ACCOUNT_SKUS.get(kind, OTHER_ACCOUNT_SKUS)))


def deployment_problem(params):
    return first(name_problem("Microsoft.CognitiveServices/accounts/deployments", params["name"]),
                 choice_problem("model_format", params.get("model_format"), MODEL_FORMATS),
                 choice_problem("sku_name", params.get("sku_name"), DEPLOYMENT_SKUS))


def workspace_problem(params):
    return first(name_problem("Microsoft.OperationalInsights/workspaces", params["name"]),
                 choice_problem("sku", params.get("sku"), WORKSPACE_SKUS))


def redis_problem(params):
    sku = params.get("sku")
    return first(name_problem("Microsoft.Cache/redisEnterprise", params["name"]),
                 None if sku is None or REDIS_SKU.fullmatch(sku) else
                 "sku %r is not an Azure Managed Redis SKU (Balanced_B0, ComputeOptimized_X3, MemoryOptimized_M10, "
                 "FlashOptimized_A250, Enterprise_E10, ...)" % sku)


def connection_problem(params):
    """Category x scope x auth type of a Foundry connection, its custom headers, and the model names it lists."""
    category, auth_type = params.get("category"), params.get("auth_type")
    scope = "project %s" % params["project"] if params.get("project") else "account %s" % params.get("account")
    problem = choice_problem("category", category, CONNECTION_CATEGORIES)
    if problem:
        return problem
    if auth_type in PROJECT_ONLY_AUTH_TYPES and not params.get("project"):
        return ("auth_type %s needs a project connection (set project): %s has no project identity to send"
                % (auth_type, scope))
    return first(custom_headers_problem(params.get("custom_headers"), credential_header(params)),
                 duplicate_problem("models", [item.get("name") or "" for item in params.get("models") or []]))


def credential_header(params):
    """The header that carries a connection's credential: `api-key` or authConfig's name for ApiKey, Authorization
    for a token (foundry-samples APIM-/ModelGateway-Connection-Objects.md, modelgateway-setup-guide-for-agents.md)."""
    if params.get("auth_type") == "ApiKey":
        return (params.get("auth_config") or {}).get("name") or "api-key"
    return "Authorization" if params.get("auth_type") in ("OAuth2", "ProjectManagedIdentity", "AAD") else None


def custom_headers_problem(headers, credential=None, option="custom_headers"):
    """Metadata customHeaders (ModelGateway-Connection-Objects.md "CustomHeaders": string keys and string values,
    added to every chat completion and inference request): each name an HTTP field name (RFC 9110 5.1, a token),
    each value text without control characters (RFC 9110 5.5: no CR, LF or NUL), and none the header that carries
    the credential, which it would replace or be replaced by. Values are not shown (the metadata is not secret, but
    a value may still be one)."""
    if headers is None:
        return None
    if not isinstance(headers, dict):
        return "%s must be a mapping of header names to values, got %s" % (option, type(headers).__name__)
    for name, value in headers.items():
        if not isinstance(name, str) or not HEADER_NAME.match(name):
            return ("%s name %r is not an HTTP header name (RFC 9110 token: letters, digits and !#$%%&'*+.^_`|~-)"
                    % (option, name))
        if isinstance(value, bool) or not isinstance(value, (str, int, float)) or _invisible(str(value)):
            return ("%s %r: the value must be text without control characters (a string; no newline or other "
                    "control character)" % (option, name))
        if credential and name.lower() == credential.lower():
            return ("%s %r is the header that carries the connection's credential; set the credential instead"
                    % (option, name))
    return None


def oauth2_problem(oauth2, option="oauth2"):
    """OAuth2 client credentials: client id, secret and an https token URL, scopes a list of strings. The secret
    is never part of a message."""
    oauth2 = oauth2 if isinstance(oauth2, dict) else {}
    missing = [key for key in OAUTH2_REQUIRED if not oauth2.get(key)]
    if missing:
        return "%s.%s required when auth_type is OAuth2" % (
            option, (", %s." % option).join(missing) + (" is" if len(missing) == 1 else " are"))
    # Microsoft.CognitiveServices' ConnectionOAuth2.clientId is a uuid (format and pattern in the definitions,
    # localazure/specs): Resource Manager refuses any other client id, whatever the OAuth2 server would take.
    if not GUID.match(str(oauth2["client_id"])):
        return "%s.client_id must be a GUID (the application's client id), got %r" % (option, oauth2["client_id"])
    if not isinstance(oauth2["token_url"], str) or not oauth2["token_url"].startswith("https://"):
        return "%s.token_url must be an https URL (got %r)" % (option, oauth2["token_url"])
    scopes = oauth2.get("scopes")
    if scopes is not None and (not isinstance(scopes, list) or not all(isinstance(s, str) and s for s in scopes)):
        return "%s.scopes must be a list of scopes (strings), got %r" % (option, scopes)
    return None


# ---- the region, read once from the resource provider ---------------------------------------------------------
def normal_location(location):
    """"Sweden Central" and "swedencentral" are the same region."""
    return (location or "").replace(" ", "").lower()


def offered_locations(provider, type_name):
    """The locations a provider body (GET /subscriptions/{id}/providers/{namespace}) offers ``type_name`` in;
    None when it lists none (global types, or a provider that does not say)."""
    wanted = type_name.split("/", 1)[1].lower()
    for entry in (provider or {}).get("resourceTypes") or []:
        if (entry.get("resourceType") or "").lower() == wanted:
            return entry.get("locations") or None
    return None


def location_problem(location, type_name, offered):
    if not location or not offered or normal_location(location) in [normal_location(o) for o in offered]:
        return None
    return ("location %r is not offered for %s in this subscription%s; offered: %s"
            % (location, type_name, did_you_mean(normal_location(location), [normal_location(o) for o in offered]),
               ", ".join(sorted(normal_location(o) for o in offered))))


# ---- values rendered into the gateway policy ------------------------------------------------------------------
# The policy template renders values into attributes and into the C# string literals of policy expressions
# (roles/gateway/templates/inference-policy.xml.j2): XML escaping does not stop a '"' from closing a C# string, and a
# value starting with @( or @{ is an expression to API Management. So each value has a grammar that cannot hold
# code, checked before any write; only the paths below are meant to hold expressions (or policy XML).
# Limits: Microsoft Learn, "API Management gateway runtime limits" (azure-docs
# includes/api-management-gateway-constraints.md): a named value holds 4,096 characters, a policy document 256 KiB.
NAMED_VALUE_LONGEST = 4096
POLICY_DOCUMENT_LONGEST = 256 * 1024
# Our own cap for one literal of the policy (a name, header, id, message): longer is a mistake, not a value.
POLICY_LITERAL_LONGEST = 1024
# The gateway policy's settings (roles/gateway/POLICY-VARIABLES.md): path -> (lowest, highest or None) of the whole
# numbers and fractions it renders into attributes, its booleans and its choices; "[]" is every item of a list.
QUOTA_PERIODS = ("Hourly", "Daily", "Weekly", "Monthly", "Yearly")
POLICY_WHOLE_NUMBERS = {
    "token_limit.tokens_per_minute": (1, None),
    "token_limit.token_quota": (1, None),
    "token_quotas[].tokens_per_minute": (1, None),
    "token_quotas[].token_quota": (1, None),
    "semantic_cache.duration": (1, None),
    "semantic_cache.max_message_count": (1, None),
    "retry.count": (1, 50),
    "retry.interval": (0, None),
    "retry.max_interval": (0, None),
    "retry.delta": (0, None),
    "gateway_auth.entra.failed_status": (100, 599),
    "retry.status_codes[]": (100, 599),
}
POLICY_FRACTIONS = {"semantic_cache.score_threshold": (0.0, 1.0)}
POLICY_BOOLEANS = ("gateway_auth.subscription_key", "gateway_auth.entra.enabled", "backend_auth.managed_identity",
                   "token_limit.enabled", "token_limit.estimate_prompt_tokens", "token_quotas[].estimate_prompt_tokens",
                   "token_metrics.enabled", "semantic_cache.enabled", "semantic_cache.ignore_system_messages",
                   "retry.enabled", "retry.first_fast_retry", "unavailable_response.enabled",
                   "content_safety.enabled", "content_safety.shield_prompt")
POLICY_CHOICES = {"token_limit.token_quota_period": QUOTA_PERIODS, "token_quotas[].token_quota_period": QUOTA_PERIODS}
# Azure Monitor takes 10 dimension keys per metric and API Management uses 5 for its defaults, so a metric policy
# configures at most 5 custom dimensions (Learn, llm-emit-token-metric-policy, "Limits for custom metrics"); the
# gateway's token metrics send the dimensions of token_metrics.dimensions and, with user_header, User ID.
CUSTOM_DIMENSIONS_MOST = 5
# The capabilities' settings: Azure AI Content Safety's severity thresholds (0 to 7, the text:analyze levels) and a
# product id, which lands in the policy's C# strings (POLICY_ID) and in the product's URL.
CONTENT_SAFETY_THRESHOLDS = (0, 7)
PRODUCT_ID_LONGEST = 80


def content_safety_credential_problem(key, variable):
    """The llm-content-safety backend must authenticate to Content Safety (Learn, llm-content-safety-policy
    prerequisites), or the service answers 401 and every prompt fails.  Learn recommends API Management's managed
    identity, but no Microsoft.ApiManagement api-version defines a backend's credentials.managedIdentity (Microsoft's
    definitions up to 2026-09-01-preview, and azure-mgmt-apimanagement 5.x: certificate, certificateIds, query,
    header, authorization), so the account's key is the one credential a backend can carry.  An empty key is not a
    problem: gateway_capabilities reads the key of the account it makes (with key authentication on); a given key
    wins, and one that cannot be an HTTP header value (a key with whitespace or a line break, as pasted from a
    file) would be refused by Content Safety with 401 on every prompt."""
    if key is None or key == "":
        return None
    if not isinstance(key, str):
        return "%s must be the ContentSafety account's key as a string (or empty to read it from the account)" \
            % variable
    if re.search(r"\s", key):
        return ("%s holds whitespace or a line break: an account key is one word, and the backend would send it "
                "as the Ocp-Apim-Subscription-Key header, which Content Safety answers with 401 (leave it empty "
                "to read the key of the account the role makes)" % variable)
    return None


def local_auth_problem(account):
    """An account whose key authentication is off has no key to give: listKeys answers 400 ("Failed to list key.
    disableLocalAuth is set to be true"), and a key-authenticated caller gets 401 AuthenticationTypeDisabled."""
    if ((account or {}).get("properties") or {}).get("disableLocalAuth"):
        return ("account %s has key authentication disabled (disableLocalAuth is true): it has no key to read; "
                "enable key authentication on it or give its key another way" % (account.get("name") or "?"))
    return None


POLICY_EXPRESSION_PATHS = ("counter_key", "token_limit.counter_key", "token_quotas[].counter_key",
                           "semantic_cache.vary_by", "token_metrics.dimensions[].value", "custom_fragments",
                           "replace_policy")
# RFC 9110 section 5.6.2: a field name is a token, 1*tchar.
HEADER_NAME = re.compile(r"\A[!#$%&'*+.^_`|~0-9A-Za-z-]+\Z")
# Product, backend and context variable ids that land inside C# strings: APIM's named value rule (its strictest
# name rule, which every id of ours keeps to), which holds no quote, backslash or space.
POLICY_ID = re.compile(r"\A[A-Za-z0-9][A-Za-z0-9._-]*\Z")
# A tenant: its GUID or a domain name (contoso.onmicrosoft.com).
DOMAIN = re.compile(r"\A(?=.{1,253}\Z)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
                    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+\Z")
POLICY_GRAMMARS = {
    "header": (HEADER_NAME, "an HTTP header name (RFC 9110 token: letters, digits and !#$%&'*+.^_`|~-)"),
    "id": (POLICY_ID, "an id of letters, digits, '.', '_' and '-', starting with a letter or digit"),
    "guid": (GUID, "a GUID (8-4-4-4-12 hexadecimal digits)"),
    "tenant": (re.compile(GUID.pattern + "|" + DOMAIN.pattern), "a tenant GUID or domain name"),
}
POLICY_LITERALS = {
    "token_metrics.user_header": "header",
    "token_limit.remaining_tokens_header": "header",
    "token_limit.tokens_consumed_header": "header",
    "token_quotas[].remaining_quota_tokens_header": "header",
    "gateway_auth.entra.header_name": "header",
    "gateway_auth.entra.output_token_variable": "id",
    "token_limit.remaining_tokens_variable": "id",
    "token_quotas[].remaining_quota_tokens_variable": "id",
    "token_quotas[].product": "id",
    "backend_id": "id",
    # Routing by model: the deployment names and backend ids land in the policy's C# strings.
    "model_routes[].model": "id",
    "model_routes[].backend_id": "id",
    "model_routes[].members[].backend": "id",
    "semantic_cache.embeddings_backend_id": "id",
    "content_safety.backend_id": "id",
    "token_quotas[].principal_id": "guid",
    "gateway_auth.entra.client_application_ids[]": "guid",
    "gateway_auth.entra.admitted_principals[]": "guid",
    "backend_auth.client_id": "guid",
    "gateway_auth.entra.tenant_id": "tenant",
}


def _invisible(text):
    """Control and format characters (newlines, RTL marks, zero-width spaces): never part of a name or header."""
    return next((char for char in text if unicodedata.category(char) in ("Cc", "Cf")), None)


def literal_problem(where, value, grammar=None):
    """A value meant as a literal: a string, not an expression, no invisible characters, not too long, and of its
    grammar when it has one. None when it is fine."""
    if not isinstance(value, str):
        return None if grammar is None and isinstance(value, (int, float)) else (
            "%s is %r: it must be a string" % (where, value))
    if value.lstrip().startswith(("@(", "@{")):
        return ("%s is %r: a literal is meant here, and a value starting with @( or @{ is a policy expression to "
                "API Management" % (where, value[:80]))
    hidden = _invisible(value)
    if hidden is not None:
        return ("%s is %r: it holds the invisible character U+%04X (a control or format character such as a newline, "
                "an RTL mark or a zero-width space)" % (where, value[:80], ord(hidden)))
    if len(value) > POLICY_LITERAL_LONGEST:
        return "%s is %d characters long: at most %d" % (where, len(value), POLICY_LITERAL_LONGEST)
    if grammar is not None:
        pattern, rule = POLICY_GRAMMARS[grammar]
        if not pattern.fullmatch(value):
            return "%s is %r: it must be %s" % (where, value, rule)
    return None


def _leaves(data, shown="", path=""):
    """(shown path, rule path, value) of every leaf: a list's items are [0], [1]... shown and [] in the rule path."""
    if isinstance(data, dict):
        for key, value in data.items():
            dot = "." if shown else ""
            yield from _leaves(value, "%s%s%s" % (shown, dot, key), "%s%s%s" % (path, dot, key))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            yield from _leaves(value, "%s[%d]" % (shown, index), path + "[]")
    else:
        yield shown, path, data


def policy_value_problems(policy, variable="aigw_gateway_policy"):
    """Every value of the gateway policy settings that could become code or break the gateway: the literals of
    POLICY_LITERALS against their grammar, and every other string (outside POLICY_EXPRESSION_PATHS) as a literal
    without a grammar (not an expression, no invisible characters, not too long)."""
    if not isinstance(policy, dict):
        return []
    problems = []
    for shown, path, value in _leaves(policy):
        if _is_expression_path(path):
            continue
        grammar = POLICY_LITERALS.get(path)
        if grammar is None and not isinstance(value, str):
            continue
        problems.append(literal_problem("%s.%s" % (variable, shown), value, grammar))
    return [problem for problem in problems if problem]


def _is_expression_path(path):
    return any(path == meant or path.startswith(meant + ".") or path.startswith(meant + "[")
               for meant in POLICY_EXPRESSION_PATHS)


def policy_placeholders(policy, placeholder="x"):
    """The settings with every string outside POLICY_EXPRESSION_PATHS replaced by ``placeholder`` (an empty string
    stays empty, so the template takes the same branches): the policy template rendered from them has the
    expressions the template itself writes, each value a plain literal, against which apim_policy compares the real
    rendering's (plugins/module_utils/apim_policy.py, expressions_problem)."""
    def replace(data, path):
        if isinstance(data, dict):
            return dict((key, replace(value, "%s%s%s" % (path, "." if path else "", key)))
                        for key, value in data.items())
        if isinstance(data, list):
            return [replace(value, path + "[]") for value in data]
        if isinstance(data, str) and data and not _is_expression_path(path):
            return placeholder
        return data
    return replace(policy if isinstance(policy, dict) else {}, "")
