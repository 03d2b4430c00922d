"""A message left "sending" by a process that died is due again at once, not after the lease."""

from __future__ import annotations

import socket
import subprocess
import sys

from flowdock_desktop.store.outbox import Outbox


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def _claimed_by_a_dead_process(db, item) -> None:
    db.execute(
        "UPDATE outbox SET claimed_by = ? WHERE id = ?",
        (f"{socket.gethostname()}:{_dead_pid()}", item.id),
    )


def test_item_claimed_by_a_dead_process_is_due_again(db, clock, integration):
    outbox = Outbox(db, clock=clock)
    item = outbox.enqueue(integration.id, {"event": "activity", "title": "x"})
    claimed = outbox.claim(item)
    assert claimed is not None and claimed.state == "sending"
    # Still ours and inside the lease: not due, and nobody else may claim it.
    assert outbox.due() == []
    assert outbox.claim(item) is None

    _claimed_by_a_dead_process(db, item)
    assert [due.uuid for due in outbox.due()] == [item.uuid]
    again = outbox.claim(item)
    assert again is not None and again.uuid == item.uuid and again.attempts == 2


def test_item_claimed_by_a_live_process_waits_for_the_lease(db, clock, integration):
    outbox = Outbox(db, clock=clock, lease=60)
    item = outbox.enqueue(integration.id, {"event": "activity", "title": "x"})
    outbox.claim(item)
    with subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"]) as other:
        try:
            db.execute(
                "UPDATE outbox SET claimed_by = ? WHERE id = ?",
                (f"{socket.gethostname()}:{other.pid}", item.id),
            )
            assert outbox.due() == []
            clock.advance(61)
            assert [due.uuid for due in outbox.due()] == [item.uuid]
        finally:
            other.kill()


def test_message_stored_claimed_by_a_process_that_died_is_due_again(db, clock, integration):
    # SendService stores a message already claimed; if that process dies before recording
    # the answer, the message is resent at once with its uuid, as after a separate claim.
    outbox = Outbox(db, clock=clock)
    item = outbox.enqueue(integration.id, {"event": "activity", "title": "x"}, claim=True)
    assert item.state == "sending" and item.attempts == 1
    assert outbox.due() == []
    _claimed_by_a_dead_process(db, item)
    assert [due.uuid for due in outbox.due()] == [item.uuid]
    again = outbox.claim(item)
    assert again is not None and again.uuid == item.uuid and again.attempts == 2
