"""Fixtures for the sandbox tests: live servers on loopback and an in-process client."""

from __future__ import annotations

import base64
import hashlib
import secrets
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
