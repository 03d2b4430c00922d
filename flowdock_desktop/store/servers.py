"""Servers and OAuth applications used before, so the wizard can start from them.

Only what is not secret is kept here (the server's address, the client id, the registered
callback and the application's name); an application's client secret lives in the keyring
under ``CredentialStore.client_secret_key``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from flowdock_desktop.store.db import Database
from flowdock_desktop.store.integrations import normalize_api_url

__all__ = ["KnownApplication", "KnownServer", "KnownServers"]


class SignedInApplication(Protocol):
    """What a sign-in is made with (``auth.oauth.OAuthApp`` has these, and more)."""

    @property
    def api_url(self) -> str: ...
    @property
    def client_id(self) -> str: ...
    @property
    def redirect_uri(self) -> str: ...


@dataclass(frozen=True, slots=True)
class KnownServer:
    """A server signed in to before; ``is_sandbox`` when it was a Flowdock Desktop sandbox."""

    api_url: str
    is_sandbox: bool
    last_used_at: float


@dataclass(frozen=True, slots=True)
class KnownApplication:
    """An OAuth application signed in with before, on one server.

    ``name`` is what the server calls the application (learned from the sources it created,
    or typed); new sources are named after it.
    """

    api_url: str
    client_id: str
    redirect_uri: str
    name: str
    last_used_at: float

    @property
    def label(self) -> str:
        """How a list shows it: its name and client id, or the client id alone."""
        return f"{self.name} ({self.client_id})" if self.name else self.client_id


class KnownServers:
    """Remembers servers and applications; the most recently used comes first everywhere.

    One table, ``known_apps``: a row per application, plus a row with ``client_id = ''`` per
    server (so a server is known even before an application worked there).
    """

    def __init__(self, db: Database, *, clock: Callable[[], float] = time.time) -> None:
        self._db = db
        self._clock = clock

    def remember(
        self,
        api_url: str,
        *,
        is_sandbox: bool = False,
        client_id: str | None = None,
        redirect_uri: str = "",
        name: str | None = None,
    ) -> None:
        """Record that ``api_url`` (and ``client_id`` there, when given) was just used.

        ``name=None`` keeps the name already known; a non-empty name replaces it.
        """
        url, now = normalize_api_url(api_url), self._clock()
        upsert = (
            "INSERT INTO known_apps (api_url, client_id, redirect_uri, name, sandbox, used)"
            " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (api_url, client_id) DO UPDATE SET"
            " redirect_uri = excluded.redirect_uri, sandbox = excluded.sandbox,"
            " name = CASE WHEN excluded.name = '' THEN name ELSE excluded.name END,"
            " used = excluded.used"
        )
        with self._db.transaction() as conn:
            conn.execute(upsert, (url, "", "", "", int(is_sandbox), now))
            if client_id:
                values = (url, client_id, redirect_uri, (name or "").strip(), int(is_sandbox), now)
                conn.execute(upsert, values)

    def remember_sign_in(
        self, app: SignedInApplication, *, is_sandbox: bool, name: str | None = None
    ) -> None:
        """A sign-in with ``app`` worked: its server and application come first next time.

        The one record of a sign-in, made alike by the wizard and by ``login``.
        """
        self.remember(
            app.api_url,
            is_sandbox=is_sandbox,
            client_id=app.client_id,
            redirect_uri=app.redirect_uri,
            name=name,
        )

    def name_application(self, api_url: str, client_id: str, name: str) -> None:
        """Record what the server calls the application (from a source it created)."""
        if not name.strip() or not client_id:
            return
        with self._db.transaction() as conn:
            conn.execute(
                "UPDATE known_apps SET name = ? WHERE api_url = ? AND client_id = ?",
                (name.strip(), normalize_api_url(api_url), client_id),
            )

    def servers(self) -> list[KnownServer]:
        rows = self._db.query(
            "SELECT api_url, MAX(sandbox) AS sandbox, MAX(used) AS used FROM known_apps"
            " GROUP BY api_url ORDER BY MAX(used) DESC, api_url"
        )
        return [KnownServer(r["api_url"], bool(r["sandbox"]), r["used"]) for r in rows]

    def server(self, api_url: str) -> KnownServer | None:
        url = normalize_api_url(api_url)
        return next((s for s in self.servers() if s.api_url == url), None)

    def applications(self, api_url: str | None = None) -> list[KnownApplication]:
        """Applications of one server (or of all), the most recently used first."""
        where, params = "", ()
        if api_url is not None:
            where, params = " AND api_url = ?", (normalize_api_url(api_url),)
        rows = self._db.query(
            "SELECT api_url, client_id, redirect_uri, name, used FROM known_apps"
            f" WHERE client_id != ''{where} ORDER BY used DESC, client_id",
            params,
        )
        return [
            KnownApplication(r["api_url"], r["client_id"], r["redirect_uri"], r["name"], r["used"])
            for r in rows
        ]

    def application(self, api_url: str, client_id: str) -> KnownApplication | None:
        return next((a for a in self.applications(api_url) if a.client_id == client_id), None)

    def forget_application(self, api_url: str, client_id: str) -> bool:
        """Forget one application (the caller deletes its client secret from the keyring)."""
        if not client_id:
            return False
        with self._db.transaction() as conn:
            cursor = conn.execute(
                "DELETE FROM known_apps WHERE api_url = ? AND client_id = ?",
                (normalize_api_url(api_url), client_id),
            )
        return cursor.rowcount > 0
