"""The deprecated Push API over a live sandbox, posted the way Flowdock's Ruby gem did (form
bodies to /v1/messages/...), with each flow's API token read from its sources page."""

from __future__ import annotations

import re

import httpx
import pytest

from tests.sandbox.conftest import API_AUTH, activity, create_source

WAIT = {"X-flowdock-wait-for-message": "true"}


def _token(http: httpx.Client, flow: str = "acme/main") -> str:
    """A flow's API token, read from its sources page as a person would."""
    page = http.get(f"/app/{flow}/sources")
    assert page.status_code == 200
    match = re.search(r'<span id="api-token">([0-9a-f]{32})</span>', page.text)
    assert match, page.text
    return match.group(1)


def _messages(http: httpx.Client, flow: str = "acme/main", **params) -> list[dict]:
    return http.get(f"/flows/{flow}/messages", params=params, auth=API_AUTH).json()


def test_chat_as_the_ruby_gem_posts_it(http: httpx.Client) -> None:
    token = _token(http)
    reply = http.post(
        f"/v1/messages/chat/{token}",
        data={"content": "Deployed #v2 @all", "external_user_name": "deploybot", "tags": "ops,v2"},
    )
    assert reply.status_code == 200 and reply.json() == {}
    assert "flowdock-user" not in reply.headers
    [message] = _messages(http, event="message")
    assert message["content"] == "Deployed #v2 @all"
    assert (message["user"], message["external_user_name"], message["app"]) == (
        "0",
        "deploybot",
        "chat",
    )
    # Tags given, then those read out of the text (#v2 is given already; @all is everyone,
    # and asks both of Main's people to read it).
    assert message["tags"] == ["ops", "v2", ":user:everyone", ":unread:1", ":unread:2"]
    as_json = http.post(
        f"/v1/messages/chat/{token}", json={"content": "json", "external_user_name": "bot"}
    )
    assert as_json.status_code == 200 and as_json.json() == {}


def test_chat_replies_in_threads_and_comments(http: httpx.Client) -> None:
    token = _token(http)
    source = create_source(http)
    inbox = http.post("/messages", json=activity(source["flow_token"]), headers=WAIT).json()
    threaded = http.post(
        f"/v1/messages/chat/{token}",
        data={
            "content": "in the thread",
            "external_user_name": "bot",
            "thread_id": inbox["thread_id"],
        },
    )
    assert threaded.status_code == 200
    thread = http.get(f"/flows/acme/main/threads/{inbox['thread_id']}/messages", auth=API_AUTH)
    assert [m["content"] for m in thread.json()][-1] == "in the thread"
    commented = http.post(
        f"/v1/messages/chat/{token}",
        data={"content": "a reply", "external_user_name": "bot", "message_id": inbox["id"]},
    )
    assert commented.status_code == 200
    [comment] = _messages(http, event="comment")
    assert comment["content"]["text"] == "a reply" and f"influx:{inbox['id']}" in comment["tags"]
    missing = http.post(
        f"/v1/messages/chat/{token}",
        data={"content": "x", "external_user_name": "bot", "thread_id": "nope"},
    )
    assert missing.status_code == 400 and "thread_id" in missing.json()["errors"]


def test_several_flows_at_once(http: httpx.Client) -> None:
    tokens = f"{_token(http)},{_token(http, 'acme/announcements')}"
    reply = http.post(
        f"/v1/messages/chat/{tokens}", data={"content": "everyone", "external_user_name": "bot"}
    )
    assert reply.status_code == 200
    for flow in ("acme/main", "acme/announcements"):
        assert [m["content"] for m in _messages(http, flow, event="message")] == ["everyone"]
    # One unknown token among them: nothing is posted anywhere.
    bad = http.post(
        f"/v1/messages/chat/{_token(http)},{'0' * 32}",
        data={"content": "lost", "external_user_name": "bot"},
    )
    assert bad.status_code == 401 and bad.json() == {"message": "Unauthorized"}
    assert [m["content"] for m in _messages(http, event="message")] == ["everyone"]


