"""Microsoft.Authorization provider: hook unit tests (fake ctx) and real-SDK tests against the endpoint."""
from __future__ import annotations

import uuid

import pytest

from localazure.engine.contract import ArmError
from localazure.services.authorization import assignments as authz
from localazure.services.authorization import propagation
from localazure.services.authorization import state as authz_state
from localazure.services.cognitiveservices.modelhost import ModelHost
from tests.localazure.services.conftest import SUB, FakeCtx, FakeStore

READER = "acdd72a7-3385-48ef-bd42-f606fba81ae7"
CS_USER = "a97b65f3-24c7-4388-baec-2e87135dc908"


def _assignment_id(scope, name):
    return f"{scope}/providers/Microsoft.Authorization/roleAssignments/{name}"


def _body(role=READER, principal="33333333-3333-3333-3333-333333333333"):
    return {"properties": {"roleDefinitionId": authz.role_definition_id(SUB, role), "principalId": principal,
                           "principalType": "ServicePrincipal"}}


def _create(store, scope, name, body):
    rid = _assignment_id(scope, name)
    ctx = FakeCtx(store, rid, body)
    kind = authz.RoleAssignmentKind()
    kind.validate(ctx, body, store.get(rid))
    kind.on_create(ctx, body)
    body.update({"id": rid, "name": name, "type": authz.ASSIGNMENT_TYPE})
    store.put(rid, authz.ASSIGNMENT_TYPE, body)
    return body


RG_SCOPE = f"/subscriptions/{SUB}/resourceGroups/rg1"


def test_create_fills_scope_and_audit_fields():
    body = _create(FakeStore(), RG_SCOPE, str(uuid.uuid4()), _body())
    props = body["properties"]
    assert props["scope"] == RG_SCOPE
    assert props["createdBy"] == props["updatedBy"] == "22222222-2222-2222-2222-222222222222"
    assert props["createdOn"] and props["updatedOn"]


def test_name_must_be_guid():
    with pytest.raises(ArmError) as err:
        _create(FakeStore(), RG_SCOPE, "not-a-guid", _body())
    assert (err.value.status, err.value.code) == (400, "InvalidRoleAssignmentId")


def test_unknown_role_definition_rejected():
    body = _body(role="0b5fe924-9a61-425c-96af-cfe6e287ca2d")
    with pytest.raises(ArmError) as err:
        _create(FakeStore(), RG_SCOPE, str(uuid.uuid4()), body)
    assert (err.value.status, err.value.code) == (400, "RoleDefinitionDoesNotExist")


def test_role_definition_of_another_subscription_rejected():
    body = _body()
    body["properties"]["roleDefinitionId"] = authz.role_definition_id(str(uuid.uuid4()), READER)
    with pytest.raises(ArmError):
        _create(FakeStore(), RG_SCOPE, str(uuid.uuid4()), body)


def test_same_scope_role_principal_under_another_name_conflicts():
    store = FakeStore()
    _create(store, RG_SCOPE, str(uuid.uuid4()), _body())
    with pytest.raises(ArmError) as err:
        _create(store, RG_SCOPE.upper().replace("SUBSCRIPTIONS", "subscriptions"), str(uuid.uuid4()), _body())
    assert (err.value.status, err.value.code, err.value.message) == (
        409, "RoleAssignmentExists", "The role assignment already exists.")


def test_same_principal_other_role_or_scope_is_fine():
    store = FakeStore()
    _create(store, RG_SCOPE, str(uuid.uuid4()), _body())
    _create(store, RG_SCOPE, str(uuid.uuid4()), _body(role=CS_USER))
    _create(store, RG_SCOPE + "2", str(uuid.uuid4()), _body())
    assert len(store.resources) == 3


def test_changing_principal_of_existing_assignment_not_permitted():
    store = FakeStore()
    name = str(uuid.uuid4())
    current = _create(store, RG_SCOPE, name, _body())
    new = _body(principal=str(uuid.uuid4()))
    with pytest.raises(ArmError) as err:
        authz.RoleAssignmentKind().validate(FakeCtx(store, _assignment_id(RG_SCOPE, name), new), new, current)
    assert (err.value.status, err.value.code) == (400, "RoleAssignmentUpdateNotPermitted")


