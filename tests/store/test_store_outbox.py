"""Tests for the outbox state machine: enqueue, due, claim, sent/retry/failed/gone, recovery."""

from __future__ import annotations

import dataclasses
import random
import sqlite3
import threading
import typing

import pytest

from flowdock_desktop.store.db import Database
from flowdock_desktop.store.history import History
from flowdock_desktop.store.integrations import IntegrationStore
from flowdock_desktop.store.outbox import (
    DAMAGED_TEXT,
    MAX_RETRY_AFTER,
    PENDING_STATES,
    Outbox,
    OutboxState,
)

PAYLOAD = {
    "event": "activity",
    "title": "started deploying",
    "author": {"name": "Deploy bot"},
    "external_thread_id": "deploy:api:1.2",
    "thread": {"title": "Deploy api 1.2", "status": {"value": "deploying", "color": "yellow"}},
}


@pytest.fixture
def outbox(db, clock) -> Outbox:
    return Outbox(db, clock=clock, lease=30.0, rng=random.Random(1))


# -- enqueue and reading ---------------------------------------------------------------


def test_enqueue_assigns_uuid_into_payload(outbox, integration, clock):
    item = outbox.enqueue(integration.id, PAYLOAD)
    assert item.state == "queued"
    assert item.attempts == 0
    assert item.payload["uuid"] == item.uuid
    assert len(item.uuid) == 36
    assert item.next_attempt_at == item.created_at == clock.now
    assert item.sent_at is None and item.response is None and item.last_error is None
    assert "uuid" not in PAYLOAD  # the caller's dict is not modified
    assert outbox.get(item.id) == item


def test_enqueue_keeps_caller_uuid_and_rejects_bad_ones(outbox, integration):
    item = outbox.enqueue(integration.id, {**PAYLOAD, "uuid": "my-own-uuid"})
    assert item.uuid == "my-own-uuid"
    for bad in ("", "  ", 5):
        with pytest.raises(ValueError):
            outbox.enqueue(integration.id, {**PAYLOAD, "uuid": bad})


def test_enqueue_never_stores_the_flow_token(outbox, integration, db, tmp_path):
    secret = "0123456789abcdef0123456789abcdef"
    item = outbox.enqueue(integration.id, {**PAYLOAD, "flow_token": secret})
    assert "flow_token" not in item.payload
    db.close()
    for file in tmp_path.iterdir():
        assert secret.encode() not in file.read_bytes()


def test_enqueue_rejects_non_json_and_unknown_integration(outbox, integration):
    with pytest.raises(TypeError):
        outbox.enqueue(integration.id, {"event": "activity", "when": object()})
    with pytest.raises(ValueError):
        outbox.enqueue(integration.id, {"event": "activity", "n": float("nan")})
    with pytest.raises(TypeError):
        outbox.enqueue(integration.id, ["not", "a", "dict"])  # type: ignore[arg-type]
    import sqlite3

    with pytest.raises(sqlite3.IntegrityError):
        outbox.enqueue("no-such-integration", PAYLOAD)
    assert outbox.list() == []


def test_list_filters_and_count_pending(outbox, make_integration):
    a, b = make_integration(), make_integration(source_id=2)
    a1 = outbox.enqueue(a.id, PAYLOAD)
    a2 = outbox.enqueue(a.id, PAYLOAD)
    b1 = outbox.enqueue(b.id, PAYLOAD)
    outbox.claim(a1)
    outbox.mark_sent(a1, None)
    outbox.claim(b1)
    assert [i.id for i in outbox.list()] == [a1.id, a2.id, b1.id]
    assert [i.id for i in outbox.list(a.id)] == [a1.id, a2.id]
    assert [i.id for i in outbox.list(states=["sent"])] == [a1.id]
    assert [i.id for i in outbox.list(b.id, states=["queued", "sending"])] == [b1.id]
    assert outbox.list(states=[]) == []
    assert outbox.count_pending() == 2  # a2 queued, b1 sending
    assert outbox.count_pending(a.id) == 1


