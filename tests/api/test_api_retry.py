"""Retry policy: which requests are repeated, how long to wait, and cancelling the wait."""

from __future__ import annotations

import threading

import httpx
import pytest

from flowdock_desktop.api.client import FlowdockClient
from flowdock_desktop.api.errors import (
    AuthenticationError,
    NetworkError,
    NotFoundError,
    RateLimitedError,
    ServerError,
    ValidationError,
)
from flowdock_desktop.api.http import create_http_client
from flowdock_desktop.api.retry import (
    RetryCancelledError,
    RetryPolicy,
    call_with_retries,
    is_retryable_request,
)
from flowdock_desktop.cancel import CancelToken

BASE = "http://flowdock.test"


class Script:
    """A MockTransport handler that answers from a list of canned outcomes, then 200 forever."""

    def __init__(self, *outcomes: int | tuple[int, dict[str, str]] | type[Exception]) -> None:
        self.outcomes = list(outcomes)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        outcome = self.outcomes.pop(0) if self.outcomes else 200
        if isinstance(outcome, type):
            raise outcome("scripted failure", request=request)
        status, headers = outcome if isinstance(outcome, tuple) else (outcome, {})
        body = {"id": 1, "nick": "Demo"} if status < 300 else {"message": "nope"}
        return httpx.Response(status, json=body, headers=headers)


def make_client(script: Script, **policy: object) -> tuple[FlowdockClient, list[float]]:
    slept: list[float] = []
    retry = RetryPolicy(sleep=slept.append, random=lambda: 0.5, **policy)  # type: ignore[arg-type]
    http = create_http_client(BASE, transport=httpx.MockTransport(script))
    return FlowdockClient(BASE, http=http, retry=retry), slept


@pytest.mark.parametrize(
    ("method", "has_uuid", "expected"),
    [
        ("GET", False, True),
        ("get", False, True),
        ("POST", True, True),
        ("POST", False, False),
        ("DELETE", False, False),
        ("PUT", True, False),
    ],
)
def test_which_requests_may_be_repeated(method: str, has_uuid: bool, expected: bool) -> None:
    assert is_retryable_request(method, has_uuid=has_uuid) is expected


@pytest.mark.parametrize("failure", [503, 500, 502, httpx.ConnectError, httpx.ReadTimeout])
def test_get_is_retried_after_transient_failures(failure: object) -> None:
    script = Script(failure, failure)  # type: ignore[arg-type]
    client, slept = make_client(script)
    user = client.get_user()
    assert user.nick == "Demo"
    assert len(script.requests) == 3
    # Exponential backoff (jitter pinned to the middle): 0.5 s then 1 s.
    assert slept == [0.5, 1.0]


def test_backoff_is_capped_and_jittered() -> None:
    policy = RetryPolicy(base_delay=1, max_delay=5, jitter=0.2, random=lambda: 1.0)
    error = ServerError("x", status=503)
    assert [policy.delay(error, n) for n in (1, 2, 3, 4, 5)] == pytest.approx([1.2, 2.4, 4.8, 6, 6])
    low = RetryPolicy(base_delay=1, max_delay=5, jitter=0.2, random=lambda: 0.0)
    assert low.delay(error, 1) == pytest.approx(0.8)


def test_429_waits_for_retry_after() -> None:
    script = Script((429, {"Retry-After": "7"}))
    client, slept = make_client(script)
    client.get_user()
    assert slept == [7.0]


def test_retry_after_is_capped() -> None:
    script = Script((429, {"Retry-After": "3600"}))
    client, slept = make_client(script, max_retry_after=12.0)
    client.get_user()
    assert slept == [12.0]


def test_gives_up_after_max_attempts_with_the_last_error() -> None:
    script = Script(503, 503, 503, 503, 503)
    client, slept = make_client(script, max_attempts=3)
    with pytest.raises(ServerError) as caught:
        client.get_user()
    assert caught.value.status == 503
    assert len(script.requests) == 3
    assert len(slept) == 2


@pytest.mark.parametrize(
    ("status", "error"),
    [(400, ValidationError), (401, AuthenticationError), (404, NotFoundError)],
)
def test_client_errors_are_not_retried(status: int, error: type[Exception]) -> None:
    script = Script(status)
    client, slept = make_client(script)
    with pytest.raises(error):
        client.get_user()
    assert len(script.requests) == 1
    assert slept == []


@pytest.mark.parametrize("failure", [503, (429, {"Retry-After": "1"}), httpx.ReadError])
def test_post_without_uuid_is_sent_once(failure: object) -> None:
    script = Script(failure)  # type: ignore[arg-type]
    client, slept = make_client(script)
    with pytest.raises((ServerError, RateLimitedError, NetworkError)):
        client.post_message({"event": "activity"}, flow_token="t" * 32)
    assert len(script.requests) == 1
    assert slept == []


def test_post_with_uuid_is_retried_with_the_same_body() -> None:
    script = Script(httpx.RemoteProtocolError, 503)
    client, _ = make_client(script)
    client.post_message({"event": "activity", "uuid": "u-1"}, flow_token="t" * 32)
    assert len(script.requests) == 3
    assert len({request.content for request in script.requests}) == 1


def test_create_source_is_never_retried() -> None:
    script = Script(503)
    client, _ = make_client(script)
    with pytest.raises(ServerError):
        client.create_source("acme", "main", "Build bot")
    assert len(script.requests) == 1


def test_on_retry_is_told_each_failure() -> None:
    seen: list[tuple[int | None, int, float]] = []
    outcomes = [ServerError("a", status=502), ServerError("b", status=503)]

    def attempt() -> str:
        if outcomes:
            raise outcomes.pop(0)
        return "done"

    policy = RetryPolicy(sleep=lambda _: None, random=lambda: 0.5, base_delay=2)
    result = call_with_retries(
        attempt,
        retryable=True,
        policy=policy,
        on_retry=lambda error, number, delay: seen.append((error.status, number, delay)),
    )
    assert result == "done"
    assert seen == [(502, 1, 2.0), (503, 2, 4.0)]


def test_cancel_during_wait_stops_retrying() -> None:
    cancel = CancelToken()
    script = Script(503, 503, 503)
    # The injected sleep plays the user pressing Cancel while the client waits.
    client, _ = make_client(script)
    client.retry = RetryPolicy(sleep=lambda _: cancel.cancel(), cancel=cancel)
    with pytest.raises(RetryCancelledError) as caught:
        client.get_user()
    assert isinstance(caught.value.last_error, ServerError)
    assert len(script.requests) == 1


def test_default_sleep_wakes_up_when_cancelled() -> None:
    """Without an injected sleep the wait is on the cancel event, so Cancel ends it at once."""
    cancel = CancelToken()
    script = Script(503)
    client, _ = make_client(script)
    # A minute-long backoff: the test only finishes quickly because cancel interrupts it.
    client.retry = RetryPolicy(base_delay=60, jitter=0, cancel=cancel)
    timer = threading.Timer(0.05, cancel.cancel)
    timer.start()
    try:
        with pytest.raises(RetryCancelledError):
            client.get_user()
    finally:
        timer.cancel()
    assert len(script.requests) == 1


def test_already_cancelled_policy_does_not_wait() -> None:
    cancel = CancelToken()
    cancel.cancel()
    slept: list[float] = []
    policy = RetryPolicy(sleep=slept.append, cancel=cancel)
    assert policy.wait(5) is False
    assert slept == []
