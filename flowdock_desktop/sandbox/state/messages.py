"""Messages and threads: posting (with idempotent uuids), listing with filters, thread pages.

``store_message`` is the one place a message is written, and it announces the stored message
(``Tx.announce``) once the transaction commits, for whoever listens: the stream hub
(``sandbox/hub.py``), which hands it to every stream following its flow.
"""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Mapping
from typing import Any

from flowdock_desktop.api.html import sanitize_body, sanitize_title
from flowdock_desktop.api.validation import THREAD_EVENTS, split_tags, validate_message
from flowdock_desktop.sandbox.state import files, flows, private, views
from flowdock_desktop.sandbox.state.errors import not_found, validation_error
from flowdock_desktop.sandbox.state.principals import Principal
from flowdock_desktop.sandbox.state.store import Row, Tx, dumps, loads

THREAD_PAGE_SIZE = 25
MESSAGE_LIMIT_DEFAULT = 30
MESSAGE_LIMIT_MAX = 100
#: Threads shown on a flow's team inbox page, most recently updated first.
INBOX_THREADS = 50
#: Recent messages shown under each thread there.
INBOX_RECENT = 5
#: Longest title a comment takes from a chat message it answers.
PARENT_TITLE_LENGTH = 100


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _to_int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError, OverflowError):
        return None


_HASHTAG = re.compile(r"(?<![\w&#])#(\w[\w-]*)")
_MENTION = re.compile(r"(?<![\w@])@(\w[\w.-]*\w|\w)")
#: A run of characters that may be someone's nick written without the ``@`` (see
#: ``_plain_words``).
_WORD = re.compile(r"[\w.-]+")
#: A link in a message's text (Flowdock tagged such messages ``:url``).
_URL = re.compile(r"(?<![\w@/])(?:https?://|www\.)[^\s<>\"]+\w", re.IGNORECASE)
#: Mentions that mean everyone in the conversation (Flowdock's ``:user:everyone``): the
#: words of Flowdock's tags page, and ``@team``.
EVERYONE = ("all", "everyone", "everybody", "anyone", "anybody", "team")


def nicks_of(tx: Tx, user_ids: list[int]) -> dict[str, int]:
    """The people a conversation's mentions can name: lower-cased nick → id."""
    if not user_ids:
        return {}
    marks = ",".join("?" * len(user_ids))
    rows = tx.all(f"SELECT id, nick FROM users WHERE id IN ({marks})", list(user_ids))
    return {row["nick"].lower(): row["id"] for row in rows}


def mention_tags(names: list[str], nicks: Mapping[str, int], author: int | None) -> list[str]:
    """The tags of ``@name`` mentions, as Flowdock's tags page gives them: ``:user:<id>`` for
    a person and ``:user:everyone`` for ``@everyone`` and its like, each with ``:unread:<id>``
    for whoever it asks to read the message (everyone named, not the author)."""
    found: list[str] = []
    for name in names:
        if name.lower() in EVERYONE:
            found.append(":user:everyone")
            found += [f":unread:{uid}" for uid in nicks.values() if uid != author]
        elif name.lower() in nicks:
            uid = nicks[name.lower()]
            found.append(f":user:{uid}")
            if uid != author:
                found.append(f":unread:{uid}")
    return found


def text_tags(tx: Tx, text: Any, user_ids: list[int], author: int | None = None) -> list[str]:
    """The tags Flowdock read out of a chat message's text: ``#hashtags`` (without the
    ``#``), ``:url`` when it holds a link, mentions of people in the conversation
    (``user_ids``, blocked people left out) as ``:user:`` and ``:unread:`` tags
    (``mention_tags``), and ``:highlight:<id>`` for someone whose nick the text says
    without the ``@``. The author is never asked to read or highlighted by their own text."""
    if not isinstance(text, str):
        return []
    found = list(_HASHTAG.findall(text))
    if _URL.search(text):
        found.append(":url")
    nicks = nicks_of(tx, user_ids)
    found += mention_tags(_MENTION.findall(text), nicks, author)
    for word in _plain_words(text):
        uid = nicks.get(word.lower())
        if uid is not None and uid != author:
            found.append(f":highlight:{uid}")
    return found


