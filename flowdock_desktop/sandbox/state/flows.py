"""Users, organizations and flows: who can see which flow, and the lookups routes make."""

from __future__ import annotations

from typing import Any

from flowdock_desktop.sandbox.state import views
from flowdock_desktop.sandbox.state.errors import ApiError, not_found
from flowdock_desktop.sandbox.state.principals import Principal
from flowdock_desktop.sandbox.state.store import Row, Tx


def find_by_path(tx: Tx, org: str, flow: str) -> str | None:
    """Flow id for ``org/flow`` slugs, or None."""
    return tx.value(
        "SELECT f.id FROM flows f JOIN organizations o ON o.id = f.org_id "
        "WHERE o.parameterized_name = ? AND f.parameterized_name = ?",
        (org, flow),
    )


def require_by_path(tx: Tx, org: str, flow: str) -> str:
    """The flow id for ``org/flow`` slugs, else 404."""
    found = find_by_path(tx, org, flow)
    if found is None:
        raise not_found()
    return found


def by_path_or_id(tx: Tx, wanted: str) -> str | None:
    """A flow id from ``org/flow`` or from a flow id; None when neither names a flow."""
    if "/" in wanted:
        org, _, flow = wanted.partition("/")
        return find_by_path(tx, org, flow)
    return tx.value("SELECT id FROM flows WHERE id = ?", (wanted,))


def flow_ids(tx: Tx) -> list[str]:
    return [row[0] for row in tx.all("SELECT id FROM flows ORDER BY rowid")]


def paths(tx: Tx) -> list[tuple[str, str]]:
    """(flow id, ``org/flow``) of every flow, in the order they were made."""
    return [(fid, views.flow_path(tx, fid) or "") for fid in flow_ids(tx)]


def _visible_org_ids(tx: Tx, user_id: int) -> set[int]:
    rows = tx.all(
        "SELECT DISTINCT f.org_id FROM flows f JOIN flow_members m ON m.flow_id = f.id "
        "WHERE m.user_id = ?",
        (user_id,),
    )
    return {row[0] for row in rows}


def user_flow(tx: Tx, principal: Principal, flow_id: str | None) -> Row:
    """A flow the user may see (same organization), else 404."""
    flow = tx.one("SELECT * FROM flows WHERE id = ?", (flow_id,)) if flow_id else None
    if flow is None or flow["org_id"] not in _visible_org_ids(tx, principal.user_id or 0):
        raise not_found()
    return flow


def require_member(tx: Tx, principal: Principal, flow_id: str) -> None:
    """403 unless the user has joined the flow."""
    joined = tx.value(
        "SELECT 1 FROM flow_members WHERE flow_id = ? AND user_id = ?",
        (flow_id, principal.user_id),
    )
    if not joined:
        raise ApiError(403, "You are not a member of this flow")


def visible_flow_ids(tx: Tx, principal: Principal) -> list[str]:
    orgs = _visible_org_ids(tx, principal.user_id or 0)
    return [
        row[0] for row in tx.all("SELECT id, org_id FROM flows ORDER BY rowid") if row[1] in orgs
    ]


def show_flow(tx: Tx, principal: Principal, flow_id: str | None, base_url: str) -> dict:
    flow = user_flow(tx, principal, flow_id)
    return views.flow_view(tx, flow["id"], base_url, user_id=principal.user_id, users=True)


def list_flows(
    tx: Tx, principal: Principal, base_url: str, *, all_flows: bool, users: bool
) -> list[dict[str, Any]]:
    uid = principal.user_id
    result = []
    for flow_id in visible_flow_ids(tx, principal):
        if not all_flows and uid not in views.member_ids(tx, flow_id):
            continue
        result.append(views.flow_view(tx, flow_id, base_url, user_id=uid, users=users))
    return result


def _visible_user_ids(tx: Tx, principal: Principal) -> list[int]:
    orgs = _visible_org_ids(tx, principal.user_id or 0)
    if not orgs:
        return []
    marks = ",".join("?" * len(orgs))
    rows = tx.all(
        "SELECT DISTINCT m.user_id FROM flow_members m JOIN flows f ON f.id = m.flow_id "
        f"WHERE f.org_id IN ({marks}) ORDER BY m.user_id",
        tuple(orgs),
    )
    return [row[0] for row in rows]


def list_users(tx: Tx, principal: Principal, base_url: str) -> list[dict[str, Any]]:
    return [views.user_view(tx, uid, base_url) for uid in _visible_user_ids(tx, principal)]


def show_user(tx: Tx, principal: Principal, user_id: int, base_url: str) -> dict[str, Any]:
    if user_id not in _visible_user_ids(tx, principal):
        raise not_found()
    return views.user_view(tx, user_id, base_url)
