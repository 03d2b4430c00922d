"""End-to-end sign-in against a real sandbox over loopback, with a scripted browser."""

from __future__ import annotations

import socket
import threading

import httpx
import pytest
from authlib.common.security import generate_token

from flowdock_desktop.auth.credentials import CredentialStore
from flowdock_desktop.auth.discovery import discover_sandbox
from flowdock_desktop.auth.errors import (
    AccessDeniedError,
    PortInUseError,
    SignInCancelled,
    SignInRequired,
    SignInTimeout,
    StateMismatchError,
    TokenEndpointError,
)
from flowdock_desktop.auth.oauth import OOB_REDIRECT_URI, SignInFlow
from flowdock_desktop.auth.session import Session, current_session, start_session
from flowdock_desktop.sandbox.seed import (
    DEMO_CLIENT_ID,
    DEMO_CLIENT_SECRET,
    DEMO_EMAIL,
    DEMO_USER_NAME,
)
from flowdock_desktop.store.profile import Profile
from flowdock_desktop.testing import expire_access_tokens, revoke_refresh_tokens

from .conftest import authorize_redirect, browse, demo_app


def sign_in(server, **app_overrides) -> tuple[SignInFlow, object]:
    flow = SignInFlow(demo_app(server, **app_overrides), timeout=20, connection_timeout=2)
    page = browse(flow.start())
    return flow, page


def signed_in_session(server, profile_dir, **session_options) -> Session:
    flow, _ = sign_in(server)
    tokens = flow.wait()
    profile = Profile.resolve(profile_dir)
    session = start_session(profile, CredentialStore(), flow.app, tokens)
    if session_options:
        session = Session(session.account, session.store, profile=profile, **session_options)
    return session


def test_sign_in_succeeds_and_keeps_tokens_out_of_the_profile(sandbox, profile_dir, memory_keyring):
    flow, page = sign_in(sandbox)
    assert page.status_code == 200 and "You are signed in" in page.text
    tokens = flow.wait()
    assert tokens.refresh_token
    assert {"flow", "profile", "integration", "offline_access"} <= set(tokens.scope)
    assert tokens.access_token not in repr(flow)

    profile = Profile.resolve(profile_dir)
    session = start_session(profile, CredentialStore(), flow.app, tokens)
    assert session.account.name == DEMO_USER_NAME
    assert session.account.email == DEMO_EMAIL
    assert session.fetch_user()["email"] == DEMO_EMAIL

    stored = "".join(memory_keyring.items().values())
    assert tokens.access_token in stored and DEMO_CLIENT_SECRET in stored
    for path in profile_dir.rglob("*"):
        if path.is_file():
            text = path.read_text(encoding="utf-8", errors="replace")
            for secret in (tokens.access_token, tokens.refresh_token, DEMO_CLIENT_SECRET):
                assert secret not in text, path

    again = current_session(profile, CredentialStore())
    assert again is not None and again.account == session.account


def test_sign_in_through_the_consent_page(consent_sandbox):
    flow, page = sign_in(consent_sandbox)
    assert "You are signed in" in page.text
    assert flow.wait().access_token


def test_consent_denied(consent_sandbox):
    flow = SignInFlow(demo_app(consent_sandbox), timeout=20)
    page = browse(flow.start(), decision="deny")
    assert "Access was denied" in page.text
    with pytest.raises(AccessDeniedError, match="denied"):
        flow.wait()


def test_forged_callback_first_then_the_real_one(sandbox):
    flow = SignInFlow(demo_app(sandbox), timeout=20)
    url = flow.start()
    forged = httpx.get(flow.redirect_uri, params={"code": "forged", "state": "attacker"})
    assert forged.status_code == 400
    stray = httpx.get(flow.redirect_uri.replace("/callback", "/favicon.ico"))
    assert stray.status_code == 404
    assert "You are signed in" in browse(url).text
    assert flow.wait().access_token


def test_timeout(sandbox):
    flow = SignInFlow(demo_app(sandbox), timeout=0.05)
    flow.start()
    with pytest.raises(SignInTimeout):
        flow.wait()


def test_cancel_frees_the_port(sandbox):
    flow = SignInFlow(demo_app(sandbox), timeout=20)
    flow.start()
    port = httpx.URL(flow.redirect_uri).port
    outcome: list[BaseException] = []

    def worker() -> None:
        try:
            flow.wait()
        except BaseException as exc:
            outcome.append(exc)

    thread = threading.Thread(target=worker)
    thread.start()
    flow.cancel()
    thread.join(10)
    assert outcome and isinstance(outcome[0], SignInCancelled)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", port))


