"""The sandbox's one SQLite connection, its transactions, and the clock they share.

Every request runs as one short transaction (``Store.transaction``), on a worker thread
when it comes from the server (``SandboxState.call``), so the event loop never waits on the
disk. One connection behind a lock rather than one per thread: the data may live in memory
(no ``--data``), where every connection would see its own empty database, and the requests
are short enough that SQLite would serialise the writes anyway.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any

Row = sqlite3.Row


class Clock:
    """Strictly increasing milliseconds, so paging threads by update time never ties."""

    def __init__(self, last_ms: int = 0) -> None:
        self._lock = threading.Lock()
        self.last_ms = last_ms

    def now_ms(self) -> int:
        with self._lock:
            ms = int(time.time() * 1000)
            if ms <= self.last_ms:
                ms = self.last_ms + 1
            self.last_ms = ms
            return ms


#: Called with each stored message's ``seq`` and view once its transaction has committed.
Listener = Callable[[int, dict[str, Any]], None]
#: Whether a listener wants messages now (a stream hub with no stream open does not).
Listening = Callable[[], bool]


class Tx:
    """One transaction: queries on the connection, the clock, and work to run after COMMIT
    (or after ROLLBACK).

    ``memo`` caches views built during the transaction (a thread embedded in many messages
    is read once). ``blobs``: where uploaded files' bytes go (``state.blobs``), or None.
    """

    def __init__(
        self,
        conn: sqlite3.Connection,
        clock: Clock,
        listeners: Sequence[tuple[Listener, Listening]] = (),
        blobs: Any = None,
    ) -> None:
        self.conn = conn
        self.clock = clock
        self.blobs = blobs
        self.memo: dict[Any, Any] = {}
        self._listeners = listeners
        self._after_commit: list[Callable[[], None]] = []
        self._after_rollback: list[Callable[[], None]] = []

    def execute(self, sql: str, params: Sequence[Any] = ()) -> sqlite3.Cursor:
        return self.conn.execute(sql, params)

    def one(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        return self.conn.execute(sql, params).fetchone()

    def all(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        return self.conn.execute(sql, params).fetchall()

    def value(self, sql: str, params: Sequence[Any] = ()) -> Any:
        row = self.conn.execute(sql, params).fetchone()
        return None if row is None else row[0]

    def now_ms(self) -> int:
        return self.clock.now_ms()

    @staticmethod
    def now() -> float:
        """Wall-clock seconds, for expiry times of codes and tokens."""
        return time.time()

    def after_commit(self, callback: Callable[[], None]) -> None:
        """Run ``callback`` once the transaction is committed (never if it rolls back)."""
        self._after_commit.append(callback)

    def after_rollback(self, callback: Callable[[], None]) -> None:
        """Run ``callback`` if the transaction rolls back (to undo work outside the database)."""
        self._after_rollback.append(callback)

    def announce(self, seq: int, build_view: Callable[[], dict[str, Any]]) -> None:
        """Hand the stored message ``seq`` to the listeners after COMMIT; the view is built
        now, inside the transaction (so it shows the thread as this message left it), and
        only when someone listens."""
        wanted = [listener for listener, listening in self._listeners if listening()]
        if not wanted:
            return
        view = build_view()
        for listener in wanted:
            self.after_commit(lambda listener=listener: listener(seq, view))


class Store:
    """The connection, used by one transaction at a time from any thread."""

    def __init__(self, conn: sqlite3.Connection, clock: Clock | None = None) -> None:
        self._conn = conn
        self._lock = threading.Lock()
        self.clock = clock or Clock()
        #: Who hears about stored messages (see ``Tx.announce``).
        self.listeners: list[tuple[Listener, Listening]] = []
        #: Where uploaded files' bytes go (``Tx.blobs``).
        self.blobs: Any = None
        self._closed = False

    @contextlib.contextmanager
    def transaction(self) -> Iterator[Tx]:
        """A transaction that commits when the block ends and rolls back when it raises
        (unless the error says ``keep_writes``)."""
        with self._lock:
            if self._closed:
                raise RuntimeError("the sandbox's database is closed")
            conn = self._conn
            # IMMEDIATE: take the write lock first, so a request that reads and then writes
            # never fails half-way because another process wrote the same file meanwhile.
            conn.execute("BEGIN IMMEDIATE")
            tx = Tx(conn, self.clock, self.listeners, self.blobs)
            try:
                yield tx
                conn.execute("COMMIT")
            except BaseException as exc:
                keep = getattr(exc, "keep_writes", False)
                if conn.in_transaction:
                    conn.execute("COMMIT" if keep else "ROLLBACK")
                if not keep:
                    for undo in tx._after_rollback:
                        undo()
                raise
        for callback in tx._after_commit:
            callback()

    def close(self) -> None:
        with self._lock:
            if not self._closed:
                self._closed = True
                self._conn.close()


#: Made once: ``json.dumps`` with options builds a new encoder on every call.
_COLUMN_JSON = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False)


def dumps(value: Any) -> str:
    """JSON for a column: compact, the way every JSON column is written."""
    return _COLUMN_JSON.encode(value)


def loads(text: str | None, default: Any = None) -> Any:
    return default if text is None else json.loads(text)
