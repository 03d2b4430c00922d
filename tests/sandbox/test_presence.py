"""Presence (``activity.user``) over real loopback sockets: streams opened with ``active=``,
posted presence, the admin read, and where presence must never go."""

from __future__ import annotations

import json
import time
from collections.abc import Callable

import httpx
import pytest

from flowdock_desktop.sandbox import SandboxConfig, SandboxServer
from tests.sandbox.conftest import API_AUTH, SAM_AUTH, SSE, WAIT, Reader, create_source, wait_for

#: Seconds between a present stream's events here (60 by default).
INTERVAL = 0.2
WAITED = {"X-flowdock-wait-for-message": "1"}


@pytest.fixture
def server(make_server) -> SandboxServer:
    """A sandbox of each test's own, so no stream of another test shows anyone present."""
    return make_server(SandboxConfig(stream_keepalive=0.3, presence_interval=INTERVAL))


@pytest.fixture
def http(server) -> httpx.Client:
    with httpx.Client(base_url=server.base_url, timeout=WAIT, auth=API_AUTH) as client:
        yield client


def flow_id(http: httpx.Client, path: str) -> str:
    return http.get(f"/flows/{path}").json()["id"]


def events(reader: Reader) -> list[dict]:
    """Every whole JSON event read so far (keep-alive newlines skipped)."""
    lines = bytes(reader.buffer).split(b"\r\n")[:-1]
    return [json.loads(line) for line in lines if line.strip()]


def wait_for_events(reader: Reader, wanted: Callable[[dict], bool], count: int) -> list[dict]:
    """The events read once ``count`` of them are ``wanted`` ones (reading as they come)."""
    seen = sum(1 for event in events(reader) if wanted(event))
    while seen < count:
        reader.read_until(b"\r\n", reader.buffer.count(b"\r\n") + 1)
        seen = sum(1 for event in events(reader) if wanted(event))
    return events(reader)


def presence_of(user: str, flow: str | None = None) -> Callable[[dict], bool]:
    def wanted(event: dict) -> bool:
        return (
            event.get("event") == "activity.user"
            and event.get("user") == user
            and (flow is None or event.get("flow") == flow)
        )

    return wanted


def present(server: SandboxServer) -> list[dict]:
    answer = httpx.get(server.base_url + "/sandbox/presence", timeout=WAIT)
    assert answer.status_code == 200, answer.text
    return answer.json()["present"]


def stream(readers, server: SandboxServer, path: str = "acme/main", **params) -> Reader:
    auth = params.pop("auth", API_AUTH)
    headers = params.pop("headers", {})
    return readers(
        server.base_url + f"/stream/flows/{path}", params=params, auth=auth, headers=headers
    )


def test_two_people_in_a_flow_see_each_others_presence(server, http, readers) -> None:
    main = flow_id(http, "acme/main")
    demo = stream(readers, server, active="true")
    sam = stream(readers, server, active="true", auth=SAM_AUTH)

    # Sam's stream announced Sam when it opened; the demo user's is announced again within
    # the interval, so Sam hears of them too.
    seen_by_demo = wait_for_events(demo, presence_of("2"), 1)
    seen_by_sam = wait_for_events(sam, presence_of("1"), 1)
    event = next(e for e in seen_by_demo if presence_of("2")(e))
    assert event["flow"] == main
    assert set(event["content"]) == {"last_activity"}
    assert isinstance(event["content"]["last_activity"], int)
    assert isinstance(event["sent"], int) and event["sent"] >= event["content"]["last_activity"]
    assert "id" not in event  # not stored
    assert event["created_at"].endswith("Z")
    # Nobody is told about themselves by their own stream.
    assert not [e for e in seen_by_demo if presence_of("1")(e)]
    assert not [e for e in seen_by_sam if presence_of("2")(e)]
    # ...and it keeps being said while the streams stay open.
    assert len([e for e in wait_for_events(demo, presence_of("2"), 3) if presence_of("2")(e)]) >= 3


def test_presence_never_reaches_another_flow_or_a_private_stream(server, http, readers) -> None:
    announcements = stream(readers, server, "acme/announcements")
    private_only = readers(server.base_url + "/stream/flows", params={"user": "1"})
    watcher = stream(readers, server)
    stream(readers, server, active="true", auth=SAM_AUTH)

    # Three rounds of Sam's presence reach the main flow's stream; each round is written to
    # every stream at once, so none has reached the others.
    wait_for_events(watcher, presence_of("2"), 3)
    chat = {"event": "message", "content": "marker"}
    assert http.post("/flows/acme/announcements/messages", json=chat).status_code == 201
    assert [e["content"] for e in wait_for_events(announcements, lambda e: True, 1)] == ["marker"]
    assert b"activity.user" not in announcements.buffer
    assert b"activity.user" not in private_only.buffer


