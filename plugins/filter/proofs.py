# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The proof arithmetic of verify and of onboarding's verify step: what a proof needs of the configuration before it
may expect anything, the times its log queries start from, and the verdict on the answers its calls registered.
Each returns plain data the roles print and assert on (one assert per proof); each verdict can come out false.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit

from ansible.errors import AnsibleFilterError

from ansible_collections.aigateway.foundry.plugins.filter.topology import deployment_backend, gateway_model
from ansible_collections.aigateway.foundry.plugins.module_utils import validation

# Learn, llm-semantic-cache-lookup (Usage notes): "Score threshold above 0.2 may lead to cache mismatch" - above it
# an unrelated prompt may be answered from the cache, so a miss is not something the configuration promises.
CACHE_MISS_THRESHOLD = 0.2


def _priority(host):
    return int(host.get("priority", 1) if host.get("priority") is not None else 1)


def failover_proof(hosts, listed_backends, local, model_routes=None):
    """Whether a pool's failover can be proven, and why not: {provable, first_host, model, reason}.

    With routing by model (model_routes, the gateway's routes) each model's pool is judged on the hosts it holds, and
    the first model whose pool is provable is the one to prove (model names it; its calls go to that pool); when none
    is, the reasons name each model. Without routes the one pool of every host is judged (model is "").
    """
    if model_routes:
        verdicts = []
        for route in model_routes:
            members = [member["backend"] for member in route.get("members") or []]
            if len(members) < 2:
                continue
            # A route over per-deployment backends (a model upgrade) holds <backend>-<deployment> members.
            served = [host for host in hosts or [] if host.get("backend") in members or any(
                deployment_backend(host.get("backend"), name) in members for name in route.get("deployments") or [])]
            verdict = dict(_pool_failover(served, listed_backends, local), model=route["model"])
            if verdict["provable"]:
                return verdict
            verdicts.append(verdict)
        if not verdicts:
            return {"provable": False, "first_host": {}, "model": "",
                    "reason": "no model is served by more than one host, so no model has a pool"}
        return dict(verdicts[0], reason="; ".join("%s's pool: %s" % (verdict["model"], verdict["reason"])
                                                  for verdict in verdicts))
    return dict(_pool_failover(hosts, listed_backends, local), model="")


def _pool_failover(hosts, listed_backends, local):
    """Whether the pool of these hosts can be shown to fail over: {provable, first_host, reason}.

    hosts: the model hosts (name, backend, priority, location); listed_backends: apim_backend_info's backends (what
    APIM holds); local: True when the endpoint's test controls (throttle, clock) can be used.
    APIM sends a call to a lower priority only while every backend of the first priority is tripped by its circuit
    breaker (learn.microsoft.com/azure/api-management/backends#load-balanced-pool), so failover needs a rule on the
    first host's backend; it shows to a caller only as another x-ms-region, so the first host must be alone at its
    priority and the others elsewhere.
    """
    hosts = list(hosts or [])
    if len(hosts) < 2:
        return {"provable": False, "first_host": hosts[0] if hosts else {}, "reason": "one model host, no pool"}
    first = sorted(hosts, key=_priority)[0]
    peers = [host for host in hosts if host is not first]
    if any(_priority(host) == _priority(first) for host in peers) or not first.get("location") or any(
            (host.get("location") or "") == first["location"] for host in peers):
        seen = ", ".join("%s/%s/%s" % (host.get("name"), _priority(host), host.get("location") or "-")
                         for host in hosts)
        return {"provable": False, "first_host": first, "reason": (
            "it needs one host alone at the first priority and the others in other regions (x-ms-region tells which "
            "answered); hosts %s" % seen)}
    listed = dict(((item.get("name") or "").lower(), item.get("properties") or {}) for item in listed_backends or [])
    rules = ((listed.get(str(first.get("backend") or "").lower()) or {}).get("circuitBreaker") or {}).get("rules")
    if not rules:
        return {"provable": False, "first_host": first, "reason": (
            "no circuit breaker rule on %s (aigw_circuit_breaker_rules is empty): APIM sends calls to a lower "
            "priority only while the first priority's breaker is tripped, so this pool does not fail over and "
            "promises no failover" % first.get("backend"))}
    if not local:
        return {"provable": False, "first_host": first, "reason": (
            "not provable without load on Azure (a priority-1 host answers until Azure throttles it); the local "
            "mode proves it by making %s throttle" % first.get("name"))}
    return {"provable": True, "first_host": first, "reason": ""}


