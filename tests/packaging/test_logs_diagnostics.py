"""Logs go to a rotating file with secrets scrubbed; the diagnostics report carries no secret."""

from __future__ import annotations

import logging

import httpx
import pytest

from flowdock_desktop.context import AppContext
from flowdock_desktop.diagnostics import collect_diagnostics
from flowdock_desktop.logs import (
    REDACTED,
    last_lines,
    log_file,
    redact_text,
    setup_logging,
    shutdown_logging,
)
from flowdock_desktop.store.profile import Profile

FLOW_TOKEN = "0123456789abcdef0123456789abcdef"
ACCESS_TOKEN = "tok_9f8e7d6c5b4a39281706f5e4d3c2b1a0ffeeddcc"
CLIENT_SECRET = "s3cr3t-Client-Value-xyz"


@pytest.fixture
def logging_to(profile_dir):
    profile = Profile(profile_dir)
    path = setup_logging(profile, max_bytes=2_000, backup_count=2)
    yield profile, path
    shutdown_logging()


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        (f"posting with flow_token={FLOW_TOKEN}", FLOW_TOKEN),
        (f'{{"access_token": "{ACCESS_TOKEN}"}}', ACCESS_TOKEN),
        (f"Authorization: Bearer {ACCESS_TOKEN}", ACCESS_TOKEN),
        (f"client_secret: {CLIENT_SECRET}", CLIENT_SECRET),
        (f"https://user:{CLIENT_SECRET}@example.com/flows", CLIENT_SECRET),
        ("http://127.0.0.1:5000/callback?code=Zx81kQ-Lw&state=abc", "Zx81kQ-Lw"),
        (f"token {FLOW_TOKEN} refused", FLOW_TOKEN),
        (f"unexpected value {FLOW_TOKEN}", FLOW_TOKEN),
    ],
)
def test_redact_text_hides_secret_shapes(text, secret):
    scrubbed = redact_text(text)
    assert secret not in scrubbed
    assert REDACTED in scrubbed


def test_redact_text_keeps_ordinary_words_and_uuids():
    text = "sent message 3f2b1c4d-9e8f-4a7b-8c6d-5e4f3a2b1c0d to acme/main: HTTP 404"
    assert redact_text(text) == text


def test_setup_logging_writes_scrubbed_records_and_rotates(logging_to):
    profile, path = logging_to
    assert path == log_file(profile) and path.parent == profile.log_dir
    log = logging.getLogger("flowdock_desktop.test")
    log.warning("stored flow_token=%s for %s", FLOW_TOKEN, "acme/main")
    try:
        raise ValueError(f"bad refresh_token={ACCESS_TOKEN}")
    except ValueError:
        log.exception("sign-in failed")
    text = path.read_text(encoding="utf-8")
    assert "acme/main" in text and "sign-in failed" in text and "ValueError" in text
    assert FLOW_TOKEN not in text and ACCESS_TOKEN not in text
    for i in range(200):
        log.warning("filler line %d to make the file rotate", i)
    assert path.with_name(path.name + ".1").exists()
    assert not path.with_name(path.name + ".3").exists()  # backup_count=2 keeps two


def test_setup_logging_twice_does_not_duplicate_lines(logging_to):
    profile, path = logging_to
    setup_logging(profile)
    logging.getLogger("flowdock_desktop.test").warning("only once please")
    assert path.read_text(encoding="utf-8").count("only once please") == 1


def test_requests_are_logged_again_when_set_up_for_debug_after_info(logging_to):
    """A start logs at INFO and quiets httpx; a later setup for DEBUG in the same process (the
    self-test, a test) records every request again, with its secrets scrubbed."""
    profile, path = logging_to
    root = logging.getLogger()
    previous = root.level
    transport = httpx.MockTransport(lambda request: httpx.Response(200))

    def post() -> None:
        with httpx.Client(transport=transport) as client:
            client.post(f"http://sandbox.test/oauth/token?client_secret={CLIENT_SECRET}")

    try:
        post()
        logging.getLogger("flowdock_desktop.test").info("quiet so far")
        assert "/oauth/token" not in path.read_text(encoding="utf-8")
        setup_logging(profile, level=logging.DEBUG)
        post()
    finally:
        setup_logging(profile)  # INFO again, httpx quiet, as the other tests expect
        root.setLevel(previous)
    text = path.read_text(encoding="utf-8")
    assert "POST http://sandbox.test/oauth/token" in text
    assert CLIENT_SECRET not in text


def test_diagnostics_has_versions_paths_counts_and_no_secrets(logging_to, memory_keyring):
    profile, path = logging_to
    with AppContext(profile) as context:
        context.credentials.set_flow_token("integration-1", FLOW_TOKEN)
        context.credentials.set_client_secret("http://127.0.0.1:1", "client-id", CLIENT_SECRET)
        context.api_url = "http://127.0.0.1:1"
        # Plant secrets in the log the way a careless line would, bypassing the filter.
        with path.open("a", encoding="utf-8") as handle:
            handle.write(f"raw line with {FLOW_TOKEN} and client_secret={CLIENT_SECRET}\n")
        logging.getLogger("flowdock_desktop.test").warning("visible line")
        report = collect_diagnostics(context)
    assert "Flowdock Desktop diagnostics" in report
    assert "Python:" in report and "Qt:" in report and "OS:" in report
    assert str(profile.dir) in report and str(path) in report
    # The test's in-memory keyring stands in for the system one, configured on purpose.
    assert "MemoryKeyring, persistent" in report
    assert "visible line" in report
    for secret in (FLOW_TOKEN, CLIENT_SECRET):
        assert secret not in report


def test_diagnostics_say_why_secrets_are_in_memory(logging_to, lockable_keyring):
    profile, _ = logging_to
    lockable_keyring.lock()
    with AppContext(profile) as context:
        context.credentials.set_flow_token("integration-1", FLOW_TOKEN)  # kept in memory
        report = collect_diagnostics(context)
    assert "in memory only (NOT persistent: the keyring is locked)" in report
    assert FLOW_TOKEN not in report


def test_diagnostics_counts_integrations_and_outbox(logging_to):
    profile, _ = logging_to
    with AppContext(profile) as context:
        assert context.db is not None  # opening it creates the database
        report = collect_diagnostics(context)
    assert "Integrations:  0 (0 active)" in report
    assert "Outbox:        empty" in report


def test_last_lines_keeps_only_the_tail(tmp_path):
    path = tmp_path / "x.log"
    path.write_text("".join(f"line {i}\n" for i in range(120)), encoding="utf-8")
    tail = last_lines(path, 50)
    assert len(tail) == 50 and tail[0] == "line 70" and tail[-1] == "line 119"
    assert last_lines(tmp_path / "missing.log") == []
