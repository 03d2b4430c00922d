"""What the wizard tests share: a scripted browser, a sandbox, and (from ``person``) pressing
keys like a person.

Plain helpers (no fixtures), imported by the ``test_wizard*`` modules.
"""

from __future__ import annotations

import contextlib
import re
import socket
import threading

import httpx
from person import (  # noqa: F401 (the keyboard helpers, shared with the composer's tests)
    WAIT,
    duplicate_mnemonics,
    focused,
    mnemonics,
    press,
    press_mnemonic,
    type_over,
    type_text,
)
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QWizard

from flowdock_desktop.context import AppContext
from flowdock_desktop.sandbox import SandboxConfig
from flowdock_desktop.sandbox.server import SandboxServer
from flowdock_desktop.ui.app import WindowRouter
from flowdock_desktop.ui.wizard import PageId, SetupWizard


def start_wizard(context: AppContext, qtbot, **kwargs) -> SetupWizard:
    """The app's own way in: the router opens the wizard (as at start, or from ``link``), at
    1,024x700, with the keyboard focus in it."""
    router = WindowRouter(context)
    window = router.open_link(kwargs["link"]) if "link" in kwargs else router.show_start()
    assert isinstance(window, SetupWizard)
    qtbot.addWidget(window)
    window.resize(1024, 700)
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is not None, timeout=WAIT)
    return window


#: A message as it waits in the outbox from an earlier run (tests store it there directly).
MESSAGE_FOR_LATER = {
    "event": "activity",
    "author": {"name": "Release bot"},
    "title": "Version 2 is out",
    "external_thread_id": "release-2",
    "thread": {"title": "Release"},
}


def composer_on_a_small_screen(qtbot, router: WindowRouter):
    """The composer the router opens at start, at 1,024x700, with the keyboard focus in it."""
    from flowdock_desktop.ui.composer import ComposerWindow

    composer = router.show_start()
    assert isinstance(composer, ComposerWindow)
    qtbot.addWidget(composer)
    composer.resize(1024, 700)
    composer.activateWindow()
    qtbot.waitUntil(lambda: composer._draft_ready, timeout=WAIT)
    qtbot.waitUntil(lambda: QApplication.focusWidget() is not None, timeout=WAIT)
    assert composer.width() <= 1024 and composer.height() <= 700
    return composer