def test_discard_deletes_only_that_item(outbox, integration):
    first = outbox.enqueue(integration.id, PAYLOAD)
    second = outbox.enqueue(integration.id, PAYLOAD)
    assert outbox.discard(first.id) is True
    assert outbox.discard(first.id) is False
    assert [i.id for i in outbox.list()] == [second.id]


def test_pending_lookups_find_exactly_the_pending_states(outbox, make_integration, db, clock):
    """The pending lookups read the state index as one range (no temporary b-tree of the
    states, which SQLite builds for ``state IN (...)`` on every run): every state is
    checked against ``PENDING_STATES``, through the lookups a send makes."""
    items = {}
    for number, state in enumerate(typing.get_args(OutboxState), start=1):
        integration = make_integration(source_id=number)
        item = outbox.enqueue(integration.id, PAYLOAD)
        # A "sending" row whose lease has passed is due again.
        db.execute(
            "UPDATE outbox SET state = ?, claimed_at = ? WHERE id = ?",
            (state, clock.now - 3600, item.id),
        )
        items[state] = (integration, item)
    statements: list[str] = []
    db.connection().set_trace_callback(statements.append)
    try:
        due = {item.id for item in outbox.due()}
        for state, (integration, item) in items.items():
            pending = state in PENDING_STATES
            assert (item.id in due) is pending, state
            assert outbox.count_pending(integration.id) == int(pending), state
            # Stored claimed only when nothing of its integration is pending before it.
            later = outbox.enqueue(integration.id, PAYLOAD, claim=True)
            assert later.state == ("queued" if pending else "sending"), state
            outbox.mark_sent(later, {"id": 1})
        assert outbox.count_pending() == len(PENDING_STATES)
        db.execute("UPDATE outbox SET state = 'sent'")
        assert outbox.due() == []
    finally:
        db.connection().set_trace_callback(None)
    lookups = [sql for sql in statements if sql.lstrip().upper().startswith("SELECT")]
    assert len(lookups) >= 3 + 2 * len(items)
    for sql in lookups:
        opcodes = {row[1] for row in db.query(f"EXPLAIN {sql}")}
        assert "OpenEphemeral" not in opcodes or "GROUP BY" in sql, sql


# -- due and claim ---------------------------------------------------------------------


def test_due_is_fifo_per_integration(outbox, make_integration):
    a, b = make_integration(), make_integration(source_id=2)
    a1 = outbox.enqueue(a.id, PAYLOAD)
    a2 = outbox.enqueue(a.id, PAYLOAD)
    b1 = outbox.enqueue(b.id, PAYLOAD)
    assert [i.id for i in outbox.due()] == [a1.id, b1.id]
    outbox.claim(a1)
    outbox.mark_sent(a1)
    assert [i.id for i in outbox.due()] == [a2.id, b1.id]


def test_backing_off_item_blocks_later_items_of_same_integration(outbox, integration, clock):
    first = outbox.enqueue(integration.id, PAYLOAD)
    outbox.enqueue(integration.id, PAYLOAD)
    outbox.claim(first)
    retried = outbox.mark_retry(first, "offline")
    assert outbox.due() == []
    assert [i.id for i in outbox.due(ignore_backoff=True)] == [first.id]
    clock.now = retried.next_attempt_at
    assert [i.id for i in outbox.due()] == [first.id]


def test_failed_item_does_not_block_the_queue(outbox, integration):
    first = outbox.enqueue(integration.id, PAYLOAD)
    second = outbox.enqueue(integration.id, PAYLOAD)
    outbox.claim(first)
    outbox.mark_failed(first, "bad title")
    assert [i.id for i in outbox.due()] == [second.id]


def test_enqueue_with_claim_stores_it_claimed_in_one_go(outbox, integration, clock):
    item = outbox.enqueue(integration.id, PAYLOAD, claim=True)
    assert item.state == "sending"
    assert item.attempts == 1
    assert item.claimed_at == clock.now
    # What it returned is what was stored, and nobody else can claim it now.
    assert outbox.get(item.id) == item
    assert outbox.claim(item) is None
    assert outbox.due() == []


