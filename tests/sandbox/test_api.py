"""REST API over a live sandbox: auth methods, scopes, flows, sources, messages and threads."""

from __future__ import annotations

import uuid

import httpx
import pytest

from flowdock_desktop.sandbox import SandboxServer
from flowdock_desktop.testing import messages_by_uuid, mint_token
from tests.sandbox.conftest import API_AUTH, activity, bearer, create_source

WAIT = {"X-flowdock-wait-for-message": "true"}


def _token(live: SandboxServer, *scopes: str) -> str:
    return mint_token(live, scopes)["access_token"]


# ---------------------------------------------------------------------- auth and scopes


def test_bad_or_missing_credentials_are_401(client: httpx.Client) -> None:
    for kwargs in (
        {},
        {"headers": bearer("not-a-token")},
        {"auth": ("wrong-token", "x")},
        {"headers": {"Authorization": "Basic !!!"}},
    ):
        reply = client.get("/flows", **kwargs)
        assert reply.status_code == 401 and reply.json() == {"message": "Unauthorized"}


def test_bearer_header_query_and_basic_token(client: httpx.Client, live) -> None:
    token = _token(live, "flow")
    assert client.get("/flows", headers=bearer(token)).status_code == 200
    assert client.get("/flows", params={"access_token": token}).status_code == 200
    reply = client.get("/flows", auth=API_AUTH)
    assert reply.status_code == 200 and reply.headers["Flowdock-User"] == "1"


@pytest.mark.parametrize(
    ("method", "path", "scopes", "missing"),
    [
        ("GET", "/user", ("flow",), "profile"),
        ("GET", "/flows", ("profile",), "flow"),
        ("POST", "/flows/acme/main/sources", ("flow", "profile"), "integration"),
        ("GET", "/flows/acme/main/threads", ("integration",), "flow"),
        ("POST", "/flows/acme/main/messages", ("profile",), "flow"),
    ],
)
def test_missing_scope_is_403(client, live, method, path, scopes, missing) -> None:
    reply = client.request(method, path, headers=bearer(_token(live, *scopes)), json={"x": 1})
    assert reply.status_code == 403
    assert reply.json() == {"message": f"Missing scope: {missing}"}


def test_integration_scope_can_find_a_flow_for_setup(client, live) -> None:
    token = _token(live, "profile", "integration")
    flow_id = client.get("/flows", auth=API_AUTH).json()[0]["id"]
    reply = client.get("/flows/find", params={"id": flow_id}, headers=bearer(token))
    assert reply.status_code == 200 and reply.json()["id"] == flow_id


# ---------------------------------------------------------------------- users and flows


def test_flows_joined_all_and_shapes(client: httpx.Client) -> None:
    joined = client.get("/flows.json", auth=API_AUTH).json()
    assert [f["parameterized_name"] for f in joined] == ["main", "announcements"]
    assert "users" not in joined[0]
    every = client.get("/v1/flows/all", auth=API_AUTH, params={"users": 1}).json()
    names = {f["parameterized_name"]: f for f in every}
    assert names["random"]["joined"] is False and names["main"]["joined"] is True
    main = names["main"]
    assert main["organization"]["parameterized_name"] == "acme"
    assert main["access_mode"] == "organization" and "/invitations/" in main["join_url"]
    assert main["url"] == f"{client.base_url}/flows/acme/main"
    assert {u["name"] for u in main["users"]} == {"Demo User", "Sam Smith"}
    assert len(main["id"]) == 16 and ":" not in main["id"]


def test_flow_show_and_find_include_users(client: httpx.Client) -> None:
    shown = client.get("/flows/acme/main", auth=API_AUTH).json()
    assert len(shown["users"]) == 2
    found = client.get("/flows/find", params={"id": shown["id"]}, auth=API_AUTH)
    assert found.json()["url"] == shown["url"]
    assert client.get("/flows/find", params={"id": "nope"}, auth=API_AUTH).status_code == 404
    missing = client.get("/flows/acme/nope", auth=API_AUTH)
    assert missing.status_code == 404 and missing.json() == {"message": "Not found"}


