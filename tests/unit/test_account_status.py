"""``flowdock-desktop status``: where the sign-in and the secrets stand, with real data."""

from __future__ import annotations

import pytest

from flowdock_desktop import cli
from flowdock_desktop.account_status import describe_expiry, team_inbox_url
from flowdock_desktop.context import AppContext
from flowdock_desktop.testing import connect_demo_source, sign_in_demo_user


def test_team_inbox_url():
    assert team_inbox_url("http://127.0.0.1:8766", "acme", "main") == (
        "http://127.0.0.1:8766/app/acme/main"
    )
    # Flowdock's API lived on api., its web app on www.
    assert team_inbox_url("https://api.flowdock.com/", "acme", "dev ops") == (
        "https://www.flowdock.com/app/acme/dev%20ops"
    )


@pytest.mark.parametrize(
    ("expires_at", "words"),
    [
        (None, "does not expire"),
        (1_000_000 + 59 * 60, "in 59 minutes (1970-01-12 14:45 UTC)"),
        (1_000_000 + 60, "in 1 minute"),
        (1_000_000 + 5 * 3600, "in 5 hours"),
        (1_000_000 - 180, "expired 3 minutes ago"),
    ],
)
def test_expiry_in_words(expires_at, words):
    assert words in describe_expiry(expires_at, now=1_000_000)


def test_status_when_nobody_is_signed_in(capsys):
    assert cli.main(["status"]) == 1
    out = capsys.readouterr().out
    assert "Signed in:" in out and "no one" in out
    assert "Secrets:" in out


def test_status_shows_server_user_scopes_expiry_keyring_and_inboxes(sandbox, capsys):
    with AppContext() as context:
        sign_in_demo_user(context, sandbox.base_url)
        connect_demo_source(context, sandbox.base_url, name="Deploy bot")
        context.api_url = sandbox.base_url
        # Recorded as the embedded sandbox of this profile, as a running app would.
        context.settings.set("embedded_sandbox_url", sandbox.base_url)
        token = context.credentials.get_token_set(context.session().account.key).access_token
    assert cli.main(["status"]) == 0
    out = capsys.readouterr().out
    rows = dict(line.split(":", 1) for line in out.splitlines())
    rows = {k.strip(): v.strip() for k, v in rows.items()}
    assert rows["Server"] == f"{sandbox.base_url} (the embedded sandbox)"
    assert rows["Signed in as"].startswith("Demo User (demo@example.com), user ")
    assert rows["Scopes"] == "flow profile integration"
    assert rows["Access token"].startswith("in ")
    assert rows["Secrets"] == "the system keyring (credentials MemoryKeyring)"
    assert rows["Sandbox"] == f"{sandbox.base_url} (running)"
    assert rows["Integrations"] == "1"
    assert f"{sandbox.base_url}/app/acme/main  (Deploy bot in Acme / Main)" in out
    assert token not in out  # never a secret
