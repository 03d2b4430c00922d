"""The composer's full message form: widgets bound to one ``FormState``, validated inline.

The widgets hold no rules of their own: every edit goes into the ``FormState`` (which knows
how the thread id follows the title and the title follows the event) and every value shown
comes from it. Errors from the shared validator are shown under their fields.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractButton,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from flowdock_desktop.api.validation import FieldErrors
from flowdock_desktop.compose import FormState
from flowdock_desktop.compose.form import split_tags
from flowdock_desktop.ui.composer.editors import (
    BodyEditor,
    EventChoice,
    RowsEditor,
    ThreadIdField,
)
from flowdock_desktop.ui.composer.swatches import StatusEditor
from flowdock_desktop.ui.widgets import FieldMessage, labelled_field

#: How each validator key is named in a message under its field.
_ERROR_LABELS = {
    "event": "The event",
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
#: Keys whose messages are shown under another key's field.
_SHOWN_UNDER = {
    "author": "author.name",
    "thread_id": "external_thread_id",
    "thread": "external_thread_id",
    "thread.status": "thread.status.value",
    "thread.status.color": "thread.status.value",
}


class MessageForm(QWidget):
    """The message being written, as widgets bound to a ``FormState``.

    Signals: ``changed`` (any edit, including programmatic ones), ``validated`` (errors under
    the edited fields were brought up to date, a moment after typing paused).
    Attributes: one widget per part (``thread_title``, ``external_thread_id``, ``status_value``,
    ``swatches``, ``event``, ``title``, ``message_body``, ``author_name``, ``author_avatar``,
    ``tags``, ``body``, ``external_url``, ``fields``, ``actions``).
    """

    changed = Signal()
    validated = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._state = FormState()
        #: The last state checked and what was found (see ``errors``).
        self._checked: tuple[FormState, FieldErrors] | None = None
        self._messages: dict[str, FieldMessage] = {}
        self._fields: dict[str, QWidget] = {}
        self._touched: set[str] = set()
        self._loading = False
        self._read_only = False  # set_editable(False) was the last word
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)

        # The thread first: what this is about, its id, its status. Then the message, then
        # the details most messages leave alone.
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
            hint="Made from the thread title until you change it. Type an id used before to "
            "post to that thread again.",
        )
        status = StatusEditor("Status", "e.g. deployed (optional)")
        self.status_value, self.swatches = status.value, status.swatches
        self._add(t, "thread.status.value", "&Status", status, focus=self.status_value)
        self._fields["thread.status.color"] = self.swatches
        layout.addWidget(thread_box)

        message_box = QGroupBox("Message")
        m = QVBoxLayout(message_box)
        self.event = EventChoice()
        self.title = QLineEdit()
        self.title.setPlaceholderText("What happened, e.g. deployed version 1.4")
        m.addWidget(
            self._block("event", "&Event", self.event, buddy=self.event.buttons["activity"])
        )
        m.addWidget(self._block("title", "&Title", self.title))
        self.message_body = BodyEditor("Message text", toolbar=True)
        self._add(
            m,
            "body",
            "Message te&xt (required for a discussion)",
            self.message_body,
            focus=self.message_body.edit,
        )
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
        self.tags = QLineEdit()
        self.tags.setPlaceholderText("deploy, production")
        self._add(m, "tags", "Ta&gs (comma-separated)", self.tags)
        layout.addWidget(message_box)

        details_box = QGroupBox("Thread details")
        d = QVBoxLayout(details_box)
        self.body = BodyEditor("Thread body")
        self._add(d, "thread.body", "Thread &body", self.body, focus=self.body.edit)
        self.external_url = QLineEdit()
        self.external_url.setPlaceholderText("https://example.com/the/thing")
        self._add(d, "thread.external_url", "External &link (URL)", self.external_url)
        self.fields = RowsEditor("field", "Label", "Value")
        d.addWidget(QLabel("Fields"))
        d.addWidget(self.fields)
        self.actions = RowsEditor("action", "Name", "https://…")
        d.addWidget(QLabel("View actions (links on the thread)"))
        d.addWidget(self.actions)
        layout.addWidget(details_box)
        layout.addStretch(1)

        for widget, key in (
            (self.author_name, "author.name"),
            (self.author_avatar, "author.avatar"),
            (self.title, "title"),
            (self.tags, "tags"),
            (self.thread_title, "thread.title"),
            (self.external_thread_id, "external_thread_id"),
            (self.external_url, "thread.external_url"),
            (self.status_value, "thread.status.value"),
        ):
            widget.textEdited.connect(lambda _=None, k=key: self._touch(k))
        for editor, key in ((self.body, "thread.body"), (self.message_body, "body")):
            editor.changed.connect(lambda k=key: self._touch(k))
        self.swatches.changed.connect(lambda: self._touch("thread.status.color"))
        self.fields.changed.connect(lambda: self._touch("thread.fields"))
        self.actions.changed.connect(lambda: self._touch("thread.actions"))

        # Every edit goes into the state; what the state derives comes back to the widgets.
        self.author_name.textChanged.connect(lambda v: self._edit(author_name=v))
        self.author_avatar.textChanged.connect(lambda v: self._edit(author_avatar=v))
        self.title.textChanged.connect(lambda v: self._edit(title=v))
        self.tags.textChanged.connect(lambda v: self._edit(tags=split_tags(v)))
        self.external_url.textChanged.connect(lambda v: self._edit(external_url=v))
        self.status_value.textChanged.connect(lambda v: self._edit(status_value=v))
        self.swatches.changed.connect(lambda: self._edit(status_color=self.swatches.colour()))
        self.message_body.changed.connect(
            lambda: self._edit(
                message=self.message_body.text(), message_format=self.message_body.mode()
            )
        )
        self.body.changed.connect(
            lambda: self._edit(body=self.body.text(), body_format=self.body.mode())
        )
        self.fields.changed.connect(lambda: self._edit(fields=self.fields.values()))
        self.actions.changed.connect(lambda: self._edit(actions=self.actions.values()))
        self.thread_title.textChanged.connect(
            lambda v: self.apply(lambda state: state.set_thread_title(v))
        )
        self.external_thread_id.textChanged.connect(
            lambda v: self.apply(lambda state: state.set_external_thread_id(v))
        )
        self.external_thread_id.chosen.connect(self._thread_chosen)
        self.event.changed.connect(
            lambda: self.apply(lambda state: state.set_event(self.event.value()))
        )
        # Validation waits until typing pauses, so a half-typed URL is not flagged.
        self._validate_timer = QTimer(self, singleShot=True, interval=250)
        self._validate_timer.timeout.connect(self._validate)
        self.changed.connect(self._validate_timer.start)
        self._show(self._state)

    # -- layout helpers -----------------------------------------------------------------------

    def _block(
        self,
        key: str,
        label: str,
        widget: QWidget,
        focus: QWidget | None = None,
        hint: str = "",
        buddy: QWidget | None = None,
    ) -> QWidget:
        box, message = labelled_field(label, widget, hint=hint, buddy=buddy or focus)
        self._messages[key] = message
        self._fields[key] = focus or widget
        return box

    def _add(
        self,
        layout: QVBoxLayout,
        key: str,
        label: str,
        widget: QWidget,
        focus: QWidget | None = None,
        hint: str = "",
    ) -> None:
        layout.addWidget(self._block(key, label, widget, focus, hint))

    def _touch(self, key: str) -> None:
        if not self._loading:
            self._touched.add(key)

    # -- binding ------------------------------------------------------------------------------

    def _edit(self, **values: Any) -> None:
        """A widget changed: store its value."""
        if self._loading:
            return
        for name, value in values.items():
            setattr(self._state, name, value)
        self.changed.emit()

    def apply(self, change: Callable[[FormState], Any]) -> None:
        """Change the state with ``change(state)`` (a rule may follow), then show it.

        Other views of the same message (the Announcement view) edit through this."""
        if self._loading:
            return
        change(self._state)
        self._show(self._state)
        self.changed.emit()

    def _thread_chosen(self, key: str, title: str) -> None:
        """A known thread's id was picked or typed: an empty thread title takes its title."""

        def pick(state: FormState) -> None:
            state.set_external_thread_id(self.external_thread_id.text())
            if title and not state.thread_title.strip():
                state.thread_title = title

        self.apply(pick)
        self._touch("external_thread_id")

    def _show(self, state: FormState) -> None:
        """Put the state's values in the widgets (without echoing them back)."""
        self._loading = True
        try:
            self.event.set_value(state.event)
            for widget, value in (
                (self.author_name, state.author_name),
                (self.author_avatar, state.author_avatar),
                (self.title, state.title),
                (self.thread_title, state.thread_title),
                (self.external_thread_id, state.external_thread_id),
                (self.external_url, state.external_url),
                (self.status_value, state.status_value),
            ):
                if widget.text() != value:
                    widget.setText(value)
            if split_tags(self.tags.text()) != state.tags:
                self.tags.setText(", ".join(state.tags))
            self.message_body.set(state.message, state.message_format)
            self.body.set(state.body, state.body_format)
            self.swatches.set_colour(state.status_color)
            self.fields.set_values(list(state.fields))
            self.actions.set_values(list(state.actions))
        finally:
            self._loading = False

    def _validate(self) -> None:
        self.show_errors(self.errors(), touched=True)
        self.validated.emit()

    def state(self) -> FormState:
        """A copy of what the form holds."""
        return self._state.copy()

    def set_state(self, state: FormState) -> None:
        """Show ``state`` as a fresh start: no field counts as touched, no errors shown."""
        self._state = state.copy()
        self._show(self._state)
        self._touched.clear()
        self.clear_errors()
        self.changed.emit()

    def payload(self) -> dict[str, Any]:
        """The Flowdock JSON for this message, as previewed and sent (no uuid)."""
        return self._state.to_payload()

    def set_thread_choices(self, threads: list[tuple[str, str]]) -> None:
        """Offer this integration's existing threads as (key, title) in the id field."""
        self.external_thread_id.set_suggestions(threads)

    # -- validation ---------------------------------------------------------------------------

    def errors(self) -> FieldErrors:
        # The form is checked as the person types and again on Send: the same message gets
        # the answer already found (a fresh copy) instead of being parsed and checked again.
        if self._checked is None or self._checked[0] != self._state:
            self._checked = (self._state.copy(), self._state.errors())
        return {key: list(problems) for key, problems in self._checked[1].items()}

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
        if key.startswith("tags."):
            key = "tags"
        label = _ERROR_LABELS.get(key if key != "author" else "author.name")
        area = _SHOWN_UNDER.get(key, key)
        if label is not None and area in self._messages:
            return self._messages[area], label, area
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

    def has_errors_shown(self) -> bool:
        return self.first_error_widget() is not None

    def touch_all(self) -> None:
        self._touched.update(self._fields)
        self._touched.update({"thread.fields", "thread.actions", "external_thread_id"})

    def first_error_widget(self) -> QWidget | None:
        """The first field (in the order shown) whose error is on screen."""
        for key, widget in self._fields.items():
            message = self._messages.get(_SHOWN_UNDER.get(key, key))
            if message is not None and message.is_error:
                return widget
        for editor in (self.fields, self.actions):
            for _, first, _, message in editor.rows:
                if message.is_error:
                    return first
            if editor.message.is_error:
                return editor.add_button
        return None

    def first_empty_widget(self) -> QWidget | None:
        """The first field a message needs that is still empty (where the cursor goes)."""
        errors = self.errors()
        for key, widget in self._fields.items():
            if any(k == key or _SHOWN_UNDER.get(k) == key for k in errors):
                return widget
        return None

    def message_for(self, key: str) -> FieldMessage | None:
        """The FieldMessage showing errors for a dotted key (tests and the window use it)."""
        target = self._target(key)
        return target[0] if target else None

    def widget_for(self, key: str) -> QWidget | None:
        return self._fields.get(key)

    def set_editable(self, editable: bool) -> None:
        if editable and not self._read_only:
            # Nothing was made read-only, so nothing to enable: and findChildren would wrap
            # every widget of the form in Python (creating the Qt types of each) at every
            # choice of an integration, the first one while the window starts.
            return
        self._read_only = not editable
        for child in self.findChildren(QWidget):
            if isinstance(child, QLineEdit | QPlainTextEdit | QAbstractButton):
                child.setEnabled(editable)
        self.swatches.setEnabled(editable)