def test_port_busy(sandbox):
    with socket.socket() as blocker:
        blocker.bind(("127.0.0.1", 0))
        blocker.listen(1)
        port = blocker.getsockname()[1]
        flow = SignInFlow(
            demo_app(
                sandbox, redirect_uri=f"http://127.0.0.1:{port}/callback", allow_any_port=False
            )
        )
        with pytest.raises(PortInUseError, match=f"port {port}"):
            flow.start()


def test_pkce_verifier_mismatch_is_rejected(sandbox):
    flow = SignInFlow(demo_app(sandbox), timeout=20)
    url = flow.start()
    # A different verifier than the one whose challenge went into the authorize URL.
    flow._code_verifier = generate_token(64)
    browse(url)
    with pytest.raises(TokenEndpointError) as info:
        flow.wait()
    assert info.value.error == "invalid_grant"
    assert flow._code_verifier not in str(info.value)


def test_wrong_client_secret_names_the_error_without_the_secret(sandbox):
    flow = SignInFlow(demo_app(sandbox, client_secret="wrong-secret-value"), timeout=20)
    browse(flow.start())
    with pytest.raises(TokenEndpointError) as info:
        flow.wait()
    assert info.value.error == "invalid_client"
    assert "wrong-secret-value" not in str(info.value)


def test_pasted_redirect_url_completes_the_flow(sandbox):
    flow = SignInFlow(demo_app(sandbox), timeout=20)
    location = authorize_redirect(flow.start())
    with pytest.raises(StateMismatchError):
        flow.submit_pasted(location.replace("state=", "state=x"))
    tokens = flow.complete_from_pasted(location)
    # The waiting side gets the same result; the code was exchanged once.
    assert flow.wait() == tokens


def test_out_of_band_code_page(sandbox):
    flow = SignInFlow(demo_app(sandbox, redirect_uri=OOB_REDIRECT_URI), timeout=20)
    page = browse(flow.start())
    assert "/oauth/authorize/" in str(page.url)
    assert flow.complete_from_pasted(str(page.url)).access_token


def test_expired_access_token_is_refreshed_on_401(sandbox, profile_dir, memory_keyring):
    session = signed_in_session(sandbox, profile_dir)
    before = session.tokens()
    expire_access_tokens(sandbox)
    with session.http_client() as client:
        response = client.get("/user")
    assert response.status_code == 200
    after = session.tokens()
    assert after.access_token != before.access_token
    # Refresh tokens rotate: the new one is stored.
    assert after.refresh_token != before.refresh_token


def test_access_token_refreshes_shortly_before_expiry(sandbox, profile_dir):
    session = signed_in_session(sandbox, profile_dir)
    first = session.tokens()
    eager = Session(session.account, session.store, refresh_margin=10**9)
    assert eager.access_token() != first.access_token


def test_concurrent_401s_refresh_once(sandbox, profile_dir):
    session = signed_in_session(sandbox, profile_dir)
    stale = session.tokens().access_token
    results: list[str] = []
    barrier = threading.Barrier(4)

    def worker() -> None:
        barrier.wait()
        results.append(session.refresh(stale_access_token=stale).access_token)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert len(results) == 4 and len(set(results)) == 1


def test_revoked_refresh_token_requires_signing_in_again(sandbox, profile_dir):
    session = signed_in_session(sandbox, profile_dir)
    revoke_refresh_tokens(sandbox)
    expire_access_tokens(sandbox)
    with session.http_client() as client, pytest.raises(SignInRequired, match="Sign in again"):
        client.get("/user")


def test_sign_out_forgets_the_tokens(sandbox, profile_dir, memory_keyring):
    session = signed_in_session(sandbox, profile_dir)
    profile = Profile.resolve(profile_dir)
    session.sign_out()
    assert current_session(profile, CredentialStore()) is None
    assert not any(key.startswith("tokens:") for _, key in memory_keyring.items())
    # The application's secret stays for the next sign-in.
    assert CredentialStore().get_client_secret(sandbox.base_url, DEMO_CLIENT_ID)


def test_discovery(sandbox):
    demo = discover_sandbox(sandbox.base_url)
    assert demo is not None
    assert demo.client_id == DEMO_CLIENT_ID
    assert demo.loopback_any_port is True
    assert DEMO_CLIENT_SECRET not in repr(demo)


def test_discovery_of_something_else_is_none():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    assert discover_sandbox(f"http://127.0.0.1:{port}", timeout=2) is None


def test_cancel_before_start_never_listens(sandbox):
    flow = SignInFlow(demo_app(sandbox))
    flow.cancel()
    with pytest.raises(SignInCancelled):
        flow.start()
