"""Editing and deleting messages over a live sandbox: the codes per kind of message, what
readers see afterwards, and the changes announced like any stored message."""

from __future__ import annotations

import threading

import httpx
import pytest

from tests.sandbox.conftest import API_AUTH, SAM_AUTH, activity, create_source

WAIT = {"X-flowdock-wait-for-message": "true"}
MESSAGES = "/flows/acme/main/messages"


@pytest.fixture
def heard(http: httpx.Client) -> list[dict]:
    """Every stored message announced to listeners (the stream hub's view), in order."""
    views: list[dict] = []
    lock = threading.Lock()

    def listener(seq: int, view: dict) -> None:
        with lock:
            views.append(view)

    http.server.state.listen(listener)  # type: ignore[attr-defined]
    return views


def _say(http: httpx.Client, content: str, auth: httpx.Auth = API_AUTH) -> dict:
    reply = http.post(MESSAGES, json={"event": "message", "content": content}, auth=auth)
    assert reply.status_code == 201, reply.text
    return reply.json()


def _events(http: httpx.Client, event: str) -> list[dict]:
    return http.get(MESSAGES, params={"event": event}).json()


def test_edit_your_own_message(http: httpx.Client, heard: list[dict]) -> None:
    message = _say(http, "teh typo")
    assert message["edited"] is None
    reply = http.put(f"{MESSAGES}/{message['id']}", json={"content": "the typo"})
    assert reply.status_code == 200 and reply.json() == {}
    assert reply.headers["Flowdock-User"] == "1"
    shown = http.get(f"{MESSAGES}/{message['id']}").json()
    assert shown["content"] == "the typo" and isinstance(shown["edited"], int)
    assert shown["edited"] >= message["sent"]
    [edit] = _events(http, "message-edit")
    assert edit["content"] == {"message": message["id"], "updated_content": "the typo"}
    assert edit["user"] == "1" and edit["flow"] == message["flow"]
    # The edit reached whoever listens to stored messages (the stream hub).
    assert [v["content"] for v in heard if v["event"] == "message-edit"] == [edit["content"]]
    assert http.get(MESSAGES, params={"search": "typo"}).json()[0]["content"] == "the typo"


def test_edit_a_comment_keeps_its_parent_title(http: httpx.Client) -> None:
    parent = _say(http, "Lunch?")
    comment = http.post(f"{MESSAGES}/{parent['id']}/comments", json={"content": "pizza"}).json()
    http.put(f"{MESSAGES}/{comment['id']}", json={"content": "sushi"})
    shown = http.get(f"{MESSAGES}/{comment['id']}").json()
    assert shown["content"] == {"title": "Lunch?", "text": "sushi"}
    [edit] = _events(http, "message-edit")
    assert edit["content"]["updated_content"] == {"title": "Lunch?", "text": "sushi"}


def test_anyone_may_retag_what_they_see(http: httpx.Client) -> None:
    parent = _say(http, "Ship it", auth=SAM_AUTH)
    comment = http.post(
        f"{MESSAGES}/{parent['id']}/comments",
        json={"content": "ok", "tags": ["old"]},
        auth=SAM_AUTH,
    ).json()
    reply = http.put(f"{MESSAGES}/{comment['id']}", json={"tags": "#new,later"})
    assert reply.status_code == 200 and reply.json() == {}
    tags = http.get(f"{MESSAGES}/{comment['id']}").json()["tags"]
    # The link to the parent stays whatever the new list says.
    assert tags == [f"influx:{parent['id']}", "#new", "later"]
    [change] = _events(http, "tag-change")
    assert change["content"] == {
        "message": comment["id"],
        "add": ["#new", "later"],
        "remove": ["old"],
    }
    assert [m["id"] for m in http.get(MESSAGES, params={"tags": "new"}).json()] == [comment["id"]]
    assert http.get(MESSAGES, params={"tags": "old"}).json() == []
    # The same list again changes nothing and records nothing.
    http.put(f"{MESSAGES}/{comment['id']}", json={"tags": ["#new", "later"]})
    assert len(_events(http, "tag-change")) == 1


def test_editing_someone_elses_content_is_403(http: httpx.Client) -> None:
    theirs = _say(http, "Sam's words", auth=SAM_AUTH)
    reply = http.put(f"{MESSAGES}/{theirs['id']}", json={"content": "mine now"})
    assert reply.status_code == 403 and reply.headers["Flowdock-User"] == "1"
    assert "own" in reply.json()["message"]
    status = http.post(MESSAGES, json={"event": "status", "content": "busy"}).json()
    assert http.put(f"{MESSAGES}/{status['id']}", json={"content": "free"}).status_code == 403
    source = create_source(http)
    inbox = http.post("/messages", json=activity(source["flow_token"]), headers=WAIT).json()
    assert http.put(f"{MESSAGES}/{inbox['id']}", json={"content": "x"}).status_code == 403
    assert http.get(f"{MESSAGES}/{theirs['id']}").json()["content"] == "Sam's words"
    assert _events(http, "message-edit") == []


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "base"),
        ({"content": ""}, "content"),
        ({"content": 5}, "content"),
        ({"content": "x" * 8097}, "content"),
        ({"tags": 5}, "tags"),
        ({"tags": [""]}, "tags.0"),
    ],
)
def test_bad_edits_are_400(http: httpx.Client, body, field) -> None:
    mine = _say(http, "stays")
    reply = http.put(f"{MESSAGES}/{mine['id']}", json=body)
    assert reply.status_code == 400 and field in reply.json()["errors"], reply.text
    assert http.get(f"{MESSAGES}/{mine['id']}").json()["content"] == "stays"


