"""Opening the profile's data file safely: a damaged, emptied or lost file is kept and explained.

Before the app uses ``data.sqlite3`` it checks it (``PRAGMA quick_check``) and compares it with
what the profile remembers: the settings carry a marker once the first integration is created,
so an empty or missing file where data existed is a loss to report, never a new profile. A
damaged file is moved aside with a timestamp (with its ``-wal``/``-shm`` files), a fresh one is
created, and every row that can still be read (integrations, the outbox, history, drafts,
templates) is copied into it. The person is then told what was recovered and where the old
file is (:class:`StoreDamaged`), once.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import sqlite3
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from flowdock_desktop.store.db import (
    MIGRATIONS,
    SENT_ROWS_BEFORE_SCHEMA,
    SENT_ROWS_NOT_ENTRIES,
    Database,
    make_private,
    open_database,
    schema_version,
)
from flowdock_desktop.store.errors import StoreError, os_problem, sqlite_problem
from flowdock_desktop.store.profile import lock_if_possible

if TYPE_CHECKING:
    from flowdock_desktop.store.profile import Profile, Settings

__all__ = [
    "HAS_DATA_SETTING",
    "DamageReport",
    "StoreDamaged",
    "check_store",
    "mark_has_data",
    "never_had_data",
    "open_profile_database",
]

log = logging.getLogger(__name__)

#: Settings key set once the profile holds data worth keeping (its first integration).
HAS_DATA_SETTING = "local_data_since"

# How many rowids past the last readable row are probed before a table counts as read.
_PROBE_AFTER_LAST = 2000

DamageKind = Literal["missing", "empty", "damaged"]

# What a person calls the rows of each table, for the report.
_TABLE_WORDS = {
    "integrations": ("integration", "integrations"),
    "outbox": ("outbox message", "outbox messages"),
    "history": ("sent-message record", "sent-message records"),
    "drafts": ("draft", "drafts"),
    "templates": ("template", "templates"),
    "known_apps": ("remembered server or application", "remembered servers and applications"),
}


@dataclass(frozen=True)
class DamageReport:
    """What was found wrong with the data file and what was done about it.

    ``kept_as`` is where the old file now is (None when there was no file); ``recovered``
    counts the rows copied into the fresh file, per table; ``unsent`` is how many of the
    recovered outbox messages still wait to be sent.
    """

    path: Path
    kind: DamageKind
    kept_as: Path | None
    recovered: dict[str, int] = field(default_factory=dict)
    unsent: int = 0

    def describe(self) -> str:
        """The report in plain words, with what to do next."""
        if self.kind == "missing":
            what = f"The local data file {self.path} is missing, although this profile had data."
        elif self.kind == "empty":
            what = f"The local data file {self.path} is empty, although this profile had data."
        else:
            what = f"The local data file {self.path} was damaged."
        kept = f" The old file was kept as {self.kept_as}." if self.kept_as else ""
        found = [
            _count(n, *_TABLE_WORDS.get(t, ("row of " + t, "rows of " + t)))
            for t, n in self.recovered.items()
            if n
        ]
        if found:
            done = f" Recovered into a fresh file: {', '.join(found)}"
            if self.unsent:
                done += f" ({_count(self.unsent, 'is', 'are')} still to be sent)"
            done += "."
        else:
            done = (
                " Nothing could be read from it, so the app starts with empty local data. "
                "Set up your integrations again; their old flow tokens are still in your "
                "keyring."
            )
        return f"{what}{kept}{done}"


def _count(number: int, one: str, many: str) -> str:
    return f"{number} {one if number == 1 else many}"


class StoreDamaged(StoreError):
    """The data file was damaged, emptied or lost; it was kept aside and what could be read
    was recovered. Raised once, to tell the person; opening again then works."""

    def __init__(self, report: DamageReport) -> None:
        super().__init__(report.describe())
        self.report = report


def mark_has_data(settings: Settings) -> None:
    """Remember that this profile holds data, so losing the file is noticed (best effort)."""
    if settings.get(HAS_DATA_SETTING) is not None:
        return
    try:
        settings.set(HAS_DATA_SETTING, time.time())
    except (StoreError, OSError) as exc:
        # The data itself was saved; only the safety net could not be written.
        log.warning("could not note that the profile has data: %s", exc)


def never_had_data(profile: Profile) -> bool:
    """True on a first start: no data file, and none was ever noted as holding data. There
    is nothing to check or list yet, so the first window needs no database."""
    return profile.settings.get(HAS_DATA_SETTING) is None and not profile.db_path.exists()


def open_profile_database(profile: Profile, *, migrations: Sequence[str] = MIGRATIONS) -> Database:
    """The profile's database, checked first.

    Raises :class:`StoreDamaged` (after keeping the old file and recovering what it could)
    when the file was damaged, emptied or lost; the next call opens the recovered file.
    """
    report = check_store(profile, migrations=migrations)
    if report is not None:
        raise StoreDamaged(report)
    return Database(profile.db_path, migrations=migrations)


def check_store(
    profile: Profile, *, migrations: Sequence[str] = MIGRATIONS, now: float | None = None
) -> DamageReport | None:
    """Check the data file; keep, recover and report it when damaged. None when healthy.

    Whatever it changes is done under a lock file in the profile, so two processes starting
    together (the GUI and a command) never both move a file aside. A healthy file is only
    read, so it is first checked without the lock (taking it loads ``filelock``, 20-30 ms of
    every start); anything else is checked again under the lock before it is acted on.
    """
    if _healthy(profile):
        return None
    path = profile.db_path
    # Unlocked only where the profile is read-only: nothing can be moved aside there anyway.
    with lock_if_possible(profile.dir / ".data.lock", timeout=60):
        had_data = profile.settings.get(HAS_DATA_SETTING) is not None
        try:
            size = path.stat().st_size
        except FileNotFoundError:
            if not had_data:
                return None
            report = DamageReport(path, "missing", None)
            open_database(path, migrations=migrations).close()
            _forget_has_data(profile)
            log.warning("local data file problem: %s", report.describe())
            return report
        state = _inspect(path) if size else "empty"
        if state == "has-data":
            mark_has_data(profile.settings)
            return None
        if state in ("ok", "unreadable") or (state == "empty" and not had_data):
            return None
        kind: DamageKind = "empty" if state == "empty" else "damaged"
        kept = _keep_aside(path, now)
        report = DamageReport(path, kind, kept)
        if kind == "damaged":
            report = _recover(kept, path, migrations, report)
        else:
            open_database(path, migrations=migrations).close()
        if not report.recovered.get("integrations"):
            _forget_has_data(profile)
        log.warning("local data file problem: %s", report.describe())
        return report


def _healthy(profile: Profile) -> bool:
    """True when the data file needs nothing done: it reads as healthy (and is noted as
    holding data when it does), or there is none and never was. False sends the caller to
    the locked check, which decides again."""
    path = profile.db_path
    had_data = profile.settings.get(HAS_DATA_SETTING) is not None
    try:
        before = path.stat()
    except FileNotFoundError:
        return not had_data
    if not before.st_size:
        return not had_data
    state = _inspect(path)
    try:
        after = path.stat()
    except FileNotFoundError:
        return False
    if (after.st_ino, after.st_dev) != (before.st_ino, before.st_dev):
        return False  # moved aside meanwhile (another process found it damaged)
    return state == "ok" or (state == "has-data" and had_data)


def _inspect(path: Path) -> str:
    """ "ok", "has-data" (healthy, with integrations), "empty" (no schema), "damaged" or
    "unreadable".

    Only SQLite's own verdict counts as damage: a file that cannot be opened or read for
    another reason (the folder is read-only, say) is "unreadable", left for the normal open
    to explain.
    """
    try:
        conn = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True, timeout=10)
    except sqlite3.Error as exc:
        return "damaged" if _is_damage(exc, path) else "unreadable"
    try:
        verdict = [row[0] for row in conn.execute("PRAGMA quick_check(5)")]
        if verdict != ["ok"]:
            log.warning("quick_check of %s: %s", path, "; ".join(map(str, verdict)))
            return "damaged"
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        if not tables:
            return "empty"
        has_rows = (
            "integrations" in tables
            and conn.execute("SELECT 1 FROM integrations LIMIT 1").fetchone()
        )
        return "has-data" if has_rows else "ok"
    except sqlite3.Error as exc:
        return "damaged" if _is_damage(exc, path) else "unreadable"
    finally:
        conn.close()


def _is_damage(exc: sqlite3.Error, path: Path) -> bool:
    from flowdock_desktop.store.errors import StoreCorrupt

    return isinstance(sqlite_problem(exc, path), StoreCorrupt)


def _keep_aside(path: Path, now: float | None) -> Path:
    """Rename the data file (and its -wal/-shm files) to ``…damaged-<timestamp>``."""
    stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(time.time() if now is None else now))
    kept = path.with_name(f"{path.name}.damaged-{stamp}")
    number = 2
    while kept.exists():
        kept = path.with_name(f"{path.name}.damaged-{stamp}-{number}")
        number += 1
    try:
        # The -wal file first: it may hold the last commits, and SQLite reads it only next
        # to a file of the matching name. The -shm file is only an index of the -wal that
        # SQLite rebuilds; a stale one must not sit beside the fresh file.
        for suffix in ("-wal", ""):
            source = Path(f"{path}{suffix}")
            if source.exists():
                os.replace(source, f"{kept}{suffix}")
                make_private(Path(f"{kept}{suffix}"))
        Path(f"{path}-shm").unlink(missing_ok=True)
    except OSError as exc:
        raise (os_problem(exc, path.parent) or exc) from None
    return kept


def _forget_has_data(profile: Profile) -> None:
    # The fresh file holds no integration: a later empty file is a new profile again.
    with contextlib.suppress(StoreError, OSError):
        profile.settings.remove(HAS_DATA_SETTING)


def _recover(
    kept: Path, path: Path, migrations: Sequence[str], report: DamageReport
) -> DamageReport:
    """Copy every readable row of ``kept`` into a fresh file at ``path``."""
    fresh = open_database(path, migrations=migrations)
    recovered: dict[str, int] = {}
    unsent = 0
    try:
        with tempfile.TemporaryDirectory(prefix="flowdock-recover-") as scratch:
            try:
                copy = _readable_copy(kept, fresh, Path(scratch))
                old = sqlite3.connect(copy, timeout=10)
            except (OSError, sqlite3.Error) as exc:
                log.warning("the damaged file could not be read at all: %s", exc)
                old = None
            if old is None:
                return report
            try:
                for table in _tables(fresh):
                    columns = _shared_columns(fresh, old, table)
                    if not columns:
                        continue
                    copied = _copy_rows(old, fresh, table, columns)
                    recovered[table] = copied
                if _version(old) < SENT_ROWS_BEFORE_SCHEMA <= len(migrations):
                    # What the upgrade would have done to these rows (see db.MIGRATIONS).
                    fresh.execute(SENT_ROWS_NOT_ENTRIES)
                unsent = fresh.execute(
                    "SELECT COUNT(*) FROM outbox WHERE state IN ('queued', 'sending')"
                ).fetchone()[0]
            finally:
                old.close()
    finally:
        fresh.close()
    return DamageReport(report.path, report.kind, report.kept_as, recovered, unsent)


_MAGIC = b"SQLite format 3\x00"


def _readable_copy(kept: Path, fresh: sqlite3.Connection, scratch: Path) -> Path:
    """A copy of the damaged file (the kept one stays untouched) that SQLite will open.

    Two repairs make the intact pages reachable again: a file cut short is padded back to
    the length its header promises (SQLite refuses the whole file otherwise), and a file
    whose first page is overwritten gets the first page of the fresh file, which holds the
    same schema: both were made by the same migrations, so each table's pages start at the
    same page number.
    """
    copy = scratch / "damaged.sqlite3"
    shutil.copyfile(kept, copy)
    wal = Path(f"{kept}-wal")
    if wal.exists():
        shutil.copyfile(wal, f"{copy}-wal")
    data = bytearray(copy.read_bytes())
    if data[: len(_MAGIC)] != _MAGIC:
        fresh.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        page_size = fresh.execute("PRAGMA page_size").fetchone()[0]
        fresh_file = fresh.execute("PRAGMA database_list").fetchone()[2]
        first = Path(fresh_file).read_bytes()[:page_size]
        data[:page_size] = first
        pages = max(1, -(-len(data) // page_size))
        data[28:32] = pages.to_bytes(4, "big")
    else:
        page_size = int.from_bytes(data[16:18], "big")
        page_size = 65536 if page_size == 1 else page_size
        promised = int.from_bytes(data[28:32], "big") * page_size
        if page_size and len(data) < promised:
            data.extend(bytes(promised - len(data)))
    copy.write_bytes(bytes(data))
    return copy


def _version(old: sqlite3.Connection) -> int:
    """The damaged file's schema version; the newest when it cannot be read."""
    try:
        return schema_version(old) or len(MIGRATIONS)
    except sqlite3.Error:
        return len(MIGRATIONS)


