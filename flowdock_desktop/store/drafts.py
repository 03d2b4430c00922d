"""The composer's unsent form, one draft per integration, saved as the user types."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from typing import Any

from flowdock_desktop.store.db import Database

__all__ = ["Drafts"]

# Form keys that could hold a credential if a caller got careless; never written to disk.
_SECRET_KEYS = frozenset({"flow_token", "access_token", "refresh_token", "client_secret"})


class Drafts:
    """Saves, loads and clears the composer's form state (any JSON object) per integration."""

    def __init__(self, db: Database, *, clock: Callable[[], float] = time.time) -> None:
        self._db = db
        self._clock = clock

    def save(self, integration_id: str, form: Mapping[str, Any]) -> None:
        """Store the form, replacing the previous draft. One small upsert: cheap to call often."""
        clean = {str(k): v for k, v in form.items() if k not in _SECRET_KEYS}
        text = json.dumps(clean, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
        with self._db.transaction() as conn:
            conn.execute(
                "INSERT INTO drafts (integration_id, form, updated_at) VALUES (?, ?, ?)"
                " ON CONFLICT (integration_id) DO UPDATE SET"
                " form = excluded.form, updated_at = excluded.updated_at"
                " WHERE form IS NOT excluded.form",
                (integration_id, text, self._clock()),
            )

    def load(self, integration_id: str) -> dict[str, Any] | None:
        """The saved form, or None when there is no draft."""
        rows = self._db.query("SELECT form FROM drafts WHERE integration_id = ?", (integration_id,))
        if not rows:
            return None
        try:
            value = json.loads(rows[0]["form"])
        except ValueError:
            return None
        return value if isinstance(value, dict) else None

    def updated_at(self, integration_id: str) -> float | None:
        """When the draft last changed, or None when there is none."""
        rows = self._db.query(
            "SELECT updated_at FROM drafts WHERE integration_id = ?", (integration_id,)
        )
        return float(rows[0]["updated_at"]) if rows else None

    def clear(self, integration_id: str) -> bool:
        """Forget the draft (after sending it, say). True if there was one."""
        with self._db.transaction() as conn:
            cursor = conn.execute("DELETE FROM drafts WHERE integration_id = ?", (integration_id,))
        return cursor.rowcount > 0
