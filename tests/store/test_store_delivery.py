"""Tests for deliver_due: error classes to outcomes, ordering, and exactly-once bookkeeping."""

from __future__ import annotations

import random
from typing import Any

import pytest

from flowdock_desktop.api.errors import (
    AuthenticationError,
    GoneError,
    NetworkError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitedError,
    ServerError,
    ValidationError,
)
from flowdock_desktop.auth.errors import KeyringUnavailable
from flowdock_desktop.sending import deliver_due
from flowdock_desktop.store.history import History
from flowdock_desktop.store.outbox import DAMAGED_TEXT, Outbox, OutboxItem

PAYLOAD = {
    "event": "activity",
    "title": "deployed",
    "author": {"name": "bot"},
    "external_thread_id": "deploy:1",
    "thread": {"title": "Deploy 1", "status": {"value": "done", "color": "green"}},
}


class FakeFlowdock:
    """A server that de-duplicates by uuid, like Flowdock does, and can fail on demand.

    ``lose_answer_for`` uuids: the message is stored, then the "connection drops" before
    the answer arrives (NetworkError), the worst case for exactly-once delivery.
    """

    def __init__(self) -> None:
        self.stored: dict[str, dict[str, Any]] = {}
        self.calls: list[str] = []
        self.lose_answer_for: set[str] = set()
        self.fail_next: list[Exception] = []

    def send(self, item: OutboxItem) -> dict[str, Any]:
        self.calls.append(item.uuid)
        assert "flow_token" not in item.payload
        if self.fail_next:
            raise self.fail_next.pop(0)
        message = self.stored.setdefault(
            item.uuid,
            {"id": len(self.stored) + 1, "uuid": item.uuid, "thread_id": "t-" + item.uuid[:4]},
        )
        if item.uuid in self.lose_answer_for:
            self.lose_answer_for.discard(item.uuid)
            raise NetworkError("The connection dropped before the server answered.")
        return message


@pytest.fixture
def outbox(db, clock) -> Outbox:
    return Outbox(db, clock=clock, lease=30.0, rng=random.Random(3))


@pytest.fixture
def server() -> FakeFlowdock:
    return FakeFlowdock()


def test_delivers_all_due_items_in_order(outbox, server, make_integration, db):
    a, b = make_integration(), make_integration(source_id=2)
    items = [outbox.enqueue(a.id, PAYLOAD), outbox.enqueue(b.id, PAYLOAD)]
    items.append(outbox.enqueue(a.id, PAYLOAD))
    outcomes = deliver_due(outbox, server.send)
    assert [o.result for o in outcomes] == ["sent"] * 3
    # a's second item follows a's first; b is interleaved but each integration is FIFO.
    order = [o.item.id for o in outcomes]
    assert order.index(items[0].id) < order.index(items[2].id)
    assert all(i.state == "sent" for i in outbox.list())
    assert outcomes[0].response == server.stored[items[0].uuid]
    assert len(History(db).list(a.id)) == 2
    assert deliver_due(outbox, server.send) == []


def test_exactly_once_when_answer_is_lost(outbox, server, integration, db, clock):
    item = outbox.enqueue(integration.id, PAYLOAD)
    server.lose_answer_for.add(item.uuid)

    first = deliver_due(outbox, server.send)
    assert [o.result for o in first] == ["retry"]
    assert first[0].error == "The connection dropped before the server answered."
    assert len(server.stored) == 1  # the server did accept it
    assert History(db).list(integration.id) == []  # but we don't know that yet

    assert deliver_due(outbox, server.send) == []  # backing off
    clock.now = outbox.get(item.id).next_attempt_at
    second = deliver_due(outbox, server.send)
    assert [o.result for o in second] == ["sent"]
    assert server.calls == [item.uuid, item.uuid]  # same uuid on both attempts
    assert len(server.stored) == 1  # de-duplicated: one message in the flow
    final = outbox.get(item.id)
    assert (final.state, final.attempts) == ("sent", 2)
    assert final.response["id"] == 1
    assert [e.uuid for e in History(db).list(integration.id)] == [item.uuid]


def test_duplicate_uuid_rejection_after_lost_answer_counts_as_sent(outbox, integration, clock):
    item = outbox.enqueue(integration.id, PAYLOAD)
    answers: list[Exception] = [
        NetworkError("dropped"),
        ValidationError("taken", field_errors={"uuid": ["has already been taken"]}),
    ]

    def send(_: OutboxItem) -> dict[str, Any]:
        raise answers.pop(0)

    deliver_due(outbox, send)
    clock.advance(3600)
    outcomes = deliver_due(outbox, send)
    assert [o.result for o in outcomes] == ["sent"]
    assert outbox.get(item.id).state == "sent"


def test_duplicate_uuid_on_first_attempt_is_a_failure(outbox, integration):
    outbox.enqueue(integration.id, PAYLOAD)

    def send(_: OutboxItem) -> None:
        raise ValidationError("taken", field_errors={"uuid": ["has already been taken"]})

    assert [o.result for o in deliver_due(outbox, send)] == ["failed"]


