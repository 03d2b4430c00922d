"""The composer follows the flow's stream: the thread card, the Threads tab and the timeline
change as other clients post, and a lost stream falls back to polling and says so."""
# ruff: noqa: F811

from __future__ import annotations

import re

import httpx
import pytest
from person import WAIT, retype
from PySide6.QtCore import Qt

from flowdock_desktop.testing import arm_fault, post_status
from flowdock_desktop.ui.composer import ComposerWindow
from flowdock_desktop.ui.composer.threads_panel import CHANGED_MARK
from flowdock_desktop.ui.theme import STATUS_COLOURS

# The composer tests' fixtures (a signed-in context; windows closed after each test) are
# imported by name, so the tests' parameters name them again.
from tests.gui.test_composer import (  # noqa: F401
    context,
    fill,
    open_window,
    send,
)
from tests.gui.test_composer import make_integration as connect

pytestmark = pytest.mark.gui


@pytest.fixture(autouse=True)
def _no_faults(sandbox):
    yield
    httpx.delete(sandbox.base_url + "/sandbox/faults")


def _live(window) -> bool:
    return window.threads.follower.live.live


def _post_status(sandbox, flow_token: str, value: str, colour: str) -> dict:
    """Another client (a CI job with the same source) moves the thread on."""
    return post_status(
        sandbox, flow_token, "production-deploys", "Production deploys", (value, colour)
    )


def _fail_streams(sandbox, status: int) -> None:
    """From now on (until the faults are cleared) the stream answers ``status``."""
    arm_fault(sandbox, count=1000, status=status, path_prefix="/stream")


def _sent_thread(qtbot, window):
    """Send the usual first message, open the Threads tab and load the thread into the form."""
    fill(qtbot, window)
    send(qtbot, window)
    window.right_tabs.setCurrentWidget(window.threads_panel)
    panel = window.threads_panel
    qtbot.waitUntil(lambda: panel.tree.topLevelItemCount() == 1, timeout=WAIT)
    qtbot.waitUntil(lambda: panel.views[0].remote is not None, timeout=WAIT)
    panel.tree.setCurrentItem(panel.tree.topLevelItem(0))
    qtbot.mouseClick(panel.update_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.form.thread_title.text() == "Production deploys")
    return panel


def _now_badge(window) -> str:
    """The colour of the 'In the flow now' badge on the preview's thread card."""
    html = window.preview.browser.toHtml()
    found = re.search(r"In the flow now.*?background-color:(#[0-9a-f]{6})", html, re.S)
    return found.group(1) if found else ""


def test_the_stream_starts_once_the_window_has_painted(qtbot, context, sandbox, monkeypatch):
    """Following the stream loads the sign-in code and httpx on a worker; it waits for the
    window's first paint, so it never competes with it. So does the first listing of the
    threads (the history's store and its reads are not part of the first paint)."""
    from flowdock_desktop.ui import first_paint
    from flowdock_desktop.ui.composer import ComposerWindow

    # Only the paint releases it here, not the fallback for windows that never paint.
    monkeypatch.setattr(first_paint, "FALLBACK_MS", 600_000)
    integration, _ = connect(context, sandbox.base_url)
    window = ComposerWindow(context, integration.id)
    qtbot.addWidget(window)
    live = window.threads.follower.live
    # Not shown yet: the integration is chosen and its message loaded; its threads are
    # neither listed nor followed.
    qtbot.waitUntil(lambda: window.threads.integration_id == integration.id, timeout=WAIT)
    qtbot.waitUntil(lambda: window.drafts.ready, timeout=WAIT)
    note = window.threads_panel.note
    before = note.text()
    assert before != "Nothing sent from this integration yet."
    assert live.integration_id is None and live._task is None
    window.show()
    qtbot.waitExposed(window)
    qtbot.waitUntil(lambda: note.text() == "Nothing sent from this integration yet.", timeout=WAIT)
    qtbot.waitUntil(lambda: _live(window), timeout=WAIT)
    assert live.integration_id == integration.id
    window.close()


