"""OAuth 2.0 against a live sandbox: authorize pages, PKCE, codes, refresh and token formats."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from flowdock_desktop.sandbox import SandboxConfig
from flowdock_desktop.sandbox.seed import DEMO_EMAIL, DEMO_PASSWORD, DEMO_REDIRECT_URI
from flowdock_desktop.testing import expire_access_tokens, revoke_refresh_tokens
from tests.sandbox.conftest import (
    authorize_params,
    bearer,
    pkce_pair,
    redirect_query,
    token_request,
)


def _sign_in_and_consent(http: httpx.Client, params: dict, decision: str) -> httpx.Response:
    """Drive the real pages: sign-in form, then the consent form; returns the final redirect."""
    page = http.get("/oauth/authorize", params=params)
    assert page.status_code == 200
    assert 'name="password"' in page.text
    signed_in = http.post(
        "/oauth/authorize/sign_in", data={**params, "email": DEMO_EMAIL, "password": DEMO_PASSWORD}
    )
    assert signed_in.status_code == 303
    consent = http.get(signed_in.headers["location"])
    assert consent.status_code == 200
    assert "Flowdock Desktop" in consent.text and "integration" in consent.text
    csrf = consent.text.split('name="csrf" value="')[1].split('"')[0]
    return http.post(
        "/oauth/authorize/decision", data={**params, "csrf": csrf, "decision": decision}
    )


def test_code_flow_with_pkce_through_the_pages(client: httpx.Client) -> None:
    verifier, challenge = pkce_pair()
    params = authorize_params(challenge)
    final = _sign_in_and_consent(client, params, "approve")
    query = redirect_query(final)
    assert final.headers["location"].startswith(DEMO_REDIRECT_URI + "?")
    assert query["state"] == "xyz-state"

    reply = token_request(
        client,
        grant_type="authorization_code",
        code=query["code"],
        redirect_uri=DEMO_REDIRECT_URI,
        code_verifier=verifier,
    )
    assert reply.status_code == 200, reply.text
    tokens = reply.json()
    assert tokens["token_type"] == "bearer"
    assert tokens["scope"] == "flow,profile,integration,offline_access"
    assert tokens["expires_in"] == 3600 and tokens["refresh_token"]
    user = client.get("/user", headers=bearer(tokens["access_token"]))
    assert user.status_code == 200 and user.json()["email"] == DEMO_EMAIL
    assert user.headers["Flowdock-User"] == "1"


def test_wrong_password_shows_the_form_again(client: httpx.Client) -> None:
    params = authorize_params()
    page = client.post(
        "/oauth/authorize/sign_in", data={**params, "email": DEMO_EMAIL, "password": "nope"}
    )
    assert page.status_code == 401 and "Wrong email or password" in page.text


def test_deny_redirects_with_access_denied(live) -> None:
    with httpx.Client(base_url=live.base_url) as http:  # own cookie jar
        final = _sign_in_and_consent(http, authorize_params(), "deny")
    query = redirect_query(final)
    assert query["error"] == "access_denied" and query["state"] == "xyz-state"
    assert "code" not in query


def test_auto_approve_and_any_loopback_port(make_server) -> None:
    server = make_server(SandboxConfig(auto_approve=True))
    with httpx.Client(base_url=server.base_url) as http:
        redirect = "http://127.0.0.1:49999/callback"
        reply = http.get("/oauth/authorize", params=authorize_params(redirect_uri=redirect))
        assert reply.headers["location"].startswith(redirect + "?code=")
        # The loopback rule keeps host and path: another host is refused without a redirect.
        other = http.get(
            "/oauth/authorize", params=authorize_params(redirect_uri="http://[::1]:1/callback")
        )
        assert other.status_code == 400 and "location" not in other.headers


@pytest.mark.parametrize(
    "override",
    [
        {"client_id": "nope"},
        {"redirect_uri": "http://127.0.0.1:8765/elsewhere"},
        {"redirect_uri": "https://evil.example.com/callback"},
        {"redirect_uri": "http://localhost:8765/callback"},
    ],
)
def test_bad_client_or_redirect_shows_error_page(client: httpx.Client, override: dict) -> None:
    reply = client.get("/oauth/authorize", params=authorize_params(**override))
    assert reply.status_code == 400
    assert "location" not in reply.headers
    assert "Authorization error" in reply.text


def test_bad_scope_redirects_with_error(client: httpx.Client) -> None:
    reply = client.get("/oauth/authorize", params=authorize_params(scope="flow wizardry"))
    assert redirect_query(reply)["error"] == "invalid_scope"


def _auto_code(http: httpx.Client, **extra: str) -> str:
    return redirect_query(http.get("/oauth/authorize", params=authorize_params(**extra)))["code"]


@pytest.fixture
def auto(make_server):
    server = make_server(SandboxConfig(auto_approve=True))
    with httpx.Client(base_url=server.base_url) as http:
        yield server, http


def test_redirect_uri_must_match_the_authorize_one(auto) -> None:
    _server, http = auto
    code = _auto_code(http)
    reply = token_request(
        http,
        grant_type="authorization_code",
        code=code,
        redirect_uri="http://127.0.0.1:9999/callback",
    )
    assert reply.status_code == 400 and reply.json()["error"] == "invalid_grant"


def test_pkce_mismatch_and_missing_verifier(auto) -> None:
    _server, http = auto
    _verifier, challenge = pkce_pair()
    for verifier in ("wrong-verifier-" + "x" * 40, None):
        code = _auto_code(http, code_challenge=challenge, code_challenge_method="S256")
        fields = {"grant_type": "authorization_code", "code": code}
        fields["redirect_uri"] = DEMO_REDIRECT_URI
        if verifier:
            fields["code_verifier"] = verifier
        reply = token_request(http, **fields)
        assert reply.status_code == 400
        assert reply.json()["error"] == "invalid_grant"


def test_code_reuse_fails_and_revokes_its_tokens(auto) -> None:
    _server, http = auto
    code = _auto_code(http)
    fields = {"grant_type": "authorization_code", "code": code, "redirect_uri": DEMO_REDIRECT_URI}
    first = token_request(http, **fields)
    assert first.status_code == 200
    access = first.json()["access_token"]
    assert http.get("/user", headers=bearer(access)).status_code == 200
    second = token_request(http, **fields)
    assert second.status_code == 400 and second.json()["error"] == "invalid_grant"
    assert http.get("/user", headers=bearer(access)).status_code == 401


def test_code_expires(make_server) -> None:
    server = make_server(SandboxConfig(auto_approve=True, code_ttl=0))
    with httpx.Client(base_url=server.base_url) as http:
        code = _auto_code(http)
        reply = token_request(
            http, grant_type="authorization_code", code=code, redirect_uri=DEMO_REDIRECT_URI
        )
    assert reply.status_code == 400
    assert "expired" in reply.json()["error_description"]


def test_refresh_rotates_and_old_refresh_token_dies(auto) -> None:
    _server, http = auto
    code = _auto_code(http)
    tokens = token_request(
        http, grant_type="authorization_code", code=code, redirect_uri=DEMO_REDIRECT_URI
    ).json()
    renewed = token_request(http, grant_type="refresh_token", refresh_token=tokens["refresh_token"])
    assert renewed.status_code == 200
    fresh = renewed.json()
    assert fresh["refresh_token"] != tokens["refresh_token"]
    assert http.get("/user", headers=bearer(fresh["access_token"])).status_code == 200
    again = token_request(http, grant_type="refresh_token", refresh_token=tokens["refresh_token"])
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"


def test_access_token_expiry_and_state_helpers(auto) -> None:
    server, http = auto
    tokens = token_request(
        http, grant_type="password", username=DEMO_EMAIL, password=DEMO_PASSWORD, scope="profile"
    ).json()
    assert http.get("/user", headers=bearer(tokens["access_token"])).status_code == 200
    expire_access_tokens(server)
    expired = http.get("/user", headers=bearer(tokens["access_token"]))
    assert expired.status_code == 401 and expired.json() == {"message": "Unauthorized"}
    revoke_refresh_tokens(server)
    reply = token_request(http, grant_type="refresh_token", refresh_token=tokens["refresh_token"])
    assert reply.json()["error"] == "invalid_grant"


def test_zero_ttl_tokens_are_born_expired(make_server) -> None:
    server = make_server(SandboxConfig(access_token_ttl=0))
    with httpx.Client(base_url=server.base_url) as http:
        tokens = token_request(
            http, grant_type="password", username=DEMO_EMAIL, password=DEMO_PASSWORD
        ).json()
        assert http.get("/flows", headers=bearer(tokens["access_token"])).status_code == 401


def test_token_reply_is_form_encoded_without_accept_json(client: httpx.Client) -> None:
    reply = token_request(
        client, json_reply=False, grant_type="password", username=DEMO_EMAIL,
        password=DEMO_PASSWORD, scope="flow private",
    )  # fmt: skip
    assert reply.headers["content-type"].startswith("application/x-www-form-urlencoded")
    fields = parse_qs(reply.text)
    assert fields["token_type"] == ["bearer"] and fields["scope"] == ["flow,private"]


def test_client_auth_by_basic_and_failures(client: httpx.Client) -> None:
    body = {"grant_type": "password", "username": DEMO_EMAIL, "password": DEMO_PASSWORD}
    ok = client.post("/oauth/token", data=body, auth=("sandbox-client-id", "sandbox-client-secret"))
    assert ok.status_code == 200
    bad = client.post("/oauth/token", data=body, auth=("sandbox-client-id", "wrong"))
    assert bad.status_code == 401 and bad.json()["error"] == "invalid_client"
    assert "sandbox-client-secret" not in bad.text
    missing = client.post("/oauth/token", data=body)
    assert missing.status_code == 401


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ({"grant_type": "client_credentials"}, "unsupported_grant_type"),
        ({}, "invalid_request"),
        ({"grant_type": "authorization_code", "code": "nope"}, "invalid_grant"),
        ({"grant_type": "password", "username": DEMO_EMAIL, "password": "x"}, "invalid_grant"),
        ({"grant_type": "password", "username": DEMO_EMAIL, "password": DEMO_PASSWORD,
          "scope": "root"}, "invalid_scope"),
    ],
)  # fmt: skip
def test_token_errors(client: httpx.Client, body: dict, error: str) -> None:
    reply = token_request(client, **body)
    assert reply.status_code == 400 and reply.json()["error"] == error


def test_token_accepts_json_and_rejects_odd_json(client: httpx.Client) -> None:
    body = {
        "client_id": "sandbox-client-id",
        "client_secret": "sandbox-client-secret",
        "grant_type": "password",
        "username": DEMO_EMAIL,
        "password": DEMO_PASSWORD,
    }
    assert client.post("/oauth/token", json=body).status_code == 200
    for odd in ([1, 2], {**body, "password": 5}, "text"):
        reply = client.post("/oauth/token", json=odd)
        assert reply.status_code == 400 and reply.json()["error"] == "invalid_request"


def test_oob_redirect_shows_code_page(auto) -> None:
    _server, http = auto
    reply = http.get(
        "/oauth/authorize", params=authorize_params(redirect_uri="urn:ietf:wg:oauth:2.0:oob")
    )
    location = reply.headers["location"]
    assert location.startswith("/oauth/authorize/")
    code = urlsplit(location).path.rsplit("/", 1)[1]
    page = http.get(location)
    assert page.status_code == 200 and code in page.text
    tokens = token_request(
        http,
        grant_type="authorization_code",
        code=code,
        redirect_uri="urn:ietf:wg:oauth:2.0:oob",
    )
    assert tokens.status_code == 200
