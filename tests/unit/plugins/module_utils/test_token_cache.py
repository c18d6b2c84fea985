"""The user's token cache: whose token a file is, when it is used, how it is kept; a run signs in once."""
import json
import multiprocessing
import os
import stat
import threading
import time

import pytest

from ansible_collections.aigateway.foundry.plugins.module_utils import token_cache as cache_module
from ansible_collections.aigateway.foundry.plugins.module_utils.azure_auth import credential_kind
from ansible_collections.aigateway.foundry.plugins.module_utils.azure_token import (
    EXPIRY_MARGIN_SECONDS,
    HandedToken,
    token_to_hand,
)
from ansible_collections.aigateway.foundry.plugins.module_utils.token_cache import (
    TokenCache,
    cache_directory,
    cache_key,
    token_cache,
)
from tests.unit.plugins.fakes import make_module
from tests.unit.plugins.module_utils.test_azure_token import SCOPE, settings

NOW = 1_000_000


def cache_for(directory, now=NOW, **overrides):
    found = settings(**overrides)
    return token_cache(found, credential_kind(found), EXPIRY_MARGIN_SECONDS, environ={"XDG_CACHE_HOME": str(directory)},
                       now=lambda: now)


def mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


class SignIn(object):
    """The credential a module builds to sign in; counts the sign-ins."""

    def __init__(self, token="signed-in", expires_on=NOW + 3600):
        self.token, self.expires_on, self.asked = token, expires_on, 0

    def __call__(self):
        return self

    def get_token(self, *scopes, **kwargs):
        self.asked += 1
        return type("Token", (), {"token": self.token, "expires_on": self.expires_on})()


def run_token(cache, sign_in, now=NOW):
    return HandedToken(None, 0, SCOPE, sign_in, now=lambda: now, cache=cache)


def test_the_cache_lives_in_the_users_cache_directory():
    assert cache_directory({"XDG_CACHE_HOME": "/x/cache"}) == "/x/cache/aigateway.foundry"
    home = os.path.expanduser("~")
    assert cache_directory({}) == os.path.join(home, ".cache", "aigateway.foundry")
    assert cache_directory({"XDG_CACHE_HOME": "relative"}) == os.path.join(home, ".cache", "aigateway.foundry"), \
        "the XDG spec ignores a relative path"


def test_a_token_signed_in_for_is_found_by_the_next_task_without_a_sign_in(tmp_path):
    first = SignIn()
    assert token_to_hand(run_token(cache_for(tmp_path), first), SCOPE) == ("signed-in", NOW + 3600, True)
    later = SignIn(token="not wanted")
    cache = cache_for(tmp_path)
    assert cache.read() == ("signed-in", NOW + 3600)
    assert token_to_hand(run_token(cache, later), SCOPE) == ("signed-in", NOW + 3600, False)
    assert run_token(cache, later).get_token(SCOPE).token == "signed-in"
    assert (first.asked, later.asked) == (1, 0)


@pytest.mark.parametrize("other", [dict(tenant="t2"), dict(client_id="c2"), dict(secret="rotated"),
                                   dict(authority_host="https://login.example.test"),
                                   dict(cloud_environment="AzureChinaCloud"), dict(auth_source="env")])
def test_another_tenant_client_secret_or_cloud_never_reuses_a_token(tmp_path, other):
    run_token(cache_for(tmp_path), SignIn()).get_token(SCOPE)
    elsewhere = cache_for(tmp_path, **other)
    assert elsewhere.key != cache_for(tmp_path).key and elsewhere.read() is None
    sign_in = SignIn(token="its own")
    assert run_token(elsewhere, sign_in).get_token(SCOPE).token == "its own" and sign_in.asked == 1


def test_a_file_named_for_one_key_but_holding_another_is_not_used(tmp_path):
    ours, theirs = cache_for(tmp_path), cache_for(tmp_path, tenant="t2")
    theirs.store("theirs", NOW + 3600)
    os.replace(theirs.path, ours.path)
    assert ours.read() is None


