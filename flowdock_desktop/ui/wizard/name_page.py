"""Page 5: the source's name, suggested from the application's and checked."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtWidgets import (
    QLineEdit,
    QWidget,
)

from flowdock_desktop.api.models import Flow, Source
from flowdock_desktop.api.validation import SOURCE_NAME_MAX_LENGTH, validate_source_name
from flowdock_desktop.connect import (
    DEFAULT_SOURCE_NAME,
    matching_sources,
    suggest_source_name,
)
from flowdock_desktop.ui.widgets import labelled_field
from flowdock_desktop.ui.wizard.base import WizardPage

if TYPE_CHECKING:
    from flowdock_desktop.context import AppContext
    from flowdock_desktop.ui.wizard.state import WizardState


class NamePage(WizardPage):
    """Page 5: the source's name, suggested, validated, and checked against existing sources."""

    def __init__(self, context: AppContext, state: WizardState) -> None:
        super().__init__(
            context,
            state,
            "Source name",
            "The source names what posts into the flow, so several sources can be told apart.",
        )
        self.name_edit = QLineEdit()
        self.name_edit.setMaxLength(SOURCE_NAME_MAX_LENGTH + 20)
        box, self.name_message = labelled_field(
            "Source na&me",
            self.name_edit,
            hint=f"Up to {SOURCE_NAME_MAX_LENGTH} characters",
            accessible="Source name",
        )
        self.body.addWidget(box)
        self.name_edit.textChanged.connect(self._validate)
        self._suggested = ""
        self._checked_flow: str | None = None

    def first_field(self) -> QWidget:
        return self.name_edit

    def has_typed_input(self) -> bool:
        text = self.name_edit.text().strip()
        return bool(text) and text != self._suggested

    def initializePage(self) -> None:
        flow = self.state.flow
        assert flow is not None
        if self._checked_flow != flow.id:
            self.load()
        else:
            self._validate()

    def load(self) -> None:
        flow = self.state.flow
        assert flow is not None
        self.banner.clear()
        context = self.context

        def work() -> tuple[Flow, list[Source]]:
            with context.user_client() as client:
                # The flow's own resource lists its members, for the confirmation.
                full = client.get_flow(flow.org_name, flow.parameterized_name or "")
                return full, client.list_sources(flow.org_name, flow.parameterized_name or "")

        self.run(
            work,
            f"Checking the sources of {flow.name}…",
            self._loaded,
            lambda e: self.show_failure(e, self.load),
        )
        self._validate()

    def _loaded(self, result: tuple[Flow, list[Source]]) -> None:
        full, sources = result
        self.state.flow = full
        self.state.sources = sources
        self._checked_flow = full.id
        text = self.name_edit.text()
        if not text or text == self._suggested:
            # Only a name nobody typed is replaced; one typed while the sources loaded stays.
            self._suggested = suggest_source_name(sources, self._base_name())
            self.name_edit.setText(self._suggested)
            if self.name_edit.hasFocus():
                self.name_edit.selectAll()
        self._validate()

    def _base_name(self) -> str:
        # Sources are named after the application that posts (the sandbox's demo application
        # is "Flowdock Desktop"); one whose name is not known yet gets that name too.
        return self.state.application_name or DEFAULT_SOURCE_NAME

    def _validate(self) -> None:
        name = self.name_edit.text()
        problems = validate_source_name(name)
        if problems:
            self.name_message.show_error(
                "Enter a name for the source."
                if not name.strip()
                else f"The name {'; '.join(problems)}."
            )
        else:
            same = matching_sources(self.state.sources, name)
            if same:
                app = same[0].application.name if same[0].application else None
                self.name_message.show_hint(
                    f"Warning: this flow already has a source named “{same[0].name}”"
                    + (f" from {app}" if app else "")
                    + ". A second one with the same name is hard to tell apart."
                )
            else:
                self.name_message.clear_message()
        self.completeChanged.emit()

    def isComplete(self) -> bool:
        return not self.working and not validate_source_name(self.name_edit.text())

    def validatePage(self) -> bool:
        if validate_source_name(self.name_edit.text()):
            return False
        self.state.source_name = self.name_edit.text().strip()
        return True