def _tables(conn: sqlite3.Connection) -> list[str]:
    # Creation order: a table is created after the tables its foreign keys point at.
    return [
        row[0]
        for row in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table'"
            " AND name NOT LIKE 'sqlite_%' AND name != 'schema_version' ORDER BY rowid"
        )
    ]


def _shared_columns(fresh: sqlite3.Connection, old: sqlite3.Connection, table: str) -> list[str]:
    try:
        had = {row[1] for row in old.execute(f'PRAGMA table_info("{table}")')}
    except sqlite3.Error:
        return []
    return [row[1] for row in fresh.execute(f'PRAGMA table_info("{table}")') if row[1] in had]


def _copy_rows(
    old: sqlite3.Connection, fresh: sqlite3.Connection, table: str, columns: list[str]
) -> int:
    names = ", ".join(f'"{c}"' for c in columns)
    insert = f'INSERT OR IGNORE INTO "{table}" ({names}) VALUES ({", ".join("?" for _ in columns)})'
    copied = 0
    fresh.execute("BEGIN")
    try:
        for row in _readable_rows(old, table, names):
            try:
                cursor = fresh.execute(insert, row)
            except sqlite3.Error:  # e.g. an outbox row whose integration was lost
                continue
            copied += cursor.rowcount
        fresh.execute("COMMIT")
    except BaseException:
        fresh.execute("ROLLBACK")
        raise
    return copied


def _readable_rows(old: sqlite3.Connection, table: str, names: str) -> Iterator[tuple]:
    """Every row that can be read: a straight scan, then rowid by rowid past a bad page."""
    last = 0
    try:
        for row in old.execute(f'SELECT rowid, {names} FROM "{table}" ORDER BY rowid'):
            last = row[0]
            yield tuple(row[1:])
        return
    except sqlite3.Error:
        pass
    # A damaged page stopped the scan. Ask for each rowid on its own: rows on intact pages
    # are still found through the parts of the tree that can be read.
    misses = 0
    rowid = last
    while misses < _PROBE_AFTER_LAST:
        rowid += 1
        try:
            row = old.execute(f'SELECT {names} FROM "{table}" WHERE rowid = ?', (rowid,)).fetchone()
        except sqlite3.Error:
            row = None
        if row is None:
            misses += 1
            continue
        misses = 0
        yield tuple(row)