@pytest.mark.parametrize(
    "error",
    [
        NetworkError("offline"),
        ServerError("HTTP 503", status=503),
        RateLimitedError("slow down", retry_after=None),
    ],
)
def test_retryable_errors_requeue(outbox, integration, clock, error):
    item = outbox.enqueue(integration.id, PAYLOAD)

    def send(_: OutboxItem) -> None:
        raise error

    outcomes = deliver_due(outbox, send)
    assert [(o.result, o.error) for o in outcomes] == [("retry", error.user_message)]
    after = outbox.get(item.id)
    assert after.state == "queued"
    assert after.last_error == error.user_message
    assert clock.now < after.next_attempt_at <= clock.now + 2.0


def test_a_locked_keyring_leaves_the_message_queued(outbox, integration):
    item = outbox.enqueue(integration.id, PAYLOAD)

    def send(_: OutboxItem) -> None:
        raise KeyringUnavailable("Your keyring is locked. Unlock it, then try again.")

    outcomes = deliver_due(outbox, send)
    assert [o.result for o in outcomes] == ["retry"]
    after = outbox.get(item.id)
    assert after.state == "queued" and "keyring is locked" in after.last_error


def test_rate_limit_retry_after_is_honoured(outbox, integration, clock):
    item = outbox.enqueue(integration.id, PAYLOAD)

    def send(_: OutboxItem) -> None:
        raise RateLimitedError("slow down", retry_after=45.0)

    deliver_due(outbox, send)
    assert outbox.get(item.id).next_attempt_at == clock.now + 45.0


@pytest.mark.parametrize(
    "error",
    [
        ValidationError("title can't be blank", field_errors={"title": ["can't be blank"]}),
        AuthenticationError("Sign in again.", status=401),
        PermissionDeniedError("Not allowed."),
        NotFoundError("Not found."),
    ],
)
def test_permanent_errors_fail_the_item_visibly(outbox, integration, error):
    item = outbox.enqueue(integration.id, PAYLOAD)
    later = outbox.enqueue(integration.id, PAYLOAD)

    def send(sent: OutboxItem) -> None:
        if sent.id == item.id:
            raise error

    outcomes = deliver_due(outbox, send)
    assert [(o.item.id, o.result) for o in outcomes] == [(item.id, "failed")]
    failed = outbox.get(item.id)
    assert (failed.state, failed.last_error) == ("failed", error.user_message)
    # The failure blocks the rest of this call only; the next call moves on.
    assert [(o.item.id, o.result) for o in deliver_due(outbox, send)] == [(later.id, "sent")]
    assert outbox.get(item.id).state == "failed"


def test_gone_parks_every_item_of_the_integration(outbox, make_integration, integrations):
    gone, other = make_integration(), make_integration(source_id=2)
    first = outbox.enqueue(gone.id, PAYLOAD)
    second = outbox.enqueue(gone.id, PAYLOAD)
    fine = outbox.enqueue(other.id, PAYLOAD)

    def send(item: OutboxItem) -> dict[str, Any]:
        if item.integration_id == gone.id:
            raise GoneError("This integration was removed in Flowdock.", status=410)
        return {"id": 1}

    outcomes = deliver_due(outbox, send)
    assert {(o.item.id, o.result) for o in outcomes} == {(first.id, "gone"), (fine.id, "sent")}
    assert outbox.get(second.id).state == "gone"
    assert integrations.get(gone.id).state == "removed"


def test_unexpected_exception_fails_without_leaking_its_text(outbox, integration, caplog):
    item = outbox.enqueue(integration.id, PAYLOAD)
    secret = "https://api.example/messages?flow_token=deadbeefdeadbeefdeadbeefdeadbeef"

    def send(_: OutboxItem) -> None:
        raise RuntimeError(secret)

    outcomes = deliver_due(outbox, send)
    assert [o.result for o in outcomes] == ["failed"]
    stored = outbox.get(item.id).last_error
    assert "RuntimeError" in stored
    assert "deadbeef" not in stored
    assert "deadbeef" not in caplog.text


def test_server_202_without_body_still_records_history(outbox, integration, db):
    item = outbox.enqueue(integration.id, PAYLOAD)
    outcomes = deliver_due(outbox, lambda _: None)
    assert [o.result for o in outcomes] == ["sent"]
    entry = History(db).get(item.uuid)
    assert entry is not None and entry.message_id is None


def test_ignore_backoff_flushes_now(outbox, integration, server):
    item = outbox.enqueue(integration.id, PAYLOAD)
    server.fail_next.append(NetworkError("offline"))
    deliver_due(outbox, server.send)
    assert deliver_due(outbox, server.send) == []
    outcomes = deliver_due(outbox, server.send, ignore_backoff=True)
    assert [(o.item.id, o.result) for o in outcomes] == [(item.id, "sent")]


