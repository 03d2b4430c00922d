"""The stream hub: the one place a stored message is handed to the streams that follow it.

Every message the sandbox stores is written by ``state.messages.store_message``, whose
transaction announces it (``Tx.announce``) once committed; the hub is that announcement's
listener. It wraps the message in a ``StreamEvent`` on the thread that committed it (the
database thread) and hands it to the event loop, where every open stream whose flows (or,
with ``user=1``, private conversations) include it gets it in its own queue. Whatever else
streams must see is announced the same way and never sent to them directly: Flowdock models
edits as messages of their own (``message-edit``, ``tag-change``), stored with
``store_message``; a change stored otherwise calls ``tx.announce(seq, build_view)``.

Streams are written in batches: a message goes out ``FLUSH_DELAY`` after it arrives, in one
write per stream with whatever else arrived meanwhile.

The event id of a stream (SSE ``id:``) is the message's ``seq``, one number over the whole
database that only grows, so a stream resumed with ``Last-Event-ID`` replays from the store
(``backlog``) exactly what it missed, in order, and nothing twice.

A reader that falls behind never holds anyone else up. Each stream's queue is bounded
(``queue_limit`` events); the hub only appends to it, never waits. A stream whose queue is
full is dropped from the hub at once (its pending events are discarded, so its memory is
freed) and its response ends; an SSE client resumes from its last id and loses nothing, a
JSON client (no ids) reconnects and continues from then on, as with Flowdock. A reader that
stops reading altogether leaves its answer blocked on a full socket: the server's write
timeout (``SandboxConfig.write_timeout``) closes that connection.

Presence (``activity.user``, ``sandbox/presence.py``) goes through the hub too, but never
through the store: a stream opened with ``active=`` announces its person to the other streams
of its flows when it opens and every ``presence_interval`` seconds while it is open, and a
posted ``activity.user`` goes to every stream of its flow. These events wait in the same
queues (and count against the same limit) as stored ones; they carry no SSE id.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import threading
import time
from collections import deque
from collections.abc import Iterable, Mapping
from functools import cached_property
from typing import Any

from flowdock_desktop.sandbox import presence
from flowdock_desktop.sandbox.state import ApiError, Tx, views

#: Stored messages replayed per database call when a stream resumes.
BACKLOG_PAGE = 200
#: Seconds between a message's arrival and the writes that carry it to the streams; what
#: arrives meanwhile shares those writes (far fewer system calls under load, and a delay
#: nobody notices).
FLUSH_DELAY = 0.01


class StreamEvent:
    """One stored message as streams send it; each encoding is made once for every stream."""

    def __init__(self, seq: int, view: Mapping[str, Any]) -> None:
        self.seq = seq
        self.view = view

    @property
    def flow_id(self) -> str | None:
        return self.view.get("flow")

    @cached_property
    def user_ids(self) -> frozenset[int]:
        """The two people of a private message (``user`` and ``to``); empty for flows."""
        if self.view.get("to") is None:
            return frozenset()
        ids = set()
        for key in ("user", "to"):
            with contextlib.suppress(TypeError, ValueError):
                ids.add(int(self.view[key]))
        return frozenset(ids)

    @cached_property
    def json_line(self) -> bytes:
        """Flowdock's JSON framing: the message and ``\\r\\n``."""
        return _dumps(self.view) + b"\r\n"

    @cached_property
    def sse_frame(self) -> bytes:
        """A server-sent event whose ``id`` is the message's ``seq``."""
        return b"id: %d\ndata: %s\n\n" % (self.seq, _dumps(self.view))


class PresenceEvent:
    """An ``activity.user`` event for the streams of one flow (``sandbox/presence.py``);
    never stored, so it has no place in the store: no SSE ``id``, and a stream that has
    replayed from the store never skips it as already sent."""

    seq = math.inf

    def __init__(self, view: Mapping[str, Any]) -> None:
        self.view = view

    @property
    def flow_id(self) -> str:
        return self.view["flow"]

    @cached_property
    def json_line(self) -> bytes:
        return _dumps(self.view) + b"\r\n"

    @cached_property
    def sse_frame(self) -> bytes:
        """Data only: a client's last id stays that of the last stored message it got."""
        return b"data: %s\n\n" % _dumps(self.view)


