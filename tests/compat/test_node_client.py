"""Flowdock's official Node.js client works against the sandbox without a code change."""

from __future__ import annotations

import httpx

from flowdock_desktop.sandbox.seed import DEMO_API_TOKEN

AUTH = httpx.BasicAuth(DEMO_API_TOKEN, "x")


def _main_flow(node_client) -> dict:
    answer = node_client("flows")
    assert answer["ok"], answer
    flows = {
        f"{f['organization']['parameterized_name']}/{f['parameterized_name']}": f
        for f in answer["body"]
    }
    return flows["acme/main"]


def test_flows_lists_joined_flows_with_their_users(node_client):
    flow = _main_flow(node_client)
    assert flow["name"] == "Main"
    assert flow["joined"] is True
    assert any(user["email"] == "demo@example.com" for user in flow["users"])


def test_message_is_stored_in_the_flow(node_client, sandbox_url):
    flow = _main_flow(node_client)
    answer = node_client("message", flow["id"], "Hello from node", ["greeting"])
    assert answer["ok"], answer
    assert (answer["status"], answer["body"]) == (202, {})

    with httpx.Client(base_url=sandbox_url, auth=AUTH) as http:
        listed = http.get("/flows/acme/main/messages", params={"event": "message"}).json()
    sent = [m for m in listed if m["content"] == "Hello from node"]
    assert len(sent) == 1
    assert "greeting" in sent[0]["tags"]


def test_a_flow_the_user_cannot_post_to_is_an_error(node_client):
    answer = node_client("message", "no-such-flow", "lost", [])
    assert answer["ok"] is False
    assert "Received status 4" in answer["error"]


def test_the_stream_receives_a_message_posted_after_connecting(node_stream, sandbox_url):
    stream = node_stream(["acme/main"], count=1)
    stream.wait_connected()
    with httpx.Client(base_url=sandbox_url, auth=AUTH) as http:
        posted = http.post(
            "/flows/acme/main/messages",
            json={"event": "message", "content": "Hello, node stream", "tags": ["live"]},
            headers={"X-flowdock-wait-for-message": "true"},
        )
        assert posted.status_code == 201
        stored = posted.json()
    answer = stream.result()
    assert answer["ok"] and answer["reason"] == "count", answer
    (event,) = answer["events"]
    assert event == stored
    assert event["content"] == "Hello, node stream" and "live" in event["tags"]


def _post_as_user(sandbox_url: str, path: str, body: dict) -> dict:
    with httpx.Client(base_url=sandbox_url, auth=AUTH) as http:
        reply = http.post(path, json=body)
    assert reply.status_code == 201, reply.text
    return reply.json()


def test_comment_replies_to_a_message(node_client, sandbox_url):
    flow = _main_flow(node_client)
    parent = _post_as_user(
        sandbox_url, "/flows/acme/main/messages", {"event": "message", "content": "Deploy?"}
    )
    answer = node_client("comment", flow["id"], parent["id"], "Deployed", ["ops"])
    assert answer["ok"], answer
    assert (answer["status"], answer["body"]) == (202, {})
    listed = node_client("get", "/flows/acme/main/messages", {"event": "comment"})
    [comment] = [m for m in listed["body"] if m["content"]["text"] == "Deployed"]
    # What hubot reads: the text in content.text, the parent in an influx tag.
    assert comment["content"]["title"] == "Deploy?"
    assert f"influx:{parent['id']}" in comment["tags"] and "ops" in comment["tags"]


def test_status_is_stored(node_client):
    flow = _main_flow(node_client)
    answer = node_client("status", flow["id"], "Reviewing pull requests")
    assert answer["ok"], answer
    listed = node_client("get", "/flows/acme/main/messages", {"event": "status"})
    assert "Reviewing pull requests" in [m["content"] for m in listed["body"]]
    # It is the user's status now, shown with them in the flow's users.
    users = node_client("get", "/flows/acme/main/users", {})["body"]
    assert {u["id"]: u["status"] for u in users}[1] == "Reviewing pull requests"