def test_users(client: httpx.Client) -> None:
    users = client.get("/users", auth=API_AUTH).json()
    assert {u["email"] for u in users} == {"demo@example.com", "sam@example.com"}
    assert client.get("/users/2", auth=API_AUTH).json()["name"] == "Sam Smith"
    assert client.get("/users/99", auth=API_AUTH).status_code == 404


def test_cors_preflight_echoes_origin(client: httpx.Client) -> None:
    reply = client.options(
        "/messages",
        headers={"Origin": "https://app.example", "Access-Control-Request-Method": "POST"},
    )
    assert reply.status_code == 204
    assert reply.headers["access-control-allow-origin"] == "https://app.example"
    assert "DELETE" in reply.headers["access-control-allow-methods"]
    plain = client.get("/flows", auth=API_AUTH, headers={"Origin": "https://app.example"})
    assert plain.headers["access-control-allow-origin"] == "https://app.example"


# ---------------------------------------------------------------------- sources


def test_source_lifecycle_and_410(client: httpx.Client, live) -> None:
    token = _token(live, "flow", "integration")
    created = client.post(
        "/flows/acme/main/sources",
        json={"name": "Repo A", "external_url": "https://example.com/a"},
        headers=bearer(token),
    )
    assert created.status_code == 201
    source = created.json()
    flow_token = source["flow_token"]
    assert len(flow_token) == 32 and int(flow_token, 16) >= 0
    assert source["application"]["name"] == "Flowdock Desktop"
    assert source["creator"]["name"] == "Demo User"

    listed = client.get("/flows/acme/main/sources", auth=API_AUTH).json()
    assert source["id"] in [s["id"] for s in listed]
    assert all("flow_token" not in s for s in listed)
    one = client.get(f"/flows/acme/main/sources/{source['id']}", auth=API_AUTH).json()
    assert one["name"] == "Repo A" and "flow_token" not in one
    mine = client.get("/sources", params={"flow_token": flow_token}).json()
    assert [s["id"] for s in mine] == [source["id"]]

    updated = client.put("/sources", json={"flow_token": flow_token, "error_message": "Broken"})
    assert updated.status_code == 200 and updated.json()["error_message"] == "Broken"
    cleared = client.put(
        f"/flows/acme/main/sources/{source['id']}", json={"error_message": ""}, auth=API_AUTH
    )
    assert cleared.json()["error_message"] is None

    assert client.post("/messages", json=activity(flow_token)).status_code == 202
    deleted = client.delete(f"/flows/acme/main/sources/{source['id']}", auth=API_AUTH)
    assert deleted.status_code == 204
    gone = client.post("/messages", json=activity(flow_token))
    assert gone.status_code == 410 and gone.json() == {"message": "Source has been deleted"}
    assert client.get(f"/flows/acme/main/sources/{source['id']}", auth=API_AUTH).status_code == 404


def test_source_name_validation_and_integrations_alias(client: httpx.Client) -> None:
    for body in ({}, {"name": ""}, {"name": "x" * 101}, {"name": 5}):
        reply = client.post("/flows/acme/main/sources", json=body, auth=API_AUTH)
        assert reply.status_code == 400 and "name" in reply.json()["errors"]
    legacy = client.post("/flows/acme/main/integrations", json={"name": "Old"}, auth=API_AUTH)
    assert legacy.status_code == 201 and legacy.json()["flow_token"]


def test_unknown_flow_token_is_401(client: httpx.Client) -> None:
    assert client.post("/messages", json=activity("0" * 32)).status_code == 401


# ---------------------------------------------------------------------- messages


