"""What happens to a flow's people, as Flowdock stored and tagged it, over real loopback
sockets: ``action`` messages (joining, being added, being blocked), the ``:unread:`` and
``:highlight:`` tags of mentions, listing by ``@Nick``, people's ``last_activity`` and
``last_ping`` from presence, and presence in a flow the person has not joined."""

from __future__ import annotations

import httpx
import pytest

from flowdock_desktop.sandbox import SandboxConfig, SandboxServer
from tests.sandbox.conftest import API_AUTH, SAM_AUTH, WAIT, Reader, wait_for

WAITED = {"X-flowdock-wait-for-message": "1"}


@pytest.fixture
def server(make_server) -> SandboxServer:
    return make_server(SandboxConfig(stream_keepalive=0.3, presence_interval=0.2))


@pytest.fixture
def http(server) -> httpx.Client:
    with httpx.Client(base_url=server.base_url, timeout=WAIT, auth=API_AUTH) as client:
        yield client


def stream(readers, server: SandboxServer, path: str, **params) -> Reader:
    auth = params.pop("auth", API_AUTH)
    return readers(server.base_url + f"/stream/flows/{path}", params=params, auth=auth)


def actions(http: httpx.Client, path: str, **auth) -> list[dict]:
    listed = http.get(f"/flows/{path}/messages", params={"event": "action"}, **auth)
    assert listed.status_code == 200, listed.text
    return listed.json()


# ---------------------------------------------------------------------- action messages


def test_joining_a_flow_stores_a_join_action_that_streams_show(server, http, readers) -> None:
    random_id = http.get("/flows/acme/random").json()["id"]
    assert actions(http, "acme/random") == []
    watching = stream(readers, server, "acme/random", auth=SAM_AUTH)

    joined = http.put("/flows/acme/random", json={"open": True})
    assert joined.status_code == 200 and joined.json()["joined"] is True

    [action] = actions(http, "acme/random")
    assert action["event"] == "action"
    assert action["content"] == {"type": "join", "description": "Demo"}
    assert action["user"] == "1"  # who joined
    assert action["flow"] == random_id and action["app"] == "chat" and action["tags"] == []
    assert isinstance(action["id"], int) and action["created_at"].endswith("Z")
    [streamed] = watching.json_events(1)
    assert streamed == action
    # Opening the tab again, or closing it, is no new join.
    http.put("/flows/acme/random", json={"open": False})
    http.put("/flows/acme/random", json={"open": True})
    assert len(actions(http, "acme/random")) == 1


def test_adding_someone_stores_add_people_once(http) -> None:
    assert http.post("/flows/acme/announcements/users", json={"id": 2}).status_code == 200
    [action] = actions(http, "acme/announcements")
    assert action["content"] == {"type": "add_people", "description": "Sam"}
    assert action["user"] == "1"  # who added them
    # Adding someone who is already there adds nobody, and stores nothing.
    assert http.post("/flows/acme/announcements/users", json={"id": 2}).status_code == 200
    assert len(actions(http, "acme/announcements")) == 1
    # Sam now reads the flow, the action included.
    assert actions(http, "acme/announcements", auth=SAM_AUTH) == [action]


def test_blocking_someone_stores_a_block_action_naming_them(http) -> None:
    blocked = http.put("/flows/acme/main/users/2", json={"disabled": True})
    assert blocked.status_code == 200
    [action] = actions(http, "acme/main")
    assert action["content"] == {"type": "block", "description": {"user": 2}}
    assert action["user"] == "1"  # who blocked them
    # Blocking again, and unblocking (Flowdock had no action for it), store nothing more.
    http.put("/flows/acme/main/users/2", json={"disabled": True})
    http.put("/flows/acme/main/users/2", json={"disabled": False})
    assert len(actions(http, "acme/main")) == 1
    # A refused block stores nothing either.
    assert http.put("/flows/acme/main/users/1", json={"disabled": True}, auth=SAM_AUTH).status_code
    assert len(actions(http, "acme/main")) == 1


