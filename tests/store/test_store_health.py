"""A damaged, emptied or lost data file is detected, kept aside, recovered and explained.

Every case damages a real file the way disks and people do: cut to zero bytes or to half,
garbage over the header, a page in the middle overwritten, the file deleted.
"""

from __future__ import annotations

import os
import sqlite3
import stat

import pytest

from flowdock_desktop import cli
from flowdock_desktop.context import AppContext
from flowdock_desktop.problems import EXIT_DATA_RECOVERED
from flowdock_desktop.store.health import HAS_DATA_SETTING, StoreDamaged
from flowdock_desktop.store.profile import Profile

INTEGRATIONS = 5
MESSAGES = 150


@pytest.fixture
def filled(profile_dir, add_sample_integration):
    """A profile with integrations and queued messages, closed cleanly; returns the data file."""
    with AppContext(Profile.resolve(profile_dir)) as context:
        ids = [
            add_sample_integration(context.integrations, source_id=n).id
            for n in range(INTEGRATIONS)
        ]
        for n in range(MESSAGES):
            payload = {"event": "activity", "title": f"message {n} " + "x" * 200}
            context.outbox.enqueue(ids[n % INTEGRATIONS], payload)
    path = profile_dir / "data.sqlite3"
    assert not (profile_dir / "data.sqlite3-wal").exists()  # everything is in the file
    return path


def open_again(profile_dir) -> StoreDamaged | None:
    """Open the profile's data as the app does; the StoreDamaged it raised, if any."""
    context = AppContext(Profile.resolve(profile_dir))
    try:
        context.integrations.list()
    except StoreDamaged as exc:
        return exc
    finally:
        context.close()
    return None


def counts(profile_dir) -> tuple[int, int]:
    with AppContext(Profile.resolve(profile_dir)) as context:
        return len(context.integrations.list()), len(context.outbox.list())


def kept_files(profile_dir):
    return sorted(p for p in profile_dir.glob("data.sqlite3.damaged-*") if "-wal" not in p.name)


def test_healthy_file_is_opened_without_a_report(filled, profile_dir):
    assert open_again(profile_dir) is None
    assert counts(profile_dir) == (INTEGRATIONS, MESSAGES)


def test_only_a_file_that_needs_something_done_is_checked_under_the_lock(
    filled, profile_dir, monkeypatch
):
    """The lock (and the ``filelock`` import every start would pay for it) is taken only
    when the check may move a file aside, make one or note the profile as holding data."""
    from flowdock_desktop.store import health

    locked: list[str] = []
    real_lock = health.lock_if_possible

    def noting_lock(path, timeout):
        locked.append(path.name)
        return real_lock(path, timeout)

    monkeypatch.setattr(health, "lock_if_possible", noting_lock)
    assert open_again(profile_dir) is None
    assert locked == []
    # Not yet noted as holding data (an older version's profile): noted under the lock.
    Profile.resolve(profile_dir).settings.remove(HAS_DATA_SETTING)
    assert open_again(profile_dir) is None
    assert locked == [".data.lock"]
    assert Profile.resolve(profile_dir).settings.get(HAS_DATA_SETTING) is not None
    # Damaged: decided and moved aside under the lock, nothing lost.
    filled.write_bytes(b"")
    damage = open_again(profile_dir)
    assert damage is not None and damage.report.kind == "empty"
    assert locked == [".data.lock", ".data.lock"]
    assert len(kept_files(profile_dir)) == 1


def test_zero_bytes_where_data_existed_is_reported_not_taken_for_new(filled, profile_dir):
    original = filled.stat().st_size
    filled.write_bytes(b"")
    damage = open_again(profile_dir)
    assert damage is not None
    report = damage.report
    assert report.kind == "empty"
    assert f"The local data file {filled} is empty, although this profile had data" in str(damage)
    (kept,) = kept_files(profile_dir)
    assert report.kept_as == kept and kept.stat().st_size == 0
    assert "flow tokens are still in your keyring" in str(damage)
    assert original > 0
    # Told once: the next start is an ordinary (empty) profile.
    assert open_again(profile_dir) is None
    assert counts(profile_dir) == (0, 0)


def test_zero_bytes_in_a_new_profile_is_just_new(profile_dir):
    Profile.resolve(profile_dir)
    (profile_dir / "data.sqlite3").write_bytes(b"")
    assert open_again(profile_dir) is None
    assert not kept_files(profile_dir)


def test_missing_file_where_data_existed(filled, profile_dir):
    filled.unlink()
    damage = open_again(profile_dir)
    assert damage is not None and damage.report.kind == "missing"
    assert "is missing, although this profile had data" in str(damage)
    assert damage.report.kept_as is None


