"""Messages sent per integration, and the threads they built, for the composer's thread list."""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from flowdock_desktop.lenient import whole_number as _int
from flowdock_desktop.store.db import Database

__all__ = ["History", "HistoryEntry", "ThreadSummary"]


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    """One message that Flowdock accepted.

    ``id`` is its outbox item's id when the entry is read from the sent outbox row, and the
    history table's own id for an entry kept there (see ``_KEPT``): it orders entries sent at
    the same moment, it does not name them across the two.
    """

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

#: What an entry takes from the message posted and from Flowdock's reply, as JSON paths (the
#: same in SQLite's ``json_extract`` and in ``_at``), in the order ``_derived`` reads them.
_POSTED = (
    "event",
    "title",
    "external_thread_id",
    "thread.title",
    "thread.status.value",
    "thread.status.color",
    "thread_id",
)
_REPLIED = ("id", "thread_id")


def _paths(paths: tuple[str, ...]) -> str:
    return ", ".join(f"'$.{path}'" for path in paths)


#: The columns a message writes: ``_derived`` gives each by name.
_WRITTEN = _COLUMNS[1:]
# Idempotent per uuid: the same message again adds only what a reply brought.
_UPSERT = (
    f"INSERT INTO history ({', '.join(_WRITTEN)}) VALUES ({', '.join(':' + c for c in _WRITTEN)})"
    " ON CONFLICT (uuid) DO UPDATE SET"
    " message_id = COALESCE(excluded.message_id, message_id),"
    " thread_id = COALESCE(excluded.thread_id, thread_id)"
)

# The history is two kinds of rows read as one. Entries kept in the history table (written by
# an earlier version, recorded directly, or left by a sent message discarded from the outbox)
# come with their columns; a sent outbox row is an entry too (unless a 410 hid it:
# ``in_history = 0``), and its columns are taken from the JSON it holds, by SQLite in C: each
# of the two ``json_extract`` calls gives one JSON array of the values at ``_POSTED`` /
# ``_REPLIED`` (null where a path is missing), which ``_derived`` reads as ``History.record``
# reads a payload. A uuid in both is listed once, from the history table. A row whose JSON is
# damaged is left out rather than failing the whole history.
_KEPT = (
    f"SELECT {', '.join(_COLUMNS)}, NULL AS posted, NULL AS replied, 0 AS kind FROM history"
    " WHERE {where}"
)
_SENT_ROWS = (
    " FROM outbox WHERE {where} AND state = 'sent' AND in_history = 1 AND json_valid(payload)"
    " AND (response IS NULL OR json_valid(response))"
    " AND NOT EXISTS (SELECT 1 FROM history WHERE history.uuid = outbox.uuid)"
)
_SENT = (
    "SELECT id, integration_id, uuid, NULL, NULL, NULL, NULL, NULL, NULL, sent_at, NULL, NULL,"
    f" json_extract(payload, {_paths(_POSTED)}),"
    f" CASE WHEN response IS NOT NULL THEN json_extract(response, {_paths(_REPLIED)}) END, 1"
    + _SENT_ROWS
)

#: The order of entries, oldest first: ``id`` orders those sent at the same moment, and an
#: entry kept in the history table comes before a sent row with the same time and id.
_ORDER = ("sent_at", "id", "kind")


def _entries(where: str) -> str:
    """Both kinds of entries matching ``where`` (on columns both tables have), newest first."""
    return (
        f"{_KEPT.format(where=where)} UNION ALL {_SENT.format(where=where)}"
        f" ORDER BY {', '.join(column + ' DESC' for column in _ORDER)}"
    )


# What ``History.threads`` reads of each entry of one integration, oldest first: its time and
# one JSON text ``[[event, external id, thread title, status value, status colour, thread id],
# thread id replied]``, the values at ``_THREADED`` in the message posted and the thread id in
# Flowdock's reply (a kept entry's columns put in the same places, its thread id as posted),
# built by SQLite so that Python decodes the whole history in one ``json.loads``.
_THREADED = tuple(path for path in _POSTED if path != "title")
_THREAD_ENTRIES = (
    "SELECT sent_at, json_array(json_array(event, external_thread_id, thread_title,"
    " status_value, status_color, thread_id), NULL) AS thread_values, id, 0 AS kind"
    " FROM history WHERE integration_id = :integration"
    f" UNION ALL SELECT sent_at, json_array(json_extract(payload, {_paths(_THREADED)}),"
    " CASE WHEN response IS NOT NULL THEN json_extract(response, '$.thread_id') END), id, 1"
    + _SENT_ROWS.format(where="integration_id = :integration")
    + f" ORDER BY {', '.join(_ORDER)}"
)


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value != "" else None


