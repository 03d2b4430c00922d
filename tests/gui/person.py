"""Pressing keys like a person, for every GUI test: keys go to whatever has the focus (or to an
open popup, such as a suggestion list), mnemonics are pressed as Alt+letter, text is typed over
what a field holds. Plain helpers (no fixtures)."""

from __future__ import annotations

import re

import shiboken6
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QAbstractButton,
    QApplication,
    QDialog,
    QGroupBox,
    QLabel,
    QMainWindow,
    QMessageBox,
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


def texts_shown(label: QLabel) -> list[str]:
    """Every text ``label`` shows from now on, in order: what a person reads there, passing
    notices too (a banner's words may change again before a test looks)."""
    shown: list[str] = []
    set_text = label.setText

    def recorded(text: str) -> None:
        shown.append(text)
        set_text(text)

    label.setText = recorded
    return shown


def painted_background(widget: QWidget) -> str:
    """The colour a person sees at the left edge of a notice, inside its border ("#rrggbb")."""
    return widget.grab().toImage().pixelColor(4, widget.height() // 2).name()


def tab_to(qtbot, widget: QWidget, most: int = 40) -> None:
    """Press Tab, as a person does, until ``widget`` has the focus."""
    for _ in range(most):
        if focused() is widget:
            return
        press(qtbot, Qt.Key.Key_Tab)
    raise AssertionError(f"Tab never reached {widget.accessibleName() or widget}")


def read_first_outbox_message(qtbot, panel: QWidget) -> str:
    """Tab to the composer's Outbox list, choose its first message with Down, and return what
    its details say about it."""
    tab_to(qtbot, panel.tree)
    press(qtbot, Qt.Key.Key_Down)
    qtbot.waitUntil(panel.details.isVisible, timeout=WAIT)
    return panel.details.text()


def answer_question(
    qtbot,
    asked: list[str],
    button: QMessageBox.StandardButton | None,
    tries: int = 0,
    *,
    look=None,
) -> None:
    """Call before the key that opens a question box: once it shows, its text goes into
    ``asked``, ``look(box)`` is called if given (a screenshot), and it is answered by keys
    where its own focus is (it is the active window): Tab to ``button`` and Space, or Esc for
    None. Closed unanswered after ``WAIT`` if the keys never end it, so a failing test does
    not hang in the box."""
    box = QApplication.activeModalWidget()
    if not isinstance(box, QMessageBox):
        if tries < 200:
            QTimer.singleShot(
                20, lambda: answer_question(qtbot, asked, button, tries + 1, look=look)
            )
        return
    asked.append(box.text())
    QTimer.singleShot(WAIT, box, box.reject)
    if look is not None:
        look(box)
    if button is None:
        qtbot.keyClick(box.focusWidget() or box, Qt.Key.Key_Escape)
        return
    target = box.button(button)
    for _ in range(len(box.buttons())):
        if box.focusWidget() is target:
            break
        qtbot.keyClick(box.focusWidget() or box, Qt.Key.Key_Tab)
    qtbot.keyClick(box.focusWidget() or box, Qt.Key.Key_Space)


def answer_with_enter(
    qtbot,
    asked: list[tuple[str, QMessageBox.StandardButton | None]],
    tries: int = 0,
    look=None,
) -> None:
    """Like ``answer_question``, for a person who presses Enter without reading: once the box
    shows, ``(its text, its default button)`` goes into ``asked``, ``look(box)`` is called if
    given (a screenshot), then Enter is pressed where its focus is."""
    box = QApplication.activeModalWidget()
    if not isinstance(box, QMessageBox):
        if tries < 200:
            QTimer.singleShot(20, lambda: answer_with_enter(qtbot, asked, tries + 1, look))
        return
    default = box.defaultButton()
    asked.append((box.text(), box.standardButton(default) if default else None))
    if look is not None:
        look(box)
    QTimer.singleShot(WAIT, box, box.reject)
    qtbot.keyClick(box.focusWidget() or box, Qt.Key.Key_Return)


def open_save_dialog(qtbot) -> QDialog:
    """File > Save as &template… by keys; the dialog that opens, once its field has the keys."""
    returned: list[bool] = []

    def unblock() -> None:
        # A dialog run in an event loop of its own keeps the key press from returning: closed
        # here, so the test fails on what it finds instead of hanging.
        modal = QApplication.activeModalWidget()
        if not returned and modal is not None:
            modal.close()

    QTimer.singleShot(WAIT, unblock)
    press_mnemonic(qtbot, "f")
    qtbot.waitUntil(lambda: QApplication.activePopupWidget() is not None, timeout=WAIT)
    press(qtbot, Qt.Key.Key_T)
    returned.append(True)
    qtbot.waitUntil(
        lambda: (
            isinstance(QApplication.activeModalWidget(), QDialog)
            and QApplication.activeModalWidget().isAncestorOf(QApplication.focusWidget())
        ),
        timeout=WAIT,
    )
    dialog = QApplication.activeModalWidget()
    assert dialog.windowTitle() == "Save as template"
    return dialog


def closed(dialog: QDialog) -> bool:
    """Closed (and maybe deleted already, as a closed dialog is)."""
    return not shiboken6.isValid(dialog) or not dialog.isVisible()
