"""The ``outbox`` command: listing, retrying, discarding, and flushing through the real sandbox."""

from __future__ import annotations

import argparse
import io
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from flowdock_desktop import send_commands as commands
from flowdock_desktop.api.client import FlowdockClient
from flowdock_desktop.auth.credentials import CredentialStore
from flowdock_desktop.cli import CommandError
from flowdock_desktop.context import AppContext
from flowdock_desktop.store.db import Database
from flowdock_desktop.store.integrations import IntegrationStore
from flowdock_desktop.store.outbox import Outbox
from flowdock_desktop.store.profile import Profile
from flowdock_desktop.testing import messages_by_uuid

MESSAGE = {
    "event": "activity",
    "title": "deployed api",
    "author": {"name": "Deploy bot"},
    "external_thread_id": "deploy:api",
    "thread": {"title": "Deploy api", "status": {"value": "done", "color": "green"}},
}


def run(profile_dir, *argv: str) -> tuple[int, str]:
    """Parse and run one command with only this module's commands registered."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--profile")
    sub = parser.add_subparsers(dest="command")
    commands.register(sub, parser)
    args = parser.parse_args(["--profile", str(profile_dir), *argv])
    out = io.StringIO()
    status = args.handler(args, out)
    return status, out.getvalue()


@pytest.fixture
def profile(profile_dir) -> Profile:
    # The commands open the profile named by FLOWDOCK_DESKTOP_HOME (the conftest's profile_dir).
    return Profile.resolve(profile_dir)


@pytest.fixture
def keyring_store(memory_keyring) -> CredentialStore:
    return CredentialStore(memory_keyring)


def test_outbox_lists_discards_and_requeues(profile, add_sample_integration):
    assert "empty" in run(profile.dir, "outbox")[1]
    with Database(profile.db_path) as db:
        integration = add_sample_integration(IntegrationStore(db))
        outbox = Outbox(db)
        queued = outbox.enqueue(integration.id, MESSAGE)
        failed = outbox.enqueue(integration.id, {**MESSAGE, "title": "broken"})
        outbox.claim(failed)
        outbox.mark_failed(failed, "The server rejected the message: title too long.")
    status, text = run(profile.dir, "outbox")
    assert status == 0
    assert "queued" in text and "failed" in text and "title too long" in text
    assert "acme/main / Deploy bot" in text
    assert "Message" in run(profile.dir, "outbox", "--retry", str(failed.id))[1]
    with pytest.raises(CommandError):
        run(profile.dir, "outbox", "--retry", str(queued.id))  # not failed
    with pytest.raises(CommandError):
        run(profile.dir, "outbox", "--retry", "999")
    assert run(profile.dir, "outbox", "--discard", str(queued.id))[0] == 0
    with pytest.raises(CommandError):
        run(profile.dir, "outbox", "--discard", str(queued.id))
    with Database(profile.db_path) as db:
        assert [(i.id, i.state) for i in Outbox(db).list()] == [(failed.id, "queued")]


def test_flush_with_nothing_pending(profile):
    assert run(profile.dir, "outbox", "--flush") == (0, "Nothing to send.\n")


# -- flushing against the sandbox -----------------------------------------------------------


@pytest.fixture
def sandbox() -> Iterator[Any]:
    """A real sandbox server on a free loopback port."""
    from flowdock_desktop.sandbox.server import SandboxServer

    with SandboxServer() as server:
        yield server


def test_flush_posts_through_sandbox_exactly_once(profile, keyring_store, sandbox):
    from flowdock_desktop.testing import connect_demo_source

    state = sandbox.state
    with AppContext(profile, keyring_store) as context:
        integration, source = connect_demo_source(context, sandbox.base_url, "CLI flush test")
    with Database(profile.db_path) as db:
        outbox = Outbox(db)
        first = outbox.enqueue(integration.id, MESSAGE)
        second = outbox.enqueue(integration.id, {**MESSAGE, "title": "deployed api again"})

    status, text = run(profile.dir, "outbox", "--flush")
    assert status == 0, text
    assert f"Sent {first.id}" in text and f"Sent {second.id}" in text
    assert len(messages_by_uuid(state, first.uuid)) == 1
    with Database(profile.db_path) as db:
        items = Outbox(db).list()
        assert [i.state for i in items] == ["sent", "sent"]
        assert items[0].response["uuid"] == first.uuid

    # Resending the same uuid (as after a lost answer) does not duplicate the message.
    with Database(profile.db_path) as db:
        db.execute("UPDATE outbox SET state = 'queued' WHERE id = ?", (first.id,))
    assert run(profile.dir, "outbox", "--flush")[0] == 0
    assert len(messages_by_uuid(state, first.uuid)) == 1
    # The token never reached the database file.
    assert source.flow_token.encode() not in profile.db_path.read_bytes()


def test_flush_without_flow_token_keeps_it_waiting_for_reconnect(
    profile, keyring_store, monkeypatch, add_sample_integration
):
    """The message is fine; the integration lacks its flow token. It is not refused: it stays
    queued, the words say to Reconnect and how, and the status is Reconnect's own."""
    from flowdock_desktop.problems import EXIT_NEEDS_RECONNECT

    def no_network(self, url: str) -> FlowdockClient:
        raise AssertionError("must not post without a token")

    monkeypatch.setattr(AppContext, "flow_client", no_network)
    with Database(profile.db_path) as db:
        integration = add_sample_integration(IntegrationStore(db))
        item = Outbox(db).enqueue(integration.id, MESSAGE)
        behind = Outbox(db).enqueue(integration.id, {**MESSAGE, "title": "and again"})
    status, text = run(profile.dir, "outbox", "--flush")
    assert status == EXIT_NEEDS_RECONNECT, text
    assert f"Waiting {item.id}" in text
    assert "2 message(s) wait for Reconnect" in text
    assert "start Flowdock Desktop (flowdock-desktop), choose “Deploy bot” and press Reconnect" in (
        text
    )
    assert "Set the integration up again" not in text and "Not sent" not in text
    with Database(profile.db_path) as db:
        kept = Outbox(db).get(item.id)
        assert (kept.state, Outbox(db).get(behind.id).state) == ("queued", "queued")
        assert "press Reconnect" in kept.last_error
    # Listed as waiting, not refused, in the same summary as the composer's footer; both
    # (the one behind too) with a state saying that Reconnect, not time, sends them.
    status, listing = run(profile.dir, "outbox")
    assert status == 0
    assert "refused" not in listing and "failed" not in listing
    table = listing.splitlines()[1:3]  # under the heading, before the summary
    rows = {line.split()[0]: line for line in table}
    assert "waiting-for-reconnect" in rows[str(item.id)]
    assert "waiting-for-reconnect" in rows[str(behind.id)]
    # Its NEXT TRY is what sends it, not a time its backoff gives (that try only reads the
    # keyring again).
    heading = listing.splitlines()[0]
    column = slice(heading.index("NEXT TRY"), heading.index("TITLE"))
    for row in table:
        assert row[column].strip() == "on Reconnect", row
    assert "2 messages waiting to be sent (2 for Reconnect)" in listing


