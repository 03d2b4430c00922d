"""The integration settings dialog (opened by a configuration link): "Remove integration…" says
how many messages are not sent yet, Enter keeps them, and a deliberate Yes removes the source
in Flowdock and forgets the integration here the way the composer does."""

from __future__ import annotations

import pytest
from person import WAIT, answer_question, answer_with_enter, press_mnemonic
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMessageBox

from flowdock_desktop.auth.credentials import SERVICE_NAME, CredentialStore
from flowdock_desktop.sandbox import seed
from flowdock_desktop.sending import SendService
from flowdock_desktop.store.integrations import Integration, UnknownIntegrationError
from flowdock_desktop.testing import arm_fault, sign_in_demo_user
from flowdock_desktop.testing import connect_demo_source as make_integration
from flowdock_desktop.ui.app import WindowRouter
from flowdock_desktop.ui.integration_settings import IntegrationSettingsDialog

pytestmark = pytest.mark.gui


def message(title: str) -> dict:
    return {
        "event": "activity",
        "author": {"name": "CI"},
        "title": title,
        "external_thread_id": "deploys",
        "thread": {"title": "Deploys"},
    }


def refuse_one_message(context, sandbox, integration: Integration) -> int:
    """Send a message the sandbox refuses (a 400 is not retried): it waits in the outbox as
    "failed". Its outbox id."""
    arm_fault(sandbox, count=1, status=400, path_prefix="/messages")
    with SendService(context) as service:
        result = service.send(integration.id, message("deployed"))
    assert result.state == "failed"
    return result.item.id


def open_settings(qtbot, router: WindowRouter, integration: Integration):
    """The dialog as a person opens it: the configuration link Flowdock's source settings
    give (``flowdock-desktop configure LINK``, or the link handed to the running app)."""
    link = (
        f"flowdock-desktop://configure?integration_id={integration.source_id}"
        f"&flow={integration.flow_id}"
    )
    dialog = router.open_link(link)
    assert isinstance(dialog, IntegrationSettingsDialog)
    qtbot.addWidget(dialog)
    qtbot.waitExposed(dialog)
    back_to(qtbot, dialog)
    return dialog


def back_to(qtbot, dialog) -> None:
    """The dialog the active window, as a desktop's window manager makes it when it opens and
    again once a question over it has closed (the offscreen platform leaves no window active
    then)."""
    dialog.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is dialog, timeout=WAIT)
    qtbot.waitUntil(lambda: QApplication.focusWidget() is not None, timeout=WAIT)


def source_ids(sandbox, integration: Integration) -> list[int]:
    return [s["id"] for s in sandbox.state.flow_sources(integration.flow_id, sandbox.base_url)]


@pytest.fixture(params=["keyring", "no keyring"])
def fresh_context(request, profile_dir, sandbox):
    """A fresh profile signed in as the demo user, with the test keyring or with none (secrets
    then live in the process only, as the app keeps them)."""
    from flowdock_desktop.context import AppContext

    if request.param == "no keyring":
        import keyring
        from keyring.backends import fail

        from flowdock_desktop.auth import credentials as credentials_module

        keyring.set_keyring(fail.Keyring())  # the memory_keyring fixture puts its own back
        credentials_module._fallback._items.clear()
    context = AppContext()
    assert context.credentials.persistent is (request.param == "keyring")
    sign_in_demo_user(context, sandbox.base_url)
    yield context
    context.close()
    if request.param == "no keyring":
        from flowdock_desktop.auth import credentials as credentials_module

        credentials_module._fallback._items.clear()  # the process's secrets go with the "run"


