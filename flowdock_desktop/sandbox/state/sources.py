"""Sources (integrations): creating one with its flow token, listing, updating, removing."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from typing import Any

from flowdock_desktop.api.validation import validate_source_name
from flowdock_desktop.sandbox.seed import digest
from flowdock_desktop.sandbox.state import flows, views
from flowdock_desktop.sandbox.state.errors import not_found, validation_error
from flowdock_desktop.sandbox.state.principals import Principal
from flowdock_desktop.sandbox.state.store import Row, Tx


def _row(tx: Tx, source_id: int | None) -> Row | None:
    return tx.one("SELECT * FROM sources WHERE id = ?", (source_id,))


def create(
    tx: Tx, principal: Principal, flow_id: str, data: Mapping[str, Any], base_url: str
) -> dict[str, Any]:
    """Create a source; the returned view is the only one that carries its flow_token."""
    principal.require_scope("integration")
    flow = flows.user_flow(tx, principal, flow_id)
    errors: dict[str, list[str]] = {}
    name_errors = validate_source_name(data.get("name"))
    if name_errors:
        errors["name"] = name_errors
    external_url = data.get("external_url")
    if external_url not in (None, "") and not isinstance(external_url, str):
        errors["external_url"] = ["must be text"]
    if errors:
        raise validation_error(errors)
    app_id = None
    if principal.client_id:
        app_id = tx.value("SELECT id FROM applications WHERE client_id = ?", (principal.client_id,))
    now = tx.now_ms()
    token = secrets.token_hex(16)
    cursor = tx.execute(
        "INSERT INTO sources (flow_id, name, external_url, flow_token_digest, application_id, "
        "creator_id, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (flow["id"], data["name"].strip(), external_url or None, digest(token), app_id,
         principal.user_id, now, now),
    )  # fmt: skip
    source = _row(tx, cursor.lastrowid)
    assert source is not None
    view = views.source_view(tx, source, base_url)
    view["flow_token"] = token
    return view


def list_visible(
    tx: Tx, principal: Principal, base_url: str, flow_id: str | None = None
) -> list[dict[str, Any]]:
    """Live sources of one flow, of every flow the user can see, or the flow_token's own."""
    if principal.kind == "source":
        source = _row(tx, principal.source_id)
        return [views.source_view(tx, source, base_url)] if source else []
    principal.require_scope("integration", "flow", "manage")
    if flow_id is not None:
        flow_ids = [flows.user_flow(tx, principal, flow_id)["id"]]
    else:
        flow_ids = flows.visible_flow_ids(tx, principal)
    result = []
    for fid in flow_ids:
        result += in_flow(tx, fid, base_url)
    result.sort(key=lambda view: view["id"])
    return result


def in_flow(tx: Tx, flow_id: str, base_url: str) -> list[dict[str, Any]]:
    """Live sources of a flow, oldest first."""
    rows = tx.all("SELECT * FROM sources WHERE flow_id = ? AND NOT deleted ORDER BY id", (flow_id,))
    return [views.source_view(tx, row, base_url) for row in rows]


def _flow_source(tx: Tx, principal: Principal, flow_id: str, source_id: int) -> Row:
    principal.require_scope("integration", "flow", "manage")
    flow = flows.user_flow(tx, principal, flow_id)
    source = _row(tx, source_id)
    if source is None or source["flow_id"] != flow["id"] or source["deleted"]:
        raise not_found()
    return source


def show(
    tx: Tx, principal: Principal, flow_id: str, source_id: int, base_url: str
) -> dict[str, Any]:
    return views.source_view(tx, _flow_source(tx, principal, flow_id, source_id), base_url)


def update(
    tx: Tx,
    principal: Principal,
    data: Mapping[str, Any],
    base_url: str,
    flow_id: str | None = None,
    source_id: int | None = None,
) -> dict[str, Any]:
    """PUT a source's ``error_message`` ("" clears it) and ``configuration_url``."""
    if principal.kind == "source":
        source = _row(tx, principal.source_id)
    else:
        source = _flow_source(tx, principal, flow_id or "", source_id or 0)
    if source is None:
        raise not_found()
    errors: dict[str, list[str]] = {}
    changes: dict[str, Any] = {}
    for key in ("error_message", "configuration_url"):
        if key in data:
            value = data[key]
            if value is not None and not isinstance(value, str):
                errors[key] = ["must be text"]
            else:
                changes[key] = value or None
    if errors:
        raise validation_error(errors)
    changes["updated_at"] = tx.now_ms()
    assignments = ", ".join(f"{key} = ?" for key in changes)
    tx.execute(f"UPDATE sources SET {assignments} WHERE id = ?", (*changes.values(), source["id"]))
    updated = _row(tx, source["id"])
    assert updated is not None
    return views.source_view(tx, updated, base_url)


def delete(tx: Tx, principal: Principal, flow_id: str, source_id: int) -> None:
    """Remove a source; its flow_token answers 410 from now on."""
    source = _flow_source(tx, principal, flow_id, source_id)
    tx.execute("UPDATE sources SET deleted = 1 WHERE id = ?", (source["id"],))


def delete_by_id(tx: Tx, source_id: int) -> bool:
    """The web page's Remove button (no API credentials there)."""
    cursor = tx.execute("UPDATE sources SET deleted = 1 WHERE id = ? AND NOT deleted", (source_id,))
    return cursor.rowcount > 0
