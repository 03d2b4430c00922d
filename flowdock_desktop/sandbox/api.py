"""REST routes of the sandbox: users, flows, sources, messages and threads."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from typing import Any

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from flowdock_desktop.sandbox.state import (
    ApiError,
    Principal,
    SandboxState,
    iso,
    not_found,
    unauthorized,
)

# ---------------------------------------------------------------------- request helpers


def sandbox_state(request: Request) -> SandboxState:
    return request.app.state.sandbox


def base_url(request: Request) -> str:
    return str(request.base_url).rstrip("/")


async def read_body(request: Request) -> Any:
    """The request body as JSON or as (Rails-style nested) form fields; {} when empty."""
    content_type = request.headers.get("content-type", "").lower()
    if "multipart/form-data" in content_type or "x-www-form-urlencoded" in content_type:
        try:
            form = await request.form()
        except Exception as exc:  # python-multipart raises several types for bad bodies
            raise ApiError(400, "Could not read the form body") from exc
        return nest_form(form)
    raw = await request.body()
    if not raw.strip():
        return {}
    try:
        return json.loads(raw)
    except (ValueError, RecursionError) as exc:
        raise ApiError(400, "The body is not valid JSON") from exc


def nest_form(form: FormData | Mapping[str, Any]) -> dict[str, Any]:
    """Turn ``thread[status][color]=red`` and ``tags[]=a`` fields into nested data."""
    result: dict[str, Any] = {}
    items = form.multi_items() if isinstance(form, FormData) else form.items()
    for key, value in items:
        if not isinstance(value, str):
            continue  # uploads are not supported
        head, _, rest = key.partition("[")
        parts = [head] + ([p.rstrip("]") for p in rest.split("[")] if rest else [])
        _assign(result, parts, value)
    return result


def _assign(container: Any, parts: list[str], value: str) -> None:
    key, rest = parts[0], parts[1:]
    if isinstance(container, list):
        if not rest:
            container.append(value)
            return
        # fields[][label]=a&fields[][value]=b: start a new item when the key repeats.
        if not container or not isinstance(container[-1], dict) or rest[0] in container[-1]:
            container.append({})
        _assign(container[-1], rest, value)
        return
    if not isinstance(container, dict):
        return
    if not rest:
        container[key] = value
        return
    child = container.get(key)
    if child is None or not isinstance(child, dict | list):
        child = [] if rest[0] == "" else {}
        container[key] = child
    if isinstance(child, list):
        _assign(child, rest if rest[0] == "" else ["", *rest], value)
    else:
        _assign(child, rest, value)


def authenticate(request: Request, body: Any = None, *, flow_token: bool = False) -> Principal:
    """The caller: flow_token (where allowed), Bearer, ``access_token`` or HTTP Basic."""
    state = sandbox_state(request)
    if flow_token:
        token = request.query_params.get("flow_token")
        if token is None and isinstance(body, Mapping):
            token = body.get("flow_token")
        if token is not None:
            if not isinstance(token, str) or not token:
                raise unauthorized()
            return state.authenticate(flow_token=token)
    header = request.headers.get("authorization", "")
    scheme, _, credentials = header.partition(" ")
    if scheme.lower() == "bearer" and credentials.strip():
        return state.authenticate(bearer=credentials.strip())
    if scheme.lower() == "basic" and credentials.strip():
        try:
            decoded = base64.b64decode(credentials.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError) as exc:
            raise unauthorized() from exc
        user, _, password = decoded.partition(":")
        return state.authenticate(basic_user=user, basic_password=password)
    token = request.query_params.get("access_token")
    if token:
        return state.authenticate(bearer=token)
    raise unauthorized()


def reply(data: Any, principal: Principal | None = None, status: int = 200, **headers: str):
    """JSON answer, with ``Flowdock-User`` for calls authenticated as a user."""
    response = JSONResponse(data, status_code=status)
    if principal is not None and principal.kind == "user":
        response.headers["Flowdock-User"] = str(principal.user_id)
    for name, value in headers.items():
        response.headers[name.replace("_", "-")] = value
    return response


def flow_id_from_path(request: Request) -> str:
    flow_id = sandbox_state(request).find_flow_by_path(
        request.path_params["org"], request.path_params["flow"]
    )
    if flow_id is None:
        raise not_found()
    return flow_id


def _flag(value: str | None) -> bool:
    return value is not None and value.lower() not in ("", "0", "false", "no")


# ---------------------------------------------------------------------- users and flows


async def get_user(request: Request) -> Response:
    principal = authenticate(request)
    principal.require_scope("profile")
    return reply(
        sandbox_state(request).user_view(principal.user_id or 0, base_url(request)), principal
    )


async def list_users(request: Request) -> Response:
    principal = authenticate(request)
    principal.require_scope("profile", "flow", "manage")
    return reply(sandbox_state(request).users(principal, base_url(request)), principal)


async def get_user_by_id(request: Request) -> Response:
    principal = authenticate(request)
    principal.require_scope("profile", "flow", "manage")
    state = sandbox_state(request)
    return reply(state.user(principal, request.path_params["id"], base_url(request)), principal)


async def list_flows(request: Request) -> Response:
    principal = authenticate(request)
    principal.require_scope("flow", "manage")
    flows = sandbox_state(request).flows(
        principal,
        base_url(request),
        all_flows=False,
        users=_flag(request.query_params.get("users")),
    )
    return reply(flows, principal)


async def list_all_flows(request: Request) -> Response:
    principal = authenticate(request)
    principal.require_scope("flow", "manage")
    flows = sandbox_state(request).flows(
        principal, base_url(request), all_flows=True, users=_flag(request.query_params.get("users"))
    )
    return reply(flows, principal)


async def find_flow(request: Request) -> Response:
    principal = authenticate(request)
    # The documented setup sequence asks only for "profile integration" and then calls
    # /flows/find, so integration may read a single flow too.
    principal.require_scope("flow", "manage", "integration")
    flow_id = request.query_params.get("id")
    return reply(sandbox_state(request).user_flow(principal, flow_id, base_url(request)), principal)


async def get_flow(request: Request) -> Response:
    principal = authenticate(request)
    principal.require_scope("flow", "manage", "integration")
    flow_id = flow_id_from_path(request)
    return reply(sandbox_state(request).user_flow(principal, flow_id, base_url(request)), principal)


# ---------------------------------------------------------------------- sources


async def create_source(request: Request) -> Response:
    body = await read_body(request)
    principal = authenticate(request)
    principal.require_scope("integration")
    flow_id = flow_id_from_path(request)
    if not isinstance(body, Mapping):
        raise ApiError(400, "Validation error", errors={"base": ["must be an object"]})
    source = sandbox_state(request).create_source(principal, flow_id, body, base_url(request))
    return reply(source, principal, 201)


async def list_flow_sources(request: Request) -> Response:
    principal = authenticate(request)
    flow_id = flow_id_from_path(request)
    return reply(sandbox_state(request).sources(principal, base_url(request), flow_id), principal)


async def list_sources(request: Request) -> Response:
    principal = authenticate(request, flow_token=True)
    return reply(sandbox_state(request).sources(principal, base_url(request)), principal)


async def get_source(request: Request) -> Response:
    principal = authenticate(request)
    flow_id = flow_id_from_path(request)
    source = sandbox_state(request).source(
        principal, flow_id, request.path_params["id"], base_url(request)
    )
    return reply(source, principal)


async def update_flow_source(request: Request) -> Response:
    body = await read_body(request)
    principal = authenticate(request)
    flow_id = flow_id_from_path(request)
    if not isinstance(body, Mapping):
        raise ApiError(400, "Validation error", errors={"base": ["must be an object"]})
    source = sandbox_state(request).update_source(
        principal, body, base_url(request), flow_id, request.path_params["id"]
    )
    return reply(source, principal)


async def update_source_by_token(request: Request) -> Response:
    body = await read_body(request)
    principal = authenticate(request, body, flow_token=True)
    if principal.kind != "source":
        raise ApiError(400, "Validation error", errors={"flow_token": ["can't be blank"]})
    if not isinstance(body, Mapping):
        raise ApiError(400, "Validation error", errors={"base": ["must be an object"]})
    return reply(sandbox_state(request).update_source(principal, body, base_url(request)))


async def delete_source(request: Request) -> Response:
    principal = authenticate(request)
    flow_id = flow_id_from_path(request)
    sandbox_state(request).delete_source(principal, flow_id, request.path_params["id"])
    response = Response(status_code=204)
    response.headers["Flowdock-User"] = str(principal.user_id)
    return response


# ---------------------------------------------------------------------- messages


async def _post(
    request: Request,
    *,
    flow_in_path: bool = False,
    thread_in_path: bool = False,
    parent_in_path: bool = False,
) -> Response:
    body = await read_body(request)
    principal = authenticate(request, body, flow_token=True)
    flow_id = None
    if flow_in_path and principal.kind == "user":
        flow_id = flow_id_from_path(request)
    elif (
        flow_in_path
        and sandbox_state(request).find_flow_by_path(
            request.path_params["org"], request.path_params["flow"]
        )
        is None
    ):
        raise not_found()
    if isinstance(body, Mapping) and "flow_token" in body:
        body = {k: v for k, v in body.items() if k != "flow_token"}
    if parent_in_path and isinstance(body, Mapping):
        body = {**body, "event": body.get("event", "comment")}
    state = sandbox_state(request)
    message, _created = state.post_message(
        principal,
        body,
        flow_id=flow_id,
        thread_id=request.path_params.get("thread_id") if thread_in_path else None,
        parent_id=request.path_params.get("message_id") if parent_in_path else None,
    )
    if request.headers.get("x-flowdock-wait-for-message") is None:
        response: Response = Response(status_code=202)
        if principal.kind == "user":
            response.headers["Flowdock-User"] = str(principal.user_id)
        return response
    path = state.flow_path(message["flow"])
    comments = f"{base_url(request)}/flows/{path}/messages/{message['id']}/comments"
    return reply(message, principal, state.config.wait_status, Link=f'<{comments}>; rel="comments"')


async def post_message(request: Request) -> Response:
    return await _post(request)


async def post_flow_message(request: Request) -> Response:
    return await _post(request, flow_in_path=True)


async def post_thread_message(request: Request) -> Response:
    return await _post(request, flow_in_path=True, thread_in_path=True)


async def post_comment(request: Request) -> Response:
    return await _post(request, flow_in_path=True, parent_in_path=True)


async def list_messages(request: Request) -> Response:
    principal = authenticate(request)
    flow_id = flow_id_from_path(request)
    messages = sandbox_state(request).list_messages(
        principal, flow_id, request.query_params, request.path_params.get("thread_id")
    )
    return reply(messages, principal)


async def get_message(request: Request) -> Response:
    principal = authenticate(request)
    flow_id = flow_id_from_path(request)
    return reply(
        sandbox_state(request).message(principal, flow_id, request.path_params["id"]), principal
    )


# ---------------------------------------------------------------------- threads


async def list_threads(request: Request) -> Response:
    principal = authenticate(request)
    flow_id = flow_id_from_path(request)
    threads, next_until = sandbox_state(request).list_threads(
        principal, flow_id, request.query_params, base_url(request)
    )
    response = reply(threads, principal)
    if next_until is not None:
        query = dict(request.query_params)
        query["until"] = iso(next_until)
        next_url = request.url.replace_query_params(**query)
        response.headers["Link"] = f'<{next_url}>; rel="next"'
    return response


async def get_thread(request: Request) -> Response:
    principal = authenticate(request)
    flow_id = flow_id_from_path(request)
    thread = sandbox_state(request).thread(
        principal, flow_id, request.path_params["thread_id"], base_url(request)
    )
    return reply(thread, principal)


# ---------------------------------------------------------------------- route table


def _source_routes(prefix: str) -> list[BaseRoute]:
    return [
        Route(prefix, list_flow_sources, methods=["GET"]),
        Route(prefix, create_source, methods=["POST"]),
        Route(prefix + "/{id:int}", get_source, methods=["GET"]),
        Route(prefix + "/{id:int}", update_flow_source, methods=["PUT"]),
        Route(prefix + "/{id:int}", delete_source, methods=["DELETE"]),
    ]


FLOW = "/flows/{org}/{flow}"

routes: list[BaseRoute] = [
    Route("/user", get_user, methods=["GET"]),
    Route("/users", list_users, methods=["GET"]),
    Route("/users/{id:int}", get_user_by_id, methods=["GET"]),
    Route("/flows", list_flows, methods=["GET"]),
    Route("/flows/all", list_all_flows, methods=["GET"]),
    Route("/flows/find", find_flow, methods=["GET"]),
    Route(FLOW, get_flow, methods=["GET"]),
    *_source_routes(FLOW + "/sources"),
    # The name before October 2014; Flowdock's own example integration still used it.
    *_source_routes(FLOW + "/integrations"),
    Route("/sources", list_sources, methods=["GET"]),
    Route("/sources", update_source_by_token, methods=["PUT"]),
    Route("/messages", post_message, methods=["POST"]),
    Route(FLOW + "/messages", list_messages, methods=["GET"]),
    Route(FLOW + "/messages", post_flow_message, methods=["POST"]),
    Route(FLOW + "/messages/{id:int}", get_message, methods=["GET"]),
    Route(FLOW + "/messages/{message_id:int}/comments", post_comment, methods=["POST"]),
    Route(FLOW + "/threads", list_threads, methods=["GET"]),
    Route(FLOW + "/threads/{thread_id}", get_thread, methods=["GET"]),
    Route(FLOW + "/threads/{thread_id}/messages", list_messages, methods=["GET"]),
    Route(FLOW + "/threads/{thread_id}/messages", post_thread_message, methods=["POST"]),
]