def test_enqueue_with_claim_waits_behind_an_earlier_message(outbox, integration):
    first = outbox.enqueue(integration.id, PAYLOAD)
    second = outbox.enqueue(integration.id, PAYLOAD, claim=True)
    assert second.state == "queued" and second.attempts == 0 and second.claimed_by is None
    assert outbox.get(second.id) == second
    # Still in order: the earlier one goes first.
    assert [item.id for item in outbox.due()] == [first.id]


def test_claim_and_mark_sent_return_what_was_stored(outbox, integration):
    item = outbox.enqueue(integration.id, PAYLOAD)
    claimed = outbox.claim(item)
    assert claimed is not None and claimed == outbox.get(item.id)
    sent = outbox.mark_sent(claimed, {"id": 7, "thread_id": "t1"})
    assert sent is not None and sent == outbox.get(item.id)
    assert sent.state == "sent" and sent.response == {"id": 7, "thread_id": "t1"}


def test_claim_is_exclusive_and_counts_attempts(outbox, integration, clock):
    item = outbox.enqueue(integration.id, PAYLOAD)
    claimed = outbox.claim(item)
    assert claimed is not None
    assert claimed.state == "sending"
    assert claimed.attempts == 1
    assert claimed.claimed_at == clock.now
    assert outbox.claim(item) is None
    assert outbox.due() == []


def test_claim_refuses_finished_items(outbox, integration):
    item = outbox.enqueue(integration.id, PAYLOAD)
    outbox.claim(item)
    outbox.mark_sent(item)
    assert outbox.claim(item) is None


def test_sending_item_is_due_again_after_crash_and_reopen(tmp_path, clock, add_sample_integration):
    path = tmp_path / "data.sqlite3"
    first_run = Database(path)
    integration = add_sample_integration(IntegrationStore(first_run, clock=clock))
    outbox = Outbox(first_run, clock=clock, lease=30.0)
    item = outbox.enqueue(integration.id, PAYLOAD)
    assert outbox.claim(item) is not None
    first_run.close()  # the app "crashes" here, mid-send

    second_run = Database(path)
    try:
        outbox = Outbox(second_run, clock=clock, lease=30.0)
        assert outbox.due() == []  # within the lease another sender may still be busy
        clock.advance(30.0)
        due = outbox.due()
        assert [i.id for i in due] == [item.id]
        assert due[0].state == "sending"
        reclaimed = outbox.claim(due[0])
        assert reclaimed is not None
        assert reclaimed.attempts == 2
        assert reclaimed.uuid == item.uuid
        assert reclaimed.payload == item.payload
    finally:
        second_run.close()


# -- outcomes --------------------------------------------------------------------------


def test_mark_sent_records_history_atomically(outbox, integration, db, clock):
    item = outbox.enqueue(integration.id, PAYLOAD)
    outbox.claim(item)
    clock.advance(5)
    response = {"id": 42, "thread_id": "thr-1", "uuid": item.uuid}
    sent = outbox.mark_sent(item, response)
    assert sent.state == "sent"
    assert sent.sent_at == clock.now
    assert sent.response == response
    entry = History(db).get(item.uuid)
    assert entry is not None
    assert (entry.message_id, entry.thread_id, entry.sent_at) == (42, "thr-1", clock.now)
    # Idempotent: a second mark_sent changes nothing and adds no history row.
    assert outbox.mark_sent(item, {"id": 99}) == sent
    assert len(History(db).list(integration.id)) == 1


@pytest.mark.parametrize("response", [{"id": 7, "thread_id": "t", "ü": ["ö", 1.5]}, None])
def test_mark_sent_of_a_claimed_item_returns_the_row_as_stored(outbox, integration, response):
    claimed = outbox.enqueue(integration.id, PAYLOAD, claim=True)
    assert claimed.state == "sending"
    sent = outbox.mark_sent(claimed, response)
    assert sent == outbox.get(claimed.id)
    assert sent.state == "sent" and sent.claimed_at is None and sent.response == response


