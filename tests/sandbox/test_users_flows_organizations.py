"""Users, flow members, organizations, creating and changing flows, and comments on both
paths, over a live sandbox."""

from __future__ import annotations

import httpx
import pytest

from flowdock_desktop.testing import mint_token
from tests.sandbox.conftest import SAM_AUTH, activity, bearer, create_source

WAIT = {"X-flowdock-wait-for-message": "true"}


def _flow_id(http: httpx.Client, path: str = "acme/main") -> str:
    return http.get(f"/flows/{path}").json()["id"]


# ---------------------------------------------------------------------- users


def test_flow_users_carry_nick_and_in_flow_for_bots(http: httpx.Client) -> None:
    flows = http.get("/flows", params={"users": 1})
    me = flows.headers["Flowdock-User"]
    main = next(f for f in flows.json() if f["parameterized_name"] == "main")
    # What hubot-flowdock does to learn its own nick.
    nicks = {str(u["id"]): u["nick"] for u in main["users"] if u["in_flow"]}
    assert nicks[me] == "Demo" and nicks["2"] == "Sam"
    listed = http.get("/flows/acme/main/users")
    assert listed.status_code == 200
    assert [(u["id"], u["nick"], u["in_flow"]) for u in listed.json()] == [
        (1, "Demo", True),
        (2, "Sam", True),
    ]
    assert http.get("/flows/acme/nope/users").status_code == 404


def test_users_and_updating_your_own(http: httpx.Client) -> None:
    assert {u["nick"] for u in http.get("/users").json()} == {"Demo", "Sam"}
    changed = http.put("/users/1", json={"nick": "Dem0", "email": "demo2@example.com"})
    assert changed.status_code == 200 and changed.json() == {}
    assert changed.headers["Flowdock-User"] == "1"
    me = http.get("/users/1").json()
    assert (me["nick"], me["email"]) == ("Dem0", "demo2@example.com")
    assert http.get("/user").json()["nick"] == "Dem0"
    # Someone else: 403; someone unknown or beyond any id: 404.
    assert http.put("/users/2", json={"nick": "Nope"}).status_code == 403
    assert http.put("/users/99", json={"nick": "Nope"}).status_code == 404
    assert http.put("/users/" + "9" * 30, json={"nick": "x"}).status_code == 404
    for body, field in (
        ({"nick": ""}, "nick"),
        ({"nick": 5}, "nick"),
        ({"email": "not-an-address"}, "email"),
        ({"email": "sam@example.com"}, "email"),
    ):
        reply = http.put("/users/1", json=body)
        assert reply.status_code == 400 and field in reply.json()["errors"], body
    assert http.put("/users/1", json=[1]).status_code == 400


def test_adding_and_blocking_flow_members(http: httpx.Client) -> None:
    assert http.post("/flows/acme/announcements/users", json={"id": 2}).json() == {}
    users = http.get("/flows/acme/announcements/users").json()
    assert [u["id"] for u in users] == [1, 2]
    assert http.post("/flows/acme/announcements/users", json={"id": 99}).status_code == 404
    assert http.post("/flows/acme/announcements/users", json={"id": "x"}).status_code == 400
    # Demo has not joined Random, so cannot add people to it.
    assert http.post("/flows/acme/random/users", json={"id": 1}).status_code == 403

    blocked = http.put("/flows/acme/announcements/users/2", json={"disabled": True})
    assert blocked.status_code == 200 and blocked.json() == {}
    sam = next(u for u in http.get("/flows/acme/announcements/users").json() if u["id"] == 2)
    assert sam["disabled"] is True
    chat = {"event": "message", "content": "let me in"}
    refused = http.post("/flows/acme/announcements/messages", json=chat, auth=SAM_AUTH)
    assert refused.status_code == 403 and "blocked" in refused.json()["message"]
    # Sam may not block Demo, an organization admin.
    assert (
        http.put("/flows/acme/main/users/1", json={"disabled": True}, auth=SAM_AUTH).status_code
        == 403
    )
    assert http.put("/flows/acme/main/users/99", json={"disabled": True}).status_code == 404
    assert http.put("/flows/acme/main/users/2", json={"disabled": "maybe"}).status_code == 400


