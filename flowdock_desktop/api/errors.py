"""The error hierarchy, and the one place that turns server answers into plain words.

Every error carries ``user_message``: what happened and what to do next, fit to show a person.
No message ever contains a token: errors are built from status codes and the server's JSON
``message``/``errors``, never from request URLs or headers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flowdock_desktop.api.validation import FieldErrors

if TYPE_CHECKING:
    import httpx


class FlowdockError(Exception):
    """Base of every error the API client raises."""

    #: HTTP status of the answer, when there was one.
    status: int | None = None

    def __init__(self, user_message: str, *, status: int | None = None) -> None:
        super().__init__(user_message)
        self.user_message = user_message
        if status is not None:
            self.status = status


class NetworkError(FlowdockError):
    """The server could not be reached, or the connection dropped before an answer."""


class ServerError(FlowdockError):
    """The server failed (5xx); ``retry_after`` is set when it said how long to wait."""

    def __init__(self, user_message: str, *, status: int | None = None, retry_after=None):
        super().__init__(user_message, status=status)
        self.retry_after: float | None = retry_after


class RateLimitedError(FlowdockError):
    """Too many requests (429); ``retry_after`` is the wait the server asked for, in seconds."""

    def __init__(self, user_message: str, *, retry_after: float | None, status: int = 429):
        super().__init__(user_message, status=status)
        self.retry_after = retry_after


class AuthenticationError(FlowdockError):
    """Credentials missing, wrong or expired (401)."""


class PermissionDeniedError(FlowdockError):
    """Signed in, but not allowed (403); ``missing_scope`` names an OAuth scope when known."""

    def __init__(self, user_message: str, *, missing_scope: str | None = None, status: int = 403):
        super().__init__(user_message, status=status)
        self.missing_scope = missing_scope


class NotFoundError(FlowdockError):
    """The flow, source, thread or message does not exist (404)."""


class GoneError(FlowdockError):
    """The source was removed in Flowdock (410): its flow token no longer works."""


class ValidationError(FlowdockError):
    """The server (or the local validator) rejected fields; ``field_errors`` names them."""

    def __init__(self, user_message: str, *, field_errors: FieldErrors, status: int | None = 400):
        super().__init__(user_message, status=status)
        self.field_errors = field_errors


RETRYABLE_ERRORS: tuple[type[FlowdockError], ...] = (NetworkError, ServerError, RateLimitedError)


def _json_body(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def parse_retry_after(value: str | None) -> float | None:
    """Seconds from a ``Retry-After`` header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    from datetime import UTC, datetime
    from email.utils import parsedate_to_datetime

    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def _server_words(body: dict[str, Any]) -> str:
    message = body.get("message") or body.get("error_description") or body.get("error")
    return str(message)[:300] if message else ""


def error_from_response(response: httpx.Response) -> FlowdockError:
    """Map a non-2xx answer to the error a person can act on."""
    status = response.status_code
    body = _json_body(response)
    said = _server_words(body)
    if status == 400 or status == 422:
        raw = body.get("errors")
        field_errors: FieldErrors = {}
        if isinstance(raw, dict):
            for field, messages in raw.items():
                if isinstance(messages, list):
                    field_errors[str(field)] = [str(m) for m in messages]
                else:
                    field_errors[str(field)] = [str(messages)]
        detail = "; ".join(f"{f} {', '.join(m)}" for f, m in field_errors.items())
        return ValidationError(
            "The server rejected the message: " + (detail or said or "invalid request") + ".",
            field_errors=field_errors,
            status=status,
        )
    if status == 401:
        return AuthenticationError(
            "The server did not accept your credentials. Sign in again.", status=status
        )
    if status == 403:
        scope = None
        if said.lower().startswith("missing scope"):
            scope = said.split(":", 1)[-1].strip() or None
        if scope:
            text = (
                f"Your sign-in does not allow this (it lacks the '{scope}' permission). "
                "Sign in again and grant it."
            )
        else:
            text = "You are not allowed to do this" + (f": {said}" if said else ".")
        return PermissionDeniedError(text, missing_scope=scope, status=status)
    if status == 404:
        return NotFoundError(
            "Not found: the flow, source or thread does not exist, or you cannot see it.",
            status=status,
        )
    if status == 410:
        return GoneError(
            "This integration was removed in Flowdock, so it can no longer post. "
            "Set it up again to keep posting.",
            status=status,
        )
    if status == 429:
        wait = parse_retry_after(response.headers.get("Retry-After"))
        after = f" Trying again in {wait:.0f} s." if wait is not None else ""
        return RateLimitedError(
            "The server is receiving too many requests." + after, retry_after=wait, status=status
        )
    if status >= 500:
        return ServerError(
            f"The server had a problem (HTTP {status}). Try again in a moment.",
            status=status,
            retry_after=parse_retry_after(response.headers.get("Retry-After")),
        )
    return FlowdockError(
        f"The server answered HTTP {status}" + (f": {said}" if said else "."), status=status
    )


def error_from_exception(exc: httpx.HTTPError) -> FlowdockError:
    """Map a transport failure (no answer) to ``NetworkError`` without leaking the URL."""
    import httpx

    if isinstance(exc, httpx.TimeoutException):
        text = "The server did not answer in time. Check your connection and try again."
    elif isinstance(exc, httpx.ConnectError):
        text = "Could not connect to the server. Check the address and your connection."
    elif isinstance(exc, httpx.RemoteProtocolError | httpx.ReadError | httpx.WriteError):
        text = "The connection dropped before the server answered. It will be tried again."
    else:
        text = "A network error stopped the request. Check your connection and try again."
    return NetworkError(text)