def test_actions_count_in_the_flow_and_leave_chat_filters_alone(http) -> None:
    http.post("/flows/acme/announcements/users", json={"id": 2})
    posted = http.post(
        "/flows/acme/announcements/messages", json={"event": "message", "content": "hi"}
    )
    assert posted.status_code == 201
    everything = http.get("/flows/acme/announcements/messages").json()
    assert [m["event"] for m in everything] == ["action", "message"]
    assert everything[1]["id"] == everything[0]["id"] + 1
    chat = http.get("/flows/acme/announcements/messages", params={"event": "message"}).json()
    assert [m["content"] for m in chat] == ["hi"]


# ---------------------------------------------------------------------- :unread: and :highlight:


def post(http: httpx.Client, content: str, path: str = "acme/main", **fields) -> dict:
    reply = http.post(
        f"/flows/{path}/messages", json={"event": "message", "content": content, **fields}
    )
    assert reply.status_code == 201, reply.text
    return reply.json()


def test_a_mention_asks_the_mentioned_person_to_read_it(http) -> None:
    # Flowdock's tags page: "@Marty, ..." → ":user:16", ":unread:16" (no highlight).
    assert post(http, "@sam, look")["tags"] == [":user:2", ":unread:2"]
    # Sam mentioning themselves is tagged, but asks nobody to read it.
    mine = http.post(
        "/flows/acme/main/messages",
        json={"event": "message", "content": "note to @Sam"},
        auth=SAM_AUTH,
    ).json()
    assert mine["tags"] == [":user:2"]


def test_everyone_asks_everyone_but_the_author(http) -> None:
    http.post("/flows/acme/main/users", json={"id": 2})
    for word in ("@everyone", "@All", "@everybody", "@anyone", "@anybody"):
        tags = post(http, f"{word} standup now")["tags"]
        assert tags == [":user:everyone", ":unread:2"], word
    by_sam = http.post(
        "/flows/acme/main/messages",
        json={"event": "message", "content": "@everyone lunch"},
        auth=SAM_AUTH,
    ).json()
    assert by_sam["tags"] == [":user:everyone", ":unread:1"]


def test_a_nick_without_the_at_highlights(http) -> None:
    assert post(http, "thanks sam!")["tags"] == [":highlight:2"]
    assert post(http, "Sam: and SAM.")["tags"] == [":highlight:2"]
    # Not inside other words, hashtags, addresses or links, and never the author.
    assert post(http, "samuel #sam sam@example.com x.sam https://example.com/sam")["tags"] == [
        "sam",
        ":url",
    ]
    assert post(http, "demo time")["tags"] == []


def test_given_user_tags_are_translated(http) -> None:
    tags = post(http, "see this", tags=["@Sam", "#ops", "@nobody"])["tags"]
    assert tags == [":user:2", ":unread:2", "#ops", "@nobody"]
    assert post(http, "all hands", tags="@everyone")["tags"] == [":user:everyone", ":unread:2"]


def test_blocked_people_are_not_mentioned(http) -> None:
    assert http.put("/flows/acme/main/users/2", json={"disabled": True}).status_code == 200
    assert post(http, "@Sam and sam, @all")["tags"] == [":user:everyone"]


def test_private_mentions_and_unread_listing(http) -> None:
    private = http.post(
        "/private/2/messages", json={"event": "message", "content": "@Sam ping, sam"}
    ).json()
    assert private["tags"] == [":user:2", ":unread:2", ":highlight:2"]
    posted = post(http, "@sam please review")
    unread = http.get("/flows/acme/main/messages", params={"tags": ":unread:2"}).json()
    assert [m["id"] for m in unread] == [posted["id"]]


# ---------------------------------------------------------------------- listing by @Nick


