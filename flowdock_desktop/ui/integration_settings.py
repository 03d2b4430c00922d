"""The configure dialog of one integration: rename it, sign in again, or remove it."""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from flowdock_desktop.api.errors import NotFoundError
from flowdock_desktop.api.validation import validate_source_name
from flowdock_desktop.problems import explain_and_report
from flowdock_desktop.sending import forget_integration
from flowdock_desktop.store.integrations import Integration
from flowdock_desktop.ui.removal import confirm_removal, count_not_sent
from flowdock_desktop.ui.tasks import TaskHandle, run_task
from flowdock_desktop.ui.widgets import Banner, labelled_field

if TYPE_CHECKING:
    from flowdock_desktop.context import AppContext
    from flowdock_desktop.ui.reconnect import KeyringSetAside


class IntegrationSettingsDialog(QDialog):
    """Settings of one integration, opened by a configuration link (``configure``).

    Signals: ``sign_in_requested(str api_url)`` ("Sign in again"), ``removed(str id)``,
    ``reconnect_requested(str id)`` (its flow token is gone: "Reconnect").
    Renaming changes the local name only: Flowdock has no endpoint to rename a source.
    """

    sign_in_requested = Signal(str)
    removed = Signal(str)
    reconnect_requested = Signal(str)

    def __init__(
        self, context: AppContext, integration: Integration, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.context = context
        self.integration = integration
        self.setWindowTitle(f"Integration settings: {integration.source_name}")
        layout = QVBoxLayout(self)
        self.banner = Banner()
        layout.addWidget(self.banner)
        form = QFormLayout()
        for title, value in (
            ("Flow:", f"{integration.flow_name} ({integration.organization_name})"),
            ("Server:", integration.api_url),
            ("State:", "active" if integration.is_active else "removed in Flowdock"),
        ):
            label = QLabel(value)
            label.setAccessibleName(title.rstrip(":"))
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            form.addRow(title, label)
            if title == "State:":
                self.state_label = label
        layout.addLayout(form)
        self.reconnect_button = QPushButton("Re&connect")
        self.reconnect_button.setAccessibleName("Reconnect")
        self.reconnect_button.setVisible(False)
        self.reconnect_button.clicked.connect(self._reconnect)
        layout.addWidget(self.reconnect_button)
        self.name_edit = QLineEdit(integration.source_name)
        box, self.name_message = labelled_field("Source &name (on this computer)", self.name_edit)
        layout.addWidget(box)
        self.name_edit.textChanged.connect(self._validate)
        self.sign_in_button = QPushButton("Sign &in again")
        self.sign_in_button.clicked.connect(
            lambda: self.sign_in_requested.emit(self.integration.api_url)
        )
        self.remove_button = QPushButton("&Remove integration…")
        self.remove_button.clicked.connect(self._ask_remove)
        layout.addWidget(self.sign_in_button)
        layout.addWidget(self.remove_button)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Close
        )
        self.buttons.accepted.connect(self._save)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        self._task: TaskHandle | None = None
        self._asking = False
        if integration.is_active:
            # Whether its flow token is still here: a keyring read, off the GUI thread.
            run_task(
                lambda: self._check_token(context, integration),
                owner=self,
                on_done=self._token_checked,
                on_error=lambda _e: None,
            )

    @staticmethod
    def _check_token(
        context: AppContext, integration: Integration
    ) -> tuple[bool, KeyringSetAside | None]:
        """(its flow token is missing, the keyring when it is set aside): on the worker."""
        from flowdock_desktop.ui.reconnect import keyring_set_aside

        missing = not context.credentials.get_flow_token(integration.id)
        return missing, keyring_set_aside(context.credentials)

    def _token_checked(self, found: tuple[bool, KeyringSetAside | None]) -> None:
        missing, held = found
        if not missing:
            return
        from flowdock_desktop.ui.reconnect import NEEDS_SIGN_IN, needs_sign_in_text

        if held is not None:
            # Behind a locked keyring: unlocking it (and the composer's "Try the keyring
            # again") brings the token back; Reconnect would make a needless new source.
            self.state_label.setText(held.word)
            self.banner.show_message("warning", held.warning)
            return
        self.state_label.setText(NEEDS_SIGN_IN)
        self.reconnect_button.setVisible(True)
        self.banner.show_message("warning", needs_sign_in_text(self.integration))

    def _reconnect(self) -> None:
        self.reconnect_requested.emit(self.integration.id)
        self.accept()

    def _validate(self) -> bool:
        problems = validate_source_name(self.name_edit.text())
        if problems:
            self.name_message.show_error(f"The name {'; '.join(problems)}.")
        else:
            self.name_message.clear_message()
        save = self.buttons.button(QDialogButtonBox.StandardButton.Save)
        save.setEnabled(not problems)
        return not problems

    def _save(self) -> None:
        if not self._validate():
            return
        store, integration_id, name = (
            self.context.integrations,
            self.integration.id,
            self.name_edit.text(),
        )

        def done(updated: Integration) -> None:
            self.integration = updated
            self.accept()

        self._task = run_task(
            lambda: store.rename(integration_id, name),
            owner=self,
            on_done=done,
            on_error=lambda e: self.banner.show_message(
                "error", f"Could not save. {self._words(e)}"
            ),
        )

    def _words(self, error: BaseException) -> str:
        """What the command line would say about ``error`` (a bug: with its crash report)."""
        return explain_and_report(error, self.context.profile.log_dir).text

    def _ask_remove(self) -> None:
        """Count what is not sent yet (in the background), then ask with that count."""
        if self._asking:
            return  # one question at a time
        self._asking = True
        count_not_sent(
            self.context,
            self.integration.id,
            owner=self,
            on_counted=self._ask_then_remove,
            on_error=self._remove_failed,
        )

    def _ask_then_remove(self, unsent: int) -> None:
        try:
            yes = confirm_removal(self, self.integration, unsent, in_flowdock=True)
        finally:
            self._asking = False
        if yes:
            self._remove()

    def _remove(self) -> None:
        context, integration = self.context, self.integration

        def work() -> str:
            if integration.is_active:
                # Already gone in Flowdock: forgetting it locally is all that is left.
                with context.user_client() as client, contextlib.suppress(NotFoundError):
                    client.delete_source(
                        integration.org_slug, integration.flow_slug, integration.source_id
                    )
            forget_integration(context, integration.id)
            return integration.id

        def done(integration_id: str) -> None:
            self.removed.emit(integration_id)
            self.accept()

        self.remove_button.setEnabled(False)
        self.banner.show_message("info", "Removing…")
        self._task = run_task(work, owner=self, on_done=done, on_error=self._remove_failed)

    def _remove_failed(self, error: BaseException) -> None:
        self._asking = False
        self.remove_button.setEnabled(True)
        self.banner.show_message("error", f"Could not remove it. {self._words(error)}")
