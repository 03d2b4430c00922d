"""Pressing keys like a person, for every GUI test: keys go to whatever has the focus (or to an
open popup, such as a suggestion list), mnemonics are pressed as Alt+letter, text is typed over
what a field holds. Plain helpers (no fixtures)."""

from __future__ import annotations

import re

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractButton,
    QApplication,
    QGroupBox,
    QLabel,
    QMainWindow,
    QTabBar,
    QWidget,
)

#: How long GUI tests wait for a condition (generous: the machine may be busy).
WAIT = 10_000


def focused() -> QWidget:
    """The widget keys go to, as for a person at the keyboard: an open popup, else the focus."""
    widget = QApplication.activePopupWidget() or QApplication.focusWidget()
    assert widget is not None, "nothing has the keyboard focus"
    return widget


def type_text(qtbot, text: str) -> None:
    qtbot.keyClicks(focused(), text)


def press(qtbot, key: Qt.Key, modifier=Qt.KeyboardModifier.NoModifier) -> None:
    qtbot.keyClick(focused(), key, modifier)


def press_mnemonic(qtbot, letter: str) -> None:
    """Alt+letter, sent where the focus is (Qt routes it as a shortcut)."""
    qtbot.keyClick(focused(), letter.lower(), Qt.KeyboardModifier.AltModifier)


def type_over(qtbot, text: str) -> None:
    """Select what the focused field holds (Ctrl+A) and type over it."""
    press(qtbot, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    type_text(qtbot, text)


def retype(qtbot, widget: QWidget, text: str) -> None:
    """Select what ``widget`` holds and type over it (for setting up a filled form)."""
    qtbot.keyClick(widget, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClicks(widget, text)


def mnemonics(window: QWidget) -> list[tuple[str, str]]:
    """``(letter, text)`` of every mnemonic a person can see in ``window`` right now: its
    menu bar, tabs, buttons, group boxes and labels that focus a field."""
    texts = []
    if isinstance(window, QMainWindow):
        texts += [action.text() for action in window.menuBar().actions()]
    for widget in [window, *window.findChildren(QWidget)]:
        if not widget.isVisible():
            continue
        if isinstance(widget, QAbstractButton) or (
            isinstance(widget, QLabel) and widget.buddy() is not None
        ):
            texts.append(widget.text())
        elif isinstance(widget, QGroupBox):
            texts.append(widget.title())
        elif isinstance(widget, QTabBar):
            texts += [widget.tabText(i) for i in range(widget.count())]
    found = []
    for text in texts:
        match = re.search(r"&([^&])", text.replace("&&", ""))
        if match:
            found.append((match.group(1).casefold(), text))
    return found


def duplicate_mnemonics(window: QWidget) -> dict[str, list[str]]:
    by_letter: dict[str, list[str]] = {}
    for letter, text in mnemonics(window):
        by_letter.setdefault(letter, []).append(text)
    return {letter: texts for letter, texts in by_letter.items() if len(texts) > 1}


def painted_background(widget: QWidget) -> str:
    """The colour a person sees at the left edge of a notice, inside its border ("#rrggbb")."""
    return widget.grab().toImage().pixelColor(4, widget.height() // 2).name()
