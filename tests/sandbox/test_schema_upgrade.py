"""A sandbox database written before the rest of Flowdock's API was emulated opens upgraded:
its flows get Push API tokens, its organizations an admin, and everything else keeps working."""

from __future__ import annotations

import httpx

from flowdock_desktop.sandbox import SandboxConfig
from flowdock_desktop.sandbox.seed import DEMO_API_TOKEN, digest
from flowdock_desktop.sandbox.state import schema
from flowdock_desktop.store.db import open_database, schema_version

AUTH = httpx.BasicAuth(DEMO_API_TOKEN, "x")


def _first_schema_database(path) -> None:
    conn = open_database(path, migrations=schema.MIGRATIONS[:1])
    with conn:
        conn.execute(
            "INSERT INTO users (id, nick, name, email, password, api_token_digest) "
            "VALUES (1, 'Old', 'Old Timer', 'old@example.com', 'pw', ?), "
            "(2, 'New', 'New Comer', 'new@example.com', 'pw', NULL)",
            (digest(DEMO_API_TOKEN),),
        )
        conn.execute("INSERT INTO organizations VALUES (1, 'Legacy', 'legacy')")
        conn.execute("INSERT INTO flows VALUES ('f1', 1, 'Lobby', 'lobby', 'abc')")
        conn.execute("INSERT INTO flows VALUES ('f2', 1, 'Back room', 'back-room', 'def')")
        conn.executemany(
            "INSERT INTO flow_members VALUES (?, ?)", [("f1", 2), ("f1", 1), ("f2", 1)]
        )
        conn.execute(
            "INSERT INTO messages (conversation, id, flow_id, event, user, app, sent, content) "
            "VALUES ('f1', 1, 'f1', 'message', '1', 'chat', 1000, '\"from before\"')"
        )
    conn.close()


def test_a_first_schema_database_is_upgraded(tmp_path, make_server) -> None:
    data = tmp_path / "old.db"
    _first_schema_database(data)
    server = make_server(SandboxConfig(data_file=data))
    with httpx.Client(base_url=server.base_url, auth=AUTH) as http:
        [org] = http.get("/organizations").json()
        # The lowest user id among the members administers (here: user 1).
        assert {(u["id"], u["admin"]) for u in org["users"]} == {(1, True), (2, False)}
        lobby = http.get("/flows/legacy/lobby").json()
        assert (lobby["open"], lobby["joined"], lobby["access_mode"]) == (
            True,
            True,
            "organization",
        )
        assert all(u["in_flow"] for u in lobby["users"])
        [old] = http.get("/flows/legacy/lobby/messages").json()
        assert old["content"] == "from before"
        chat = {"event": "message", "content": "x"}
        posted = http.post("/flows/legacy/lobby/messages", json=chat)
        assert posted.status_code == 201 and posted.json()["id"] == 2
    tokens = server.state.run(lambda tx: [r[0] for r in tx.all("SELECT api_token FROM flows")])
    assert len(tokens) == 2 and all(len(t) == 32 for t in tokens) and tokens[0] != tokens[1]
    server.stop()
    conn = open_database(data, migrations=schema.MIGRATIONS)
    assert schema_version(conn) == schema.SCHEMA_VERSION
    conn.close()
