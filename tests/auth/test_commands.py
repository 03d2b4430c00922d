"""The login / whoami / logout commands, in-process against a real sandbox."""

from __future__ import annotations

import io
import os
import shlex
import sys
import threading
import webbrowser

import pytest

from flowdock_desktop.auth.oauth import SignInFlow
from flowdock_desktop.cli import main
from flowdock_desktop.sandbox.seed import DEMO_CLIENT_SECRET, DEMO_EMAIL, DEMO_USER_NAME

from .conftest import authorize_redirect
from .test_listener import free_port

FETCH_SCRIPT = "import httpx, sys; httpx.get(sys.argv[1], follow_redirects=True, timeout=20)"


@pytest.fixture
def browser_command(monkeypatch):
    """$BROWSER set to a tiny program that fetches the URL and follows redirects."""
    command = f"{shlex.quote(sys.executable)} -c {shlex.quote(FETCH_SCRIPT)} %s"
    monkeypatch.setenv("BROWSER", command)
    # webbrowser reads $BROWSER once per process; make it look again for this test.
    monkeypatch.setattr(webbrowser, "_tryorder", None)
    monkeypatch.setattr(webbrowser, "_browsers", {})
    return command


def stored_secrets(memory_keyring) -> str:
    return "\n".join(memory_keyring.items().values())


def test_login_with_browser_then_whoami_and_logout(
    sandbox, profile_dir, memory_keyring, browser_command, capsys
):
    assert main(["login", "--api-url", sandbox.base_url, "--timeout", "30"]) == 0
    out = capsys.readouterr().out
    assert f"Signed in as {DEMO_USER_NAME} ({DEMO_EMAIL})" in out

    secrets = stored_secrets(memory_keyring)
    assert DEMO_CLIENT_SECRET in secrets and "access_token" in secrets
    tokens = [v for (_, k), v in memory_keyring.items().items() if k.startswith("tokens:")]
    assert len(tokens) == 1
    for path in profile_dir.rglob("*"):
        if path.is_file():
            text = path.read_text(encoding="utf-8", errors="replace")
            assert "access_token" not in text and DEMO_CLIENT_SECRET not in text

    assert main(["whoami"]) == 0
    assert f"Signed in as {DEMO_USER_NAME} ({DEMO_EMAIL})" in capsys.readouterr().out

    assert main(["logout"]) == 0
    assert "Signed out" in capsys.readouterr().out
    assert main(["whoami"]) == 1
    assert "Not signed in" in capsys.readouterr().err


def test_login_no_browser_reads_the_pasted_address(
    sandbox, profile_dir, memory_keyring, monkeypatch, capsys
):
    read_fd, write_fd = os.pipe()
    monkeypatch.setattr(sys, "stdin", os.fdopen(read_fd, "r"))
    writer = os.fdopen(write_fd, "w")

    class PastingFlow(SignInFlow):
        """Plays the person: opens the printed URL elsewhere and pastes where it ended."""

        def start(self) -> str:
            url = super().start()

            def paste() -> None:
                writer.write("not a usable answer\n")
                writer.write(authorize_redirect(url) + "\n")
                writer.flush()

            threading.Thread(target=paste, daemon=True).start()
            return url

    # The command imports the flow when it runs (not with the command line).
    monkeypatch.setattr("flowdock_desktop.auth.oauth.SignInFlow", PastingFlow)
    try:
        status = main(["login", "--api-url", sandbox.base_url, "--no-browser", "--timeout", "30"])
    finally:
        writer.close()
    captured = capsys.readouterr()
    assert status == 0
    assert "/oauth/authorize?" in captured.out
    assert f"Signed in as {DEMO_USER_NAME}" in captured.out
    # The unusable paste was explained, and the flow kept waiting for a good one.
    assert "does not look like a sign-in code" in captured.err


