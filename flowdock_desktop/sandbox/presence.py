"""Presence: Flowdock's ``activity.user`` events, which say who is here. Never stored.

Flowdock showed a person as present in a flow while one of their streams followed it with
``active=true`` (or ``active=idle``), and its web app also posted ``activity.user`` messages now
and then. Both reached the flow's other streams as an ``activity.user`` event whose ``content``
holds ``last_activity`` (ms): the docs' "message types" page says the timestamp is not always
there, e.g. when the person is idle, so an idle person's events carry ``content: {}``. The
events were not stored, so they have no ``id``, and neither message listings, search, threads
nor the team inbox ever show them.

Here: the shape of the event and what a posted one may carry. Who gets the events, and when,
is the stream hub's business (``sandbox/hub.py``); the admin read is ``GET /sandbox/presence``.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from flowdock_desktop.sandbox.state import iso, validation_error

EVENT = "activity.user"
ACTIVE = "active"
IDLE = "idle"
#: ``active=`` of a stream request: what each value means (anything else is refused).
ACTIVE_VALUES = {"true": ACTIVE, "1": ACTIVE, "idle": IDLE, "false": None, "0": None, "": None}
#: Largest ``last_activity`` accepted (JavaScript's largest safe integer).
MAX_MS = 2**53 - 1


def now_ms() -> int:
    return int(time.time() * 1000)


def stream_state(value: str | None) -> str | None:
    """The presence an ``active=`` value asks for (None: none); 400 for an unknown value."""
    key = (value or "").strip().lower()
    if key not in ACTIVE_VALUES:
        raise validation_error({"active": ["must be true or idle (or left out)"]})
    return ACTIVE_VALUES[key]


def posted_content(data: Mapping[str, Any]) -> dict[str, int]:
    """The ``content`` of a posted ``activity.user``: ``{}`` or ``{"last_activity": ms}``;
    400 naming the field for anything else."""
    content = data.get("content")
    if content is None or content == "":
        return {}
    if not isinstance(content, Mapping):
        raise validation_error({"content": ['must be an object, e.g. {"last_activity": ms}']})
    last = content.get("last_activity")
    if last is None:
        return {}
    if isinstance(last, str) and last.isascii() and last.isdigit() and len(last) < 17:
        last = int(last)  # form bodies carry every value as text
    if isinstance(last, bool) or not isinstance(last, int) or not 0 <= last <= MAX_MS:
        raise validation_error(
            {"content.last_activity": ["must be a time in milliseconds since 1970"]}
        )
    return {"last_activity": last}


def event_view(flow_id: str, user_id: int, content: Mapping[str, Any], sent: int) -> dict:
    """An ``activity.user`` event as streams send it: the messages API's shape, with no
    ``id`` (it is not stored)."""
    return {
        "event": EVENT,
        "content": dict(content),
        "tags": [],
        "uuid": None,
        "app": None,
        "attachments": [],
        "user": str(user_id),
        "flow": flow_id,
        "sent": sent,
        "created_at": iso(sent),
    }