def cache_miss_proof(score_threshold):
    """Whether an unrelated prompt must miss the semantic cache at this score-threshold: {provable, reason}."""
    try:
        threshold = float(score_threshold)
    except (TypeError, ValueError):
        raise AnsibleFilterError("the semantic cache's score_threshold must be a number, got %r" % (score_threshold,))
    if threshold > CACHE_MISS_THRESHOLD:
        return {"provable": False, "reason": (
            "score-threshold %s is above %s, where Learn warns that unrelated prompts may share a cached answer, so "
            "a miss is not promised" % (score_threshold, CACHE_MISS_THRESHOLD))}
    return {"provable": True, "reason": ""}


def gateway_time(answer):
    """The time of whoever writes the log rows, as a KQL datetime (ISO 8601, UTC, microseconds): the local
    endpoint's clock (local_azure_clock of the local_azure role's clock controls, {now}, or an answer whose json is
    it), else the Date header of an answer of Azure's."""
    answer = answer or {}
    now = answer.get("now")
    if now is None and isinstance(answer.get("json"), dict):
        now = answer["json"].get("now")
    if now is not None:
        moment = datetime.fromtimestamp(float(now), timezone.utc)
    elif answer.get("date"):
        try:
            moment = parsedate_to_datetime(answer["date"]).astimezone(timezone.utc)
        except (TypeError, ValueError):
            raise AnsibleFilterError("the answer's Date header %r is not an HTTP date" % (answer["date"],))
    else:
        raise AnsibleFilterError("no time in the answer: neither the local endpoint's clock nor a Date header")
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def cache_may_answer(policy):
    """Whether the semantic cache may answer every proof call without a model (on, with a score-threshold that
    promises no miss - cache_miss_proof): then a proof finding no token row has not failed, it is not proven."""
    cache = (policy or {}).get("semantic_cache") or {}
    if not cache.get("enabled"):
        return False
    return not cache_miss_proof(cache.get("score_threshold", 0.8))["provable"]


def evidence_verdict(rows, cache_may_answer_calls, required):
    """What a log or metric proof concludes from the rows it found: found (assert them), not_proven (the cache may
    have answered every call: say so), missing (none in time: the assert fails) or late (none in time, and
    evidence is not required: a warning)."""
    if rows:
        return "found"
    if cache_may_answer_calls:
        return "not_proven"
    return "missing" if required else "late"


def _kql_string(value):
    return '"%s"' % str(value).replace("\\", "\\\\").replace('"', '\\"')


def gateway_log_query(since, api_id, deployment, request_id="", take=10):
    """The KQL that finds the gateway's calls of an API to a deployment since a time, whatever the URL's shape
    (deployment in the path, v1 with the body's model, /responses): ApiManagementGatewayLogs by ApiId, joined on
    CorrelationId with ApiManagementGatewayLlmLog by DeploymentName (Learn, the LLM log's reference: CorrelationId is
    "Unique ID corresponding to the same field in ApiManagementGatewayLogs"; DeploymentName is what the client
    named). request_id narrows it to one call: the LLM log's RequestId is the id of the model's answer (a chat
    completion's or a response's), which the caller saw in the answer's body."""
    for name, value in (("since", since), ("api_id", api_id), ("deployment", deployment)):
        if not value:
            raise AnsibleFilterError("gateway_log_query needs %s, got %r" % (name, value))
    llm = "DeploymentName =~ %s" % _kql_string(deployment)
    if request_id:
        llm += " and RequestId == %s" % _kql_string(request_id)
    return ("ApiManagementGatewayLogs | where TimeGenerated >= datetime(%s) and ApiId =~ %s"
            " | join kind=inner (ApiManagementGatewayLlmLog | where %s) on CorrelationId"
            " | project TimeGenerated, Method, Url, ResponseCode, DeploymentName"
            " | order by TimeGenerated desc | take %d" % (since, _kql_string(api_id), llm, int(take)))


# The operations each API type carries (roles/gateway/files/*.json): the Model Inference API (AzureAI) has no
# Responses API; PassThrough forwards whatever the Azure OpenAI paths are.
RESPONSES_API_TYPES = ("PassThrough", "AzureOpenAI", "AzureOpenAIV1")


