"""The SQLite database behind the local store: connections, transactions, schema migrations."""

from __future__ import annotations

import contextlib
import logging
import os
import sqlite3
import threading
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import NoReturn

from flowdock_desktop.store.errors import (
    DatabaseClosed,
    SchemaTooNewError,
    StoreError,
    os_problem,
    sqlite_problem,
)
from flowdock_desktop.store.profile import restrict_to_owner

__all__ = [
    "BUSY_TIMEOUT_SECONDS",
    "MIGRATIONS",
    "PRIVATE_FILE_MODE",
    "SCHEMA_VERSION",
    "Database",
    "SchemaTooNewError",
    "StoreError",
    "make_private",
    "open_database",
    "schema_version",
]

log = logging.getLogger(__name__)

# How long a writer waits for another process (the CLI while the GUI runs, say) to
# finish its transaction before giving up with "database is locked".
BUSY_TIMEOUT_SECONDS = 10.0

# Checkpoints (copying the WAL's pages back into the data file, with two fsyncs) run on a
# thread of their own after every CHECKPOINT_EVERY write transactions, so that no send waits
# for one. SQLite's automatic checkpoint, which runs inside whichever COMMIT crosses its page
# count, is kept as a backstop at AUTOCHECKPOINT_PAGES (4 KiB each) for when the thread cannot
# keep up; once a checkpoint lets the WAL start over, its file is cut back to WAL_SIZE_LIMIT.
CHECKPOINT_EVERY = 64
AUTOCHECKPOINT_PAGES = 10_000
WAL_SIZE_LIMIT = 4 * 1024 * 1024

#: The sent outbox rows of a file written before ``_HISTORY_FROM_OUTBOX`` are not history
#: entries (their entries are in the history table, or were deleted after a 410): what that
#: migration runs, and ``health`` runs on rows recovered from such a file.
SENT_ROWS_NOT_ENTRIES = "UPDATE outbox SET in_history = 0 WHERE state = 'sent'"

# A message's history entry is its sent outbox row (store/history.py), so recording the answer
# is one UPDATE instead of an UPDATE and a history INSERT. The history table keeps the entries
# that have no such row: those written before this migration (left as written, their outbox
# rows marked as no entries so none shows twice, and those whose entry a 410 deleted stay
# hidden) and those of sent messages discarded from the outbox later. in_history = 0 hides a
# sent row from the history (after a 410).
_HISTORY_FROM_OUTBOX = f"""
    ALTER TABLE outbox ADD COLUMN in_history INTEGER NOT NULL DEFAULT 1;
    {SENT_ROWS_NOT_ENTRIES};
    """

