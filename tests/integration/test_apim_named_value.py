"""apim_named_value against the local endpoint: plain values compared, secret values never printed and not
compared (update_value), Key Vault references, bad input refused before any write."""
import uuid



def test_plain_value_lifecycle(run_module, apim, request_log):
    args = dict(apim, name="tokens-per-minute", value="1000", tags=["limits", "gateway"])

    mark = request_log.mark()
    predicted = run_module("apim_named_value", args, check=True, diff=True)
    assert predicted["changed"] is True
    assert predicted["state"]["properties"]["displayName"] == "tokens-per-minute"
    # a plain value is shown in the diff, not censored as if it were a secret
    assert predicted["diff"]["after"]["properties"]["value"] == "1000"
    assert request_log.writes(mark) == []

    created = run_module("apim_named_value", args)
    assert created["changed"] is True and created["id"] == predicted["id"]

    mark = request_log.mark()
    assert run_module("apim_named_value", dict(args, tags=["gateway", "limits"]))["changed"] is False
    assert request_log.writes(mark) == []

    changed = run_module("apim_named_value", dict(args, value="2000"))
    assert changed["changed"] is True
    writes = request_log.writes(mark)
    assert len(writes) == 1 and writes[0]["method"] == "PATCH"

    assert run_module("apim_named_value", dict(apim, name="tokens-per-minute", state="absent"))["changed"] is True
    mark = request_log.mark()
    assert run_module("apim_named_value", dict(apim, name="tokens-per-minute", state="absent"))["changed"] is False
    assert request_log.writes(mark) == []


def test_secret_value_is_write_only(run_module, apim, request_log):
    secret = "n0t-to-be-printed-%s" % uuid.uuid4().hex[:6]
    args = dict(apim, name="backend-key", display_name="backend-key", value=secret, is_secret=True)

    predicted = run_module("apim_named_value", args, check=True, diff=True)
    assert secret not in predicted["_stdout"]
    created = run_module("apim_named_value", args)
    assert created["changed"] is True and secret not in created["_stdout"]
    assert "value" not in created["state"]["properties"]

    mark = request_log.mark()
    again = run_module("apim_named_value", dict(args, value="another-" + secret), diff=True)
    assert again["changed"] is False, "a secret cannot be compared; on_create leaves it"
    assert request_log.writes(mark) == []

    always = run_module("apim_named_value", dict(args, update_value="always"))
    assert always["changed"] is True and secret not in always["_stdout"]
    assert len(request_log.writes(mark)) == 1
    run_module("apim_named_value", dict(apim, name="backend-key", state="absent"))


def test_key_vault_reference_and_bad_input(run_module, apim, request_log):
    vault_id = "https://kv-gateway.vault.azure.net/secrets/backend-key"
    args = dict(apim, name="kv-key", is_secret=True, key_vault_secret_id=vault_id)
    created = run_module("apim_named_value", args)
    assert created["state"]["properties"]["keyVault"]["secretIdentifier"] == vault_id
    mark = request_log.mark()
    assert run_module("apim_named_value", dict(args, key_vault_secret_id=vault_id + "/"))["changed"] is False
    assert request_log.writes(mark) == []

    both = run_module("apim_named_value", dict(args, value="x"), expect_failure=True)
    assert "not both" in both["msg"]
    display = run_module("apim_named_value", dict(apim, name="bad", display_name="has space", value="x"),
                         expect_failure=True)
    assert "display_name" in display["msg"]
    empty = run_module("apim_named_value", dict(apim, name="empty", value="   "), expect_failure=True)
    assert "whitespace" in empty["msg"]
    assert request_log.writes(mark) == []
    run_module("apim_named_value", dict(apim, name="kv-key", state="absent"))