def test_listing_by_a_user_tag_means_the_persons_user_tag(http) -> None:
    to_sam = post(http, "@Sam have a look")
    post(http, "nothing for anyone")
    everyone = post(http, "@all hands")
    given = post(http, "tagged", tags=["@nobody"])
    for wanted in ("@Sam", "@sam", "@SAM", ":user:2"):
        listed = http.get("/flows/acme/main/messages", params={"tags": wanted}).json()
        assert [m["id"] for m in listed] == [to_sam["id"]], wanted
    for wanted in ("@everyone", "@All"):
        listed = http.get("/flows/acme/main/messages", params={"tags": wanted}).json()
        assert [m["id"] for m in listed] == [everyone["id"]], wanted
    either = http.get(
        "/flows/acme/main/messages", params={"tags": "@sam,@everyone", "tag_mode": "or"}
    ).json()
    assert [m["id"] for m in either] == [to_sam["id"], everyone["id"]]
    # A name nobody in the flow has is matched as the tag it is.
    listed = http.get("/flows/acme/main/messages", params={"tags": "@Nobody"}).json()
    assert [m["id"] for m in listed] == [given["id"]]
    # Private conversations: the two people's nicks.
    private = http.post(
        "/private/2/messages", json={"event": "message", "content": "@sam hi"}
    ).json()
    http.post("/private/2/messages", json={"event": "message", "content": "no mention"})
    listed = http.get("/private/2/messages", params={"tags": "@Sam"}).json()
    assert [m["id"] for m in listed] == [private["id"]]


# ---------------------------------------------------------------------- last_activity, last_ping


def sam_in(http: httpx.Client, path: str = "/flows/acme/main/users") -> dict:
    listed = http.get(path).json()
    users = listed["users"] if isinstance(listed, dict) else listed
    return next(u for u in users if u["id"] == 2)


def sams_streams(server: SandboxServer) -> int:
    present = httpx.get(server.base_url + "/sandbox/presence", timeout=WAIT).json()["present"]
    return sum(p["streams"] for p in present if p["user"] == "2")


def test_user_lists_show_presence_when_the_sandbox_has_it(server, http, readers) -> None:
    # Nobody has been present: the store's clock, as before.
    before = sam_in(http)
    assert before["last_ping"] == before["last_activity"]
    posted = http.post(
        "/flows/acme/main/messages",
        json={"event": "activity.user", "content": {"last_activity": 1_500_000_000_000}},
        auth=SAM_AUTH,
    )
    assert posted.status_code == 201
    sent = posted.json()["sent"]
    for path in ("/flows/acme/main/users", "/flows/acme/main"):
        shown = sam_in(http, path)
        assert (shown["last_activity"], shown["last_ping"]) == (1_500_000_000_000, sent), path
    main = next(f for f in http.get("/flows", params={"users": 1}).json() if f["name"] == "Main")
    shown = next(u for u in main["users"] if u["id"] == 2)
    assert (shown["last_activity"], shown["last_ping"]) == (1_500_000_000_000, sent)
    # Presence in Main says nothing of Sam elsewhere: Random's list keeps the clock.
    assert sam_in(http, "/flows/acme/random/users")["last_activity"] != 1_500_000_000_000

    # An idle stream pings without saying Sam did anything.
    idle = stream(readers, server, "acme/main", active="idle", auth=SAM_AUTH)
    wait_for(lambda: sam_in(http)["last_ping"] > sent, "an idle ping")
    assert sam_in(http)["last_activity"] == 1_500_000_000_000
    idle.stop()
    # An active one says Sam is active now, and the list keeps the last of it once it closes.
    active = stream(readers, server, "acme/main", active="true", auth=SAM_AUTH)
    wait_for(lambda: sam_in(http)["last_activity"] > sent, "Sam's activity")
    active.stop()
    wait_for(lambda: not sams_streams(server), "Sam's stream to close")
    last = sam_in(http)
    assert last["last_activity"] > sent and last["last_ping"] >= last["last_activity"]
    http.post("/flows/acme/main/messages", json={"event": "message", "content": "tick"})
    assert sam_in(http) == last  # the clock moved on; what presence saw did not


# ---------------------------------------------------------------------- presence where not joined


