"""A thread message's payload checked and shown as a command, with nothing of sending.

``payload_errors`` is the one check of a payload (the composer's form, the JSON tab, ``send``
and the outbox use it); ``curl_command`` is the preview's curl tab. Both are here rather than in
``sending`` so that the composer's first paint needs neither the sending service's module nor
its dataclasses (``sending`` imports both names from here, and they stay importable from there).
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Mapping
from typing import Any

from flowdock_desktop.api.messages import PayloadError, ThreadMessage
from flowdock_desktop.api.redact import REDACTED
from flowdock_desktop.api.validation import FieldErrors

__all__ = ["curl_command", "payload_errors"]


def payload_errors(payload: Any) -> FieldErrors:
    """Problems with a thread message payload, under the validator's dotted keys.

    Shape problems (text where a list belongs, unknown keys) and rule violations (blank
    title, bad colour) come back the same way, so a form or a command prints them alike.
    """
    broken = {} if _all_text(payload) else _not_text(payload)
    if broken:
        return broken
    try:
        message = ThreadMessage.from_payload(payload)
    except PayloadError as exc:
        return exc.field_errors
    return message.validate()


# What ``json.dumps(value, ensure_ascii=False)`` does, with one encoder kept instead of one
# built on every call.
_encode_text = json.JSONEncoder(ensure_ascii=False).encode


def _all_text(value: Any) -> bool:
    """True when no string in ``value`` holds a lone surrogate: the common case, answered in
    C by encoding the whole value once (a lone surrogate cannot be encoded as UTF-8) instead
    of walking it in Python. False also when the value is not JSON: ``_not_text`` decides."""
    try:
        _encode_text(value).encode("utf-8")
    except (TypeError, ValueError, RecursionError):  # UnicodeEncodeError is a ValueError
        return False
    return True


def _not_text(value: Any, key: str = "") -> FieldErrors:
    """Strings that are not valid Unicode text: a lone surrogate (``"\\ud800"`` in JSON, or
    bytes that were not UTF-8) cannot be stored or sent, so it is named before anything is."""
    found: FieldErrors = {}
    if isinstance(value, str):
        bad = next((c for c in value if "\ud800" <= c <= "\udfff"), None)
        if bad is not None:
            found[key or "message"] = [
                f"contains U+{ord(bad):04X}, half of a character pair (a lone surrogate), which "
                "is not valid text; remove it or write the whole character"
            ]
    elif isinstance(value, Mapping):
        for name, item in value.items():
            where = f"{key}.{name}" if key else str(name)
            if isinstance(name, str) and _not_text(name):
                found[where.encode("utf-8", "backslashreplace").decode()] = [
                    "is a field name that is not valid text"
                ]
            found.update(_not_text(item, where.encode("utf-8", "backslashreplace").decode()))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found.update(_not_text(item, f"{key}.{index}" if key else str(index)))
    return found


def curl_command(api_url: str, payload: Mapping[str, Any], flow_token: str | None = None) -> str:
    """The ``curl`` command that posts ``payload`` as the integration.

    With ``flow_token`` None the token is shown as "•••" (the default: the command is for
    reading and copying into documentation); give it only when the person asked to reveal it.
    """
    body = dict(payload)
    body["flow_token"] = flow_token if flow_token else REDACTED
    text = json.dumps(body, indent=2, ensure_ascii=False)
    url = api_url.rstrip("/") + "/messages"
    return (
        f"curl -sS -X POST {shlex.quote(url)} \\\n"
        "  -H 'Content-Type: application/json' \\\n"
        "  -H 'X-flowdock-wait-for-message: true' \\\n"
        f"  --data-binary {shlex.quote(text)}"
    )
