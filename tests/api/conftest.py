"""Fixtures for API client tests: one real sandbox server per module, reset before each test."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import httpx
import pytest

from flowdock_desktop.api.client import FlowdockClient
from flowdock_desktop.api.retry import RetryPolicy


class BearerAuth(httpx.Auth):
    """OAuth access token in the Authorization header (the auth package has the real one)."""

    def __init__(self, token: str) -> None:
        self._token = token

    def __repr__(self) -> str:
        return "BearerAuth(•••)"

    def auth_flow(self, request: httpx.Request):
        request.headers["Authorization"] = f"Bearer {self._token}"
        yield request


@pytest.fixture
def bearer() -> type[BearerAuth]:
    """``bearer(token)`` builds Bearer auth for a token minted from the sandbox state."""
    return BearerAuth


@pytest.fixture(scope="module")
def sandbox_server():
    from flowdock_desktop.sandbox import SandboxConfig
    from flowdock_desktop.sandbox.server import SandboxServer

    server = SandboxServer(config=SandboxConfig(auto_approve=True))
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def sandbox(sandbox_server):
    """The module's server, back at its seed data with no faults armed."""
    with httpx.Client(base_url=sandbox_server.base_url) as admin:
        admin.post("/sandbox/reset").raise_for_status()
        admin.delete("/sandbox/faults").raise_for_status()
    return sandbox_server


@pytest.fixture
def slept() -> list[float]:
    """The waits the retry policy asked for (no test really sleeps)."""
    return []


@pytest.fixture
def make_client(sandbox, slept) -> Iterator[Callable[..., FlowdockClient]]:
    """``make_client(auth=..., retry=..., **kwargs)``; defaults to the demo API token."""
    from flowdock_desktop.sandbox import seed

    made: list[FlowdockClient] = []

    def build(**kwargs) -> FlowdockClient:
        kwargs.setdefault("auth", httpx.BasicAuth(seed.DEMO_API_TOKEN, "x"))
        kwargs.setdefault("retry", RetryPolicy(sleep=slept.append, max_attempts=4))
        client = FlowdockClient(sandbox.base_url, **kwargs)
        made.append(client)
        return client

    yield build
    for client in made:
        client.close()


@pytest.fixture
def client(make_client) -> FlowdockClient:
    return make_client()


@pytest.fixture
def admin(sandbox) -> Iterator[httpx.Client]:
    """Plain httpx client for the sandbox's admin endpoints."""
    with httpx.Client(base_url=sandbox.base_url) as http:
        yield http