def test_reput_identical_assignment_keeps_created_fields():
    store = FakeStore()
    name = str(uuid.uuid4())
    current = _create(store, RG_SCOPE, name, _body())
    new = _body()
    new["properties"]["description"] = "why"
    ctx = FakeCtx(store, _assignment_id(RG_SCOPE, name), new)
    kind = authz.RoleAssignmentKind()
    kind.validate(ctx, new, current)
    kind.on_update(ctx, current, new)
    assert new["properties"]["createdOn"] == current["properties"]["createdOn"]
    assert new["properties"]["scope"] == RG_SCOPE


def test_role_definition_routes():
    ctx = FakeCtx(FakeStore(), f"/subscriptions/{SUB}", query={"$filter": "roleName eq 'Cognitive Services User'"})
    status, body, _ = authz.role_definitions(ctx, {"scope": "resourceGroups/rg1"})
    assert status == 200 and [d["name"] for d in body["value"]] == [CS_USER]
    status, body, _ = authz.role_definitions(ctx, {"guid": READER.upper()})
    assert body["properties"]["roleName"] == "Reader"
    assert body["id"] == f"/subscriptions/{SUB}/providers/Microsoft.Authorization/roleDefinitions/{READER}"
    with pytest.raises(ArmError) as err:
        authz.role_definitions(ctx, {"guid": str(uuid.uuid4())})
    assert err.value.status == 404


def test_list_filters_follow_scope_hierarchy():
    store = FakeStore()
    account = RG_SCOPE + "/providers/Microsoft.CognitiveServices/accounts/a1"
    principal = "44444444-4444-4444-4444-444444444444"
    at_sub = _create(store, f"/subscriptions/{SUB}", str(uuid.uuid4()), _body(principal=principal))
    at_rg = _create(store, RG_SCOPE, str(uuid.uuid4()), _body())
    at_account = _create(store, account, str(uuid.uuid4()), _body(role=CS_USER, principal=principal))
    other_rg = _create(store, RG_SCOPE + "x", str(uuid.uuid4()), _body())

    def names(scope, filter_text=None):
        """The engine's list at `scope`: the kind's filter_list (it reads the store itself)."""
        ctx = FakeCtx(store, f"{scope}/providers/Microsoft.Authorization/roleAssignments")
        return sorted(a["name"] for a in authz.RoleAssignmentKind().filter_list(ctx, [], filter_text))

    assert names(RG_SCOPE) == sorted([at_sub["name"], at_rg["name"], at_account["name"]])
    assert names(RG_SCOPE, "atScope()") == sorted([at_sub["name"], at_rg["name"]])
    assert names(RG_SCOPE, f"principalId eq '{principal}'") == sorted([at_sub["name"], at_account["name"]])
    assert names(RG_SCOPE, f"assignedTo('{principal}')") == sorted([at_sub["name"], at_account["name"]])
    assert names(account, f"atScope() and assignedTo('{principal}')") == sorted([at_sub["name"], at_account["name"]])
    assert names(account, "atScope()") == sorted([at_sub["name"], at_rg["name"], at_account["name"]])
    assert other_rg["name"] not in names(RG_SCOPE)   # rg1x is a sibling, not below rg1
    assert len(names(f"/subscriptions/{SUB}")) == 4


# --- real SDK against the running endpoint ------------------------------------------------------
@pytest.fixture
def authz_client(credential, endpoint, sdk_kwargs):
    from azure.mgmt.authorization import AuthorizationManagementClient
    return AuthorizationManagementClient(credential, endpoint["subscription_id"], **sdk_kwargs)


@pytest.fixture
def resource_group(credential, endpoint, sdk_kwargs):
    from azure.mgmt.resource.resources import ResourceManagementClient
    rc = ResourceManagementClient(credential, endpoint["subscription_id"], **sdk_kwargs)
    name = f"rg-authz-{uuid.uuid4().hex[:8]}"
    rc.resource_groups.create_or_update(name, {"location": "eastus"})
    yield f"/subscriptions/{endpoint['subscription_id']}/resourceGroups/{name}"
    rc.resource_groups.begin_delete(name).result()


