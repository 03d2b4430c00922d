"""Message templates: the built-in ones as data, and the user's own saved in SQLite."""

from __future__ import annotations

import copy
import dataclasses
import json
import re
import sqlite3
import string
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from flowdock_desktop.store.db import Database

__all__ = [
    "BUILTIN_TEMPLATES",
    "BuiltinTemplateError",
    "Template",
    "TemplateNameTakenError",
    "TemplateStore",
    "builtin_name",
    "placeholders",
    "render",
    "user_name_key",
]

# `{name}`: a placeholder. Deliberately not str.format: user text may contain braces,
# and format specs like {x.__class__} must not be interpreted.
_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


class BuiltinTemplateError(ValueError):
    """Built-in templates cannot be deleted or overwritten."""


class TemplateNameTakenError(ValueError):
    """A template with this name already exists."""


@dataclass(frozen=True, slots=True)
class Template:
    """A named set of composer form fields with ``{placeholder}`` slots.

    ``fields`` keys: ``event`` ("activity" | "discussion"), ``title``, ``thread_title``,
    ``external_thread_id`` (made from the thread title when absent), ``message`` and ``body``
    (the message's and the thread's text, Markdown), ``status`` ({"value", "color"} with one of
    Flowdock's ten colours), ``fields`` ([{"label", "value"}]), ``tags`` ([str]).
    """

    name: str
    fields: dict[str, Any]
    builtin: bool = False
    description: str = ""
    placeholders: tuple[str, ...] = field(default=())

    def render(self, values: Mapping[str, str]) -> dict[str, Any]:
        """The fields with placeholders filled from ``values``; unknown ones stay as typed."""
        return render(self.fields, values)


def placeholders(value: Any) -> tuple[str, ...]:
    """Placeholder names used anywhere in ``value`` (strings, lists, dicts), in first-use order."""
    found: dict[str, None] = {}

    def walk(node: Any) -> None:
        if isinstance(node, str):
            for match in _PLACEHOLDER.finditer(node):
                found.setdefault(match.group(1))
        elif isinstance(node, Mapping):
            for item in node.values():
                walk(item)
        elif isinstance(node, list | tuple):
            for item in node:
                walk(item)

    walk(value)
    return tuple(found)


