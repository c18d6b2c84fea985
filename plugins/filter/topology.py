# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The list-building the roles and playbooks need, as testable Python instead of set_fact loops.

Each function takes plain data (the topology, registered task results) and returns plain data; bad input raises
AnsibleFilterError naming the value, before any task uses the result.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.errors import AnsibleFilterError

# Defaults of a model deployment, the lab's (GlobalStandard, 10k tokens per minute).
DEPLOYMENT_DEFAULTS = {"model_format": "OpenAI", "sku_name": "GlobalStandard", "capacity": 10,
                       "rai_policy_name": "Microsoft.DefaultV2"}
# Keys of a token-quota product that the gateway policy reads.
QUOTA_KEYS = ("token_quota", "token_quota_period", "tokens_per_minute", "estimate_prompt_tokens",
              "remaining_quota_tokens_header")


def _named(value, what):
    if not isinstance(value, dict) or not value.get("name"):
        raise AnsibleFilterError("%s needs a name, got %r" % (what, value))
    return value


def custom_subdomain(account):
    """The custom subdomain of an account (a dict or its name): the one rule every role and module shares.

    The account's own custom_subdomain when it has one, else its name in lower case (DNS names are lower case).
    """
    if isinstance(account, dict):
        return account.get("custom_subdomain") or _named(account, "an account").get("name").lower()
    if not account:
        raise AnsibleFilterError("custom_subdomain needs an account or its name, got %r" % (account,))
    return str(account).lower()


def _with_defaults(deployment, what):
    """A model host's deployment with the lab's defaults filled in (its model is its name unless it says)."""
    _named(deployment, what)
    item = dict(DEPLOYMENT_DEFAULTS, model_name=deployment["name"], model_version=None)
    item.update((key, value) for key, value in deployment.items() if value is not None)
    return item


def deployment_rounds(accounts):
    """The deployments of every account, in rounds: round i holds the i-th deployment of each account.

    Azure takes one deployment write at a time per account, so a round runs in parallel across accounts and the
    rounds run one after another. Items are {account, name, model_name, ...} with the lab's defaults filled in.
    """
    rounds = []
    for account in accounts or []:
        _named(account, "an account")
        for index, deployment in enumerate(account.get("deployments") or []):
            item = _with_defaults(deployment, "a deployment of account %s" % account["name"])
            item["account"] = account["name"]
            if index == len(rounds):
                rounds.append([])
            rounds[index].append(item)
    return rounds


def _by_position(accounts, results, what):
    results = list(results or [])
    if len(results) != len(accounts):
        raise AnsibleFilterError("%s: %d results for %d accounts" % (what, len(results), len(accounts)))
    return results


# What a host record adds to the account as given: what Azure assigned (host_records).
ASSIGNED_KEYS = ("id", "endpoint", "principal_id", "project_id", "project_endpoint")


def host_records(accounts, account_results, project_results=None):
    """The accounts as given plus what Azure assigned: id, endpoint, principal_id, project_id, project_endpoint.

    The results are the registered loops over the same accounts (in their order); a skipped project is empty.
    """
    accounts = [_named(account, "an account") for account in accounts or []]
    account_results = _by_position(accounts, account_results, "account results")
    project_results = (_by_position(accounts, project_results, "project results") if project_results is not None
                       else [{}] * len(accounts))
    hosts = []
    for account, created, project in zip(accounts, account_results, project_results):
        project = {} if project.get("skipped") else project
        if created.get("failed") or not created.get("id"):
            raise AnsibleFilterError("account %s has no id in its result: %s"
                                     % (account["name"], created.get("msg", "not created")))
        host = dict(account)
        host.update(id=created["id"], endpoint=created.get("endpoint") or "",
                    principal_id=created.get("principal_id") or "",
                    project_id=project.get("id") or "", project_endpoint=project.get("endpoint") or "")
        hosts.append(host)
    return hosts


# The project endpoint's key in properties.endpoints (plugins/modules/foundry_project.py returns the same one).
PROJECT_ENDPOINT_KEY = "AI Foundry API"