# Forward migrations. Entry N (1-based) upgrades a database from version N-1 to N.
# Never edit a released entry: append a new one. Each runs inside one transaction,
# together with the version bump, so a crash leaves either the old or the new schema.
MIGRATIONS: Sequence[str] = (
    # 1: the first schema.
    """
    CREATE TABLE integrations (
        id                TEXT PRIMARY KEY,
        api_url           TEXT NOT NULL,
        flow_id           TEXT NOT NULL,
        flow_name         TEXT NOT NULL,
        organization_name TEXT NOT NULL,
        org_slug          TEXT NOT NULL,
        flow_slug         TEXT NOT NULL,
        source_id         INTEGER NOT NULL,
        source_name       TEXT NOT NULL,
        source_url        TEXT NOT NULL,
        application_name  TEXT NOT NULL DEFAULT '',
        account_user_id   TEXT,
        created_at        REAL NOT NULL,
        state             TEXT NOT NULL DEFAULT 'active'
                          CHECK (state IN ('active', 'removed')),
        removed_at        REAL
    );
    CREATE INDEX integrations_by_source ON integrations (api_url, source_id);
    CREATE INDEX integrations_by_flow ON integrations (api_url, flow_id);

    CREATE TABLE outbox (
        id              INTEGER PRIMARY KEY AUTOINCREMENT,
        integration_id  TEXT NOT NULL REFERENCES integrations (id) ON DELETE CASCADE,
        uuid            TEXT NOT NULL UNIQUE,
        payload         TEXT NOT NULL,
        state           TEXT NOT NULL
                        CHECK (state IN ('queued', 'sending', 'sent', 'failed', 'gone')),
        attempts        INTEGER NOT NULL DEFAULT 0,
        next_attempt_at REAL NOT NULL,
        claimed_at      REAL,
        last_error      TEXT,
        created_at      REAL NOT NULL,
        sent_at         REAL,
        response        TEXT
    );
    CREATE INDEX outbox_by_state ON outbox (state, next_attempt_at);
    CREATE INDEX outbox_by_integration ON outbox (integration_id, id);

    CREATE TABLE history (
        id                 INTEGER PRIMARY KEY AUTOINCREMENT,
        integration_id     TEXT NOT NULL REFERENCES integrations (id) ON DELETE CASCADE,
        uuid               TEXT NOT NULL UNIQUE,
        event              TEXT NOT NULL,
        title              TEXT,
        external_thread_id TEXT,
        thread_title       TEXT,
        status_value       TEXT,
        status_color       TEXT,
        sent_at            REAL NOT NULL,
        message_id         INTEGER,
        thread_id          TEXT
    );
    CREATE INDEX history_by_integration ON history (integration_id, sent_at);

    CREATE TABLE drafts (
        integration_id TEXT PRIMARY KEY REFERENCES integrations (id) ON DELETE CASCADE,
        form           TEXT NOT NULL,
        updated_at     REAL NOT NULL
    );

    CREATE TABLE templates (
        name       TEXT PRIMARY KEY COLLATE NOCASE,
        fields     TEXT NOT NULL,
        created_at REAL NOT NULL,
        updated_at REAL NOT NULL
    );
    """,
    # 2: who claimed a "sending" item, so a restart can resend at once what a crashed
    #    process of this machine left behind instead of waiting for the lease to pass.
    """
    ALTER TABLE outbox ADD COLUMN claimed_by TEXT;
    """,
    # 3: servers and OAuth applications used before (store/servers.py), so a setup link, Add…
    #    and signing in again start from them; client secrets stay in the keyring. One compact
    #    table: the schema must still fit on the file's first page, which health.py's recovery
    #    of a file cut short relies on. A server alone is a row with client_id ''.
    """
    CREATE TABLE known_apps (api_url TEXT, client_id TEXT, redirect_uri TEXT, name TEXT,
    sandbox INT, used REAL, PRIMARY KEY (api_url, client_id)) WITHOUT ROWID;
    """,
    # 4: the history read from the sent outbox rows (see _HISTORY_FROM_OUTBOX).
    _HISTORY_FROM_OUTBOX,
    # 5: what a queued message waits for when time alone will not send it ('reconnect': its
    #    integration has no flow token here; 'keyring': the keyring is locked), as its last
    #    attempt found; NULL for the rest. The Outbox tab and `outbox` name it in the state.
    """
    ALTER TABLE outbox ADD COLUMN waits_for TEXT;
    """,
)

#: The first schema version whose sent outbox rows are history entries.
SENT_ROWS_BEFORE_SCHEMA = MIGRATIONS.index(_HISTORY_FROM_OUTBOX) + 1
SCHEMA_VERSION = len(MIGRATIONS)


def schema_version(conn: sqlite3.Connection) -> int:
    """Return the schema version recorded in ``conn`` (0 for an empty database)."""
    has_table = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'"
    ).fetchone()
    if not has_table:
        return 0
    row = conn.execute("SELECT version FROM schema_version").fetchone()
    return int(row[0]) if row else 0


def _migrate(conn: sqlite3.Connection, migrations: Sequence[str]) -> None:
    target = len(migrations)
    if schema_version(conn) == target:
        return
    # BEGIN IMMEDIATE takes the write lock before reading the version, so two
    # processes opening a fresh file at once cannot both run the same migration.
    conn.execute("BEGIN IMMEDIATE")
    try:
        conn.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
        current = schema_version(conn)
        if current > target:
            raise SchemaTooNewError(
                f"The local data file was written by a newer Flowdock Desktop "
                f"(schema {current}; this version understands up to {target}). "
                f"Please update the app."
            )
        if conn.execute("SELECT COUNT(*) FROM schema_version").fetchone()[0] == 0:
            conn.execute("INSERT INTO schema_version (version) VALUES (0)")
        for version in range(current + 1, target + 1):
            # executescript() would COMMIT first; run the statements one by one instead
            # so the whole upgrade is a single transaction.
            for statement in _split_statements(migrations[version - 1]):
                conn.execute(statement)
            conn.execute("UPDATE schema_version SET version = ?", (version,))
        conn.execute("COMMIT")
    except BaseException:
        _rollback(conn)
        raise


def _rollback(conn: sqlite3.Connection) -> None:
    # A failed ROLLBACK (the disk went away) must not hide the error that caused it.
    with contextlib.suppress(sqlite3.Error):
        if conn.in_transaction:
            conn.execute("ROLLBACK")


#: Owner-only permissions for the data file; SQLite gives its -wal and -shm files the same.
PRIVATE_FILE_MODE = 0o600


def make_private(path: Path) -> None:
    """Take away everyone else's access to an existing file (POSIX), keeping the owner's."""
    restrict_to_owner(path)


def _create_private(path: Path) -> None:
    """Create the data file owner-only before SQLite opens it (SQLite would use 0644)."""
    if os.name != "posix":
        return
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE_MODE)
    except FileExistsError:
        for suffix in ("", "-wal", "-shm"):
            make_private(Path(f"{path}{suffix}"))
        return
    os.close(fd)


