"""Acceptance: a person whose keyring is locked when the app starts, at 1,024x700, by keys.

The integration was set up with its flow token in the keyring; the keyring is locked before
the next start. The composer says the keyring is locked (not that the integration needs
sign-in), refuses nothing it could keep, and once the person has unlocked the keyring and
pressed "Try the keyring again" (Alt+K), a message typed by keys goes out to the sandbox.
"""

from __future__ import annotations

import contextlib
import threading

import httpx
import pytest
import shiboken6
from person import (
    WAIT,
    answer_question,
    duplicate_mnemonics,
    focused,
    press,
    press_mnemonic,
    read_first_outbox_message,
    tab_to,
    texts_shown,
    type_over,
)
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QLabel, QMessageBox
from wizard_support import (
    MESSAGE_FOR_LATER,
    composer_on_a_small_screen,
    enter_until,
    send_by_keys,
    start_server,
    start_wizard,
)

from flowdock_desktop.auth import credentials as credentials_module
from flowdock_desktop.auth.credentials import (
    PENDING_DELETIONS_SETTING,
    SERVICE_NAME,
    CredentialStore,
)
from flowdock_desktop.context import AppContext
from flowdock_desktop.store.integrations import Integration
from flowdock_desktop.store.profile import Profile
from flowdock_desktop.testing import (
    arm_fault,
    connect_demo_source,
    messages_by_uuid,
    sign_in_demo_user,
)
from flowdock_desktop.ui import tasks
from flowdock_desktop.ui.account import AccountDialog
from flowdock_desktop.ui.app import WindowRouter
from flowdock_desktop.ui.composer import ComposerWindow
from flowdock_desktop.ui.integration_settings import IntegrationSettingsDialog
from flowdock_desktop.ui.wizard import PageId

pytestmark = pytest.mark.gui


def _rows(composer: ComposerWindow) -> list[str]:
    listing = composer.integrations_panel.list
    return [listing.item(i).text() for i in range(listing.count())]


def _set_up_then_lock(profile_dir, sandbox, lockable_keyring) -> tuple[Integration, str]:
    """An integration set up earlier with the keyring unlocked (its flow token went into
    it), then the keyring locked; (the integration, its flow token)."""
    with AppContext(Profile.resolve(profile_dir)) as first:
        sign_in_demo_user(first, sandbox.base_url)
        first.api_url = sandbox.base_url
        integration, _ = connect_demo_source(first, sandbox.base_url)
    token = lockable_keyring.get_password(SERVICE_NAME, _key(integration))
    assert token
    lockable_keyring.lock()
    return integration, token


@pytest.fixture
def locked_first_start(qtbot, profile_dir, lockable_keyring, scripted_browser):
    """A fresh profile started with its keyring locked: the wizard walked by Enter to the
    sign-in page, which has said that the keyring is locked; (context, its embedded
    sandbox, the wizard). The sandbox stops after the test."""
    lockable_keyring.lock()
    context = AppContext(Profile.resolve(profile_dir))
    server = context.sandbox = start_server()
    try:
        wizard = start_wizard(context, qtbot)
        enter_until(qtbot, wizard, PageId.SIGN_IN)
        page = wizard.sign_in_page
        qtbot.waitUntil(lambda: "keyring is locked" in page.banner.text, timeout=WAIT)
        yield context, server, wizard
    finally:
        context.sandbox = None
        context.close()
        server.stop()


def _key(integration: Integration) -> str:
    return CredentialStore.flow_token_key(integration.id)


def _start_composer(qtbot, profile_dir, sandbox) -> tuple[AppContext, WindowRouter, ComposerWindow]:
    """The app started on the profile, the way it starts: the router opens the composer."""
    context = AppContext(Profile.resolve(profile_dir))
    context.sandbox = sandbox
    router = WindowRouter(context)
    return context, router, composer_on_a_small_screen(qtbot, router)


def _close(context: AppContext, composer: ComposerWindow) -> None:
    composer.close()
    context.sandbox = None  # the module's sandbox lives on
    context.close()


