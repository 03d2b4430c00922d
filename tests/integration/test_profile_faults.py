"""A read-only profile and a full disk: plain words naming the profile, nothing half-done, and
``send`` never reports a failure for a message that will be delivered.

The read-only cases run the real command in a child process without write access: by file
modes, with root's power to ignore them dropped (``setpriv``) when the tests run as root.
The full disk is SQLite's own "database or disk is full", from a page limit on every
connection to the profile's data file (the file is real; only its room is small).
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from file_keyring import FileKeyring, child_env

from flowdock_desktop import cli
from flowdock_desktop.auth.credentials import CredentialStore
from flowdock_desktop.context import AppContext
from flowdock_desktop.problems import EXIT_PROFILE_NOT_WRITABLE, EXIT_QUEUED
from flowdock_desktop.store import db as db_module
from flowdock_desktop.testing import connect_demo_source, flow_messages, sign_in_demo_user

pytestmark = pytest.mark.skipif(os.name != "posix", reason="POSIX file modes")


def _without_write_access() -> list[str]:
    """A command prefix that makes the child obey file modes."""
    if os.geteuid() != 0:
        return []
    if shutil.which("setpriv") is None:
        pytest.skip("running as root without setpriv: file modes cannot be enforced")
    caps = "-dac_override,-dac_read_search,-fowner"
    return ["setpriv", "--bounding-set", caps, "--inh-caps", caps]


def _make_read_only(directory: Path) -> None:
    for path in [directory, *directory.rglob("*")]:
        os.chmod(path, 0o500 if path.is_dir() else 0o400)


def _make_writable(directory: Path) -> None:
    for path in [directory, *directory.rglob("*")]:
        os.chmod(path, 0o700 if path.is_dir() else 0o600)


@pytest.fixture
def read_only_profile(sandbox, profile_dir, tmp_path, monkeypatch):
    """A signed-in profile with one integration, then made read-only; yields ``run(*args)``."""
    keyring_file = tmp_path / "keyring.json"
    monkeypatch.setenv("FLOWDOCK_TEST_KEYRING_FILE", str(keyring_file))
    with AppContext(credentials=CredentialStore(FileKeyring())) as context:
        integration, _ = connect_demo_source(context, sandbox.base_url, "CLI bot")
        sign_in_demo_user(context, sandbox.base_url)
    env = child_env(keyring_file, profile_dir)
    prefix = _without_write_access()

    def run(*args: str) -> tuple[int, str, str]:
        done = subprocess.run(
            [*prefix, sys.executable, "-m", "flowdock_desktop", *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        return done.returncode, done.stdout, done.stderr

    run.integration_id = integration.id  # type: ignore[attr-defined]
    run.keyring = lambda: json.loads(keyring_file.read_text())  # type: ignore[attr-defined]
    _make_read_only(profile_dir)
    try:
        yield run
    finally:
        _make_writable(profile_dir)


def test_logout_on_a_read_only_profile_keeps_the_tokens(read_only_profile, profile_dir):
    before = read_only_profile.keyring()
    assert any(key.endswith(tuple("0123456789")) for key in before)  # a token set is there
    status, _, err = read_only_profile("logout")
    assert status == EXIT_PROFILE_NOT_WRITABLE, err
    assert "Traceback" not in err
    assert f"cannot save to its profile folder {profile_dir}" in err
    # Nothing half-done: still signed in, with the tokens the profile points at.
    assert read_only_profile.keyring() == before
    _make_writable(profile_dir)
    with AppContext(credentials=CredentialStore(FileKeyring())) as context:
        assert context.session() is not None


def test_send_on_a_read_only_profile_queues_nothing(read_only_profile, profile_dir, sandbox):
    status, _, err = read_only_profile(
        *("send", "--integration", read_only_profile.integration_id),
        *("--title", "read-only", "--thread-title", "T", "--author", "CI"),
    )
    assert status == EXIT_PROFILE_NOT_WRITABLE, err
    assert "Traceback" not in err
    assert str(profile_dir) in err and "will not be sent" in err
    _make_writable(profile_dir)
    with AppContext() as context:
        assert context.outbox.list() == []


def test_reading_commands_on_a_read_only_profile_answer_in_words(read_only_profile):
    for command in (["integrations"], ["outbox"], ["whoami"]):
        status, out, err = read_only_profile(*command)
        assert "Traceback" not in err, command
        assert status in (0, EXIT_PROFILE_NOT_WRITABLE), (command, err)
        assert out or err


# -- full disk ----------------------------------------------------------------------------


@pytest.fixture
def small_disk(monkeypatch):
    """``fill(pages)``: from now on every connection may grow the data file by ``pages`` pages
    beyond its size at that moment; ``fill(None)`` gives the room back."""
    room: dict[str, int | None] = {"limit": None}
    real_connect = db_module._connect

    def connect(path, migrations):
        conn = real_connect(path, migrations)
        if room["limit"] is not None:
            conn.execute(f"PRAGMA max_page_count = {room['limit']}")
        return conn

    monkeypatch.setattr(db_module, "_connect", connect)

    def fill(pages: int | None, path: Path | None = None) -> None:
        if pages is None:
            room["limit"] = None
            return
        with sqlite3.connect(path) as conn:
            room["limit"] = conn.execute("PRAGMA page_count").fetchone()[0] + pages

    return fill


def test_full_disk_send_never_fails_a_message_that_will_be_delivered(
    sandbox, profile_dir, small_disk, capsys
):
    with AppContext() as context:
        integration, _ = connect_demo_source(context, sandbox.base_url, "Full disk bot")
    small_disk(12, profile_dir / "data.sqlite3")
    outcomes: dict[int, tuple[int, str]] = {}
    for n in range(120):
        status = cli.main(
            [
                *("send", "--integration", integration.id, "--title", f"full {n} " + "x" * 200),
                *("--thread-title", f"Full disk {n}", "--author", "CI"),
            ]
        )
        captured = capsys.readouterr()
        outcomes[n] = (status, captured.out + captured.err)
        assert "Traceback" not in captured.err
        assert status in (0, EXIT_QUEUED, EXIT_PROFILE_NOT_WRITABLE), captured.err
    statuses = [status for status, _ in outcomes.values()]
    # The disk filled up part-way: some were sent, and the later ones were refused.
    assert 0 in statuses and EXIT_PROFILE_NOT_WRITABLE in statuses
    for status, text in outcomes.values():
        if status == EXIT_PROFILE_NOT_WRITABLE:
            assert "the disk is full" in text and "not queued" in text

    # Room again: whatever was queued goes out; nothing refused ever does, nothing twice.
    small_disk(None)
    # A message whose answer could not be recorded stays claimed by its sender; a sender
    # that ended is noticed at once, but here every "command" ran in this one process,
    # which lives on: age the claims instead of waiting out the lease.
    with AppContext() as context, context.db.transaction() as conn:
        conn.execute("UPDATE outbox SET claimed_at = claimed_at - 3600")
    assert cli.main(["outbox", "--flush"]) in (0, 1)
    capsys.readouterr()
    for n, (status, text) in outcomes.items():
        title = f"full {n} "
        on_server = [
            m
            for m in flow_messages(sandbox, integration.flow_id)
            if m.get("title", "").startswith(title)
        ]
        if status in (0, EXIT_QUEUED):
            assert len(on_server) == 1, (n, status, text)
        else:
            assert on_server == [], (n, text)
    with AppContext() as context:
        assert context.outbox.count_pending() == 0
