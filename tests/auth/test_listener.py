"""The loopback listener over real sockets: one valid callback, nothing else completes it."""

from __future__ import annotations

import socket
import threading

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flowdock_desktop.auth.errors import (
    AccessDeniedError,
    AuthorizationError,
    PortInUseError,
    SignInCancelled,
    SignInTimeout,
)
from flowdock_desktop.auth.listener import LoopbackListener

STATE = "expected-state-0123456789abcdefghijklmnopqrstuv"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def can_bind(port: int, host: str = "127.0.0.1") -> bool:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family) as sock:
        try:
            sock.bind((host, port))
        except OSError:
            return False
        return True


def raw_exchange(port: int, data: bytes, *, host: str = "127.0.0.1") -> bytes:
    """Send raw bytes, half-close, and read whatever comes back until the server closes."""
    with socket.create_connection((host, port), timeout=5) as sock:
        try:
            sock.sendall(data)
            sock.shutdown(socket.SHUT_WR)
        except OSError:
            return b""
        chunks = []
        while True:
            try:
                chunk = sock.recv(65536)
            except OSError:
                break
            if not chunk:
                break
            chunks.append(chunk)
        return b"".join(chunks)


@pytest.fixture
def listener():
    instance = LoopbackListener(
        "http://127.0.0.1:0/callback",
        expected_state=STATE,
        allow_any_port=True,
        timeout=30,
        connection_timeout=0.5,
    )
    instance.start()
    yield instance
    instance.close()


def test_valid_callback_completes_with_success_page(listener):
    response = httpx.get(listener.redirect_uri, params={"code": "abc", "state": STATE})
    assert response.status_code == 200
    # The page from resources/callback/, not the bare stand-in for a missing file.
    assert "You are signed in" in response.text
    assert "Return to Flowdock Desktop" in response.text
    assert response.headers["Cache-Control"] == "no-store"
    result = listener.wait(5)
    assert result.code == "abc"
    assert "abc" not in repr(result)
    # The flow is over, so the port is closed.
    with pytest.raises(httpx.ConnectError):
        httpx.get(listener.redirect_uri, params={"code": "again", "state": STATE})


def test_redirect_uri_uses_the_bound_port(listener):
    assert listener.port != 0
    assert listener.redirect_uri == f"http://127.0.0.1:{listener.port}/callback"


def test_forged_state_is_rejected_and_the_real_callback_still_wins(listener):
    forged = httpx.get(listener.redirect_uri, params={"code": "evil", "state": "forged"})
    assert forged.status_code == 400
    assert "did not go through" in forged.text
    missing = httpx.get(listener.redirect_uri, params={"code": "evil"})
    assert missing.status_code == 400
    doubled = httpx.get(f"{listener.redirect_uri}?code=evil&state={STATE}&state=x")
    assert doubled.status_code == 400
    assert not listener.done
    real = httpx.get(listener.redirect_uri, params={"code": "good", "state": STATE})
    assert real.status_code == 200
    assert listener.wait(5).code == "good"


def test_other_paths_get_404_and_keep_waiting(listener):
    base = f"http://127.0.0.1:{listener.port}"
    assert httpx.get(f"{base}/favicon.ico").status_code == 404
    assert httpx.get(f"{base}/callback/x", params={"state": STATE}).status_code == 404
    assert httpx.post(listener.redirect_uri, params={"state": STATE}).status_code == 405
    assert not listener.done
    httpx.get(listener.redirect_uri, params={"code": "c", "state": STATE})
    assert listener.wait(5).code == "c"


def test_callback_without_code_keeps_waiting(listener):
    assert httpx.get(listener.redirect_uri, params={"state": STATE}).status_code == 400
    assert not listener.done


def test_access_denied_ends_the_flow(listener):
    response = httpx.get(listener.redirect_uri, params={"error": "access_denied", "state": STATE})
    assert "Access was denied" in response.text
    with pytest.raises(AccessDeniedError, match="denied"):
        listener.wait(5)


def test_denial_with_a_forged_state_does_not_end_the_flow(listener):
    httpx.get(listener.redirect_uri, params={"error": "access_denied", "state": "nope"})
    assert not listener.done


def test_other_authorization_errors_name_the_code(listener):
    httpx.get(listener.redirect_uri, params={"error": "invalid_scope", "state": STATE})
    with pytest.raises(AuthorizationError, match="invalid_scope"):
        listener.wait(5)


def test_timeout_ends_the_flow_and_frees_the_port():
    instance = LoopbackListener(
        "http://127.0.0.1:0/callback", expected_state=STATE, allow_any_port=True, timeout=0.05
    )
    instance.start()
    with pytest.raises(SignInTimeout, match="timed out"):
        instance.wait(10)
    assert can_bind(instance.port)


def test_cancel_from_another_thread_frees_the_port(listener):
    errors: list[BaseException] = []

    def waiter() -> None:
        try:
            listener.wait(10)
        except BaseException as exc:
            errors.append(exc)

    thread = threading.Thread(target=waiter)
    thread.start()
    listener.cancel()
    thread.join(10)
    assert len(errors) == 1 and isinstance(errors[0], SignInCancelled)
    assert can_bind(listener.port)


