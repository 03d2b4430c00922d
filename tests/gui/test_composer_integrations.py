"""Integrations removed in Flowdock: grouped apart, forgettable, and replaced when set up again,
with their unsent messages offered for resending through the new source."""

from __future__ import annotations

import pytest
from person import WAIT, press, press_mnemonic, retype, type_over
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from flowdock_desktop.sandbox import seed
from flowdock_desktop.store.integrations import UnknownIntegrationError
from flowdock_desktop.testing import connect_demo_source as make_integration
from flowdock_desktop.testing import messages_by_uuid
from flowdock_desktop.ui.composer import ComposerWindow

pytestmark = pytest.mark.gui


def rows(window: ComposerWindow) -> list[str]:
    listing = window.integrations_panel.list
    return [listing.item(i).text() for i in range(listing.count())]


def write(qtbot, window: ComposerWindow, thread_title: str, title: str) -> None:
    window.views.show("full")
    retype(qtbot, window.form.thread_title, thread_title)
    retype(qtbot, window.form.title, title)


def send_and_wait(qtbot, window: ComposerWindow):
    with qtbot.waitSignal(window.message_sent, timeout=WAIT) as blocker:
        qtbot.mouseClick(window.send_button, Qt.MouseButton.LeftButton)
    return blocker.args[0]


def lose_to_removal(qtbot, window: ComposerWindow, sandbox, source_id: int) -> None:
    """The source is deleted in Flowdock; the next send learns it (410) and keeps the text."""
    sandbox.state.delete_source_by_id(source_id)
    qtbot.mouseClick(window.send_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "removed in Flowdock" in window.banner.text, timeout=WAIT)


def test_set_up_again_replaces_the_entry_and_resends_through_the_new_source(
    qtbot, composer_context, sandbox, open_composer, screenshot
):
    old, old_source = make_integration(composer_context, sandbox.base_url)
    window = open_composer(old.id)
    write(qtbot, window, "Releases", "released 1.0")
    first = send_and_wait(qtbot, window)
    old_thread = messages_by_uuid(sandbox, first.uuid)[0]["thread_id"]

    write(qtbot, window, "Releases", "released 1.1")
    lose_to_removal(qtbot, window, sandbox, old_source.id)
    outbox = composer_context.outbox
    assert [i.state for i in outbox.list(old.id)] == ["sent", "gone"]
    qtbot.waitUntil(lambda: rows(window)[0] == "Removed in Flowdock", timeout=WAIT)
    assert "1 message not sent" in rows(window)[1]
    # The footer counts what is still to be sent; a removed integration's message is not.
    qtbot.waitUntil(
        lambda: window.outbox_label.full_text() == "Nothing waiting to be sent.",
        timeout=WAIT,
    )

    # "Set it up again" creates a new source in the same flow (the wizard's part).
    assert window.banner.button.text() == "Set it up again"
    with qtbot.waitSignal(window.add_integration_requested, timeout=WAIT):
        qtbot.mouseClick(window.banner.button, Qt.MouseButton.LeftButton)
    new, new_source = make_integration(composer_context, sandbox.base_url)
    window.reload_integrations()  # what the app does when the wizard created one

    qtbot.waitUntil(lambda: window.integration_id == new.id, timeout=WAIT)
    qtbot.waitUntil(lambda: "new thread" in window.banner.text, timeout=WAIT)
    assert rows(window) == ["Deploy bot\nAcme / Main · working"]  # one entry, not two
    assert "1 message written for the removed “Deploy bot” was not sent" in window.banner.text
    screenshot(window, "composer-resend-after-setup")
    qtbot.mouseClick(window.banner.button, Qt.MouseButton.LeftButton)

    qtbot.waitUntil(lambda: outbox.list(new.id, ("sent",)) != [], timeout=WAIT)
    resent = outbox.list(new.id, ("sent",))[0]
    stored = messages_by_uuid(sandbox, resent.uuid)
    assert len(stored) == 1 and stored[0]["title"] == "released 1.1"
    assert stored[0]["thread_id"] != old_thread  # a new source starts a new thread
    assert str(stored[0]["thread"]["source"]["id"]) == str(new_source.id)
    with pytest.raises(UnknownIntegrationError):
        composer_context.integrations.get(old.id)  # nothing left of it: forgotten
    qtbot.waitUntil(
        lambda: window.outbox_label.full_text() == "Outbox empty: all sent.", timeout=WAIT
    )


