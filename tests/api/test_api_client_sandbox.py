"""FlowdockClient against a real sandbox over loopback: every method and every error path."""

from __future__ import annotations

import re
import socket
import time
import uuid as uuidlib

import httpx
import pytest

from flowdock_desktop.api.client import Exchange, FlowdockClient
from flowdock_desktop.api.errors import (
    AuthenticationError,
    GoneError,
    NetworkError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitedError,
    ServerError,
    ValidationError,
)
from flowdock_desktop.api.messages import (
    Author,
    Status,
    ThreadField,
    ThreadMessage,
    ThreadState,
    ViewAction,
)
from flowdock_desktop.api.retry import RetryPolicy
from flowdock_desktop.sandbox import seed
from flowdock_desktop.testing import expire_access_tokens, mint_token

ORG, FLOW = seed.ORG_SLUG, seed.MAIN_FLOW


def activity(key: str = "deploy-web", *, status: str = "open", uuid: str | None = None):
    return ThreadMessage(
        event="activity",
        author=Author("Deploy bot", avatar="https://example.com/bot.png"),
        title="Deployed build",
        thread=ThreadState(
            title="Web deploys",
            body="<p>All good</p>",
            external_url="https://ci.example.com/web",
            status=Status(status, "green"),
            fields=(ThreadField("Version", "1.2.3"),),
            actions=(ViewAction("Logs", "https://ci.example.com/logs"),),
        ),
        external_thread_id=key,
        uuid=uuid,
    )


def stored(admin: httpx.Client, flow: str = f"{ORG}/{FLOW}") -> list[dict]:
    response = admin.get("/sandbox/messages", params={"flow": flow})
    response.raise_for_status()
    body = response.json()
    return body["messages"] if isinstance(body, dict) else body


def arm(admin: httpx.Client, **fault) -> None:
    admin.post("/sandbox/faults", json=fault).raise_for_status()


@pytest.fixture
def flow_token(client: FlowdockClient) -> str:
    source = client.create_source(ORG, FLOW, "CI server")
    assert source.flow_token is not None
    return source.flow_token


# -- users and flows -------------------------------------------------------------------------


def test_get_user(client: FlowdockClient) -> None:
    user = client.get_user()
    assert user.name == seed.DEMO_USER_NAME
    assert user.email == seed.DEMO_EMAIL


def test_list_flows_joined_and_all(client: FlowdockClient) -> None:
    joined = client.list_flows()
    assert {f.path for f in joined} == {f"{ORG}/{FLOW}", f"{ORG}/{seed.ANNOUNCEMENTS_FLOW}"}
    assert all(f.joined and f.users == () for f in joined)
    everything = client.list_flows(all=True, users=True)
    unjoined = [f for f in everything if not f.joined]
    assert [f.path for f in unjoined] == [f"{ORG}/{seed.UNJOINED_FLOW}"]
    main = next(f for f in everything if f.path == f"{ORG}/{FLOW}")
    assert len(main.users) >= 2


def test_get_and_find_flow(client: FlowdockClient) -> None:
    flow = client.get_flow(ORG, FLOW)
    assert flow.name == "Main" and flow.organization is not None
    assert flow.users, "GET /flows/:org/:flow always includes users"
    assert flow.id is not None
    found = client.find_flow(flow.id)
    assert found.path == flow.path and found.id == flow.id


# -- sources -------------------------------------------------------------------------------


def test_source_lifecycle_ends_in_gone(client: FlowdockClient) -> None:
    source = client.create_source(ORG, FLOW, "CI server", "https://ci.example.com")
    assert source.flow_token is not None and re.fullmatch(r"[0-9a-f]{32}", source.flow_token)
    assert source.external_url == "https://ci.example.com"
    assert source.flow_token not in repr(source)

    listed = client.list_sources(ORG, FLOW)
    assert [s.id for s in listed] == [source.id]
    assert listed[0].flow_token is None, "the token is only shown when the source is created"
    assert client.get_source(ORG, FLOW, source.id).name == "CI server"

    assert client.post_message(activity().to_payload(), flow_token=source.flow_token)
    client.delete_source(ORG, FLOW, source.id)
    assert client.list_sources(ORG, FLOW) == []
    with pytest.raises(NotFoundError):
        client.get_source(ORG, FLOW, source.id)
    with pytest.raises(GoneError) as caught:
        client.post_message(activity().to_payload(), flow_token=source.flow_token)
    assert caught.value.status == 410
    assert source.flow_token not in str(caught.value)


def test_create_source_name_errors_come_back_per_field(client: FlowdockClient) -> None:
    with pytest.raises(ValidationError) as caught:
        client.create_source(ORG, FLOW, "x" * 101)
    assert "name" in caught.value.field_errors


