"""REST routes of the sandbox: users, flows, sources, messages and threads.

Each route is a plain function of one transaction and the call (``Call``): ``endpoint``
turns it into a Starlette endpoint that reads the body first (when the route takes one),
then authenticates and runs the function on a worker thread, all in one transaction.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Iterable, Mapping
from typing import Any
from urllib.parse import quote

from starlette.concurrency import run_in_threadpool
from starlette.convertors import Convertor, register_url_convertor
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from flowdock_desktop.sandbox import presence, uploads
from flowdock_desktop.sandbox.downloads import DownloadLinks
from flowdock_desktop.sandbox.guard import FormTokens, is_multipart
from flowdock_desktop.sandbox.hub import StreamHub
from flowdock_desktop.sandbox.state import (
    ApiError,
    SandboxState,
    Tx,
    edits,
    files,
    flows,
    iso,
    messages,
    not_found,
    organizations,
    private,
    push,
    sources,
    unauthorized,
    validation_error,
    views,
)
from flowdock_desktop.sandbox.state.files import Upload
from flowdock_desktop.sandbox.state.principals import Credentials, Principal, authenticate
from flowdock_desktop.sandbox.state.store import Row

#: Deepest nesting a JSON or form body may have (``a[b][c]...`` counts one per bracket).
MAX_BODY_DEPTH = 32
#: Sent by clients that want the stored message in the answer to a post.
WAIT_HEADER = "x-flowdock-wait-for-message"
INVALID_CHARACTER = "contains an invalid character (a lone UTF-16 surrogate)"


class RowIdConvertor(Convertor[int]):
    """``{id:rowid}``: a whole number that fits SQLite's integers (at most 18 digits), so a
    huge id in a path is simply not found instead of overflowing a query."""

    regex = "[0-9]{1,18}"

    def convert(self, value: str) -> int:
        return int(value)

    def to_string(self, value: int) -> str:
        return str(value)


register_url_convertor("rowid", RowIdConvertor())

# ---------------------------------------------------------------------- request helpers


def sandbox_state(request: Request) -> SandboxState:
    return request.app.state.sandbox


def base_url(request: Request) -> str:
    return str(request.base_url).rstrip("/")


async def read_body(request: Request) -> Any:
    """The request body as JSON or as (Rails-style nested) form fields; {} when empty.

    Text that cannot be stored (a lone surrogate from a ``\\ud800`` escape) and nesting
    deeper than ``MAX_BODY_DEPTH`` answer 400 naming the field.
    """
    content_type = request.headers.get("content-type", "")
    max_file_bytes = sandbox_state(request).config.max_file_bytes
    if is_multipart(content_type):
        data: Any = nest_form(
            await uploads.read_multipart(content_type, request.stream(), max_file_bytes)
        )
    elif "x-www-form-urlencoded" in content_type.lower():
        data = nest_form(await _form(request))
    else:
        raw = await request.body()
        if not raw.strip():
            return {}
        try:
            data = json.loads(raw)
        except (ValueError, RecursionError) as exc:
            raise ApiError(400, "The body is not valid JSON") from exc
        uploads.decode_json_file(data, max_file_bytes)
        if _plainly_storable(raw):
            return data
    check_text(data)
    return data


def _plainly_storable(raw: bytes) -> bool:
    """True when JSON text cannot hold what ``check_text`` refuses, seen from its bytes alone:
    UTF-8 (json also reads UTF-16 and UTF-32), no ``\\u`` escape and no byte 0xED (the only
    ways to a lone surrogate), and no more brackets than the nesting limit. Most bodies are like
    this, and the walk over every string is then skipped."""
    return (
        json.detect_encoding(raw) == "utf-8"
        and b"\\u" not in raw
        and b"\xed" not in raw
        and raw.count(b"{") + raw.count(b"[") <= MAX_BODY_DEPTH
    )


async def _form(request: Request) -> FormData:
    try:
        return await request.form()
    except ApiError:
        raise  # the body was too large or too slow
    except Exception as exc:  # python-multipart raises several types for bad bodies
        raise ApiError(400, "Could not read the form body") from exc


async def read_form(request: Request) -> FormData:
    """The fields of a web page's form post, each checked as ``read_body`` checks text."""
    form = await _form(request)
    check_text({key: value for key, value in form.multi_items() if isinstance(value, str)})
    return form


