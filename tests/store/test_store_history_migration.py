"""Schema 4 makes a sent outbox row the message's history entry: a profile written by schema 3
reads the same after the upgrade, and what a discard or a 410 does to the history is kept.

``data/profile-schema-3.sql`` holds the rows of a profile written by the previous version's own
code (main at c97805e, schema 3, through ``Outbox``, ``History`` and ``IntegrationStore``):
"Deploy bot" sent messages to two threads (one answered 202 with no body, one posted by
Flowdock thread id), had one refused and one sent and then discarded from the outbox; "Build
bot" sent two, had one refused and one claimed when its source answered 410, so its messages
are ``gone``, it is removed and its history was deleted (``SendService.forget_removed``).
``data/profile-schema-3-reads.json`` is what that version read from it (``_reads`` run with
its code): the history, the threads the composer lists, the outbox, and the ``outbox``
command's output.
"""

from __future__ import annotations

import argparse
import dataclasses
import io
import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from flowdock_desktop.auth.credentials import CredentialStore, MemoryKeyring
from flowdock_desktop.context import AppContext
from flowdock_desktop.store.db import MIGRATIONS, SCHEMA_VERSION, open_database
from flowdock_desktop.store.profile import Profile

DATA = Path(__file__).parent / "data"


def load_schema_3_profile(directory: Path) -> None:
    """Write the schema 3 profile's data file into ``directory``: the schema as the first three
    migrations make it, then the dumped rows."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "data.sqlite3"
    open_database(path, migrations=MIGRATIONS[:3]).close()
    conn = sqlite3.connect(path)  # foreign keys off: the dump lists tables by name
    try:
        rows = (DATA / "profile-schema-3.sql").read_text(encoding="utf-8")
        conn.executescript(f"BEGIN; {rows} COMMIT;")
    finally:
        conn.close()


def _cli(directory: Path, *argv: str) -> str:
    from flowdock_desktop import send_commands

    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command")
    send_commands.register(sub, parser)
    args = parser.parse_args(list(argv))
    out = io.StringIO()
    assert args.handler(args, out) == 0
    return out.getvalue()


def _plain(value: Any) -> Any:
    """Dataclasses as dicts and tuples as lists: what the JSON file holds."""
    return json.loads(
        json.dumps(dataclasses.asdict(value) if dataclasses.is_dataclass(value) else value)
    )


def _reads(context: AppContext, directory: Path) -> dict[str, Any]:
    """Everything a person or the composer reads of the history and the outbox."""
    from flowdock_desktop.sending import SendService

    service = SendService(context)
    reads: dict[str, Any] = {"integrations": {}}
    uuids = sorted(
        {
            row[0]
            for row in context.db.query("SELECT uuid FROM outbox UNION SELECT uuid FROM history")
        }
    )
    reads["get"] = {uuid: _plain(context.history.get(uuid)) for uuid in [*uuids, "missing"]}
    for integration in context.integrations.list():
        views = service.threads(integration.id, fetch=False).threads
        reads["integrations"][integration.source_name] = {
            "list": [_plain(entry) for entry in context.history.list(integration.id)],
            "list_2": [_plain(entry) for entry in context.history.list(integration.id, limit=2)],
            "threads": [_plain(summary) for summary in context.history.threads(integration.id)],
            "composer": [
                [v.key, v.title, v.status_value, v.status_color, v.activity_count, v.thread_id]
                for v in views
            ],
        }
    items = context.outbox.list()
    assert not any(item.damaged for item in items)  # the upgrade leaves every row readable
    # Nothing waited for Reconnect or the keyring then (schema 5 keeps what a try found).
    assert not any(item.waits_for for item in items)
    # ``damaged`` and ``waits_for`` are newer than that version's reads: compared above, not
    # through the file.
    newer = {"damaged", "waits_for"}
    reads["outbox"] = [
        {key: value for key, value in _plain(item).items() if key not in newer} for item in items
    ]
    reads["cli_outbox"] = _cli(directory, "outbox")
    reads["cli_outbox_all"] = _cli(directory, "outbox", "--all")
    return reads


@pytest.fixture
def upgraded(profile_dir):
    load_schema_3_profile(profile_dir)
    context = AppContext(Profile(profile_dir), CredentialStore(MemoryKeyring()))
    yield context
    context.close()


def _expected() -> dict[str, Any]:
    return json.loads((DATA / "profile-schema-3-reads.json").read_text(encoding="utf-8"))


def test_a_schema_3_profile_reads_the_same_after_the_upgrade(upgraded, profile_dir):
    assert upgraded.db.query("SELECT version FROM schema_version")[0][0] == SCHEMA_VERSION
    expected = _expected()
    # The file holds what the test needs: sent, refused, discarded and 410-gone messages.
    states = [item["state"] for item in expected["outbox"]]
    assert {"sent", "failed", "gone"} <= set(states)
    assert len(expected["integrations"]["Deploy bot"]["list"]) == 6  # one discarded from outbox
    assert expected["integrations"]["Build bot"]["list"] == []  # deleted after the 410
    assert _reads(upgraded, profile_dir) == expected


def test_after_the_upgrade_new_sends_join_and_old_entries_survive_a_discard(upgraded, profile_dir):
    deploy = next(i for i in upgraded.integrations.list() if i.source_name == "Deploy bot")
    before = upgraded.history.list(deploy.id)
    outbox = upgraded.outbox
    item = outbox.claim(
        outbox.enqueue(
            deploy.id,
            {
                "event": "activity",
                "title": "again",
                "external_thread_id": "deploy:2",
                "thread": {"status": {"value": "redo", "color": "red"}},
            },
        )
    )
    outbox.mark_sent(item, {"id": 900, "thread_id": "thr-deploy:2"})
    after = upgraded.history.list(deploy.id)
    assert [e.uuid for e in after] == [item.uuid] + [e.uuid for e in before]
    assert (after[0].message_id, after[0].status_value) == (900, "redo")
    second = next(t for t in upgraded.history.threads(deploy.id) if t.key == "deploy:2")
    assert (second.status_value, second.message_count) == ("redo", 3)
    # Discarding every old sent row from the outbox leaves the history as it was.
    for old in outbox.list(deploy.id, states=("sent",)):
        if old.id != item.id:
            assert outbox.discard(old.id)
    assert upgraded.history.list(deploy.id) == after


def test_a_damaged_schema_3_file_is_recovered_with_the_same_history(profile_dir):
    from flowdock_desktop.store.health import StoreDamaged

    load_schema_3_profile(profile_dir)
    path = profile_dir / "data.sqlite3"
    conn = sqlite3.connect(path)
    size = conn.execute("PRAGMA page_size").fetchone()[0]
    # An index page overwritten: every row is still in its table, so all can be recovered.
    (page,) = conn.execute(
        "SELECT pageno FROM dbstat WHERE name = 'integrations_by_flow'"
    ).fetchone()
    conn.close()
    data = bytearray(path.read_bytes())
    data[(page - 1) * size : page * size] = b"\xff" * size
    path.write_bytes(bytes(data))
    context = AppContext(Profile(profile_dir), CredentialStore(MemoryKeyring()))
    try:
        with pytest.raises(StoreDamaged):
            context.integrations.list()
    finally:
        context.close()
    with AppContext(Profile(profile_dir), CredentialStore(MemoryKeyring())) as context:
        reads = _reads(context, profile_dir)
    expected = _expected()
    # Every row came back, and the history reads as before (Build bot's stays deleted).
    assert reads["outbox"] == expected["outbox"]
    assert reads["integrations"] == expected["integrations"]
