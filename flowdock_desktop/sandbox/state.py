"""All sandbox data and the operations on it, behind one lock, optionally persisted to JSON."""

from __future__ import annotations

import base64
import copy
import hashlib
import json
import os
import secrets
import tempfile
import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

from flowdock_desktop.api.html import sanitize_body, sanitize_title
from flowdock_desktop.api.validation import (
    THREAD_EVENTS,
    split_tags,
    validate_message,
    validate_source_name,
)
from flowdock_desktop.sandbox import seed
from flowdock_desktop.sandbox.seed import digest

OOB_REDIRECT_URI = "urn:ietf:wg:oauth:2.0:oob"
ALL_SCOPES = ("flow", "private", "manage", "profile", "offline_access", "integration")
DEFAULT_SCOPES = ("flow", "private")
THREAD_PAGE_SIZE = 25
MESSAGE_LIMIT_DEFAULT = 30
MESSAGE_LIMIT_MAX = 100


@dataclass
class SandboxConfig:
    """Knobs for one sandbox instance; tests shrink the TTLs instead of sleeping."""

    access_token_ttl: float = 3600
    code_ttl: float = 600
    auto_approve: bool = False
    wait_status: int = 201
    data_file: Path | None = None
    #: Extra delay added to every non-admin request (the ``--latency-ms`` flag).
    latency_ms: int = 0
    #: How long a browser sign-in session lasts on the authorize pages.
    session_ttl: float = 1800


