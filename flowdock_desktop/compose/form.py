"""FormState: the message being written, as plain values, with no widget in sight.

The composer's widgets bind to it, drafts and templates store it (``to_dict``/``from_dict``),
the JSON tab and outbox items turn into it (``from_payload``), "Update this thread" starts from
the server's thread (``from_thread``), and ``send`` on the command line builds one from its
options. ``to_payload()`` gives the Flowdock JSON that is previewed, validated and sent.

Rules that used to live in widget code live here, once:
- the external thread id is a plain value; until the person sets it, it follows the thread
  title (``auto_thread_id``), and it is always shown;
- the title defaults per event ("posted an update", "commented") until the person types one;
- bodies are written in Markdown (rendered and sanitised when sent) or, when they came from
  JSON, kept as HTML.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from flowdock_desktop.api.html import markdown_to_html, sanitize_body
from flowdock_desktop.api.messages import PayloadError, ThreadMessage, suggest_external_thread_id
from flowdock_desktop.api.validation import FieldErrors

__all__ = [
    "ANNOUNCEMENT_TITLE",
    "DEFAULT_TITLES",
    "EVENTS",
    "HTML",
    "MARKDOWN",
    "FormState",
    "body_html",
    "split_tags",
]

MARKDOWN, HTML = "markdown", "html"

#: The two thread events, with the words the form shows for each.
EVENTS: dict[str, str] = {
    "activity": "Activity: something changed",
    "discussion": "Discussion: a comment",
}

#: What a message says happened when the person has not said it themselves.
DEFAULT_TITLES: dict[str, str] = {"activity": "posted an update", "discussion": "commented"}
#: The title of a message written in the Announcement view.
ANNOUNCEMENT_TITLE = "posted an announcement"
_DEFAULTS = ("", ANNOUNCEMENT_TITLE, *DEFAULT_TITLES.values())


# The composer asks for the same body several times per keystroke and send (the check, the
# preview, the payload sent); rendering Markdown is the costly part of each.
@lru_cache(maxsize=32)
def body_html(text: str, fmt: str) -> str:
    """The sanitised HTML sent for a body written in ``fmt``; empty when there is no text."""
    if not text.strip():
        return ""
    return markdown_to_html(text) if fmt == MARKDOWN else sanitize_body(text).strip()


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _pairs(value: Any, first: str, second: str) -> list[tuple[str, str]]:
    if not isinstance(value, list):
        return []
    pairs = []
    for item in value:
        if isinstance(item, Mapping):
            pairs.append((_text(item.get(first)), _text(item.get(second))))
        elif isinstance(item, list | tuple) and len(item) == 2:
            pairs.append((_text(item[0]), _text(item[1])))
    return pairs


def split_tags(value: Any) -> list[str]:
    """Tags from a list or a comma-separated text, trimmed, blanks dropped."""
    if isinstance(value, str):
        value = value.split(",")
    if not isinstance(value, list | tuple):
        return []
    return [t.strip() for t in value if isinstance(t, str) and t.strip()]


@dataclass
class FormState:
    """Every part of an activity or discussion message, as the person wrote it.

    Bodies keep the person's Markdown (``message``/``body`` with their ``*_format``); fields
    and actions are (label, value) and (name, URL) pairs; ``tags`` a list. Nothing here is a
    secret: the flow token is added by the sender.
    """

    event: str = "activity"
    author_name: str = ""
    author_avatar: str = ""
    title: str = DEFAULT_TITLES["activity"]
    message: str = ""
    message_format: str = MARKDOWN
    tags: list[str] = field(default_factory=list)
    thread_title: str = ""
    external_thread_id: str = ""
    auto_thread_id: bool = True
    body: str = ""
    body_format: str = MARKDOWN
    external_url: str = ""
    status_value: str = ""
    status_color: str = ""
    fields: list[tuple[str, str]] = field(default_factory=list)
    actions: list[tuple[str, str]] = field(default_factory=list)

    # -- edits that carry a rule -----------------------------------------------------------

    def copy(self) -> FormState:
        return dataclasses.replace(self, tags=list(self.tags), fields=list(self.fields),
                                   actions=list(self.actions))  # fmt: skip

    def set_event(self, event: str) -> None:
        """Change the event; a title still at the old event's default takes the new one."""
        if event not in EVENTS:
            event = "activity"
        if self.title.strip() in _DEFAULTS:
            self.title = DEFAULT_TITLES[event]
        self.event = event

    def as_announcement(self) -> None:
        """Ready for the Announcement view, which shows only the thread title, the message
        text and the status: an activity whose title, unless the person wrote one, says
        it is an announcement."""
        if self.title.strip() in _DEFAULTS:
            self.event = "activity"
            self.title = ANNOUNCEMENT_TITLE

    def set_thread_title(self, title: str) -> None:
        """Change the thread title; an id the person has not set follows it."""
        self.thread_title = title
        if self.auto_thread_id:
            self.external_thread_id = suggest_external_thread_id(title) if title.strip() else ""

    def set_external_thread_id(self, value: str) -> None:
        """The person typed an id: it is theirs now (clearing it hands it back to the title,
        which fills it again when it next changes)."""
        self.external_thread_id = value
        self.auto_thread_id = not value.strip()

    @property
    def status(self) -> dict[str, str] | None:
        if not (self.status_value or self.status_color):
            return None
        return {"value": self.status_value, "color": self.status_color}

    # -- Flowdock JSON -----------------------------------------------------------------------

    def raw_payload(self) -> dict[str, Any]:
        """The payload as typed: blank required fields stay, so the validator can name them."""
        author: dict[str, Any] = {"name": self.author_name}
        if self.author_avatar.strip():
            author["avatar"] = self.author_avatar.strip()
        thread: dict[str, Any] = {"title": self.thread_title}
        body = body_html(self.body, self.body_format)
        if body:
            thread["body"] = body
        if self.external_url.strip():
            thread["external_url"] = self.external_url.strip()
        if self.status is not None:
            thread["status"] = self.status
        thread["fields"] = [{"label": a, "value": b} for a, b in self.fields]
        thread["actions"] = [
            {"@type": "ViewAction", "name": a, "url": b.strip()} for a, b in self.actions
        ]
        payload: dict[str, Any] = {"event": self.event, "author": author, "title": self.title}
        external = self.external_thread_id.strip()
        if external:
            payload["external_thread_id"] = external
        message = body_html(self.message, self.message_format)
        if message:
            payload["body"] = message
        payload["thread"] = thread
        if self.tags:
            payload["tags"] = list(self.tags)
        return payload

    def to_payload(self) -> dict[str, Any]:
        """The Flowdock JSON for this message, in the builders' canonical form (no uuid)."""
        raw = self.raw_payload()
        try:
            return ThreadMessage.from_payload(raw).to_payload()
        except PayloadError:
            return raw

    def errors(self) -> FieldErrors:
        """What keeps this message from being sent, under the validator's dotted keys."""
        from flowdock_desktop.compose.payload import payload_errors

        return payload_errors(self.raw_payload())

    @classmethod
    def from_payload(cls, payload: Any, *, previous: FormState | None = None) -> FormState:
        """The form for a Flowdock JSON message; raises ``PayloadError`` on a bad shape.

        With ``previous`` (the form before a JSON edit), Markdown that still renders to the
        same HTML stays Markdown, and an id that did not change keeps following the title.
        """
        message = ThreadMessage.from_payload(payload)
        thread = message.thread
        base = previous or cls()
        external = message.external_thread_id or ""

        def kept(text: str, fmt: str, html: str | None) -> tuple[str, str]:
            if fmt == MARKDOWN and body_html(text, fmt) == (html or ""):
                return text, fmt
            return (html, HTML) if html else ("", fmt)

        message_text, message_format = kept(base.message, base.message_format, message.body)
        body, body_format = kept(base.body, base.body_format, thread.body)
        return cls(
            event=message.event,
            author_name=message.author.name,
            author_avatar=message.author.avatar or "",
            title=message.title,
            message=message_text,
            message_format=message_format,
            tags=list(message.tags),
            thread_title=thread.title,
            external_thread_id=external,
            auto_thread_id=(
                previous is not None
                and previous.auto_thread_id
                and external == previous.external_thread_id
            ),
            body=body,
            body_format=body_format,
            external_url=thread.external_url or "",
            status_value=thread.status.value if thread.status else "",
            status_color=thread.status.color if thread.status else "",
            fields=[(f.label, f.value) for f in thread.fields],
            actions=[(a.name, a.url) for a in thread.actions],
        )

    @classmethod
    def from_thread(cls, key: str, thread: Any, *, previous: FormState | None = None) -> FormState:
        """A new activity in an existing thread: its current state, a title still to write.

        ``thread`` is an ``api.models.Thread`` (or anything with its attributes); ``key`` is
        the external thread id. The author comes from ``previous``.
        """
        base = previous or cls()
        status = getattr(thread, "status", None)
        body = getattr(thread, "body", None) or ""
        return cls(
            author_name=base.author_name,
            author_avatar=base.author_avatar,
            title="",
            thread_title=getattr(thread, "title", None) or "",
            external_thread_id=key,
            auto_thread_id=False,
            body=body,
            body_format=HTML if body else MARKDOWN,
            external_url=getattr(thread, "external_url", None) or "",
            status_value=status.value if status else "",
            status_color=status.color if status else "",
            fields=[(f.label, f.value) for f in getattr(thread, "fields", ())],
            actions=[
                (a.name or "", a.url or "")
                for a in getattr(thread, "actions", ())
                if getattr(a, "url", None)
            ],
        )

    # -- drafts and templates ----------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON for drafts and templates (the keys both have always used)."""
        return {
            "event": self.event,
            "author_name": self.author_name,
            "author_avatar": self.author_avatar,
            "title": self.title,
            "body": self.body,
            "body_format": self.body_format,
            "message": self.message,
            "message_format": self.message_format,
            "tags": list(self.tags),
            "thread_title": self.thread_title,
            "external_thread_id": self.external_thread_id,
            "auto_thread_id": self.auto_thread_id,
            "external_url": self.external_url,
            "status": self.status,
            "fields": [{"label": a, "value": b} for a, b in self.fields],
            "actions": [{"name": a, "url": b} for a, b in self.actions],
        }

    def template_fields(self) -> dict[str, Any]:
        """What a template keeps: everything but who is writing."""
        data = self.to_dict()
        del data["author_name"], data["author_avatar"]
        return data

    @classmethod
    def from_dict(cls, data: Any, *, previous: FormState | None = None) -> FormState:
        """The form from a draft or a rendered template. Missing or mistyped keys are left
        empty, except the author, which ``previous`` supplies when the data has none (a
        template does not say who writes)."""
        data = data if isinstance(data, Mapping) else {}
        base = previous or cls()
        status = data.get("status") if isinstance(data.get("status"), Mapping) else {}
        external = _text(data.get("external_thread_id"))
        auto = data.get("auto_thread_id")
        event = _text(data.get("event"))
        state = cls(
            event=event if event in EVENTS else "activity",
            author_name=_text(data.get("author_name")) or base.author_name,
            author_avatar=_text(data.get("author_avatar")) or base.author_avatar,
            title=_text(data.get("title")),
            message=_text(data.get("message")),
            message_format=HTML if data.get("message_format") == HTML else MARKDOWN,
            tags=split_tags(data.get("tags")),
            thread_title=_text(data.get("thread_title")),
            external_thread_id=external,
            auto_thread_id=auto if isinstance(auto, bool) else not external.strip(),
            body=_text(data.get("body")),
            body_format=HTML if data.get("body_format") == HTML else MARKDOWN,
            external_url=_text(data.get("external_url")),
            status_value=_text(status.get("value")),
            status_color=_text(status.get("color")),
            fields=_pairs(data.get("fields"), "label", "value"),
            actions=_pairs(data.get("actions"), "name", "url"),
        )
        if "title" not in data:
            state.title = DEFAULT_TITLES[state.event]
        if state.auto_thread_id:
            state.set_thread_title(state.thread_title)
        return state
