"""Where uploaded files' bytes live: a folder beside the data file, or memory without one.

Each file is one blob named by its random hash (the one in its download path), written
whole under a temporary name and then renamed, so a blob is either complete or absent. Blobs
are written in the transaction that stores the message referring to them, after its checks
(removed again when it rolls back), and removed after a deletion commits; a crash in between
leaves a blob nobody refers to, which the next start removes (``purge``).
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Iterable
from pathlib import Path

#: The blob folder of data file ``sandbox.db`` is ``sandbox.db.files``.
FOLDER_SUFFIX = ".files"


def folder_for(data_file: Path) -> Path:
    return data_file.with_name(data_file.name + FOLDER_SUFFIX)


class MemoryBlobs:
    """Blobs of a sandbox without ``--data``: gone when it stops."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._blobs: dict[str, bytes] = {}

    def put(self, key: str, data: bytes) -> None:
        with self._lock:
            self._blobs[key] = bytes(data)

    def read(self, key: str) -> bytes | Path | None:
        """The blob's bytes, or None when it is gone."""
        with self._lock:
            return self._blobs.get(key)

    def remove(self, keys: Iterable[str]) -> None:
        with self._lock:
            for key in keys:
                self._blobs.pop(key, None)

    def purge(self, keep: set[str]) -> None:
        """Remove every blob not in ``keep``."""
        with self._lock:
            for key in [k for k in self._blobs if k not in keep]:
                del self._blobs[key]


class FolderBlobs:
    """Blobs of a sandbox with ``--data FILE``: files in ``FILE.files``, owner-only."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def _path(self, key: str) -> Path:
        if not key.isalnum():  # keys are hex; never a path of someone's choosing
            raise ValueError("not a blob key")
        return self.folder / key

    def put(self, key: str, data: bytes) -> None:
        self.folder.mkdir(mode=0o700, exist_ok=True)
        target = self._path(key)
        partial = target.with_name(key + ".partial")
        with open(partial, "wb") as handle:
            handle.write(data)
        os.replace(partial, target)

    def read(self, key: str) -> bytes | Path | None:
        """The blob's path (served from disk), or None when it is gone."""
        path = self._path(key)
        return path if path.is_file() else None

    def remove(self, keys: Iterable[str]) -> None:
        for key in keys:
            with contextlib.suppress(OSError):
                self._path(key).unlink(missing_ok=True)

    def purge(self, keep: set[str]) -> None:
        """Remove every blob (and half-written one) not in ``keep``."""
        if not self.folder.is_dir():
            return
        for entry in self.folder.iterdir():
            if entry.name not in keep and entry.is_file():
                with contextlib.suppress(OSError):
                    entry.unlink()


Blobs = MemoryBlobs | FolderBlobs


def open_blobs(data_file: Path | None) -> Blobs:
    return MemoryBlobs() if data_file is None else FolderBlobs(folder_for(Path(data_file)))
