"""The setup wizard, clicked through against a real sandbox with a scripted browser."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from urllib.parse import urlsplit

import httpx
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWidget, QWizard
from wizard_support import WAIT, ScriptedBrowser, go_to, press_next, register_application
from wizard_support import start_server as _server

from flowdock_desktop.auth import browser
from flowdock_desktop.context import AppContext
from flowdock_desktop.sandbox import SandboxConfig
from flowdock_desktop.sandbox.server import SandboxServer
from flowdock_desktop.store.profile import Profile
from flowdock_desktop.ui.wizard import PageId, SetupWizard

pytestmark = pytest.mark.gui


@pytest.fixture
def context(profile_dir) -> Iterator[AppContext]:
    ctx = AppContext(Profile.resolve(profile_dir))
    # The embedded sandbox of this test: started here so the test can also inspect it.
    ctx.sandbox = _server()
    yield ctx
    ctx.close()


@pytest.fixture
def wizard(qtbot, context, scripted_browser) -> Iterator[SetupWizard]:
    wiz = SetupWizard(context)
    qtbot.addWidget(wiz)
    wiz.show()
    yield wiz
    wiz.discard()
    scripted_browser.join()


def test_whole_wizard_creates_the_source(qtbot, wizard, context, memory_keyring, screenshot):
    server = context.sandbox
    screenshot(wizard, "wizard-1-server")
    go_to(qtbot, wizard, PageId.APPLICATION)
    page = wizard.application_page
    assert page.client_id_edit.text() == "sandbox-client-id"
    assert page.secret_edit.echoMode() == page.secret_edit.EchoMode.Password
    screenshot(wizard, "wizard-2-application")

    go_to(qtbot, wizard, PageId.SIGN_IN)
    screenshot(wizard, "wizard-3-sign-in")
    qtbot.mouseClick(wizard.sign_in_page.sign_in_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(wizard.sign_in_page.isComplete, timeout=WAIT)
    assert "Signed in as Demo User (demo@example.com)" in wizard.sign_in_page.banner.text
    screenshot(wizard, "wizard-3-signed-in")

    go_to(qtbot, wizard, PageId.FLOW)
    qtbot.waitUntil(lambda: wizard.flow_page.tree.topLevelItemCount() > 0, timeout=WAIT)
    screenshot(wizard, "wizard-4-flow")
    assert wizard.flow_page.select_flow("acme/main")

    go_to(qtbot, wizard, PageId.NAME)
    name = wizard.name_page.name_edit
    qtbot.waitUntil(lambda: name.text() == "Flowdock Desktop", timeout=WAIT)
    screenshot(wizard, "wizard-5-name")

    go_to(qtbot, wizard, PageId.CONFIRM)
    summary = wizard.confirm_page.summary_label.text()
    assert "“Flowdock Desktop” will be added to the team inbox of Main (Acme)" in summary
    assert wizard.confirm_page.members_label.text() == "2"
    screenshot(wizard, "wizard-6-confirm")

    with qtbot.waitSignal(wizard.integration_created, timeout=WAIT) as created:
        press_next(qtbot, wizard)
    qtbot.waitUntil(lambda: wizard.currentId() == PageId.DONE, timeout=WAIT)
    # Nothing to go back to once the source is made: no "< Back" greyed out for good.
    assert not wizard.button(QWizard.WizardButton.BackButton).isVisible()
    screenshot(wizard, "wizard-7-done")
    integration_id = created.args[0]

    integration = context.integrations.get(integration_id)
    assert integration.flow_path == "acme/main"
    sources = [s for s in server.state.flow_sources(integration.flow_id, server.base_url)]
    assert [s["name"] for s in sources] == ["Flowdock Desktop"]
    token = context.credentials.get_flow_token(integration_id)
    assert token and len(token) == 32
    # The token lives in the keyring only: not on the page, not in the profile directory.
    assert token not in wizard.done_page.result_label.text()
    for path in context.profile.dir.rglob("*"):
        if path.is_file():
            assert token.encode() not in path.read_bytes()

    with qtbot.waitSignal(wizard.open_composer_requested, timeout=WAIT) as opened:
        qtbot.mouseClick(
            wizard.button(QWizard.WizardButton.FinishButton), Qt.MouseButton.LeftButton
        )
    assert opened.args == [integration_id]


class DenyingBrowser(ScriptedBrowser):
    """Signs in on the sandbox's form, then presses Deny on the consent page."""

    @staticmethod
    def _visit(url: str) -> None:
        import re

        def submit(client: httpx.Client, page: httpx.Response, extra: dict) -> httpx.Response:
            action = re.search(r'<form method="post" action="([^"]+)"', page.text).group(1)
            fields = dict(re.findall(r'type="hidden" name="([^"]+)" value="([^"]*)"', page.text))
            fields = {k: v.replace("&amp;", "&") for k, v in fields.items()}
            return client.post(action, data={**fields, **extra}, follow_redirects=True)

        base = f"{urlsplit(url).scheme}://{urlsplit(url).netloc}"
        with httpx.Client(base_url=base, timeout=10) as client:
            page = client.get(url, follow_redirects=True)
            page = submit(client, page, {"email": "demo@example.com", "password": "demo"})
            submit(client, page, {"decision": "deny"})