def test_an_expired_token_or_one_within_the_margin_is_not_used(tmp_path):
    cache = cache_for(tmp_path)
    cache.store("old", NOW + EXPIRY_MARGIN_SECONDS)
    assert cache.read() is None
    sign_in = SignIn()
    assert run_token(cache, sign_in).get_token(SCOPE).token == "signed-in" and sign_in.asked == 1
    assert cache.read() == ("signed-in", NOW + 3600), "the new token replaced the old"
    assert cache_for(tmp_path, now=NOW + 3600 - EXPIRY_MARGIN_SECONDS).read() is None
    cache.store("too long", NOW + 2 * 24 * 3600)
    assert cache.read() is None, "no Entra ID token lives longer than a day"


def test_the_file_is_0600_in_a_0700_directory_and_holds_the_token_only(tmp_path):
    cache = cache_for(tmp_path, secret="the-client-secret")
    assert cache.store("signed-in", NOW + 3600)
    assert mode(cache.directory) == 0o700 and mode(cache.path) == 0o600
    assert json.loads(open(cache.path).read()) == {"format": 1, "key": cache.key, "access_token": "signed-in",
                                                   "expires_on": NOW + 3600}
    assert os.listdir(cache.directory) == [os.path.basename(cache.path)], "no temporary file left"
    assert "the-client-secret" not in cache.path


def test_a_directory_open_to_others_is_made_private_again(tmp_path):
    cache = cache_for(tmp_path)
    os.makedirs(cache.directory, 0o755)
    os.chmod(cache.directory, 0o755)
    assert cache.store("signed-in", NOW + 3600) and mode(cache.directory) == 0o700


def test_a_file_open_to_others_is_not_trusted(tmp_path):
    cache = cache_for(tmp_path)
    cache.store("signed-in", NOW + 3600)
    os.chmod(cache.path, 0o644)
    assert cache.read() is None


@pytest.mark.parametrize("content", ["", "{", "[]", '{"format": 1}', "null",
                                     '{"format": 1, "key": "%s", "access_token": 5, "expires_on": 2000000}',
                                     '{"format": 1, "key": "%s", "access_token": "t", "expires_on": "soon"}'])
def test_a_corrupt_file_is_ignored_and_replaced(tmp_path, content):
    cache = cache_for(tmp_path)
    os.makedirs(cache.directory, 0o700)
    fd = os.open(cache.path, os.O_WRONLY | os.O_CREAT, 0o600)
    os.write(fd, content.replace("%s", cache.key).encode())
    os.close(fd)
    assert cache.read() is None
    sign_in = SignIn()
    assert run_token(cache, sign_in).get_token(SCOPE).token == "signed-in" and sign_in.asked == 1
    assert cache.read() == ("signed-in", NOW + 3600)


def test_a_link_in_place_of_the_file_is_not_followed(tmp_path):
    cache = cache_for(tmp_path)
    elsewhere = cache_for(tmp_path / "elsewhere")
    elsewhere.store("planted", NOW + 3600)
    os.makedirs(cache.directory, 0o700)
    os.symlink(elsewhere.path, cache.path)
    assert cache.read() is None


def test_an_unusable_cache_costs_sign_ins_never_the_task(tmp_path):
    (tmp_path / "aigateway.foundry").write_text("a file where the directory belongs")
    cache = cache_for(tmp_path)
    sign_in = SignIn()
    assert not cache.store("signed-in", NOW + 3600)
    assert run_token(cache, sign_in).get_token(SCOPE).token == "signed-in" and sign_in.asked == 1


def test_only_credentials_the_options_decide_are_cached(tmp_path):
    assert cache_for(tmp_path) is not None
    assert cache_for(tmp_path, auth_source="auto") is not None, "auto with a client secret is that secret's"
    for other in (dict(auth_source="cli"), dict(auth_source="msi"), dict(auth_source="auto", secret=None),
                  dict(token_cache=False)):
        assert cache_for(tmp_path, **other) is None, other