def _embeddings_model(deployment):
    model = deployment.get("model_name") or deployment.get("model") or deployment.get("name") or ""
    return "embed" in str(model).lower()


def embeddings_deployment(hosts, cache_deployment="", cache_host_names=None, model_routes=None):
    """The embeddings deployment a call through the gateway reaches on whichever host answers, "" when none:
    one of the hosts' own deployments of an embeddings model that every host carries (with routing by model, one
    the routes name), else the semantic cache's deployment when its hosts are every model host (without routing by
    model: the gateway routes an unknown model to no host)."""
    hosts = list(hosts or [])
    if not hosts:
        return ""
    routed = set(route["model"] for route in model_routes or [])
    for deployment in hosts[0].get("deployments") or []:
        name = gateway_model(deployment)    # the name callers use (a model upgrade's deployment serves the model's)
        on_every_host = all(name in [gateway_model(d) for d in host.get("deployments") or []] for host in hosts)
        if _embeddings_model(deployment) and (name in routed or (not routed and on_every_host)):
            return name
    names = set(str(name).lower() for name in cache_host_names or [])
    if cache_deployment and not model_routes and all(str(host.get("name")).lower() in names for host in hosts):
        return cache_deployment
    return ""


def operation_proofs(api_type, chat_deployment, embeddings, inference_api_version=""):
    """What verify calls through the gateway, per operation: [{operation, deployment, reason}] - reason is why the
    operation cannot be proven (then deployment is ""): chat always; responses where the API type carries the
    Responses API at the connection's api-version; embeddings where an embeddings deployment exists
    (embeddings_deployment)."""
    if not chat_deployment:
        raise AnsibleFilterError("operation_proofs needs the chat deployment the proofs call")
    proofs = [{"operation": "chat", "deployment": chat_deployment, "reason": ""}]
    version = validation.inference_api_version(api_type, inference_api_version) \
        if api_type in validation.CONNECTION_API_TYPE_DEFAULTS else ""
    if api_type not in RESPONSES_API_TYPES:
        proofs.append({"operation": "responses", "deployment": "",
                       "reason": "the %s API type carries no Responses API" % api_type})
    elif re.match(r"\d{4}-\d{2}-\d{2}", version or "") and version[:10] < validation.RESPONSES_FIRST_API_VERSION[:10]:
        proofs.append({"operation": "responses", "deployment": "", "reason": (
            "the connection's api-version %s predates the Responses API (%s or later, or the v1 API)"
            % (version, validation.RESPONSES_FIRST_API_VERSION))})
    else:
        proofs.append({"operation": "responses", "deployment": chat_deployment, "reason": ""})
    proofs.append({"operation": "embeddings", "deployment": embeddings or "",
                   "reason": "" if embeddings else "no embeddings deployment"})
    return proofs


def operation_body(proof, chat_body, prompt):
    """The request body of one operation proof: chat's body with the prompt as its message; the Responses API's
    {model, input}; embeddings' {model, input} (model names the deployment where the URL does not)."""
    if proof["operation"] == "chat":
        return dict(chat_body, messages=[{"role": "user", "content": prompt}])
    return {"model": proof["deployment"], "input": prompt}


def operation_answers(results):
    """The operation proofs' answers without their requests: [{operation, deployment, status, path, id, answer}].

    A registered uri result carries its module arguments, the request's headers (the subscription key) among them:
    the tasks after the calls loop over these instead, so no item shown (an assert's message prints its loop item on
    some cores) can carry the key. answer is the JSON answer, or the module's message where there is none."""
    answers = []
    for result in results or []:
        proof = result.get("verify_operation") or {}
        body = result.get("json")
        answers.append({"operation": proof.get("operation", ""), "deployment": proof.get("deployment", ""),
                        "status": int(result.get("status") or 0),
                        "path": urlsplit(result.get("url") or "").path,
                        "id": body.get("id", "") if isinstance(body, dict) else "",
                        "answer": body if "json" in result else result.get("msg", "")})
    return answers


def _status(answer, what):
    if not isinstance(answer, dict) or answer.get("status") is None:
        raise AnsibleFilterError("%s has no status: it is not a registered call (skipped?): %r" % (what, answer))
    return int(answer["status"])