def _account_record(found):
    """What host_records takes from an account as Resource Manager returns it."""
    return {"id": found.get("id"), "endpoint": (found.get("properties") or {}).get("endpoint") or "",
            "principal_id": (found.get("identity") or {}).get("principalId") or ""}


def _project_record(found):
    endpoints = (found.get("properties") or {}).get("endpoints") or {}
    return {"id": found.get("id") or "", "endpoint": endpoints.get(PROJECT_ENDPOINT_KEY) or ""}


def read_host_records(accounts, account_reads, project_reads=None):
    """host_records from reads of Azure: the accounts as given plus what Azure has for them now.

    account_reads and project_reads are the registered cognitive_account_info and foundry_project_info loops over
    the same accounts (in their order; a skipped or empty project read gives empty project keys). A run whose tags
    skip the ai_services role loads its hosts this way. An account not found is left out (aigw_topology then keeps
    it as given, and whatever needs its id or endpoint says so).
    """
    accounts = [_named(account, "an account") for account in accounts or []]
    account_reads = _by_position(accounts, account_reads, "account reads")
    project_reads = (_by_position(accounts, project_reads, "project reads") if project_reads is not None
                     else [{}] * len(accounts))
    results, found_accounts, found_projects = [], [], []
    for account, read, project_read in zip(accounts, account_reads, project_reads):
        found = (read or {}).get("accounts") or []
        if len(found) != 1:
            continue
        results.append(_account_record(found[0]))
        projects = (project_read or {}).get("projects") or []
        found_projects.append(_project_record(projects[0] if len(projects) == 1 else {}))
        found_accounts.append(account)
    return host_records(found_accounts, results, found_projects)


# Provisioning states that end a long-running write (Resource Manager's terminal states).
FAILED_STATES = ("failed", "canceled")


def _id_tail(resource):
    return "/" + str((resource or {}).get("id") or "").lower()


def provisioning_left(listed, wanted):
    """What a wait by listing still waits for: {pending, failed} of ``wanted``, resource id tails such as
    ``models-1`` (an account) or ``models-1/deployments/gpt-4o`` (matched at the end of each listed resource's id).

    A tail not listed yet, or listed in a running state, is pending; one in Failed or Canceled is failed (no longer
    waited for: the role reports it). ``listed`` is the resources as Resource Manager lists them.
    """
    states = {}
    for resource in listed or []:
        states[_id_tail(resource)] = str(((resource or {}).get("properties") or {}).get("provisioningState") or "")
    pending, failed = [], []
    for tail in wanted or []:
        found = [state for resource_id, state in states.items() if resource_id.endswith("/" + str(tail).lower())]
        state = found[0].lower() if len(found) == 1 else ""
        if state in FAILED_STATES:
            failed.append(tail)
        elif state != "succeeded":
            pending.append(tail)
    return {"pending": pending, "failed": failed}


ACCOUNTS_MARK = "/providers/microsoft.cognitiveservices/accounts/"


def written_paths(results):
    """The resources a loop of writes changed, as id tails below the account (``models-1/deployments/gpt-4o``):
    what a wait by listing waits for (provisioning_left). Skipped and unchanged items are left out."""
    paths = []
    for result in results or []:
        resource_id = str((result or {}).get("id") or "")
        if result.get("skipped") or not result.get("changed") or ACCOUNTS_MARK not in resource_id.lower():
            continue
        paths.append(resource_id[resource_id.lower().index(ACCOUNTS_MARK) + len(ACCOUNTS_MARK):])
    return paths


