"""The OAuth 2.0 server: authorize requests, codes, token grants, purging, browser sessions."""

from __future__ import annotations

import base64
import hashlib
import secrets
import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode, urlsplit

from flowdock_desktop.sandbox.seed import digest
from flowdock_desktop.sandbox.state.errors import AuthorizeError, OAuthError
from flowdock_desktop.sandbox.state.principals import ALL_SCOPES, check_password
from flowdock_desktop.sandbox.state.store import Row, Tx, loads

OOB_REDIRECT_URI = "urn:ietf:wg:oauth:2.0:oob"
DEFAULT_SCOPES = ("flow", "private")


@dataclass(frozen=True)
class Lifetimes:
    """How long codes, access tokens and refresh tokens stay valid, in seconds."""

    code: float = 600
    access_token: float = 3600
    refresh_token: float = 90 * 24 * 3600


@dataclass
class AuthorizeRequest:
    """A checked ``/oauth/authorize`` query, ready to become a code."""

    client_id: str
    redirect_uri: str  # the effective one (registered callback when omitted)
    redirect_uri_given: bool
    scopes: tuple[str, ...]
    state: str | None
    code_challenge: str | None
    code_challenge_method: str | None
    application_name: str = ""
    params: dict[str, str] = field(default_factory=dict)


def is_loopback_match(registered: str, given: str) -> bool:
    """RFC 8252 7.3: same scheme, loopback IP host and path; any port."""
    try:
        reg, req = urlsplit(registered), urlsplit(given)
    except ValueError:
        return False
    loopback = ("127.0.0.1", "::1")
    return (
        reg.scheme == req.scheme == "http"
        and reg.hostname in loopback
        and req.hostname == reg.hostname
        and (reg.path or "/") == (req.path or "/")
        and reg.query == req.query
        and not req.fragment
    )


def pkce_s256(verifier: str) -> str:
    hashed = hashlib.sha256(verifier.encode("ascii", "replace")).digest()
    return base64.urlsafe_b64encode(hashed).rstrip(b"=").decode("ascii")


