"""The team inbox page: its browser session follows the flow's stream, and comments post."""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest

from flowdock_desktop.sandbox import SandboxServer
from flowdock_desktop.sandbox.pages import PAGE_COOKIE
from tests.sandbox.conftest import API_AUTH, SSE, WAIT, Reader, activity, create_source


@pytest.fixture
def browser(live: SandboxServer) -> Iterator[httpx.Client]:
    """A client that keeps cookies, as a browser would (no API credentials)."""
    with httpx.Client(base_url=live.base_url, timeout=WAIT) as client:
        yield client


def _thread(client: httpx.Client, title: str, external_id: str) -> tuple[dict, str]:
    source = create_source(client, "Inbox bot")
    message = activity(source["flow_token"], external_id)
    message["thread"]["title"] = title
    answer = client.post("/messages", json=message, headers={"X-flowdock-wait-for-message": "1"})
    assert answer.status_code == 201, answer.text
    return answer.json(), source["flow_token"]


def _comment_form(page: str, thread_id: str) -> tuple[str, str]:
    """(action, csrf token) of the thread's comment form on the page."""
    found = re.search(
        r'<form class="comment" method="post" action="([^"]+)"><input type="hidden" '
        r'name="csrf" value="([0-9a-f]+)">',
        page[page.index(f'id="thread-{thread_id}"') :],
    )
    assert found, "no comment form for the thread"
    return found.group(1), found.group(2)


def test_the_page_session_follows_the_flow_stream(live, browser) -> None:
    page = browser.get("/app/acme/main")
    assert page.status_code == 200
    cookie = page.headers["set-cookie"]
    assert cookie.startswith(PAGE_COOKIE + "=")
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/" in cookie
    assert re.search(r'data-stream="/stream/flows/acme/main\?last_event_id=\d+"', page.text)
    assert "new EventSource(list.dataset.stream)" in page.text

    url = live.base_url + "/stream/flows/acme/main"
    reader = Reader(url, headers=SSE, cookies=dict(browser.cookies)).start()
    try:
        assert reader.response.status_code == 200
        posted, _ = _thread(browser, "Seen live", "live:1")
        ((_, event),) = reader.sse_events(1)
        assert event["id"] == posted["id"] and event["thread"]["title"] == "Seen live"
    finally:
        reader.stop()
    # No page session, or a made-up one: the stream asks for credentials.
    assert httpx.get(url, timeout=WAIT).status_code == 401
    assert httpx.get(url, cookies={PAGE_COOKIE: "made-up"}, timeout=WAIT).status_code == 401


def test_a_comment_from_the_page_joins_the_thread_and_the_stream(live, browser) -> None:
    posted, _ = _thread(browser, "Deploy web", "live:2")
    thread_id = posted["thread_id"]
    page = browser.get("/app/acme/main").text
    action, csrf = _comment_form(page, thread_id)
    assert action == f"/app/acme/main/threads/{thread_id}/comments"

    reader = Reader(
        live.base_url + "/stream/flows/acme/main", headers=SSE, cookies=dict(browser.cookies)
    ).start()
    try:
        answer = browser.post(action, data={"csrf": csrf, "text": "Looks good to me"})
        assert answer.status_code == 303
        assert answer.headers["location"] == f"/app/acme/main#thread-{thread_id}"
        ((_, event),) = reader.sse_events(1)
    finally:
        reader.stop()
    assert event["event"] == "message" and event["content"] == "Looks good to me"
    assert event["user"] == "1" and event["thread_id"] == thread_id
    assert event["thread"]["internal_comments"] == 1

    shown = browser.get(f"/app/acme/main/threads/{thread_id}")
    assert shown.status_code == 200
    assert "Looks good to me" in shown.text and "Demo User" in shown.text
    assert "0 external and 1 internal comments" in shown.text


def test_comment_form_refusals_in_plain_words(live, browser) -> None:
    posted, _ = _thread(browser, "Guarded", "live:3")
    thread_id = posted["thread_id"]
    action, csrf = _comment_form(browser.get("/app/acme/main").text, thread_id)

    empty = browser.post(action, data={"csrf": csrf, "text": "   "})
    assert empty.status_code == 400 and "The comment was empty" in empty.text
    long = browser.post(action, data={"csrf": csrf, "text": "x" * 9000})
    assert long.status_code == 400 and "shorten it to 8096" in long.text
    forged = browser.post(action, data={"csrf": "0" * 64, "text": "hi"})
    assert forged.status_code == 403 and "out of date" in forged.text
    elsewhere = browser.post(
        f"/app/acme/main/threads/{thread_id}x/comments", data={"csrf": csrf, "text": "hi"}
    )
    assert elsewhere.status_code == 403  # the token belongs to another form
    with httpx.Client(base_url=live.base_url, timeout=WAIT) as stranger:
        # Without the page's session (another browser), the token is worthless.
        assert stranger.post(action, data={"csrf": csrf, "text": "hi"}).status_code == 403
    cross_site = browser.post(
        action, data={"csrf": csrf, "text": "hi"}, headers={"Origin": "https://evil.example"}
    )
    assert cross_site.status_code == 403
    listed = browser.get(f"/flows/acme/main/threads/{thread_id}/messages", auth=API_AUTH).json()
    assert [m["event"] for m in listed] == ["activity"]


def test_the_thread_fragment_shows_the_new_status(browser) -> None:
    posted, flow_token = _thread(browser, "Status moves", "live:4")
    browser.get("/app/acme/main")
    again = activity(flow_token, "live:4")
    again["thread"]["status"] = {"color": "red", "value": "failed"}
    assert browser.post("/messages", json=again).status_code == 202
    fragment = browser.get(f"/app/acme/main/threads/{posted['thread_id']}")
    assert fragment.status_code == 200
    assert fragment.text.startswith(f'<div class="thread" id="thread-{posted["thread_id"]}">')
    assert 'class="badge status-red"' in fragment.text and "failed" in fragment.text
    assert '<div class="state">' in fragment.text and 'class="comment"' in fragment.text
    assert browser.get("/app/acme/main/threads/nope").status_code == 404


def test_activity_between_the_page_and_its_stream_is_not_missed(live, browser) -> None:
    # The page is rendered, then a message is posted, then the page's script connects: the
    # stream the page names replays what came after the page (a browser's EventSource sends no
    # Last-Event-ID on its first connection).
    page = browser.get("/app/acme/main")
    stream = re.search(r'data-stream="([^"]+)"', page.text)
    assert stream, "the page names no stream"
    posted, _ = _thread(browser, "Posted meanwhile", "live:meanwhile")
    reader = Reader(live.base_url + stream.group(1), headers=SSE, cookies=dict(browser.cookies))
    reader.start()
    try:
        assert reader.response.status_code == 200
        ((_, event),) = reader.sse_events(1)
        assert event["id"] == posted["id"] and event["thread"]["title"] == "Posted meanwhile"
    finally:
        reader.stop()
