"""Tests for the SQLite layer: pragmas, migrations, transactions and per-thread connections."""

from __future__ import annotations

import sqlite3
import threading
import time

import pytest

from flowdock_desktop.store.db import (
    AUTOCHECKPOINT_PAGES,
    CHECKPOINT_EVERY,
    MIGRATIONS,
    SCHEMA_VERSION,
    Database,
    SchemaTooNewError,
    open_database,
    schema_version,
)


def test_open_database_creates_schema_from_empty_file(tmp_path):
    path = tmp_path / "nested" / "data.sqlite3"
    conn = open_database(path)
    try:
        assert path.exists()
        assert schema_version(conn) == SCHEMA_VERSION == len(MIGRATIONS)
        tables = {
            row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        }
        assert {"integrations", "outbox", "history", "drafts", "templates"} <= tables
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
        assert conn.execute("PRAGMA busy_timeout").fetchone()[0] > 0
    finally:
        conn.close()


def test_open_database_on_zero_byte_file(tmp_path):
    path = tmp_path / "data.sqlite3"
    path.write_bytes(b"")
    conn = open_database(path)
    try:
        assert schema_version(conn) == SCHEMA_VERSION
    finally:
        conn.close()


def test_reopening_does_not_rerun_migrations(tmp_path):
    path = tmp_path / "data.sqlite3"
    open_database(path).close()
    conn = open_database(path)  # would fail with "table already exists" if rerun
    try:
        assert conn.execute("SELECT COUNT(*) FROM schema_version").fetchone()[0] == 1
    finally:
        conn.close()


def test_forward_migration_applies_only_new_steps(tmp_path):
    path = tmp_path / "data.sqlite3"
    open_database(path).close()
    extra = (*MIGRATIONS, "CREATE TABLE later_feature (x INTEGER);")
    conn = open_database(path, migrations=extra)
    try:
        assert schema_version(conn) == len(MIGRATIONS) + 1
        conn.execute("INSERT INTO later_feature VALUES (1)")
    finally:
        conn.close()


def test_failed_migration_rolls_back_whole_step(tmp_path):
    path = tmp_path / "data.sqlite3"
    open_database(path).close()
    broken = (*MIGRATIONS, "CREATE TABLE half (x INTEGER);\nCREATE TABLE half (y INTEGER);")
    with pytest.raises(sqlite3.OperationalError):
        open_database(path, migrations=broken)
    conn = open_database(path)
    try:
        assert schema_version(conn) == SCHEMA_VERSION
        names = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE name = 'half'")]
        assert names == []
    finally:
        conn.close()


def test_newer_schema_is_refused(tmp_path):
    path = tmp_path / "data.sqlite3"
    open_database(path, migrations=(*MIGRATIONS, "CREATE TABLE future (x);")).close()
    with pytest.raises(SchemaTooNewError, match="newer"):
        open_database(path)


def test_memory_database_is_refused():
    with pytest.raises(ValueError):
        Database(":memory:")


def test_transaction_commits_and_rolls_back(db):
    with db.transaction() as conn:
        conn.execute("INSERT INTO templates VALUES ('a', '{}', 0, 0)")
    with pytest.raises(RuntimeError), db.transaction() as conn:
        conn.execute("INSERT INTO templates VALUES ('b', '{}', 0, 0)")
        raise RuntimeError("boom")
    assert [r["name"] for r in db.query("SELECT name FROM templates")] == ["a"]


def test_nested_transaction_joins_outer(db):
    with pytest.raises(RuntimeError), db.transaction():
        with db.transaction() as inner:
            inner.execute("INSERT INTO templates VALUES ('inner', '{}', 0, 0)")
        raise RuntimeError("outer fails after inner finished")
    assert db.query("SELECT name FROM templates") == []
    # And the connection is usable for a new transaction afterwards.
    with db.transaction() as conn:
        conn.execute("INSERT INTO templates VALUES ('again', '{}', 0, 0)")
    assert len(db.query("SELECT name FROM templates")) == 1


def test_each_thread_gets_its_own_connection(db):
    seen: list[sqlite3.Connection] = []

    def worker() -> None:
        seen.append(db.connection())
        db.query("SELECT 1")

    thread = threading.Thread(target=worker)
    thread.start()
    thread.join()
    assert seen[0] is not db.connection()
    assert db.connection() is db.connection()


