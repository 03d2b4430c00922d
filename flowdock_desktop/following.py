"""Following an integration's threads live: the flow's stream applied to the threads it posted to.

Qt-free, shared by the composer (which runs the stream through ``ui/tasks``) and by
``flowdock-desktop watch``:

- ``ThreadBoard``: the threads the composer lists, each kept at the state the latest stream
  message carried, and which of them changed since the person last looked at them;
- ``describe``: one line of plain text for a thread message (what ``watch`` prints).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Iterable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from flowdock_desktop.api.html import html_to_text

if TYPE_CHECKING:
    from flowdock_desktop.api.models import Message
    from flowdock_desktop.sending import ThreadView

__all__ = ["ThreadBoard", "describe", "thread_message"]


def thread_message(data: Mapping[str, Any]) -> Message | None:
    """The stream message as a ``Message`` when it belongs to a thread, else None."""
    if not isinstance(data.get("thread_id"), str):
        return None
    # Read only from a live stream, after the window is up: not loaded with the composer.
    from flowdock_desktop.api.models import Message

    return Message.from_json(data)


class ThreadBoard:
    """The threads one integration posted to, as the stream last described them.

    ``views`` are in the listing's order; ``changed`` holds the keys of threads a message
    reached since the person last looked at them (``seen``), except messages this app
    sent itself (``sent_here``).
    """

    def __init__(self) -> None:
        self.views: list[ThreadView] = []
        self.changed: set[str] = set()
        self._last_uuid: dict[str, str | None] = {}
        self._own: set[str] = set()

    def set_views(self, views: Iterable[ThreadView], known: Collection[str] = ()) -> None:
        """A fresh listing from the server (or the history); what changed stays marked.

        A thread whose id is in ``known`` was not asked for (the stream keeps it current):
        it keeps the server state the board has now, which is newer than the listing.
        """
        current = {v.thread_id: v.remote for v in self.views if v.thread_id in known}
        self.views = [
            dataclasses.replace(v, remote=current[v.thread_id])
            if v.remote is None and current.get(v.thread_id or "") is not None
            else v
            for v in views
        ]
        keys = {view.key for view in self.views}
        self.changed &= keys

    def streamed(self) -> set[str]:
        """Ids of the listed threads whose server state the board holds (from a listing or
        the stream since): while the stream is live a listing need not ask for them."""
        return {v.thread_id for v in self.views if v.thread_id and v.remote is not None}

    def view_for(self, key: str | None) -> ThreadView | None:
        return next((v for v in self.views if key and v.key == key), None)

    def apply(self, message: Message) -> ThreadView | None:
        """Take a stream message in; the thread view it changed, or None when it is not
        one of the listed threads."""
        for index, view in enumerate(self.views):
            if view.thread_id and view.thread_id == message.thread_id:
                if message.thread is not None:
                    view = dataclasses.replace(view, remote=message.thread)
                    self.views[index] = view
                self._last_uuid[view.key] = message.uuid
                if message.uuid is None or message.uuid not in self._own:
                    self.changed.add(view.key)
                return view
        return None

    def sent_here(self, uuid: str) -> None:
        """A message with ``uuid`` was sent from this app: it does not count as a change."""
        self._own.add(uuid)
        for key, last in self._last_uuid.items():
            if last == uuid:
                self.changed.discard(key)

    def seen(self, key: str) -> None:
        """The person looked at the thread."""
        self.changed.discard(key)


def describe(message: Message, people: Mapping[str, str] | None = None) -> str:
    """One line for a thread message: time, thread and status, who, and what happened."""
    when = message.created_at or datetime.now().astimezone()
    thread = message.thread
    title = html_to_text(thread.title or "") if thread is not None else ""
    status = ""
    if thread is not None and thread.status is not None:
        status = f" [{html_to_text(thread.status.value)}, {thread.status.color}]"
    if message.author is not None and message.author.name:
        who = message.author.name
    else:
        who = (people or {}).get(message.user or "", f"user {message.user}")
    what = html_to_text(message.title or "") if message.title else ""
    if not what:
        content = message.content
        what = content if isinstance(content, str) else (message.event or "")
    what = " ".join(what.split())
    return f"{when.astimezone():%H:%M:%S}  {title or message.thread_id}{status}  {who}: {what}"
