"""The server-rendered pages: home, applications, setup links, team inbox and sources."""

from __future__ import annotations

import html
import json
import re
import shlex
from urllib.parse import parse_qs, urlsplit

import httpx

from flowdock_desktop.sandbox.seed import DEMO_API_TOKEN, DEMO_CLIENT_ID
from tests.sandbox.conftest import API_AUTH, activity, create_source


def test_home_lists_credentials(client: httpx.Client) -> None:
    page = client.get("/")
    assert page.status_code == 200
    assert DEMO_API_TOKEN in page.text and DEMO_CLIENT_ID in page.text
    assert str(client.base_url) in page.text


def test_inbox_shows_status_badge_and_escapes(client: httpx.Client) -> None:
    source = create_source(client, "Pages <b>src</b>")
    message = activity(source["flow_token"], "page:1")
    message["thread"]["status"] = {"color": "orange", "value": "<i>review</i>"}
    message["author"] = {"name": "<script>alert(1)</script>"}
    assert client.post("/messages", json=message).status_code == 202
    page = client.get("/app/acme/main")
    assert page.status_code == 200
    assert 'class="badge status-orange"' in page.text
    assert "Fix bug" in page.text and "Severity" in page.text
    assert "<script>alert(1)</script>" not in page.text
    assert "&lt;script&gt;" in page.text
    assert client.get("/app/acme/nope").status_code == 404


def test_sources_page_remove_gives_410(client: httpx.Client) -> None:
    source = create_source(client, "Removable")
    page = client.get("/app/acme/main/sources")
    assert "Removable" in page.text and "Remove" in page.text
    removed = client.post(f"/app/acme/main/sources/{source['id']}/delete")
    assert removed.status_code == 303
    assert client.post("/messages", json=activity(source["flow_token"])).status_code == 410


def test_create_application_and_start_setup(client: httpx.Client) -> None:
    created = client.post(
        "/oauth/applications/new",
        data={
            "name": "My <App>",
            "redirect_uris": "http://127.0.0.1:5000/cb\nhttps://example.com/cb",
            "setup_uri": "https://example.com/setup?flow={flow_id}&u={flow_url}",
            "configuration_uri": "https://example.com/configure",
        },
    )
    assert created.status_code == 201
    assert "My &lt;App&gt;" in created.text and "client_secret" in created.text
    listing = client.get("/oauth/applications")
    assert "My &lt;App&gt;" in listing.text and "Start setup" in listing.text
    app_id = listing.text.split("/oauth/applications/")[1].split("/setup")[0]
    flow = client.get("/flows/acme/main", auth=API_AUTH).json()
    setup = client.get(f"/oauth/applications/{app_id}/setup", params={"flow": flow["id"]})
    assert setup.status_code == 303
    target = urlsplit(setup.headers["location"])
    query = parse_qs(target.query)
    assert query["flow"] == [flow["id"]] and query["u"] == [flow["url"]]


def test_application_registration_api(client: httpx.Client) -> None:
    reply = client.post(
        "/oauth/applications",
        json={"application": {"name": "Scripted", "redirect_uri": "urn:ietf:wg:oauth:2.0:oob"}},
        auth=("demo@example.com", "demo"),
    )
    assert reply.status_code == 201
    app = reply.json()
    token = client.post(
        "/oauth/token",
        data={
            "client_id": app["client_id"],
            "client_secret": app["client_secret"],
            "grant_type": "password",
            "username": "demo@example.com",
            "password": "demo",
            "scope": "flow integration",
        },
        headers={"Accept": "application/json"},
    )
    assert token.status_code == 200 and token.json()["scope"] == "flow,integration"


def _new_source_csrf(http: httpx.Client, flow: str) -> str:
    page = http.get(f"/app/{flow}/sources").text
    match = re.search(
        rf'action="/app/{flow}/sources/new"><input type="hidden" name="csrf" value="([0-9a-f]+)"',
        page,
    )
    assert match, page
    return match.group(1)


def test_a_source_made_on_the_sources_page_posts_with_the_token_shown_once(
    http: httpx.Client,
) -> None:
    """For an integrator trying the sandbox by hand: a flow's sources page makes a source and
    shows its flow_token once, with a curl command that posts with it."""
    flow = "acme/random"
    assert "No sources in this flow yet." in http.get(f"/app/{flow}/sources").text
    refused = http.post(
        f"/app/{flow}/sources/new", data={"csrf": _new_source_csrf(http, flow), "name": " "}
    )
    assert refused.status_code == 400
    assert "The name can" in refused.text and "blank" in refused.text

    made = http.post(
        f"/app/{flow}/sources/new",
        data={"csrf": _new_source_csrf(http, flow), "name": "Tried by hand"},
    )
    assert made.status_code == 201, made.text
    token = re.search(r'<code id="flow-token">([0-9a-f]{32})</code>', made.text)
    assert token, made.text
    assert http.post("/messages", json=activity(token.group(1))).status_code == 202
    # The command shown posts as it says: its body, sent as curl would send it, is accepted.
    command = html.unescape(re.search(r"<pre>(.*?)</pre>", made.text, re.S).group(1))
    assert command.startswith(f"curl -X POST {http.server.base_url}/messages ")
    body = json.loads(shlex.split(command)[-1])
    assert body["flow_token"] == token.group(1)
    answer = http.post("/messages", json=body, headers={"X-flowdock-wait-for-message": "true"})
    assert answer.status_code == 201, answer.text
    listing = http.get(f"/app/{flow}/sources").text
    assert "Tried by hand" in listing and token.group(1) not in listing  # shown only once
