"""The web pages show a flow's chat (files, comments, edits) and the demo user's private
conversations, and their file links download the file."""

from __future__ import annotations

import httpx

from tests.sandbox.conftest import API_AUTH, SAM_AUTH


def _post(http: httpx.Client, path: str, auth=API_AUTH, **kwargs) -> dict:
    reply = http.post(path, auth=auth, **kwargs)
    assert reply.status_code == 201, reply.text
    return reply.json()


def test_a_flows_page_shows_its_chat_with_edits_and_files(http: httpx.Client) -> None:
    chat = "/flows/acme/main/messages"
    first = _post(http, chat, json={"event": "message", "content": "helo <world>"})
    http.put(f"{chat}/{first['id']}", json={"content": "hello <world>"}, auth=API_AUTH)
    plain = _post(http, chat, json={"event": "message", "content": "untouched"}, auth=SAM_AUTH)
    _post(http, f"{chat}/{plain['id']}/comments", json={"content": "agreed"})
    upload = _post(
        http,
        chat,
        data={"event": "file"},
        files={"content": ("plan.txt", b"the plan", "text/plain")},
    )
    page = http.get("/app/acme/main")
    assert page.status_code == 200
    html = page.text
    edited = html[html.index(f'id="message-{first["id"]}"') :].split("</li>", 1)[0]
    assert "hello &lt;world&gt;" in edited and "(edited)" in edited
    untouched = html[html.index(f'id="message-{plain["id"]}"') :].split("</li>", 1)[0]
    assert "<strong>Sam</strong>" in untouched and "(edited)" not in untouched
    assert "re untouched:</em> agreed" in html
    assert "<world>" not in html
    key = upload["content"]["path"].split("/")[3]
    assert f'href="/app/files/{key}">plan.txt</a>' in html
    link = http.get(f"/app/files/{key}")
    assert link.status_code == 303
    assert httpx.get(link.headers["location"]).content == b"the plan"
    assert http.get("/app/files/nope").status_code == 404
    # Edits themselves are not chat lines.
    assert "message-edit" not in html


def test_private_conversation_pages(http: httpx.Client) -> None:
    assert "No private conversations yet" in http.get("/app/private").text
    _post(http, "/private/2/messages", json={"event": "message", "content": "hi Sam"})
    answer = _post(
        http, "/private/1/messages", json={"event": "message", "content": "hi Demo"}, auth=SAM_AUTH
    )
    http.put(f"/private/1/messages/{answer['id']}", json={"content": "hi, Demo"}, auth=SAM_AUTH)
    sent = _post(
        http,
        "/private/2/messages",
        data={"event": "file"},
        files={"content": ("pic.png", b"\x89PNG fake", "image/png")},
    )
    listing = http.get("/app/private")
    assert listing.status_code == 200 and 'href="/app/private/2">@Sam</a>' in listing.text
    assert 'href="/app/private"' in http.get("/").text
    page = http.get("/app/private/2")
    assert page.status_code == 200 and "Private: @Sam" in page.text
    assert "hi Sam" in page.text and "hi, Demo" in page.text and "(edited)" in page.text
    key = sent["content"]["path"].split("/")[-2]
    assert f'href="/app/files/{key}">pic.png</a>' in page.text
    assert httpx.get(http.get(f"/app/files/{key}").headers["location"]).content == b"\x89PNG fake"
    assert http.get("/app/private/1").status_code == 404
    assert http.get("/app/private/99").status_code == 404


def test_files_of_other_peoples_private_conversations_stay_hidden(make_server) -> None:
    server = make_server()
    with httpx.Client(base_url=server.base_url, timeout=10) as other:

        def third_person(tx):
            tx.execute(
                "INSERT INTO users (id, nick, name, email, password, api_token_digest) "
                "VALUES (3, 'Kim', 'Kim', 'kim@example.com', 'pw', NULL)"
            )
            tx.execute(
                "INSERT INTO flow_members (flow_id, user_id) "
                "SELECT id, 3 FROM flows WHERE parameterized_name = 'main'"
            )

        server.state.run(third_person)
        sent = _post(
            other,
            "/private/3/messages",
            data={"event": "file"},
            files={"content": ("secret.txt", b"between Sam and Kim")},
            auth=SAM_AUTH,
        )
        key = sent["content"]["path"].split("/")[-2]
        assert other.get(f"/app/files/{key}").status_code == 404
