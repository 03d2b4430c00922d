"""Help > Account and Help > Open team inbox in the composer, against a real sandbox."""

from __future__ import annotations

import httpx
import pytest
from PySide6.QtWidgets import QLabel

from flowdock_desktop.auth import browser
from flowdock_desktop.context import AppContext
from flowdock_desktop.testing import connect_demo_source, sign_in_demo_user
from flowdock_desktop.ui.account import AccountDialog
from flowdock_desktop.ui.composer import ComposerWindow

pytestmark = pytest.mark.gui

WAIT = 10_000


@pytest.fixture
def window(qtbot, profile_dir, sandbox):
    context = AppContext()
    sign_in_demo_user(context, sandbox.base_url)
    integration, _ = connect_demo_source(context, sandbox.base_url, name="Deploy bot")
    context.api_url = sandbox.base_url
    composer = ComposerWindow(context, integration.id)
    qtbot.addWidget(composer)
    composer.show()
    qtbot.waitUntil(lambda: composer.integration is not None, timeout=WAIT)
    yield composer
    composer.close()
    context.close()


def _help_action(window: ComposerWindow, words: str):
    menus = {a.text().replace("&", ""): a.menu() for a in window.menuBar().actions()}
    help_menu = menus["Help"]
    help_menu.aboutToShow.emit()
    return next(a for a in help_menu.actions() if words in a.text().replace("&", ""))


def test_account_dialog_says_who_where_and_which_keyring(qtbot, window, sandbox, screenshot):
    _help_action(window, "Account").trigger()
    dialog = next(w for w in window.findChildren(AccountDialog) if w.isVisible())
    qtbot.waitUntil(lambda: dialog.status is not None, timeout=WAIT)
    shown = {label.accessibleName(): label.text() for label in dialog.findChildren(QLabel)}
    assert shown["Signed in as"].startswith("Demo User (demo@example.com)")
    assert shown["Scopes"] == "flow profile integration"
    assert shown["Secrets"].startswith("the system keyring")
    assert f"{sandbox.base_url}/app/acme/main" in shown["Team inbox of Deploy bot in Acme / Main"]
    screenshot(dialog, "account")


def test_open_team_inbox_opens_the_flows_inbox_page(qtbot, window, sandbox, monkeypatch):
    opened = []
    monkeypatch.setattr(browser, "open_browser", lambda url: opened.append(url) or True)
    action = _help_action(window, "Open team inbox")
    assert action.isEnabled()
    action.trigger()
    qtbot.waitUntil(lambda: bool(opened), timeout=WAIT)
    assert opened == [f"{sandbox.base_url}/app/acme/main"]
    page = httpx.get(opened[0], timeout=10)
    assert page.status_code == 200 and "Team inbox: acme/main" in page.text


def test_with_nobody_signed_in_the_dialog_says_how_in_the_apps_own_words(
    qtbot, profile_dir, sandbox
):
    context = AppContext()
    try:
        context.api_url = sandbox.base_url
        dialog = AccountDialog(context)
        qtbot.addWidget(dialog)
        dialog.show()
        qtbot.waitUntil(lambda: dialog.status is not None, timeout=WAIT)
        shown = {label.accessibleName(): label.text() for label in dialog.findChildren(QLabel)}
        assert shown["Signed in"] == "no one (File > Add integration… signs you in)"
    finally:
        context.close()