def form_tokens(request: Request) -> FormTokens:
    """The CSRF tokens of this sandbox's web forms."""
    return request.app.state.form_tokens


def check_text(data: Any) -> None:
    """400 when a key or string anywhere in ``data`` cannot be stored, or it nests too deep."""
    stack: list[tuple[str, Any, int]] = [("", data, 0)]
    while stack:
        name, value, depth = stack.pop()
        if depth > MAX_BODY_DEPTH:
            raise validation_error({name or "base": [f"nests deeper than {MAX_BODY_DEPTH}"]})
        if isinstance(value, str):
            if not _storable(value):
                raise validation_error({name or "base": [INVALID_CHARACTER]})
        elif isinstance(value, dict):
            for key, item in value.items():
                field = f"{name}.{key}" if name else str(key)
                if not _storable(str(key)):
                    raise validation_error({name or "base": [INVALID_CHARACTER]})
                stack.append((field, item, depth + 1))
        elif isinstance(value, list):
            stack.extend((name, item, depth + 1) for item in value)


def _storable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def nest_form(
    form: FormData | Mapping[str, Any] | Iterable[tuple[str, Any]],
) -> dict[str, Any]:
    """Turn ``thread[status][color]=red``, ``tags[]=a`` and ``attachments[f1]=<file>``
    fields into nested data (uploads stay ``Upload`` values)."""
    result: dict[str, Any] = {}
    if isinstance(form, FormData):
        items: Iterable[tuple[str, Any]] = form.multi_items()
    elif isinstance(form, Mapping):
        items = form.items()
    else:
        items = form
    for key, value in items:
        if not isinstance(value, str | Upload):
            continue  # Starlette's own uploads (web page forms have none)
        head, _, rest = key.partition("[")
        parts = [head] + ([p.rstrip("]") for p in rest.split("[")] if rest else [])
        if len(parts) > MAX_BODY_DEPTH:
            raise validation_error({head or "base": [f"nests deeper than {MAX_BODY_DEPTH}"]})
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


def credentials(request: Request, body: Any = None, *, flow_token: bool = False) -> Credentials:
    """What the caller presented: flow_token (where allowed), Bearer, ``access_token`` or
    HTTP Basic; 401 for malformed credentials."""
    if flow_token:
        token = request.query_params.get("flow_token")
        if token is None and isinstance(body, Mapping):
            token = body.get("flow_token")
        if token is not None:
            if not isinstance(token, str) or not token:
                raise unauthorized()
            return Credentials(flow_token=token)
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return Credentials(bearer=value.strip())
    if scheme.lower() == "basic" and value.strip():
        try:
            decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError) as exc:
            raise unauthorized() from exc
        user, _, password = decoded.partition(":")
        return Credentials(basic_user=user, basic_password=password)
    token = request.query_params.get("access_token")
    if token:
        return Credentials(bearer=token)
    raise unauthorized()


def reply(data: Any, principal: Principal | None = None, status: int = 200, **headers: str):
    """JSON answer, with ``Flowdock-User`` for calls authenticated as a user."""
    response = JSONResponse(data, status_code=status)
    if principal is not None and principal.kind == "user":
        response.headers["Flowdock-User"] = str(principal.user_id)
    for name, value in headers.items():
        response.headers[name.replace("_", "-")] = value
    return response


class Call:
    """One API request as a route function sees it: the parsed body, the caller, the URL."""

    def __init__(self, request: Request, body: Any) -> None:
        self.request = request
        self.body = body
        self.path = request.path_params
        self.principal: Principal | None = None

    @property
    def base_url(self) -> str:
        return base_url(self.request)

    @property
    def query(self) -> Any:
        return self.request.query_params

    @property
    def user(self) -> Principal:
        assert self.principal is not None
        return self.principal

    def flag(self, name: str) -> bool:
        value = self.query.get(name)
        return value is not None and value.lower() not in ("", "0", "false", "no")

    def seen(self) -> views.Seen:
        """What presence knows of people in flows now (the stream hub's), for flows' user
        lists."""
        hub: StreamHub = self.request.app.state.hub
        return hub.seen()

    def flow_id(self, tx: Tx) -> str:
        """The flow named by ``/flows/:org/:flow`` in the path, else 404."""
        return flows.require_by_path(tx, self.path["org"], self.path["flow"])


Work = Callable[[Tx, Call], Any]


