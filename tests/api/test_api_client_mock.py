"""Client behaviour that needs exact control over the server: MockTransport unit tests."""

from __future__ import annotations

import json

import httpx
import pytest

from flowdock_desktop.api.client import WAIT_HEADER, Exchange, FlowdockClient
from flowdock_desktop.api.errors import FlowdockError, GoneError, ValidationError
from flowdock_desktop.api.http import create_http_client
from flowdock_desktop.api.messages import Author, ThreadMessage, ThreadState
from flowdock_desktop.api.redact import REDACTED
from flowdock_desktop.api.retry import RetryPolicy

BASE = "http://flowdock.test"
TOKEN = "0123456789abcdef0123456789abcdef"


def client_for(handler, **kwargs) -> FlowdockClient:
    http = create_http_client(BASE, transport=httpx.MockTransport(handler))
    kwargs.setdefault("retry", RetryPolicy(sleep=lambda _: None))
    return FlowdockClient(BASE, http=http, **kwargs)


def test_post_message_puts_the_token_in_the_body_only() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(201, json={"id": 7, "event": "activity"})

    client = client_for(handler, auth=httpx.BasicAuth("sandbox-api-token", ""))
    result = client.post_message({"event": "activity"}, flow_token=TOKEN)
    assert result == {"id": 7, "event": "activity"}
    (request,) = seen
    assert request.url.path == "/messages"
    assert TOKEN not in str(request.url)
    assert "authorization" not in request.headers
    assert request.headers[WAIT_HEADER] == "true"
    assert json.loads(request.content) == {"event": "activity", "flow_token": TOKEN}


def test_user_calls_do_send_auth() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=[])

    client = client_for(handler, auth=httpx.BasicAuth("sandbox-api-token", ""))
    client.list_flows(all=True, users=True)
    assert seen[0].headers["authorization"].startswith("Basic ")
    assert seen[0].url.path == "/flows/all" and seen[0].url.params["users"] == "1"


def test_queued_post_returns_none_without_wait_header() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(202)

    assert client_for(handler).post_message({}, flow_token=TOKEN, wait=False) is None
    assert WAIT_HEADER.lower() not in seen[0].headers


def test_errors_never_contain_the_token() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(410, json={"message": f"Source has been deleted {TOKEN}"})

    with pytest.raises(GoneError) as caught:
        client_for(handler).post_message({"event": "activity"}, flow_token=TOKEN)
    assert TOKEN not in str(caught.value)
    assert TOKEN not in caught.value.user_message


def test_exchange_hook_sees_every_attempt_and_redacts() -> None:
    answers = [httpx.Response(503), httpx.Response(201, json={"id": 1, "flow_token": TOKEN})]
    exchanges: list[Exchange] = []
    client = client_for(lambda request: answers.pop(0), on_exchange=exchanges.append)
    client.post_message({"event": "activity", "uuid": "u"}, flow_token=TOKEN)
    assert [e.attempt for e in exchanges] == [1, 2]
    assert exchanges[0].error is not None and exchanges[0].error.status == 503
    assert exchanges[1].error is None and exchanges[1].elapsed >= 0
    shown = json.dumps([e.redacted() for e in exchanges], ensure_ascii=False)
    assert TOKEN not in shown
    assert REDACTED in shown
    assert exchanges[1].redacted()["status"] == 201


def test_exchange_hook_on_network_error_and_broken_hook() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    exchanges: list[Exchange] = []
    client = client_for(handler, on_exchange=exchanges.append, retry=RetryPolicy(max_attempts=1))
    with pytest.raises(FlowdockError):
        client.get_user()
    assert exchanges[0].response is None and "error" in exchanges[0].redacted()

    def broken(exchange: Exchange) -> None:
        raise RuntimeError("log full")

    ok = client_for(lambda r: httpx.Response(200, json={"id": 1}), on_exchange=broken)
    assert ok.get_user().id == 1


def test_path_segments_are_quoted() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"id": "a/b"})

    client_for(handler).get_thread("acme", "main", "a/b?c")
    assert seen[0].url.raw_path == b"/flows/acme/main/threads/a%2Fb%3Fc"


def test_thread_pages_follow_link_next_on_the_same_server_only() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        until = request.url.params.get("until")
        if until is None:
            link = f'<{BASE}/flows/acme/main/threads?until=2020-01-01>; rel="next"'
            return httpx.Response(200, json=[{"id": "t1"}], headers={"Link": link})
        if until == "2020-01-01":
            link = '<https://elsewhere.example/threads?until=1999>; rel="next"'
            return httpx.Response(200, json=[{"id": "t2"}], headers={"Link": link})
        raise AssertionError("followed a link to another server")

    client = client_for(handler)
    assert [t.id for t in client.list_threads("acme", "main")] == ["t1"]
    assert [t.id for t in client.list_threads("acme", "main", max_pages=5)] == ["t1", "t2"]


def test_unreadable_answer_is_a_flowdock_error() -> None:
    client = client_for(lambda r: httpx.Response(200, text="<html>proxy login</html>"))
    with pytest.raises(FlowdockError) as caught:
        client.list_flows()
    assert caught.value.status == 200
    client = client_for(lambda r: httpx.Response(200, json={"not": "a list"}))
    with pytest.raises(FlowdockError):
        client.list_flows()


def test_local_validation_stops_bad_messages_and_source_names() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise AssertionError("nothing should be sent")

    client = client_for(handler)
    message = ThreadMessage("activity", Author("bot"), "", ThreadState("T"), "k")
    with pytest.raises(ValidationError) as caught:
        client.post_thread_message(message, flow_token=TOKEN)
    assert "title" in caught.value.field_errors
    with pytest.raises(ValidationError) as caught:
        client.create_source("acme", "main", " ")
    assert caught.value.field_errors == {"name": ["can't be blank"]}


def test_context_manager_closes_only_its_own_client() -> None:
    http = create_http_client(BASE, transport=httpx.MockTransport(lambda r: httpx.Response(200)))
    with FlowdockClient(BASE, http=http):
        pass
    assert not http.is_closed
    with FlowdockClient(BASE) as own:
        pass
    assert own._http.is_closed
    assert "FlowdockClient" in repr(own)
