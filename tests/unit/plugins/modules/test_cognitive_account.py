"""cognitive_account: pure functions, and the soft-delete conflict path with a fake SDK client."""
import json

from ansible_collections.aigateway.foundry.plugins.module_utils.soft_delete import FOUNDRY_ACCOUNTS, Recovery
from ansible_collections.aigateway.foundry.plugins.modules import cognitive_account as module
from ansible_collections.aigateway.foundry.plugins.module_utils.azure_state import differences
from tests.unit.plugins.fakes import Failed, Poller, SdkError, make_module


def params(**extra):
    base = {"name": "Models-Foundry", "resource_group": "rg", "location": None, "kind": "AIServices", "sku": "S0",
            "identity": {"type": "SystemAssigned", "user_assigned_identities": None}, "custom_subdomain": None,
            "allow_project_management": True, "disable_local_auth": None, "public_network_access": None,
            "tags": None, "purge_tags": False, "soft_deleted": "fail", "purge": False, "state": "present"}
    base.update(extra)
    return base


CURRENT = {"id": "/subscriptions/s/resourceGroups/rg/providers/Microsoft.CognitiveServices/accounts/Models-Foundry",
           "kind": "AIServices", "location": "swedencentral", "sku": {"name": "S0"}, "tags": {"a": "1"},
           "identity": {"type": "SystemAssigned", "principalId": "p", "tenantId": "t"},
           "properties": {"customSubDomainName": "models-foundry", "allowProjectManagement": True,
                          "disableLocalAuth": False, "endpoint": "https://x/", "provisioningState": "Succeeded",
                          "networkAcls": {"defaultAction": "Allow"}}}


def test_desired_body_defaults_subdomain_and_leaves_unmanaged_out():
    body = module.desired_body(params(), None, "swedencentral")
    assert body["properties"] == {"customSubDomainName": "models-foundry", "allowProjectManagement": True}
    assert body["identity"] == {"type": "SystemAssigned"}
    assert "tags" not in body


def test_unchanged_account_has_no_differences():
    desired = module.desired_body(params(location="Sweden Central"), CURRENT, "Sweden Central")
    assert differences(desired, CURRENT, normalisers=module.NORMALISERS) == []
    changed = module.desired_body(params(disable_local_auth=True), CURRENT, "swedencentral")
    assert differences(changed, CURRENT, normalisers=module.NORMALISERS) == ["properties.disableLocalAuth"]


def test_write_body_carries_unmanaged_fields_without_read_only_identity():
    desired = module.desired_body(params(disable_local_auth=True), CURRENT, "swedencentral")
    body = module.write_body(CURRENT, desired)
    assert body["properties"]["networkAcls"] == {"defaultAction": "Allow"}
    assert body["properties"]["disableLocalAuth"] is True
    assert "endpoint" not in body["properties"] and "provisioningState" not in body["properties"]
    assert body["identity"] == {"type": "SystemAssigned"}
    assert body["tags"] == {"a": "1"}


def test_user_assigned_identity():
    uai = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id1"
    body = module.desired_body(params(identity={"type": "UserAssigned", "user_assigned_identities": [uai]}),
                               None, "swedencentral")
    assert body["identity"] == {"type": "UserAssigned", "userAssignedIdentities": {uai: {}}}
    current = {"identity": {"type": "UserAssigned",
                            "userAssignedIdentities": {uai.upper(): {"principalId": "p", "clientId": "c"}}}}
    assert differences({"identity": body["identity"]}, current, normalisers=module.NORMALISERS) == []
    no_ids = {"type": "UserAssigned", "user_assigned_identities": None}
    assert "required" in module.validate(params(identity=no_ids), None)


def test_immutable_changes_are_refused():
    assert "kind" in module.validate(params(kind="OpenAI"), CURRENT)
    assert "subdomain" in module.validate(params(custom_subdomain="other"), CURRENT)
    assert "location" in module.validate(params(location="eastus"), CURRENT)
    assert module.validate(params(location="Sweden Central"), CURRENT) is None
    assert module.validate(params(kind="OpenAI", state="absent"), CURRENT) is None


