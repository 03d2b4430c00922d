"""Organizations: who belongs (anyone in one of its flows), its admins, renaming, removal."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flowdock_desktop.sandbox.state import flows, views
from flowdock_desktop.sandbox.state.errors import ApiError, not_found, validation_error
from flowdock_desktop.sandbox.state.principals import Principal
from flowdock_desktop.sandbox.state.store import Row, Tx

ORGANIZATION_NAME_MAX_LENGTH = 100
READ_SCOPES = ("flow", "manage", "profile")


def list_all(tx: Tx, principal: Principal, base_url: str) -> list[dict[str, Any]]:
    principal.require_scope(*READ_SCOPES)
    rows = tx.all("SELECT * FROM organizations ORDER BY id")
    visible = flows.visible_org_ids(tx, principal.user_id or 0)
    return [views.organization_view(tx, row, base_url) for row in rows if row["id"] in visible]


def show(tx: Tx, principal: Principal, org_slug: str, base_url: str) -> dict[str, Any]:
    principal.require_scope(*READ_SCOPES)
    return views.organization_view(tx, flows.organization(tx, principal, org_slug), base_url)


def find(tx: Tx, principal: Principal, org_id: str | None, base_url: str) -> dict[str, Any]:
    """``GET /organizations/find?id=``: by the id that stays when the name changes."""
    principal.require_scope(*READ_SCOPES)
    slug = None
    if org_id and org_id.isdigit() and len(org_id) < 19:
        slug = tx.value("SELECT parameterized_name FROM organizations WHERE id = ?", (org_id,))
    if slug is None:
        raise not_found()
    return show(tx, principal, slug, base_url)


def _administered(tx: Tx, principal: Principal, org_slug: str) -> Row:
    principal.require_scope("manage")
    org = flows.organization(tx, principal, org_slug)
    if not flows.is_admin(tx, org["id"], principal.user_id):
        raise ApiError(403, "Only an organization admin can do this")
    return org


def update(
    tx: Tx, principal: Principal, org_slug: str, data: Mapping[str, Any], base_url: str
) -> dict[str, Any]:
    """``PUT /organizations/:org``: its display name (the URL name stays); admins only."""
    org = _administered(tx, principal, org_slug)
    name = data.get("name")
    if name is not None:
        if not isinstance(name, str) or not name.strip():
            raise validation_error({"name": ["can't be blank"]})
        if len(name) > ORGANIZATION_NAME_MAX_LENGTH:
            raise validation_error(
                {"name": [f"is too long (maximum is {ORGANIZATION_NAME_MAX_LENGTH} characters)"]}
            )
        tx.execute("UPDATE organizations SET name = ? WHERE id = ?", (name.strip(), org["id"]))
    row = tx.one("SELECT * FROM organizations WHERE id = ?", (org["id"],))
    assert row is not None
    return views.organization_view(tx, row, base_url)


def users(tx: Tx, principal: Principal, org_slug: str, base_url: str) -> list[dict[str, Any]]:
    """``GET /organizations/:org/users``: its people, each with ``admin``."""
    principal.require_scope(*READ_SCOPES)
    org = flows.organization(tx, principal, org_slug)
    admins = {
        row[0]
        for row in tx.all("SELECT user_id FROM organization_admins WHERE org_id = ?", (org["id"],))
    }
    result = []
    for entry in views.organization_view(tx, org, base_url)["users"]:
        view = views.user_view(tx, entry["id"], base_url)
        view["admin"] = entry["id"] in admins
        result.append(view)
    return result


def remove_user(tx: Tx, principal: Principal, org_slug: str, user_id: int) -> None:
    """``DELETE /organizations/:org/users/:id``: out of every flow of the organization."""
    org = _administered(tx, principal, org_slug)
    cursor = tx.execute(
        "DELETE FROM flow_members WHERE user_id = ? "
        "AND flow_id IN (SELECT id FROM flows WHERE org_id = ?)",
        (user_id, org["id"]),
    )
    if cursor.rowcount == 0:
        raise not_found()
    tx.execute(
        "DELETE FROM organization_admins WHERE org_id = ? AND user_id = ?", (org["id"], user_id)
    )
