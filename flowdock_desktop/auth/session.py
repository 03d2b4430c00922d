"""The signed-in account: non-secret details in the profile, tokens in the keyring."""

from __future__ import annotations

import contextlib
import hashlib
import tempfile
import threading
from collections.abc import Generator, Iterator, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import httpx

from flowdock_desktop.api.http import create_http_client
from flowdock_desktop.auth.credentials import CredentialStore
from flowdock_desktop.auth.errors import (
    SignInError,
    SignInNetworkError,
    SignInRequired,
    TokenEndpointError,
)
from flowdock_desktop.auth.oauth import OAuthApp, refresh_tokens
from flowdock_desktop.auth.recorded import ACCOUNT_SETTING
from flowdock_desktop.auth.tokens import TokenSet, parse_scopes
from flowdock_desktop.store.profile import Profile, lock_if_possible

#: Refresh this many seconds before the access token expires.
DEFAULT_REFRESH_MARGIN = 60.0

#: How long a process waits for another one's token refresh before refreshing itself.
REFRESH_LOCK_TIMEOUT = 60.0


@dataclass(frozen=True)
class Account:
    """Who is signed in, where, and with which application; nothing secret."""

    api_url: str
    client_id: str
    redirect_uri: str
    scopes: tuple[str, ...]
    user_id: str
    name: str = ""
    email: str = ""
    nick: str = ""

    @property
    def key(self) -> str:
        """The keyring key of this account's tokens: one account per server and user."""
        return f"{self.api_url}#{self.user_id}"

    @property
    def display_name(self) -> str:
        name = self.name or self.nick or f"user {self.user_id}"
        return f"{name} ({self.email})" if self.email else name

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["scopes"] = list(self.scopes)
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Account:
        return cls(
            api_url=str(data["api_url"]).rstrip("/"),
            client_id=str(data["client_id"]),
            redirect_uri=str(data.get("redirect_uri") or ""),
            scopes=parse_scopes(data.get("scopes")),
            user_id=str(data["user_id"]),
            name=str(data.get("name") or ""),
            email=str(data.get("email") or ""),
            nick=str(data.get("nick") or ""),
        )