def test_each_item_is_attempted_once_per_call(db, clock, integration):
    # With zero backoff a failing item would be due again at once; one call must not spin.
    outbox = Outbox(db, clock=clock, base_delay=0.0)
    outbox.enqueue(integration.id, PAYLOAD)
    calls: list[int] = []

    def send(item: OutboxItem) -> None:
        calls.append(item.id)
        raise NetworkError("offline")

    deliver_due(outbox, send)
    assert len(calls) == 1


def test_max_items_limits_one_call(outbox, integration, server):
    for _ in range(5):
        outbox.enqueue(integration.id, PAYLOAD)
    assert len(deliver_due(outbox, server.send, max_items=2)) == 2
    assert outbox.count_pending() == 3


def test_item_claimed_elsewhere_is_skipped(outbox, integration, server):
    item = outbox.enqueue(integration.id, PAYLOAD)
    original_claim = outbox.claim

    def claim_lost_race(target, *, now=None):
        original_claim(target, now=now)  # another sender got there first
        return original_claim(target, now=now)

    outbox.claim = claim_lost_race  # type: ignore[method-assign]
    assert deliver_due(outbox, server.send) == []
    assert server.calls == []
    assert outbox.get(item.id).state == "sending"


def test_a_damaged_item_is_never_posted_and_holds_nothing_back(
    outbox, server, make_integration, db
):
    a, b = make_integration(), make_integration(source_id=2)
    damaged = outbox.enqueue(a.id, PAYLOAD)
    after, other = outbox.enqueue(a.id, PAYLOAD), outbox.enqueue(b.id, PAYLOAD)
    db.execute('UPDATE outbox SET payload = \'{"event": "act\' WHERE id = ?', (damaged.id,))

    outcomes = deliver_due(outbox, server.send)
    assert {o.item.id: o.result for o in outcomes} == {
        damaged.id: "failed",
        after.id: "sent",
        other.id: "sent",
    }
    assert damaged.uuid not in server.calls and sorted(server.calls) == sorted(
        [after.uuid, other.uuid]
    )
    failed = outbox.get(damaged.id)
    assert (failed.state, failed.last_error) == ("failed", DAMAGED_TEXT)
    assert next(o for o in outcomes if o.item.id == damaged.id).error == DAMAGED_TEXT
    assert deliver_due(outbox, server.send, ignore_backoff=True) == []


def test_a_cancelled_delivery_finishes_the_post_under_way_and_starts_no_other(
    outbox, server, make_integration
):
    """Quitting mid-delivery: the message being posted is recorded as sent, the rest stay
    queued for the next start, untouched (no try counted)."""
    from flowdock_desktop.cancel import CancelToken

    a, b = make_integration(), make_integration(source_id=2)
    first, *others = [outbox.enqueue(a.id, PAYLOAD), outbox.enqueue(b.id, PAYLOAD)]
    others.append(outbox.enqueue(a.id, PAYLOAD))
    token = CancelToken()

    def quit_while_posting(item: OutboxItem) -> dict[str, Any]:
        token.cancel()  # the person quits while this post is under way
        return server.send(item)

    outcomes = deliver_due(outbox, quit_while_posting, cancel=token)
    assert [(o.item.id, o.result) for o in outcomes] == [(first.id, "sent")]
    assert server.calls == [first.uuid]
    assert [(i.state, i.attempts) for i in map(outbox.get, [o.id for o in others])] == [
        ("queued", 0),
        ("queued", 0),
    ]


def test_what_a_message_waits_for_is_kept_until_its_next_try_or_reconnect(
    outbox, integration, make_integration, clock
):
    """A missing flow token marks the message as waiting for Reconnect, a locked keyring as
    waiting for the keyring; the next try's own finding replaces it, and Reconnect
    (``make_due``) clears it."""
    from flowdock_desktop.sending import MissingFlowTokenError

    item = outbox.enqueue(integration.id, PAYLOAD)
    other = make_integration(source_id=2)
    locked = outbox.enqueue(other.id, PAYLOAD)

    def send(it: OutboxItem) -> None:
        if it.id == item.id:
            raise MissingFlowTokenError(integration)
        raise KeyringUnavailable("Your keyring is locked. Unlock it, then try again.")

    deliver_due(outbox, send)
    assert (outbox.get(item.id).waits_for, outbox.get(locked.id).waits_for) == (
        "reconnect",
        "keyring",
    )

    def down(_: OutboxItem) -> None:
        raise NetworkError("The server could not be reached.")

    deliver_due(outbox, down, ignore_backoff=True)
    assert outbox.get(locked.id).waits_for is None  # now it waits for the network, by itself

    deliver_due(outbox, send, ignore_backoff=True)
    assert outbox.make_due(integration.id) == 1
    assert outbox.get(item.id).waits_for is None
    assert outbox.get(locked.id).waits_for == "keyring"  # another integration: left alone
