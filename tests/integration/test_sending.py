"""SendService against a real sandbox: outbox first, faults, exactly-once, 410, threads, CLI."""

from __future__ import annotations

import json

import httpx
import pytest

from flowdock_desktop.api.errors import ValidationError
from flowdock_desktop.context import AppContext
from flowdock_desktop.sending import IntegrationRemovedError, SendService, curl_command
from flowdock_desktop.testing import connect_demo_source as make_integration
from flowdock_desktop.testing import messages_by_uuid
from flowdock_desktop.testing import sign_in_demo_user as sign_in


def message(status: str = "running", colour: str = "yellow", thread: str = "Deploy 42") -> dict:
    return {
        "event": "activity",
        "author": {"name": "Builder"},
        "title": "started a deploy",
        "external_thread_id": "deploy-42",
        "thread": {
            "title": thread,
            "status": {"value": status, "color": colour},
            "fields": [{"label": "Service", "value": "api"}],
            "actions": [],
        },
    }


def fault(base_url: str, **body) -> None:
    httpx.post(base_url + "/sandbox/faults", json=body).raise_for_status()


@pytest.fixture
def context(profile_dir):
    ctx = AppContext()
    # Backoff in tens of milliseconds so retries happen within the test.
    ctx.outbox.base_delay = 0.02
    ctx.outbox.max_delay = 0.05
    yield ctx
    ctx.close()


@pytest.fixture(autouse=True)
def _no_faults(sandbox):
    yield
    httpx.delete(sandbox.base_url + "/sandbox/faults")


def test_send_enqueues_then_delivers_once(context, sandbox):
    integration, _ = make_integration(context, sandbox.base_url)
    result = SendService(context).send(integration.id, message())
    assert result.state == "sent"
    stored = messages_by_uuid(sandbox, result.uuid)
    assert len(stored) == 1
    assert stored[0]["thread"]["status"] == {"value": "running", "color": "yellow"}
    assert result.response["thread_id"] == stored[0]["thread_id"]
    # The outbox kept the item, now sent with the server's answer, and the history has it.
    assert context.outbox.get(result.item.id).state == "sent"
    (kept,) = context.db.query("SELECT response FROM outbox WHERE id = ?", (result.item.id,))
    assert json.loads(kept[0]) == result.response
    assert context.history.get(result.uuid).thread_id == stored[0]["thread_id"]


def test_incomplete_message_is_refused_before_the_outbox(context, sandbox):
    integration, _ = make_integration(context, sandbox.base_url)
    bad = message()
    bad["thread"]["status"]["color"] = "pink"
    del bad["author"]
    with pytest.raises(ValidationError) as caught:
        SendService(context).send(integration.id, bad)
    assert set(caught.value.field_errors) == {"author.name", "thread.status.color"}
    assert context.outbox.list() == []


@pytest.mark.parametrize(
    "armed",
    [
        {"status": 503},
        {"status": 429, "retry_after": 0},
        {"drop": True},
        {"status": 500, "count": 2},
    ],
    ids=["5xx", "429", "dropped", "two-5xx"],
)
def test_faults_leave_it_queued_then_deliver_exactly_once(context, sandbox, armed):
    integration, _ = make_integration(context, sandbox.base_url)
    service = SendService(context)
    fault(sandbox.base_url, path_prefix="/messages", **{"count": 1, **armed})
    result = service.send(integration.id, message())
    assert result.state == "queued"
    assert result.error  # plain words for the person
    assert messages_by_uuid(sandbox, result.uuid) == []
    for _ in range(5):
        if not service.pending():
            break
        service.deliver_due(ignore_backoff=True)
    assert service.pending() == []
    assert len(messages_by_uuid(sandbox, result.uuid)) == 1
    assert context.outbox.get(result.item.id).attempts == 1 + armed.get("count", 1)


@pytest.mark.parametrize("status", [503, 429])
def test_the_server_saying_when_to_come_back_is_heeded(context, sandbox, status):
    """A busy server's Retry-After sets the next try, for a 503 as for a 429: the outbox does
    not come back after its own two-second backoff while the server asked for ten minutes."""
    integration, _ = make_integration(context, sandbox.base_url)
    fault(sandbox.base_url, path_prefix="/messages", count=1, status=status, retry_after=600)
    before = context.outbox.now()
    result = SendService(context).send(integration.id, message())
    assert result.state == "queued"
    assert context.outbox.get(result.item.id).next_attempt_at >= before + 600


