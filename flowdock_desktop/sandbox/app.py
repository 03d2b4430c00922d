"""The sandbox ASGI application: route table, admin endpoints, path aliases, CORS and errors."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Match, Route, Router
from starlette.types import ASGIApp, Receive, Scope, Send

from flowdock_desktop import __version__
from flowdock_desktop.sandbox import api, oauth, pages, seed, stream
from flowdock_desktop.sandbox.api import read_body, sandbox_state
from flowdock_desktop.sandbox.config import SandboxConfig
from flowdock_desktop.sandbox.downloads import DownloadLinks
from flowdock_desktop.sandbox.faults import Fault, FaultInjector, FaultMiddleware
from flowdock_desktop.sandbox.guard import FormTokens, HostRule, RequestGuard
from flowdock_desktop.sandbox.hub import StreamHub
from flowdock_desktop.sandbox.state import ApiError, SandboxState, flows, messages
from flowdock_desktop.sandbox.state.grants import BrowserSessions

log = logging.getLogger(__name__)


class FlowdockPathMiddleware:
    """Accept Flowdock's path variants: ``/v1/...`` and ``....json`` name the same resources
    as the bare paths, so both are rewritten before anything else looks at the path."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            path: str = scope["path"]
            if path == "/v1" or path.startswith("/v1/"):
                path = path[3:] or "/"
            if path.endswith(".json") and len(path) > len("/.json"):
                path = path[: -len(".json")]
            if path != scope["path"]:
                scope = {**scope, "path": path, "raw_path": path.encode("utf-8")}
        await self.app(scope, receive, send)


class SegmentRouter(Router):
    """Starlette's router, trying only the routes that can match the path's first segment.

    Starlette tries every route in turn (about sixty before ``POST /messages``). A route
    whose path starts with a fixed segment (``/flows/...``) can only match paths starting
    with it, so trying just those routes, in the table's order, finds the same first full
    match. Everything else (405 for a known path, slash redirects, 404) is Starlette's own
    search over the whole table.
    """

    def __init__(self, routes: list[BaseRoute]) -> None:
        super().__init__(routes)
        keys = [_fixed_segment(route) for route in self.routes]
        anywhere = [route for route, key in zip(self.routes, keys, strict=True) if key is None]
        self._anywhere = anywhere
        self._by_segment = {
            key: [r for r, k in zip(self.routes, keys, strict=True) if k in (key, None)]
            for key in set(keys)
            if key is not None
        }

    async def app(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not scope.get("root_path"):
            segment = scope["path"][1:].partition("/")[0]
            for route in self._by_segment.get(segment, self._anywhere):
                match, child_scope = route.matches(scope)
                if match is Match.FULL:
                    scope.setdefault("router", self)
                    scope["route"] = route
                    scope.update(child_scope)
                    await route.handle(scope, receive, send)
                    return
        await super().app(scope, receive, send)


def _fixed_segment(route: BaseRoute) -> str | None:
    """The first segment of a plain route's path when it holds no parameter, else None."""
    path = getattr(route, "path", None)
    if not isinstance(route, Route) or not isinstance(path, str) or not path.startswith("/"):
        return None
    segment = path[1:].partition("/")[0]
    return None if "{" in segment else segment


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
    wanted = request.query_params.get("flow", "")

    def work(tx):
        flow_id = flows.by_path_or_id(tx, wanted)
        if flow_id is None:
            raise ApiError(404, "Not found: give flow=org/flow or a flow id")
        return messages.in_flow(tx, flow_id)

    return JSONResponse(await sandbox_state(request).call(work))


async def reset(request: Request) -> Response:
    await run_in_threadpool(sandbox_state(request).reset)
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


def create_app(config: SandboxConfig | None = None, *, host: str | None = None) -> Starlette:
    """A fresh sandbox app; ``app.state.sandbox`` is its ``SandboxState``, ``app.state.hub``
    its stream hub.

    ``host``: the address it will be served on, which is then a ``Host`` it answers to.
    Raises DataFileError when the configured data file cannot be used.
    """
    config = config or SandboxConfig()
    state = SandboxState(config)
    injector = FaultInjector(latency_ms=config.latency_ms)
    exception_handlers: Mapping[Any, Any] = {
        ApiError: _api_error,
        HTTPException: _http_error,
        Exception: _unexpected,
    }
    app = Starlette(exception_handlers=exception_handlers)
    app.router = SegmentRouter(
        [*admin_routes, *oauth.routes, *pages.routes, *stream.routes, *api.routes]
    )
    app.state.sandbox = state
    app.state.faults = injector
    app.state.form_tokens = FormTokens()
    app.state.page_sessions = BrowserSessions(config.session_ttl)
    # Every stored message reaches the streams through the hub, and only through it.
    hub = StreamHub(
        queue_limit=config.stream_queue_limit,
        max_streams=config.max_streams,
        max_streams_per_client=config.max_streams_per_client,
        keepalive=config.stream_keepalive,
        presence_interval=config.presence_interval,
    )
    state.listen(hub.announce, hub.listening)
    app.state.hub = hub
    app.state.downloads = DownloadLinks(config.download_url_ttl)
    # Added innermost first. Outermost: path aliases, then faults (a dropped connection
    # needs uvicorn's own receive), then the guard (Host, same-origin rules, CORS, body
    # limits), then Starlette's own stack.
    app.add_middleware(
        RequestGuard,
        hosts=HostRule(host, config.allowed_hosts),
        max_body_bytes=config.max_body_bytes,
        max_upload_bytes=config.max_upload_bytes,
        body_timeout=config.body_timeout,
    )
    app.add_middleware(FaultMiddleware, injector=injector)
    app.add_middleware(FlowdockPathMiddleware)
    return app
