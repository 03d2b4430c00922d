"""The transactional outbox: messages are stored first, then delivered, retried, recorded.

The outbox keeps the states and their exactly-once bookkeeping; what a server's answer means
for a message (send again later, refused, source gone) is the sending layer's policy
(``flowdock_desktop.sending.deliver_due``), so the store needs nothing from the API.
"""

from __future__ import annotations

import json
import os
import random
import socket
import sqlite3
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any, Literal

from flowdock_desktop.store.db import Database
from flowdock_desktop.store.history import History

__all__ = [
    "DAMAGED_TEXT",
    "PENDING_STATES",
    "Outbox",
    "OutboxItem",
    "OutboxState",
    "WaitsFor",
    "this_process",
]

OutboxState = Literal["queued", "sending", "sent", "failed", "gone"]
#: What a queued message waits for when time alone will not send it: its integration to be
#: reconnected (no flow token here), or the keyring to be unlocked.
WaitsFor = Literal["reconnect", "keyring"]
PENDING_STATES: tuple[OutboxState, ...] = ("queued", "sending")

# The pending states as one range of the state index: of the five states ('failed', 'gone',
# 'queued', 'sending', 'sent' in text order) exactly the two pending ones lie between these.
# Written as ``state IN ('queued', 'sending')``, SQLite would build a temporary b-tree of the
# two values every time the statement runs, which costs more than the lookup itself
# (``Outbox._has_pending`` and ``due`` run on every send). tests/store check the range
# against every state.
_PENDING = "state BETWEEN 'queued' AND 'sending'"

# Payload keys that are credentials. They are stripped before storing: the sender adds
# the flow token from the keyring at send time.
_SECRET_KEYS = frozenset({"flow_token", "access_token"})

# A server's Retry-After is honoured up to this; a bogus huge value must not park a
# message for days.
MAX_RETRY_AFTER = 3600.0

#: What a row whose stored message is not readable JSON (a damaged file) says as its error.
DAMAGED_TEXT = "This message's stored text is damaged and cannot be sent; discard it."


@dataclass(frozen=True, slots=True)
class OutboxItem:
    """One message waiting to be sent, being sent, or done with.

    ``payload`` is the Flowdock message JSON without the flow token; ``payload["uuid"]``
    always equals ``uuid``. ``last_error`` is in plain words, fit to show a person.

    ``damaged``: the stored message could not be read (a damaged file). Its ``payload`` is
    then empty, ``last_error`` says so (``DAMAGED_TEXT``), and it is never posted: delivery
    marks it failed, and the person can only discard it.

    ``waits_for``: set on a ``queued`` item whose last attempt found that time alone will not
    send it (``WaitsFor``); None otherwise.
    """

    id: int
    integration_id: str
    uuid: str
    payload: dict[str, Any]
    state: OutboxState
    attempts: int
    next_attempt_at: float
    last_error: str | None
    created_at: float
    sent_at: float | None
    response: dict[str, Any] | None
    claimed_at: float | None = None
    claimed_by: str | None = None
    waits_for: WaitsFor | None = None
    damaged: bool = False

    @property
    def is_pending(self) -> bool:
        return self.state in PENDING_STATES


_COLUMNS = (
    "id",
    "integration_id",
    "uuid",
    "payload",
    "state",
    "attempts",
    "next_attempt_at",
    "last_error",
    "created_at",
    "sent_at",
    "response",
    "claimed_at",
    "claimed_by",
    "waits_for",
)
_RETURNED = ", ".join(_COLUMNS)
# Every column but the JSON ones.
_SCALAR_COLUMNS = tuple(c for c in _COLUMNS if c not in ("payload", "response"))
_SCALARS = ", ".join(_SCALAR_COLUMNS)
_SELECT = f"SELECT {_RETURNED} FROM outbox"