def _plain_words(text: str) -> list[str]:
    """The words of a text that could be a nick said without the ``@``: not a mention, a
    hashtag, part of an address (``sam@…``) or of a path or link (``…/sam``). In one pass,
    so a long text costs no more than its length."""
    words = []
    for match in _WORD.finditer(text):
        start, end = match.span()
        if text[start - 1 : start] in ("@", "#", "/") or text[end : end + 1] == "@":
            continue
        word = match.group().strip(".-")
        if word:
            words.append(word)
    return words


def user_tags(tx: Tx, tags: list[str], user_ids: list[int], author: int | None = None) -> list[str]:
    """Tags given with a message, user tags translated as Flowdock did: ``@Nick`` of
    someone in the conversation (or ``@everyone``) becomes its ``mention_tags``; an
    ``@name`` nobody has stays as it was given."""
    if not any(tag.startswith("@") for tag in tags):
        return tags
    nicks = nicks_of(tx, user_ids)
    result: list[str] = []
    for tag in tags:
        translated = mention_tags([tag[1:]], nicks, author) if tag.startswith("@") else []
        result += translated or [tag]
    return with_text_tags([], result)


def conversation_people(tx: Tx, conversation: str, *, blocked: bool = False) -> list[int]:
    """Who a conversation's user tags can name: a private conversation's two people, or a
    flow's members (those blocked from it only with ``blocked``)."""
    pair = private.participants(conversation)
    if pair is not None:
        return list(pair)
    rows = tx.all(
        "SELECT user_id FROM flow_members WHERE flow_id = ? AND (? OR NOT disabled) ORDER BY rowid",
        (conversation, blocked),
    )
    return [row[0] for row in rows]


def with_text_tags(tags: list[str], derived: list[str]) -> list[str]:
    """``tags`` plus the derived ones it does not have yet (case and ``#`` aside)."""
    seen = {tag.lower().lstrip("#") for tag in tags}
    for tag in derived:
        if tag.lower() not in seen:
            seen.add(tag.lower())
            tags.append(tag)
    return tags


def tag_keys(tags: list[Any]) -> set[str]:
    """What the tags filter matches: each tag lower-cased, with and without a leading '#'."""
    keys: set[str] = set()
    for tag in tags:
        if isinstance(tag, str):
            keys.add(tag.lower())
            keys.add(tag.lower().lstrip("#"))
    return keys


# ---------------------------------------------------------------------- storing


def store_message(
    tx: Tx, conversation: str, message: Mapping[str, Any], *, source_id: int | None = None
) -> int:
    """Insert a message (``message`` in the API's shape, ``id`` included) and its tags;
    returns its ``seq``."""
    tags = list(message.get("tags") or [])
    author = message.get("author")
    cursor = tx.execute(
        "INSERT INTO messages (conversation, id, flow_id, event, uuid, user, source_id, "
        "thread_id, app, sent, content, tags, title, body, author, external_user_name, "
        "attachments, edited, to_user) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            conversation,
            message["id"],
            message.get("flow"),
            message["event"],
            message.get("uuid"),
            str(message["user"]),
            source_id,
            message.get("thread_id"),
            message.get("app"),
            message["sent"],
            dumps(message.get("content")),
            dumps(tags),
            message.get("title"),
            message.get("body"),
            None if author is None else dumps(author),
            message.get("external_user_name"),
            dumps(message.get("attachments") or []),
            message.get("edited"),
            message.get("to"),
        ),
    )
    seq = cursor.lastrowid
    assert seq is not None
    index_tags(tx, seq, tags, replace=False)
    tx.announce(seq, lambda: view(tx, seq))
    return seq


def index_tags(tx: Tx, seq: int, tags: list[Any], *, replace: bool = True) -> None:
    """(Re)write what the tags filter finds for a message (``replace`` False: a new message,
    which has nothing indexed yet)."""
    if replace:
        tx.execute("DELETE FROM message_tags WHERE seq = ?", (seq,))
    keys = tag_keys(tags)
    if keys:
        tx.conn.executemany(
            "INSERT OR IGNORE INTO message_tags (tag, seq) VALUES (?, ?)",
            [(key, seq) for key in keys],
        )