def _split_statements(script: str) -> list[str]:
    """Split a migration script into complete SQL statements."""
    statements: list[str] = []
    buffer = ""
    for line in script.splitlines(keepends=True):
        buffer += line
        if sqlite3.complete_statement(buffer):
            if buffer.strip():
                statements.append(buffer.strip())
            buffer = ""
    if buffer.strip():
        statements.append(buffer.strip())
    return statements


def open_database(
    path: str | Path, *, migrations: Sequence[str] = MIGRATIONS
) -> sqlite3.Connection:
    """Open (creating if needed) the database at ``path`` and bring its schema up to date.

    The connection is in autocommit mode (``isolation_level=None``): transactions are
    explicit, via :meth:`Database.transaction`. WAL lets readers in other threads or
    processes proceed while one writer commits; foreign keys make deleting an integration
    delete its outbox, history and draft rows too.

    The returned connection may be closed from another thread (``check_same_thread`` is
    off so :meth:`Database.close` can close every thread's connection), but it must be
    *used* from one thread at a time; :class:`Database` guarantees that by giving each
    thread its own.
    """
    path = Path(path)
    with _translated(path):
        if str(path) != ":memory:":  # SQLite's name for a database without a file
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                _create_private(path)
            except OSError as exc:
                raise (os_problem(exc, path.parent) or exc) from None
        return _connect(path, migrations)


def _connect(path: Path, migrations: Sequence[str]) -> sqlite3.Connection:
    conn = sqlite3.connect(
        str(path),
        timeout=BUSY_TIMEOUT_SECONDS,
        isolation_level=None,
        check_same_thread=False,
    )
    try:
        conn.row_factory = sqlite3.Row
        conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_SECONDS * 1000)}")
        conn.execute("PRAGMA journal_mode = WAL")
        # NORMAL is durable across application crashes in WAL mode; only a power cut can
        # lose the last commits, which is an acceptable trade for a desktop app.
        conn.execute("PRAGMA synchronous = NORMAL")
        conn.execute("PRAGMA foreign_keys = ON")
        _migrate(conn, migrations)
    except BaseException:
        conn.close()
        raise
    return conn


@contextlib.contextmanager
def _translated(path: Path) -> Iterator[None]:
    """Turn SQLite's "disk full", "read-only" and "damaged" into the store's plain words."""
    try:
        yield
    except sqlite3.Error as exc:
        _raise_translated(exc, path)


def _raise_translated(exc: sqlite3.Error, path: Path) -> NoReturn:
    problem = sqlite_problem(exc, path)
    if problem is None:
        raise exc
    raise problem from exc


