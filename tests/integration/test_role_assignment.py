"""role_assignment against the local endpoint: keyed by scope + role + principal."""
import uuid

COGNITIVE_SERVICES_USER = "a97b65f3-24c7-4388-baec-2e87135dc908"


def test_lifecycle(run_module, resource_group, endpoint, request_log):
    scope = "/subscriptions/%s/resourceGroups/%s" % (endpoint["subscription_id"], resource_group)
    principal = str(uuid.uuid4())
    args = {"scope": scope, "role": "Cognitive Services User", "principal_id": principal,
            "principal_type": "ServicePrincipal"}

    mark = request_log.mark()
    predicted = run_module("role_assignment", args, check=True, diff=True)
    assert predicted["changed"] is True
    assert predicted["role_definition_id"].endswith("/roleDefinitions/" + COGNITIVE_SERVICES_USER)
    assert predicted["diff"]["before"] == {}
    assert predicted["diff"]["after"]["properties"]["principalId"] == principal
    assert request_log.writes(mark) == []

    created = run_module("role_assignment", args)
    assert created["changed"] is True
    assert created["name"] == predicted["name"], "the name is deterministic"
    assert created["state"]["properties"]["principalId"] == principal

    mark = request_log.mark()
    for role in ("Cognitive Services User", COGNITIVE_SERVICES_USER, created["role_definition_id"]):
        again = run_module("role_assignment", dict(args, role=role))
        assert again["changed"] is False and again["id"] == created["id"]
    assert request_log.writes(mark) == [], "re-runs only read, whatever form the role is given in"

    other = str(uuid.uuid4())
    second = run_module("role_assignment", dict(args, principal_id=other))
    assert second["changed"] is True and second["name"] != created["name"]

    narrower = run_module("role_assignment", dict(args, role="Cognitive Services OpenAI User"))
    assert narrower["changed"] is True and narrower["name"] != created["name"]

    deleted = run_module("role_assignment", dict(args, state="absent"), diff=True)
    assert deleted["changed"] is True and deleted["state"] is None
    assert deleted["diff"]["before"]["properties"]["principalId"] == principal
    mark = request_log.mark()
    assert run_module("role_assignment", dict(args, state="absent"))["changed"] is False
    assert request_log.writes(mark) == []
    assert run_module("role_assignment", dict(args, principal_id=other))["changed"] is False, \
        "the other principal's assignment is untouched"
    run_module("role_assignment", dict(args, principal_id=other, state="absent"))
    run_module("role_assignment", dict(args, role="Cognitive Services OpenAI User", state="absent"))


def test_inherited_assignment_is_not_this_scope(run_module, resource_group, endpoint):
    subscription = "/subscriptions/%s" % endpoint["subscription_id"]
    principal = str(uuid.uuid4())
    args = {"role": "Reader", "principal_id": principal}
    run_module("role_assignment", dict(args, scope="%s/resourceGroups/%s" % (subscription, resource_group)))
    account_scope = ("%s/resourceGroups/%s/providers/Microsoft.CognitiveServices/accounts/none"
                     % (subscription, resource_group))
    predicted = run_module("role_assignment", dict(args, scope=account_scope), check=True)
    assert predicted["changed"] is True
    run_module("role_assignment", dict(args, scope="%s/resourceGroups/%s" % (subscription, resource_group),
                                       state="absent"))


def test_bad_input_fails_before_any_write(run_module, resource_group, endpoint, request_log):
    scope = "/subscriptions/%s/resourceGroups/%s" % (endpoint["subscription_id"], resource_group)
    mark = request_log.mark()
    unknown = run_module("role_assignment", {"scope": scope, "role": "No Such Role",
                                             "principal_id": str(uuid.uuid4())}, expect_failure=True)
    assert "matches no role definition" in unknown["msg"]
    bad_principal = run_module("role_assignment", {"scope": scope, "role": "Reader", "principal_id": "bob"},
                               expect_failure=True)
    assert "GUID" in bad_principal["msg"]
    assert request_log.writes(mark) == []


def test_check_mode_on_a_scope_still_to_come(run_module, resource_group, endpoint, request_log):
    scope = ("/subscriptions/%s/resourceGroups/%s/providers/Microsoft.CognitiveServices/accounts/acct-later"
             % (endpoint["subscription_id"], resource_group))
    mark = request_log.mark()
    result = run_module("role_assignment", {"scope": scope, "role": "Cognitive Services User",
                                            "principal_id": str(uuid.uuid4())}, check=True)
    assert result["changed"] is True
    assert request_log.writes(mark) == []


def test_a_principal_created_moments_ago_is_retried_until_it_replicates(run_module, resource_group, endpoint,
                                                                        request_log):
    """Learn, Troubleshoot Azure RBAC: right after a managed identity is created, ARM may answer PrincipalNotFound
    (replication delay). The endpoint refuses for 60 of its seconds; the module retries; the test moves the
    endpoint's clock once it has seen the refusal (it never waits for time to pass)."""
    import threading

    import requests
    from azure.identity import ClientSecretCredential
    from azure.mgmt.msi import ManagedServiceIdentityClient

    def control(method, path, body=None):
        answer = requests.request(method, endpoint["arm_endpoint"] + path, json=body, timeout=30,
                                  verify=endpoint["ca_bundle"])
        answer.raise_for_status()

    credential = ClientSecretCredential(endpoint["tenant_id"], endpoint["client_id"], endpoint["client_secret"],
                                        authority=endpoint["authority_host"], disable_instance_discovery=True,
                                        connection_verify=endpoint["ca_bundle"])
    identities = ManagedServiceIdentityClient(
        credential, endpoint["subscription_id"], base_url=endpoint["arm_endpoint"],
        connection_verify=endpoint["ca_bundle"], credential_scopes=["https://management.azure.com/.default"])
    control("POST", "/localazure/authorization/propagation", {"principal_replication_seconds": 60})
    try:
        principal = identities.user_assigned_identities.create_or_update(
            resource_group, "id-just-made", {"location": "eastus"}).principal_id
        mark = request_log.mark()
        refused = threading.Event()

        def replicate_once_refused():
            while not refused.is_set():
                if any(entry["method"] == "PUT" and "roleAssignments" in entry["path"] and entry["status"] == 400
                       for entry in request_log.since(mark)):
                    refused.set()
                    control("POST", "/localazure/clock", {"advance_seconds": 61})
                else:
                    refused.wait(0.2)
        watcher = threading.Thread(target=replicate_once_refused, daemon=True)
        watcher.start()
        scope = "/subscriptions/%s/resourceGroups/%s" % (endpoint["subscription_id"], resource_group)
        created = run_module("role_assignment", {"scope": scope, "role": "Cognitive Services User",
                                                 "principal_id": principal})
        refused.set()
        watcher.join(30)
        assert created["changed"] is True and created["state"]["properties"]["principalId"] == principal
        puts = [entry["status"] for entry in request_log.since(mark)
                if entry["method"] == "PUT" and "roleAssignments" in entry["path"]]
        assert puts[0] == 400 and puts[-1] in (200, 201), puts
    finally:
        control("DELETE", "/localazure/authorization/propagation")