def test_soft_deleted_message_names_both_remedies():
    message = FOUNDRY_ACCOUNTS.refusal(FOUNDRY_ACCOUNTS.assumed_record("rg", "acct", "swedencentral"))
    assert "soft_deleted=restore" in message and "soft_deleted=purge" in message


# ---- Azure's FlagMustBeSetForRestore conflict (the deleted-accounts list can lag a fresh delete) ----------------

class Accounts(object):
    """Answers the first create with the soft-delete conflict, as Azure does for a soft-deleted name."""

    def __init__(self):
        self.creates = []

    def begin_create(self, resource_group, name, body, cls=None):
        sent = json.loads(body.read())
        self.creates.append(sent)
        if len(self.creates) == 1:
            raise SdkError(409, "FlagMustBeSetForRestore", "soft-deleted")
        return Poller((dict(sent, id="/x/" + name, name=name), {}))


class DeletedAccounts(object):
    def __init__(self):
        self.purged = []

    def list(self):
        return []

    def begin_purge(self, location, resource_group, name):
        self.purged.append((location, resource_group, name))
        return Poller(None)


def create_against_conflict(soft_deleted):
    """(client, outcome or failure) of creating account acct while Azure still holds the name."""
    client = type("Client", (), {})()
    client.accounts, client.deleted_accounts = Accounts(), DeletedAccounts()
    given = dict((k, v) for k, v in params(name="acct", soft_deleted=soft_deleted).items() if v is not None)
    azure = make_module(module.ARGUMENT_SPEC, clients={"cognitiveservices": client}, **given)
    target = module.RESOURCE.absent(azure)
    target.recovery = Recovery(FOUNDRY_ACCOUNTS)
    desired = module.desired_body(azure.params, None, "swedencentral")
    try:
        changed, state = module.RESOURCE.converge(azure, target, desired)
    except Failed as failure:
        return client, failure.result
    return client, (changed, state, target.recovery)


def test_conflict_on_create_with_purge_purges_and_creates_again():
    client, (changed, state, outcome) = create_against_conflict("purge")
    assert changed is True and outcome.purged is True
    assert client.deleted_accounts.purged == [("swedencentral", "rg", "acct")]
    assert len(client.accounts.creates) == 2 and state["kind"] == "AIServices"


def test_conflict_on_create_with_restore_sends_restore():
    client, (changed, _state, outcome) = create_against_conflict("restore")
    assert changed is True and outcome.restored is True
    assert client.accounts.creates[1]["properties"] == {"restore": True}


def test_conflict_on_create_with_fail_names_both_remedies():
    client, failure = create_against_conflict("fail")
    assert "soft_deleted=restore" in failure["msg"]
    assert len(client.accounts.creates) == 1 and client.deleted_accounts.purged == []


class RecordingAccounts(object):
    """Creates answer at once; records the SDK options of each create (polling)."""

    def __init__(self):
        self.options, self.stored = [], {}

    def begin_create(self, resource_group, name, body, cls=None, **options):
        self.options.append(options)
        self.stored = dict(json.loads(body.read()), id="/x/" + name, name=name)
        return Poller((self.stored, {}))

    def get(self, resource_group, name, cls=None, **options):
        return (self.stored, {})


def test_a_create_not_awaited_starts_no_poller_thread():
    # wait: false in the task's worker (the ai_services role starts every account so): an SDK poller's thread would
    # go on polling there beside the next items' requests; NoPolling (polling=False) has none
    sent = []
    for wait in (False, True):
        client = type("Client", (), {})()
        client.accounts, client.deleted_accounts = RecordingAccounts(), DeletedAccounts()
        given = dict((k, v) for k, v in params(name="acct", wait=wait).items() if v is not None)
        azure = make_module(module.ARGUMENT_SPEC, clients={"cognitiveservices": client}, **given)
        target = module.RESOURCE.absent(azure)
        target.recovery = Recovery(FOUNDRY_ACCOUNTS)
        changed, _state = module.RESOURCE.converge(azure, target, module.desired_body(azure.params, None,
                                                                                      "swedencentral"))
        assert changed is True
        sent.extend(client.accounts.options)
    assert sent == [{"polling": False}, {}]
