"""The deprecated Push API: posting with a flow's API token in the URL, no user.

``chat`` posts an anonymous chat message (``external_user_name``) through ``messages.post``,
so it can reply in a thread (``thread_id``) or comment on a message (``message_id``);
``team_inbox`` stores a ``mail`` message (Flowdock's legacy team inbox item) through
``messages.store_message``. Comma-joined tokens post to several flows; a source's flow_token
is accepted in place of a flow's API token, as Flowdock's Ruby gem says.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from flowdock_desktop.api.html import sanitize_body
from flowdock_desktop.api.validation import (
    BODY_MAX_LENGTH,
    CONTENT_MAX_LENGTH,
    TITLE_MAX_LENGTH,
    URL_MAX_LENGTH,
    is_http_url,
    split_tags,
    validate_message,
)
from flowdock_desktop.sandbox.seed import digest, new_api_token
from flowdock_desktop.sandbox.state import messages
from flowdock_desktop.sandbox.state.errors import ApiError, unauthorized, validation_error
from flowdock_desktop.sandbox.state.principals import Principal
from flowdock_desktop.sandbox.state.store import Tx

#: Flowdock's rule for chat names: no whitespace, at most 16 characters.
EXTERNAL_USER_NAME_MAX_LENGTH = 16
#: ``source`` and ``project`` of a team inbox item: letters, digits, ``-``, ``_`` and spaces.
_LABEL = re.compile(r"^[\w\- ]+$")
LABEL_MAX_LENGTH = 100
NAME_MAX_LENGTH = 100
MAX_TOKENS = 20


def flows_of(tx: Tx, tokens: str) -> list[str]:
    """The flow ids behind comma-joined tokens (flow API tokens, or sources' flow tokens);
    401 when any is unknown, 410 when one belongs to a removed source."""
    wanted = [t.strip() for t in tokens.split(",") if t.strip()]
    if not wanted or len(wanted) > MAX_TOKENS:
        raise unauthorized()
    found: list[str] = []
    for token in wanted:
        flow_id = tx.value("SELECT id FROM flows WHERE api_token = ?", (token,))
        if flow_id is None:
            source = tx.one(
                "SELECT flow_id, deleted FROM sources WHERE flow_token_digest = ?", (digest(token),)
            )
            if source is None:
                raise unauthorized()
            if source["deleted"]:
                raise ApiError(410, "Source has been deleted")
            flow_id = source["flow_id"]
        if flow_id not in found:
            found.append(flow_id)
    return found


def _text(
    data: Mapping[str, Any], key: str, errors: dict[str, list[str]], limit: int, required: bool
) -> str | None:
    value = data.get(key)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            errors[key] = ["can't be blank"]
        return None
    if not isinstance(value, str):
        errors[key] = ["must be text"]
        return None
    if len(value) > limit:
        errors[key] = [f"is too long (maximum is {limit} characters)"]
        return None
    return value.strip()


def chat(tx: Tx, tokens: str, data: Mapping[str, Any]) -> None:
    """``POST /v1/messages/chat/:tokens``: ``content`` and ``external_user_name`` (required),
    ``tags``, ``thread_id`` (reply in a thread), ``message_id`` (comment on a message)."""
    flow_ids = flows_of(tx, tokens)
    errors: dict[str, list[str]] = {}
    _text(data, "content", errors, CONTENT_MAX_LENGTH, required=True)
    name = _text(data, "external_user_name", errors, EXTERNAL_USER_NAME_MAX_LENGTH, required=True)
    if name is not None and any(c.isspace() for c in name):
        errors["external_user_name"] = ["can't contain whitespace"]
    if errors:
        raise validation_error(errors)
    parent = data.get("message_id", data.get("message"))
    message: dict[str, Any] = {
        "event": "comment" if parent not in (None, "") else "message",
        "content": data["content"],
        "external_user_name": name,
    }
    for key in ("tags", "thread_id", "uuid"):
        if data.get(key) not in (None, ""):
            message[key] = data[key]
    if message["event"] == "comment":
        message["message"] = parent
    errors = validate_message(message)
    if errors:
        raise validation_error(errors)
    for flow_id in flow_ids:
        messages.post(tx, Principal("push", flow_id=flow_id), message)


def team_inbox(tx: Tx, tokens: str, data: Mapping[str, Any]) -> None:
    """``POST /v1/messages/team_inbox/:tokens``: a mail-like team inbox item (``mail``)."""
    flow_ids = flows_of(tx, tokens)
    errors: dict[str, list[str]] = {}
    source = _text(data, "source", errors, LABEL_MAX_LENGTH, required=True)
    project = _text(data, "project", errors, LABEL_MAX_LENGTH, required=False)
    for key, value in (("source", source), ("project", project)):
        if value is not None and not _LABEL.match(value):
            errors[key] = ["may hold only letters, digits, '-', '_' and spaces"]
    address = _text(data, "from_address", errors, 254, required=True)
    if address is not None and ("@" not in address or any(c.isspace() for c in address)):
        errors["from_address"] = ["must be an email address"]
    subject = _text(data, "subject", errors, TITLE_MAX_LENGTH, required=True)
    content = _text(data, "content", errors, BODY_MAX_LENGTH, required=True)
    from_name = _text(data, "from_name", errors, NAME_MAX_LENGTH, required=False)
    reply_to = _text(data, "reply_to", errors, 254, required=False)
    link = _text(data, "link", errors, URL_MAX_LENGTH, required=False)
    if link is not None and not is_http_url(link):
        errors["link"] = ["must be an http:// or https:// address"]
    if data.get("format") not in (None, "", "html"):
        errors["format"] = ["must be html (the only format Flowdock supported)"]
    tags = split_tags(data.get("tags")) if data.get("tags") not in (None, "") else []
    if tags is None or not all(isinstance(t, str) for t in tags):
        errors["tags"] = ["must be a list or a comma-separated string"]
    if errors:
        raise validation_error(errors)
    item = {
        "subject": subject,
        "content": sanitize_body(content or ""),
        "from": [{"address": address, "name": from_name}],
        "reply_to": reply_to,
        "source": source,
        "project": project,
        "link": link,
        "format": "html",
    }
    for flow_id in flow_ids:
        messages.store_message(
            tx,
            flow_id,
            {
                "id": messages.next_id(tx, flow_id),
                "event": "mail",
                "content": item,
                "tags": [t.strip() for t in tags or [] if t.strip()],
                "user": "0",
                "sent": tx.now_ms(),
                "flow": flow_id,
                "app": "influx",
            },
        )


def regenerate(tx: Tx, flow_id: str) -> str:
    """A new API token for the flow (the old one stops working); the sources page's button."""
    token = new_api_token()
    tx.execute("UPDATE flows SET api_token = ? WHERE id = ?", (token, flow_id))
    return token


def token_of(tx: Tx, flow_id: str) -> str | None:
    return tx.value("SELECT api_token FROM flows WHERE id = ?", (flow_id,))