def test_latency_does_not_duplicate(context, sandbox):
    integration, _ = make_integration(context, sandbox.base_url)
    fault(sandbox.base_url, path_prefix="/messages", count=1, latency_ms=150)
    result = SendService(context).send(integration.id, message())
    assert result.state == "sent"
    assert len(messages_by_uuid(sandbox, result.uuid)) == 1


def test_messages_of_one_integration_keep_their_order(context, sandbox):
    integration, _ = make_integration(context, sandbox.base_url)
    service = SendService(context)
    context.outbox.base_delay = context.outbox.max_delay = 60.0  # the first one waits
    fault(sandbox.base_url, path_prefix="/messages", count=1, status=503)
    first = service.send(integration.id, message("running", "yellow"))
    second = service.send(integration.id, message("done", "green"))
    assert first.state == "queued" and second.state == "queued"
    assert messages_by_uuid(sandbox, second.uuid) == []  # not overtaking the first
    service.flush()
    thread_id = messages_by_uuid(sandbox, first.uuid)[0]["thread_id"]
    later = messages_by_uuid(sandbox, second.uuid)[0]
    assert later["thread_id"] == thread_id
    assert later["thread"]["status"]["value"] == "done"


def test_gone_marks_removed_deletes_token_and_data_and_stops(context, sandbox):
    integration, source = make_integration(context, sandbox.base_url)
    service = SendService(context)
    assert service.send(integration.id, message()).state == "sent"
    context.drafts.save(integration.id, {"title": "half written"})
    sandbox.state.delete_source_by_id(source.id)

    result = service.send(integration.id, message("done", "green"))

    assert result.state == "gone"
    assert "removed in Flowdock" in result.error
    assert context.integrations.get(integration.id).state == "removed"
    assert context.credentials.get_flow_token(integration.id) is None
    assert context.history.list(integration.id) == []
    assert context.drafts.load(integration.id) is None
    # Posting stops: no further request is even made.
    with pytest.raises(IntegrationRemovedError):
        service.send(integration.id, message())


def test_removing_forgets_everything_here_once_the_keyring_lets_it(
    context, sandbox, memory_keyring, monkeypatch
):
    """A locked keyring stops the removal before anything is deleted (the integration stays
    listed, to try again); unlocked, everything kept here goes, the source in Flowdock stays."""
    import keyring

    from flowdock_desktop.auth.credentials import CredentialStore, KeyringUnavailable

    context.credentials = CredentialStore(memory_keyring, fallback=False)  # as the commands
    integration, source = make_integration(context, sandbox.base_url)
    other, _ = make_integration(context, sandbox.base_url, name="Other")
    service = SendService(context)
    assert service.send(integration.id, message()).state == "sent"  # history; token kept
    fault(sandbox.base_url, path_prefix="/messages", count=1, status=400)
    assert service.send(integration.id, message("done", "green")).state == "failed"
    context.drafts.save(integration.id, {"title": "half written"})

    def locked(*_args):
        raise keyring.errors.KeyringLocked("Failed to unlock the collection!")

    monkeypatch.setattr(memory_keyring, "delete_password", locked)
    with pytest.raises(KeyringUnavailable, match="keyring is locked"):
        service.remove_integration(integration.id)
    assert context.integrations.get(integration.id).is_active
    assert len(context.outbox.list(integration.id)) == 2

    monkeypatch.undo()
    service.remove_integration(integration.id)
    assert [i.id for i in context.integrations.list()] == [other.id]
    assert context.outbox.list(integration.id) == []
    assert context.history.list(integration.id) == []
    assert context.drafts.load(integration.id) is None
    assert context.credentials.get_flow_token(integration.id) is None
    assert not any(key[0] == integration.id for key in service._flow_tokens)
    assert context.credentials.get_flow_token(other.id)  # the other one is untouched
    live = sandbox.state.flow_sources(integration.flow_id, sandbox.base_url)
    assert source.id in [s["id"] for s in live]  # removing it there is the settings' part


