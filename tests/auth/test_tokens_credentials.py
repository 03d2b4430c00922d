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
    MemoryKeyring,
    keyring_is_usable,
)
from flowdock_desktop.auth.tokens import TokenSet, parse_scopes

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


class _LockedKeyring(MemoryKeyring):
    """A keyring that fails the way a locked Secret Service does."""

    def set_password(self, service, username, password):
        raise keyring.errors.KeyringLocked("locked")

    def get_password(self, service, username):
        raise keyring.errors.KeyringLocked("locked")


def test_a_failing_keyring_switches_to_memory(monkeypatch):
    monkeypatch.setattr(credentials, "_fallback", MemoryKeyring())
    store = CredentialStore(_LockedKeyring())
    store.set_client_secret("http://x", "id", "s")
    assert store.persistent is False
    assert store.get_client_secret("http://x", "id") == "s"