def test_a_locked_keyring_at_start_is_named_and_tried_again_by_keys(
    qtbot, profile_dir, sandbox, lockable_keyring, screenshot
):
    integration, token = _set_up_then_lock(profile_dir, sandbox, lockable_keyring)
    context, _router, composer = _start_composer(qtbot, profile_dir, sandbox)
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
            "Not sent; the message stays in the form. Your keyring is locked"
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
        assert lockable_keyring.get_password(SERVICE_NAME, _key(integration)) == token  # untouched

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


def test_a_message_queued_before_the_keyring_was_locked_says_it_waits_for_the_keyring(
    qtbot, profile_dir, sandbox, lockable_keyring, screenshot
):
    """Its state says what sends it (it said "waiting", as a message that goes by itself
    does), and so does the footer; unlocked and tried again by keys, it goes, once."""
    integration, _token = _set_up_then_lock(profile_dir, sandbox, lockable_keyring)
    with AppContext(Profile.resolve(profile_dir)) as before:  # queued before the restart
        queued = before.outbox.enqueue(
            integration.id, {**MESSAGE_FOR_LATER, "title": "Queued earlier"}
        )
    context, _router, composer = _start_composer(qtbot, profile_dir, sandbox)
    try:
        panel = composer.outbox_panel
        press_mnemonic(qtbot, "o")  # the Outbox tab

        qtbot.waitUntil(lambda: _outbox_states(panel) == ["waiting for the keyring"], timeout=WAIT)
        assert panel.tree.topLevelItem(0).text(0) == "waiting"  # Next try says what for
        footer = composer.outbox_label.full_text()
        assert footer.startswith("1 waiting to be sent (1 for the keyring)"), footer
        # No time where the keyring is what sends it: its next try would only find it locked.
        assert "next try" not in footer, footer
        assert panel.tree.topLevelItem(0).text(4) == "when the keyring opens"
        details = read_first_outbox_message(qtbot, panel)
        assert details.startswith(
            "“Release: Queued earlier” waits to be sent when the keyring opens."
        ), details
        assert "next try" not in details
        screenshot(composer, "composer-outbox-waits-for-the-keyring")

        lockable_keyring.unlock()
        press_mnemonic(qtbot, "k")  # Try the keyring again
        qtbot.waitUntil(lambda: len(messages_by_uuid(sandbox, queued.uuid)) == 1, timeout=WAIT)
        qtbot.waitUntil(lambda: panel.tree.topLevelItemCount() == 0, timeout=WAIT)
        qtbot.waitUntil(
            lambda: composer.outbox_label.full_text() == "Outbox empty: all sent.", timeout=WAIT
        )
    finally:
        _close(context, composer)


def _faults_left(sandbox) -> list[dict]:
    """The sandbox's armed faults not yet fired, asked over HTTP."""
    return httpx.get(sandbox.base_url + "/sandbox/faults").json()["faults"]


def _outbox_states(panel) -> list[str]:
    """The outbox's rows' states in full, top to bottom: the State column's tooltips (its
    cells say "waiting" alone for what waits for the keyring, to fit a narrow tab)."""
    tree = panel.tree
    return [tree.topLevelItem(i).toolTip(0) for i in range(tree.topLevelItemCount())]


