"""The composer driven like a person drives it: keys go to whatever has focus.

Each test starts from a fresh profile and a real sandbox, moves focus with mnemonics and Tab,
types into ``QApplication.focusWidget()`` and checks what the sandbox stored, not what a
widget claims.
"""

from __future__ import annotations

import json

import httpx
import pytest
from person import (
    WAIT,
    duplicate_mnemonics,
    focused,
    mnemonics,
    press,
    press_mnemonic,
    type_over,
    type_text,
)
from PySide6.QtCore import Qt
from PySide6.QtGui import QAccessible
from PySide6.QtWidgets import QWidget

from flowdock_desktop.compose import FormState
from flowdock_desktop.sandbox import seed
from flowdock_desktop.testing import connect_demo_source as make_integration
from flowdock_desktop.testing import messages_by_uuid
from flowdock_desktop.ui.composer import ComposerWindow

pytestmark = pytest.mark.gui

#: Each field of the full form and the label a screen reader must keep saying for it.
FIELD_NAMES = {
    "thread.title": "Thread title",
    "external_thread_id": "External thread id (same id = same thread)",
    "thread.status.value": "Status",
    "event": "Event",
    "title": "Title",
    "body": "Message text",
    "author.name": "Author name",
    "author.avatar": "Author avatar URL",
    "tags": "Tags (comma-separated)",
    "thread.body": "Thread body",
    "thread.external_url": "External link (URL)",
}


