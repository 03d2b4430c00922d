"""Help > Account… and Help > Open team inbox, for the composer's Help menu.

Apart from ``ui/account.py`` (the dialog) so that the menu costs the composer's first window
nothing: the dialog's module, with its widgets and ``account_status``, loads when the person
opens it.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenu

from flowdock_desktop.ui.tasks import run_task


def open_team_inbox(window: Any) -> str | None:
    """Open the selected integration's team inbox in the browser; the URL, or None."""
    integration = getattr(window, "integration", None)
    if integration is None:
        return None
    from flowdock_desktop.account_status import team_inbox_url
    from flowdock_desktop.auth import browser

    url = team_inbox_url(integration.api_url, integration.org_slug, integration.flow_slug)

    # Starting a browser can take a moment: not on the GUI thread.
    run_task(lambda: browser.open_browser(url), owner=window, on_error=lambda _e: None)
    return url


def add_help_actions(window: Any, menu: QMenu) -> tuple[QAction, QAction]:
    """Help > Account… and Help > Open team inbox, for a window with ``context`` and
    ``integration`` (the composer)."""
    account = menu.addAction("A&ccount…")

    def show_account() -> None:
        from flowdock_desktop.ui.account import AccountDialog

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