def view(tx: Tx, seq: int) -> dict[str, Any]:
    """The API's view of the message with this ``seq``."""
    row = tx.one("SELECT * FROM messages WHERE seq = ?", (seq,))
    assert row is not None
    return views.message_view(tx, row)


def next_id(tx: Tx, conversation: str) -> int:
    """The id the next message of a conversation gets (ids count per conversation)."""
    return (
        tx.value("SELECT max(id) FROM messages WHERE conversation = ?", (conversation,)) or 0
    ) + 1


def posting_flow(tx: Tx, principal: Principal, target: Any) -> str:
    """The id of the flow a person posts to: named in the path or by a ``flow`` field (a flow
    id), visible to them and joined; 400, 404 or 403 otherwise."""
    principal.require_scope("flow")
    if target is None or target == "":
        raise validation_error({"flow": ["can't be blank"]})
    if not isinstance(target, str):
        raise validation_error({"flow": ["must be a flow id"]})
    conversation = flows.user_flow(tx, principal, target)["id"]
    flows.require_member(tx, principal, conversation)
    return conversation


def post(
    tx: Tx,
    principal: Principal,
    data: Any,
    *,
    flow_id: str | None = None,
    thread_id: str | None = None,
    parent_id: int | None = None,
) -> tuple[int, bool]:
    """Store a message (and update its thread). Returns (its ``seq``, newly created); a
    repeated uuid returns the first message's. Build the view with :func:`view` only when
    it is wanted: most posts are answered 202 without one."""
    if not isinstance(data, Mapping):
        raise validation_error({"base": ["must be an object"]})
    source_id = principal.source_id if principal.kind == "source" else None
    if principal.kind in ("source", "push"):
        # A flow_token decides the flow, whatever the URL says (its source's flow, which lives
        # as long as the source does); the Push API has a flow's API token in the URL and no
        # user.
        assert principal.flow_id is not None
        conversation = principal.flow_id
    else:
        conversation = posting_flow(tx, principal, flow_id or data.get("flow"))

    errors = validate_message(
        data, thread_in_path=thread_id is not None, parent_in_path=parent_id is not None
    )
    if errors:
        raise validation_error(errors)
    event = data["event"]
    attaching = files.Attaching(conversation)
    attachments = _attachments(attaching, data)
    uuid = _text(data.get("uuid"))
    if uuid:
        existing = tx.value(
            "SELECT seq FROM messages WHERE conversation = ? AND uuid = ?", (conversation, uuid)
        )
        if existing is not None:
            return existing, False

    thread = None
    given_thread = thread_id or _text(data.get("thread_id"))
    if given_thread:
        thread = tx.one("SELECT * FROM threads WHERE id = ?", (given_thread,))
        if thread is None or thread["flow_id"] != conversation:
            if thread_id:
                raise not_found()
            raise validation_error({"thread_id": ["does not exist in this flow"]})

    tags = [t.strip() for t in (split_tags(data.get("tags")) or []) if isinstance(t, str)]
    content = data.get("content") if event not in THREAD_EVENTS else ""
    if event in ("message", "comment"):
        people = conversation_people(tx, conversation)
        author = principal.user_id if principal.kind == "user" else None
        tags = user_tags(tx, tags, people, author)
        tags = with_text_tags(tags, text_tags(tx, content, people, author))
    if event == "file":
        content = attachments[0]
        tags.append(":file")
    if event == "comment":
        parent = parent_id if parent_id is not None else _to_int(data.get("message"))
        parent_message = (
            tx.one(
                "SELECT * FROM messages WHERE conversation = ? AND id = ? AND NOT deleted",
                (conversation, parent),
            )
            if parent is not None and -(2**63) <= parent < 2**63
            else None
        )
        if parent_message is None or parent_message["event"] == "comment":
            raise validation_error({"message": ["must be an existing non-comment message"]})
        tags.append(f"influx:{parent}")
        # Stored comments carry their parent's title, as Flowdock's did.
        content = {"title": parent_title(parent_message), "text": content}
        if thread is None and parent_message["thread_id"]:
            thread = tx.one("SELECT * FROM threads WHERE id = ?", (parent_message["thread_id"],))

    now = tx.now_ms()
    if event in THREAD_EVENTS and thread is None:
        thread = _find_or_create_thread(
            tx, conversation, principal, source_id, _text(data.get("external_thread_id")) or "", now
        )
    if thread is not None:
        _update_thread(tx, thread["id"], event, data, now)

    message: dict[str, Any] = {
        "id": next_id(tx, conversation),
        "event": event,
        "content": content,
        "tags": tags,
        "uuid": uuid,
        "user": str(principal.user_id) if principal.kind == "user" else "0",
        "sent": now,
        "flow": conversation,
        "app": "influx" if (source_id or event in THREAD_EVENTS) else "chat",
        "attachments": attachments,
        "edited": None,
    }
    if event in THREAD_EVENTS:
        author = data["author"]
        message["author"] = {
            k: author[k] for k in ("name", "avatar", "email") if author.get(k) is not None
        }
        message["title"] = sanitize_title(data["title"])
        message["body"] = sanitize_body(_text(data.get("body")) or "")
    if _text(data.get("external_user_name")):
        message["external_user_name"] = data["external_user_name"]
    if thread is not None:
        message["thread_id"] = thread["id"]
    seq = store_message(tx, conversation, message, source_id=source_id)
    attaching.record(tx, seq)
    if event == "status" and principal.kind == "user":
        # A status message sets the user's status, shown with them in flows' user lists.
        tx.execute("UPDATE users SET status = ? WHERE id = ?", (content, principal.user_id))
    return seq, True