def _item(row: sqlite3.Row) -> OutboxItem:
    values = {name: row[name] for name in _COLUMNS}
    payload = _object(values["payload"])
    # A damaged answer only loses what the server said of a message; the message itself is
    # still what was (or will be) sent.
    values["response"] = _object(values["response"])
    if payload is None:
        values.update(payload={}, damaged=True, last_error=DAMAGED_TEXT)
    else:
        values["payload"] = payload
    return OutboxItem(**values)


def _object(text: str | None) -> dict[str, Any] | None:
    """A stored JSON object, or None when there is none or it cannot be read (damaged)."""
    if text is None:
        return None
    try:
        value = json.loads(text)
    except (TypeError, ValueError, RecursionError):
        return None
    return value if isinstance(value, dict) else None


def this_process() -> str:
    """Who claims an item: this machine and process (``host:pid``)."""
    return f"{socket.gethostname()}:{os.getpid()}"


def _claimer_died(claimed_by: str | None) -> bool:
    """True when a process of this machine claimed the item and no longer runs."""
    if not claimed_by:
        return False
    host, _, pid_text = claimed_by.rpartition(":")
    if host != socket.gethostname() or not pid_text.isdigit():
        return False
    pid = int(pid_text)
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except OSError:  # exists but belongs to someone else, or cannot be asked
        return False
    return False