def test_a_removed_integration_can_be_forgotten(
    qtbot, composer_context, sandbox, open_composer, monkeypatch
):
    kept, _ = make_integration(composer_context, sandbox.base_url, name="Kept")
    gone, gone_source = make_integration(
        composer_context, sandbox.base_url, name="Old news", flow=seed.ANNOUNCEMENTS_FLOW
    )
    window = open_composer(gone.id)
    write(qtbot, window, "News", "wrote the news")
    lose_to_removal(qtbot, window, sandbox, gone_source.id)
    qtbot.waitUntil(lambda: "Removed in Flowdock" in rows(window), timeout=WAIT)
    assert rows(window)[0].startswith("Kept")  # working ones first, removed ones apart

    panel = window.integrations_panel
    assert panel.remove_button.text() == "Forget…"
    asked: list[str] = []

    def answer(parent, title, text, *args, **kwargs):
        asked.append(text)
        return QMessageBox.StandardButton.Yes

    monkeypatch.setattr(QMessageBox, "question", answer)
    qtbot.mouseClick(panel.remove_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: asked != [], timeout=WAIT)  # asked once the outbox is counted
    assert "1 message not sent will be deleted too" in asked[0]
    qtbot.waitUntil(lambda: len(rows(window)) == 1, timeout=WAIT)
    assert rows(window)[0].startswith("Kept")
    assert composer_context.outbox.list(gone.id) == []
    with pytest.raises(UnknownIntegrationError):
        composer_context.integrations.get(gone.id)
    qtbot.waitUntil(lambda: window.integration_id == kept.id, timeout=WAIT)


def test_removing_a_working_integration_says_what_is_not_sent_and_enter_keeps_it(
    qtbot, composer_context, sandbox, open_composer
):
    """Remove… on an integration with a refused message: the question counts it, and Enter
    (a person hurrying past the box) keeps everything; Yes is needed to delete."""
    from person import answer_with_enter, press, tab_to
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    integration, _ = make_integration(composer_context, sandbox.base_url)
    refused = composer_context.outbox.enqueue(integration.id, {"event": "activity", "title": "x"})
    composer_context.db.execute("UPDATE outbox SET state = 'failed' WHERE id = ?", (refused.id,))
    window = open_composer(integration.id, size=(1024, 700))
    panel = window.integrations_panel
    asked: list[tuple[str, QMessageBox.StandardButton]] = []

    tab_to(qtbot, panel.remove_button)
    QTimer.singleShot(0, lambda: answer_with_enter(qtbot, asked))
    press(qtbot, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: asked != [] and QApplication.activeModalWidget() is None)
    text, default = asked[0]
    assert "Its 1 message not sent will be deleted too." in text
    assert default == QMessageBox.StandardButton.No
    qtbot.wait(200)  # nothing is removed in the background either
    assert composer_context.integrations.get(integration.id).is_active
    assert [i.id for i in composer_context.outbox.list(integration.id)] == [refused.id]


