"""The ``reconnect`` command: an integration whose flow token is not on this computer is
reconnected from the command line, against the real sandbox over loopback."""

from __future__ import annotations

import subprocess
import sys
import threading

import keyring
import pytest
from auth.conftest import authorize_redirect
from file_keyring import KEYRING_FILE_ENV, FileKeyring, child_env
from keyring.backends import fail
from test_outbox_cli import MESSAGE

from flowdock_desktop import cli
from flowdock_desktop.auth.credentials import (
    LOCKED_KEYRING_ERROR,
    NO_KEYRING_ERROR,
    CredentialStore,
)
from flowdock_desktop.context import AppContext
from flowdock_desktop.problems import EXIT_NEEDS_RECONNECT
from flowdock_desktop.testing import (
    connect_demo_source,
    expire_access_tokens,
    messages_by_uuid,
    revoke_refresh_tokens,
    sign_in_demo_user,
)

SEND = ["--title", "nightly built", "--thread-title", "Nightly", "--author", "CI"]


def sources(sandbox, integration) -> list[tuple[int, str]]:
    """The flow's live sources in the sandbox named as the integration's, as (id, name)
    (each test names its own: the sandbox is shared by the module)."""
    found = sandbox.state.flow_sources(integration.flow_id, sandbox.base_url)
    name = integration.source_name
    return sorted((int(s["id"]), s["name"]) for s in found if s["name"] == name)


def queued_while_token_missing(context: AppContext, sandbox, name: str, capsys):
    """An integration that lost its flow token, and a message ``send`` kept for it (78)."""
    integration, source = connect_demo_source(context, sandbox.base_url, name)
    context.credentials.delete_flow_token(integration.id)
    status = cli.main(["send", "--integration", integration.id, *SEND])
    err = capsys.readouterr().err
    assert status == EXIT_NEEDS_RECONNECT, err
    uuid = err.rsplit("(uuid ", 1)[1].split(")")[0]
    return integration, source, uuid, err


