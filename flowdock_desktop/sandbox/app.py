"""The sandbox ASGI application: route table, admin endpoints, path aliases, CORS and errors."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from flowdock_desktop import __version__
from flowdock_desktop.sandbox import api, oauth, pages, seed
from flowdock_desktop.sandbox.api import read_body, sandbox_state
from flowdock_desktop.sandbox.faults import Fault, FaultInjector, FaultMiddleware
from flowdock_desktop.sandbox.state import ApiError, SandboxConfig, SandboxState

log = logging.getLogger(__name__)

CORS_METHODS = "POST, PUT, PATCH, DELETE, GET, OPTIONS"


class FlowdockPathMiddleware:
    """Accept Flowdock's path variants and answer CORS.

    ``/v1/...`` and ``....json`` name the same resources as the bare paths, so both are
    rewritten before routing (and before faults match their ``path_prefix``). Preflight
    ``OPTIONS`` requests echo the ``Origin``, as Flowdock documented.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        if path == "/v1" or path.startswith("/v1/"):
            path = path[3:] or "/"
        if path.endswith(".json") and len(path) > len("/.json"):
            path = path[: -len(".json")]
        if path != scope["path"]:
            scope = {**scope, "path": path, "raw_path": path.encode("utf-8")}
        origin = _header(scope, b"origin")
        if scope["method"] == "OPTIONS" and origin is not None:
            requested = _header(scope, b"access-control-request-headers") or ""
            headers = [
                (b"access-control-allow-origin", origin.encode("latin-1")),
                (b"access-control-allow-methods", CORS_METHODS.encode("ascii")),
                (b"access-control-allow-credentials", b"true"),
                (b"access-control-max-age", b"600"),
                (b"vary", b"Origin"),
                (b"content-length", b"0"),
            ]
            if requested:
                headers.append((b"access-control-allow-headers", requested.encode("latin-1")))
            await send({"type": "http.response.start", "status": 204, "headers": headers})
            await send({"type": "http.response.body", "body": b""})
            return
        if origin is None:
            await self.app(scope, receive, send)
            return

        async def send_with_cors(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers.append((b"access-control-allow-origin", origin.encode("latin-1")))
                headers.append((b"access-control-allow-credentials", b"true"))
                headers.append((b"vary", b"Origin"))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_cors)


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return value.decode("latin-1")
    return None


# ---------------------------------------------------------------------- admin endpoints


def discovery(request: Request) -> dict[str, Any]:
    return {
        "sandbox": True,
        "name": "Flowdock Desktop sandbox",
        "version": __version__,
        "base_url": api.base_url(request),
        "demo_application": {
            "client_id": seed.DEMO_CLIENT_ID,
            "client_secret": seed.DEMO_CLIENT_SECRET,
            "redirect_uri": seed.DEMO_REDIRECT_URI,
            "loopback_any_port": True,
        },
        "demo_user": {
            "email": seed.DEMO_EMAIL,
            "password": seed.DEMO_PASSWORD,
            "api_token": seed.DEMO_API_TOKEN,
        },
    }


async def sandbox_info(request: Request) -> Response:
    return JSONResponse(discovery(request))


def _injector(request: Request) -> FaultInjector:
    return request.app.state.faults


async def add_fault(request: Request) -> Response:
    body = await read_body(request)
    try:
        fault = Fault.from_json(body)
    except ValueError as exc:
        raise ApiError(400, f"Bad fault: {exc}") from exc
    _injector(request).add(fault)
    return JSONResponse({"faults": _injector(request).pending()}, status_code=201)


async def list_faults(request: Request) -> Response:
    return JSONResponse({"faults": _injector(request).pending()})


async def clear_faults(request: Request) -> Response:
    _injector(request).clear()
    return Response(status_code=204)


async def stored_messages(request: Request) -> Response:
    state = sandbox_state(request)
    wanted = request.query_params.get("flow", "")
    flow_id = None
    if "/" in wanted:
        org, _, flow = wanted.partition("/")
        flow_id = state.find_flow_by_path(org, flow)
    elif wanted in state.flow_ids():
        flow_id = wanted
    if flow_id is None:
        raise ApiError(404, "Not found: give flow=org/flow or a flow id")
    return JSONResponse(state.all_messages(flow_id))


async def reset(request: Request) -> Response:
    sandbox_state(request).reset()
    _injector(request).clear()
    return JSONResponse({"reset": True})


admin_routes: list[BaseRoute] = [
    Route("/sandbox", sandbox_info, methods=["GET"]),
    Route("/sandbox/faults", add_fault, methods=["POST"]),
    Route("/sandbox/faults", list_faults, methods=["GET"]),
    Route("/sandbox/faults", clear_faults, methods=["DELETE"]),
    Route("/sandbox/messages", stored_messages, methods=["GET"]),
    Route("/sandbox/reset", reset, methods=["POST"]),
]


# ---------------------------------------------------------------------- errors


async def _api_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    return JSONResponse(exc.body(), status_code=exc.status, headers=exc.headers)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    message = {404: "Not found", 405: "Method not allowed"}.get(exc.status_code, exc.detail)
    return JSONResponse({"message": message}, status_code=exc.status_code, headers=exc.headers)


async def _unexpected(request: Request, exc: Exception) -> Response:
    # A bug, not bad input; logged with its type only so request data never reaches logs.
    log.error("sandbox error on %s %s: %s", request.method, request.url.path, type(exc).__name__)
    return JSONResponse({"message": "Internal server error"}, status_code=500)


def create_app(config: SandboxConfig | None = None) -> Starlette:
    """A fresh sandbox app; ``app.state.sandbox`` is its ``SandboxState``."""
    config = config or SandboxConfig()
    state = SandboxState(config)
    injector = FaultInjector(latency_ms=config.latency_ms)
    exception_handlers: Mapping[Any, Any] = {
        ApiError: _api_error,
        HTTPException: _http_error,
        Exception: _unexpected,
    }
    app = Starlette(
        routes=[*admin_routes, *oauth.routes, *pages.routes, *api.routes],
        exception_handlers=exception_handlers,
    )
    app.state.sandbox = state
    app.state.faults = injector
    # Outermost first: path aliases and CORS, then faults, then Starlette's own stack.
    app.add_middleware(FaultMiddleware, injector=injector)
    app.add_middleware(FlowdockPathMiddleware)
    return app
