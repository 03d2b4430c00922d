"""File > Save as template…, by keyboard: the name is checked where it is typed, one's own
template can be replaced, and what the store refuses is said in the dialog, which stays open."""

from __future__ import annotations

import pytest
from person import (
    WAIT,
    closed,
    focused,
    open_save_dialog,
    press,
    press_mnemonic,
    type_over,
    type_text,
)
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QLineEdit

from flowdock_desktop.testing import connect_demo_source as make_integration

pytestmark = pytest.mark.gui


def message_of(dialog) -> str:
    """The line under the name, as shown (empty when hidden)."""
    return dialog.message.text() if dialog.message.isVisible() else ""


def button_text(dialog) -> str:
    return dialog.save_button.text().replace("&", "")


def user_templates(context) -> dict[str, dict]:
    return {t.name: t.fields for t in context.templates.list() if not t.builtin}


def test_a_template_saved_and_replaced_by_keys_with_the_name_checked_as_typed(
    qtbot, composer_context, sandbox, open_composer, screenshot
):
    integration, _ = make_integration(composer_context, sandbox.base_url)
    window = open_composer(integration.id, size=(1024, 700))
    press(qtbot, Qt.Key.Key_2, Qt.KeyboardModifier.ControlModifier)  # View > Full form
    form = window.form
    press_mnemonic(qtbot, "i")  # Thread t&itle
    type_over(qtbot, "Weekly status")

    dialog = open_save_dialog(qtbot)
    assert isinstance(focused(), QLineEdit)
    assert focused().text() == ""  # the chosen template is a built-in: nothing to replace
    assert message_of(dialog) == "Give the template a name."
    assert not dialog.save_button.isEnabled()

    type_text(qtbot, "announcement")
    assert message_of(dialog) == "“Announcement” is a built-in template: choose another name."
    assert dialog.message.is_error
    assert not dialog.save_button.isEnabled()
    screenshot(dialog, "composer-save-template-builtin")
    press(qtbot, Qt.Key.Key_Return)  # nothing to save: the dialog stays, asking
    assert dialog.isVisible()

    type_over(qtbot, "")  # emptied again: now an error to fix
    press(qtbot, Qt.Key.Key_Backspace)
    assert message_of(dialog) == "Give the template a name."
    assert dialog.message.is_error and not dialog.save_button.isEnabled()

    type_text(qtbot, "Weekly note")
    assert message_of(dialog) == ""
    assert dialog.save_button.isEnabled() and button_text(dialog) == "Save"
    press(qtbot, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: closed(dialog), timeout=WAIT)
    qtbot.waitUntil(lambda: window.template_box.findData("Weekly note") >= 0, timeout=WAIT)
    assert user_templates(composer_context)["Weekly note"]["thread_title"] == "Weekly status"
    assert window.banner.text == "Saved the template “Weekly note”."
    assert window.template_box.currentData() == "Weekly note"  # the form matches it now

    # A field changed, then saved over the same template.
    qtbot.waitUntil(lambda: focused() is form.thread_title, timeout=WAIT)  # where it was
    press_mnemonic(qtbot, "i")
    type_over(qtbot, "Weekly status, week 2")
    dialog = open_save_dialog(qtbot)
    assert focused().text() == "Weekly note"  # the person's own template, chosen in the list
    type_over(qtbot, "weekly NOTE")  # the store's names ignore case
    assert message_of(dialog) == "You already have “Weekly note”: Save replaces it."
    assert not dialog.message.is_error
    assert dialog.save_button.isEnabled() and button_text(dialog) == "Replace"
    type_over(qtbot, "Weekly note")
    screenshot(dialog, "composer-save-template-replace")
    press(qtbot, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: closed(dialog), timeout=WAIT)
    qtbot.waitUntil(
        lambda: (
            user_templates(composer_context).get("Weekly note", {}).get("thread_title")
            == "Weekly status, week 2"
        ),
        timeout=WAIT,
    )
    assert list(user_templates(composer_context)) == ["Weekly note"]

    # Esc on a third time writes nothing.
    saved = user_templates(composer_context)
    press_mnemonic(qtbot, "i")
    type_over(qtbot, "Not to be kept")
    dialog = open_save_dialog(qtbot)
    field = focused()
    press(qtbot, Qt.Key.Key_Tab)
    assert focused() is not field
    press_mnemonic(qtbot, "n")  # Template &name
    assert focused() is field
    type_over(qtbot, "Another note")
    press(qtbot, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: closed(dialog), timeout=WAIT)
    assert user_templates(composer_context) == saved
    assert form.thread_title.text() == "Not to be kept"

    # After a restart the template is still the person's own: offered for replacing.
    window.close()
    window = open_composer(integration.id, size=(1024, 700))
    dialog = open_save_dialog(qtbot)
    type_text(qtbot, "Weekly note")
    assert button_text(dialog) == "Replace"
    press(qtbot, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: closed(dialog), timeout=WAIT)