def pool_proof(answers, first_host):
    """Whether the pool failed over and came back: {proven, statuses, regions, took_over}.

    answers: the four calls' results by step - first (priority-1 host), failover (while it throttles), breaker
    (its breaker open) and recovered (after the trip); first_host: failover_proof's first_host. x-ms-region tells
    which host answered: the first host's location, then another twice, then the first again, each with 200.
    """
    steps = ("first", "failover", "breaker", "recovered")
    missing = [step for step in steps if step not in (answers or {})]
    if missing:
        raise AnsibleFilterError("the pool proof lacks the answers of %s" % ", ".join(missing))
    location = (first_host or {}).get("location") or ""
    if not location:
        raise AnsibleFilterError("the pool proof needs the first host's location, got %r" % (first_host,))
    statuses = [_status(answers[step], "the pool proof's %s call" % step) for step in steps]
    regions = [answers[step].get("x_ms_region") or "-" for step in steps]
    expect_first = (True, False, False, True)
    proven = all(status == 200 and (region == location) == first
                 for status, region, first in zip(statuses, regions, expect_first))
    return {"proven": proven, "statuses": statuses, "regions": regions, "took_over": regions[1]}


def token_limit_proof(hosts, tokens_per_minute, model):
    """Whether the gateway's token limit can show with these hosts: {provable, reason, host_tokens_per_minute}.

    A model host answers its own 429 once the proof model's deployment has spent its capacity (1,000 tokens per
    minute per unit, 10 units when not given), so the gateway's limit shows only below the smallest such capacity.
    model is the name callers use: a deployment served under it (gateway_model, a model upgrade) counts.
    """
    try:
        limit = int(tokens_per_minute)
    except (TypeError, ValueError):
        raise AnsibleFilterError("tokens_per_minute must be a whole number, got %r" % (tokens_per_minute,))
    units = [int(deployment["capacity"]) if deployment.get("capacity") is not None else 10
             for host in hosts or [] for deployment in host.get("deployments") or []
             if gateway_model(deployment) == model]
    host_tokens_per_minute = (min(units) if units else 10) * 1000
    if limit >= host_tokens_per_minute:
        return {"provable": False, "host_tokens_per_minute": host_tokens_per_minute, "reason": (
            "tokens_per_minute %d is not below the capacity of %s on the model hosts (%d tokens per minute), so a "
            "host answers its own 429 before the gateway's limit is reached" % (limit, model, host_tokens_per_minute))}
    return {"provable": True, "host_tokens_per_minute": host_tokens_per_minute, "reason": ""}


# The token limit proof's filler: plain words (about a token each). A prompt of hex digests would not do: real
# embeddings put look-alike strings close together, so with the semantic cache on they are answered from it.
LIMIT_FILLER = "Please read this sentence once more and then answer with the single word OK."


def token_limit_prompt(tokens_per_minute, seed):
    """A natural-language prompt of about a quarter of tokens_per_minute (about four characters a token), naming
    the call (seed). It spends tokens only if no cache answers it: verify sends each call in a cache partition of its
    own (proof_partition), which is what keeps the cache out, not the wording."""
    try:
        characters = int(tokens_per_minute)
    except (TypeError, ValueError):
        raise AnsibleFilterError("tokens_per_minute must be a whole number, got %r" % (tokens_per_minute,))
    prompt = "This is call %s of a token limit check." % (seed,)
    while len(prompt) < characters:
        prompt += " " + LIMIT_FILLER
    return prompt


def token_limit_spend(results):
    """The token limit proof's spend, from its loop's registered results (in call order): the first call not
    answered 200 (else the last) with attempts (how many calls it took) and limited (the gateway's own 429 with a
    Retry-After: a model host's 429 carries {"error": ...}, not the gateway's statusCode)."""
    results = list(results or [])
    if not results:
        raise AnsibleFilterError("the token limit proof made no call")
    statuses = [_status(result, "call %d of the token limit proof" % (index + 1))
                for index, result in enumerate(results)]
    attempts = next((index + 1 for index, status in enumerate(statuses) if status != 200), len(results))
    answer = results[attempts - 1]
    body = answer.get("json") if isinstance(answer.get("json"), dict) else {}
    retry_after = str(answer.get("retry_after") or "")
    return {"status": statuses[attempts - 1], "json": body, "retry_after": retry_after, "attempts": attempts,
            "limited": statuses[attempts - 1] == 429 and body.get("statusCode") == 429 and retry_after != ""}


