"""OAuth 2.0 authorization code sign-in (state, PKCE S256, client_secret_post) via Authlib."""

from __future__ import annotations

import threading
import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cache
from secrets import token_urlsafe
from typing import Any, TypeVar
from urllib.parse import parse_qs, urlsplit

import httpx

from flowdock_desktop.api.http import client_options
from flowdock_desktop.auth.constants import (
    DEFAULT_REDIRECT_URI,
    DEFAULT_SCOPES,
    OOB_REDIRECT_URI,
)
from flowdock_desktop.auth.errors import (
    AccessDeniedError,
    AuthorizationError,
    SignInCancelled,
    SignInError,
    SignInNetworkError,
    SignInTimeout,
    StateMismatchError,
    TokenEndpointError,
)
from flowdock_desktop.auth.listener import (
    DEFAULT_CONNECTION_TIMEOUT,
    DEFAULT_TIMEOUT,
    CallbackResult,
    LoopbackListener,
)
from flowdock_desktop.auth.tokens import TokenSet, parse_scopes
from flowdock_desktop.cancel import CancelToken


@cache
def _authlib() -> Any:
    """Authlib's httpx integration, imported on first use.

    Importing it pulls in JOSE and cryptography (about 100 ms), which the app's first window
    does not need. Authlib 1.9 also warns on import that it prefers the "httpx2" package;
    plain httpx is what this project uses on purpose, so that one warning is silenced here.
    """
    import authlib.deprecate

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", authlib.deprecate.AuthlibDeprecationWarning)
        from authlib.integrations import httpx_client

    return httpx_client


_T = TypeVar("_T")


@dataclass(frozen=True)
class OAuthApp:
    """An OAuth application registered with a Flowdock server, and how to sign in with it.

    ``allow_any_port`` says the server accepts any loopback port for ``redirect_uri``
    (RFC 8252), so the listener may take a free port instead of the registered one.
    """

    api_url: str
    client_id: str
    client_secret: str = field(repr=False)
    redirect_uri: str = DEFAULT_REDIRECT_URI
    scopes: tuple[str, ...] = DEFAULT_SCOPES
    allow_any_port: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "api_url", self.api_url.strip().rstrip("/"))
        object.__setattr__(self, "scopes", parse_scopes(self.scopes))

    @property
    def authorize_url(self) -> str:
        return f"{self.api_url}/oauth/authorize"

    @property
    def token_url(self) -> str:
        return f"{self.api_url}/oauth/token"

    @property
    def host(self) -> str:
        return urlsplit(self.api_url).netloc or self.api_url


def _oauth_client(
    app: OAuthApp,
    *,
    redirect_uri: str | None = None,
    transport: httpx.BaseTransport | None = None,
) -> Any:
    """Authlib's httpx client with the app's shared HTTP settings (user agent, timeouts)."""
    options: dict[str, Any] = client_options()
    if transport is not None:
        options["transport"] = transport
    return _authlib().OAuth2Client(
        client_id=app.client_id,
        client_secret=app.client_secret,
        # Flowdock expects the secret in the form body, not in HTTP Basic.
        token_endpoint_auth_method="client_secret_post",
        code_challenge_method="S256",
        scope=list(app.scopes),
        redirect_uri=redirect_uri or app.redirect_uri,
        **options,
    )


def _scrub(text: str | None, secrets: Iterable[str | None]) -> str | None:
    """Drop a server description that quotes one of our secrets back at us."""
    if not text:
        return None
    for secret in secrets:
        if secret and secret in text:
            return None
    return text[:300]


def _token_call(app: OAuthApp, call: Callable[[], _T], secrets: Iterable[str | None]) -> _T:
    """Run a token endpoint request, turning every failure into a plain-words SignInError."""
    oauth_error = _authlib().OAuthError
    try:
        return call()
    except oauth_error as exc:
        raise TokenEndpointError(
            str(exc.error or "unknown_error"), _scrub(exc.description, secrets)
        ) from None
    except httpx.HTTPStatusError as exc:
        raise TokenEndpointError(
            "server_error", f"HTTP {exc.response.status_code} from the token endpoint"
        ) from None
    except httpx.TransportError as exc:
        raise SignInNetworkError(app.host, type(exc).__name__) from None
    except ValueError:
        raise TokenEndpointError(
            "invalid_response", "the token endpoint did not answer with a token"
        ) from None