def test_validation_errors_name_fields(client: httpx.Client) -> None:
    source = create_source(client)
    bad = activity(source["flow_token"])
    bad["thread"] = {"title": "", "status": {"color": "pink", "value": "x"}}
    reply = client.post("/messages", json=bad)
    assert reply.status_code == 400
    body = reply.json()
    assert body["message"] == "Validation error"
    assert body["errors"]["thread.title"] == ["can't be blank"]
    assert "thread.status.color" in body["errors"]


def test_202_without_wait_header_and_201_with(client: httpx.Client) -> None:
    source = create_source(client)
    quiet = client.post("/messages", json=activity(source["flow_token"]))
    # Clients of the real service parse the 202 as JSON.
    assert quiet.status_code == 202 and quiet.json() == {}
    assert "flowdock-user" not in quiet.headers
    waited = client.post("/messages", json=activity(source["flow_token"]), headers=WAIT)
    assert waited.status_code == 201
    message = waited.json()
    assert message["thread_id"] and message["thread"]["id"] == message["thread_id"]
    assert message["user"] == "0" and message["app"] == "influx"
    assert message["author"] == {"name": "Ann"} and message["title"] == "Opened pull request"
    assert message["created_at"].endswith("Z") and isinstance(message["sent"], int)
    assert 'rel="comments"' in waited.headers["link"]


def test_form_encoded_message_with_nested_fields(client: httpx.Client) -> None:
    source = create_source(client)
    form = {
        "flow_token": source["flow_token"],
        "event": "activity",
        "author[name]": "Form Poster",
        "title": "Posted as a form",
        "external_thread_id": "form:1",
        "thread[title]": "Form thread",
        "thread[status][color]": "red",
        "thread[status][value]": "bad",
        "tags": "a,b",
    }
    reply = client.post("/messages", data=form, headers=WAIT)
    assert reply.status_code == 201, reply.text
    message = reply.json()
    assert message["thread"]["status"] == {"color": "red", "value": "bad"}
    assert message["tags"] == ["a", "b"]


def test_uuid_repeat_stores_one_message(client: httpx.Client, live) -> None:
    source = create_source(client)
    key = str(uuid.uuid4())
    first = client.post("/messages", json=activity(source["flow_token"], uuid=key), headers=WAIT)
    second = client.post("/messages", json=activity(source["flow_token"], uuid=key), headers=WAIT)
    assert first.status_code == second.status_code == 201
    assert first.json()["id"] == second.json()["id"]
    assert (
        client.post("/messages", json=activity(source["flow_token"], uuid=key)).status_code == 202
    )
    assert len(messages_by_uuid(live, key)) == 1
    stored = client.get("/sandbox/messages", params={"flow": "acme/main"}).json()
    assert [m["uuid"] for m in stored].count(key) == 1


def test_thread_state_counts_and_sanitising(client: httpx.Client) -> None:
    source = create_source(client)
    ext = f"ticket:{uuid.uuid4()}"
    first = client.post(
        "/messages",
        json=activity(source["flow_token"], ext, title='Opened <a href="https://x">T</a><script>'),
        headers=WAIT,
    ).json()
    assert "<script>" not in first["title"] and "<a" in first["title"]
    discussion = activity(
        source["flow_token"], ext, event="discussion", body="<p>hi</p><script>x()</script>"
    )
    discussion["thread"] = {"title": "Renamed", "status": {"color": "grey", "value": "closed"}}
    second = client.post("/messages", json=discussion, headers=WAIT).json()
    assert second["thread_id"] == first["thread_id"]
    assert "script" not in second["body"]
    thread_id = first["thread_id"]
    chat = client.post(
        f"/flows/acme/main/threads/{thread_id}/messages",
        json={"event": "message", "content": "internal note"},
        auth=API_AUTH,
        headers=WAIT,
    )
    assert chat.status_code == 201 and chat.json()["user"] == "1"
    thread = client.get(f"/flows/acme/main/threads/{thread_id}", auth=API_AUTH).json()
    assert thread["title"] == "Renamed"
    assert thread["status"] == {"color": "grey", "value": "closed"}
    assert (thread["activities"], thread["external_comments"], thread["internal_comments"]) == (
        1,
        1,
        1,
    )
    assert thread["source"]["id"] == source["id"] and "external_thread_id" not in thread
    messages = client.get(f"/flows/acme/main/threads/{thread_id}/messages", auth=API_AUTH).json()
    assert [m["event"] for m in messages] == ["activity", "discussion", "message"]
    # Every message embeds the thread's current state.
    assert all(m["thread"]["title"] == "Renamed" for m in messages)
    # Another source reusing the external id gets its own thread.
    other = create_source(client, "Other")
    third = client.post("/messages", json=activity(other["flow_token"], ext), headers=WAIT).json()
    assert third["thread_id"] != thread_id