def endpoint(*, body: bool = False, flow_token: bool = False, status: int = 200):
    """Make ``work(tx, call)`` a route: body read first (when ``body``; uploads in it stay in
    memory, within the size limits), then the caller authenticated and ``work`` run in the
    same transaction, off the event loop; an upload's bytes reach the disk only when that
    transaction stores its message (``files.record``), never for a refused request. ``work``
    returns data (a JSON answer with ``status``) or a Response. Every answer to a user,
    errors included, carries ``Flowdock-User``."""

    def wrap(work: Work) -> Callable[[Request], Any]:
        async def handler(request: Request) -> Response:
            data = await read_body(request) if body else None
            call = Call(request, data)
            given = credentials(request, data, flow_token=flow_token)

            def run(tx: Tx) -> Response:
                principal = call.principal = authenticate(tx, given)
                try:
                    result = work(tx, call)
                except ApiError as exc:
                    if principal.kind == "user":
                        exc.headers.setdefault("Flowdock-User", str(principal.user_id))
                    raise
                if isinstance(result, Response):
                    if principal.kind == "user" and "flowdock-user" not in result.headers:
                        result.headers["Flowdock-User"] = str(principal.user_id)
                    return result
                return reply(result, principal, status)

            return await sandbox_state(request).call(run)

        handler.__name__ = work.__name__
        handler.__doc__ = work.__doc__
        return handler

    return wrap


def require_object(body: Any) -> Mapping[str, Any]:
    if not isinstance(body, Mapping):
        raise ApiError(400, "Validation error", errors={"base": ["must be an object"]})
    return body


# ---------------------------------------------------------------------- users and flows


@endpoint()
def get_user(tx: Tx, call: Call) -> Any:
    call.user.require_scope("profile")
    return views.user_view(tx, call.user.user_id or 0, call.base_url)


@endpoint()
def list_users(tx: Tx, call: Call) -> Any:
    call.user.require_scope("profile", "flow", "manage")
    return flows.list_users(tx, call.user, call.base_url)


@endpoint()
def get_user_by_id(tx: Tx, call: Call) -> Any:
    call.user.require_scope("profile", "flow", "manage")
    return flows.show_user(tx, call.user, call.path["id"], call.base_url)


@endpoint(body=True)
def update_user(tx: Tx, call: Call) -> Any:
    flows.update_user(tx, call.user, call.path["id"], require_object(call.body))
    return {}


@endpoint()
def list_flows(tx: Tx, call: Call) -> Any:
    call.user.require_scope("flow", "manage")
    return flows.list_flows(
        tx, call.user, call.base_url, all_flows=False, users=call.flag("users"), seen=call.seen()
    )


@endpoint()
def list_all_flows(tx: Tx, call: Call) -> Any:
    call.user.require_scope("flow", "manage")
    return flows.list_flows(
        tx, call.user, call.base_url, all_flows=True, users=call.flag("users"), seen=call.seen()
    )


@endpoint()
def find_flow(tx: Tx, call: Call) -> Any:
    # The documented setup sequence asks only for "profile integration" and then calls
    # /flows/find, so integration may read a single flow too.
    call.user.require_scope("flow", "manage", "integration")
    return flows.show_flow(tx, call.user, call.query.get("id"), call.base_url, call.seen())


@endpoint()
def get_flow(tx: Tx, call: Call) -> Any:
    call.user.require_scope("flow", "manage", "integration")
    return flows.show_flow(tx, call.user, call.flow_id(tx), call.base_url, call.seen())


@endpoint(body=True, status=201)
def create_flow(tx: Tx, call: Call) -> Any:
    body = require_object(call.body)
    return flows.create_flow(tx, call.user, call.path["org"], body, call.base_url)


@endpoint(body=True)
def update_flow(tx: Tx, call: Call) -> Any:
    body = require_object(call.body)
    return flows.update_flow(tx, call.user, call.flow_id(tx), body, call.base_url, call.seen())


@endpoint()
def list_flow_users(tx: Tx, call: Call) -> Any:
    return flows.list_flow_users(tx, call.user, call.flow_id(tx), call.base_url, call.seen())


@endpoint(body=True)
def add_flow_user(tx: Tx, call: Call) -> Any:
    flows.add_flow_user(tx, call.user, call.flow_id(tx), require_object(call.body))
    return {}


@endpoint(body=True)
def block_flow_user(tx: Tx, call: Call) -> Any:
    body = require_object(call.body)
    flows.block_flow_user(tx, call.user, call.flow_id(tx), call.path["id"], body)
    return {}