def _attachments(attaching: files.Attaching, data: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The attachment objects of a message being posted: a ``file`` message's one file, or
    an activity's or discussion's ``attachments``; 400 when they are not files."""
    if data["event"] == "file":
        return [files.file_content(attaching, data.get("content"))]
    if data["event"] in THREAD_EVENTS and data.get("attachments") not in (None, "", [], {}):
        given = files.uploads_of(data["attachments"])
        if given is None:
            raise validation_error(
                {"attachments": ["must be files sent as multipart parts (attachments[name])"]}
            )
        return [attaching.add(upload, content_id) for upload, content_id in given]
    return []


def parent_title(parent: Row) -> str:
    """What a comment shows as the title of the message it answers: the parent's title
    (inbox items), a mail's subject, or the first line of a chat message."""
    if parent["title"]:
        return parent["title"]
    content = loads(parent["content"])
    if isinstance(content, Mapping):
        content = content.get("subject") or content.get("file_name") or content.get("text")
    text = content if isinstance(content, str) else ""
    return text.strip().splitlines()[0][:PARENT_TITLE_LENGTH] if text.strip() else ""


def _find_or_create_thread(
    tx: Tx,
    flow_id: str,
    principal: Principal,
    source_id: int | None,
    external_id: str,
    now: int,
) -> Row:
    # external_thread_id is unique per source; a user without a source gets its own space.
    owner = f"source:{source_id}" if source_id else f"user:{principal.user_id}"
    found = tx.one(
        "SELECT * FROM threads WHERE flow_id = ? AND owner = ? AND external_thread_id = ?",
        (flow_id, owner, external_id),
    )
    if found is not None:
        return found
    if source_id is not None:
        application_id = tx.value("SELECT application_id FROM sources WHERE id = ?", (source_id,))
    else:
        application_id = tx.value(
            "SELECT id FROM applications WHERE client_id = ?", (principal.client_id,)
        )
    thread_id = secrets.token_urlsafe(20)
    tx.execute(
        "INSERT INTO threads (id, flow_id, owner, external_thread_id, source_id, application_id, "
        "created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (thread_id, flow_id, owner, external_id, source_id,
         application_id, now, now),
    )  # fmt: skip
    row = tx.one("SELECT * FROM threads WHERE id = ?", (thread_id,))
    assert row is not None
    return row