def render(value: Any, values: Mapping[str, str]) -> Any:
    """A copy of ``value`` with ``{name}`` replaced by ``values[name]`` in every string."""
    if isinstance(value, str):
        return _PLACEHOLDER.sub(
            lambda m: str(values[m.group(1)]) if m.group(1) in values else m.group(0), value
        )
    if isinstance(value, Mapping):
        return {k: render(v, values) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [render(v, values) for v in value]
    return value


def _builtin(name: str, description: str, fields: dict[str, Any]) -> Template:
    return Template(
        name=name,
        fields=fields,
        builtin=True,
        description=description,
        placeholders=placeholders(fields),
    )


BUILTIN_TEMPLATES: tuple[Template, ...] = (
    _builtin(
        "Announcement",
        "A notice for everyone in the flow.",
        # The text is the message's own (what people read in the inbox), and the thread id
        # is left out so it is made from the title like any other.
        {
            "event": "activity",
            "title": "posted an announcement",
            "thread_title": "{title}",
            "message": "{message}",
            "status": {"value": "announcement", "color": "blue"},
            "fields": [],
            "tags": ["announcement"],
        },
    ),
    _builtin(
        "Deploy started",
        "A deployment of a service has begun.",
        {
            "event": "activity",
            "title": "started deploying {service} {version}",
            "thread_title": "Deploy {service} {version} to {environment}",
            "external_thread_id": "deploy:{service}:{version}:{environment}",
            "body": "Deployment of **{service}** version `{version}` to {environment} started.",
            "status": {"value": "deploying", "color": "yellow"},
            "fields": [
                {"label": "Service", "value": "{service}"},
                {"label": "Version", "value": "{version}"},
                {"label": "Environment", "value": "{environment}"},
            ],
            "tags": ["deploy", "{environment}"],
        },
    ),
    _builtin(
        "Deploy finished",
        "A deployment succeeded; posts to the same thread as Deploy started.",
        {
            "event": "activity",
            "title": "finished deploying {service} {version}",
            "thread_title": "Deploy {service} {version} to {environment}",
            "external_thread_id": "deploy:{service}:{version}:{environment}",
            "body": "**{service}** version `{version}` is live in {environment}.",
            "status": {"value": "deployed", "color": "green"},
            "fields": [
                {"label": "Service", "value": "{service}"},
                {"label": "Version", "value": "{version}"},
                {"label": "Environment", "value": "{environment}"},
            ],
            "tags": ["deploy", "{environment}"],
        },
    ),
    _builtin(
        "Incident opened",
        "Something is broken and people are on it.",
        {
            "event": "activity",
            "title": "opened an incident",
            "thread_title": "Incident: {summary}",
            "external_thread_id": "incident:{incident_id}",
            "body": "**Impact:** {impact}\n\nWe are investigating and will post updates here.",
            "status": {"value": "investigating", "color": "red"},
            "fields": [
                {"label": "Incident", "value": "{incident_id}"},
                {"label": "Severity", "value": "{severity}"},
            ],
            "tags": ["incident"],
        },
    ),
    _builtin(
        "Incident resolved",
        "The incident is over; posts to the same thread as Incident opened.",
        {
            "event": "activity",
            "title": "resolved the incident",
            "thread_title": "Incident: {summary}",
            "external_thread_id": "incident:{incident_id}",
            "body": "Resolved. **Cause:** {cause}",
            "status": {"value": "resolved", "color": "green"},
            "fields": [
                {"label": "Incident", "value": "{incident_id}"},
                {"label": "Severity", "value": "{severity}"},
            ],
            "tags": ["incident"],
        },
    ),
    _builtin(
        "Build passed",
        "A CI build succeeded.",
        {
            "event": "activity",
            "title": "build #{build} passed",
            "thread_title": "{project} on {branch}",
            "external_thread_id": "build:{project}:{branch}",
            "body": "Build #{build} of **{project}** on `{branch}` passed.",
            "status": {"value": "passing", "color": "green"},
            "fields": [
                {"label": "Branch", "value": "{branch}"},
                {"label": "Build", "value": "#{build}"},
            ],
            "tags": ["build"],
        },
    ),
    _builtin(
        "Build failed",
        "A CI build failed.",
        {
            "event": "activity",
            "title": "build #{build} failed",
            "thread_title": "{project} on {branch}",
            "external_thread_id": "build:{project}:{branch}",
            "body": "Build #{build} of **{project}** on `{branch}` failed.",
            "status": {"value": "failing", "color": "red"},
            "fields": [
                {"label": "Branch", "value": "{branch}"},
                {"label": "Build", "value": "#{build}"},
            ],
            "tags": ["build"],
        },
    ),
)

_BUILTIN_BY_KEY = {t.name.casefold(): t for t in BUILTIN_TEMPLATES}

# SQLite's NOCASE collation (the templates table's names) folds the case of ASCII letters only.
_ASCII_LOWER = str.maketrans(string.ascii_uppercase, string.ascii_lowercase)


def builtin_name(name: str) -> str | None:
    """The name of the built-in template ``name`` stands for (trimmed, ignoring case), the way
    ``TemplateStore.save`` refuses it; None for any other name."""
    builtin = _BUILTIN_BY_KEY.get(name.strip().casefold())
    return builtin.name if builtin is not None else None


def user_name_key(name: str) -> str:
    """``name`` as the store compares the names of the user's templates: trimmed, ignoring
    the case of ASCII letters only (two names with equal keys are one template)."""
    return name.strip().translate(_ASCII_LOWER)


def _copy(template: Template) -> Template:
    # Callers get their own fields to edit; the built-in data stays pristine.
    return dataclasses.replace(template, fields=copy.deepcopy(template.fields))


def _user_template(row: sqlite3.Row) -> Template:
    fields = json.loads(row["fields"])
    return Template(name=row["name"], fields=fields, placeholders=placeholders(fields))


class TemplateStore:
    """Lists built-in and user templates; saves and deletes the user's (names are unique,
    ignoring case, across both)."""

    def __init__(self, db: Database, *, clock: Callable[[], float] = time.time) -> None:
        self._db = db
        self._clock = clock

    def list(self) -> list[Template]:
        """Built-in templates in their fixed order, then the user's by name."""
        rows = self._db.query("SELECT name, fields FROM templates ORDER BY name COLLATE NOCASE")
        return [*map(_copy, BUILTIN_TEMPLATES), *(_user_template(row) for row in rows)]

    def get(self, name: str) -> Template | None:
        builtin = builtin_name(name)
        if builtin is not None:
            return _copy(_BUILTIN_BY_KEY[builtin.casefold()])
        rows = self._db.query("SELECT name, fields FROM templates WHERE name = ?", (name.strip(),))
        return _user_template(rows[0]) if rows else None

    def save(self, name: str, fields: Mapping[str, Any], *, overwrite: bool = False) -> Template:
        """Save a user template. Raises if the name is a built-in's, or taken and not
        ``overwrite``."""
        clean_name = name.strip()
        if not clean_name:
            raise ValueError("A template needs a name")
        if builtin_name(clean_name) is not None:
            raise BuiltinTemplateError(
                f"“{clean_name}” is a built-in template; choose another name"
            )
        data = {k: v for k, v in fields.items() if k != "uuid"}
        text = json.dumps(data, ensure_ascii=False, allow_nan=False)
        now = self._clock()
        with self._db.transaction() as conn:
            exists = conn.execute(
                "SELECT 1 FROM templates WHERE name = ?", (clean_name,)
            ).fetchone()
            if exists and not overwrite:
                raise TemplateNameTakenError(f"A template named “{clean_name}” already exists")
            conn.execute(
                "INSERT INTO templates (name, fields, created_at, updated_at) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (name) DO UPDATE SET name = excluded.name,"
                " fields = excluded.fields, updated_at = excluded.updated_at",
                (clean_name, text, now, now),
            )
        return Template(name=clean_name, fields=data, placeholders=placeholders(data))

    def delete(self, name: str) -> bool:
        """Delete a user template; True if it existed. Built-ins raise BuiltinTemplateError."""
        if builtin_name(name) is not None:
            raise BuiltinTemplateError(f"“{name.strip()}” is built in and cannot be deleted")
        with self._db.transaction() as conn:
            cursor = conn.execute("DELETE FROM templates WHERE name = ?", (name.strip(),))
        return cursor.rowcount > 0