# ---------------------------------------------------------------------- organizations


@endpoint()
def list_organizations(tx: Tx, call: Call) -> Any:
    return organizations.list_all(tx, call.user, call.base_url)


@endpoint()
def find_organization(tx: Tx, call: Call) -> Any:
    return organizations.find(tx, call.user, call.query.get("id"), call.base_url)


@endpoint()
def get_organization(tx: Tx, call: Call) -> Any:
    return organizations.show(tx, call.user, call.path["org"], call.base_url)


@endpoint(body=True)
def update_organization(tx: Tx, call: Call) -> Any:
    body = require_object(call.body)
    return organizations.update(tx, call.user, call.path["org"], body, call.base_url)


@endpoint()
def list_organization_users(tx: Tx, call: Call) -> Any:
    return organizations.users(tx, call.user, call.path["org"], call.base_url)


@endpoint()
def remove_organization_user(tx: Tx, call: Call) -> Any:
    organizations.remove_user(tx, call.user, call.path["org"], call.path["id"])
    return Response(status_code=204)


# ---------------------------------------------------------------------- sources


@endpoint(body=True, status=201)
def create_source(tx: Tx, call: Call) -> Any:
    call.user.require_scope("integration")
    flow_id = call.flow_id(tx)
    return sources.create(tx, call.user, flow_id, require_object(call.body), call.base_url)


@endpoint()
def list_flow_sources(tx: Tx, call: Call) -> Any:
    return sources.list_visible(tx, call.user, call.base_url, call.flow_id(tx))


@endpoint(flow_token=True)
def list_sources(tx: Tx, call: Call) -> Any:
    return sources.list_visible(tx, call.user, call.base_url)


@endpoint()
def get_source(tx: Tx, call: Call) -> Any:
    return sources.show(tx, call.user, call.flow_id(tx), call.path["id"], call.base_url)


@endpoint(body=True)
def update_flow_source(tx: Tx, call: Call) -> Any:
    flow_id = call.flow_id(tx)
    body = require_object(call.body)
    return sources.update(tx, call.user, body, call.base_url, flow_id, call.path["id"])


@endpoint(body=True, flow_token=True)
def update_source_by_token(tx: Tx, call: Call) -> Any:
    if call.user.kind != "source":
        raise ApiError(400, "Validation error", errors={"flow_token": ["can't be blank"]})
    return sources.update(tx, call.user, require_object(call.body), call.base_url)


@endpoint()
def delete_source(tx: Tx, call: Call) -> Any:
    sources.delete(tx, call.user, call.flow_id(tx), call.path["id"])
    return Response(status_code=204)


# ---------------------------------------------------------------------- messages


def _post(tx: Tx, call: Call, *, flow_in_path: bool, thread: bool, parent: bool) -> Response:
    principal, body = call.user, call.body
    flow_id = None
    if flow_in_path and principal.kind == "user":
        flow_id = call.flow_id(tx)
    elif flow_in_path:
        call.flow_id(tx)  # must exist, though the flow token decides the flow
    if isinstance(body, Mapping) and "flow_token" in body:
        body = {k: v for k, v in body.items() if k != "flow_token"}
    if isinstance(body, Mapping) and body.get("event") == presence.EVENT:
        return _post_presence(tx, call, body, flow_id, created=flow_in_path)
    if parent and isinstance(body, Mapping):
        body = {**body, "event": body.get("event", "comment")}
    seq, _created = messages.post(
        tx,
        principal,
        body,
        flow_id=flow_id,
        thread_id=call.path.get("thread_id") if thread else None,
        parent_id=call.path.get("message_id") if parent else None,
    )
    # Clients written against Flowdock saw a user's post to a flow's own path answered with
    # the message (201); the flow-less paths and flow tokens get 202 unless they wait.
    return posted(tx, call, seq, created=flow_in_path and principal.kind == "user")


def _post_presence(
    tx: Tx, call: Call, body: Mapping[str, Any], flow_id: str | None, *, created: bool
) -> Response:
    """``activity.user`` posted by a person: handed to the flow's streams, never stored.
    Answered as any post (``posted``), with the event, which has no ``id``."""
    principal = call.user
    if principal.kind != "user":
        raise validation_error(
            {"event": ["activity.user tells who is here: post it as a person, not a flow token"]}
        )
    flow_id = messages.posting_flow(tx, principal, flow_id or body.get("flow"))
    content = presence.posted_content(body)
    hub: StreamHub = call.request.app.state.hub
    event = hub.post_presence(flow_id, principal.user_id or 0, content)
    return _answer_post(call, created, lambda: (event, {}))


