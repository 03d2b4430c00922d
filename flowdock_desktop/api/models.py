"""Typed, read-only models of Flowdock's JSON answers, parsed leniently."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar, TypeVar

from flowdock_desktop.api.messages import Author, Status, ThreadField
from flowdock_desktop.lenient import whole_number as _int

# Parsing is lenient on purpose: Flowdock's answers changed shape over the years (e.g.
# ``organization`` was once a string) and an odd value in one field should not make a whole
# flow list unreadable. Wrong types become None/defaults; unmapped keys stay in ``raw``.

_M = TypeVar("_M", bound="_Model")


def _text(value: Any) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return None


def _count(value: Any) -> int:
    return _int(value, 0) or 0


def _bool(value: Any, default: bool | None = None) -> bool | None:
    if isinstance(value, bool):
        return value
    if value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    return default


def _id(value: Any) -> int | str | None:
    """Ids are ints for orgs/users/sources but opaque strings for flows and threads."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | str):
        return value
    return None


def _time(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def _list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list | tuple) else []


def _mapping(value: Any) -> Mapping[str, Any] | None:
    return value if isinstance(value, Mapping) else None


@dataclass(frozen=True)
class _Model:
    """Shared behaviour: ``from_json`` and the ``raw`` bag of keys the model does not map."""

    #: JSON keys read into fields; everything else lands in ``raw``.
    _KNOWN: ClassVar[frozenset[str]] = frozenset()

    @classmethod
    def from_json(cls: type[_M], data: Any) -> _M:
        """Parse one JSON object; a non-object gives an empty model rather than an error."""
        mapping = _mapping(data) or {}
        values = cls._parse(mapping)
        raw = {key: value for key, value in mapping.items() if key not in cls._KNOWN}
        return cls(**values, raw=raw)

    @classmethod
    def _parse(cls, data: Mapping[str, Any]) -> dict[str, Any]:
        raise NotImplementedError


@dataclass(frozen=True)
class User(_Model):
    """A Flowdock user as listed in flows and returned by ``GET /user``."""

    id: int | str | None = None
    nick: str | None = None
    name: str | None = None
    email: str | None = None
    avatar: str | None = None
    website: str | None = None
    status: str | None = None
    disabled: bool | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    _KNOWN: ClassVar[frozenset[str]] = frozenset(
        {"id", "nick", "name", "email", "avatar", "website", "status", "disabled"}
    )

    @classmethod
    def _parse(cls, data: Mapping[str, Any]) -> dict[str, Any]:
        return {
            "id": _id(data.get("id")),
            "nick": _text(data.get("nick")),
            "name": _text(data.get("name")),
            "email": _text(data.get("email")),
            "avatar": _text(data.get("avatar")),
            "website": _text(data.get("website")),
            "status": _text(data.get("status")),
            "disabled": _bool(data.get("disabled")),
        }

    @property
    def display_name(self) -> str:
        return self.name or self.nick or self.email or str(self.id or "")


@dataclass(frozen=True)
class Organization(_Model):
    """The organisation a flow belongs to; ``parameterized_name`` is the ``:org`` path part."""

    id: int | str | None = None
    name: str | None = None
    parameterized_name: str | None = None
    user_limit: int | None = None
    user_count: int | None = None
    active: bool | None = None
    url: str | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    _KNOWN: ClassVar[frozenset[str]] = frozenset(
        {"id", "name", "parameterized_name", "user_limit", "user_count", "active", "url"}
    )

    @classmethod
    def _parse(cls, data: Mapping[str, Any]) -> dict[str, Any]:
        return {
            "id": _id(data.get("id")),
            "name": _text(data.get("name")),
            "parameterized_name": _text(data.get("parameterized_name")),
            "user_limit": _int(data.get("user_limit")),
            "user_count": _int(data.get("user_count")),
            "active": _bool(data.get("active")),
            "url": _text(data.get("url")),
        }