def test_threads_merge_history_with_server_state(context, sandbox):
    integration, _ = make_integration(context, sandbox.base_url)
    service = SendService(context)
    service.send(integration.id, message("running", "yellow"))
    listing = service.threads(integration.id)
    assert listing.note  # not signed in: local history only, and a note saying so
    assert listing.threads[0].status_value == "running"
    assert listing.threads[0].remote is None

    sign_in(context, sandbox.base_url)
    service.send(integration.id, message("deployed", "green"))
    view = service.find_thread(integration.id, "deploy-42")
    assert view.remote is not None
    assert (view.remote.status.value, view.remote.status.color) == ("deployed", "green")
    assert view.remote.activities == 2
    assert [f.label for f in view.remote.fields] == ["Service"]
    timeline = service.thread_messages(integration.id, view.thread_id)
    # Every message embeds the thread's current state, so the timeline is told by the titles.
    assert [m.title for m in timeline] == ["started a deploy", "started a deploy"]
    assert all(m.thread.status.value == "deployed" for m in timeline)


def test_curl_hides_the_flow_token_unless_given():
    hidden = curl_command("http://127.0.0.1:1", message())
    assert "•••" in hidden and "X-flowdock-wait-for-message" in hidden
    shown = curl_command("http://127.0.0.1:1", message(), "abc123secret")
    assert "abc123secret" in shown


def _counting_reads(keyring_backend) -> list[str]:
    """Record every secret the keyring is asked for (the backend still answers)."""
    asked: list[str] = []
    answer = keyring_backend.get_password

    def get_password(service: str, username: str) -> str | None:
        asked.append(username)
        return answer(service, username)

    keyring_backend.get_password = get_password
    return asked


def test_flow_token_is_read_from_the_keyring_once_per_integration(context, sandbox, memory_keyring):
    integration, _ = make_integration(context, sandbox.base_url)
    asked = _counting_reads(memory_keyring)
    service = SendService(context)
    results = [service.send(integration.id, message()) for _ in range(4)]
    assert [r.state for r in results] == ["sent"] * 4
    assert all(len(messages_by_uuid(sandbox, r.uuid)) == 1 for r in results)
    key = context.credentials.flow_token_key(integration.id)
    assert asked.count(key) == 1
    # A delivery from the outbox (not the send itself) uses the same kept token.
    context.outbox.enqueue(integration.id, message())
    assert [o.result for o in service.flush()] == ["sent"]
    assert asked.count(key) == 1


def test_a_new_source_is_posted_with_its_new_flow_token(context, sandbox, memory_keyring):
    from flowdock_desktop.api.client import FlowdockClient
    from flowdock_desktop.connect import reconnect_integration
    from flowdock_desktop.sandbox import seed

    integration, old = make_integration(context, sandbox.base_url)
    service = SendService(context)
    assert service.send(integration.id, message()).state == "sent"
    with FlowdockClient(sandbox.base_url, auth=httpx.BasicAuth(seed.DEMO_API_TOKEN, "x")) as c:
        reconnect_integration(
            c, integration, credentials=context.credentials, integrations=context.integrations
        )
    # The old source, whose token the service read before, no longer takes posts.
    stale = httpx.post(
        sandbox.base_url + "/messages", json=dict(message(), flow_token=old.flow_token)
    )
    assert stale.status_code == 410

    result = service.send(integration.id, message("done", "green"))

    assert result.state == "sent"
    assert len(messages_by_uuid(sandbox, result.uuid)) == 1
    assert context.integrations.get(integration.id).is_active


def test_a_refused_flow_token_is_read_again(context, sandbox, memory_keyring):
    integration, _ = make_integration(context, sandbox.base_url)
    service = SendService(context)
    assert service.send(integration.id, message()).state == "sent"
    asked = _counting_reads(memory_keyring)
    key = context.credentials.flow_token_key(integration.id)
    fault(sandbox.base_url, path_prefix="/messages", count=1, status=503)
    assert service.send(integration.id, message()).state == "queued"
    assert [o.result for o in service.flush()] == ["sent"]
    # Kept until the post failed, then read afresh for the next attempt.
    assert asked.count(key) == 1