def limit_spend_prompt(projects):
    """A prompt that spends about the smallest tokens_per_minute of these projects in one call (about four
    characters make a token)."""
    limits = [int(project["tokens_per_minute"]) for project in projects or [] if "tokens_per_minute" in project]
    if not limits:
        raise AnsibleFilterError("no project with a tokens_per_minute to spend")
    return "Say hello. " + "x" * (4 * min(limits))


def limit_entry(project, spent, status):
    """What one project spent and was answered next: {team, limit, spent, status, own} - own when it was answered
    429 exactly when what it spent reaches its own tokens_per_minute."""
    limit, spent, status = int(project["tokens_per_minute"]), int(spent), int(status)
    return {"team": project["team"], "limit": limit, "spent": spent, "status": status,
            "own": (status == 429) == (spent >= limit)}


def _by_team(results, what):
    teams = {}
    for result in results or []:
        team = ((result.get("item") or {}).get("item") or {}).get("team")
        if team is None:
            raise AnsibleFilterError("a result of %s names no project (item.item.team): %r" % (what, result))
        teams[team] = result
    return teams


def key_limit_entries(projects, spent, accepted, after, fresh_window):
    """limit_entry of each project with a key, from the three loops over its key (each result's item.item is the
    project): what its spending call used, plus what its first accepted call used when the window was not fresh
    (on Azure the earlier call counts too), and the status of the call after. Matched by team, not by position."""
    loops = {"the spending calls": _by_team(spent, "the spending calls"),
             "the first calls": _by_team(accepted, "the first calls"),
             "the calls after": _by_team(after, "the calls after")}
    entries = []
    for project in projects or []:
        lacking = [what for what, teams in loops.items() if project["team"] not in teams]
        if lacking:
            raise AnsibleFilterError("project %s has no result in %s" % (project["team"], ", ".join(lacking)))
        used = _usage(loops["the spending calls"][project["team"]])
        if not fresh_window:
            used += _usage(loops["the first calls"][project["team"]])
        entries.append(limit_entry(project, used, _status(loops["the calls after"][project["team"]],
                                                          "the call after of %s" % project["team"])))
    return entries


def _usage(answer):
    return int((((answer.get("json") or {}) if isinstance(answer.get("json"), dict) else {}).get("usage") or {})
               .get("total_tokens") or 0)


def limits_proof(entries):
    """Whether each project's limit is its own: {proven, summary} - proven when some project was answered 429 and
    every one was answered 429 exactly when it reached its own limit."""
    entries = list(entries or [])
    summary = "; ".join("%s spent %s of its %s tokens per minute, then %s"
                        % (entry["team"], entry["spent"], entry["limit"], entry["status"]) for entry in entries)
    proven = any(entry["status"] == 429 for entry in entries) and all(entry["own"] for entry in entries)
    return {"proven": proven, "summary": summary or "no project was called"}


def retry_after_wait(results, cap=60):
    """Seconds to wait before a fresh token minute on Azure: the longest Retry-After of the answers that were 429
    (60 when one names none), at most cap; 0 when none was 429."""
    waits = [int(result.get("retry_after") or 60) for result in results or [] if result.get("status") == 429]
    return min(max(waits), int(cap)) if waits else 0


class FilterModule(object):
    def filters(self):
        return {"failover_proof": failover_proof, "cache_miss_proof": cache_miss_proof, "gateway_time": gateway_time,
                "cache_may_answer": cache_may_answer, "evidence_verdict": evidence_verdict, "pool_proof": pool_proof,
                "token_limit_proof": token_limit_proof, "token_limit_prompt": token_limit_prompt, "token_limit_spend": token_limit_spend,
                "limit_spend_prompt": limit_spend_prompt, "limit_entry": limit_entry,
                "key_limit_entries": key_limit_entries, "limits_proof": limits_proof,
                "retry_after_wait": retry_after_wait, "gateway_log_query": gateway_log_query,
                "embeddings_deployment": embeddings_deployment, "operation_proofs": operation_proofs,
                "operation_body": operation_body, "operation_answers": operation_answers}