def test_mark_sent_rolls_back_when_recording_fails(outbox, integration, db):
    item = outbox.enqueue(integration.id, PAYLOAD)
    outbox.claim(item)
    # Recording the answer (which also makes the row a history entry) fails inside SQLite.
    db.execute(
        "CREATE TEMP TRIGGER broken_record BEFORE UPDATE OF state ON outbox"
        " WHEN new.state = 'sent' BEGIN SELECT RAISE(ABORT, 'disk trouble'); END"
    )
    with pytest.raises(sqlite3.IntegrityError, match="disk trouble"):
        outbox.mark_sent(item, {"id": 1})
    assert outbox.get(item.id).state == "sending"
    assert History(db).get(item.uuid) is None


def test_mark_sent_after_discard_returns_none(outbox, integration):
    item = outbox.enqueue(integration.id, PAYLOAD)
    outbox.discard(item.id)
    assert outbox.mark_sent(item) is None


# What the history shows of a message sent through the outbox is what ``History.record`` makes
# of the same payload and reply, odd shapes included (the outbox row is read by SQLite's JSON
# functions, ``record`` reads the dict in Python).
ODD_SENDS = [
    (PAYLOAD, {"id": 42, "thread_id": "thr-1"}),
    (PAYLOAD, None),
    (PAYLOAD, {}),
    ({"event": "discussion", "title": "hi", "thread_id": "thr-9"}, {"id": "17"}),
    ({"event": "", "title": {"nested": 1}, "thread": "not an object"}, {"id": "¹"}),
    (
        {"event": 5, "title": ["x"], "external_thread_id": 7, "thread": {"status": "done"}},
        {"id": True},
    ),
    (
        {"thread": {"title": "", "status": {"value": None, "color": 3}}},
        {"id": 2.0, "thread_id": ""},
    ),
    (
        {"external_thread_id": "t", "thread": {"status": {"value": "ok", "color": "green"}}},
        {"id": -3.5},
    ),
    ({"title": "ünïcode ✓", "external_thread_id": "a.b", "thread_id": "x"}, {"thread_id": ["y"]}),
]


@pytest.mark.parametrize(("payload", "response"), ODD_SENDS)
def test_a_sent_rows_entry_is_what_record_makes_of_it(
    db, make_integration, clock, payload, response
):
    sent_via, recorded_via = make_integration(), make_integration(source_id=2)
    outbox, history = Outbox(db, clock=clock), History(db, clock=clock)
    item = outbox.claim(outbox.enqueue(sent_via.id, payload))
    outbox.mark_sent(item, response)
    entry = history.get(item.uuid)
    # The same message recorded under another uuid by the other integration.
    twin = history.record(
        recorded_via.id, dict(item.payload, uuid="twin"), response, sent_at=clock.now
    )
    assert entry is not None
    assert dataclasses.replace(entry, id=0, integration_id="", uuid="") == dataclasses.replace(
        twin, id=0, integration_id="", uuid=""
    )
    assert history.list(sent_via.id) == [entry]


def test_a_sent_message_discarded_from_the_outbox_stays_in_the_history(outbox, integration, db):
    first = outbox.mark_sent(outbox.claim(outbox.enqueue(integration.id, PAYLOAD)), {"id": 1})
    second = outbox.mark_sent(outbox.claim(outbox.enqueue(integration.id, PAYLOAD)), None)
    history = History(db)
    before = history.list(integration.id)
    assert [e.uuid for e in before] == [second.uuid, first.uuid]
    assert outbox.discard(first.id) and outbox.discard(second.id)
    assert outbox.list(integration.id) == []
    after = history.list(integration.id)
    assert [dataclasses.replace(e, id=0) for e in after] == [
        dataclasses.replace(e, id=0) for e in before
    ]
    assert history.threads(integration.id)[0].message_count == 2
    # An unsent message discarded never was in the history.
    unsent = outbox.enqueue(integration.id, PAYLOAD)
    assert outbox.discard(unsent.id)
    assert history.get(unsent.uuid) is None
    assert len(history.list(integration.id)) == 2