def _update_thread(tx: Tx, thread_id: str, event: str, data: Mapping[str, Any], now: int) -> None:
    changes: dict[str, Any] = {}
    if event in THREAD_EVENTS and isinstance(data.get("thread"), Mapping):
        changes.update(thread_state(data["thread"]))
    counter = {"activity": "activities", "discussion": "external_comments"}.get(
        event, "internal_comments"
    )
    assignments = [f"{key} = ?" for key in changes]
    assignments += [f"{counter} = {counter} + 1", "updated_at = ?"]
    tx.execute(
        f"UPDATE threads SET {', '.join(assignments)} WHERE id = ?",
        (*changes.values(), now, thread_id),
    )
    tx.memo.pop(("thread", thread_id), None)


def thread_state(state: Mapping[str, Any]) -> dict[str, Any]:
    """Columns to change from a validated ``thread`` object, with HTML sanitised."""
    changes: dict[str, Any] = {}
    if isinstance(state.get("title"), str):
        changes["title"] = sanitize_title(state["title"])
    if "body" in state:
        changes["body"] = sanitize_body(_text(state.get("body")) or "")
    if "external_url" in state:
        changes["external_url"] = _text(state.get("external_url"))
    if "status" in state:
        status = state.get("status")
        changes["status"] = (
            dumps({"color": status["color"], "value": sanitize_title(status["value"])})
            if isinstance(status, Mapping)
            else None
        )
    if isinstance(state.get("fields"), list):
        changes["fields"] = dumps(
            [
                {"label": sanitize_title(f["label"]), "value": sanitize_title(f["value"])}
                for f in state["fields"]
                if isinstance(f, Mapping)
            ]
        )
    if isinstance(state.get("actions"), list):
        changes["actions"] = dumps(
            [json.loads(json.dumps(a)) for a in state["actions"] if isinstance(a, Mapping)]
        )
    return changes


# ---------------------------------------------------------------------- reading


def _int_param(
    params: Mapping[str, str], key: str, default: int | None, errors: dict[str, list[str]]
) -> int | None:
    raw = params.get(key)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        errors.setdefault(key, []).append("must be a whole number")
        return default
    # SQLite integers are 64-bit; a bound beyond them means "no bound" anyway.
    return max(-(2**63), min(value, 2**63 - 1))


# Chat text, a comment's text (its content is {title, text}), titles and bodies.
_SEARCHABLE = (
    "py_lower(coalesce(CASE json_type(content) WHEN 'text' THEN json_extract(content, '$') "
    "WHEN 'object' THEN json_extract(content, '$.text') END, '') || ' ' || coalesce(title, '') "
    "|| ' ' || coalesce(body, ''))"
)


def list_messages(
    tx: Tx,
    principal: Principal,
    flow_id: str,
    params: Mapping[str, str],
    thread_id: str | None = None,
) -> list[dict[str, Any]]:
    """GET a flow's (or a thread's) messages with Flowdock's filters; ascending by id."""
    principal.require_scope("flow")
    flow = flows.user_flow(tx, principal, flow_id)
    if thread_id is not None:
        thread = tx.one("SELECT flow_id FROM threads WHERE id = ?", (thread_id,))
        if thread is None or thread["flow_id"] != flow["id"]:
            raise not_found()
    return query(tx, flow["id"], params, thread_id)


