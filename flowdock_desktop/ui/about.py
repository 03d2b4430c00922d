"""The About dialog: version, licence, links, and a button that copies the diagnostics report."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QPushButton, QVBoxLayout, QWidget

from flowdock_desktop import __version__
from flowdock_desktop.ui.tasks import run_task
from flowdock_desktop.ui.theme import app_icon

if TYPE_CHECKING:
    from flowdock_desktop.context import AppContext

HOMEPAGE_URL = "https://github.com/flowdock-desktop/flowdock-desktop"
ISSUES_URL = f"{HOMEPAGE_URL}/issues"
API_DOCS_URL = "https://flowdock.com/api"


class AboutDialog(QDialog):
    """Says which version this is, under which licence, and where to get help.

    "Copy diagnostics" puts :func:`flowdock_desktop.diagnostics.collect_diagnostics` on the
    clipboard for a support request. Attributes: ``copy_button``, ``status``.
    Signals: ``diagnostics_copied(str)`` with the report once it is on the clipboard.
    """

    diagnostics_copied = Signal(str)

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.setWindowTitle("About Flowdock Desktop")
        self.setWindowIcon(app_icon())
        layout = QVBoxLayout(self)

        icon = QLabel()
        icon.setPixmap(app_icon().pixmap(64, 64))
        icon.setAlignment(Qt.AlignmentFlag.AlignHCenter)
        icon.setAccessibleName("Flowdock Desktop icon")
        layout.addWidget(icon)

        title = QLabel(f"<h2>Flowdock Desktop</h2><p>Version {__version__}</p>")
        title.setAlignment(Qt.AlignmentFlag.AlignHCenter)
        title.setObjectName("about-title")
        layout.addWidget(title)

        text = QLabel(
            "<p>Set up Flowdock integrations and send messages to your flows.</p>"
            "<p>Free software under the MIT licence. "
            "© Flowdock Desktop developers.</p>"
            f'<p><a href="{HOMEPAGE_URL}">Home page</a> · '
            f'<a href="{ISSUES_URL}">Report a problem</a> · '
            f'<a href="{API_DOCS_URL}">Flowdock API</a></p>'
        )
        text.setObjectName("about-text")
        text.setWordWrap(True)
        text.setAlignment(Qt.AlignmentFlag.AlignHCenter)
        text.setOpenExternalLinks(True)
        text.setTextInteractionFlags(Qt.TextInteractionFlag.TextBrowserInteraction)
        layout.addWidget(text)

        self.status = QLabel()
        self.status.setAlignment(Qt.AlignmentFlag.AlignHCenter)
        self.status.setAccessibleName("Copy status")
        layout.addWidget(self.status)

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.copy_button = QPushButton("&Copy diagnostics")
        self.copy_button.setToolTip(
            "Copy versions, paths and recent log lines (no passwords or tokens) to paste into "
            "a problem report"
        )
        buttons.addButton(self.copy_button, QDialogButtonBox.ButtonRole.ActionRole)
        self.copy_button.clicked.connect(self.copy_diagnostics)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def copy_diagnostics(self) -> None:
        """Build the report on a worker (it reads the log and the database), then copy it."""
        from flowdock_desktop.diagnostics import collect_diagnostics

        self.copy_button.setEnabled(False)
        self.status.setText("Collecting diagnostics…")
        context = self.context
        run_task(
            lambda: collect_diagnostics(context),
            owner=self,
            on_done=self._copied,
            on_error=self._failed,
        )

    def _copied(self, report: str) -> None:
        QGuiApplication.clipboard().setText(report)
        self.copy_button.setEnabled(True)
        self.status.setText("Diagnostics copied to the clipboard.")
        QTimer.singleShot(4000, self.status, self.status.clear)
        self.diagnostics_copied.emit(report)

    def _failed(self, error: BaseException) -> None:
        self.copy_button.setEnabled(True)
        self.status.setText(f"Could not collect diagnostics ({type(error).__name__}).")
