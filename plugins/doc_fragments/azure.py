# -*- coding: utf-8 -*-
# Copyright: contributors to aigateway.foundry
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment(object):

    # The authentication and endpoint options every module accepts (set them once with module_defaults and the
    # group/aigateway.foundry.azure action group).
    DOCUMENTATION = r"""
options:
  auth_source:
    description:
      - How to authenticate.
      - V(auto) uses O(client_id), O(secret) and O(tenant) when all three are known (from options or the
        environment), otherwise azure-identity's C(DefaultAzureCredential) (environment, workload identity,
        managed identity, Azure CLI).
      - V(credential) and V(env) use a service principal's client secret from options or environment; V(env)
        also accepts a federated token file (E(AZURE_FEDERATED_TOKEN_FILE)) for workload identity.
      - V(cli) uses the Azure CLI's login; V(msi) uses a managed identity (O(client_id) selects a user-assigned one).
      - V(credential_file) reads azure.azcollection's credentials file, C(~/.azure/credentials) (an INI file with
        one section per profile holding C(subscription_id), C(client_id), C(secret), C(tenant) and optionally
        C(cloud_environment)), using the profile named by O(profile), else C(default). The profile's values win
        over options and environment; a missing file, profile or subscription_id is an error. A profile that signs
        in with C(ad_user)/C(password) is refused.
      - With V(auto), a given O(profile) is read the same way; without one, and without a service principal in
        options or environment, the C(default) profile is used when the file has one with a C(subscription_id)
        (as azure.azcollection does before trying the Azure CLI).
      - Falls back to E(ANSIBLE_AZURE_AUTH_SOURCE).
    type: str
    choices: [auto, env, credential, credential_file, cli, msi]
    default: auto
  profile:
    description:
      - The profile (section) of C(~/.azure/credentials) to sign in with (see O(auth_source)). Falls back to
        E(AZURE_PROFILE).
    type: str
  subscription_id:
    description:
      - The subscription to work in. Falls back to E(AZURE_SUBSCRIPTION_ID).
    type: str
  client_id:
    description:
      - The service principal's (or user-assigned managed identity's) client id. Falls back to E(AZURE_CLIENT_ID).
    type: str
  secret:
    description:
      - The service principal's client secret. Falls back to E(AZURE_SECRET), then E(AZURE_CLIENT_SECRET).
    type: str
  tenant:
    description:
      - The Entra ID tenant id. Falls back to E(AZURE_TENANT), then E(AZURE_TENANT_ID).
    type: str
  cloud_environment:
    description:
      - The Azure cloud whose Resource Manager and Entra ID endpoints to use. Falls back to
        E(AZURE_CLOUD_ENVIRONMENT).
    type: str
    choices: [AzureChinaCloud, AzureCloud, AzureUSGovernment]
    default: AzureCloud
  arm_endpoint:
    description:
      - An explicit Resource Manager endpoint (https) instead of the cloud's, for example the local Azure endpoint
        this project ships. Falls back to E(AZURE_ARM_ENDPOINT).
    type: str
  authority_host:
    description:
      - An explicit Entra ID authority (https) instead of the cloud's. Falls back to E(AZURE_AUTHORITY_HOST).
      - Instance discovery is turned off for an authority that is not a public Azure cloud's.
    type: str
  ca_bundle:
    description:
      - A PEM file of CA certificates to trust for Resource Manager and the authority. Falls back to
        E(AZURE_CA_BUNDLE), then E(REQUESTS_CA_BUNDLE). TLS verification is never turned off.
    type: path
  access_token:
    description:
      - A Resource Manager token obtained once for the run by M(aigateway.foundry.azure_token) (merge its
        RV(aigateway.foundry.azure_token#module:auth) into C(module_defaults)). The task then neither imports
        azure-identity nor asks Entra ID for a token.
      - Used only together with O(access_token_expires_on) and O(access_token_identity), only when the identity
        matches this task's auth options and only while more than five minutes of its life are left; otherwise
        the task signs in itself. Never read from the environment.
    type: str
  access_token_expires_on:
    description:
      - When O(access_token) expires, in seconds since the epoch.
    type: int
  access_token_identity:
    description:
      - A digest of the auth options O(access_token) was obtained with (no secret in it).
    type: str
  token_cache:
    description:
      - Keep the Resource Manager access token between the tasks of a run (and the runs of the next hour) in the
        user's cache, C($XDG_CACHE_HOME/aigateway.foundry) or C(~/.cache/aigateway.foundry), as the Azure CLI keeps
        its own in C(~/.azure), so a run signs in once without an M(aigateway.foundry.azure_token) task.
      - A directory of mode 0700 with one file of mode 0600 per credential, holding the access token and its expiry
        only (no secret, no refresh token), named by a digest of the auth source, authority, tenant, client id,
        secret and audience, so another identity, tenant or cloud never reads it. Used only while more than five
        minutes of the token's life are left.
      - Only for a service principal's client secret and a workload identity's token file. The Azure CLI's login,
        a managed identity and C(DefaultAzureCredential) decide their identity outside these options, so they
        never use it.
      - Falls back to E(AIGATEWAY_FOUNDRY_TOKEN_CACHE); V(false) keeps every token in the task's memory only.
    type: bool
    default: true
  retries:
    description:
      - How many times a write or delete is sent again when its long-running operation ends C(Failed) for a
        transient cause (an internal error, the service unavailable, a timeout, or a resource left C(Failed)
        without an error), backing off 2, 4, 8, 16 and then 30 seconds between tries.
      - A deterministic failure (a refused request, an invalid template, an exhausted quota) fails at once with
        Azure's error code and message. Throttling and server errors of single requests are retried by the Azure
        SDK itself, honouring C(Retry-After).
      - A resource found in provisioning state C(Failed) or C(Canceled) is always written again with the desired
        state (and reported changed), as Azure advises for a failed resource.
    type: int
    default: 5
  wait_timeout:
    description:
      - How many seconds any wait of the task may take before the task fails. That is a long-running operation, a
        resource still being provisioned by an earlier run, or the retries of a write Azure refuses while another
        operation runs on the same resource (a transient C(409)). The failure names the resource (its kind and
        name) and the time waited; the operation goes on in Azure and re-running the task converges.
      - One value for every task of a play through C(module_defaults) and the C(group/aigateway.foundry.azure)
        group (the playbooks set it from C(aigw_wait_timeout)).
    type: int
    default: 3600
requirements:
  - python >= 3.9
  - azure-identity >= 1.15.0
  - azure-mgmt-core >= 1.4.0
notes:
  - Set the options once for a play with C(module_defaults) and the C(group/aigateway.foundry.azure) group.
  - Secrets are never returned or logged; O(secret) and O(access_token) are C(no_log).
"""

    # Options of modules whose writes are long-running operations.
    WAIT = r"""
options:
  wait:
    description:
      - Wait for a long-running operation to finish. With V(false) the task returns once Azure accepted the
        request, with the state as it is then.
    type: bool
    default: true
"""

    # Options of modules that call a Foundry project's data plane (agents, responses).
    PROJECT = r"""
options:
  project_endpoint:
    description:
      - The project's data-plane endpoint, for example
        V(https://agents-foundry-x1.services.ai.azure.com/api/projects/foundry-project), or the local endpoint's
        project URL in local mode.
      - When omitted it is read from Resource Manager for O(account) and O(project) in the public cloud, from the
        project's C(properties.endpoints) (C(AI Foundry API)). Its host is the account's custom subdomain, which
        need not be the account's name.
    type: str
  account:
    description: The Foundry account of the project, to read O(project_endpoint) from.
    type: str
  project:
    description: The project, to read O(project_endpoint) from.
    type: str
  resource_group:
    description:
      - The resource group of O(account). When omitted, the account is found by name in the subscription.
      - Only used when O(project_endpoint) is omitted.
    type: str
requirements:
  - azure-ai-projects >= 2.0.0
notes:
  - Tokens for the project are requested for C(https://ai.azure.com/.default) with the same credential options as
    every module of the collection; O(ca_bundle) is trusted for the project endpoint too.
  - The identity running the task needs a data-plane role on the project or its account, such as
    C(Azure AI User); Owner and Contributor carry no data actions. New role assignments take minutes to apply.
  - Only the public cloud's project endpoints are derived; in C(AzureChinaCloud) and C(AzureUSGovernment) the
    module fails, since the project data plane's endpoint suffix and token audience there are not known to this
    collection.
"""
