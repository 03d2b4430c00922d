"""The profile directory and the one settings object (non-secret values only).

The profile lives under the platform's config location unless ``--profile DIR`` or
``FLOWDOCK_DESKTOP_HOME`` says otherwise (tests and portable installs). Secrets never go here:
they belong to the keyring (``flowdock_desktop.auth.credentials``).
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from flowdock_desktop.store.errors import os_problem

APP_NAME = "flowdock-desktop"
ENV_HOME = "FLOWDOCK_DESKTOP_HOME"

#: Keys that must never be stored in settings; guarded so a slip fails loudly in tests.
_FORBIDDEN_KEYS = frozenset(
    {"client_secret", "access_token", "refresh_token", "flow_token", "password", "api_token"}
)


class Settings:
    """Non-secret key/value settings saved atomically as ``settings.json``.

    Safe to use from several threads; every change is written at once, so nothing is lost on
    a crash.
    """

    def __init__(self, path: Path) -> None:
        self._path = path
        self._lock = threading.Lock()
        self._values: dict[str, Any] = self._load()

    @property
    def path(self) -> Path:
        return self._path

    def _load(self) -> dict[str, Any]:
        try:
            data = json.loads(self._path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError):
            # A damaged file must not stop the app; keep it aside for a support person.
            with contextlib.suppress(OSError):
                self._path.replace(self._path.with_suffix(".damaged.json"))
            return {}
        return data if isinstance(data, dict) else {}

    def get(self, key: str, default: Any = None) -> Any:
        with self._lock:
            return self._values.get(key, default)

    def as_dict(self) -> dict[str, Any]:
        with self._lock:
            return json.loads(json.dumps(self._values))

    def set(self, key: str, value: Any) -> None:
        self.update(**{key: value})

    def update(self, **values: Any) -> None:
        bad = _FORBIDDEN_KEYS.intersection(values)
        if bad:
            raise ValueError(f"secrets are kept in the keyring, not in settings: {sorted(bad)}")
        with self._lock:
            before = dict(self._values)
            for key, value in values.items():
                if value is None:
                    self._values.pop(key, None)
                else:
                    self._values[key] = value
            self._save_or_restore(before)

    def remove(self, *keys: str) -> None:
        with self._lock:
            before = dict(self._values)
            for key in keys:
                self._values.pop(key, None)
            self._save_or_restore(before)

    def _save_or_restore(self, before: dict[str, Any]) -> None:
        try:
            self._save()
        except BaseException:
            self._values = before  # not saved, so not changed
            raise

    def _save(self) -> None:
        """Write atomically (a temporary file renamed over the old one, owner-only).

        Raises ``ProfileNotWritable`` on a full disk or a read-only folder; the values in
        memory are then rolled back, so what this object says matches what is on disk.
        """
        try:
            self._path.parent.mkdir(parents=True, exist_ok=True)
            # mkstemp creates the file readable by its owner only (0600).
            fd, tmp = tempfile.mkstemp(prefix=".settings-", suffix=".tmp", dir=self._path.parent)
        except OSError as exc:
            raise (os_problem(exc, self._path.parent) or exc) from None
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(self._values, handle, indent=2, sort_keys=True)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, self._path)
        except BaseException as exc:
            Path(tmp).unlink(missing_ok=True)
            if isinstance(exc, OSError) and (problem := os_problem(exc, self._path.parent)):
                raise problem from None
            raise


class Profile:
    """One person's local data: settings, the SQLite database and logs.

    Attributes: ``dir`` (the profile directory), ``settings``, ``db_path``, ``log_dir``.
    """

    def __init__(self, directory: Path) -> None:
        self.dir = directory
        try:
            self.dir.mkdir(parents=True, exist_ok=True, mode=PRIVATE_DIR_MODE)
        except OSError as exc:
            raise (os_problem(exc, self.dir) or exc) from None
        make_private_dir(self.dir)
        self.settings = Settings(self.dir / "settings.json")

    @property
    def db_path(self) -> Path:
        return self.dir / "data.sqlite3"

    @property
    def log_dir(self) -> Path:
        # Portable/test profiles keep logs inside; the default profile uses the platform's.
        if os.environ.get(ENV_HOME) or self.dir != default_profile_dir():
            return self.dir / "logs"
        import platformdirs

        return Path(platformdirs.user_log_dir(APP_NAME, appauthor=False))

    @classmethod
    def resolve(cls, path: str | os.PathLike[str] | None = None) -> Profile:
        """Explicit directory, else ``$FLOWDOCK_DESKTOP_HOME``, else the platform default."""
        if path:
            return cls(Path(path).expanduser().resolve())
        env = os.environ.get(ENV_HOME)
        if env:
            return cls(Path(env).expanduser().resolve())
        return cls(default_profile_dir())


#: Owner-only permissions for the profile folder and the folders in it (POSIX).
PRIVATE_DIR_MODE = 0o700


def make_private_dir(path: Path) -> None:
    """Take away everyone else's access to a folder (POSIX); the owner's own bits are kept,
    so a profile made read-only on purpose stays read-only. Quietly skipped where refused."""
    restrict_to_owner(path)


def restrict_to_owner(path: Path) -> None:
    """Clear the group and other permission bits of ``path`` (POSIX), keeping the owner's."""
    if os.name != "posix":
        return
    with contextlib.suppress(OSError):
        mode = path.stat().st_mode & 0o777
        if mode & 0o077:
            os.chmod(path, mode & 0o700)


@contextlib.contextmanager
def lock_if_possible(path: Path, timeout: float) -> Iterator[bool]:
    """Hold a file lock at ``path`` (shared by every process) for the block.

    Yields True when held. Where no lock file can be made (a read-only profile) or the wait
    runs out, the block runs unlocked and gets False: callers use the lock to avoid a race,
    never as the only guard.
    """
    from filelock import FileLock, Timeout

    lock = FileLock(path, mode=0o600)
    try:
        lock.acquire(timeout=timeout)
    except (OSError, Timeout):
        yield False
        return
    try:
        yield True
    finally:
        lock.release()


def default_profile_dir() -> Path:
    import platformdirs  # only where no profile folder was named

    return Path(platformdirs.user_config_dir(APP_NAME, appauthor=False))
