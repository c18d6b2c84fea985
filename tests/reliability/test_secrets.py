"""No key, secret, token or telemetry credential in what a run leaves readable: the output of site.yml at -vvv with
--diff and of --check --diff, the endpoint's request log and server log, the outputs file and the playbooks' state
dir.  The secrets are read afterwards through the stock SDKs (what an attacker holding them could use)."""
from __future__ import annotations

import json
import re

from tests.reliability.harness import Endpoint, Playbooks, arm_clients

# A bearer token (JWT) of any audience.
JWT = re.compile(r"eyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}")
# The endpoint's own credential stores and database: they hold secrets by design (mode 0600, like Azure's own
# stores), handed only to the clients that need them; everything else in the state dir is scanned.
CREDENTIAL_STORES = ("identity.json", "endpoint.json", "state.db", "state.db-wal", "state.db-shm", "ca.pem",
                     "ca.key", "server.pem", "server.key", "server.pid")


def secrets_of(info, resource_group):
    """Every secret the gateway has: the service principal's secret, APIM subscription keys, account keys,
    the App Insights connection string and instrumentation key."""
    from azure.identity import ClientSecretCredential
    from azure.mgmt.applicationinsights import ApplicationInsightsManagementClient

    _resources, cognitive, apim = arm_clients(info)
    found = {"client secret": [info["client_secret"]]}
    for service in apim.api_management_service.list_by_resource_group(resource_group):
        for subscription in apim.subscription.list(resource_group, service.name):
            keys = apim.subscription.list_secrets(resource_group, service.name, subscription.name)
            found.setdefault("APIM subscription key", []).extend([keys.primary_key, keys.secondary_key])
    for account in cognitive.accounts.list_by_resource_group(resource_group):
        if not account.properties.disable_local_auth:
            keys = cognitive.accounts.list_keys(resource_group, account.name)
            found.setdefault("account key", []).extend([keys.key1, keys.key2])
    credential = ClientSecretCredential(info["tenant_id"], info["client_id"], info["client_secret"],
                                        authority=info["authority_host"], disable_instance_discovery=True,
                                        connection_verify=info["ca_bundle"])
    insights = ApplicationInsightsManagementClient(credential, info["subscription_id"], base_url=info["arm_endpoint"],
                                                   connection_verify=info["ca_bundle"],
                                                   credential_scopes=["https://management.azure.com/.default"])
    for component in insights.components.list_by_resource_group(resource_group):
        found.setdefault("App Insights connection string", []).append(component.connection_string)
        found.setdefault("App Insights instrumentation key", []).append(component.instrumentation_key)
    return dict((kind, [value for value in values if value]) for kind, values in found.items())


def hits(text, secrets):
    found = [kind for kind, values in secrets.items() for value in values if value in text]
    return found + ["bearer token"] * len(JWT.findall(text))


def test_no_secret_in_output_logs_outputs_or_state(tmp_path, figures):
    endpoint = Endpoint(tmp_path)
    playbooks = Playbooks(tmp_path)
    try:
        verbose = playbooks.run("site.yml", "-vvv", "--diff")["output"]
        check = playbooks.run("site.yml", "--check", "--diff")["output"]
        resource_group = json.loads(playbooks.outputs_file.read_text())["resource_group"]
        secrets = secrets_of(endpoint.info, resource_group)
        assert secrets.get("APIM subscription key") and secrets.get("App Insights connection string")
        sources = {"site.yml -vvv --diff output": verbose, "site.yml --check --diff output": check,
                   "outputs file": playbooks.outputs_file.read_text()}
        for path in sorted(tmp_path.rglob("*")):
            if path.is_file() and path.name not in CREDENTIAL_STORES and path != playbooks.outputs_file:
                sources["state dir: %s" % path.relative_to(tmp_path)] = path.read_text(errors="replace")
        found = {}
        for source, text in sources.items():
            found[source] = hits(text, secrets)
            figures.add("secret scan", source, "%d hits" % len(found[source]),
                        ", ".join(sorted(set(found[source]))) or "%d secrets of %d kinds looked for"
                        % (sum(len(v) for v in secrets.values()), len(secrets)))
        assert dict((source, kinds) for source, kinds in found.items() if kinds) == {}
    finally:
        endpoint.stop()
