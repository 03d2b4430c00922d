"""Page 7: what was created, with "Open composer" and "Set up another"."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QLabel,
    QWizard,
)

from flowdock_desktop.ui.wizard.base import WizardPage

if TYPE_CHECKING:
    from flowdock_desktop.context import AppContext
    from flowdock_desktop.ui.wizard.state import WizardState


class DonePage(WizardPage):
    """Page 7: what was created, with "Open composer" (Finish) and "Set up another"."""

    def __init__(self, context: AppContext, state: WizardState) -> None:
        super().__init__(context, state, "Done", "The integration is ready.")
        self.result_label = QLabel()
        self.result_label.setWordWrap(True)
        self.result_label.setAccessibleName("What was created")
        self.result_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.body.addWidget(self.result_label)
        self.setFinalPage(True)
        self.setButtonText(QWizard.WizardButton.FinishButton, "&Open composer")

    def initializePage(self) -> None:
        result = self.state.result
        assert result is not None
        integration = result.integration
        where = (
            "Its flow token is stored in your keyring; it is never shown."
            if result.token_persistent
            else "Its flow token is kept in memory until Flowdock Desktop quits; it is never shown."
        )
        done = "Reconnected" if self.state.reconnect is not None else "Created the source"
        self.result_label.setText(
            f"{done} “{integration.source_name}” in {integration.flow_name} "
            f"({integration.organization_name}). {where} Open the composer to post"
            + (" again." if self.state.reconnect is not None else " your first message.")
        )
        if not result.token_persistent:
            self.show_info("warning", self.context.credentials.warning or "")
        else:
            self.banner.clear()
