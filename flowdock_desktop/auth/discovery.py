"""Recognise the local sandbox and read its demo application (``GET /sandbox``)."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import httpx

from flowdock_desktop.api.http import create_http_client

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DemoApplication:
    """The sandbox's pre-registered OAuth application (its secret is hidden from repr)."""

    client_id: str
    client_secret: str = field(repr=False)
    redirect_uri: str
    loopback_any_port: bool = False


def discover_sandbox(
    api_url: str,
    *,
    timeout: float = 5.0,
    transport: httpx.BaseTransport | None = None,
) -> DemoApplication | None:
    """The demo application when ``api_url`` is a Flowdock Desktop sandbox, else None.

    Any failure (unreachable, not a sandbox, unexpected answer) gives None: callers then ask
    the person for their own application's credentials.
    """
    try:
        with create_http_client(api_url, timeout=timeout, transport=transport) as client:
            response = client.get("/sandbox")
        data = response.json() if response.status_code == 200 else None
    except (httpx.HTTPError, ValueError) as exc:
        log.debug("sandbox discovery failed: %s", type(exc).__name__)
        return None
    if not isinstance(data, dict) or data.get("sandbox") is not True:
        return None
    demo = data.get("demo_application")
    if not isinstance(demo, dict):
        return None
    values = [demo.get(k) for k in ("client_id", "client_secret", "redirect_uri")]
    if not all(isinstance(v, str) and v for v in values):
        return None
    return DemoApplication(
        client_id=demo["client_id"],
        client_secret=demo["client_secret"],
        redirect_uri=demo["redirect_uri"],
        loopback_any_port=demo.get("loopback_any_port") is True,
    )