# -- messages --------------------------------------------------------------------------------


def test_post_waits_for_the_stored_message(client, flow_token, admin) -> None:
    result = client.post_message(activity().to_payload(), flow_token=flow_token)
    assert result is not None
    assert result["event"] == "activity" and result["thread_id"]
    assert result["thread"]["status"] == {"value": "open", "color": "green"}
    assert len(stored(admin)) == 1


def test_post_without_wait_is_queued(client, flow_token, admin) -> None:
    assert client.post_message(activity().to_payload(), flow_token=flow_token, wait=False) is None
    assert len(stored(admin)) == 1


def test_post_thread_message_builder(client, flow_token) -> None:
    result = client.post_thread_message(activity(), flow_token=flow_token)
    assert result is not None and result["title"] == "Deployed build"


def test_server_validation_errors_name_the_field(client, flow_token, admin) -> None:
    payload = activity().to_payload()
    payload["thread"]["status"]["color"] = "pink"
    del payload["title"]
    with pytest.raises(ValidationError) as caught:
        client.post_message(payload, flow_token=flow_token)
    assert caught.value.status == 400
    assert {"title", "thread.status.color"} <= set(caught.value.field_errors)
    assert stored(admin) == []


def test_wrong_flow_token_is_unauthorized(client) -> None:
    with pytest.raises(AuthenticationError) as caught:
        client.post_message(activity().to_payload(), flow_token="f" * 32)
    assert caught.value.status == 401
    assert "f" * 32 not in str(caught.value)


def test_list_messages(client, flow_token) -> None:
    client.post_message(activity().to_payload(), flow_token=flow_token)
    messages = client.list_messages(ORG, FLOW, event="activity")
    assert [m.event for m in messages] == ["activity"]
    assert messages[0].author is not None and messages[0].author.name == "Deploy bot"


# -- threads ---------------------------------------------------------------------------------


def test_thread_state_and_messages(client, flow_token) -> None:
    first = client.post_message(activity(status="open").to_payload(), flow_token=flow_token)
    client.post_message(activity(status="deployed").to_payload(), flow_token=flow_token)
    assert first is not None
    threads = client.list_threads(ORG, FLOW)
    assert [t.id for t in threads] == [first["thread_id"]]
    thread = client.get_thread(ORG, FLOW, first["thread_id"])
    assert thread.title == "Web deploys"
    assert thread.status == Status("deployed", "green")
    assert thread.fields == (ThreadField("Version", "1.2.3"),)
    assert thread.actions[0].url == "https://ci.example.com/logs"
    assert thread.activities == 2
    messages = client.list_thread_messages(ORG, FLOW, first["thread_id"])
    assert [m.event for m in messages] == ["activity", "activity"]
    assert all(m.thread_id == first["thread_id"] for m in messages)
    assert len(client.list_thread_messages(ORG, FLOW, first["thread_id"], limit=1)) == 1


def test_threads_follow_next_links(client, flow_token) -> None:
    for number in range(5):
        client.post_message(activity(f"thread-{number}").to_payload(), flow_token=flow_token)
    assert len(client.list_threads(ORG, FLOW, page_size=2)) == 2
    every = client.list_threads(ORG, FLOW, page_size=2, max_pages=10)
    assert len({t.id for t in every}) == 5


def test_unknown_thread_and_flow_are_not_found(client) -> None:
    with pytest.raises(NotFoundError):
        client.get_thread(ORG, FLOW, "no-such-thread")
    with pytest.raises(NotFoundError) as caught:
        client.get_flow(ORG, "no-such-flow")
    assert caught.value.status == 404


# -- authentication and scopes ---------------------------------------------------------------


def test_bad_api_token_is_unauthorized(make_client) -> None:
    client = make_client(auth=httpx.BasicAuth("wrong-token", "x"))
    with pytest.raises(AuthenticationError) as caught:
        client.get_user()
    assert "wrong-token" not in str(caught.value)


def test_bearer_token_without_integration_scope(make_client, sandbox, bearer) -> None:
    token = mint_token(sandbox, ["flow", "profile"])["access_token"]
    client = make_client(auth=bearer(token))
    assert client.get_user().name == seed.DEMO_USER_NAME
    with pytest.raises(PermissionDeniedError) as caught:
        client.create_source(ORG, FLOW, "CI server")
    assert caught.value.missing_scope == "integration"
    assert token not in str(caught.value)