def test_a_name_saved_meanwhile_elsewhere_is_offered_for_replacing(
    qtbot, composer_context, sandbox, open_composer
):
    integration, _ = make_integration(composer_context, sandbox.base_url)
    window = open_composer(integration.id)
    press(qtbot, Qt.Key.Key_2, Qt.KeyboardModifier.ControlModifier)
    press_mnemonic(qtbot, "i")
    type_over(qtbot, "Standup notes")
    dialog = open_save_dialog(qtbot)
    type_text(qtbot, "Standup")
    assert button_text(dialog) == "Save"
    # Another window of the app saves a template of that name while this one asks.
    composer_context.templates.save("Standup", {"event": "activity", "thread_title": "Old"})
    press(qtbot, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: button_text(dialog) == "Replace", timeout=WAIT)
    assert dialog.isVisible()
    assert message_of(dialog) == "You already have “Standup”: Save replaces it."
    assert user_templates(composer_context)["Standup"]["thread_title"] == "Old"
    press(qtbot, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: closed(dialog), timeout=WAIT)
    assert user_templates(composer_context)["Standup"]["thread_title"] == "Standup notes"
    qtbot.waitUntil(lambda: window.template_box.findData("Standup") >= 0, timeout=WAIT)


def test_a_full_disk_while_saving_is_said_in_the_dialog_and_saving_again_works(
    qtbot, composer_context, sandbox, open_composer, monkeypatch
):
    from flowdock_desktop.store import db as db_module

    integration, _ = make_integration(composer_context, sandbox.base_url)
    window = open_composer(integration.id)
    press(qtbot, Qt.Key.Key_2, Qt.KeyboardModifier.ControlModifier)
    press_mnemonic(qtbot, "b")  # Thread &body
    # Pasted, as a long text is: far more than the free room in the data file's pages.
    text = "A long thread body. " * 2000
    QApplication.clipboard().setText(text)
    press(qtbot, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(
        lambda: (composer_context.drafts.load(integration.id) or {}).get("body") == text,
        timeout=WAIT,
    )

    # The data file may not grow (SQLite's own full-disk answer); the pages it has free are
    # too few for the text.
    db = composer_context.db
    limit = [db.query("PRAGMA page_count")[0][0]]
    free = db.query("PRAGMA freelist_count")[0][0] * db.query("PRAGMA page_size")[0][0]
    assert free < len(text) // 2
    real_connect = db_module._connect

    def connect(path, migrations):
        conn = real_connect(path, migrations)
        conn.execute(f"PRAGMA max_page_count = {limit[0]}")
        return conn

    def set_limit(pages: int) -> None:
        limit[0] = pages
        for conn, _lock in list(db._all):
            conn.execute(f"PRAGMA max_page_count = {pages}")

    monkeypatch.setattr(db_module, "_connect", connect)
    set_limit(limit[0])
    dialog = open_save_dialog(qtbot)
    type_text(qtbot, "Long one")
    press(qtbot, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: dialog.banner.isVisible(), timeout=WAIT)
    shown = dialog.banner.text
    assert shown.startswith("Could not save the template.")
    assert "disk is full" in shown and "Something went wrong" not in shown
    assert dialog.isVisible() and focused().text() == "Long one"  # nothing typed is lost
    assert "Long one" not in user_templates(composer_context)

    set_limit(1_073_741_823)  # room again: Enter saves
    press(qtbot, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: closed(dialog), timeout=WAIT)
    assert user_templates(composer_context)["Long one"]["body"] == text
    assert window.banner.text == "Saved the template “Long one”."


def test_a_passing_notice_gives_the_needs_sign_in_notice_back(
    qtbot, composer_context, sandbox, open_composer
):
    """Found walking the composer under X: with the integration needing sign-in, "Saved the
    template" (or "Fix the marked fields") took the place of the needs-sign-in notice and its
    Reconnect button for good, though the integration still could not post."""
    integration, _ = make_integration(composer_context, sandbox.base_url)
    composer_context.credentials.delete_flow_token(integration.id)  # as after a restart
    window = open_composer(integration.id, size=(1024, 700))

    def needs_sign_in() -> bool:
        return "needs sign-in" in window.banner.text and (
            window.banner.button.isVisible()
            and window.banner.button.text().replace("&", "") == "Reconnect"
        )

    qtbot.waitUntil(needs_sign_in, timeout=WAIT)
    press(qtbot, Qt.Key.Key_2, Qt.KeyboardModifier.ControlModifier)  # View > Full form
    press_mnemonic(qtbot, "i")
    type_over(qtbot, "Weekly status")
    dialog = open_save_dialog(qtbot)
    type_text(qtbot, "Weekly")
    press(qtbot, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.banner.text == "Saved the template “Weekly”.", timeout=WAIT)
    assert closed(dialog)
    qtbot.waitUntil(needs_sign_in, timeout=WAIT)  # a moment later, back

    press_mnemonic(qtbot, "i")
    type_over(qtbot, "")
    press(qtbot, Qt.Key.Key_Backspace)
    press(qtbot, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    assert "Fix the marked fields" in window.banner.text
    type_text(qtbot, "Weekly status")  # fixed: that notice goes, the standing one is back
    qtbot.waitUntil(needs_sign_in, timeout=WAIT)