def test_after_a_410_the_history_is_empty_but_the_sent_messages_stay_listed(
    outbox, integration, db
):
    history = History(db)
    sent = outbox.mark_sent(outbox.claim(outbox.enqueue(integration.id, PAYLOAD)), {"id": 1})
    kept = history.record(integration.id, dict(PAYLOAD, uuid="recorded"), None)
    waiting = outbox.enqueue(integration.id, PAYLOAD)
    outbox.mark_gone(integration.id)
    assert history.delete_for(integration.id) == 2
    assert history.list(integration.id) == []
    assert history.get(sent.uuid) is None and history.get(kept.uuid) is None
    assert [(i.id, i.state) for i in outbox.list(integration.id)] == [
        (sent.id, "sent"),
        (waiting.id, "gone"),
    ]
    # Set up again and resent: only what is sent from now on is in the history.
    db.execute("UPDATE integrations SET state = 'active' WHERE id = ?", (integration.id,))
    db.execute("UPDATE outbox SET state = 'queued' WHERE id = ?", (waiting.id,))
    resent = outbox.mark_sent(outbox.claim(waiting.id), {"id": 2})
    assert [e.uuid for e in history.list(integration.id)] == [resent.uuid]
    # Discarding the old sent row does not bring its entry back.
    assert outbox.discard(sent.id)
    assert [e.uuid for e in history.list(integration.id)] == [resent.uuid]


def test_backoff_grows_exponentially_with_jitter_and_cap(db, clock):
    outbox = Outbox(db, clock=clock, base_delay=2.0, max_delay=300.0, rng=random.Random(7))
    for attempts, full in [(1, 2.0), (2, 4.0), (3, 8.0), (5, 32.0), (9, 300.0), (500, 300.0)]:
        for _ in range(20):
            delay = outbox.backoff_delay(attempts)
            assert full / 2 <= delay <= full
    delays = {round(outbox.backoff_delay(4), 6) for _ in range(20)}
    assert len(delays) > 1  # jittered, not lock-step


def test_retry_after_wins_when_larger_and_is_bounded(db, clock):
    outbox = Outbox(db, clock=clock, base_delay=2.0, max_delay=300.0)
    assert outbox.backoff_delay(1, retry_after=120.0) == 120.0
    assert outbox.backoff_delay(1, retry_after=600.0) == 600.0  # beyond the backoff cap
    assert outbox.backoff_delay(1, retry_after=10 * MAX_RETRY_AFTER) == MAX_RETRY_AFTER
    assert outbox.backoff_delay(9, retry_after=0.5) >= 150.0  # smaller hint: backoff wins


def test_mark_retry_requeues_with_backoff(outbox, integration, clock):
    item = outbox.enqueue(integration.id, PAYLOAD)
    outbox.claim(item)
    retried = outbox.mark_retry(item, "The server did not answer in time.")
    assert retried.state == "queued"
    assert retried.last_error == "The server did not answer in time."
    assert clock.now + 1.0 <= retried.next_attempt_at <= clock.now + 2.0
    assert retried.claimed_at is None
    outbox.claim(retried)
    again = outbox.mark_retry(retried, "still down", retry_after=90.0)
    assert again.next_attempt_at == clock.now + 90.0
    assert again.uuid == item.uuid


def test_mark_failed_keeps_item_editable_and_requeueable(outbox, integration, clock):
    item = outbox.enqueue(integration.id, PAYLOAD)
    outbox.claim(item)
    failed = outbox.mark_failed(item, "The server rejected the message: title can't be blank.")
    assert failed.state == "failed"
    assert outbox.due() == []
    assert outbox.list(states=["failed"]) == [failed]
    edited = outbox.edit(item, {**PAYLOAD, "title": "fixed", "uuid": "ignored"})
    assert edited.payload["title"] == "fixed"
    assert edited.uuid == item.uuid == edited.payload["uuid"]
    clock.advance(3)
    requeued = outbox.requeue(item)
    assert (requeued.state, requeued.attempts, requeued.next_attempt_at) == (
        "queued",
        0,
        clock.now,
    )
    assert [i.id for i in outbox.due()] == [item.id]


