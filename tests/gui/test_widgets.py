"""Shared widgets follow a light/dark switch while they are showing."""

from __future__ import annotations

import pytest
from person import painted_background, press, type_text
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import (
    QCheckBox,
    QLineEdit,
    QPlainTextEdit,
    QRadioButton,
    QStyle,
    QStyleOptionButton,
    QVBoxLayout,
    QWidget,
)

from flowdock_desktop.ui.composer.editors import BodyEditor
from flowdock_desktop.ui.theme import apply_theme
from flowdock_desktop.ui.widgets import Banner, StatusBadge, labelled_field

pytestmark = pytest.mark.gui


def test_banner_and_field_message_recolour_on_theme_switch(qtbot, qapp):
    window = QWidget()
    layout = QVBoxLayout(window)
    banner = Banner()
    layout.addWidget(banner)
    box, message = labelled_field("Client id", QLineEdit())
    layout.addWidget(box)
    qtbot.addWidget(window)
    window.show()

    banner.show_message("error", "The server is unreachable.", "Try again")
    message.show_error("Enter a client id.")
    assert painted_background(banner) == "#ffebe9"  # light error background
    assert banner.label.palette().windowText().color().name() == "#a40e26"
    apply_theme(qapp, "dark")
    qtbot.waitUntil(lambda: painted_background(banner) == "#4a1114")
    assert banner.label.palette().windowText().color().name() == "#ffa198"
    assert "#ff7b72" in message.styleSheet()
    assert banner.text == "The server is unreachable."
    assert banner.button.isVisible() and banner.button.text() == "Try again"
    apply_theme(qapp, "light")
    qtbot.waitUntil(lambda: painted_background(banner) == "#ffebe9")
    assert "#b42318" in message.styleSheet()


def test_the_preview_card_takes_the_colours_of_the_scheme_applied(qtbot, qapp):
    from PySide6.QtGui import QPalette

    from flowdock_desktop.ui.composer.preview import PreviewPane

    pane = PreviewPane()
    qtbot.addWidget(pane)
    pane.show_payload({"event": "activity", "title": "deployed", "author": {"name": "CI"}})

    def muted() -> str:
        return pane.browser.palette().color(QPalette.ColorRole.PlaceholderText).name()

    light = muted()
    assert f"color:{light}" in pane._card_html
    apply_theme(qapp, "dark")
    assert muted() != light
    # Its muted text is readable on the dark background without another edit of the form.
    assert f"color:{muted()}" in pane._card_html and f"color:{light}" not in pane._card_html
    apply_theme(qapp, "light")
    assert f"color:{light}" in pane._card_html


def test_status_badge_names_its_status_for_screen_readers(qtbot):
    badge = StatusBadge("deploying", "yellow")
    qtbot.addWidget(badge)
    assert badge.accessibleName() == "Status: deploying (yellow)"
    badge.set_status("", "grey")
    assert badge.isHidden()


def _banner_above_a_field(qtbot, width: int) -> tuple[QWidget, Banner, QLineEdit, QVBoxLayout]:
    """A shown window ``width`` wide: a banner, a field under it (which moves when the banner
    grows), and room below. The caller keeps the window: it goes when its last reference does."""
    window = QWidget()
    layout = QVBoxLayout(window)
    banner = Banner()
    below = QLineEdit()
    layout.addWidget(banner)
    layout.addWidget(below)
    layout.addStretch(1)
    qtbot.addWidget(window)
    window.resize(width, 400)
    window.show()
    qtbot.waitExposed(window)
    return window, banner, below, layout


def test_banner_keeps_its_height_while_notices_follow_each_other(qtbot):
    # "Sending…" then "Sent …" on every send: the form under the banner stays where it is.
    _window, banner, below, layout = _banner_above_a_field(qtbot, 260)

    banner.show_message("info", "Sending… " + "a long notice that wraps over lines " * 3)
    layout.activate()
    tall = below.y()
    banner.show_message("success", "Sent.", "Open in inbox")
    layout.activate()
    assert banner.text == "Sent."
    assert below.y() == tall
    banner.show_message("info", "Sending…")
    layout.activate()
    assert below.y() == tall

    # Taken down and shown again, a short notice takes only the room it needs.
    banner.clear()
    layout.activate()
    banner.show_message("info", "Sending…")
    layout.activate()
    assert banner.isVisible() and below.y() < tall
    # A one-line notice already has its action button's room: one with an action after it
    # does not push what is below down either.
    short = below.y()
    banner.show_message("success", "Sent.", "Open in inbox")
    layout.activate()
    assert below.y() == short


