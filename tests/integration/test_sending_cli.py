"""The ``send`` and ``thread`` commands, and exactly-once delivery across a killed process."""

from __future__ import annotations

import signal
import subprocess
import sys
import time

import httpx
import pytest
from file_keyring import KEYRING_FILE_ENV, FileKeyring, child_env

from flowdock_desktop import cli
from flowdock_desktop.auth.credentials import CredentialStore
from flowdock_desktop.context import AppContext
from flowdock_desktop.testing import connect_demo_source as make_integration
from flowdock_desktop.testing import messages_by_uuid, sign_in_demo_user


@pytest.fixture(autouse=True)
def _no_faults(sandbox):
    yield
    httpx.delete(sandbox.base_url + "/sandbox/faults")


def test_send_command_posts_and_thread_command_reads(sandbox, profile_dir, capsys, tmp_path):
    with AppContext() as context:
        integration, _ = make_integration(context, sandbox.base_url, "CLI bot")
    body = tmp_path / "body.md"
    body.write_text("Version **1.4** is out")
    status = cli.main(
        [
            "send",
            "--integration",
            integration.id,
            "--title",
            "released",
            "--thread-title",
            "Releases",
            "--status",
            "shipped:green",
            "--field",
            "Version=1.4",
            "--body-markdown",
            str(body),
            "--author",
            "Release bot",
        ]
    )
    out = capsys.readouterr().out
    assert status == 0, out
    assert "Sent to Acme / Main" in out
    uuid = out.rsplit("uuid ", 1)[1].strip()
    (stored,) = messages_by_uuid(sandbox, uuid)
    assert stored["thread"]["title"] == "Releases"
    assert stored["thread"]["status"] == {"value": "shipped", "color": "green"}
    assert "<strong>1.4</strong>" in stored["thread"]["body"]

    # Reading threads needs the person's sign-in; without it the local history is shown.
    assert (
        cli.main(["thread", "--integration", integration.id, "--external-thread-id", "releases"])
        == 0
    )
    captured = capsys.readouterr()
    assert "Status: shipped (green)" in captured.out
    assert "Thread: Releases" in captured.out
    assert "Sign in" in captured.err

    # Signed in, the thread as Flowdock has it now, counted in words that agree.
    with AppContext() as context:
        sign_in_demo_user(context, sandbox.base_url)
    assert (
        cli.main(["thread", "--integration", integration.id, "--external-thread-id", "releases"])
        == 0
    )
    out = capsys.readouterr().out
    assert "Version: 1.4" in out
    assert "Activity: 1 message\n" in out


def test_send_command_explains_validation_errors(sandbox, profile_dir, capsys):
    with AppContext() as context:
        integration, _ = make_integration(context, sandbox.base_url, "CLI bot")
    status = cli.main(
        ["send", "--integration", integration.id, "--title", "x", "--status", "open:pink"]
    )
    err = capsys.readouterr().err
    assert status == 1
    assert "thread.title: can't be blank" in err
    assert "thread.status.color: must be one of" in err
    assert "author.name: can't be blank" in err
    assert cli.main(["send", "--integration", "nope", "--title", "x"]) == 1
    assert "no integration with the id or source name “nope”" in capsys.readouterr().err


def test_an_integration_is_named_by_the_start_of_its_id_or_its_source_name(
    sandbox, profile_dir, capsys
):
    """Nobody types 32 hex digits: the start of the id does, as long as only one id starts so,
    and so does the source name in any case; several matches are listed, not guessed."""
    with AppContext() as context:
        bot, _ = make_integration(context, sandbox.base_url, "Deploy bot")
        other, _ = make_integration(context, sandbox.base_url, "Build bot")
        twin, _ = make_integration(context, sandbox.base_url, "Build bot")
    # Ids are random: the shortest start of bot's id that no other id shares.
    length = next(
        n for n in range(1, 33) if not any(i.startswith(bot.id[:n]) for i in (other.id, twin.id))
    )
    for given, title in ((bot.id[:length].upper(), "by id"), ("deploy BOT", "by name")):
        args = ["--thread-title", "Named", "--title", title, "--author", "Release bot"]
        status = cli.main(["send", "--integration", given, *args])
        out, err = capsys.readouterr()
        assert status == 0, err
        (stored,) = messages_by_uuid(sandbox, out.rsplit("uuid ", 1)[1].strip())
        assert stored["title"] == title
    with AppContext() as context:
        sent = context.outbox.list(states=("sent",))
        assert [(i.integration_id, i.payload["title"]) for i in sent] == [
            (bot.id, "by id"),
            (bot.id, "by name"),
        ]

    # Two sources share a name: both are listed, and nothing is sent.
    assert cli.main(["send", "--integration", "build bot", "--thread-title", "x"]) == 1
    err = capsys.readouterr().err
    assert "“build bot” could be any of 2 integrations: " in err
    assert other.id in err and twin.id in err and "Give more of the id." in err
    with AppContext() as context:
        assert len(context.outbox.list()) == 2

    # The outbox listing takes the same names.
    assert cli.main(["outbox", "--integration", "Deploy bot", "--all"]) == 0
    listing = capsys.readouterr().out
    assert "by id" in listing and "by name" in listing


