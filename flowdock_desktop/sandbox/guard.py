"""What keeps web pages elsewhere and oversized or stalled requests from harming the sandbox.

- ``RequestGuard`` (ASGI middleware, outermost): refuses a ``Host`` the sandbox is not
  known by (DNS rebinding); keeps the admin API and the web pages same-origin only (no CORS,
  cross-site writes refused) while the API keeps Flowdock's CORS, without credentials;
  bodies larger than the limit (a larger one for multipart file uploads) answer 413 while
  they are read, before any authentication;
  a body that stalls answers 408.
- ``FormTokens``: the CSRF tokens the web pages' forms carry.

Connection-level limits (header timeout, connections per client) are in ``connections``.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import ipaddress
import json
import secrets
import time
from collections.abc import Iterable, Mapping
from typing import Any

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from flowdock_desktop.sandbox.state import ApiError

CORS_METHODS = "POST, PUT, PATCH, DELETE, GET, OPTIONS"
LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1")
UNSAFE_METHODS = ("POST", "PUT", "PATCH", "DELETE")


def is_same_origin_only(path: str) -> bool:
    """The admin API and the web pages: never for other sites' scripts or forms.

    ``POST /oauth/applications`` (registration with credentials) and ``/oauth/token`` are
    API, as in Flowdock; the other ``/oauth/...`` paths are the sign-in and developer pages.
    """
    if path in ("/", "/oauth/applications", "/oauth/token"):
        return path == "/"
    return path.startswith(("/sandbox", "/app/", "/oauth/"))


def _host_name(host_header: str) -> str:
    """The name in a ``Host`` header, without port or IPv6 brackets, lower-cased."""
    host = host_header.strip().lower()
    if host.startswith("["):
        return host[1 : host.find("]")] if "]" in host else host[1:]
    name, _, _port = host.rpartition(":") if host.count(":") == 1 else (host, "", "")
    return name


class HostRule:
    """Which ``Host`` names the sandbox answers to.

    Loopback names, any IP address (a DNS-rebinding page can only send its own host name),
    the host the sandbox is bound to, and the names given with ``--allow-host``.
    """

    def __init__(self, bound_host: str | None = None, allowed: Iterable[str] = ()) -> None:
        names = {n.lower().strip("[]") for n in allowed if n}
        if bound_host and bound_host not in ("0.0.0.0", "::", ""):
            names.add(bound_host.lower().strip("[]"))
        self.names = frozenset(names)

    def allows(self, host_header: str | None) -> bool:
        if host_header is None:
            return True  # HTTP/1.0 without Host: not something a browser sends
        name = _host_name(host_header)
        if name in LOOPBACK_NAMES or name.endswith(".localhost") or name in self.names:
            return True
        try:
            ipaddress.ip_address(name)
        except ValueError:
            return False
        return True


def _headers(scope: Scope) -> dict[bytes, bytes]:
    return {key.lower(): value for key, value in scope.get("headers", [])}


async def _send_json(send: Send, status: int, body: Mapping[str, Any], **headers: str) -> None:
    payload = json.dumps(body).encode("utf-8")
    raw = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(payload)).encode("ascii")),
    ]
    raw += [(k.encode("ascii"), v.encode("latin-1")) for k, v in headers.items()]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": payload})


class BodyTooLarge(ApiError):
    def __init__(self, limit: int, what: str = "The request body") -> None:
        super().__init__(
            413,
            f"{what} is larger than {limit // (1024 * 1024)} MB",
            headers={"Connection": "close"},
        )


def is_multipart(content_type: str | bytes | None) -> bool:
    """True for a ``multipart/form-data`` body (file uploads)."""
    if isinstance(content_type, bytes):
        content_type = content_type.decode("latin-1")
    return (content_type or "").strip().lower().startswith("multipart/form-data")


class BodyTimeout(ApiError):
    def __init__(self) -> None:
        super().__init__(
            408, "The request body took too long to arrive", headers={"Connection": "close"}
        )


class RequestGuard:
    """Host check, same-origin rules, CORS, body size and body time limits (see module)."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        hosts: HostRule,
        max_body_bytes: int,
        body_timeout: float,
        max_upload_bytes: int | None = None,
    ) -> None:
        self.app = app
        self.hosts = hosts
        self.max_body_bytes = max_body_bytes
        #: Multipart bodies (file uploads) may be larger than JSON and form bodies.
        self.max_upload_bytes = max_upload_bytes or max_body_bytes
        self.body_timeout = body_timeout

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = _headers(scope)
        host = headers.get(b"host")
        if not self.hosts.allows(None if host is None else host.decode("latin-1")):
            await _send_json(
                send,
                400,
                {"message": "Unknown host name: this sandbox answers to localhost, IP "
                 "addresses and the names it was started with (--allow-host)"},
            )  # fmt: skip
            return
        path: str = scope["path"]
        method: str = scope["method"]
        origin = headers.get(b"origin")
        if is_same_origin_only(path):
            if method in UNSAFE_METHODS and _cross_site(scope, headers):
                await _send_json(send, 403, {"message": "Not allowed from another site's page"})
                return
            if method == "OPTIONS" and origin is not None:
                await send({"type": "http.response.start", "status": 204,
                            "headers": [(b"content-length", b"0")]})  # fmt: skip
                await send({"type": "http.response.body", "body": b""})
                return
            origin = None  # no CORS headers for pages and the admin API
        elif method == "OPTIONS" and origin is not None:
            await self._preflight(send, origin, headers)
            return
        if is_multipart(headers.get(b"content-type")):
            limit = self.max_upload_bytes
            too_large = BodyTooLarge(limit, "The upload")
        else:
            limit = self.max_body_bytes
            too_large = BodyTooLarge(limit)
        length = headers.get(b"content-length")
        if length is not None and length.strip().isdigit() and int(length) > limit:
            await _send_json(send, 413, too_large.body(), Connection="close")
            return
        receive = self._limited(receive, limit, too_large)
        if origin is not None:
            send = _with_cors(send, origin)
        await self.app(scope, receive, send)

    async def _preflight(self, send: Send, origin: bytes, headers: Mapping[bytes, bytes]) -> None:
        raw = [
            (b"access-control-allow-origin", origin),
            (b"access-control-allow-methods", CORS_METHODS.encode("ascii")),
            (b"access-control-max-age", b"600"),
            (b"vary", b"Origin"),
            (b"content-length", b"0"),
        ]
        requested = headers.get(b"access-control-request-headers")
        if requested:
            raw.append((b"access-control-allow-headers", requested))
        await send({"type": "http.response.start", "status": 204, "headers": raw})
        await send({"type": "http.response.body", "body": b""})

    def _limited(self, receive: Receive, limit: int, too_large: ApiError) -> Receive:
        """``receive`` that stops a body past the size limit or past the time limit."""
        deadline = time.monotonic() + self.body_timeout
        state = {"read": 0, "done": False}

        async def guarded() -> Message:
            if state["done"]:
                return await receive()
            remaining = deadline - time.monotonic()
            try:
                async with asyncio.timeout(max(remaining, 0.001)):
                    message = await receive()
            except TimeoutError:
                raise BodyTimeout() from None
            if message["type"] == "http.request":
                state["read"] += len(message.get("body", b""))
                if state["read"] > limit:
                    raise too_large
                if not message.get("more_body", False):
                    state["done"] = True
            return message

        return guarded


