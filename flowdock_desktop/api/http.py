"""The one factory for HTTP clients: timeouts, user agent and proxy settings live here."""

from __future__ import annotations

import platform
import ssl
from collections.abc import Callable, Mapping, Sequence
from functools import lru_cache
from typing import Any

import httpx

from flowdock_desktop import __version__

USER_AGENT = f"flowdock-desktop/{__version__} (Python {platform.python_version()})"

#: Connect quickly or give up; allow the server a while to answer a message post.
DEFAULT_TIMEOUT = httpx.Timeout(connect=5.0, read=30.0, write=30.0, pool=5.0)


@lru_cache(maxsize=1)
def shared_ssl_context() -> ssl.SSLContext:
    """One TLS context (CA bundle, SSL_CERT_FILE/SSL_CERT_DIR) for every client.

    Building a context loads the whole CA bundle: about 25 ms, under the GIL. Creating it
    once instead of per client keeps that cost off every request and off the GUI thread.
    """
    return httpx.create_ssl_context(trust_env=True)


def client_options(
    *,
    timeout: httpx.Timeout | float | None = None,
    headers: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """Keyword arguments shared by every ``httpx.Client`` the app creates.

    Exposed separately so that clients constructed by libraries (Authlib's OAuth2Client
    subclasses ``httpx.Client``) get exactly the same settings.
    """
    merged = {"User-Agent": USER_AGENT, "Accept": "application/json"}
    if headers:
        merged.update(headers)
    return {
        "timeout": DEFAULT_TIMEOUT if timeout is None else timeout,
        "headers": merged,
        # Proxies and CA bundles from HTTP(S)_PROXY / NO_PROXY / SSL_CERT_FILE, as users expect.
        "trust_env": True,
        "verify": shared_ssl_context(),
        "follow_redirects": False,
    }


def create_http_client(
    base_url: str = "",
    *,
    auth: httpx.Auth | None = None,
    timeout: httpx.Timeout | float | None = None,
    transport: httpx.BaseTransport | None = None,
    event_hooks: Mapping[str, Sequence[Callable[..., Any]]] | None = None,
    headers: Mapping[str, str] | None = None,
) -> httpx.Client:
    """A configured ``httpx.Client``; the caller closes it (use it as a context manager)."""
    options = client_options(timeout=timeout, headers=headers)
    return httpx.Client(
        base_url=base_url.rstrip("/"),
        auth=auth,
        transport=transport,
        event_hooks={k: list(v) for k, v in (event_hooks or {}).items()},
        **options,
    )