def refresh_tokens(
    app: OAuthApp, refresh_token: str, *, transport: httpx.BaseTransport | None = None
) -> TokenSet:
    """Trade a refresh token for a new token set (the refresh token may rotate)."""
    with _oauth_client(app, transport=transport) as client:
        # No scope on refresh: the grant keeps the scopes originally approved.
        client.scope = None
        data = _token_call(
            app,
            lambda: client.refresh_token(app.token_url, refresh_token=refresh_token),
            (app.client_secret, refresh_token),
        )
    tokens = TokenSet.from_response(data)
    if tokens.refresh_token is None:
        # A server that does not rotate keeps the old refresh token valid.
        tokens = TokenSet(
            tokens.access_token, refresh_token, tokens.expires_at, tokens.scope, tokens.token_type
        )
    return tokens


def check_client_credentials(
    app: OAuthApp, *, transport: httpx.BaseTransport | None = None
) -> bool | None:
    """Ask the token endpoint whether it accepts the client id and secret, before any browser.

    Trades a made-up code: a server authenticates the client first (RFC 6749 3.2.1), so a
    wrong id or secret answers ``invalid_client`` while good ones get ``invalid_grant`` for the
    code. True (accepted), False (refused), or None when the answer says neither (a server
    error, no connection): the sign-in then goes ahead and finds out itself.
    """
    probe_code = "flowdock-desktop-client-check-" + token_urlsafe(12)
    with _oauth_client(app, transport=transport) as client:
        try:
            _token_call(
                app,
                lambda: client.fetch_token(
                    app.token_url,
                    grant_type="authorization_code",
                    code=probe_code,
                    redirect_uri=app.redirect_uri,
                ),
                (app.client_secret, probe_code),
            )
        except TokenEndpointError as exc:
            if exc.error == "invalid_client":
                return False
            return True if exc.error == "invalid_grant" else None
        except SignInError:
            return None
    return None  # a server that traded a made-up code says nothing about the secret


def parse_pasted(text: str) -> dict[str, str]:
    """Read what a person pasted: the final redirect URL, the OOB code page URL, or a code.

    Returns the callback parameters (``code``, ``state``, ``error``, ``error_description``
    as present). Raises ``SignInError`` when nothing usable was pasted.
    """
    value = text.strip()
    if not value:
        raise SignInError(
            "Nothing was pasted. Paste the address your browser ended on, or the code."
        )
    if "://" in value or value.startswith(("/", "?")) or "code=" in value or "error=" in value:
        if "://" not in value and not value.startswith("/"):
            value = "?" + value.lstrip("?")
        try:
            parts = urlsplit(value)
            query = parse_qs(parts.query, keep_blank_values=True, max_num_fields=50)
        except ValueError:
            raise SignInError("That address could not be read. Paste it again.") from None
        params = {key: values[0] for key, values in query.items() if values}
        if "code" not in params and "error" not in params:
            # The out-of-band page shows the code as the last path segment:
            # /oauth/authorize/<code>.
            segments = [s for s in parts.path.split("/") if s]
            if len(segments) >= 3 and segments[-3:-1] == ["oauth", "authorize"]:
                params["code"] = segments[-1]
        if "code" not in params and "error" not in params:
            raise SignInError(
                "That address has no sign-in code in it. Paste the address your browser ended "
                "on after you approved, or just the code."
            )
        return params
    if any(ch.isspace() for ch in value):
        raise SignInError("That does not look like a sign-in code. Paste it without spaces.")
    return {"code": value}


