"""The composer's message form: every part of an activity or discussion, validated inline."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QModelIndex, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QIcon, QKeyEvent, QPixmap, QStandardItem, QStandardItemModel
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QCompleter,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from flowdock_desktop.api.html import markdown_to_html, sanitize_body
from flowdock_desktop.api.messages import PayloadError, ThreadMessage, suggest_external_thread_id
from flowdock_desktop.api.validation import STATUS_COLORS, FieldErrors
from flowdock_desktop.ui.theme import STATUS_COLOURS
from flowdock_desktop.ui.widgets import FieldMessage, labelled_field

EVENTS = (("Activity: something changed", "activity"), ("Discussion: a comment", "discussion"))
MARKDOWN, HTML = "markdown", "html"


class BodyEditor(QWidget):
    """A body written in Markdown (rendered and sanitised) or, when edited as JSON, HTML.

    Signals: ``changed``.
    """

    changed = Signal()

    def __init__(self, name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.edit = QPlainTextEdit()
        self.edit.setTabChangesFocus(True)
        self.edit.setPlaceholderText("Markdown: **bold**, _italic_, [link](https://…), lists")
        self.edit.setMinimumHeight(70)
        self.edit.setAccessibleName(name)
        # The label's mnemonic (buddy) lands in the text, not on the container.
        self.setFocusProxy(self.edit)
        self.format = QComboBox()
        self.format.addItem("Markdown", MARKDOWN)
        self.format.addItem("HTML", HTML)
        self.format.setAccessibleName(f"{name} format")
        self.format.setToolTip("How the text is written; HTML is sanitised before sending")
        layout.addWidget(self.edit)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(QLabel("Format:"))
        row.addWidget(self.format)
        layout.addLayout(row)
        self.edit.textChanged.connect(self.changed)
        self.format.currentIndexChanged.connect(self.changed)

    def text(self) -> str:
        return self.edit.toPlainText()

    def mode(self) -> str:
        return self.format.currentData()

    def set(self, text: str, mode: str = MARKDOWN) -> None:
        self.format.setCurrentIndex(1 if mode == HTML else 0)
        if text != self.edit.toPlainText():
            self.edit.setPlainText(text)

    def html(self) -> str:
        """The sanitised HTML to send; empty when there is no text."""
        text = self.text()
        if not text.strip():
            return ""
        return markdown_to_html(text) if self.mode() == MARKDOWN else sanitize_body(text).strip()

    def set_html(self, html: str) -> None:
        """Show HTML that came from JSON; keep the Markdown when it renders to the same."""
        if self.mode() == MARKDOWN and self.html() == (html or ""):
            return
        self.set(html or "", HTML if html else self.mode())


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

    def _picked(self, index: QModelIndex) -> None:
        key = index.data(self.ID_ROLE) or ""
        self.chosen.emit(key, index.data(self.TITLE_ROLE) or "")

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


class ColourSwatches(QWidget):
    """Flowdock's ten status colours as checkable swatches (one or none chosen).

    Signals: ``changed``.
    """

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(3)
        self.group = QButtonGroup(self)
        self.group.setExclusive(False)  # so the chosen one can be clicked off again
        self.buttons: dict[str, QToolButton] = {}
        for colour in STATUS_COLORS:
            button = QToolButton()
            button.setCheckable(True)
            pixmap = QPixmap(18, 18)
            pixmap.fill(QColor(STATUS_COLOURS[colour]))
            button.setIcon(QIcon(pixmap))
            button.setToolTip(colour)
            button.setAccessibleName(f"Status colour {colour}")
            button.setAutoRaise(True)
            self.group.addButton(button)
            self.buttons[colour] = button
            layout.addWidget(button)
            button.toggled.connect(lambda on, c=colour: self._toggled(c, on))
        layout.addStretch(1)

    def _toggled(self, colour: str, on: bool) -> None:
        if on:
            for other, button in self.buttons.items():
                if other != colour and button.isChecked():
                    button.blockSignals(True)
                    button.setChecked(False)
                    button.blockSignals(False)
        self.changed.emit()

    def colour(self) -> str:
        for colour, button in self.buttons.items():
            if button.isChecked():
                return colour
        return ""

    def set_colour(self, colour: str) -> None:
        for name, button in self.buttons.items():
            button.blockSignals(True)
            button.setChecked(name == colour)
            button.blockSignals(False)


class MessageForm(QWidget):
    """The message being written, as widgets; converts to and from Flowdock's JSON.

    Signals: ``changed`` (any edit, including programmatic ones).
    Errors from the shared validator are shown next to their widgets (``show_errors``),
    so the form, the JSON tab and the server all speak the same rules.
    """

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._messages: dict[str, FieldMessage] = {}
        self._fields: dict[str, QWidget] = {}
        self._touched: set[str] = set()
        self._auto_thread_id = True
        self._loading = False
        layout = QVBoxLayout(self)

        message_box = QGroupBox("Message")
        m = QVBoxLayout(message_box)
        self.event = QComboBox()
        for label, value in EVENTS:
            self.event.addItem(label, value)
        self._add(m, "event", "&Event", self.event)
        author_row = QHBoxLayout()
        self.author_name = QLineEdit()
        self.author_name.setPlaceholderText("Who did it, e.g. Continuous Integration")
        self.author_avatar = QLineEdit()
        self.author_avatar.setPlaceholderText("https://…/avatar.png (optional)")
        author_row.addWidget(self._block("author.name", "&Author name", self.author_name), 1)
        author_row.addWidget(
            self._block("author.avatar", "Author a&vatar URL", self.author_avatar), 1
        )
        m.addLayout(author_row)
        self.title = QLineEdit()
        self.title.setPlaceholderText("What happened, e.g. deployed version 1.4 to production")
        self._add(m, "title", "&Title", self.title)
        self.message_body = BodyEditor("Message text")
        self._add(
            m,
            "body",
            "Message te&xt (required for a discussion)",
            self.message_body,
            focus=self.message_body.edit,
        )
        self.tags = QLineEdit()
        self.tags.setPlaceholderText("deploy, production")
        self._add(m, "tags", "Ta&gs (comma-separated)", self.tags)
        layout.addWidget(message_box)

        thread_box = QGroupBox("Thread")
        t = QVBoxLayout(thread_box)
        self.thread_title = QLineEdit()
        self.thread_title.setPlaceholderText("The thing this is about, e.g. Production deploys")
        self._add(t, "thread.title", "Thread t&itle", self.thread_title)
        self.external_thread_id = ThreadIdField()
        self.external_thread_id.setPlaceholderText("your key for this thread")
        self._add(
            t,
            "external_thread_id",
            "External thread i&d (same id = same thread)",
            self.external_thread_id,
        )
        self.body = BodyEditor("Thread body")
        self._add(t, "thread.body", "Thread &body", self.body, focus=self.body.edit)
        self.external_url = QLineEdit()
        self.external_url.setPlaceholderText("https://example.com/the/thing")
        self._add(t, "thread.external_url", "External &URL", self.external_url)
        status_row = QHBoxLayout()
        self.status_value = QLineEdit()
        self.status_value.setPlaceholderText("e.g. deployed")
        self.swatches = ColourSwatches()
        status_row.addWidget(self._block("thread.status.value", "&Status", self.status_value), 1)
        status_row.addWidget(self.swatches, 2)
        t.addLayout(status_row)
        self._messages["thread.status.color"] = self._messages["thread.status.value"]
        self._fields["thread.status.color"] = self.swatches
        self.fields = RowsEditor("field", "Label", "Value")
        t.addWidget(QLabel("Fields"))
        t.addWidget(self.fields)
        self.actions = RowsEditor("action", "Name", "https://…")
        t.addWidget(QLabel("View actions (links on the thread)"))
        t.addWidget(self.actions)
        layout.addWidget(thread_box)
        layout.addStretch(1)

        for widget, key in (
            (self.author_name, "author.name"),
            (self.author_avatar, "author.avatar"),
            (self.title, "title"),
            (self.tags, "tags"),
            (self.thread_title, "thread.title"),
            (self.external_url, "thread.external_url"),
            (self.status_value, "thread.status.value"),
        ):
            widget.textEdited.connect(lambda _=None, k=key: self._touch(k))
            widget.textChanged.connect(self._emit_changed)
        self.thread_title.textChanged.connect(self._follow_thread_title)
        self.external_thread_id.textEdited.connect(self._thread_id_edited)
        self.external_thread_id.textChanged.connect(self._emit_changed)
        self.external_thread_id.chosen.connect(self._thread_id_chosen)
        self.event.currentIndexChanged.connect(self._emit_changed)
        for editor, key in ((self.body, "thread.body"), (self.message_body, "body")):
            editor.changed.connect(lambda k=key: self._touch(k))
            editor.changed.connect(self._emit_changed)
        self.swatches.changed.connect(lambda: self._touch("thread.status.color"))
        self.swatches.changed.connect(self._emit_changed)
        self.fields.changed.connect(lambda: self._touch("thread.fields"))
        self.fields.changed.connect(self._emit_changed)
        self.actions.changed.connect(lambda: self._touch("thread.actions"))
        self.actions.changed.connect(self._emit_changed)
        # Validation waits until typing pauses, so a half-typed URL is not flagged.
        self._validate_timer = QTimer(self, singleShot=True, interval=250)
        self._validate_timer.timeout.connect(lambda: self.show_errors(self.errors(), touched=True))
        self.changed.connect(self._validate_timer.start)

    # -- layout helpers -----------------------------------------------------------------------

    def _block(self, key: str, label: str, widget: QWidget, focus: QWidget | None = None):
        box, message = labelled_field(label, widget)
        self._messages[key] = message
        self._fields[key] = focus or widget
        return box

    def _add(self, layout, key: str, label: str, widget: QWidget, focus: QWidget | None = None):
        layout.addWidget(self._block(key, label, widget, focus))

    def _emit_changed(self, *_: Any) -> None:
        if not self._loading:
            self.changed.emit()

    def _touch(self, key: str) -> None:
        if not self._loading:
            self._touched.add(key)

    # -- external thread id follows the title until the person edits it -----------------------

    def _follow_thread_title(self, title: str) -> None:
        if self._auto_thread_id and not self._loading:
            self.external_thread_id.setText(suggest_external_thread_id(title) if title else "")

    def _thread_id_edited(self, text: str) -> None:
        self._auto_thread_id = not text
        self._touch("external_thread_id")

    def _thread_id_chosen(self, key: str, title: str) -> None:
        self._auto_thread_id = False
        self._touch("external_thread_id")
        if title and not self.thread_title.text():
            self._loading = True
            self.thread_title.setText(title)
            self._loading = False
        self.changed.emit()

    def set_thread_choices(self, threads: list[tuple[str, str]]) -> None:
        """Offer this integration's existing threads as (key, title) in the id field."""
        self.external_thread_id.set_suggestions(threads)

    # -- state --------------------------------------------------------------------------------

    def form_state(self) -> dict[str, Any]:
        """The form as plain JSON (for drafts and templates): Markdown stays Markdown."""
        status_value, colour = self.status_value.text(), self.swatches.colour()
        return {
            "event": self.event.currentData(),
            "author_name": self.author_name.text(),
            "author_avatar": self.author_avatar.text(),
            "title": self.title.text(),
            "body": self.body.text(),
            "body_format": self.body.mode(),
            "message": self.message_body.text(),
            "message_format": self.message_body.mode(),
            "tags": [t.strip() for t in self.tags.text().split(",") if t.strip()],
            "thread_title": self.thread_title.text(),
            "external_thread_id": self.external_thread_id.text(),
            "auto_thread_id": self._auto_thread_id,
            "external_url": self.external_url.text(),
            "status": {"value": status_value, "color": colour} if status_value or colour else None,
            "fields": [{"label": a, "value": b} for a, b in self.fields.values()],
            "actions": [{"name": a, "url": b} for a, b in self.actions.values()],
        }

    def set_form_state(self, state: dict[str, Any]) -> None:
        """Fill the form from a draft or a rendered template (missing keys are left empty)."""
        self._loading = True
        try:
            index = self.event.findData(state.get("event") or "activity")
            self.event.setCurrentIndex(max(index, 0))
            self.author_name.setText(state.get("author_name") or self.author_name.text())
            self.author_avatar.setText(state.get("author_avatar") or "")
            self.title.setText(state.get("title") or "")
            self.body.set(state.get("body") or "", state.get("body_format") or MARKDOWN)
            self.message_body.set(
                state.get("message") or "", state.get("message_format") or MARKDOWN
            )
            tags = state.get("tags") or []
            self.tags.setText(", ".join(tags) if isinstance(tags, list) else str(tags))
            self.thread_title.setText(state.get("thread_title") or "")
            self.external_thread_id.setText(state.get("external_thread_id") or "")
            self._auto_thread_id = bool(
                state.get("auto_thread_id", not state.get("external_thread_id"))
            )
            self.external_url.setText(state.get("external_url") or "")
            status = state.get("status") or {}
            self.status_value.setText(status.get("value") or "")
            self.swatches.set_colour(status.get("color") or "")
            self.fields.set_values(
                [(f.get("label", ""), f.get("value", "")) for f in state.get("fields") or []]
            )
            self.actions.set_values(
                [(a.get("name", ""), a.get("url", "")) for a in state.get("actions") or []]
            )
        finally:
            self._loading = False
        self._touched.clear()
        self.clear_errors()
        self.changed.emit()

    def raw_payload(self) -> dict[str, Any]:
        """The payload as typed (blank fields included, so the validator can name them)."""
        author: dict[str, Any] = {"name": self.author_name.text()}
        if self.author_avatar.text().strip():
            author["avatar"] = self.author_avatar.text().strip()
        thread: dict[str, Any] = {"title": self.thread_title.text()}
        if self.body.html():
            thread["body"] = self.body.html()
        if self.external_url.text().strip():
            thread["external_url"] = self.external_url.text().strip()
        status_value, colour = self.status_value.text(), self.swatches.colour()
        if status_value or colour:
            thread["status"] = {"value": status_value, "color": colour}
        thread["fields"] = [{"label": a, "value": b} for a, b in self.fields.values()]
        thread["actions"] = [
            {"@type": "ViewAction", "name": a, "url": b.strip()} for a, b in self.actions.values()
        ]
        payload: dict[str, Any] = {
            "event": self.event.currentData(),
            "author": author,
            "title": self.title.text(),
        }
        external = self.external_thread_id.text().strip()
        if external:
            payload["external_thread_id"] = external
        if self.message_body.html():
            payload["body"] = self.message_body.html()
        payload["thread"] = thread
        tags = [t.strip() for t in self.tags.text().split(",") if t.strip()]
        if tags:
            payload["tags"] = tags
        return payload

    def payload(self) -> dict[str, Any]:
        """The Flowdock JSON for this message, in the builders' canonical form (no uuid)."""
        raw = self.raw_payload()
        try:
            return ThreadMessage.from_payload(raw).to_payload()
        except PayloadError:
            return raw

    def set_payload(self, payload: dict[str, Any]) -> None:
        """Fill the form from Flowdock JSON (the JSON tab); raises PayloadError on bad shape."""
        message = ThreadMessage.from_payload(payload)
        thread = message.thread
        self._loading = True
        try:
            self.event.setCurrentIndex(max(self.event.findData(message.event), 0))
            self.author_name.setText(message.author.name)
            self.author_avatar.setText(message.author.avatar or "")
            self.title.setText(message.title)
            self.message_body.set_html(message.body or "")
            self.tags.setText(", ".join(message.tags))
            self.thread_title.setText(thread.title)
            self.external_thread_id.setText(message.external_thread_id or "")
            self._auto_thread_id = False
            self.body.set_html(thread.body or "")
            self.external_url.setText(thread.external_url or "")
            self.status_value.setText(thread.status.value if thread.status else "")
            self.swatches.set_colour(thread.status.color if thread.status else "")
            self.fields.set_values([(f.label, f.value) for f in thread.fields])
            self.actions.set_values([(a.name, a.url) for a in thread.actions])
        finally:
            self._loading = False
        self.changed.emit()

    def load_thread(self, key: str, thread: Any) -> None:
        """Start an update of an existing thread: its current state, a fresh title to write.

        ``thread`` is an ``api.models.Thread`` (the server's state).
        """
        self._loading = True
        try:
            self.event.setCurrentIndex(0)
            self.title.clear()
            self.message_body.set("")
            self.thread_title.setText(thread.title or "")
            self.external_thread_id.setText(key)
            self._auto_thread_id = False
            self.body.set_html(thread.body or "")
            self.external_url.setText(thread.external_url or "")
            status = thread.status
            self.status_value.setText(status.value if status else "")
            self.swatches.set_colour(status.color if status else "")
            self.fields.set_values([(f.label, f.value) for f in thread.fields])
            self.actions.set_values(
                [(a.name or "", a.url or "") for a in thread.actions if getattr(a, "url", None)]
            )
        finally:
            self._loading = False
        self._touched.clear()
        self.clear_errors()
        self.changed.emit()
        self.title.setFocus()

    # -- validation ---------------------------------------------------------------------------

    def errors(self) -> FieldErrors:
        from flowdock_desktop.sending import payload_errors

        return payload_errors(self.raw_payload())

    def clear_errors(self) -> None:
        for message in self._messages.values():
            message.clear_message()
        self.fields.clear_messages()
        self.actions.clear_messages()

    def show_errors(self, errors: FieldErrors, *, touched: bool = False) -> list[str]:
        """Put each error under its widget; returns the keys no widget could show.

        With ``touched`` only fields the person has edited are marked (as they type);
        without, every error is shown (on Send, or from the server).
        """
        self.clear_errors()
        unplaced: list[str] = []
        shown: dict[int, list[str]] = {}
        for key, texts in errors.items():
            target = self._target(key)
            if target is None:
                unplaced.append(f"{key}: {'; '.join(texts)}")
                continue
            message, label, area = target
            if touched and area not in self._touched:
                continue
            phrase = f"{label} {'; '.join(texts)}." if label else "; ".join(texts)
            lines = shown.setdefault(id(message), [])
            lines.append(phrase[0].upper() + phrase[1:])
            message.show_error(" ".join(lines))
        return unplaced

    def _target(self, key: str) -> tuple[FieldMessage, str, str] | None:
        labels = {
            "event": "The event",
            "author": "The author",
            "author.name": "The author name",
            "author.avatar": "The avatar URL",
            "author.email": "The author email",
            "title": "The title",
            "body": "The message text",
            "tags": "The tags",
            "external_thread_id": "The external thread id",
            "thread_id": "The thread id",
            "thread": "The thread",
            "thread.title": "The thread title",
            "thread.body": "The thread body",
            "thread.external_url": "The external URL",
            "thread.status": "The status",
            "thread.status.value": "The status",
            "thread.status.color": "The status colour",
        }
        if key.startswith("tags."):
            key = "tags"
        if key == "author":
            key = "author.name"
        if key in labels and key in self._messages:
            return self._messages[key], labels[key], key
        if key in ("thread_id", "thread"):
            return self._messages["external_thread_id"], labels[key], "external_thread_id"
        if key == "thread.status":
            return self._messages["thread.status.value"], labels[key], "thread.status.value"
        for prefix, editor, noun, parts in (
            ("thread.fields", self.fields, "field", {"label": "label", "value": "value"}),
            ("thread.actions", self.actions, "action", {"name": "name", "url": "URL"}),
        ):
            if key == prefix:
                return editor.message, f"The {noun}s", prefix
            if key.startswith(prefix + "."):
                rest = key[len(prefix) + 1 :].split(".")
                if rest[0].isdigit() and int(rest[0]) < len(editor.rows):
                    part = parts.get(rest[1], rest[1]) if len(rest) > 1 else ""
                    label = f"The {noun} {int(rest[0]) + 1} {part}".rstrip()
                    return editor.rows[int(rest[0])][3], label, prefix
                return editor.message, f"The {noun}s", prefix
        return None

    def touch_all(self) -> None:
        self._touched.update(self._fields)
        self._touched.update({"thread.fields", "thread.actions", "external_thread_id"})

    def first_error_widget(self) -> QWidget | None:
        for key, widget in self._fields.items():
            message = self._messages.get(key)
            if message is not None and message.is_error:
                return widget
        for editor in (self.fields, self.actions):
            for _, first, _, message in editor.rows:
                if message.is_error:
                    return first
        return None

    def message_for(self, key: str) -> FieldMessage | None:
        """The FieldMessage showing errors for a dotted key (tests and the window use it)."""
        target = self._target(key)
        return target[0] if target else None

    def widget_for(self, key: str) -> QWidget | None:
        return self._fields.get(key)

    def set_editable(self, editable: bool) -> None:
        for child in self.findChildren(QWidget):
            if isinstance(
                child, QLineEdit | QPlainTextEdit | QComboBox | QToolButton | QPushButton
            ):
                child.setEnabled(editable)
