"""Builders for activity and discussion messages, checked by the shared validator."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from flowdock_desktop.api import validation
from flowdock_desktop.api.validation import FieldErrors

ThreadEvent = Literal["activity", "discussion"]

_SLUG_MAX_LENGTH = 64


class PayloadError(ValueError):
    """A message payload whose shape the builders cannot represent.

    ``field_errors`` uses the validator's dotted keys (e.g. ``thread.fields.0``) so the
    composer can show shape problems the same way as rule violations.
    """

    def __init__(self, field_errors: FieldErrors) -> None:
        super().__init__(validation.describe_errors(field_errors))
        self.field_errors = field_errors


@dataclass(frozen=True)
class Author:
    """Who did the thing in the external system (``author`` in the payload)."""

    name: str
    avatar: str | None = None
    email: str | None = None

    def to_payload(self) -> dict[str, Any]:
        payload: dict[str, Any] = {"name": self.name}
        if self.avatar is not None:
            payload["avatar"] = self.avatar
        if self.email is not None:
            payload["email"] = self.email
        return payload


@dataclass(frozen=True)
class Status:
    """A thread's status badge: a short value shown in one of Flowdock's colours."""

    value: str
    color: str

    def to_payload(self) -> dict[str, Any]:
        return {"value": self.value, "color": self.color}


@dataclass(frozen=True)
class ThreadField:
    """One label/value row shown under a thread (the value may hold links)."""

    label: str
    value: str

    def to_payload(self) -> dict[str, Any]:
        return {"label": self.label, "value": self.value}


@dataclass(frozen=True)
class ViewAction:
    """A schema.org ViewAction: a named link shown on the thread."""

    name: str
    url: str
    description: str | None = None
    image: str | None = None

    def to_payload(self) -> dict[str, Any]:
        payload: dict[str, Any] = {"@type": "ViewAction", "name": self.name, "url": self.url}
        if self.description is not None:
            payload["description"] = self.description
        if self.image is not None:
            payload["image"] = self.image
        return payload


@dataclass(frozen=True)
class ThreadState:
    """The full current state of a thread, sent with every message in it."""

    title: str
    body: str | None = None
    external_url: str | None = None
    status: Status | None = None
    fields: tuple[ThreadField, ...] = ()
    actions: tuple[ViewAction, ...] = ()

    def to_payload(self) -> dict[str, Any]:
        payload: dict[str, Any] = {"title": self.title}
        if self.body is not None:
            payload["body"] = self.body
        if self.external_url is not None:
            payload["external_url"] = self.external_url
        if self.status is not None:
            payload["status"] = self.status.to_payload()
        # Always sent, even when empty: each message carries the thread's whole new state,
        # so an empty list is how a user removes the last field or action.
        payload["fields"] = [item.to_payload() for item in self.fields]
        payload["actions"] = [item.to_payload() for item in self.actions]
        return payload


@dataclass(frozen=True)
class ThreadMessage:
    """An ``activity`` (something changed) or ``discussion`` (a comment) in a thread.

    ``to_payload()`` gives the JSON body for ``POST /messages`` minus the ``flow_token``,
    which the client adds so that it never sits in a builder, a draft or a log.
    """

    event: ThreadEvent
    author: Author
    title: str
    thread: ThreadState
    external_thread_id: str | None = None
    thread_id: str | None = None
    body: str | None = None
    tags: tuple[str, ...] = ()
    uuid: str | None = None

    def to_payload(self) -> dict[str, Any]:
        payload: dict[str, Any] = {
            "event": self.event,
            "author": self.author.to_payload(),
            "title": self.title,
        }
        if self.external_thread_id is not None:
            payload["external_thread_id"] = self.external_thread_id
        if self.thread_id is not None:
            payload["thread_id"] = self.thread_id
        if self.body is not None:
            payload["body"] = self.body
        payload["thread"] = self.thread.to_payload()
        if self.tags:
            payload["tags"] = list(self.tags)
        if self.uuid is not None:
            payload["uuid"] = self.uuid
        return payload

    def validate(self) -> FieldErrors:
        """Field errors as the server would report them; empty when the message is valid."""
        return validation.validate_message(self.to_payload())

    @classmethod
    def from_payload(cls, data: Any) -> ThreadMessage:
        """Build a message from Flowdock JSON, e.g. the composer's edited JSON tab.

        Raises PayloadError when the shape is wrong (not an object, text where a list
        belongs, unknown keys that would otherwise be silently dropped). Rule violations
        such as a blank title or a bad colour are left to ``validate()``.
        """
        return _PayloadReader().message(data)


_MESSAGE_KEYS = frozenset(
    {
        "event",
        "author",
        "title",
        "thread",
        "external_thread_id",
        "thread_id",
        "body",
        "tags",
        "uuid",
    }
)
_AUTHOR_KEYS = frozenset({"name", "avatar", "email"})
_THREAD_KEYS = frozenset({"title", "body", "external_url", "status", "fields", "actions"})
_STATUS_KEYS = frozenset({"value", "color"})
_FIELD_KEYS = frozenset({"label", "value"})
_ACTION_KEYS = frozenset({"@type", "name", "url", "description", "image"})


class _PayloadReader:
    """Reads a payload into builders, collecting every shape problem before raising."""

    def __init__(self) -> None:
        self.errors: FieldErrors = {}

    def _add(self, key: str, message: str) -> None:
        self.errors.setdefault(key, []).append(message)

    def _object(self, value: Any, key: str, allowed: frozenset[str]) -> Mapping[str, Any]:
        if not isinstance(value, Mapping):
            self._add(key or "base", validation.NOT_OBJECT)
            return {}
        # The usual case (no unknown key) answered by one set comparison in C.
        if not value.keys() <= allowed:
            unknown = sorted(str(name) for name in value if name not in allowed)
            self._add(key or "base", "unknown field(s): " + ", ".join(unknown))
        return value

    def _text(self, data: Mapping[str, Any], name: str, key: str) -> str | None:
        value = data.get(name)
        if value is None or isinstance(value, str):
            return value
        self._add(key, validation.NOT_TEXT)
        return None

    def _required_text(self, data: Mapping[str, Any], name: str, key: str) -> str:
        # Missing required text becomes "" so validate() reports it as blank.
        return self._text(data, name, key) or ""

    def _list(self, value: Any, key: str) -> list[Any]:
        if value is None:
            return []
        if not isinstance(value, list | tuple):
            self._add(key, validation.NOT_LIST)
            return []
        return list(value)

    def message(self, data: Any) -> ThreadMessage:
        data = self._object(data, "", _MESSAGE_KEYS)
        event = data.get("event")
        if event not in validation.THREAD_EVENTS:
            self._add("event", "must be one of: " + ", ".join(validation.THREAD_EVENTS))
        author = self.author(data.get("author"))
        thread = self.thread(data.get("thread"))
        tags = validation.split_tags(data["tags"]) if "tags" in data else []
        if tags is None:
            self._add("tags", "must be a list or a comma-separated string")
            tags = []
        for index, tag in enumerate(tags):
            if not isinstance(tag, str):
                self._add(f"tags.{index}", validation.NOT_TEXT)
        message = ThreadMessage(
            event=event if event in validation.THREAD_EVENTS else "activity",
            author=author,
            title=self._required_text(data, "title", "title"),
            thread=thread,
            external_thread_id=self._text(data, "external_thread_id", "external_thread_id"),
            thread_id=self._text(data, "thread_id", "thread_id"),
            body=self._text(data, "body", "body"),
            tags=tuple(tag for tag in tags if isinstance(tag, str)),
            uuid=self._text(data, "uuid", "uuid"),
        )
        if self.errors:
            raise PayloadError(self.errors)
        return message

    def author(self, value: Any) -> Author:
        if value is None:
            return Author(name="")
        data = self._object(value, "author", _AUTHOR_KEYS)
        return Author(
            name=self._required_text(data, "name", "author.name"),
            avatar=self._text(data, "avatar", "author.avatar"),
            email=self._text(data, "email", "author.email"),
        )

    def thread(self, value: Any) -> ThreadState:
        if value is None:
            return ThreadState(title="")
        data = self._object(value, "thread", _THREAD_KEYS)
        status = None
        if data.get("status") is not None:
            raw = self._object(data["status"], "thread.status", _STATUS_KEYS)
            status = Status(
                value=self._required_text(raw, "value", "thread.status.value"),
                color=self._required_text(raw, "color", "thread.status.color"),
            )
        fields = []
        for index, item in enumerate(self._list(data.get("fields"), "thread.fields")):
            key = f"thread.fields.{index}"
            raw = self._object(item, key, _FIELD_KEYS)
            fields.append(
                ThreadField(
                    label=self._required_text(raw, "label", f"{key}.label"),
                    value=self._required_text(raw, "value", f"{key}.value"),
                )
            )
        actions = []
        for index, item in enumerate(self._list(data.get("actions"), "thread.actions")):
            key = f"thread.actions.{index}"
            raw = self._object(item, key, _ACTION_KEYS)
            if raw.get("@type", "ViewAction") != "ViewAction":
                # UpdateActions need a callback server; the builders only make links.
                self._add(f"{key}.@type", "only ViewAction is supported here")
            actions.append(
                ViewAction(
                    name=self._required_text(raw, "name", f"{key}.name"),
                    url=self._required_text(raw, "url", f"{key}.url"),
                    description=self._text(raw, "description", f"{key}.description"),
                    image=self._text(raw, "image", f"{key}.image"),
                )
            )
        return ThreadState(
            title=self._required_text(data, "title", "thread.title"),
            body=self._text(data, "body", "thread.body"),
            external_url=self._text(data, "external_url", "thread.external_url"),
            status=status,
            fields=tuple(fields),
            actions=tuple(actions),
        )


def suggest_external_thread_id(title: str) -> str:
    """A readable, URL-safe key from a thread title: "Fix login bug" -> "fix-login-bug".

    Accents are folded to ASCII; anything else becomes a hyphen. Falls back to "thread"
    when nothing usable remains.
    """
    folded = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^a-z0-9]+", "-", folded.lower()).strip("-")
    slug = slug[:_SLUG_MAX_LENGTH].rstrip("-")
    return slug or "thread"


__all__ = [
    "Author",
    "PayloadError",
    "Status",
    "ThreadEvent",
    "ThreadField",
    "ThreadMessage",
    "ThreadState",
    "ViewAction",
    "suggest_external_thread_id",
]