def _at(value: Any, path: str) -> Any:
    """The value at a dotted path of nested JSON objects, or None (as ``json_extract``)."""
    for key in path.split("."):
        if not isinstance(value, Mapping):
            return None
        value = value.get(key)
    return value


def _derived(
    integration_id: str,
    uuid: Any,
    posted: Sequence[Any],
    replied: Sequence[Any],
    sent_at: float,
) -> dict[str, Any]:
    """An entry's columns by name, from the values at ``_POSTED`` in the message posted and at
    ``_REPLIED`` in Flowdock's reply: the one reading of a sent message."""
    if not isinstance(uuid, str) or not uuid:
        raise ValueError("a sent message needs its uuid")
    event, title, external, thread_title, status_value, status_color, posted_thread = posted
    reply_id, reply_thread = replied
    return {
        "integration_id": integration_id,
        "uuid": uuid,
        "event": _text(event) or "message",
        "title": _text(title),
        "external_thread_id": _text(external),
        "thread_title": _text(thread_title),
        "status_value": _text(status_value),
        "status_color": _text(status_color),
        "sent_at": sent_at,
        "message_id": _int(reply_id),
        # The reply's thread_id is authoritative; fall back to what we posted to.
        "thread_id": _text(reply_thread) or _text(posted_thread),
    }


def _entry(row: sqlite3.Row) -> HistoryEntry:
    posted = row["posted"]
    if posted is None:  # kept in the history table
        return HistoryEntry(**{name: row[name] for name in _COLUMNS})
    replied = row["replied"]
    values = _derived(
        row["integration_id"],
        row["uuid"],
        json.loads(posted),
        (None, None) if replied is None else json.loads(replied),
        row["sent_at"],
    )
    return HistoryEntry(id=row["id"], **values)


