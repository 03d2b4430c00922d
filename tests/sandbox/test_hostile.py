"""Hostile and broken traffic: bad text, deep nesting, huge or slow requests, other sites'
pages, DNS rebinding and a flood of connections that never finish."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import textwrap
import time

import httpx
import pytest

from flowdock_desktop.sandbox import SandboxConfig
from flowdock_desktop.sandbox.seed import DEMO_CLIENT_ID
from tests.sandbox.conftest import API_AUTH, activity, create_source

SURROGATE = "bad \ud800 text"
MB = 1024 * 1024


def _json(value) -> bytes:
    # json.dumps writes a lone surrogate as the escape "\ud800", as a hostile client would.
    return json.dumps(value).encode("ascii")


def _post_json(http: httpx.Client, path: str, value, **kwargs) -> httpx.Response:
    headers = {"Content-Type": "application/json", **kwargs.pop("headers", {})}
    return http.post(path, content=_json(value), headers=headers, **kwargs)


# ---------------------------------------------------------------------- text and nesting


def test_lone_surrogates_answer_400_with_an_errors_object(client: httpx.Client) -> None:
    source = create_source(client)
    token = source["flow_token"]
    api_cases = [
        ("/messages", activity(token, title=SURROGATE), {}, "title"),
        ("/messages", activity(token, thread={"title": SURROGATE}), {}, "thread.title"),
        ("/messages", {**activity(token), "flow_token": SURROGATE}, {}, "flow_token"),
        ("/messages", {**activity(token), SURROGATE: 1}, {}, "base"),
        ("/flows/acme/main/sources", {"name": SURROGATE}, {"auth": API_AUTH}, "name"),
        ("/flows/acme/main/messages", {"event": "message", "content": [SURROGATE]},
         {"auth": API_AUTH}, "content"),
        ("/oauth/applications", {"application": {"name": SURROGATE, "redirect_uri": "x"}},
         {"auth": API_AUTH}, "application.name"),
    ]  # fmt: skip
    for path, body, kwargs, field in api_cases:
        reply = _post_json(client, path, body, **kwargs)
        assert reply.status_code == 400, (path, reply.text)
        assert reply.json()["message"] == "Validation error"
        assert field in reply.json()["errors"], (path, reply.text)
    put = client.put(
        "/sources",
        content=_json({"flow_token": token, "error_message": SURROGATE}),
        headers={"Content-Type": "application/json"},
    )
    assert put.status_code == 400 and "error_message" in put.json()["errors"]
    for field in ("client_secret", "refresh_token", "code", "username"):
        body = {"client_id": DEMO_CLIENT_ID, "client_secret": "x", "grant_type": "password",
                field: SURROGATE}  # fmt: skip
        reply = _post_json(client, "/oauth/token", body)
        assert reply.status_code == 400, (field, reply.text)
        assert (
            reply.json()["error"] == "invalid_request"
            and field in reply.json()["error_description"]
        )


def test_lone_surrogates_in_raw_bytes_and_other_encodings_answer_400(
    client: httpx.Client,
) -> None:
    """Not only the ``\\ud800`` escape: a surrogate encoded as UTF-8 bytes, and JSON sent as
    UTF-16 or UTF-32 (which Python's json reads) with a lone surrogate, are refused too."""
    token = create_source(client)["flow_token"]
    plain = json.dumps(activity(token, title="TITLE")).encode("ascii")
    raw_utf8 = plain.replace(b"TITLE", b"bad \xed\xa0\x80 text")
    text = json.dumps(activity(token, title="TITLE")).replace("TITLE", SURROGATE)
    bodies = {
        "UTF-8 bytes of a surrogate": raw_utf8,
        "UTF-16": text.encode("utf-16-le", "surrogatepass"),
        "UTF-32": text.encode("utf-32-le", "surrogatepass"),
    }
    for why, body in bodies.items():
        reply = client.post("/messages", content=body, headers={"Content-Type": "application/json"})
        assert reply.status_code == 400, (why, reply.text)
        assert "title" in reply.json()["errors"], (why, reply.text)
    # Fine text in UTF-16 is still read, as before.
    fine = json.dumps(activity(token, title="fine")).encode("utf-16")
    reply = client.post("/messages", content=fine, headers={"Content-Type": "application/json"})
    assert reply.status_code == 202, reply.text


def test_nesting_is_counted_exactly_at_the_limit(client: httpx.Client) -> None:
    token = create_source(client)["flow_token"]

    def nested(levels: int) -> dict:
        value: object = "leaf"
        for _ in range(levels):
            value = {"x": value}
        return activity(token, thread={"title": "t", "fields": [{"label": "l", "value": "v"}]},
                        extra=value)  # fmt: skip

    # The body itself is one level, "extra" the next: 31 more fit in 32, 32 more do not.
    assert _post_json(client, "/messages", nested(31)).status_code == 202
    reply = _post_json(client, "/messages", nested(32))
    assert reply.status_code == 400 and reply.json()["message"] == "Validation error"


def test_deep_nesting_answers_400(client: httpx.Client) -> None:
    key = "thread" + "[x]" * 5000
    reply = client.post(
        "/messages", content=f"{key}=1".encode(), headers={
            "Content-Type": "application/x-www-form-urlencoded"}
    )  # fmt: skip
    assert reply.status_code == 400 and "thread" in reply.json()["errors"]
    deep: object = "leaf"
    for _ in range(200):
        deep = {"x": deep}
    reply = _post_json(client, "/flows/acme/main/sources", {"name": deep}, auth=API_AUTH)
    assert reply.status_code == 400 and reply.json()["message"] == "Validation error"
    very_deep = b"[" * 100_000 + b"]" * 100_000
    reply = client.post(
        "/messages", content=very_deep, headers={"Content-Type": "application/json"}
    )
    assert reply.status_code == 400


# ---------------------------------------------------------------------- size and time


def test_bodies_over_the_limit_answer_413_before_authentication(client: httpx.Client) -> None:
    big = b"x" * (10 * MB + 1)
    # No credentials at all: the size is refused first.
    declared = client.post("/flows/acme/main/sources", content=big)
    assert declared.status_code == 413 and "10 MB" in declared.json()["message"]

    def chunks():
        for _ in range(11):
            yield b" " * MB

    streamed = client.post(
        "/messages", content=chunks(), headers={"Content-Type": "application/json"}
    )
    assert streamed.status_code == 413
    # Just under the limit is read (and then refused for what it is).
    fits = client.post("/messages", content=b" " * (10 * MB - 10))
    assert fits.status_code == 401


def _raw(port: int, data: bytes, *, wait: float = 30.0) -> bytes:
    """Send ``data`` and read until the server closes the connection."""
    with socket.create_connection(("127.0.0.1", port), timeout=wait) as sock:
        sock.sendall(data)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    return answer


def _one_answer(sock: socket.socket) -> bytes:
    """Exactly one HTTP answer from a kept-alive connection: its head, then its body by length."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        assert chunk, data
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = next(
        int(line.split(b":", 1)[1])
        for line in head.split(b"\r\n")
        if line.lower().startswith(b"content-length:")
    )
    while len(body) < length:
        chunk = sock.recv(65536)
        assert chunk, body
        body += chunk
    assert len(body) == length, "more than one answer arrived"
    return head + b"\r\n\r\n" + body


def test_slow_headers_and_slow_bodies_are_cut_off(make_server) -> None:
    server = make_server(SandboxConfig(header_timeout=0.5, body_timeout=0.5))
    # Half a request head: 408, then the connection is closed.
    half = _raw(server.port, b"GET /flows HTTP/1.1\r\nHost: 127.0.0.1\r\n")
    assert half.startswith(b"HTTP/1.1 408")
    # A connection that never says anything is closed without an answer.
    assert _raw(server.port, b"") == b""
    # A body that stops half-way: 408.
    head = (
        b"POST /messages HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        b"Content-Length: 100\r\n\r\n{"
    )
    assert _raw(server.port, head).startswith(b"HTTP/1.1 408")
    # A kept-alive connection gets the same deadline for its next request.
    with socket.create_connection(("127.0.0.1", server.port), timeout=30) as sock:
        sock.sendall(b"GET /sandbox HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        first = _one_answer(sock)
        assert first.startswith(b"HTTP/1.1 200")
        sock.sendall(b"GET /sandbox HTTP/1.1\r\n")
        rest = b""
        while chunk := sock.recv(65536):
            rest += chunk
        assert rest.startswith(b"HTTP/1.1 408")


FLOOD_SERVER = textwrap.dedent(
    """
    import resource, sys, threading
    resource.setrlimit(resource.RLIMIT_NOFILE, (1024, 1024))
    from flowdock_desktop.sandbox import SandboxConfig, SandboxServer
    # A header deadline far beyond the test, so only the connection caps can save it.
    server = SandboxServer(SandboxConfig(header_timeout=300)).start()
    print(server.port, flush=True)
    sys.stdin.read()
    server.stop()
    """
)


@pytest.mark.skipif(sys.platform == "win32", reason="needs resource.setrlimit")
def test_a_flood_of_unfinished_connections_does_not_stop_the_server() -> None:
    process = subprocess.Popen(
        [sys.executable, "-c", FLOOD_SERVER],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    sockets: list[socket.socket] = []
    try:
        assert process.stdout is not None
        port = int(process.stdout.readline())
        for _ in range(1100):
            sock = socket.create_connection(("127.0.0.1", port), timeout=30)
            sock.sendall(b"GET /flows HTTP/1.1\r\nHost: 127.0.0.1\r\n")
            sockets.append(sock)
        started = time.monotonic()
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as http:
            reply = http.get("/flows", auth=API_AUTH)
        elapsed = time.monotonic() - started
        assert reply.status_code == 200
        print(f"GET /flows answered in {elapsed * 1000:.0f} ms beside 1,100 open requests")
        assert process.poll() is None
    finally:
        for sock in sockets:
            sock.close()
        process.communicate("", timeout=30)


# ---------------------------------------------------------------------- other sites


def test_host_names_other_than_the_sandboxs_own_are_refused(make_server) -> None:
    server = make_server(SandboxConfig(allowed_hosts=("sandbox.test",)))
    with httpx.Client(base_url=server.base_url) as http:
        for host, status in [
            ("evil.example", 400),
            (f"evil.example:{server.port}", 400),
            (f"localhost:{server.port}", 200),
            (f"127.0.0.1:{server.port}", 200),
            (f"[::1]:{server.port}", 200),
            ("10.1.2.3", 200),
            ("sandbox.test", 200),
        ]:
            reply = http.get("/flows", auth=API_AUTH, headers={"Host": host})
            assert reply.status_code == status, host
        refused = http.post("/sandbox/reset", headers={"Host": "rebound.example"})
        assert refused.status_code == 400 and "host" in refused.json()["message"].lower()


def test_admin_api_and_pages_refuse_other_sites(make_server) -> None:
    server = make_server()
    evil = {"Origin": "https://evil.example", "Content-Type": "text/plain"}
    with httpx.Client(base_url=server.base_url) as http:
        source = create_source(http)
        for path in ("/sandbox/reset", "/sandbox/faults", "/oauth/applications/new",
                     f"/app/acme/main/sources/{source['id']}/delete"):  # fmt: skip
            assert http.post(path, content=b"{}", headers=evil).status_code == 403, path
        assert http.delete("/sandbox/faults", headers=evil).status_code == 403
        site = {"Sec-Fetch-Site": "cross-site"}
        assert http.post("/sandbox/reset", headers=site).status_code == 403
        assert http.post("/sandbox/reset", headers={"Origin": "null"}).status_code == 403
        # Nothing was reset or removed.
        assert [s["id"] for s in http.get("/sources", auth=API_AUTH).json()] == [source["id"]]
        # No CORS for the admin API, even to a preflight.
        preflight = http.options(
            "/sandbox/reset",
            headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"},
        )
        assert "access-control-allow-origin" not in preflight.headers
        listing = http.get("/sandbox/messages", params={"flow": "acme/main"}, headers=evil)
        assert "access-control-allow-origin" not in listing.headers
        # The API keeps Flowdock's CORS, without credentials.
        api = http.get("/flows", auth=API_AUTH, headers={"Origin": "https://app.example"})
        assert api.headers["access-control-allow-origin"] == "https://app.example"
        assert "access-control-allow-credentials" not in api.headers
        # The page itself (same origin) may.
        own = {"Origin": server.base_url, "Sec-Fetch-Site": "same-origin"}
        assert http.post("/sandbox/reset", headers=own).status_code == 200


def test_forms_carry_a_csrf_token_that_browsers_must_send(make_server) -> None:
    server = make_server()
    browser = {"Origin": server.base_url, "Sec-Fetch-Site": "same-origin"}
    with httpx.Client(base_url=server.base_url) as http:
        source = create_source(http)
        action = f"/app/acme/main/sources/{source['id']}/delete"
        page = http.get("/app/acme/main/sources").text
        token = page.split(f'action="{action}">')[1].split('value="')[1].split('"')[0]
        without = http.post(action, data={}, headers=browser)
        assert without.status_code == 403 and "reload" in without.text
        wrong = http.post(action, data={"csrf": "0" * 64}, headers=browser)
        assert wrong.status_code == 403
        assert http.post(action, data={"csrf": token}, headers=browser).status_code == 303
        assert http.get("/sources", auth=API_AUTH).json() == []
        # A token is bound to its form: the new-application form's does not remove sources.
        apps = http.get("/oauth/applications").text
        app_token = apps.split('action="/oauth/applications/new">')[1].split('value="')[1]
        app_token = app_token.split('"')[0]
        second = create_source(http, "Second")
        other = f"/app/acme/main/sources/{second['id']}/delete"
        assert http.post(other, data={"csrf": app_token}, headers=browser).status_code == 403
        created = http.post(
            "/oauth/applications/new",
            data={"csrf": app_token, "name": "Form app", "redirect_uris": "http://127.0.0.1/cb"},
            headers=browser,
        )
        assert created.status_code == 201
        # The sign-in form too.
        signed = http.post(
            "/oauth/authorize/sign_in",
            data={"client_id": DEMO_CLIENT_ID, "response_type": "code",
                  "email": "demo@example.com", "password": "demo"},
            headers=browser,
        )  # fmt: skip
        assert signed.status_code == 401 and "expired" in signed.text
