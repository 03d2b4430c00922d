"""Server-rendered HTML pages of the sandbox: home, applications, sign-in, consent, a flow's
chat and team inbox, its sources, and the demo user's private conversations.

The pages act for the demo user without a sign-in. The team inbox also opens a browser
session for it (``PAGE_COOKIE``: HttpOnly, same-site only), which its few lines of JavaScript
use to follow the flow's stream (``/stream/flows/:org/:flow`` accepts it) and which its
comment forms are bound to, with a CSRF token each.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from html import escape
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from flowdock_desktop import __version__
from flowdock_desktop.api.validation import CONTENT_MAX_LENGTH
from flowdock_desktop.sandbox import seed
from flowdock_desktop.sandbox.api import base_url, form_tokens, read_form, sandbox_state
from flowdock_desktop.sandbox.guard import FormTokens
from flowdock_desktop.sandbox.state import (
    ApiError,
    Tx,
    applications,
    files,
    flows,
    messages,
    private,
    push,
    sources,
)
from flowdock_desktop.sandbox.state.grants import BrowserSessions
from flowdock_desktop.sandbox.state.principals import Principal

#: The web pages' browser session: who the team inbox acts for, when it follows the stream
#: and when a comment is posted from it.
PAGE_COOKIE = "sandbox_page"
#: The pages act for the demo user.
PAGE_USER_ID = 1

# Flowdock's status colour names mapped to readable CSS colours.
STATUS_CSS = {
    "red": "#d9534f",
    "green": "#3c9a3c",
    "yellow": "#c9a800",
    "cyan": "#1aa3b8",
    "orange": "#e8821a",
    "grey": "#808080",
    "black": "#222222",
    "lime": "#7cbf1e",
    "purple": "#8a4fbf",
    "blue": "#337ab7",
}

_CSS = """
body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#222}
header{border-bottom:1px solid #ddd;margin-bottom:1rem}
header a{margin-right:1rem}
code,pre{background:#f4f4f4;padding:0 .25rem;border-radius:3px}
pre{white-space:pre-wrap;overflow-wrap:anywhere}
table{border-collapse:collapse}
td,th{padding:.25rem .5rem;border-bottom:1px solid #eee;text-align:left}
.badge{color:#fff;border-radius:3px;padding:.1rem .4rem;font-size:.85em}
.thread{border:1px solid #ddd;border-radius:4px;padding:.75rem;margin:.75rem 0}
.error{color:#a94442;background:#f2dede;padding:.5rem;border-radius:4px}
.muted{color:#777;font-size:.9em}
ul.chat{list-style:none;padding:0}
ul.chat li{padding:.25rem 0;border-bottom:1px solid #f0f0f0}
form.inline{display:inline}
label{display:block;margin:.5rem 0}
form.comment{display:flex;gap:.5rem;margin-top:.5rem}
form.comment input{flex:1}
#live{color:#3c9a3c}
#live.paused{color:#a94442}
"""


def e(value: Any) -> str:
    """Escape anything for HTML text or a quoted attribute."""
    return escape("" if value is None else str(value), quote=True)


def layout(title: str, body: str, status: int = 200, flow_paths: Iterable[str] = ()) -> Response:
    """A whole page; ``flow_paths`` (``org/flow``) get a link each in the header."""
    nav = (
        '<header><a href="/">Sandbox home</a><a href="/oauth/applications">Applications</a>'
        '<a href="/app/private">Private</a>'
    )
    for path in flow_paths:
        nav += f'<a href="/app/{e(path)}">{e(path)}</a>'
    nav += "</header>"
    page = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{e(title)} · Flowdock sandbox</title><style>{_CSS}</style></head>"
        f"<body>{nav}<h1>{e(title)}</h1>{body}</body></html>"
    )
    return HTMLResponse(page, status_code=status)


def hidden_fields(params: Mapping[str, str]) -> str:
    return "".join(f'<input type="hidden" name="{e(k)}" value="{e(v)}">' for k, v in params.items())


def csrf_field(token: str) -> str:
    return hidden_fields({FormTokens.FIELD: token})


def page_sessions(request: Request) -> BrowserSessions:
    return request.app.state.page_sessions


def page_session(request: Request) -> dict[str, Any] | None:
    """The web pages' browser session this request carries (``PAGE_COOKIE``), or None."""
    return page_sessions(request).get(request.cookies.get(PAGE_COOKIE))


def _nav(tx: Tx) -> list[str]:
    return [path for _flow_id, path in flows.paths(tx)]


def status_badge(status: Mapping[str, Any] | None) -> str:
    if not status:
        return ""
    color = STATUS_CSS.get(str(status.get("color")), "#808080")
    return (
        f'<span class="badge status-{e(status.get("color"))}" '
        f'style="background:{color}">{e(status.get("value"))}</span>'
    )


# ---------------------------------------------------------------------- OAuth pages


def sign_in_page(
    application: str, params: Mapping[str, str], csrf: str, error: str | None = None
) -> Response:
    problem = f'<p class="error">{e(error)}</p>' if error else ""
    body = (
        f"<p><strong>{e(application)}</strong> wants to use your Flowdock sandbox account.</p>"
        f"{problem}"
        '<form method="post" action="/oauth/authorize/sign_in">'
        f"{hidden_fields(params)}{csrf_field(csrf)}"
        f'<label>Email <input name="email" type="email" value="{e(seed.DEMO_EMAIL)}"></label>'
        # The email is filled in: the cursor waits in the password, so a person just types.
        '<label>Password <input name="password" type="password" autofocus></label>'
        f'<p class="muted">Demo account: {e(seed.DEMO_EMAIL)} / {e(seed.DEMO_PASSWORD)}</p>'
        '<button type="submit">Sign in</button></form>'
    )
    return layout("Sign in", body, 401 if error else 200)


def consent_page(
    application: str, scopes: Iterable[str], params: Mapping[str, str], csrf: str, user: str
) -> Response:
    items = "".join(f"<li><code>{e(s)}</code></li>" for s in scopes)
    body = (
        f"<p>Signed in as {e(user)}.</p>"
        f"<p><strong>{e(application)}</strong> asks for these permissions:</p><ul>{items}</ul>"
        '<form method="post" action="/oauth/authorize/decision">'
        f"{hidden_fields(params)}{csrf_field(csrf)}"
        '<button type="submit" name="decision" value="approve">Approve</button> '
        '<button type="submit" name="decision" value="deny">Deny</button></form>'
    )
    return layout(f"Authorize {application}", body)


def error_page(title: str, message: str, status: int = 400) -> Response:
    return layout(title, f'<p class="error">{e(message)}</p>', status)


def oob_code_page(code: str) -> Response:
    body = (
        "<p>Copy this code into the application:</p>"
        f'<p><code id="code">{e(code)}</code></p>'
        '<p class="muted">It can be used once and expires soon.</p>'
    )
    return layout("Authorization code", body)


# ---------------------------------------------------------------------- home


async def home(request: Request) -> Response:
    url = base_url(request)
    rows = [
        ("Base URL", url),
        ("Demo user", f"{seed.DEMO_USER_NAME} <{seed.DEMO_EMAIL}>, password {seed.DEMO_PASSWORD}"),
        ("Personal API token", seed.DEMO_API_TOKEN),
        ("Demo application", seed.DEMO_APPLICATION_NAME),
        ("client_id", seed.DEMO_CLIENT_ID),
        ("client_secret", seed.DEMO_CLIENT_SECRET),
        ("Callback", f"{seed.DEMO_REDIRECT_URI} (any port on 127.0.0.1 / [::1])"),
        ("Authorize URL", f"{url}/oauth/authorize"),
        ("Token URL", f"{url}/oauth/token"),
    ]
    table = "".join(f"<tr><th>{e(k)}</th><td><code>{e(v)}</code></td></tr>" for k, v in rows)
    body = (
        f"<p>Flowdock-compatible sandbox, version {e(__version__)}.</p><table>{table}</table>"
        "<h2>Links</h2><ul>"
        '<li><a href="/oauth/applications">Developer applications</a></li>'
        '<li><a href="/sandbox">Discovery JSON</a></li>'
        f'<li><a href="/app/{seed.ORG_SLUG}/{seed.MAIN_FLOW}">Team inbox of Main</a></li>'
        f'<li><a href="/app/{seed.ORG_SLUG}/{seed.MAIN_FLOW}/sources">Sources of Main</a></li>'
        '<li><a href="/app/private">Private conversations</a></li>'
        "</ul>"
    )
    nav = await sandbox_state(request).call(_nav)
    return layout("Flowdock sandbox", body, flow_paths=nav)


# ---------------------------------------------------------------------- applications

NEW_APPLICATION_ACTION = "/oauth/applications/new"


def _applications_body(tx: Tx, tokens: FormTokens, created: Mapping[str, Any] | None) -> str:
    parts = []
    if created is not None:
        parts.append(
            '<div class="thread"><h2>Application created</h2>'
            f"<p>client_id: <code>{e(created['client_id'])}</code></p>"
            f"<p>client_secret: <code>{e(created['client_secret'])}</code></p>"
            '<p class="muted">The secret is shown only now; copy it.</p></div>'
        )
    options = "".join(
        f'<option value="{e(fid)}">{e(path)}</option>' for fid, path in flows.paths(tx)
    )
    rows = []
    for app in applications.list_all(tx):
        setup = ""
        if app["setup_uri"]:
            setup = (
                f'<form class="inline" method="get" action="/oauth/applications/{app["id"]}/setup">'
                f'<select name="flow">{options}</select> <button>Start setup</button></form>'
            )
        rows.append(
            f"<tr><td>{e(app['name'])}</td><td><code>{e(app['client_id'])}</code></td>"
            f"<td>{'<br>'.join(e(u) for u in app['redirect_uris'])}</td>"
            f"<td>{e(app['configuration_uri'] or '')}</td><td>{setup}</td></tr>"
        )
    parts.append(
        "<table><tr><th>Name</th><th>client_id</th><th>Callback URIs</th>"
        f"<th>Configuration URI</th><th>Setup</th></tr>{''.join(rows)}</table>"
    )
    parts.append(
        f'<h2>New application</h2><form method="post" action="{NEW_APPLICATION_ACTION}">'
        f"{csrf_field(tokens.token(NEW_APPLICATION_ACTION))}"
        '<label>Name <input name="name" required></label>'
        '<label>Callback URIs, one per line<br><textarea name="redirect_uris" rows="3" cols="60">'
        "</textarea></label>"
        '<label><input type="checkbox" name="loopback_any_port" value="1"> Allow any loopback '
        "port (RFC 8252)</label>"
        '<label>Setup URI <input name="setup_uri" size="60"></label>'
        '<label>Configuration URI <input name="configuration_uri" size="60"></label>'
        "<button>Create</button></form>"
    )
    return "".join(parts)


async def applications_page(request: Request) -> Response:
    tokens = form_tokens(request)

    def work(tx: Tx) -> Response:
        body = _applications_body(tx, tokens, None)
        return layout("Applications", body, flow_paths=_nav(tx))

    return await sandbox_state(request).call(work)


def _form_expired() -> Response:
    return error_page(
        "Form expired", "This form is out of date: reload the page and try again.", 403
    )


async def create_application_form(request: Request) -> Response:
    form = await read_form(request)
    tokens = form_tokens(request)
    if not tokens.valid(request, form, NEW_APPLICATION_ACTION):
        return _form_expired()
    name = str(form.get("name") or "").strip()
    uris = [u.strip() for u in str(form.get("redirect_uris") or "").splitlines() if u.strip()]
    if not name or not uris:
        return error_page("Applications", "Give a name and at least one callback URI.")

    def work(tx: Tx) -> Response:
        created = applications.create(
            tx,
            name,
            uris,
            setup_uri=str(form.get("setup_uri") or "").strip() or None,
            configuration_uri=str(form.get("configuration_uri") or "").strip() or None,
            loopback_any_port=bool(form.get("loopback_any_port")),
        )
        body = _applications_body(tx, tokens, created)
        return layout("Applications", body, 201, flow_paths=_nav(tx))

    return await sandbox_state(request).call(work)


async def start_setup(request: Request) -> Response:
    link = await sandbox_state(request).call(
        applications.setup_link,
        request.path_params["id"],
        request.query_params.get("flow", ""),
        base_url(request),
    )
    if link is None:
        return error_page("Setup", "Unknown application or flow, or no setup URI.", 404)
    return RedirectResponse(link, status_code=303)


# ---------------------------------------------------------------------- team inbox


def _no_flow() -> Response:
    return error_page("Not found", "No such flow.", 404)


def file_link(attachment: Mapping[str, Any]) -> str:
    """A link that downloads an attached file (through a fresh signed link)."""
    key = str(attachment.get("path", "")).rsplit("/", 2)[-2:-1] or [""]
    size = attachment.get("file_size")
    return (
        f'<a class="file" href="/app/files/{e(key[0])}">{e(attachment.get("file_name"))}</a>'
        f' <span class="muted">({e(size)} bytes)</span>'
    )


def message_html(message: Mapping[str, Any]) -> str:
    """What a message says, as HTML: text escaped, stored titles (sanitised when stored) as
    they are, files as links, and "(edited)" when it was changed."""
    content = message.get("content")
    event = message.get("event")
    if message.get("title"):
        text = message["title"]
    elif event == "file" and isinstance(content, Mapping):
        text = file_link(content)
    elif event == "comment" and isinstance(content, Mapping):
        text = f"<em>re {e(content.get('title'))}:</em> {e(content.get('text'))}"
    elif event == "mail" and isinstance(content, Mapping):
        text = f"<strong>{e(content.get('subject'))}</strong> ({e(content.get('source'))})"
    else:
        text = e(content if isinstance(content, str) else "")
    attached = "".join(
        f" {file_link(a)}" for a in message.get("attachments") or () if event != "file"
    )
    edited = ' <span class="edited muted">(edited)</span>' if message.get("edited") else ""
    return text + attached + edited


def _thread_html(thread: Mapping[str, Any], path: str, comment_csrf: str) -> str:
    """One thread of the team inbox: its state (``.state``, what live updates replace) and
    a comment form (kept as it is, so typed text survives an update)."""
    fields = "".join(
        f"<tr><th>{f['label']}</th><td>{f['value']}</td></tr>" for f in thread["fields"]
    )
    actions = " ".join(
        f'<a href="{e(a.get("url"))}">{e(a.get("name"))}</a>'
        for a in thread["actions"]
        if a.get("@type") == "ViewAction"
    )
    recent = "".join(
        f"<li>{e(m.get('event'))}: {message_html(m)} "
        f'<span class="muted">{e((m.get("author") or {}).get("name") or m.get("user_name"))} '
        f"{e(m['created_at'])}</span></li>"
        for m in thread.get("recent", [])
    )
    link = f' <a href="{e(thread["external_url"])}">open</a>' if thread.get("external_url") else ""
    source = (thread.get("source") or {}).get("application") or "chat"
    action = _comment_action(path, thread["id"])
    # Titles, bodies and field values were sanitised with nh3 when stored, so they go in as
    # HTML; everything else is escaped here.
    return (
        f'<div class="thread" id="thread-{e(thread["id"])}"><div class="state">'
        f"<h3>{thread['title']} {status_badge(thread['status'])}{link}</h3>"
        f'<p class="muted">{e(source)} · {_activities(thread["activities"])}, '
        f"{thread['external_comments']} external and {thread['internal_comments']} internal "
        f"comments · updated {e(thread['updated_at'])}</p>"
        f"<div>{thread['body']}</div><table>{fields}</table><p>{actions}</p>"
        f"<ul>{recent}</ul></div>"
        f'<form class="comment" method="post" action="{e(action)}">'
        f"{csrf_field(comment_csrf)}"
        f'<input name="text" maxlength="{CONTENT_MAX_LENGTH}" required '
        f'aria-label="Comment on {e(thread["id"])}" placeholder="Comment on this thread">'
        "<button>Comment</button></form></div>"
    )


def _comment_action(path: str, thread_id: str) -> str:
    return f"/app/{path}/threads/{thread_id}/comments"


# Follows the flow's stream with the page's session; each message of a thread fetches that
# thread again (the server renders it, as on the page) and replaces its state, or adds it.
_LIVE_SCRIPT = """
(function () {
  var list = document.getElementById('threads'), live = document.getElementById('live');
  var asked = {};
  function show(threadId) {
    var turn = asked[threadId] = (asked[threadId] || 0) + 1;
    fetch(list.dataset.threads + encodeURIComponent(threadId)).then(function (answer) {
      return answer.ok ? answer.text() : null;
    }).then(function (html) {
      if (html === null || turn !== asked[threadId]) return;
      var box = document.createElement('div');
      box.innerHTML = html;
      var fresh = box.firstElementChild, old = document.getElementById(fresh.id);
      if (old) { old.querySelector('.state').replaceWith(fresh.querySelector('.state')); return; }
      var none = document.getElementById('no-threads');
      if (none) none.remove();
      list.prepend(fresh);
    });
  }
  var stream = new EventSource(list.dataset.stream);
  stream.onopen = function () {
    live.className = ''; live.textContent = 'Live: new activity appears as it arrives.';
  };
  stream.onerror = function () {
    live.className = 'paused'; live.textContent = 'Live updates interrupted; reconnecting\u2026';
  };
  stream.onmessage = function (event) {
    var message = JSON.parse(event.data);
    if (message.thread_id) show(message.thread_id);
  };
})();
"""


def _ensure_page_session(request: Request) -> tuple[str, bool]:
    """The page session's id, and whether it is new (and needs its cookie set)."""
    session = page_session(request)
    if session is not None:
        return session["id"], False
    return page_sessions(request).open(PAGE_USER_ID), True


def _set_page_cookie(request: Request, response: Response, session_id: str) -> None:
    response.set_cookie(
        PAGE_COOKIE,
        session_id,
        max_age=int(page_sessions(request).ttl),
        path="/",
        httponly=True,
        samesite="strict",
    )


def _activities(n: int) -> str:
    return f"{n} activity" if n == 1 else f"{n} activities"


async def inbox_page(request: Request) -> Response:
    org, flow = request.path_params["org"], request.path_params["flow"]
    path, url = f"{org}/{flow}", base_url(request)
    tokens = form_tokens(request)
    session_id, new_session = _ensure_page_session(request)

    def work(tx: Tx) -> Response:
        flow_id = flows.find_by_path(tx, org, flow)
        if flow_id is None:
            return _no_flow()
        threads = messages.inbox(tx, flow_id, url)
        body = (
            f'<p><a href="/app/{e(path)}/sources">Sources</a></p>'
            '<p id="live" class="paused" role="status">Live updates need JavaScript; '
            "reload to see new activity.</p>"
        )
        body += "<h2>Chat</h2>" + _chat_html(tx, messages.recent_chat(tx, flow_id))
        body += "<h2>Threads</h2>"
        if len(threads) == messages.INBOX_THREADS:
            body += (
                f'<p class="muted">The {messages.INBOX_THREADS} most recently updated threads.</p>'
            )
        items = "".join(
            _thread_html(t, path, tokens.token(_comment_action(path, t["id"]), session_id))
            for t in threads
        )
        items = items or '<p id="no-threads">No threads yet.</p>'
        # The stream starts after what this page shows: activity posted between the page and
        # its stream's first connection is replayed, not missed until a reload.
        shown = tx.value("SELECT max(seq) FROM messages") or 0
        body += (
            f'<div id="threads" data-stream="/stream/flows/{e(path)}?last_event_id={shown}" '
            f'data-threads="/app/{e(path)}/threads/">{items}</div>'
            f"<script>{_LIVE_SCRIPT}</script>"
        )
        return layout(f"Team inbox: {path}", body, flow_paths=_nav(tx))

    response = await sandbox_state(request).call(work)
    if new_session:
        _set_page_cookie(request, response, session_id)
    return response


async def inbox_thread(request: Request) -> Response:
    """One thread as the inbox shows it (what the page's script fetches on new activity)."""
    org, flow = request.path_params["org"], request.path_params["flow"]
    thread_id, path, url = request.path_params["thread_id"], f"{org}/{flow}", base_url(request)
    session = page_session(request)
    csrf = (
        form_tokens(request).token(_comment_action(path, thread_id), session["id"])
        if (session)
        else ""
    )

    def work(tx: Tx) -> Response:
        flow_id = flows.find_by_path(tx, org, flow)
        thread = None if flow_id is None else messages.inbox_thread(tx, flow_id, thread_id, url)
        if thread is None:
            return error_page("Not found", "No such thread.", 404)
        return HTMLResponse(_thread_html(thread, path, csrf))

    return await sandbox_state(request).call(work)


async def comment_on_thread(request: Request) -> Response:
    """A comment from the team inbox: a message in the thread, from the page's user."""
    org, flow = request.path_params["org"], request.path_params["flow"]
    thread_id, path = request.path_params["thread_id"], f"{org}/{flow}"
    form = await read_form(request)
    session = page_session(request)
    if session is None or not form_tokens(request).valid(
        request, form, _comment_action(path, thread_id), session["id"], required=True
    ):
        return _form_expired()
    text = str(form.get("text") or "").strip()

    def problem(message: str, status: int = 400) -> Response:
        back = f'<p><a href="/app/{e(path)}#thread-{e(thread_id)}">Back to the team inbox</a></p>'
        return layout("Comment not posted", f'<p class="error">{e(message)}</p>{back}', status)

    if not text:
        return problem("The comment was empty: write something first.")
    if len(text) > CONTENT_MAX_LENGTH:
        return problem(
            f"The comment is {len(text)} characters long; shorten it to "
            f"{CONTENT_MAX_LENGTH} or fewer."
        )
    commenter = Principal("user", user_id=session["user_id"], scopes=frozenset({"flow"}))

    def work(tx: Tx) -> Response | None:
        flow_id = flows.find_by_path(tx, org, flow)
        if flow_id is None:
            return _no_flow()
        try:
            messages.post(
                tx,
                commenter,
                {"event": "message", "content": text},
                flow_id=flow_id,
                thread_id=thread_id,
            )
        except ApiError as error:
            if error.status == 404:
                return problem("That thread is not in this flow.", 404)
            return problem(error.message, error.status)
        return None

    problem = await sandbox_state(request).call(work)
    if problem is not None:
        return problem
    return RedirectResponse(f"/app/{path}#thread-{thread_id}", status_code=303)


def _names(tx: Tx) -> dict[str, str]:
    return {str(row["id"]): row["nick"] for row in tx.all("SELECT id, nick FROM users")}


def _chat_html(tx: Tx, chat: list[dict[str, Any]]) -> str:
    """A conversation's recent messages, oldest first, each with who and when."""
    if not chat:
        return "<p>No messages yet.</p>"
    names = _names(tx)
    items = []
    for m in chat:
        who = m.get("external_user_name") or names.get(m["user"]) or "an integration"
        items.append(
            f'<li id="message-{m["id"]}"><strong>{e(who)}</strong> '
            f"{'' if m['event'] == 'message' else e(m['event']) + ': '}{message_html(m)} "
            f'<span class="muted">{e(m["created_at"])}</span></li>'
        )
    return f'<ul class="chat">{"".join(items)}</ul>'


# ---------------------------------------------------------------------- private conversations


async def private_list_page(request: Request) -> Response:
    def work(tx: Tx) -> Response:
        rows = tx.all(
            "SELECT u.id, u.nick, u.name, p.open FROM private_conversations p "
            "JOIN users u ON u.id = p.other_id WHERE p.user_id = ? ORDER BY u.id",
            (PAGE_USER_ID,),
        )
        closed = ' <span class="muted">(closed)</span>'
        people = "".join(
            f'<li><a href="/app/private/{r["id"]}">@{e(r["nick"])}</a> {e(r["name"])}'
            f"{'' if r['open'] else closed}</li>"
            for r in rows
        )
        body = (
            f"<p>{e(seed.DEMO_USER_NAME)}'s private conversations "
            "(<code>GET /private</code>).</p>"
            f"<ul>{people}</ul>"
            if people
            else "<p>No private conversations yet.</p>"
        )
        return layout("Private conversations", body, flow_paths=_nav(tx))

    return await sandbox_state(request).call(work)


async def private_page(request: Request) -> Response:
    other = request.path_params["user_id"]

    def work(tx: Tx) -> Response:
        row = tx.one("SELECT nick FROM users WHERE id = ?", (other,))
        if row is None or other == PAGE_USER_ID:
            return error_page("Not found", "No such person.", 404)
        chat = messages.recent_chat(tx, private.conversation_key(PAGE_USER_ID, other))
        body = f'<p><a href="/app/private">All private conversations</a></p>{_chat_html(tx, chat)}'
        return layout(f"Private: @{row['nick']}", body, flow_paths=_nav(tx))

    return await sandbox_state(request).call(work)


async def file_page(request: Request) -> Response:
    """A file link on a page: 303 to a fresh signed download link (files of flows, and of
    the demo user's private conversations)."""
    key = request.path_params["hash"]

    def work(tx: Tx) -> Any:
        row = files.find(tx, key)
        if row is None:
            return None
        people = private.participants(row["conversation"])
        return None if people is not None and PAGE_USER_ID not in people else row

    row = await sandbox_state(request).call(work)
    if row is None:
        return error_page("Not found", "No such file.", 404)
    links = request.app.state.downloads
    return RedirectResponse(
        links.url(base_url(request), row["hash"], row["file_name"]), status_code=303
    )


def _remove_action(path: str, source_id: int) -> str:
    return f"/app/{path}/sources/{source_id}/delete"


def _new_source_action(path: str) -> str:
    return f"/app/{path}/sources/new"


def _new_source_html(path: str, tokens: FormTokens, name: str = "", problem: str = "") -> str:
    """A form that makes a source as the demo user, to post with its flow token by hand."""
    action = _new_source_action(path)
    shown = f'<p class="error">{e(problem)}</p>' if problem else ""
    return (
        "<h2>Make a source to test with</h2>"
        "<p>An integration's setup makes its source through the API (<code>POST /flows/"
        f"{e(path)}/sources</code> with the person's sign-in). To try posting by hand, "
        "make one here: its flow_token is shown once.</p>"
        f'{shown}<form method="post" action="{e(action)}">{csrf_field(tokens.token(action))}'
        f'<label>Name <input name="name" value="{e(name)}" required autofocus></label> '
        "<button>Make a source</button></form>"
    )


async def sources_page(request: Request) -> Response:
    org, flow = request.path_params["org"], request.path_params["flow"]
    path, url = f"{org}/{flow}", base_url(request)
    tokens = form_tokens(request)

    def work(tx: Tx) -> Response:
        flow_id = flows.find_by_path(tx, org, flow)
        if flow_id is None:
            return _no_flow()
        rows = "".join(
            f"<tr><td>{s['id']}</td><td>{e(s['name'])}</td>"
            f"<td>{e((s['application'] or {}).get('name'))}</td>"
            f"<td>{e(s['external_url'] or '')}</td><td>{e(s['error_message'] or '')}</td>"
            f'<td><form class="inline" method="post" action="{e(_remove_action(path, s["id"]))}">'
            f"{csrf_field(tokens.token(_remove_action(path, s['id'])))}"
            "<button>Remove</button></form></td></tr>"
            for s in sources.in_flow(tx, flow_id, url)
        )
        listing = (
            "<table><tr><th>id</th><th>Name</th><th>Application</th><th>External URL</th>"
            f"<th>Error</th><th></th></tr>{rows}</table>"
            '<p class="muted">After removal, posting with the source\'s flow_token answers '
            "410.</p>"
            if rows
            else "<p>No sources in this flow yet.</p>"
        )
        body = (
            f"{listing}{_new_source_html(path, tokens)}"
            f"{_api_token_html(path, push.token_of(tx, flow_id) or '', url, tokens)}"
        )
        return layout(f"Sources: {path}", body, flow_paths=_nav(tx))

    return await sandbox_state(request).call(work)


def _new_token_action(path: str) -> str:
    return f"/app/{path}/api-token"


def _api_token_html(path: str, token: str, url: str, tokens: FormTokens) -> str:
    """The flow's token for the deprecated Push API, with a button that replaces it."""
    action = _new_token_action(path)
    return (
        "<h2>Push API token</h2>"
        "<p>Integrations written for Flowdock's old Push API post with this token in the URL "
        f"(several flows' tokens joined with commas): <code>{e(url)}/v1/messages/chat/"
        f'<span id="api-token">{e(token)}</span></code> and '
        f"<code>{e(url)}/v1/messages/team_inbox/{e(token)}</code>.</p>"
        f'<form method="post" action="{e(action)}">{csrf_field(tokens.token(action))}'
        "<button>Make a new token</button> "
        '<span class="muted">(the old one stops working)</span></form>'
    )


async def _sources_form(
    request: Request, action: str, change: Callable[[Tx, str], object], done: str
) -> Response:
    """A form of a flow's sources page: its CSRF token checked, ``change(tx, flow id)`` run,
    then 303 to ``done``."""
    org, flow = request.path_params["org"], request.path_params["flow"]
    form = await read_form(request)
    if not form_tokens(request).valid(request, form, action):
        return _form_expired()

    def work(tx: Tx) -> bool:
        flow_id = flows.find_by_path(tx, org, flow)
        if flow_id is None:
            return False
        change(tx, flow_id)
        return True

    if not await sandbox_state(request).call(work):
        return _no_flow()
    return RedirectResponse(done, status_code=303)


async def make_source(request: Request) -> Response:
    """The sources page's form: a source made as the demo user, its flow_token shown once
    with a curl command that posts with it (the form again, saying why, for a bad name)."""
    org, flow = request.path_params["org"], request.path_params["flow"]
    path, url = f"{org}/{flow}", base_url(request)
    form = await read_form(request)
    tokens = form_tokens(request)
    if not tokens.valid(request, form, _new_source_action(path)):
        return _form_expired()
    name = str(form.get("name") or "")
    maker = Principal("user", user_id=PAGE_USER_ID, scopes=frozenset({"integration"}))

    def work(tx: Tx) -> Response:
        flow_id = flows.find_by_path(tx, org, flow)
        if flow_id is None:
            return _no_flow()
        try:
            made = sources.create(tx, maker, flow_id, {"name": name}, url)
        except ApiError as exc:
            problem = "; ".join(
                f"The {field} {', '.join(texts)}." for field, texts in (exc.errors or {}).items()
            )
            body = _new_source_html(path, tokens, name, problem or exc.message)
            return layout(f"Sources: {path}", body, 400, flow_paths=_nav(tx))
        token = made["flow_token"]
        example = (
            f"curl -X POST {url}/messages -H 'Content-Type: application/json' -d "
            f'\'{{"flow_token": "{token}", "event": "activity", '
            '"title": "tried it", "author": {"name": "Me"}, "external_thread_id": "try", '
            '"thread": {"title": "Trying the sandbox"}}\''
        )
        body = (
            f"<p>Made the source “{e(made['name'])}” (id {made['id']}) in {e(path)}. Its "
            "flow_token, shown only now:</p>"
            f'<p><code id="flow-token">{e(token)}</code></p>'
            f"<p>Post with it:</p><pre>{e(example)}</pre>"
            f'<p><a href="/app/{e(path)}">Team inbox</a> · '
            f'<a href="/app/{e(path)}/sources">Sources</a></p>'
        )
        return layout(f"Source made: {path}", body, 201, flow_paths=_nav(tx))

    return await sandbox_state(request).call(work)


async def new_api_token(request: Request) -> Response:
    path = f"{request.path_params['org']}/{request.path_params['flow']}"
    return await _sources_form(
        request, _new_token_action(path), push.regenerate, f"/app/{path}/sources"
    )


async def remove_source(request: Request) -> Response:
    path = f"{request.path_params['org']}/{request.path_params['flow']}"
    source_id = request.path_params["id"]
    return await _sources_form(
        request,
        _remove_action(path, source_id),
        lambda tx, _flow_id: sources.delete_by_id(tx, source_id),
        f"/app/{path}/sources?{urlencode({'removed': 1})}",
    )


routes: list[BaseRoute] = [
    Route("/", home, methods=["GET"]),
    Route("/oauth/applications", applications_page, methods=["GET"]),
    Route(NEW_APPLICATION_ACTION, create_application_form, methods=["POST"]),
    Route("/oauth/applications/{id:int}/setup", start_setup, methods=["GET"]),
    Route("/app/private", private_list_page, methods=["GET"]),
    Route("/app/private/{user_id:rowid}", private_page, methods=["GET"]),
    Route("/app/files/{hash}", file_page, methods=["GET"]),
    Route("/app/{org}/{flow}", inbox_page, methods=["GET"]),
    Route("/app/{org}/{flow}/threads/{thread_id}", inbox_thread, methods=["GET"]),
    Route("/app/{org}/{flow}/threads/{thread_id}/comments", comment_on_thread, methods=["POST"]),
    Route("/app/{org}/{flow}/sources", sources_page, methods=["GET"]),
    Route("/app/{org}/{flow}/sources/new", make_source, methods=["POST"]),
    Route("/app/{org}/{flow}/sources/{id:int}/delete", remove_source, methods=["POST"]),
    Route("/app/{org}/{flow}/api-token", new_api_token, methods=["POST"]),
]