def test_messages_that_waited_for_the_keyring_go_when_it_opens_and_nothing_says_reconnected(
    qtbot, profile_dir, sandbox, lockable_keyring
):
    """The keyring opened again is not a Reconnect: the banner says that the keyring is open
    and the messages that waited for it go now; their rows stop waiting for anything but
    the server (its first answer is a 503 here, so they are still there to be read)."""
    integration, _token = _set_up_then_lock(profile_dir, sandbox, lockable_keyring)
    with AppContext(Profile.resolve(profile_dir)) as before:  # queued before the restart
        queued = [
            before.outbox.enqueue(integration.id, {**MESSAGE_FOR_LATER, "title": title})
            for title in ("Waited one", "Waited two")
        ]
    context, _router, composer = _start_composer(qtbot, profile_dir, sandbox)
    try:
        panel = composer.outbox_panel
        press_mnemonic(qtbot, "o")  # the Outbox tab
        qtbot.waitUntil(
            lambda: _outbox_states(panel) == ["waiting for the keyring"] * 2, timeout=WAIT
        )
        qtbot.waitUntil(lambda: "keyring is locked" in composer.banner.text, timeout=WAIT)
        shown = texts_shown(composer.banner.label)
        arm_fault(sandbox, count=1, status=503, path_prefix="/messages")
        lockable_keyring.unlock()
        press_mnemonic(qtbot, "k")  # Try the keyring again
        qtbot.waitUntil(lambda: any("waited" in text for text in shown), timeout=WAIT)
        qtbot.waitUntil(lambda: not _faults_left(sandbox), timeout=WAIT)
        qtbot.waitUntil(
            lambda: _rows(composer) == ["Deploy bot\nAcme / Main · working"], timeout=WAIT
        )
        assert not [text for text in shown if "reconnect" in text.lower()], shown
        assert shown[-1] == (
            "The keyring is in use again; what was kept meanwhile is saved in it. "
            "Sending the 2 messages that waited for it…"
        ), shown
        # Refused once by the server, they wait for nothing but their next try now.
        qtbot.waitUntil(lambda: _outbox_states(panel) == ["waiting"] * 2, timeout=WAIT)

        # The server answers again: Send now (by Tab and Space) sends both, and says so.
        tab_to(qtbot, panel.send_now_button)
        press(qtbot, Qt.Key.Key_Space)
        for item in queued:
            qtbot.waitUntil(
                lambda i=item: len(messages_by_uuid(sandbox, i.uuid)) == 1, timeout=WAIT
            )
        qtbot.waitUntil(lambda: panel.tree.topLevelItemCount() == 0, timeout=WAIT)
        qtbot.waitUntil(
            lambda: composer.banner.text == "The 2 waiting messages were sent.", timeout=WAIT
        )
    finally:
        _settled(qtbot, composer)
        _close(context, composer)


@contextlib.contextmanager
def _composer_found_locked(qtbot, profile_dir, sandbox, lockable_keyring):
    """An integration set up, the keyring locked, the app started: its composer has said the
    keyring is locked; (the integration, its flow token, context, router, composer). The
    composer is closed after, once what it started is over."""
    integration, token = _set_up_then_lock(profile_dir, sandbox, lockable_keyring)
    context, router, composer = _start_composer(qtbot, profile_dir, sandbox)
    try:
        qtbot.waitUntil(lambda: "keyring is locked" in composer.banner.text, timeout=WAIT)
        yield integration, token, context, router, composer
    finally:
        _settled(qtbot, composer)
        _close(context, composer)


def test_while_locked_the_account_and_the_integration_settings_name_the_lock(
    qtbot, profile_dir, sandbox, lockable_keyring
):
    with _composer_found_locked(qtbot, profile_dir, sandbox, lockable_keyring) as found:
        integration, token, context, router, composer = found
        account = AccountDialog(context, composer)
        qtbot.addWidget(account)
        account.show()
        qtbot.waitUntil(lambda: account.status is not None, timeout=WAIT)
        shown = _shown(account)
        assert shown["Signed in"] == "not known while the keyring is locked"
        assert shown["Secrets"].startswith("in memory for now: the keyring is locked")
        assert shown["Integrations"] == "1 (1 not readable while the keyring is locked)"
        account.close()

        # Its settings, opened by the configuration link Flowdock gives: no Reconnect (that
        # would make a needless new source); the lock is named.
        dialog = _settings_by_link(qtbot, router, integration)
        assert dialog.state_label.text() == "keyring locked"
        assert not dialog.reconnect_button.isVisible()
        dialog.close()

        # Add… (another integration): the wizard's first page names the lock too, rather
        # than saying that no keyring was found.
        wizard = router.show_wizard()
        qtbot.addWidget(wizard)
        note = wizard.server_page.keyring_note
        qtbot.waitUntil(note.isVisible, timeout=WAIT)
        assert note.text().startswith("Your keyring is locked")
        assert "No system keyring" not in note.text()
        assert note.accessibleName() == "Keyring locked"
        wizard.discard()
        # Nothing was deleted or replaced in the locked keyring meanwhile.
        lockable_keyring.unlock()
        assert lockable_keyring.get_password(SERVICE_NAME, _key(integration)) == token