def test_a_damaged_outbox_row_is_failed_not_posted_and_holds_nothing_back(context, sandbox):
    from flowdock_desktop.store.outbox import DAMAGED_TEXT

    integration, _ = make_integration(context, sandbox.base_url)
    damaged = context.outbox.enqueue(integration.id, message())
    waiting = context.outbox.enqueue(integration.id, message(status="done", colour="green"))
    context.db.execute("UPDATE outbox SET payload = 'not json' WHERE id = ?", (damaged.id,))

    with SendService(context) as service:
        outcomes = service.flush()
        assert {o.item.id: (o.result, o.error) for o in outcomes} == {
            damaged.id: ("failed", DAMAGED_TEXT),
            waiting.id: ("sent", None),
        }
        assert [i.id for i in service.problems()] == [damaged.id]
        assert service.pending() == []
        # A send behind a damaged row (queued again by hand, as an older version might have
        # left it) goes through; the damaged row is failed once more, never posted.
        context.db.execute("UPDATE outbox SET state = 'queued' WHERE id = ?", (damaged.id,))
        result = service.send(integration.id, message(status="later"))
    assert result.state == "sent"
    assert len(messages_by_uuid(sandbox, result.uuid)) == 1
    assert len(messages_by_uuid(sandbox, waiting.uuid)) == 1
    assert messages_by_uuid(sandbox, damaged.uuid) == []
    failed = context.outbox.get(damaged.id)
    assert (failed.state, failed.damaged, failed.last_error) == ("failed", True, DAMAGED_TEXT)
    assert context.outbox.discard(damaged.id)
    assert [i.state for i in context.outbox.list()] == ["sent", "sent"]


def test_a_queued_message_waits_for_a_locked_keyring_and_goes_once_it_is_back(
    profile_dir, sandbox, lockable_keyring
):
    """The GUI's store (memory while the keyring is locked): a message queued before the
    keyring locked is not refused as "set the integration up again" (its flow token is in the
    keyring, only unreadable); it waits with the keyring's words and goes once the keyring is
    tried again, unlocked."""
    with AppContext() as first:
        integration, _ = make_integration(first, sandbox.base_url)
        queued = first.outbox.enqueue(integration.id, message())
    lockable_keyring.lock()
    with AppContext() as context:
        service = SendService(context)
        outcomes = service.deliver_due(ignore_backoff=True)
        assert [(o.item.id, o.result) for o in outcomes] == [(queued.id, "retry")]
        waiting = context.outbox.get(queued.id)
        assert waiting.state == "queued"
        assert waiting.last_error.startswith("Your keyring is locked")
        assert messages_by_uuid(sandbox, queued.uuid) == []

        lockable_keyring.unlock()
        assert context.credentials.retry() is True
        outcomes = service.deliver_due(ignore_backoff=True)
        assert [(o.item.id, o.result) for o in outcomes] == [(queued.id, "sent")]
    assert len(messages_by_uuid(sandbox, queued.uuid)) == 1


def test_a_missing_flow_token_keeps_messages_waiting_until_reconnected(
    context, sandbox, memory_keyring
):
    """No flow token here (a run without a keyring, restarted): the message is fine, so it is
    kept queued, saying to Reconnect, never refused; once the token is back (as Reconnect leaves
    it) the next delivery sends it, with its uuid, exactly once, and the one behind it after."""
    integration, source = make_integration(context, sandbox.base_url)
    context.credentials.delete_flow_token(integration.id)
    service = SendService(context)

    result = service.send(integration.id, message("running", "yellow"))
    assert (result.state, result.needs_reconnect) == ("queued", True)
    assert "press Reconnect" in result.error
    behind = service.send(integration.id, message("done", "green"))
    assert (behind.state, behind.needs_reconnect) == ("queued", True)
    (outcome,) = service.deliver_due(ignore_backoff=True)
    assert (outcome.item.id, outcome.result, outcome.needs_reconnect) == (
        result.item.id,
        "retry",
        True,
    )
    assert [i.state for i in context.outbox.list()] == ["queued", "queued"]
    assert service.problems() == []
    kept = context.outbox.get(result.item.id)
    assert "press Reconnect" in kept.last_error
    assert "Set the integration up again" not in kept.last_error
    # Backoff still applies: a waiting message is not tried again at once.
    assert kept.next_attempt_at > context.outbox.now()
    assert messages_by_uuid(sandbox, result.uuid) == []

    context.credentials.set_flow_token(integration.id, source.flow_token)
    assert context.outbox.make_due(integration.id) == 2
    outcomes = service.deliver_due()
    assert [(o.item.id, o.result) for o in outcomes] == [
        (result.item.id, "sent"),
        (behind.item.id, "sent"),
    ]
    first, second = (messages_by_uuid(sandbox, r.uuid) for r in (result, behind))
    assert len(first) == 1 and len(second) == 1
    assert second[0]["thread"]["status"]["value"] == "done"
    assert first[0]["thread_id"] == second[0]["thread_id"]
