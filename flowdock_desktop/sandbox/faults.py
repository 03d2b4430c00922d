"""Faults on demand: latency, error statuses, rate limits and dropped connections."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send

ADMIN_PREFIX = "/sandbox"

_STATUS_MESSAGES = {
    429: "Rate limit exceeded",
    500: "Internal server error (sandbox fault)",
    502: "Bad gateway (sandbox fault)",
    503: "Service unavailable (sandbox fault)",
    504: "Gateway timeout (sandbox fault)",
}


class ConnectionDropped(Exception):
    """Raised in-process (no socket to cut) when a ``drop`` fault fires."""


@dataclass
class Fault:
    """One armed fault: applies to the next ``count`` requests whose path matches."""

    count: int
    latency_ms: int = 0
    status: int | None = None
    retry_after: float | None = None
    drop: bool = False
    path_prefix: str | None = None

    def matches(self, path: str) -> bool:
        if self.path_prefix is None:
            return not _is_admin(path)
        return path.startswith(self.path_prefix)

    def describe(self) -> dict[str, Any]:
        return {
            "count": self.count,
            "latency_ms": self.latency_ms,
            "status": self.status,
            "retry_after": self.retry_after,
            "drop": self.drop,
            "path_prefix": self.path_prefix,
        }

    @classmethod
    def from_json(cls, data: Any) -> Fault:
        """Parse the admin body; ValueError with a plain-words reason when it is wrong."""
        if not isinstance(data, Mapping):
            raise ValueError("body must be a JSON object")
        count = data.get("count", 1)
        if isinstance(count, bool) or not isinstance(count, int) or count < 1:
            raise ValueError("count must be a positive whole number")
        latency = data.get("latency_ms") or 0
        if isinstance(latency, bool) or not isinstance(latency, int) or not 0 <= latency <= 60000:
            raise ValueError("latency_ms must be a whole number from 0 to 60000")
        status = data.get("status")
        if status is not None and (
            isinstance(status, bool) or not isinstance(status, int) or not 400 <= status <= 599
        ):
            raise ValueError("status must be an HTTP error status (400-599)")
        retry_after = data.get("retry_after")
        if retry_after is not None and (
            isinstance(retry_after, bool)
            or not isinstance(retry_after, int | float)
            or retry_after < 0
        ):
            raise ValueError("retry_after must be a number of seconds")
        drop = data.get("drop", False)
        if not isinstance(drop, bool):
            raise ValueError("drop must be true or false")
        prefix = data.get("path_prefix")
        if prefix is not None and (not isinstance(prefix, str) or not prefix.startswith("/")):
            raise ValueError("path_prefix must be a path starting with /")
        if status is None and not drop and not latency:
            raise ValueError("give at least one of status, drop or latency_ms")
        return cls(count, latency, status, retry_after, drop, prefix)


def _is_admin(path: str) -> bool:
    return path == ADMIN_PREFIX or path.startswith(ADMIN_PREFIX + "/")


class FaultInjector:
    """The armed faults plus a constant latency; thread-safe so tests can arm them directly."""

    def __init__(self, latency_ms: int = 0) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []
        self.latency_ms = latency_ms

    def add(self, fault: Fault) -> None:
        with self._lock:
            self._faults.append(fault)

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def pending(self) -> list[dict[str, Any]]:
        with self._lock:
            return [f.describe() for f in self._faults]

    def take(self, path: str) -> Fault | None:
        """The first armed fault matching ``path``, spending one of its uses."""
        with self._lock:
            for fault in self._faults:
                if fault.matches(path):
                    fault.count -= 1
                    if fault.count <= 0:
                        self._faults.remove(fault)
                    return fault
            return None


class FaultMiddleware:
    """ASGI middleware applying faults before the request reaches the routes."""

    def __init__(self, app: ASGIApp, injector: FaultInjector) -> None:
        self.app = app
        self.injector = injector

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope["path"]
        if self.injector.latency_ms and not _is_admin(path):
            await asyncio.sleep(self.injector.latency_ms / 1000)
        fault = self.injector.take(path)
        if fault is None:
            await self.app(scope, receive, send)
            return
        if fault.latency_ms:
            await asyncio.sleep(fault.latency_ms / 1000)
        if fault.drop:
            await _drop_connection(receive)
            return
        if fault.status is not None:
            body = json.dumps({"message": _STATUS_MESSAGES.get(fault.status, "Sandbox fault")})
            headers = [(b"content-type", b"application/json")]
            if fault.retry_after is not None:
                value = fault.retry_after
                text = str(int(value)) if float(value).is_integer() else str(value)
                headers.append((b"retry-after", text.encode("ascii")))
            headers.append((b"content-length", str(len(body)).encode("ascii")))
            await send({"type": "http.response.start", "status": fault.status, "headers": headers})
            await send({"type": "http.response.body", "body": body.encode("utf-8")})
            return
        await self.app(scope, receive, send)


async def _drop_connection(receive: Receive) -> None:
    """Close the TCP connection without any response.

    Raising from the app is not enough: uvicorn would then answer 500. Its ``receive`` is a
    bound method of the request cycle, which holds the asyncio transport; aborting that
    transport resets the socket, and uvicorn notices the disconnect and sends nothing.
    """
    cycle = getattr(receive, "__self__", None)
    transport = getattr(cycle, "transport", None)
    if transport is None or not hasattr(transport, "abort"):
        raise ConnectionDropped("sandbox fault: connection dropped")
    transport.abort()
    # Let connection_lost run so uvicorn marks the cycle disconnected before we return.
    for _ in range(10):
        if getattr(cycle, "disconnected", False):
            break
        await asyncio.sleep(0)
