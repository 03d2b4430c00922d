"""Following Flowdock's Streaming API: the messages of some flows, as they are posted.

Qt-free. ``FlowStream.follow(token)`` opens ``GET <stream base>/flows?filter=...`` over httpx,
reads server-sent events (or Flowdock's JSON framing), and yields each message. When the
connection fails or drops it waits (the one backoff policy, ``api.retry.RetryPolicy``, with
jitter) and reconnects, resuming from the last event id so nothing is missed (SSE). A server
that takes the connection but does not start its answer within ``answer_timeout`` (one that
is stopping, starting or stuck) is hung up on and tried again like a dropped one. It stops
when its ``CancelToken`` is cancelled: cancelling shuts the socket down, which wakes whatever
waits on it (the answer's headers, the next event; a TCP connect ends by its own timeout).
``on_status`` hears "connecting", "live" and "waiting" (with the reason and the delay), so a
screen can say what is going on.

Flowdock served streams from their own host; the sandbox serves them under ``/stream``
(``stream_base_url``).
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import json
import logging
import socket
import sys
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import urlsplit

from flowdock_desktop.api.errors import (
    FlowdockError,
    NetworkError,
    error_from_exception,
    error_from_response,
)
from flowdock_desktop.api.retry import RetryPolicy
from flowdock_desktop.cancel import Cancelled, CancelToken

if TYPE_CHECKING:
    # httpx (and the client factory) load on the worker that follows the stream: the
    # composer imports this module on the GUI thread for its data types.
    import httpx

log = logging.getLogger(__name__)

__all__ = [
    "JSON_FRAMING",
    "SSE_FRAMING",
    "FlowStream",
    "StreamItem",
    "StreamStatus",
    "stream_base_url",
]

#: Flowdock's streaming host; any other API server is asked under ``<api>/stream``.
FLOWDOCK_API_HOST = "api.flowdock.com"
FLOWDOCK_STREAM_BASE = "https://stream.flowdock.com"

SSE_FRAMING = "text/event-stream"
JSON_FRAMING = "application/json"

#: Reconnecting: soon at first, then up to half a minute apart, never in step with others.
RECONNECT = RetryPolicy(max_attempts=sys.maxsize, base_delay=0.5, max_delay=30.0, jitter=0.5)

#: With no byte at all (not even a keep-alive) for this long, the connection is taken for dead.
IDLE_TIMEOUT = 30.0

#: From asking to the answer's headers (connecting included): longer, and the server is taken
#: for stuck. A stopping server's listen backlog takes a connection it will never answer.
ANSWER_TIMEOUT = 15.0


def stream_base_url(api_url: str) -> str:
    """Where the streams of the API at ``api_url`` are served."""
    parts = urlsplit(api_url)
    if parts.hostname == FLOWDOCK_API_HOST:
        return FLOWDOCK_STREAM_BASE
    return api_url.rstrip("/") + "/stream"


@dataclass(frozen=True)
class StreamItem:
    """One message from the stream, as the messages API shows it; ``event_id`` is the SSE id
    (None in the JSON framing)."""

    message: Mapping[str, Any]
    event_id: str | None = None


@dataclass(frozen=True)
class StreamStatus:
    """What the stream is doing: ``connecting``, ``live`` or ``waiting`` (``delay`` seconds
    before the next try, because of ``error``)."""

    state: Literal["connecting", "live", "waiting"]
    error: FlowdockError | None = None
    delay: float = 0.0

    @property
    def live(self) -> bool:
        return self.state == "live"


StatusHook = Callable[[StreamStatus], None]


class FlowStream:
    """The messages of ``flows`` (``org/flow`` slugs or flow ids) on one API server.

    ``auth`` authenticates as the person (a refreshing session, an API token). ``framing``
    is ``SSE_FRAMING`` (ids, resumable; the default) or ``JSON_FRAMING`` (Flowdock's
    original one, without ids). ``last_event_id`` resumes an earlier stream. ``idle_timeout``
    and ``answer_timeout`` are in seconds (see ``IDLE_TIMEOUT`` and ``ANSWER_TIMEOUT``).
    """

    def __init__(
        self,
        api_url: str,
        flows: Iterable[str],
        *,
        auth: httpx.Auth | None = None,
        framing: str = SSE_FRAMING,
        reconnect: RetryPolicy = RECONNECT,
        idle_timeout: float = IDLE_TIMEOUT,
        answer_timeout: float = ANSWER_TIMEOUT,
        last_event_id: str | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.flows = list(flows)
        if not self.flows:
            raise ValueError("a stream needs at least one flow")
        self.url = stream_base_url(api_url) + "/flows"
        self.auth = auth
        self.framing = framing
        self.reconnect = reconnect
        self.idle_timeout = idle_timeout
        self.answer_timeout = answer_timeout
        self.last_event_id = last_event_id
        self._transport = transport
        self._lock = threading.Lock()
        # The socket of the connection now in use (set as soon as it is connected), so a
        # cancel or the answer deadline can shut it down from another thread.
        self._socket: socket.socket | None = None
        self._answered = False
        self._no_answer = False

    def __repr__(self) -> str:
        return f"<FlowStream {self.url} {','.join(self.flows)}>"

    def follow(
        self, token: CancelToken, on_status: StatusHook | None = None
    ) -> Iterator[StreamItem]:
        """Every message from now on (and, when resuming, since ``last_event_id``), until
        ``token`` is cancelled (then ``Cancelled`` is raised). Reconnects by itself; raises
        the error when it is not worth retrying (401 after a refresh, 403, 404, 400)."""
        token.on_cancel(self._hang_up)
        reconnect = dataclasses.replace(self.reconnect, cancel=token)
        failures = 0
        import httpx

        from flowdock_desktop.api.http import create_http_client

        timeout = httpx.Timeout(connect=10.0, read=self.idle_timeout, write=10.0, pool=10.0)
        with create_http_client(auth=self.auth, timeout=timeout, transport=self._transport) as http:
            while True:
                token.raise_if_cancelled()
                _tell(on_status, StreamStatus("connecting"))
                try:
                    for item in self._connect(http, token, on_status):
                        failures = 0
                        yield item
                    error: FlowdockError = NetworkError("The stream ended; reconnecting.")
                except FlowdockError as exc:
                    error = exc
                token.raise_if_cancelled()
                failures += 1
                if not reconnect.should_retry(error, failures):
                    raise error
                delay = reconnect.delay(error, failures)
                log.info("stream %s: %s; again in %.1f s", self.flows, error.user_message, delay)
                _tell(on_status, StreamStatus("waiting", error, delay))
                if not reconnect.wait(delay):
                    raise Cancelled()

    def _connect(
        self, http: httpx.Client, token: CancelToken, on_status: StatusHook | None
    ) -> Iterator[StreamItem]:
        import httpx

        headers = {"Accept": self.framing, "Cache-Control": "no-cache"}
        if self.last_event_id is not None:
            headers["Last-Event-ID"] = self.last_event_id
        params = {"filter": ",".join(self.flows)}
        # httpcore's trace hook hands over each new connection's socket before the request is
        # sent, so the hang-up reaches a wait for the answer's headers, not only later reads.
        extensions = {"trace": functools.partial(self._trace, token)}
        with self._lock:
            self._answered = self._no_answer = False
        deadline = threading.Timer(self.answer_timeout, self._give_up_on_answer)
        deadline.daemon = True
        deadline.start()
        try:
            with http.stream(
                "GET", self.url, params=params, headers=headers, extensions=extensions
            ) as response:
                with self._lock:
                    self._answered = True
                deadline.cancel()
                if not response.is_success:
                    response.read()
                    raise error_from_response(response)
                # Cancelled while connecting, before there was a socket to shut down: it
                # must not read on (it held a background thread until its idle timeout).
                token.raise_if_cancelled()
                _tell(on_status, StreamStatus("live"))
                if self.framing == SSE_FRAMING:
                    yield from self._sse(response)
                else:
                    yield from _json_lines(response)
        except httpx.HTTPError as exc:
            if token.cancelled:
                raise Cancelled() from None
            if self._no_answer and not isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout):
                raise NetworkError(
                    # Callers add when it is tried again.
                    f"The stream server accepted the connection but did not answer within "
                    f"{self.answer_timeout:g} s."
                ) from None
            raise error_from_exception(exc) from None
        finally:
            deadline.cancel()

    def _sse(self, response: httpx.Response) -> Iterator[StreamItem]:
        for event in parse_sse(response.iter_lines()):
            if event.id is not None:
                self.last_event_id = event.id
            if event.event not in ("", "message"):
                continue
            message = _json_object(event.data)
            if message is not None:
                yield StreamItem(message, self.last_event_id)

    # -- cancelling a wait: connecting, the answer, the next event -------------------------

    def _trace(self, token: CancelToken, event: str, info: Mapping[str, Any]) -> None:
        """httpcore's trace hook: holds each new connection's socket, and its TLS socket once
        wrapped (wrapping detaches the plain one). A pooled connection's reused socket stays
        held, so the one held is the one in use."""
        if not event.endswith((".connect_tcp.complete", ".start_tls.complete")):
            return
        with self._lock:
            self._socket = info["return_value"].get_extra_info("socket")
            late = self._no_answer
        # Cancelled, or out of time, while connecting: nothing was there to shut down then.
        if token.cancelled or late:
            self._hang_up()

    def _give_up_on_answer(self) -> None:
        """The answer deadline passed (on the timer's thread): hang up unless it came."""
        with self._lock:
            if self._answered:
                return
            self._no_answer = True
        log.info("stream %s: no answer within %.1f s; hanging up", self.flows, self.answer_timeout)
        self._hang_up()

    def _hang_up(self) -> None:
        """Wake a read blocked on the server (the answer's headers, the next event): shutting
        the socket down ends it at once (closing the response from this thread would not). A
        TCP connect under way has no socket here yet; its connect timeout bounds it. A socket
        its connection has closed refuses with OSError, which is ignored."""
        with self._lock:
            raw = self._socket
        if raw is not None:
            with contextlib.suppress(OSError):
                raw.shutdown(socket.SHUT_RDWR)


def _tell(on_status: StatusHook | None, status: StreamStatus) -> None:
    if on_status is None:
        return
    try:
        on_status(status)
    except Exception:
        log.exception("stream status hook failed")


def _json_object(text: str) -> Mapping[str, Any] | None:
    try:
        value = json.loads(text)
    except ValueError:
        log.warning("stream: skipped an event that is not JSON")
        return None
    return value if isinstance(value, Mapping) else None


def _json_lines(response: httpx.Response) -> Iterator[StreamItem]:
    """Flowdock's JSON framing: an object per ``\\r\\n``-ended line, bare newlines between."""
    for line in response.iter_lines():
        if line.strip():
            message = _json_object(line)
            if message is not None:
                yield StreamItem(message)


@dataclass(frozen=True)
class SseEvent:
    event: str
    data: str
    id: str | None


def parse_sse(lines: Iterable[str]) -> Iterator[SseEvent]:
    """Server-sent events from lines without their endings (the WHATWG rules: comments,
    ``field: value`` with one optional space, ``data`` lines joined with newlines, an event
    dispatched at a blank line only when it has data; ``id`` persists across events)."""
    event, data, last_id = "", [], None
    for line in lines:
        if not line:
            if data:
                yield SseEvent(event, "\n".join(data), last_id)
            event, data = "", []
            continue
        if line.startswith(":"):
            continue
        name, _, value = line.partition(":")
        if value.startswith(" "):
            value = value[1:]
        if name == "data":
            data.append(value)
        elif name == "event":
            event = value
        elif name == "id" and "\0" not in value:
            last_id = value