def _cross_site(scope: Scope, headers: Mapping[bytes, bytes]) -> bool:
    """True when a browser says the request comes from another site's page."""
    fetch_site = headers.get(b"sec-fetch-site", b"").lower()
    if fetch_site in (b"cross-site", b"same-site"):
        return True
    origin = headers.get(b"origin")
    if origin is None:
        return False
    host = headers.get(b"host", b"").decode("latin-1").lower()
    scheme = scope.get("scheme", "http")
    return origin.decode("latin-1").lower() != f"{scheme}://{host}"


def _with_cors(send: Send, origin: bytes) -> Send:
    async def send_with_cors(message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = list(message.get("headers", []))
            headers.append((b"access-control-allow-origin", origin))
            headers.append((b"vary", b"Origin"))
            message = {**message, "headers": headers}
        await send(message)

    return send_with_cors


def is_browser(request: Request) -> bool:
    """True when the request carries what every current browser sends with a form post."""
    headers = request.headers
    return any(name in headers for name in ("origin", "referer", "sec-fetch-site"))


class FormTokens:
    """CSRF tokens for the web pages' forms: an HMAC of the form's action (and the sign-in
    session, when there is one) under a key made at start, so a token is useless elsewhere
    and after a restart."""

    FIELD = "csrf"

    def __init__(self) -> None:
        self._key = secrets.token_bytes(32)

    def token(self, action: str, session: str = "") -> str:
        message = f"{action}\n{session}".encode()
        return hmac.new(self._key, message, hashlib.sha256).hexdigest()

    def valid(
        self,
        request: Request,
        form: Mapping[str, Any],
        action: str,
        session: str = "",
        *,
        required: bool = False,
    ) -> bool:
        """The form's token is right; a form without one passes only when not ``required``
        and not from a browser (scripts and curl cannot be made to post by another site)."""
        given = form.get(self.FIELD)
        if not isinstance(given, str):
            return not required and not is_browser(request)
        return hmac.compare_digest(given, self.token(action, session))