def test_an_active_stream_reads_a_flow_not_joined_but_shows_nobody_there(
    server, http, readers
) -> None:
    # Demo sees Random (open to the organization) without having joined it: posting there,
    # presence included, is 403, so an active stream reads Random but never shows Demo in it.
    refused = http.post("/flows/acme/random/messages", json={"event": "activity.user"})
    assert refused.status_code == 403
    random_id = http.get("/flows/acme/random").json()["id"]
    main_id = http.get("/flows/acme/main").json()["id"]
    sam = stream(readers, server, "acme/random", auth=SAM_AUTH)
    demo = readers(
        server.base_url + "/stream/flows",
        params={"filter": "acme/random,acme/main", "active": "true"},
    )
    said = http.post(
        "/flows/acme/random/messages",
        json={"event": "message", "content": "hello Random"},
        auth=SAM_AUTH,
    )
    assert said.status_code == 201
    # Demo's stream reads Random...
    demo.read_until(b"hello Random", 1)
    # ...and shows Demo present in Main only.
    wait_for(lambda: any(p["user"] == "1" for p in present_now(server)), "Demo in Main")
    assert [(p["flow"], p["user"]) for p in present_now(server)] == [(main_id, "1")]
    streams = httpx.get(server.base_url + "/sandbox/streams", timeout=WAIT).json()["streams"]
    assert sorted(str(s["presence"]) for s in streams) == ["None", "active"]
    # Sam's stream of Random has heard Sam's message and nothing about Demo. A later
    # message shows it is read up to there, with no activity.user on the way.
    http.post(
        "/flows/acme/random/messages", json={"event": "message", "content": "end"}, auth=SAM_AUTH
    )
    events = sam.json_events(2)
    assert [e["event"] for e in events] == ["message", "message"]
    assert random_id in {e["flow"] for e in events}
    # Only a stream of Random alone: the stream opens, and says nothing of Demo at all.
    alone = stream(readers, server, "acme/random", active="true")
    assert alone.response is not None and alone.response.status_code == 200
    assert all(p["flow"] != random_id for p in present_now(server))
    # Once Demo joins, a new active stream shows them there.
    assert http.put("/flows/acme/random", json={"open": True}).status_code == 200
    stream(readers, server, "acme/random", active="true")
    wait_for(
        lambda: any(p["flow"] == random_id and p["user"] == "1" for p in present_now(server)),
        "Demo in Random",
    )


def test_a_blocked_person_is_not_shown_present(server, http, readers) -> None:
    assert http.put("/flows/acme/main/users/2", json={"disabled": True}).status_code == 200
    blocked = stream(readers, server, "acme/main", active="true", auth=SAM_AUTH)
    assert blocked.response is not None and blocked.response.status_code == 200
    streams = httpx.get(server.base_url + "/sandbox/streams", timeout=WAIT).json()["streams"]
    assert [s["presence"] for s in streams] == [None]
    assert present_now(server) == []


def present_now(server: SandboxServer) -> list[dict]:
    return httpx.get(server.base_url + "/sandbox/presence", timeout=WAIT).json()["present"]


def test_a_tags_edit_translates_user_tags_too(http) -> None:
    posted = post(http, "deploy done", tags=["ops"])
    changed = http.put(
        f"/flows/acme/main/messages/{posted['id']}", json={"tags": ["ops", "@SAM", "@ghost"]}
    )
    assert changed.status_code == 200
    shown = http.get(f"/flows/acme/main/messages/{posted['id']}").json()
    assert shown["tags"] == ["ops", ":user:2", ":unread:2", "@ghost"]
    [change] = http.get("/flows/acme/main/messages", params={"event": "tag-change"}).json()
    assert change["content"]["add"] == [":user:2", ":unread:2", "@ghost"]
    listed = http.get("/flows/acme/main/messages", params={"tags": "@sam"}).json()
    assert [m["id"] for m in listed] == [posted["id"]]


def test_listing_by_a_blocked_persons_nick_still_finds_their_mentions(http) -> None:
    mention = post(http, "@Sam welcome")
    assert http.put("/flows/acme/main/users/2", json={"disabled": True}).status_code == 200
    listed = http.get("/flows/acme/main/messages", params={"tags": "@Sam"}).json()
    assert [m["id"] for m in listed] == [mention["id"]]