class Database:
    """The app's handle on its SQLite file, safe to share between threads.

    Why one connection per thread rather than one shared connection behind a lock: the GUI
    runs store work on a thread pool, and under WAL several readers can proceed while one
    thread writes; a single shared connection would serialise every read behind every
    write. Why not ``connect()`` per call: opening a connection costs pragmas and a schema
    check each time, and saving drafts "continuously" should stay cheap.

    So each thread lazily gets its own connection (kept in a ``threading.local``), and
    write transactions additionally take one in-process lock: SQLite would serialise them
    anyway, but waiting on a Python lock is fair and never fails with "database is
    locked", while the busy timeout still covers other processes (the CLI while the GUI
    runs). Nested :meth:`transaction` blocks on one thread join the outer transaction,
    which is how ``Outbox.mark_sent`` records history atomically.

    Attributes:
        path: the database file.
    """

    def __init__(self, path: str | Path, *, migrations: Sequence[str] = MIGRATIONS) -> None:
        self.path = Path(path)
        if str(path) == ":memory:":
            # Each thread would get its own, empty, in-memory database.
            raise ValueError("Database needs a file path; use a temporary file in tests")
        self._migrations = migrations
        self._local = threading.local()
        self._write_lock = threading.RLock()
        self._all_lock = threading.Lock()
        # Each connection with the lock its thread holds while using it, so close() from
        # another thread waits for a statement in flight instead of pulling the connection
        # from under it (which crashes the sqlite3 module).
        self._all: list[tuple[sqlite3.Connection, threading.RLock]] = []
        self._closed = False
        self._commits = 0
        self._checkpoint_wanted = threading.Event()
        self._checkpointer: threading.Thread | None = None
        # Open (and migrate) once now, so a broken or too-new file fails at start-up
        # rather than in the first background task.
        self.connection()

    def __repr__(self) -> str:
        return f"Database({str(self.path)!r})"

    def connection(self) -> sqlite3.Connection:
        """Return this thread's connection, opening it on first use."""
        if self._closed:
            raise DatabaseClosed()
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = open_database(self.path, migrations=self._migrations)
            try:
                conn.execute(f"PRAGMA wal_autocheckpoint = {AUTOCHECKPOINT_PAGES}")
                conn.execute(f"PRAGMA journal_size_limit = {WAL_SIZE_LIMIT}")
            except sqlite3.Error as exc:
                conn.close()
                _raise_translated(exc, self.path)
            self._local.conn = conn
            self._local.in_use = threading.RLock()
            self._local.depth = 0
            with self._all_lock:
                self._all.append((conn, self._local.in_use))
        return conn

    @contextlib.contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """Run the block as one write transaction; commit on success, roll back on error.

        Nested use on the same thread joins the outermost transaction.
        """
        conn = self.connection()
        local = self._local
        if local.depth > 0:
            local.depth += 1
            try:
                yield conn
            finally:
                local.depth -= 1
            return
        # Holding ``in_use`` makes close() from another thread wait until we are done. The
        # error translation is written out here rather than nested as ``_translated``: two
        # transactions run on every send, and nested context managers cost more than BEGIN.
        with local.in_use, self._write_lock:
            if self._closed:
                raise DatabaseClosed()
            try:
                # IMMEDIATE: take the write lock up front, so a read-then-write block cannot
                # fail half-way with SQLITE_BUSY when another connection wrote in between.
                conn.execute("BEGIN IMMEDIATE")
                local.depth = 1
                try:
                    yield conn
                    # Inside the try: if COMMIT itself fails (disk full, I/O error) the
                    # transaction must still be rolled back, or the connection stays stuck.
                    conn.execute("COMMIT")
                except BaseException:
                    _rollback(conn)
                    raise
                finally:
                    local.depth = 0
            except sqlite3.Error as exc:
                _raise_translated(exc, self.path)
            self._commits += 1  # under the write lock
            if self._commits % CHECKPOINT_EVERY == 0:
                self._checkpoint_soon()

    def _checkpoint_soon(self) -> None:
        """Ask the checkpoint thread (started on first use) for a checkpoint."""
        if self._checkpointer is None:
            self._checkpointer = threading.Thread(
                target=self._checkpoint_loop, name="store-checkpoint", daemon=True
            )
            self._checkpointer.start()
        self._checkpoint_wanted.set()

    def _checkpoint_loop(self) -> None:
        while True:
            self._checkpoint_wanted.wait()
            self._checkpoint_wanted.clear()
            if self._closed:
                return
            try:
                # PASSIVE: copies what no reader still needs, never waits for or blocks a
                # writer. What it leaves is copied next time (or by the backstop).
                self.query("PRAGMA wal_checkpoint(PASSIVE)")
            except (RuntimeError, StoreError, sqlite3.Error) as exc:
                # Closed meanwhile, or the disk is in trouble: the next write says so in
                # plain words; this thread has no one to tell.
                log.debug("background checkpoint skipped: %s", type(exc).__name__)

    # execute() and query() run on every send several times: like transaction(), they hold
    # ``in_use`` and translate errors inline rather than through nested context managers,
    # which cost more than the statements they wrap.

    def execute(self, sql: str, parameters: Sequence[object] = ()) -> sqlite3.Cursor:
        """Run one statement on this thread's connection (autocommit unless in a transaction)."""
        conn = self.connection()
        with self._local.in_use:
            if self._closed:
                raise DatabaseClosed()
            try:
                return conn.execute(sql, parameters)
            except sqlite3.Error as exc:
                _raise_translated(exc, self.path)

    def query(
        self, sql: str, parameters: Sequence[object] | Mapping[str, object] = ()
    ) -> list[sqlite3.Row]:
        """Run a read-only query and return all rows (``?`` or ``:name`` parameters)."""
        conn = self.connection()
        with self._local.in_use:
            if self._closed:
                raise DatabaseClosed()
            try:
                return conn.execute(sql, parameters).fetchall()
            except sqlite3.Error as exc:
                _raise_translated(exc, self.path)

    def close(self, *, wait: float = 5.0) -> None:
        """Close every thread's connection. The object cannot be used afterwards.

        A connection another thread is using is closed once that use ends (up to ``wait``
        seconds); one still busy after that is left open rather than broken mid-statement.
        """
        self._closed = True
        checkpointer = self._checkpointer
        if checkpointer is not None:
            # It sees the close and ends (after a checkpoint in flight), opening no connection
            # after the list below is taken.
            self._checkpoint_wanted.set()
            checkpointer.join(timeout=wait)
        with self._all_lock:
            conns, self._all = self._all, []
        for conn, in_use in conns:
            if in_use.acquire(timeout=wait):
                try:
                    conn.close()
                finally:
                    in_use.release()
            else:
                log.warning("a database connection was still busy at close; left open")

    def __enter__(self) -> Database:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