class Session:
    """Authenticated access for one account: current access token, refresh, sign-out.

    Thread-safe: concurrent callers needing a refresh share one refresh request.
    ``transport`` is passed to every HTTP client this session creates (tests).
    """

    def __init__(
        self,
        account: Account,
        store: CredentialStore,
        *,
        profile: Profile | None = None,
        refresh_margin: float = DEFAULT_REFRESH_MARGIN,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.account = account
        self.store = store
        self._profile = profile
        self._refresh_margin = refresh_margin
        self._transport = transport
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"Session(api_url={self.account.api_url!r}, user_id={self.account.user_id!r})"

    # -- tokens -------------------------------------------------------------------------------

    def tokens(self) -> TokenSet:
        """The stored token set; ``SignInRequired`` when there is none."""
        tokens = self.store.get_token_set(self.account.key)
        if tokens is None:
            raise self.store.unavailable() or SignInRequired(
                "You are not signed in. Sign in to continue."
            )
        return tokens

    def access_token(self) -> str:
        """A usable access token, refreshed first when it is about to expire."""
        with self._lock:
            tokens = self.tokens()
            if tokens.expires_soon(self._refresh_margin):
                with self._refresh_lock():
                    # Another process may have refreshed while this one waited.
                    tokens = self.tokens()
                    if tokens.expires_soon(self._refresh_margin):
                        tokens = self._refresh_locked(tokens)
            return tokens.access_token

    def refresh(self, *, stale_access_token: str | None = None) -> TokenSet:
        """Refresh now. With ``stale_access_token``, skip it if another thread or process
        already did (the keyring then holds a newer access token)."""
        with self._lock, self._refresh_lock():
            tokens = self.tokens()
            if stale_access_token is not None and tokens.access_token != stale_access_token:
                return tokens
            return self._refresh_locked(tokens)

    @contextlib.contextmanager
    def _refresh_lock(self) -> Iterator[None]:
        """One refresh at a time across processes (the GUI and commands) on this profile.

        Refresh tokens rotate: the first refresh makes every other copy of the old refresh
        token invalid, so a second process refreshing with it at the same moment would be
        told to sign in again. Under this file lock the second one waits, then finds the
        new tokens in the keyring. Where no lock file can be made (a read-only profile) the
        refresh goes ahead unlocked and relies on re-reading the keyring after a refusal.
        """
        folder = self._profile.dir if self._profile is not None else Path(tempfile.gettempdir())
        digest = hashlib.sha256(self.account.key.encode()).hexdigest()[:16]
        with lock_if_possible(folder / f".refresh-{digest}.lock", REFRESH_LOCK_TIMEOUT):
            yield

    def _refresh_locked(self, tokens: TokenSet) -> TokenSet:
        if not tokens.refresh_token:
            raise SignInRequired()
        secret = self.store.get_client_secret(self.account.api_url, self.account.client_id)
        if secret is None:
            raise SignInRequired(
                "The application's client secret is no longer stored. Sign in again."
            )
        app = OAuthApp(
            api_url=self.account.api_url,
            client_id=self.account.client_id,
            client_secret=secret,
            redirect_uri=self.account.redirect_uri,
            scopes=self.account.scopes,
        )
        try:
            fresh = refresh_tokens(app, tokens.refresh_token, transport=self._transport)
        except TokenEndpointError as exc:
            if exc.error == "server_error":
                # A failing server says nothing about the grant; keep the tokens for a retry.
                raise
            # Rotated away by a process outside the lock (another profile on this account)?
            # Then the keyring already holds its successor.
            stored = self.store.get_token_set(self.account.key)
            if stored is not None and stored.refresh_token != tokens.refresh_token:
                return stored
            # invalid_grant (revoked, rotated away or expired) and friends: sign in again.
            raise SignInRequired() from None
        self.store.set_token_set(self.account.key, fresh)
        return fresh

    def auth(self) -> SessionAuth:
        """An ``httpx.Auth`` for API clients of this account."""
        return SessionAuth(self)

    def http_client(self) -> httpx.Client:
        """An API client (the project's one factory) authenticated as this account."""
        return create_http_client(self.account.api_url, auth=self.auth(), transport=self._transport)

    def fetch_user(self) -> dict[str, Any]:
        """``GET /user`` (needs scope ``profile``)."""
        return fetch_user(self.account.api_url, self.auth(), transport=self._transport)

    def sign_out(self) -> None:
        """Forget this account's tokens and, when known, its entry in the profile.

        The application's client secret stays: it belongs to the app registration, not the
        person, and is needed to sign in again.
        """
        # The profile first: if it cannot be written, the tokens stay and the person is
        # still signed in, rather than signed in without tokens.
        if self._profile is not None:
            stored = self._profile.settings.get(ACCOUNT_SETTING)
            if isinstance(stored, Mapping) and stored.get("user_id") == self.account.user_id:
                self._profile.settings.remove(ACCOUNT_SETTING)
        self.store.delete_token_set(self.account.key)


class SessionAuth(httpx.Auth):
    """Adds ``Authorization: Bearer``; on a 401 refreshes once and retries the request."""

    # The body is read up front so the retry after a refresh can resend it.
    requires_request_body = True

    def __init__(self, session: Session) -> None:
        self._session = session

    def __repr__(self) -> str:
        return f"SessionAuth({self._session!r})"

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        token = self._session.access_token()
        request.headers["Authorization"] = f"Bearer {token}"
        response = yield request
        if response.status_code != 401:
            return
        fresh = self._session.refresh(stale_access_token=token)
        request.headers["Authorization"] = f"Bearer {fresh.access_token}"
        yield request


class _BearerAuth(httpx.Auth):
    """A fixed bearer token, for the one request made before a session exists."""

    def __init__(self, token: str) -> None:
        self._token = token

    def __repr__(self) -> str:
        return "_BearerAuth(<redacted>)"

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Authorization"] = f"Bearer {self._token}"
        yield request


def fetch_user(
    api_url: str, auth: httpx.Auth, *, transport: httpx.BaseTransport | None = None
) -> dict[str, Any]:
    """``GET /user`` with plain-words errors."""
    host = httpx.URL(api_url).host or api_url
    try:
        with create_http_client(api_url, auth=auth, transport=transport) as client:
            response = client.get("/user")
    except httpx.TransportError as exc:
        raise SignInNetworkError(host, type(exc).__name__) from None
    if response.status_code == 401:
        raise SignInRequired()
    if response.status_code == 403:
        raise SignInError(
            "Signed in, but Flowdock did not allow reading your profile. Sign in again and "
            "approve the 'profile' permission."
        )
    if response.status_code >= 400:
        raise SignInError(f"Could not read your profile (HTTP {response.status_code}).")
    try:
        data = response.json()
    except ValueError:
        data = None
    if not isinstance(data, dict) or "id" not in data:
        raise SignInError("The server's answer about your profile could not be read.")
    return data


def start_session(
    profile: Profile,
    store: CredentialStore,
    app: OAuthApp,
    tokens: TokenSet,
    *,
    redirect_uri: str | None = None,
    transport: httpx.BaseTransport | None = None,
) -> Session:
    """Record a completed sign-in: who it is (``GET /user``), the profile entry, the secrets."""
    user = fetch_user(app.api_url, _BearerAuth(tokens.access_token), transport=transport)
    account = Account(
        api_url=app.api_url,
        client_id=app.client_id,
        redirect_uri=redirect_uri or app.redirect_uri,
        scopes=tokens.scope or app.scopes,
        user_id=str(user["id"]),
        name=str(user.get("name") or ""),
        email=str(user.get("email") or ""),
        nick=str(user.get("nick") or ""),
    )
    previous = current_session(profile, store, transport=transport)
    replaced = store.get_token_set(account.key)
    store.set_client_secret(app.api_url, app.client_id, app.client_secret)
    store.set_token_set(account.key, tokens)
    try:
        profile.settings.set(ACCOUNT_SETTING, account.to_dict())
    except BaseException:
        # The profile could not say who is signed in: put the keyring back as it was.
        if replaced is None:
            store.delete_token_set(account.key)
        else:
            store.set_token_set(account.key, replaced)
        raise
    if previous is not None and previous.account.key != account.key:
        # One signed-in account at a time: the old one's tokens must not linger (removed
        # only now that the profile no longer points at them).
        store.delete_token_set(previous.account.key)
    return Session(account, store, profile=profile, transport=transport)


def current_session(
    profile: Profile,
    store: CredentialStore | None = None,
    *,
    transport: httpx.BaseTransport | None = None,
) -> Session | None:
    """The session recorded in the profile, or None when nobody is signed in."""
    data = profile.settings.get(ACCOUNT_SETTING)
    if not isinstance(data, Mapping):
        return None
    try:
        account = Account.from_dict(data)
    except (KeyError, TypeError, ValueError):
        return None
    store = store if store is not None else CredentialStore()
    if store.get_token_set(account.key) is None:
        return None
    return Session(account, store, profile=profile, transport=transport)