def send_by_keys(qtbot, composer, server: SandboxServer, thread_title: str, title: str):
    """Alt+I and Alt+T type over the thread title and the title, Ctrl+Enter sends; returns
    what the sandbox stored for the message (a list, one per copy)."""
    from flowdock_desktop.testing import messages_by_uuid

    press_mnemonic(qtbot, "i")
    type_over(qtbot, thread_title)
    press_mnemonic(qtbot, "t")
    type_over(qtbot, title)
    with qtbot.waitSignal(composer.message_sent, timeout=WAIT) as sent:
        press(qtbot, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    return messages_by_uuid(server, sent.args[0].uuid)


class ScriptedBrowser:
    """Stands in for the system browser: follows the sandbox's redirects to the listener."""

    def __init__(self) -> None:
        self.urls: list[str] = []
        self.threads: list[threading.Thread] = []
        self.enabled = True

    def __call__(self, url: str) -> bool:
        self.urls.append(url)
        if self.enabled:
            thread = threading.Thread(target=self._visit, args=(url,), daemon=True)
            thread.start()
            self.threads.append(thread)
        return True

    @staticmethod
    def _visit(url: str) -> None:
        with contextlib.suppress(httpx.HTTPError):
            httpx.get(url, follow_redirects=True, timeout=10)

    def join(self) -> None:
        for thread in self.threads:
            thread.join(10)


def start_server(auto_approve: bool = True) -> SandboxServer:
    server = SandboxServer(SandboxConfig(auto_approve=auto_approve), host="127.0.0.1", port=0)
    server.start()
    return server


def free_port() -> int:
    with socket.socket() as spare:
        spare.bind(("127.0.0.1", 0))
        return spare.getsockname()[1]


def register_application(
    server: SandboxServer, name: str, *, any_port: bool = False
) -> dict[str, str]:
    """What an integrator does in the browser: the applications page's New application form,
    loaded, filled in and submitted with its hidden fields. The client id, secret, callback
    and the application's number, as the page shows them."""
    callback = f"http://127.0.0.1:{free_port()}/callback"
    with httpx.Client(base_url=server.base_url, timeout=10) as browser:
        page = browser.get("/oauth/applications").text
        form = re.search(
            r'<form method="post" action="/oauth/applications/new".*?</form>', page, re.S
        )
        assert form is not None, "the applications page has no New application form"
        hidden = dict(re.findall(r'type="hidden" name="([^"]+)" value="([^"]*)"', form.group(0)))
        fields = {
            **hidden,
            "name": name,
            "redirect_uris": callback,
            "setup_uri": "flowdock-desktop://setup?flow={flow_id}&flow_url={flow_url}",
        }
        if any_port:
            fields["loopback_any_port"] = "1"
        answer = browser.post("/oauth/applications/new", data=fields)
    assert answer.status_code == 201, answer.text
    client_id = re.search(r"client_id: <code>([^<]+)</code>", answer.text).group(1)
    secret = re.search(r"client_secret: <code>([^<]+)</code>", answer.text).group(1)
    app_id = re.findall(r'action="/oauth/applications/(\d+)/setup"', answer.text)[-1]
    return {"client_id": client_id, "secret": secret, "callback": callback, "id": app_id}


def press_next(qtbot, wiz: SetupWizard) -> None:
    """Click Next (or Commit) once it is enabled."""
    button = wiz.button(QWizard.WizardButton.NextButton)
    if wiz.currentPage().isCommitPage():
        button = wiz.button(QWizard.WizardButton.CommitButton)
    qtbot.waitUntil(button.isEnabled, timeout=WAIT)
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def go_to(qtbot, wiz: SetupWizard, page: PageId) -> None:
    """Press Next until ``page`` shows, signing in on the way."""
    while wiz.currentId() < page:
        current = wiz.currentId()
        if current == PageId.SIGN_IN and not wiz.sign_in_page.isComplete():
            qtbot.waitUntil(lambda: wiz.sign_in_page.sign_in_button.isEnabled(), timeout=WAIT)
            if not wiz.sign_in_page.isComplete():
                qtbot.mouseClick(wiz.sign_in_page.sign_in_button, Qt.MouseButton.LeftButton)
        press_next(qtbot, wiz)
        qtbot.waitUntil(lambda current=current: wiz.currentId() != current, timeout=WAIT)


def _ready_for_enter(wiz: SetupWizard) -> bool:
    page = wiz.currentPage()
    if page.working:
        return False
    return page.isComplete() or QApplication.focusWidget() is wiz.sign_in_page.sign_in_button


def enter_until(qtbot, wiz: SetupWizard, target: PageId, on_page=None) -> None:
    """Press Enter where the focus is, page after page, until ``target`` shows."""
    for _ in range(12):
        current = wiz.currentId()
        # The page has shown and the cursor moved into it (or onto a wizard button).
        qtbot.waitUntil(lambda: focused().window() is wiz and focused().isVisible(), timeout=WAIT)
        if on_page is not None:
            on_page(current)
        if current == target:
            return
        qtbot.waitUntil(lambda: _ready_for_enter(wiz), timeout=WAIT)
        press(qtbot, Qt.Key.Key_Return)
        qtbot.waitUntil(
            lambda current=current: wiz.currentId() != current or wiz.currentPage().isComplete(),
            timeout=WAIT,
        )
    raise AssertionError(f"never reached {target!r}; stuck on {wiz.currentId()!r}")