def test_a_sources_flow_token_works_in_place_of_the_api_token(http: httpx.Client) -> None:
    source = create_source(http)
    reply = http.post(
        f"/v1/messages/chat/{source['flow_token']}",
        data={"content": "via source", "external_user_name": "bot"},
    )
    assert reply.status_code == 200
    http.delete(f"/flows/acme/main/sources/{source['id']}", auth=API_AUTH)
    gone = http.post(
        f"/v1/messages/chat/{source['flow_token']}",
        data={"content": "again", "external_user_name": "bot"},
    )
    assert gone.status_code == 410


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"external_user_name": "bot"}, "content"),
        ({"content": "x"}, "external_user_name"),
        ({"content": "x", "external_user_name": "two words"}, "external_user_name"),
        ({"content": "x", "external_user_name": "a" * 17}, "external_user_name"),
        ({"content": "x" * 8097, "external_user_name": "bot"}, "content"),
        ({"content": "x", "external_user_name": "bot", "message_id": "abc"}, "message"),
    ],
)
def test_bad_chat_pushes_are_400(http: httpx.Client, body, field) -> None:
    reply = http.post(f"/v1/messages/chat/{_token(http)}", data=body)
    assert reply.status_code == 400 and field in reply.json()["errors"], reply.text


def test_team_inbox(http: httpx.Client) -> None:
    token = _token(http)
    reply = http.post(
        f"/v1/messages/team_inbox/{token}",
        data={
            "source": "Issue Tracker",
            "from_address": "tracker@example.com",
            "from_name": "Tracker",
            "subject": "Ticket #7 opened",
            "content": "<p>Broken <b>build</b></p><script>alert(1)</script>",
            "project": "Web_site",
            "format": "html",
            "tags": "ticket,urgent",
            "link": "https://tracker.example.com/7",
        },
    )
    assert reply.status_code == 200 and reply.json() == {}
    [mail] = _messages(http, event="mail")
    assert (mail["app"], mail["user"], mail["tags"]) == ("influx", "0", ["ticket", "urgent"])
    content = mail["content"]
    assert content["subject"] == "Ticket #7 opened" and content["source"] == "Issue Tracker"
    assert content["from"] == [{"address": "tracker@example.com", "name": "Tracker"}]
    assert "<b>build</b>" in content["content"] and "script" not in content["content"]
    assert content["link"] == "https://tracker.example.com/7"
    # Team inbox items can be removed like any (204), and commented on.
    comment = http.post(
        f"/flows/acme/main/messages/{mail['id']}/comments",
        json={"content": "on it"},
        auth=API_AUTH,
    ).json()
    assert comment["content"]["title"] == "Ticket #7 opened"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"source": "Bad/Source"}, "source"),
        ({"source": ""}, "source"),
        ({"project": "no!"}, "project"),
        ({"from_address": "nobody"}, "from_address"),
        ({"subject": ""}, "subject"),
        ({"content": ""}, "content"),
        ({"format": "markdown"}, "format"),
        ({"link": "ftp://x"}, "link"),
    ],
)
def test_bad_team_inbox_pushes_are_400(http: httpx.Client, change, field) -> None:
    body = {
        "source": "CI",
        "from_address": "ci@example.com",
        "subject": "Build",
        "content": "ok",
        **change,
    }
    reply = http.post(f"/v1/messages/team_inbox/{_token(http)}", data=body)
    assert reply.status_code == 400 and field in reply.json()["errors"], reply.text
    assert _messages(http, event="mail") == []


def test_a_new_token_replaces_the_old(http: httpx.Client) -> None:
    old = _token(http)
    page = http.get("/app/acme/main/sources").text
    csrf = re.search(r'action="/app/acme/main/api-token"><input type="hidden" name="csrf" '
                     r'value="([0-9a-f]+)"', page)  # fmt: skip
    assert csrf, page
    made = http.post("/app/acme/main/api-token", data={"csrf": csrf.group(1)})
    assert made.status_code == 303
    new = _token(http)
    assert new != old
    chat = {"content": "x", "external_user_name": "bot"}
    assert http.post(f"/v1/messages/chat/{old}", data=chat).status_code == 401
    assert http.post(f"/v1/messages/chat/{new}", data=chat).status_code == 200
    origin = str(http.base_url).rstrip("/")
    forged = http.post(
        "/app/acme/main/api-token", data={"csrf": "0" * 64}, headers={"Origin": origin}
    )
    assert forged.status_code == 403 and _token(http) == new