def test_login_to_a_non_sandbox_needs_a_client_id(profile_dir, capsys):
    status = main(["login", "--api-url", "http://127.0.0.1:9", "--timeout", "1"])
    assert status == 1
    assert "--client-id" in capsys.readouterr().err


def test_login_with_own_client_id_needs_a_secret(sandbox, profile_dir, capsys, monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    status = main(["login", "--api-url", sandbox.base_url, "--client-id", "someone-elses-app"])
    assert status == 1
    assert "--client-secret-stdin" in capsys.readouterr().err


def test_login_reports_a_wrong_secret_in_plain_words(
    sandbox, profile_dir, monkeypatch, browser_command, capsys
):
    from flowdock_desktop.sandbox.seed import DEMO_CLIENT_ID

    monkeypatch.setattr(sys, "stdin", io.StringIO("not-the-secret\n"))
    status = main(
        [
            "login",
            "--api-url",
            sandbox.base_url,
            "--client-id",
            DEMO_CLIENT_ID,
            "--client-secret-stdin",
            # Never the fixed default port in tests; the sandbox accepts any loopback port.
            "--redirect-uri",
            f"http://127.0.0.1:{free_port()}/callback",
            "--timeout",
            "30",
        ]
    )
    err = capsys.readouterr().err
    assert status == 1
    assert "invalid_client" in err and "not-the-secret" not in err


def _known(profile_dir):
    from flowdock_desktop.context import AppContext
    from flowdock_desktop.store.profile import Profile
    from flowdock_desktop.store.servers import KnownServers

    with AppContext(Profile.resolve(profile_dir)) as context:
        known = KnownServers(context.db)
        return context.api_url, known.servers(), known.applications()


def test_login_remembers_the_server_and_application_as_the_wizard_does(
    sandbox, profile_dir, memory_keyring, browser_command, capsys
):
    from flowdock_desktop.sandbox.seed import DEMO_CLIENT_ID, DEMO_REDIRECT_URI

    assert main(["login", "--api-url", sandbox.base_url + "/", "--timeout", "30"]) == 0
    api_url, servers, apps = _known(profile_dir)
    assert api_url == sandbox.base_url  # the app starts from this server next time
    assert [(s.api_url, s.is_sandbox) for s in servers] == [(sandbox.base_url, True)]
    assert [(a.api_url, a.client_id, a.redirect_uri) for a in apps] == [
        (sandbox.base_url, DEMO_CLIENT_ID, DEMO_REDIRECT_URI)
    ]


def test_signing_in_again_with_an_own_application_needs_only_its_client_id(
    sandbox, profile_dir, memory_keyring, browser_command, capsys, monkeypatch
):
    """The callback comes from the remembered application, the secret from the keyring."""
    import httpx

    from flowdock_desktop.sandbox.seed import DEMO_EMAIL, DEMO_PASSWORD

    callback = f"http://127.0.0.1:{free_port()}/callback"
    answer = httpx.post(
        f"{sandbox.base_url}/oauth/applications",
        json={"application": {"name": "CI reporter", "redirect_uri": callback}},
        auth=(DEMO_EMAIL, DEMO_PASSWORD),
        timeout=10,
    )
    assert answer.status_code == 201, answer.text
    mine = answer.json()
    login = ["login", "--api-url", sandbox.base_url, "--timeout", "30"]
    monkeypatch.setattr(sys, "stdin", io.StringIO(mine["client_secret"] + "\n"))
    first = [*login, "--client-id", mine["client_id"], "--client-secret-stdin"]
    assert main([*first, "--redirect-uri", callback]) == 0
    _, _, apps = _known(profile_dir)
    assert [(a.client_id, a.redirect_uri) for a in apps] == [(mine["client_id"], callback)]
    assert mine["client_secret"] not in str(apps)

    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    assert main([*login, "--client-id", mine["client_id"]]) == 0
    assert f"Signed in as {DEMO_USER_NAME}" in capsys.readouterr().out