def posted(tx: Tx, call: Call, seq: int, *, created: bool) -> Response:
    """The answer to a stored post: 202 ``{}``, or the message (201, or ``wait_status``
    when the client sent ``X-flowdock-wait-for-message``) when ``created`` or waited for."""

    def answer() -> tuple[dict[str, Any], dict[str, str]]:
        message = messages.view(tx, seq)
        headers = {}
        if message.get("flow"):
            path = views.flow_path(tx, message["flow"])
            comments = f"{call.base_url}/flows/{path}/messages/{message['id']}/comments"
            headers["Link"] = f'<{comments}>; rel="comments"'
        return message, headers

    return _answer_post(call, created, answer)


def _answer_post(
    call: Call, created: bool, answer: Callable[[], tuple[dict[str, Any], dict[str, str]]]
) -> Response:
    """202 ``{}``; or, when ``created`` or the client waits, what ``answer`` gives (the body
    and its headers) with 201 (``wait_status`` when waited for)."""
    waited = call.request.headers.get(WAIT_HEADER) is not None
    if not (waited or created):
        return reply({}, call.user, 202)
    body, headers = answer()
    status = sandbox_state(call.request).config.wait_status if waited else 201
    return reply(body, call.user, status, **headers)


@endpoint(body=True, flow_token=True)
def post_message(tx: Tx, call: Call) -> Any:
    return _post(tx, call, flow_in_path=False, thread=False, parent=False)


@endpoint(body=True, flow_token=True)
def post_flow_message(tx: Tx, call: Call) -> Any:
    return _post(tx, call, flow_in_path=True, thread=False, parent=False)


@endpoint(body=True, flow_token=True)
def post_thread_message(tx: Tx, call: Call) -> Any:
    return _post(tx, call, flow_in_path=True, thread=True, parent=False)


@endpoint(body=True, flow_token=True)
def post_comment(tx: Tx, call: Call) -> Any:
    return _post(tx, call, flow_in_path=True, thread=False, parent=True)


@endpoint(body=True, flow_token=True)
def post_comment_anywhere(tx: Tx, call: Call) -> Any:
    """``POST /comments`` with ``flow`` and ``message`` in the body (the node client, bots)."""
    return _post(tx, call, flow_in_path=False, thread=False, parent=True)


@endpoint()
def list_messages(tx: Tx, call: Call) -> Any:
    flow_id = call.flow_id(tx)
    return messages.list_messages(tx, call.user, flow_id, call.query, call.path.get("thread_id"))


@endpoint()
def get_message(tx: Tx, call: Call) -> Any:
    return messages.show(tx, call.user, call.flow_id(tx), call.path["id"])


def _flow_message(tx: Tx, call: Call) -> Row:
    """The message a user changes in a flow they have joined."""
    call.user.require_scope("flow")
    flow = flows.user_flow(tx, call.user, call.flow_id(tx))
    flows.require_member(tx, call.user, flow["id"])
    return edits.find(tx, flow["id"], call.path["id"])


@endpoint(body=True)
def edit_message(tx: Tx, call: Call) -> Any:
    edits.edit(tx, call.user, _flow_message(tx, call), require_object(call.body))
    return {}


def _deleted(status: int) -> Any:
    """Emptied (200 ``{}``) or removed (204, no body)."""
    return {} if status == 200 else Response(status_code=status)


@endpoint()
def delete_message(tx: Tx, call: Call) -> Any:
    return _deleted(edits.delete(tx, call.user, _flow_message(tx, call)))


# ---------------------------------------------------------------------- private conversations


@endpoint()
def list_private(tx: Tx, call: Call) -> Any:
    return private.list_conversations(tx, call.user, call.base_url)


@endpoint()
def get_private(tx: Tx, call: Call) -> Any:
    return private.show(tx, call.user, call.path["user_id"], call.base_url)


@endpoint(body=True)
def update_private(tx: Tx, call: Call) -> Any:
    body = require_object(call.body)
    return private.update(tx, call.user, call.path["user_id"], body, call.base_url)