def test_expired_bearer_token(make_client, sandbox, bearer) -> None:
    token = mint_token(sandbox)["access_token"]
    client = make_client(auth=bearer(token))
    client.get_user()
    expire_access_tokens(sandbox)
    with pytest.raises(AuthenticationError):
        client.get_user()


# -- faults and retries ----------------------------------------------------------------------


def test_503_is_retried_for_gets(client, admin, slept) -> None:
    arm(admin, count=2, status=503)
    assert client.get_user().name == seed.DEMO_USER_NAME
    assert len(slept) == 2


def test_503_on_post_without_uuid_is_reported_not_repeated(client, flow_token, admin, slept):
    arm(admin, count=1, status=503, path_prefix="/messages")
    with pytest.raises(ServerError) as caught:
        client.post_message(activity().to_payload(), flow_token=flow_token)
    assert caught.value.status == 503
    assert slept == []
    assert stored(admin) == []


def test_429_honours_retry_after(client, admin, slept) -> None:
    arm(admin, count=1, status=429, retry_after=3)
    client.list_flows()
    assert slept == [3.0]


def test_429_surfaces_retry_after_when_out_of_attempts(make_client, admin) -> None:
    client = make_client(retry=RetryPolicy(max_attempts=1))
    arm(admin, count=1, status=429, retry_after=3)
    with pytest.raises(RateLimitedError) as caught:
        client.list_flows()
    assert caught.value.retry_after == 3


def test_dropped_connection_is_a_network_error(make_client, admin) -> None:
    client = make_client(retry=RetryPolicy(max_attempts=1))
    arm(admin, count=1, drop=True)
    with pytest.raises(NetworkError):
        client.get_user()
    assert client.get_user().name == seed.DEMO_USER_NAME


def test_dropped_connection_is_retried_for_gets(client, admin, slept) -> None:
    arm(admin, count=1, drop=True)
    assert len(client.list_flows()) == 2
    assert len(slept) == 1


def test_uuid_post_is_retried_after_a_drop_and_stored_once(client, flow_token, admin, slept):
    message_uuid = str(uuidlib.uuid4())
    arm(admin, count=2, drop=True, path_prefix="/messages")
    result = client.post_message(activity(uuid=message_uuid).to_payload(), flow_token=flow_token)
    assert result is not None and result["uuid"] == message_uuid
    assert len(slept) == 2
    assert [m["uuid"] for m in stored(admin)] == [message_uuid]


def test_uuid_post_whose_answer_was_lost_is_not_duplicated(make_client, flow_token, admin):
    """The server stores the message but the client gives up waiting and sends it again."""
    message_uuid = str(uuidlib.uuid4())
    exchanges: list[Exchange] = []
    client = make_client(
        timeout=httpx.Timeout(5.0, read=0.2),
        retry=RetryPolicy(sleep=lambda _: None),
        on_exchange=exchanges.append,
    )
    arm(admin, count=1, latency_ms=600, path_prefix="/messages")
    result = client.post_message(activity(uuid=message_uuid).to_payload(), flow_token=flow_token)
    assert result is not None and result["uuid"] == message_uuid
    assert isinstance(exchanges[0].error, NetworkError), "the first answer should time out"
    assert len(exchanges) == 2
    # Give the slow first request time to reach the store; it must not add a second copy.
    time.sleep(0.8)
    assert [m["uuid"] for m in stored(admin)] == [message_uuid]


def test_repeating_a_uuid_returns_the_original(client, flow_token, admin) -> None:
    payload = activity(uuid="same-uuid").to_payload()
    first = client.post_message(payload, flow_token=flow_token)
    second = client.post_message(payload, flow_token=flow_token)
    assert first is not None and second is not None and first["id"] == second["id"]
    assert len(stored(admin)) == 1


def test_connection_refused_is_a_network_error(slept) -> None:
    # A port the OS just handed out and that nobody listens on any more.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client = FlowdockClient(f"http://127.0.0.1:{port}", retry=RetryPolicy(sleep=slept.append))
    with client, pytest.raises(NetworkError):
        client.get_user()
    assert len(slept) == 3


# -- request log -----------------------------------------------------------------------------


def test_request_log_over_the_wire_hides_credentials(make_client, flow_token) -> None:
    exchanges: list[Exchange] = []
    client = make_client(on_exchange=exchanges.append)
    client.get_user()
    client.post_message(activity().to_payload(), flow_token=flow_token)
    assert [e.response.status_code for e in exchanges if e.response] == [200, 201]
    text = repr([e.redacted() for e in exchanges])
    assert flow_token not in text
    assert seed.DEMO_API_TOKEN not in text
    # The real request did authenticate (the header is only hidden in the log).
    assert exchanges[0].request.headers["authorization"].startswith("Basic ")