def test_edits_of_what_is_not_there_or_not_yours_to_reach(http: httpx.Client) -> None:
    assert http.put(f"{MESSAGES}/999", json={"content": "x"}).status_code == 404
    assert http.put(f"{MESSAGES}/{'9' * 25}", json={"content": "x"}).status_code == 404
    assert http.put("/flows/acme/nope/messages/1", json={"content": "x"}).status_code == 404
    theirs = http.post(
        "/flows/acme/random/messages", json={"event": "message", "content": "x"}, auth=SAM_AUTH
    ).json()
    # Demo can see Random (open to the organization) but has not joined it.
    not_member = http.put(f"/flows/acme/random/messages/{theirs['id']}", json={"tags": ["a"]})
    assert not_member.status_code == 403
    assert http.delete(f"/flows/acme/random/messages/{theirs['id']}").status_code == 403
    assert http.put(f"{MESSAGES}/1", json={"content": "x"}, auth=None).status_code == 401


def test_delete_empties_your_own_chat_message(http: httpx.Client) -> None:
    message = _say(http, "oops, wrong flow")
    reply = http.delete(f"{MESSAGES}/{message['id']}")
    assert reply.status_code == 200 and reply.json() == {}
    shown = http.get(f"{MESSAGES}/{message['id']}").json()
    assert shown["content"] == "" and shown["edited"] is not None
    [edit] = _events(http, "message-edit")
    assert edit["content"] == {"message": message["id"], "updated_content": ""}
    parent = _say(http, "parent")
    comment = http.post(f"{MESSAGES}/{parent['id']}/comments", json={"content": "x"}).json()
    assert http.delete(f"{MESSAGES}/{comment['id']}").status_code == 200
    assert http.get(f"{MESSAGES}/{comment['id']}").json()["content"] == {
        "title": "parent",
        "text": "",
    }


def test_delete_removes_team_inbox_items(http: httpx.Client, heard: list[dict]) -> None:
    source = create_source(http)
    inbox = http.post("/messages", json=activity(source["flow_token"]), headers=WAIT).json()
    reply = http.delete(f"{MESSAGES}/{inbox['id']}")
    assert reply.status_code == 204 and reply.content == b""
    assert reply.headers["Flowdock-User"] == "1"
    assert http.get(f"{MESSAGES}/{inbox['id']}").status_code == 404
    assert inbox["id"] not in [m["id"] for m in http.get(MESSAGES).json()]
    thread = http.get(f"/flows/acme/main/threads/{inbox['thread_id']}/messages").json()
    assert inbox["id"] not in [m["id"] for m in thread]
    [gone] = _events(http, "message-delete")
    assert gone["content"] == {"message": inbox["id"]}
    assert heard[-1]["event"] == "message-delete"
    assert http.delete(f"{MESSAGES}/{inbox['id']}").status_code == 404
    # Ids are never reused after a removal.
    assert _say(http, "after")["id"] > gone["id"]


def test_delete_of_anything_else_is_403(http: httpx.Client) -> None:
    theirs = _say(http, "Sam's", auth=SAM_AUTH)
    reply = http.delete(f"{MESSAGES}/{theirs['id']}")
    assert reply.status_code == 403 and reply.headers["Flowdock-User"] == "1"
    status = http.post(MESSAGES, json={"event": "status", "content": "away"}).json()
    assert http.delete(f"{MESSAGES}/{status['id']}").status_code == 403
    assert http.get(f"{MESSAGES}/{theirs['id']}").json()["content"] == "Sam's"


def test_changes_stay_out_of_a_threads_timeline(http: httpx.Client) -> None:
    source = create_source(http)
    inbox = http.post("/messages", json=activity(source["flow_token"]), headers=WAIT).json()
    thread = f"/flows/acme/main/threads/{inbox['thread_id']}/messages"
    note = http.post(thread, json={"event": "message", "content": "note"}).json()
    http.put(f"{MESSAGES}/{note['id']}", json={"content": "a better note", "tags": ["x"]})
    timeline = http.get(thread).json()
    assert [(m["event"], m.get("content")) for m in timeline][-1] == ("message", "a better note")
    assert {m["event"] for m in timeline} == {"activity", "message"}
    assert timeline[-1]["edited"] is not None