def listed_host_records(accounts, listed_accounts, project_results=None, listed_projects=None):
    """host_records from a listing of the accounts' resource group (matched by name) and the projects' start
    results (by position; a project listed while it was awaited replaces its start's result, which may predate
    its endpoint). An account not listed is an error: it was just written."""
    accounts = [_named(account, "an account") for account in accounts or []]
    by_name = dict((str(found.get("name") or "").lower(), found) for found in listed_accounts or [])
    results = []
    for account in accounts:
        found = by_name.get(account["name"].lower())
        if found is None:
            raise AnsibleFilterError("account %s is not in the listing of its resource group" % account["name"])
        results.append(_account_record(found))
    if project_results is not None:
        project_results = _by_position(accounts, project_results, "project results")
        listed = [(_id_tail(project), project) for project in listed_projects or []]
        merged = []
        for account, started in zip(accounts, project_results):
            tail = ("/accounts/%s/projects/%s" % (account["name"], account.get("project") or "")).lower()
            found = next((project for resource_id, project in listed if resource_id.endswith(tail)), None)
            if found is not None and not started.get("skipped"):
                started = _project_record(found)
            merged.append(started)
        project_results = merged
    return host_records(accounts, results, project_results)


def gateway_backends(hosts, backend_suffix=""):
    """One APIM backend per model host: {name, account, url, priority, weight}; url is the endpoint + suffix."""
    backends = []
    for host in hosts or []:
        _named(host, "a model host")
        if not host.get("backend") or not host.get("endpoint"):
            raise AnsibleFilterError("model host %s needs a backend name and an endpoint, got backend %r, endpoint %r"
                                     % (host["name"], host.get("backend"), host.get("endpoint")))
        url = host["endpoint"].rstrip("/") + "/" + backend_suffix
        backends.append({"name": host["backend"], "account": host["name"], "url": url,
                         "priority": int(host.get("priority", 1)), "weight": int(host.get("weight", 1))})
    names = [backend["name"] for backend in backends]
    if len(set(names)) != len(names):
        raise AnsibleFilterError("backend names must be unique, got %s" % ", ".join(names))
    return backends


def gateway_model(deployment):
    """The model name callers use for a deployment: its gateway_model (a deployment beside another version of the
    model, playbooks/upgrade_model.yml), else its own name."""
    return deployment.get("gateway_model") or deployment["name"]


def deployment_backend(backend, deployment):
    """The name of a host's backend for one deployment served under another name: <backend>-<deployment>."""
    return "%s-%s" % (backend, deployment)


def deployment_pool(pool_name, model, deployments):
    """The pool of a model's route over per-deployment backends, named by the deployments it holds: a change of the
    deployment set is a new pool, which the policy switches to in one write (no call sees a half-changed pool)."""
    return "%s-%s-via-%s" % (pool_name, model, "-".join(sorted(set(deployments))))


# What follows the account endpoint in a per-deployment backend's URL; the policy's rewrite-uri sends what follows
# /deployments/{model} of the called path below it. Only API types that name the deployment in the path carry it.
DEPLOYMENT_URL_SUFFIXES = {"": "openai/deployments/", "openai": "openai/deployments/"}


def deployment_backends(hosts, backend_suffix=""):
    """The per-deployment backends of the models with a deployment served under another name (gateway_model), one per
    deployment of such a model: {name, account, deployment, url, priority, weight}, the url ending in the
    deployment. Empty when every deployment is called by its own name."""
    hosts = [_named(host, "a model host") for host in hosts or []]
    renamed = set(gateway_model(_named(deployment, "a deployment of %s" % host["name"]))
                  for host in hosts for deployment in host.get("deployments") or []
                  if gateway_model(deployment) != deployment["name"])
    backends = []
    for host in hosts:
        for deployment in host.get("deployments") or []:
            if gateway_model(deployment) not in renamed:
                continue
            if backend_suffix not in DEPLOYMENT_URL_SUFFIXES:
                raise AnsibleFilterError(
                    "deployment %s of %s is served as %s: that needs an API type that names the deployment in the path "
                    "(PassThrough or AzureOpenAI), not one whose backends end in %r"
                    % (deployment["name"], host["name"], gateway_model(deployment), backend_suffix))
            backend = gateway_backends([host])[0]
            backends.append(dict(backend, name=deployment_backend(backend["name"], deployment["name"]),
                                 deployment=deployment["name"],
                                 url=host["endpoint"].rstrip("/") + "/" + DEPLOYMENT_URL_SUFFIXES[backend_suffix]
                                 + deployment["name"]))
    return backends


