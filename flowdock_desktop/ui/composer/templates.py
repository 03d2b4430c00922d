"""TemplatesController: the template picker, its placeholder dialog, and saving the form as one."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QPushButton, QWidget

from flowdock_desktop.compose import FormState
from flowdock_desktop.store.templates import Template
from flowdock_desktop.ui.composer.banner import BannerController, BannerReason
from flowdock_desktop.ui.tasks import run_task

if TYPE_CHECKING:
    from flowdock_desktop.store.templates import TemplateStore


class TemplateBar(QWidget):
    """The template picker row: "Template:", the list, Apply and "Save as template…".

    Attributes: ``box``, ``apply_button``, ``save_button``.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.box = QComboBox()
        self.box.setAccessibleName("Template")
        # Short enough for a narrow window; the full name is in the list and its tooltip.
        self.box.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.box.setMinimumContentsLength(10)
        self.apply_button = QPushButton("Appl&y")
        self.apply_button.setAccessibleName("Use template")
        self.apply_button.setToolTip("Fill the form from the chosen template")
        self.save_button = QPushButton("Save as template…")
        self.save_button.setAccessibleName("Save as template")
        label = QLabel("Te&mplate:")
        label.setBuddy(self.box)
        layout.addWidget(label)
        layout.addWidget(self.box, 1)
        layout.addWidget(self.apply_button)
        layout.addWidget(self.save_button)


class TemplatesController(QObject):
    """Lists templates in ``box`` (read in the background), fills the form from the chosen
    one and saves the form as a new one (written in the background).

    Signals: ``loaded`` (the list was read), ``applied(object)`` (the ``Template`` used).
    Attributes: ``templates`` (name -> Template, as last read).
    """

    loaded = Signal()
    applied = Signal(object)

    def __init__(
        self,
        store: TemplateStore,
        bar: TemplateBar,
        *,
        state: Callable[[], FormState],
        set_state: Callable[[FormState], Any],
        banner: BannerController,
        show_error: Callable[[BaseException], Any],
        dialog_parent: QWidget,
    ) -> None:
        super().__init__(dialog_parent)
        self._store = store
        self.box = bar.box
        self._state, self._set_state = state, set_state
        self._banner = banner
        self._show_error = show_error
        self._parent = dialog_parent
        self.templates: dict[str, Template] = {}
        bar.apply_button.clicked.connect(self.apply_chosen)
        bar.save_button.clicked.connect(self.ask_and_save)

    def reload(self) -> None:
        store = self._store
        run_task(store.list, owner=self, on_done=self._loaded, on_error=self._show_error)

    def _loaded(self, templates: list[Template]) -> None:
        chosen = self.box.currentData()
        self.templates = {t.name: t for t in templates}
        self.box.blockSignals(True)
        self.box.clear()
        for template in templates:
            suffix = "" if template.builtin else " (yours)"
            self.box.addItem(template.name + suffix, template.name)
            index = self.box.count() - 1
            self.box.setItemData(
                index, template.description or template.name, Qt.ItemDataRole.ToolTipRole
            )
        if chosen:
            self.box.setCurrentIndex(max(self.box.findData(chosen), 0))
        self.box.blockSignals(False)
        self.loaded.emit()

    def first(self) -> Template | None:
        return next(iter(self.templates.values()), None)

    def apply_chosen(self) -> None:
        """Ask for the chosen template's placeholders, then fill the form."""
        template = self.templates.get(self.box.currentData() or "")
        if template is None:
            return
        values: dict[str, str] = {}
        if template.placeholders:
            # Loaded when first asked for, not with the window (its Qt types come with it).
            from PySide6.QtWidgets import QDialog

            from flowdock_desktop.ui.composer.placeholder_dialog import PlaceholderDialog

            dialog = PlaceholderDialog(template, self._parent)
            if dialog.exec() != QDialog.DialogCode.Accepted:
                return
            values = dialog.values()
        self.apply(template.name, values)

    def apply(self, name: str, values: dict[str, str]) -> bool:
        """Fill the form from the template ``name`` (blanks for placeholders not given)."""
        template = self.templates.get(name)
        if template is None:
            return False
        filled = {key: "" for key in template.placeholders} | dict(values)
        self._set_state(FormState.from_dict(template.render(filled), previous=self._state()))
        self.box.setCurrentIndex(max(self.box.findData(template.name), 0))
        self.applied.emit(template)
        return True

    def ask_and_save(self) -> None:
        from PySide6.QtWidgets import QInputDialog  # its Qt types load when first asked for

        name, ok = QInputDialog.getText(self._parent, "Save as template", "Template name:")
        if ok:
            self.save(name)

    def save(self, name: str) -> None:
        """Save the form (without its author) as the person's template ``name``."""
        if not name.strip():
            self._banner.show("error", "Give the template a name.", BannerReason.ERROR)
            return
        fields = self._state().template_fields()
        store = self._store

        def saved(template: Template) -> None:
            self._banner.show("success", f"Saved the template “{template.name}”.")
            self.reload()

        run_task(
            lambda: store.save(name, fields, overwrite=False),
            owner=self,
            on_done=saved,
            on_error=self._save_failed,
        )

    def _save_failed(self, error: BaseException) -> None:
        if isinstance(error, ValueError):  # a taken or built-in name, in plain words
            self._banner.show("error", f"{error}.", BannerReason.ERROR)
        else:
            self._show_error(error)