def test_consent_denied_says_so_and_offers_try_again(qtbot, context, monkeypatch, screenshot):
    context.sandbox.stop()
    context.sandbox = _server(auto_approve=False)
    monkeypatch.setattr(browser, "open_browser", DenyingBrowser())
    wiz = SetupWizard(context)
    qtbot.addWidget(wiz)
    wiz.show()
    go_to(qtbot, wiz, PageId.SIGN_IN)
    page = wiz.sign_in_page
    qtbot.mouseClick(page.sign_in_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.banner.kind == "error" and bool(page.banner.text), timeout=WAIT)
    assert "Access was denied" in page.banner.text
    assert page.banner.button.text() == "&Try again"
    assert not page.isComplete()
    screenshot(wiz, "wizard-3-denied")
    wiz.discard()


def _port_is_free(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def test_cancel_during_sign_in_frees_the_port(qtbot, wizard, scripted_browser, screenshot):
    scripted_browser.enabled = False  # nobody approves: the sign-in keeps waiting
    go_to(qtbot, wizard, PageId.SIGN_IN)
    page = wizard.sign_in_page
    qtbot.mouseClick(page.sign_in_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(page.copy_button.isEnabled, timeout=WAIT)
    port = urlsplit(page.flow.redirect_uri).port
    assert not _port_is_free(port)
    assert page.paste_box.isVisible()
    screenshot(wizard, "wizard-3-waiting")
    qtbot.mouseClick(page.busy.cancel_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: _port_is_free(port), timeout=WAIT)
    assert page.sign_in_button.isEnabled()
    assert "cancelled" in page.status_label.text()


def test_pasted_redirect_address_completes_sign_in(qtbot, wizard, scripted_browser):
    scripted_browser.enabled = False
    go_to(qtbot, wizard, PageId.SIGN_IN)
    page = wizard.sign_in_page
    qtbot.mouseClick(page.sign_in_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(page.copy_button.isEnabled, timeout=WAIT)
    qtbot.keyClicks(page.paste_edit, "not a code at all")
    qtbot.mouseClick(page.paste_button, Qt.MouseButton.LeftButton)
    assert page.paste_message.is_error
    # The browser's final address, fetched without following the redirect to the listener.
    answer = httpx.get(scripted_browser.urls[-1], follow_redirects=False, timeout=10)
    page.paste_edit.setText(answer.headers["location"])
    qtbot.mouseClick(page.paste_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(page.isComplete, timeout=WAIT)


def test_bad_setup_link_is_explained_and_flow_can_still_be_chosen(qtbot, context, scripted_browser):
    wiz = SetupWizard(context, setup_link="https://app.example.com/setup?flow=0000000000000000")
    qtbot.addWidget(wiz)
    wiz.show()
    go_to(qtbot, wiz, PageId.FLOW)
    page = wiz.flow_page
    qtbot.waitUntil(lambda: page.banner.kind == "error" and bool(page.banner.text), timeout=WAIT)
    assert "was not found" in page.banner.text
    assert page.select_flow("acme/main")
    assert page.isComplete()
    wiz.discard()


def test_setup_link_preselects_its_flow(qtbot, context, scripted_browser):
    flow_id = context.sandbox.state.find_flow_by_path("acme", "announcements")
    wiz = SetupWizard(context, setup_link=f"flowdock-desktop://setup?flow={flow_id}")
    qtbot.addWidget(wiz)
    wiz.show()
    go_to(qtbot, wiz, PageId.FLOW)
    qtbot.waitUntil(lambda: wiz.flow_page.selected_flow() is not None, timeout=WAIT)
    assert wiz.flow_page.selected_flow().id == flow_id
    wiz.discard()


def test_unreachable_server_then_retry(qtbot, wizard, screenshot):
    with socket.socket() as spare:
        spare.bind(("127.0.0.1", 0))
        port = spare.getsockname()[1]
    page = wizard.server_page
    page.url_choice.click()
    qtbot.keyClicks(page.url_edit, f"http://127.0.0.1:{port}")
    press_next(qtbot, wizard)
    qtbot.waitUntil(lambda: page.banner.kind == "error" and bool(page.banner.text), timeout=WAIT)
    # The port is named: it is what is usually wrong on this computer.
    assert f"Could not reach 127.0.0.1:{port}." in page.banner.text
    screenshot(wizard, "wizard-1-unreachable")
    # Now a server answers on that port; Try again moves on.
    server = SandboxServer(SandboxConfig(auto_approve=True), host="127.0.0.1", port=port)
    server.start()
    try:
        qtbot.mouseClick(page.banner.button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: wizard.currentId() == PageId.APPLICATION, timeout=WAIT)
        assert wizard.state.api_url == f"http://127.0.0.1:{port}"
    finally:
        wizard.discard()
        server.stop()


def test_editing_the_address_clears_the_old_error(qtbot, wizard):
    page = wizard.server_page
    page.url_choice.click()
    qtbot.keyClicks(page.url_edit, "http://127.0.0.1:9")
    press_next(qtbot, wizard)
    qtbot.waitUntil(lambda: page.banner.kind == "error" and bool(page.banner.text), timeout=WAIT)
    assert "127.0.0.1:9." in page.banner.text
    qtbot.keyClick(page.url_edit, Qt.Key.Key_Backspace)
    assert page.banner.text == ""


def test_sandbox_port_busy_is_explained_then_retry_works(
    qtbot, profile_dir, scripted_browser, monkeypatch, screenshot
):
    squatter = socket.socket()
    squatter.bind(("127.0.0.1", 0))
    squatter.listen()
    port = squatter.getsockname()[1]
    monkeypatch.setenv("FLOWDOCK_DESKTOP_SANDBOX_PORT", str(port))
    context = AppContext(Profile.resolve(profile_dir))  # no sandbox of its own yet
    wiz = SetupWizard(context)
    qtbot.addWidget(wiz)
    wiz.show()
    try:
        page = wiz.server_page
        press_next(qtbot, wiz)
        qtbot.waitUntil(
            lambda: page.banner.kind == "error" and bool(page.banner.text), timeout=WAIT
        )
        assert f"port {port}" in page.banner.text
        assert "FLOWDOCK_DESKTOP_SANDBOX_PORT" in page.banner.text
        screenshot(wiz, "wizard-1-sandbox-port-busy")
        squatter.close()  # the other program quits; Try again starts the sandbox
        qtbot.mouseClick(page.banner.button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: wiz.currentId() == PageId.APPLICATION, timeout=WAIT)
        assert context.sandbox is not None and context.sandbox.port == port
    finally:
        squatter.close()
        wiz.discard()
        context.close()


def test_server_address_is_validated_inline(qtbot, wizard):
    page = wizard.server_page
    page.url_choice.setChecked(True)
    for text, words in (
        ("example.com", "https://"),
        ("http://example.com", "https:// for servers on other computers"),
        ("https://example.com/?x=1", "without ?"),
    ):
        page.url_edit.setText(text)
        assert page.url_message.is_error and words in page.url_message.text()
        assert not wizard.button(QWizard.WizardButton.NextButton).isEnabled()
    page.url_edit.setText("https://api.example.com")
    assert not page.url_message.is_error
    assert wizard.button(QWizard.WizardButton.NextButton).isEnabled()


def test_back_and_next_keep_what_was_typed(qtbot, wizard, context):
    mine = register_application(context.sandbox, "Mine")
    go_to(qtbot, wizard, PageId.APPLICATION)
    page = wizard.application_page
    page.client_id_edit.setText("")
    assert page.client_id_message.is_error
    assert not wizard.button(QWizard.WizardButton.NextButton).isEnabled()
    page.client_id_edit.setText(mine["client_id"])
    page.secret_edit.setText(mine["secret"])
    page.callback_edit.setText(mine["callback"])
    page.link_edit.setText("https://x.test/setup?flow={flow_id}")
    assert page.link_message.is_error and "placeholder" in page.link_message.text()
    page.link_edit.setText("https://x.test/setup?flow=abc")
    qtbot.mouseClick(page.show_secret, Qt.MouseButton.LeftButton)
    assert page.secret_edit.echoMode() == page.secret_edit.EchoMode.Normal
    go_to(qtbot, wizard, PageId.SIGN_IN)
    qtbot.mouseClick(wizard.button(QWizard.WizardButton.BackButton), Qt.MouseButton.LeftButton)
    qtbot.mouseClick(wizard.button(QWizard.WizardButton.BackButton), Qt.MouseButton.LeftButton)
    assert wizard.currentId() == PageId.SERVER
    go_to(qtbot, wizard, PageId.APPLICATION)
    assert page.client_id_edit.text() == mine["client_id"]
    assert page.link_edit.text() == "https://x.test/setup?flow=abc"
    assert page.secret_edit.text() == mine["secret"]


def test_keyboard_only_walk_to_done(qtbot, wizard, context):
    """Enter presses the default button on every page; the flow is chosen with arrow keys."""

    def enter() -> None:
        qtbot.keyClick(wizard.currentPage(), Qt.Key.Key_Return)

    for expected in (PageId.APPLICATION, PageId.SIGN_IN):
        qtbot.waitUntil(wizard.button(QWizard.WizardButton.NextButton).isEnabled, timeout=WAIT)
        enter()
        qtbot.waitUntil(lambda expected=expected: wizard.currentId() == expected, timeout=WAIT)
    page = wizard.sign_in_page
    qtbot.waitUntil(page.sign_in_button.isEnabled, timeout=WAIT)
    page.sign_in_button.setFocus()
    qtbot.keyClick(page.sign_in_button, Qt.Key.Key_Space)
    qtbot.waitUntil(page.isComplete, timeout=WAIT)
    enter()
    qtbot.waitUntil(lambda: wizard.flow_page.tree.topLevelItemCount() > 0, timeout=WAIT)
    tree = wizard.flow_page.tree
    tree.setFocus()
    qtbot.keyClick(tree, Qt.Key.Key_Down)
    qtbot.keyClick(tree, Qt.Key.Key_Down)
    assert wizard.flow_page.selected_flow() is not None
    enter()
    qtbot.waitUntil(lambda: wizard.currentId() == PageId.NAME, timeout=WAIT)
    qtbot.waitUntil(lambda: wizard.name_page.isComplete(), timeout=WAIT)
    enter()
    qtbot.waitUntil(lambda: wizard.currentId() == PageId.CONFIRM, timeout=WAIT)
    enter()
    qtbot.waitUntil(lambda: wizard.currentId() == PageId.DONE, timeout=WAIT)
    assert len(context.integrations.list()) == 1


def test_second_integration_in_another_flow(qtbot, wizard, context):
    go_to(qtbot, wizard, PageId.FLOW)
    qtbot.waitUntil(lambda: wizard.flow_page.select_flow("acme/main"), timeout=WAIT)
    go_to(qtbot, wizard, PageId.CONFIRM)
    press_next(qtbot, wizard)
    qtbot.waitUntil(lambda: wizard.currentId() == PageId.DONE, timeout=WAIT)
    another = wizard.button(QWizard.WizardButton.CustomButton1)
    assert another.isVisible()
    qtbot.mouseClick(another, Qt.MouseButton.LeftButton)
    assert wizard.currentId() == PageId.FLOW
    qtbot.waitUntil(lambda: wizard.flow_page.select_flow("acme/announcements"), timeout=WAIT)
    go_to(qtbot, wizard, PageId.NAME)
    qtbot.waitUntil(lambda: wizard.name_page.name_edit.text() == "Flowdock Desktop", timeout=WAIT)
    go_to(qtbot, wizard, PageId.CONFIRM)
    press_next(qtbot, wizard)
    qtbot.waitUntil(lambda: wizard.currentId() == PageId.DONE, timeout=WAIT)
    paths = sorted(i.flow_path for i in context.integrations.list())
    assert paths == ["acme/announcements", "acme/main"]
    ids = [i.id for i in context.integrations.list()]
    tokens = {context.credentials.get_flow_token(i) for i in ids}
    assert len(tokens) == 2 and None not in tokens


def test_same_name_in_same_flow_warns(qtbot, wizard, context):
    server = context.sandbox
    flow_id = server.state.find_flow_by_path("acme", "main")
    # Make "Flowdock Desktop" taken, then type it anyway.
    go_to(qtbot, wizard, PageId.FLOW)
    qtbot.waitUntil(lambda: wizard.flow_page.select_flow("acme/main"), timeout=WAIT)
    with context.user_client() as client:
        client.create_source("acme", "main", "Flowdock Desktop")
    go_to(qtbot, wizard, PageId.NAME)
    name = wizard.name_page.name_edit
    qtbot.waitUntil(lambda: name.text() == "Flowdock Desktop 2", timeout=WAIT)
    name.setText("flowdock desktop")
    assert "already has a source named" in wizard.name_page.name_message.text()
    assert wizard.name_page.isComplete()
    name.setText("x" * 101)
    assert wizard.name_page.name_message.is_error
    name.setText("   ")
    assert not wizard.name_page.isComplete()
    assert flow_id


def test_pages_are_built_when_first_needed(qtbot, wizard):
    # The first window carries only the Server page; Next builds the page it goes to.
    assert [type(page).__name__ for page in wizard.pages()] == ["ServerPage"]
    assert wizard.pageIds() == [PageId.SERVER]
    assert wizard.button(QWizard.WizardButton.NextButton).isVisible()
    go_to(qtbot, wizard, PageId.APPLICATION)
    assert [type(page).__name__ for page in wizard.pages()] == ["ServerPage", "ApplicationPage"]
    assert wizard.currentPage() is wizard.application_page
    # Back and Next again reuse the pages already built.
    application_page = wizard.application_page
    wizard.back()
    go_to(qtbot, wizard, PageId.APPLICATION)
    assert wizard.application_page is application_page
    assert len(wizard.pages()) == 2


def test_once_the_integration_is_made_cancel_becomes_close_and_keeps_it(qtbot, wizard, context):
    cancel = wizard.button(QWizard.WizardButton.CancelButton)
    assert cancel.text() != "Close"
    go_to(qtbot, wizard, PageId.DONE)
    # Nothing is left to cancel: the button says what it does, and does only that.
    assert cancel.text() == "Close" and cancel.isVisible()
    qtbot.mouseClick(cancel, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not wizard.isVisible(), timeout=WAIT)
    assert wizard.findChild(QWidget, "discard-question") is None
    assert len(context.integrations.list()) == 1