def model_routes(hosts, pool_name):
    """The gateway's routes by model when the model hosts serve different deployments: one per model callers name,
    {model, backend_id, members}, in the order the hosts list them. members are the pool's services (backend,
    priority, weight) of the hosts that deploy the model; backend_id is the model's pool, <pool_name>-<model>, or
    the one host's own backend when only one serves it. Empty when every host serves the same deployments, each by
    its own name: then one pool of every host serves every model, as before routing by model existed.

    A deployment served under another name (gateway_model: a new version beside the old one) makes its model's route
    one over per-deployment backends (deployment_backends): the route also lists its deployments, its pool is named
    by them (deployment_pool), and the policy rewrites each call below the backend's deployment."""
    hosts = [_named(host, "a model host") for host in hosts or []]
    served = [[_named(deployment, "a deployment of %s" % host["name"])
               for deployment in host.get("deployments") or []] for host in hosts]
    renamed = any(gateway_model(deployment) != deployment["name"] for items in served for deployment in items)
    if len(set(frozenset(item["name"] for item in items) for items in served)) <= 1 and not renamed:
        return []
    backends = dict((backend["account"], backend) for backend in gateway_backends(hosts))
    routes, deployments = {}, {}
    for host, items in zip(hosts, served):
        for deployment in items:
            model = gateway_model(deployment)
            routes.setdefault(model, []).append((backends[host["name"]], deployment["name"]))
            deployments.setdefault(model, []).append(deployment["name"])
    found = []
    for model, members in routes.items():
        if all(name == model for name in deployments[model]):
            found.append({"model": model, "members": pool_members([backend for backend, _name in members]),
                          "backend_id": "%s-%s" % (pool_name, model) if len(members) > 1 else members[0][0]["name"]})
            continue
        services = [{"backend": deployment_backend(backend["name"], name), "priority": backend["priority"],
                     "weight": backend["weight"]} for backend, name in members]
        found.append({"model": model, "members": services, "deployments": sorted(set(deployments[model])),
                      "backend_id": deployment_pool(pool_name, model, deployments[model]) if len(services) > 1
                      else services[0]["backend"]})
    return found


def embeddings_hosts(hosts, account_results, backend):
    """The model hosts that carry the semantic cache's embeddings deployment, as host records for gateway_backends:
    {name, id, endpoint, backend, priority, weight}.

    account_results are the registered cognitive_account_info loop over the same hosts (in their order). One host
    keeps the backend name itself (a Single backend, as the policy names it); with more each gets a member backend
    of its own, <backend>-<host's backend or position>, for the pool that keeps the name.
    """
    hosts = [_named(host, "an embeddings host") for host in hosts or []]
    if not hosts:
        raise AnsibleFilterError("the semantic cache needs at least one model host for its embeddings deployment")
    results = _by_position(hosts, account_results, "embeddings account results")
    records = []
    for index, (host, result) in enumerate(zip(hosts, results)):
        found = result.get("accounts") or []
        endpoint = ((found[0].get("properties") or {}).get("endpoint") or "") if len(found) == 1 else ""
        if not endpoint:
            raise AnsibleFilterError("Semantic cache: account %s was not found (or has no endpoint yet); create the "
                                     "model hosts first" % host["name"])
        member = backend if len(hosts) == 1 else "%s-%s" % (backend, host.get("backend") or index + 1)
        records.append({"name": host["name"], "id": found[0].get("id") or "", "endpoint": endpoint,
                        "backend": member, "priority": int(host.get("priority", 1)),
                        "weight": int(host.get("weight", 1))})
    return records


def pool_members(backends):
    """The pool's services from gateway_backends: {backend, priority, weight}."""
    return [{"backend": b["name"], "priority": b["priority"], "weight": b["weight"]} for b in backends or []]


