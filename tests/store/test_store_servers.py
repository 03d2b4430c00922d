"""Remembered servers and applications: most recent first, names kept, nothing secret."""

from __future__ import annotations

import itertools

from flowdock_desktop.store.db import Database
from flowdock_desktop.store.servers import KnownServers


def _store(tmp_path) -> KnownServers:
    ticks = itertools.count(1000)
    return KnownServers(Database(tmp_path / "data.sqlite3"), clock=lambda: float(next(ticks)))


def test_most_recently_used_first(tmp_path):
    known = _store(tmp_path)
    known.remember("http://127.0.0.1:8766/", is_sandbox=True, client_id="sandbox-client-id")
    known.remember(
        "https://api.example.com", client_id="app-1", redirect_uri="http://127.0.0.1:9/cb"
    )
    known.remember("https://api.example.com", client_id="app-2", name="CI reporter")
    assert [s.api_url for s in known.servers()] == [
        "https://api.example.com",
        "http://127.0.0.1:8766",
    ]
    assert known.server("http://127.0.0.1:8766").is_sandbox
    assert [a.client_id for a in known.applications("https://api.example.com/")] == [
        "app-2",
        "app-1",
    ]
    # Using app-1 again puts it first, keeps its callback and does not lose a known name.
    known.name_application("https://api.example.com", "app-1", "Deploys")
    known.remember(
        "https://api.example.com", client_id="app-1", redirect_uri="http://127.0.0.1:9/cb"
    )
    first = known.applications("https://api.example.com")[0]
    assert (first.client_id, first.name, first.redirect_uri) == (
        "app-1",
        "Deploys",
        "http://127.0.0.1:9/cb",
    )
    assert first.label == "Deploys (app-1)"
    assert len(known.applications()) == 3


def test_forgetting_an_application(tmp_path):
    known = _store(tmp_path)
    known.remember("https://api.example.com", client_id="app-1")
    assert known.forget_application("https://api.example.com", "app-1")
    assert known.application("https://api.example.com", "app-1") is None
    assert not known.forget_application("https://api.example.com", "app-1")
    assert [s.api_url for s in known.servers()] == ["https://api.example.com"]


def test_the_schema_still_fits_on_the_first_page(tmp_path):
    # Recovering a file cut short (store/health.py) needs the whole schema on page 1.
    known = _store(tmp_path)
    pages = known._db.query("SELECT pageno FROM dbstat WHERE name = 'sqlite_schema'")
    assert [row["pageno"] for row in pages] == [1]


def test_nothing_secret_is_stored(tmp_path):
    known = _store(tmp_path)
    known.remember("https://api.example.com", client_id="app-1", name="CI")
    columns = {row["name"] for row in known._db.query("PRAGMA table_info(known_apps)")}
    assert "client_id" in columns
    assert not any("secret" in c or "token" in c for c in columns)
