"""Property tests: arbitrary requests never make the sandbox answer 5xx or drop the connection."""

from __future__ import annotations

import json
from urllib.parse import quote, urlencode

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flowdock_desktop.sandbox.seed import DEMO_API_TOKEN

_AUTH = (DEMO_API_TOKEN, "x")

_scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text()
)
_keys = st.sampled_from(
    ["event", "content", "title", "body", "author", "thread", "thread_id", "external_thread_id",
     "tags", "uuid", "flow", "message", "flow_token", "status", "fields", "actions", "name",
     "color", "value", "label", "url", "@type", "external_url", "x"]
)  # fmt: skip
_json = st.recursive(
    _scalars,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(_keys, children, max_size=6),
    max_leaves=20,
)
_events = st.fixed_dictionaries(
    {"event": st.sampled_from(["activity", "discussion", "message", "comment", "status", "file"])},
    optional={k: _json for k in ["content", "title", "author", "thread", "thread_id", "tags",
                                 "uuid", "external_thread_id", "message", "body"]},
)  # fmt: skip

_settings = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@_settings
@given(body=_json | _events)
def test_messages_never_5xx(in_process, body) -> None:
    for path in ("/messages", "/flows/acme/main/messages", "/flows/acme/main/threads/x/messages"):
        reply = in_process.post(path, json=body, auth=_AUTH)
        assert reply.status_code < 500, (path, body, reply.text)


@_settings
@given(body=_json)
def test_token_endpoint_never_5xx(in_process, body) -> None:
    assert in_process.post("/oauth/token", json=body).status_code < 500


@settings(max_examples=60, deadline=None)
@given(raw=st.binary(max_size=200), content_type=st.sampled_from(
    ["application/json", "application/x-www-form-urlencoded", "multipart/form-data", "text/plain"]
))  # fmt: skip
def test_raw_bodies_never_5xx(raw: bytes, content_type: str) -> None:
    from starlette.testclient import TestClient

    from flowdock_desktop.sandbox import create_app

    with TestClient(create_app(), base_url="http://127.0.0.1") as test_client:
        for path in ("/messages", "/oauth/token", "/flows/acme/main/sources"):
            reply = test_client.post(
                path, content=raw, headers={"Content-Type": content_type}, auth=_AUTH
            )
            assert reply.status_code < 500, (path, raw, reply.text)


# ---------------------------------------------------------------------- every route, live

_text = st.text(max_size=12) | st.sampled_from(["\ud800", "\udfff", "x\x00y", "../..", "%2e"])
_param_values = {
    "org": st.sampled_from(["acme", "nope"]) | _text,
    "flow": st.sampled_from(["main", "announcements", "random"]) | _text,
    "id": st.integers(min_value=0, max_value=2**70).map(str),
    "message_id": st.integers(min_value=0, max_value=2**70).map(str),
    "thread_id": _text,
    "code": _text,
}
_headers = st.fixed_dictionaries(
    {},
    optional={
        "Content-Type": st.sampled_from(
            ["application/json", "application/x-www-form-urlencoded", "text/plain",
             "multipart/form-data; boundary=x", "application/json; charset=utf-7"]
        ),
        "Authorization": st.sampled_from(
            ["Basic c2FuZGJveC1hcGktdG9rZW46eA==", "Bearer nope", "Basic !!", "Digest x"]
        ),
        "Origin": st.sampled_from(["https://evil.example", "null", "http://127.0.0.1"]),
        "X-flowdock-wait-for-message": st.just("1"),
        "Accept": st.sampled_from(["application/json", "*/*"]),
    },
)  # fmt: skip
_hostile_json = st.recursive(
    st.none() | st.booleans() | st.integers() | _text,
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(_keys | _text, children, max_size=4)
    ),
    max_leaves=10,
)
_hostile_events = st.fixed_dictionaries(
    {"event": st.sampled_from(["activity", "discussion", "message", "comment", "status"])},
    optional={k: _hostile_json for k in ["content", "title", "author", "thread", "tags", "uuid",
                                         "external_thread_id", "message", "body", "name"]},
)  # fmt: skip
# Messages the validator accepts, with hostile text in their leaves.
_word = st.text(min_size=1, max_size=12).filter(str.strip) | st.sampled_from(
    ["x\ud800", "\udfff y", "<b>x</b>", "a\x00b"]
)
_shaped_messages = st.fixed_dictionaries(
    {
        "event": st.sampled_from(["activity", "discussion"]),
        "author": st.fixed_dictionaries({"name": _word}),
        "title": _word,
        "external_thread_id": _word,
        "thread": st.fixed_dictionaries(
            {"title": _word},
            optional={
                "status": st.fixed_dictionaries(
                    {"color": st.sampled_from(["red", "green"]), "value": _word}
                ),
                "body": _word,
                "fields": st.lists(
                    st.fixed_dictionaries({"label": _word, "value": _word}), max_size=2
                ),
            },
        ),
    },
    optional={"tags": st.lists(_word, max_size=3), "uuid": _word, "body": _word},
)
_bodies = (
    _hostile_json.map(lambda v: json.dumps(v).encode("ascii"))
    | _json.map(lambda v: json.dumps(v).encode("ascii"))
    | _events.map(lambda v: json.dumps(v).encode("ascii"))
    | st.dictionaries(st.sampled_from(["event", "content", "name", "thread[title]", "tags[]",
                                       "flow_token", "a" + "[b]" * 40]), _text).map(
        lambda d: urlencode(d, encoding="utf-8", errors="surrogatepass").encode()
    )
    | st.binary(max_size=64)
)  # fmt: skip