class ApiError(Exception):
    """An HTTP error answer from the API: status plus the JSON body Flowdock would send."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        errors: Mapping[str, list[str]] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.errors = dict(errors) if errors else None
        self.headers = dict(headers or {})

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"message": self.message}
        if self.errors is not None:
            body["errors"] = self.errors
        return body


class OAuthError(Exception):
    """An RFC 6749 error from the token endpoint (400, or 401 for invalid_client)."""

    def __init__(self, error: str, description: str, status: int = 400) -> None:
        super().__init__(f"{error}: {description}")
        self.error = error
        self.description = description
        self.status = status


def validation_error(errors: Mapping[str, list[str]]) -> ApiError:
    return ApiError(400, "Validation error", errors=errors)


def not_found() -> ApiError:
    return ApiError(404, "Not found")


def unauthorized() -> ApiError:
    return ApiError(401, "Unauthorized")


@dataclass(frozen=True)
class Principal:
    """Who is calling: a user (OAuth token or personal API token) or a source (flow_token)."""

    kind: str  # "user" or "source"
    user_id: int | None = None
    scopes: frozenset[str] = frozenset()
    client_id: str | None = None
    source_id: int | None = None

    def require_scope(self, *any_of: str) -> None:
        """403 unless the caller holds one of ``any_of``; flow tokens are checked elsewhere."""
        if self.kind == "user" and not self.scopes.intersection(any_of):
            raise ApiError(403, f"Missing scope: {any_of[0]}")


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


class AuthorizeError(Exception):
    """A problem with an authorize request.

    ``redirect`` is False when the client or redirect URI cannot be trusted (RFC 6749
    4.1.2.1): the error is then shown on a page instead of sent to the redirect URI.
    """

    def __init__(self, error: str, description: str, *, redirect_url: str | None = None) -> None:
        super().__init__(description)
        self.error = error
        self.description = description
        #: Where to send the browser with the error, or None to show an error page.
        self.redirect_url = redirect_url

    @property
    def redirect(self) -> bool:
        return self.redirect_url is not None


def iso(ms: int) -> str:
    """ISO-8601 with milliseconds and Z, as Flowdock wrote ``created_at``."""
    moment = datetime.fromtimestamp(ms / 1000, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"


def parse_iso(value: str) -> int:
    """Milliseconds since the epoch from an ISO-8601 string; ValueError when unreadable."""
    moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return round(moment.timestamp() * 1000)


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


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


class SandboxState:
    """The sandbox's whole world: users, flows, apps, tokens, sources, threads and messages.

    Every public method takes the lock, so routes (on the event loop) and tests (on their own
    thread) can call them freely. Tokens, client secrets and flow tokens are stored only as
    SHA-256 digests, so a ``--data`` file never holds a usable credential.
    """

    def __init__(self, config: SandboxConfig | None = None) -> None:
        self.config = config or SandboxConfig()
        self._lock = threading.RLock()
        self._last_ms = 0
        # Browser sessions of the authorize pages: in memory only, never persisted.
        self._sessions: dict[str, dict[str, Any]] = {}
        self._data: dict[str, Any] = {}
        data_file = self.config.data_file
        if data_file is not None and Path(data_file).exists():
            self._data = json.loads(Path(data_file).read_text(encoding="utf-8"))
        else:
            self._data = seed.build_seed()
            self._save()

    # ----------------------------------------------------------------- housekeeping

    def reset(self) -> None:
        """Back to the seed data (flow ids change); sessions are forgotten too."""
        with self._lock:
            self._data = seed.build_seed()
            self._sessions.clear()
            self._save()

    def _save(self) -> None:
        """Write the data file atomically (temp file in the same directory, then replace)."""
        path = self.config.data_file
        if path is None:
            return
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(self._data, handle, indent=1, sort_keys=True)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def _now_ms(self) -> int:
        """Strictly increasing milliseconds, so thread paging by update time never ties."""
        ms = int(time.time() * 1000)
        if ms <= self._last_ms:
            ms = self._last_ms + 1
        self._last_ms = ms
        return ms

    # ----------------------------------------------------------------- lookups

    def _user(self, user_id: int | None) -> dict[str, Any] | None:
        return next((u for u in self._data["users"] if u["id"] == user_id), None)

    def _org(self, org_id: int) -> dict[str, Any]:
        return next(o for o in self._data["organizations"] if o["id"] == org_id)

    def _flow(self, flow_id: str) -> dict[str, Any] | None:
        return next((f for f in self._data["flows"] if f["id"] == flow_id), None)

    def _app_by_client(self, client_id: str | None) -> dict[str, Any] | None:
        if not client_id:
            return None
        return next((a for a in self._data["applications"] if a["client_id"] == client_id), None)

    def _app_by_id(self, app_id: int | None) -> dict[str, Any] | None:
        return next((a for a in self._data["applications"] if a["id"] == app_id), None)

    def _source(self, source_id: int) -> dict[str, Any] | None:
        return next((s for s in self._data["sources"] if s["id"] == source_id), None)

    def _thread(self, thread_id: str) -> dict[str, Any] | None:
        return next((t for t in self._data["threads"] if t["id"] == thread_id), None)

    def _visible_org_ids(self, user_id: int) -> set[int]:
        return {f["org_id"] for f in self._data["flows"] if user_id in f["member_ids"]}

    def find_flow_by_path(self, org: str, flow: str) -> str | None:
        """Flow id for ``org/flow`` slugs, or None."""
        with self._lock:
            for item in self._data["flows"]:
                if (
                    item["parameterized_name"] == flow
                    and self._org(item["org_id"])["parameterized_name"] == org
                ):
                    return item["id"]
            return None

    def flow_path(self, flow_id: str) -> str | None:
        with self._lock:
            item = self._flow(flow_id)
            if item is None:
                return None
            return f"{self._org(item['org_id'])['parameterized_name']}/{item['parameterized_name']}"

    def flow_ids(self) -> list[str]:
        with self._lock:
            return [f["id"] for f in self._data["flows"]]

    def _user_flow(self, principal: Principal, flow_id: str | None) -> dict[str, Any]:
        """A flow the user may see (same organization), else 404."""
        item = self._flow(flow_id) if flow_id else None
        if item is None or item["org_id"] not in self._visible_org_ids(principal.user_id or 0):
            raise not_found()
        return item

    # ----------------------------------------------------------------- authentication

    def authenticate(
        self,
        *,
        bearer: str | None = None,
        basic_user: str | None = None,
        basic_password: str | None = None,
        flow_token: str | None = None,
    ) -> Principal:
        """The caller behind the given credentials, or ApiError 401/410."""
        with self._lock:
            if bearer:
                record = self._data["access_tokens"].get(digest(bearer))
                if record is None or record["expires_at"] <= time.time():
                    raise unauthorized()
                return Principal(
                    "user",
                    user_id=record["user_id"],
                    scopes=frozenset(record["scopes"]),
                    client_id=record["client_id"],
                )
            if basic_user:
                wanted = digest(basic_user)
                for user in self._data["users"]:
                    if user["api_token_digest"] == wanted:
                        return Principal("user", user_id=user["id"], scopes=frozenset(ALL_SCOPES))
                # Email + password Basic auth, discouraged by Flowdock but documented.
                for user in self._data["users"]:
                    if user["email"] == basic_user and user["password"] == basic_password:
                        return Principal("user", user_id=user["id"], scopes=frozenset(ALL_SCOPES))
                raise unauthorized()
            if flow_token:
                wanted = digest(flow_token)
                for source in self._data["sources"]:
                    if source["flow_token_digest"] == wanted:
                        if source["deleted"]:
                            raise ApiError(410, "Source has been deleted")
                        return Principal("source", source_id=source["id"])
                raise unauthorized()
            raise unauthorized()

    # ----------------------------------------------------------------- OAuth

    def check_authorize(self, params: Mapping[str, str]) -> AuthorizeRequest:
        """Validate an authorize query; raises AuthorizeError."""
        with self._lock:
            client_id = params.get("client_id") or ""
            app = self._app_by_client(client_id)
            if app is None:
                raise AuthorizeError("invalid_client", "Unknown client_id: no such application.")
            given = params.get("redirect_uri") or None
            redirect_uri = given or app["redirect_uris"][0]
            if given is not None and not self._redirect_allowed(app, given):
                raise AuthorizeError(
                    "invalid_request",
                    "The redirect_uri does not match the application's registered callback.",
                )
            state = params.get("state") or None
            request = AuthorizeRequest(
                client_id=client_id,
                redirect_uri=redirect_uri,
                redirect_uri_given=given is not None,
                scopes=(),
                state=state,
                code_challenge=params.get("code_challenge") or None,
                code_challenge_method=None,
                application_name=app["name"],
                params={k: v for k, v in params.items() if isinstance(v, str)},
            )

            def fail(error: str, description: str) -> AuthorizeError:
                url = self.authorize_redirect(request, error=error, error_description=description)
                return AuthorizeError(error, description, redirect_url=url)

            if params.get("response_type") != "code":
                raise fail("unsupported_response_type", "response_type must be code.")
            scopes = self.parse_scopes(params.get("scope"))
            if scopes is None:
                raise fail("invalid_scope", "Unknown scope requested.")
            request.scopes = scopes
            if request.code_challenge:
                method = params.get("code_challenge_method") or "plain"
                if method not in ("S256", "plain"):
                    raise fail("invalid_request", "code_challenge_method must be S256 or plain.")
                request.code_challenge_method = method
            return request

    @staticmethod
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

    def _redirect_allowed(self, app: Mapping[str, Any], uri: str) -> bool:
        if uri in app["redirect_uris"]:
            return True
        if uri == OOB_REDIRECT_URI:
            return OOB_REDIRECT_URI in app["redirect_uris"] or app.get("loopback_any_port", False)
        if app.get("loopback_any_port"):
            return any(is_loopback_match(reg, uri) for reg in app["redirect_uris"])
        return False

    def issue_code(self, request: AuthorizeRequest, user_id: int) -> str:
        """A single-use authorization code for an approved request."""
        with self._lock:
            code = secrets.token_urlsafe(24)
            self._data["codes"][digest(code)] = {
                "client_id": request.client_id,
                "user_id": user_id,
                "redirect_uri": request.redirect_uri if request.redirect_uri_given else None,
                "scopes": list(request.scopes),
                "code_challenge": request.code_challenge,
                "code_challenge_method": request.code_challenge_method,
                "expires_at": time.time() + self.config.code_ttl,
                "used": False,
            }
            self._save()
            return code

    def authorize_redirect(self, request: AuthorizeRequest, **params: str | None) -> str:
        """The redirect URI with query parameters (code or error) and the state appended."""
        query = {k: v for k, v in params.items() if v is not None}
        if request.state is not None:
            query["state"] = request.state
        separator = "&" if "?" in request.redirect_uri else "?"
        return request.redirect_uri + separator + urlencode(query)

    def check_client(self, client_id: str | None, client_secret: str | None) -> dict[str, Any]:
        """The application for valid client credentials, else OAuthError invalid_client."""
        with self._lock:
            app = self._app_by_client(client_id)
            if app is None or not client_secret:
                raise OAuthError("invalid_client", "Client authentication failed.", 401)
            if not secrets.compare_digest(app["client_secret_digest"], digest(client_secret)):
                raise OAuthError("invalid_client", "Client authentication failed.", 401)
            return copy.deepcopy(app)

    def _issue_tokens(
        self, client_id: str, user_id: int, scopes: Iterable[str], code_digest: str | None
    ) -> dict[str, Any]:
        access, refresh = secrets.token_hex(32), secrets.token_hex(32)
        scope_list = list(scopes)
        self._data["access_tokens"][digest(access)] = {
            "client_id": client_id,
            "user_id": user_id,
            "scopes": scope_list,
            "expires_at": time.time() + self.config.access_token_ttl,
            "code": code_digest,
        }
        self._data["refresh_tokens"][digest(refresh)] = {
            "client_id": client_id,
            "user_id": user_id,
            "scopes": scope_list,
            "code": code_digest,
        }
        self._save()
        return {
            "access_token": access,
            "token_type": "bearer",
            "expires_in": int(self.config.access_token_ttl),
            "refresh_token": refresh,
            "scope": ",".join(scope_list),
        }

    def exchange_code(
        self,
        client_id: str,
        code: str | None,
        redirect_uri: str | None,
        code_verifier: str | None,
    ) -> dict[str, Any]:
        """The authorization_code grant: code -> tokens, with every RFC 6749/7636 check."""
        with self._lock:
            if not code:
                raise OAuthError("invalid_request", "The code parameter is missing.")
            key = digest(code)
            record = self._data["codes"].get(key)
            if record is None or record["client_id"] != client_id:
                raise OAuthError("invalid_grant", "The authorization code is not valid.")
            if record["used"]:
                # RFC 6749 4.1.2: a replayed code revokes what it already produced.
                self._revoke_from_code(key)
                self._save()
                raise OAuthError("invalid_grant", "The authorization code was already used.")
            if record["expires_at"] <= time.time():
                raise OAuthError("invalid_grant", "The authorization code has expired.")
            if record["redirect_uri"] is not None and redirect_uri != record["redirect_uri"]:
                raise OAuthError(
                    "invalid_grant", "redirect_uri does not match the one used to authorize."
                )
            if record["code_challenge"]:
                if not code_verifier:
                    raise OAuthError("invalid_grant", "code_verifier is required (PKCE).")
                expected = (
                    pkce_s256(code_verifier)
                    if record["code_challenge_method"] == "S256"
                    else code_verifier
                )
                if not secrets.compare_digest(expected, record["code_challenge"]):
                    raise OAuthError("invalid_grant", "code_verifier does not match (PKCE).")
            record["used"] = True
            return self._issue_tokens(client_id, record["user_id"], record["scopes"], key)

    def _revoke_from_code(self, code_digest: str) -> None:
        for table in ("access_tokens", "refresh_tokens"):
            tokens = self._data[table]
            for key in [k for k, v in tokens.items() if v.get("code") == code_digest]:
                del tokens[key]

    def refresh(self, client_id: str, refresh_token: str | None, scope: Any) -> dict[str, Any]:
        """The refresh_token grant; the old refresh token stops working (rotation)."""
        with self._lock:
            if not refresh_token:
                raise OAuthError("invalid_request", "The refresh_token parameter is missing.")
            key = digest(refresh_token)
            record = self._data["refresh_tokens"].get(key)
            if record is None or record["client_id"] != client_id:
                raise OAuthError("invalid_grant", "The refresh token is not valid.")
            scopes = list(record["scopes"])
            if scope is not None and scope != "":
                wanted = self.parse_scopes(scope)
                if wanted is None or not set(wanted) <= set(scopes):
                    raise OAuthError("invalid_scope", "A refresh cannot widen the scope.")
                scopes = list(wanted)
            del self._data["refresh_tokens"][key]
            return self._issue_tokens(client_id, record["user_id"], scopes, record.get("code"))

    def password_grant(
        self, client_id: str, username: Any, password: Any, scope: Any
    ) -> dict[str, Any]:
        """The resource owner password grant (Flowdock's CLI example used it)."""
        with self._lock:
            if not isinstance(username, str) or not isinstance(password, str):
                raise OAuthError("invalid_request", "username and password are required.")
            user = next(
                (
                    u
                    for u in self._data["users"]
                    if u["email"] == username and u["password"] == password
                ),
                None,
            )
            if user is None:
                raise OAuthError("invalid_grant", "Wrong email or password.")
            scopes = self.parse_scopes(scope)
            if scopes is None:
                raise OAuthError("invalid_scope", "Unknown scope requested.")
            return self._issue_tokens(client_id, user["id"], scopes, None)

    def mint_token(
        self,
        scopes: Iterable[str] = ALL_SCOPES,
        *,
        user_id: int = 1,
        client_id: str = seed.DEMO_CLIENT_ID,
    ) -> dict[str, Any]:
        """Tokens without the browser dance, for tests (same shape as the token endpoint)."""
        with self._lock:
            return self._issue_tokens(client_id, user_id, scopes, None)

    def revoke_refresh_tokens(self) -> None:
        with self._lock:
            self._data["refresh_tokens"].clear()
            self._save()

    def expire_access_tokens(self) -> None:
        with self._lock:
            for record in self._data["access_tokens"].values():
                record["expires_at"] = 0
            self._save()

    def check_sign_in(self, email: Any, password: Any) -> int | None:
        """User id for a correct email + password."""
        with self._lock:
            for user in self._data["users"]:
                if user["email"] == email and user["password"] == password:
                    return user["id"]
            return None

    def open_session(self, user_id: int) -> tuple[str, str]:
        """A browser session for the authorize pages: (session id, CSRF token)."""
        with self._lock:
            session_id, csrf = secrets.token_urlsafe(24), secrets.token_urlsafe(16)
            self._sessions[session_id] = {
                "user_id": user_id,
                "csrf": csrf,
                "expires_at": time.time() + self.config.session_ttl,
            }
            return session_id, csrf

    def session(self, session_id: str | None) -> dict[str, Any] | None:
        with self._lock:
            record = self._sessions.get(session_id or "")
            if record is None or record["expires_at"] <= time.time():
                return None
            return dict(record)

    # ----------------------------------------------------------------- applications

    def create_application(
        self,
        name: str,
        redirect_uris: list[str],
        *,
        setup_uri: str | None = None,
        configuration_uri: str | None = None,
        loopback_any_port: bool = False,
        owner_id: int = 1,
    ) -> dict[str, Any]:
        """Register an application; the returned dict has the only copy of client_secret."""
        with self._lock:
            counters = self._data["counters"]
            counters["application"] += 1
            secret = secrets.token_hex(32)
            app = {
                "id": counters["application"],
                "name": name,
                "client_id": secrets.token_hex(32),
                "client_secret_digest": digest(secret),
                "redirect_uris": redirect_uris,
                "loopback_any_port": loopback_any_port,
                "setup_uri": setup_uri,
                "configuration_uri": configuration_uri,
                "owner_id": owner_id,
            }
            self._data["applications"].append(app)
            self._save()
            view = self.application_view(app)
            view["client_secret"] = secret
            return view

    @staticmethod
    def application_view(app: Mapping[str, Any]) -> dict[str, Any]:
        return {
            "id": app["id"],
            "name": app["name"],
            "client_id": app["client_id"],
            "redirect_uri": "\n".join(app["redirect_uris"]),
            "redirect_uris": list(app["redirect_uris"]),
            "loopback_any_port": bool(app.get("loopback_any_port")),
            "setup_uri": app.get("setup_uri"),
            "configuration_uri": app.get("configuration_uri"),
        }

    def applications(self) -> list[dict[str, Any]]:
        with self._lock:
            return [self.application_view(a) for a in self._data["applications"]]

    def setup_link(self, app_id: int, flow_id: str, base_url: str) -> str | None:
        """The app's setup URI for a flow: placeholders filled, else ``flow=<id>`` appended."""
        with self._lock:
            app = self._app_by_id(app_id)
            flow = self._flow(flow_id)
            if app is None or flow is None or not app.get("setup_uri"):
                return None
            path = self.flow_path(flow_id)
            return _fill_uri(
                app["setup_uri"],
                {"flow_id": flow_id, "flow_url": f"{base_url}/flows/{path}"},
                {"flow": flow_id},
            )

    # ----------------------------------------------------------------- users and flows

    def user_view(self, user_id: int, base_url: str, *, full: bool = False) -> dict[str, Any]:
        with self._lock:
            user = self._user(user_id)
            if user is None:
                raise not_found()
            view = {
                "id": user["id"],
                "nick": user["nick"],
                "email": user["email"],
                "avatar": f"{base_url}/avatars/{user['id']}/",
                "name": user["name"],
                "website": user["website"],
            }
            if full:
                view.update(
                    status=user["status"],
                    disabled=False,
                    last_activity=self._last_ms or None,
                    last_ping=self._last_ms or None,
                )
            return view

    def users(self, principal: Principal, base_url: str) -> list[dict[str, Any]]:
        with self._lock:
            orgs = self._visible_org_ids(principal.user_id or 0)
            ids = sorted(
                {uid for f in self._data["flows"] if f["org_id"] in orgs for uid in f["member_ids"]}
            )
            return [self.user_view(uid, base_url) for uid in ids]

    def user(self, principal: Principal, user_id: int, base_url: str) -> dict[str, Any]:
        visible = {u["id"] for u in self.users(principal, base_url)}
        if user_id not in visible:
            raise not_found()
        return self.user_view(user_id, base_url)

    def flow_view(
        self, flow_id: str, base_url: str, *, user_id: int | None, users: bool
    ) -> dict[str, Any]:
        with self._lock:
            flow = self._flow(flow_id)
            if flow is None:
                raise not_found()
            org = self._org(flow["org_id"])
            org_users = {
                uid
                for f in self._data["flows"]
                if f["org_id"] == org["id"]
                for uid in f["member_ids"]
            }
            slug = f"{org['parameterized_name']}/{flow['parameterized_name']}"
            joined = user_id in flow["member_ids"]
            view: dict[str, Any] = {
                "id": flow["id"],
                "name": flow["name"],
                "parameterized_name": flow["parameterized_name"],
                "organization": {
                    "id": org["id"],
                    "name": org["name"],
                    "parameterized_name": org["parameterized_name"],
                    "user_limit": 0,
                    "user_count": len(org_users),
                    "active": True,
                    "url": f"{base_url}/organizations/{org['parameterized_name']}",
                },
                "unread_mentions": 0,
                "open": joined,
                "joined": joined,
                "url": f"{base_url}/flows/{slug}",
                "web_url": f"{base_url}/app/{slug}",
                "join_url": (
                    f"{base_url}/invitations/{flow['join_hash']}-{flow['parameterized_name']}"
                ),
                "access_mode": "organization",
                "links": {"sources": f"{base_url}/flows/{slug}/sources"},
            }
            if users:
                view["users"] = [
                    self.user_view(uid, base_url, full=True) for uid in flow["member_ids"]
                ]
            return view

    def flows(
        self, principal: Principal, base_url: str, *, all_flows: bool, users: bool
    ) -> list[dict[str, Any]]:
        with self._lock:
            uid = principal.user_id
            orgs = self._visible_org_ids(uid or 0)
            result = []
            for flow in self._data["flows"]:
                if flow["org_id"] not in orgs:
                    continue
                if not all_flows and uid not in flow["member_ids"]:
                    continue
                result.append(self.flow_view(flow["id"], base_url, user_id=uid, users=users))
            return result

    def user_flow(self, principal: Principal, flow_id: str | None, base_url: str) -> dict:
        with self._lock:
            flow = self._user_flow(principal, flow_id)
            return self.flow_view(flow["id"], base_url, user_id=principal.user_id, users=True)

    # ----------------------------------------------------------------- sources

    def source_view(self, source: Mapping[str, Any], base_url: str) -> dict[str, Any]:
        with self._lock:
            path = self.flow_path(source["flow_id"])
            app = self._app_by_id(source["application_id"])
            creator = self._user(source["creator_id"])
            application = None
            if app is not None:
                application = {
                    "id": app["id"],
                    "name": app["name"],
                    "icon_url": f"{base_url}/oauth/applications/{app['id']}/icon.png",
                    "url": f"{base_url}/oauth/applications/{app['id']}",
                    "configuration_uri": app.get("configuration_uri"),
                }
            configuration_url = source.get("configuration_url")
            if configuration_url is None and app is not None and app.get("configuration_uri"):
                source_url = f"{base_url}/flows/{path}/sources/{source['id']}"
                configuration_url = _fill_uri(
                    app["configuration_uri"],
                    {"source_id": str(source["id"]), "source_url": source_url},
                    {"integration_id": str(source["id"]), "flow": source["flow_id"]},
                )
            return {
                "id": source["id"],
                "name": source["name"],
                "url": f"{base_url}/flows/{path}/sources/{source['id']}",
                "external_url": source.get("external_url"),
                "created_at": iso(source["created_at"]),
                "updated_at": iso(source["updated_at"]),
                "error_message": source.get("error_message"),
                "configuration_url": configuration_url,
                "_links": {},
                "application": application,
                "creator": (
                    {
                        "id": creator["id"],
                        "avatar": f"{base_url}/avatars/{creator['id']}/",
                        "email": creator["email"],
                        "name": creator["name"],
                        "nick": creator["nick"],
                        "website": creator["website"],
                    }
                    if creator
                    else None
                ),
            }

    def create_source(
        self, principal: Principal, flow_id: str, data: Mapping[str, Any], base_url: str
    ) -> dict[str, Any]:
        """Create a source; the returned view is the only one that carries its flow_token."""
        with self._lock:
            principal.require_scope("integration")
            flow = self._user_flow(principal, flow_id)
            errors: dict[str, list[str]] = {}
            name_errors = validate_source_name(data.get("name"))
            if name_errors:
                errors["name"] = name_errors
            external_url = data.get("external_url")
            if external_url not in (None, "") and not isinstance(external_url, str):
                errors["external_url"] = ["must be text"]
            if errors:
                raise validation_error(errors)
            app = self._app_by_client(principal.client_id)
            counters = self._data["counters"]
            counters["source"] += 1
            now = self._now_ms()
            token = secrets.token_hex(16)
            source = {
                "id": counters["source"],
                "flow_id": flow["id"],
                "name": data["name"].strip(),
                "external_url": external_url or None,
                "flow_token_digest": digest(token),
                "application_id": app["id"] if app else None,
                "creator_id": principal.user_id,
                "created_at": now,
                "updated_at": now,
                "error_message": None,
                "configuration_url": None,
                "deleted": False,
            }
            self._data["sources"].append(source)
            self._save()
            view = self.source_view(source, base_url)
            view["flow_token"] = token
            return view

    def sources(
        self, principal: Principal, base_url: str, flow_id: str | None = None
    ) -> list[dict[str, Any]]:
        """Live sources of one flow, of every flow the user can see, or the flow_token's own."""
        with self._lock:
            if principal.kind == "source":
                source = self._source(principal.source_id or 0)
                return [self.source_view(source, base_url)] if source else []
            principal.require_scope("integration", "flow", "manage")
            if flow_id is not None:
                flow_ids = {self._user_flow(principal, flow_id)["id"]}
            else:
                orgs = self._visible_org_ids(principal.user_id or 0)
                flow_ids = {f["id"] for f in self._data["flows"] if f["org_id"] in orgs}
            return [
                self.source_view(s, base_url)
                for s in self._data["sources"]
                if s["flow_id"] in flow_ids and not s["deleted"]
            ]

    def _flow_source(self, principal: Principal, flow_id: str, source_id: int) -> dict:
        principal.require_scope("integration", "flow", "manage")
        flow = self._user_flow(principal, flow_id)
        source = self._source(source_id)
        if source is None or source["flow_id"] != flow["id"] or source["deleted"]:
            raise not_found()
        return source

    def source(
        self, principal: Principal, flow_id: str, source_id: int, base_url: str
    ) -> dict[str, Any]:
        with self._lock:
            return self.source_view(self._flow_source(principal, flow_id, source_id), base_url)

    def update_source(
        self,
        principal: Principal,
        data: Mapping[str, Any],
        base_url: str,
        flow_id: str | None = None,
        source_id: int | None = None,
    ) -> dict[str, Any]:
        """PUT a source's ``error_message`` ("" clears it) and ``configuration_url``."""
        with self._lock:
            if principal.kind == "source":
                source = self._source(principal.source_id or 0)
            else:
                source = self._flow_source(principal, flow_id or "", source_id or 0)
            if source is None:
                raise not_found()
            errors: dict[str, list[str]] = {}
            for key in ("error_message", "configuration_url"):
                if key in data:
                    value = data[key]
                    if value is not None and not isinstance(value, str):
                        errors[key] = ["must be text"]
                    else:
                        source[key] = value or None
            if errors:
                raise validation_error(errors)
            source["updated_at"] = self._now_ms()
            self._save()
            return self.source_view(source, base_url)

    def delete_source(self, principal: Principal, flow_id: str, source_id: int) -> None:
        """Remove a source; its flow_token answers 410 from now on."""
        with self._lock:
            source = self._flow_source(principal, flow_id, source_id)
            source["deleted"] = True
            self._save()

    def delete_source_by_id(self, source_id: int) -> bool:
        """The web page's Remove button (no API credentials there)."""
        with self._lock:
            source = self._source(source_id)
            if source is None or source["deleted"]:
                return False
            source["deleted"] = True
            self._save()
            return True

    def flow_sources(self, flow_id: str, base_url: str) -> list[dict[str, Any]]:
        with self._lock:
            return [
                self.source_view(s, base_url)
                for s in self._data["sources"]
                if s["flow_id"] == flow_id and not s["deleted"]
            ]

    # ----------------------------------------------------------------- messages

    def post_message(
        self,
        principal: Principal,
        data: Mapping[str, Any],
        *,
        flow_id: str | None = None,
        thread_id: str | None = None,
        parent_id: int | None = None,
    ) -> tuple[dict[str, Any], bool]:
        """Store a message (and update its thread). Returns (message view, newly created)."""
        with self._lock:
            if not isinstance(data, Mapping):
                raise validation_error({"base": ["must be an object"]})
            source = None
            if principal.kind == "source":
                # The flow_token decides the flow, whatever the URL says.
                source = self._source(principal.source_id or 0)
                if source is None:
                    raise unauthorized()
                flow = self._flow(source["flow_id"])
                if flow is None:
                    raise not_found()
            else:
                principal.require_scope("flow")
                target = flow_id or data.get("flow")
                if target is None or target == "":
                    raise validation_error({"flow": ["can't be blank"]})
                if not isinstance(target, str):
                    raise validation_error({"flow": ["must be a flow id"]})
                flow = self._user_flow(principal, target)
                if principal.user_id not in flow["member_ids"]:
                    raise ApiError(403, "You are not a member of this flow")

            errors = validate_message(
                data, thread_in_path=thread_id is not None, parent_in_path=parent_id is not None
            )
            if errors:
                raise validation_error(errors)
            event = data["event"]
            if event == "file":
                raise validation_error(
                    {"event": ["file messages are not supported by the sandbox"]}
                )

            messages: list[dict[str, Any]] = self._data["messages"].setdefault(flow["id"], [])
            uuid = _text(data.get("uuid"))
            if uuid:
                for existing in messages:
                    if existing.get("uuid") == uuid:
                        return self._message_view(existing), False

            thread = None
            given_thread = thread_id or _text(data.get("thread_id"))
            if given_thread:
                thread = self._thread(given_thread)
                if thread is None or thread["flow_id"] != flow["id"]:
                    if thread_id:
                        raise not_found()
                    raise validation_error({"thread_id": ["does not exist in this flow"]})

            tags = [t.strip() for t in (split_tags(data.get("tags")) or []) if isinstance(t, str)]
            if event == "comment":
                parent = parent_id if parent_id is not None else _to_int(data.get("message"))
                parent_message = next((m for m in messages if m["id"] == parent), None)
                if parent_message is None or parent_message["event"] == "comment":
                    raise validation_error({"message": ["must be an existing non-comment message"]})
                tags.append(f"influx:{parent}")
                if thread is None and parent_message.get("thread_id"):
                    thread = self._thread(parent_message["thread_id"])

            now = self._now_ms()
            if event in THREAD_EVENTS and thread is None:
                thread = self._find_or_create_thread(
                    flow, principal, source, _text(data.get("external_thread_id")) or "", now
                )
            if thread is not None:
                if event in THREAD_EVENTS and isinstance(data.get("thread"), Mapping):
                    _apply_thread_state(thread, data["thread"])
                if event == "activity":
                    thread["activities"] += 1
                elif event == "discussion":
                    thread["external_comments"] += 1
                else:
                    thread["internal_comments"] += 1
                thread["updated_at"] = now

            counters = self._data["counters"]["message"]
            counters[flow["id"]] = counters.get(flow["id"], 0) + 1
            message: dict[str, Any] = {
                "id": counters[flow["id"]],
                "event": event,
                "content": data.get("content") if event not in THREAD_EVENTS else "",
                "tags": tags,
                "uuid": uuid,
                "user": "0" if source else str(principal.user_id),
                "sent": now,
                "flow": flow["id"],
                "app": "influx" if (source or event in THREAD_EVENTS) else "chat",
                "attachments": [],
                "created_at": iso(now),
                "edited": None,
            }
            if event in THREAD_EVENTS:
                author = data["author"]
                message["author"] = {
                    k: author[k] for k in ("name", "avatar", "email") if author.get(k) is not None
                }
                message["title"] = sanitize_title(data["title"])
                message["body"] = sanitize_body(_text(data.get("body")) or "")
            if _text(data.get("external_user_name")):
                message["external_user_name"] = data["external_user_name"]
            if thread is not None:
                message["thread_id"] = thread["id"]
            messages.append(message)
            self._save()
            return self._message_view(message), True

    def _find_or_create_thread(
        self,
        flow: Mapping[str, Any],
        principal: Principal,
        source: Mapping[str, Any] | None,
        external_id: str,
        now: int,
    ) -> dict[str, Any]:
        # external_thread_id is unique per source; a user without a source gets its own space.
        owner = f"source:{source['id']}" if source else f"user:{principal.user_id}"
        for thread in self._data["threads"]:
            if (
                thread["flow_id"] == flow["id"]
                and thread["owner"] == owner
                and thread["external_thread_id"] == external_id
            ):
                return thread
        app = self._app_by_client(principal.client_id) if not source else None
        thread = {
            "id": secrets.token_urlsafe(20),
            "flow_id": flow["id"],
            "owner": owner,
            "external_thread_id": external_id,
            "source_id": source["id"] if source else None,
            "application_id": (source["application_id"] if source else (app or {}).get("id")),
            "title": "",
            "body": "",
            "external_url": None,
            "status": None,
            "fields": [],
            "actions": [],
            "activities": 0,
            "internal_comments": 0,
            "external_comments": 0,
            "created_at": now,
            "updated_at": now,
        }
        self._data["threads"].append(thread)
        return thread

    def thread_view(self, thread: Mapping[str, Any], base_url: str = "") -> dict[str, Any]:
        with self._lock:
            source_view = None
            source = self._source(thread["source_id"]) if thread.get("source_id") else None
            if source is not None:
                app = self._app_by_id(source["application_id"])
                source_view = {
                    "id": source["id"],
                    "icon": (
                        f"{base_url}/oauth/applications/{app['id']}/icon.png" if app else None
                    ),
                    "application": app["name"] if app else source["name"],
                }
            return {
                "id": thread["id"],
                "title": thread["title"],
                "body": thread["body"],
                "external_url": thread["external_url"],
                "status": thread["status"],
                "actions": copy.deepcopy(thread["actions"]),
                "fields": copy.deepcopy(thread["fields"]),
                "source": source_view,
                "activities": thread["activities"],
                "internal_comments": thread["internal_comments"],
                "external_comments": thread["external_comments"],
                "updated_at": iso(thread["updated_at"]),
                "created_at": iso(thread["created_at"]),
            }

    def _message_view(self, message: Mapping[str, Any]) -> dict[str, Any]:
        view = copy.deepcopy(dict(message))
        if message.get("thread_id"):
            thread = self._thread(message["thread_id"])
            if thread is not None:
                # Every message in a thread embeds the thread's current state.
                view["thread"] = self.thread_view(thread)
        return view

    def messages_by_uuid(self, uuid: str) -> list[dict[str, Any]]:
        """Every stored message with this uuid, across flows (tests check idempotency)."""
        with self._lock:
            return [
                self._message_view(m)
                for messages in self._data["messages"].values()
                for m in messages
                if m.get("uuid") == uuid
            ]

    def all_messages(self, flow_id: str) -> list[dict[str, Any]]:
        with self._lock:
            return [self._message_view(m) for m in self._data["messages"].get(flow_id, [])]

    def list_messages(
        self,
        principal: Principal,
        flow_id: str,
        params: Mapping[str, str],
        thread_id: str | None = None,
    ) -> list[dict[str, Any]]:
        """GET messages with Flowdock's filters; output ascending by id."""
        with self._lock:
            principal.require_scope("flow")
            flow = self._user_flow(principal, flow_id)
            if thread_id is not None:
                thread = self._thread(thread_id)
                if thread is None or thread["flow_id"] != flow["id"]:
                    raise not_found()
            errors: dict[str, list[str]] = {}
            limit = _int_param(params, "limit", MESSAGE_LIMIT_DEFAULT, errors)
            if limit is not None and not 1 <= limit <= MESSAGE_LIMIT_MAX:
                errors.setdefault("limit", []).append("must be between 1 and 100")
            since_id = _int_param(params, "since_id", None, errors)
            until_id = _int_param(params, "until_id", None, errors)
            if errors:
                raise validation_error(errors)
            items = list(self._data["messages"].get(flow["id"], []))
            if thread_id is not None:
                items = [m for m in items if m.get("thread_id") == thread_id]
            events = {e for e in params.get("event", "").split(",") if e}
            if events:
                items = [m for m in items if m["event"] in events]
            tags = {t.strip().lower() for t in params.get("tags", "").split(",") if t.strip()}
            if tags:
                mode_or = params.get("tag_mode") == "or"
                items = [m for m in items if (tags & _tagset(m) if mode_or else tags <= _tagset(m))]
            search = params.get("search", "").lower().split()
            if search:
                items = [m for m in items if all(w in _searchable(m) for w in search)]
            else:
                if since_id is not None:
                    items = [m for m in items if m["id"] > since_id]
                if until_id is not None:
                    items = [m for m in items if m["id"] < until_id]
            items.sort(key=lambda m: m["id"])
            count = limit or MESSAGE_LIMIT_DEFAULT
            items = items[:count] if params.get("sort") == "asc" else items[-count:]
            return [self._message_view(m) for m in items]

    def message(self, principal: Principal, flow_id: str, message_id: int) -> dict[str, Any]:
        with self._lock:
            principal.require_scope("flow")
            flow = self._user_flow(principal, flow_id)
            for message in self._data["messages"].get(flow["id"], []):
                if message["id"] == message_id:
                    return self._message_view(message)
            raise not_found()

    # ----------------------------------------------------------------- threads

    def list_threads(
        self, principal: Principal, flow_id: str, params: Mapping[str, str], base_url: str
    ) -> tuple[list[dict[str, Any]], int | None]:
        """Threads newest first by update time; returns (page, updated_at ms for next page)."""
        with self._lock:
            principal.require_scope("flow")
            flow = self._user_flow(principal, flow_id)
            errors: dict[str, list[str]] = {}
            bounds: dict[str, int] = {}
            for key in ("since", "until"):
                if params.get(key):
                    try:
                        bounds[key] = parse_iso(params[key])
                    except (ValueError, OverflowError):
                        errors[key] = ["must be an ISO-8601 time"]
            limit = _int_param(params, "limit", THREAD_PAGE_SIZE, errors)
            if limit is not None and not 1 <= limit <= MESSAGE_LIMIT_MAX:
                errors.setdefault("limit", []).append("must be between 1 and 100")
            if errors:
                raise validation_error(errors)
            items = [t for t in self._data["threads"] if t["flow_id"] == flow["id"]]
            if "since" in bounds:
                items = [t for t in items if t["updated_at"] > bounds["since"]]
            if "until" in bounds:
                items = [t for t in items if t["updated_at"] < bounds["until"]]
            application = params.get("application")
            if application == "chat":
                items = [t for t in items if t["application_id"] is None and not t["source_id"]]
            elif application == "inbox":
                items = [t for t in items if t["source_id"]]
            elif application:
                items = [t for t in items if str(t["application_id"]) == application]
            items.sort(key=lambda t: t["updated_at"], reverse=True)
            size = limit or THREAD_PAGE_SIZE
            page = items[:size]
            next_until = page[-1]["updated_at"] if len(items) > size else None
            return [self.thread_view(t, base_url) for t in page], next_until

    def thread(
        self, principal: Principal, flow_id: str, thread_id: str, base_url: str
    ) -> dict[str, Any]:
        with self._lock:
            principal.require_scope("flow")
            flow = self._user_flow(principal, flow_id)
            thread = self._thread(thread_id)
            if thread is None or thread["flow_id"] != flow["id"]:
                raise not_found()
            return self.thread_view(thread, base_url)

    def inbox(self, flow_id: str, base_url: str) -> list[dict[str, Any]]:
        """Threads of a flow, newest first, each with its last few messages (the web page)."""
        with self._lock:
            threads = sorted(
                (t for t in self._data["threads"] if t["flow_id"] == flow_id),
                key=lambda t: t["updated_at"],
                reverse=True,
            )
            messages = self._data["messages"].get(flow_id, [])
            result = []
            for thread in threads:
                view = self.thread_view(thread, base_url)
                recent = [m for m in messages if m.get("thread_id") == thread["id"]][-5:]
                view["recent"] = [copy.deepcopy(m) for m in reversed(recent)]
                result.append(view)
            return result


def _apply_thread_state(thread: dict[str, Any], state: Mapping[str, Any]) -> None:
    """Copy a validated ``thread`` object onto the stored thread, sanitising HTML."""
    if isinstance(state.get("title"), str):
        thread["title"] = sanitize_title(state["title"])
    if "body" in state:
        thread["body"] = sanitize_body(_text(state.get("body")) or "")
    if "external_url" in state:
        thread["external_url"] = _text(state.get("external_url"))
    if "status" in state:
        status = state.get("status")
        thread["status"] = (
            {"color": status["color"], "value": sanitize_title(status["value"])}
            if isinstance(status, Mapping)
            else None
        )
    if isinstance(state.get("fields"), list):
        thread["fields"] = [
            {"label": sanitize_title(f["label"]), "value": sanitize_title(f["value"])}
            for f in state["fields"]
            if isinstance(f, Mapping)
        ]
    if isinstance(state.get("actions"), list):
        thread["actions"] = [
            json.loads(json.dumps(a)) for a in state["actions"] if isinstance(a, Mapping)
        ]


def _fill_uri(template: str, values: Mapping[str, str], append: Mapping[str, str]) -> str:
    """Fill ``{name}`` placeholders when the template has any, else append query parameters."""
    if any("{" + key + "}" in template for key in values):
        result = template
        for key, value in values.items():
            result = result.replace("{" + key + "}", value)
        return result
    separator = "&" if "?" in template else "?"
    return template + separator + urlencode(append)


def _int_param(
    params: Mapping[str, str], key: str, default: int | None, errors: dict[str, list[str]]
) -> int | None:
    raw = params.get(key)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        errors.setdefault(key, []).append("must be a whole number")
        return default


def _to_int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _tagset(message: Mapping[str, Any]) -> set[str]:
    return {t.lower().lstrip("#") for t in message.get("tags", [])} | {
        t.lower() for t in message.get("tags", [])
    }


def _searchable(message: Mapping[str, Any]) -> str:
    parts = [message.get("content"), message.get("title"), message.get("body")]
    return " ".join(p for p in parts if isinstance(p, str)).lower()