@endpoint()
def list_private_messages(tx: Tx, call: Call) -> Any:
    return private.list_messages(tx, call.user, call.path["user_id"], call.query)


@endpoint(body=True)
def post_private_message(tx: Tx, call: Call) -> Any:
    seq = private.post(tx, call.user, call.path["user_id"], call.body)
    return posted(tx, call, seq, created=True)


@endpoint()
def get_private_message(tx: Tx, call: Call) -> Any:
    row = private.message(tx, call.user, call.path["user_id"], call.path["id"])
    return views.message_view(tx, row)


@endpoint(body=True)
def edit_private_message(tx: Tx, call: Call) -> Any:
    row = private.message(tx, call.user, call.path["user_id"], call.path["id"])
    edits.edit(tx, call.user, row, require_object(call.body))
    return {}


@endpoint()
def delete_private_message(tx: Tx, call: Call) -> Any:
    row = private.message(tx, call.user, call.path["user_id"], call.path["id"])
    return _deleted(edits.delete(tx, call.user, row))


# ---------------------------------------------------------------------- Push API (deprecated)


async def push_chat(request: Request) -> Response:
    """``POST /v1/messages/chat/:flow_api_token[,…]``: 200 ``{}``."""
    body = require_object(await read_body(request))
    await sandbox_state(request).call(push.chat, request.path_params["tokens"], body)
    return JSONResponse({})


async def push_team_inbox(request: Request) -> Response:
    """``POST /v1/messages/team_inbox/:flow_api_token[,…]``: 200 ``{}``."""
    body = require_object(await read_body(request))
    await sandbox_state(request).call(push.team_inbox, request.path_params["tokens"], body)
    return JSONResponse({})


# ---------------------------------------------------------------------- files


def _download(call: Call, row: Row | None) -> Response:
    """302 to a short-lived signed link for a stored file (as Flowdock's to S3)."""
    if row is None:
        raise not_found()
    links: DownloadLinks = call.request.app.state.downloads
    return RedirectResponse(
        links.url(call.base_url, row["hash"], row["file_name"]), status_code=302
    )


@endpoint()
def get_flow_file(tx: Tx, call: Call) -> Any:
    call.user.require_scope("flow")
    flow = flows.user_flow(tx, call.user, call.path["flow_id"])
    row = files.find(tx, call.path["hash"])
    return _download(call, row if row is not None and row["conversation"] == flow["id"] else None)


@endpoint()
def get_private_file(tx: Tx, call: Call) -> Any:
    call.user.require_scope(private.SCOPE)
    low, high = call.path["low"], call.path["high"]
    if call.user.user_id not in (low, high):
        raise not_found()
    row = files.find(tx, call.path["hash"])
    wanted = private.conversation_key(low, high)
    return _download(call, row if row is not None and row["conversation"] == wanted else None)


async def download(request: Request) -> Response:
    """``GET /downloads/<hash>/<name>?expires=&signature=``: a file's bytes, for anyone with
    a link that has not expired. Served as an attachment (images inline) that a browser may
    not run as a page of the sandbox."""
    key = request.path_params["hash"]
    links: DownloadLinks = request.app.state.downloads
    query = request.query_params
    if not links.valid(key, query.get("expires"), query.get("signature")):
        raise ApiError(403, "This download link is wrong or has expired; ask for the file again")
    state = sandbox_state(request)
    row = await state.call(files.find, key)
    blob = None if row is None else await run_in_threadpool(state.blobs.read, key)
    if row is None or blob is None:
        raise ApiError(404, "The file is gone")
    content_type = row["content_type"]
    inline = content_type.startswith("image/") and "svg" not in content_type
    headers = {
        "Content-Disposition": (
            f"{'inline' if inline else 'attachment'}; filename*=UTF-8''"
            f"{quote(row['file_name'], safe='')}"
        ),
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": "default-src 'none'; sandbox",
        "Cache-Control": "private, max-age=60",
    }
    if isinstance(blob, bytes):
        return Response(blob, media_type=content_type, headers=headers)
    return FileResponse(blob, media_type=content_type, headers=headers)


# ---------------------------------------------------------------------- threads


@endpoint()
def list_threads(tx: Tx, call: Call) -> Any:
    flow_id = call.flow_id(tx)
    threads, next_until = messages.list_threads(tx, call.user, flow_id, call.query, call.base_url)
    response = reply(threads, call.user)
    if next_until is not None:
        query = dict(call.query)
        query["until"] = iso(next_until)
        next_url = call.request.url.replace_query_params(**query)
        response.headers["Link"] = f'<{next_url}>; rel="next"'
    return response