def _middle_of_the_outbox(path) -> int:
    """A length that cuts the file in the middle of the outbox's pages, whatever the schema
    before them (a fixed half moves past them when a migration adds a table)."""
    with sqlite3.connect(path) as conn:
        size = conn.execute("PRAGMA page_size").fetchone()[0]
        pages = [
            row[0]
            for row in conn.execute(
                "SELECT pageno FROM dbstat WHERE name = 'outbox' AND pagetype = 'leaf'"
            )
        ]
    conn.close()
    return (min(pages) + max(pages)) // 2 * size


def test_half_truncated_file_keeps_what_its_first_half_holds(filled, profile_dir):
    os.truncate(filled, _middle_of_the_outbox(filled))
    damage = open_again(profile_dir)
    assert damage is not None and damage.report.kind == "damaged"
    integrations, messages = counts(profile_dir)
    assert integrations == INTEGRATIONS
    assert 0 < messages < MESSAGES
    assert damage.report.recovered == {
        "integrations": INTEGRATIONS,
        "outbox": messages,
        "history": 0,
        "drafts": 0,
        "templates": 0,
        "known_apps": 0,
    }
    assert f"{INTEGRATIONS} integrations, {messages} outbox messages" in str(damage)
    assert f"({messages} are still to be sent)" in str(damage)
    (kept,) = kept_files(profile_dir)
    assert kept.stat().st_size == filled.stat().st_size or kept.exists()


def test_garbage_header_loses_nothing(filled, profile_dir):
    data = filled.read_bytes()
    filled.write_bytes(b"\x00garbage" * 16 + data[128:])
    damage = open_again(profile_dir)
    assert damage is not None and damage.report.kind == "damaged"
    assert counts(profile_dir) == (INTEGRATIONS, MESSAGES)
    # The kept file is the damaged one, byte for byte.
    (kept,) = kept_files(profile_dir)
    assert kept.read_bytes()[:16] == b"\x00garbage\x00garbage"


def test_corrupt_page_in_the_middle_loses_only_that_page(filled, profile_dir):
    conn = sqlite3.connect(filled)
    page_size = conn.execute("PRAGMA page_size").fetchone()[0]
    # A leaf page of the outbox table in the middle of the file.
    pages = (
        [
            row[0]
            for row in conn.execute(
                "SELECT pageno FROM dbstat WHERE name = 'outbox' AND pagetype = 'leaf'"
            )
        ]
        if _has_dbstat(conn)
        else []
    )
    conn.close()
    data = bytearray(filled.read_bytes())
    page = pages[len(pages) // 2] if pages else len(data) // page_size // 2
    start = (page - 1) * page_size
    data[start : start + page_size] = os.urandom(page_size)
    filled.write_bytes(bytes(data))
    damage = open_again(profile_dir)
    assert damage is not None and damage.report.kind == "damaged"
    integrations, messages = counts(profile_dir)
    assert integrations == INTEGRATIONS
    assert MESSAGES // 2 < messages <= MESSAGES


def _has_dbstat(conn: sqlite3.Connection) -> bool:
    try:
        conn.execute("SELECT 1 FROM dbstat LIMIT 1")
    except sqlite3.Error:
        return False
    return True


def test_the_command_line_says_so_with_its_own_exit_status(filled, profile_dir, capsys):
    filled.write_bytes(b"garbage " * 64 + filled.read_bytes()[512:])
    assert cli.main(["outbox"]) == EXIT_DATA_RECOVERED
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert f"The local data file {filled} was damaged" in err
    assert "kept as" in err and "The command did not run: run it again" in err
    # Run again: the recovered outbox is listed.
    assert cli.main(["outbox"]) == 0
    assert "message 0" in capsys.readouterr().out


def test_existing_profiles_get_the_marker_on_first_open(filled, profile_dir):
    profile = Profile.resolve(profile_dir)
    profile.settings.remove(HAS_DATA_SETTING)  # as written by an older version
    assert open_again(profile_dir) is None
    assert Profile.resolve(profile_dir).settings.get(HAS_DATA_SETTING) is not None


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
def test_profile_folder_and_files_are_private(profile_dir, add_sample_integration):
    profile_dir.mkdir(mode=0o755)
    (profile_dir / "data.sqlite3").touch(mode=0o644)
    os.chmod(profile_dir / "data.sqlite3", 0o644)
    context = AppContext(Profile.resolve(profile_dir))
    try:
        add_sample_integration(context.integrations)
        context.settings.set("api_url", "http://127.0.0.1:1")
        # While open: the WAL and its index exist and are private too.
        for name in ("data.sqlite3", "data.sqlite3-wal", "data.sqlite3-shm", "settings.json"):
            mode = stat.S_IMODE((profile_dir / name).stat().st_mode)
            assert mode == 0o600, (name, oct(mode))
        assert stat.S_IMODE(profile_dir.stat().st_mode) == 0o700
    finally:
        context.close()
