"""A keyring kept in a JSON file, so a child process (a real ``flowdock-desktop`` command) sees
the secrets the test stored. Tests only: it keeps secrets in plain text.

``PYTHON_KEYRING_BACKEND=file_keyring.FileKeyring`` with this folder on ``PYTHONPATH`` and the
file named by ``FLOWDOCK_TEST_KEYRING_FILE`` selects it in a child; ``child_env`` sets all three.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path

import keyring.backend
import keyring.errors

KEYRING_FILE_ENV = "FLOWDOCK_TEST_KEYRING_FILE"


class FileKeyring(keyring.backend.KeyringBackend):
    """Reads and writes one JSON file; each write replaces it atomically, so processes that
    read while another writes never see half a file."""

    priority = 1  # type: ignore[assignment]

    def _path(self) -> Path:
        return Path(os.environ[KEYRING_FILE_ENV])

    def _load(self) -> dict[str, str]:
        try:
            return json.loads(self._path().read_text())
        except FileNotFoundError:
            return {}

    def _save(self, data: dict[str, str]) -> None:
        path = self._path()
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".keyring-")
        with os.fdopen(fd, "w") as handle:
            json.dump(data, handle)
        os.replace(tmp, path)

    def get_password(self, service: str, username: str) -> str | None:
        return self._load().get(f"{service}\n{username}")

    def set_password(self, service: str, username: str, password: str) -> None:
        data = self._load()
        data[f"{service}\n{username}"] = password
        self._save(data)

    def delete_password(self, service: str, username: str) -> None:
        data = self._load()
        if data.pop(f"{service}\n{username}", None) is None:
            raise keyring.errors.PasswordDeleteError("no such password")
        self._save(data)


def child_env(keyring_file: Path, profile_dir: Path, **extra: str) -> dict[str, str]:
    """The environment for a child ``flowdock-desktop`` that shares this file keyring."""
    return dict(
        os.environ,
        PYTHONPATH=os.pathsep.join([str(Path(__file__).parent), *sys.path]),
        PYTHON_KEYRING_BACKEND="file_keyring.FileKeyring",
        FLOWDOCK_DESKTOP_HOME=str(profile_dir),
        **{KEYRING_FILE_ENV: str(keyring_file)},
        **extra,
    )
