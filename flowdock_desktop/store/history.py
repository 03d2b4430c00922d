"""Messages sent per integration, and the threads they built, for the composer's thread list."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from flowdock_desktop.lenient import whole_number as _int
from flowdock_desktop.store.db import Database

__all__ = ["History", "HistoryEntry", "ThreadSummary"]


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    """One message that Flowdock accepted."""

    id: int
    integration_id: str
    uuid: str
    event: str
    title: str | None
    external_thread_id: str | None
    thread_title: str | None
    status_value: str | None
    status_color: str | None
    sent_at: float
    message_id: int | None
    thread_id: str | None


@dataclass(frozen=True, slots=True)
class ThreadSummary:
    """A thread as the latest message sent to it left it: what the composer lists.

    ``key`` is what identifies the thread for posting again: the external thread id when
    the integration chose one, else the Flowdock thread id.
    """

    integration_id: str
    key: str
    external_thread_id: str | None
    thread_id: str | None
    title: str | None
    status_value: str | None
    status_color: str | None
    last_event: str
    last_sent_at: float
    message_count: int


_COLUMNS = (
    "id",
    "integration_id",
    "uuid",
    "event",
    "title",
    "external_thread_id",
    "thread_title",
    "status_value",
    "status_color",
    "sent_at",
    "message_id",
    "thread_id",
)


#: The columns a message writes: ``History._values`` gives each by name.
_WRITTEN = _COLUMNS[1:]
# Idempotent per uuid: the same message again adds only what a reply brought.
_UPSERT = (
    f"INSERT INTO history ({', '.join(_WRITTEN)}) VALUES ({', '.join(':' + c for c in _WRITTEN)})"
    " ON CONFLICT (uuid) DO UPDATE SET"
    " message_id = COALESCE(excluded.message_id, message_id),"
    " thread_id = COALESCE(excluded.thread_id, thread_id)"
)


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value != "" else None


def _entry(row: sqlite3.Row) -> HistoryEntry:
    return HistoryEntry(**{name: row[name] for name in _COLUMNS})


class History:
    """The log of sent messages. Written by ``Outbox.mark_sent``; read by the composer."""

    def __init__(self, db: Database, *, clock: Callable[[], float] = time.time) -> None:
        self._db = db
        self._clock = clock

    def record(
        self,
        integration_id: str,
        payload: Mapping[str, Any],
        response: Mapping[str, Any] | None = None,
        *,
        sent_at: float | None = None,
    ) -> HistoryEntry:
        """Record a sent message from the payload we posted and, if given, Flowdock's reply.

        Idempotent per uuid: recording the same message again updates what the reply
        added (message and thread ids) instead of adding a second row. Joins the caller's
        transaction when there is one.
        """
        values = self._values(integration_id, payload, response, sent_at)
        with self._db.transaction() as conn:
            # The row as inserted or updated comes back from the statement itself.
            (row,) = conn.execute(_UPSERT + f" RETURNING {', '.join(_COLUMNS)}", values).fetchall()
        return _entry(row)

    def write(
        self,
        conn: sqlite3.Connection,
        integration_id: str,
        payload: Mapping[str, Any],
        response: Mapping[str, Any] | None,
        sent_at: float,
    ) -> None:
        """What :meth:`record` does, in the caller's open transaction on ``conn`` and without
        reading the row back: ``Outbox.mark_sent`` records every sent message this way."""
        conn.execute(_UPSERT, self._values(integration_id, payload, response, sent_at))

    def _values(
        self,
        integration_id: str,
        payload: Mapping[str, Any],
        response: Mapping[str, Any] | None,
        sent_at: float | None,
    ) -> dict[str, object]:
        """The row's values by column name (the names in ``_WRITTEN``)."""
        uuid = payload.get("uuid")
        if not isinstance(uuid, str) or not uuid:
            raise ValueError("a sent message needs its uuid")
        thread = payload.get("thread")
        thread = thread if isinstance(thread, Mapping) else {}
        status = thread.get("status")
        status = status if isinstance(status, Mapping) else {}
        response = response or {}
        # The reply's thread_id is authoritative; fall back to what we posted to.
        thread_id = _text(response.get("thread_id")) or _text(payload.get("thread_id"))
        return {
            "integration_id": integration_id,
            "uuid": uuid,
            "event": _text(payload.get("event")) or "message",
            "title": _text(payload.get("title")),
            "external_thread_id": _text(payload.get("external_thread_id")),
            "thread_title": _text(thread.get("title")),
            "status_value": _text(status.get("value")),
            "status_color": _text(status.get("color")),
            "sent_at": self._clock() if sent_at is None else sent_at,
            "message_id": _int(response.get("id")),
            "thread_id": thread_id,
        }

    def list(self, integration_id: str, *, limit: int | None = None) -> list[HistoryEntry]:
        """Sent messages of one integration, newest first."""
        sql = (
            f"SELECT {', '.join(_COLUMNS)} FROM history WHERE integration_id = ?"
            " ORDER BY sent_at DESC, id DESC"
        )
        params: tuple[object, ...] = (integration_id,)
        if limit is not None:
            sql += " LIMIT ?"
            params += (limit,)
        return [_entry(row) for row in self._db.query(sql, params)]

    def delete_for(self, integration_id: str) -> int:
        """Forget everything sent by one integration; returns how many entries went."""
        with self._db.transaction() as conn:
            cursor = conn.execute("DELETE FROM history WHERE integration_id = ?", (integration_id,))
        return cursor.rowcount

    def get(self, uuid: str) -> HistoryEntry | None:
        """The entry for one message uuid, if it was sent."""
        rows = self._db.query(f"SELECT {', '.join(_COLUMNS)} FROM history WHERE uuid = ?", (uuid,))
        return _entry(rows[0]) if rows else None

    def threads(self, integration_id: str) -> list[ThreadSummary]:
        """Each thread this integration posted to, most recently active first.

        A thread's title and status are those of the latest message that carried them,
        since every Flowdock thread message carries the thread's whole new state.
        """
        summaries: dict[str, dict[str, Any]] = {}
        # A message posted by Flowdock thread id belongs with the same thread's messages
        # posted by external id: map the Flowdock id to the key the thread first got.
        key_of_thread_id: dict[str, str] = {}
        # Oldest first, so later messages overwrite the state of earlier ones.
        for entry in reversed(self.list(integration_id)):
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