def test_other_audiences_are_neither_read_from_nor_kept_in_the_cache(tmp_path):
    cache = cache_for(tmp_path)
    sign_in = SignIn(token="data plane")
    assert run_token(cache, sign_in).get_token("https://ai.azure.com/.default").token == "data plane"
    assert cache.read() is None


def test_tasks_that_start_together_sign_in_once(tmp_path):
    """Forks or a loop over hosts: the first signs in under the cache's lock, the others wait and read its token."""
    tasks = 4
    entered = threading.Semaphore(0)

    class SlowSignIn(SignIn):
        signed = []

        def get_token(self, *scopes, **kwargs):
            # Sign in only once every other task has started too: without the lock all of them would get here.
            for _other_task in range(tasks - 1):
                entered.acquire(timeout=5)
            SlowSignIn.signed.append(1)
            return SignIn.get_token(self, *scopes)

    class Counting(TokenCache):
        def signing_in(self):
            entered.release()
            return TokenCache.signing_in(self)

    found = []

    def task():
        cache = Counting(cache_for(tmp_path).directory, cache_for(tmp_path).key, EXPIRY_MARGIN_SECONDS,
                         now=lambda: NOW)
        found.append(run_token(cache, SlowSignIn()).get_token(SCOPE).token)
    threads = [threading.Thread(target=task) for _task in range(tasks)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert found == ["signed-in"] * tasks and len(SlowSignIn.signed) == 1


def _write_many(directory, key, worker):
    cache = TokenCache(directory, key, EXPIRY_MARGIN_SECONDS, now=lambda: NOW)
    for round_ in range(40):
        cache.store("token-%d-%d-%s" % (worker, round_, "x" * 2000), NOW + 3600)


def test_concurrent_writers_never_leave_half_a_file(tmp_path):
    cache = cache_for(tmp_path)
    cache.store("first", NOW + 3600)
    writers = [multiprocessing.Process(target=_write_many, args=(cache.directory, cache.key, n)) for n in range(4)]
    for writer in writers:
        writer.start()
    reads = []
    while any(writer.is_alive() for writer in writers):
        reads.append(cache.read())
    for writer in writers:
        writer.join()
    assert reads and all(found is not None for found in reads), "every read found a whole token"
    assert sorted(os.listdir(cache.directory)) == [os.path.basename(cache.path)]


def test_files_past_any_tokens_life_are_pruned_when_a_token_is_kept(tmp_path):
    old = cache_for(tmp_path, tenant="gone")
    old.store("old", NOW + 3600)
    os.utime(old.path, (NOW - 2 * 24 * 3600, NOW - 2 * 24 * 3600))
    cache = cache_for(tmp_path)
    cache.store("new", NOW + 3600)
    assert sorted(os.listdir(cache.directory)) == [os.path.basename(cache.path)]


def test_a_module_finds_the_cached_token_and_builds_no_credential(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    first = make_module()
    key = cache_key(first.settings)
    assert key == cache_for(tmp_path, subscription_id="00000000-0000-0000-0000-000000000000").key
    TokenCache(cache_module.cache_directory(), key, EXPIRY_MARGIN_SECONDS).store("cached", int(time.time()) + 3600)
    module = make_module()
    monkeypatch.setattr(module, "build_credential", lambda: pytest.fail("signed in despite the cached token"))
    assert module.credential.get_token(SCOPE).token == "cached"
    assert not isinstance(make_module(token_cache=False).credential, HandedToken)


def test_a_claims_challenge_signs_in_again_instead_of_answering_with_the_refused_token(tmp_path):
    cache = cache_for(tmp_path)
    cache.store("refused", NOW + 3600)
    sign_in = SignIn(token="fresh")
    credential = run_token(cache_for(tmp_path), sign_in)
    assert credential.get_token(SCOPE).token == "refused" and sign_in.asked == 0
    assert credential.get_token(SCOPE, claims='{"access_token": {}}').token == "fresh"
    assert credential.get_token_info(SCOPE, options={"claims": '{"access_token": {}}'}).token == "fresh"
    assert sign_in.asked == 2
