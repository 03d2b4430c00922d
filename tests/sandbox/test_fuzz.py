"""Property tests: arbitrary bodies never make the sandbox answer 5xx."""

from __future__ import annotations

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
