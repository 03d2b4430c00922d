"""Deletions made while the keyring is locked are kept in the profile (their names only) and
made in the keyring once it answers: through "Try the keyring again", or at a later start."""

from __future__ import annotations

import json

import keyring.errors

from flowdock_desktop.auth import credentials
from flowdock_desktop.auth.credentials import (
    PENDING_DELETIONS_SETTING,
    SERVICE_NAME,
    CredentialStore,
)
from flowdock_desktop.context import AppContext
from flowdock_desktop.store.profile import Profile
from flowdock_desktop.testing import LockableKeyring

TOKEN = "flow-SECRET-removed-while-locked"
KEY = CredentialStore.flow_token_key("gone")


def _context(profile_dir, store: CredentialStore | None = None) -> AppContext:
    return AppContext(Profile.resolve(profile_dir), credentials=store)


def _quit(context: AppContext) -> None:
    """The run ends: what it kept in memory goes with it."""
    context.close()
    credentials._fallback._items.clear()


def _removed_while_locked(profile_dir, lockable_keyring) -> None:
    """A run that found the keyring locked and removed an integration's flow token."""
    lockable_keyring.set_password(SERVICE_NAME, KEY, TOKEN)
    lockable_keyring.lock()
    context = _context(profile_dir)
    assert context.credentials.delete_flow_token("gone") is False  # not in memory
    assert context.credentials.pending_deletions == {KEY}
    _quit(context)


def _profile_text(profile_dir) -> str:
    return "\n".join(
        path.read_bytes().decode("utf-8", "replace")
        for path in profile_dir.rglob("*")
        if path.is_file()
    )


def test_a_deletion_while_locked_is_kept_by_name_and_made_at_the_next_start(
    profile_dir, lockable_keyring
):
    _removed_while_locked(profile_dir, lockable_keyring)
    settings = json.loads((profile_dir / "settings.json").read_text())
    assert settings[PENDING_DELETIONS_SETTING] == [KEY]
    assert TOKEN not in _profile_text(profile_dir)  # the name only, never the secret
    assert lockable_keyring.locked and lockable_keyring.items() == {(SERVICE_NAME, KEY): TOKEN}

    lockable_keyring.unlock()
    again = _context(profile_dir)
    try:
        assert again.credentials.pending_deletions == frozenset()
        assert lockable_keyring.items() == {}  # gone from the keyring at last
        assert PENDING_DELETIONS_SETTING not in again.settings.as_dict()
    finally:
        _quit(again)
    assert PENDING_DELETIONS_SETTING not in json.loads((profile_dir / "settings.json").read_text())


def test_still_locked_at_the_next_start_it_waits_then_try_again_makes_it(
    profile_dir, lockable_keyring
):
    _removed_while_locked(profile_dir, lockable_keyring)
    context = _context(profile_dir)  # the start asks the keyring once, and finds it locked
    try:
        store = context.credentials
        assert store.pending_deletions == {KEY}
        assert store.can_retry and not store.persistent
        assert lockable_keyring.items() == {(SERVICE_NAME, KEY): TOKEN}
        assert store.retry() is False  # still locked: nothing forgotten
        assert store.pending_deletions == {KEY}

        lockable_keyring.unlock()
        heard = []
        store.on_back.append(lambda: heard.append("back"))
        assert store.retry() is True
        assert heard == ["back"]
        assert lockable_keyring.items() == {}
        assert store.pending_deletions == frozenset()
    finally:
        _quit(context)
    assert PENDING_DELETIONS_SETTING not in Profile.resolve(profile_dir).settings.as_dict()


