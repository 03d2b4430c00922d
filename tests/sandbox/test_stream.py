"""The Streaming API over real loopback sockets: framing, ids and resume, auth, slow readers."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import httpx
import pytest

from flowdock_desktop.sandbox import SandboxConfig, SandboxServer
from flowdock_desktop.sandbox.seed import SECOND_USER_API_TOKEN
from flowdock_desktop.testing import mint_token
from tests.sandbox.conftest import (
    API_AUTH,
    SSE,
    WAIT,
    Reader,
    activity,
    bearer,
    create_source,
    wait_for,
)


def open_streams(server: SandboxServer) -> int:
    return httpx.get(server.base_url + "/sandbox/streams").json()["open"]


def post(http: httpx.Client, message: dict) -> dict:
    answer = http.post("/messages", json=message, headers={"X-flowdock-wait-for-message": "1"})
    assert answer.status_code == 201, answer.text
    return answer.json()


@pytest.fixture(scope="module")
def server() -> Iterator[SandboxServer]:
    with SandboxServer(SandboxConfig(stream_keepalive=0.3)) as running:
        yield running


@pytest.fixture
def http(server) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.base_url, timeout=WAIT) as client:
        yield client


def test_json_stream_delivers_a_message_posted_after_connecting(server, http, readers) -> None:
    source = create_source(http, "Stream JSON")
    reader = readers(server.base_url + "/stream/flows", params={"filter": "acme/main"})
    assert reader.response.status_code == 200
    assert reader.response.headers["content-type"].startswith("application/json")
    posted = post(http, activity(source["flow_token"], "json:1"))

    (event,) = reader.json_events(1)
    assert reader.buffer.index(b"\r\n") == len(reader.buffer.split(b"\r\n")[0])
    # Shaped as the messages API shows it, thread state included.
    shown = http.get(f"/flows/acme/main/messages/{posted['id']}", auth=API_AUTH).json()
    assert event == shown == posted
    assert event["thread_id"] == posted["thread_id"]
    thread = event["thread"]
    assert thread["status"] == {"color": "green", "value": "open"}
    assert thread["fields"] == [{"label": "Severity", "value": "high"}]
    assert thread["actions"][0]["name"] == "Diff"
    assert thread["activities"] == 1 and thread["internal_comments"] == 0


def test_quiet_json_stream_sends_bare_newlines(server, readers) -> None:
    reader = readers(server.base_url + "/stream/flows/acme/announcements")
    data = reader.read_until(b"\n", 2)
    assert set(data) == {ord("\n")}


def test_stream_follows_only_its_flows_by_slug_or_id(server, http, readers) -> None:
    announcements = http.get("/flows/acme/announcements", auth=API_AUTH).json()["id"]
    both = readers(
        server.base_url + "/stream/flows", params={"filter": f"acme/main,{announcements}"}
    )
    main_only = readers(server.base_url + "/stream/flows/acme/main")
    chat = {"event": "message", "content": "to announcements"}
    assert http.post("/flows/acme/announcements/messages", json=chat, auth=API_AUTH).is_success
    chat = {"event": "message", "content": "to main"}
    assert http.post("/flows/acme/main/messages", json=chat, auth=API_AUTH).is_success

    assert [e["content"] for e in both.json_events(2)] == ["to announcements", "to main"]
    assert [e["content"] for e in main_only.json_events(1)] == ["to main"]
    assert b"to announcements" not in main_only.buffer


def test_sse_ids_and_resume_lose_nothing(server, http, readers) -> None:
    source = create_source(http, "Stream SSE")
    token = source["flow_token"]
    first = readers(server.base_url + "/stream/flows/acme/main", headers=SSE)
    assert first.response.headers["content-type"].startswith("text/event-stream")
    posted = [post(http, activity(token, "sse:1", title=f"step {n}")) for n in range(2)]
    events = first.sse_events(2)
    ids = [event_id for event_id, _ in events]
    assert ids == sorted(ids) and len(set(ids)) == 2
    assert [e["id"] for _, e in events] == [p["id"] for p in posted]
    first.stop()
    wait_for(lambda: open_streams(server) == 0, "the dropped stream to be cleaned up")

    # Posted while nobody listens; the resumed stream replays them in order, then goes live.
    missed = [post(http, activity(token, "sse:1", title=f"missed {n}")) for n in range(3)]
    resumed = readers(
        server.base_url + "/stream/flows/acme/main",
        headers={**SSE, "Last-Event-ID": str(ids[-1])},
    )
    later = post(http, activity(token, "sse:1", title="after resuming"))
    replayed = resumed.sse_events(4)
    assert [e["title"] for _, e in replayed] == ["missed 0", "missed 1", "missed 2", later["title"]]
    assert [e["id"] for _, e in replayed] == [m["id"] for m in missed] + [later["id"]]
    assert [i for i, _ in replayed] == sorted(i for i, _ in replayed)
    assert replayed[0][0] > ids[-1]


def test_credentials_as_on_the_rest_api(server, http) -> None:
    url = server.base_url + "/stream/flows/acme/main"

    def status(**request) -> int:
        with httpx.stream("GET", url, timeout=WAIT, **request) as answer:
            return answer.status_code

    assert status() == 401
    assert status(auth=httpx.BasicAuth("wrong", "x")) == 401
    token = mint_token(server, ["flow"])["access_token"]
    assert status(headers=bearer(token)) == 200
    assert status(params={"access_token": token}) == 200
    assert status(auth=httpx.BasicAuth(SECOND_USER_API_TOKEN, "x")) == 200
    profile_only = mint_token(server, ["profile"])["access_token"]
    assert status(headers=bearer(profile_only)) == 403
    source = create_source(http, "Stream token")
    assert status(params={"flow_token": source["flow_token"]}) == 401


def test_a_flow_the_user_cannot_see_is_an_error_and_sends_nothing(server, http) -> None:
    def hidden_flow(tx) -> None:
        tx.execute("INSERT INTO organizations (id, name, parameterized_name) VALUES (9, 'O', 'o')")
        tx.execute(
            "INSERT INTO flows (id, org_id, name, parameterized_name, join_hash) "
            "VALUES ('hiddenflow000001', 9, 'Secret', 'secret', 'x')"
        )

    server.state.run(hidden_flow)
    for params in ({"filter": "o/secret"}, {"filter": "hiddenflow000001"},
                   {"filter": "acme/main,o/secret"}, {"filter": "acme/nope"}):  # fmt: skip
        answer = http.get("/stream/flows", params=params, auth=API_AUTH)
        assert answer.status_code == 404, params
        assert answer.json() == {"message": "Not found"}
    assert http.get("/stream/flows", auth=API_AUTH).status_code == 400
    assert open_streams(server) == 0


def test_active_and_user_params_are_accepted(server, http, readers) -> None:
    reader = readers(
        server.base_url + "/stream/flows",
        params={"filter": "acme/main", "active": "idle", "user": "1"},
    )
    chat = {"event": "message", "content": "with presence params"}
    assert http.post("/flows/acme/main/messages", json=chat, auth=API_AUTH).is_success
    assert reader.json_events(1)[0]["content"] == "with presence params"
    alone = readers(server.base_url + "/stream/flows", params={"user": "1", "active": "true"})
    assert alone.response.status_code == 200


def test_dropped_clients_are_cleaned_up(server) -> None:
    wait_for(lambda: open_streams(server) == 0, "earlier streams to close")
    sockets = []
    for _ in range(3):
        raw = socket.create_connection((server.host, server.port))
        raw.sendall(
            b"GET /stream/flows/acme/main HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Authorization: Basic c2FuZGJveC1hcGktdG9rZW46eA==\r\n\r\n"
        )
        assert raw.recv(12) == b"HTTP/1.1 200"
        sockets.append(raw)
    assert open_streams(server) == 3
    for raw in sockets:
        raw.close()
    wait_for(lambda: open_streams(server) == 0, "closed streams to leave the hub")


def test_a_slow_reader_does_not_block_another(make_server, readers) -> None:
    config = SandboxConfig(stream_queue_limit=20, write_timeout=1.0, stream_keepalive=30)
    server = make_server(config)
    http = httpx.Client(base_url=server.base_url, timeout=WAIT)
    source = create_source(http, "Busy")

    # A client that subscribes and then never reads, with the smallest receive buffer.
    stalled = socket.socket()
    stalled.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1024)
    stalled.connect((server.host, server.port))
    stalled.sendall(
        b"GET /stream/flows/acme/main HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        b"Authorization: Basic c2FuZGJveC1hcGktdG9rZW46eA==\r\n\r\n"
    )
    wait_for(lambda: open_streams(server) == 1, "the stalled stream to subscribe")
    reader = readers(server.base_url + "/stream/flows/acme/main")

    # Enough to fill the kernel's buffers for the stalled socket (Linux grows a loopback
    # send buffer to about 4 MB) and then its queue in the hub.
    body = "x" * 60_000
    count = 120
    for n in range(count):
        message = activity(source["flow_token"], "busy:1", title=f"busy {n}", body=body)
        assert http.post("/messages", json=message).status_code == 202
    events = reader.json_events(count)
    assert [e["title"] for e in events] == [f"busy {n}" for n in range(count)]
    # The stalled one fell behind and was let go; the reader that keeps up stays.
    wait_for(lambda: open_streams(server) == 1, "the stalled stream to leave the hub")
    reader.stop()
    http.close()
    # Its connection, blocked on a reader that never reads, is dropped by the write timeout.
    wait_for(lambda: server.limits.open_connections == 0, "the stalled connection to close")
    stalled.close()


def test_streams_per_client_are_capped(make_server) -> None:
    server = make_server(SandboxConfig(max_streams_per_client=2))
    url = server.base_url + "/stream/flows/acme/main"
    with (
        httpx.Client(auth=API_AUTH, timeout=WAIT) as http,
        http.stream("GET", url) as one,
        http.stream("GET", url) as two,
    ):
        assert one.status_code == two.status_code == 200
        refused = http.get(url)
        assert refused.status_code == 429
        assert refused.headers["retry-after"] == "5"
        assert "Too many open streams" in refused.json()["message"]
        # Ordinary requests from the same address still get through.
        assert http.get(server.base_url + "/flows").status_code == 200


def test_stopping_the_server_ends_open_streams(make_server) -> None:
    server = make_server(SandboxConfig(stream_keepalive=30))
    reader = Reader(server.base_url + "/stream/flows/acme/main", auth=API_AUTH).start()
    server.stop()
    while reader.chunks.get(timeout=WAIT) is not None:
        pass  # the answer ends (keep-alives aside, nothing else comes)