# allow_nan=False: NaN/Infinity are not JSON and the server could not parse them. One encoder
# kept (it holds only its settings), instead of one built by json.dumps on every call.
_dumps = json.JSONEncoder(ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode


class Outbox:
    """Stores outgoing messages and moves them through their states.

    States and moves::

        queued --claim--> sending --mark_sent--> sent          (and so in the history)
          ^                  |----mark_retry---> queued        (backoff; same uuid next time)
          |                  |----mark_failed--> failed        (kept, editable, requeue by user)
          |                  '----mark_gone----> gone          (source deleted in Flowdock: 410)
          '---- sending whose claimer died, or older than the lease, counts as queued again

    Why this gives exactly-once delivery: the Flowdock message ``uuid`` is chosen when the item
    is enqueued and sent unchanged on every attempt, so when an attempt reached the server but
    its answer was lost, the retry carries the same uuid and the server can drop the duplicate.
    Items of one integration are delivered in order (a later one waits while an earlier one is
    backing off) because each thread message carries the thread's whole state: a late
    "deploy started" must not overwrite "deploy finished".

    ``base_delay``, ``max_delay`` and ``lease`` are seconds; tests shorten them. ``rng``
    supplies the jitter (a seeded ``random.Random`` makes it repeatable).
    """

    def __init__(
        self,
        db: Database,
        *,
        base_delay: float = 2.0,
        max_delay: float = 300.0,
        lease: float = 120.0,
        clock: Callable[[], float] = time.time,
        rng: random.Random | None = None,
    ) -> None:
        self._db = db
        self.base_delay = base_delay
        self.max_delay = max_delay
        self.lease = lease
        self._clock = clock
        self._rng = rng or random.Random()
        self._history = History(db, clock=clock)

    # -- adding and reading ---------------------------------------------------------------

    def enqueue(
        self,
        integration_id: str,
        payload: Mapping[str, Any],
        *,
        now: float | None = None,
        claim: bool = False,
    ) -> OutboxItem:
        """Store a message to send; returns it ``queued`` and due at once.

        A ``uuid`` already in the payload is kept (so a caller can retry its own
        submission idempotently); otherwise one is assigned. Credentials are dropped.

        With ``claim``, a message that nothing of its integration waits before is stored
        already claimed by this process (``sending``, one attempt counted), in the same
        commit: what :meth:`claim` right after the insert would do, for one commit instead
        of two. Behind an earlier pending message it is stored ``queued``, as without.
        """
        now = self._now(now)
        body = _clean_payload(payload)
        existing = body.get("uuid")
        if existing is None:
            import uuid as uuid_module  # here, not at start: it loads `platform`

            body["uuid"] = str(uuid_module.uuid4())
        elif not isinstance(existing, str) or not existing.strip():
            raise ValueError("the message uuid must be a non-empty string")
        text = _dumps(body)
        state: OutboxState = "queued"
        claimed_by = None
        with self._db.transaction() as conn:
            if claim and not self._has_pending(conn, integration_id):
                state, claimed_by = "sending", this_process()
            cursor = conn.execute(
                "INSERT INTO outbox (integration_id, uuid, payload, state, attempts,"
                " next_attempt_at, created_at, claimed_at, claimed_by)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    integration_id,
                    body["uuid"],
                    text,
                    state,
                    0 if claimed_by is None else 1,
                    now,
                    now,
                    None if claimed_by is None else now,
                    claimed_by,
                ),
            )
            item_id = cursor.lastrowid
        if item_id is None:
            raise KeyError(item_id)
        # The row as written, without reading it back.
        return OutboxItem(
            id=item_id,
            integration_id=integration_id,
            uuid=body["uuid"],
            payload=json.loads(text),
            state=state,
            attempts=0 if claimed_by is None else 1,
            next_attempt_at=now,
            last_error=None,
            created_at=now,
            sent_at=None,
            response=None,
            claimed_at=None if claimed_by is None else now,
            claimed_by=claimed_by,
        )

    @staticmethod
    def _has_pending(conn: sqlite3.Connection, integration_id: str) -> bool:
        # "+integration_id" steers SQLite to the state index: a look through the few pending
        # rows, not through every message the integration ever sent.
        row = conn.execute(
            f"SELECT 1 FROM outbox WHERE +integration_id = ? AND {_PENDING} LIMIT 1",
            (integration_id,),
        ).fetchone()
        return row is not None

    def get(self, item_id: int) -> OutboxItem | None:
        rows = self._db.query(f"{_SELECT} WHERE id = ?", (item_id,))
        return _item(rows[0]) if rows else None

    def get_by_uuid(self, uuid: str) -> OutboxItem | None:
        """The item carrying this message uuid, if it is stored."""
        rows = self._db.query(f"{_SELECT} WHERE uuid = ?", (uuid,))
        return _item(rows[0]) if rows else None

    def list(
        self,
        integration_id: str | None = None,
        states: Iterable[OutboxState] | None = None,
    ) -> list[OutboxItem]:
        """Items, oldest first, optionally of one integration and/or in some states."""
        clauses: list[str] = []
        params: list[object] = []
        if integration_id is not None:
            clauses.append("integration_id = ?")
            params.append(integration_id)
        if states is not None:
            wanted = list(states)
            if not wanted:
                return []
            clauses.append(f"state IN ({', '.join('?' for _ in wanted)})")
            params.extend(wanted)
        where = f" WHERE {' AND '.join(clauses)}" if clauses else ""
        return [_item(row) for row in self._db.query(f"{_SELECT}{where} ORDER BY id", params)]

    def count_pending(self, integration_id: str | None = None) -> int:
        """How many items still wait to be delivered (queued or sending)."""
        sql = f"SELECT COUNT(*) FROM outbox WHERE {_PENDING}"
        params: tuple[object, ...] = ()
        if integration_id is not None:
            sql += " AND integration_id = ?"
            params = (integration_id,)
        return int(self._db.query(sql, params)[0][0])

    def due(self, now: float | None = None, *, ignore_backoff: bool = False) -> list[OutboxItem]:
        """Items to attempt now: at most one per integration, the oldest pending one.

        An item is due when it is ``queued`` and its backoff has passed (or
        ``ignore_backoff``), or when it has been ``sending`` longer than the lease: its
        sender died, and resending is safe because the uuid is unchanged.
        """
        now = self._now(now)
        # After a send nothing is usually pending: a look at the state index says so for a
        # fifth of what the grouping query below costs even when it finds nothing.
        if not self._db.query(f"SELECT 1 FROM outbox WHERE {_PENDING} LIMIT 1"):
            return []
        rows = self._db.query(
            f"{_SELECT} WHERE id IN (SELECT MIN(id) FROM outbox"
            f" WHERE {_PENDING} GROUP BY integration_id) ORDER BY id"
        )
        due: list[OutboxItem] = []
        for row in rows:
            item = _item(row)
            if item.state == "queued":
                if ignore_backoff or item.next_attempt_at <= now:
                    due.append(item)
            elif self._lease_expired(item, now):
                due.append(item)
        return due

    # -- state changes -------------------------------------------------------------------

    def claim(self, item: OutboxItem | int, *, now: float | None = None) -> OutboxItem | None:
        """Mark the item ``sending`` and count the attempt; None if it is not claimable.

        Atomic, so two senders (the GUI and ``outbox --flush``) never both claim one item.
        Claiming does not check the backoff: :meth:`due` decides what to attempt.
        """
        now = self._now(now)
        item_id = _id(item)
        me = this_process()
        with self._db.transaction() as conn:
            # Read inside the write transaction: nobody can change the row between this
            # look and the update, and the claimed item needs no second read.
            row = conn.execute(f"{_SELECT} WHERE id = ?", (item_id,)).fetchone()
            if row is None:
                return None
            current = _item(row)
            orphaned_by = (
                current.claimed_by
                if current.state == "sending" and _claimer_died(current.claimed_by)
                else None
            )
            cursor = conn.execute(
                "UPDATE outbox SET state = 'sending', claimed_at = ?, claimed_by = ?,"
                " attempts = attempts + 1"
                " WHERE id = ? AND (state = 'queued'"
                " OR (state = 'sending' AND (claimed_at <= ? OR claimed_by = ?)))",
                (now, me, item_id, now - self.lease, orphaned_by),
            )
            if not cursor.rowcount:
                return None
        return replace(
            current,
            state="sending",
            claimed_at=now,
            claimed_by=me,
            attempts=current.attempts + 1,
        )

    def mark_sent(
        self,
        item: OutboxItem | int,
        response: Mapping[str, Any] | None = None,
        *,
        now: float | None = None,
    ) -> OutboxItem | None:
        """Record delivery: the row, now ``sent`` with the answer, is the message's history
        entry (``History``), so this is one ``UPDATE`` in one commit.

        ``response`` is the created message when the server returned it (None for 202).
        Returns None if the item is gone (discarded meanwhile); idempotent otherwise.
        """
        now = self._now(now)
        item_id = _id(item)
        stored = None if response is None else _dumps(dict(response))
        # A claimed item given: the JSON columns are not handed back and decoded again. Its
        # payload cannot change while it is being sent (``edit`` refuses), and the answer is
        # the one just given; the other columns are read back after the change.
        claimed = item if isinstance(item, OutboxItem) and item.state == "sending" else None
        with self._db.transaction() as conn:
            # The row is read back after the change by a second statement: ``RETURNING`` would
            # make SQLite gather the row in a temporary table, which costs more.
            changed = conn.execute(
                "UPDATE outbox SET state = 'sent', sent_at = ?, response = ?, last_error = NULL,"
                " claimed_at = NULL WHERE id = ? AND state <> 'sent'",
                (now, stored, item_id),
            ).rowcount
            if not changed:
                claimed = None  # recorded as sent already (idempotent): the row as stored
            row = conn.execute(
                f"SELECT {_RETURNED if claimed is None else _SCALARS} FROM outbox WHERE id = ?",
                (item_id,),
            ).fetchone()
        if row is None:
            return None  # discarded meanwhile
        if claimed is not None:
            values = {name: row[name] for name in _SCALAR_COLUMNS}
            return OutboxItem(
                payload=claimed.payload,
                response=None if response is None else dict(response),
                **values,
            )
        return _item(row)

    def mark_retry(
        self,
        item: OutboxItem | int,
        error_text: str,
        retry_after: float | None = None,
        *,
        now: float | None = None,
        waits_for: WaitsFor | None = None,
    ) -> OutboxItem | None:
        """Put the item back in the queue after a temporary failure, with backoff.

        The wait is exponential in the attempts so far (``base_delay`` doubling, at most
        ``max_delay``) with jitter so many clients don't retry in step; a larger
        ``retry_after`` from the server wins. ``waits_for``: what, besides time, it waits for
        (kept until the next attempt or ``make_due``).
        """
        now = self._now(now)
        item_id = _id(item)
        with self._db.transaction() as conn:
            row = conn.execute("SELECT attempts FROM outbox WHERE id = ?", (item_id,)).fetchone()
            if row is None:
                return None
            delay = self.backoff_delay(int(row["attempts"]), retry_after)
            conn.execute(
                "UPDATE outbox SET state = 'queued', next_attempt_at = ?, last_error = ?,"
                " claimed_at = NULL, waits_for = ? WHERE id = ? AND state IN ('queued', 'sending')",
                (now + delay, error_text, waits_for, item_id),
            )
        return self.get(item_id)

    def backoff_delay(self, attempts: int, retry_after: float | None = None) -> float:
        """Seconds to wait after ``attempts`` failed attempts.

        "Equal jitter": half the exponential delay is fixed, the other half random, so the
        wait never drops far below the schedule and never exceeds ``max_delay``.
        """
        exponent = max(0, attempts - 1)
        # Cap the exponent before exponentiating so a huge attempt count cannot overflow.
        raw = min(self.max_delay, self.base_delay * (2.0 ** min(exponent, 62)))
        delay = raw / 2 + self._rng.uniform(0, raw / 2)
        if retry_after is not None and retry_after > delay:
            delay = min(float(retry_after), MAX_RETRY_AFTER)
        return delay

    def mark_failed(
        self, item: OutboxItem | int, error_text: str, *, now: float | None = None
    ) -> OutboxItem | None:
        """Stop retrying: the server refused the message itself (e.g. a validation error).

        The item stays listed with its error so the user can edit and requeue it, or
        discard it; it is never deleted here.
        """
        item_id = _id(item)
        with self._db.transaction() as conn:
            conn.execute(
                "UPDATE outbox SET state = 'failed', last_error = ?, claimed_at = NULL"
                " WHERE id = ? AND state IN ('queued', 'sending')",
                (error_text, item_id),
            )
        return self.get(item_id)

    def mark_gone(
        self,
        integration_id: str,
        error_text: str | None = None,
        *,
        now: float | None = None,
    ) -> int:
        """The source was deleted in Flowdock (410): park all its unsent items as ``gone``.

        Also marks the integration removed, in the same commit. Returns how many items
        changed. Items stay listed; the user decides whether to discard them.
        """
        now = self._now(now)
        text = error_text or "The source was removed in Flowdock, so this was not sent."
        with self._db.transaction() as conn:
            cursor = conn.execute(
                "UPDATE outbox SET state = 'gone', last_error = ?, claimed_at = NULL"
                " WHERE integration_id = ? AND state IN ('queued', 'sending', 'failed')",
                (text, integration_id),
            )
            conn.execute(
                "UPDATE integrations SET state = 'removed', removed_at = COALESCE(removed_at, ?)"
                " WHERE id = ?",
                (now, integration_id),
            )
        return cursor.rowcount

    def edit(self, item: OutboxItem | int, payload: Mapping[str, Any]) -> OutboxItem:
        """Replace the message of a queued or failed item, keeping its uuid.

        Keeping the uuid is safe because the server never accepted this message: a
        failed item was refused, and a queued one is editable only before its first
        attempt. A queued item that was already attempted may have reached the server
        (its answer lost); editing it would silently lose the edit to de-duplication.
        """
        item_id = _id(item)
        body = _clean_payload(payload)
        _dumps(body)  # not JSON: fail before the transaction
        with self._db.transaction() as conn:
            row = conn.execute(
                "SELECT uuid, state, attempts FROM outbox WHERE id = ?", (item_id,)
            ).fetchone()
            if row is None:
                raise KeyError(item_id)
            editable = row["state"] == "failed" or (
                row["state"] == "queued" and row["attempts"] == 0
            )
            if not editable:
                raise ValueError(
                    "This message may already have reached Flowdock, so it cannot be edited."
                    if row["state"] in PENDING_STATES
                    else f"A message that is {row['state']} cannot be edited."
                )
            body["uuid"] = row["uuid"]
            conn.execute("UPDATE outbox SET payload = ? WHERE id = ?", (_dumps(body), item_id))
        return self._require(item_id)

    def requeue(self, item: OutboxItem | int, *, now: float | None = None) -> OutboxItem:
        """Send a failed item again (the user fixed it, or wants to try anyway), due now.

        A damaged item (``OutboxItem.damaged``) is refused with ``DAMAGED_TEXT``: it could
        never be sent.
        """
        now = self._now(now)
        item_id = _id(item)
        with self._db.transaction() as conn:
            # (json_type on text that is not JSON is an error, hence the CASE.)
            cursor = conn.execute(
                "UPDATE outbox SET state = 'queued', next_attempt_at = ?, attempts = 0"
                " WHERE id = ? AND state = 'failed'"
                " AND CASE WHEN json_valid(payload) THEN json_type(payload) = 'object' END",
                (now, item_id),
            )
        if not cursor.rowcount:
            current = self.get(item_id)
            if current is None:
                raise KeyError(item_id)
            if current.damaged:
                raise ValueError(DAMAGED_TEXT)
            raise ValueError(f"only failed messages can be requeued, not {current.state} ones")
        return self._require(item_id)

    def make_due(self, integration_id: str, *, now: float | None = None) -> int:
        """Make the integration's waiting items due now, whatever their backoff (what they
        waited for has changed: it was reconnected), and no longer ``waits_for`` it. Their
        attempts are kept, so a lost answer of an earlier attempt is still recognised.
        Returns how many were waiting."""
        now = self._now(now)
        with self._db.transaction() as conn:
            cursor = conn.execute(
                "UPDATE outbox SET next_attempt_at = MIN(next_attempt_at, ?), waits_for = NULL"
                " WHERE integration_id = ? AND state = 'queued'",
                (now, integration_id),
            )
        return cursor.rowcount

    def discard(self, item_id: int) -> bool:
        """Delete an item for good. Only for an explicit user action; True if it existed.

        A sent message stays in the history: its entry moves to the history table in the same
        commit (what the history shows of it, not the whole message).
        """
        with self._db.transaction() as conn:
            row = conn.execute(
                "SELECT integration_id, payload, response, sent_at FROM outbox"
                " WHERE id = ? AND state = 'sent' AND in_history = 1",
                (item_id,),
            ).fetchone()
            if row is not None:
                payload, response = _object(row["payload"]), _object(row["response"])
                # A damaged row is not in the history (it leaves such rows out): nothing kept.
                if payload is not None and (response is not None or row["response"] is None):
                    self._history.keep(
                        conn, row["integration_id"], payload, response, row["sent_at"]
                    )
            cursor = conn.execute("DELETE FROM outbox WHERE id = ?", (item_id,))
        return cursor.rowcount > 0

    # -- helpers -------------------------------------------------------------------------

    def now(self) -> float:
        """The current time on this outbox's clock (seconds since the epoch)."""
        return self._clock()

    def _now(self, now: float | None) -> float:
        return self._clock() if now is None else now

    def _lease_expired(self, item: OutboxItem, now: float) -> bool:
        if item.claimed_at is None or item.claimed_at <= now - self.lease:
            return True
        return _claimer_died(item.claimed_by)

    def _require(self, item_id: int | None) -> OutboxItem:
        found = None if item_id is None else self.get(item_id)
        if found is None:
            raise KeyError(item_id)
        return found


def _id(item: OutboxItem | int) -> int:
    return item.id if isinstance(item, OutboxItem) else int(item)


def _clean_payload(payload: Mapping[str, Any]) -> dict[str, Any]:
    if not isinstance(payload, Mapping):
        raise TypeError("the message payload must be a JSON object")
    # Not encoded here: the caller encodes the body once, which fails (before anything is
    # stored) when it is not JSON.
    return {str(k): v for k, v in payload.items() if k not in _SECRET_KEYS}
