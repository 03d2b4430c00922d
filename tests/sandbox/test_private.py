"""Private conversations and their messages over a live sandbox."""

from __future__ import annotations

import httpx
import pytest

from flowdock_desktop.testing import mint_token
from tests.sandbox.conftest import SAM_AUTH, bearer

WAIT = {"X-flowdock-wait-for-message": "true"}


def _outsider(http: httpx.Client) -> None:
    """A third person who shares no organization with the demo user."""
    server = http.server  # type: ignore[attr-defined]

    def work(tx):
        tx.execute(
            "INSERT INTO users (id, nick, name, email, password) "
            "VALUES (3, 'Out', 'Outsider', 'out@example.com', 'pw')"
        )
        tx.execute("INSERT INTO organizations (id, name, parameterized_name) VALUES (2, 'O', 'o')")
        tx.execute(
            "INSERT INTO flows (id, org_id, name, parameterized_name, join_hash, api_token) "
            "VALUES ('elsewhere', 2, 'E', 'e', 'x', 'tok-elsewhere')"
        )
        tx.execute("INSERT INTO flow_members (flow_id, user_id) VALUES ('elsewhere', 3)")

    server.state.run(work)


def test_a_conversation_from_first_look_to_messages(http: httpx.Client) -> None:
    assert http.get("/private").json() == []
    first = http.get("/private/2")
    assert first.status_code == 200 and first.headers["Flowdock-User"] == "1"
    conversation = first.json()
    # Looking makes the conversation, closed, as Flowdock did.
    assert conversation["id"] == 2 and conversation["name"] == "@Sam"
    assert conversation["open"] is False
    assert conversation["url"].endswith("/private/2")
    assert [u["id"] for u in conversation["users"]] == [1, 2]
    assert [c["id"] for c in http.get("/private").json()] == [2]

    sent = http.post("/private/2/messages", json={"event": "message", "content": "psst"})
    assert sent.status_code == 201 and sent.headers["Flowdock-User"] == "1"
    message = sent.json()
    assert (message["id"], message["content"], message["user"], message["to"]) == (
        1,
        "psst",
        "1",
        "2",
    )
    assert "flow" not in message and message["app"] == "chat"
    # Both ends see the same conversation, and it opened for both.
    assert http.get("/private/2").json()["open"] is True
    theirs = http.get("/private", auth=SAM_AUTH).json()
    assert [(c["id"], c["open"], c["name"]) for c in theirs] == [(1, True, "@Demo")]
    answer = http.post(
        "/private/1/messages", json={"event": "message", "content": "what?"}, auth=SAM_AUTH
    ).json()
    assert (answer["id"], answer["to"]) == (2, "1")
    listed = http.get("/private/2/messages").json()
    assert [(m["id"], m["user"]) for m in listed] == [(1, "1"), (2, "2")]
    assert http.get("/private/1/messages", auth=SAM_AUTH).json() == listed
    assert http.get("/private/2/messages", params={"limit": 1}).json() == listed[-1:]
    assert http.get("/private/2/messages", params={"search": "PSST"}).json() == listed[:1]
    assert http.get("/private/2/messages/2").json() == listed[1]
    assert http.get("/private/2/messages/3").status_code == 404
    # A flow's messages are not a private conversation's.
    assert all(m.get("to") is None for m in http.get("/flows/acme/main/messages").json())


def test_open_and_close_a_conversation(http: httpx.Client) -> None:
    closed = http.put("/private/2", json={"open": False})
    assert closed.status_code == 200 and closed.json()["open"] is False
    assert http.put("/private/2", data={"open": "true"}).json()["open"] is True
    assert http.put("/private/2", json={"open": "soon"}).status_code == 400
    assert http.put("/private/2", json={}).status_code == 400
    http.put("/private/2", json={"open": False})
    # A new message from Sam opens it again.
    http.post("/private/1/messages", json={"event": "message", "content": "hey"}, auth=SAM_AUTH)
    assert http.get("/private/2").json()["open"] is True


def test_waited_and_repeated_private_posts(http: httpx.Client) -> None:
    body = {"event": "message", "content": "once", "uuid": "u-1"}
    first = http.post("/private/2/messages", json=body, headers=WAIT)
    again = http.post("/private/2/messages", json=body, headers=WAIT)
    assert first.status_code == again.status_code == 201
    assert first.json()["id"] == again.json()["id"]
    assert "link" not in first.headers
    assert len(http.get("/private/2/messages").json()) == 1


def test_edit_and_delete_private_messages(http: httpx.Client) -> None:
    mine = http.post("/private/2/messages", json={"event": "message", "content": "hi"}).json()
    theirs = http.post(
        "/private/1/messages", json={"event": "message", "content": "yo"}, auth=SAM_AUTH
    ).json()
    edited = http.put(f"/private/2/messages/{mine['id']}", json={"content": "hello"})
    assert edited.status_code == 200 and edited.json() == {}
    assert http.get(f"/private/2/messages/{mine['id']}").json()["content"] == "hello"
    assert (
        http.put(f"/private/2/messages/{theirs['id']}", json={"content": "no"}).status_code == 403
    )
    assert http.delete(f"/private/2/messages/{theirs['id']}").status_code == 403
    removed = http.delete(f"/private/2/messages/{mine['id']}")
    assert removed.status_code == 200 and removed.json() == {}
    events = [m["event"] for m in http.get("/private/2/messages").json()]
    assert events == ["message", "message", "message-edit", "message-edit"]
    edits = [
        m for m in http.get("/private/1/messages", auth=SAM_AUTH).json() if m["event"] != "message"
    ]
    assert [e["content"]["updated_content"] for e in edits] == ["hello", ""]
    assert all(e["to"] == "2" for e in edits)


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/private/1", 404),  # yourself
        ("/private/99", 404),  # nobody
        ("/private/3", 404),  # someone sharing no organization
        ("/private/" + "9" * 30, 404),
    ],
)
def test_unknown_people_are_not_found(http: httpx.Client, path: str, status: int) -> None:
    _outsider(http)
    assert http.get(path).status_code == status
    assert http.get(path + "/messages").status_code == status
    chat = {"event": "message", "content": "hello?"}
    assert http.post(path + "/messages", json=chat).status_code == status
    assert http.put(path, json={"open": True}).status_code == status


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"content": "no event"}, "event"),
        ({"event": "message"}, "content"),
        ({"event": "message", "content": "x" * 8097}, "content"),
        ({"event": "comment", "content": "x", "message": 1}, "event"),
        ({"event": "activity", "title": "t"}, "author.name"),
        ([1, 2], "base"),
    ],
)
def test_bad_private_messages_are_400(http: httpx.Client, body, field) -> None:
    reply = http.post("/private/2/messages", json=body)
    assert reply.status_code == 400 and field in reply.json()["errors"], reply.text
    assert http.get("/private/2/messages").json() == []


def test_private_needs_the_private_scope(http: httpx.Client) -> None:
    server = http.server  # type: ignore[attr-defined]
    flow_only = bearer(mint_token(server, ["flow"])["access_token"])
    reply = http.get("/private", headers=flow_only, auth=None)
    assert reply.status_code == 403 and reply.json() == {"message": "Missing scope: private"}
    private = bearer(mint_token(server, ["private"])["access_token"])
    assert http.get("/private/2/messages", headers=private, auth=None).status_code == 200
