"""Property test: the rest of Flowdock's API (people, organizations, private conversations,
edits, files, downloads, the Push API) never answers 5xx nor drops the connection, whatever
the path parameters, bodies (multipart ones included) and credentials."""

from __future__ import annotations

import base64
import json
import re
from urllib.parse import quote, urlencode

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flowdock_desktop.sandbox import SandboxConfig, SandboxServer
from flowdock_desktop.sandbox.seed import DEMO_API_TOKEN
from tests.sandbox.test_fuzz import _routes as every_route

_AUTH = httpx.BasicAuth(DEMO_API_TOKEN, "x")
_PREFIXES = ("/users", "/organizations", "/private", "/files", "/downloads", "/comments",
             "/messages/", "/flows/{org}", "/flows/{org}/{flow}/users",
             "/flows/{org}/{flow}/messages/{id")  # fmt: skip
_MARKER = re.compile(r"\{(\w+)(?::\w+)?\}")

_text = st.text(max_size=12) | st.sampled_from(["\ud800", "x\x00y", "../..", "%2e", "a,b"])
_numbers = st.integers(min_value=0, max_value=2**70).map(str)
_values = {
    "org": st.sampled_from(["acme", "nope"]) | _text,
    "flow": st.sampled_from(["main", "random"]) | _text,
    "user_id": st.sampled_from(["1", "2", "3"]) | _numbers,
    "low": st.sampled_from(["1", "2"]) | _numbers,
    "high": st.sampled_from(["2", "3"]) | _numbers,
    "flow_id": _text,
    "hash": st.sampled_from(["0" * 32]) | _text,
    "name": _text,
    "tokens": st.sampled_from(["TOKEN", "TOKEN,TOKEN", "nope", ","]) | _text,
}
_json = st.recursive(
    st.none() | st.booleans() | st.integers() | _text,
    lambda children: st.lists(children, max_size=3)
    | st.dictionaries(
        st.sampled_from(["event", "content", "tags", "open", "name", "nick", "email", "id",
                         "disabled", "access_mode", "message", "flow", "data", "file_name",
                         "external_user_name", "subject", "source", "from_address"]) | _text,
        children,
        max_size=4,
    ),
    max_leaves=10,
)  # fmt: skip
_file_contents = st.fixed_dictionaries(
    {"event": st.just("file"), "content": st.fixed_dictionaries(
        {"data": st.sampled_from(["aGk=", "!!", ""]) | _text, "file_name": _text},
        optional={"content_type": _text})}
)  # fmt: skip


def _multipart(fields: dict[str, str], with_file: bool, boundary: str = "fuzz") -> bytes:
    parts = []
    for name, value in fields.items():
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
        )
    if with_file:
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="content"; '
            f'filename="a\\b/../c.txt"\r\nContent-Type: text/plain\r\n\r\nhello\r\n'
        )
    parts.append(f"--{boundary}--\r\n")
    return "".join(parts).encode("utf-8", "surrogatepass")


_bodies = st.one_of(
    _json.map(lambda v: (json.dumps(v).encode("ascii"), "application/json")),
    _file_contents.map(lambda v: (json.dumps(v).encode("ascii"), "application/json")),
    st.tuples(
        st.dictionaries(st.sampled_from(["event", "content", "tags", "flow", "open"]), _text),
        st.booleans(),
    ).map(lambda t: (_multipart(*t), "multipart/form-data; boundary=fuzz")),
    st.binary(max_size=64).map(lambda b: (b, "multipart/form-data; boundary=fuzz")),
    st.dictionaries(st.sampled_from(["content", "external_user_name", "open", "tags"]), _text).map(
        lambda d: (
            urlencode(d, encoding="utf-8", errors="surrogatepass").encode(),
            "application/x-www-form-urlencoded",
        )
    ),
)


@pytest.fixture(scope="module")
def fuzz_server():
    with SandboxServer(SandboxConfig(max_file_bytes=1024)) as server:
        token = httpx.get(f"{server.base_url}/flows/acme/main", auth=_AUTH).json()
        server.flow_id = token["id"]  # type: ignore[attr-defined]
        server.api_token = server.state.run(  # type: ignore[attr-defined]
            lambda tx: tx.value("SELECT api_token FROM flows WHERE id = ?", (token["id"],))
        )
        httpx.post(
            f"{server.base_url}/flows/acme/main/messages",
            json={"event": "message", "content": "a parent"},
            auth=_AUTH,
        )
        yield server


def _routes(server) -> list[tuple[str, str]]:
    return [(m, path) for m, path in every_route(server.app) if path.startswith(_PREFIXES)]


@settings(
    max_examples=250,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_new_routes_answer_without_5xx_or_dropping(fuzz_server, data) -> None:
    method, template = data.draw(st.sampled_from(_routes(fuzz_server)), label="route")

    def fill(match: re.Match) -> str:
        value = data.draw(_values.get(match.group(1), _text), label=match.group(1))
        value = value.replace("TOKEN", fuzz_server.api_token)
        return quote(value, safe=",", errors="surrogatepass")

    path = _MARKER.sub(fill, template)
    headers = {}
    if data.draw(st.booleans(), label="authenticated"):
        headers["Authorization"] = (
            "Basic " + base64.b64encode(f"{DEMO_API_TOKEN}:x".encode()).decode()
        )
    body = b""
    if method in ("POST", "PUT"):
        body, headers["Content-Type"] = data.draw(_bodies, label="body")
    query = data.draw(
        st.dictionaries(
            st.sampled_from(["expires", "signature", "limit", "since_id", "search", "id"]),
            _text,
            max_size=2,
        ),
        label="query",
    )
    url = fuzz_server.base_url + path
    if query:
        url += "?" + urlencode(query, encoding="utf-8", errors="surrogatepass")
    try:
        with httpx.Client(timeout=30) as http:
            reply = http.request(method, url, content=body, headers=headers)
    except httpx.TransportError as exc:
        pytest.fail(f"{method} {url} dropped the connection: {exc!r}")
    assert reply.status_code < 500, (method, url, body, reply.text)
