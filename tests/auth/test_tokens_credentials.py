"""Token sets and the credential store (in-memory keyring and the no-keyring fallback)."""

from __future__ import annotations

import keyring
import keyring.errors
import pytest
from hypothesis import given
from hypothesis import strategies as st
from keyring.backends import fail

from flowdock_desktop.auth import credentials
from flowdock_desktop.auth.credentials import (
    SERVICE_NAME,
    CredentialStore,
    Fallback,
    MemoryKeyring,
    keyring_is_usable,
)
from flowdock_desktop.auth.errors import KeyringUnavailable
from flowdock_desktop.auth.tokens import TokenSet, parse_scopes
from flowdock_desktop.testing import LockableKeyring

SECRET_ACCESS = "access-SECRET-123"
SECRET_REFRESH = "refresh-SECRET-456"


def make_tokens(**overrides) -> TokenSet:
    values = dict(
        access_token=SECRET_ACCESS,
        refresh_token=SECRET_REFRESH,
        expires_at=1000.0,
        scope=("flow", "profile"),
        token_type="bearer",
    )
    values.update(overrides)
    return TokenSet(**values)


def test_repr_and_str_hide_tokens():
    tokens = make_tokens()
    for text in (repr(tokens), str(tokens), f"{tokens}", repr([tokens])):
        assert SECRET_ACCESS not in text
        assert SECRET_REFRESH not in text
    assert "expires_at=1000.0" in repr(tokens)


def test_expires_soon_uses_margin():
    tokens = make_tokens(expires_at=1000.0)
    assert not tokens.expires_soon(60, now=900.0)
    assert tokens.expires_soon(60, now=941.0)
    assert tokens.expires_soon(0, now=1001.0)
    assert not make_tokens(expires_at=None).expires_soon(10**9)


def test_from_response_parses_flowdock_style_answer():
    tokens = TokenSet.from_response(
        {
            "access_token": "a",
            "refresh_token": "r",
            "expires_in": 30,
            "scope": "flow,profile,offline_access",
            "token_type": "bearer",
        },
        now=100.0,
    )
    assert tokens.expires_at == 130.0
    assert tokens.scope == ("flow", "profile", "offline_access")
    assert tokens.refresh_token == "r"


def test_from_response_without_access_token_is_refused():
    with pytest.raises(ValueError):
        TokenSet.from_response({"token_type": "bearer"})


@given(
    access=st.text(min_size=1),
    refresh=st.none() | st.text(min_size=1),
    expires=st.none() | st.floats(allow_nan=False, allow_infinity=False),
    scope=st.lists(st.sampled_from(["flow", "private", "profile", "integration"]), unique=True),
)
def test_json_round_trip(access, refresh, expires, scope):
    tokens = TokenSet(access, refresh, expires, tuple(scope), "bearer")
    assert TokenSet.from_json(tokens.to_json()) == tokens


@pytest.mark.parametrize("text", ["[]", "{}", '{"access_token": 5}', "nonsense"])
def test_from_json_rejects_garbage(text):
    with pytest.raises(ValueError):
        TokenSet.from_json(text)


def test_parse_scopes_accepts_commas_spaces_and_lists():
    assert parse_scopes("flow, private  profile") == ("flow", "private", "profile")
    assert parse_scopes(["flow", "flow", " x "]) == ("flow", "x")
    assert parse_scopes(None) == ()


def test_store_round_trips_every_kind_of_secret(memory_keyring):
    store = CredentialStore()
    assert store.backend is memory_keyring
    store.set_client_secret("http://api.example/", "cid", "client-secret-value")
    assert store.get_client_secret("http://api.example", "cid") == "client-secret-value"
    store.set_token_set("acct", make_tokens())
    assert store.get_token_set("acct") == make_tokens()
    store.set_flow_token("integration-1", "flow-token-value")
    assert store.get_flow_token("integration-1") == "flow-token-value"
    assert {service for service, _ in memory_keyring.items()} == {SERVICE_NAME}
    assert store.delete_token_set("acct") is True
    assert store.delete_token_set("acct") is False
    assert store.get_token_set("acct") is None
    assert store.delete_flow_token("integration-1") is True
    assert store.delete_client_secret("http://api.example", "cid") is True
    assert memory_keyring.items() == {}


def test_unreadable_token_set_reads_as_none(memory_keyring):
    store = CredentialStore()
    memory_keyring.set_password(SERVICE_NAME, store.token_key("acct"), "not json")
    assert store.get_token_set("acct") is None


def test_memory_keyring_is_never_auto_detected():
    assert MemoryKeyring not in set(keyring.backend.KeyringBackend.get_viable_backends())


