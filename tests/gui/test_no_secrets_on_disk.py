"""After a whole run (sign-in, a new integration, a message sent), no secret is on disk.

The run is the self-test's: the wizard driven from start to Done against the embedded sandbox,
then the composer posting one message. Logging is turned up to DEBUG for every library, and
then every file in the profile (settings, database, logs, the sandbox's data) is searched for
every value the keyring holds: client secret, access and refresh tokens, flow tokens.
"""

from __future__ import annotations

import json
import logging

import pytest

from flowdock_desktop import selftest
from flowdock_desktop.auth.credentials import CredentialStore
from flowdock_desktop.logs import log_file
from flowdock_desktop.store.profile import Profile

pytestmark = pytest.mark.gui


def _secret_values(stored: dict) -> set[str]:
    values = set()
    for value in stored.values():
        values.add(value)
        try:
            decoded = json.loads(value)  # a token set is stored as JSON
        except ValueError:
            continue
        if isinstance(decoded, dict):
            values.update(v for k, v in decoded.items() if "token" in k and isinstance(v, str))
    return {v for v in values if len(v) >= 8}


def test_full_run_leaves_no_secret_in_profile_or_logs(
    qapp, profile_dir, memory_keyring, monkeypatch
):
    monkeypatch.setenv("FLOWDOCK_DESKTOP_LOG_LEVEL", "DEBUG")
    root = logging.getLogger()
    previous = root.level
    root.setLevel(logging.DEBUG)
    try:
        status = selftest._run(profile_dir, 30_000, CredentialStore(memory_keyring))
    finally:
        root.setLevel(previous)
    assert status == 0

    secrets = _secret_values(memory_keyring.items())
    kinds = {key.split(":", 1)[0] for _service, key in memory_keyring.items()}
    assert len(secrets) >= 4, kinds  # client secret, access + refresh token, a flow token
    log = log_file(Profile(profile_dir))
    # DEBUG really reached the file: the requests that carried the secrets are in it.
    text = log.read_text(encoding="utf-8")
    assert "POST /messages" in text and "/oauth/token" in text, text[-2000:]
    files = [path for path in profile_dir.rglob("*") if path.is_file()]
    assert log in files and (profile_dir / "data.sqlite3") in files
    for path in files:
        content = path.read_bytes()
        for secret in secrets:
            assert secret.encode() not in content, f"a secret is in {path.name}"
