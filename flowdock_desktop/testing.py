"""Levers for tests, benchmarks and scripted demos; not used by the product itself.

Everything here may import anything (the sandbox's internals, the client side); the
product's modules never import this one. Functions take a running ``SandboxServer`` (or
its ``SandboxState``):

- ``mint_token``, ``expire_access_tokens``, ``revoke_refresh_tokens``: OAuth tokens without
  the browser dance, and their end;
- ``messages_by_uuid``: what the sandbox stored for a message's uuid, across flows;
- ``fill_history``: many messages at once, for measuring a large history;
- ``post_status``: a thread's new status posted by another client;
- ``drop_streams``: cut every open stream's connection, as a network failure would;
- ``arm_fault``: make the next requests fail or wait, through the sandbox's own fault API;
- ``connect_demo_source``, ``sign_in_demo_user``: a source and a signed-in session made the
  way the wizard makes them, in an ``AppContext``;
- ``LockableKeyring``: a keyring that refuses every request, as a locked one does, until
  unlocked.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import httpx
import keyring.errors

from flowdock_desktop.auth.credentials import MemoryKeyring
from flowdock_desktop.sandbox import seed
from flowdock_desktop.sandbox.state import SandboxState, Tx, grants, views
from flowdock_desktop.sandbox.state.principals import ALL_SCOPES

if TYPE_CHECKING:
    from flowdock_desktop.api.models import Source
    from flowdock_desktop.context import AppContext
    from flowdock_desktop.sandbox.server import SandboxServer
    from flowdock_desktop.store.integrations import Integration


def _state(sandbox: SandboxServer | SandboxState) -> SandboxState:
    return sandbox if isinstance(sandbox, SandboxState) else sandbox.state


# ---------------------------------------------------------------------- tokens


def mint_token(
    sandbox: SandboxServer | SandboxState,
    scopes: Iterable[str] = ALL_SCOPES,
    *,
    user_id: int = 1,
    client_id: str = seed.DEMO_CLIENT_ID,
) -> dict[str, Any]:
    """Tokens as the token endpoint would answer them, without the browser."""
    state = _state(sandbox)
    return state.run(grants.issue_tokens, state.lifetimes, client_id, user_id, list(scopes), None)


def expire_access_tokens(sandbox: SandboxServer | SandboxState) -> None:
    """Every access token issued so far stops working (401), as after its lifetime."""
    _state(sandbox).run(lambda tx: tx.execute("UPDATE access_tokens SET expires_at = 0"))


def revoke_refresh_tokens(sandbox: SandboxServer | SandboxState) -> None:
    """Every refresh token issued so far stops working."""
    _state(sandbox).run(lambda tx: tx.execute("DELETE FROM refresh_tokens"))


# ---------------------------------------------------------------------- messages


def messages_by_uuid(sandbox: SandboxServer | SandboxState, uuid: str) -> list[dict[str, Any]]:
    """Every stored message with this uuid, across flows (idempotency checks)."""

    def work(tx: Tx) -> list[dict[str, Any]]:
        rows = tx.all("SELECT * FROM messages WHERE uuid = ? ORDER BY seq", (uuid,))
        return [views.message_view(tx, row) for row in rows]

    return _state(sandbox).run(work)


def flow_messages(sandbox: SandboxServer | SandboxState, flow_id: str) -> list[dict[str, Any]]:
    """Every stored message of a flow, oldest first (what a test counts after faults)."""

    def work(tx: Tx) -> list[dict[str, Any]]:
        rows = tx.all("SELECT * FROM messages WHERE flow_id = ? ORDER BY seq", (flow_id,))
        return [views.message_view(tx, row) for row in rows]

    return _state(sandbox).run(work)


def post_status(
    sandbox: SandboxServer,
    flow_token: str,
    external_thread_id: str,
    thread_title: str,
    status: tuple[str, str],
    *,
    author: str = "CI",
    title: str | None = None,
) -> dict[str, Any]:
    """Another client (a CI job with the same source, say) moves a thread on: an activity
    with a new ``(value, colour)`` status, posted with the flow token; the stored message."""
    value, colour = status
    answer = httpx.post(
        sandbox.base_url + "/messages",
        json={
            "flow_token": flow_token,
            "event": "activity",
            "author": {"name": author},
            "title": title or f"marked it {value}",
            "external_thread_id": external_thread_id,
            "thread": {"title": thread_title, "status": {"value": value, "color": colour}},
        },
        headers={"X-flowdock-wait-for-message": "1"},
    )
    answer.raise_for_status()
    return answer.json()


# ---------------------------------------------------------------------- streams


def drop_streams(sandbox: SandboxServer) -> int:
    """Reset the TCP connection of every open stream (clients see a network error, not an
    ended answer); returns how many were cut."""
    import threading

    hub = sandbox.app.state.hub
    loop = hub._loop
    if loop is None:
        return 0
    cut: list[int] = []
    done = threading.Event()

    def abort() -> None:
        busy = [
            connection
            for connections in sandbox.limits._by_client.values()
            for connection in connections
            if connection.idle_since is None and not connection.transport.is_closing()
        ]
        for connection in busy:
            connection.transport.abort()
        cut.append(len(busy))
        done.set()

    loop.call_soon_threadsafe(abort)
    done.wait(10)
    return cut[0] if cut else 0


# ---------------------------------------------------------------------- the app's side


def arm_fault(sandbox: SandboxServer, **fault: Any) -> None:
    """Arm a fault over HTTP, as an integrator would (``POST /sandbox/faults``): e.g.
    ``count=1, latency_ms=1500, path_prefix="/messages"`` delays the next message post."""
    httpx.post(sandbox.base_url + "/sandbox/faults", json=fault).raise_for_status()


def connect_demo_source(
    context: AppContext, base_url: str, name: str = "Deploy bot", flow: str = seed.MAIN_FLOW
) -> tuple[Integration, Source]:
    """A source in ``acme/<flow>``, stored as the wizard stores it (its flow token in the
    context's keyring), made with the demo user's personal API token; (record, source)."""
    from flowdock_desktop.api.client import FlowdockClient
    from flowdock_desktop.connect import create_integration

    with FlowdockClient(base_url, auth=httpx.BasicAuth(seed.DEMO_API_TOKEN, "x")) as client:
        found = client.get_flow(seed.ORG_SLUG, flow)
        result = create_integration(
            client,
            found,
            name,
            credentials=context.credentials,
            integrations=context.integrations,
        )
    return result.integration, result.source


def sign_in_demo_user(
    context: AppContext, base_url: str, scopes: str = "flow profile integration"
) -> None:
    """Record a signed-in session for the demo user in the context's profile and keyring
    (the password grant: no browser)."""
    from flowdock_desktop.auth.oauth import OAuthApp
    from flowdock_desktop.auth.session import start_session
    from flowdock_desktop.auth.tokens import TokenSet

    answer = httpx.post(
        base_url + "/oauth/token",
        data={
            "grant_type": "password",
            "username": seed.DEMO_EMAIL,
            "password": seed.DEMO_PASSWORD,
            "client_id": seed.DEMO_CLIENT_ID,
            "client_secret": seed.DEMO_CLIENT_SECRET,
            "scope": scopes,
        },
        headers={"Accept": "application/json"},
    )
    answer.raise_for_status()
    app = OAuthApp(base_url, seed.DEMO_CLIENT_ID, seed.DEMO_CLIENT_SECRET)
    start_session(context.profile, context.credentials, app, TokenSet.from_response(answer.json()))


# ---------------------------------------------------------------------- history


def fill_history(
    sandbox: SandboxServer | SandboxState,
    count: int,
    *,
    threads: int = 1000,
    flow: str = f"{seed.ORG_SLUG}/{seed.MAIN_FLOW}",
    batch: int = 2000,
) -> str:
    """Post ``count`` activities through the model (as ``POST /messages`` does, without HTTP)
    from one new source, spread over ``threads`` threads; returns the source's flow token."""
    from flowdock_desktop.sandbox.state import flows, messages, sources
    from flowdock_desktop.sandbox.state.principals import Credentials, authenticate

    state = _state(sandbox)
    org, _, name = flow.partition("/")

    def make_source(tx: Tx) -> str:
        demo = authenticate(tx, Credentials(basic_user=seed.DEMO_API_TOKEN))
        flow_id = flows.require_by_path(tx, org, name)
        return sources.create(tx, demo, flow_id, {"name": "History"}, "")["flow_token"]

    token = state.run(make_source)

    def post_many(tx: Tx, start: int, stop: int) -> None:
        caller = authenticate(tx, Credentials(flow_token=token))
        for index in range(start, stop):
            messages.post(
                tx,
                caller,
                {
                    "event": "activity" if index % 4 else "discussion",
                    "author": {"name": f"Bot {index % 7}"},
                    "title": f"Build {index} finished",
                    "body": "All checks passed." if index % 3 else "Two checks were retried.",
                    "external_thread_id": f"thread-{index % threads}",
                    "uuid": f"history-{index}",
                    "tags": ["build", f"n{index % 10}"],
                    "thread": {
                        "title": f"Pipeline {index % threads}",
                        "status": {"color": "green" if index % 5 else "red", "value": "done"},
                    },
                },
            )

    for start in range(0, count, batch):
        state.run(post_many, start, min(start + batch, count))
    return token


# ---------------------------------------------------------------------- keyring


class LockableKeyring(MemoryKeyring):
    """An in-memory keyring that raises ``KeyringLocked`` for every request while ``locked``,
    as keyring's Secret Service backend does when its collection stays locked (the unlock
    prompt dismissed, or none could be shown). ``lock()`` and ``unlock()`` stand for the
    person locking and unlocking it; ``refused`` counts the requests turned away."""

    def __init__(self, *, locked: bool = False) -> None:
        super().__init__()
        self.locked = locked
        self.refused = 0

    def lock(self) -> None:
        self.locked = True

    def unlock(self) -> None:
        self.locked = False

    def _check(self) -> None:
        if self.locked:
            self.refused += 1
            raise keyring.errors.KeyringLocked("Failed to unlock the collection!")

    def get_password(self, service: str, username: str) -> str | None:
        self._check()
        return super().get_password(service, username)

    def set_password(self, service: str, username: str, password: str) -> None:
        self._check()
        super().set_password(service, username, password)

    def delete_password(self, service: str, username: str) -> None:
        self._check()
        super().delete_password(service, username)
