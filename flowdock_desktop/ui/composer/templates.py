"""TemplatesController: the template picker, its placeholder dialog, and saving the form as one."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QPushButton, QWidget

from flowdock_desktop.compose import FormState
from flowdock_desktop.store.templates import Template, TemplateNameTakenError
from flowdock_desktop.ui.composer.banner import BannerController
from flowdock_desktop.ui.tasks import run_task

if TYPE_CHECKING:
    from flowdock_desktop.store.templates import TemplateStore
    from flowdock_desktop.ui.composer.template_dialog import SaveTemplateDialog


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
    one and saves the form as a template (written in the background), its name asked for in
    ``SaveTemplateDialog``.

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
        explain: Callable[[BaseException], str],
        dialog_parent: QWidget,
    ) -> None:
        super().__init__(dialog_parent)
        self._store = store
        self.box = bar.box
        self._state, self._set_state = state, set_state
        self._banner = banner
        self._show_error = show_error
        self._explain = explain
        self._parent = dialog_parent
        self.templates: dict[str, Template] = {}
        self._save_dialog: SaveTemplateDialog | None = None
        self._choose_when_loaded = ""
        bar.apply_button.clicked.connect(self.apply_chosen)
        bar.save_button.clicked.connect(self.ask_and_save)

    def reload(self) -> None:
        store = self._store
        run_task(store.list, owner=self, on_done=self._loaded, on_error=self._show_error)

    def _loaded(self, templates: list[Template]) -> None:
        self.templates = {t.name: t for t in templates}
        chosen = self.box.currentData()
        if self._choose_when_loaded in self.templates:  # just saved: the form matches it now
            chosen, self._choose_when_loaded = self._choose_when_loaded, ""
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
        """Ask for the name in the Save-as-template dialog (prefilled with the person's own
        template chosen in the list), then save the form under it."""
        if self._save_dialog is not None:  # asked already: that one comes to the front
            self._save_dialog.raise_()
            self._save_dialog.activateWindow()
            return
        # Loaded when first asked for, not with the window (its Qt types come with it).
        from flowdock_desktop.ui.composer.template_dialog import SaveTemplateDialog

        chosen = self.templates.get(self.box.currentData() or "")
        dialog = SaveTemplateDialog(
            [t.name for t in self.templates.values() if not t.builtin],
            chosen.name if chosen is not None and not chosen.builtin else "",
            self._parent,
        )
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.save_requested.connect(lambda name, overwrite: self._save(name, overwrite, dialog))
        dialog.finished.connect(self._save_dialog_closed)
        self._save_dialog = dialog
        dialog.open()

    def _save_dialog_closed(self) -> None:
        self._save_dialog = None
        # The keys go back to the field they were in (not every window system gives a
        # window the keys back when its dialog closes).
        self._parent.activateWindow()

    def _save(self, name: str, overwrite: bool, dialog: SaveTemplateDialog) -> None:
        """Save the form (without its author) as the person's template ``name``, replacing
        one of that name if ``overwrite``; ``dialog``, the one that asked, is told how it went
        (and closes once saved)."""
        fields = self._state().template_fields()
        store = self._store

        def saved(template: Template) -> None:
            dialog.saved()
            self._banner.show("success", f"Saved the template “{template.name}”.")
            self._choose_when_loaded = template.name
            self.reload()

        def failed(error: BaseException) -> None:
            if isinstance(error, TemplateNameTakenError):
                dialog.name_taken(name)
                self.reload()  # the list learns the name too
            elif isinstance(error, ValueError):  # a refused name, in the store's words
                dialog.save_failed(f"{error}.")
            else:
                dialog.save_failed(self._explain(error))

        run_task(
            lambda: store.save(name, fields, overwrite=overwrite),
            owner=dialog,  # a busy dialog stays until told
            on_done=saved,
            on_error=failed,
        )