def test_post_with_bearer_needs_flow_and_404s(client: httpx.Client, live) -> None:
    token = _token(live, "flow")
    chat = {"event": "message", "content": "hello"}
    assert client.post("/messages", json=chat, headers=bearer(token)).status_code == 400
    flow_id = client.get("/flows/acme/main", auth=API_AUTH).json()["id"]
    ok = client.post("/messages", json={**chat, "flow": flow_id}, headers=bearer(token))
    assert ok.status_code == 202 and ok.json() == {} and ok.headers["Flowdock-User"] == "1"
    assert client.post("/flows/acme/nope/messages", json=chat, auth=API_AUTH).status_code == 404
    bad_thread = client.post("/flows/acme/main/threads/nope/messages", json=chat, auth=API_AUTH)
    assert bad_thread.status_code == 404


def test_message_listing_filters(make_server) -> None:
    server = make_server()
    with httpx.Client(base_url=server.base_url, auth=API_AUTH) as http:
        for index in range(5):
            tags = ["even"] if index % 2 == 0 else ["odd"]
            body = {"event": "message", "content": f"note {index}", "tags": tags}
            assert http.post("/flows/acme/main/messages", json=body).status_code == 201
        ids = [m["id"] for m in http.get("/flows/acme/main/messages").json()]
        assert ids == [1, 2, 3, 4, 5]
        newest = http.get("/flows/acme/main/messages", params={"limit": 2}).json()
        assert [m["id"] for m in newest] == [4, 5]
        oldest = http.get("/flows/acme/main/messages", params={"limit": 2, "sort": "asc"}).json()
        assert [m["id"] for m in oldest] == [1, 2]
        window = http.get("/flows/acme/main/messages", params={"since_id": 1, "until_id": 4})
        assert [m["id"] for m in window.json()] == [2, 3]
        tagged = http.get("/flows/acme/main/messages", params={"tags": "odd"}).json()
        assert [m["id"] for m in tagged] == [2, 4]
        found = http.get("/flows/acme/main/messages", params={"search": "NOTE 3"}).json()
        assert [m["content"] for m in found] == ["note 3"]
        assert http.get("/flows/acme/main/messages/3").json()["content"] == "note 2"
        assert http.get("/flows/acme/main/messages/99").status_code == 404
        bad = http.get("/flows/acme/main/messages", params={"limit": 101})
        assert bad.status_code == 400 and "limit" in bad.json()["errors"]
        comment = http.post(
            "/flows/acme/main/messages/1/comments", json={"content": "re"}, headers=WAIT
        )
        assert comment.status_code == 201 and "influx:1" in comment.json()["tags"]