def test_edit_refused_once_an_attempt_may_have_reached_the_server(outbox, integration):
    item = outbox.enqueue(integration.id, PAYLOAD)
    assert outbox.edit(item, {**PAYLOAD, "title": "before sending"}).payload["title"] == (
        "before sending"
    )
    outbox.claim(item)
    with pytest.raises(ValueError, match="may already have reached"):
        outbox.edit(item, PAYLOAD)
    outbox.mark_retry(item, "offline")
    with pytest.raises(ValueError):
        outbox.edit(item, PAYLOAD)
    with pytest.raises(KeyError):
        outbox.edit(12345, PAYLOAD)


def test_requeue_only_failed_items(outbox, integration):
    item = outbox.enqueue(integration.id, PAYLOAD)
    with pytest.raises(ValueError):
        outbox.requeue(item)
    with pytest.raises(KeyError):
        outbox.requeue(999)


def test_make_due_hurries_only_that_integrations_waiting_items(outbox, make_integration, clock):
    mine, other = make_integration(), make_integration(source_id=2)
    waiting = outbox.enqueue(mine.id, PAYLOAD)
    outbox.claim(waiting)
    outbox.mark_retry(waiting, "no flow token", retry_after=600)
    behind = outbox.enqueue(mine.id, PAYLOAD)
    refused = outbox.enqueue(mine.id, PAYLOAD)
    outbox.mark_failed(refused, "bad")
    elsewhere = outbox.enqueue(other.id, PAYLOAD)
    outbox.claim(elsewhere)
    outbox.mark_retry(elsewhere, "server down", retry_after=600)
    assert [i.id for i in outbox.due()] == []

    assert outbox.make_due(mine.id) == 2
    assert [i.id for i in outbox.due()] == [waiting.id]  # in order: the oldest first
    hurried = outbox.get(waiting.id)
    assert (hurried.state, hurried.attempts) == ("queued", 1)  # its attempts are kept
    assert outbox.get(behind.id).next_attempt_at <= clock()
    assert outbox.get(refused.id).state == "failed"
    assert outbox.get(elsewhere.id).next_attempt_at > clock() + 60


def test_mark_gone_parks_unsent_items_and_removes_integration(
    outbox, make_integration, integrations, clock
):
    gone, other = make_integration(), make_integration(source_id=2)
    sent = outbox.enqueue(gone.id, PAYLOAD)
    outbox.claim(sent)
    outbox.mark_sent(sent)
    sending = outbox.enqueue(gone.id, PAYLOAD)
    outbox.claim(sending)
    queued = outbox.enqueue(gone.id, PAYLOAD)
    failed = outbox.enqueue(gone.id, PAYLOAD)
    outbox.mark_failed(failed, "bad")
    unrelated = outbox.enqueue(other.id, PAYLOAD)
    assert outbox.mark_gone(gone.id) == 3
    states = {i.id: i.state for i in outbox.list()}
    assert states == {
        sent.id: "sent",
        sending.id: "gone",
        queued.id: "gone",
        failed.id: "gone",
        unrelated.id: "queued",
    }
    assert "removed in Flowdock" in outbox.get(queued.id).last_error
    assert integrations.get(gone.id).state == "removed"
    assert integrations.get(gone.id).removed_at == clock.now
    assert integrations.get(other.id).state == "active"
    assert outbox.count_pending(gone.id) == 0


# -- concurrency -----------------------------------------------------------------------


def test_concurrent_enqueue_from_threads(outbox, integration):
    per_thread, workers = 25, 4
    made: list[int] = []
    lock = threading.Lock()
    errors: list[BaseException] = []
    start = threading.Barrier(workers)

    def work(n: int) -> None:
        try:
            start.wait()
            for i in range(per_thread):
                item = outbox.enqueue(integration.id, {**PAYLOAD, "title": f"{n}-{i}"})
                with lock:
                    made.append(item.id)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    items = outbox.list()
    assert len(items) == len(set(made)) == per_thread * workers
    assert len({i.uuid for i in items}) == per_thread * workers
    assert {i.payload["title"] for i in items} == {
        f"{n}-{i}" for n in range(workers) for i in range(per_thread)
    }


