"""Page 6: what will be created (or reconnected), and where; its button does it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QFormLayout,
    QLabel,
    QWizard,
)

from flowdock_desktop.connect import (
    ConnectCancelled,
    ConnectError,
    ConnectResult,
    create_integration,
    due_after_reconnect,
    flow_summary,
    reconnect_integration,
)
from flowdock_desktop.store.servers import KnownServers
from flowdock_desktop.ui.tasks import CancelToken
from flowdock_desktop.ui.wizard.base import WizardPage

if TYPE_CHECKING:
    from flowdock_desktop.context import AppContext
    from flowdock_desktop.store.integrations import Integration
    from flowdock_desktop.ui.wizard.state import WizardState


class ConfirmPage(WizardPage):
    """Page 6: what will be created, where; Create makes the source (cancellable)."""

    def __init__(self, context: AppContext, state: WizardState) -> None:
        super().__init__(context, state, "Confirm", "Check what will be created.")
        form = QFormLayout()
        self.flow_label = QLabel()
        self.org_label = QLabel()
        self.access_label = QLabel()
        self.members_label = QLabel()
        for title, label in (
            ("Flow:", self.flow_label),
            ("Organization:", self.org_label),
            ("Access:", self.access_label),
            ("Members:", self.members_label),
        ):
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            label.setAccessibleName(title.rstrip(":"))
            form.addRow(title, label)
        self.body.addLayout(form)
        self.summary_label = QLabel()
        self.summary_label.setWordWrap(True)
        self.summary_label.setAccessibleName("What will be created")
        self.body.addWidget(self.summary_label)
        self.setCommitPage(True)
        self.setButtonText(QWizard.WizardButton.CommitButton, "&Create source")
        self._passed = False

    def initializePage(self) -> None:
        self.banner.clear()
        integration = self.state.reconnect
        if integration is not None:
            self._show_reconnect(integration)
            return
        self.setButtonText(QWizard.WizardButton.CommitButton, "&Create source")
        flow = self.state.flow
        assert flow is not None
        info = flow_summary(flow)
        self.flow_label.setText(str(info["flow"]))
        self.org_label.setText(str(info["organization"]))
        self.access_label.setText(
            _ACCESS_WORDS.get(str(info["access_mode"]), str(info["access_mode"]))
        )
        self.members_label.setText(str(info["members"]))
        where = "in your system keyring"
        if self.state.keyring_set_aside is not None:
            where = (
                f"in memory for now ({self.state.keyring_set_aside.word}: the composer's "
                "“Try the keyring again” saves it there once it is unlocked)"
            )
        elif self.state.keyring_persistent is False:
            where = (
                "in memory until it quits (there is no system keyring), so after a restart it "
                "has to be reconnected"
            )
        self.summary_label.setText(
            f"A source named “{self.state.source_name}” will be added to the team inbox of "
            f"{info['flow']} ({info['organization']}). Flowdock Desktop keeps its flow token "
            f"{where} to post as this source."
        )

    def _show_reconnect(self, integration: Integration) -> None:
        self.flow_label.setText(integration.flow_name)
        self.org_label.setText(integration.organization_name)
        self.access_label.setText("")
        self.members_label.setText("")
        self.setButtonText(QWizard.WizardButton.CommitButton, "&Reconnect")
        self.summary_label.setText(
            f"“{integration.source_name}” lost its flow token on this computer, so it cannot "
            f"post. A new source of that name is made in {integration.flow_name} "
            f"({integration.organization_name}) and the old one removed; its messages waiting "
            "in the outbox, history and draft stay."
        )
        self.create()  # Reconnect was already pressed: nothing left to choose here

    def isComplete(self) -> bool:
        return not self.working

    def validatePage(self) -> bool:
        if self._passed:
            self._passed = False
            return True
        if not self.working:
            self.create()
        return False

    def create(self) -> None:
        self.banner.clear()
        context, state = self.context, self.state
        flow, name = state.flow, state.source_name
        assert flow is not None or state.reconnect is not None
        user_id = state.session.account.user_id if state.session else None

        api_url, client_id = state.api_url or "", state.client_id
        reconnecting = state.reconnect

        def work(token: CancelToken, progress: Any) -> ConnectResult:
            if reconnecting is not None:
                with context.user_client() as client:
                    reconnected = reconnect_integration(
                        client,
                        reconnecting,
                        credentials=context.credentials,
                        integrations=context.integrations,
                        cancel=token,
                        progress=progress,
                    )
                due_after_reconnect(context.outbox, reconnecting)
                return reconnected
            with context.user_client() as client:
                result = create_integration(
                    client,
                    flow,
                    name,
                    credentials=context.credentials,
                    integrations=context.integrations,
                    account_user_id=user_id,
                    cancel=token,
                    progress=progress,
                )
            # The server's answer names the application: new sources default to that name.
            application = result.source.application
            if application is not None and application.name:
                KnownServers(context.db).name_application(api_url, client_id, application.name)
            return result

        self.run(
            work,
            "Reconnecting…" if reconnecting is not None else "Creating the source…",
            self._created,
            self._failed,
            with_token=True,
            with_progress=True,
            on_progress=lambda text: self.busy.label.setText(str(text)),
        )

    def _created(self, result: ConnectResult) -> None:
        self.state.result = result
        self._passed = True
        self.setup_wizard().integration_created.emit(result.integration.id)
        self.wizard().next()

    def _failed(self, error: BaseException) -> None:
        if isinstance(error, ConnectCancelled):
            self.show_info("info", str(error))
        elif isinstance(error, ConnectError):
            self.show_error(str(error), "&Try again", self.create)
        else:
            self.show_failure(error, self.create)

    def on_cancelled(self) -> None:
        self.show_info("info", "Cancelled. Nothing was created.")


_ACCESS_WORDS = {
    "organization": "Everyone in the organization can join",
    "link": "Anyone with the invitation link can join",
    "invitation": "Invited people only",
}