def query(
    tx: Tx, conversation: str, params: Mapping[str, str], thread_id: str | None = None
) -> list[dict[str, Any]]:
    """A conversation's messages (a flow's, or a private one's) filtered by Flowdock's
    listing parameters (``event``, ``limit``, ``since_id``, ``until_id``, ``sort``, ``tags``,
    ``tag_mode``, ``search``, and ``skip`` to page through search results); ascending by id."""
    errors: dict[str, list[str]] = {}
    limit = _int_param(params, "limit", MESSAGE_LIMIT_DEFAULT, errors)
    if limit is not None and not 1 <= limit <= MESSAGE_LIMIT_MAX:
        errors.setdefault("limit", []).append("must be between 1 and 100")
    since_id = _int_param(params, "since_id", None, errors)
    until_id = _int_param(params, "until_id", None, errors)
    skip = _int_param(params, "skip", 0, errors) or 0
    if skip < 0:
        errors.setdefault("skip", []).append("must be 0 or more")
    if errors:
        raise validation_error(errors)
    where = ["conversation = ?", "NOT deleted"]
    args: list[Any] = [conversation]
    if thread_id is not None:
        where.append("thread_id = ?")
        args.append(thread_id)
    events = list(dict.fromkeys(e for e in params.get("event", "").split(",") if e))
    if events:
        where.append(f"event IN ({','.join('?' * len(events))})")
        args += events
    tags = [t.strip().lower() for t in params.get("tags", "").split(",")]
    if any(t.startswith("@") for t in tags):
        tags = listing_user_tags(tx, conversation, tags)
    tags = [t for t in dict.fromkeys(tags) if t]
    if tags and params.get("tag_mode") == "or":
        marks = ",".join("?" * len(tags))
        where.append(f"seq IN (SELECT seq FROM message_tags WHERE tag IN ({marks}))")
        args += tags
    else:
        for tag in tags:
            where.append("seq IN (SELECT seq FROM message_tags WHERE tag = ?)")
            args.append(tag)
    words = params.get("search", "").lower().split()
    if words:
        for word in words:
            where.append(f"instr({_SEARCHABLE}, ?) > 0")
            args.append(word)
    else:
        skip = 0  # only search results are paged by skipping
        if since_id is not None:
            where.append("id > ?")
            args.append(since_id)
        if until_id is not None:
            where.append("id < ?")
            args.append(until_id)
    ascending = params.get("sort") == "asc"
    rows = tx.all(
        f"SELECT * FROM messages WHERE {' AND '.join(where)} "
        f"ORDER BY id {'ASC' if ascending else 'DESC'} LIMIT ? OFFSET ?",
        (*args, limit or MESSAGE_LIMIT_DEFAULT, skip),
    )
    if not ascending:
        rows.reverse()
    return [views.message_view(tx, row) for row in rows]


def listing_user_tags(tx: Tx, conversation: str, tags: list[str]) -> list[str]:
    """A listing's ``tags`` with user tags as Flowdock's docs accept them: ``@Nick`` (any
    case) of someone in the conversation means ``:user:<id>``, ``@everyone`` and the other
    words for everyone ``:user:everyone``; an ``@name`` nobody there has stays as given."""
    # Old messages may name people blocked since; they are still who the tag means.
    nicks = nicks_of(tx, conversation_people(tx, conversation, blocked=True))
    result = []
    for tag in tags:
        name = tag[1:] if tag.startswith("@") else None
        if name in EVERYONE:
            tag = ":user:everyone"
        elif name is not None and name in nicks:
            tag = f":user:{nicks[name]}"
        result.append(tag)
    return result


def show(tx: Tx, principal: Principal, flow_id: str, message_id: int) -> dict[str, Any]:
    principal.require_scope("flow")
    flow = flows.user_flow(tx, principal, flow_id)
    row = tx.one(
        "SELECT * FROM messages WHERE conversation = ? AND id = ? AND NOT deleted",
        (flow["id"], message_id),
    )
    if row is None:
        raise not_found()
    return views.message_view(tx, row)


def in_flow(tx: Tx, flow_id: str) -> list[dict[str, Any]]:
    """Every message of a flow, oldest first (the admin API)."""
    rows = tx.all(
        "SELECT * FROM messages WHERE conversation = ? AND NOT deleted ORDER BY id", (flow_id,)
    )
    return [views.message_view(tx, row) for row in rows]