def test_set_up_while_locked_then_unlocked_keeps_what_was_made_meanwhile(
    qtbot, profile_dir, lockable_keyring, locked_first_start, screenshot
):
    """A fresh profile whose keyring is locked: the wizard is walked by Enter and says the
    keyring is locked (not that there is none); the sign-in and flow token made meanwhile
    live in memory; once unlocked, "Try the keyring again" saves both into the keyring, and
    a message goes out after a restart with no sign-in again."""
    context, server, wizard = locked_first_start
    page = wizard.sign_in_page
    assert "No system keyring" not in page.banner.text
    assert page.banner.button.text() == "Try the &keyring again"
    screenshot(wizard, "wizard-3-keyring-locked")
    refused = lockable_keyring.refused
    press_mnemonic(qtbot, "k")  # still locked: the same words again
    qtbot.waitUntil(
        lambda: page.banner.text.startswith("The keyring is still not answering. "),
        timeout=WAIT,
    )
    assert lockable_keyring.refused > refused
    assert "Your keyring is locked" in page.banner.text
    enter_until(qtbot, wizard, PageId.CONFIRM)
    summary = wizard.confirm_page.summary_label.text()
    assert "in memory for now (keyring locked" in summary
    assert "there is no system keyring" not in summary
    enter_until(qtbot, wizard, PageId.DONE)
    integration = context.integrations.list()[0]
    assert lockable_keyring.items() == {}  # nothing could go in

    with qtbot.waitSignal(wizard.open_composer_requested, timeout=WAIT):
        press(qtbot, Qt.Key.Key_Return)  # "Open composer"
    # This test's window: a closed one from an earlier test may still be a top-level widget.
    composer = next(
        w
        for w in QApplication.topLevelWidgets()
        if isinstance(w, ComposerWindow) and w.context is context and w.isVisible()
    )
    qtbot.addWidget(composer)
    composer.resize(1024, 700)
    composer.activateWindow()
    banner = composer.banner
    qtbot.waitUntil(lambda: "keyring is locked" in banner.text, timeout=WAIT)
    # Its flow token is in memory: the integration works, and says so.
    assert _rows(composer)[0].endswith("· working")

    lockable_keyring.unlock()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is not None, timeout=WAIT)
    press_mnemonic(qtbot, "k")
    qtbot.waitUntil(lambda: "The keyring is in use again" in banner.text, timeout=WAIT)
    saved = {key for _service, key in lockable_keyring.items()}
    assert _key(integration) in saved
    assert any(key.startswith("tokens:") for key in saved)  # the sign-in
    assert any(key.startswith("client-secret:") for key in saved)
    composer.close()
    context.sandbox = None  # quit (the fixture stops the sandbox after the test)
    context.close()

    # After a restart (memory gone), what was made while locked is still there.
    from flowdock_desktop.auth import credentials as credentials_module

    credentials_module._fallback._items.clear()
    again, _router, composer = _start_composer(qtbot, profile_dir, server)
    try:
        qtbot.waitUntil(lambda: _rows(composer)[0].endswith("· working"), timeout=WAIT)
        press(qtbot, Qt.Key.Key_2, Qt.KeyboardModifier.ControlModifier)
        stored = send_by_keys(
            qtbot, composer, server, "Made while locked", "still here after a restart"
        )
        assert [m["title"] for m in stored] == ["still here after a restart"]
        assert again.session() is not None  # signed in still, from the keyring
    finally:
        _close(again, composer)


