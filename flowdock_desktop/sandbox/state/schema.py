"""The sandbox's tables and their migrations, and how a ``--data`` file is opened or refused.

One row per user, organization, flow, membership, application, code, token digest, source,
thread, message and message tag, with an index for every lookup a route makes. Shapes chosen
for what comes next:

- ``messages.seq`` is one increasing number over the whole database (AUTOINCREMENT, so it
  never goes back even after deletes): the id a stream of events can resume from.
  ``messages.id`` is Flowdock's message id, counted per ``conversation``: a flow's id for
  flow messages; a private conversation can get its own key later without a new table.
  Edits and deletions, in Flowdock, are messages themselves (``message-edit``...), so they
  fit the same table; ``edited`` records when a message was last changed.
- Everything a person created is kept; what only expires (codes, access and refresh tokens)
  is purged by ``grants.purge_expired``.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sqlite3
import struct
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from flowdock_desktop.sandbox.state import snapshot
from flowdock_desktop.sandbox.state.blobs import FOLDER_SUFFIX as FILES_SUFFIX
from flowdock_desktop.sandbox.state.errors import DataFileError
from flowdock_desktop.sandbox.state.grants import Lifetimes, purge_expired
from flowdock_desktop.sandbox.state.store import Store
from flowdock_desktop.store.db import open_database, schema_version

#: Written into the database header, so a sandbox database is told apart from any other
#: SQLite file (``PRAGMA application_id``): "FDSB".
APPLICATION_ID = 0x46445342

SQLITE_MAGIC = b"SQLite format 3\x00"

# Forward migrations: entry N upgrades version N-1 to N. Append, never edit a released one.
MIGRATIONS: Sequence[str] = (
    # 1: the first schema.
    f"""
    PRAGMA application_id = {APPLICATION_ID};

    CREATE TABLE users (
        id               INTEGER PRIMARY KEY AUTOINCREMENT,
        nick             TEXT NOT NULL,
        name             TEXT NOT NULL,
        email            TEXT NOT NULL UNIQUE,
        password         TEXT NOT NULL,
        api_token_digest TEXT UNIQUE,
        website          TEXT,
        status           TEXT
    );

    CREATE TABLE organizations (
        id                 INTEGER PRIMARY KEY AUTOINCREMENT,
        name               TEXT NOT NULL,
        parameterized_name TEXT NOT NULL UNIQUE
    );

    CREATE TABLE flows (
        id                 TEXT PRIMARY KEY,
        org_id             INTEGER NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
        name               TEXT NOT NULL,
        parameterized_name TEXT NOT NULL,
        join_hash          TEXT NOT NULL,
        UNIQUE (org_id, parameterized_name)
    );

    CREATE TABLE flow_members (
        flow_id TEXT NOT NULL REFERENCES flows (id) ON DELETE CASCADE,
        user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        PRIMARY KEY (flow_id, user_id)
    );
    CREATE INDEX flow_members_by_user ON flow_members (user_id);

    CREATE TABLE applications (
        id                   INTEGER PRIMARY KEY AUTOINCREMENT,
        name                 TEXT NOT NULL,
        client_id            TEXT NOT NULL UNIQUE,
        client_secret_digest TEXT NOT NULL,
        redirect_uris        TEXT NOT NULL,
        loopback_any_port    INTEGER NOT NULL DEFAULT 0,
        setup_uri            TEXT,
        configuration_uri    TEXT,
        owner_id             INTEGER REFERENCES users (id) ON DELETE SET NULL
    );

    CREATE TABLE authorization_codes (
        digest                TEXT PRIMARY KEY,
        client_id             TEXT NOT NULL
                              REFERENCES applications (client_id) ON DELETE CASCADE,
        user_id               INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        redirect_uri          TEXT,
        scopes                TEXT NOT NULL,
        code_challenge        TEXT,
        code_challenge_method TEXT,
        expires_at            REAL NOT NULL,
        used                  INTEGER NOT NULL DEFAULT 0
    ) WITHOUT ROWID;
    CREATE INDEX authorization_codes_by_expiry ON authorization_codes (expires_at);

    CREATE TABLE access_tokens (
        digest      TEXT PRIMARY KEY,
        client_id   TEXT NOT NULL REFERENCES applications (client_id) ON DELETE CASCADE,
        user_id     INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        scopes      TEXT NOT NULL,
        expires_at  REAL NOT NULL,
        code_digest TEXT
    ) WITHOUT ROWID;
    CREATE INDEX access_tokens_by_expiry ON access_tokens (expires_at);
    CREATE INDEX access_tokens_by_code ON access_tokens (code_digest)
        WHERE code_digest IS NOT NULL;

    CREATE TABLE refresh_tokens (
        digest      TEXT PRIMARY KEY,
        client_id   TEXT NOT NULL REFERENCES applications (client_id) ON DELETE CASCADE,
        user_id     INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        scopes      TEXT NOT NULL,
        expires_at  REAL NOT NULL,
        code_digest TEXT
    ) WITHOUT ROWID;
    CREATE INDEX refresh_tokens_by_expiry ON refresh_tokens (expires_at);
    CREATE INDEX refresh_tokens_by_code ON refresh_tokens (code_digest)
        WHERE code_digest IS NOT NULL;

    CREATE TABLE sources (
        id                INTEGER PRIMARY KEY AUTOINCREMENT,
        flow_id           TEXT NOT NULL REFERENCES flows (id) ON DELETE CASCADE,
        name              TEXT NOT NULL,
        external_url      TEXT,
        flow_token_digest TEXT NOT NULL UNIQUE,
        application_id    INTEGER REFERENCES applications (id) ON DELETE SET NULL,
        creator_id        INTEGER REFERENCES users (id) ON DELETE SET NULL,
        created_at        INTEGER NOT NULL,
        updated_at        INTEGER NOT NULL,
        error_message     TEXT,
        configuration_url TEXT,
        deleted           INTEGER NOT NULL DEFAULT 0
    );
    CREATE INDEX sources_by_flow ON sources (flow_id, id);

    CREATE TABLE threads (
        id                 TEXT PRIMARY KEY,
        flow_id            TEXT NOT NULL REFERENCES flows (id) ON DELETE CASCADE,
        owner              TEXT NOT NULL,
        external_thread_id TEXT NOT NULL,
        source_id          INTEGER REFERENCES sources (id) ON DELETE SET NULL,
        application_id     INTEGER REFERENCES applications (id) ON DELETE SET NULL,
        title              TEXT NOT NULL DEFAULT '',
        body               TEXT NOT NULL DEFAULT '',
        external_url       TEXT,
        status             TEXT,
        fields             TEXT NOT NULL DEFAULT '[]',
        actions            TEXT NOT NULL DEFAULT '[]',
        activities         INTEGER NOT NULL DEFAULT 0,
        internal_comments  INTEGER NOT NULL DEFAULT 0,
        external_comments  INTEGER NOT NULL DEFAULT 0,
        created_at         INTEGER NOT NULL,
        updated_at         INTEGER NOT NULL,
        UNIQUE (flow_id, owner, external_thread_id)
    );
    CREATE INDEX threads_by_update ON threads (flow_id, updated_at);

    CREATE TABLE messages (
        seq                INTEGER PRIMARY KEY AUTOINCREMENT,
        conversation       TEXT NOT NULL,
        id                 INTEGER NOT NULL,
        flow_id            TEXT REFERENCES flows (id) ON DELETE CASCADE,
        event              TEXT NOT NULL,
        uuid               TEXT,
        user               TEXT NOT NULL,
        source_id          INTEGER REFERENCES sources (id) ON DELETE SET NULL,
        thread_id          TEXT REFERENCES threads (id) ON DELETE SET NULL,
        app                TEXT,
        sent               INTEGER NOT NULL,
        content            TEXT,
        tags               TEXT NOT NULL DEFAULT '[]',
        title              TEXT,
        body               TEXT,
        author             TEXT,
        external_user_name TEXT,
        attachments        TEXT NOT NULL DEFAULT '[]',
        edited             INTEGER,
        UNIQUE (conversation, id)
    );
    CREATE UNIQUE INDEX messages_by_uuid ON messages (conversation, uuid) WHERE uuid IS NOT NULL;
    CREATE INDEX messages_by_thread ON messages (thread_id, id) WHERE thread_id IS NOT NULL;

    -- Lower-cased tags, with and without a leading '#', for the tags filter.
    CREATE TABLE message_tags (
        tag TEXT NOT NULL,
        seq INTEGER NOT NULL REFERENCES messages (seq) ON DELETE CASCADE,
        PRIMARY KEY (tag, seq)
    ) WITHOUT ROWID;
    CREATE INDEX message_tags_by_message ON message_tags (seq);
    """,
    # 2: the rest of Flowdock's API. Flows get an access mode, can be archived, left open or
    # closed per member and blocked members, and carry the Push API's token; organizations
    # get admins; users get private conversations; messages get a recipient (private) and
    # can be deleted; uploaded files get a row each (their bytes live beside the database).
    """
    ALTER TABLE flows ADD COLUMN access_mode TEXT NOT NULL DEFAULT 'organization';
    ALTER TABLE flows ADD COLUMN disabled INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE flows ADD COLUMN api_token TEXT;
    UPDATE flows SET api_token = lower(hex(randomblob(16)));
    CREATE UNIQUE INDEX flows_by_api_token ON flows (api_token);

    ALTER TABLE flow_members ADD COLUMN open INTEGER NOT NULL DEFAULT 1;
    ALTER TABLE flow_members ADD COLUMN disabled INTEGER NOT NULL DEFAULT 0;

    CREATE TABLE organization_admins (
        org_id  INTEGER NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
        user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        PRIMARY KEY (org_id, user_id)
    ) WITHOUT ROWID;
    -- Each organization's first member (the demo user in the seed) administers it.
    INSERT INTO organization_admins (org_id, user_id)
        SELECT f.org_id, min(m.user_id) FROM flows f JOIN flow_members m ON m.flow_id = f.id
        GROUP BY f.org_id;

    -- One row per user and the other person of a private conversation: whether the user
    -- keeps it open (a tab).
    CREATE TABLE private_conversations (
        user_id  INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        other_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        open     INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (user_id, other_id)
    ) WITHOUT ROWID;

    ALTER TABLE messages ADD COLUMN to_user TEXT;
    ALTER TABLE messages ADD COLUMN deleted INTEGER NOT NULL DEFAULT 0;

    CREATE TABLE files (
        id           INTEGER PRIMARY KEY AUTOINCREMENT,
        seq          INTEGER NOT NULL REFERENCES messages (seq) ON DELETE CASCADE,
        conversation TEXT NOT NULL,
        hash         TEXT NOT NULL UNIQUE,
        file_name    TEXT NOT NULL,
        content_type TEXT NOT NULL,
        size         INTEGER NOT NULL,
        content_id   TEXT,
        created_at   INTEGER NOT NULL
    );
    CREATE INDEX files_by_message ON files (seq);
    """,
)

SCHEMA_VERSION = len(MIGRATIONS)

# Tables in the order rows must be removed so no foreign key is left dangling.
TABLES_CHILD_FIRST = (
    "files",
    "private_conversations",
    "organization_admins",
    "message_tags",
    "messages",
    "threads",
    "sources",
    "refresh_tokens",
    "access_tokens",
    "authorization_codes",
    "applications",
    "flow_members",
    "flows",
    "organizations",
    "users",
)


def connect(path: Path | None) -> sqlite3.Connection:
    """Open the database (``None``: in memory), with WAL, NORMAL sync and foreign keys.

    A file must already have been checked by :func:`check_database` (or not exist yet).
    """
    conn = open_database(":memory:" if path is None else path, migrations=MIGRATIONS)
    try:
        # Keeps recent index pages of a large history in memory (16 MB).
        conn.execute("PRAGMA cache_size = -16000")
        # Python's lower() for the search filter: SQLite's own folds ASCII only.
        conn.create_function(
            "py_lower", 1, lambda v: v.lower() if isinstance(v, str) else v, deterministic=True
        )
    except BaseException:
        conn.close()
        raise
    return conn


def file_kind(path: Path) -> str:
    """``"missing"``, ``"sqlite"`` or ``"other"``; raises DataFileError for an empty file."""
    try:
        with path.open("rb") as handle:
            head = handle.read(len(SQLITE_MAGIC))
    except FileNotFoundError:
        return "missing"
    except IsADirectoryError:
        raise DataFileError(path, "is a folder, not a file") from None
    except OSError as exc:
        raise DataFileError(path, f"cannot be read ({exc.strerror or exc})") from None
    if not head:
        raise DataFileError(path, "is empty")
    return "sqlite" if head == SQLITE_MAGIC else "other"


def check_database(path: Path) -> None:
    """Refuse a SQLite file that is not a sandbox database, is damaged or is too new.

    Opens the file without creating anything and changes nothing in it.
    """
    _check_header(path)
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=rw", uri=True)
    except sqlite3.Error as exc:
        raise DataFileError(path, f"cannot be opened ({exc})") from None
    try:
        app_id = conn.execute("PRAGMA application_id").fetchone()[0]
        if app_id != APPLICATION_ID:
            raise DataFileError(
                path, "is a SQLite database of another program, not a sandbox database"
            )
        version = schema_version(conn)
        if version > SCHEMA_VERSION:
            raise DataFileError(
                path,
                f"was written by a newer Flowdock Desktop (sandbox schema {version}; this "
                f"version reads up to {SCHEMA_VERSION})",
            )
        problems = [row[0] for row in conn.execute("PRAGMA quick_check(3)")]
        if problems != ["ok"]:
            raise DataFileError(path, "is damaged (SQLite reports: " + "; ".join(problems) + ")")
    except sqlite3.DatabaseError as exc:
        raise DataFileError(path, f"is damaged ({exc})") from None
    finally:
        conn.close()


def _check_header(path: Path) -> None:
    """A file cut short is caught from the header alone, before SQLite reads past its end."""
    with path.open("rb") as handle:
        header = handle.read(100)
    if len(header) < 100:
        raise DataFileError(path, "is damaged: it is cut short")
    page_size = struct.unpack(">H", header[16:18])[0]
    page_size = 65536 if page_size == 1 else page_size
    page_count = struct.unpack(">I", header[28:32])[0]
    size = path.stat().st_size
    wal = Path(f"{path}-wal")
    # Without a WAL to complete it, the file must hold every page its header counts.
    if page_size and page_count and size < page_size * page_count and not wal.exists():
        raise DataFileError(path, "is damaged: it is cut short")


def move_aside(path: Path) -> Path:
    """Rename a data file (with its WAL files and its folder of uploaded files) to a free
    ``NAME.aside-YYYYMMDD-HHMMSS`` name."""
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    target = path.with_name(f"{path.name}.aside-{stamp}")
    counter = 1
    while target.exists():
        counter += 1
        target = path.with_name(f"{path.name}.aside-{stamp}-{counter}")
    os.replace(path, target)
    for suffix in ("-wal", "-shm", FILES_SUFFIX):
        companion = Path(f"{path}{suffix}")
        if companion.exists():
            with contextlib.suppress(OSError):
                os.replace(companion, Path(f"{target}{suffix}"))
    return target


def backup_name(path: Path) -> Path:
    """Where an imported JSON file is kept: ``FILE.json.bak`` (``x.json`` -> ``x.json.bak``),
    with a number added when that name is taken."""
    base = path.name if path.name.endswith(".json") else path.name + ".json"
    target = path.with_name(base + ".bak")
    counter = 1
    while target.exists():
        counter += 1
        target = path.with_name(f"{base}.bak.{counter}")
    return target


# ---------------------------------------------------------------------- opening a data file


def open_store(
    path: Path | None,
    lifetimes: Lifetimes,
    *,
    import_file: Path | None = None,
    reset: bool = False,
) -> tuple[Store, list[str]]:
    """The sandbox's store, and notes for a person on what was done to get it.

    ``path`` None: in memory. A missing file is created with the seed data; a sandbox
    database is checked and opened; a JSON file of the version before is imported (kept
    as ``FILE.json.bak``). Anything else raises DataFileError and is left untouched.
    ``import_file``: a JSON file to import when ``path`` does not exist yet. ``reset``:
    move ``path`` aside first.
    """
    notes: list[str] = []
    if path is not None:
        path = Path(path)
        if reset and (path.exists() or Path(f"{path}-wal").exists()):
            notes.append(f"moved the old data file aside to {move_aside(path)}")
        kind = file_kind(path)
        if kind == "other":
            notes.append(_import_json(path, path, lifetimes))
        elif kind == "missing" and import_file is not None and file_kind(import_file) != "missing":
            notes.append(_import_json(Path(import_file), path, lifetimes))
        elif kind == "sqlite":
            check_database(path)
    conn = connect(path)
    try:
        store = Store(conn)
        with store.transaction() as tx:
            if not tx.value(
                "SELECT EXISTS (SELECT 1 FROM users) OR EXISTS (SELECT 1 FROM organizations)"
            ):
                # New, or made before a crash cut its first start short.
                snapshot.load_seed(tx, lifetimes)
            purge_expired(tx)
            store.clock.last_ms = tx.value(
                "SELECT max(coalesce((SELECT max(updated_at) FROM threads), 0), "
                "coalesce((SELECT max(sent) FROM messages), 0), "
                "coalesce((SELECT max(updated_at) FROM sources), 0))"
            )
    except BaseException:
        conn.close()
        raise
    return store, notes


def _import_json(source: Path, target: Path, lifetimes: Lifetimes) -> str:
    """Write the JSON file ``source`` as a database at ``target``; the JSON is kept aside.

    The database is built under a temporary name and renamed over ``target`` last, so a
    crash at any point leaves either the JSON file in place or the finished database.
    """
    snapshot.read_json_file(source)  # refuse before creating anything
    building = target.with_name(target.name + ".importing")
    _remove_database(building)
    try:
        conn = connect(building)
        try:
            with Store(conn).transaction() as tx:
                snapshot.load_file(tx, source, lifetimes)
            conn.execute("PRAGMA journal_mode = DELETE")  # one file to rename
        finally:
            conn.close()
        backup = backup_name(source)
        try:
            os.link(source, backup)
        except OSError:
            shutil.copy2(source, backup)
        os.replace(building, target)
        if source != target:
            source.unlink()
    except BaseException:
        _remove_database(building)
        raise
    return f"imported the JSON data file {source} (the original is kept as {backup})"


def _remove_database(path: Path) -> None:
    for suffix in ("", "-journal", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