@endpoint()
def get_thread(tx: Tx, call: Call) -> Any:
    flow_id = call.flow_id(tx)
    return messages.show_thread(tx, call.user, flow_id, call.path["thread_id"], call.base_url)


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
PRIVATE = "/private/{user_id:rowid}"

routes: list[BaseRoute] = [
    Route("/user", get_user, methods=["GET"]),
    Route("/users", list_users, methods=["GET"]),
    Route("/users/{id:rowid}", get_user_by_id, methods=["GET"]),
    Route("/users/{id:rowid}", update_user, methods=["PUT"]),
    Route("/organizations", list_organizations, methods=["GET"]),
    Route("/organizations/find", find_organization, methods=["GET"]),
    Route("/organizations/{org}", get_organization, methods=["GET"]),
    Route("/organizations/{org}", update_organization, methods=["PUT"]),
    Route("/organizations/{org}/users", list_organization_users, methods=["GET"]),
    Route("/organizations/{org}/users/{id:rowid}", remove_organization_user, methods=["DELETE"]),
    Route("/flows", list_flows, methods=["GET"]),
    Route("/flows/all", list_all_flows, methods=["GET"]),
    Route("/flows/find", find_flow, methods=["GET"]),
    Route("/flows/{org}", create_flow, methods=["POST"]),
    Route(FLOW, get_flow, methods=["GET"]),
    Route(FLOW, update_flow, methods=["PUT"]),
    Route(FLOW + "/users", list_flow_users, methods=["GET"]),
    Route(FLOW + "/users", add_flow_user, methods=["POST"]),
    Route(FLOW + "/users/{id:rowid}", block_flow_user, methods=["PUT"]),
    *_source_routes(FLOW + "/sources"),
    # The name before October 2014; Flowdock's own example integration still used it.
    *_source_routes(FLOW + "/integrations"),
    Route("/sources", list_sources, methods=["GET"]),
    Route("/sources", update_source_by_token, methods=["PUT"]),
    Route("/messages", post_message, methods=["POST"]),
    Route("/comments", post_comment_anywhere, methods=["POST"]),
    Route("/messages/chat/{tokens}", push_chat, methods=["POST"]),
    Route("/messages/team_inbox/{tokens}", push_team_inbox, methods=["POST"]),
    Route(FLOW + "/messages", list_messages, methods=["GET"]),
    Route(FLOW + "/messages", post_flow_message, methods=["POST"]),
    Route(FLOW + "/messages/{id:rowid}", get_message, methods=["GET"]),
    Route(FLOW + "/messages/{id:rowid}", edit_message, methods=["PUT"]),
    Route(FLOW + "/messages/{id:rowid}", delete_message, methods=["DELETE"]),
    Route(FLOW + "/messages/{message_id:rowid}/comments", post_comment, methods=["POST"]),
    Route("/private", list_private, methods=["GET"]),
    Route(PRIVATE, get_private, methods=["GET"]),
    Route(PRIVATE, update_private, methods=["PUT"]),
    Route(PRIVATE + "/messages", list_private_messages, methods=["GET"]),
    Route(PRIVATE + "/messages", post_private_message, methods=["POST"]),
    Route(PRIVATE + "/messages/{id:rowid}", get_private_message, methods=["GET"]),
    Route(PRIVATE + "/messages/{id:rowid}", edit_private_message, methods=["PUT"]),
    Route(PRIVATE + "/messages/{id:rowid}", delete_private_message, methods=["DELETE"]),
    Route("/files/{flow_id}/{hash}/{name:path}", get_flow_file, methods=["GET"]),
    Route(
        "/private/{low:rowid}/{high:rowid}/files/{hash}/{name:path}",
        get_private_file,
        methods=["GET"],
    ),
    Route("/downloads/{hash}/{name:path}", download, methods=["GET"]),
    Route(FLOW + "/threads", list_threads, methods=["GET"]),
    Route(FLOW + "/threads/{thread_id}", get_thread, methods=["GET"]),
    Route(FLOW + "/threads/{thread_id}/messages", list_messages, methods=["GET"]),
    Route(FLOW + "/threads/{thread_id}/messages", post_thread_message, methods=["POST"]),
]