def test_sdk_role_assignment_lifecycle(authz_client, endpoint, resource_group):
    from azure.core.exceptions import HttpResponseError, ResourceExistsError
    sub = endpoint["subscription_id"]
    role_id = authz.role_definition_id(sub, CS_USER)
    principal = str(uuid.uuid4())
    name = str(uuid.uuid4())
    created = authz_client.role_assignments.create(
        resource_group, name, {"role_definition_id": role_id, "principal_id": principal,
                               "principal_type": "ServicePrincipal"})
    assert created.scope.lower() == resource_group.lower()
    assert created.created_on is not None and created.name == name

    got = authz_client.role_assignments.get(resource_group, name)
    assert got.principal_id == principal and got.role_definition_id.lower() == role_id.lower()

    listed = list(authz_client.role_assignments.list_for_scope(
        resource_group, filter=f"principalId eq '{principal}'"))
    assert [a.name for a in listed] == [name]

    with pytest.raises(ResourceExistsError) as dup:
        authz_client.role_assignments.create(
            resource_group, str(uuid.uuid4()), {"role_definition_id": role_id, "principal_id": principal})
    assert dup.value.error.code == "RoleAssignmentExists"

    with pytest.raises(HttpResponseError) as upd:
        authz_client.role_assignments.create(
            resource_group, name, {"role_definition_id": role_id, "principal_id": str(uuid.uuid4())})
    assert upd.value.status_code == 400 and upd.value.error.code == "RoleAssignmentUpdateNotPermitted"

    deleted = authz_client.role_assignments.delete(resource_group, name)
    assert deleted.name == name and deleted.principal_id == principal
    assert authz_client.role_assignments.delete(resource_group, name) is None   # already gone: 204
    assert list(authz_client.role_assignments.list_for_scope(
        resource_group, filter=f"principalId eq '{principal}'")) == []


def test_sdk_role_definitions(authz_client, endpoint):
    scope = f"/subscriptions/{endpoint['subscription_id']}"
    found = list(authz_client.role_definitions.list(scope, filter="roleName eq 'Azure AI User'"))
    assert [d.name for d in found] == ["53ca6127-db72-4b80-b1b0-d745d6d5456d"]
    reader = authz_client.role_definitions.get(scope, READER)
    assert reader.role_name == "Reader" and reader.role_type == "BuiltInRole"


def test_sdk_role_assignments_at_a_resource_scope_list_with_filters_and_delete_with_the_body(
        authz_client, endpoint, resource_group, arm):
    sub = endpoint["subscription_id"]
    widget = f"{resource_group}/providers/Test.Engine/widgets/w-authz"   # any resource is a scope
    assert arm("PUT", f"{widget}?api-version=2024-01-01", json={"location": "eastus"}).status_code == 201
    principal = str(uuid.uuid4())
    parameters = {"role_definition_id": authz.role_definition_id(sub, CS_USER), "principal_id": principal}
    on_group = authz_client.role_assignments.create(resource_group, str(uuid.uuid4()), parameters)
    on_widget = authz_client.role_assignments.create(
        widget, str(uuid.uuid4()), {**parameters, "role_definition_id": authz.role_definition_id(sub, READER)})
    assert on_widget.scope.lower() == widget.lower()

    at_or_above = [a.name for a in authz_client.role_assignments.list_for_scope(widget, filter="atScope()")]
    assert on_group.name in at_or_above and on_widget.name in at_or_above
    group_only = [a.name for a in authz_client.role_assignments.list_for_scope(resource_group, filter="atScope()")]
    assert on_group.name in group_only and on_widget.name not in group_only
    mine = [a.name for a in authz_client.role_assignments.list_for_scope(
        resource_group, filter=f"assignedTo('{principal}')")]
    assert sorted(mine) == sorted([on_group.name, on_widget.name])

    deleted = authz_client.role_assignments.delete(widget, on_widget.name)   # 200 with the assignment
    assert deleted.name == on_widget.name and deleted.principal_id == principal
    assert authz_client.role_assignments.delete(widget, on_widget.name) is None
    authz_client.role_assignments.delete(resource_group, on_group.name)


def _caller_object_id(credential):
    import base64
    import json
    token = credential.get_token("https://management.azure.com/.default").token
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))["oid"]


def _held_without_standing_role(control, read):
    """What `read` answers while the endpoint's service principal holds only the roles assigned in the store (no
    standing role); then it owns the subscription again."""
    assert control("PUT", "/localazure/authorization/standing-role", json={"role": None}).json()["role"] is None
    try:
        return list(read())
    finally:
        assert control("DELETE", "/localazure/authorization/standing-role").json()["role"] == "Owner"


