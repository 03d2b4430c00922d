"""The one cancellation token: every layer's "cancelled" is the same token and error family."""

from __future__ import annotations

import threading

import pytest

from flowdock_desktop.api.errors import ServerError
from flowdock_desktop.api.retry import RetryCancelledError, RetryPolicy, call_with_retries
from flowdock_desktop.auth.errors import SignInCancelled
from flowdock_desktop.auth.oauth import OAuthApp, SignInFlow
from flowdock_desktop.cancel import Cancelled, CancelToken
from flowdock_desktop.connect import ConnectCancelled


def test_callbacks_run_once_and_late_ones_at_once():
    token = CancelToken()
    calls: list[str] = []
    token.on_cancel(lambda: calls.append("early"))
    token.cancel()
    token.cancel()
    token.on_cancel(lambda: calls.append("late"))
    assert calls == ["early", "late"]
    with pytest.raises(Cancelled):
        token.raise_if_cancelled()


def test_wait_wakes_when_cancelled_from_another_thread():
    token = CancelToken()
    timer = threading.Timer(0.05, token.cancel)
    timer.start()
    try:
        # Without the cancel this would sleep for a minute and return False.
        assert token.wait(60) is True
    finally:
        timer.cancel()


def test_retry_sign_in_and_connect_cancels_are_one_family():
    assert issubclass(RetryCancelledError, Cancelled)
    assert issubclass(SignInCancelled, Cancelled)
    assert issubclass(ConnectCancelled, Cancelled)


def test_retry_waits_on_the_token():
    token = CancelToken()
    calls = []

    def failing():
        calls.append(1)
        token.cancel()  # the person presses Cancel while the first attempt fails
        raise ServerError("down", status=503)

    with pytest.raises(Cancelled):
        call_with_retries(failing, retryable=True, policy=RetryPolicy(cancel=token))
    assert calls == [1]


def test_sign_in_flow_takes_the_callers_token():
    token = CancelToken()
    app = OAuthApp(
        api_url="http://127.0.0.1:9",
        client_id="id",
        client_secret="secret",
        redirect_uri="http://127.0.0.1:0/callback",
    )
    flow = SignInFlow(app, cancel=token)
    token.cancel()
    # Cancelled before it began: no port is opened, and the error is a Cancelled.
    with pytest.raises(SignInCancelled):
        flow.start()
    assert flow.token is token
