"""Tests for the ``integrations`` and ``outbox`` commands, flushing through the real sandbox."""

from __future__ import annotations

import argparse
import io

import pytest

from flowdock_desktop.auth import credentials as credentials_module
from flowdock_desktop.auth.credentials import CredentialStore, MemoryKeyring
from flowdock_desktop.store import commands
from flowdock_desktop.store.db import Database
from flowdock_desktop.store.integrations import IntegrationStore
from flowdock_desktop.store.profile import Profile

MESSAGE = {
    "event": "activity",
    "title": "deployed api",
    "author": {"name": "Deploy bot"},
    "external_thread_id": "deploy:api",
    "thread": {"title": "Deploy api", "status": {"value": "done", "color": "green"}},
}


def run(profile_dir, *argv: str) -> tuple[int, str]:
    """Parse and run one command with only this module's commands registered."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--profile")
    sub = parser.add_subparsers(dest="command")
    commands.register(sub, parser)
    args = parser.parse_args(["--profile", str(profile_dir), *argv])
    out = io.StringIO()
    status = args.handler(args, out)
    return status, out.getvalue()


@pytest.fixture
def profile(tmp_path) -> Profile:
    return Profile.resolve(tmp_path / "profile")


@pytest.fixture
def keyring_store(monkeypatch) -> CredentialStore:
    store = CredentialStore(MemoryKeyring())
    monkeypatch.setattr(credentials_module, "CredentialStore", lambda *a, **k: store)
    return store


def test_integrations_lists_table(profile, add_sample_integration):
    assert run(profile.dir, "integrations")[1].startswith("No integrations yet")
    with Database(profile.db_path) as db:
        kept = add_sample_integration(IntegrationStore(db))
        removed = add_sample_integration(
            IntegrationStore(db), source_id=2, source_name="Old bot", flow_slug="ann"
        )
        IntegrationStore(db).mark_removed(removed.id)
    status, text = run(profile.dir, "integrations")
    lines = text.splitlines()
    assert status == 0
    assert lines[0].split()[:5] == ["ID", "FLOW", "ORGANIZATION", "SOURCE", "STATE"]
    assert kept.id in lines[1] and "acme/main" in lines[1] and "active" in lines[1]
    assert removed.id in lines[2] and "removed" in lines[2]
    active_only = run(profile.dir, "integrations", "--active")[1]
    assert removed.id not in active_only


def test_commands_are_wired_into_the_main_entry_point(profile, monkeypatch, capsys):
    from flowdock_desktop import cli

    # main() exports the profile through the environment; let monkeypatch restore it.
    monkeypatch.setenv("FLOWDOCK_DESKTOP_HOME", str(profile.dir))
    assert cli.main(["--profile", str(profile.dir), "integrations"]) == 0
    assert "No integrations yet" in capsys.readouterr().out
    assert cli.main(["--profile", str(profile.dir), "outbox"]) == 0
    assert "empty" in capsys.readouterr().out
