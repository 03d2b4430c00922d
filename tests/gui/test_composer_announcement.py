"""The Announcement view and templates, as a non-technical person uses them: by keyboard."""

from __future__ import annotations

import time

import pytest
from person import WAIT, focused, press, press_mnemonic, type_over, type_text
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QPlainTextEdit

from flowdock_desktop.testing import connect_demo_source as make_integration
from flowdock_desktop.testing import messages_by_uuid
from flowdock_desktop.ui.composer.placeholder_dialog import PlaceholderDialog

pytestmark = pytest.mark.gui


def test_an_announcement_in_three_fields_with_the_formatting_toolbar(
    qtbot, composer_context, sandbox, open_composer, screenshot
):
    integration, _ = make_integration(composer_context, sandbox.base_url, name="Office")
    window = open_composer(integration.id, size=(1024, 700))
    press(qtbot, Qt.Key.Key_1, Qt.KeyboardModifier.ControlModifier)  # View > Announcement
    view = window.announcement
    qtbot.waitUntil(view.isVisible, timeout=WAIT)
    assert focused() is view.title  # the cursor where the first thing goes

    type_text(qtbot, "Office closed Friday")
    press_mnemonic(qtbot, "x")  # Te&xt
    assert focused() is view.text.edit
    type_text(qtbot, "We are ")
    press(qtbot, Qt.Key.Key_B, Qt.KeyboardModifier.ControlModifier)  # bold, the cursor between **
    type_text(qtbot, "closed")
    press(qtbot, Qt.Key.Key_B, Qt.KeyboardModifier.ControlModifier)  # bold ends, as it began
    type_text(qtbot, " on ")
    press(qtbot, Qt.Key.Key_I, Qt.KeyboardModifier.ControlModifier)
    type_text(qtbot, "Friday")
    press(qtbot, Qt.Key.Key_I, Qt.KeyboardModifier.ControlModifier)
    type_text(qtbot, ".")
    press(qtbot, Qt.Key.Key_Return)
    qtbot.mouseClick(view.text.tools["bullets"], Qt.MouseButton.LeftButton)
    type_text(qtbot, "Post goes to reception")
    assert view.text.text() == "We are **closed** on _Friday_.\n- Post goes to reception"
    press_mnemonic(qtbot, "s")  # &Status (optional)
    type_over(qtbot, "important")
    press(qtbot, Qt.Key.Key_Tab)  # to the colours: one stop, on the chosen one (the template's)
    assert focused() is view.swatches.buttons["blue"]
    press(qtbot, Qt.Key.Key_Right)  # past the last, round to the first: none
    press(qtbot, Qt.Key.Key_Right)
    press(qtbot, Qt.Key.Key_Right)
    assert view.swatches.colour() == "green"
    screenshot(window, "composer-announcement-1024x700")

    # The full form, one click away, shows the same message with every detail.
    qtbot.mouseClick(window.view_switch.group.buttons()[1], Qt.MouseButton.LeftButton)
    form = window.form
    assert form.thread_title.text() == "Office closed Friday"
    assert form.external_thread_id.text() == "office-closed-friday"
    assert form.message_body.text() == view.text.text()
    assert form.title.text() == "posted an announcement"
    assert form.swatches.colour() == "green" and form.status_value.text() == "important"
    qtbot.mouseClick(window.view_switch.group.buttons()[0], Qt.MouseButton.LeftButton)

    with qtbot.waitSignal(window.message_sent, timeout=WAIT) as sent:
        press(qtbot, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    stored = messages_by_uuid(sandbox, sent.args[0].uuid)[0]
    assert stored["thread"]["title"] == "Office closed Friday"
    assert stored["body"] == (
        "<p>We are <strong>closed</strong> on <em>Friday</em>.</p>\n<ul>\n"
        "<li>Post goes to reception</li>\n</ul>"
    )
    assert stored["title"] == "posted an announcement"
    assert stored["thread"]["status"] == {"value": "important", "color": "green"}
    # The choice of view is remembered for the next start.
    qtbot.waitUntil(
        lambda: composer_context.settings.get("composer_view") == "announcement",
        timeout=WAIT,
    )


def test_problems_the_announcement_view_cannot_show_open_the_full_form(
    qtbot, composer_context, sandbox, open_composer
):
    integration, _ = make_integration(composer_context, sandbox.base_url)
    window = open_composer(integration.id)
    window.views.show("announcement")
    press(qtbot, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)  # no title yet
    assert window.announcement.first_error_widget() is window.announcement.title
    assert focused() is window.announcement.title
    assert "Fix the marked fields" in window.banner.text
    type_text(qtbot, "Lunch")
    qtbot.waitUntil(lambda: window.banner.text == "", timeout=WAIT)

    window.form.author_name.clear()  # only the full form has the author
    press(qtbot, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: window.views.mode == "full", timeout=WAIT)
    assert focused() is window.form.author_name
    assert window.form.message_for("author.name").is_error


def test_a_template_asks_for_its_blanks_in_a_dialog_with_room_for_text(
    qtbot, composer_context, sandbox, open_composer, screenshot
):
    integration, _ = make_integration(composer_context, sandbox.base_url)
    window = open_composer(integration.id)
    window.views.show("full")
    seen: dict[str, object] = {}

    def fill_dialog() -> None:
        dialog = QApplication.activeModalWidget()
        if not isinstance(dialog, PlaceholderDialog) or not dialog.isAncestorOf(
            QApplication.focusWidget()
        ):
            QTimer.singleShot(20, fill_dialog)  # not open, or not yet taking the keys
            return
        try:
            answer(dialog)
        finally:
            if dialog.isVisible():  # never leave a modal dialog behind a failed step
                seen["left open"] = True
                dialog.reject()

    def answer(dialog: PlaceholderDialog) -> None:
        seen["heading"] = dialog.heading.text()
        seen["title fits"] = dialog.width() >= dialog.fontMetrics().horizontalAdvance(
            dialog.windowTitle()
        )
        seen["message box"] = type(dialog.edits["message"]).__name__
        screenshot(dialog, "composer-template-blanks")
        type_text(qtbot, "Office closed Friday")  # the first blank has the cursor
        press(qtbot, Qt.Key.Key_Tab)
        type_text(qtbot, "We are closed.")
        press(qtbot, Qt.Key.Key_Return)  # a new line in the text, not the end of the dialog
        type_text(qtbot, "Back on Monday.")
        press(qtbot, Qt.Key.Key_Tab)  # on to the buttons; Enter presses "Use template"
        press(qtbot, Qt.Key.Key_Return)

    QTimer.singleShot(0, fill_dialog)
    press_mnemonic(qtbot, "m")  # Te&mplate
    assert focused() is window.template_box
    assert window.template_box.currentData() == "Announcement"
    press_mnemonic(
        qtbot, "y"
    )  # Appl&y: the button is pressed a moment later and opens the (modal) dialog
    qtbot.waitUntil(lambda: "heading" in seen, timeout=WAIT)
    assert "left open" not in seen
    assert "Use the template “Announcement”" in seen["heading"]
    assert seen["title fits"] and seen["message box"] == QPlainTextEdit.__name__
    form = window.form
    qtbot.waitUntil(lambda: form.thread_title.text() == "Office closed Friday", timeout=WAIT)
    assert form.message_body.text() == "We are closed.\nBack on Monday."
    assert form.body.text() == ""  # the text is the message's own, not the thread's
    assert form.external_thread_id.text() == "office-closed-friday"


def test_the_view_chosen_last_is_the_one_remembered(
    qtbot, composer_context, sandbox, open_composer, monkeypatch
):
    integration, _ = make_integration(composer_context, sandbox.base_url)
    window = open_composer(integration.id)
    settings = composer_context.settings
    write = settings.set
    writes: list[str] = []

    def slow_for_full(key: str, value: object) -> None:
        if key == "composer_view" and value == "full":
            time.sleep(0.5)  # this write is still on its way when the next choice is made
        write(key, value)
        writes.append(str(value))

    monkeypatch.setattr(settings, "set", slow_for_full)
    full, announcement = (
        window.view_switch.group.buttons()[1],
        window.view_switch.group.buttons()[0],
    )
    qtbot.mouseClick(full, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(announcement, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: writes[-1:] == ["announcement"], timeout=WAIT)
    assert writes == ["full", "announcement"]  # one at a time, the last choice last
    assert settings.get("composer_view") == "announcement"


def test_the_announcement_view_is_built_when_first_shown_and_tab_goes_through_it_in_place(
    qtbot, composer_context, sandbox, open_composer
):
    # A start in the full form builds no Announcement view; once shown, Tab goes through its
    # fields where they are (title, text, status, colour), then on to Send, as in a view
    # built with the window; not after the side tabs.
    from flowdock_desktop.ui.composer.announcement import AnnouncementForm

    integration, _ = make_integration(composer_context, sandbox.base_url)
    window = open_composer(integration.id)
    assert window.findChildren(AnnouncementForm) == []

    press(qtbot, Qt.Key.Key_1, Qt.KeyboardModifier.ControlModifier)  # View > Announcement
    view = window.announcement
    qtbot.waitUntil(view.isVisible, timeout=WAIT)
    assert window.findChildren(AnnouncementForm) == [view]
    assert focused() is view.title
    expected = [
        view.text.format,
        view.text.edit,
        view.status_value,
        view.swatches.buttons[view.swatches.colour()],
        window.send_button,
    ]
    reached = []
    for _ in expected:
        press(qtbot, Qt.Key.Key_Tab)
        reached.append(focused())
    assert reached == expected
