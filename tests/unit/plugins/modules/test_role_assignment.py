"""Pure functions of role_assignment."""
import uuid

from ansible_collections.aigateway.foundry.plugins.modules import role_assignment as module

SUB = "00000000-0000-0000-0000-000000000000"
ROLE = "a97b65f3-24c7-4388-baec-2e87135dc908"
ROLE_ID = "/subscriptions/%s/providers/Microsoft.Authorization/roleDefinitions/%s" % (SUB, ROLE)
SCOPE = "/subscriptions/%s/resourceGroups/rg/providers/Microsoft.CognitiveServices/accounts/a" % SUB
P1, P2 = str(uuid.uuid4()), str(uuid.uuid4())


def test_name_depends_on_scope_role_and_principal():
    name = module.assignment_name(SCOPE, ROLE_ID, P1)
    assert str(uuid.UUID(name)) == name
    assert module.assignment_name(SCOPE.upper() + "/", ROLE_ID.upper(), P1.upper()) == name
    assert module.assignment_name(SCOPE, ROLE_ID, P2) != name
    assert module.assignment_name(SCOPE + "x", ROLE_ID, P1) != name
    assert module.assignment_name(SCOPE, ROLE_ID.replace(ROLE, str(uuid.uuid4())), P1) != name


def test_role_forms():
    assert module.definition_id_for(ROLE, SUB) == ROLE_ID
    assert module.definition_id_for(ROLE_ID, SUB) == ROLE_ID
    assert module.definition_id_for("Cognitive Services User", SUB) is None


def assignment(scope, role_id, principal):
    return {"id": scope + "/providers/Microsoft.Authorization/roleAssignments/x",
            "properties": {"scope": scope, "roleDefinitionId": role_id, "principalId": principal}}


def test_matching_is_exact_on_scope_role_and_principal():
    mine = assignment(SCOPE, ROLE_ID, P1)
    inherited = assignment("/subscriptions/%s/resourceGroups/rg" % SUB, ROLE_ID, P1)
    other_role = assignment(SCOPE, ROLE_ID.replace(ROLE, "5e0bd9bd-7b93-4f28-af87-19fc36ad61bd"), P1)
    other_principal = assignment(SCOPE, ROLE_ID, P2)
    found = module.matching([inherited, other_role, other_principal, mine], SCOPE + "/", ROLE_ID.upper(), P1.upper())
    assert found == [mine]


def test_validation():
    params = {"scope": SCOPE, "role": "Reader", "principal_id": P1}
    assert module.validate(params) is None
    assert "GUID" in module.validate(dict(params, principal_id="bob"))
    assert "starting with /" in module.validate(dict(params, scope="subscriptions/x"))
    assert "role definition id" in module.validate(dict(params, role=SCOPE))