def test_unlocked_on_the_sign_in_page_the_wizard_keeps_everything_in_the_keyring(
    qtbot, lockable_keyring, locked_first_start
):
    """The keyring found locked on the sign-in page, unlocked there and tried again (Alt+K):
    the sign-in and the new flow token go straight into it, as with no lock at all."""
    context, _server, wizard = locked_first_start
    page = wizard.sign_in_page
    lockable_keyring.unlock()
    press_mnemonic(qtbot, "k")
    qtbot.waitUntil(lambda: "The keyring is in use again" in page.banner.text, timeout=WAIT)
    assert context.credentials.persistent
    enter_until(qtbot, wizard, PageId.DONE)
    assert "in your system keyring" in wizard.confirm_page.summary_label.text()
    assert "stored in your keyring" in wizard.done_page.result_label.text()
    integration = context.integrations.list()[0]
    saved = {key for _service, key in lockable_keyring.items()}
    assert _key(integration) in saved
    assert any(key.startswith("tokens:") for key in saved)
    wizard.discard()


def _shown(dialog) -> dict[str, str]:
    return {label.accessibleName(): label.text() for label in dialog.findChildren(QLabel)}


def _to_front(qtbot, window) -> None:
    """The person clicks into ``window``: keys go to it from now on."""
    window.raise_()
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is not None, timeout=WAIT)
    qtbot.waitUntil(lambda: focused().window() is window, timeout=WAIT)


def _account_by_keys(qtbot, composer: ComposerWindow) -> AccountDialog:
    """Help > Account, opened by Alt+H, C; read while the keyring is what it is now."""
    _to_front(qtbot, composer)
    press_mnemonic(qtbot, "h")
    qtbot.waitUntil(lambda: QApplication.activePopupWidget() is not None, timeout=WAIT)
    press(qtbot, Qt.Key.Key_C)
    qtbot.waitUntil(
        lambda: any(d.isVisible() for d in composer.findChildren(AccountDialog)), timeout=WAIT
    )
    account = next(d for d in composer.findChildren(AccountDialog) if d.isVisible())
    qtbot.waitUntil(lambda: account.status is not None, timeout=WAIT)
    return account


def _settled(qtbot, composer: ComposerWindow) -> None:
    """The composer closed, and the work it started on the keyring's return (token checks,
    the outbox made due) over, so closing the profile after it cuts nothing short."""
    composer.close()

    def owned(handle) -> bool:
        owner = handle._owner
        while owner is not None and shiboken6.isValid(owner):
            if owner is composer:
                return True
            owner = owner.parent()
        return False

    qtbot.waitUntil(
        lambda: not any(owned(h) and not h.done for h in list(tasks._pending)), timeout=3 * WAIT
    )


def _settings_by_link(qtbot, router: WindowRouter, integration: Integration):
    dialog = router.open_link(
        f"flowdock-desktop://configure?integration_id={integration.source_id}"
        f"&flow={integration.flow_id}"
    )
    assert isinstance(dialog, IntegrationSettingsDialog)
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: "keyring is locked" in dialog.banner.text, timeout=WAIT)
    return dialog


