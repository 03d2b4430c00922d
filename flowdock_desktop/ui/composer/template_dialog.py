"""The "Save as template" dialog: asks for the name, checks it as it is typed, and offers to
replace one of the person's own templates of that name."""

from __future__ import annotations

from collections.abc import Iterable

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from flowdock_desktop.store.templates import builtin_name, user_name_key
from flowdock_desktop.ui.widgets import Banner, labelled_field


class SaveTemplateDialog(QDialog):
    """Asks for the name to save the composer's form under. Save is offered only for a name
    that can be saved: not empty, not a built-in template's; for the name of one of the
    person's own templates it reads Replace, and saving replaces that template.

    The dialog does not write: it emits ``save_requested`` and stays open, busy, until the
    one who saves calls ``saved()`` (it closes) or ``save_failed`` / ``name_taken`` (it says
    why and lets the person try again). Esc and Cancel close it while it is not busy.

    Signals: ``save_requested(str name, bool overwrite)``.
    Attributes: ``name_edit``, ``message`` (the line under the name), ``save_button``,
    ``banner`` (a save that failed, in plain words).
    """

    save_requested = Signal(str, bool)

    def __init__(
        self, own_names: Iterable[str], name: str = "", parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Save as template")
        self.setMinimumWidth(420)
        self._own = {user_name_key(own): own for own in own_names}
        self._busy = False
        self._typed = False
        layout = QVBoxLayout(self)
        self.banner = Banner()
        layout.addWidget(self.banner)
        about = QLabel(
            "Saves the form as it is now (without the author), to fill it in again later "
            "from the Template list."
        )
        about.setWordWrap(True)
        layout.addWidget(about)
        self.name_edit = QLineEdit(name)
        box, self.message = labelled_field("Template &name", self.name_edit)
        layout.addWidget(box)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        self.save_button = self.buttons.button(QDialogButtonBox.StandardButton.Save)
        self.save_button.setDefault(True)
        self.buttons.accepted.connect(self._save)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        self.name_edit.textEdited.connect(self._edited)
        self.name_edit.selectAll()  # a prefilled name is typed over
        self.name_edit.setFocus()
        self._check()

    def name(self) -> str:
        return self.name_edit.text().strip()

    def replacing(self) -> str | None:
        """The person's own template the name is taken by (its name as stored), if any."""
        return self._own.get(user_name_key(self.name()))

    # -- told by the one who saves --------------------------------------------------------------

    def saved(self) -> None:
        self._set_busy(False)
        self.accept()

    def name_taken(self, name: str) -> None:
        """Saving found ``name`` taken after all (another window saved it meanwhile): the
        dialog now offers to replace it."""
        self._own[user_name_key(name)] = name.strip()
        self._set_busy(False)
        self._check()

    def save_failed(self, text: str) -> None:
        self._set_busy(False)
        self.banner.show_message("error", f"Could not save the template. {text}")
        self.name_edit.setFocus()

    # -- the dialog's own -------------------------------------------------------------------------

    def reject(self) -> None:
        if not self._busy:  # a save under way ends by itself, in a moment
            super().reject()

    def _edited(self) -> None:
        self._typed = True
        self.banner.clear()
        self._check()

    def _check(self) -> bool:
        """Say what to fix about the name, or what saving it does; Save only when it can."""
        name = self.name()
        builtin = builtin_name(name) if name else None
        replacing = self.replacing()
        if not name:
            # Not an error before anything was typed: it says what the field is for.
            show = self.message.show_error if self._typed else self.message.show_hint
            show("Give the template a name.")
        elif builtin is not None:
            self.message.show_error(f"“{builtin}” is a built-in template: choose another name.")
        elif replacing is not None:
            self.message.show_hint(f"You already have “{replacing}”: Save replaces it.")
        else:
            self.message.clear_message()
        self.save_button.setText("&Replace" if replacing is not None else "&Save")
        ok = bool(name) and builtin is None
        self.save_button.setEnabled(ok and not self._busy)
        return ok

    def _save(self) -> None:
        if self._busy or not self._check():
            return
        self._set_busy(True)
        self.save_requested.emit(self.name(), self.replacing() is not None)

    def _set_busy(self, busy: bool) -> None:
        self._busy = busy
        self.name_edit.setReadOnly(busy)
        self._check()