def test_a_stream_following_flows_and_private_messages_hears_presence(
    server, http, readers
) -> None:
    both = readers(server.base_url + "/stream/flows", params={"filter": "acme/main", "user": "1"})
    stream(readers, server, active="true", auth=SAM_AUTH)
    assert wait_for_events(both, presence_of("2", flow_id(http, "acme/main")), 1)


def test_idle_says_present_without_a_last_activity(server, http, readers) -> None:
    watcher = stream(readers, server)
    stream(readers, server, active="idle", auth=SAM_AUTH)
    event = next(e for e in wait_for_events(watcher, presence_of("2"), 1) if presence_of("2")(e))
    assert event["content"] == {}
    (entry,) = present(server)
    assert entry["user"] == "2" and entry["state"] == "idle" and entry["last_activity"] is None


def test_a_plain_stream_says_nothing(server, http, readers) -> None:
    watcher = stream(readers, server)
    stream(readers, server, auth=SAM_AUTH)
    stream(readers, server, active="false", auth=SAM_AUTH)
    chat = {"event": "message", "content": "after the plain streams opened"}
    assert http.post("/flows/acme/main/messages", json=chat).status_code == 201
    seen = wait_for_events(watcher, lambda e: e.get("event") == "message", 1)
    assert [e["event"] for e in seen] == ["message"]
    assert present(server) == []


def test_an_unknown_active_value_is_refused(server) -> None:
    answer = httpx.get(
        server.base_url + "/stream/flows/acme/main", params={"active": "maybe"}, auth=API_AUTH
    )
    assert answer.status_code == 400
    assert "active" in answer.json()["errors"]


def test_sse_presence_has_no_id(server, http, readers) -> None:
    watcher = stream(readers, server, headers=SSE)
    stream(readers, server, active="true", auth=SAM_AUTH)
    data = watcher.read_until(b"activity.user", 1)
    data = watcher.read_until(b"\n\n", data.count(b"\n\n") + 1)
    at = data.index(b"activity.user")
    start = data.rfind(b"\n\n", 0, at)
    frame = data[0 if start < 0 else start + 2 : data.index(b"\n\n", at)]
    assert frame.startswith(b"data: {") and b"\nid:" not in frame and not frame.startswith(b"id:")


def test_a_posted_activity_user_is_broadcast_and_never_stored(server, http, readers) -> None:
    main = flow_id(http, "acme/main")
    sam_watching = stream(readers, server, auth=SAM_AUTH)
    own = stream(readers, server)
    before = http.get("/flows/acme/main/messages", params={"limit": 100}).json()

    posted = {"event": "activity.user", "content": {"last_activity": 1317715364447}}
    answer = http.post("/flows/acme/main/messages", json=posted)
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert body["event"] == "activity.user" and body["user"] == "1" and body["flow"] == main
    assert body["content"] == {"last_activity": 1317715364447}
    assert "id" not in body and "Link" not in answer.headers

    for reader in (sam_watching, own):  # every stream of the flow, the poster's too
        event = next(e for e in wait_for_events(reader, presence_of("1"), 1) if presence_of("1")(e))
        assert event == body

    # POST /messages with the flow's id: 202 {} unless the client waits.
    by_id = {"event": "activity.user", "flow": main}
    answer = http.post("/messages", json=by_id)
    assert (answer.status_code, answer.json()) == (202, {})
    answer = http.post("/messages", json=by_id, headers=WAITED)
    assert answer.status_code == 201 and answer.json()["content"] == {}

    # Nothing stored: not in listings (filtered or searched), threads, the admin's list of
    # stored messages, or the flow's page.
    after = http.get("/flows/acme/main/messages", params={"limit": 100}).json()
    assert after == before
    assert http.get("/flows/acme/main/messages", params={"event": "activity.user"}).json() == []
    assert http.get("/flows/acme/main/messages", params={"search": "activity"}).json() == []
    assert http.get("/flows/acme/main/threads").json() == []
    stored = httpx.get(server.base_url + "/sandbox/messages", params={"flow": "acme/main"})
    assert all(m["event"] != "activity.user" for m in stored.json())
    page = httpx.get(server.base_url + "/app/acme/main")
    assert page.status_code == 200 and "activity.user" not in page.text
    # ...and the messages posted after it keep the ids they would have had.
    chat = http.post("/flows/acme/main/messages", json={"event": "message", "content": "next"})
    assert chat.json()["id"] == max((m["id"] for m in before), default=0) + 1


