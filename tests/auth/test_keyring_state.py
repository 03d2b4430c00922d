"""Honest keyring state on the command line: a locked or missing keyring is said in plain words
with a non-zero exit, and no command claims a secret is stored when it is not."""

from __future__ import annotations

import keyring
import keyring.backend
import keyring.errors
import pytest
from keyring.backends import fail

from flowdock_desktop.cli import main
from flowdock_desktop.context import AppContext
from flowdock_desktop.problems import EXIT_USAGE
from flowdock_desktop.store.profile import Profile
from flowdock_desktop.testing import LockableKeyring, sign_in_demo_user


class LocksOnWrite(keyring.backend.KeyringBackend):
    """Reads work; the write that stores a sign-in or a flow token is refused."""

    priority = 1  # type: ignore[assignment]

    def __init__(self, inner):
        super().__init__()
        self.inner = inner

    def get_password(self, service, username):
        return self.inner.get_password(service, username)

    def set_password(self, service, username, password):
        if username.startswith(("tokens:", "flow-token:")):
            raise keyring.errors.KeyringLocked("Failed to unlock the collection!")
        self.inner.set_password(service, username, password)

    def delete_password(self, service, username):
        self.inner.delete_password(service, username)


@pytest.fixture
def browser_must_not_open(monkeypatch):
    from flowdock_desktop.auth import browser

    def refuse(url):
        raise AssertionError("the sign-in must stop before the browser opens")

    # The login command imports the browser helper when it runs, from this module.
    monkeypatch.setattr(browser, "open_browser", refuse)


def test_login_with_a_locked_keyring_fails_before_the_browser(
    sandbox, profile_dir, capsys, browser_must_not_open
):
    keyring.set_keyring(LockableKeyring(locked=True))
    status = main(["login", "--api-url", sandbox.base_url, "--timeout", "5"])
    captured = capsys.readouterr()
    assert status == 1
    assert "Your keyring is locked" in captured.err and "Unlock it" in captured.err
    assert "Signed in" not in captured.out
    assert "Traceback" not in captured.err


def test_login_without_any_keyring_says_so(sandbox, profile_dir, capsys, browser_must_not_open):
    keyring.set_keyring(fail.Keyring())
    status = main(["login", "--api-url", sandbox.base_url, "--timeout", "5"])
    captured = capsys.readouterr()
    assert status == 1
    assert "No system keyring is available" in captured.err
    assert "Signed in" not in captured.out


def test_login_whose_tokens_cannot_be_stored_is_not_a_sign_in(
    sandbox, profile_dir, capsys, memory_keyring, monkeypatch
):
    from flowdock_desktop.auth import browser

    monkeypatch.setattr(browser, "open_browser", _follow)
    keyring.set_keyring(LocksOnWrite(memory_keyring))
    status = main(["login", "--api-url", sandbox.base_url, "--timeout", "20"])
    captured = capsys.readouterr()
    assert status == 1, captured.err
    assert "Your keyring is locked" in captured.err
    assert "Signed in" not in captured.out
    # The profile does not claim a sign-in either.
    assert Profile.resolve(profile_dir).settings.get("account") is None
    assert main(["whoami"]) == 1
    assert "Not signed in" in capsys.readouterr().err


def _follow(url: str) -> bool:
    import threading

    import httpx

    threading.Thread(
        target=lambda: httpx.get(url, follow_redirects=True, timeout=10), daemon=True
    ).start()
    return True


def test_connect_never_claims_a_token_it_could_not_store(
    sandbox, profile_dir, capsys, memory_keyring
):
    with AppContext() as context:
        sign_in_demo_user(context, sandbox.base_url)
    flow_id = sandbox.state.find_flow_by_path("acme", "main")
    before = {s["name"] for s in sandbox.state.flow_sources(flow_id, sandbox.base_url)}
    keyring.set_keyring(LocksOnWrite(memory_keyring))
    status = main(["connect", "--flow", "acme/main", "--name", "Unkept"])
    captured = capsys.readouterr()
    assert status == 1
    assert "is in the keyring" not in captured.err + captured.out
    assert "Your keyring is locked" in captured.err
    # Nothing left behind: no local record, and the source was removed again in Flowdock.
    with AppContext() as context:
        assert context.integrations.list() == []
    after = {s["name"] for s in sandbox.state.flow_sources(flow_id, sandbox.base_url)}
    assert after == before


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("http://flowdock.example.com", "Use https:// for servers on other computers"),
        ("https://api.example.com/?token=x", "without ?… or #…"),
        ("ftp://api.example.com", "Use an https:// address"),
        ("api.example.com", "Start the address with https://"),
    ],
)
def test_login_refuses_what_the_wizard_refuses(profile_dir, capsys, url, words):
    assert main(["login", "--api-url", url]) == EXIT_USAGE
    err = capsys.readouterr().err
    assert words in err and "Traceback" not in err
