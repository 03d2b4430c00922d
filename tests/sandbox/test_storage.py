"""The sandbox's data file: SQLite storage, importing the JSON of the previous version,
refusing files it cannot use, purging what expires, and never blocking the event loop."""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import httpx
import pytest

from flowdock_desktop.cli import main
from flowdock_desktop.sandbox import DataFileError, SandboxConfig, SandboxServer
from flowdock_desktop.sandbox.commands import EXIT_DATA_FILE
from flowdock_desktop.sandbox.state import schema
from flowdock_desktop.testing import messages_by_uuid, mint_token
from tests.sandbox.conftest import API_AUTH, activity, bearer, create_source

V1_FILE = Path(__file__).parent / "data" / "sandbox-v1.json"
# Credentials made when sandbox-v1.json was written by the JSON-file version of the sandbox
# (the file itself holds only their digests).
V1_FLOW_TOKEN = "5e320f2664fa1c0e0f1d2791c7dc8697"
V1_REMOVED_FLOW_TOKEN = "8aabce9a1012e8870cb9c8b6885461c5"
V1_ACCESS_TOKEN = "cf4d3fb088033d3c842c7dcc1fabbda9088ebb37cc9b3e6e93ca3d6108fc1811"
V1_REFRESH_TOKEN = "f8b2f73a0971c334e337cdf8e0931572e58a67eaf7be503006852266e260d14d"
V1_CLIENT_ID = "2a4a4f82b49e0ecf261344a5aeac599356dc4849229be65cc0b5ed63f7a4b23b"
V1_CLIENT_SECRET = "b82b1bdcfe3af10a385c0c5350ba04336b904fde23748693fd6e7101bc5d47a9"
V1_THREAD_ID = "FrV5qdSAzRIL_dgIVZ5F-nsDPZU"
WAIT = {"X-flowdock-wait-for-message": "1"}


def _sandbox_db(path: Path) -> Path:
    """A real sandbox database file with a little data in it."""
    server = SandboxServer(SandboxConfig(data_file=path)).start()
    with httpx.Client(base_url=server.base_url) as http:
        create_source(http, "Filler")
    server.stop()
    return path


# ---------------------------------------------------------------------- import


def test_json_file_of_the_previous_version_is_imported_once(tmp_path, make_server) -> None:
    data = tmp_path / "sandbox.json"
    shutil.copy(V1_FILE, data)
    original = data.read_bytes()
    server = make_server(SandboxConfig(data_file=data))
    assert any("imported" in note for note in server.state.notes)
    assert data.read_bytes().startswith(b"SQLite format 3\x00")
    assert (tmp_path / "sandbox.json.bak").read_bytes() == original
    with httpx.Client(base_url=server.base_url) as http:
        # Everything made before still works: flow token, removed source, OAuth tokens,
        # the registered app, the thread and its counts, message ids, uuids and tags.
        reply = http.post("/messages", json=activity(V1_FLOW_TOKEN, "web"), headers=WAIT)
        assert reply.status_code == 201, reply.text
        message = reply.json()
        assert message["thread_id"] == V1_THREAD_ID and message["id"] == 4
        assert message["thread"]["activities"] == 2 and message["thread"]["internal_comments"] == 1
        assert http.post("/messages", json=activity(V1_REMOVED_FLOW_TOKEN)).status_code == 410
        assert http.get("/user", headers=bearer(V1_ACCESS_TOKEN)).status_code == 200
        refreshed = http.post(
            "/oauth/token",
            data={"grant_type": "refresh_token", "refresh_token": V1_REFRESH_TOKEN,
                  "client_id": V1_CLIENT_ID, "client_secret": V1_CLIENT_SECRET},
            headers={"Accept": "application/json"},
        )  # fmt: skip
        assert refreshed.status_code == 400  # that token belongs to the demo app...
        refreshed = http.post(
            "/oauth/token",
            data={"grant_type": "refresh_token", "refresh_token": V1_REFRESH_TOKEN,
                  "client_id": "sandbox-client-id", "client_secret": "sandbox-client-secret"},
            headers={"Accept": "application/json"},
        )  # fmt: skip
        assert refreshed.status_code == 200, refreshed.text  # ...and works there
        tagged = http.get("/flows/acme/main/messages", params={"tags": "deploy"}, auth=API_AUTH)
        assert [m["uuid"] for m in tagged.json()] == ["old-1"]
        chat = http.get("/flows/acme/main/messages", params={"search": "ÜNÏCODE"}, auth=API_AUTH)
        assert [m["content"] for m in chat.json()] == ["chat ünïcode"]
        # New rows continue the old numbering.
        assert create_source(http, "After import")["id"] == 3
    assert len(messages_by_uuid(server, "old-1")) == 1
    server.stop()
    again = make_server(SandboxConfig(data_file=data))
    assert again.state.notes == []  # imported once only
    assert not list(tmp_path.glob("*.importing*"))


def test_embedded_sandbox_imports_the_old_profile_file(tmp_path, make_server) -> None:
    old = tmp_path / "sandbox-data.json"
    shutil.copy(V1_FILE, old)
    database = tmp_path / "sandbox.db"
    server = make_server(SandboxConfig(data_file=database, import_file=old))
    assert not old.exists() and (tmp_path / "sandbox-data.json.bak").exists()
    with httpx.Client(base_url=server.base_url) as http:
        assert http.post("/messages", json=activity(V1_FLOW_TOKEN)).status_code == 202


# ---------------------------------------------------------------------- refusing files