def test_flush_sends_what_waited_for_reconnect_once_the_token_is_back(
    profile, keyring_store, sandbox
):
    from flowdock_desktop.problems import EXIT_NEEDS_RECONNECT
    from flowdock_desktop.testing import connect_demo_source

    with AppContext(profile, keyring_store) as context:
        integration, source = connect_demo_source(context, sandbox.base_url, "CLI reconnect")
    keyring_store.delete_flow_token(integration.id)
    with Database(profile.db_path) as db:
        first = Outbox(db).enqueue(integration.id, MESSAGE)
        second = Outbox(db).enqueue(integration.id, {**MESSAGE, "title": "deployed api again"})

    status, text = run(profile.dir, "outbox", "--flush")
    assert status == EXIT_NEEDS_RECONNECT, text
    assert messages_by_uuid(sandbox.state, first.uuid) == []

    keyring_store.set_flow_token(integration.id, source.flow_token)  # as Reconnect leaves it
    status, text = run(profile.dir, "outbox", "--flush")
    assert status == 0, text
    assert f"Sent {first.id}" in text and f"Sent {second.id}" in text
    sent = [messages_by_uuid(sandbox.state, item.uuid) for item in (first, second)]
    assert [len(found) for found in sent] == [1, 1]
    assert sent[0][0]["id"] < sent[1][0]["id"]  # in order


def test_send_without_flow_token_keeps_it_with_reconnect_status(
    profile, keyring_store, monkeypatch, add_sample_integration, capsys
):
    from flowdock_desktop.cli import main
    from flowdock_desktop.problems import EXIT_NEEDS_RECONNECT

    def no_network(self, url: str) -> FlowdockClient:
        raise AssertionError("must not post without a token")

    monkeypatch.setattr(AppContext, "flow_client", no_network)
    with Database(profile.db_path) as db:
        integration = add_sample_integration(IntegrationStore(db))
    argv = ["send", "--integration", integration.id, "--title", "deployed api"]
    status = main([*argv, "--author", "Deploy bot", "--thread-title", "Deploy api"])
    said = capsys.readouterr().err
    assert status == EXIT_NEEDS_RECONNECT, said
    assert "press Reconnect" in said and "Do not send the message again" in said
    with Database(profile.db_path) as db:
        assert [i.state for i in Outbox(db).list()] == ["queued"]


def test_flush_reports_gone_and_retry(profile, keyring_store, monkeypatch, add_sample_integration):
    def handler(request: httpx.Request) -> httpx.Response:
        if b'"gone"' in request.content:
            return httpx.Response(410, json={"message": "Gone"})
        return httpx.Response(503, json={"message": "down"})

    from flowdock_desktop.api.retry import RetryPolicy

    def client(self, url: str) -> FlowdockClient:
        return FlowdockClient(
            url,
            http=httpx.Client(transport=httpx.MockTransport(handler)),
            retry=RetryPolicy(max_attempts=1),
        )

    monkeypatch.setattr(AppContext, "flow_client", client)
    with Database(profile.db_path) as db:
        doomed, flaky = (
            add_sample_integration(IntegrationStore(db)),
            add_sample_integration(IntegrationStore(db), source_id=2),
        )
        keyring_store.set_flow_token(doomed.id, "a" * 32)
        keyring_store.set_flow_token(flaky.id, "b" * 32)
        Outbox(db).enqueue(doomed.id, {**MESSAGE, "title": "gone"})
        Outbox(db).enqueue(flaky.id, MESSAGE)
    status, text = run(profile.dir, "outbox", "--flush")
    assert status == 1
    assert "removed in Flowdock" in text
    assert "Will try again after" in text
    assert "1 message(s) still waiting." in text
    assert "a" * 32 not in text and "b" * 32 not in text
    # A 410 means the source is gone: its flow token is deleted, as Flowdock's guide asks.
    assert keyring_store.get_flow_token(doomed.id) is None
    assert keyring_store.get_flow_token(flaky.id) == "b" * 32