class History:
    """The log of sent messages, read by the composer: the sent outbox rows (``Outbox.mark_sent``
    makes a row one) and the entries kept in the history table (see ``_entries``)."""

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
        """Record a message sent without the outbox, from the payload posted and, if given,
        Flowdock's reply, in the history table.

        Idempotent per uuid: recording the same message again updates what the reply
        added (message and thread ids) instead of adding a second row. Joins the caller's
        transaction when there is one.
        """
        values = self._values(integration_id, payload, response, sent_at)
        with self._db.transaction() as conn:
            # The row as inserted or updated comes back from the statement itself.
            (row,) = conn.execute(_UPSERT + f" RETURNING {', '.join(_COLUMNS)}", values).fetchall()
        return HistoryEntry(**{name: row[name] for name in _COLUMNS})

    def keep(
        self,
        conn: sqlite3.Connection,
        integration_id: str,
        payload: Mapping[str, Any],
        response: Mapping[str, Any] | None,
        sent_at: float,
    ) -> None:
        """What :meth:`record` does, in the caller's open transaction on ``conn`` and without
        reading the row back: ``Outbox.discard`` keeps a sent message's entry this way before
        its outbox row goes."""
        conn.execute(_UPSERT, self._values(integration_id, payload, response, sent_at))

    def _values(
        self,
        integration_id: str,
        payload: Mapping[str, Any],
        response: Mapping[str, Any] | None,
        sent_at: float | None,
    ) -> dict[str, object]:
        """The row's values by column name (the names in ``_WRITTEN``)."""
        return _derived(
            integration_id,
            payload.get("uuid"),
            [_at(payload, path) for path in _POSTED],
            [_at(response, path) for path in _REPLIED],
            self._clock() if sent_at is None else sent_at,
        )

    def list(self, integration_id: str, *, limit: int | None = None) -> list[HistoryEntry]:
        """Sent messages of one integration, newest first."""
        sql = _entries("integration_id = :integration")
        params: dict[str, object] = {"integration": integration_id}
        if limit is not None:
            sql += " LIMIT :limit"
            params["limit"] = limit
        return [_entry(row) for row in self._db.query(sql, params)]

    def delete_for(self, integration_id: str) -> int:
        """Forget everything sent by one integration; returns how many entries went.

        The sent outbox rows stay (``outbox --all`` still lists them) but are no longer
        entries; the kept ones are deleted.
        """
        with self._db.transaction() as conn:
            hidden = conn.execute(
                "UPDATE outbox SET in_history = 0 WHERE integration_id = ? AND state = 'sent'"
                " AND in_history = 1 AND NOT EXISTS"
                " (SELECT 1 FROM history WHERE history.uuid = outbox.uuid)",
                (integration_id,),
            ).rowcount
            conn.execute(
                "UPDATE outbox SET in_history = 0 WHERE integration_id = ? AND state = 'sent'"
                " AND in_history = 1",
                (integration_id,),
            )
            deleted = conn.execute(
                "DELETE FROM history WHERE integration_id = ?", (integration_id,)
            ).rowcount
        return hidden + deleted

    def get(self, uuid: str) -> HistoryEntry | None:
        """The entry for one message uuid, if it was sent."""
        rows = self._db.query(_entries("uuid = :uuid") + " LIMIT 1", {"uuid": uuid})
        return _entry(rows[0]) if rows else None

    def threads(self, integration_id: str) -> list[ThreadSummary]:
        """Each thread this integration posted to, most recently active first.

        A thread's title and status are those of the latest message that carried them,
        since every Flowdock thread message carries the thread's whole new state.
        """
        rows = self._db.query(_THREAD_ENTRIES, {"integration": integration_id})
        values = json.loads(f"[{','.join(row['thread_values'] for row in rows)}]")
        threads: dict[str, _Thread] = {}
        # A message posted by Flowdock thread id belongs with the same thread's messages
        # posted by external id: map the Flowdock id to the key the thread first got.
        key_of_thread_id: dict[str, str] = {}
        # Oldest first, so later messages overwrite the state of earlier ones. The values are
        # read as ``_derived`` reads them (a kept entry's were read so when it was written).
        for row, (posted, replied) in zip(rows, values, strict=True):
            event, external, title, status_value, status_color, thread_id = posted
            external = _text(external)
            thread_id = _text(replied) or _text(thread_id)
            if external:
                key = external
            elif thread_id:
                key = key_of_thread_id.get(thread_id, thread_id)
            else:
                continue
            thread = threads.get(key)
            if thread is None:
                thread = threads[key] = _Thread(external)
            thread.message_count += 1
            thread.last_event = event if row["kind"] == 0 else _text(event) or "message"
            thread.last_sent_at = row["sent_at"]
            if thread_id:
                thread.thread_id = thread_id
                key_of_thread_id.setdefault(thread_id, key)
            if title := _text(title):
                thread.title = title
            status_value, status_color = _text(status_value), _text(status_color)
            if status_value or status_color:
                thread.status = (status_value, status_color)
        result = [
            ThreadSummary(
                integration_id=integration_id,
                key=key,
                external_thread_id=thread.external_thread_id,
                thread_id=thread.thread_id,
                title=thread.title,
                status_value=thread.status[0],
                status_color=thread.status[1],
                last_event=thread.last_event,
                last_sent_at=thread.last_sent_at,
                message_count=thread.message_count,
            )
            for key, thread in threads.items()
        ]
        result.sort(key=lambda summary: summary.last_sent_at, reverse=True)
        return result


class _Thread:
    """A thread's summary while ``History.threads`` reads its messages, oldest first."""

    __slots__ = (
        "external_thread_id",
        "last_event",
        "last_sent_at",
        "message_count",
        "status",
        "thread_id",
        "title",
    )

    def __init__(self, external_thread_id: str | None) -> None:
        self.external_thread_id = external_thread_id
        self.thread_id: str | None = None
        self.title: str | None = None
        self.status: tuple[str | None, str | None] = (None, None)
        self.message_count = 0
        self.last_event = ""
        self.last_sent_at = 0.0
