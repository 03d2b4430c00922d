"""Flowdock's Streaming API: ``GET /stream/flows?filter=...`` and ``/stream/flows/:org/:flow``.

Flowdock served its streams from their own host (``https://stream.flowdock.com/flows``); the
sandbox serves them under ``/stream``, so ``FLOWDOCK_STREAM_URL=<base>/stream/flows`` points
Flowdock's own clients at it unchanged. The caller authenticates as on the REST API (Bearer,
HTTP Basic with an API token, ``access_token``), or with the web pages' browser session (the
team inbox page's live updates). Two framings, chosen by ``Accept`` (or ``accept=``):

- ``application/json`` (the default): one message as JSON and ``\\r\\n`` per event, and a bare
  ``\\n`` as keep-alive when the stream has been quiet for ``stream_keepalive`` seconds;
- ``text/event-stream``: server-sent events, each with ``id:`` (the message's place in the
  store) and ``data:``, a ``:`` comment as keep-alive; ``Last-Event-ID`` replays from the
  store what was missed (the JSON framing honours the header too, though it sends no ids;
  ``last_event_id=`` in the query does the same for a first connection).

Events are the stored messages as the messages API shows them; thread messages carry
``thread_id`` and the thread's state as that message left it. Who gets what, and what happens
to slow readers, is the hub's business (``sandbox/hub.py``).

A stream holds its connection for as long as it lasts. The connection limits of
``connections.py`` see it as busy, never idle: the request-head deadline stops once the
request is in, and the idle-connection eviction never picks it. The caps on streams
(``max_streams_per_client`` below ``max_connections_per_client``) keep room for a client's
ordinary requests, and the write timeout ends a stream whose reader stopped reading.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route
from starlette.types import Receive, Scope, Send

from flowdock_desktop.sandbox import presence
from flowdock_desktop.sandbox.api import credentials, sandbox_state
from flowdock_desktop.sandbox.hub import BACKLOG_PAGE, StreamEnded, StreamHub, Subscriber, backlog
from flowdock_desktop.sandbox.pages import page_session
from flowdock_desktop.sandbox.state import Tx, flows, not_found, validation_error, views
from flowdock_desktop.sandbox.state.principals import Credentials, Principal, authenticate

JSON = "json"
SSE = "sse"

_CONTENT_TYPES = {
    JSON: b"application/json; charset=utf-8",
    SSE: b"text/event-stream; charset=utf-8",
}
_KEEPALIVES = {JSON: b"\n", SSE: b": keep-alive\n\n"}
#: Flows one stream may follow.
MAX_FLOWS = 100


def stream_hub(request: Request) -> StreamHub:
    return request.app.state.hub


def _caller(request: Request) -> Credentials | Principal:
    """The REST API's credentials; without any, the web pages' browser session."""
    if "authorization" not in request.headers and "access_token" not in request.query_params:
        session = page_session(request)
        if session is not None:
            return Principal("user", user_id=session["user_id"], scopes=frozenset({"flow"}))
    return credentials(request)


def _framing(request: Request) -> str:
    accept = request.query_params.get("accept") or request.headers.get("accept", "")
    return SSE if "text/event-stream" in accept.lower() else JSON


def _last_event_id(request: Request) -> int | None:
    """The ``Last-Event-ID`` a reconnecting client sends, else ``last_event_id=`` in the query
    (a browser's ``EventSource`` cannot send the header on its first connection: the team inbox
    page names there what it already shows); one that is not ours is ignored."""
    value = request.headers.get("last-event-id", "").strip()
    value = value or request.query_params.get("last_event_id", "").strip()
    if value.isascii() and value.isdigit() and len(value) < 19:
        return int(value)
    return None


def _flag(request: Request, name: str) -> bool:
    value = request.query_params.get(name, "")
    return value.lower() not in ("", "0", "false", "no")


async def stream_flows(request: Request) -> Response | EventStream:
    """``GET /stream/flows?filter=org/flow,<flow id>`` (and ``user=1`` for private messages)."""
    wanted = [name.strip() for name in request.query_params.get("filter", "").split(",")]
    return await _open(request, [name for name in wanted if name])


async def stream_flow(request: Request) -> Response | EventStream:
    """``GET /stream/flows/:org/:flow``."""
    return await _open(request, [f"{request.path_params['org']}/{request.path_params['flow']}"])


async def _open(request: Request, wanted: list[str]) -> Response | EventStream:
    private = _flag(request, "user")
    if not wanted and not private:
        raise validation_error({"filter": ["give one or more flows (org/flow or flow ids)"]})
    if len(wanted) > MAX_FLOWS:
        raise validation_error({"filter": [f"can name at most {MAX_FLOWS} flows"]})
    shown = presence.stream_state(request.query_params.get("active"))
    caller = _caller(request)

    def work(tx: Tx) -> tuple[Principal, list[str], list[str]]:
        principal = caller if isinstance(caller, Principal) else authenticate(tx, caller)
        if principal.kind != "user":
            raise not_found()  # a flow token names a source, which has no streams
        principal.require_scope("flow")
        flow_ids: list[str] = []
        for name in wanted:
            # A flow the caller cannot see answers as one that does not exist.
            flow_id = flows.by_path_or_id(tx, name)
            flow_ids.append(flows.user_flow(tx, principal, flow_id)["id"])
        flow_ids = list(dict.fromkeys(flow_ids))
        # A person is shown present only where they could post: Flowdock answered 403 to a
        # post (``activity.user`` included) in a flow they had not joined or were blocked
        # from, so their stream reads such a flow but says nothing of them there.
        joined = [fid for fid in flow_ids if flows.can_post(tx, principal, fid)]
        return principal, flow_ids, joined

    principal, flow_ids, joined = await sandbox_state(request).call(work)
    client = request.client.host if request.client else ""
    subscriber = stream_hub(request).open(
        flow_ids,
        principal.user_id if private else None,
        client,
        _framing(request),
        person=principal.user_id,
        presence=shown,
        present_in=joined,
    )
    return EventStream(subscriber, principal, resume_after=_last_event_id(request))


class EventStream:
    """The streaming answer: replay (when resuming), then live events and keep-alives,
    until the client goes away or the hub ends the stream. Always leaves the hub."""

    def __init__(
        self,
        subscriber: Subscriber,
        principal: Principal,
        *,
        resume_after: int | None,
    ) -> None:
        self.subscriber = subscriber
        self.principal = principal
        self.resume_after = resume_after

    def _encode(self, events: list[Any]) -> bytes:
        if self.subscriber.framing == SSE:
            return b"".join(e.sse_frame for e in events)
        return b"".join(e.json_line for e in events)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope)
        hub = stream_hub(request)
        try:
            framing = self.subscriber.framing
            headers = [
                (b"content-type", _CONTENT_TYPES[framing]),
                (b"cache-control", b"no-cache"),
                (b"x-accel-buffering", b"no"),
                # A stream is one answer: when it ends, so does its connection.
                (b"connection", b"close"),
                (b"flowdock-user", str(self.principal.user_id).encode("ascii")),
            ]
            await send({"type": "http.response.start", "status": 200, "headers": headers})
            pump = asyncio.ensure_future(self._pump(request, send))
            gone = asyncio.ensure_future(_until_disconnect(receive))
            _done, pending = await asyncio.wait({pump, gone}, return_when=asyncio.FIRST_COMPLETED)
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
            if pump.done() and not pump.cancelled():
                pump.result()
        finally:
            hub.close_stream(self.subscriber)

    async def _pump(self, request: Request, send: Send) -> None:
        subscriber = self.subscriber
        if self.resume_after is not None:
            await self._replay(request, send)
        while True:
            try:
                events = await subscriber.take()
            except StreamEnded:
                break
            body = self._encode(events) if events else _KEEPALIVES[subscriber.framing]
            await send({"type": "http.response.body", "body": body, "more_body": True})
        await send({"type": "http.response.body", "body": b"", "more_body": False})

    async def _replay(self, request: Request, send: Send) -> None:
        """Send what was stored after ``resume_after``, page by page, from the store; live
        events that arrive meanwhile wait in the queue and duplicates are skipped."""
        subscriber, state = self.subscriber, sandbox_state(request)
        after = self.resume_after or 0
        subscriber.after_seq = after
        while True:
            events = await state.call(backlog, after, subscriber.flows, BACKLOG_PAGE)
            if events:
                after = subscriber.after_seq = events[-1].seq
                await send({"type": "http.response.body", "body": self._encode(events),
                            "more_body": True})  # fmt: skip
            if len(events) < BACKLOG_PAGE:
                return


async def _until_disconnect(receive: Receive) -> None:
    """Return when the client has gone away."""
    # A GET with a body that is too large or too slow ends the stream as well.
    with contextlib.suppress(Exception):
        while (await receive())["type"] != "http.disconnect":
            pass


async def open_streams(request: Request) -> Response:
    """``GET /sandbox/streams``: the streams open now (admin API)."""
    hub = stream_hub(request)
    return JSONResponse({"open": hub.open_streams, "streams": hub.describe()})


async def present(request: Request) -> Response:
    """``GET /sandbox/presence``: who is present in which flow now (admin API), with each
    flow's ``org/flow`` and each person's nick."""
    entries = stream_hub(request).present()

    def work(tx: Tx) -> list[dict[str, Any]]:
        for entry in entries:
            entry["flow_path"] = views.flow_path(tx, entry["flow"])
            entry["nick"] = tx.value("SELECT nick FROM users WHERE id = ?", (int(entry["user"]),))
        return entries

    return JSONResponse({"present": await sandbox_state(request).call(work)})


routes: list[BaseRoute] = [
    Route("/stream/flows", stream_flows, methods=["GET"]),
    Route("/stream/flows/{org}/{flow}", stream_flow, methods=["GET"]),
    Route("/sandbox/streams", open_streams, methods=["GET"]),
    Route("/sandbox/presence", present, methods=["GET"]),
]