def test_the_settings_dialog_tries_the_keyring_again_and_every_open_window_reads_anew(
    qtbot, profile_dir, sandbox, lockable_keyring, screenshot
):
    with _composer_found_locked(qtbot, profile_dir, sandbox, lockable_keyring) as found:
        integration, token, _context, router, composer = found
        account = _account_by_keys(qtbot, composer)
        assert _shown(account)["Signed in"] == "not known while the keyring is locked"

        dialog = _settings_by_link(qtbot, router, integration)
        assert dialog.state_label.text() == "keyring locked"
        assert dialog.banner.button.isVisible()
        assert dialog.banner.button.text() == "Try the &keyring again"
        assert duplicate_mnemonics(dialog) == {}
        screenshot(dialog, "integration-settings-keyring-locked")

        # Still locked: the same words again, the keyring itself asked once more.
        _to_front(qtbot, dialog)
        refused = lockable_keyring.refused
        press_mnemonic(qtbot, "k")
        qtbot.waitUntil(
            lambda: dialog.banner.text.startswith("The keyring is still not answering. "),
            timeout=WAIT,
        )
        assert lockable_keyring.refused > refused
        assert "Your keyring is locked" in dialog.banner.text
        assert dialog.state_label.text() == "keyring locked"
        assert _shown(account)["Signed in"] == "not known while the keyring is locked"

        # Unlocked, then tried again from the settings dialog: it, Help > Account and the
        # composer all read what the keyring holds.
        lockable_keyring.unlock()
        press_mnemonic(qtbot, "k")
        qtbot.waitUntil(lambda: dialog.state_label.text() == "active", timeout=WAIT)
        assert dialog.banner.text.startswith("The keyring is in use again")
        assert not dialog.reconnect_button.isVisible()
        qtbot.waitUntil(lambda: "Signed in as" in _shown(account), timeout=WAIT)
        shown = _shown(account)
        assert shown["Signed in as"].startswith("Demo User")
        assert shown["Integrations"] == "1"
        assert shown["Secrets"].startswith("the system keyring")
        qtbot.waitUntil(
            lambda: _rows(composer) == ["Deploy bot\nAcme / Main · working"], timeout=WAIT
        )
        assert "The keyring is in use again" in composer.banner.text
        assert lockable_keyring.get_password(SERVICE_NAME, _key(integration)) == token
        screenshot(dialog, "integration-settings-keyring-back")
        dialog.close()
        account.close()


def test_while_locked_the_settings_dialog_offers_the_keyring_before_sign_in(
    qtbot, profile_dir, sandbox, lockable_keyring
):
    """Sign in again while the keyring is locked could keep the sign-in only until the app
    quits: it is disabled, saying why, until "Try the keyring again" (Alt+K) gets an
    answer; then Alt+I signs in again."""
    with _composer_found_locked(qtbot, profile_dir, sandbox, lockable_keyring) as found:
        integration, _token, _context, router, _composer = found
        dialog = _settings_by_link(qtbot, router, integration)
        _to_front(qtbot, dialog)
        button = dialog.sign_in_button
        qtbot.waitUntil(lambda: not button.isEnabled(), timeout=WAIT)
        why = "Sign in again waits for the keyring"
        assert button.toolTip().startswith(why)
        assert button.accessibleDescription() == button.toolTip()
        assert why in dialog.banner.text
        assert dialog.banner.button.text() == "Try the &keyring again"
        assert duplicate_mnemonics(dialog) == {}
        asked: list[str] = []
        dialog.sign_in_requested.connect(asked.append)
        press_mnemonic(qtbot, "i")
        QApplication.processEvents()  # anything the key set off has run
        assert asked == []

        lockable_keyring.unlock()
        press_mnemonic(qtbot, "k")
        qtbot.waitUntil(button.isEnabled, timeout=WAIT)
        assert dialog.banner.text.startswith("The keyring is in use again")
        assert why not in dialog.banner.text
        assert button.toolTip() == ""
        with qtbot.waitSignal(dialog.sign_in_requested, timeout=WAIT) as signed:
            press_mnemonic(qtbot, "i")
        assert signed.args == [integration.api_url]
        for window in QApplication.topLevelWidgets():
            if hasattr(window, "discard") and window.isVisible():
                window.discard()  # the wizard the sign-in opened
        dialog.close()


