"""The JSON shapes the API answers with, built from stored rows."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from flowdock_desktop.sandbox.state.errors import not_found
from flowdock_desktop.sandbox.state.store import Row, Tx, loads


def iso(ms: int) -> str:
    """ISO-8601 with milliseconds and Z, as Flowdock wrote ``created_at``."""
    moment = datetime.fromtimestamp(ms / 1000, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"


def parse_iso(value: str) -> int:
    """Milliseconds since the epoch from an ISO-8601 string; ValueError when unreadable."""
    moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return round(moment.timestamp() * 1000)


def fill_uri(template: str, values: Mapping[str, str], append: Mapping[str, str]) -> str:
    """Fill ``{name}`` placeholders when the template has any, else append query parameters."""
    if any("{" + key + "}" in template for key in values):
        result = template
        for key, value in values.items():
            result = result.replace("{" + key + "}", value)
        return result
    separator = "&" if "?" in template else "?"
    return template + separator + urlencode(append)


# ---------------------------------------------------------------------- flows and users

#: What presence knows of people in flows: (flow id, user id) → (``last_activity`` ms or
#: None, ``last_ping`` ms). The stream hub keeps it; routes pass it down to the views.
Seen = Mapping[tuple[str, int], tuple[int | None, int]]


def flow_path(tx: Tx, flow_id: str) -> str | None:
    """``org/flow`` for a flow id, or None."""
    key = ("flow_path", flow_id)
    if key not in tx.memo:
        row = tx.one(
            "SELECT o.parameterized_name AS org, f.parameterized_name AS flow "
            "FROM flows f JOIN organizations o ON o.id = f.org_id WHERE f.id = ?",
            (flow_id,),
        )
        tx.memo[key] = None if row is None else f"{row['org']}/{row['flow']}"
    return tx.memo[key]


def user_view(
    tx: Tx,
    user_id: int,
    base_url: str,
    *,
    full: bool = False,
    member: Row | None = None,
    seen: tuple[int | None, int] | None = None,
) -> dict[str, Any]:
    """A user as ``/users`` shows them; ``full`` adds presence (flows' user lists): their
    ``last_activity`` and ``last_ping`` from ``seen`` (what presence knows of them), else the
    store's clock; ``member`` (their ``flow_members`` row) adds ``in_flow`` and whether they
    are blocked."""
    user = tx.one("SELECT * FROM users WHERE id = ?", (user_id,))
    if user is None:
        raise not_found()
    view: dict[str, Any] = {
        "id": user["id"],
        "nick": user["nick"],
        "email": user["email"],
        "avatar": f"{base_url}/avatars/{user['id']}/",
        "name": user["name"],
        "website": user["website"],
    }
    if full:
        last = tx.clock.last_ms or None
        activity, ping = seen if seen is not None else (last, last)
        view.update(
            status=user["status"],
            disabled=False,
            last_activity=activity if activity is not None else last,
            last_ping=ping,
        )
    if member is not None:
        view["in_flow"] = True
        view["disabled"] = bool(member["disabled"])
    return view


def flow_users(
    tx: Tx, flow_id: str, base_url: str, seen: Seen | None = None
) -> list[dict[str, Any]]:
    """A flow's members with presence (from ``seen`` where it knows them), ``in_flow`` and
    ``disabled`` (bots learn their own nick from these)."""
    members = tx.all("SELECT * FROM flow_members WHERE flow_id = ? ORDER BY rowid", (flow_id,))
    seen = seen or {}
    return [
        user_view(
            tx, m["user_id"], base_url, full=True, member=m, seen=seen.get((flow_id, m["user_id"]))
        )
        for m in members
    ]


def organization_summary(tx: Tx, org: Row, base_url: str) -> dict[str, Any]:
    """The organization as embedded in a flow."""
    user_count = tx.value(
        "SELECT count(DISTINCT m.user_id) FROM flow_members m JOIN flows f ON f.id = m.flow_id "
        "WHERE f.org_id = ?",
        (org["id"],),
    )
    return {
        "id": org["id"],
        "name": org["name"],
        "parameterized_name": org["parameterized_name"],
        "user_limit": 0,
        "user_count": user_count,
        "active": True,
        "url": f"{base_url}/organizations/{org['parameterized_name']}",
    }


def flow_view(
    tx: Tx,
    flow_id: str,
    base_url: str,
    *,
    user_id: int | None,
    users: bool,
    seen: Seen | None = None,
) -> dict[str, Any]:
    flow = tx.one("SELECT * FROM flows WHERE id = ?", (flow_id,))
    if flow is None:
        raise not_found()
    org = tx.one("SELECT * FROM organizations WHERE id = ?", (flow["org_id"],))
    assert org is not None  # a foreign key
    slug = f"{org['parameterized_name']}/{flow['parameterized_name']}"
    membership = tx.one(
        "SELECT open FROM flow_members WHERE flow_id = ? AND user_id = ?", (flow_id, user_id)
    )
    view: dict[str, Any] = {
        "id": flow["id"],
        "name": flow["name"],
        "parameterized_name": flow["parameterized_name"],
        "organization": organization_summary(tx, org, base_url),
        "unread_mentions": 0,
        "open": bool(membership and membership["open"]),
        "joined": membership is not None,
        "url": f"{base_url}/flows/{slug}",
        "web_url": f"{base_url}/app/{slug}",
        "access_mode": flow["access_mode"],
        "disabled": bool(flow["disabled"]),
        "links": {"sources": f"{base_url}/flows/{slug}/sources"},
    }
    if flow["access_mode"] in ("link", "organization"):
        view["join_url"] = (
            f"{base_url}/invitations/{flow['join_hash']}-{flow['parameterized_name']}"
        )
    if users:
        view["users"] = flow_users(tx, flow_id, base_url, seen)
    return view


def organization_view(tx: Tx, org: Row, base_url: str) -> dict[str, Any]:
    """An organization as ``/organizations`` shows it, with its users and their admin flag."""
    view = organization_summary(tx, org, base_url)
    # No billing in the sandbox: a subscription that is never a trial and renews in a month.
    renews = datetime.fromtimestamp(tx.now() + 30 * 24 * 3600, UTC).strftime("%Y-%m-%d")
    view["subscription"] = {"trial": False, "billing_date": renews}
    rows = tx.all(
        "SELECT u.id, u.name, u.email, a.user_id IS NOT NULL AS admin FROM users u "
        "LEFT JOIN organization_admins a ON a.user_id = u.id AND a.org_id = ? "
        "WHERE u.id IN (SELECT m.user_id FROM flow_members m JOIN flows f ON f.id = m.flow_id "
        "WHERE f.org_id = ?) ORDER BY u.id",
        (org["id"], org["id"]),
    )
    view["users"] = [
        {"id": r["id"], "name": r["name"], "email": r["email"], "admin": bool(r["admin"])}
        for r in rows
    ]
    return view


# ---------------------------------------------------------------------- applications


def application_view(app: Row) -> dict[str, Any]:
    uris = loads(app["redirect_uris"], [])
    return {
        "id": app["id"],
        "name": app["name"],
        "client_id": app["client_id"],
        "redirect_uri": "\n".join(uris),
        "redirect_uris": uris,
        "loopback_any_port": bool(app["loopback_any_port"]),
        "setup_uri": app["setup_uri"],
        "configuration_uri": app["configuration_uri"],
    }


def _application(tx: Tx, app_id: int | None) -> Row | None:
    if app_id is None:
        return None
    key = ("application", app_id)
    if key not in tx.memo:
        tx.memo[key] = tx.one("SELECT * FROM applications WHERE id = ?", (app_id,))
    return tx.memo[key]


# ---------------------------------------------------------------------- sources


def source_view(tx: Tx, source: Row, base_url: str) -> dict[str, Any]:
    path = flow_path(tx, source["flow_id"])
    app = _application(tx, source["application_id"])
    creator = (
        tx.one("SELECT * FROM users WHERE id = ?", (source["creator_id"],))
        if source["creator_id"] is not None
        else None
    )
    url = f"{base_url}/flows/{path}/sources/{source['id']}"
    application = None
    if app is not None:
        application = {
            "id": app["id"],
            "name": app["name"],
            "icon_url": f"{base_url}/oauth/applications/{app['id']}/icon.png",
            "url": f"{base_url}/oauth/applications/{app['id']}",
            "configuration_uri": app["configuration_uri"],
        }
    configuration_url = source["configuration_url"]
    if configuration_url is None and app is not None and app["configuration_uri"]:
        configuration_url = fill_uri(
            app["configuration_uri"],
            {"source_id": str(source["id"]), "source_url": url},
            {"integration_id": str(source["id"]), "flow": source["flow_id"]},
        )
    return {
        "id": source["id"],
        "name": source["name"],
        "url": url,
        "external_url": source["external_url"],
        "created_at": iso(source["created_at"]),
        "updated_at": iso(source["updated_at"]),
        "error_message": source["error_message"],
        "configuration_url": configuration_url,
        "_links": {},
        "application": application,
        "creator": (
            {
                "id": creator["id"],
                "avatar": f"{base_url}/avatars/{creator['id']}/",
                "email": creator["email"],
                "name": creator["name"],
                "nick": creator["nick"],
                "website": creator["website"],
            }
            if creator
            else None
        ),
    }


# ---------------------------------------------------------------------- threads and messages


def thread_view(tx: Tx, thread: Row, base_url: str = "") -> dict[str, Any]:
    source_view = None
    if thread["source_id"] is not None:
        source = tx.one(
            "SELECT id, name, application_id FROM sources WHERE id = ?", (thread["source_id"],)
        )
        if source is not None:
            app = _application(tx, source["application_id"])
            source_view = {
                "id": source["id"],
                "icon": f"{base_url}/oauth/applications/{app['id']}/icon.png" if app else None,
                "application": app["name"] if app else source["name"],
            }
    return {
        "id": thread["id"],
        "title": thread["title"],
        "body": thread["body"],
        "external_url": thread["external_url"],
        "status": loads(thread["status"]),
        "actions": loads(thread["actions"], []),
        "fields": loads(thread["fields"], []),
        "source": source_view,
        "activities": thread["activities"],
        "internal_comments": thread["internal_comments"],
        "external_comments": thread["external_comments"],
        "updated_at": iso(thread["updated_at"]),
        "created_at": iso(thread["created_at"]),
    }


def _embedded_thread(tx: Tx, thread_id: str) -> dict[str, Any] | None:
    key = ("thread", thread_id)
    if key not in tx.memo:
        row = tx.one("SELECT * FROM threads WHERE id = ?", (thread_id,))
        tx.memo[key] = None if row is None else thread_view(tx, row)
    return tx.memo[key]


def message_view(tx: Tx, message: Row, *, with_thread: bool = True) -> dict[str, Any]:
    """A stored message as the API shows it; thread messages embed the thread's state."""
    view: dict[str, Any] = {
        "id": message["id"],
        "event": message["event"],
        "content": loads(message["content"]),
        "tags": loads(message["tags"], []),
        "uuid": message["uuid"],
        "user": message["user"],
        "sent": message["sent"],
        "app": message["app"],
        "attachments": loads(message["attachments"], []),
        "created_at": iso(message["sent"]),
        "edited": message["edited"],
    }
    # Flow messages name their flow; private ones their recipient (``to``), as Flowdock's.
    if message["flow_id"] is not None:
        view["flow"] = message["flow_id"]
    if message["to_user"] is not None:
        view["to"] = message["to_user"]
    if message["author"] is not None:
        view["author"] = loads(message["author"])
    if message["title"] is not None:
        view["title"] = message["title"]
    if message["body"] is not None:
        view["body"] = message["body"]
    if message["external_user_name"] is not None:
        view["external_user_name"] = message["external_user_name"]
    if message["thread_id"] is not None:
        view["thread_id"] = message["thread_id"]
        thread = _embedded_thread(tx, message["thread_id"]) if with_thread else None
        if thread is not None:
            # Every message in a thread embeds the thread's current state.
            view["thread"] = thread
    return view
