"""Acceptance: a person whose keyring is locked when the app starts, at 1,024x700, by keys.

The integration was set up with its flow token in the keyring; the keyring is locked before
the next start. The composer says the keyring is locked (not that the integration needs
sign-in), refuses nothing it could keep, and once the person has unlocked the keyring and
pressed "Try the keyring again" (Alt+K), a message typed by keys goes out to the sandbox.
"""

from __future__ import annotations

import pytest
from person import WAIT, focused, press, press_mnemonic, type_over
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from flowdock_desktop.auth.credentials import SERVICE_NAME, CredentialStore
from flowdock_desktop.context import AppContext
from flowdock_desktop.store.profile import Profile
from flowdock_desktop.testing import connect_demo_source, messages_by_uuid, sign_in_demo_user
from flowdock_desktop.ui.app import WindowRouter
from flowdock_desktop.ui.composer import ComposerWindow

pytestmark = pytest.mark.gui


def _rows(composer: ComposerWindow) -> list[str]:
    listing = composer.integrations_panel.list
    return [listing.item(i).text() for i in range(listing.count())]


def _start_composer(qtbot, profile_dir, sandbox) -> tuple[AppContext, ComposerWindow]:
    """The app started on the profile, the way it starts: the router opens the composer."""
    context = AppContext(Profile.resolve(profile_dir))
    context.sandbox = sandbox
    composer = WindowRouter(context).show_start()
    assert isinstance(composer, ComposerWindow)
    qtbot.addWidget(composer)
    composer.resize(1024, 700)
    composer.activateWindow()
    qtbot.waitUntil(lambda: composer._draft_ready, timeout=WAIT)
    qtbot.waitUntil(lambda: QApplication.focusWidget() is not None, timeout=WAIT)
    assert composer.width() <= 1024 and composer.height() <= 700
    return context, composer


def _close(context: AppContext, composer: ComposerWindow) -> None:
    composer.close()
    context.sandbox = None  # the module's sandbox lives on
    context.close()


def test_a_locked_keyring_at_start_is_named_and_tried_again_by_keys(
    qtbot, profile_dir, sandbox, lockable_keyring, screenshot
):
    # Set up earlier, with the keyring unlocked: the flow token went into it.
    with AppContext(Profile.resolve(profile_dir)) as first:
        sign_in_demo_user(first, sandbox.base_url)
        integration, _ = connect_demo_source(first, sandbox.base_url)
    key = CredentialStore.flow_token_key(integration.id)
    token = lockable_keyring.get_password(SERVICE_NAME, key)
    assert token

    lockable_keyring.lock()
    context, composer = _start_composer(qtbot, profile_dir, sandbox)
    try:
        banner = composer.banner
        qtbot.waitUntil(lambda: "keyring is locked" in banner.text, timeout=WAIT)
        assert banner.text.startswith("Your keyring is locked")
        assert "Passwords and Keys" in banner.text
        assert "needs sign-in" not in banner.text
        assert banner.button.text() == "Try the &keyring again"
        assert _rows(composer) == ["Deploy bot\nAcme / Main · keyring locked"]
        screenshot(composer, "composer-keyring-locked")

        # Sent while locked: kept in the form, with the keyring's words, not queued.
        press(qtbot, Qt.Key.Key_2, Qt.KeyboardModifier.ControlModifier)  # the full form
        press_mnemonic(qtbot, "i")
        type_over(qtbot, "Locked keyring")
        press_mnemonic(qtbot, "t")
        type_over(qtbot, "sent after unlocking")
        press(qtbot, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
        assert banner.text.startswith(
            "Not sent (the message stays in the form): Your keyring is locked"
        )
        assert context.outbox.list(integration.id) == []

        # Tried while still locked: the same words again, nothing lost or stored elsewhere.
        refused = lockable_keyring.refused
        press_mnemonic(qtbot, "k")
        qtbot.waitUntil(
            lambda: banner.text.startswith("The keyring is still not answering. "), timeout=WAIT
        )
        assert lockable_keyring.refused > refused  # the keyring itself was asked again
        assert "Your keyring is locked" in banner.text
        assert banner.button.text() == "Try the &keyring again"
        assert composer.form.thread_title.text() == "Locked keyring"

        # Unlocked in the system's keyring; tried again by keys: the notice goes.
        lockable_keyring.unlock()
        press_mnemonic(qtbot, "k")
        qtbot.waitUntil(lambda: "The keyring is in use again" in banner.text, timeout=WAIT)
        qtbot.waitUntil(
            lambda: _rows(composer) == ["Deploy bot\nAcme / Main · working"], timeout=WAIT
        )
        assert "locked" not in banner.text and "needs sign-in" not in banner.text
        assert lockable_keyring.get_password(SERVICE_NAME, key) == token  # untouched

        # The message still in the form goes out with the keyring's flow token.
        press_mnemonic(qtbot, "t")
        assert focused() is composer.form.title
        with qtbot.waitSignal(composer.message_sent, timeout=WAIT) as sent:
            press(qtbot, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
        stored = messages_by_uuid(sandbox, sent.args[0].uuid)
        assert [m["title"] for m in stored] == ["sent after unlocking"]
        assert stored[0]["thread"]["title"] == "Locked keyring"
        qtbot.waitUntil(lambda: banner.text.startswith("Sent to "), timeout=WAIT)
    finally:
        _close(context, composer)