def test_remove_counts_the_refused_message_enter_keeps_it_and_yes_removes_everything(
    qtbot, fresh_context, sandbox, no_faults, screenshot
):
    from flowdock_desktop.context import AppContext

    context = fresh_context
    integration, _ = make_integration(context, sandbox.base_url)
    refused = refuse_one_message(context, sandbox, integration)
    dialog = open_settings(qtbot, WindowRouter(context), integration)
    hint = dialog.sizeHint()
    assert hint.width() <= 1024 and hint.height() <= 700  # fits a small screen

    # Alt+R, then Enter without reading: the question counts the message, and No is the
    # default, so nothing goes.
    asked: list[tuple[str, QMessageBox.StandardButton]] = []
    QTimer.singleShot(
        0,
        lambda: answer_with_enter(
            qtbot, asked, look=lambda box: screenshot(box, "settings-remove")
        ),
    )
    press_mnemonic(qtbot, "r")  # &Remove integration…
    qtbot.waitUntil(lambda: asked != [] and QApplication.activeModalWidget() is None, timeout=WAIT)
    text, default = asked[0]
    assert text.startswith(f"Remove “Deploy bot” from {integration.flow_name}?")
    assert "The source is deleted in Flowdock" in text
    assert "Its 1 message not sent will be deleted too." in text
    assert default == QMessageBox.StandardButton.No
    assert dialog.isVisible()
    assert dialog.banner.text == ""  # no "Removing…": nothing was started
    assert context.integrations.get(integration.id).is_active
    assert [i.id for i in context.outbox.list(integration.id)] == [refused]
    assert context.credentials.get_flow_token(integration.id)
    assert integration.source_id in source_ids(sandbox, integration)

    # Alt+R again, and this time Yes, chosen on purpose.
    back_to(qtbot, dialog)
    confirmed: list[str] = []
    QTimer.singleShot(
        0,
        lambda: answer_question(
            qtbot,
            confirmed,
            QMessageBox.StandardButton.Yes,
        ),
    )
    with qtbot.waitSignal(dialog.removed, timeout=WAIT) as removed:
        press_mnemonic(qtbot, "r")
    assert removed.args == [integration.id]
    assert "Its 1 message not sent will be deleted too." in confirmed[0]
    assert integration.source_id not in source_ids(sandbox, integration)
    with pytest.raises(UnknownIntegrationError):
        context.integrations.get(integration.id)
    assert context.credentials.get_flow_token(integration.id) is None
    assert context.outbox.list(integration.id) == []
    assert not dialog.isVisible()
    # And after a restart, nothing of it comes back.
    context.close()
    with AppContext() as again:
        assert again.integrations.list() == []
        assert again.outbox.list() == []


def test_with_nothing_unsent_the_question_says_nothing_of_messages_and_yes_is_the_default(
    qtbot, composer_context, sandbox
):
    context = composer_context
    integration, _ = make_integration(context, sandbox.base_url, name="Quiet bot")
    dialog = open_settings(qtbot, WindowRouter(context), integration)
    asked: list[tuple[str, QMessageBox.StandardButton]] = []
    QTimer.singleShot(0, lambda: answer_with_enter(qtbot, asked))
    with qtbot.waitSignal(dialog.removed, timeout=WAIT):
        press_mnemonic(qtbot, "r")
    text, default = asked[0]
    assert "not sent" not in text
    assert default == QMessageBox.StandardButton.Yes
    assert integration.source_id not in source_ids(sandbox, integration)
    assert context.integrations.list() == []


def test_removed_from_the_settings_an_open_composer_lets_go_of_it(
    qtbot, composer_context, sandbox, open_composer
):
    """The composer shows the removed integration no more, and its sending service no longer
    keeps the flow token in memory."""
    context = composer_context
    kept, _ = make_integration(context, sandbox.base_url, name="Kept")
    removed, _ = make_integration(
        context, sandbox.base_url, name="Old news", flow=seed.ANNOUNCEMENTS_FLOW
    )
    router = WindowRouter(context)
    composer = open_composer(removed.id)
    composer.setObjectName("composer")  # as the router names the one it opens
    router.windows.append(composer)
    service = composer.service
    sent = service.send(removed.id, message("news"))
    assert sent.state == "sent"  # its flow token is kept in memory from now on
    assert any(key[0] == removed.id for key in service._flow_tokens)

    dialog = open_settings(qtbot, router, removed)
    QTimer.singleShot(0, lambda: answer_question(qtbot, [], QMessageBox.StandardButton.Yes))
    with qtbot.waitSignal(dialog.removed, timeout=WAIT):
        press_mnemonic(qtbot, "r")
    qtbot.waitUntil(lambda: composer.integration_id == kept.id, timeout=WAIT)
    names = composer.integrations_panel.list
    assert [names.item(i).text().split("\n")[0] for i in range(names.count())] == ["Kept"]
    assert not any(key[0] == removed.id for key in service._flow_tokens)