def test_concurrent_claims_give_each_item_to_one_thread(outbox, integration):
    items = [outbox.enqueue(integration.id, PAYLOAD) for _ in range(30)]
    wins: list[int] = []
    lock = threading.Lock()
    start = threading.Barrier(3)

    def work() -> None:
        start.wait()
        for item in items:
            if outbox.claim(item) is not None:
                with lock:
                    wins.append(item.id)

    threads = [threading.Thread(target=work) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(wins) == [i.id for i in items]


# -- a damaged row (the file was damaged: a row's JSON cannot be read) -----------------------


def _damage(db, item_id: int, column: str = "payload", text: str = '{"title": "deplo') -> None:
    db.execute(f"UPDATE outbox SET {column} = ? WHERE id = ?", (text, item_id))


@pytest.mark.parametrize("text", ['{"title": "deplo', "[1, 2]", "", "\x00\xff"])
def test_a_damaged_row_is_listed_with_plain_words_and_can_be_discarded(
    outbox, make_integration, db, text
):
    a, b = make_integration(), make_integration(source_id=2)
    first, second, other = (
        outbox.enqueue(a.id, PAYLOAD),
        outbox.enqueue(a.id, PAYLOAD),
        outbox.enqueue(b.id, PAYLOAD),
    )
    _damage(db, first.id, text=text)

    listed = outbox.list()
    assert [i.id for i in listed] == [first.id, second.id, other.id]
    damaged = listed[0]
    assert damaged.damaged and damaged.state == "queued" and damaged.payload == {}
    assert damaged.last_error == DAMAGED_TEXT
    assert damaged.created_at == first.created_at and damaged.uuid == first.uuid
    assert listed[1:] == [second, other]  # the other rows are read as before
    assert not any(i.damaged for i in listed[1:])
    assert outbox.get(first.id) == damaged == outbox.get_by_uuid(first.uuid)
    assert [i.id for i in outbox.due()] == [first.id, other.id]
    assert [i.id for i in outbox.list(states=("queued",))] == [first.id, second.id, other.id]

    assert outbox.discard(first.id)
    assert outbox.get(first.id) is None
    assert [i.id for i in outbox.list()] == [second.id, other.id]
    assert [i.id for i in outbox.due()] == [second.id, other.id]


def test_a_damaged_failed_row_cannot_be_requeued(outbox, integration, db):
    item = outbox.enqueue(integration.id, PAYLOAD)
    outbox.claim(item)
    outbox.mark_failed(item, "The server rejected the message.")
    _damage(db, item.id)
    with pytest.raises(ValueError, match="damaged and cannot be sent; discard it"):
        outbox.requeue(item.id)
    assert outbox.get(item.id).state == "failed"
    assert outbox.discard(item.id)


def test_a_sent_row_with_a_damaged_answer_stays_sent(outbox, integration, db):
    history = History(db)
    kept = outbox.enqueue(integration.id, PAYLOAD)
    broken = outbox.enqueue(integration.id, {**PAYLOAD, "title": "second"})
    for item in (kept, broken):
        outbox.mark_sent(outbox.claim(item), {"id": item.id, "uuid": item.uuid})
    _damage(db, broken.id, column="response", text='{"id": 2, "uu')
    row = outbox.get(broken.id)
    # The message itself went and is readable: only the server's answer is lost.
    assert (row.state, row.damaged, row.response) == ("sent", False, None)
    assert row.payload["title"] == "second"
    # The history leaves the row out; discarding it keeps nothing of it either, and the
    # other sent message stays in the history as before.
    assert [e.uuid for e in history.list(integration.id)] == [kept.uuid]
    assert outbox.discard(broken.id) and outbox.discard(kept.id)
    assert [e.uuid for e in history.list(integration.id)] == [kept.uuid]


def test_discarding_a_sent_row_with_a_damaged_message_keeps_no_history(outbox, integration, db):
    item = outbox.enqueue(integration.id, PAYLOAD)
    outbox.mark_sent(outbox.claim(item), None)
    _damage(db, item.id)
    assert outbox.get(item.id).damaged
    assert History(db).list(integration.id) == []
    assert outbox.discard(item.id)
    assert History(db).list(integration.id) == [] and outbox.list() == []
