"""Integrations the user has set up: one Flowdock source in one flow, with its local details."""

from __future__ import annotations

import dataclasses
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from flowdock_desktop.store.db import Database

__all__ = ["Integration", "IntegrationState", "IntegrationStore", "UnknownIntegrationError"]

IntegrationState = Literal["active", "removed"]


class UnknownIntegrationError(KeyError):
    """No integration with the given id is stored."""

    def __str__(self) -> str:
        return f"No integration with id {self.args[0]!r}"


@dataclass(frozen=True, slots=True)
class Integration:
    """One source created in one flow, as remembered locally.

    The flow token that posts as this source is a secret and lives in the keyring under
    ``id``; it is never a field here.
    """

    id: str
    api_url: str
    flow_id: str
    flow_name: str
    organization_name: str
    org_slug: str
    flow_slug: str
    source_id: int
    source_name: str
    source_url: str
    application_name: str
    account_user_id: str | None
    created_at: float
    state: IntegrationState = "active"
    removed_at: float | None = None

    @property
    def flow_path(self) -> str:
        """The flow as ``org/flow``, the form used in API paths."""
        return f"{self.org_slug}/{self.flow_slug}"

    @property
    def is_active(self) -> bool:
        return self.state == "active"


_COLUMNS = tuple(f.name for f in dataclasses.fields(Integration))
_SELECT = f"SELECT {', '.join(_COLUMNS)} FROM integrations"
# Active ones first, then by where they post, then by when they were set up.
_ORDER = (
    " ORDER BY state = 'removed', organization_name COLLATE NOCASE,"
    " flow_name COLLATE NOCASE, source_name COLLATE NOCASE, created_at, rowid"
)


def normalize_api_url(url: str) -> str:
    """The API base URL in the one form used for matching (no trailing slash)."""
    return url.strip().rstrip("/")


def _from_row(row: sqlite3.Row) -> Integration:
    return Integration(**{name: row[name] for name in _COLUMNS})


class IntegrationStore:
    """Adds, finds, renames and removes locally remembered integrations."""

    def __init__(
        self,
        db: Database,
        *,
        clock: Callable[[], float] = time.time,
        on_added: Callable[[Integration], object] | None = None,
    ) -> None:
        self._db = db
        self._clock = clock
        # Told after each new integration is committed (the profile notes that it has data).
        self._on_added = on_added

    def add(
        self,
        *,
        api_url: str,
        flow_id: str,
        flow_name: str,
        organization_name: str,
        org_slug: str,
        flow_slug: str,
        source_id: int,
        source_name: str,
        source_url: str,
        application_name: str = "",
        account_user_id: str | int | None = None,
    ) -> Integration:
        """Remember a newly created source and return it with a fresh local id."""
        import uuid  # here, not at start: it loads `platform`

        integration = Integration(
            id=uuid.uuid4().hex,
            api_url=normalize_api_url(api_url),
            flow_id=flow_id,
            flow_name=flow_name,
            organization_name=organization_name,
            org_slug=org_slug,
            flow_slug=flow_slug,
            source_id=int(source_id),
            source_name=source_name,
            source_url=source_url,
            application_name=application_name,
            # Flowdock user ids are ints in /user but strings in messages; keep one form.
            account_user_id=None if account_user_id is None else str(account_user_id),
            created_at=self._clock(),
        )
        values = dataclasses.astuple(integration)
        with self._db.transaction() as conn:
            conn.execute(
                f"INSERT INTO integrations ({', '.join(_COLUMNS)})"
                f" VALUES ({', '.join('?' for _ in _COLUMNS)})",
                values,
            )
        if self._on_added is not None:
            self._on_added(integration)
        return integration

    def get(self, integration_id: str) -> Integration:
        """Return the integration, or raise :class:`UnknownIntegrationError`."""
        rows = self._db.query(f"{_SELECT} WHERE id = ?", (integration_id,))
        if not rows:
            raise UnknownIntegrationError(integration_id)
        return _from_row(rows[0])

    def list(self, *, include_removed: bool = True) -> list[Integration]:
        """All integrations: active first, then by organization, flow and source name."""
        where = "" if include_removed else " WHERE state = 'active'"
        return [_from_row(row) for row in self._db.query(_SELECT + where + _ORDER)]

    def rename(self, integration_id: str, source_name: str) -> Integration:
        """Change the local name of the source (Flowdock's copy is not touched)."""
        name = source_name.strip()
        if not name:
            raise ValueError("The source name cannot be empty")
        self._update(integration_id, "source_name = ?", (name,))
        return self.get(integration_id)

    def replace_source(
        self, integration_id: str, *, source_id: int, source_url: str
    ) -> Integration:
        """Point the integration at a new source in the same flow (reconnecting after its flow
        token was lost); its outbox, history and draft stay with it."""
        self._update(integration_id, "source_id = ?, source_url = ?", (int(source_id), source_url))
        return self.get(integration_id)

    def mark_removed(self, integration_id: str, *, now: float | None = None) -> Integration:
        """Record that the source no longer exists in Flowdock (deleted there, or 410 Gone).

        The row, its history and any unsent messages stay so the user can see what
        happened; :meth:`delete` forgets them.
        """
        when = self._clock() if now is None else now
        self._update(
            integration_id,
            "state = 'removed', removed_at = COALESCE(removed_at, ?)",
            (when,),
        )
        return self.get(integration_id)

    def delete(self, integration_id: str) -> bool:
        """Forget the integration with its outbox, history and draft. True if it existed.

        The caller also deletes its flow token from the keyring.
        """
        with self._db.transaction() as conn:
            # Foreign keys cascade to outbox, history and drafts.
            cursor = conn.execute("DELETE FROM integrations WHERE id = ?", (integration_id,))
        return cursor.rowcount > 0

    def find_by_source(self, api_url: str, source_id: int) -> Integration | None:
        """The integration for a Flowdock source: the active one if any, else the newest."""
        rows = self._db.query(
            f"{_SELECT} WHERE api_url = ? AND source_id = ?"
            " ORDER BY state = 'removed', created_at DESC, rowid DESC LIMIT 1",
            (normalize_api_url(api_url), int(source_id)),
        )
        return _from_row(rows[0]) if rows else None

    def find_by_flow(self, api_url: str, flow_id: str) -> list[Integration]:
        """All integrations posting to one flow (a flow can have several sources)."""
        return [
            _from_row(row)
            for row in self._db.query(
                f"{_SELECT} WHERE api_url = ? AND flow_id = ?{_ORDER}",
                (normalize_api_url(api_url), flow_id),
            )
        ]

    def _update(self, integration_id: str, assignments: str, params: tuple[object, ...]) -> None:
        with self._db.transaction() as conn:
            cursor = conn.execute(
                f"UPDATE integrations SET {assignments} WHERE id = ?",
                (*params, integration_id),
            )
        if cursor.rowcount == 0:
            raise UnknownIntegrationError(integration_id)