def run_pasting(args: list[str], env: dict[str, str]) -> tuple[int, str, str]:
    """Run the real ``reconnect`` with ``args`` as a person does with --no-browser: read the
    address it prints, open it elsewhere (a paste that is no answer first), paste where it
    ended; (status, stdout, stderr)."""
    child = subprocess.Popen(
        [sys.executable, "-m", "flowdock_desktop", "reconnect", *args],
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    printed: list[str] = []

    def person() -> None:
        assert child.stdout is not None and child.stdin is not None
        for line in child.stdout:
            printed.append(line)
            if "/oauth/authorize?" in line:
                child.stdin.write("not an answer\n")
                child.stdin.write(authorize_redirect(line.strip()) + "\n")
                child.stdin.flush()

    reader = threading.Thread(target=person, daemon=True)
    reader.start()
    try:
        child.wait(timeout=90)
    finally:
        if child.poll() is None:
            child.kill()
    reader.join(timeout=30)
    err = child.stderr.read() if child.stderr else ""
    return child.returncode, "".join(printed), err


def test_send_waits_then_reconnect_by_name_sends_it_once_with_the_saved_sign_in(
    sandbox, profile_dir, memory_keyring, capsys
):
    with AppContext() as context:
        sign_in_demo_user(context, sandbox.base_url)
        integration, old, uuid, said = queued_while_token_missing(
            context, sandbox, "Nightly bot", capsys
        )
    # send's words name the command beside the app's Reconnect.
    assert f"flowdock-desktop reconnect --integration {integration.id} --flush" in said
    assert "press Reconnect" in said and "Do not send the message again" in said
    assert messages_by_uuid(sandbox, uuid) == []

    status = cli.main(["reconnect", "--integration", "nightly BOT", "--flush", "--timeout", "5"])
    out, err = capsys.readouterr()
    assert status == 0, out + err
    assert "Reconnected “Nightly bot” (acme/main)" in out
    assert "Sent " in out and "signing in" not in err  # the saved sign-in was used
    (stored,) = messages_by_uuid(sandbox, uuid)
    assert stored["title"] == "nightly built"
    with AppContext() as context:
        assert context.outbox.count_pending() == 0
        token = context.credentials.get_flow_token(integration.id)
        now = context.integrations.get(integration.id)
    # A new source of the same name; the old one, which nothing could post with, is gone.
    assert sources(sandbox, integration) == [(now.source_id, "Nightly bot")]
    assert now.source_id != old.id and token and token != old.flow_token
    assert token not in out + err + said

    # Asked again, there is nothing to do: said so, and nothing is made.
    with AppContext() as context:
        later = context.outbox.enqueue(integration.id, MESSAGE)
    assert cli.main(["reconnect", "--integration", integration.id, "--flush"]) == 0
    out = capsys.readouterr().out
    assert "does not need reconnecting" in out and "Nothing was changed" in out
    assert "1 message(s) of it wait in the outbox" in out
    # The command named sends its messages only, not every integration's.
    assert f"flowdock-desktop outbox --integration {integration.id} --flush" in out
    assert messages_by_uuid(sandbox, later.uuid) == []  # left for its next try, as said
    assert sources(sandbox, integration) == [(now.source_id, "Nightly bot")]
    assert len(messages_by_uuid(sandbox, uuid)) == 1


def test_reconnect_without_flush_makes_the_waiting_message_due(sandbox, profile_dir, capsys):
    with AppContext() as context:
        sign_in_demo_user(context, sandbox.base_url)
        integration, _, uuid, _ = queued_while_token_missing(context, sandbox, "Due bot", capsys)
    assert cli.main(["reconnect", "--integration", "due bot"]) == 0
    out = capsys.readouterr().out
    assert "1 message(s) that waited for it are due now" in out
    assert f"flowdock-desktop outbox --integration {integration.id} --flush" in out
    assert messages_by_uuid(sandbox, uuid) == []  # due, not sent by this command
    with AppContext() as context:
        (item,) = context.outbox.list(integration.id, states=("queued",))
        assert item.waits_for is None
    assert cli.main(["outbox", "--flush"]) == 0
    assert len(messages_by_uuid(sandbox, uuid)) == 1


def test_reconnect_not_needed_changes_nothing_even_when_not_signed_in(sandbox, profile_dir, capsys):
    with AppContext() as context:
        integration, source = connect_demo_source(context, sandbox.base_url, "Fine bot")
    before = sources(sandbox, integration)
    assert cli.main(["reconnect", "--integration", "Fine bot", "--flush"]) == 0
    out, err = capsys.readouterr()
    assert "“Fine bot” (acme/main) does not need reconnecting" in out, err
    assert "wait in the outbox" not in out
    assert sources(sandbox, integration) == before
    with AppContext() as context:
        assert context.credentials.get_flow_token(integration.id) == source.flow_token
        assert context.integrations.get(integration.id).source_id == source.id


def test_reconnect_with_no_browser_signs_in_with_the_pasted_address(
    sandbox, profile_dir, tmp_path, monkeypatch
):
    """No saved sign-in (a new computer): the real command prints the address, reads where
    the browser ended from standard input, then reconnects and sends what waited."""
    keyring_file = tmp_path / "keyring.json"
    monkeypatch.setenv(KEYRING_FILE_ENV, str(keyring_file))
    with AppContext(credentials=CredentialStore(FileKeyring())) as context:
        integration, old = connect_demo_source(context, sandbox.base_url, "Paste bot")
        context.credentials.delete_flow_token(integration.id)
        item = context.outbox.enqueue(integration.id, MESSAGE)
    status, out, err = run_pasting(
        ["--integration", "paste bot", "--no-browser", "--flush", "--timeout", "60"],
        child_env(keyring_file, profile_dir),
    )
    assert status == 0, out + err
    assert "signing in first" in err and "does not look like a sign-in code" in err
    assert "Open this address in a browser" in out and "Reconnected “Paste bot”" in out
    assert f"Sent {item.id}" in out
    assert len(messages_by_uuid(sandbox, item.uuid)) == 1
    with AppContext(credentials=CredentialStore(FileKeyring())) as context:
        token = context.credentials.get_flow_token(integration.id)
        assert token and context.session() is not None  # the sign-in is kept for next time
        assert context.outbox.count_pending() == 0
    assert [name for _, name in sources(sandbox, integration)] == ["Paste bot"]
    assert token not in out + err and old.flow_token not in out + err
    assert "access_token" not in out + err


def test_a_saved_sign_in_the_server_refuses_is_replaced_by_a_new_one(
    sandbox, profile_dir, tmp_path, monkeypatch
):
    """The saved sign-in is for this server but the server refuses its tokens (expired and
    revoked): the command says so, signs in again (pasted address) and reconnects."""
    keyring_file = tmp_path / "keyring.json"
    monkeypatch.setenv(KEYRING_FILE_ENV, str(keyring_file))
    with AppContext(credentials=CredentialStore(FileKeyring())) as context:
        sign_in_demo_user(context, sandbox.base_url)
        key = context.session().account.key
        stale = context.credentials.get_token_set(key)
        integration, _ = connect_demo_source(context, sandbox.base_url, "Stale bot")
        context.credentials.delete_flow_token(integration.id)
    # The server takes back every token it gave (the other tests sign in anew).
    expire_access_tokens(sandbox)
    revoke_refresh_tokens(sandbox)
    status, out, err = run_pasting(
        ["--integration", integration.id[:12], "--no-browser", "--timeout", "60"],
        child_env(keyring_file, profile_dir),
    )
    assert status == 0, out + err
    assert "The saved sign-in for" in err and "cannot be used any more" in err
    assert "Reconnected “Stale bot”" in out
    with AppContext(credentials=CredentialStore(FileKeyring())) as context:
        assert context.credentials.get_flow_token(integration.id)
        assert context.credentials.get_token_set(key).access_token != stale.access_token
    assert len(sources(sandbox, integration)) == 1


def test_reconnect_of_an_integration_removed_in_flowdock_is_refused_in_plain_words(
    sandbox, profile_dir, capsys
):
    with AppContext() as context:
        sign_in_demo_user(context, sandbox.base_url)
        integration, _ = connect_demo_source(context, sandbox.base_url, "Gone bot")
        context.integrations.mark_removed(integration.id)
    before = sources(sandbox, integration)
    assert cli.main(["reconnect", "--integration", "gone bot"]) == 1
    err = capsys.readouterr().err
    assert "“Gone bot” (acme/main) was removed in Flowdock, so it cannot be reconnected" in err
    assert "set it up again" in err and "Traceback" not in err
    assert sources(sandbox, integration) == before


def test_reconnect_without_a_keyring_says_so_and_makes_nothing(sandbox, profile_dir, capsys):
    with AppContext() as context:
        sign_in_demo_user(context, sandbox.base_url)
        integration, _ = connect_demo_source(context, sandbox.base_url, "Keyless bot")
        context.credentials.delete_flow_token(integration.id)
    before = sources(sandbox, integration)
    keyring.set_keyring(fail.Keyring())  # the fixture puts its own back afterwards
    assert cli.main(["reconnect", "--integration", "keyless bot"]) == 1
    err = capsys.readouterr().err
    assert NO_KEYRING_ERROR in err and "Traceback" not in err
    assert sources(sandbox, integration) == before


def test_reconnect_with_the_keyring_locked_says_so_and_makes_nothing(
    sandbox, profile_dir, lockable_keyring, capsys
):
    with AppContext() as context:
        sign_in_demo_user(context, sandbox.base_url)
        integration, _ = connect_demo_source(context, sandbox.base_url, "Locked bot")
        context.credentials.delete_flow_token(integration.id)
    before = sources(sandbox, integration)
    lockable_keyring.lock()
    assert cli.main(["reconnect", "--integration", "locked bot"]) == 1
    err = capsys.readouterr().err
    assert LOCKED_KEYRING_ERROR in err and "Traceback" not in err
    assert sources(sandbox, integration) == before
    lockable_keyring.unlock()  # unlocked, the same command does it
    assert cli.main(["reconnect", "--integration", "locked bot"]) == 0
    assert len(sources(sandbox, integration)) == 1
    assert sources(sandbox, integration) != before


def test_reconnect_unknown_or_unreachable_in_plain_words(
    profile_dir, add_sample_integration, capsys
):
    assert cli.main(["reconnect", "--integration", "nobody"]) == 1
    assert "no integration with the id or source name “nobody”" in capsys.readouterr().err
    with AppContext() as context:
        # Its server (127.0.0.1:8123) is not running; no sign-in is saved for it either.
        add_sample_integration(context.integrations)
    status = cli.main(["reconnect", "--integration", "Deploy bot", "--timeout", "5"])
    err = capsys.readouterr().err
    assert status == 1, err
    assert "Could not reach 127.0.0.1:8123" in err and "Traceback" not in err


@pytest.mark.parametrize("both", [False, True])
def test_flush_names_the_reconnect_command(sandbox, profile_dir, capsys, both):
    """``outbox --flush`` (78) names the command for each integration beside the app."""
    with AppContext() as context:
        first, _ = connect_demo_source(context, sandbox.base_url, "Twin A")
        second, _ = connect_demo_source(context, sandbox.base_url, "Twin B")
        for integration in (first, second)[: 2 if both else 1]:
            context.credentials.delete_flow_token(integration.id)
            context.outbox.enqueue(integration.id, MESSAGE)
    assert cli.main(["outbox", "--flush"]) == EXIT_NEEDS_RECONNECT
    out = capsys.readouterr().out
    assert f"flowdock-desktop reconnect --integration {first.id} --flush" in out
    assert (f"reconnect --integration {second.id}" in out) is both
    assert "press Reconnect" in out


def test_reconnect_to_a_flow_that_is_not_there_any_more_in_plain_words(
    sandbox, profile_dir, add_sample_integration, capsys
):
    with AppContext() as context:
        sign_in_demo_user(context, sandbox.base_url)
        integration = add_sample_integration(
            context.integrations, api_url=sandbox.base_url, flow_slug="closed-down"
        )
    status = cli.main(["reconnect", "--integration", integration.id, "--timeout", "5"])
    err = capsys.readouterr().err
    assert status == 1, err
    assert "The flow acme/closed-down was not found" in err and "not a member" in err
    assert "signing in" not in err and "Traceback" not in err
    with AppContext() as context:
        assert context.credentials.get_flow_token(integration.id) is None
        assert context.integrations.get(integration.id).source_id == integration.source_id


def test_reconnect_flush_sends_only_what_waited_for_the_reconnected_integration(
    sandbox, profile_dir, capsys
):
    """Another integration's waiting message is not sent by ``reconnect --flush`` (its next
    try, or ``outbox --flush``, sends it): the output says what was left and how to send it."""
    with AppContext() as context:
        sign_in_demo_user(context, sandbox.base_url)
        lost, _, uuid, _ = queued_while_token_missing(context, sandbox, "Lost bot", capsys)
        other, _ = connect_demo_source(context, sandbox.base_url, "Other bot")
        left = context.outbox.enqueue(other.id, MESSAGE)
    status = cli.main(["reconnect", "--integration", "lost bot", "--flush", "--timeout", "5"])
    out, err = capsys.readouterr()
    assert status == 0, out + err
    assert "Reconnected “Lost bot” (acme/main)" in out
    assert len(messages_by_uuid(sandbox, uuid)) == 1
    assert messages_by_uuid(sandbox, left.uuid) == []  # not the reconnected one's
    assert f"Sent {left.id} " not in out
    assert (
        "Only “Lost bot”'s messages were sent now; 1 message(s) of other integrations wait "
        "for their next try (flowdock-desktop outbox --flush sends them now)."
    ) in out
    with AppContext() as context:
        assert context.outbox.count_pending(lost.id) == 0
        assert context.outbox.count_pending(other.id) == 1

    assert cli.main(["outbox", "--flush"]) == 0  # still the way to send everything
    assert f"Sent {left.id} " in capsys.readouterr().out
    assert len(messages_by_uuid(sandbox, left.uuid)) == 1


def test_outbox_flush_with_an_integration_sends_only_its_messages(sandbox, profile_dir, capsys):
    with AppContext() as context:
        chosen, _ = connect_demo_source(context, sandbox.base_url, "Chosen bot")
        other, _ = connect_demo_source(context, sandbox.base_url, "Another bot")
        mine = context.outbox.enqueue(chosen.id, MESSAGE)
        theirs = context.outbox.enqueue(other.id, MESSAGE)
    assert cli.main(["outbox", "--flush", "--integration", "chosen bot"]) == 0
    out = capsys.readouterr().out
    assert f"Sent {mine.id} " in out and f"Sent {theirs.id} " not in out
    assert len(messages_by_uuid(sandbox, mine.uuid)) == 1
    assert messages_by_uuid(sandbox, theirs.uuid) == []
    assert "1 message(s) of other integrations wait for their next try" in out

    # Nothing left of it: said so, and the other's message is still not sent.
    assert cli.main(["outbox", "--flush", "--integration", "chosen bot"]) == 0
    out = capsys.readouterr().out
    assert "Nothing of “Chosen bot” waits in the outbox." in out
    assert messages_by_uuid(sandbox, theirs.uuid) == []