def send_with_keys(qtbot, window: ComposerWindow):
    with qtbot.waitSignal(window.message_sent, timeout=WAIT) as blocker:
        press(qtbot, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    return blocker.args[0]


def accessible_name(widget: QWidget) -> str:
    interface = QAccessible.queryAccessibleInterface(widget)
    assert interface is not None
    return interface.text(QAccessible.Text.Name)


def threads_of_main(sandbox) -> list[dict]:
    answer = httpx.get(
        f"{sandbox.base_url}/flows/{seed.ORG_SLUG}/{seed.MAIN_FLOW}/threads",
        auth=httpx.BasicAuth(seed.DEMO_API_TOKEN, "x"),
    )
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_typing_an_existing_thread_id_updates_that_thread(
    qtbot, composer_context, sandbox, open_composer
):
    integration, _ = make_integration(composer_context, sandbox.base_url)
    window = open_composer(integration.id)
    form = window.form
    window.views.show("full")

    press_mnemonic(qtbot, "i")  # Thread t&itle
    assert focused() is form.thread_title
    type_over(qtbot, "First steps")
    press_mnemonic(qtbot, "t")  # &Title
    type_over(qtbot, "opened the thread")
    first = send_with_keys(qtbot, window)
    stored = messages_by_uuid(sandbox, first.uuid)[0]
    assert first.item.payload["external_thread_id"] == "first-steps"  # made from the title

    # The composer now knows the thread and suggests it; typing its id must keep the id.
    qtbot.waitUntil(lambda: bool(window.threads_panel.views), timeout=WAIT)
    press_mnemonic(qtbot, "t")
    type_over(qtbot, "added a second step")
    press_mnemonic(qtbot, "d")  # External thread i&d
    assert focused() is form.external_thread_id
    assert "first-steps" in form.external_thread_id.suggestion_ids()
    type_over(qtbot, "first-steps")
    popup = form.external_thread_id.completer().popup()
    qtbot.waitUntil(popup.isVisible, timeout=WAIT)  # the suggestion shows its title...
    assert popup.model().index(0, 0).data() == "first-steps — First steps"
    assert form.external_thread_id.text() == "first-steps"  # ...and the field keeps the id
    press(qtbot, Qt.Key.Key_Down)  # picking the suggestion puts in its id, not its label
    press(qtbot, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: not popup.isVisible(), timeout=WAIT)
    assert form.external_thread_id.text() == "first-steps"
    second = send_with_keys(qtbot, window)

    posted = messages_by_uuid(sandbox, second.uuid)[0]
    assert second.item.payload["external_thread_id"] == "first-steps"
    assert posted["thread_id"] == stored["thread_id"]
    mine = [t for t in threads_of_main(sandbox) if t["title"] == "First steps"]
    assert len(mine) == 1
    assert mine[0]["activities"] == 2

    # Every field is still named after its label, whatever it holds now.
    for key, label in FIELD_NAMES.items():
        assert accessible_name(form.widget_for(key)) == label, key
    assert accessible_name(form.swatches.buttons["green"]) == "Status colour green"


def test_a_first_message_from_a_fresh_integration_takes_two_typed_fields(
    qtbot, composer_context, sandbox, open_composer
):
    integration, _ = make_integration(composer_context, sandbox.base_url, name="Office")
    window = open_composer(integration.id)
    window.views.show("full")
    form = window.form
    # The first template is applied and the cursor waits in the first field still empty.
    assert window.template_box.currentData() == "Announcement"
    qtbot.waitUntil(lambda: focused() is form.thread_title, timeout=WAIT)

    type_text(qtbot, "Office closed Friday")
    assert form.external_thread_id.text() == "office-closed-friday"  # shown, editable
    press_mnemonic(qtbot, "x")  # Message te&xt
    type_text(qtbot, "We are **closed** on Friday.")
    result = send_with_keys(qtbot, window)

    stored = messages_by_uuid(sandbox, result.uuid)[0]
    assert stored["title"] == "posted an announcement"
    assert stored["body"] == "<p>We are <strong>closed</strong> on Friday.</p>"
    assert stored["thread"]["title"] == "Office closed Friday"
    assert result.item.payload["external_thread_id"] == "office-closed-friday"
    assert stored["thread"]["status"] == {"value": "announcement", "color": "blue"}


def test_validation_messages_and_the_banner_clear_as_fields_become_valid(
    qtbot, composer_context, sandbox, open_composer
):
    integration, _ = make_integration(composer_context, sandbox.base_url)
    window = open_composer(integration.id)
    window.views.show("full")
    form = window.form
    press_mnemonic(qtbot, "t")
    type_over(qtbot, "")
    press(qtbot, Qt.Key.Key_Backspace)  # the title emptied
    press(qtbot, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    assert "Fix the marked fields" in window.banner.text
    assert form.message_for("title").is_error
    assert form.message_for("thread.title").is_error
    assert focused() is form.thread_title  # the first marked field, in the order shown

    type_text(qtbot, "Week notes")
    qtbot.waitUntil(lambda: not form.message_for("thread.title").is_error, timeout=WAIT)
    assert form.message_for("title").is_error  # still wrong, still marked
    assert "Fix the marked fields" in window.banner.text
    press_mnemonic(qtbot, "t")
    type_text(qtbot, "wrote the notes")
    qtbot.waitUntil(lambda: not form.message_for("title").is_error, timeout=WAIT)
    qtbot.waitUntil(lambda: window.banner.text == "", timeout=WAIT)
    assert composer_context.outbox.list(integration.id) == []


def test_send_checks_what_was_typed_last_even_before_the_form_checked_it(
    qtbot, composer_context, sandbox, open_composer, monkeypatch
):
    integration, _ = make_integration(composer_context, sandbox.base_url)
    window = open_composer(integration.id)
    window.views.show("full")
    form = window.form
    press_mnemonic(qtbot, "i")
    type_over(qtbot, "Checked once")
    qtbot.waitSignal(form.validated, timeout=WAIT).wait()  # checked as typed
    checks: list[FormState] = []
    check = FormState.errors
    monkeypatch.setattr(FormState, "errors", lambda state: checks.append(state) or check(state))
    with qtbot.waitSignal(window.message_sent, timeout=WAIT) as sent:
        press(qtbot, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    assert checks == []  # the message as checked a moment ago: not parsed and checked again
    assert messages_by_uuid(sandbox, sent.args[0].uuid)[0]["thread"]["title"] == "Checked once"

    # Emptied and sent at once, before the check that follows typing: Send checks it anew.
    press_mnemonic(qtbot, "t")
    type_over(qtbot, "")
    press(qtbot, Qt.Key.Key_Backspace)
    press(qtbot, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    assert len(checks) == 1
    assert "Fix the marked fields" in window.banner.text
    assert form.message_for("title").is_error


def test_every_mnemonic_on_screen_is_unique(qtbot, composer_context, sandbox, open_composer):
    integration, _ = make_integration(composer_context, sandbox.base_url)
    window = open_composer(integration.id)
    window.form.fields.add_button.click()
    for view in ("full", "announcement"):
        window.views.show(view)
        for tab in range(window.right_tabs.count()):
            window.right_tabs.setCurrentIndex(tab)
            letters = {letter for letter, _ in mnemonics(window)}
            assert {"f", "w", "h", "m", "y", "t", "x", "s", "o", "q"} <= letters
            assert duplicate_mnemonics(window) == {}, (view, window.right_tabs.tabText(tab))
            if window.right_tabs.currentWidget() is window.outbox_panel:
                assert "c" in letters  # Dis&card…


def in_the_json_tab(qtbot, composer_context, sandbox, open_composer):
    """A composer with a thread title typed in the form, then Alt+J: the keys are in the JSON
    tab's text. Returns the integration, the window and the message the JSON shows."""
    integration, _ = make_integration(composer_context, sandbox.base_url)
    window = open_composer(integration.id)
    window.views.show("full")
    press_mnemonic(qtbot, "i")
    type_over(qtbot, "Typed in the form")
    qtbot.waitUntil(lambda: "Typed in the form" in window.preview.json_edit.toPlainText())
    data = json.loads(window.preview.json_edit.toPlainText())
    press_mnemonic(qtbot, "j")  # the &JSON tab, the cursor in its text
    qtbot.waitUntil(lambda: focused() is window.preview.json_edit, timeout=WAIT)
    return integration, window, data


def test_json_typed_and_sent_at_once_goes_out_as_typed(
    qtbot, composer_context, sandbox, open_composer
):
    integration, window, data = in_the_json_tab(qtbot, composer_context, sandbox, open_composer)
    type_over(qtbot, '{"title": ')  # broken, and Send pressed before the pause is over
    press(qtbot, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    assert "Not sent: the JSON tab" in window.banner.text
    assert "not valid JSON" in window.preview.json_message.text()
    assert focused() is window.preview.json_edit
    assert composer_context.outbox.list(integration.id) == []

    data["thread"]["title"] = "Typed in the JSON"
    type_over(qtbot, json.dumps(data))
    result = send_with_keys(qtbot, window)  # at once: the edit's pause is not over
    stored = messages_by_uuid(sandbox, result.uuid)[0]
    assert stored["thread"]["title"] == "Typed in the JSON"
    assert window.form.thread_title.text() == "Typed in the JSON"


def test_json_typed_just_before_closing_is_kept_in_the_draft(
    qtbot, composer_context, sandbox, open_composer
):
    integration, window, data = in_the_json_tab(qtbot, composer_context, sandbox, open_composer)
    data["thread"]["title"] = "Typed in the JSON"
    type_over(qtbot, json.dumps(data))
    press(qtbot, Qt.Key.Key_W, Qt.KeyboardModifier.ControlModifier)  # File > Close, at once
    # Applied as the window closed, not by the edit's pause ending later: after the last
    # window the app has quit, and no timer runs any more.
    assert not window.isVisible()
    assert window.form.thread_title.text() == "Typed in the JSON"
    qtbot.waitUntil(
        lambda: (
            (composer_context.drafts.load(integration.id) or {}).get("thread_title")
            == "Typed in the JSON"
        ),
        timeout=WAIT,
    )


def test_tab_follows_the_form_in_reading_order_and_a_tab_mnemonic_enters_its_tab(
    qtbot, composer_context, sandbox, open_composer
):
    """Found walking the composer under X: Tab from the thread title went to the
    integrations' Add… button (the title had been moved after the integration list), and
    Alt+J showed the JSON tab with the cursor still in the form, so what was typed next went
    into a field out of sight (and a space typed on Add… opened a wizard)."""
    integration, _ = make_integration(composer_context, sandbox.base_url)
    window = open_composer(integration.id)
    window.views.show("full")
    form = window.form
    press_mnemonic(qtbot, "i")
    assert focused() is form.thread_title
    press(qtbot, Qt.Key.Key_Tab)
    assert focused() is form.external_thread_id
    press(qtbot, Qt.Key.Key_Tab)
    assert focused() is form.status_value
    press(qtbot, Qt.Key.Key_Backtab)
    press(qtbot, Qt.Key.Key_Backtab)
    assert focused() is form.thread_title
    press(qtbot, Qt.Key.Key_Backtab)  # before the form: the template bar's last button
    assert focused() is window.template_bar.save_button

    press_mnemonic(qtbot, "j")
    qtbot.waitUntil(lambda: focused() is window.preview.json_edit, timeout=WAIT)
    press_mnemonic(qtbot, "o")
    qtbot.waitUntil(lambda: focused() is window.outbox_panel.tree, timeout=WAIT)
    press_mnemonic(qtbot, "q")
    qtbot.waitUntil(lambda: window.request_log.isAncestorOf(focused()), timeout=WAIT)
