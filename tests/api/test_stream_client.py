"""The core stream client against the real sandbox: delivery, both framings, resume, cancel."""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator

import httpx
import pytest

from flowdock_desktop.api.errors import AuthenticationError, NotFoundError
from flowdock_desktop.api.retry import RetryPolicy
from flowdock_desktop.api.stream import (
    JSON_FRAMING,
    FlowStream,
    StreamStatus,
    parse_sse,
    stream_base_url,
)
from flowdock_desktop.cancel import Cancelled, CancelToken
from flowdock_desktop.sandbox import SandboxConfig, SandboxServer
from flowdock_desktop.sandbox.seed import DEMO_API_TOKEN
from flowdock_desktop.testing import drop_streams
from tests.sandbox.conftest import make_server  # noqa: F401 (a fixture, named by the test)

WAIT = 10.0
AUTH = httpx.BasicAuth(DEMO_API_TOKEN, "x")
QUICK = RetryPolicy(max_attempts=50, base_delay=0.05, max_delay=0.5, jitter=0.5)


@pytest.fixture(scope="module")
def server() -> Iterator[SandboxServer]:
    with SandboxServer(SandboxConfig(stream_keepalive=0.5)) as running:
        yield running


class Following:
    """``FlowStream.follow`` on a background thread; items and statuses in queues."""

    def __init__(self, stream: FlowStream) -> None:
        self.stream = stream
        self.token = CancelToken()
        self.items: queue.Queue = queue.Queue()
        self.statuses: queue.Queue[StreamStatus] = queue.Queue()
        self.outcome: BaseException | None = None
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            for item in self.stream.follow(self.token, self.statuses.put):
                self.items.put(item)
        except BaseException as exc:
            self.outcome = exc

    def wait_status(self, state: str) -> StreamStatus:
        while True:
            status = self.statuses.get(timeout=WAIT)
            if status.state == state:
                return status

    def take(self, count: int) -> list:
        return [self.items.get(timeout=WAIT) for _ in range(count)]

    def stop(self) -> BaseException | None:
        self.token.cancel()
        self._thread.join(WAIT)
        assert not self._thread.is_alive(), "the stream did not stop when cancelled"
        return self.outcome


def say(http: httpx.Client, text: str, flow: str = "acme/main") -> dict:
    answer = http.post(
        f"/flows/{flow}/messages",
        json={"event": "message", "content": text},
        headers={"X-flowdock-wait-for-message": "1"},
    )
    assert answer.status_code == 201, answer.text
    return answer.json()


@pytest.fixture
def http(server) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.base_url, auth=AUTH, timeout=WAIT) as client:
        yield client


def test_stream_base_url() -> None:
    assert stream_base_url("https://api.flowdock.com") == "https://stream.flowdock.com"
    assert stream_base_url("http://127.0.0.1:8766/") == "http://127.0.0.1:8766/stream"


def test_parse_sse_follows_the_rules() -> None:
    lines = [
        ": a comment",
        "id: 7",
        "data: first",
        "data:second",
        "",
        "",  # a blank line with nothing gathered dispatches nothing
        "event: ping",
        "data: {}",
        "",
        "data: no id given keeps the last",
        "",
        "id: 8\0bad",
        "data: x",
    ]
    events = list(parse_sse(lines))
    assert [(e.event, e.data, e.id) for e in events] == [
        ("", "first\nsecond", "7"),
        ("ping", "{}", "7"),
        ("", "no id given keeps the last", "7"),
    ]


@pytest.mark.parametrize("framing", ["text/event-stream", JSON_FRAMING])
def test_follow_delivers_messages_posted_after_connecting(server, http, framing) -> None:
    following = Following(FlowStream(server.base_url, ["acme/main"], auth=AUTH, framing=framing))
    try:
        following.wait_status("live")
        posted = [say(http, f"{framing} {n}") for n in range(3)]
        items = following.take(3)
    finally:
        assert isinstance(following.stop(), Cancelled)
    assert [dict(i.message) for i in items] == posted
    if framing == JSON_FRAMING:
        assert {i.event_id for i in items} == {None}
    else:
        ids = [int(i.event_id) for i in items]
        assert ids == sorted(ids) and len(set(ids)) == 3


def test_resume_after_a_dropped_connection_loses_nothing(server, http) -> None:
    following = Following(FlowStream(server.base_url, ["acme/main"], auth=AUTH, reconnect=QUICK))
    try:
        following.wait_status("live")
        before = [say(http, f"before {n}") for n in range(2)]
        assert [i.message["id"] for i in following.take(2)] == [m["id"] for m in before]

        assert drop_streams(server) == 1
        during = [say(http, f"while reconnecting {n}") for n in range(3)]
        waiting = following.wait_status("waiting")
        assert waiting.error is not None and waiting.delay <= QUICK.max_delay
        following.wait_status("live")
        after = say(http, "after")
        items = following.take(4)
    finally:
        following.stop()
    assert [i.message["id"] for i in items] == [m["id"] for m in [*during, after]]
    assert following.items.empty()  # nothing twice


def test_errors_not_worth_retrying_end_the_stream(server) -> None:
    missing = Following(FlowStream(server.base_url, ["acme/nope"], auth=AUTH))
    missing._thread.join(WAIT)
    assert isinstance(missing.outcome, NotFoundError)
    wrong = Following(FlowStream(server.base_url, ["acme/main"], auth=httpx.BasicAuth("no", "x")))
    wrong._thread.join(WAIT)
    assert isinstance(wrong.outcome, AuthenticationError)
    assert "sign" in wrong.outcome.user_message.lower()


def test_a_stopped_server_is_retried_until_it_is_back(make_server) -> None:  # noqa: F811
    first = make_server(SandboxConfig(stream_keepalive=0.5))
    port = first.port
    following = Following(FlowStream(first.base_url, ["acme/main"], auth=AUTH, reconnect=QUICK))
    try:
        following.wait_status("live")
        first.stop()
        assert following.wait_status("waiting").error is not None
        again = make_server(SandboxConfig(stream_keepalive=0.5), port=port)
        following.wait_status("live")
        with httpx.Client(base_url=again.base_url, auth=AUTH, timeout=WAIT) as http:
            posted = say(http, "back again")
        (item,) = following.take(1)
        assert item.message["id"] == posted["id"]
    finally:
        assert isinstance(following.stop(), Cancelled)


def test_a_stream_cancelled_while_connecting_stops_once_connected(server) -> None:
    """Cancelled before its socket exists (so there is nothing to shut down yet), the stream
    stops as soon as it has connected instead of reading on: it used to hold its background
    thread until the idle timeout, and the GUI has only six."""
    token = CancelToken()
    states: list[str] = []

    def on_status(status: StreamStatus) -> None:
        states.append(status.state)
        if status.state == "connecting":
            token.cancel()  # the window closed while the stream was connecting

    outcome: list[BaseException] = []

    def run() -> None:
        try:
            for _ in FlowStream(server.base_url, ["acme/main"], auth=AUTH).follow(token, on_status):
                pass
        except BaseException as exc:
            outcome.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(WAIT)
    assert not thread.is_alive(), "the cancelled stream went on reading"
    assert len(outcome) == 1 and isinstance(outcome[0], Cancelled)
    assert "live" not in states