def test_a_first_notice_keeps_room_for_the_one_expected_after_it(qtbot):
    # The first "Sending…" of a session already has the height "Sent to … as message …"
    # needs in a narrow column, so the form under it moves once, not twice.
    _window, banner, below, layout = _banner_above_a_field(qtbot, 300)
    expected = "Sent to Acme / Main at 17:40:12 as message 1000000000."

    banner.show_message("info", "Sending…")
    layout.activate()
    one_line = below.y()
    banner.clear()
    layout.activate()

    banner.show_message("info", "Sending…", room_for=expected)
    layout.activate()
    held = below.y()
    assert held > one_line  # the expected text wraps at this width: room for two lines
    banner.show_message("success", expected, "Open in inbox")
    layout.activate()
    assert banner.label.height() >= banner.label.heightForWidth(banner.label.width())
    assert below.y() == held

    # Room is kept for two lines at most: a guess never leaves a tall, mostly empty notice.
    banner.clear()
    layout.activate()
    banner.show_message("info", "Sending…", room_for=expected * 6)
    layout.activate()
    assert below.y() == held


def _luminance(colour: QColor) -> float:
    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    return (
        0.2126 * channel(colour.red())
        + 0.7152 * channel(colour.green())
        + 0.0722 * channel(colour.blue())
    )


def _contrast(a: QColor, b: QColor) -> float:
    light, dark = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("kind", [QCheckBox, QRadioButton, QLineEdit, QPlainTextEdit])
def test_an_unticked_box_an_unchosen_option_and_an_empty_field_are_plain_to_see(
    qtbot, qapp, scheme, kind
):
    # WCAG 2.1 (1.4.11): the outline a control is recognised by has 3:1 against what is
    # around it. Measured on the pixels Qt paints for the control on the window: an
    # unticked box's or unchosen option's indicator, an empty field's or text box's frame.
    apply_theme(qapp, scheme)
    try:
        window = QWidget()
        window.setAutoFillBackground(True)
        layout = QVBoxLayout(window)
        fields = (QLineEdit, QPlainTextEdit)
        control = kind() if kind in fields else kind("Discussion: a comment")
        layout.addWidget(control)
        qtbot.addWidget(window)
        window.show()
        qtbot.waitExposed(window)
        background = window.palette().color(QPalette.ColorRole.Window)
        image = window.grab().toImage()
        if kind in fields:
            box = control.rect()
        else:  # only the indicator's pixels (the style's own rectangle for it), not the text
            option = QStyleOptionButton()
            option.initFrom(control)
            element = (
                QStyle.SubElement.SE_CheckBoxIndicator
                if kind is QCheckBox
                else QStyle.SubElement.SE_RadioButtonIndicator
            )
            box = control.style().subElementRect(element, option, control)
        box.translate(control.mapTo(window, QPoint(0, 0)))
        outline = max(
            _contrast(image.pixelColor(x, y), background)
            for x in range(box.left(), box.right() + 1)
            for y in range(box.top(), box.bottom() + 1)
        )
        assert outline >= 3.0, f"{kind.__name__} outline {outline:.2f}:1 on {scheme}"
    finally:
        apply_theme(qapp, "light")


def test_the_message_editors_formatting_keys_write_markdown_where_the_cursor_is(qtbot):
    """Ctrl+I, Ctrl+K and the numbered list, typed as a person types: each writes its
    Markdown at the cursor (the text cursor's type is made only when they are used)."""
    editor = BodyEditor("Message text", toolbar=True)
    qtbot.addWidget(editor)
    editor.show()
    qtbot.waitExposed(editor)
    editor.edit.setFocus()
    qtbot.waitUntil(editor.edit.hasFocus)
    type_text(qtbot, "see ")
    press(qtbot, Qt.Key.Key_I, Qt.KeyboardModifier.ControlModifier)  # the cursor between _ _
    type_text(qtbot, "this")
    press(qtbot, Qt.Key.Key_End)
    type_text(qtbot, " at ")
    press(qtbot, Qt.Key.Key_K, Qt.KeyboardModifier.ControlModifier)  # "https://" chosen
    type_text(qtbot, "https://example.org")
    assert editor.text() == "see _this_ at [link text](https://example.org)"
    qtbot.mouseClick(editor.tools["numbers"], Qt.MouseButton.LeftButton)
    assert editor.text() == "1. see _this_ at [link text](https://example.org)"
