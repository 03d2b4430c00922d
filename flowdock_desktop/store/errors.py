"""What can go wrong with the profile on disk, each in plain words that name the profile.

SQLite and the file system report a full disk, a read-only folder or a damaged file as codes;
the store turns those into these errors at its edges (``Database``, ``Settings``, ``Profile``),
so everything above can say what happened and where without knowing SQLite.
"""

from __future__ import annotations

import errno
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import sqlite3

__all__ = [
    "DatabaseClosed",
    "ProfileNotWritable",
    "SchemaTooNewError",
    "StoreCorrupt",
    "StoreError",
    "os_problem",
    "sqlite_problem",
]


class StoreError(Exception):
    """Base of the store's errors; ``str(error)`` is fit to show a person."""


class DatabaseClosed(RuntimeError):
    """The profile's database was used after it was closed: work that outlived the app's
    quitting (a post whose answer came after the bounded wait). Not a person's problem and
    not a damaged store, so not a ``StoreError``: whatever that work would have recorded is
    left as it stood (a message stays claimed, and the next start sends it again under the
    same uuid)."""

    def __init__(self) -> None:
        super().__init__("the database has been closed")


class ProfileNotWritable(StoreError):
    """The profile folder or one of its files cannot be written (read-only, full, no access).

    ``path`` is the profile folder (or the file), ``reason`` a short phrase such as
    "the disk is full". Nothing was half-written: the change that failed was rolled back.
    """

    def __init__(self, path: str | Path, reason: str) -> None:
        self.path = Path(path)
        self.reason = reason
        if reason == "the disk is full":
            step = "Free some disk space, then try again."
        else:
            step = (
                "Make it writable, or choose another profile folder with --profile DIR "
                "(or FLOWDOCK_DESKTOP_HOME), then try again."
            )
        super().__init__(
            f"Flowdock Desktop cannot save to its profile folder {self.path}: {reason}. {step}"
        )


class StoreCorrupt(StoreError):
    """The local data file turned out damaged while in use (the start-up check passed)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        super().__init__(
            f"The local data file {self.path} is damaged. Quit Flowdock Desktop and start it "
            "again: it keeps the damaged file aside and recovers what can still be read."
        )


class SchemaTooNewError(StoreError):
    """The database was written by a newer version of the app than this one."""


# SQLite's primary result codes (the low byte of the extended codes Python reports).
_SQLITE_PERM = 3
_SQLITE_READONLY = 8
_SQLITE_IOERR = 10
_SQLITE_CORRUPT = 11
_SQLITE_FULL = 13
_SQLITE_CANTOPEN = 14
_SQLITE_NOTADB = 26

_SQLITE_REASONS = {
    _SQLITE_PERM: "permission denied",
    _SQLITE_READONLY: "it is read-only",
    _SQLITE_IOERR: "the disk reported an error",
    _SQLITE_FULL: "the disk is full",
    _SQLITE_CANTOPEN: "the data file cannot be opened for writing",
}

_OS_REASONS = {
    errno.ENOSPC: "the disk is full",
    errno.EDQUOT: "the disk is full",
    errno.EROFS: "it is on a read-only file system",
    errno.EACCES: "permission denied",
    errno.EPERM: "permission denied",
    errno.EIO: "the disk reported an error",
}


def os_problem(exc: OSError, path: str | Path) -> ProfileNotWritable | None:
    """The plain-words error for a failed write to ``path``, or None if it is not one of ours."""
    reason = _OS_REASONS.get(exc.errno or 0)
    return ProfileNotWritable(path, reason) if reason else None


def sqlite_problem(exc: sqlite3.Error, path: str | Path) -> StoreError | None:
    """The plain-words error for a SQLite failure on the file ``path``, or None.

    Only the failures a person can act on are translated (full, read-only, no access,
    damaged); the rest (constraint violations, bugs) stay SQLite errors.
    """
    code = getattr(exc, "sqlite_errorcode", None)
    if code is None:
        return None
    primary = code & 0xFF
    if primary in (_SQLITE_CORRUPT, _SQLITE_NOTADB):
        return StoreCorrupt(path)
    reason = _SQLITE_REASONS.get(primary)
    if reason is None:
        return None
    return ProfileNotWritable(Path(path).parent, reason)
