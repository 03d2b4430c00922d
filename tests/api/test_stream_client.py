"""The core stream client against the real sandbox: delivery, both framings, resume, cancel."""

from __future__ import annotations

import queue
import socket
import ssl
import threading
from collections.abc import Iterator

import httpx
import pytest
import trustme

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
    # A stopping server may take a reconnect into its listen backlog and never answer it:
    # given up on after two seconds here (and tried again), well within WAIT.
    stream = FlowStream(
        first.base_url, ["acme/main"], auth=AUTH, reconnect=QUICK, answer_timeout=2.0
    )
    following = Following(stream)
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


@pytest.fixture
def silent() -> Iterator[socket.socket]:
    """A port that takes connections (the kernel's listen backlog) but never answers: a
    server that is stopping, starting or stuck."""
    with socket.create_server(("127.0.0.1", 0)) as listening:
        yield listening


@pytest.mark.parametrize("scheme", ["http", "https"])
def test_a_stream_waiting_for_an_answer_stops_when_cancelled(silent, scheme) -> None:
    """Connected, request sent, no answer yet: the cancel's hang-up must reach that socket
    too (it used to wait for the idle timeout, holding one of the GUI's few threads). Over
    TLS the socket to shut down is the wrapped one."""
    transport, server_tls = None, None
    if scheme == "https":
        ca = trustme.CA()
        client_tls = ssl.create_default_context()
        ca.configure_trust(client_tls)
        transport = httpx.HTTPTransport(verify=client_tls)
        server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ca.issue_cert("127.0.0.1").configure_cert(server_tls)
    base = f"{scheme}://127.0.0.1:{silent.getsockname()[1]}"
    stream = FlowStream(
        base, ["acme/main"], auth=AUTH, idle_timeout=600, answer_timeout=600, transport=transport
    )
    following = Following(stream)
    silent.settimeout(WAIT)
    accepted, _ = silent.accept()
    accepted.settimeout(WAIT)
    if server_tls is not None:
        accepted = server_tls.wrap_socket(accepted, server_side=True)
    with accepted:
        request = b""
        while b"\r\n\r\n" not in request:
            request += accepted.recv(4096)
        assert request.startswith(b"GET /stream/flows?filter=acme%2Fmain ")
        assert isinstance(following.stop(), Cancelled)
    assert [s.state for s in following.statuses.queue] == ["connecting"]


def test_a_server_that_never_answers_is_waited_for_and_tried_again(silent) -> None:
    base = f"http://127.0.0.1:{silent.getsockname()[1]}"
    stream = FlowStream(base, ["acme/main"], auth=AUTH, reconnect=QUICK, answer_timeout=0.5)
    following = Following(stream)
    try:
        waiting = following.wait_status("waiting")
        assert waiting.error is not None
        assert "did not answer" in waiting.error.user_message
        following.wait_status("connecting")  # and tries again
        assert following.wait_status("waiting").error is not None
    finally:
        assert isinstance(following.stop(), Cancelled)
    assert following.items.empty()
