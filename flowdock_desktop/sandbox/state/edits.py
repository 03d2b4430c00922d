"""Changing and removing stored messages, with the codes Flowdock gave for each kind.

Every change is itself stored as a message of its conversation, as Flowdock's were, through
``messages.store_message`` (so it is announced to the stream like any other message):
``message-edit`` ``{message, updated_content}`` for new content (also when a message is
emptied), ``tag-change`` ``{message, add, remove}`` for new tags, and ``message-delete``
``{message}`` when a message is removed (an event of the sandbox's own: Flowdock documented
none, and clients skip events they do not know).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flowdock_desktop.api.validation import split_tags, validate_message
from flowdock_desktop.sandbox.state import files, messages
from flowdock_desktop.sandbox.state.errors import ApiError, not_found, validation_error
from flowdock_desktop.sandbox.state.principals import Principal
from flowdock_desktop.sandbox.state.store import Row, Tx, dumps, loads

#: Events whose content their author may change (or empty, on delete).
EDITABLE_EVENTS = ("message", "comment")


def _is_system_tag(tag: str) -> bool:
    """Tags a client's new list cannot remove: a comment's link to its parent, and ``:file``."""
    return tag.startswith("influx:") or tag == ":file"


def find(tx: Tx, conversation: str, message_id: int) -> Row:
    """A message of the conversation that has not been removed, else 404."""
    row = tx.one(
        "SELECT * FROM messages WHERE conversation = ? AND id = ? AND NOT deleted",
        (conversation, message_id),
    )
    if row is None:
        raise not_found()
    return row


def _own(row: Row, principal: Principal) -> bool:
    return row["user"] == str(principal.user_id)


def _record(tx: Tx, row: Row, principal: Principal, event: str, content: Any) -> None:
    """Store the change as a message of the same conversation (and so announce it). It is
    not part of the changed message's thread: a thread's timeline lists what was said, and
    shows each message's latest content and ``edited``."""
    messages.store_message(
        tx,
        row["conversation"],
        {
            "id": messages.next_id(tx, row["conversation"]),
            "event": event,
            "content": content,
            "tags": [],
            "user": str(principal.user_id),
            "sent": tx.now_ms(),
            "flow": row["flow_id"],
            "to": row["to_user"],
            "app": None,
        },
    )


def _new_content(row: Row, text: str) -> Any:
    """What is stored for new text: a comment keeps its parent's title."""
    if row["event"] == "comment":
        old = loads(row["content"])
        title = old.get("title", "") if isinstance(old, Mapping) else ""
        return {"title": title, "text": text}
    return text


def edit(tx: Tx, principal: Principal, row: Row, data: Mapping[str, Any]) -> None:
    """``PUT`` a message: ``content`` (own ``message`` or ``comment`` only, else 403) and
    ``tags`` (anyone who can see it; the list replaces the old one)."""
    if "content" not in data and "tags" not in data:
        raise validation_error({"base": ["give content or tags"]})
    errors: dict[str, list[str]] = {}
    if "content" in data:
        errors.update(
            (k, v)
            for k, v in validate_message({"event": "message", "content": data["content"]}).items()
            if k == "content"
        )
    if "tags" in data:
        check = validate_message({"event": "message", "content": "-", "tags": data["tags"]})
        errors.update((k, v) for k, v in check.items() if k.startswith("tags"))
    if errors:
        raise validation_error(errors)
    if "content" in data:
        if row["event"] not in EDITABLE_EVENTS or not _own(row, principal):
            raise ApiError(403, "You can only change the content of your own messages")
        _change_content(tx, row, principal, data["content"])
    if "tags" in data:
        _change_tags(tx, row, principal, [t.strip() for t in split_tags(data["tags"]) or []])


def _change_content(tx: Tx, row: Row, principal: Principal, text: str) -> None:
    content = _new_content(row, text)
    if loads(row["content"]) == content:
        return
    tx.execute(
        "UPDATE messages SET content = ?, edited = ? WHERE seq = ?",
        (dumps(content), tx.now_ms(), row["seq"]),
    )
    _record(tx, row, principal, "message-edit", {"message": row["id"], "updated_content": content})


def _change_tags(tx: Tx, row: Row, principal: Principal, wanted: list[str]) -> None:
    # ``@Nick`` and ``@everyone`` become user tags, as when the message was posted.
    people = messages.conversation_people(tx, row["conversation"])
    wanted = messages.user_tags(tx, wanted, people, principal.user_id)
    old: list[str] = loads(row["tags"], [])
    kept = [tag for tag in old if _is_system_tag(tag)]
    new = kept + [tag for tag in dict.fromkeys(wanted) if tag not in kept]
    folded = {tag.lower() for tag in new}
    removed = [tag for tag in old if tag.lower() not in folded]
    added = [tag for tag in new if tag.lower() not in {t.lower() for t in old}]
    if not added and not removed:
        return
    tx.execute("UPDATE messages SET tags = ? WHERE seq = ?", (dumps(new), row["seq"]))
    messages.index_tags(tx, row["seq"], new)
    _record(
        tx, row, principal, "tag-change", {"message": row["id"], "add": added, "remove": removed}
    )


def delete(tx: Tx, principal: Principal, row: Row) -> int:
    """``DELETE`` a message; returns the status Flowdock answered.

    Team inbox messages (``app`` ``influx``) and your own files are removed (204): gone from
    every listing, their files deleted. Your own chat messages and comments are emptied
    (200, an edit to ``""``). Anything else: 403.
    """
    own = _own(row, principal)
    if row["app"] == "influx" or (row["event"] == "file" and own):
        tx.execute(
            "UPDATE messages SET deleted = 1, content = NULL, title = NULL, body = NULL, "
            "attachments = '[]', tags = '[]' WHERE seq = ?",
            (row["seq"],),
        )
        tx.execute("DELETE FROM message_tags WHERE seq = ?", (row["seq"],))
        keys = files.forget(tx, row["seq"])
        if keys:
            blobs = tx.blobs
            tx.after_commit(lambda: blobs.remove(keys))
        _record(tx, row, principal, "message-delete", {"message": row["id"]})
        return 204
    if row["event"] in EDITABLE_EVENTS and own:
        _change_content(tx, row, principal, "")
        return 200
    raise ApiError(403, "You can only delete your own messages and files, or team inbox items")