def backend_drift(listed, backends, pool_name="", pool_members=None, model_routes=None):
    """What differs between a service's backends as listed (apim_backend_info) and the gateway's backends and pools
    (gateway_backends, pool_members, and with routing by model the model_routes' pools), as messages: a backend
    missing, of another type or URL; a pool missing or with other members, priorities or weights. Empty when Azure
    holds what was provisioned."""
    by_name = dict(((item.get("name") or "").lower(), item.get("properties") or {}) for item in listed or [])
    found = []
    for backend in backends or []:
        props = by_name.get(_named(backend, "a backend")["name"].lower())
        if props is None:
            found.append("backend %s is missing" % backend["name"])
        elif (props.get("type") or "").lower() != "single":
            found.append("backend %s is of type %s, not Single" % (backend["name"], props.get("type")))
        elif (props.get("url") or "").rstrip("/") != backend["url"].rstrip("/"):
            found.append("backend %s points to %s, not %s" % (backend["name"], props.get("url"), backend["url"]))
    pools = [(pool_name, pool_members)] if pool_members else []
    pools += [(route["backend_id"], route["members"]) for route in model_routes or [] if len(route["members"]) > 1]
    for name, members in pools:
        found += _pool_drift(by_name.get(name.lower()), name, members)
    return found


def stale_backends(listed, outputs, pool_name, pool_description, backend_description):
    """The backends this role made that the gateway's topology (gateway_outputs) no longer uses, in the order they
    can go: pools first, then the host backends only those pools held. Ours are marked by name and description: a
    pool named <pool_name> or <pool_name>-<model>[-via-<deployments>] and described with pool_description (a model
    upgrade's pools too, playbooks/upgrade_model.yml), a host backend described with backend_description, and a
    per-deployment backend (named <backend>-<deployment>, described "<backend_description> <account>, deployment
    <deployment>") that no route uses, even one no pool held; anything else in the service (a user's backend or
    pool) is never named."""
    used = set(name.lower() for name in [backend["name"] for backend in outputs.get("backends") or []]
               + [backend["name"] for backend in outputs.get("deployment_backends") or []]
               + [outputs.get("backend_id") or ""]
               + [route["backend_id"] for route in outputs.get("model_routes") or []])
    prefix = pool_name.lower() + "-"

    def props(item):
        return item.get("properties") or {}

    def described(item, description):
        return (props(item).get("description") or "").startswith(description)

    def members(item):
        return set(member_name_of(service.get("id") or "")
                   for service in (props(item).get("pool") or {}).get("services") or [])

    pools = [item for item in listed or [] if (props(item).get("type") or "").lower() == "pool"]
    stale_pools = [item for item in pools
                   if (item["name"].lower() == pool_name.lower() or item["name"].lower().startswith(prefix))
                   and described(item, pool_description) and item["name"].lower() not in used]
    stale_names = set(item["name"].lower() for item in stale_pools)
    held_elsewhere = set().union(*[members(item) for item in pools if item["name"].lower() not in stale_names])
    released = set().union(*[members(item) for item in stale_pools]) - held_elsewhere - used

    def per_deployment(item):
        # Described "<backend_description> <account>, deployment <name>" and named <backend>-<name>: it may be in no
        # pool (the route's own backend when one host serves the model), so it is not only released by a pool.
        _head, mark, deployment = (props(item).get("description") or "").rpartition(", deployment ")
        return bool(mark) and item["name"].lower().endswith("-" + deployment.lower())
    singles = [item for item in listed or [] if (props(item).get("type") or "").lower() == "single"
               and described(item, backend_description)
               and (item["name"].lower() in released
                    or (per_deployment(item) and item["name"].lower() not in used | held_elsewhere))]
    return sorted(item["name"] for item in stale_pools) + sorted(item["name"] for item in singles)


def member_name_of(reference):
    """A pool member's backend name, lowercased, from its id as APIM returns it (a full id or /backends/<name>)."""
    return reference.rstrip("/").split("/")[-1].lower()


def _pool_drift(pool, pool_name, pool_members):
    if pool is None:
        return ["pool %s is missing" % pool_name]

    def member(name, priority, weight):
        return "%s (priority %s, weight %s)" % (member_name_of(name), priority, weight)
    held = sorted(member(item.get("id") or "", item.get("priority"), item.get("weight"))
                  for item in (pool.get("pool") or {}).get("services") or [])
    wanted = sorted(member(item["backend"], item.get("priority"), item.get("weight")) for item in pool_members)
    if held != wanted:
        return ["pool %s holds %s, not %s" % (pool_name, ", ".join(held) or "nothing", ", ".join(wanted))]
    return []