def test_sdk_permissions_are_the_callers_role_definitions_at_or_above_the_scope(
        authz_client, endpoint, credential, resource_group, arm, control):
    sub = endpoint["subscription_id"]
    group = resource_group.rsplit("/", 1)[-1]
    widget = f"{resource_group}/providers/Test.Engine/widgets/w-perms"
    assert arm("PUT", f"{widget}?api-version=2024-01-01", json={"location": "eastus"}).status_code == 201
    caller = _caller_object_id(credential)
    assert _held_without_standing_role(control, lambda: authz_client.permissions.list_for_resource(
        group, "Test.Engine", "", "widgets", "w-perms")) == []

    reader = authz_client.role_assignments.create(resource_group, str(uuid.uuid4()), {
        "role_definition_id": authz.role_definition_id(sub, READER), "principal_id": caller})
    # someone else's Owner on the widget is not the caller's
    other = authz_client.role_assignments.create(widget, str(uuid.uuid4()), {
        "role_definition_id": authz.role_definition_id(sub, "8e3af657-a8ff-443c-a75c-2fe8c4bcb635"),
        "principal_id": str(uuid.uuid4())})
    on_widget = _held_without_standing_role(control, lambda: authz_client.permissions.list_for_resource(
        group, "Test.Engine", "", "widgets", "w-perms"))
    assert [(p.actions, p.not_actions) for p in on_widget] == [(["*/read"], [])]
    contributor = authz_client.role_assignments.create(widget, str(uuid.uuid4()), {
        "role_definition_id": authz.role_definition_id(sub, "b24988ac-6180-42a0-ab88-20f7382dd24c"),
        "principal_id": caller})
    on_widget = _held_without_standing_role(control, lambda: authz_client.permissions.list_for_resource(
        group, "Test.Engine", "", "widgets", "w-perms"))
    assert sorted(p.actions[0] for p in on_widget) == ["*", "*/read"]
    assert "Microsoft.Authorization/*/Write" in next(p for p in on_widget if p.actions == ["*"]).not_actions
    # the Contributor assignment sits below the group: the group's permissions are the Reader's only
    on_group = _held_without_standing_role(control, lambda: authz_client.permissions.list_for_resource_group(group))
    assert [p.actions for p in on_group] == [["*/read"]]
    for scope, assignment in ((resource_group, reader), (widget, other), (widget, contributor)):
        authz_client.role_assignments.delete(scope, assignment.name)


def test_role_definitions_carry_their_permissions(authz_client, endpoint):
    scope = f"/subscriptions/{endpoint['subscription_id']}"
    found = list(authz_client.role_definitions.list(scope, filter="roleName eq 'API Management Service Contributor'"))
    assert [p.actions[0] for p in found[0].permissions] == ["Microsoft.ApiManagement/service/*"]
    assert set(authz.BUILTIN_PERMISSIONS) == set(authz.BUILTIN_ROLES)


OWNER = "8e3af657-a8ff-443c-a75c-2fe8c4bcb635"
CONTRIBUTOR = "b24988ac-6180-42a0-ab88-20f7382dd24c"


def test_by_default_the_caller_owns_the_subscription(endpoint, arm, control):
    assert control("GET", "/localazure/authorization/standing-role").json()["role"] == "Owner"
    answer = arm("GET", f"/subscriptions/{endpoint['subscription_id']}/providers/Microsoft.Authorization/permissions"
                        "?api-version=2022-04-01")
    assert answer.status_code == 200
    assert answer.json()["value"] == [authz.BUILTIN_PERMISSIONS[OWNER]]