def test_a_posted_activity_user_is_checked(server, http) -> None:
    def post(body: dict, path: str = "/flows/acme/main/messages", **request) -> httpx.Response:
        return http.post(path, json={"event": "activity.user", **body}, **request)

    bad = post({"content": {"last_activity": "soon"}})
    assert bad.status_code == 400 and "content.last_activity" in bad.json()["errors"]
    bad = post({"content": "here"})
    assert bad.status_code == 400 and "content" in bad.json()["errors"]
    assert post({}, "/messages").status_code == 400  # no flow named
    # A flow the demo user has not joined (Random is Sam's), and a flow token.
    assert post({}, "/flows/acme/random/messages").status_code == 403
    token = create_source(http, "presence")["flow_token"]
    refused = post({"flow_token": token}, "/messages", auth=None)
    assert refused.status_code == 400 and "event" in refused.json()["errors"]
    assert present(server) == []


def test_the_admin_read_shows_who_is_where_and_forgets_a_closed_stream(
    server, http, readers
) -> None:
    main, announcements = flow_id(http, "acme/main"), flow_id(http, "acme/announcements")
    demo = readers(
        server.base_url + "/stream/flows",
        params={"filter": "acme/main,acme/announcements", "active": "true"},
    )
    stream(readers, server, active="idle", auth=SAM_AUTH)
    entries = {(e["flow_path"], e["nick"]): e for e in present(server)}
    assert set(entries) == {("acme/main", "Demo"), ("acme/announcements", "Demo"),
                            ("acme/main", "Sam")}  # fmt: skip
    assert entries[("acme/main", "Demo")]["flow"] == main
    assert entries[("acme/announcements", "Demo")]["flow"] == announcements
    assert entries[("acme/main", "Demo")]["state"] == "active"
    assert isinstance(entries[("acme/main", "Demo")]["last_activity"], int)
    assert entries[("acme/main", "Sam")]["state"] == "idle"
    assert entries[("acme/main", "Demo")]["streams"] == 1
    streams = httpx.get(server.base_url + "/sandbox/streams").json()["streams"]
    assert sorted(str(s["presence"]) for s in streams) == ["active", "idle"]

    demo.stop()
    wait_for(lambda: {e["nick"] for e in present(server)} == {"Sam"}, "the demo user to go")


def test_a_closed_stream_stops_being_announced(server, http, readers) -> None:
    watcher = stream(readers, server)
    sam = stream(readers, server, active="true", auth=SAM_AUTH)
    stream(readers, server, active="true")  # the demo user, still here throughout
    wait_for_events(watcher, presence_of("2"), 1)

    sam.stop()
    wait_for(lambda: {e["user"] for e in present(server)} == {"1"}, "Sam to leave")
    # Sam is gone from here on. What the watcher has read so far is no mark: rounds sent
    # before he left may still wait unread in its socket. So the events' own times tell.
    left = time.time() * 1000

    def since(user: str) -> list[dict]:
        return [e for e in events(watcher) if presence_of(user)(e) and e["sent"] > left]

    # Three rounds of the demo user's presence sent since; Sam's would come in the same rounds.
    while len(since("1")) < 3:
        wait_for_events(watcher, presence_of("1"), len(
            [e for e in events(watcher) if presence_of("1")(e)]) + 1)  # fmt: skip
    assert since("2") == []


def test_posted_presence_is_forgotten_when_not_renewed(make_server) -> None:
    # Forgotten twice the interval after the post: long enough for a loaded machine to read
    # it first, short enough to wait for.
    server = make_server(SandboxConfig(presence_interval=2.0))
    answer = httpx.post(
        server.base_url + "/flows/acme/main/messages",
        json={"event": "activity.user", "content": {"last_activity": 1000}},
        auth=SAM_AUTH,
        timeout=WAIT,
    )
    assert answer.status_code == 201
    (entry,) = present(server)
    assert (entry["nick"], entry["state"], entry["last_activity"], entry["streams"]) == (
        "Sam", "active", 1000, 0)  # fmt: skip
    assert entry["posted"] is True
    wait_for(lambda: present(server) == [], "posted presence to be forgotten")