def test_cancel_before_anything_arrives_with_fixed_port():
    port = free_port()
    instance = LoopbackListener(f"http://127.0.0.1:{port}/callback", expected_state=STATE)
    instance.start()
    assert instance.redirect_uri == f"http://127.0.0.1:{port}/callback"
    instance.cancel()
    with pytest.raises(SignInCancelled):
        instance.wait(1)
    assert can_bind(port)


def test_busy_port_raises_port_in_use_naming_the_port():
    with socket.socket() as blocker:
        blocker.bind(("127.0.0.1", 0))
        blocker.listen(1)
        port = blocker.getsockname()[1]
        instance = LoopbackListener(f"http://127.0.0.1:{port}/callback", expected_state=STATE)
        with pytest.raises(PortInUseError) as info:
            instance.start()
    assert f"port {port}" in str(info.value)
    assert "register a different callback URI" in str(info.value)
    assert info.value.port == port


@pytest.mark.parametrize(
    "uri",
    ["http://0.0.0.0:8765/callback", "http://example.com/callback", "https://127.0.0.1/cb"],
)
def test_refuses_non_loopback_callbacks(uri):
    with pytest.raises(ValueError):
        LoopbackListener(uri, expected_state=STATE)


def test_ipv6_loopback_when_the_uri_names_it():
    try:
        with socket.socket(socket.AF_INET6) as probe:
            probe.bind(("::1", 0))
    except OSError:
        pytest.skip("IPv6 loopback is not available here")
    instance = LoopbackListener(
        "http://[::1]:0/callback", expected_state=STATE, allow_any_port=True, timeout=10
    )
    instance.start()
    try:
        assert instance.redirect_uri.startswith("http://[::1]:")
        httpx.get(instance.redirect_uri, params={"code": "v6", "state": STATE})
        assert instance.wait(5).code == "v6"
    finally:
        instance.close()


def test_oversized_request_is_refused_and_flow_continues(listener):
    reply = raw_exchange(listener.port, b"GET /callback?" + b"a" * 20000 + b" HTTP/1.1\r\n\r\n")
    assert reply.startswith(b"HTTP/1.1 431")
    huge_header = b"GET /callback HTTP/1.1\r\nX: " + b"b" * 9000 + b"\r\n\r\n"
    assert raw_exchange(listener.port, huge_header).startswith(b"HTTP/1.1 431")
    assert not listener.done
    httpx.get(listener.redirect_uri, params={"code": "ok", "state": STATE})
    assert listener.wait(5).code == "ok"


def test_silent_client_cannot_block_the_flow(listener):
    with socket.create_connection(("127.0.0.1", listener.port), timeout=5) as idle:
        # While a client sits silent, the real callback is still served.
        real = httpx.get(listener.redirect_uri, params={"code": "fast", "state": STATE})
        assert real.status_code == 200
        assert listener.wait(5).code == "fast"
        # And the idle connection is closed by the listener, not left open.
        assert idle.recv(10) == b""


def test_idle_connection_is_dropped_after_its_deadline(listener):
    with socket.create_connection(("127.0.0.1", listener.port), timeout=5) as idle:
        idle.sendall(b"GET /callback?state=")
        assert idle.recv(10) == b""
    assert not listener.done


@pytest.mark.parametrize(
    "payload",
    [
        b"\r\n\r\n",
        b"GET\r\n\r\n",
        b"GET /callback HTTP/2.0\r\n\r\n",
        b"\xff\xfe\x00 /callback HTTP/1.1\r\n\r\n",
        b"GET /callback?%ff%fe=\xff&state=%00 HTTP/1.1\r\n\r\n",
        b"GET http://[bad/callback HTTP/1.1\r\n\r\n",
        b"GET /callback?" + b"&".join([b"x=1"] * 500) + b" HTTP/1.1\r\n\r\n",
        b"",
    ],
)
def test_malformed_requests_never_complete(listener, payload):
    raw_exchange(listener.port, payload)
    assert not listener.done


def test_fuzzed_bytes_never_crash_or_complete():
    instance = LoopbackListener(
        "http://127.0.0.1:0/callback",
        expected_state=STATE,
        allow_any_port=True,
        timeout=60,
        connection_timeout=0.5,
    )
    instance.start()
    prefix = st.sampled_from([b"", b"GET /callback?", b"GET /callback?code=x&state=", b"GET "])
    suffix = st.sampled_from([b"", b"\r\n\r\n", b" HTTP/1.1\r\n\r\n"])

    @settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(prefix, st.binary(max_size=2048), suffix)
    def fuzz(head: bytes, body: bytes, tail: bytes) -> None:
        raw_exchange(instance.port, head + body + tail)
        assert not instance.done

    try:
        fuzz()
        # Still alive and still able to complete with the right state.
        httpx.get(instance.redirect_uri, params={"code": "after-fuzz", "state": STATE})
        assert instance.wait(5).code == "after-fuzz"
    finally:
        instance.close()
