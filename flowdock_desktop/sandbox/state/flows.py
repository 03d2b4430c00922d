"""Users, organizations and flows: who can see which flow, and the lookups routes make."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from typing import Any

from flowdock_desktop.api.validation import validate_flow_name
from flowdock_desktop.sandbox.seed import new_api_token, new_flow_id
from flowdock_desktop.sandbox.state import messages, views
from flowdock_desktop.sandbox.state.errors import ApiError, not_found, validation_error
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


def visible_org_ids(tx: Tx, user_id: int) -> set[int]:
    rows = tx.all(
        "SELECT DISTINCT f.org_id FROM flows f JOIN flow_members m ON m.flow_id = f.id "
        "WHERE m.user_id = ?",
        (user_id,),
    )
    return {row[0] for row in rows}


def _membership(tx: Tx, flow_id: str, user_id: int | None) -> Row | None:
    return tx.one(
        "SELECT * FROM flow_members WHERE flow_id = ? AND user_id = ?", (flow_id, user_id)
    )


def _can_see(tx: Tx, flow: Row, user_id: int | None) -> bool:
    """Members see a flow; others in its organization only when it is open to the whole
    organization (``access_mode`` ``organization``)."""
    if _membership(tx, flow["id"], user_id) is not None:
        return True
    return flow["access_mode"] == "organization" and flow["org_id"] in visible_org_ids(
        tx, user_id or 0
    )


def user_flow(tx: Tx, principal: Principal, flow_id: str | None) -> Row:
    """A flow the user may see (a member, or it is open to their organization), else 404."""
    flow = tx.one("SELECT * FROM flows WHERE id = ?", (flow_id,)) if flow_id else None
    if flow is None or not _can_see(tx, flow, principal.user_id):
        raise not_found()
    return flow


def require_member(tx: Tx, principal: Principal, flow_id: str) -> None:
    """403 unless the user has joined the flow, is not blocked from it, and it is not
    archived (``disabled``)."""
    member = _membership(tx, flow_id, principal.user_id)
    if member is None:
        raise ApiError(403, "You are not a member of this flow")
    if member["disabled"]:
        raise ApiError(403, "You have been blocked from this flow")
    if tx.value("SELECT disabled FROM flows WHERE id = ?", (flow_id,)):
        raise ApiError(403, "This flow has been archived (disabled)")


def can_post(tx: Tx, principal: Principal, flow_id: str) -> bool:
    """Whether the user may post to the flow (``require_member`` would let them)."""
    try:
        require_member(tx, principal, flow_id)
    except ApiError:
        return False
    return True


def visible_flow_ids(tx: Tx, principal: Principal) -> list[str]:
    """Flows the user can see that are not archived, in the order they were made."""
    rows = tx.all("SELECT * FROM flows WHERE NOT disabled ORDER BY rowid")
    return [row["id"] for row in rows if _can_see(tx, row, principal.user_id)]


def show_flow(
    tx: Tx, principal: Principal, flow_id: str | None, base_url: str, seen: views.Seen | None = None
) -> dict:
    flow = user_flow(tx, principal, flow_id)
    return views.flow_view(
        tx, flow["id"], base_url, user_id=principal.user_id, users=True, seen=seen
    )


def list_flows(
    tx: Tx,
    principal: Principal,
    base_url: str,
    *,
    all_flows: bool,
    users: bool,
    seen: views.Seen | None = None,
) -> list[dict[str, Any]]:
    """Joined flows (``all_flows``: also those the user could join); archived ones never."""
    uid = principal.user_id
    result = []
    for flow_id in visible_flow_ids(tx, principal):
        if not all_flows and _membership(tx, flow_id, uid) is None:
            continue
        result.append(views.flow_view(tx, flow_id, base_url, user_id=uid, users=users, seen=seen))
    return result


def visible_user_ids(tx: Tx, principal: Principal) -> list[int]:
    orgs = visible_org_ids(tx, principal.user_id or 0)
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
    return [views.user_view(tx, uid, base_url) for uid in visible_user_ids(tx, principal)]


def show_user(tx: Tx, principal: Principal, user_id: int, base_url: str) -> dict[str, Any]:
    if user_id not in visible_user_ids(tx, principal):
        raise not_found()
    return views.user_view(tx, user_id, base_url)


# ---------------------------------------------------------------------- changing flows

ACCESS_MODES = ("invitation", "link", "organization")
_TRUE = (True, 1, "true", "1")
_FALSE = (False, 0, "false", "0")


def flag(data: Mapping[str, Any], key: str, errors: dict[str, list[str]]) -> bool | None:
    """A boolean field (JSON true/false, or "true"/"false"/"1"/"0" from a form), or None."""
    if key not in data:
        return None
    value = data[key]
    if value in _TRUE and not isinstance(value, float):
        return True
    if value in _FALSE and not isinstance(value, float):
        return False
    errors[key] = ["must be true or false"]
    return None


def _slug(name: str) -> str:
    slug = "".join(c if c.isalnum() else "-" for c in name.strip().lower())
    return "-".join(part for part in slug.split("-") if part)[:60] or "flow"


def organization(tx: Tx, principal: Principal, org_slug: str) -> Row:
    """An organization the user belongs to (a member of one of its flows), else 404."""
    org = tx.one("SELECT * FROM organizations WHERE parameterized_name = ?", (org_slug,))
    if org is None or org["id"] not in visible_org_ids(tx, principal.user_id or 0):
        raise not_found()
    return org


def create_flow(
    tx: Tx, principal: Principal, org_slug: str, data: Mapping[str, Any], base_url: str
) -> dict[str, Any]:
    """``POST /flows/:org``: a new flow (invitation only, like Flowdock's) with the caller
    as its first member."""
    principal.require_scope("manage", "flow")
    org = organization(tx, principal, org_slug)
    problems = validate_flow_name(data.get("name"))
    if problems:
        raise validation_error({"name": problems})
    name = data["name"].strip()
    base = slug = _slug(name)
    counter = 1
    while tx.value(
        "SELECT 1 FROM flows WHERE org_id = ? AND parameterized_name = ?", (org["id"], slug)
    ):
        counter += 1
        slug = f"{base}-{counter}"
    flow_id = new_flow_id()
    tx.execute(
        "INSERT INTO flows (id, org_id, name, parameterized_name, join_hash, api_token, "
        "access_mode) VALUES (?, ?, ?, ?, ?, ?, 'invitation')",
        (flow_id, org["id"], name, slug, secrets.token_hex(6), new_api_token()),
    )
    tx.execute(
        "INSERT INTO flow_members (flow_id, user_id) VALUES (?, ?)", (flow_id, principal.user_id)
    )
    return views.flow_view(tx, flow_id, base_url, user_id=principal.user_id, users=True)


def update_flow(
    tx: Tx,
    principal: Principal,
    flow_id: str,
    data: Mapping[str, Any],
    base_url: str,
    seen: views.Seen | None = None,
) -> dict[str, Any]:
    """``PUT /flows/:org/:flow``: ``open`` (``true`` joins a flow open to the organization,
    ``false`` closes its tab), and, for members, ``name``, ``disabled`` and ``access_mode``."""
    principal.require_scope("flow", "manage")
    flow = user_flow(tx, principal, flow_id)
    errors: dict[str, list[str]] = {}
    is_open = flag(data, "open", errors)
    disabled = flag(data, "disabled", errors)
    changes: dict[str, Any] = {}
    if "name" in data:
        problems = validate_flow_name(data["name"])
        if problems:
            errors["name"] = problems
        else:
            changes["name"] = data["name"].strip()
    if "access_mode" in data:
        if data["access_mode"] not in ACCESS_MODES:
            errors["access_mode"] = ["must be one of: " + ", ".join(ACCESS_MODES)]
        else:
            changes["access_mode"] = data["access_mode"]
    if disabled is not None:
        changes["disabled"] = int(disabled)
    if errors:
        raise validation_error(errors)
    member = _membership(tx, flow["id"], principal.user_id)
    if member is None and (changes or is_open is False):
        raise ApiError(403, "You are not a member of this flow")
    if member is not None and member["disabled"]:
        raise ApiError(403, "You have been blocked from this flow")
    if changes:
        assignments = ", ".join(f"{key} = ?" for key in changes)
        tx.execute(f"UPDATE flows SET {assignments} WHERE id = ?", (*changes.values(), flow["id"]))
    if is_open is not None:
        if member is None:
            if flow["disabled"] or changes.get("disabled"):
                raise ApiError(403, "This flow has been archived (disabled)")
            tx.execute(
                "INSERT INTO flow_members (flow_id, user_id) VALUES (?, ?)",
                (flow["id"], principal.user_id),
            )
            store_action(tx, flow["id"], principal.user_id, "join", _nick(tx, principal.user_id))
        else:
            tx.execute(
                "UPDATE flow_members SET open = ? WHERE flow_id = ? AND user_id = ?",
                (int(is_open), flow["id"], principal.user_id),
            )
    return views.flow_view(
        tx, flow["id"], base_url, user_id=principal.user_id, users=True, seen=seen
    )


def list_flow_users(
    tx: Tx, principal: Principal, flow_id: str, base_url: str, seen: views.Seen | None = None
) -> list[dict[str, Any]]:
    principal.require_scope("flow", "manage", "profile")
    flow = user_flow(tx, principal, flow_id)
    return views.flow_users(tx, flow["id"], base_url, seen)


def add_flow_user(tx: Tx, principal: Principal, flow_id: str, data: Mapping[str, Any]) -> None:
    """``POST /flows/:org/:flow/users`` ``{"id": 42}``: add someone of the organization."""
    principal.require_scope("flow", "manage")
    flow = user_flow(tx, principal, flow_id)
    require_member(tx, principal, flow["id"])
    user_id = data.get("id")
    if isinstance(user_id, str) and user_id.isdigit():
        user_id = int(user_id)
    if isinstance(user_id, bool) or not isinstance(user_id, int):
        raise validation_error({"id": ["must be a user id"]})
    # Someone is in the organization when they are in one of its flows.
    if not -(2**63) <= user_id < 2**63 or flow["org_id"] not in visible_org_ids(tx, user_id):
        raise not_found()
    added = tx.execute(
        "INSERT OR IGNORE INTO flow_members (flow_id, user_id) VALUES (?, ?)", (flow["id"], user_id)
    )
    if added.rowcount:
        store_action(tx, flow["id"], principal.user_id, "add_people", _nick(tx, user_id))


def block_flow_user(
    tx: Tx, principal: Principal, flow_id: str, user_id: int, data: Mapping[str, Any]
) -> None:
    """``PUT /flows/:org/:flow/users/:id`` ``{"disabled": true}``: block (or unblock) a
    member. Only organization admins may block admins."""
    principal.require_scope("flow", "manage")
    flow = user_flow(tx, principal, flow_id)
    require_member(tx, principal, flow["id"])
    errors: dict[str, list[str]] = {}
    disabled = flag(data, "disabled", errors)
    if disabled is None and not errors:
        errors["disabled"] = ["can't be blank"]
    if errors:
        raise validation_error(errors)
    member = _membership(tx, flow["id"], user_id)
    if member is None:
        raise not_found()
    if is_admin(tx, flow["org_id"], user_id) and not is_admin(
        tx, flow["org_id"], principal.user_id
    ):
        raise ApiError(403, "Only an organization admin can block an admin")
    tx.execute(
        "UPDATE flow_members SET disabled = ? WHERE flow_id = ? AND user_id = ?",
        (int(bool(disabled)), flow["id"], user_id),
    )
    if disabled and not member["disabled"]:
        store_action(tx, flow["id"], principal.user_id, "block", {"user": user_id})


# ---------------------------------------------------------------------- action messages


def store_action(tx: Tx, flow_id: str, user_id: int | None, action: str, description: Any) -> int:
    """Store Flowdock's ``action`` message in a flow: ``content: {type, description}``,
    ``user`` the person who acted (who joined, who added, who blocked), so listings and
    streams show what happened to the flow's people. Returns its ``seq``."""
    return messages.store_message(
        tx,
        flow_id,
        {
            "id": messages.next_id(tx, flow_id),
            "event": "action",
            "content": {"type": action, "description": description},
            "tags": [],
            "uuid": None,
            "user": str(user_id or 0),
            "sent": tx.now_ms(),
            "flow": flow_id,
            "app": "chat",
            "attachments": [],
            "edited": None,
        },
    )


def _nick(tx: Tx, user_id: int | None) -> str:
    return tx.value("SELECT nick FROM users WHERE id = ?", (user_id,)) or ""


def is_admin(tx: Tx, org_id: int, user_id: int | None) -> bool:
    return bool(
        tx.value(
            "SELECT 1 FROM organization_admins WHERE org_id = ? AND user_id = ?", (org_id, user_id)
        )
    )


# ---------------------------------------------------------------------- users

NICK_MAX_LENGTH = 100
EMAIL_MAX_LENGTH = 254


def update_user(tx: Tx, principal: Principal, user_id: int, data: Mapping[str, Any]) -> None:
    """``PUT /users/:id``: the caller's own ``nick`` and ``email``."""
    principal.require_scope("manage", "profile")
    if user_id != principal.user_id:
        if user_id in visible_user_ids(tx, principal):
            raise ApiError(403, "You can only change your own information")
        raise not_found()
    errors: dict[str, list[str]] = {}
    changes: dict[str, str] = {}
    for key, limit in (("nick", NICK_MAX_LENGTH), ("email", EMAIL_MAX_LENGTH)):
        if key not in data:
            continue
        value = data[key]
        if not isinstance(value, str):
            errors[key] = ["can't be blank" if value is None else "must be text"]
            continue
        value = value.strip()
        if not value:
            errors[key] = ["can't be blank"]
        elif len(value) > limit:
            errors[key] = [f"is too long (maximum is {limit} characters)"]
        elif key == "email" and ("@" not in value or any(c.isspace() for c in value)):
            errors[key] = ["must be an email address"]
        elif key == "email" and tx.value(
            "SELECT 1 FROM users WHERE lower(email) = lower(?) AND id != ?", (value, user_id)
        ):
            errors[key] = ["has already been taken"]
        else:
            changes[key] = value
    if errors:
        raise validation_error(errors)
    if changes:
        assignments = ", ".join(f"{key} = ?" for key in changes)
        tx.execute(f"UPDATE users SET {assignments} WHERE id = ?", (*changes.values(), user_id))