def _dumps(view: Mapping[str, Any]) -> bytes:
    # JSON escapes every line break, so the event is one line in either framing.
    return json.dumps(view, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


class StreamEnded(Exception):
    """The stream must end: its reader fell too far behind, or the server is stopping."""


class Subscriber:
    """One open stream: what it follows and the events waiting for its reader.

    Lives on the event loop. ``after_seq`` is the last event already sent by replaying the
    store, so the same event arriving live is skipped.
    """

    def __init__(
        self,
        flows: Iterable[str],
        user_id: int | None,
        client: str,
        framing: str,
        limit: int,
        *,
        person: int | None = None,
        presence: str | None = None,
        present_in: Iterable[str] | None = None,
    ) -> None:
        self.flows = frozenset(flows)
        #: The flows it shows its person present in: those followed that they have joined
        #: (all it follows when not said).
        self.present_in = self.flows if present_in is None else self.flows & set(present_in)
        #: Whose private messages it follows (``user=1``), or None.
        self.user_id = user_id
        #: Whose stream it is, and whether it shows them present (``active=``: ``presence.
        #: ACTIVE`` or ``IDLE``) in its flows; None: it says nothing about anyone.
        self.person = person
        self.presence = presence if person is not None and self.present_in else None
        #: When it last announced its person active (ms), for the admin read.
        self.last_activity: int | None = None
        self.client = client
        self.framing = framing
        self.after_seq = 0
        self.ended: str | None = None
        #: When the stream last sent something (monotonic seconds); keep-alives go by it.
        self.last_sent = time.monotonic()
        self._limit = max(1, limit)
        self._pending: deque[StreamEvent | PresenceEvent] = deque()
        self._wake = asyncio.Event()
        self._ping = False

    @property
    def queued(self) -> int:
        return len(self._pending)

    def wants(self, event: StreamEvent) -> bool:
        if event.seq <= self.after_seq:
            return False
        if event.flow_id is not None:
            return event.flow_id in self.flows
        return self.user_id is not None and self.user_id in event.user_ids

    def offer(self, event: StreamEvent | PresenceEvent) -> bool:
        """Queue ``event``; False (and the stream ends) when the queue is full."""
        if len(self._pending) >= self._limit:
            self.end("the reader fell too far behind")
            return False
        self._pending.append(event)
        return True

    def wake(self) -> None:
        """Write what is waiting (the hub calls this once per flush, not per event)."""
        if self._pending:
            self._wake.set()

    def end(self, reason: str) -> None:
        if self.ended is None:
            self.ended = reason
            self._pending.clear()
        self._wake.set()

    def ping(self) -> None:
        """Ask for a keep-alive (the stream has been quiet)."""
        self._ping = True
        self._wake.set()

    async def take(self) -> list[StreamEvent | PresenceEvent]:
        """Every waiting event, oldest first; [] when a keep-alive is due instead.

        Raises StreamEnded when the stream has to end.
        """
        while not self._pending and self.ended is None and not self._ping:
            self._wake.clear()
            await self._wake.wait()
        if self.ended is not None:
            raise StreamEnded(self.ended)
        self._ping = False
        self.last_sent = time.monotonic()
        events = [e for e in self._pending if e.seq > self.after_seq]
        self._pending.clear()
        return events


class StreamHub:
    """Hands announced messages to open streams; counts and caps them.

    ``announce`` is the store's listener and may be called from any thread; everything
    else runs on the event loop that serves the streams.
    """

    def __init__(
        self,
        *,
        queue_limit: int,
        max_streams: int,
        max_streams_per_client: int,
        keepalive: float,
        presence_interval: float = 60.0,
    ) -> None:
        self.queue_limit = queue_limit
        self.keepalive = keepalive
        self.presence_interval = max(0.01, presence_interval)
        self.max_streams = max(1, max_streams)
        self.max_streams_per_client = max(1, max_streams_per_client)
        self._subscribers: set[Subscriber] = set()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._closed = False
        self._pinger: asyncio.Task[None] | None = None
        self._flush: asyncio.TimerHandle | None = None
        self._beat: asyncio.Task[None] | None = None
        #: Presence posted as ``activity.user`` messages (any thread): (flow id, user id) ->
        #: (content, monotonic seconds when posted); forgotten ``2 * presence_interval`` on.
        self._posted: dict[tuple[str, int], tuple[dict[str, int], float]] = {}
        #: What presence has told of each person in each flow: (flow id, user id) ->
        #: (last ``last_activity`` ms or None, last event ms). Kept after their streams close,
        #: as Flowdock's user lists kept showing when someone was last seen.
        self._seen: dict[tuple[str, int], tuple[int | None, int]] = {}
        #: Guards ``_posted`` and ``_seen``, which the database thread reads and writes too.
        self._lock = threading.Lock()

    @property
    def open_streams(self) -> int:
        return len(self._subscribers)

    def listening(self) -> bool:
        """Whether any stream is open (the store builds message views only then)."""
        return bool(self._subscribers)

    def describe(self) -> list[dict[str, Any]]:
        """The open streams, for the admin API."""
        return [
            {
                "flows": sorted(s.flows),
                "private": s.user_id is not None,
                "client": s.client,
                "framing": s.framing,
                "queued": s.queued,
                "presence": s.presence,
            }
            for s in self._subscribers
        ]

    def present(self) -> list[dict[str, Any]]:
        """Who is present in which flow now, for the admin read: one entry per flow and
        person, from their open ``active=`` streams and their recent posted presence;
        ``flow`` is the flow's id, ``user`` the person's (as a string, as in events)."""
        found: dict[tuple[str, int], dict[str, Any]] = {}

        def entry(flow_id: str, person: int) -> dict[str, Any]:
            return found.setdefault(
                (flow_id, person),
                {"flow": flow_id, "user": str(person), "state": presence.IDLE,
                 "last_activity": None, "streams": 0, "posted": False},
            )  # fmt: skip

        def seen(item: dict[str, Any], state: str, last: int | None) -> None:
            if state == presence.ACTIVE:
                item["state"] = presence.ACTIVE
            if last is not None and (item["last_activity"] or 0) < last:
                item["last_activity"] = last

        for subscriber in self._subscribers:
            if subscriber.presence is None or subscriber.person is None:
                continue
            for flow_id in subscriber.present_in:
                item = entry(flow_id, subscriber.person)
                item["streams"] += 1
                seen(item, subscriber.presence, subscriber.last_activity)
        for (flow_id, person), (content, _at) in self._recent_posts().items():
            item = entry(flow_id, person)
            item["posted"] = True
            last = content.get("last_activity")
            seen(item, presence.ACTIVE if last is not None else presence.IDLE, last)
        return sorted(found.values(), key=lambda item: (item["flow"], int(item["user"])))

    def seen(self) -> dict[tuple[str, int], tuple[int | None, int]]:
        """What presence knows of people in flows (any thread): (flow id, user id) ->
        (``last_activity`` ms or None, ``last_ping`` ms), for flows' user lists."""
        with self._lock:
            return dict(self._seen)

    def _saw(self, flow_id: str, person: int, content: Mapping[str, Any], sent: int) -> None:
        last = content.get("last_activity")
        with self._lock:
            if last is None:
                last = self._seen.get((flow_id, person), (None, 0))[0]
            self._seen[(flow_id, person)] = (last, sent)

    def _recent_posts(self) -> dict[tuple[str, int], tuple[dict[str, int], float]]:
        forget_before = time.monotonic() - 2 * self.presence_interval
        with self._lock:
            for key in [k for k, (_c, at) in self._posted.items() if at < forget_before]:
                del self._posted[key]
            return dict(self._posted)

    # -- from the store (any thread) --------------------------------------------------------

    def announce(self, seq: int, view: Mapping[str, Any]) -> None:
        """A message was stored: hand it to the streams (on their event loop)."""
        loop = self._loop
        if loop is None or not self._subscribers:
            return
        # RuntimeError: the loop has closed, so there is nobody left to tell.
        with contextlib.suppress(RuntimeError):
            loop.call_soon_threadsafe(self._fan_out, StreamEvent(seq, view))

    def _fan_out(self, event: StreamEvent) -> None:
        for subscriber in list(self._subscribers):
            if subscriber.wants(event) and not subscriber.offer(event):
                self._subscribers.discard(subscriber)
        self._schedule_flush()

    def _schedule_flush(self) -> None:
        # Streams are written together a moment later, so the messages that arrive meanwhile
        # go out in the same writes: one write per stream per flush, not per message.
        if self._flush is None and self._loop is not None:
            self._flush = self._loop.call_later(FLUSH_DELAY, self._write_all)

    def _write_all(self) -> None:
        self._flush = None
        for subscriber in self._subscribers:
            subscriber.wake()

    # -- streams (on the event loop) --------------------------------------------------------

    def open(
        self,
        flows: Iterable[str],
        user_id: int | None,
        client: str,
        framing: str,
        *,
        person: int | None = None,
        presence: str | None = None,
        present_in: Iterable[str] | None = None,
    ) -> Subscriber:
        """Register a stream; 429 when the caps are reached, 503 while the server stops.

        ``person`` is whose stream it is; with ``presence`` (``active=``) the other streams
        of the flows they have joined (``present_in``, default every flow it follows) are
        told at once that they are present, and again every ``presence_interval`` seconds
        while it stays open."""
        self._loop = asyncio.get_running_loop()
        if self._closed:
            raise ApiError(503, "The sandbox is stopping")
        mine = sum(1 for s in self._subscribers if s.client == client)
        if len(self._subscribers) >= self.max_streams or mine >= self.max_streams_per_client:
            raise ApiError(
                429,
                "Too many open streams: close one, or follow several flows in one stream "
                "(filter=org/flow,org/other)",
                headers={"Retry-After": "5"},
            )
        subscriber = Subscriber(
            flows,
            user_id,
            client,
            framing,
            self.queue_limit,
            person=person,
            presence=presence,
            present_in=present_in,
        )
        self._subscribers.add(subscriber)
        if self._pinger is None or self._pinger.done():
            self._pinger = self._loop.create_task(self._keep_alive())
        if subscriber.presence is not None:
            self._announce_presence(subscriber)
            if self._beat is None or self._beat.done():
                self._beat = self._loop.create_task(self._presence_beat())
        return subscriber

    # -- presence (``activity.user``; see sandbox/presence.py) -------------------------------

    async def _presence_beat(self) -> None:
        """One timer for every present stream: each announces its person again every
        ``presence_interval`` seconds. Ends when no stream shows anyone present."""
        while any(s.presence is not None for s in self._subscribers):
            await asyncio.sleep(self.presence_interval)
            for subscriber in list(self._subscribers):
                if subscriber.presence is not None and subscriber in self._subscribers:
                    self._announce_presence(subscriber)

    def _announce_presence(self, origin: Subscriber) -> None:
        """Tell the other streams of ``origin``'s flows that its person is present."""
        assert origin.person is not None
        sent = presence.now_ms()
        content: dict[str, int] = {}
        if origin.presence == presence.ACTIVE:
            origin.last_activity = content["last_activity"] = sent
        for flow_id in sorted(origin.present_in):
            view = presence.event_view(flow_id, origin.person, content, sent)
            self._saw(flow_id, origin.person, content, sent)
            self._presence_out(PresenceEvent(view), origin)

    def post_presence(self, flow_id: str, person: int, content: dict[str, int]) -> dict:
        """A person posted ``activity.user`` to a flow (any thread): every stream of the
        flow gets it, and the admin read shows them there for ``2 * presence_interval``.
        Returns the event's view."""
        view = presence.event_view(flow_id, person, content, presence.now_ms())
        self._saw(flow_id, person, content, view["sent"])
        with self._lock:
            self._posted[(flow_id, person)] = (dict(content), time.monotonic())
        loop = self._loop
        if loop is not None and self._subscribers:
            with contextlib.suppress(RuntimeError):  # the loop has closed: nobody to tell
                loop.call_soon_threadsafe(self._presence_out, PresenceEvent(view), None)
        return view

    def _presence_out(self, event: PresenceEvent, origin: Subscriber | None) -> None:
        flow_id = event.flow_id
        for subscriber in list(self._subscribers):
            if subscriber is origin or flow_id not in subscriber.flows:
                continue
            if not subscriber.offer(event):
                self._subscribers.discard(subscriber)
        self._schedule_flush()

    async def _keep_alive(self) -> None:
        """One timer for every stream: each that has been quiet for ``keepalive`` seconds
        is asked for a keep-alive. Ends when no stream is left."""
        while self._subscribers:
            await asyncio.sleep(self.keepalive / 4)
            quiet_since = time.monotonic() - self.keepalive
            for subscriber in list(self._subscribers):
                if subscriber.last_sent <= quiet_since:
                    subscriber.ping()

    def close_stream(self, subscriber: Subscriber) -> None:
        self._subscribers.discard(subscriber)

    def close(self) -> None:
        """End every stream, now and from now on (the server is stopping); any thread."""
        self._closed = True
        loop = self._loop
        if loop is not None:
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(self._end_all)

    def _end_all(self) -> None:
        for subscriber in list(self._subscribers):
            subscriber.end("the server is stopping")
        self._subscribers.clear()


def backlog(tx: Tx, after_seq: int, flow_ids: Iterable[str], limit: int) -> list[StreamEvent]:
    """Stored messages of ``flow_ids`` after ``after_seq``, oldest first, at most ``limit``.

    A replayed thread message embeds the thread as it is now, not as it was when the
    message was posted (the store keeps only the current state).
    """
    flows = list(flow_ids)
    if not flows:
        return []
    marks = ",".join("?" * len(flows))
    rows = tx.all(
        f"SELECT * FROM messages WHERE seq > ? AND flow_id IN ({marks}) ORDER BY seq LIMIT ?",
        (after_seq, *flows, limit),
    )
    return [StreamEvent(row["seq"], views.message_view(tx, row)) for row in rows]