def test_concurrent_writers_from_threads_all_commit(db):
    errors: list[BaseException] = []

    def writer(n: int) -> None:
        try:
            for i in range(20):
                with db.transaction() as conn:
                    count = conn.execute("SELECT COUNT(*) FROM templates").fetchone()[0]
                    conn.execute(
                        "INSERT INTO templates VALUES (?, '{}', ?, 0)", (f"t{n}-{i}", count)
                    )
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    # Each read-then-write saw every earlier commit: the counts are exactly 0..79.
    counts = sorted(r[0] for r in db.query("SELECT created_at FROM templates"))
    assert counts == list(range(80))


def test_two_database_objects_share_one_file(tmp_path):
    path = tmp_path / "data.sqlite3"
    with Database(path) as first, Database(path) as second:
        with first.transaction() as conn:
            conn.execute("INSERT INTO templates VALUES ('x', '{}', 0, 0)")
        assert len(second.query("SELECT * FROM templates")) == 1


def test_closed_database_refuses_use(tmp_path):
    database = Database(tmp_path / "data.sqlite3")
    database.close()
    with pytest.raises(RuntimeError):
        database.connection()


def test_failed_commit_rolls_back_and_leaves_connection_usable(db):
    # A deferred foreign-key violation is only detected at COMMIT.
    with pytest.raises(sqlite3.IntegrityError), db.transaction() as conn:
        conn.execute("PRAGMA defer_foreign_keys = ON")
        conn.execute("INSERT INTO drafts VALUES ('no-such-integration', '{}', 0)")
    assert not db.connection().in_transaction
    assert db.query("SELECT * FROM drafts") == []
    with db.transaction() as conn:
        conn.execute("INSERT INTO templates VALUES ('ok', '{}', 0, 0)")
    assert len(db.query("SELECT * FROM templates")) == 1


def test_close_waits_for_another_threads_transaction(tmp_path):
    """Closing while a worker writes must neither crash nor lose the worker's commit."""
    import threading

    db = Database(tmp_path / "data.sqlite3")
    db.execute("CREATE TABLE t (x INTEGER)")
    inside, release = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            with db.transaction() as conn:
                conn.execute("INSERT INTO t VALUES (1)")
                inside.set()
                release.wait(5)
                conn.execute("INSERT INTO t VALUES (2)")
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    thread = threading.Thread(target=worker)
    thread.start()
    assert inside.wait(5)
    closer = threading.Thread(target=db.close)
    closer.start()
    closer.join(0.2)
    assert closer.is_alive()  # waiting for the worker, not closing under it
    release.set()
    thread.join(5)
    closer.join(5)
    assert not closer.is_alive() and errors == []
    with pytest.raises(RuntimeError):
        db.query("SELECT x FROM t")
    with Database(tmp_path / "data.sqlite3") as reopened:
        assert [row[0] for row in reopened.query("SELECT x FROM t ORDER BY x")] == [1, 2]


# -- checkpoints off the committing thread -------------------------------------------------


def _wait_until(condition, timeout: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return condition()


def test_committing_threads_leave_checkpoints_to_the_checkpoint_thread(db, tmp_path):
    conn = db.connection()
    assert conn.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == AUTOCHECKPOINT_PAGES
    conn.execute("CREATE TABLE blobs (data BLOB)")
    before = db.path.stat().st_size
    # Each commit adds two or three pages to the WAL; SQLite's own checkpoint would not run
    # before AUTOCHECKPOINT_PAGES, far more than these.
    assert 3 * 2 * CHECKPOINT_EVERY < AUTOCHECKPOINT_PAGES
    for _ in range(2 * CHECKPOINT_EVERY):
        with db.transaction() as tx:
            tx.execute("INSERT INTO blobs VALUES (randomblob(5000))")
    # The checkpoint thread copies the pages into the data file, which grows.
    assert _wait_until(lambda: db.path.stat().st_size >= before + CHECKPOINT_EVERY * 5000)
    assert db._checkpointer is not None and db._checkpointer.is_alive()
    # Nothing is lost on the way: another connection reads every row.
    other = Database(db.path)
    try:
        assert other.query("SELECT COUNT(*) FROM blobs")[0][0] == 2 * CHECKPOINT_EVERY
    finally:
        other.close()


def test_close_ends_the_checkpoint_thread(tmp_path):
    db = Database(tmp_path / "data.sqlite3")
    for _ in range(CHECKPOINT_EVERY):
        with db.transaction() as tx:
            tx.execute("INSERT INTO templates VALUES (hex(randomblob(8)), '{}', 0, 0)")
    thread = db._checkpointer
    assert thread is not None
    db.close()
    assert not thread.is_alive()
    # The file stays whole: everything committed is there when opened again.
    again = Database(tmp_path / "data.sqlite3")
    try:
        assert again.query("SELECT COUNT(*) FROM templates")[0][0] == CHECKPOINT_EVERY
    finally:
        again.close()
