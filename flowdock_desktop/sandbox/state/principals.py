"""Who is calling: the credentials a request carries and the user or source behind them."""

from __future__ import annotations

from dataclasses import dataclass

from flowdock_desktop.sandbox.seed import digest
from flowdock_desktop.sandbox.state.errors import ApiError, unauthorized
from flowdock_desktop.sandbox.state.store import Tx

ALL_SCOPES = ("flow", "private", "manage", "profile", "offline_access", "integration")


@dataclass(frozen=True)
class Credentials:
    """What a request presented; at most one kind is used, in the order of the fields."""

    flow_token: str | None = None
    bearer: str | None = None
    basic_user: str | None = None
    basic_password: str | None = None


@dataclass(frozen=True)
class Principal:
    """Who is calling: a user (OAuth token or personal API token), a source (flow_token), or
    the Push API for a flow (its API token in the URL). ``flow_id``: the flow a source or
    a Push API token posts to."""

    kind: str  # "user", "source" or "push"
    user_id: int | None = None
    scopes: frozenset[str] = frozenset()
    client_id: str | None = None
    source_id: int | None = None
    flow_id: str | None = None

    def require_scope(self, *any_of: str) -> None:
        """403 unless the caller holds one of ``any_of``; flow tokens are checked elsewhere."""
        if self.kind == "user" and not self.scopes.intersection(any_of):
            raise ApiError(403, f"Missing scope: {any_of[0]}")


def authenticate(tx: Tx, credentials: Credentials) -> Principal:
    """The caller behind the credentials, or ApiError 401 (410 for a removed source)."""
    if credentials.flow_token:
        row = tx.one(
            "SELECT id, deleted, flow_id FROM sources WHERE flow_token_digest = ?",
            (digest(credentials.flow_token),),
        )
        if row is None:
            raise unauthorized()
        if row["deleted"]:
            raise ApiError(410, "Source has been deleted")
        return Principal("source", source_id=row["id"], flow_id=row["flow_id"])
    if credentials.bearer:
        row = tx.one(
            "SELECT user_id, scopes, client_id, expires_at FROM access_tokens WHERE digest = ?",
            (digest(credentials.bearer),),
        )
        if row is None or row["expires_at"] <= tx.now():
            raise unauthorized()
        return Principal(
            "user",
            user_id=row["user_id"],
            scopes=frozenset(row["scopes"].split()),
            client_id=row["client_id"],
        )
    if credentials.basic_user:
        user_id = tx.value(
            "SELECT id FROM users WHERE api_token_digest = ?", (digest(credentials.basic_user),)
        )
        if user_id is None:
            # Email + password Basic auth, discouraged by Flowdock but documented.
            user_id = check_password(tx, credentials.basic_user, credentials.basic_password)
        if user_id is None:
            raise unauthorized()
        return Principal("user", user_id=user_id, scopes=frozenset(ALL_SCOPES))
    raise unauthorized()


def check_password(tx: Tx, email: object, password: object) -> int | None:
    """The user id for a correct email and password, else None."""
    if not isinstance(email, str) or not isinstance(password, str):
        return None
    return tx.value("SELECT id FROM users WHERE email = ? AND password = ?", (email, password))