def _routes(app) -> list[tuple[str, str]]:
    found = []
    for route in app.routes:
        for method in sorted(route.methods or ()):
            if method != "HEAD":
                found.append((method, route.path))
    return found


@pytest.fixture(scope="module")
def fuzz_server():
    from flowdock_desktop.sandbox import SandboxServer

    with SandboxServer() as server:
        reply = httpx.post(
            server.base_url + "/flows/acme/main/sources", json={"name": "Fuzz"}, auth=_AUTH
        )
        server.flow_token = reply.json()["flow_token"]  # type: ignore[attr-defined]
        yield server


def _any_request(server, data) -> tuple[str, str, dict[str, str]]:
    """A method, a path filled from the route table, and query parameters."""
    method, template = data.draw(st.sampled_from(_routes(server.app)), label="route")
    method = data.draw(st.sampled_from([method, method, "PATCH", "OPTIONS", "DELETE"]))
    path = template
    for name, strategy in _param_values.items():
        for marker in (f"{{{name}}}", f"{{{name}:int}}"):
            if marker in path:
                value = data.draw(strategy, label=name)
                path = path.replace(marker, quote(value, safe="", errors="surrogatepass"))
    path = data.draw(st.sampled_from([path, path + ".json", "/v1" + path]), label="path")
    query = data.draw(st.dictionaries(st.sampled_from(
        ["limit", "since_id", "until_id", "tags", "search", "event", "users", "id", "flow",
         "flow_token", "access_token", "since", "until", "application", "client_id",
         "response_type", "redirect_uri", "scope"]), _text, max_size=3), label="query")  # fmt: skip
    return method, path, query


@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_every_route_answers_without_5xx_or_dropping(fuzz_server, data) -> None:
    headers = data.draw(_headers, label="headers")
    if data.draw(st.booleans(), label="a message with a real flow token"):
        # Half the requests get past authentication and validation with hostile text.
        method = "POST"
        paths = ["/messages", "/flows/acme/main/messages", "/v1/messages.json"]
        path = data.draw(st.sampled_from(paths), label="path")
        message = data.draw(_hostile_events | _shaped_messages, label="message")
        message["flow_token"] = fuzz_server.flow_token
        body = json.dumps(message).encode("ascii")
        headers["Content-Type"] = "application/json"
        query: dict[str, str] = {}
    else:
        method, path, query = _any_request(fuzz_server, data)
        body = b""
        if method in ("POST", "PUT", "PATCH"):
            body = data.draw(_bodies, label="body")
    url = fuzz_server.base_url + path
    if query:
        url += "?" + urlencode(query, encoding="utf-8", errors="surrogatepass")
    try:
        with (
            httpx.Client(timeout=30) as http,
            http.stream(method, url, content=body, headers=headers) as reply,
        ):
            # A stream that was let in never ends by itself: its head is the answer.
            if not (reply.is_success and "/stream/" in path):
                reply.read()
    except httpx.TransportError as exc:  # a dropped connection
        pytest.fail(f"{method} {url} dropped the connection: {exc!r}")
    finally:
        fuzz_server.faults.clear()  # a fuzzed POST /sandbox/faults must not fail later ones
    assert reply.status_code < 500, (method, url, headers, body, reply.text)
