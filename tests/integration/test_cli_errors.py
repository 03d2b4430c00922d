"""No traceback for a person: each known bad input gets its own plain words and exit status,
and anything unforeseen ends in words, exit 70 and a scrubbed crash report in the log folder.

Bad inputs are tried against the real command line, in a child process where the argument
bytes matter; random ones (hypothesis) run in-process through ``cli.main``, the same code.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from file_keyring import FileKeyring, child_env
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flowdock_desktop import cli
from flowdock_desktop.auth.credentials import CredentialStore
from flowdock_desktop.context import AppContext
from flowdock_desktop.problems import (
    EXIT_FAILED,
    EXIT_INTERNAL,
    EXIT_QUEUED,
    EXIT_USAGE,
)
from flowdock_desktop.testing import connect_demo_source, messages_by_uuid, sign_in_demo_user


@pytest.fixture
def integration(sandbox, profile_dir):
    with AppContext() as context:
        integration, _ = connect_demo_source(context, sandbox.base_url, "CLI bot")
    return integration


@pytest.fixture
def child(sandbox, profile_dir, tmp_path, monkeypatch):
    """``run(*args)``: the real ``flowdock-desktop`` in a child process, sharing a file keyring
    with an integration already set up; returns (status, stdout, stderr, integration id)."""
    keyring_file = tmp_path / "keyring.json"
    monkeypatch.setenv("FLOWDOCK_TEST_KEYRING_FILE", str(keyring_file))
    with AppContext(credentials=CredentialStore(FileKeyring())) as context:
        integration, _ = connect_demo_source(context, sandbox.base_url, "CLI bot")
    env = child_env(keyring_file, profile_dir)

    def run(*args: str | bytes) -> tuple[int, str, str]:
        done = subprocess.run(
            [sys.executable, "-m", "flowdock_desktop", *args],
            env=env,
            capture_output=True,
            timeout=60,
        )
        out = done.stdout.decode("utf-8", "replace")
        err = done.stderr.decode("utf-8", "replace")
        return done.returncode, out, err

    run.integration_id = integration.id  # type: ignore[attr-defined]
    return run


@pytest.fixture
def signed_in(sandbox, profile_dir):
    """The demo user signed in, so ``connect`` gets as far as checking the flow and name."""
    with AppContext() as context:
        sign_in_demo_user(context, sandbox.base_url)


def outbox_count(profile_dir) -> int:
    with AppContext() as context:
        return len(context.outbox.list())


def assert_plain(err: str) -> None:
    assert "Traceback" not in err
    assert err.startswith("flowdock-desktop: ")


def test_json_nested_100000_deep(child, tmp_path, profile_dir):
    deep = tmp_path / "deep.json"
    deep.write_text('{"title": ' + "[" * 100_000 + "]" * 100_000 + "}")
    status, _, err = child("send", "--integration", child.integration_id, "--json", str(deep))
    assert status == EXIT_FAILED
    assert_plain(err)
    assert "100001 levels deep" in err and str(deep) in err
    assert outbox_count(profile_dir) == 0


def test_lone_surrogate_in_json_title(child, tmp_path, profile_dir):
    message = tmp_path / "message.json"
    # "\ud800" in JSON is half of a character pair: valid JSON escape, invalid text.
    message.write_text(
        '{"event": "activity", "title": "deployed \\ud800", "author": {"name": "CI"},'
        ' "external_thread_id": "t", "thread": {"title": "T"}}'
    )
    status, _, err = child("send", "--integration", child.integration_id, "--json", str(message))
    assert status == EXIT_FAILED
    assert_plain(err)
    assert "title: contains U+D800" in err and "lone surrogate" in err
    assert outbox_count(profile_dir) == 0


def test_invalid_utf8_in_body_markdown(child, tmp_path, profile_dir):
    body = tmp_path / "body.md"
    body.write_bytes(b"Version 1.4\nis \xff out\n")
    status, _, err = child(
        *("send", "--integration", child.integration_id, "--title", "x"),
        *("--thread-title", "T", "--author", "CI", "--body-markdown", str(body)),
    )
    assert status == EXIT_FAILED
    assert_plain(err)
    assert f"The body file {body} is not UTF-8 text: byte 0xff on line 2" in err
    assert outbox_count(profile_dir) == 0


def test_argument_bytes_that_are_not_utf8(child, profile_dir):
    status, _, err = child(
        *("send", "--integration", child.integration_id, "--title"),
        b"deployed \xff\xfe",
        *("--thread-title", "T", "--author", "CI"),
    )
    assert status == EXIT_USAGE
    assert_plain(err)
    assert "--title is not valid text" in err and "\\xff" in err
    assert outbox_count(profile_dir) == 0


def test_nan_and_huge_numbers_in_json(child, tmp_path):
    for text, words in (
        ('{"title": NaN}', "NaN is not a JSON number"),
        ('{"title": 1e999}', "too large"),
        ("[1, 2]", "must hold one message object"),
    ):
        message = tmp_path / "message.json"
        message.write_text(text)
        status, _, err = child(
            "send", "--integration", child.integration_id, "--json", str(message)
        )
        assert status == EXIT_FAILED, err
        assert_plain(err)
        assert words in err


def test_a_file_that_cannot_be_read(child, tmp_path):
    status, _, err = child(
        "send", "--integration", child.integration_id, "--json", str(tmp_path / "missing.json")
    )
    assert status == EXIT_FAILED
    assert_plain(err)
    assert "Could not read the JSON file" in err and "No such file" in err


def test_unexpected_error_leaves_a_scrubbed_crash_report(
    integration, profile_dir, monkeypatch, capsys
):
    token = "d4e5f6a7b8c9d0e1f2a3b4c5d6e7f8a9"

    def broken(args):
        raise RuntimeError(f"posting with flow_token={token} failed")

    monkeypatch.setattr("flowdock_desktop.send_commands._send", broken)
    status = cli.main(["send", "--integration", integration.id, "--title", "x"])
    err = capsys.readouterr().err
    assert status == EXIT_INTERNAL
    assert "Traceback" not in err and token not in err
    assert "Something went wrong inside Flowdock Desktop (RuntimeError)" in err
    (report,) = (profile_dir / "logs").glob("crash-*.txt")
    assert f"A crash report was written to {report}." in err
    text = report.read_text()
    assert "Traceback" in text and "RuntimeError" in text and "broken" in text
    assert token not in text
    if os.name == "posix":
        assert report.stat().st_mode & 0o777 == 0o600


def test_interrupt_is_exit_130_without_traceback(integration, monkeypatch, capsys):
    def interrupted(args):
        raise KeyboardInterrupt

    monkeypatch.setattr("flowdock_desktop.send_commands._send", interrupted)
    assert cli.main(["send", "--integration", integration.id, "--title", "x"]) == 130
    assert "Traceback" not in capsys.readouterr().err


# -- random input --------------------------------------------------------------------------

#: Text as a person's terminal can hand it over: any Unicode, plus bytes that were not UTF-8
#: (Python passes those on as lone surrogates, exactly as a child process would receive them).
argument_text = st.one_of(
    st.text(max_size=60),
    st.binary(max_size=40).map(os.fsdecode),
)
file_content = st.one_of(
    st.binary(max_size=300),
    st.text(max_size=300).map(lambda text: text.encode("utf-8", "surrogatepass")),
    st.recursive(
        st.none() | st.booleans() | st.floats() | st.text(max_size=20),
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner),
        max_leaves=20,
    ).map(lambda value: json.dumps(value).encode()),
)
ALLOWED = {0, EXIT_FAILED, EXIT_USAGE, EXIT_QUEUED}


def fuzz(examples: int):
    """Hypothesis settings for runs of the real command line (slow-ish, fixtures reused)."""
    return settings(
        max_examples=examples,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )


def run_cli(argv: list[str], capsys) -> tuple[int, str]:
    try:
        status = cli.main(argv)
    except SystemExit as exc:  # the argument parser's usage errors
        status = int(exc.code or 0)
    return status, capsys.readouterr().err


def assert_answered_in_words(status: int, err: str, profile_dir) -> None:
    assert status in ALLOWED, err
    assert "Traceback" not in err
    if status:
        assert err.strip(), "a failure must say why"
    assert not list(profile_dir.glob("logs/crash-*.txt")), err


@fuzz(60)
@given(
    option=st.sampled_from(
        [
            "--title",
            "--thread-title",
            "--external-thread-id",
            "--status",
            "--field",
            "--author",
            "--tag",
            "--external-url",
            "--avatar",
            "--integration",
        ]
    ),
    value=argument_text,
)
def test_send_answers_any_text_in_words(integration, profile_dir, capsys, option, value):
    base = ["--integration", integration.id, "--title", "released"]
    base += ["--thread-title", "Releases", "--author", "CI"]
    # Given last, the value replaces a default above (or adds to a repeatable option).
    status, err = run_cli(["send", *base, f"{option}={value}"], capsys)
    assert_answered_in_words(status, err, profile_dir)


@fuzz(60)
@given(
    which=st.sampled_from(["--json", "--body-markdown", "--message-markdown"]), data=file_content
)
def test_send_answers_any_file_in_words(integration, profile_dir, tmp_path, capsys, which, data):
    path = tmp_path / "input"
    path.write_bytes(data)
    argv = ["send", "--integration", integration.id, which, str(path)]
    if which != "--json":
        argv += ["--title", "x", "--thread-title", "T", "--author", "CI", "--event", "discussion"]
    status, err = run_cli(argv, capsys)
    assert_answered_in_words(status, err, profile_dir)


@fuzz(40)
@given(
    argv=st.one_of(
        st.tuples(st.just("thread"), st.just("--integration"), argument_text),
        st.tuples(st.just("thread"), st.just("--external-thread-id"), argument_text),
        st.tuples(st.just("outbox"), st.just("--integration"), argument_text),
        st.tuples(st.just("connect"), st.just("--flow"), argument_text),
        st.tuples(st.just("connect"), st.just("--flow-id"), argument_text),
        st.tuples(st.just("connect"), st.just("--name"), argument_text),
        st.tuples(st.just("login"), st.just("--client-id"), argument_text),
        st.tuples(st.just("login"), st.just("--scope"), argument_text),
    )
)
def test_other_commands_answer_any_name_in_words(signed_in, integration, profile_dir, capsys, argv):
    command, option, value = argv
    args = [command, f"{option}={value}"]
    if command == "thread":
        args += ["--integration=" + integration.id, "--external-thread-id=x"]
    elif command == "connect":
        args += ["--name=n"] if option != "--name" else ["--flow=acme/main"]
    elif command == "login":
        # A closed port: the command must answer before any browser is involved.
        args += ["--api-url=http://127.0.0.1:9", "--timeout=1"]
    status, err = run_cli(args, capsys)
    assert_answered_in_words(status, err, profile_dir)


def test_without_a_keyring_the_terminal_gets_words_not_log_lines(sandbox, tmp_path):
    """No usable keyring: the command says so in its own words; the logger's warning about
    the missing backend is not printed raw in the middle of them."""
    env = child_env(tmp_path / "unused.json", tmp_path / "profile")
    env["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"
    done = subprocess.run(
        [sys.executable, "-m", "flowdock_desktop", "status"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1  # no one signed in, as `gh auth status` says
    assert "no usable system keyring" in done.stdout
    assert "keyring backend" not in done.stderr and "Traceback" not in done.stderr


def test_a_damaged_outbox_row_is_listed_failed_and_discarded(child, sandbox, profile_dir):
    """A row whose stored message cannot be read (a damaged file) is shown with plain words,
    never posted, refused for retry, and discarded; the other rows go on as before."""
    from flowdock_desktop.store.outbox import DAMAGED_TEXT

    def thread_message(thread: str, title: str) -> dict:
        return {
            "event": "activity",
            "title": title,
            "author": {"name": "CI"},
            "external_thread_id": thread,
            "thread": {"title": thread},
        }

    with AppContext() as context:
        outbox = context.outbox
        damaged = outbox.enqueue(child.integration_id, thread_message("deploy:1", "lost"))
        good = outbox.enqueue(child.integration_id, thread_message("deploy:2", "kept"))
        context.db.execute(
            'UPDATE outbox SET payload = \'{"event": "activ\' WHERE id = ?', (damaged.id,)
        )

    status, out, err = child("outbox")
    assert (status, err) == (0, "")
    assert DAMAGED_TEXT in out and "(damaged message)" in out and "kept" in out
    assert "1 message damaged (the stored text cannot be read) and cannot be sent" in out
    assert "1 message waiting to be sent" in out  # the damaged one is not counted as waiting

    status, out, err = child("outbox", "--flush")
    assert status == EXIT_FAILED and "Traceback" not in err
    assert f"Not sent {damaged.id} ((damaged message)): {DAMAGED_TEXT}" in out
    assert f"Sent {good.id} (kept)." in out
    assert messages_by_uuid(sandbox, damaged.uuid) == []
    assert len(messages_by_uuid(sandbox, good.uuid)) == 1

    status, _, err = child("outbox", "--retry", str(damaged.id))
    assert status == EXIT_FAILED
    assert_plain(err)
    assert DAMAGED_TEXT in err

    # The history (read by ``thread``) and ``outbox --all`` go on around the damaged row.
    status, out, err = child(
        "thread", "--integration", child.integration_id, "--external-thread-id", "deploy:2"
    )
    assert status == 0 and "Thread: deploy:2" in out and "Traceback" not in err
    status, out, _ = child("outbox", "--all")
    assert status == 0 and "(damaged message)" in out and "kept" in out

    status, out, err = child("outbox", "--discard", str(damaged.id))
    assert (status, err) == (0, "") and f"Discarded message {damaged.id}." in out
    status, out, _ = child("outbox", "--all")
    assert status == 0 and "damaged" not in out and "kept" in out