def _foreign_sqlite(path: Path) -> bytes:
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE notes (text TEXT)")
        conn.execute("INSERT INTO notes VALUES ('mine')")
    conn.close()
    return path.read_bytes()


def _truncated_database(path: Path) -> bytes:
    _sandbox_db(path)
    whole = path.read_bytes()
    path.write_bytes(whole[: len(whole) // 2])
    return path.read_bytes()


def _newer_database(path: Path) -> bytes:
    _sandbox_db(path)
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE schema_version SET version = 99")
    conn.close()
    return path.read_bytes()


def _write(content: bytes):
    def make(path: Path) -> bytes:
        path.write_bytes(content)
        return content

    return make


UNUSABLE = {
    "empty": (_write(b""), "is empty"),
    "truncated JSON": (_write(V1_FILE.read_bytes()[:700]), "cut short or broken"),
    "empty object": (_write(b"{}"), "not sandbox data"),
    "empty list": (_write(b"[]"), "not sandbox data"),
    "unknown version": (_write(b'{"version": 7, "users": []}'), "version"),
    "not JSON at all": (_write(bytes(range(256)) * 4), "not a sandbox data file"),
    "broken rows": (
        _write(V1_FILE.read_bytes().replace(b'"organizations": [', b'"organizations": [7, ')),
        "is damaged",
    ),
    "another program's database": (_foreign_sqlite, "another program"),
    "truncated database": (_truncated_database, "damaged"),
    "newer database": (_newer_database, "newer Flowdock Desktop"),
}


@pytest.mark.parametrize("case", list(UNUSABLE))
def test_unusable_data_file_is_refused_and_left_alone(tmp_path, capsys, case) -> None:
    make, problem = UNUSABLE[case]
    path = tmp_path / "data.file"
    before = make(path)
    status = main(["sandbox", "--port", "0", "--data", str(path)])
    err = capsys.readouterr().err
    assert status == EXIT_DATA_FILE
    assert str(path) in err and problem in err and "--reset" in err
    assert "Traceback" not in err
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data.file"]


def test_a_real_process_refuses_a_damaged_file_in_plain_words(tmp_path) -> None:
    path = tmp_path / "sandbox.json"
    path.write_text('{"version": 1, "users": [')
    result = subprocess.run(
        [sys.executable, "-m", "flowdock_desktop", "sandbox", "--port", "0", "--data", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == EXIT_DATA_FILE
    assert "Traceback" not in result.stderr
    assert f"The sandbox's data file {path} is damaged" in result.stderr


def test_reset_moves_the_file_aside_and_starts_fresh(tmp_path, make_server) -> None:
    path = tmp_path / "sandbox.db"
    path.write_bytes(b"[]")
    with pytest.raises(DataFileError):
        SandboxServer(SandboxConfig(data_file=path))
    server = make_server(SandboxConfig(data_file=path, reset=True))
    (aside,) = tmp_path.glob("sandbox.db.aside-*")
    assert aside.read_bytes() == b"[]"
    assert str(aside) in server.state.notes[0]
    with httpx.Client(base_url=server.base_url) as http:
        assert http.get("/flows", auth=API_AUTH).status_code == 200


# ---------------------------------------------------------------------- what expires


def test_expired_codes_and_tokens_are_purged(make_server) -> None:
    server = make_server(
        SandboxConfig(access_token_ttl=-1, refresh_token_ttl=-1, code_ttl=-1, auto_approve=True)
    )
    for _ in range(3):
        mint_token(server)
    count = "SELECT (SELECT count(*) FROM access_tokens) + (SELECT count(*) FROM refresh_tokens)"
    # Each new pair finds the earlier (already expired) ones and deletes them.
    assert server.state.run(lambda tx: tx.value(count)) == 2
    with httpx.Client(base_url=server.base_url) as http:
        code_count = "SELECT count(*) FROM authorization_codes"
        for _ in range(3):
            issued = http.get(
                "/oauth/authorize",
                params={"client_id": "sandbox-client-id", "response_type": "code"},
            )
            assert "code=" in issued.headers["location"]
        assert server.state.run(lambda tx: tx.value(code_count)) == 1


# ---------------------------------------------------------------------- the event loop


def test_the_server_answers_while_the_database_is_busy(make_server) -> None:
    server = make_server()
    busy, release = threading.Event(), threading.Event()

    def hold(tx):
        busy.set()
        release.wait(30)

    holder = threading.Thread(target=server.state.run, args=(hold,))
    holder.start()
    try:
        assert busy.wait(10)
        with httpx.Client(base_url=server.base_url, timeout=10) as http:
            # Discovery needs no database: it answers although a transaction holds it.
            assert http.get("/sandbox").status_code == 200
            answers: list[int] = []
            with httpx.Client(base_url=server.base_url, timeout=30) as other:
                waiting = threading.Thread(
                    target=lambda: answers.append(other.get("/flows", auth=API_AUTH).status_code)
                )
                waiting.start()
                assert http.get("/sandbox/faults").status_code == 200
                release.set()
                waiting.join(30)
            assert answers == [200]  # and the request that needed it went on afterwards
    finally:
        release.set()
        holder.join(30)


def test_data_file_is_sqlite_in_wal_mode(tmp_path, make_server) -> None:
    path = tmp_path / "sandbox.db"
    server = make_server(SandboxConfig(data_file=path))
    with httpx.Client(base_url=server.base_url) as http:
        create_source(http)
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("PRAGMA application_id").fetchone()[0] == schema.APPLICATION_ID
        assert conn.execute("SELECT count(*) FROM sources").fetchone()[0] == 1
    conn.close()
    assert json.loads(json.dumps(server.state.notes)) == []
