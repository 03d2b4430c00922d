"""History.threads against the straightforward reading of the same history, entry by entry.

``History.threads`` reads the history in one query and folds plain values; ``summaries_of``
below is what it replaced: every entry read whole (``History.list``), then folded oldest first.
Both must give the same summaries for any history, including the odd corners.
"""

from __future__ import annotations

import random
from typing import Any

import pytest

from flowdock_desktop.store.history import History, ThreadSummary
from flowdock_desktop.store.outbox import Outbox

EXTERNAL_IDS = ["deploy", "build", "F2"]  # "F2" is also a Flowdock thread id below
THREAD_IDS = ["F1", "F2", "F3", "F4"]
ODD = ["", 7, {"nested": "x"}, ["list"], True, None]


def summaries_of(history: History, integration_id: str) -> list[ThreadSummary]:
    """The summaries as read from whole entries, oldest first (the first implementation)."""
    summaries: dict[str, dict[str, Any]] = {}
    key_of_thread_id: dict[str, str] = {}
    for entry in reversed(history.list(integration_id)):
        if entry.external_thread_id:
            key = entry.external_thread_id
        elif entry.thread_id:
            key = key_of_thread_id.get(entry.thread_id, entry.thread_id)
        else:
            continue
        summary = summaries.setdefault(
            key,
            {
                "integration_id": integration_id,
                "key": key,
                "external_thread_id": entry.external_thread_id,
                "thread_id": None,
                "title": None,
                "status_value": None,
                "status_color": None,
                "message_count": 0,
            },
        )
        summary["message_count"] += 1
        summary["last_event"] = entry.event
        summary["last_sent_at"] = entry.sent_at
        if entry.thread_id:
            summary["thread_id"] = entry.thread_id
            key_of_thread_id.setdefault(entry.thread_id, key)
        if entry.thread_title:
            summary["title"] = entry.thread_title
        if entry.status_value or entry.status_color:
            summary["status_value"] = entry.status_value
            summary["status_color"] = entry.status_color
    result = [ThreadSummary(**s) for s in summaries.values()]
    result.sort(key=lambda s: s.last_sent_at, reverse=True)
    return result


def _odd_or(rng: random.Random, value: Any) -> Any:
    return rng.choice(ODD) if rng.random() < 0.15 else value


def _message(rng: random.Random, n: int) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """A payload and Flowdock's reply (None: accepted without one), in the shapes people and
    odd servers produce."""
    payload: dict[str, Any] = {"title": f"message {n}"}
    if rng.random() < 0.8:
        payload["event"] = _odd_or(rng, rng.choice(["activity", "discussion", "message"]))
    style = rng.random()
    thread_id = rng.choice(THREAD_IDS)
    if style < 0.5:
        payload["external_thread_id"] = _odd_or(rng, rng.choice(EXTERNAL_IDS))
    elif style < 0.8:
        payload["thread_id"] = _odd_or(rng, thread_id)
    state: dict[str, Any] = {}
    if rng.random() < 0.5:
        state["title"] = _odd_or(rng, f"Title {n}")
    if rng.random() < 0.5:
        status = {"value": _odd_or(rng, rng.choice(["ok", "failing"]))}
        if rng.random() < 0.7:
            status["color"] = _odd_or(rng, rng.choice(["green", "red"]))
        state["status"] = _odd_or(rng, status)
    if state or rng.random() < 0.1:
        payload["thread"] = _odd_or(rng, state)
    if rng.random() < 0.2:
        return payload, None
    reply: dict[str, Any] = {"id": n}
    if style < 0.8 or rng.random() < 0.5:
        # Mostly the thread posted to; the reply's thread id wins when they differ.
        replied = thread_id if rng.random() < 0.8 else rng.choice(THREAD_IDS)
        reply["thread_id"] = _odd_or(rng, replied)
    return payload, reply


@pytest.mark.parametrize("seed", range(12))
def test_threads_match_the_entry_by_entry_reading(db, make_integration, clock, seed):
    rng = random.Random(seed)
    ours, theirs = make_integration(), make_integration(source_id=2)
    outbox = Outbox(db, clock=clock, rng=random.Random(0))
    history = History(db, clock=clock)
    sent: list[int] = []
    hidden_once = False
    for n in range(80):
        step = rng.random()
        if rng.random() < 0.7:  # otherwise sent at the same moment as the one before
            clock.advance(rng.choice([1.0, 0.25, -3.0]))  # now and then out of order
        payload, reply = _message(rng, n)
        if step < 0.55:
            item = outbox.enqueue(ours.id, payload, claim=True)
            outbox.mark_sent(item, reply)
            sent.append(item.id)
        elif step < 0.75:  # recorded without the outbox: kept in the history table
            history.record(ours.id, {**payload, "uuid": f"kept-{n}"}, reply)
        elif step < 0.85 and sent:  # a sent message discarded: its entry is kept
            outbox.discard(sent.pop(rng.randrange(len(sent))))
        elif step < 0.9:  # another integration's threads stay out
            item = outbox.enqueue(theirs.id, payload, claim=True)
            outbox.mark_sent(item, reply)
        elif step < 0.93 and not hidden_once:  # a 410: everything sent so far is hidden
            history.delete_for(ours.id)
            sent.clear()
            hidden_once = True
        elif step < 0.96 and sent:  # a damaged row is left out of both readings
            damaged = sent.pop(rng.randrange(len(sent)))
            with db.transaction() as conn:
                conn.execute("UPDATE outbox SET payload = '{' WHERE id = ?", (damaged,))
    expected = summaries_of(history, ours.id)
    assert expected, "the history should have threads to compare"
    assert history.threads(ours.id) == expected
    assert history.threads(theirs.id) == summaries_of(history, theirs.id)


def test_threads_of_ties_and_thread_ids_posted_first(db, integration, clock):
    """The corners spelled out: a thread first posted to by Flowdock id keeps that id as its
    key when an external id is used with it later; messages sent at the same moment count in
    the order they were stored, kept entries before sent rows."""
    outbox = Outbox(db, clock=clock, rng=random.Random(0))
    history = History(db, clock=clock)

    def send(payload: dict[str, Any], reply: dict[str, Any] | None) -> None:
        outbox.mark_sent(outbox.enqueue(integration.id, payload, claim=True), reply)

    send({"event": "discussion", "thread_id": "F1"}, {"id": 1, "thread_id": "F1"})
    send(
        {"external_thread_id": "deploy", "thread": {"title": "Deploy", "status": {"value": "a"}}},
        {"id": 2, "thread_id": "F1"},
    )
    send({"thread_id": "F1", "thread": {"title": "Later"}}, None)
    history.record(integration.id, {"uuid": "k", "external_thread_id": "deploy"}, None)
    send({"external_thread_id": "deploy", "thread": {"status": {"color": "red"}}}, None)
    threads = history.threads(integration.id)
    assert threads == summaries_of(history, integration.id)
    assert [t.key for t in threads] == ["deploy", "F1"]
    deploy, f1 = threads
    assert (deploy.message_count, deploy.status_value, deploy.status_color) == (3, None, "red")
    assert (deploy.title, deploy.thread_id) == ("Deploy", "F1")
    assert (f1.message_count, f1.title, f1.external_thread_id) == (2, "Later", None)
    assert deploy.last_sent_at == f1.last_sent_at == clock.now