def test_without_a_keyring_secrets_stay_in_memory_with_a_warning(monkeypatch):
    fallback = MemoryKeyring()
    monkeypatch.setattr(credentials, "_fallback", fallback)
    store = CredentialStore(fail.Keyring())
    assert not keyring_is_usable(fail.Keyring())
    assert store.persistent is False
    assert "gnome-keyring" in (store.warning or "")
    store.set_flow_token("i", "tok")
    # A second store in the same run sees the same in-memory secrets.
    assert CredentialStore(fail.Keyring()).get_flow_token("i") == "tok"
    assert fallback.items()


def test_a_failing_keyring_switches_to_memory(monkeypatch):
    monkeypatch.setattr(credentials, "_fallback", MemoryKeyring())
    store = CredentialStore(LockableKeyring(locked=True))
    store.set_client_secret("http://x", "id", "s")
    assert store.persistent is False
    assert store.get_client_secret("http://x", "id") == "s"


def test_a_locked_keyring_is_named_as_locked_and_can_be_tried_again(monkeypatch):
    monkeypatch.setattr(credentials, "_fallback", MemoryKeyring())
    store = CredentialStore(LockableKeyring(locked=True))
    assert store.fallback is None and store.warning is None  # not known until it is used
    assert store.get_flow_token("i") is None
    assert store.fallback is Fallback.LOCKED
    assert store.can_retry and store.set_aside is Fallback.LOCKED
    warning = store.warning or ""
    assert warning.startswith("Your keyring is locked")
    assert "Passwords and Keys" in warning and "try the keyring again" in warning
    assert "No system keyring" not in warning
    error = store.unavailable()
    assert isinstance(error, KeyringUnavailable) and str(error) == warning


def test_another_keyring_failure_names_what_it_raised(monkeypatch):
    class Refusing(MemoryKeyring):
        def get_password(self, service, username):
            raise keyring.errors.InitError("D-Bus said: " + SECRET_ACCESS)

    monkeypatch.setattr(credentials, "_fallback", MemoryKeyring())
    store = CredentialStore(Refusing())
    assert store.get_flow_token("i") is None
    assert store.fallback is Fallback.FAILED and store.can_retry
    assert "refused a request (InitError)" in (store.warning or "")
    assert SECRET_ACCESS not in (store.warning or "")  # the backend's text is never shown


def test_no_keyring_at_all_has_nothing_to_try_again(monkeypatch):
    monkeypatch.setattr(credentials, "_fallback", MemoryKeyring())
    store = CredentialStore(fail.Keyring())
    store.set_flow_token("i", "tok")
    assert store.fallback is Fallback.NO_KEYRING
    assert not store.can_retry and store.unavailable() is None and store.set_aside is None
    assert store.retry() is False
    assert store.get_flow_token("i") == "tok"


def test_trying_a_keyring_that_is_still_locked_keeps_everything_in_memory(monkeypatch):
    memory = MemoryKeyring()
    monkeypatch.setattr(credentials, "_fallback", memory)
    locked = LockableKeyring(locked=True)
    store = CredentialStore(locked)
    store.set_flow_token("new", "made-while-locked")
    tried = locked.refused
    assert store.retry() is False
    assert locked.refused > tried  # the keyring itself was asked again
    assert store.fallback is Fallback.LOCKED and store.can_retry
    assert store.get_flow_token("new") == "made-while-locked"
    assert memory.items() == {(SERVICE_NAME, "flow-token:new"): "made-while-locked"}


def test_trying_an_unlocked_keyring_again_saves_what_was_kept_meanwhile(monkeypatch):
    memory = MemoryKeyring()
    monkeypatch.setattr(credentials, "_fallback", memory)
    real = LockableKeyring()
    real.set_password(SERVICE_NAME, "flow-token:kept", "in-the-keyring")
    real.set_password(SERVICE_NAME, "flow-token:removed", "removed-meanwhile")
    real.set_password(SERVICE_NAME, "tokens:me", "old sign-in")
    real.lock()
    store = CredentialStore(real)
    assert store.get_flow_token("kept") is None  # locked: not readable now
    store.set_flow_token("new", "made-while-locked")
    store.set(CredentialStore.token_key("me"), "new sign-in")
    store.delete_flow_token("removed")

    real.unlock()  # the person unlocks it, then tries again
    assert store.retry() is True
    assert store.persistent and store.fallback is None and store.warning is None
    assert not store.can_retry and store.set_aside is None
    assert real.items() == {
        (SERVICE_NAME, "flow-token:kept"): "in-the-keyring",
        (SERVICE_NAME, "flow-token:new"): "made-while-locked",
        (SERVICE_NAME, "tokens:me"): "new sign-in",  # what the person did last wins
    }
    assert memory.items() == {}  # nothing left behind in memory
    assert store.get_flow_token("kept") == "in-the-keyring"
    assert store.get_flow_token("new") == "made-while-locked"
    # Used from now on: a new secret goes straight into the keyring.
    store.set_flow_token("after", "x")
    assert real.get_password(SERVICE_NAME, "flow-token:after") == "x"
    assert memory.items() == {}
