"""Shared widgets follow a light/dark switch while they are showing."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QLineEdit, QVBoxLayout, QWidget

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
    assert "#ffebe9" in banner.styleSheet()  # light error background
    apply_theme(qapp, "dark")
    qtbot.waitUntil(lambda: "#4a1114" in banner.styleSheet())
    assert "#ff7b72" in message.styleSheet()
    assert banner.text == "The server is unreachable."
    assert banner.button.isVisible() and banner.button.text() == "Try again"
    apply_theme(qapp, "light")
    qtbot.waitUntil(lambda: "#ffebe9" in banner.styleSheet())
    assert "#b42318" in message.styleSheet()


def test_status_badge_names_its_status_for_screen_readers(qtbot):
    badge = StatusBadge("deploying", "yellow")
    qtbot.addWidget(badge)
    assert badge.accessibleName() == "Status: deploying (yellow)"
    badge.set_status("", "grey")
    assert badge.isHidden()