def list_threads(
    tx: Tx, principal: Principal, flow_id: str, params: Mapping[str, str], base_url: str
) -> tuple[list[dict[str, Any]], int | None]:
    """Threads newest first by update time; returns (page, updated_at ms for next page)."""
    principal.require_scope("flow")
    flow = flows.user_flow(tx, principal, flow_id)
    errors: dict[str, list[str]] = {}
    where = ["flow_id = ?"]
    args: list[Any] = [flow["id"]]
    for key, operator in (("since", ">"), ("until", "<")):
        if params.get(key):
            try:
                bound = views.parse_iso(params[key])
            except (ValueError, OverflowError):
                errors[key] = ["must be an ISO-8601 time"]
            else:
                where.append(f"updated_at {operator} ?")
                args.append(max(-(2**63), min(bound, 2**63 - 1)))
    limit = _int_param(params, "limit", THREAD_PAGE_SIZE, errors)
    if limit is not None and not 1 <= limit <= MESSAGE_LIMIT_MAX:
        errors.setdefault("limit", []).append("must be between 1 and 100")
    if errors:
        raise validation_error(errors)
    application = params.get("application")
    if application == "chat":
        where.append("application_id IS NULL AND source_id IS NULL")
    elif application == "inbox":
        where.append("source_id IS NOT NULL")
    elif application:
        where.append("CAST(application_id AS TEXT) = ?")
        args.append(application)
    size = limit or THREAD_PAGE_SIZE
    rows = tx.all(
        f"SELECT * FROM threads WHERE {' AND '.join(where)} ORDER BY updated_at DESC LIMIT ?",
        (*args, size + 1),
    )
    page = rows[:size]
    next_until = page[-1]["updated_at"] if len(rows) > size else None
    return [views.thread_view(tx, row, base_url) for row in page], next_until


def show_thread(
    tx: Tx, principal: Principal, flow_id: str, thread_id: str, base_url: str
) -> dict[str, Any]:
    principal.require_scope("flow")
    flow = flows.user_flow(tx, principal, flow_id)
    thread = tx.one("SELECT * FROM threads WHERE id = ?", (thread_id,))
    if thread is None or thread["flow_id"] != flow["id"]:
        raise not_found()
    return views.thread_view(tx, thread, base_url)


#: What a conversation's page shows as its chat (edits and tag changes show on the messages).
CHAT_PAGE_EVENTS = ("message", "status", "comment", "file", "mail")
CHAT_PAGE_MESSAGES = 50


def recent_chat(tx: Tx, conversation: str) -> list[dict[str, Any]]:
    """The last chat messages of a flow or private conversation, oldest first (web pages)."""
    marks = ",".join("?" * len(CHAT_PAGE_EVENTS))
    rows = tx.all(
        f"SELECT * FROM messages WHERE conversation = ? AND NOT deleted AND event IN ({marks}) "
        "ORDER BY id DESC LIMIT ?",
        (conversation, *CHAT_PAGE_EVENTS, CHAT_PAGE_MESSAGES),
    )
    return [views.message_view(tx, row, with_thread=False) for row in reversed(rows)]


def inbox(tx: Tx, flow_id: str, base_url: str) -> list[dict[str, Any]]:
    """The newest threads of a flow, each with its last few messages (the web page)."""
    threads = tx.all(
        "SELECT * FROM threads WHERE flow_id = ? ORDER BY updated_at DESC LIMIT ?",
        (flow_id, INBOX_THREADS),
    )
    return [_inbox_view(tx, thread, base_url) for thread in threads]


def inbox_thread(tx: Tx, flow_id: str, thread_id: str, base_url: str) -> dict[str, Any] | None:
    """One thread of a flow as the team inbox page shows it, or None."""
    thread = tx.one("SELECT * FROM threads WHERE id = ? AND flow_id = ?", (thread_id, flow_id))
    return None if thread is None else _inbox_view(tx, thread, base_url)


def _inbox_view(tx: Tx, thread: Row, base_url: str) -> dict[str, Any]:
    view = views.thread_view(tx, thread, base_url)
    recent = tx.all(
        "SELECT * FROM messages WHERE thread_id = ? AND NOT deleted ORDER BY id DESC LIMIT ?",
        (thread["id"], INBOX_RECENT),
    )
    view["recent"] = []
    for row in recent:
        message = views.message_view(tx, row, with_thread=False)
        if message["user"] != "0":
            # People's comments carry no author object; the page shows their name.
            message["user_name"] = tx.value("SELECT name FROM users WHERE id = ?", (row["user"],))
        view["recent"].append(message)
    return view
