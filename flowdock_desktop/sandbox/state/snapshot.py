"""The sandbox's data as one JSON document: the seed, and the ``--data`` files of old versions.

Versions before the SQLite store kept everything in one JSON file of this shape
(``"version": 1``); :func:`load` writes such a document into the tables, which is how the
seed data is made too, and :func:`read_json_file` checks a file before it is imported.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flowdock_desktop.sandbox import seed
from flowdock_desktop.sandbox.state import messages
from flowdock_desktop.sandbox.state.errors import DataFileError
from flowdock_desktop.sandbox.state.grants import Lifetimes
from flowdock_desktop.sandbox.state.store import Tx, dumps

#: Top-level keys every version-1 document has, with the type of their value.
_SHAPE = {
    "users": list,
    "organizations": list,
    "flows": list,
    "applications": list,
    "sources": list,
    "threads": list,
    "messages": dict,
    "codes": dict,
    "access_tokens": dict,
    "refresh_tokens": dict,
}


def read_json_file(path: Path) -> dict[str, Any]:
    """The document in a JSON ``--data`` file; DataFileError when it is not one we can read."""
    raw = path.read_bytes()
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        if raw.lstrip()[:1] in (b"{", b"["):
            raise DataFileError(path, "is damaged: its JSON is cut short or broken") from None
        raise DataFileError(
            path, "is not a sandbox data file (neither a sandbox database nor its JSON)"
        ) from None
    if not isinstance(data, dict) or "version" not in data:
        raise DataFileError(path, "holds JSON that is not sandbox data")
    if data["version"] != seed.DATA_VERSION:
        raise DataFileError(
            path,
            f"holds sandbox data of a version this Flowdock Desktop does not know "
            f"({data['version']!r}; it reads {seed.DATA_VERSION})",
        )
    for key, kind in _SHAPE.items():
        if not isinstance(data.get(key), kind):
            raise DataFileError(path, f"is damaged: its {key!r} entry is missing or malformed")
    return data


def load_file(tx: Tx, path: Path, lifetimes: Lifetimes) -> None:
    """Import a checked JSON file; DataFileError when its rows do not fit together."""
    data = read_json_file(path)
    try:
        load(tx, data, lifetimes)
    except (KeyError, TypeError, ValueError, AttributeError, sqlite3.IntegrityError) as exc:
        raise DataFileError(path, f"is damaged: {type(exc).__name__} {exc}") from None


def load_seed(tx: Tx, lifetimes: Lifetimes) -> None:
    load(tx, seed.build_seed(), lifetimes)


def load(tx: Tx, data: Mapping[str, Any], lifetimes: Lifetimes) -> None:
    """Insert a version-1 document into empty tables."""
    for user in data["users"]:
        tx.execute(
            "INSERT INTO users (id, nick, name, email, password, api_token_digest, website, "
            "status) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (user["id"], user["nick"], user["name"], user["email"], user["password"],
             user.get("api_token_digest"), user.get("website"), user.get("status")),
        )  # fmt: skip
    for org in data["organizations"]:
        tx.execute(
            "INSERT INTO organizations (id, name, parameterized_name) VALUES (?, ?, ?)",
            (org["id"], org["name"], org["parameterized_name"]),
        )
    for flow in data["flows"]:
        tx.execute(
            "INSERT INTO flows (id, org_id, name, parameterized_name, join_hash, api_token) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (flow["id"], flow["org_id"], flow["name"], flow["parameterized_name"],
             flow["join_hash"], flow.get("api_token") or seed.new_api_token()),
        )  # fmt: skip
        for user_id in flow["member_ids"]:
            tx.execute(
                "INSERT INTO flow_members (flow_id, user_id) VALUES (?, ?)", (flow["id"], user_id)
            )
    for org in data["organizations"]:
        admins = org.get("admin_ids")
        if admins is None:
            # Files of the version before named no admins: the first member administers.
            first = tx.value(
                "SELECT min(m.user_id) FROM flows f JOIN flow_members m ON m.flow_id = f.id "
                "WHERE f.org_id = ?",
                (org["id"],),
            )
            admins = [] if first is None else [first]
        for admin in admins:
            tx.execute(
                "INSERT INTO organization_admins (org_id, user_id) VALUES (?, ?)",
                (org["id"], admin),
            )
    for app in data["applications"]:
        tx.execute(
            "INSERT INTO applications (id, name, client_id, client_secret_digest, redirect_uris, "
            "loopback_any_port, setup_uri, configuration_uri, owner_id) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (app["id"], app["name"], app["client_id"], app["client_secret_digest"],
             dumps(list(app["redirect_uris"])), int(bool(app.get("loopback_any_port"))),
             app.get("setup_uri"), app.get("configuration_uri"), app.get("owner_id")),
        )  # fmt: skip
    for source in data["sources"]:
        tx.execute(
            "INSERT INTO sources (id, flow_id, name, external_url, flow_token_digest, "
            "application_id, creator_id, created_at, updated_at, error_message, "
            "configuration_url, deleted) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (source["id"], source["flow_id"], source["name"], source.get("external_url"),
             source["flow_token_digest"], source.get("application_id"),
             source.get("creator_id"), source["created_at"], source["updated_at"],
             source.get("error_message"), source.get("configuration_url"),
             int(bool(source.get("deleted")))),
        )  # fmt: skip
    for thread in data["threads"]:
        status = thread.get("status")
        tx.execute(
            "INSERT INTO threads (id, flow_id, owner, external_thread_id, source_id, "
            "application_id, title, body, external_url, status, fields, actions, activities, "
            "internal_comments, external_comments, created_at, updated_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (thread["id"], thread["flow_id"], thread["owner"], thread["external_thread_id"],
             thread.get("source_id"), thread.get("application_id"), thread.get("title") or "",
             thread.get("body") or "", thread.get("external_url"),
             None if status is None else dumps(status), dumps(thread.get("fields") or []),
             dumps(thread.get("actions") or []), thread.get("activities", 0),
             thread.get("internal_comments", 0), thread.get("external_comments", 0),
             thread["created_at"], thread["updated_at"]),
        )  # fmt: skip
    for flow_id, items in data["messages"].items():
        for message in items:
            messages.store_message(tx, flow_id, message)
    now = tx.now()
    for key, code in data["codes"].items():
        tx.execute(
            "INSERT INTO authorization_codes (digest, client_id, user_id, redirect_uri, scopes, "
            "code_challenge, code_challenge_method, expires_at, used) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (key, code["client_id"], code["user_id"], code.get("redirect_uri"),
             " ".join(code["scopes"]), code.get("code_challenge"),
             code.get("code_challenge_method"), code["expires_at"], int(bool(code.get("used")))),
        )  # fmt: skip
    for table, tokens in (
        ("access_tokens", data["access_tokens"]),
        ("refresh_tokens", data["refresh_tokens"]),
    ):
        for key, token in tokens.items():
            # Refresh tokens of the JSON store never expired; they get a full lifetime now.
            expires_at = token.get("expires_at", now + lifetimes.refresh_token)
            tx.execute(
                f"INSERT INTO {table} (digest, client_id, user_id, scopes, expires_at, "
                "code_digest) VALUES (?, ?, ?, ?, ?, ?)",
                (key, token["client_id"], token["user_id"], " ".join(token["scopes"]),
                 expires_at, token.get("code")),
            )  # fmt: skip
    _keep_counters(tx, data.get("counters") or {})


def _keep_counters(tx: Tx, counters: Mapping[str, Any]) -> None:
    """Carry the JSON store's id counters over, so ids of removed rows are never reused."""
    for table, key in (("users", "user"), ("applications", "application"), ("sources", "source")):
        value = counters.get(key)
        if isinstance(value, int) and not isinstance(value, bool):
            tx.execute(
                "UPDATE sqlite_sequence SET seq = max(seq, ?) WHERE name = ?", (value, table)
            )
