"""The dialog that asks for a template's ``{placeholders}`` before it fills the form."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from flowdock_desktop.store.templates import Template, placeholders
from flowdock_desktop.ui.widgets import labelled_field

#: Template keys holding Markdown text: their placeholders get a multi-line box.
_TEXT_KEYS = ("message", "body")


def placeholder_label(name: str) -> str:
    return name.replace("_", " ").capitalize()


class PlaceholderDialog(QDialog):
    """Asks for the values of a template's placeholders: one line each, except text that
    lands in a message or thread body, which gets a multi-line box for Markdown.

    Attributes: ``edits`` (placeholder name -> QLineEdit or QPlainTextEdit), ``heading``.
    """

    def __init__(self, template: Template, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Use the template “{template.name}”")
        self.setMinimumWidth(460)
        layout = QVBoxLayout(self)
        # The whole title inside the dialog, wrapped: a window manager may cut the bar's.
        self.heading = QLabel(f"<b>Use the template “{template.name}”</b>")
        self.heading.setWordWrap(True)
        layout.addWidget(self.heading)
        if template.description:
            about = QLabel(template.description + " Fill in the blanks; you can change "
                           "everything in the form afterwards.")  # fmt: skip
            about.setWordWrap(True)
            layout.addWidget(about)
        multiline = {
            name for key in _TEXT_KEYS for name in placeholders(template.fields.get(key, ""))
        }
        self.edits: dict[str, QLineEdit | QPlainTextEdit] = {}
        for name in template.placeholders:
            if name in multiline:
                edit: QLineEdit | QPlainTextEdit = QPlainTextEdit()
                edit.setTabChangesFocus(True)
                edit.setPlaceholderText("Markdown: **bold**, _italic_, [link](https://…), lists")
                edit.setMinimumHeight(110)
            else:
                edit = QLineEdit()
            box, _ = labelled_field(placeholder_label(name), edit)
            layout.addWidget(box, 1 if name in multiline else 0)
            self.edits[name] = edit
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Use template")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        if self.edits:
            next(iter(self.edits.values())).setFocus()

    def values(self) -> dict[str, str]:
        return {
            name: edit.toPlainText() if isinstance(edit, QPlainTextEdit) else edit.text()
            for name, edit in self.edits.items()
        }
