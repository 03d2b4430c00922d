"""The wizard at the keyboard: where the cursor starts, mnemonics, Esc, and typing on arrival.

Keys go to whatever has the focus (``QApplication.focusWidget()``), as a person's would.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QPushButton, QWizard
from wizard_support import (
    WAIT,
    duplicate_mnemonics,
    enter_until,
    focused,
    press,
    press_mnemonic,
    start_server,
    type_text,
)

from flowdock_desktop.context import AppContext
from flowdock_desktop.store.profile import Profile
from flowdock_desktop.ui.wizard import PageId, SetupWizard

pytestmark = pytest.mark.gui


@pytest.fixture
def context(profile_dir) -> Iterator[AppContext]:
    ctx = AppContext(Profile.resolve(profile_dir))
    ctx.sandbox = start_server()
    yield ctx
    ctx.close()


@pytest.fixture
def wizard(qtbot, context, scripted_browser) -> Iterator[SetupWizard]:
    wiz = SetupWizard(context)
    qtbot.addWidget(wiz)
    wiz.resize(1024, 700)
    wiz.show()
    wiz.activateWindow()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is not None, timeout=WAIT)
    yield wiz
    wiz.discard()
    scripted_browser.join()


def _expected_focus(wiz: SetupWizard, page_id: PageId):
    return {
        PageId.SERVER: wiz.server_page.sandbox_choice,
        PageId.APPLICATION: wiz.application_page.client_id_edit,
        PageId.SIGN_IN: wiz.sign_in_page.sign_in_button,
        PageId.FLOW: wiz.flow_page.filter_edit,
        PageId.NAME: wiz.name_page.name_edit,
        PageId.CONFIRM: wiz.button(QWizard.WizardButton.CommitButton),
        PageId.DONE: wiz.button(QWizard.WizardButton.FinishButton),
    }[page_id]


def test_each_page_opens_in_its_first_field_and_mnemonics_are_unique(qtbot, wizard):
    seen = []

    def check(page_id: PageId) -> None:
        if page_id in seen:
            return
        seen.append(page_id)
        expected = _expected_focus(wizard, page_id)
        qtbot.waitUntil(lambda: QApplication.focusWidget() is expected, timeout=WAIT)
        assert duplicate_mnemonics(wizard) == {}, page_id

    enter_until(qtbot, wizard, PageId.DONE, check)
    assert seen == list(PageId)
    # The Done page's second button too.
    assert wizard.button(QWizard.WizardButton.CustomButton1).isVisible()
    assert duplicate_mnemonics(wizard) == {}


def test_mnemonics_stay_unique_in_every_state_of_a_page(qtbot, wizard, scripted_browser):
    server = wizard.server_page
    # "Another server" with an error and its Try again button showing.
    press_mnemonic(qtbot, "a")
    qtbot.waitUntil(server.url_choice.isChecked, timeout=WAIT)
    server.show_error("Could not reach it.", "&Try again", lambda: None)
    assert duplicate_mnemonics(wizard) == {}
    press_mnemonic(qtbot, "e")
    qtbot.waitUntil(server.sandbox_choice.isChecked, timeout=WAIT)
    assert server.banner.text == ""  # the choice changed: the old error is gone

    enter_until(qtbot, wizard, PageId.SIGN_IN)
    page = wizard.sign_in_page
    scripted_browser.enabled = False  # nobody answers: the page keeps waiting
    qtbot.waitUntil(lambda: QApplication.focusWidget() is page.sign_in_button, timeout=WAIT)
    press(qtbot, Qt.Key.Key_Return)
    qtbot.waitUntil(page.copy_button.isEnabled, timeout=WAIT)
    assert page.paste_box.isVisible() and page.copy_button.isVisible()
    assert duplicate_mnemonics(wizard) == {}
    press(qtbot, Qt.Key.Key_Escape)
    qtbot.waitUntil(page.sign_in_button.isEnabled, timeout=WAIT)
    # With no sign-in under way there is no link to copy: no greyed-out button for it.
    assert not page.copy_button.isVisible()
    page.show_error("Sign-in failed.", "&Try again", lambda: None)
    assert duplicate_mnemonics(wizard) == {}


def _port_is_free(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def test_esc_while_signing_in_cancels_only_the_sign_in(qtbot, wizard, scripted_browser):
    scripted_browser.enabled = False
    enter_until(qtbot, wizard, PageId.SIGN_IN)
    page = wizard.sign_in_page
    qtbot.waitUntil(lambda: QApplication.focusWidget() is page.sign_in_button, timeout=WAIT)
    press(qtbot, Qt.Key.Key_Return)  # the focused Sign in button
    qtbot.waitUntil(page.copy_button.isEnabled, timeout=WAIT)
    port = urlsplit(page.flow.redirect_uri).port
    # One Cancel while waiting: the page's own; the wizard's is hidden.
    cancels = [
        b for b in wizard.findChildren(QPushButton) if b.isVisible() and "Cancel" in b.text()
    ]
    assert cancels == [page.busy.cancel_button]

    press(qtbot, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: _port_is_free(port), timeout=WAIT)
    assert wizard.isVisible() and wizard.discard_question is None
    assert wizard.currentId() == PageId.SIGN_IN
    assert "cancelled" in page.status_label.text()
    assert wizard.button(QWizard.WizardButton.CancelButton).isVisible()
    # Enter starts it again (the focus is back on Sign in), and this time it completes.
    scripted_browser.enabled = True
    qtbot.waitUntil(lambda: QApplication.focusWidget() is page.sign_in_button, timeout=WAIT)
    press(qtbot, Qt.Key.Key_Return)
    qtbot.waitUntil(page.isComplete, timeout=WAIT)


def test_esc_asks_before_discarding_typed_credentials(qtbot, wizard):
    enter_until(qtbot, wizard, PageId.APPLICATION)
    assert focused() is wizard.application_page.client_id_edit
    type_text(qtbot, "my-own-client")  # replaces the selected demo client id
    assert wizard.application_page.client_id_edit.text() == "my-own-client"

    press(qtbot, Qt.Key.Key_Escape)
    box = wizard.discard_question
    assert box is not None and box.isVisible()
    qtbot.waitUntil(lambda: focused().window() is box, timeout=WAIT)
    press(qtbot, Qt.Key.Key_Escape)  # Esc in the question: keep editing
    qtbot.waitUntil(lambda: wizard.discard_question is None, timeout=WAIT)
    assert wizard.isVisible()
    edit = wizard.application_page.client_id_edit
    assert edit.text() == "my-own-client"
    # Back in the field that was being typed in.
    qtbot.waitUntil(lambda: QApplication.focusWidget() is edit, timeout=WAIT)

    press(qtbot, Qt.Key.Key_Escape)
    box = wizard.discard_question
    assert box is not None
    qtbot.waitUntil(lambda: focused().window() is box, timeout=WAIT)
    press_mnemonic(qtbot, "d")  # &Discard and close
    qtbot.waitUntil(lambda: not wizard.isVisible(), timeout=WAIT)


def test_esc_with_nothing_typed_closes_at_once(qtbot, wizard):
    press(qtbot, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: not wizard.isVisible(), timeout=WAIT)
    assert wizard.discard_question is None


def test_typing_a_name_on_arrival_names_the_source(qtbot, wizard, context):
    enter_until(qtbot, wizard, PageId.NAME)
    # Typed the moment the page shows, whether or not its suggestion has arrived yet.
    type_text(qtbot, "CI bot")
    qtbot.waitUntil(lambda: wizard.name_page.isComplete(), timeout=WAIT)
    assert wizard.name_page.name_edit.text() == "CI bot"
    # Alt+N is Next (the name field's mnemonic is Alt+M): it must not type or refocus.
    press_mnemonic(qtbot, "n")
    qtbot.waitUntil(lambda: wizard.currentId() == PageId.CONFIRM, timeout=WAIT)
    enter_until(qtbot, wizard, PageId.DONE)
    sandbox = context.sandbox
    integration = context.integrations.list()[0]
    names = [s["name"] for s in sandbox.state.flow_sources(integration.flow_id, sandbox.base_url)]
    assert names == ["CI bot"]
    assert integration.source_name == "CI bot"
