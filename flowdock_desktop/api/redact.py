"""Hide secrets in headers, URLs and bodies before an exchange is shown or logged."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlsplit, urlunsplit

if TYPE_CHECKING:
    # Only for annotations: the composer imports this module on the GUI thread, and httpx
    # (with what its command line pulls in) loads on the worker that first sends.
    import httpx

REDACTED = "•••"

#: Header names whose whole value is a credential (compared case-insensitively).
SECRET_HEADERS = frozenset(
    {"authorization", "proxy-authorization", "cookie", "set-cookie", "flowdock-token"}
)

#: JSON keys, form fields and query parameters that hold secrets.
SECRET_FIELDS = frozenset(
    {
        "flow_token",
        "access_token",
        "refresh_token",
        "client_secret",
        "code_verifier",
        "password",
        "api_token",
    }
)


def _is_secret_field(name: Any) -> bool:
    return isinstance(name, str) and name.lower() in SECRET_FIELDS


def redact_headers(
    headers: httpx.Headers | Mapping[str, str] | Iterable[tuple[str, str]],
) -> list[tuple[str, str]]:
    """Header pairs in order, with credential headers replaced by "•••"."""
    multi_items = getattr(headers, "multi_items", None)
    if callable(multi_items):
        # httpx.Headers: multi_items keeps repeated headers (two Set-Cookie lines) as
        # separate pairs.
        pairs: Iterable[tuple[str, str]] = multi_items()
    elif isinstance(headers, Mapping):
        pairs = headers.items()
    else:
        pairs = headers
    return [
        (name, REDACTED if name.lower() in SECRET_HEADERS or _is_secret_field(name) else value)
        for name, value in pairs
    ]


def redact_json(value: Any) -> Any:
    """A copy of a JSON value with secret keys' values replaced, at any depth."""
    if isinstance(value, Mapping):
        return {
            key: (REDACTED if _is_secret_field(key) else redact_json(item))
            for key, item in value.items()
        }
    if isinstance(value, list | tuple):
        return [redact_json(item) for item in value]
    return value


def _redact_pairs(text: str) -> str:
    pairs = parse_qsl(text, keep_blank_values=True)
    if not pairs:
        return text
    # Rebuilt without percent-encoding so the log stays readable; it is never sent.
    return "&".join(
        f"{name}={REDACTED if _is_secret_field(name) else value}" for name, value in pairs
    )


def redact_url(url: httpx.URL | str) -> str:
    """The URL with credentials in the user-info part and secret query parameters hidden."""
    parts = urlsplit(str(url))
    netloc = parts.netloc
    if "@" in netloc:
        # A personal API token can sit in the URL as https://TOKEN@host.
        netloc = REDACTED + "@" + netloc.rsplit("@", 1)[1]
    query = _redact_pairs(parts.query) if parts.query else ""
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def redact_body(content: bytes | str, content_type: str | None) -> str:
    """A request or response body as display text, with secret fields hidden.

    JSON and form bodies are parsed and rebuilt; multipart bodies (uploads) are summarised
    because their parts could hold anything; other text is shown as it is.
    """
    if isinstance(content, bytes):
        if not content:
            return ""
        text = content.decode("utf-8", errors="replace")
    else:
        text = content
    kind = (content_type or "").split(";", 1)[0].strip().lower()
    if kind == "multipart/form-data":
        return f"<multipart body, {len(content)} bytes>"
    if kind == "application/x-www-form-urlencoded":
        return _redact_pairs(text)
    if kind.endswith("json") or (not kind and text.lstrip()[:1] in ("{", "[")):
        try:
            parsed = json.loads(text)
        except ValueError:
            return text
        return json.dumps(redact_json(parsed), indent=2, ensure_ascii=False)
    return text


__all__ = [
    "REDACTED",
    "SECRET_FIELDS",
    "SECRET_HEADERS",
    "redact_body",
    "redact_headers",
    "redact_json",
    "redact_url",
]
