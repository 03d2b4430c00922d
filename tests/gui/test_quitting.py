"""Quitting while a message is being posted (File > Quit, Ctrl+Q): the app waits, bounded, for
the post under way before its profile closes. Nothing is lost, nothing is logged as an error,
and after a restart the message is in the flow exactly once with the outbox empty."""

from __future__ import annotations

import logging

import pytest
from person import WAIT, press, press_mnemonic, type_over
from PySide6.QtCore import Qt
from wizard_support import composer_on_a_small_screen

from flowdock_desktop.context import AppContext
from flowdock_desktop.testing import arm_fault, messages_by_uuid
from flowdock_desktop.testing import connect_demo_source as make_integration
from flowdock_desktop.ui.app import WindowRouter, shut_down

pytestmark = pytest.mark.gui


def _quit_while_posting(
    qtbot, context: AppContext, sandbox, latency_ms: int, *, by_timer=False, key=Qt.Key.Key_Q
):
    """The composer at 1,024x700, a message typed and sent by keys against a server that
    takes ``latency_ms`` to answer, and Ctrl+Q (File > Quit; Ctrl+W, File > Close, closes
    the last window) while it is being posted. Returns its item. ``by_timer``: Send meets a
    503 first, and the post under way is the outbox timer's retry."""
    integration, _ = make_integration(context, sandbox.base_url)
    window = composer_on_a_small_screen(qtbot, WindowRouter(context))
    # The person reads the window first: its start-up reading (threads, outbox) is done, as
    # it is long before anyone has typed a message (the app's event loop, which would run
    # the rest, ends with its last window).
    qtbot.waitUntil(lambda: window.threads.ready, timeout=WAIT)
    qtbot.waitUntil(lambda: "Outbox empty" in window.outbox_label.full_text(), timeout=WAIT)
    press_mnemonic(qtbot, "i")
    type_over(qtbot, "Quitting mid-post")
    press_mnemonic(qtbot, "t")
    type_over(qtbot, "sent just before Ctrl+Q")
    if by_timer:
        arm_fault(sandbox, count=1, status=503, path_prefix="/messages")
    arm_fault(sandbox, count=1, latency_ms=latency_ms, path_prefix="/messages")
    press(qtbot, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    if by_timer:
        qtbot.waitUntil(lambda: window.banner.text.startswith("Not sent yet"), timeout=WAIT)
    tries = 2 if by_timer else 1
    qtbot.waitUntil(
        lambda: (
            [(i.state, i.attempts) for i in context.outbox.list(integration.id)]
            == [("sending", tries)]
        ),
        timeout=WAIT,
    )
    (item,) = context.outbox.list(integration.id)
    press(qtbot, key, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=WAIT)
    return item


def _complaints(caplog) -> list[str]:
    return [
        f"{r.levelname} {r.getMessage()}"
        for r in caplog.records
        if r.levelno >= logging.WARNING and r.name.startswith("flowdock_desktop")
    ]


def _after_a_restart(qtbot, profile_dir, sandbox, uuid: str, *, lease: float | None = None):
    """The next start on the same profile: its composer's outbox ends empty, and the flow holds
    the message once."""
    again = AppContext()
    if lease is not None:
        # A new process finds the old one's claim dead; in this one process the lease stands
        # in for that (the claim looks like this process's own).
        again.outbox.lease = lease
    try:
        window = composer_on_a_small_screen(qtbot, WindowRouter(again))
        qtbot.waitUntil(lambda: again.outbox.count_pending() == 0, timeout=WAIT)
        qtbot.waitUntil(lambda: "Outbox empty" in window.outbox_label.full_text(), timeout=WAIT)
        assert [i.state for i in again.outbox.list(states=None)] == ["sent"]
        assert len(messages_by_uuid(sandbox, uuid)) == 1
        window.close()
    finally:
        again.close()


@pytest.mark.parametrize(
    ("by_timer", "key"),
    [(False, Qt.Key.Key_Q), (True, Qt.Key.Key_Q), (False, Qt.Key.Key_W)],
    ids=["send-ctrl-q", "outbox-timer-ctrl-q", "send-ctrl-w-last-window"],
)
def test_quitting_mid_post_waits_for_the_answer_and_records_the_message_as_sent(
    qtbot, composer_context, sandbox, no_faults, profile_dir, caplog, by_timer, key
):
    """Found trying it: Ctrl+Q closed the connection under the post, so a message the server
    had taken was recorded as "The connection dropped…" and posted again at the next start.
    The same whether Send or the outbox timer's retry is posting."""
    caplog.set_level(logging.INFO)
    context = composer_context
    item = _quit_while_posting(qtbot, context, sandbox, latency_ms=1500, by_timer=by_timer, key=key)
    shut_down(context)  # as run_gui does once the last window has closed

    again = AppContext()
    try:
        stored = again.outbox.get(item.id)
        assert stored is not None and stored.state == "sent", stored
        assert stored.last_error is None and stored.attempts == (2 if by_timer else 1)
    finally:
        again.close()
    assert _complaints(caplog) == []
    _after_a_restart(qtbot, profile_dir, sandbox, item.uuid)


def test_a_post_longer_than_quitting_waits_is_sent_once_at_the_next_start(
    qtbot, composer_context, sandbox, no_faults, profile_dir, caplog
):
    """A server slower than quitting waits: the profile closes under the post. Its answer,
    coming later, is not recorded and nothing complains ("delivery after queueing failed …
    please report it" was logged); the message stays claimed, and the next start sends it
    again under its uuid, so the flow has it once."""
    caplog.set_level(logging.INFO)
    context = composer_context
    item = _quit_while_posting(qtbot, context, sandbox, latency_ms=3000)
    shut_down(context, wait_ms=200)  # the server answers long after this

    # The late answer arrives (the sandbox stores the message), meeting a closed profile.
    qtbot.waitUntil(lambda: len(messages_by_uuid(sandbox, item.uuid)) == 1, timeout=WAIT)
    qtbot.waitUntil(
        lambda: any("checked at next start" in r.getMessage() for r in caplog.records),
        timeout=WAIT,
    )
    again = AppContext()
    try:
        assert again.outbox.get(item.id).state == "sending"  # left claimed, not lost
    finally:
        again.close()
    assert _complaints(caplog) == []
    _after_a_restart(qtbot, profile_dir, sandbox, item.uuid, lease=0.05)