def parse_scopes(value: Any) -> tuple[str, ...] | None:
    """Requested scopes (space- or comma-separated); default ``flow private``; None if bad."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return DEFAULT_SCOPES
    if not isinstance(value, str):
        return None
    parts = [p for p in value.replace(",", " ").split() if p]
    if any(p not in ALL_SCOPES for p in parts):
        return None
    return tuple(dict.fromkeys(parts))


def _application(tx: Tx, client_id: str | None) -> Row | None:
    if not client_id:
        return None
    return tx.one("SELECT * FROM applications WHERE client_id = ?", (client_id,))


def _redirect_allowed(app: Row, uri: str) -> bool:
    registered = loads(app["redirect_uris"], [])
    if uri in registered:
        return True
    if uri == OOB_REDIRECT_URI:
        return OOB_REDIRECT_URI in registered or bool(app["loopback_any_port"])
    if app["loopback_any_port"]:
        return any(is_loopback_match(reg, uri) for reg in registered)
    return False


def authorize_redirect(request: AuthorizeRequest, **params: str | None) -> str:
    """The redirect URI with query parameters (code or error) and the state appended."""
    query = {k: v for k, v in params.items() if v is not None}
    if request.state is not None:
        query["state"] = request.state
    separator = "&" if "?" in request.redirect_uri else "?"
    return request.redirect_uri + separator + urlencode(query)


def check_authorize(tx: Tx, params: Mapping[str, str]) -> AuthorizeRequest:
    """Validate an authorize query; raises AuthorizeError."""
    client_id = params.get("client_id") or ""
    app = _application(tx, client_id)
    if app is None:
        raise AuthorizeError("invalid_client", "Unknown client_id: no such application.")
    given = params.get("redirect_uri") or None
    redirect_uri = given or loads(app["redirect_uris"], [""])[0]
    if given is not None and not _redirect_allowed(app, given):
        raise AuthorizeError(
            "invalid_request",
            "The redirect_uri does not match the application's registered callback.",
        )
    request = AuthorizeRequest(
        client_id=client_id,
        redirect_uri=redirect_uri,
        redirect_uri_given=given is not None,
        scopes=(),
        state=params.get("state") or None,
        code_challenge=params.get("code_challenge") or None,
        code_challenge_method=None,
        application_name=app["name"],
        params={k: v for k, v in params.items() if isinstance(v, str)},
    )

    def fail(error: str, description: str) -> AuthorizeError:
        url = authorize_redirect(request, error=error, error_description=description)
        return AuthorizeError(error, description, redirect_url=url)

    if params.get("response_type") != "code":
        raise fail("unsupported_response_type", "response_type must be code.")
    scopes = parse_scopes(params.get("scope"))
    if scopes is None:
        raise fail("invalid_scope", "Unknown scope requested.")
    request.scopes = scopes
    if request.code_challenge:
        method = params.get("code_challenge_method") or "plain"
        if method not in ("S256", "plain"):
            raise fail("invalid_request", "code_challenge_method must be S256 or plain.")
        request.code_challenge_method = method
    return request


def issue_code(tx: Tx, lifetimes: Lifetimes, request: AuthorizeRequest, user_id: int) -> str:
    """A single-use authorization code for an approved request."""
    purge_expired(tx)
    code = secrets.token_urlsafe(24)
    tx.execute(
        "INSERT INTO authorization_codes (digest, client_id, user_id, redirect_uri, scopes, "
        "code_challenge, code_challenge_method, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (
            digest(code),
            request.client_id,
            user_id,
            request.redirect_uri if request.redirect_uri_given else None,
            " ".join(request.scopes),
            request.code_challenge,
            request.code_challenge_method,
            tx.now() + lifetimes.code,
        ),
    )
    return code


def check_client(tx: Tx, client_id: Any, client_secret: Any) -> Row:
    """The application for valid client credentials, else OAuthError invalid_client."""
    app = _application(tx, client_id) if isinstance(client_id, str) else None
    if app is None or not client_secret or not isinstance(client_secret, str):
        raise OAuthError("invalid_client", "Client authentication failed.", 401)
    if not secrets.compare_digest(app["client_secret_digest"], digest(client_secret)):
        raise OAuthError("invalid_client", "Client authentication failed.", 401)
    return app


def issue_tokens(
    tx: Tx,
    lifetimes: Lifetimes,
    client_id: str,
    user_id: int,
    scopes: Iterable[str],
    code_digest: str | None,
) -> dict[str, Any]:
    """A new access and refresh token pair; the answer of the token endpoint."""
    purge_expired(tx)
    access, refresh = secrets.token_hex(32), secrets.token_hex(32)
    scope_list = list(scopes)
    now = tx.now()
    tx.execute(
        "INSERT INTO access_tokens (digest, client_id, user_id, scopes, expires_at, code_digest) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        (digest(access), client_id, user_id, " ".join(scope_list), now + lifetimes.access_token,
         code_digest),
    )  # fmt: skip
    tx.execute(
        "INSERT INTO refresh_tokens (digest, client_id, user_id, scopes, expires_at, code_digest) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        (digest(refresh), client_id, user_id, " ".join(scope_list), now + lifetimes.refresh_token,
         code_digest),
    )  # fmt: skip
    return {
        "access_token": access,
        "token_type": "bearer",
        "expires_in": int(lifetimes.access_token),
        "refresh_token": refresh,
        "scope": ",".join(scope_list),
    }


def exchange_code(
    tx: Tx,
    lifetimes: Lifetimes,
    client_id: str,
    code: str | None,
    redirect_uri: str | None,
    code_verifier: str | None,
) -> dict[str, Any]:
    """The authorization_code grant: code -> tokens, with every RFC 6749/7636 check."""
    if not code:
        raise OAuthError("invalid_request", "The code parameter is missing.")
    key = digest(code)
    record = tx.one("SELECT * FROM authorization_codes WHERE digest = ?", (key,))
    if record is None or record["client_id"] != client_id:
        raise OAuthError("invalid_grant", "The authorization code is not valid.")
    if record["used"]:
        # RFC 6749 4.1.2: a replayed code revokes what it already produced; the revocation
        # is kept although the answer is an error.
        tx.execute("DELETE FROM access_tokens WHERE code_digest = ?", (key,))
        tx.execute("DELETE FROM refresh_tokens WHERE code_digest = ?", (key,))
        raise OAuthError(
            "invalid_grant", "The authorization code was already used.", keep_writes=True
        )
    if record["expires_at"] <= tx.now():
        raise OAuthError("invalid_grant", "The authorization code has expired.")
    if record["redirect_uri"] is not None and redirect_uri != record["redirect_uri"]:
        raise OAuthError("invalid_grant", "redirect_uri does not match the one used to authorize.")
    if record["code_challenge"]:
        if not code_verifier:
            raise OAuthError("invalid_grant", "code_verifier is required (PKCE).")
        expected = (
            pkce_s256(code_verifier) if record["code_challenge_method"] == "S256" else code_verifier
        )
        if not secrets.compare_digest(expected, record["code_challenge"]):
            raise OAuthError("invalid_grant", "code_verifier does not match (PKCE).")
    tx.execute("UPDATE authorization_codes SET used = 1 WHERE digest = ?", (key,))
    return issue_tokens(tx, lifetimes, client_id, record["user_id"], record["scopes"].split(), key)


def refresh(
    tx: Tx, lifetimes: Lifetimes, client_id: str, refresh_token: str | None, scope: Any
) -> dict[str, Any]:
    """The refresh_token grant; the old refresh token stops working (rotation)."""
    if not refresh_token:
        raise OAuthError("invalid_request", "The refresh_token parameter is missing.")
    key = digest(refresh_token)
    record = tx.one("SELECT * FROM refresh_tokens WHERE digest = ?", (key,))
    if record is None or record["client_id"] != client_id or record["expires_at"] <= tx.now():
        raise OAuthError("invalid_grant", "The refresh token is not valid.")
    scopes = record["scopes"].split()
    if scope is not None and scope != "":
        wanted = parse_scopes(scope)
        if wanted is None or not set(wanted) <= set(scopes):
            raise OAuthError("invalid_scope", "A refresh cannot widen the scope.")
        scopes = list(wanted)
    tx.execute("DELETE FROM refresh_tokens WHERE digest = ?", (key,))
    return issue_tokens(tx, lifetimes, client_id, record["user_id"], scopes, record["code_digest"])


def password_grant(
    tx: Tx, lifetimes: Lifetimes, client_id: str, username: Any, password: Any, scope: Any
) -> dict[str, Any]:
    """The resource owner password grant (Flowdock's CLI example used it)."""
    if not isinstance(username, str) or not isinstance(password, str):
        raise OAuthError("invalid_request", "username and password are required.")
    user_id = check_password(tx, username, password)
    if user_id is None:
        raise OAuthError("invalid_grant", "Wrong email or password.")
    scopes = parse_scopes(scope)
    if scopes is None:
        raise OAuthError("invalid_scope", "Unknown scope requested.")
    return issue_tokens(tx, lifetimes, client_id, user_id, scopes, None)


def purge_expired(tx: Tx) -> int:
    """Delete expired codes, access tokens and refresh tokens; returns how many went.

    Runs whenever a code or token is issued: with the expiry indexes, finding nothing to
    delete costs a few index look-ups.
    """
    now = tx.now()
    removed = 0
    for table in ("authorization_codes", "access_tokens", "refresh_tokens"):
        removed += tx.execute(f"DELETE FROM {table} WHERE expires_at <= ?", (now,)).rowcount
    return removed


class BrowserSessions:
    """Sign-ins of the authorize pages: a random id in a cookie, kept in memory only."""

    def __init__(self, ttl: float) -> None:
        self.ttl = ttl
        self._lock = threading.Lock()
        self._sessions: dict[str, dict[str, Any]] = {}

    def open(self, user_id: int) -> str:
        with self._lock:
            now = time.time()
            for key in [k for k, v in self._sessions.items() if v["expires_at"] <= now]:
                del self._sessions[key]
            session_id = secrets.token_urlsafe(24)
            self._sessions[session_id] = {"user_id": user_id, "expires_at": now + self.ttl}
            return session_id

    def get(self, session_id: str | None) -> dict[str, Any] | None:
        with self._lock:
            record = self._sessions.get(session_id or "")
            if record is None or record["expires_at"] <= time.time():
                return None
            return {"id": session_id, **record}

    def clear(self) -> None:
        with self._lock:
            self._sessions.clear()