def test_search_results_are_paged_with_skip(make_server) -> None:
    server = make_server()
    with httpx.Client(base_url=server.base_url, auth=API_AUTH) as http:
        for index in range(5):
            body = {"event": "message", "content": f"paged note {index}"}
            assert http.post("/flows/acme/main/messages", json=body).status_code == 201

        def search(**params) -> list[str]:
            params = {"search": "paged", "limit": 2, **params}
            answer = http.get("/flows/acme/main/messages", params=params)
            assert answer.status_code == 200, answer.text
            return [m["content"] for m in answer.json()]

        # Newest first by default: each page goes further back, still shown in id order.
        pages = [search(skip=skip) for skip in (0, 2, 4)]
        assert pages == [
            ["paged note 3", "paged note 4"],
            ["paged note 1", "paged note 2"],
            ["paged note 0"],
        ]
        assert search(skip=2, sort="asc") == ["paged note 2", "paged note 3"]
        assert search(skip=5) == []
        # Without a search, skip pages nothing (since_id/until_id do that).
        plain = http.get("/flows/acme/main/messages", params={"limit": 2, "skip": 2}).json()
        assert [m["content"] for m in plain] == ["paged note 3", "paged note 4"]
        for bad in ("-1", "two"):
            answer = http.get("/flows/acme/main/messages", params={"search": "x", "skip": bad})
            assert answer.status_code == 400 and "skip" in answer.json()["errors"]


def test_thread_paging_link_header(make_server) -> None:
    server = make_server()
    with httpx.Client(base_url=server.base_url, auth=API_AUTH) as http:
        token = create_source(http)["flow_token"]
        for index in range(27):
            reply = http.post("/messages", json=activity(token, f"t{index}"))
            assert reply.status_code == 202
        first = http.get("/flows/acme/main/threads")
        page = first.json()
        assert len(page) == 25
        stamps = [t["updated_at"] for t in page]
        assert stamps == sorted(stamps, reverse=True)
        link = first.headers["link"]
        assert link.endswith('>; rel="next"') and "until=" in link
        second = http.get(link[1 : link.index(">")])
        assert len(second.json()) == 2 and "link" not in second.headers
        seen = {t["id"] for t in page} | {t["id"] for t in second.json()}
        assert len(seen) == 27
        apps = http.get("/flows/acme/main/threads", params={"application": "chat"}).json()
        assert apps == []


# ---------------------------------------------------------------------- answers as clients saw them


def test_a_users_post_to_a_flow_path_answers_201_with_the_message(client: httpx.Client) -> None:
    chat = {"event": "message", "content": "straight to the flow", "tags": ["x"]}
    reply = client.post("/flows/acme/main/messages", json=chat, auth=API_AUTH)
    assert reply.status_code == 201
    message = reply.json()
    assert message["content"] == "straight to the flow" and message["user"] == "1"
    assert reply.headers["Flowdock-User"] == "1"
    assert reply.headers["link"].endswith(f'/messages/{message["id"]}/comments>; rel="comments"')
    shown = client.get(f"/flows/acme/main/messages/{message['id']}", auth=API_AUTH).json()
    assert shown == message
    comment = client.post(
        f"/flows/acme/main/messages/{message['id']}/comments", json={"content": "re"}, auth=API_AUTH
    )
    assert comment.status_code == 201 and comment.json()["event"] == "comment"


def test_a_flow_token_post_to_a_flow_path_is_still_queued(client: httpx.Client) -> None:
    source = create_source(client)
    reply = client.post("/flows/acme/main/messages", json=activity(source["flow_token"]))
    assert reply.status_code == 202 and reply.json() == {}


def test_every_answer_to_a_user_names_the_user(client: httpx.Client) -> None:
    for method, path, body in (
        ("GET", "/flows/acme/nope", None),
        ("POST", "/flows/acme/main/messages", {"event": "message"}),
        ("GET", "/flows/acme/main/messages/99999", None),
        ("DELETE", "/flows/acme/main/sources/99999", None),
    ):
        reply = client.request(
            method, path, json=body, auth=httpx.BasicAuth("sandbox-api-token-sam", "x")
        )
        assert reply.status_code >= 400, (path, reply.text)
        assert reply.headers["Flowdock-User"] == "2", path
    assert "flowdock-user" not in client.get("/flows").headers  # no user: 401