def test_brought_back_from_the_composer_the_open_dialogs_read_anew(
    qtbot, profile_dir, sandbox, lockable_keyring
):
    with _composer_found_locked(qtbot, profile_dir, sandbox, lockable_keyring) as found:
        integration, _token, _context, router, composer = found
        dialog = _settings_by_link(qtbot, router, integration)
        account = _account_by_keys(qtbot, composer)
        assert _shown(account)["Integrations"] == "1 (1 not readable while the keyring is locked)"

        lockable_keyring.unlock()
        _to_front(qtbot, composer)  # back to the composer, where its notice offers Alt+K
        press_mnemonic(qtbot, "k")
        qtbot.waitUntil(lambda: "The keyring is in use again" in composer.banner.text, timeout=WAIT)
        qtbot.waitUntil(lambda: dialog.state_label.text() == "active", timeout=WAIT)
        assert dialog.banner.text.startswith("The keyring is in use again")
        assert "keyring is locked" not in dialog.banner.text
        qtbot.waitUntil(lambda: _shown(account).get("Integrations") == "1", timeout=WAIT)
        assert _shown(account)["Signed in as"].startswith("Demo User")
        account.close()
        dialog.close()


def test_removed_while_locked_its_flow_token_leaves_the_keyring_at_the_next_open_start(
    qtbot, profile_dir, sandbox, lockable_keyring, monkeypatch
):
    """Removed from the composer while the keyring is locked, then quit before trying the
    keyring again: the next start that finds it open deletes the removed integration's flow
    token from it (on a worker), and nothing else."""
    with AppContext(Profile.resolve(profile_dir)) as first:
        sign_in_demo_user(first, sandbox.base_url)
        first.api_url = sandbox.base_url
        kept, _ = connect_demo_source(first, sandbox.base_url, name="Kept bot")
        removed, _ = connect_demo_source(first, sandbox.base_url)
    token = lockable_keyring.get_password(SERVICE_NAME, _key(removed))
    lockable_keyring.lock()

    context, _router, composer = _start_composer(qtbot, profile_dir, sandbox)
    try:
        qtbot.waitUntil(lambda: "keyring is locked" in composer.banner.text, timeout=WAIT)
        listing = composer.integrations_panel.list
        press_mnemonic(qtbot, "n")  # I&ntegrations
        assert focused() is listing
        for _ in range(listing.count()):
            if listing.currentItem().text().startswith("Deploy bot"):
                break
            press(qtbot, Qt.Key.Key_Down)
        assert listing.currentItem().text().startswith("Deploy bot")
        tab_to(qtbot, composer.integrations_panel.remove_button)
        asked: list[str] = []
        QTimer.singleShot(0, lambda: answer_question(qtbot, asked, QMessageBox.StandardButton.Yes))
        press(qtbot, Qt.Key.Key_Space)
        qtbot.waitUntil(
            lambda: [i.id for i in context.integrations.list()] == [kept.id], timeout=WAIT
        )
        assert asked and "Deploy bot" in asked[0]
    finally:
        _settled(qtbot, composer)
        _close(context, composer)
    credentials_module._fallback._items.clear()  # quit: what memory held is gone

    # Still in the locked keyring; the profile holds the entry's name, never the token.
    assert lockable_keyring.items()[(SERVICE_NAME, _key(removed))] == token
    profile_text = "\n".join(
        p.read_bytes().decode("utf-8", "replace") for p in profile_dir.rglob("*") if p.is_file()
    )
    assert token not in profile_text
    assert _key(removed) in profile_text

    lockable_keyring.unlock()
    deleted_on: list[bool] = []
    delete = lockable_keyring.delete_password

    def watched(service: str, username: str) -> None:
        deleted_on.append(threading.current_thread() is threading.main_thread())
        delete(service, username)

    monkeypatch.setattr(lockable_keyring, "delete_password", watched)
    again, _router, composer = _start_composer(qtbot, profile_dir, sandbox)
    try:
        qtbot.waitUntil(
            lambda: (SERVICE_NAME, _key(removed)) not in lockable_keyring.items(), timeout=WAIT
        )
        assert deleted_on == [False]  # once, and not on the GUI thread
        assert lockable_keyring.get_password(SERVICE_NAME, _key(kept))  # the other stays
        assert PENDING_DELETIONS_SETTING not in again.settings.as_dict()
        qtbot.waitUntil(
            lambda: _rows(composer) == ["Kept bot\nAcme / Main · working"], timeout=WAIT
        )
    finally:
        _settled(qtbot, composer)
        _close(again, composer)
