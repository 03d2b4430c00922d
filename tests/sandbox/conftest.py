"""Fixtures for the sandbox tests: live servers on loopback and an in-process client."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import queue
import secrets
import socket
import threading
import time
import warnings
from collections.abc import Callable, Iterator
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from flowdock_desktop.sandbox import SandboxConfig, SandboxServer, create_app
from flowdock_desktop.sandbox.seed import (
    DEMO_API_TOKEN,
    DEMO_CLIENT_ID,
    DEMO_CLIENT_SECRET,
    DEMO_REDIRECT_URI,
    SECOND_USER_API_TOKEN,
)

with warnings.catch_warnings():
    # Starlette 1.x nudges towards httpx2 for its TestClient; httpx works the same here.
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from starlette.testclient import TestClient

API_AUTH = httpx.BasicAuth(DEMO_API_TOKEN, "x")
#: The second seeded user, Sam (a member of Main and Random).
SAM_AUTH = httpx.BasicAuth(SECOND_USER_API_TOKEN, "x")


@pytest.fixture(scope="module")
def live() -> Iterator[SandboxServer]:
    """A running sandbox shared by one test module (not auto-approving)."""
    with SandboxServer(SandboxConfig()) as server:
        yield server


@pytest.fixture
def make_server() -> Iterator[Callable[..., SandboxServer]]:
    """Start sandboxes with a given config; all are stopped after the test."""
    started: list[SandboxServer] = []

    def factory(config: SandboxConfig | None = None, **kwargs) -> SandboxServer:
        server = SandboxServer(config or SandboxConfig(), **kwargs).start()
        started.append(server)
        return server

    yield factory
    for server in started:
        server.stop()


@pytest.fixture
def http(make_server) -> Iterator[httpx.Client]:
    """A client of a sandbox of this test's own (for tests that change the seed's flows,
    people or messages), signed in as the demo user; ``http.server`` is the server."""
    server = make_server()
    with httpx.Client(base_url=server.base_url, auth=API_AUTH, timeout=20) as http:
        http.server = server  # type: ignore[attr-defined]
        yield http


@pytest.fixture
def client(live: SandboxServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=live.base_url, timeout=5) as http:
        yield http


@pytest.fixture
def in_process() -> Iterator[TestClient]:
    """The app without a socket, for fast many-request tests."""
    # A loopback base URL: the sandbox refuses Host names it is not known by.
    with TestClient(
        create_app(), base_url="http://127.0.0.1", raise_server_exceptions=True
    ) as test_client:
        yield test_client


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
    return verifier, challenge.rstrip(b"=").decode()


def authorize_params(challenge: str | None = None, **extra: str) -> dict[str, str]:
    params = {
        "client_id": DEMO_CLIENT_ID,
        "response_type": "code",
        "redirect_uri": DEMO_REDIRECT_URI,
        "scope": "flow profile integration offline_access",
        "state": "xyz-state",
    }
    if challenge:
        params.update(code_challenge=challenge, code_challenge_method="S256")
    params.update(extra)
    return params


def redirect_query(response: httpx.Response) -> dict[str, str]:
    assert response.status_code in (302, 303, 307), response.text
    return {k: v[0] for k, v in parse_qs(urlsplit(response.headers["location"]).query).items()}


def token_request(http: httpx.Client, json_reply: bool = True, **fields: str) -> httpx.Response:
    body = {"client_id": DEMO_CLIENT_ID, "client_secret": DEMO_CLIENT_SECRET, **fields}
    headers = {"Accept": "application/json"} if json_reply else {}
    return http.post("/oauth/token", data=body, headers=headers)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def create_source(http: httpx.Client, name: str = "CI", flow: str = "acme/main") -> dict:
    response = http.post(f"/flows/{flow}/sources", json={"name": name}, auth=API_AUTH)
    assert response.status_code == 201, response.text
    return response.json()


def activity(flow_token: str, external_thread_id: str = "pr:1", **overrides) -> dict:
    message = {
        "flow_token": flow_token,
        "event": "activity",
        "author": {"name": "Ann"},
        "title": "Opened pull request",
        "external_thread_id": external_thread_id,
        "thread": {
            "title": "Fix bug",
            "status": {"color": "green", "value": "open"},
            "fields": [{"label": "Severity", "value": "high"}],
            "actions": [{"@type": "ViewAction", "name": "Diff", "url": "https://example.com/d"}],
        },
    }
    message.update(overrides)
    return message


# ---------------------------------------------------------------------- streams

WAIT = 10.0
SSE = {"Accept": "text/event-stream"}


class Reader:
    """A stream read on a background thread: ``start`` returns once the answer's head is in
    (the stream is subscribed then), ``chunks`` collects what arrives, as it arrives."""

    def __init__(self, url: str, **request) -> None:
        self.url = url
        self.request = request
        self.chunks: queue.Queue[bytes | None] = queue.Queue()
        self.response: httpx.Response | None = None
        self._ready = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self.buffer = bytearray()
        self._seen: dict[bytes, int] = {}

    def start(self) -> Reader:
        self._thread.start()
        assert self._ready.wait(WAIT), "the stream did not answer"
        return self

    def _run(self) -> None:
        try:
            with httpx.stream("GET", self.url, timeout=WAIT, **self.request) as response:
                self.response = response
                self._ready.set()
                for chunk in response.iter_raw():
                    self.chunks.put(chunk)
                    if self._stop.is_set():
                        return
        except httpx.HTTPError:
            pass
        finally:
            self._ready.set()
            self.chunks.put(None)

    def read_until(self, marker: bytes, count: int) -> bytes:
        """Everything read so far once ``marker`` has arrived ``count`` times."""
        deadline = time.monotonic() + WAIT
        self._seen.setdefault(marker, self.buffer.count(marker))
        while self._seen[marker] < count:
            try:
                chunk = self.chunks.get(timeout=max(0.01, deadline - time.monotonic()))
            except queue.Empty:
                pytest.fail(f"the stream did not deliver in time; got {self.buffer[-300:]!r}")
            if chunk is None:
                pytest.fail(f"the stream ended early; got {self.buffer[-300:]!r}")
            start = len(self.buffer)
            self.buffer += chunk
            for seen in self._seen:
                # Count only what ends in the new chunk (long streams stay linear).
                self._seen[seen] += self.buffer.count(seen, max(0, start - len(seen) + 1))
        return bytes(self.buffer)

    def json_events(self, count: int) -> list[dict]:
        data = self.read_until(b"\r\n", count)
        return [json.loads(part) for part in data.split(b"\r\n")[:count]]

    def sse_events(self, count: int) -> list[tuple[int, dict]]:
        data = self.read_until(b"\ndata: ", count)
        events = []
        for frame in data.split(b"\n\n"):
            fields = dict(line.split(b": ", 1) for line in frame.split(b"\n") if b": " in line)
            if b"data" in fields:
                events.append((int(fields[b"id"]), json.loads(fields[b"data"])))
        return events[:count]

    def stop(self) -> None:
        """Hang up at once (closing the answer from another thread would not wake the
        reading thread; shutting the socket down does)."""
        self._stop.set()
        if self.response is not None:
            raw = self.response.extensions["network_stream"].get_extra_info("socket")
            with contextlib.suppress(OSError):
                raw.shutdown(socket.SHUT_RDWR)
        self._thread.join(WAIT)


@pytest.fixture
def readers() -> Iterator[Callable[..., Reader]]:
    opened: list[Reader] = []

    def open_reader(url: str, **request) -> Reader:
        request.setdefault("auth", API_AUTH)
        reader = Reader(url, **request).start()
        opened.append(reader)
        return reader

    yield open_reader
    for reader in opened:
        reader.stop()


def wait_for(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + WAIT
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.02)
