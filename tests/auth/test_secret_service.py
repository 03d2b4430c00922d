"""A real Secret Service (gnome-keyring on a private D-Bus session) behind CredentialStore."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

#: The lines both scripts start with: a gnome-keyring of our own (never the real user's),
#: its login collection created and unlocked with a password.
START_DAEMON = """
import os, subprocess, sys

home = sys.argv[1]
os.environ.update(HOME=home, XDG_DATA_HOME=os.path.join(home, "data"), XDG_RUNTIME_DIR=home)
subprocess.run(
    ["gnome-keyring-daemon", "--unlock", "--components=secrets"],
    input=b"test-password\\n", check=True, timeout=30,
    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
)
"""

SCRIPT = START_DAEMON + textwrap.dedent(
    """
    from keyring.backends.SecretService import Keyring
    from flowdock_desktop.auth.credentials import CredentialStore
    from flowdock_desktop.auth.tokens import TokenSet

    store = CredentialStore(Keyring())
    assert store.persistent, "the Secret Service backend was not accepted"
    tokens = TokenSet("access-value", "refresh-value", 123.0, ("flow",), "bearer")
    store.set_token_set("http://sandbox#1", tokens)
    store.set_flow_token("integration-1", "flow-token-value")
    # A fresh store and backend read what the daemon keeps.
    again = CredentialStore(Keyring())
    assert again.get_token_set("http://sandbox#1") == tokens
    assert again.get_flow_token("integration-1") == "flow-token-value"
    assert again.delete_flow_token("integration-1")
    assert again.get_flow_token("integration-1") is None
    print("SECRET-SERVICE-OK")
    """
)


LOCKED_SCRIPT = START_DAEMON + textwrap.dedent(
    """
    import secretstorage
    from keyring.backends.SecretService import Keyring
    from flowdock_desktop.auth.credentials import CredentialStore, KeyringUnavailable

    CredentialStore(Keyring(), fallback=False).set_flow_token("integration-1", "flow-token-value")
    connection = secretstorage.dbus_init()
    collection = secretstorage.get_default_collection(connection)
    collection.lock()
    assert collection.is_locked()

    # Reading asks the daemon to unlock: it starts its prompter, which cannot show (no
    # display), so the prompt ends dismissed, as when a person presses Cancel.
    try:
        CredentialStore(Keyring(), fallback=False).get_flow_token("integration-1")
    except KeyringUnavailable as exc:
        assert "Your keyring is locked" in str(exc), exc
        assert "flow-token-value" not in str(exc)
    else:
        raise AssertionError("a locked keyring gave an answer")

    # The command line: plain words and a non-zero exit before any browser or server.
    env = dict(os.environ, PYTHON_KEYRING_BACKEND="keyring.backends.SecretService.Keyring",
               FLOWDOCK_DESKTOP_HOME=os.path.join(home, "profile"))
    login = subprocess.run(
        [sys.executable, "-m", "flowdock_desktop", "login", "--api-url",
         "http://127.0.0.1:9", "--timeout", "5"],
        env=env, capture_output=True, text=True, timeout=60,
    )
    assert login.returncode == 1, login.stderr
    assert "Your keyring is locked" in login.stderr, login.stderr
    assert "Traceback" not in login.stderr and "Signed in" not in login.stdout
    # Nothing was lost: the item is still in the (still locked) collection.
    assert collection.is_locked()
    kept = [item.get_attributes().get("username") for item in collection.get_all_items()]
    assert any(name and name.endswith("integration-1") for name in kept), kept
    print("LOCKED-OK")
    """
)


def _run_in_private_session(script_text: str, tmp_path: Path) -> subprocess.CompletedProcess:
    missing = [t for t in ("dbus-run-session", "gnome-keyring-daemon") if not shutil.which(t)]
    if missing:
        pytest.skip(f"needs {' and '.join(missing)} (apt-get install dbus-daemon gnome-keyring)")
    script = tmp_path / "secret_service_check.py"
    script.write_text(script_text, encoding="utf-8")
    home = tmp_path / "home"
    home.mkdir()
    env = dict(os.environ, PYTHONPATH=str(REPO))
    # Without a display the daemon's unlock prompt cannot show and ends at once (dismissed);
    # with one it would wait for a person.
    for name in ("DISPLAY", "WAYLAND_DISPLAY"):
        env.pop(name, None)
    return subprocess.run(
        ["dbus-run-session", "--", sys.executable, str(script), str(home)],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        cwd=REPO,
    )


@pytest.mark.secret_service
def test_round_trip_through_gnome_keyring(tmp_path):
    result = _run_in_private_session(SCRIPT, tmp_path)
    assert "SECRET-SERVICE-OK" in result.stdout, result.stdout + result.stderr


@pytest.mark.secret_service
def test_a_locked_collection_whose_prompt_is_dismissed_is_said_in_plain_words(tmp_path):
    result = _run_in_private_session(LOCKED_SCRIPT, tmp_path)
    assert "LOCKED-OK" in result.stdout, result.stdout + result.stderr
