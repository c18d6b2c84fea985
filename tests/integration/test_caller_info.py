"""caller_info against the local endpoint: the principal the credentials sign in as, never the token."""
import json
import uuid


def test_names_the_service_principal_without_the_token(run_module, endpoint, request_log, resource_group):
    mark = request_log.mark()
    caller = run_module("caller_info", {})
    assert caller["changed"] is False and caller["state"] is None
    assert caller["tenant_id"] == endpoint["tenant_id"]
    assert caller["client_id"] == endpoint["client_id"]
    assert caller["principal_type"] == "ServicePrincipal"
    assert str(uuid.UUID(caller["object_id"])) == caller["object_id"]
    assert endpoint["client_secret"] not in caller["_stdout"]
    assert "eyJ" not in caller["_stdout"], "no JWT in the result"
    assert request_log.writes(mark) == []
    # the same in check mode, and the id is one a role assignment takes
    assert run_module("caller_info", {}, check=True)["object_id"] == caller["object_id"]
    scope = "/subscriptions/%s/resourceGroups/%s" % (endpoint["subscription_id"], resource_group)
    granted = run_module("role_assignment", {"scope": scope, "role": "Azure AI User",
                                             "principal_id": caller["object_id"],
                                             "principal_type": caller["principal_type"]})
    assert granted["state"]["properties"]["principalId"] == caller["object_id"]


def test_a_wrong_secret_fails_clearly_and_is_not_printed(run_module):
    result = run_module("caller_info", {"secret": "not-the-secret"}, expect_failure=True)
    assert "get a token failed" in result["msg"]
    assert "not-the-secret" not in json.dumps({k: v for k, v in result.items() if k != "invocation"})


def test_returns_the_callers_permissions_at_a_scope(run_module, endpoint, request_log, resource_group):
    caller = run_module("caller_info", {})
    assert "permissions" not in caller
    # the endpoint's service principal owns the subscription (its standing role, localazure README)
    group = run_module("caller_info", {"resource_group": resource_group})
    assert [p["actions"] for p in group["permissions"]] == [["*"]]
    scope = "/subscriptions/%s/resourceGroups/%s" % (endpoint["subscription_id"], resource_group)
    run_module("role_assignment", {"scope": scope, "role": "Reader", "principal_id": caller["object_id"],
                                   "principal_type": caller["principal_type"]})
    mark = request_log.mark()
    on_group = run_module("caller_info", {"resource_group": resource_group}, check=True)
    assert [p["actions"] for p in on_group["permissions"]] == [["*"], ["*/read"]]
    # a resource below the group inherits the group's roles (it need not exist to be asked about)
    on_service = run_module("caller_info", {"resource_group": resource_group,
                                            "resource_type": "Microsoft.ApiManagement/service",
                                            "resource_name": "apim-anything"})
    assert on_service["permissions"] == on_group["permissions"]
    assert request_log.writes(mark) == []


def test_returns_the_permissions_at_the_subscription_and_each_group(run_module, endpoint, request_log,
                                                                    resource_group):
    caller = run_module("caller_info", {})
    scope = "/subscriptions/%s/resourceGroups/%s" % (endpoint["subscription_id"], resource_group)
    run_module("role_assignment", {"scope": scope, "role": "Reader", "principal_id": caller["object_id"],
                                   "principal_type": caller["principal_type"]})
    mark = request_log.mark()
    found = run_module("caller_info", {"resource_groups": [resource_group, "rg-not-made-yet", resource_group]},
                       check=True)
    assert found["existing_resource_groups"] == [resource_group]
    held = found["scope_permissions"]
    assert sorted(held) == ["resourceGroups/%s" % resource_group, "resourceGroups/rg-not-made-yet", "subscription"]
    assert [p["actions"] for p in held["subscription"]] == [["*"]]
    assert [p["actions"] for p in held["resourceGroups/%s" % resource_group]] == [["*"], ["*/read"]]
    # a group not made yet inherits what the subscription holds
    assert held["resourceGroups/rg-not-made-yet"] == held["subscription"]
    assert "/subscriptions/%s/providers/Microsoft.Authorization/permissions" % endpoint["subscription_id"] in [
        entry["path"] for entry in request_log.since(mark)]
    assert request_log.writes(mark) == []


def test_a_scope_that_does_not_fit_together_fails_before_any_request(run_module, request_log, resource_group):
    mark = request_log.mark()
    for params, named in (
            ({"resource_type": "Microsoft.ApiManagement/service", "resource_name": "a"}, "need resource_group"),
            ({"resource_group": resource_group, "resource_type": "Microsoft.ApiManagement/service"}, "go together"),
            ({"resource_group": resource_group, "resource_type": "Microsoft.ApiManagement/service/apis",
              "resource_name": "only-the-service"}, "one resource per segment"),
            ({"resource_group": resource_group, "resource_type": "service", "resource_name": "a"},
             "must be <Namespace>/<type>"),
            ({"resource_groups": [resource_group], "resource_group": resource_group}, "cannot be combined"),
            ({"resource_groups": [""]}, "must name groups")):
        failed = run_module("caller_info", params, expect_failure=True)
        assert named in failed["msg"], failed["msg"]
    assert request_log.since(mark) == []