def test_flow_users_tell_a_bot_its_own_nick(node_client):
    # hubot-flowdock: the Flowdock-User header, then the nick of that user among in_flow users.
    answer = node_client("flows")
    assert answer["ok"], answer
    assert answer["user"] == "1"
    me = [u for f in answer["body"] for u in f["users"] if u["in_flow"] and str(u["id"]) == "1"]
    assert {u["nick"] for u in me} == {"Demo"}


def test_edit_message_changes_content_and_tags(node_client, sandbox_url):
    mine = _post_as_user(
        sandbox_url, "/flows/acme/main/messages", {"event": "message", "content": "frist"}
    )
    answer = node_client(
        "editMessage", "main", "acme", mine["id"], {"content": "first", "tags": ["fixed"]}
    )
    assert answer["ok"], answer
    assert (answer["status"], answer["body"]) == (200, {})
    shown = node_client("get", f"/flows/acme/main/messages/{mine['id']}", {})["body"]
    assert shown["content"] == "first" and shown["tags"] == ["fixed"]
    assert shown["edited"] is not None


def test_editing_someone_elses_message_is_an_error(node_client, sandbox_url):
    with httpx.Client(base_url=sandbox_url, auth=("sandbox-api-token-sam", "x")) as http:
        theirs = http.post(
            "/flows/acme/main/messages", json={"event": "message", "content": "Sam's"}
        ).json()
    answer = node_client("editMessage", "main", "acme", theirs["id"], {"content": "mine"})
    assert answer == {"ok": False, "error": "Received status 403"}


def test_delete_through_the_generic_call(node_client, sandbox_url):
    mine = _post_as_user(
        sandbox_url, "/flows/acme/main/messages", {"event": "message", "content": "retract"}
    )
    answer = node_client("delete", f"/flows/acme/main/messages/{mine['id']}")
    assert answer["ok"] and answer["status"] == 200, answer


def test_private_message_reaches_the_other_person(node_client, sandbox_url):
    answer = node_client("privateMessage", 2, "Psst, Sam", [])
    assert answer["ok"], answer
    assert answer["status"] == 201
    assert (answer["body"]["content"], answer["body"]["to"]) == ("Psst, Sam", "2")
    with httpx.Client(base_url=sandbox_url, auth=("sandbox-api-token-sam", "x")) as http:
        seen = http.get("/private/1/messages").json()
    assert "Psst, Sam" in [m["content"] for m in seen]


def test_private_message_to_nobody_is_an_error(node_client):
    answer = node_client("privateMessage", 999, "anyone?", [])
    assert answer == {"ok": False, "error": "Received status 404"}


def test_thread_message_replies_in_a_thread(node_client, sandbox_url):
    flow = _main_flow(node_client)
    with httpx.Client(base_url=sandbox_url, auth=AUTH) as http:
        token = http.post("/flows/acme/main/sources", json={"name": "Node CI"}).json()
        started = http.post(
            "/messages",
            json={
                "flow_token": token["flow_token"],
                "event": "activity",
                "author": {"name": "CI"},
                "title": "Build started",
                "external_thread_id": "node:build:1",
                "thread": {"title": "Build 1"},
            },
            headers={"X-flowdock-wait-for-message": "1"},
        ).json()
    thread_id = started["thread_id"]
    answer = node_client("threadMessage", flow["id"], thread_id, "Looking into it", ["ci"])
    assert answer["ok"], answer
    assert (answer["status"], answer["body"]) == (202, {})
    listed = node_client("get", f"/flows/acme/main/threads/{thread_id}/messages", {})["body"]
    reply = listed[-1]
    assert (reply["event"], reply["content"], reply["thread_id"]) == (
        "message",
        "Looking into it",
        thread_id,
    )
    thread = node_client("get", f"/flows/acme/main/threads/{thread_id}", {})["body"]
    assert thread["internal_comments"] == 1


def test_thread_message_to_an_unknown_thread_is_an_error(node_client):
    flow = _main_flow(node_client)
    answer = node_client("threadMessage", flow["id"], "no-such-thread", "hello?", [])
    assert answer == {"ok": False, "error": "Received status 400"}
