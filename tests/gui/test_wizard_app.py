"""Window routing: wizard first, composer (or its stand-in) after, configure links."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QDialogButtonBox, QMessageBox

from flowdock_desktop.context import AppContext
from flowdock_desktop.selftest import drive_to_done, scripted_browser
from flowdock_desktop.store.profile import Profile
from flowdock_desktop.ui.app import WindowRouter
from flowdock_desktop.ui.integration_settings import IntegrationSettingsDialog
from flowdock_desktop.ui.wizard import SetupWizard

pytestmark = pytest.mark.gui


@pytest.fixture
def context(profile_dir, sandbox, monkeypatch):
    from flowdock_desktop.auth import browser

    monkeypatch.setattr(browser, "open_browser", scripted_browser)
    ctx = AppContext(Profile.resolve(profile_dir))
    ctx.sandbox = sandbox
    yield ctx
    ctx.sandbox = None  # the module's sandbox is stopped by its fixture
    ctx.close()


def _wizard_to_done(qtbot, router: WindowRouter) -> SetupWizard:
    wizard = router.show_start()
    assert isinstance(wizard, SetupWizard)
    qtbot.addWidget(wizard)
    finished = []
    drive_to_done(wizard, finished.append)
    qtbot.waitUntil(lambda: bool(finished), timeout=15_000)
    assert finished == [True]
    return wizard


def test_start_routes_to_wizard_then_composer(qtbot, context):
    router = WindowRouter(context)
    _wizard_to_done(qtbot, router)
    # Finishing opened the composer, or its stand-in while the composer is not built.
    qtbot.waitUntil(lambda: any(w is not None and w.isVisible() for w in router.windows[1:]))
    opened = router.windows[-1]
    qtbot.addWidget(opened)
    assert not isinstance(opened, SetupWizard)
    # With an integration stored, the next start goes straight to the composer.
    again = router.show_start()
    qtbot.addWidget(again)
    assert not isinstance(again, SetupWizard)


def test_configure_dialog_renames_and_removes(qtbot, context, sandbox, monkeypatch):
    router = WindowRouter(context)
    _wizard_to_done(qtbot, router)
    integration = context.integrations.list()[0]
    dialog = router.show_configure(integration)
    qtbot.addWidget(dialog)
    assert isinstance(dialog, IntegrationSettingsDialog)
    dialog.name_edit.setText("")
    assert dialog.name_message.is_error
    save = dialog.buttons.button(QDialogButtonBox.StandardButton.Save)
    assert not save.isEnabled()
    dialog.name_edit.setText("Renamed here")
    save.click()
    qtbot.waitUntil(lambda: context.integrations.get(integration.id).source_name == "Renamed here")

    dialog = IntegrationSettingsDialog(context, context.integrations.get(integration.id))
    qtbot.addWidget(dialog)
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Yes)
    with qtbot.waitSignal(dialog.removed, timeout=10_000):
        dialog.remove_button.click()
    assert context.integrations.list() == []
    assert context.credentials.get_flow_token(integration.id) is None
    live = sandbox.state.flow_sources(integration.flow_id, sandbox.base_url)
    assert integration.source_id not in [s["id"] for s in live]


def test_links_from_the_desktop_open_the_wizard_or_the_settings(qtbot, qapp, context):
    """A flowdock-desktop:// link arriving as an event (as macOS sends them) is opened."""
    from PySide6.QtCore import QUrl
    from PySide6.QtGui import QFileOpenEvent
    from PySide6.QtWidgets import QApplication

    from flowdock_desktop.ui.app import LinkEvents

    router = WindowRouter(context)
    _wizard_to_done(qtbot, router)
    integration = context.integrations.list()[0]
    filter_ = LinkEvents(router)
    qapp.installEventFilter(filter_)
    try:
        flow_id = integration.flow_id
        QApplication.sendEvent(
            qapp, QFileOpenEvent(QUrl(f"flowdock-desktop://setup?flow={flow_id}"))
        )
        wizard = router.windows[-1]
        qtbot.addWidget(wizard)
        assert isinstance(wizard, SetupWizard)
        assert flow_id in wizard.application_page.link_edit.text()

        link = f"flowdock-desktop://configure?integration_id={integration.source_id}&flow={flow_id}"
        QApplication.sendEvent(qapp, QFileOpenEvent(QUrl(link)))
        dialog = router.windows[-1]
        qtbot.addWidget(dialog)
        assert isinstance(dialog, IntegrationSettingsDialog)
        assert dialog.integration.id == integration.id
    finally:
        qapp.removeEventFilter(filter_)


def test_add_pressed_twice_brings_the_open_wizard_forward_instead_of_a_second(qtbot, context):
    """Found walking the composer under X: each press of Add… opened one more wizard over the
    last, all alike."""
    from PySide6.QtCore import Qt

    from flowdock_desktop.ui.wizard import PageId

    router = WindowRouter(context)
    _wizard_to_done(qtbot, router)
    composer = router.open_composer()
    qtbot.addWidget(composer)
    add = composer.integrations_panel.add_button
    qtbot.waitUntil(add.isVisible, timeout=10_000)

    def open_wizards() -> list[SetupWizard]:
        return [
            w
            for w in router.windows
            if isinstance(w, SetupWizard) and w.isVisible() and w.currentId() != PageId.DONE
        ]

    qtbot.mouseClick(add, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(add, Qt.MouseButton.LeftButton)
    assert len(open_wizards()) == 1
    wizard = open_wizards()[0]
    qtbot.addWidget(wizard)
    wizard.reject()  # closed: the next Add… starts afresh
    qtbot.waitUntil(lambda: not wizard.isVisible(), timeout=10_000)
    qtbot.mouseClick(add, Qt.MouseButton.LeftButton)
    assert len(open_wizards()) == 1 and open_wizards()[0] is not wizard
    qtbot.addWidget(open_wizards()[0])
