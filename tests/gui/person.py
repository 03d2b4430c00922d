"""Driving widgets as a person does: keys go to whatever has the focus (or to an open popup,
such as a suggestion list), mnemonics are pressed, text is typed over what a field holds."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QWidget

#: How long GUI tests wait for a condition (generous: the machine may be busy).
WAIT_MS = 10_000


def focused() -> QWidget:
    """Where a key press goes: an open popup first, else the focus."""
    widget = QApplication.activePopupWidget() or QApplication.focusWidget()
    assert widget is not None, "nothing has the keyboard focus"
    return widget


def press(key: Qt.Key, modifier=Qt.KeyboardModifier.NoModifier) -> None:
    QTest.keyClick(focused(), key, modifier)


def alt(letter: str) -> None:
    """Press a mnemonic, Alt+letter."""
    press(getattr(Qt.Key, f"Key_{letter.upper()}"), Qt.KeyboardModifier.AltModifier)


def type_text(text: str) -> None:
    QTest.keyClicks(focused(), text)


def type_over(text: str) -> None:
    """Select what the focused field holds and type over it."""
    press(Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    type_text(text)


def retype(widget: QWidget, text: str) -> None:
    """Select what ``widget`` holds and type over it (for setting up a filled form)."""
    QTest.keyClick(widget, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    QTest.keyClicks(widget, text)