@dataclass(frozen=True)
class Flow(_Model):
    """A flow (team channel); ``path`` is the "org/flow" used in API URLs."""

    id: str | None = None
    name: str | None = None
    parameterized_name: str | None = None
    organization: Organization | None = None
    open: bool = False
    joined: bool = True
    url: str | None = None
    web_url: str | None = None
    join_url: str | None = None
    access_mode: str | None = None
    users: tuple[User, ...] = ()
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    _KNOWN: ClassVar[frozenset[str]] = frozenset(
        {
            "id",
            "name",
            "parameterized_name",
            "organization",
            "open",
            "joined",
            "url",
            "web_url",
            "join_url",
            "access_mode",
            "users",
        }
    )

    @classmethod
    def _parse(cls, data: Mapping[str, Any]) -> dict[str, Any]:
        org_data = data.get("organization")
        if isinstance(org_data, str):
            # Before 2013-10 the organisation was just its parameterized name.
            organization: Organization | None = Organization(
                name=org_data, parameterized_name=org_data
            )
        elif isinstance(org_data, Mapping):
            organization = Organization.from_json(org_data)
        else:
            organization = None
        return {
            "id": _text(data.get("id")),
            "name": _text(data.get("name")),
            "parameterized_name": _text(data.get("parameterized_name")),
            "organization": organization,
            "open": bool(_bool(data.get("open"), False)),
            # Absent in old answers: /flows only listed joined flows.
            "joined": bool(_bool(data.get("joined"), True)),
            "url": _text(data.get("url")),
            "web_url": _text(data.get("web_url")),
            "join_url": _text(data.get("join_url")),
            "access_mode": _text(data.get("access_mode")),
            "users": tuple(
                User.from_json(item) for item in _list(data.get("users")) if _mapping(item)
            ),
        }

    @property
    def org_name(self) -> str:
        org = self.organization
        return (org.parameterized_name or "") if org else ""

    @property
    def path(self) -> str:
        """``"org/flow"``, as in ``/flows/:org/:flow``."""
        return f"{self.org_name}/{self.parameterized_name or ''}"


@dataclass(frozen=True)
class Application(_Model):
    """The OAuth application that created a source."""

    id: int | str | None = None
    name: str | None = None
    icon_url: str | None = None
    url: str | None = None
    configuration_uri: str | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    _KNOWN: ClassVar[frozenset[str]] = frozenset(
        {"id", "name", "icon_url", "url", "configuration_uri"}
    )

    @classmethod
    def _parse(cls, data: Mapping[str, Any]) -> dict[str, Any]:
        return {
            "id": _id(data.get("id")),
            "name": _text(data.get("name")),
            "icon_url": _text(data.get("icon_url")),
            "url": _text(data.get("url")),
            "configuration_uri": _text(data.get("configuration_uri")),
        }


@dataclass(frozen=True)
class Source(_Model):
    """An integration source in a flow.

    ``flow_token`` is only present in the answer to creating the source. It is a secret:
    excluded from ``repr`` and from ``raw``; move it to the keyring and drop the object.
    """

    id: int | str | None = None
    name: str | None = None
    url: str | None = None
    external_url: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    application: Application | None = None
    creator: User | None = None
    error_message: str | None = None
    configuration_url: str | None = None
    flow_token: str | None = field(default=None, repr=False, compare=False)
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    _KNOWN: ClassVar[frozenset[str]] = frozenset(
        {
            "id",
            "name",
            "url",
            "external_url",
            "created_at",
            "updated_at",
            "application",
            "creator",
            "error_message",
            "configuration_url",
            "flow_token",
        }
    )

    @classmethod
    def _parse(cls, data: Mapping[str, Any]) -> dict[str, Any]:
        application = _mapping(data.get("application"))
        creator = _mapping(data.get("creator"))
        return {
            "id": _id(data.get("id")),
            "name": _text(data.get("name")),
            "url": _text(data.get("url")),
            "external_url": _text(data.get("external_url")),
            "created_at": _time(data.get("created_at")),
            "updated_at": _time(data.get("updated_at")),
            "application": Application.from_json(application) if application else None,
            "creator": User.from_json(creator) if creator else None,
            "error_message": _text(data.get("error_message")),
            "configuration_url": _text(data.get("configuration_url")),
            "flow_token": _text(data.get("flow_token")),
        }


@dataclass(frozen=True)
class Action(_Model):
    """An action shown on a thread (ViewAction link, or an UpdateAction button)."""

    type: str | None = None
    name: str | None = None
    url: str | None = None
    description: str | None = None
    image: str | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    _KNOWN: ClassVar[frozenset[str]] = frozenset({"@type", "name", "url", "description", "image"})

    @classmethod
    def _parse(cls, data: Mapping[str, Any]) -> dict[str, Any]:
        return {
            "type": _text(data.get("@type")),
            "name": _text(data.get("name")),
            "url": _text(data.get("url")),
            "description": _text(data.get("description")),
            "image": _text(data.get("image")),
        }


@dataclass(frozen=True)
class ThreadSource(_Model):
    """Which integration a thread came from (``source`` in a thread)."""

    id: int | str | None = None
    icon: str | None = None
    application: str | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    _KNOWN: ClassVar[frozenset[str]] = frozenset({"id", "icon", "application"})

    @classmethod
    def _parse(cls, data: Mapping[str, Any]) -> dict[str, Any]:
        return {
            "id": _id(data.get("id")),
            "icon": _text(data.get("icon")),
            "application": _text(data.get("application")),
        }


