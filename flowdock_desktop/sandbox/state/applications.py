"""Developer applications: registration, the list on the web page, setup links."""

from __future__ import annotations

import secrets
from typing import Any

from flowdock_desktop.sandbox.seed import digest
from flowdock_desktop.sandbox.state import views
from flowdock_desktop.sandbox.state.store import Tx, dumps


def create(
    tx: Tx,
    name: str,
    redirect_uris: list[str],
    *,
    setup_uri: str | None = None,
    configuration_uri: str | None = None,
    loopback_any_port: bool = False,
    owner_id: int | None = 1,
) -> dict[str, Any]:
    """Register an application; the returned dict has the only copy of client_secret."""
    secret = secrets.token_hex(32)
    cursor = tx.execute(
        "INSERT INTO applications (name, client_id, client_secret_digest, redirect_uris, "
        "loopback_any_port, setup_uri, configuration_uri, owner_id) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (
            name,
            secrets.token_hex(32),
            digest(secret),
            dumps(redirect_uris),
            int(loopback_any_port),
            setup_uri,
            configuration_uri,
            owner_id,
        ),
    )
    row = tx.one("SELECT * FROM applications WHERE id = ?", (cursor.lastrowid,))
    assert row is not None
    view = views.application_view(row)
    view["client_secret"] = secret
    return view


def list_all(tx: Tx) -> list[dict[str, Any]]:
    return [views.application_view(row) for row in tx.all("SELECT * FROM applications ORDER BY id")]


def setup_link(tx: Tx, app_id: int, flow_id: str, base_url: str) -> str | None:
    """The app's setup URI for a flow: placeholders filled, else ``flow=<id>`` appended."""
    app = tx.one("SELECT setup_uri FROM applications WHERE id = ?", (app_id,))
    path = views.flow_path(tx, flow_id)
    if app is None or path is None or not app["setup_uri"]:
        return None
    return views.fill_uri(
        app["setup_uri"],
        {"flow_id": flow_id, "flow_url": f"{base_url}/flows/{path}"},
        {"flow": flow_id},
    )