def test_a_contributor_on_the_group_may_write_in_it_but_not_assign_roles_nor_purge(
        endpoint, arm, control, credential, resource_group):
    """Contributor's notActions (Learn, built-in roles, Contributor: Microsoft.Authorization/*/Write, .../*/Delete)
    and the subscription-scope purge: 403 AuthorizationFailed naming the action and the scope, as ARM answers."""
    sub = endpoint["subscription_id"]
    caller = _caller_object_id(credential)
    assert control("PUT", "/localazure/authorization/standing-role",
                   json={"role": "Contributor", "scope": resource_group}).json()["role"] == "Contributor"
    try:
        group = arm("GET", f"{resource_group}/providers/Microsoft.Authorization/permissions?api-version=2022-04-01")
        assert group.json()["value"] == [authz.BUILTIN_PERMISSIONS[CONTRIBUTOR]]
        on_sub = arm("GET", f"/subscriptions/{sub}/providers/Microsoft.Authorization/permissions"
                            "?api-version=2022-04-01")
        assert on_sub.json()["value"] == []
        widget = f"{resource_group}/providers/Test.Engine/widgets/w-contributor"
        assert arm("PUT", f"{widget}?api-version=2024-01-01", json={"location": "eastus"}).status_code == 201
        assignment = f"{resource_group}/providers/Microsoft.Authorization/roleAssignments/{uuid.uuid4()}"
        refused = arm("PUT", f"{assignment}?api-version=2022-04-01", json={"properties": {
            "roleDefinitionId": authz.role_definition_id(sub, READER), "principalId": caller}})
        assert refused.status_code == 403
        error = refused.json()["error"]
        assert error["code"] == "AuthorizationFailed"
        assert error["message"] == (
            f"The client '{endpoint['client_id']}' with object id '{caller}' does not have authorization to perform "
            f"action 'Microsoft.Authorization/roleAssignments/write' over scope '{assignment}' or the scope is "
            "invalid. If access was recently granted, please refresh your credentials.")
        purge = arm("DELETE", f"/subscriptions/{sub}/providers/Microsoft.ApiManagement/locations/eastus/"
                              "deletedservices/apim-gone?api-version=2024-05-01")
        assert purge.status_code == 403
        assert "'Microsoft.ApiManagement/locations/deletedservices/delete' over scope '/subscriptions/" \
            in purge.json()["error"]["message"]
        other_group = arm("PUT", f"/subscriptions/{sub}/resourcegroups/rg-not-ours?api-version=2021-04-01",
                          json={"location": "eastus"})
        assert other_group.status_code == 403
        assert "Microsoft.Resources/subscriptions/resourceGroups/write" in other_group.json()["error"]["message"]
    finally:
        assert control("DELETE", "/localazure/authorization/standing-role").json()["role"] == "Owner"
    # Owner again: the role assignment goes through
    assert arm("PUT", f"{assignment}?api-version=2022-04-01", json={"properties": {
        "roleDefinitionId": authz.role_definition_id(sub, READER), "principalId": caller}}).status_code == 201
    assert arm("DELETE", f"{assignment}?api-version=2022-04-01").status_code == 200


def test_the_standing_role_refuses_what_it_cannot_name(control):
    assert control("PUT", "/localazure/authorization/standing-role", json={"role": "Emperor"}).status_code == 400
    assert control("PUT", "/localazure/authorization/standing-role",
                   json={"role": "Owner", "scope": "/subscriptions/another"}).status_code == 400
    assert control("GET", "/localazure/authorization/standing-role").json()["restricted"] is False


# --- eventual consistency (propagation.py) -------------------------------------------------------------
IDENTITY_ID = f"{RG_SCOPE}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id1"
NEW_PRINCIPAL = "44444444-4444-4444-4444-444444444444"
CREATED_AT = "2026-01-01T00:00:00.0000000Z"
CREATED = propagation.epoch(CREATED_AT)


def _store_with_new_identity():
    store = FakeStore()
    store.put(IDENTITY_ID, "Microsoft.ManagedIdentity/userAssignedIdentities", {
        "id": IDENTITY_ID, "type": "Microsoft.ManagedIdentity/userAssignedIdentities",
        "properties": {"principalId": NEW_PRINCIPAL}, "systemData": {"createdAt": CREATED_AT}})
    return store


def _attempt(store, now, principal_type=None):
    rid = _assignment_id(RG_SCOPE, str(uuid.uuid4()))
    body = _body(CS_USER, NEW_PRINCIPAL)
    if principal_type is None:
        del body["properties"]["principalType"]
    ctx = FakeCtx(store, rid, body)
    ctx.now = now
    authz.RoleAssignmentKind().validate(ctx, body, None)