def deployment_drift(listed, hosts):
    """What differs between the accounts' deployments as listed (model_deployment_info) and the model hosts'
    deployments (the lab's defaults filled in as deployment_rounds does), as messages: an account or a deployment
    missing, another model, version, format, SKU, capacity or content filter. Empty when Azure holds what was
    provisioned; deployments nobody asked for are not named."""
    by_account = dict(((item.get("name") or "").lower(), item) for item in listed or [])
    found = []
    for host in hosts or []:
        account = by_account.get(_named(host, "a model host")["name"].lower())
        if account is None or not account.get("found"):
            found.append("account %s is missing" % host["name"])
            continue
        present = dict(((item.get("name") or "").lower(), item) for item in account.get("deployments") or [])
        for deployment in host.get("deployments") or []:
            wanted = _with_defaults(deployment, "a deployment of %s" % host["name"])
            where = "%s/%s" % (host["name"], deployment["name"])
            current = present.get(deployment["name"].lower())
            if current is None:
                found.append("deployment %s is missing" % where)
                continue
            model, sku = (current.get("properties") or {}).get("model") or {}, current.get("sku") or {}
            held = {"model_name": model.get("name"), "model_format": model.get("format"),
                    "model_version": model.get("version"), "sku_name": sku.get("name"),
                    "capacity": sku.get("capacity"),
                    "rai_policy_name": (current.get("properties") or {}).get("raiPolicyName")}
            for key in ("model_name", "model_format", "model_version", "sku_name", "capacity", "rai_policy_name"):
                if key == "model_version" and not wanted[key]:
                    continue    # Azure picked the version: any is what was asked
                if str(held[key]).lower() != str(wanted[key]).lower():
                    found.append("deployment %s has %s %s, not %s" % (where, key, held[key], wanted[key]))
    return found


def static_models(hosts):
    """The connection's static model list: every deployment behind the gateway once, by the name callers use (its
    gateway_model, else its deployment name)."""
    models, seen = [], set()
    for host in hosts or []:
        for deployment in host.get("deployments") or []:
            _named(deployment, "a deployment of %s" % host.get("name"))
            if gateway_model(deployment) in seen:
                continue
            seen.add(gateway_model(deployment))
            models.append({"name": gateway_model(deployment), "model_name": deployment.get("model_name") or deployment["name"],
                           "model_version": deployment.get("model_version"),
                           "model_format": deployment.get("model_format") or "OpenAI"})
    return models


def quota_entries(products):
    """The policy's token_quotas items: the product id and the limit keys the product sets."""
    return [dict({"product": _named(product, "a product")["name"]},
                 **dict((key, product[key]) for key in QUOTA_KEYS if product.get(key) is not None))
            for product in products or []]


def local_url(url, local_urls):
    """The local endpoint's stand-in for an Azure data-plane URL, or the URL itself when local_urls is empty.

    https://<service>.azure-api.net/... -> the gateway template; https://<account>.services.ai.azure.com/api/
    projects/<project> -> the project template. A URL the endpoint has no stand-in for gives "".
    """
    if not local_urls:
        return url
    if not url:
        return ""
    host, _sep, rest = url.split("//", 1)[-1].partition("/")
    name, _dot, domain = host.partition(".")
    gateway = local_urls.get("gateway_base_url_template") or ""
    project = local_urls.get("foundry_project_url_template") or ""
    if domain == "azure-api.net" and gateway:
        return gateway.replace("{service}", name) + ("/" + rest if rest else "")
    parts = rest.split("/")
    if domain == "services.ai.azure.com" and project and len(parts) >= 3 and parts[:2] == ["api", "projects"]:
        return project.replace("{account}", name).replace("{project}", parts[2])
    return ""