# ---------------------------------------------------------------------- flows


def test_create_a_flow(http: httpx.Client) -> None:
    created = http.post("/flows/acme", json={"name": "Release Crew!"})
    assert created.status_code == 201, created.text
    flow = created.json()
    assert flow["name"] == "Release Crew!" and flow["parameterized_name"] == "release-crew"
    assert flow["joined"] and flow["open"] and flow["access_mode"] == "invitation"
    assert "join_url" not in flow and [u["id"] for u in flow["users"]] == [1]
    again = http.post("/flows/acme", json={"name": "release crew"}).json()
    assert again["parameterized_name"] == "release-crew-2"
    posted = http.post(
        "/flows/acme/release-crew/messages", json={"event": "message", "content": "hi"}
    )
    assert posted.status_code == 201
    # Invitation only: Sam, in the same organization, neither sees nor finds it.
    assert "release-crew" not in [f["parameterized_name"] for f in http.get(
        "/flows/all", auth=SAM_AUTH).json()]  # fmt: skip
    assert http.get("/flows/acme/release-crew", auth=SAM_AUTH).status_code == 404
    for body in ({}, {"name": ""}, {"name": "x" * 101}, {"name": 3}):
        reply = http.post("/flows/acme", json=body)
        assert reply.status_code == 400 and "name" in reply.json()["errors"], body
    assert http.post("/flows/nope", json={"name": "x"}).status_code == 404


def test_rename_close_reopen_and_archive_a_flow(http: httpx.Client) -> None:
    flow_id = _flow_id(http)
    renamed = http.put("/flows/acme/main", json={"name": "Main Room"})
    assert renamed.status_code == 200
    assert renamed.json()["name"] == "Main Room" and renamed.json()["id"] == flow_id
    assert http.get("/flows/acme/main").json()["name"] == "Main Room"  # same URL

    closed = http.put("/flows/acme/main", data={"open": "false"}).json()
    assert closed["open"] is False and closed["joined"] is True
    assert http.put("/flows/acme/main", json={"open": True}).json()["open"] is True

    archived = http.put("/flows/acme/main", json={"disabled": True})
    assert archived.status_code == 200 and archived.json()["disabled"] is True
    assert "main" not in [f["parameterized_name"] for f in http.get("/flows").json()]
    refused = http.post("/flows/acme/main/messages", json={"event": "message", "content": "x"})
    assert refused.status_code == 403 and "archived" in refused.json()["message"]
    assert http.put("/flows/acme/main", json={"disabled": False}).status_code == 200

    for body, field in (
        ({"name": ""}, "name"),
        ({"open": "sometimes"}, "open"),
        ({"access_mode": "secret"}, "access_mode"),
    ):
        reply = http.put("/flows/acme/main", json=body)
        assert reply.status_code == 400 and field in reply.json()["errors"], body


def test_join_a_flow_open_to_the_organization(http: httpx.Client) -> None:
    every = {f["parameterized_name"]: f for f in http.get("/flows/all").json()}
    assert every["random"]["joined"] is False
    # Not a member: only joining is allowed.
    assert http.put("/flows/acme/random", json={"name": "Mine"}).status_code == 403
    chat = {"event": "message", "content": "hello"}
    assert http.post("/flows/acme/random/messages", json=chat).status_code == 403
    joined = http.put("/flows/acme/random", json={"open": True}).json()
    assert joined["joined"] is True and joined["open"] is True
    assert http.post("/flows/acme/random/messages", json=chat).status_code == 201
    # Sam makes Announcements invitation-only... he is no member there, so he cannot.
    assert (
        http.put(
            "/flows/acme/announcements", json={"access_mode": "invitation"}, auth=SAM_AUTH
        ).status_code
        == 403
    )
    assert (
        http.put("/flows/acme/announcements", json={"access_mode": "invitation"}).json()[
            "access_mode"
        ]
        == "invitation"
    )
    assert http.get("/flows/acme/announcements", auth=SAM_AUTH).status_code == 404


