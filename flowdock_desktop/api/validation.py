"""The one set of message rules, shared by the client's builders and the sandbox server.

Errors are returned the way Flowdock answered a 400: a mapping from field name to a list of
short phrases ("can't be blank"). Nested fields use dotted keys such as ``thread.status.color``
and ``thread.fields.0.label`` so a form can put each message next to the right widget.

Flowdock documented few limits (chat content up to 8096 characters, flow names up to 100); the
other limits below are this project's choices, written down in ``docs/sandbox.md``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

FieldErrors = dict[str, list[str]]

EVENTS = ("message", "status", "comment", "file", "activity", "discussion")
THREAD_EVENTS = ("activity", "discussion")
CHAT_EVENTS = ("message", "status", "comment")

STATUS_COLORS = (
    "red",
    "green",
    "yellow",
    "cyan",
    "orange",
    "grey",
    "black",
    "lime",
    "purple",
    "blue",
)

CONTENT_MAX_LENGTH = 8096
TITLE_MAX_LENGTH = 255
BODY_MAX_LENGTH = 65_536
AUTHOR_NAME_MAX_LENGTH = 100
EXTERNAL_THREAD_ID_MAX_LENGTH = 255
STATUS_VALUE_MAX_LENGTH = 64
FIELD_LABEL_MAX_LENGTH = 64
FIELD_VALUE_MAX_LENGTH = 1000
MAX_FIELDS = 20
ACTION_NAME_MAX_LENGTH = 64
MAX_ACTIONS = 10
TAG_MAX_LENGTH = 64
MAX_TAGS = 50
URL_MAX_LENGTH = 2048
UUID_MAX_LENGTH = 128
SOURCE_NAME_MAX_LENGTH = 100
FLOW_NAME_MAX_LENGTH = 100

ACTION_TYPES = ("ViewAction", "UpdateAction")

BLANK = "can't be blank"
NOT_TEXT = "must be text"
NOT_OBJECT = "must be an object"
NOT_LIST = "must be a list"
BAD_URL = "must be an http:// or https:// address"


def too_long(limit: int) -> str:
    return f"is too long (maximum is {limit} characters)"


def too_many(limit: int) -> str:
    return f"has too many entries (maximum is {limit})"


class _Collector:
    """Accumulates field errors under dotted keys."""

    def __init__(self) -> None:
        self.errors: FieldErrors = {}

    def add(self, field: str, message: str) -> None:
        self.errors.setdefault(field, []).append(message)

    def text(
        self,
        data: Mapping[str, Any],
        key: str,
        field: str,
        *,
        required: bool,
        limit: int,
    ) -> str | None:
        """Check an optional or required string value; return it when usable."""
        value = data.get(key)
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                self.add(field, BLANK)
            return None
        if not isinstance(value, str):
            self.add(field, NOT_TEXT)
            return None
        if len(value) > limit:
            self.add(field, too_long(limit))
        return value

    def url(self, data: Mapping[str, Any], key: str, field: str, *, required: bool) -> None:
        value = self.text(data, key, field, required=required, limit=URL_MAX_LENGTH)
        if value is not None and not is_http_url(value):
            self.add(field, BAD_URL)


def is_http_url(value: str) -> bool:
    """True for an absolute http(s) URL with a host."""
    try:
        parts = urlsplit(value.strip())
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.netloc) and " " not in value.strip()


def split_tags(tags: Any) -> list[str] | None:
    """Tags as a list: Flowdock accepted an array or a comma-separated string.

    Returns None when ``tags`` is neither.
    """
    if isinstance(tags, str):
        return [part.strip() for part in tags.split(",") if part.strip()]
    if isinstance(tags, list | tuple):
        return list(tags)
    return None


def validate_message(
    data: Any,
    *,
    thread_in_path: bool = False,
    parent_in_path: bool = False,
) -> FieldErrors:
    """Check a message body as ``POST /messages`` receives it.

    ``thread_in_path`` is set when the URL already names the thread
    (``/flows/:org/:flow/threads/:id/messages``) and ``parent_in_path`` when it names the
    parent of a comment. The credentials (``flow_token``) and the flow are checked by the
    server, not here.
    """
    check = _Collector()
    if not isinstance(data, Mapping):
        check.add("base", NOT_OBJECT)
        return check.errors

    event = data.get("event")
    if event is None or event == "":
        check.add("event", BLANK)
    elif event not in EVENTS:
        check.add("event", "must be one of: " + ", ".join(EVENTS))

    if event in CHAT_EVENTS:
        _check_chat(check, data, event, parent_in_path=parent_in_path)
    elif event in THREAD_EVENTS:
        _check_thread_message(check, data, event, thread_in_path=thread_in_path)
    elif event == "file":
        content = data.get("content")
        if not isinstance(content, Mapping) or not content.get("data"):
            check.add("content", "must be a file object with data, content_type and file_name")

    tags = data.get("tags")
    if tags is not None:
        tag_list = split_tags(tags)
        if tag_list is None:
            check.add("tags", "must be a list or a comma-separated string")
        else:
            if len(tag_list) > MAX_TAGS:
                check.add("tags", too_many(MAX_TAGS))
            for index, tag in enumerate(tag_list):
                if not isinstance(tag, str) or not tag.strip():
                    check.add(f"tags.{index}", BLANK if isinstance(tag, str) else NOT_TEXT)
                elif len(tag) > TAG_MAX_LENGTH:
                    check.add(f"tags.{index}", too_long(TAG_MAX_LENGTH))

    check.text(data, "uuid", "uuid", required=False, limit=UUID_MAX_LENGTH)
    check.text(
        data,
        "external_user_name",
        "external_user_name",
        required=False,
        limit=AUTHOR_NAME_MAX_LENGTH,
    )
    return check.errors


def _check_chat(check: _Collector, data: Mapping[str, Any], event: str, *, parent_in_path: bool):
    check.text(data, "content", "content", required=True, limit=CONTENT_MAX_LENGTH)
    if event == "comment" and not parent_in_path:
        parent = data.get("message")
        if parent is None or parent == "":
            check.add("message", BLANK)
        elif isinstance(parent, bool) or not _is_intlike(parent):
            check.add("message", "must be a message id")


def _is_intlike(value: Any) -> bool:
    if isinstance(value, int):
        return True
    return isinstance(value, str) and value.isdigit()


def _check_thread_message(
    check: _Collector, data: Mapping[str, Any], event: str, *, thread_in_path: bool
) -> None:
    check.text(data, "title", "title", required=True, limit=TITLE_MAX_LENGTH)
    check.text(data, "body", "body", required=event == "discussion", limit=BODY_MAX_LENGTH)

    author = data.get("author")
    if author is None:
        check.add("author.name", BLANK)
    elif not isinstance(author, Mapping):
        check.add("author", NOT_OBJECT)
    else:
        check.text(author, "name", "author.name", required=True, limit=AUTHOR_NAME_MAX_LENGTH)
        check.url(author, "avatar", "author.avatar", required=False)
        email = check.text(author, "email", "author.email", required=False, limit=254)
        if email is not None and "@" not in email:
            check.add("author.email", "must be an email address")

    has_thread_id = data.get("thread_id") not in (None, "")
    external = check.text(
        data,
        "external_thread_id",
        "external_thread_id",
        required=False,
        limit=EXTERNAL_THREAD_ID_MAX_LENGTH,
    )
    if has_thread_id and not isinstance(data.get("thread_id"), str):
        check.add("thread_id", NOT_TEXT)
    has_external = external is not None or "external_thread_id" in check.errors
    if not (thread_in_path or has_thread_id or has_external):
        check.add("external_thread_id", "can't be blank (or give thread_id)")

    thread = data.get("thread")
    if thread is None:
        check.add("thread.title", BLANK)
        return
    if not isinstance(thread, Mapping):
        check.add("thread", NOT_OBJECT)
        return
    validate_thread_state(thread, check)


def validate_thread_state(
    thread: Mapping[str, Any], check: _Collector | None = None
) -> FieldErrors:
    """Check a thread object (``thread`` in a message); keys are prefixed ``thread.``."""
    check = check or _Collector()
    check.text(thread, "title", "thread.title", required=True, limit=TITLE_MAX_LENGTH)
    check.text(thread, "body", "thread.body", required=False, limit=BODY_MAX_LENGTH)
    check.url(thread, "external_url", "thread.external_url", required=False)

    status = thread.get("status")
    if status is not None:
        if not isinstance(status, Mapping):
            check.add("thread.status", NOT_OBJECT)
        else:
            check.text(
                status,
                "value",
                "thread.status.value",
                required=True,
                limit=STATUS_VALUE_MAX_LENGTH,
            )
            color = status.get("color")
            if color in (None, ""):
                check.add("thread.status.color", BLANK)
            elif color not in STATUS_COLORS:
                check.add("thread.status.color", "must be one of: " + ", ".join(STATUS_COLORS))

    fields = thread.get("fields")
    if fields is not None:
        if not isinstance(fields, list):
            check.add("thread.fields", NOT_LIST)
        else:
            if len(fields) > MAX_FIELDS:
                check.add("thread.fields", too_many(MAX_FIELDS))
            for index, item in enumerate(fields):
                prefix = f"thread.fields.{index}"
                if not isinstance(item, Mapping):
                    check.add(prefix, NOT_OBJECT)
                    continue
                check.text(
                    item, "label", f"{prefix}.label", required=True, limit=FIELD_LABEL_MAX_LENGTH
                )
                check.text(
                    item, "value", f"{prefix}.value", required=True, limit=FIELD_VALUE_MAX_LENGTH
                )

    actions = thread.get("actions")
    if actions is not None:
        if not isinstance(actions, list):
            check.add("thread.actions", NOT_LIST)
        else:
            if len(actions) > MAX_ACTIONS:
                check.add("thread.actions", too_many(MAX_ACTIONS))
            for index, item in enumerate(actions):
                _check_action(check, item, f"thread.actions.{index}")
    return check.errors


def _check_action(check: _Collector, action: Any, prefix: str) -> None:
    if not isinstance(action, Mapping):
        check.add(prefix, NOT_OBJECT)
        return
    kind = action.get("@type")
    if kind not in ACTION_TYPES:
        check.add(f"{prefix}.@type", "must be one of: " + ", ".join(ACTION_TYPES))
    check.text(action, "name", f"{prefix}.name", required=True, limit=ACTION_NAME_MAX_LENGTH)
    if kind == "ViewAction":
        check.url(action, "url", f"{prefix}.url", required=True)
        check.url(action, "image", f"{prefix}.image", required=False)
    elif kind == "UpdateAction":
        target = action.get("target")
        if not isinstance(target, Mapping):
            check.add(f"{prefix}.target", NOT_OBJECT)
            return
        check.url(target, "urlTemplate", f"{prefix}.target.urlTemplate", required=True)
        method = target.get("httpMethod", "POST")
        if method not in ("POST", "PUT", "PATCH", "DELETE", "GET"):
            check.add(f"{prefix}.target.httpMethod", "must be an HTTP method such as POST")


def validate_source_name(name: Any) -> list[str]:
    """Problems with a source name, as phrases for the ``name`` field."""
    if not isinstance(name, str):
        return [BLANK if name is None else NOT_TEXT]
    if not name.strip():
        return [BLANK]
    if len(name) > SOURCE_NAME_MAX_LENGTH:
        return [too_long(SOURCE_NAME_MAX_LENGTH)]
    return []


def validate_flow_name(name: Any) -> list[str]:
    """Problems with a flow name (Flowdock allowed up to 100 characters)."""
    if not isinstance(name, str) or not name.strip():
        return [BLANK if name is None or isinstance(name, str) else NOT_TEXT]
    if len(name) > FLOW_NAME_MAX_LENGTH:
        return [too_long(FLOW_NAME_MAX_LENGTH)]
    return []


def describe_errors(errors: FieldErrors) -> str:
    """One line per field, e.g. ``thread.title: can't be blank``."""
    return "\n".join(f"{field}: {'; '.join(messages)}" for field, messages in errors.items())