def test_a_thread_list_answering_after_the_window_closed_follows_no_stream(
    qtbot, context, sandbox, open_window
):
    """A listing follows the stream again when it answers (after a sign-in, say); one that
    answers after the window closed must not: that stream would run, unseen, until the app
    quits, holding one of the task threads."""
    integration, _ = connect(context, sandbox.base_url)
    window = open_window(integration.id)
    qtbot.waitUntil(lambda: _live(window), timeout=WAIT)
    live = window.threads.follower.live
    with qtbot.waitSignal(window.threads.listed, timeout=WAIT):
        window.threads.refresh()  # its answer comes after the close below
        window.close()
    assert live._task is None  # no stream task started again


def _shown_before_its_draft(qtbot, context, sandbox, monkeypatch):
    """A composer shown, its integration chosen, whose draft is read only when the test says
    so (``window._draft_loaded``): until then its message is not shown."""
    from flowdock_desktop.ui.composer import window as composer_window

    monkeypatch.setattr(composer_window, "LOAD_FALLBACK_MS", 600_000)
    integration, _ = connect(context, sandbox.base_url)
    reads = []
    monkeypatch.setattr(
        composer_window.DraftsController, "load", lambda _self, *args: reads.append(args)
    )
    window = ComposerWindow(context, integration.id)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    qtbot.waitUntil(lambda: len(reads) == 1, timeout=WAIT)
    return window, integration


def test_background_starts_wait_until_the_message_shows(qtbot, context, sandbox, monkeypatch):
    """The stream and the flow-token check load large modules on workers;
    they start once the window has painted and shows its message, not while it still reads
    the integration and its draft."""
    from flowdock_desktop.ui import first_paint

    monkeypatch.setattr(first_paint, "FALLBACK_MS", 600_000)
    window, integration = _shown_before_its_draft(qtbot, context, sandbox, monkeypatch)
    seen = []
    window.after_loaded(lambda: seen.append(window.integration.id))
    qtbot.wait(200)  # painted, integration chosen: still nothing started
    assert seen == []
    assert window.threads.follower.live.integration_id is None

    drafts = window.drafts
    drafts.integration_id = integration.id
    window._draft_loaded(None)  # as the draft's task ends: no draft, a fresh message
    qtbot.waitUntil(lambda: seen == [integration.id], timeout=WAIT)
    qtbot.waitUntil(lambda: _live(window), timeout=WAIT)
    # Once loaded, a later start (integrations read again, say) waits for nothing.
    window.after_loaded(lambda: seen.append("later"))
    qtbot.waitUntil(lambda: seen[-1:] == ["later"], timeout=WAIT)
    window.close()


def test_the_message_is_painted_before_the_background_starts(qtbot, context, sandbox, monkeypatch):
    """Once the draft is read the window paints it at once, then says so (``message_shown``),
    and only then do the background starts run: left to the event loop, the paint came after
    them, while their workers held the GIL."""
    from PySide6.QtCore import QEvent, QObject

    from flowdock_desktop.compose import FormState

    window, integration = _shown_before_its_draft(qtbot, context, sandbox, monkeypatch)
    field = window.form.author_name
    assert field.isVisible()
    order = []

    class Paints(QObject):
        def eventFilter(self, watched, event):
            if event.type() == QEvent.Type.Paint and field.text() == "Release bot":
                order.append("painted")
            return False

    paints = Paints(field)
    field.installEventFilter(paints)
    window.message_shown.connect(lambda: order.append("shown"))
    window.after_loaded(lambda: order.append("started"))
    window.drafts.integration_id = integration.id
    window._draft_loaded(FormState(author_name="Release bot").to_dict())
    qtbot.waitUntil(lambda: "started" in order, timeout=WAIT)
    assert "painted" in order
    assert order.index("painted") < order.index("shown") < order.index("started")
    window.close()


def test_background_starts_run_even_when_loading_never_ends(qtbot, context, sandbox, monkeypatch):
    from flowdock_desktop.ui.composer import ComposerWindow
    from flowdock_desktop.ui.composer import window as composer_window

    monkeypatch.setattr(composer_window, "LOAD_FALLBACK_MS", 50)
    integration, _ = connect(context, sandbox.base_url)
    monkeypatch.setattr(composer_window.DraftsController, "load", lambda *_args: None)
    window = ComposerWindow(context, integration.id)
    qtbot.addWidget(window)
    seen = []
    window.after_loaded(lambda: seen.append(True))
    window.show()
    qtbot.waitExposed(window)
    qtbot.waitUntil(lambda: seen == [True], timeout=WAIT)
    qtbot.waitUntil(lambda: _live(window), timeout=WAIT)
    window.close()