# ---------------------------------------------------------------------- organizations


def test_organizations(http: httpx.Client) -> None:
    listed = http.get("/organizations")
    assert listed.status_code == 200 and listed.headers["Flowdock-User"] == "1"
    [acme] = listed.json()
    assert acme["parameterized_name"] == "acme" and acme["user_count"] == 2
    assert acme["subscription"]["trial"] is False and acme["subscription"]["billing_date"]
    assert {(u["id"], u["admin"]) for u in acme["users"]} == {(1, True), (2, False)}
    assert http.get("/organizations/acme").json() == acme
    assert http.get("/organizations/find", params={"id": acme["id"]}).json() == acme
    for missing in ("/organizations/nope", "/organizations/find?id=99",
                    "/organizations/find?id=x", "/organizations/find"):  # fmt: skip
        assert http.get(missing).status_code == 404, missing
    people = http.get("/organizations/acme/users").json()
    assert [(u["nick"], u["admin"]) for u in people] == [("Demo", True), ("Sam", False)]

    assert http.put("/organizations/acme", json={"name": "Acme Inc"}).json()["name"] == "Acme Inc"
    assert http.get("/flows/acme/main").json()["organization"]["name"] == "Acme Inc"
    assert http.put("/organizations/acme", json={"name": "Sam's"}, auth=SAM_AUTH).status_code == 403
    assert http.put("/organizations/acme", json={"name": ""}).status_code == 400

    assert http.delete("/organizations/acme/users/2", auth=SAM_AUTH).status_code == 403
    assert http.delete("/organizations/acme/users/2").status_code == 204
    assert http.delete("/organizations/acme/users/2").status_code == 404
    assert http.get("/organizations/acme", auth=SAM_AUTH).status_code == 404
    assert [u["id"] for u in http.get("/organizations/acme/users").json()] == [1]


def test_scopes_of_the_new_endpoints(http: httpx.Client) -> None:
    server = http.server  # type: ignore[attr-defined]

    def as_token(scopes: list[str]) -> dict:
        return {"headers": bearer(mint_token(server, scopes)["access_token"]), "auth": None}

    flow_only = as_token(["flow"])
    assert http.put("/organizations/acme", json={"name": "X"}, **flow_only).status_code == 403
    assert http.put("/users/1", json={"nick": "X"}, **flow_only).status_code == 403
    assert http.post("/flows/acme", json={"name": "By flow"}, **flow_only).status_code == 201
    integration = as_token(["integration"])
    assert http.get("/organizations", **integration).status_code == 403
    assert http.put("/flows/acme/main", json={"open": True}, **integration).status_code == 403
    manage = as_token(["manage"])
    assert http.put("/organizations/acme", json={"name": "Y"}, **manage).status_code == 200


# ---------------------------------------------------------------------- comments


