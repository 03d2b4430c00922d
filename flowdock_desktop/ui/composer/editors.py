"""Editors for the parts of a message a plain line edit cannot hold.

- ``BodyEditor``: Markdown (or HTML from JSON) with an optional formatting toolbar.
- ``RowsEditor``: rows of two texts (thread fields, view actions), each with its message line.
- ``ThreadIdField``: the external thread id, a plain value with suggestions.
- ``EventChoice``: activity or discussion, as two radio buttons.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QModelIndex, Qt, Signal
from PySide6.QtGui import (
    QKeyEvent,
    QKeySequence,
    QShortcut,
    QStandardItem,
    QStandardItemModel,
)
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QCompleter,
    QHBoxLayout,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QRadioButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from flowdock_desktop.compose import EVENTS, HTML, MARKDOWN
from flowdock_desktop.ui.widgets import FieldMessage


class BodyEditor(QWidget):
    """A body written in Markdown (rendered and sanitised when sent) or HTML (from JSON).

    With ``toolbar`` a row of formatting buttons (bold, italic, link, lists) writes the
    Markdown for people who do not know it; Ctrl+B, Ctrl+I and Ctrl+K do the same from the
    keyboard. Signals: ``changed``. Attributes: ``edit``, ``format``, ``tools`` (name ->
    button).
    """

    changed = Signal()

    def __init__(self, name: str, parent: QWidget | None = None, *, toolbar: bool = False) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        self.edit = QPlainTextEdit()
        self.edit.setTabChangesFocus(True)
        self.edit.setPlaceholderText("Markdown: **bold**, _italic_, [link](https://…), lists")
        self.edit.setMinimumHeight(70)
        self.edit.setAccessibleName(name)
        # The label's mnemonic (buddy) lands in the text, not on the container.
        self.setFocusProxy(self.edit)
        # A check box, not a drop-down: its name stays put whatever is chosen.
        self.format = QCheckBox("HTML")
        self.format.setAccessibleName(f"{name} is written in HTML")
        self.format.setToolTip(
            "Checked: the text is HTML (sanitised before sending). Unchecked: Markdown."
        )
        self.tools: dict[str, QToolButton] = {}
        row = QHBoxLayout()
        row.setSpacing(2)
        if toolbar:
            for key, text, tip, keys, action in (
                ("bold", "B", "Bold (Ctrl+B)", "Ctrl+B", lambda: self._wrap("**")),
                ("italic", "I", "Italic (Ctrl+I)", "Ctrl+I", lambda: self._wrap("_")),
                ("link", "Link", "Link (Ctrl+K)", "Ctrl+K", self._link),
                ("bullets", "• List", "Bulleted list", None, lambda: self._prefix_lines(None)),
                ("numbers", "1. List", "Numbered list", None, lambda: self._prefix_lines(1)),
            ):
                self._tool(row, key, text, tip, keys, action)
            bold = self.tools["bold"].font()
            bold.setBold(True)
            self.tools["bold"].setFont(bold)
            italic = self.tools["italic"].font()
            italic.setItalic(True)
            self.tools["italic"].setFont(italic)
        row.addStretch(1)
        row.addWidget(self.format)
        layout.addLayout(row)
        layout.addWidget(self.edit)
        self.edit.textChanged.connect(self.changed)
        self.format.toggled.connect(self.changed)
        self.format.toggled.connect(self._format_changed)

    def _tool(
        self,
        row: QHBoxLayout,
        key: str,
        text: str,
        tip: str,
        keys: str | None,
        action: Callable[[], None],
    ) -> None:
        button = QToolButton()
        button.setText(text)
        button.setToolTip(tip)
        button.setAccessibleName(tip.split(" (")[0])
        # The text keeps the focus: a click formats where the cursor is, as in a word processor.
        button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        button.clicked.connect(action)
        row.addWidget(button)
        self.tools[key] = button
        if keys:
            shortcut = QShortcut(QKeySequence(keys), self.edit)
            shortcut.setContext(Qt.ShortcutContext.WidgetShortcut)
            shortcut.activated.connect(action)

    def _format_changed(self) -> None:
        for button in self.tools.values():
            button.setEnabled(self.mode() == MARKDOWN and self.edit.isEnabled())

    # -- formatting -------------------------------------------------------------------------

    # The formatting buttons and keys import QTextCursor when used: its Python type (with
    # its enums) is then not made at every start.

    def _wrap(self, mark: str) -> None:
        from PySide6.QtGui import QTextCursor

        cursor = self.edit.textCursor()
        chosen = cursor.selectedText()
        line, at = cursor.block().text(), cursor.positionInBlock()
        if not chosen and line.startswith(mark, at) and line[:at].count(mark) % 2:
            # Just before the mark that closes the one open here (Ctrl+B, typed, Ctrl+B): the
            # same key ends the formatting, as in a word processor, and typing goes on after.
            cursor.movePosition(QTextCursor.MoveOperation.Right, n=len(mark))
            self.edit.setTextCursor(cursor)
            return
        cursor.insertText(f"{mark}{chosen}{mark}")
        if not chosen:  # leave the cursor between the marks, ready to type
            cursor.movePosition(QTextCursor.MoveOperation.Left, n=len(mark))
        self.edit.setTextCursor(cursor)
        self.edit.setFocus()

    def _link(self) -> None:
        from PySide6.QtGui import QTextCursor

        cursor = self.edit.textCursor()
        label = cursor.selectedText() or "link text"
        cursor.insertText(f"[{label}](https://)")
        # Select "https://" so the address can be typed straight over it.
        cursor.movePosition(QTextCursor.MoveOperation.Left, n=1)
        cursor.movePosition(
            QTextCursor.MoveOperation.Left, QTextCursor.MoveMode.KeepAnchor, n=len("https://")
        )
        self.edit.setTextCursor(cursor)
        self.edit.setFocus()

    def _prefix_lines(self, start: int | None) -> None:
        from PySide6.QtGui import QTextCursor

        cursor = self.edit.textCursor()
        first, last = sorted((cursor.anchor(), cursor.position()))
        cursor.setPosition(first)
        cursor.movePosition(QTextCursor.MoveOperation.StartOfBlock)
        cursor.setPosition(last, QTextCursor.MoveMode.KeepAnchor)
        cursor.movePosition(QTextCursor.MoveOperation.EndOfBlock, QTextCursor.MoveMode.KeepAnchor)
        lines = cursor.selectedText().split("\u2029")  # Qt's paragraph separator
        marks = [f"{start + i}. " if start is not None else "- " for i in range(len(lines))]
        cursor.insertText("\n".join(m + line for m, line in zip(marks, lines, strict=True)))
        self.edit.setTextCursor(cursor)
        self.edit.setFocus()

    # -- value ------------------------------------------------------------------------------

    def text(self) -> str:
        return self.edit.toPlainText()

    def mode(self) -> str:
        return HTML if self.format.isChecked() else MARKDOWN

    def set(self, text: str, mode: str = MARKDOWN) -> None:
        self.format.setChecked(mode == HTML)
        if text != self.edit.toPlainText():
            self.edit.setPlainText(text)


class RowsEditor(QWidget):
    """Editable rows of two texts (fields: label/value; actions: name/URL), add and remove.

    Signals: ``changed``. Each row has its own FieldMessage for errors.
    """

    changed = Signal()

    def __init__(self, noun: str, first: str, second: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.noun, self.first, self.second = noun, first, second
        self.rows: list[tuple[QWidget, QLineEdit, QLineEdit, FieldMessage]] = []
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.rows_box = QVBoxLayout()
        layout.addLayout(self.rows_box)
        self.add_button = QPushButton(f"Add {noun}")
        self.add_button.setAccessibleName(f"Add {noun}")
        self.add_button.clicked.connect(lambda: self.add_row(focus=True))
        self.message = FieldMessage()
        layout.addWidget(self.message)
        bar = QHBoxLayout()
        bar.addWidget(self.add_button)
        bar.addStretch(1)
        layout.addLayout(bar)

    def add_row(self, a: str = "", b: str = "", *, focus: bool = False) -> None:
        index = len(self.rows) + 1
        box = QWidget()
        outer = QVBoxLayout(box)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.setSpacing(2)
        line = QHBoxLayout()
        first, second = QLineEdit(a), QLineEdit(b)
        first.setPlaceholderText(self.first)
        second.setPlaceholderText(self.second)
        first.setAccessibleName(f"{self.noun} {index} {self.first.lower()}")
        second.setAccessibleName(f"{self.noun} {index} {self.second.lower()}")
        remove = QToolButton()
        remove.setText("Remove")
        remove.setAccessibleName(f"Remove {self.noun} {index}")
        line.addWidget(first, 1)
        line.addWidget(second, 2)
        line.addWidget(remove)
        outer.addLayout(line)
        message = FieldMessage()
        outer.addWidget(message)
        row = (box, first, second, message)
        self.rows.append(row)
        self.rows_box.addWidget(box)
        first.textChanged.connect(self.changed)
        second.textChanged.connect(self.changed)
        remove.clicked.connect(lambda: self.remove_row(row))
        if focus:
            first.setFocus()
        self.changed.emit()

    def remove_row(self, row: tuple[QWidget, QLineEdit, QLineEdit, FieldMessage]) -> None:
        if row in self.rows:
            self.rows.remove(row)
            row[0].deleteLater()
            self.changed.emit()

    def values(self) -> list[tuple[str, str]]:
        return [(first.text(), second.text()) for _, first, second, _ in self.rows]

    def set_values(self, values: list[tuple[str, str]]) -> None:
        if values == self.values():
            return
        for row in list(self.rows):
            self.rows.remove(row)
            row[0].deleteLater()
        for a, b in values:
            self.add_row(a, b)
        self.changed.emit()

    def clear_messages(self) -> None:
        self.message.clear_message()
        for *_, message in self.rows:
            message.clear_message()


class ThreadIdField(QLineEdit):
    """The external thread id: a plain value the person types or picks, never a label.

    Threads posted to before are offered as suggestions showing "id — title"; picking one
    puts only its id in the field (the completion role holds the bare id). Down in the field
    lists every suggestion.
    Signals: ``chosen(str, str)`` with the picked thread's id and title.
    """

    chosen = Signal(str, str)
    ID_ROLE = Qt.ItemDataRole.UserRole + 1
    TITLE_ROLE = Qt.ItemDataRole.UserRole + 2

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.suggestions = QStandardItemModel(self)
        completer = QCompleter(self.suggestions, self)
        completer.setCompletionRole(self.ID_ROLE)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        completer.activated[QModelIndex].connect(self._picked)
        self.setCompleter(completer)
        self.textEdited.connect(self._typed)

    def set_suggestions(self, threads: list[tuple[str, str]]) -> None:
        """Offer these (id, title) pairs; the field's text is left alone."""
        self.suggestions.clear()
        for key, title in threads:
            item = QStandardItem(f"{key} — {title}" if title and title != key else key)
            item.setData(key, self.ID_ROLE)
            item.setData(title, self.TITLE_ROLE)
            self.suggestions.appendRow(item)

    def suggestion_ids(self) -> list[str]:
        return [
            self.suggestions.item(row).data(self.ID_ROLE)
            for row in range(self.suggestions.rowCount())
        ]

    def _typed(self, text: str) -> None:
        # Typing a known id in full counts as picking it.
        for row in range(self.suggestions.rowCount()):
            item = self.suggestions.item(row)
            if item.data(self.ID_ROLE) == text.strip():
                self.chosen.emit(text.strip(), item.data(self.TITLE_ROLE) or "")
                return

    def _picked(self, index: QModelIndex) -> None:
        self.chosen.emit(index.data(self.ID_ROLE) or "", index.data(self.TITLE_ROLE) or "")

    def keyPressEvent(self, event: QKeyEvent) -> None:
        completer = self.completer()
        if (
            event.key() == Qt.Key.Key_Down
            and not completer.popup().isVisible()
            and self.suggestions.rowCount()
        ):
            completer.setCompletionPrefix("")
            completer.complete()
            return
        super().keyPressEvent(event)


class EventChoice(QWidget):
    """Activity or discussion, as radio buttons: each keeps its own words as its name (a
    drop-down would be named after whatever it shows). Signals: ``changed``.
    Attributes: ``buttons`` (event -> QRadioButton).
    """

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.group = QButtonGroup(self)
        self.buttons: dict[str, QRadioButton] = {}
        for value, words in EVENTS.items():
            button = QRadioButton(words)
            self.group.addButton(button)
            self.buttons[value] = button
            layout.addWidget(button)
        layout.addStretch(1)
        self.buttons["activity"].setChecked(True)
        self.group.buttonToggled.connect(lambda _, on: on and self.changed.emit())

    def value(self) -> str:
        return next(v for v, b in self.buttons.items() if b.isChecked())

    def set_value(self, value: str) -> None:
        button = self.buttons.get(value, self.buttons["activity"])
        if not button.isChecked():
            self.group.blockSignals(True)
            button.setChecked(True)
            self.group.blockSignals(False)
