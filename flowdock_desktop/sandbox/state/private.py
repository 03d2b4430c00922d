"""Private conversations: one per pair of people who share an organization.

In the API a conversation is named by the other person's user id. Its messages are counted
in a conversation of their own (``private:<lower id>:<higher id>``), carry ``to`` instead of
``flow``, and are stored and announced through ``messages.store_message`` like flow messages.
Each person keeps a conversation open (a tab) or closed; a new message reopens it for both.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flowdock_desktop.api.validation import split_tags, validate_message
from flowdock_desktop.sandbox.state import edits, files, flows, messages, views
from flowdock_desktop.sandbox.state.errors import not_found, validation_error
from flowdock_desktop.sandbox.state.principals import Principal
from flowdock_desktop.sandbox.state.store import Row, Tx

SCOPE = "private"
#: What may be posted into a private conversation (Flowdock: chat messages, and files).
EVENTS = ("message", "file")


def conversation_key(user_id: int, other_id: int) -> str:
    low, high = sorted((user_id, other_id))
    return f"private:{low}:{high}"


def participants(conversation: str) -> tuple[int, int] | None:
    """The two user ids of a private conversation key, or None for a flow's."""
    kind, _, pair = conversation.partition(":")
    if kind != "private":
        return None
    low, _, high = pair.partition(":")
    return int(low), int(high)


def other_person(tx: Tx, principal: Principal, other_id: int) -> Row:
    """The other person of a conversation: someone sharing an organization, not yourself."""
    principal.require_scope(SCOPE)
    if other_id == principal.user_id or other_id not in flows.visible_user_ids(tx, principal):
        raise not_found()
    row = tx.one("SELECT * FROM users WHERE id = ?", (other_id,))
    if row is None:
        raise not_found()
    return row


def _open_flag(tx: Tx, user_id: int, other_id: int) -> bool | None:
    value = tx.value(
        "SELECT open FROM private_conversations WHERE user_id = ? AND other_id = ?",
        (user_id, other_id),
    )
    return None if value is None else bool(value)


def _set_open(tx: Tx, user_id: int, other_id: int, is_open: bool) -> None:
    tx.execute(
        "INSERT INTO private_conversations (user_id, other_id, open) VALUES (?, ?, ?) "
        "ON CONFLICT (user_id, other_id) DO UPDATE SET open = excluded.open",
        (user_id, other_id, int(is_open)),
    )


def _view(tx: Tx, user_id: int, other: Row, base_url: str) -> dict[str, Any]:
    return {
        "id": other["id"],
        "url": f"{base_url}/private/{other['id']}",
        "name": f"@{other['nick']}",
        "open": bool(_open_flag(tx, user_id, other["id"])),
        "activity": {"inbox": False, "mentions": 0, "chat": False},
        "users": [
            views.user_view(tx, user_id, base_url),
            views.user_view(tx, other["id"], base_url),
        ],
    }


def list_conversations(tx: Tx, principal: Principal, base_url: str) -> list[dict[str, Any]]:
    """``GET /private``: the caller's conversations, open or not."""
    principal.require_scope(SCOPE)
    visible = set(flows.visible_user_ids(tx, principal))
    rows = tx.all(
        "SELECT u.* FROM private_conversations p JOIN users u ON u.id = p.other_id "
        "WHERE p.user_id = ? ORDER BY u.id",
        (principal.user_id,),
    )
    return [
        _view(tx, principal.user_id or 0, row, base_url) for row in rows if row["id"] in visible
    ]


def show(tx: Tx, principal: Principal, other_id: int, base_url: str) -> dict[str, Any]:
    """``GET /private/:id``: made (closed) when the two have not talked yet, as Flowdock did."""
    other = other_person(tx, principal, other_id)
    if _open_flag(tx, principal.user_id or 0, other_id) is None:
        _set_open(tx, principal.user_id or 0, other_id, False)
    return _view(tx, principal.user_id or 0, other, base_url)


def update(
    tx: Tx, principal: Principal, other_id: int, data: Mapping[str, Any], base_url: str
) -> dict[str, Any]:
    """``PUT /private/:id`` ``{"open": false}``: show or hide the conversation's tab."""
    other = other_person(tx, principal, other_id)
    errors: dict[str, list[str]] = {}
    is_open = flows.flag(data, "open", errors)
    if is_open is None and not errors:
        errors["open"] = ["can't be blank"]
    if errors:
        raise validation_error(errors)
    _set_open(tx, principal.user_id or 0, other_id, bool(is_open))
    return _view(tx, principal.user_id or 0, other, base_url)


def post(tx: Tx, principal: Principal, other_id: int, data: Any) -> int:
    """Store a private message (``message``, or ``file`` with ``content`` already turned into
    a stored file's attachment by the caller); returns its ``seq``. A repeated ``uuid``
    returns the first message's."""
    other_person(tx, principal, other_id)
    if not isinstance(data, Mapping):
        raise validation_error({"base": ["must be an object"]})
    errors = validate_message(data)
    if not errors and data["event"] not in EVENTS:
        errors["event"] = ["must be message or file in a private conversation"]
    if errors:
        raise validation_error(errors)
    me = principal.user_id or 0
    conversation = conversation_key(me, other_id)
    uuid = data.get("uuid") if isinstance(data.get("uuid"), str) else None
    if uuid:
        existing = tx.value(
            "SELECT seq FROM messages WHERE conversation = ? AND uuid = ?", (conversation, uuid)
        )
        if existing is not None:
            return existing
    content = data["content"]
    tags = [t.strip() for t in split_tags(data.get("tags")) or []]
    if data["event"] == "message":
        people = [me, other_id]
        tags = messages.user_tags(tx, tags, people, me)
        tags = messages.with_text_tags(tags, messages.text_tags(tx, content, people, me))
    attaching = files.Attaching(conversation)
    attachments = []
    if data["event"] == "file":
        content = files.file_content(attaching, content)
        attachments.append(content)
        tags.append(":file")
    seq = messages.store_message(
        tx,
        conversation,
        {
            "id": messages.next_id(tx, conversation),
            "event": data["event"],
            "content": content,
            "tags": tags,
            "uuid": uuid,
            "user": str(me),
            "to": str(other_id),
            "sent": tx.now_ms(),
            "app": "chat",
            "attachments": attachments,
        },
    )
    attaching.record(tx, seq)
    # A new message opens the conversation for both of them.
    _set_open(tx, me, other_id, True)
    _set_open(tx, other_id, me, True)
    return seq


def list_messages(
    tx: Tx, principal: Principal, other_id: int, params: Mapping[str, str]
) -> list[dict[str, Any]]:
    """``GET /private/:id/messages`` with the flows' listing parameters."""
    other_person(tx, principal, other_id)
    return messages.query(tx, conversation_key(principal.user_id or 0, other_id), params)


def message(tx: Tx, principal: Principal, other_id: int, message_id: int) -> Row:
    """A private message of the caller's conversation with ``other_id``, else 404."""
    other_person(tx, principal, other_id)
    return edits.find(tx, conversation_key(principal.user_id or 0, other_id), message_id)
