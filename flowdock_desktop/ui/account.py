"""Help > Account (where the sign-in and secrets stand) and Help > Open team inbox.

The dialog shows what ``flowdock-desktop status`` prints (``account_status``), read off the
GUI thread, with the team inbox links clickable.
"""

from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QGuiApplication
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QMenu,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from flowdock_desktop.account_status import AccountStatus, collect_status, team_inbox_url
from flowdock_desktop.problems import explain_and_report
from flowdock_desktop.ui.tasks import run_task
from flowdock_desktop.ui.widgets import Banner

if TYPE_CHECKING:
    from flowdock_desktop.context import AppContext


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
        run_task(
            lambda: collect_status(context),
            owner=self,
            on_done=self._show,
            on_error=lambda e: self.banner.show_message(
                "error",
                "The account details could not be read. "
                + explain_and_report(e, context.profile.log_dir).text,
            ),
        )

    def _show(self, status: AccountStatus) -> None:
        self.status = status
        self.form.removeRow(self.loading)
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


def open_team_inbox(window: Any) -> str | None:
    """Open the selected integration's team inbox in the browser; the URL, or None."""
    integration = getattr(window, "integration", None)
    if integration is None:
        return None
    url = team_inbox_url(integration.api_url, integration.org_slug, integration.flow_slug)
    from flowdock_desktop.auth import browser

    # Starting a browser can take a moment: not on the GUI thread.
    run_task(lambda: browser.open_browser(url), owner=window, on_error=lambda _e: None)
    return url


def add_help_actions(window: Any, menu: QMenu) -> tuple[QAction, QAction]:
    """Help > Account… and Help > Open team inbox, for a window with ``context`` and
    ``integration`` (the composer)."""
    account = menu.addAction("A&ccount…")

    def show_account() -> None:
        dialog = AccountDialog(window.context, window)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.show()

    account.triggered.connect(show_account)
    inbox = menu.addAction("Open team &inbox")
    inbox.setToolTip("The selected integration's flow, in your browser")
    inbox.triggered.connect(lambda: open_team_inbox(window))
    # Only with an integration selected: there is no inbox to open otherwise.
    menu.aboutToShow.connect(
        lambda: inbox.setEnabled(getattr(window, "integration", None) is not None)
    )
    return account, inbox