def test_written_again_while_locked_the_entry_is_not_deleted(profile_dir, lockable_keyring):
    """Removed, then set up again under the same name while still locked: the new secret is
    what the keyring keeps, whether the retry saves it or the run ends first."""
    lockable_keyring.set_password(SERVICE_NAME, KEY, TOKEN)
    lockable_keyring.lock()
    context = _context(profile_dir)
    try:
        store = context.credentials
        store.delete_flow_token("gone")
        store.set_flow_token("gone", "flow-new")
        assert store.pending_deletions == frozenset()
        assert PENDING_DELETIONS_SETTING not in context.settings.as_dict()
        lockable_keyring.unlock()
        assert store.retry() is True
        assert lockable_keyring.items() == {(SERVICE_NAME, KEY): "flow-new"}
    finally:
        _quit(context)


def test_written_again_in_a_later_run_the_entry_is_not_deleted(profile_dir, lockable_keyring):
    _removed_while_locked(profile_dir, lockable_keyring)
    context = _context(profile_dir)  # locked still: the deletion waits
    try:
        context.credentials.set_flow_token("gone", "flow-new")  # in memory, while locked
        assert context.credentials.pending_deletions == frozenset()
        lockable_keyring.unlock()
        assert context.credentials.retry() is True
        assert lockable_keyring.items() == {(SERVICE_NAME, KEY): "flow-new"}
    finally:
        _quit(context)


class RefusesDeletion(LockableKeyring):
    """Answers reads and writes, but refuses every deletion."""

    def delete_password(self, service: str, username: str) -> None:
        raise keyring.errors.KeyringError("deletion refused")


def test_a_deletion_the_keyring_refuses_stays_pending_without_an_error(
    profile_dir, lockable_keyring
):
    _removed_while_locked(profile_dir, lockable_keyring)
    refusing = RefusesDeletion()
    refusing.set_password(SERVICE_NAME, KEY, TOKEN)
    keyring.set_keyring(refusing)
    context = _context(profile_dir)
    try:
        assert context.credentials.pending_deletions == {KEY}  # no error at start
        assert refusing.items() == {(SERVICE_NAME, KEY): TOKEN}
    finally:
        _quit(context)
    assert Profile.resolve(profile_dir).settings.get(PENDING_DELETIONS_SETTING) == [KEY]


def test_the_command_line_makes_pending_deletions_and_waits_on_a_locked_keyring(
    profile_dir, lockable_keyring
):
    _removed_while_locked(profile_dir, lockable_keyring)
    # The command line's store has no memory to fall back to: locked, it leaves them pending.
    command = _context(profile_dir, CredentialStore(fallback=False))
    assert command.credentials.pending_deletions == {KEY}
    command.close()
    lockable_keyring.unlock()
    command = _context(profile_dir, CredentialStore(fallback=False))
    assert command.credentials.pending_deletions == frozenset()
    assert lockable_keyring.items() == {}
    command.close()


def test_a_pending_deletion_found_absent_is_forgotten(profile_dir, lockable_keyring):
    _removed_while_locked(profile_dir, lockable_keyring)
    lockable_keyring.unlock()
    lockable_keyring.delete_password(SERVICE_NAME, KEY)  # removed by hand meanwhile
    again = _context(profile_dir)
    try:
        assert again.credentials.pending_deletions == frozenset()
        assert PENDING_DELETIONS_SETTING not in again.settings.as_dict()
    finally:
        _quit(again)


def test_nothing_pending_asks_the_keyring_nothing_at_start(profile_dir, lockable_keyring):
    lockable_keyring.lock()
    context = _context(profile_dir)
    try:
        assert context.credentials.pending_deletions == frozenset()
        assert lockable_keyring.refused == 0  # no prompt to unlock for nothing
        assert context.credentials.persistent  # not found locked: not asked yet
    finally:
        _quit(context)


def test_a_command_that_opens_the_keyring_makes_what_an_earlier_run_left(
    profile_dir, lockable_keyring, capsys
):
    from flowdock_desktop.cli import main

    _removed_while_locked(profile_dir, lockable_keyring)
    lockable_keyring.unlock()
    assert main(["logout"]) == 0
    assert "Not signed in." in capsys.readouterr().out
    assert lockable_keyring.items() == {}
    assert PENDING_DELETIONS_SETTING not in Profile.resolve(profile_dir).settings.as_dict()
