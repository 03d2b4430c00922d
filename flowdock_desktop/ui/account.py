"""Help > Account: where the sign-in and secrets stand (``ui.help_actions`` adds the menu entry).

The dialog shows what ``flowdock-desktop status`` prints (``account_status``), read off the
GUI thread, with the team inbox links clickable.
"""

from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from flowdock_desktop.account_status import AccountStatus, collect_status
from flowdock_desktop.problems import explain_and_report
from flowdock_desktop.ui.tasks import run_task
from flowdock_desktop.ui.widgets import Banner

if TYPE_CHECKING:
    from flowdock_desktop.context import AppContext


#: How a person signs in from the app's windows (no command line words here).
SIGN_IN_HINT = "File > Add integration… signs you in"


class AccountDialog(QDialog):
    """Server, signed-in person, application, scopes, token expiry, keyring, sandbox, inboxes.

    Attributes: ``form`` (one row per fact), ``status`` (the ``AccountStatus`` once read),
    ``copy_button``.
    """

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.status: AccountStatus | None = None
        self.setWindowTitle("Account — Flowdock Desktop")
        layout = QVBoxLayout(self)
        self.banner = Banner()
        layout.addWidget(self.banner)
        self.form = QFormLayout()
        layout.addLayout(self.form)
        self.loading = QLabel("Reading your sign-in…")
        self.form.addRow(self.loading)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.copy_button = QPushButton("C&opy")
        self.copy_button.setAccessibleName("Copy the account details")
        self.copy_button.setEnabled(False)
        self.copy_button.clicked.connect(self._copy)
        buttons.addButton(self.copy_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.resize(640, 360)
        self._listening = False
        self._read()

    def _read(self) -> None:
        """Read the status off the GUI thread (again, when the keyring comes back)."""
        context = self.context
        run_task(
            lambda: collect_status(context, sign_in_hint=SIGN_IN_HINT),
            owner=self,
            on_done=self._show,
            on_error=lambda e: self.banner.show_message(
                "error",
                "The account details could not be read. "
                + explain_and_report(e, context.profile.log_dir).text,
            ),
        )

    def _show(self, status: AccountStatus) -> None:
        if not self._listening:
            from flowdock_desktop.ui.reconnect import when_keyring_back

            # The store is made (the read used it): once a locked keyring is in use again,
            # from whichever window, what it said while locked is read anew.
            self._listening = True
            when_keyring_back(self, self.context.credentials, self._read)
        self.status = status
        while self.form.rowCount():
            self.form.removeRow(0)  # the loading row, or what an earlier read showed
        for label, value in status.rows:
            if label == "Team inbox":
                continue
            text = QLabel(value)
            text.setWordWrap(True)
            text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            text.setAccessibleName(label)
            self.form.addRow(f"{label}:", text)
        for name, url in status.inbox_links:
            link = QLabel(f'<a href="{escape(url, quote=True)}">{escape(url)}</a> ({escape(name)})')
            link.setTextFormat(Qt.TextFormat.RichText)
            link.setOpenExternalLinks(True)
            link.setAccessibleName(f"Team inbox of {name}")
            self.form.addRow("Team inbox:", link)
        self.copy_button.setEnabled(True)

    def _copy(self) -> None:
        if self.status is not None:
            QGuiApplication.clipboard().setText("\n".join(self.status.lines()))
