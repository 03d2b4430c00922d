"""What the rest of the API stores reaches the Streaming API like any message: edits, tag
changes and removals on a flow's stream, private messages on the streams of both people."""

from __future__ import annotations

import httpx

from tests.sandbox.conftest import API_AUTH, SAM_AUTH, activity, create_source

WAIT = {"X-flowdock-wait-for-message": "true"}


def test_edits_tag_changes_and_removals_are_streamed(http: httpx.Client, readers) -> None:
    server = http.server  # type: ignore[attr-defined]
    stream = readers(server.base_url + "/stream/flows", params={"filter": "acme/main"})
    mine = http.post("/flows/acme/main/messages", json={"event": "message", "content": "v1"})
    mine = mine.json()
    http.put(f"/flows/acme/main/messages/{mine['id']}", json={"content": "v2", "tags": ["t"]})
    inbox = http.post(
        "/messages", json=activity(create_source(http)["flow_token"]), headers=WAIT
    ).json()
    assert http.delete(f"/flows/acme/main/messages/{inbox['id']}").status_code == 204
    events = stream.json_events(5)
    assert [e["event"] for e in events] == [
        "message",
        "message-edit",
        "tag-change",
        "activity",
        "message-delete",
    ]
    assert events[1]["content"] == {"message": mine["id"], "updated_content": "v2"}
    assert events[2]["content"] == {"message": mine["id"], "add": ["t"], "remove": []}
    assert events[4]["content"] == {"message": inbox["id"]}


def test_private_messages_reach_both_peoples_user_streams(http: httpx.Client, readers) -> None:
    server = http.server  # type: ignore[attr-defined]
    demo = readers(server.base_url + "/stream/flows", params={"user": "1"}, auth=API_AUTH)
    sam = readers(server.base_url + "/stream/flows", params={"user": "1"}, auth=SAM_AUTH)
    # Following only a flow, without user=1: no private messages.
    flow_only = readers(server.base_url + "/stream/flows/acme/main", auth=SAM_AUTH)
    sent = http.post("/private/2/messages", json={"event": "message", "content": "psst"}).json()
    chat = {"event": "message", "content": "in the open"}
    http.post("/flows/acme/main/messages", json=chat, auth=SAM_AUTH)
    assert demo.json_events(1) == [sent]
    assert sam.json_events(1) == [sent]
    assert [e["content"] for e in flow_only.json_events(1)] == ["in the open"]