def blocklist_prompt(blocklists):
    """The first plain-text item of content safety blocklists: a prompt the gateway must refuse.

    A regular-expression item (is_regex true) is no prompt; an item without is_regex is plain text, as Azure
    defaults it. No plain item gives "" (nothing to prove).
    """
    for blocklist in blocklists or []:
        for item in _named(blocklist, "a content safety blocklist").get("items") or []:
            if not isinstance(item, dict) or not item.get("pattern"):
                raise AnsibleFilterError("an item of blocklist %s needs a pattern, got %r" % (blocklist["name"], item))
            if not item.get("is_regex"):
                return item["pattern"]
    return ""


def aigw_topology(settings, hosts=None):
    """The lab's accounts as named groups, computed once, so no role picks a host by its position in a list.

    settings: {model_hosts, agent_host, embeddings_host_names, capability_accounts (the accounts the capabilities
    create, each {name, kind}: the ContentSafety account when content safety is on)}. hosts: the ai_services role's
    host records (what Azure assigned: id, endpoint, ...), matched by name; empty before the accounts exist. Returns
    {accounts (every Foundry account to create: the model hosts, then the agent host, whose keys stay on unless it
    says otherwise: it is not behind the gateway), model_hosts, agent_host, embeddings_hosts (the model hosts that
    carry the semantic cache's embeddings deployment), backends (the gateway's backend names by model host),
    capability_accounts, account_names (every account name the run creates, capability accounts included: what the
    soft-delete preflight and teardown look for)}.
    """
    if not isinstance(settings, dict):
        raise AnsibleFilterError("aigw_topology needs a dict of settings, got %r" % (settings,))
    model_hosts = [_named(host, "a model host") for host in settings.get("model_hosts") or []]
    agent_host = _named(settings.get("agent_host"), "the agent host")
    capability_accounts = [_named(account, "a capability account") for account in
                           settings.get("capability_accounts") or []]
    account_names = [host["name"] for host in model_hosts + [agent_host] + capability_accounts]
    names = [name.lower() for name in account_names]
    if len(set(names)) != len(names):
        raise AnsibleFilterError("every account needs a name of its own, got %s" % ", ".join(names))
    records = {}
    for record in hosts or []:
        records[_named(record, "a host record")["name"].lower()] = record

    def known(host):
        # The host as given, with what Azure assigned: a record made from other settings earlier in the run (the
        # hosts before a model upgrade, playbooks/upgrade_model.yml) must not bring back its deployments.
        record = records.get(host["name"].lower())
        if record is None:
            return host
        return dict(host, **dict((key, record[key]) for key in ASSIGNED_KEYS if key in record))
    embeddings_names = [str(name).lower() for name in settings.get("embeddings_host_names") or []]
    model_hosts = [known(host) for host in model_hosts]
    agent = known(dict({"disable_local_auth": False}, **agent_host))
    return {"accounts": model_hosts + [agent], "model_hosts": model_hosts, "agent_host": agent,
            "embeddings_hosts": [host for host in model_hosts if host["name"].lower() in embeddings_names],
            "backends": [{"name": host.get("backend") or "", "account": host["name"],
                          "priority": int(host.get("priority", 1)), "weight": int(host.get("weight", 1))}
                         for host in model_hosts],
            "capability_accounts": capability_accounts, "account_names": account_names}


class FilterModule(object):
    def filters(self):
        return {"aigw_topology": aigw_topology, "custom_subdomain": custom_subdomain, "deployment_rounds": deployment_rounds,
                "host_records": host_records, "read_host_records": read_host_records,
                "provisioning_left": provisioning_left, "written_paths": written_paths,
                "listed_host_records": listed_host_records,
                "embeddings_hosts": embeddings_hosts,
                "gateway_backends": gateway_backends, "pool_members": pool_members, "model_routes": model_routes,
                "deployment_backends": deployment_backends, "backend_drift": backend_drift,
                "stale_backends": stale_backends, "deployment_drift": deployment_drift,
                "static_models": static_models, "quota_entries": quota_entries, "local_url": local_url,
                "blocklist_prompt": blocklist_prompt}
