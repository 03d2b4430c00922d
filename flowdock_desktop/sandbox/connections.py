"""Connection limits under uvicorn: a deadline for request headers and caps on open connections.

uvicorn alone waits forever for a request that never finishes its headers, and accepts
connections until the process runs out of file descriptors, after which nothing is answered
at all. ``GuardedH11Protocol`` (uvicorn's h11 protocol with these limits) and
``ConnectionLimits`` (shared by every connection of one server) stop both:

- a connection has ``header_timeout`` seconds, from connecting or from the end of its
  previous answer, to send a complete request head; then it is closed (with 408 when it
  had started one);
- an answer the client stops reading (the socket's buffers full) may wait ``write_timeout``
  seconds for it to read again; then the connection is dropped. This is what ends a stream
  (``stream.py``) whose reader has stalled; ordinary answers fit in the buffers;
- one client address may hold ``per_client`` connections and everyone together ``total``
  (never more than the open-files limit leaves room for); a new connection over a cap
  closes the longest-idle connection of that address (or of the busiest address), and is
  refused with 503 only when every one of them is busy with a request.
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

from uvicorn.protocols.http.h11_impl import H11Protocol

#: How many connections the accept loop takes per wake-up (uvicorn's ``backlog``).
ACCEPT_BATCH = 128


def open_files_budget(default: int = 100_000) -> int:
    """Connections that fit in the open-files limit, leaving room for connections accepted
    but not yet counted (a few accept batches) and for the process's own files."""
    try:
        import resource
    except ImportError:  # Windows: no such limit on sockets
        return default
    soft, _hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY:
        return default
    return max(16, soft - 3 * ACCEPT_BATCH - 64)


def _raw_answer(status: str, message: str) -> bytes:
    body = json.dumps({"message": message}).encode("ascii")
    head = (
        f"HTTP/1.1 {status}\r\ncontent-type: application/json\r\nconnection: close\r\n"
        f"content-length: {len(body)}\r\n\r\n"
    )
    return head.encode("ascii") + body


TIMEOUT_ANSWER = _raw_answer("408 Request Timeout", "The request took too long to arrive")
BUSY_ANSWER = _raw_answer("503 Service Unavailable", "Too many connections; try again")


class ConnectionLimits:
    """The open connections of one server, by client address, and the caps on them."""

    def __init__(
        self,
        *,
        header_timeout: float,
        per_client: int,
        total: int,
        write_timeout: float = 30.0,
    ) -> None:
        self.header_timeout = header_timeout
        self.write_timeout = write_timeout
        self.per_client = max(1, per_client)
        self.total = max(1, min(total, open_files_budget()))
        self._by_client: dict[str, set[GuardedH11Protocol]] = {}
        self._count = 0

    @property
    def open_connections(self) -> int:
        return self._count

    def admit(self, connection: GuardedH11Protocol) -> bool:
        """Count a new connection, making room by closing idle ones; False to refuse it."""
        mine = self._by_client.get(connection.client_host, set())
        if len(mine) >= self.per_client and not self._close_longest_idle(mine):
            return False
        if self._count >= self.total:
            busiest = max(self._by_client.values(), key=len)
            if not self._close_longest_idle(busiest):
                return False
        self._by_client.setdefault(connection.client_host, mine).add(connection)
        self._count += 1
        return True

    def release(self, connection: GuardedH11Protocol) -> None:
        mine = self._by_client.get(connection.client_host)
        if mine is not None and connection in mine:
            mine.discard(connection)
            self._count -= 1
            if not mine:
                del self._by_client[connection.client_host]

    def _close_longest_idle(self, connections: set[GuardedH11Protocol]) -> bool:
        idle = [c for c in connections if c.idle_since is not None]
        if not idle:
            return False
        victim = min(idle, key=lambda c: c.idle_since or 0.0)
        self.release(victim)
        victim.close_idle()
        return True


class GuardedH11Protocol(H11Protocol):
    """uvicorn's h11 protocol with a request-head deadline and connection caps."""

    def __init__(self, *args: Any, limits: ConnectionLimits, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.limits = limits
        self.client_host = ""
        #: When the connection started waiting for a request (None while one is served).
        self.idle_since: float | None = time.monotonic()
        self._bytes_waiting = 0
        self._deadline: asyncio.TimerHandle | None = None
        self._write_deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        peer = transport.get_extra_info("peername")
        self.client_host = str(peer[0]) if isinstance(peer, tuple) and peer else ""
        if not self.limits.admit(self):
            self.idle_since = None
            transport.write(BUSY_ANSWER)
            transport.close()
            return
        self._start_waiting()

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_deadline()
        self._cancel_write_deadline()
        self.limits.release(self)
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self.idle_since is not None:
            self._bytes_waiting += len(data)
        cycle = self.cycle
        super().data_received(data)
        if self.cycle is not cycle:
            # A request head arrived: the app has it now; the body has its own limit.
            self._cancel_deadline()
            self.idle_since = None

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing():
            self._start_waiting()

    def pause_writing(self) -> None:
        super().pause_writing()
        if self._write_deadline is None:
            self._write_deadline = self.loop.call_later(
                self.limits.write_timeout, self._stalled_reader
            )

    def resume_writing(self) -> None:
        self._cancel_write_deadline()
        super().resume_writing()

    def _stalled_reader(self) -> None:
        # The client has not read its answer for write_timeout seconds: the data waiting
        # for it cannot go anywhere, so drop the connection rather than keep the answer.
        self._write_deadline = None
        if not self.transport.is_closing():
            self.transport.abort()

    def _cancel_write_deadline(self) -> None:
        if self._write_deadline is not None:
            self._write_deadline.cancel()
            self._write_deadline = None

    def close_idle(self) -> None:
        """Close this connection to make room for another (it was waiting, not serving)."""
        self._cancel_deadline()
        if not self.transport.is_closing():
            self.transport.close()

    def _start_waiting(self) -> None:
        self.idle_since = time.monotonic()
        self._bytes_waiting = 0
        self._cancel_deadline()
        self._deadline = self.loop.call_later(self.limits.header_timeout, self._too_slow)

    def _too_slow(self) -> None:
        self._deadline = None
        if self.transport.is_closing():
            return
        if self.cycle is not None and not self.cycle.response_complete:
            return  # a request is being served after all
        if self._bytes_waiting:
            self.transport.write(TIMEOUT_ANSWER)
        self.transport.close()

    def _cancel_deadline(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None