def test_comments_on_both_paths(http: httpx.Client) -> None:
    flow_id = _flow_id(http)
    parent = http.post(
        "/flows/acme/main/messages", json={"event": "message", "content": "Ship it?\nSoon"}
    ).json()
    # POST /comments, as Flowdock's node client and bots send it: flow and message in the body.
    quiet = http.post(
        "/comments",
        json={"flow": flow_id, "message": parent["id"], "event": "comment", "content": "yes"},
    )
    assert quiet.status_code == 202 and quiet.json() == {}
    waited = http.post(
        "/comments",
        json={"flow": flow_id, "message": parent["id"], "event": "comment", "content": "now"},
        headers=WAIT,
    )
    assert waited.status_code == 201
    comment = waited.json()
    assert comment["content"] == {"title": "Ship it?", "text": "now"}
    assert f"influx:{parent['id']}" in comment["tags"]
    on_path = http.post(
        f"/flows/acme/main/messages/{parent['id']}/comments", json={"content": "later"}
    ).json()
    assert on_path["content"] == {"title": "Ship it?", "text": "later"}
    texts = [
        m["content"]["text"]
        for m in http.get("/flows/acme/main/messages", params={"event": "comment"}).json()
    ]
    assert texts == ["yes", "now", "later"]
    found = http.get("/flows/acme/main/messages", params={"search": "later"}).json()
    assert [m["id"] for m in found] == [on_path["id"]]

    # A flow token comments in its own flow; the flow field is not needed.
    source = create_source(http)
    inbox = http.post("/messages", json=activity(source["flow_token"]), headers=WAIT).json()
    by_token = http.post(
        "/comments",
        json={"flow_token": source["flow_token"], "message": inbox["id"], "content": "seen"},
        headers=WAIT,
    )
    assert by_token.status_code == 201
    assert by_token.json()["content"] == {"title": "Opened pull request", "text": "seen"}
    assert by_token.json()["thread_id"] == inbox["thread_id"]


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"message": 1, "content": "x"}, 400, "flow"),
        ({"flow": "nope", "message": 1, "content": "x"}, 404, None),
        ({"flow": "FLOW", "content": "x"}, 400, "message"),
        ({"flow": "FLOW", "message": 999, "content": "x"}, 400, "message"),
        ({"flow": "FLOW", "message": "x", "content": "x"}, 400, "message"),
        ({"flow": "FLOW", "message": 1, "content": ""}, 400, "content"),
    ],
)
def test_bad_comments(http: httpx.Client, body, status, field) -> None:
    flow_id = _flow_id(http)
    http.post("/flows/acme/main/messages", json={"event": "message", "content": "parent"})
    body = {k: (flow_id if v == "FLOW" else v) for k, v in body.items()}
    reply = http.post("/comments", json={"event": "comment", **body})
    assert reply.status_code == status, reply.text
    if field:
        assert field in reply.json()["errors"]


def test_commenting_in_a_flow_you_have_not_joined_is_403(http: httpx.Client) -> None:
    random_id = _flow_id(http, "acme/random")
    http.post(
        "/flows/acme/random/messages", json={"event": "message", "content": "p"}, auth=SAM_AUTH
    )
    reply = http.post(
        "/comments", json={"flow": random_id, "message": 1, "event": "comment", "content": "x"}
    )
    assert reply.status_code == 403


def test_tags_are_read_out_of_chat_text(http: httpx.Client) -> None:
    message = http.post(
        "/flows/acme/main/messages",
        json={
            "event": "message",
            "content": "Howdy @sam and @nobody, #awesome work (issue#5, a@b.com) @all",
            "tags": ["todo", "#Awesome"],
        },
    ).json()
    assert message["tags"] == ["todo", "#Awesome", ":user:2", ":unread:2", ":user:everyone"]
    mentioned = http.get("/flows/acme/main/messages", params={"tags": ":user:2"}).json()
    assert [m["id"] for m in mentioned] == [message["id"]]
    private = http.post(
        "/private/2/messages", json={"event": "message", "content": "@Sam see #later"}
    ).json()
    assert private["tags"] == ["later", ":user:2", ":unread:2"]


def test_a_message_with_a_link_is_tagged_url(http: httpx.Client) -> None:
    def tags(content: str) -> list[str]:
        answer = http.post(
            "/flows/acme/main/messages", json={"event": "message", "content": content}
        )
        assert answer.status_code == 201, answer.text
        return answer.json()["tags"]

    assert tags("see https://example.com/a?b=1 #bug") == ["bug", ":url"]
    assert tags("at www.example.org, or HTTP://EXAMPLE.COM") == [":url"]
    # Not links: a bare word, an email address, a scheme with nothing after it.
    assert tags("example.com, me@www.example.com and http://") == []
    linked = http.get("/flows/acme/main/messages", params={"tags": ":url"}).json()
    assert len(linked) == 2 and all(":url" in m["tags"] for m in linked)
    private = http.post(
        "/private/2/messages", json={"event": "message", "content": "https://example.com"}
    ).json()
    assert private["tags"] == [":url"]
