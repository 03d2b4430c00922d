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

#: Why "Sign in again" is disabled while the keyring is set aside (its tooltip, the notice).
SIGN_IN_WAITS = (
    "Sign in again waits for the keyring: a sign-in made now could not be kept in it. "
    "Unlock it, then try the keyring again."
)


class IntegrationSettingsDialog(QDialog):
    """Settings of one integration, opened by a configuration link (``configure``).

    Signals: ``sign_in_requested(str api_url)`` ("Sign in again"), ``removed(str id)``,
    ``reconnect_requested(str id)`` (its flow token is gone: "Reconnect").
    Renaming changes the local name only: Flowdock has no endpoint to rename a source.
    While the keyring is locked (or failing) "Sign in again" waits for it: the sign-in would
    be kept only until the app quits. "Try the keyring again" is offered instead.
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
        self.resize(560, self.sizeHint().height())  # room for a notice beside its button
        # The keyring set aside as last read (the banner's action then tries it again), and
        # whether the dialog listens for it coming back.
        self._held: KeyringSetAside | None = None
        self._listening = False
        self.banner.action_clicked.connect(self._try_keyring)
        if integration.is_active:
            self._read_token()

    def _say(self, kind: str, text: str, action: str | None = None) -> None:
        """Show a notice in the banner, the dialog grown to show all of its words (the
        keyring's are a paragraph; a dialog sized for its fields clipped them)."""
        self.banner.show_message(kind, text, action)
        layout = self.layout()
        layout.activate()
        needed = layout.totalHeightForWidth(self.width())
        if needed > self.height():
            self.resize(self.width(), needed)

    def _read_token(self) -> None:
        """Whether its flow token is still here: a keyring read, off the GUI thread."""
        context, integration = self.context, self.integration
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
        from flowdock_desktop.ui.reconnect import (
            NEEDS_SIGN_IN,
            TRY_KEYRING,
            needs_sign_in_text,
            when_keyring_back,
        )

        if not self._listening:
            self._listening = True  # the store is made: the read above used it
            when_keyring_back(self, self.context.credentials, self._keyring_back)
        missing, held = found
        self._held = held
        self._offer_sign_in(held is None)
        if held is not None:
            # Its flow token may be behind the locked keyring: unlocking it and trying it
            # again brings it back (Reconnect would make a needless new source). One kept in
            # memory meanwhile still posts.
            self.state_label.setText(held.word if missing else "active")
            self.reconnect_button.setVisible(False)
            self._say("warning", f"{held.warning} {SIGN_IN_WAITS}", TRY_KEYRING)
            return
        if not missing:
            self.state_label.setText("active")
            self.reconnect_button.setVisible(False)
            return
        self.state_label.setText(NEEDS_SIGN_IN)
        self.reconnect_button.setVisible(True)
        self._say("warning", needs_sign_in_text(self.integration))

    def _try_keyring(self) -> None:
        """ "Try the keyring again" (the banner's action while the keyring is set aside)."""
        from flowdock_desktop.ui.reconnect import (
            STILL_SET_ASIDE,
            TRY_KEYRING,
            TRYING_KEYRING,
            keyring_set_aside,
            retry_keyring,
        )

        if self._held is None:
            return
        credentials = self.context.credentials
        self._say("info", TRYING_KEYRING)

        def done(in_use: bool) -> None:
            held = None if in_use else keyring_set_aside(credentials)
            if held is None:
                self._keyring_back()  # once: heard of it already, it is up to date
                return
            self._held = held
            if self.state_label.text() != "active":
                self.state_label.setText(held.word)
            self._say("warning", f"{STILL_SET_ASIDE}{held.warning} {SIGN_IN_WAITS}", TRY_KEYRING)

        retry_keyring(self, credentials, done)

    def _keyring_back(self) -> None:
        """The keyring is in use again (this dialog's button, or another window's): read the
        flow token again, now from the keyring."""
        from flowdock_desktop.ui.reconnect import KEYRING_BACK

        if self._held is None:
            return
        self._held = None
        self._say("success", KEYRING_BACK)
        self._read_token()

    def _offer_sign_in(self, usable: bool) -> None:
        """Enable "Sign in again" (the keyring answers), or disable it saying why."""
        self.sign_in_button.setEnabled(usable)
        why = "" if usable else SIGN_IN_WAITS
        self.sign_in_button.setToolTip(why)
        self.sign_in_button.setAccessibleDescription(why)

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
            on_error=lambda e: self._say("error", f"Could not save. {self._words(e)}"),
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
        self._say("info", "Removing…")
        self._task = run_task(work, owner=self, on_done=done, on_error=self._remove_failed)

    def _remove_failed(self, error: BaseException) -> None:
        self._asking = False
        self.remove_button.setEnabled(True)
        self._say("error", f"Could not remove it. {self._words(error)}")