def test_killed_mid_send_is_delivered_exactly_once_after_restart(
    sandbox, profile_dir, tmp_path, monkeypatch
):
    keyring_file = tmp_path / "keyring.json"
    monkeypatch.setenv(KEYRING_FILE_ENV, str(keyring_file))
    with AppContext(credentials=CredentialStore(FileKeyring())) as context:
        integration, _ = make_integration(context, sandbox.base_url, "CLI bot")
    env = child_env(keyring_file, profile_dir)
    # The sandbox holds the post long enough for the sender to be killed while waiting.
    httpx.post(
        sandbox.base_url + "/sandbox/faults",
        json={"count": 1, "latency_ms": 1500, "path_prefix": "/messages"},
    ).raise_for_status()
    child = subprocess.Popen(
        [
            *(sys.executable, "-m", "flowdock_desktop", "send", "--integration", integration.id),
            *("--title", "started", "--thread-title", "Killed deploy", "--author", "CI"),
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        # The armed fault is taken when the request reaches the sandbox: it is in flight.
        deadline = time.monotonic() + 30
        while sandbox.faults.pending() and child.poll() is None:
            assert time.monotonic() < deadline, "the send never reached the sandbox"
            time.sleep(0.02)
        child.send_signal(signal.SIGKILL)
    finally:
        child.wait(timeout=30)
    assert child.returncode == -signal.SIGKILL

    with AppContext(credentials=CredentialStore(FileKeyring())) as context:
        (item,) = context.outbox.list(integration.id)
        assert item.state == "sending"  # died mid-send; nothing was lost
        # A restart after the claim's lease: age the claim instead of waiting two minutes.
        with context.db.transaction() as conn:
            conn.execute("UPDATE outbox SET claimed_at = claimed_at - 3600")
    # Whether the killed attempt reached the server or not (here the sandbox was still
    # holding it, so it was dropped), the restart's resend carries the same uuid.
    flush = subprocess.run(
        [sys.executable, "-m", "flowdock_desktop", "outbox", "--flush"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert flush.returncode == 0, flush.stdout + flush.stderr
    assert "Sent" in flush.stdout
    with AppContext(credentials=CredentialStore(FileKeyring())) as context:
        assert context.outbox.get(item.id).state == "sent"
        assert context.history.get(item.uuid) is not None
    # Exactly one message with that uuid on the server.
    assert len(messages_by_uuid(sandbox, item.uuid)) == 1


def test_send_without_author_uses_the_recorded_sign_in_even_when_the_tokens_are_gone(
    sandbox, profile_dir, capsys
):
    from flowdock_desktop.sandbox import seed

    with AppContext() as context:
        sign_in_demo_user(context, sandbox.base_url)
        integration, _ = make_integration(context, sandbox.base_url, "CLI bot")
        account = context.session().account
        context.credentials.delete_token_set(account.key)  # as a keyring that forgot them
    status = cli.main(
        ["send", "--integration", integration.id, "--title", "no author", "--thread-title", "T"]
    )
    out, err = capsys.readouterr()
    assert status == 0, err
    (stored,) = messages_by_uuid(sandbox, out.rsplit("uuid ", 1)[1].strip())
    assert stored["author"]["name"] == seed.DEMO_USER_NAME
