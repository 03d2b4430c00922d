"""The Announcement view: the composer for people who just want to tell the flow something.

Three things to fill in (a title, the text with a formatting toolbar, an optional status),
mapped onto the full message: the title is the thread's title (its id follows it), the text is
the message's own text, the status is the thread's. The full form shows the same message with
every detail; both views edit one ``FormState`` through the ``MessageForm``.
"""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QLineEdit, QVBoxLayout, QWidget

from flowdock_desktop.api.validation import FieldErrors
from flowdock_desktop.compose import FormState
from flowdock_desktop.ui.composer.editors import BodyEditor
from flowdock_desktop.ui.composer.form import MessageForm
from flowdock_desktop.ui.composer.swatches import StatusEditor
from flowdock_desktop.ui.widgets import FieldMessage, labelled_field

#: Validator keys shown here, and the field each one is shown under.
_SHOWN_AT = {
    "thread.title": "title",
    "external_thread_id": "title",
    "body": "text",
    "thread.status": "status",
    "thread.status.value": "status",
    "thread.status.color": "status",
}
_WORDS = {
    "title": "The title",
    "text": "The text",
    "status": "The status",
}


class AnnouncementForm(QWidget):
    """Title, text and status of an announcement, bound to ``model`` (the full form).

    Attributes: ``title``, ``text`` (BodyEditor), ``status_value``, ``swatches``, ``note``.
    """

    def __init__(self, model: MessageForm, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = model
        self._loading = False
        self._messages: dict[str, FieldMessage] = {}
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        intro = QLabel(
            "Write what everyone in the flow should know. It appears in the team inbox under "
            "its title."
        )
        intro.setWordWrap(True)
        layout.addWidget(intro)
        self.title = QLineEdit()
        self.title.setPlaceholderText("e.g. Office closed on Friday")
        self.text = BodyEditor("Text", toolbar=True)
        self.text.edit.setMinimumHeight(140)
        status = StatusEditor("Status (optional)", "e.g. important (optional)")
        self.status_value, self.swatches = status.value, status.swatches
        for key, label, widget, buddy in (
            ("title", "&Title", self.title, None),
            ("text", "Te&xt", self.text, self.text.edit),
            ("status", "&Status (optional)", status, self.status_value),
        ):
            box, message = labelled_field(label, widget, buddy=buddy)
            self._messages[key] = message
            layout.addWidget(box, 1 if key == "text" else 0)
        self.note = QLabel()
        self.note.setWordWrap(True)
        self.note.setEnabled(False)  # muted: how it maps onto the full message
        layout.addWidget(self.note)
        layout.addStretch(0)

        self.title.textChanged.connect(
            lambda v: self._edit(lambda state: state.set_thread_title(v))
        )
        self.text.changed.connect(self._text_changed)
        self.status_value.textChanged.connect(
            lambda v: self._edit(lambda state: setattr(state, "status_value", v))
        )
        self.swatches.changed.connect(
            lambda: self._edit(lambda state: setattr(state, "status_color", self.swatches.colour()))
        )
        model.changed.connect(self.refresh)
        self.refresh()

    def _text_changed(self) -> None:
        text, fmt = self.text.text(), self.text.mode()

        def change(state: FormState) -> None:
            state.message, state.message_format = text, fmt

        self._edit(change)

    def _edit(self, change) -> None:
        if not self._loading:
            self.model.apply(change)

    def refresh(self) -> None:
        """Show what the model holds (after an edit here, in the full form or the JSON)."""
        state = self.model.state()
        self._loading = True
        try:
            if self.title.text() != state.thread_title:
                self.title.setText(state.thread_title)
            self.text.set(state.message, state.message_format)
            if self.status_value.text() != state.status_value:
                self.status_value.setText(state.status_value)
            self.swatches.set_colour(state.status_color)
        finally:
            self._loading = False
        who = state.author_name or "(no author yet)"
        self.note.setText(
            f"Posted by {who} as “{state.title or '…'}” in the thread "
            f"“{state.external_thread_id or '…'}”. The full message form shows every detail."
        )

    def show_errors(self, errors: FieldErrors) -> list[str]:
        """Mark the fields shown here; returns the keys only the full form can show."""
        for message in self._messages.values():
            message.clear_message()
        elsewhere = []
        shown: dict[str, list[str]] = {}
        for key, texts in errors.items():
            where = _SHOWN_AT.get(key)
            if where is None:
                elsewhere.append(key)
                continue
            if where == "title" and key == "external_thread_id" and "thread.title" in errors:
                continue  # the id is made from the title: one message is enough
            shown.setdefault(where, []).append(f"{_WORDS[where]} {'; '.join(texts)}.")
        for where, lines in shown.items():
            self._messages[where].show_error(" ".join(lines))
        return elsewhere

    def first_error_widget(self) -> QWidget | None:
        for key, widget in (("title", self.title), ("text", self.text.edit)):
            if self._messages[key].is_error:
                return widget
        return self.status_value if self._messages["status"].is_error else None

    def first_empty_widget(self) -> QWidget:
        state = self.model.state()
        if not state.thread_title.strip():
            return self.title
        if not state.message.strip():
            return self.text.edit
        return self.title

    def set_editable(self, editable: bool) -> None:
        for widget in (self.title, self.text, self.status_value, self.swatches):
            widget.setEnabled(editable)