def test_send_for_an_integration_needing_sign_in_keeps_the_message_and_offers_reconnect(
    qtbot, composer_context, sandbox, open_composer
):
    """Found looking at what Send does after a restart without a keyring: the message went
    to the outbox as refused, with "Set the integration up again. Fix the message and send
    again", though the message was fine and Reconnect is what the integration needs."""
    integration, _ = make_integration(composer_context, sandbox.base_url)
    composer_context.credentials.delete_flow_token(integration.id)  # as after a restart
    window = open_composer(integration.id, size=(1024, 700))
    qtbot.waitUntil(lambda: "needs sign-in" in window.banner.text, timeout=WAIT)
    press(qtbot, Qt.Key.Key_2, Qt.KeyboardModifier.ControlModifier)  # View > Full form
    press_mnemonic(qtbot, "i")
    type_over(qtbot, "Lunch at noon")
    press(qtbot, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    assert window.banner.text.startswith("Not sent; the message stays in the form. ")
    assert "Reconnect" in window.banner.text
    assert window.banner.button.text().replace("&", "") == "Reconnect"
    assert composer_context.outbox.list(integration.id) == []
    assert window.form.thread_title.text() == "Lunch at noon"


def test_send_before_the_token_check_answered_waits_for_reconnect_instead_of_refused(
    qtbot, composer_context, sandbox, open_composer, monkeypatch
):
    """The window's own check (does it still have its flow token?) has not answered when the
    person presses Send: the message meets the missing token in delivery. It is kept in the
    outbox, waiting, not refused; the notice says so and offers Reconnect, and the integration
    is listed as needing sign-in."""
    import threading

    from flowdock_desktop import connect
    from flowdock_desktop.ui.reconnect import WAITS_LEAD

    integration, _ = make_integration(composer_context, sandbox.base_url)
    composer_context.credentials.delete_flow_token(integration.id)  # as after a restart
    # Not tried again while the test looks (a retry on the outbox timer's worker would show
    # the message as "sending" for a moment).
    composer_context.outbox.base_delay = composer_context.outbox.max_delay = 600.0
    answer = threading.Event()
    check = connect.without_flow_token

    def slow_check(credentials, integrations):
        answer.wait(timeout=60)
        return check(credentials, integrations)

    monkeypatch.setattr(connect, "without_flow_token", slow_check)
    try:
        window = open_composer(integration.id, size=(1024, 700))
        assert "needs sign-in" not in window.banner.text  # not known yet
        press(qtbot, Qt.Key.Key_2, Qt.KeyboardModifier.ControlModifier)  # View > Full form
        press_mnemonic(qtbot, "i")
        type_over(qtbot, "Lunch at noon")
        press(qtbot, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
        qtbot.waitUntil(lambda: window.banner.text.startswith(WAITS_LEAD), timeout=WAIT)
        assert "needs sign-in" in window.banner.text and "Reconnect" in window.banner.text
        assert window.banner.button.text().replace("&", "") == "Reconnect"
        assert window.banner.kind == "warning"
        (kept,) = composer_context.outbox.list(integration.id)
        assert kept.state == "queued" and "press Reconnect" in kept.last_error
        qtbot.waitUntil(lambda: "needs sign-in" in rows(window)[0], timeout=WAIT)
        qtbot.waitUntil(
            lambda: window.outbox_label.full_text().startswith("1 waiting"), timeout=WAIT
        )
        assert "refused" not in window.outbox_label.full_text()
    finally:
        answer.set()


def test_f2_renames_and_delete_removes_the_chosen_integration_from_the_keyboard(
    qtbot, composer_context, sandbox, open_composer
):
    """The list's buttons have no Alt+letter (the form has them all): the desktop's own keys
    work on the chosen entry instead, F2 to rename and Delete to remove, and only while the
    list has the focus, so Delete typed in the form removes nothing."""
    from person import answer_question, focused
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication, QInputDialog

    kept, _ = make_integration(composer_context, sandbox.base_url, name="Kept")
    make_integration(
        composer_context, sandbox.base_url, name="Old news", flow=seed.ANNOUNCEMENTS_FLOW
    )
    window = open_composer(kept.id, size=(1024, 700))
    panel = window.integrations_panel

    press(qtbot, Qt.Key.Key_2, Qt.KeyboardModifier.ControlModifier)  # View > Full form
    press_mnemonic(qtbot, "i")
    type_over(qtbot, "Lunch")
    press(qtbot, Qt.Key.Key_Delete)  # in the form: a character, not the integration
    assert window.form.thread_title.text() == "Lunch"
    assert len(composer_context.integrations.list()) == 2

    renamed: list[str] = []
    labels: list[str] = []

    def rename_when_asked(tries: int = 0) -> None:  # the dialog runs its own event loop
        dialog = QApplication.activeModalWidget()
        if isinstance(dialog, QInputDialog) and QApplication.activeWindow() is None:
            dialog.activateWindow()  # offscreen, a dialog shown after one closed is not
        focus = QApplication.focusWidget()
        ready = (
            isinstance(dialog, QInputDialog) and focus is not None and dialog.isAncestorOf(focus)
        )
        if not ready:  # not yet shown, or the focus not yet in it
            if tries < 200:
                QTimer.singleShot(20, lambda: rename_when_asked(tries + 1))
            return
        renamed.append(dialog.textValue())
        labels.append(dialog.labelText())
        # Into the dialog's own focus: first a blank name, which is asked again.
        type_over(qtbot, "Lunch bot" if renamed[1:] else "   ")
        press(qtbot, Qt.Key.Key_Return)
        if not renamed[1:]:
            QTimer.singleShot(0, rename_when_asked)

    press_mnemonic(qtbot, "n")  # I&ntegrations: the list
    assert focused() is panel.list
    QTimer.singleShot(0, rename_when_asked)
    press(qtbot, Qt.Key.Key_F2)
    qtbot.waitUntil(lambda: any(r.startswith("Lunch bot") for r in rows(window)), timeout=WAIT)
    assert renamed == ["Kept", "   "]  # the second time, what was typed, to fix
    assert labels[0] == "Name shown here:"
    assert labels[1].startswith("The name can't be blank. Type another, or press Cancel")
    assert composer_context.integrations.get(kept.id).source_name == "Lunch bot"

    # The offscreen platform hands no window the focus back after a dialog; a desktop does.
    qtbot.waitUntil(lambda: QApplication.activeModalWidget() is None, timeout=WAIT)
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is panel.list, timeout=WAIT)
    # Arrowing through the list stays in the list while each integration's draft loads.
    for key, chosen in ((Qt.Key.Key_Up, "Old news"), (Qt.Key.Key_Down, "Lunch bot")):
        press(qtbot, key)
        qtbot.waitUntil(lambda chosen=chosen: window.integration.source_name == chosen)
        qtbot.waitUntil(lambda: window._draft_ready, timeout=WAIT)
        qtbot.wait(100)  # the draft's read has answered; nothing moves the focus after it
        assert focused() is panel.list
    assert window.form.thread_title.text() == "Lunch"  # its draft, back in the form
    asked: list[str] = []
    QTimer.singleShot(0, lambda: answer_question(qtbot, asked, QMessageBox.StandardButton.Yes))
    press(qtbot, Qt.Key.Key_Delete)
    qtbot.waitUntil(lambda: len(rows(window)) == 1, timeout=WAIT)
    assert asked and "Lunch bot" in asked[0]
    assert rows(window)[0].startswith("Old news")
    with pytest.raises(UnknownIntegrationError):
        composer_context.integrations.get(kept.id)
