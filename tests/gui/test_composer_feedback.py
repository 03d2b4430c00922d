"""Status colours by keyboard, what a send tells the person, and a clean slate per integration."""

from __future__ import annotations

import httpx
import pytest
from person import WAIT, focused, press, press_mnemonic, type_over
from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import QWidget

from flowdock_desktop.auth import browser as system_browser
from flowdock_desktop.sandbox import seed
from flowdock_desktop.testing import arm_fault, messages_by_uuid
from flowdock_desktop.testing import connect_demo_source as make_integration
from flowdock_desktop.ui.composer import ComposerWindow
from flowdock_desktop.ui.composer.send import SendController

pytestmark = pytest.mark.gui


@pytest.fixture
def browser(monkeypatch):
    """Stands in for the web browser: records the addresses the app asks it to open."""
    opened: list[str] = []
    monkeypatch.setattr(system_browser, "open_browser", lambda url: opened.append(url) or True)
    return opened


def send_with_keys(qtbot, window: ComposerWindow):
    with qtbot.waitSignal(window.message_sent, timeout=WAIT) as blocker:
        press(qtbot, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    return blocker.args[0]


def test_the_status_colour_is_chosen_with_the_keyboard_alone(
    qtbot, composer_context, sandbox, open_composer, screenshot
):
    integration, _ = make_integration(composer_context, sandbox.base_url)
    window = open_composer(integration.id)
    window.views.show("full")
    swatches = window.form.swatches
    names = {b.accessibleName() for b in swatches.buttons.values()}
    assert names == {"Status colour none"} | {f"Status colour {c}" for c in swatches.buttons if c}
    press_mnemonic(qtbot, "i")
    type_over(qtbot, "Keyboard only")
    press_mnemonic(qtbot, "s")
    type_over(qtbot, "rolling")
    unfocused = swatches.buttons["blue"].grab().toImage()
    press(qtbot, Qt.Key.Key_Tab)  # one Tab stop for the whole group: the chosen colour
    assert focused() is swatches.buttons["blue"]
    assert swatches.buttons["blue"].grab().toImage() != unfocused  # the focus shows
    press(qtbot, Qt.Key.Key_Home)
    assert swatches.colour() == "" and focused() is swatches.buttons[""]
    for _ in range(3):
        press(qtbot, Qt.Key.Key_Right)
    assert swatches.colour() == "yellow"
    press(qtbot, Qt.Key.Key_Left)
    assert swatches.colour() == "green"
    press(qtbot, Qt.Key.Key_Space)  # Space keeps the focused colour chosen
    assert swatches.colour() == "green"
    press(qtbot, Qt.Key.Key_Tab)  # and Tab leaves the group in one step
    assert focused() not in swatches.buttons.values()
    screenshot(window, "composer-status-by-keyboard")

    result = send_with_keys(qtbot, window)
    stored = messages_by_uuid(sandbox, result.uuid)[0]
    assert stored["thread"]["status"] == {"value": "rolling", "color": "green"}


def test_after_a_send_the_banner_has_the_time_and_opens_the_team_inbox(
    qtbot, composer_context, sandbox, open_composer, browser
):
    integration, _ = make_integration(composer_context, sandbox.base_url)
    window = open_composer(integration.id)
    window.views.show("full")
    press_mnemonic(qtbot, "i")
    type_over(qtbot, "Inbox check")
    first = send_with_keys(qtbot, window)
    text = window.banner.text
    assert text.startswith("Sent to Acme / Main at ") and f"message {first.response['id']}" in text
    assert window.banner.button.text() == "Open in inbox"
    # The preview's card says where the thread stands now, in words that agree with the count.
    card = window.preview.browser
    qtbot.waitUntil(lambda: "1 activity, 0 comments" in card.toPlainText(), timeout=WAIT)

    qtbot.mouseClick(window.banner.button, Qt.MouseButton.LeftButton)
    inbox = f"{sandbox.base_url}/app/{seed.ORG_SLUG}/{seed.MAIN_FLOW}"
    qtbot.waitUntil(lambda: browser == [inbox], timeout=WAIT)  # opened off the GUI thread
    page = httpx.get(inbox).text
    assert "Inbox check" in page and "1 activity," in page

    # Sending again says so: the banner is not the same as before.
    second = send_with_keys(qtbot, window)
    assert window.banner.text != text and f"message {second.response['id']}" in window.banner.text
    assert "2 activities," in httpx.get(inbox).text
    qtbot.waitUntil(lambda: "2 activities, 0 comments" in card.toPlainText(), timeout=WAIT)


def test_choosing_another_integration_leaves_nothing_of_the_previous_one(
    qtbot, composer_context, sandbox, open_composer
):
    first, _ = make_integration(composer_context, sandbox.base_url, name="First")
    second, _ = make_integration(
        composer_context, sandbox.base_url, name="Second", flow=seed.ANNOUNCEMENTS_FLOW
    )
    window = open_composer(first.id)
    window.views.show("full")
    press_mnemonic(qtbot, "i")
    type_over(qtbot, "Only in the first")
    send_with_keys(qtbot, window)
    panel = window.threads_panel
    window.right_tabs.setCurrentWidget(panel)
    qtbot.waitUntil(lambda: panel.tree.topLevelItemCount() == 1, timeout=WAIT)
    panel.tree.setCurrentItem(panel.tree.topLevelItem(0))
    qtbot.waitUntil(lambda: "Demo User" in panel.timeline.toPlainText(), timeout=WAIT)
    assert window.form.external_thread_id.suggestion_ids() == ["only-in-the-first"]
    assert window.banner.text

    listing = window.integrations_panel.list
    row = next(i for i in range(listing.count()) if listing.item(i).text().startswith("Second"))
    listing.setCurrentRow(row)
    qtbot.waitUntil(lambda: window.integration_id == second.id, timeout=WAIT)
    qtbot.waitUntil(lambda: window._draft_ready, timeout=WAIT)
    assert panel.tree.topLevelItemCount() == 0
    assert "Demo User" not in panel.timeline.toPlainText()
    assert window.form.external_thread_id.suggestion_ids() == []
    assert window.form.thread_title.text() == ""  # its own fresh message
    assert window.banner.text == ""
    assert "Second" in window.windowTitle()


class _Shown(QObject):
    """Counts the times a widget is shown on screen."""

    def __init__(self, widget: QWidget) -> None:
        super().__init__(widget)
        self.count = 0
        widget.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Show:
            self.count += 1
        return False


def test_a_slow_send_shows_the_busy_bar_until_it_is_through(
    qtbot, composer_context, sandbox, open_composer
):
    integration, _ = make_integration(composer_context, sandbox.base_url)
    window = open_composer(integration.id)
    press_mnemonic(qtbot, "i")
    type_over(qtbot, "Slow server")
    arm_fault(
        sandbox,
        count=1,
        latency_ms=SendController.BUSY_BAR_DELAY_MS + 2500,
        path_prefix="/messages",
    )
    with qtbot.waitSignal(window.message_sent, timeout=WAIT + 4000):
        press(qtbot, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
        assert window.banner.text == "Sending…"
        qtbot.waitUntil(window.progress.isVisible, timeout=WAIT)
        assert not window.send_button.isEnabled()
    assert not window.progress.isVisible()
    assert window.banner.text.startswith("Sent to Acme / Main at ")


def test_a_quick_send_does_not_flash_the_busy_bar(
    qtbot, composer_context, sandbox, open_composer, monkeypatch
):
    # However slow the machine, this send is through long before the bar is due.
    monkeypatch.setattr(SendController, "BUSY_BAR_DELAY_MS", 600_000)
    integration, _ = make_integration(composer_context, sandbox.base_url)
    window = open_composer(integration.id)
    shown = _Shown(window.progress)
    press_mnemonic(qtbot, "i")
    type_over(qtbot, "Quick one")
    send_with_keys(qtbot, window)
    assert window.banner.text.startswith("Sent to Acme / Main at ")
    assert shown.count == 0 and not window.progress.isVisible()


def test_the_outbox_and_threads_are_read_again_once_the_result_shows(
    qtbot, composer_context, sandbox, open_composer, monkeypatch
):
    integration, _ = make_integration(composer_context, sandbox.base_url)
    window = open_composer(integration.id)
    qtbot.waitUntil(lambda: window.outbox_label.full_text() != "", timeout=WAIT)
    # The start's own first listing (after the message shows) is not one of the reads counted.
    qtbot.waitUntil(lambda: window.threads.ready, timeout=WAIT)
    reads: list[str] = []
    for name, controller in (("outbox", window.outbox), ("threads", window.threads)):
        read = controller.refresh
        monkeypatch.setattr(
            controller, "refresh", lambda name=name, read=read: (reads.append(name), read())
        )
    press_mnemonic(qtbot, "i")
    type_over(qtbot, "Read after")
    # In the pass that shows the result (and may start the next send) nothing is re-read...
    seen_then: list[list[str]] = []
    window.message_sent.connect(lambda _result: seen_then.append(list(reads)))
    send_with_keys(qtbot, window)
    assert seen_then == [[]]
    assert window.banner.text.startswith("Sent to Acme / Main at ")
    # ...a moment later both are, once each, and the footer and the list show the message.
    qtbot.waitUntil(lambda: {"outbox", "threads"} <= set(reads), timeout=WAIT)
    qtbot.waitUntil(lambda: window.threads_panel.tree.topLevelItemCount() == 1, timeout=WAIT)