class SignInFlow:
    """One sign-in attempt: authorize URL, loopback listener, code exchange.

    Usable from a worker thread: call ``start()`` to get the URL to open, then ``wait()``
    for the ``TokenSet``. ``cancel()`` and ``complete_from_pasted()`` may be called from any
    other thread; the code is exchanged once, and every waiter gets the same result.
    ``redirect_uri`` is the URI actually used (the listener's, or the OOB URN).
    """

    def __init__(
        self,
        app: OAuthApp,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        connection_timeout: float = DEFAULT_CONNECTION_TIMEOUT,
        transport: httpx.BaseTransport | None = None,
        cancel: CancelToken | None = None,
    ) -> None:
        self.app = app
        self._timeout = timeout
        self._connection_timeout = connection_timeout
        self._transport = transport
        # Fresh per attempt: state for CSRF, the verifier for PKCE (43+ chars per RFC 7636).
        # Unguessable, URL-safe; the verifier's 86 characters fall in PKCE's 43-128 range.
        self._state = token_urlsafe(24)
        self._code_verifier = token_urlsafe(64)
        self._listener: LoopbackListener | None = None
        self._redirect_uri = app.redirect_uri
        self._authorize_url: str | None = None
        self._lock = threading.Lock()
        self._exchange_lock = threading.Lock()
        self._pasted: CallbackResult | SignInError | None = None
        self._pasted_event = threading.Event()
        #: The app's one cancellation token; cancelling it (or calling ``cancel()``) stops the
        #: sign-in. A caller may pass the token of the task that runs the flow.
        self.token = cancel if cancel is not None else CancelToken()
        self.token.on_cancel(self._stop)
        self._tokens: TokenSet | None = None
        self._error: SignInError | None = None

    def __repr__(self) -> str:
        return f"SignInFlow(api_url={self.app.api_url!r}, redirect_uri={self._redirect_uri!r})"

    @property
    def redirect_uri(self) -> str:
        return self._redirect_uri

    @property
    def authorize_url(self) -> str:
        if self._authorize_url is None:
            raise RuntimeError("call start() first")
        return self._authorize_url

    @property
    def is_out_of_band(self) -> bool:
        return self.app.redirect_uri == OOB_REDIRECT_URI

    def start(self) -> str:
        """Start the listener (raising ``PortInUseError`` if taken); return the authorize URL."""
        if self._authorize_url is not None:
            return self._authorize_url
        if self.token.cancelled:
            # Cancelled before it began (e.g. the wizard page closed): never open a port.
            raise SignInCancelled()
        if not self.is_out_of_band:
            listener = LoopbackListener(
                self.app.redirect_uri,
                expected_state=self._state,
                allow_any_port=self.app.allow_any_port,
                timeout=self._timeout,
                connection_timeout=self._connection_timeout,
            )
            listener.start()
            self._listener = listener
            self._redirect_uri = listener.redirect_uri
            if self.token.cancelled:  # cancelled while the port opened: close it again
                listener.cancel()
                raise SignInCancelled()
        with _oauth_client(
            self.app, redirect_uri=self._redirect_uri, transport=self._transport
        ) as client:
            url, _ = client.create_authorization_url(
                self.app.authorize_url, state=self._state, code_verifier=self._code_verifier
            )
        self._authorize_url = url
        return url

    def wait(self) -> TokenSet:
        """Block until the browser (or a paste) completes the sign-in; return the tokens."""
        if self._authorize_url is None:
            raise RuntimeError("call start() first")
        if self._listener is not None:
            callback = self._listener.wait()
        else:
            if not self._pasted_event.wait(self._timeout):
                raise SignInTimeout(self._timeout)
            with self._lock:
                if self.token.cancelled or self._pasted is None:
                    raise SignInCancelled()
                pasted = self._pasted
            if isinstance(pasted, SignInError):
                raise pasted
            callback = pasted
        return self._exchange_once(callback.code)

    def cancel(self) -> None:
        """Stop the sign-in now: the listener closes its port and ``wait()`` raises."""
        self.token.cancel()

    def _stop(self) -> None:
        self._pasted_event.set()
        if self._listener is not None:
            self._listener.cancel()

    def submit_pasted(self, text: str) -> None:
        """Hand what the person pasted to the flow without waiting for the exchange.

        Raises ``SignInError`` (e.g. ``StateMismatchError``) when the text is unusable; the
        flow then keeps waiting for the browser or another paste. A pasted ``error=`` ends it.
        """
        if self._authorize_url is None:
            raise RuntimeError("call start() first")
        params = parse_pasted(text)
        state = params.get("state")
        if state is not None and state != self._state:
            raise StateMismatchError()
        outcome: CallbackResult | SignInError
        if "error" in params:
            error = params["error"]
            description = params.get("error_description")
            if error == "access_denied":
                outcome = AccessDeniedError(description)
            else:
                outcome = AuthorizationError(error, description)
        else:
            outcome = CallbackResult(params["code"], self._state)
        if self._listener is not None:
            self._listener.supply(outcome)
        else:
            with self._lock:
                if self._pasted is None:
                    self._pasted = outcome
            self._pasted_event.set()

    def complete_from_pasted(self, text: str) -> TokenSet:
        """Finish with what the person pasted (redirect URL, OOB page URL or bare code)."""
        self.submit_pasted(text)
        return self.wait()

    def _exchange_once(self, code: str) -> TokenSet:
        with self._exchange_lock:
            if self._tokens is not None:
                return self._tokens
            if self._error is not None:
                raise self._error
            if self.token.cancelled:
                raise SignInCancelled()
            try:
                self._tokens = self._exchange(code)
            except SignInError as exc:
                self._error = exc
                raise
            return self._tokens

    def _exchange(self, code: str) -> TokenSet:
        with _oauth_client(
            self.app, redirect_uri=self._redirect_uri, transport=self._transport
        ) as client:
            data = _token_call(
                self.app,
                lambda: client.fetch_token(
                    self.app.token_url,
                    grant_type="authorization_code",
                    code=code,
                    code_verifier=self._code_verifier,
                    redirect_uri=self._redirect_uri,
                ),
                (self.app.client_secret, code, self._code_verifier),
            )
        return TokenSet.from_response(data)
