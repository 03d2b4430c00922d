"""The composer driven like a person drives it: keys go to whatever has focus.

Each test starts from a fresh profile and a real sandbox, moves focus with mnemonics and Tab,
types with ``QTest.keyClicks`` into ``QApplication.focusWidget()`` and checks what the sandbox
stored, not what a widget claims.
"""

from __future__ import annotations

import httpx
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QAccessible
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QWidget

from flowdock_desktop.context import AppContext
from flowdock_desktop.sandbox import seed
from flowdock_desktop.testing import connect_demo_source as make_integration
from flowdock_desktop.testing import messages_by_uuid
from flowdock_desktop.testing import sign_in_demo_user as sign_in
from flowdock_desktop.ui.composer import ComposerWindow

pytestmark = pytest.mark.gui

WAIT_MS = 10_000


@pytest.fixture
def context(profile_dir, sandbox):
    ctx = AppContext()
    ctx.outbox.base_delay = 0.05
    ctx.outbox.max_delay = 0.1
    sign_in(ctx, sandbox.base_url)
    yield ctx
    ctx.close()


@pytest.fixture
def open_window(qtbot, context):
    windows = []

    def open_(integration_id: str | None = None) -> ComposerWindow:
        window = ComposerWindow(
            context, integration_id, outbox_interval_ms=50, draft_delay_ms=50, preview_delay_ms=10
        )
        qtbot.addWidget(window)
        window.show()
        window.activateWindow()
        qtbot.waitExposed(window)
        qtbot.waitUntil(lambda: window._draft_ready, timeout=WAIT_MS)
        qtbot.waitUntil(lambda: window.form.author_name.text() != "", timeout=WAIT_MS)
        qtbot.waitUntil(lambda: window.template_box.count() > 0, timeout=WAIT_MS)
        qtbot.waitUntil(lambda: QApplication.focusWidget() is not None, timeout=WAIT_MS)
        windows.append(window)
        return window

    yield open_
    for window in windows:
        window.close()


def focused() -> QWidget:
    """Where a key press goes: an open popup (a suggestion list) first, else the focus."""
    widget = QApplication.activePopupWidget() or QApplication.focusWidget()
    assert widget is not None, "nothing has the keyboard focus"
    return widget


def press(qtbot, key: Qt.Key, modifier=Qt.KeyboardModifier.NoModifier) -> None:
    QTest.keyClick(focused(), key, modifier)


def alt(qtbot, letter: str) -> None:
    """Press a mnemonic, as a person presses Alt+letter."""
    QTest.keyClick(
        focused(), getattr(Qt.Key, f"Key_{letter.upper()}"), Qt.KeyboardModifier.AltModifier
    )


def type_text(text: str) -> None:
    QTest.keyClicks(focused(), text)


def replace_text(qtbot, text: str) -> None:
    """Select what the focused field holds and type over it."""
    press(qtbot, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    type_text(text)


def send_with_keys(qtbot, window: ComposerWindow):
    with qtbot.waitSignal(window.message_sent, timeout=WAIT_MS) as blocker:
        press(qtbot, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    return blocker.args[0]


def accessible_name(widget: QWidget) -> str:
    interface = QAccessible.queryAccessibleInterface(widget)
    assert interface is not None
    return interface.text(QAccessible.Text.Name)


def test_typing_an_existing_thread_id_updates_that_thread(qtbot, context, sandbox, open_window):
    integration, _ = make_integration(context, sandbox.base_url)
    window = open_window(integration.id)
    form = window.form

    alt(qtbot, "i")  # Thread t&itle
    assert focused() is form.thread_title
    type_text("First steps")
    alt(qtbot, "t")  # &Title
    replace_text(qtbot, "opened the thread")
    first = send_with_keys(qtbot, window)
    stored = messages_by_uuid(sandbox, first.uuid)[0]
    assert first.item.payload["external_thread_id"] == "first-steps"  # made from the title

    # The composer now knows the thread and suggests it; typing its id must keep the id.
    qtbot.waitUntil(lambda: bool(window.threads_panel.views), timeout=WAIT_MS)
    alt(qtbot, "t")
    replace_text(qtbot, "added a second step")
    alt(qtbot, "d")  # External thread i&d
    assert focused() is form.external_thread_id
    assert "first-steps" in form.external_thread_id.suggestion_ids()
    replace_text(qtbot, "first-steps")
    popup = form.external_thread_id.completer().popup()
    qtbot.waitUntil(popup.isVisible, timeout=WAIT_MS)  # the suggestion shows its title...
    assert popup.model().index(0, 0).data() == "first-steps — First steps"
    assert form.external_thread_id.text() == "first-steps"  # ...and the field keeps the id
    press(qtbot, Qt.Key.Key_Down)  # picking the suggestion puts in its id, not its label
    press(qtbot, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: not popup.isVisible(), timeout=WAIT_MS)
    assert form.external_thread_id.text() == "first-steps"
    second = send_with_keys(qtbot, window)

    posted = messages_by_uuid(sandbox, second.uuid)[0]
    assert second.item.payload["external_thread_id"] == "first-steps"
    assert posted["thread_id"] == stored["thread_id"]
    threads = httpx.get(
        f"{sandbox.base_url}/flows/{seed.ORG_SLUG}/{seed.MAIN_FLOW}/threads",
        auth=httpx.BasicAuth(seed.DEMO_API_TOKEN, "x"),
    )
    assert threads.status_code == 200, threads.text
    mine = [t for t in threads.json() if t["title"] == "First steps"]
    assert len(mine) == 1
    assert mine[0]["activities"] == 2

    # Every field is still named after its label, whatever it holds now.
    for key, label in (
        ("external_thread_id", "External thread id (same id = same thread)"),
        ("thread.title", "Thread title"),
        ("title", "Title"),
    ):
        assert accessible_name(form.widget_for(key)) == label
