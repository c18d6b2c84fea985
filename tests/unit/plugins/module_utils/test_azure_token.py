"""The run's handed-in token: whose it is, when it is used, when the module signs in itself."""
import json
import subprocess
import sys
from pathlib import Path

import pytest

from ansible_collections.aigateway.foundry.plugins.module_utils.azure_auth import AuthError, resolve_settings
from ansible_collections.aigateway.foundry.plugins.module_utils.azure_token import (
    EXPIRY_MARGIN_SECONDS,
    HandedToken,
    handed_token,
    identity_key,
    token_to_hand,
)
from tests.unit.plugins.fakes import make_module

SCOPE = "https://management.azure.com/.default"
BASE = dict(auth_source="credential", client_id="c", secret="s", tenant="t", subscription_id="sub")


def settings(**overrides):
    return resolve_settings(dict(BASE, **overrides), environ={})


class Fallback(object):
    """The credential a module would build itself; counts how often it is built and asked."""

    def __init__(self):
        self.built = 0
        self.asked = []

    def __call__(self):
        self.built += 1
        return self

    def get_token(self, *scopes, **kwargs):
        self.asked.append(scopes)
        return type("Token", (), {"token": "own-token", "expires_on": 5000})()


def handed(now, expires_on=10000, fallback=None):
    return HandedToken("run-token", expires_on, SCOPE, fallback or Fallback(), now=lambda: now)


def test_identity_key_names_who_asks_where_but_not_the_secret():
    key = identity_key(settings())
    assert key == identity_key(settings(secret="another secret"))
    assert len(key) == 32 and set(key) <= set("0123456789abcdef")
    for other in (dict(client_id="c2"), dict(tenant="t2"), dict(authority_host="https://login.example.test"),
                  dict(cloud_environment="AzureChinaCloud"), dict(auth_source="auto")):
        assert identity_key(settings(**other)) != key, other


def test_a_token_is_taken_only_for_the_identity_it_was_obtained_for():
    own = identity_key(settings())
    assert handed_token(settings()) is None
    assert handed_token(settings(access_token="x", access_token_expires_on=99, access_token_identity=own)) == ("x", 99)
    assert handed_token(settings(access_token="x", access_token_expires_on=99,
                                 access_token_identity=identity_key(settings(client_id="other")))) is None


def test_a_token_without_its_expiry_or_identity_is_refused_before_any_request():
    with pytest.raises(AuthError, match="access_token needs access_token_expires_on and access_token_identity"):
        settings(access_token="x")


def test_the_handed_token_serves_its_scope_while_enough_life_is_left():
    fallback = Fallback()
    credential = handed(now=10000 - EXPIRY_MARGIN_SECONDS - 1, fallback=fallback)
    assert credential.get_token(SCOPE).token == "run-token"
    info = credential.get_token_info(SCOPE)
    assert (info.token, info.expires_on) == ("run-token", 10000)
    assert fallback.built == 0


def test_near_its_expiry_the_module_signs_in_itself_once():
    fallback = Fallback()
    credential = handed(now=10000 - EXPIRY_MARGIN_SECONDS, fallback=fallback)
    assert credential.get_token(SCOPE).token == "own-token"
    assert credential.get_token_info(SCOPE).token == "own-token"
    assert fallback.built == 1 and fallback.asked == [(SCOPE,), (SCOPE,)]


def test_another_audience_is_never_served_the_resource_manager_token():
    fallback = Fallback()
    credential = handed(now=0, fallback=fallback)
    assert credential.get_token("https://ai.azure.com/.default").token == "own-token"
    assert fallback.asked == [("https://ai.azure.com/.default",)]


def test_token_to_hand_passes_a_usable_token_on_without_a_request():
    fallback = Fallback()
    assert token_to_hand(handed(now=0, fallback=fallback), SCOPE) == ("run-token", 10000, False)
    assert token_to_hand(handed(now=9900, fallback=fallback), SCOPE) == ("own-token", 5000, True)
    assert token_to_hand(Fallback(), SCOPE) == ("own-token", 5000, True)
    assert fallback.asked == [(SCOPE,)]


def test_the_module_wraps_a_handed_token_and_builds_no_credential_of_its_own():
    own = identity_key(settings(subscription_id="00000000-0000-0000-0000-000000000000"))
    module = make_module(access_token="run-token", access_token_expires_on=4102444800, access_token_identity=own)
    assert isinstance(module.credential, HandedToken)
    assert module.credential.get_token(SCOPE).token == "run-token"
    other = make_module(access_token="run-token", access_token_expires_on=4102444800,
                        access_token_identity=identity_key(settings(client_id="other")))
    assert other.credential.handed() == (None, 0), "another identity's token is not taken"
    uncached = make_module(access_token="run-token", access_token_expires_on=4102444800, token_cache=False,
                           access_token_identity=identity_key(settings(client_id="other")))
    assert not isinstance(uncached.credential, HandedToken)


def test_with_a_handed_token_a_module_process_never_imports_azure_identity(tmp_path):
    # A fresh interpreter: this one has azure.identity loaded by other tests.
    script = tmp_path / "probe.py"
    script.write_text(
        "import json, sys\n"
        "from tests.unit.plugins.fakes import patch_module_args\n"
        "from ansible_collections.aigateway.foundry.plugins.module_utils.azure_module import AzureModule\n"
        "from ansible_collections.aigateway.foundry.plugins.module_utils.azure_token import identity_key\n"
        "args = json.loads(sys.argv[1])\n"
        "with patch_module_args(args):\n"
        "    module = AzureModule({})\n"
        "module.client('resource')\n"
        "token = module.credential.get_token(module.settings['credential_scope']).token\n"
        "print(json.dumps([token, sorted(m for m in sys.modules if m.startswith(('azure.identity', 'msal')))]))\n")
    base = dict(BASE, subscription_id="00000000-0000-0000-0000-000000000000")
    args = dict(base, access_token="run-token", access_token_expires_on=4102444800,
                access_token_identity=identity_key(settings(subscription_id=base["subscription_id"])))
    root = Path(__file__).resolve().parents[4]
    found = subprocess.run([sys.executable, str(script), json.dumps(args)], capture_output=True, text=True,
                           check=True, cwd=root, env={"PYTHONPATH": "%s:%s" % (root / ".collections", root)})
    assert json.loads(found.stdout) == ["run-token", []]