def _status(value: Any) -> Status | None:
    data = _mapping(value)
    if data is None:
        return None
    return Status(value=_text(data.get("value")) or "", color=_text(data.get("color")) or "")


def _fields(value: Any) -> tuple[ThreadField, ...]:
    result = []
    for item in _list(value):
        data = _mapping(item)
        if data is not None:
            result.append(
                ThreadField(
                    label=_text(data.get("label")) or "", value=_text(data.get("value")) or ""
                )
            )
    return tuple(result)


@dataclass(frozen=True)
class Thread(_Model):
    """A team-inbox thread: its current state plus counts of what was posted into it."""

    id: str | None = None
    title: str | None = None
    body: str | None = None
    external_url: str | None = None
    status: Status | None = None
    fields: tuple[ThreadField, ...] = ()
    actions: tuple[Action, ...] = ()
    source: ThreadSource | None = None
    activities: int = 0
    internal_comments: int = 0
    external_comments: int = 0
    created_at: datetime | None = None
    updated_at: datetime | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    _KNOWN: ClassVar[frozenset[str]] = frozenset(
        {
            "id",
            "title",
            "body",
            "external_url",
            "status",
            "fields",
            "actions",
            "source",
            "activities",
            "internal_comments",
            "external_comments",
            "created_at",
            "updated_at",
        }
    )

    @classmethod
    def _parse(cls, data: Mapping[str, Any]) -> dict[str, Any]:
        source = _mapping(data.get("source"))
        return {
            "id": _text(data.get("id")),
            "title": _text(data.get("title")),
            "body": _text(data.get("body")),
            "external_url": _text(data.get("external_url")),
            "status": _status(data.get("status")),
            "fields": _fields(data.get("fields")),
            "actions": tuple(
                Action.from_json(item) for item in _list(data.get("actions")) if _mapping(item)
            ),
            "source": ThreadSource.from_json(source) if source else None,
            "activities": _count(data.get("activities")),
            "internal_comments": _count(data.get("internal_comments")),
            "external_comments": _count(data.get("external_comments")),
            "created_at": _time(data.get("created_at")),
            "updated_at": _time(data.get("updated_at")),
        }


@dataclass(frozen=True)
class Message(_Model):
    """A stored flow message of any event; thread messages also carry the thread state."""

    id: int | None = None
    event: str | None = None
    content: Any = None
    tags: tuple[str, ...] = ()
    uuid: str | None = None
    user: str | None = None
    flow: str | None = None
    app: str | None = None
    sent: int | None = None
    created_at: datetime | None = None
    title: str | None = None
    body: str | None = None
    author: Author | None = None
    thread_id: str | None = None
    thread: Thread | None = None
    attachments: tuple[dict[str, Any], ...] = ()
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    _KNOWN: ClassVar[frozenset[str]] = frozenset(
        {
            "id",
            "event",
            "content",
            "tags",
            "uuid",
            "user",
            "flow",
            "app",
            "sent",
            "created_at",
            "title",
            "body",
            "author",
            "thread_id",
            "thread",
            "attachments",
        }
    )

    @classmethod
    def _parse(cls, data: Mapping[str, Any]) -> dict[str, Any]:
        author = _mapping(data.get("author"))
        thread = _mapping(data.get("thread"))
        return {
            "id": _int(data.get("id")),
            "event": _text(data.get("event")),
            "content": data.get("content"),
            "tags": tuple(tag for tag in _list(data.get("tags")) if isinstance(tag, str)),
            "uuid": _text(data.get("uuid")),
            # A user id is a string in messages ("0" for integrations), an int elsewhere.
            "user": _text(data.get("user")),
            "flow": _text(data.get("flow")),
            "app": _text(data.get("app")),
            "sent": _int(data.get("sent")),
            "created_at": _time(data.get("created_at")),
            "title": _text(data.get("title")),
            "body": _text(data.get("body")),
            "author": Author(
                name=_text(author.get("name")) or "",
                avatar=_text(author.get("avatar")),
                email=_text(author.get("email")),
            )
            if author
            else None,
            "thread_id": _text(data.get("thread_id")),
            "thread": Thread.from_json(thread) if thread else None,
            "attachments": tuple(
                dict(item) for item in _list(data.get("attachments")) if _mapping(item)
            ),
        }


__all__ = [
    "Action",
    "Application",
    "Flow",
    "Message",
    "Organization",
    "Source",
    "Thread",
    "ThreadSource",
    "User",
]