def test_thread_card_and_threads_tab_follow_another_clients_status(
    qtbot, context, sandbox, open_window, screenshot
):
    integration, source = connect(context, sandbox.base_url)
    window = open_window(integration.id)
    qtbot.waitUntil(lambda: _live(window), timeout=WAIT)
    assert window.threads_panel.live_note.text().startswith("Live")
    assert not window.threads.timer.isActive()  # no polling while live
    panel = _sent_thread(qtbot, window)
    qtbot.waitUntil(lambda: _now_badge(window) == STATUS_COLOURS["yellow"], timeout=WAIT)
    # The person's own message does not count as a change to look at.
    assert CHANGED_MARK not in panel.tree.topLevelItem(0).text(1)

    # Looking at the outbox, not the thread: the change is marked for later.
    window.right_tabs.setCurrentWidget(window.outbox_panel)
    _post_status(sandbox, source.flow_token, "failed", "red")
    qtbot.waitUntil(lambda: _now_badge(window) == STATUS_COLOURS["red"], timeout=WAIT)
    item = panel.tree.topLevelItem(0)
    assert item.text(0) == "failed"
    dot = item.icon(0).pixmap(panel.tree.iconSize()).toImage()  # the dot before the status
    assert dot.pixelColor(dot.width() // 2, dot.height() // 2).name() == STATUS_COLOURS["red"]
    assert item.text(1) == f"{CHANGED_MARK} Production deploys" and item.font(1).bold()
    window.right_tabs.setCurrentWidget(window.threads_panel)
    qtbot.waitUntil(lambda: "CI marked it failed" in panel.timeline.toPlainText(), timeout=WAIT)
    screenshot(window, "composer-threads-live")

    # Choosing the thread is looking at it: the mark goes.
    panel.tree.setCurrentItem(None)
    panel.tree.setCurrentItem(panel.tree.topLevelItem(0))
    qtbot.waitUntil(lambda: CHANGED_MARK not in panel.tree.topLevelItem(0).text(1), timeout=WAIT)
    # While it is in view, new activity shows at once and is not marked.
    _post_status(sandbox, source.flow_token, "fixed", "green")
    qtbot.waitUntil(lambda: panel.tree.topLevelItem(0).text(0) == "fixed", timeout=WAIT)
    assert CHANGED_MARK not in panel.tree.topLevelItem(0).text(1)
    qtbot.waitUntil(lambda: "CI marked it fixed" in panel.timeline.toPlainText(), timeout=WAIT)


def test_a_comment_from_the_inbox_page_reaches_the_composer(qtbot, context, sandbox, open_window):
    integration, _ = connect(context, sandbox.base_url)
    window = open_window(integration.id)
    qtbot.waitUntil(lambda: _live(window), timeout=WAIT)
    panel = _sent_thread(qtbot, window)
    panel.tree.setCurrentItem(panel.tree.topLevelItem(0))
    qtbot.waitUntil(lambda: "started deploying" in panel.timeline.toPlainText(), timeout=WAIT)
    thread_id = panel.views[0].thread_id

    with httpx.Client(base_url=sandbox.base_url) as teammate:
        page = teammate.get("/app/acme/main").text
        action = f"/app/acme/main/threads/{thread_id}/comments"
        csrf = re.search(
            re.escape(f'action="{action}">') + r'<input type="hidden" name="csrf" value="(\w+)"',
            page,
        ).group(1)
        posted = teammate.post(action, data={"csrf": csrf, "text": "Rollback looks safe"})
        assert posted.status_code == 303

    qtbot.waitUntil(
        lambda: "Demo User commented: Rollback looks safe" in panel.timeline.toPlainText(),
        timeout=WAIT,
    )
    qtbot.waitUntil(lambda: panel.views[0].remote.internal_comments == 1, timeout=WAIT)


def test_without_the_stream_it_polls_and_says_so(qtbot, context, sandbox, open_window):
    # The stream answers 503 for a while: the tab says so and checks on a timer.
    _fail_streams(sandbox, 503)
    integration, _ = connect(context, sandbox.base_url)
    window = open_window(integration.id)
    note = window.threads_panel.live_note
    qtbot.waitUntil(lambda: "reconnecting" in note.text(), timeout=WAIT)
    assert "checking every 30 s meanwhile" in note.text()
    assert window.threads.timer.isActive()
    # The server recovers; the next try goes live and polling stops.
    httpx.delete(sandbox.base_url + "/sandbox/faults").raise_for_status()
    qtbot.waitUntil(lambda: _live(window), timeout=40_000)
    assert note.text().startswith("Live") and not window.threads.timer.isActive()


def test_a_server_without_streams_is_polled(qtbot, context, sandbox, open_window):
    _fail_streams(sandbox, 404)
    integration, _ = connect(context, sandbox.base_url)
    window = open_window(integration.id)
    note = window.threads_panel.live_note
    qtbot.waitUntil(lambda: note.text().startswith("No live updates"), timeout=WAIT)
    assert note.text() == (
        "No live updates (the server offers no live stream for this flow); checking every 30 s."
    )
    assert window.threads.timer.isActive()


def test_while_live_a_send_does_not_ask_the_server_for_threads_it_follows(
    qtbot, context, sandbox, open_window
):
    """The stream brings the person's own message back, so the listing after a send asks the
    server nothing about a thread it already follows, and the tab still shows the new status."""
    integration, _ = connect(context, sandbox.base_url)
    window = open_window(integration.id)
    qtbot.waitUntil(lambda: _live(window), timeout=WAIT)
    panel = _sent_thread(qtbot, window)
    thread_id = panel.views[0].thread_id
    # The timeline of the chosen thread has been read (that request is not the send's).
    qtbot.waitUntil(lambda: "started deploying" in panel.timeline.toPlainText(), timeout=WAIT)
    asked: list[str] = []
    hook = lambda exchange: asked.append(exchange.request.url.path)  # noqa: E731
    context.exchange_hooks.append(hook)
    try:
        retype(qtbot, window.form.title, "deployed version 1.4")
        retype(qtbot, window.form.status_value, "deployed")
        qtbot.mouseClick(window.form.swatches.buttons["green"], Qt.MouseButton.LeftButton)
        send(qtbot, window)
        qtbot.waitUntil(lambda: panel.tree.topLevelItem(0).text(0) == "deployed", timeout=WAIT)
        qtbot.waitUntil(lambda: panel.views[0].message_count == 2, timeout=WAIT)
    finally:
        context.exchange_hooks.remove(hook)
    assert panel.views[0].remote.status.value == "deployed"
    assert any(path.endswith("/messages") for path in asked)  # the hook saw the send
    assert not [path for path in asked if f"/threads/{thread_id}" in path]


def test_after_a_restart_another_clients_status_shows_in_the_threads_listed(
    qtbot, context, sandbox, open_window
):
    # The thread was sent before this start: the listing comes before the stream (which waits
    # until the window shows its message), and what the stream brings lands on that listing.
    integration, source = connect(context, sandbox.base_url)
    first = open_window(integration.id)
    fill(qtbot, first)
    send(qtbot, first)
    first.close()

    # A restart straight into the Threads tab: the listing comes in before the stream starts
    # (it waits until the window shows its message).
    window = ComposerWindow(context, integration.id)
    qtbot.addWidget(window)
    window.show()
    window.right_tabs.setCurrentWidget(window.threads_panel)
    panel = window.threads_panel
    qtbot.waitUntil(lambda: _live(window), timeout=WAIT)
    qtbot.waitUntil(lambda: panel.tree.topLevelItemCount() == 1, timeout=WAIT)
    qtbot.waitUntil(lambda: panel.views[0].remote is not None, timeout=WAIT)
    _post_status(sandbox, source.flow_token, "failed", "red")
    qtbot.waitUntil(lambda: panel.tree.topLevelItem(0).text(0) == "failed", timeout=WAIT)
    assert panel.tree.topLevelItemCount() == 1