def test_a_principal_created_moments_ago_is_not_found_without_principal_type():
    store = _store_with_new_identity()
    _attempt(store, CREATED + 1)                      # off by default: Azure's delay is not guaranteed
    propagation.configure(store, {"principal_replication_seconds": 60})
    with pytest.raises(ArmError) as refused:
        _attempt(store, CREATED + 59)
    assert (refused.value.status, refused.value.code) == (400, "PrincipalNotFound")
    assert refused.value.message.startswith("Principal 44444444444444444444444444444444 does not exist in the "
                                            "directory ")
    assert "set the role assignment principalType property" in refused.value.message
    _attempt(store, CREATED + 59, principal_type="ServicePrincipal")   # principalType skips the lookup
    _attempt(store, CREATED + 60)                                      # replicated
    _attempt(_store_with_new_identity(), CREATED)                      # reset store: off again


def test_a_new_role_assignment_takes_effect_after_the_configured_propagation_delay():
    store = FakeStore()
    body = _create(store, RG_SCOPE, str(uuid.uuid4()), _body(CS_USER, NEW_PRINCIPAL))
    body["properties"]["createdOn"] = CREATED_AT
    account = f"{RG_SCOPE}/providers/Microsoft.CognitiveServices/accounts/a1"
    assert authz_state.has_role(store, SUB, NEW_PRINCIPAL, account, (CS_USER,), now=CREATED)
    propagation.configure(store, {"assignment_seconds": 600})
    assert not authz_state.has_role(store, SUB, NEW_PRINCIPAL, account, (CS_USER,), now=CREATED + 599)
    assert authz_state.has_role(store, SUB, NEW_PRINCIPAL, account, (CS_USER,), now=CREATED + 600)
    assert authz_state.has_role(store, SUB, NEW_PRINCIPAL, account, (CS_USER,))     # ARM's own view: at once
    # The model host reads the role on its (the endpoint's) clock.
    host = ModelHost(store, SUB, clock=lambda: CREATED + 10)
    assert not host.may_infer(NEW_PRINCIPAL, account)
    host.clock = lambda: CREATED + 600
    assert host.may_infer(NEW_PRINCIPAL, account)


def test_propagation_settings_are_checked():
    store = FakeStore()
    for bad in ({}, {"assignment_seconds": -1}, {"assignment_seconds": True}, {"delay": 5}, [],
                {"principal_replication_seconds": 3601}):
        with pytest.raises(ValueError):
            propagation.configure(store, bad)
    assert propagation.configure(store, {"assignment_seconds": 600}) == {"assignment_seconds": 600,
                                                                         "principal_replication_seconds": 0}
    assert propagation.reset(store) == propagation.DEFAULTS


def test_sdk_principal_not_found_for_a_new_identity_until_it_replicates_on_the_endpoint_clock(
        authz_client, endpoint, resource_group, credential, sdk_kwargs, control):
    """A user-assigned identity created just now: Entra has not replicated it (the control's window), so ARM
    answers PrincipalNotFound unless principalType is given; once the endpoint's clock passes the window, it is
    found. The test moves the clock, it never waits."""
    from azure.core.exceptions import HttpResponseError
    from azure.mgmt.msi import ManagedServiceIdentityClient
    msi = ManagedServiceIdentityClient(credential, endpoint["subscription_id"], **sdk_kwargs)
    group = resource_group.rsplit("/", 1)[-1]
    assert control("POST", "/localazure/authorization/propagation",
                   json={"principal_replication_seconds": 120}).status_code == 200
    try:
        assert control("POST", "/localazure/authorization/propagation", json={"delay": 1}).status_code == 400
        principal = msi.user_assigned_identities.create_or_update(group, "id-new", {"location": "eastus"}).principal_id
        role_id = authz.role_definition_id(endpoint["subscription_id"], CS_USER)
        with pytest.raises(HttpResponseError) as refused:
            authz_client.role_assignments.create(resource_group, str(uuid.uuid4()),
                                                 {"role_definition_id": role_id, "principal_id": principal})
        assert refused.value.status_code == 400 and refused.value.error.code == "PrincipalNotFound"
        assert control("POST", "/localazure/clock", json={"advance_seconds": 121}).status_code == 200
        created = authz_client.role_assignments.create(resource_group, str(uuid.uuid4()),
                                                       {"role_definition_id": role_id, "principal_id": principal})
        assert created.principal_id == principal
    finally:
        control("DELETE", "/localazure/authorization/propagation")