def test_not_signed_in_the_removal_is_refused_in_plain_words_and_nothing_is_lost(
    qtbot, profile_dir, sandbox
):
    from flowdock_desktop.context import AppContext

    with AppContext() as context:  # a fresh profile, nobody signed in
        integration, _ = make_integration(context, sandbox.base_url)
        dialog = open_settings(qtbot, WindowRouter(context), integration)
        QTimer.singleShot(0, lambda: answer_question(qtbot, [], QMessageBox.StandardButton.Yes))
        press_mnemonic(qtbot, "r")
        qtbot.waitUntil(lambda: dialog.banner.kind == "error", timeout=WAIT)
        assert dialog.banner.text.startswith("Could not remove it. ")
        assert "Traceback" not in dialog.banner.text
        assert "sign in" in dialog.banner.text.lower()
        assert context.integrations.get(integration.id).is_active
        assert context.credentials.get_flow_token(integration.id)
        assert integration.source_id in source_ids(sandbox, integration)
        assert dialog.remove_button.isEnabled()  # the person can sign in and try again
        back_to(qtbot, dialog)
        # Signed in now, the same button works.
        sign_in_demo_user(context, sandbox.base_url)
        QTimer.singleShot(0, lambda: answer_question(qtbot, [], QMessageBox.StandardButton.Yes))
        with qtbot.waitSignal(dialog.removed, timeout=WAIT):
            press_mnemonic(qtbot, "r")
        assert integration.source_id not in source_ids(sandbox, integration)


def test_a_refusal_by_the_server_is_said_in_plain_words_and_yes_again_works(
    qtbot, composer_context, sandbox, no_faults
):
    context = composer_context
    integration, _ = make_integration(context, sandbox.base_url)
    refused = refuse_one_message(context, sandbox, integration)
    dialog = open_settings(qtbot, WindowRouter(context), integration)
    sources = f"/flows/{integration.org_slug}/{integration.flow_slug}/sources"
    arm_fault(sandbox, count=1, status=403, path_prefix=sources)  # the next DELETE only
    QTimer.singleShot(0, lambda: answer_question(qtbot, [], QMessageBox.StandardButton.Yes))
    press_mnemonic(qtbot, "r")
    qtbot.waitUntil(lambda: dialog.banner.kind == "error", timeout=WAIT)
    assert dialog.banner.text.startswith("Could not remove it. "), dialog.banner.text
    assert "Traceback" not in dialog.banner.text
    assert context.integrations.get(integration.id).is_active
    assert [i.id for i in context.outbox.list(integration.id)] == [refused]
    assert context.credentials.get_flow_token(integration.id)
    assert integration.source_id in source_ids(sandbox, integration)
    assert dialog.isVisible() and dialog.remove_button.isEnabled()

    back_to(qtbot, dialog)
    QTimer.singleShot(0, lambda: answer_question(qtbot, [], QMessageBox.StandardButton.Yes))
    with qtbot.waitSignal(dialog.removed, timeout=WAIT):
        press_mnemonic(qtbot, "r")
    assert integration.source_id not in source_ids(sandbox, integration)
    assert context.outbox.list(integration.id) == []


def test_a_keyring_locked_meanwhile_removes_nothing_and_says_what_to_do(
    qtbot, composer_context, sandbox, memory_keyring, monkeypatch
):
    """The GUI keeps secrets in memory once the keyring fails (as it does everywhere), so the
    sign-in cannot be read: the words say the keyring is locked (not "not signed in": the
    sign-in is in it), and nothing is deleted here or there."""
    import keyring

    from flowdock_desktop.auth import credentials as credentials_module

    credentials_module._fallback._items.clear()  # nothing kept in memory by an earlier test
    context = composer_context
    integration, _ = make_integration(context, sandbox.base_url)
    dialog = open_settings(qtbot, WindowRouter(context), integration)

    def locked(*_args):
        raise keyring.errors.KeyringLocked("Failed to unlock the collection!")

    for method in ("get_password", "set_password", "delete_password"):
        monkeypatch.setattr(memory_keyring, method, locked)
    QTimer.singleShot(0, lambda: answer_question(qtbot, [], QMessageBox.StandardButton.Yes))
    press_mnemonic(qtbot, "r")
    qtbot.waitUntil(lambda: dialog.banner.kind == "error", timeout=WAIT)
    assert dialog.banner.text.startswith("Could not remove it. Your keyring is locked")
    assert "not signed in" not in dialog.banner.text
    assert context.integrations.get(integration.id).is_active
    assert integration.source_id in source_ids(sandbox, integration)
    monkeypatch.undo()
    key = CredentialStore.flow_token_key(integration.id)
    assert memory_keyring.get_password(SERVICE_NAME, key)  # still in the keyring
